"""The command line's error boundary: every failure is one line naming the file and the fix, with a
distinct exit code; a traceback only with --verbose."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kztranslate import cli, formats
from kztranslate.errors import InputError, OutputError, from_exception

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "examples" / "article.kk.txt"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kztranslate", *args], env=ENV, capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_output_name_over_the_file_system_limit_is_exit_7_naming_the_file(tmp_path):
    name = "ә" * 125 + ".txt"  # 254 bytes: the input fits, "<stem>.ru.txt" (257 bytes) does not
    source = tmp_path / name
    source.write_bytes(ARTICLE.read_bytes())
    out = tmp_path / "out"
    done = _run("translate", str(source), "--to", "ru", "--backend", "pseudo", "--out-dir", str(out), "--no-memory")
    assert done.returncode == 7, done.stderr
    assert "Traceback" not in done.stderr
    assert "too long" in done.stderr and "ә" * 125 + ".ru.txt" in done.stderr and "shorten" in done.stderr
    assert not any(out.glob("*")) if out.exists() else True  # no partial output, no temporary file left
    verbose = _run("translate", str(source), "--to", "ru", "--backend", "pseudo", "--out-dir", str(out),
                   "--no-memory", "--verbose")
    assert verbose.returncode == 7 and "Traceback" in verbose.stderr


def test_one_file_with_a_too_long_output_name_does_not_stop_the_others(tmp_path):
    long_one = tmp_path / ("ә" * 125 + ".txt")
    long_one.write_bytes(ARTICLE.read_bytes())
    short = tmp_path / "short.kk.txt"
    short.write_bytes(ARTICLE.read_bytes())
    out = tmp_path / "out"
    done = _run("translate", str(long_one), str(short), "--to", "ru", "--backend", "pseudo", "--out-dir", str(out),
                "--no-memory")
    assert done.returncode == 5, done.stderr
    assert (out / "short.ru.txt").is_file() and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("failure", "code", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/x"), 7, ["/data/x", "no space", "free"]),
        (OSError(errno.EFBIG, "File too large", "/data/x"), 7, ["/data/x", "limit"]),
        (PermissionError(errno.EACCES, "Permission denied", "/data/x"), 3, ["/data/x", "permissions"]),
        (sqlite3.OperationalError("database or disk is full"), 7, ["full", "free"]),
        (sqlite3.DatabaseError("file is not a database"), 3, ["not a database", "move it aside"]),
        (UnicodeEncodeError("utf-8", "a\ud800b", 1, 2, "surrogates not allowed"), 3, ["character 1", "remove"]),
        (RecursionError("maximum recursion depth exceeded"), 3, ["nested too deeply"]),
        (MemoryError(), 3, ["too large", "split"]),
        (ValueError("a bug"), 1, ["internal error", "--verbose", "ValueError"]),
    ],
)
def test_library_exceptions_become_one_line_with_a_distinct_exit_code(monkeypatch, capsys, failure, code, words):
    def boom(path):
        raise failure

    monkeypatch.setattr(formats, "load_text", boom)
    assert cli.main(["translate", str(ARTICLE), "--to", "ru", "--backend", "pseudo", "--no-memory"]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word.lower() in err.lower(), err
    assert str(ARTICLE) in err or code == 1 or "/data/x" in err
    assert cli.main(["--verbose", "translate", str(ARTICLE), "--to", "ru", "--backend", "pseudo",
                     "--no-memory"]) == code
    assert "Traceback" in capsys.readouterr().err


def test_from_exception_keeps_the_cause_and_names_the_output_not_its_temporary_file():
    exc = OSError(errno.ENOSPC, "No space left on device", "/out/.a.ru.txt.1234abcd.tmp")
    mapped = from_exception(exc, source="/out/a.ru.txt", writing=True)
    assert isinstance(mapped, OutputError) and mapped.exit_code == 7
    assert mapped.target == "/out/a.ru.txt" and mapped.__cause__ is exc and ".tmp" not in str(mapped)
    gone = from_exception(FileNotFoundError(errno.ENOENT, "No such file", "/in/a.txt"))
    assert isinstance(gone, InputError) and "deleted" in str(gone)


def test_an_output_name_near_the_limit_is_written(tmp_path):
    from kztranslate.formats import write_atomic

    name = "ә" * 123 + ".ru.txt"  # 253 bytes: fits, while its temporary name must fit too
    write_atomic(tmp_path / name, "мәтін")
    assert [p.name for p in tmp_path.iterdir()] == [name]
