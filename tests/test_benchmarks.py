"""The benchmark scripts run end to end (slow: run with -m slow; their results are in benchmarks/README.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    return dict(os.environ, HF_HUB_OFFLINE="1",
                PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))


def test_bench_translate_quick_runs_the_careful_loop_and_kztranslate(tmp_path):
    pytest.importorskip("ctranslate2")
    out = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_translate.py"), "--quick", "--shapes",
                           "opus-mt", "--arms", "b2,d,e", "--json", str(out)], capture_output=True, text=True,
                          env=_env(), timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = json.loads(out.read_text())["shapes"]["opus-mt"]["runs"]
    assert run["b2"]["tokens"] == run["d"]["tokens"] == 13 * 8  # the same work: 13 sentences × 8 tokens
    assert run["e"]["sentence_alone_s"] > 0 and "re-translation / the edited sentences alone" in proc.stdout


def test_gpu_check_dry_run(tmp_path):
    pytest.importorskip("ctranslate2")
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--dry-run", "--workdir", str(tmp_path)],
                          capture_output=True, text=True, env=dict(_env(), PYTHON=sys.executable), timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert {(r["backend"], r["target_vocabulary"], r["mode"]) for r in rows} == {
        ("ctranslate2", "full", "batch 1"), ("ctranslate2", "full", "batched"),
        ("ctranslate2", "kk,ru,en", "batch 1"), ("ctranslate2", "kk,ru,en", "batched"),
        ("transformers", "full", "batch 1"), ("transformers", "full", "batched")}
    assert all(r["tokens_per_s"] > 0 for r in rows)
