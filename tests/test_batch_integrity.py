"""A batch never aborts on one item: links, files deleted mid-run, full disks and too-long names
become lines of errors.jsonl, and running the command again finishes the job."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from kztranslate import batch as batch_module
from kztranslate import formats
from kztranslate.batch import ERRORS_NAME, run_batch
from kztranslate.pipeline import Translator

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}


def document(n: int, paragraphs: int = 1) -> str:
    body = [{"role": "paragraph", "text": f"Бүгін {n} адам қатысты. Жиын ұзаққа созылды."}] * paragraphs
    return json.dumps({"language": "kk", "blocks": [{"role": "headline", "text": f"Жаңалық №{n}"}, *body]},
                      ensure_ascii=False)


def errors_of(out: Path) -> dict[str, dict]:
    lines = (out / ERRORS_NAME).read_text(encoding="utf-8").splitlines()
    return {entry["input"]: entry for entry in map(json.loads, lines)}


@pytest.fixture(scope="module")
def pseudo() -> Translator:
    return Translator("pseudo")


def test_links_out_of_the_input_and_dangling_ones_are_reported_not_followed(tmp_path, pseudo):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.kk.json").write_text(document(9), encoding="utf-8")
    (outside / "more").mkdir()
    (outside / "more" / "other.kk.json").write_text(document(8), encoding="utf-8")
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.kk.json").write_text(document(1), encoding="utf-8")
    (source / "inside.kk.json").symlink_to(source / "a.kk.json")  # stays inside: followed
    (source / "secret.kk.json").symlink_to(outside / "secret.kk.json")
    (source / "gone.kk.json").symlink_to(tmp_path / "nowhere.kk.json")
    (source / "more").symlink_to(outside / "more", target_is_directory=True)
    out = tmp_path / "out"
    summary = run_batch(source, out, "ru", translator=pseudo, progress=False)
    assert summary.translated == 2 and summary.failed == 3
    assert sorted(p.name for p in out.glob("*.json")) == ["a.ru.json", "inside.ru.json"]
    errors = errors_of(out)
    assert "out of the input directory" in errors["secret.kk.json"]["message"]
    assert "--follow-symlinks" in errors["secret.kk.json"]["message"]
    assert "dangling" in errors["gone.kk.json"]["message"]
    assert "--follow-symlinks" in errors["more"]["message"]

    followed = run_batch(source, tmp_path / "out2", "ru", translator=pseudo, progress=False, follow_symlinks=True)
    assert followed.failed == 1 and (tmp_path / "out2" / "secret.ru.json").is_file()
    assert (tmp_path / "out2" / "more" / "other.ru.json").is_file()


def test_a_file_deleted_while_listing_or_before_reading_is_an_item_error(tmp_path, pseudo, monkeypatch):
    source = tmp_path / "in"
    source.mkdir()
    for n in range(4):
        (source / f"a{n}.kk.json").write_text(document(n), encoding="utf-8")
    real_walk = batch_module._walk

    def walk_then_delete(*args, **kwargs):  # listed, then gone before it is hashed
        found = real_walk(*args, **kwargs)
        (source / "a1.kk.json").unlink()
        return found

    monkeypatch.setattr(batch_module, "_walk", walk_then_delete)
    real_plan = batch_module.plan_batch

    def plan_then_delete(*args, **kwargs):  # planned, then gone before it is read
        items = real_plan(*args, **kwargs)
        (source / "a2.kk.json").unlink()
        return items

    monkeypatch.setattr(batch_module, "plan_batch", plan_then_delete)
    out = tmp_path / "out"
    summary = run_batch(source, out, "ru", translator=pseudo, progress=False)
    assert summary.translated == 2 and summary.failed == 2
    errors = errors_of(out)
    assert set(errors) == {"a1.kk.json", "a2.kk.json"}
    assert all("deleted" in e["message"] for e in errors.values())


def test_an_output_name_too_long_is_an_item_error_and_the_rest_is_written(tmp_path, pseudo):
    source = tmp_path / "in"
    source.mkdir()
    (source / ("ә" * 124 + ".json")).write_text(document(1), encoding="utf-8")  # output name: 257 bytes
    (source / "short.kk.json").write_text(document(2), encoding="utf-8")
    out = tmp_path / "out"
    summary = run_batch(source, out, "ru", translator=pseudo, progress=False)
    assert summary.translated == 1 and summary.failed == 1
    (entry,) = errors_of(out).values()
    assert entry["error"] == "OutputError" and "too long" in entry["message"] and "shorten" in entry["message"]
    assert not list(out.rglob("*.tmp"))


def test_a_reader_bug_on_one_file_does_not_stop_the_batch(tmp_path, pseudo, monkeypatch):
    source = tmp_path / "in"
    source.mkdir()
    for n in range(3):
        (source / f"a{n}.kk.json").write_text(document(n), encoding="utf-8")
    fmt = formats.get_format("json")
    real_read = fmt.read

    def read(text, source=None, **kwargs):
        if source == "a1.kk.json":
            raise RecursionError("maximum recursion depth exceeded")
        return real_read(text, source=source, **kwargs)

    is_static = isinstance(type(fmt).__dict__.get("read"), staticmethod)
    monkeypatch.setattr(type(fmt), "read", staticmethod(read) if is_static
                        else lambda self, text, source=None, **kw: read(text, source, **kw))
    out = tmp_path / "out"
    summary = run_batch(source, out, "ru", translator=pseudo, progress=False)
    assert summary.translated == 2 and summary.failed == 1
    assert "nested too deeply" in errors_of(out)["a1.kk.json"]["message"]


def _limited_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_is_an_item_error_and_a_rerun_finishes_the_job(tmp_path):
    """RLIMIT_FSIZE stands in for a full disk: writes past it fail with EFBIG, as ENOSPC would."""
    source = tmp_path / "in"
    source.mkdir()
    (source / "small.kk.json").write_text(document(1), encoding="utf-8")
    (source / "big.kk.json").write_text(document(2, paragraphs=800), encoding="utf-8")  # ~120 KB translated
    out = tmp_path / "out"
    command = [sys.executable, "-m", "kztranslate", "batch", str(source), "--to", "ru", "--out", str(out),
               "--backend", "pseudo", "--no-progress"]
    limited = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=120,
                             preexec_fn=_limited_file_size(64 * 1024))
    assert limited.returncode == 5, limited.stderr
    assert "Traceback" not in limited.stderr
    assert (out / "small.ru.json").is_file() and not (out / "big.ru.json").exists()
    entry = errors_of(out)["big.kk.json"]
    assert entry["error"] == "OutputError" and "big.ru.json" in entry["message"] and "limit" in entry["message"]
    assert not list(out.rglob("*.tmp"))

    again = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "1 translated, 1 skipped" in again.stderr
    assert (out / "big.ru.json").is_file() and (out / ERRORS_NAME).read_text() == ""


def test_a_manifest_that_cannot_be_written_is_an_item_error_not_an_abort(tmp_path, pseudo, monkeypatch):
    import sqlite3

    source = tmp_path / "in"
    source.mkdir()
    for n in range(2):
        (source / f"a{n}.kk.json").write_text(document(n), encoding="utf-8")

    def full(self, item, settings, outputs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(batch_module.Manifest, "record", full)
    out = tmp_path / "out"
    summary = run_batch(source, out, "ru", translator=pseudo, progress=False)
    assert summary.failed == 2
    assert all("full" in e["message"] and e["error"] == "OutputError" for e in errors_of(out).values())
