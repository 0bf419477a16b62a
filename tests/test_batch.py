"""The resumable batch runner: outputs, skipping done work, failures, JSONL, and a kill in the middle."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kztranslate.batch import ERRORS_NAME, MANIFEST_NAME, run_batch
from kztranslate.engine.pseudo import PseudoBackend
from kztranslate.pipeline import Translator

SRC = Path(__file__).resolve().parents[1] / "src"
EPOCH = "1574848980"  # 2019-11-27T10:03:00Z


@pytest.fixture(autouse=True)
def reproducible(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def document(n: int) -> dict:
    return {
        "language": "kk",
        "blocks": [
            {"role": "headline", "text": f"Жаңалық №{n}: Астанада жиын өтті."},
            {"role": "paragraph", "text": f"Бүгін {n} адам қатысты. Ол ұзаққа созылды."},
        ],
        "meta": {"id": f"news-{n}"},
    }


def make_tree(root: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        path = root / f"2019/{n % 3:02d}" / f"article{n}.kk.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document(n), ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` but the manifest: relative name → SHA-256."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(MANIFEST_NAME)
    }


def test_directory_tree_is_mirrored_and_a_rerun_skips_everything(tmp_path):
    make_tree(tmp_path / "in", 7)
    out = tmp_path / "out"
    summary = run_batch(tmp_path / "in", out, "ru,en", backend="pseudo", workers=3, chunk_size=3, progress=False)
    assert (summary.total, summary.translated, summary.skipped, summary.failed) == (7, 7, 0, 0)
    files = tree(out)
    assert files.pop(ERRORS_NAME) == hashlib.sha256(b"").hexdigest()
    assert sorted(files) == sorted(
        f"2019/{n % 3:02d}/article{n}.{lang}.json" for n in range(7) for lang in ("ru", "en"))
    variant = json.loads((out / "2019/01/article4.en.json").read_text(encoding="utf-8"))
    assert variant["language"] == "en" and variant["headline"].startswith("⟦en⟧ ") and "№4" in variant["headline"]
    assert variant["provenance"]["created"] == "2019-11-27T10:03:00+00:00"

    again = run_batch(tmp_path / "in", out, ["ru", "en"], backend="pseudo", progress=False)
    assert (again.translated, again.skipped) == (0, 7)
    assert tree(out) == {**files, ERRORS_NAME: hashlib.sha256(b"").hexdigest()}

    # a changed article, a deleted output and new settings are each noticed
    (tmp_path / "in/2019/00/article3.kk.json").write_text(json.dumps(document(33), ensure_ascii=False),
                                                         encoding="utf-8")
    (out / "2019/02/article5.ru.json").unlink()
    third = run_batch(tmp_path / "in", out, ["ru", "en"], backend="pseudo", progress=False)
    assert (third.translated, third.skipped) == (2, 5)
    assert "№33" in json.loads((out / "2019/00/article3.ru.json").read_text(encoding="utf-8"))["headline"]
    fourth = run_batch(tmp_path / "in", out, ["ru"], backend="pseudo", progress=False)
    assert (fourth.translated, fourth.skipped) == (7, 0)


def test_failures_are_reported_and_the_run_goes_on(tmp_path):
    make_tree(tmp_path / "in", 3)
    (tmp_path / "in/broken.json").write_text('{"blocks": [', encoding="utf-8")
    (tmp_path / "in/english.en.json").write_text(json.dumps({**document(9), "language": "en"}), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "kztranslate", "batch", str(tmp_path / "in"), "--to", "en", "--out",
         str(tmp_path / "out"), "--backend", "pseudo", "--workers", "2"],
        env={**os.environ, "PYTHONPATH": str(SRC)}, capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 5, run.stderr
    assert "5 articles → en: 3 translated, 0 skipped (already done), 2 failed" in run.stderr
    assert "article/s" in run.stderr  # the progress bar's rate
    errors = [json.loads(line) for line in (tmp_path / "out" / ERRORS_NAME).read_text(encoding="utf-8").splitlines()]
    assert sorted((e["input"], e["error"]) for e in errors) == [("broken.json", "FormatError"),
                                                                 ("english.en.json", "UsageError")]
    assert "already in 'en'" in next(e["message"] for e in errors if e["input"] == "english.en.json")
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.en.json")) == [f"article{n}.en.json" for n in range(3)]


def test_jsonl_input_gives_one_document_per_article_and_language(tmp_path):
    lines = [json.dumps(document(1)), "", json.dumps({**document(2), "meta": {}}), json.dumps(document(1)),
             '{"blocks": 5}']
    source = tmp_path / "archive.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = run_batch(source, tmp_path / "out", ["ru", "kk-Latn"], backend="pseudo", progress=False)
    assert (summary.total, summary.translated, summary.failed) == (4, 3, 1)
    names = sorted(p.name for p in (tmp_path / "out").glob("*.json"))
    # meta.id when safe and unique, else the line number
    assert names == sorted(
        f"{stem}.{lang}.json" for stem in ("news-1", "000003", "000004") for lang in ("ru", "kk-Latn"))
    assert summary.failures.keys() == {"line 5"}
    rerun = run_batch(source, tmp_path / "out", ["ru", "kk-Latn"], backend="pseudo", progress=False)
    assert (rerun.translated, rerun.skipped, rerun.failed) == (0, 3, 1)


_SLOW_RUN = """
import sys, time
from kztranslate.batch import run_batch
from kztranslate.engine.pseudo import PseudoBackend
from kztranslate.pipeline import Translator

class SlowPseudo(PseudoBackend):
    def translate_batch(self, texts, source, target):
        time.sleep(0.15)
        return super().translate_batch(texts, source, target)

run_batch(sys.argv[1], sys.argv[2], ["ru", "en"], translator=Translator(SlowPseudo()), chunk_size=2, workers=2,
          progress=False)
"""


def test_killed_batch_resumes_to_byte_identical_outputs(tmp_path):
    total = 24
    make_tree(tmp_path / "in", total)
    reference = tmp_path / "reference"
    run_batch(tmp_path / "in", reference, ["ru", "en"], translator=Translator(PseudoBackend()), chunk_size=2,
              progress=False)
    expected = tree(reference)
    assert len(expected) == total * 2 + 1

    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_RUN, str(tmp_path / "in"), str(out)],
                            env={**os.environ, "PYTHONPATH": str(SRC)})
    deadline = time.monotonic() + 60
    while len(list(out.rglob("*.ru.json"))) < 6:
        assert proc.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    written = len(list(out.rglob("*.ru.json")))
    assert 6 <= written < total, "the batch was not killed in the middle"
    with sqlite3.connect(out / MANIFEST_NAME) as db:
        recorded = db.execute("SELECT COUNT(*) FROM done").fetchone()[0]
    assert 0 < recorded < total

    summary = run_batch(tmp_path / "in", out, ["ru", "en"], translator=Translator(PseudoBackend()), chunk_size=2,
                        progress=False)
    assert summary.skipped == recorded and summary.translated == total - recorded and summary.failed == 0
    assert tree(out) == expected  # same names, same bytes: nothing missing, nothing doubled, no temp files left
    with sqlite3.connect(out / MANIFEST_NAME) as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM done").fetchone() == (total, total)
