"""GPU check: tokens/s and memory of both backends on the NLLB-200-distilled-600M shape (random weights).

    python benchmarks/gpu_check.py              # on a CUDA machine (bash benchmarks/gpu_check.sh)
    python benchmarks/gpu_check.py --dry-run    # anywhere: tiny model on CPU, same code path, no timing claims

Runs, each decoding ``--tokens`` target tokens per sentence (min = max), greedy, kk → ru and kk → en:

- CTranslate2 at float16 and int8_float16, full and trimmed (kk, ru, en) target vocabulary;
- transformers at float16;

each at batch 1 (one sentence per call) and batched (every sentence of the workload in one call).
Prints one line per run: target tokens/s, peak GPU memory (MiB) and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="tiny model on CPU: checks the script runs end to end (numbers mean nothing)")
    parser.add_argument("--sentences", type=int, default=64, help="sentences per target (default 64)")
    parser.add_argument("--tokens", type=int, default=32, help="target tokens per sentence (default 32)")
    parser.add_argument("--workdir", metavar="DIR", help="build the model here (default: a temporary directory)")
    args = parser.parse_args(argv)

    import bench_translate as bench

    device = "cpu" if args.dry_run else "cuda"
    if not args.dry_run:
        import torch

        if not torch.cuda.is_available():
            print("no CUDA device: run with --dry-run to check the script on CPU", file=sys.stderr)
            return 2
    articles = bench.make_articles(max(1, args.sentences // 13 + 1))
    sentences = [s for a in articles for s in bench.sentences_of(a)][:args.sentences if not args.dry_run else 4]
    tokens = 4 if args.dry_run else args.tokens
    with tempfile.TemporaryDirectory(prefix="kztranslate-gpu-") as tmp:
        workdir = Path(args.workdir or tmp)
        model_dir = workdir / "model"
        if args.dry_run:
            from kztranslate.testing import build_tiny_model

            if not (model_dir / "config.json").is_file():
                build_tiny_model("nllb", model_dir)
        elif not (model_dir / "config.json").is_file():
            bench.build("nllb-600M", model_dir)
        results = []
        for compute in (["float32"] if args.dry_run else ["float16", "int8_float16"]):
            for trim in (None, "kk,ru,en"):
                results += run_ct2(model_dir, workdir / "ct2", device, compute, trim, sentences, tokens)
        results += run_transformers(model_dir, device, "float32" if args.dry_run else "float16", sentences, tokens)
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    return 0


def _peak_gpu_mib(reset: bool = False) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    if reset:
        torch.cuda.reset_peak_memory_stats()
        return None
    return torch.cuda.max_memory_allocated() / 2**20


def _gpu_used_mib() -> float | None:
    """Device memory in use (nvidia-smi's view: CTranslate2 allocates outside torch's counters)."""
    import shutil
    import subprocess

    if not shutil.which("nvidia-smi"):
        return None
    out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                         capture_output=True, text=True).stdout.split()
    return float(out[0]) if out else None


def run_ct2(model_dir: Path, cache: Path, device: str, compute: str, trim: str | None, sentences: list[str],
            tokens: int) -> list[dict]:
    from kztranslate.engine import Decoding
    from kztranslate.engine.ctranslate2_backend import CTranslate2Backend

    decoding = Decoding(beams=1, max_new_tokens=tokens, min_new_tokens=tokens)
    backend = CTranslate2Backend(model_dir, decoding=decoding, device=device, compute_type=compute, cache_dir=cache,
                                 trim_target=trim)
    backend.translate_batch(sentences[:1], "kk", "ru")  # load and warm up
    rows = []
    for label, calls in (("batch 1", [[s] for s in sentences]), ("batched", [sentences])):
        started = time.perf_counter()
        for call in calls:
            backend.translate_mixed([(s, "kk", t) for s in call for t in ("ru", "en")])
        seconds = time.perf_counter() - started
        rows.append({"backend": "ctranslate2", "compute_type": compute, "target_vocabulary": trim or "full",
                     "mode": label, "tokens_per_s": round(2 * len(sentences) * tokens / seconds, 1),
                     "gpu_used_mib": _gpu_used_mib(),
                     "rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})
    return rows


def run_transformers(model_dir: Path, device: str, dtype: str, sentences: list[str], tokens: int) -> list[dict]:
    from kztranslate.engine import Decoding
    from kztranslate.engine.transformers_backend import TransformersBackend

    decoding = Decoding(beams=1, max_new_tokens=tokens, min_new_tokens=tokens)
    backend = TransformersBackend(model_dir, decoding=decoding, device=device, dtype=dtype)
    backend.translate_batch(sentences[:1], "kk", "ru")
    rows = []
    for label, calls in (("batch 1", [[s] for s in sentences]), ("batched", [sentences])):
        _peak_gpu_mib(reset=True)
        started = time.perf_counter()
        for call in calls:
            for target in ("ru", "en"):
                backend.translate_batch(call, "kk", target)
        seconds = time.perf_counter() - started
        rows.append({"backend": "transformers", "compute_type": dtype, "target_vocabulary": "full", "mode": label,
                     "tokens_per_s": round(2 * len(sentences) * tokens / seconds, 1),
                     "gpu_peak_mib": _peak_gpu_mib(), "gpu_used_mib": _gpu_used_mib(),
                     "rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})
    return rows


if __name__ == "__main__":
    sys.exit(main())
