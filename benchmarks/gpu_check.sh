#!/usr/bin/env bash
# GPU check (CUDA machine): CTranslate2 (float16, int8_float16; full and trimmed target vocabulary) and
# transformers (float16) on the NLLB-200-distilled-600M shape, batch 1 and batched: tokens/s and memory.
#   bash benchmarks/gpu_check.sh             # needs a CUDA device, ctranslate2 with CUDA, torch with CUDA
#   bash benchmarks/gpu_check.sh --dry-run   # anywhere: a tiny model on CPU, checks the script runs
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
if [[ "${1:-}" != "--dry-run" ]]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || {
    echo "no NVIDIA GPU visible (nvidia-smi failed); use --dry-run to check the script on CPU" >&2; exit 2; }
fi
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" benchmarks/gpu_check.py "$@"
