"""The translation memory never serves a damaged entry and never silently replaces a damaged file."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from doubles import CountingBackend
from kztranslate.document import Article, Block
from kztranslate.engine.base import Translation
from kztranslate.engine.memory import SCHEMA_VERSION, TranslationMemory
from kztranslate.errors import InputError
from kztranslate.pipeline import Translator

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}
SIGNATURE = {"backend": "counting", "model": "m", "decoding": {"beams": 1}}
SOURCE = "Астанада жаңа мектеп ашылды."
OUTPUT = "В Астане открылась новая школа."


def _tm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kztranslate", "tm", *args], env=ENV, capture_output=True,
                          text=True, timeout=60)


def _flip_byte_of(path: Path, needle: str) -> None:
    data = bytearray(path.read_bytes())
    at = data.find(needle.encode("utf-8"))
    assert at >= 0, "the entry is not in the main database file"
    data[at + 3] ^= 0x01  # one byte of "Астане" → another Cyrillic letter; SQLite still reads the row
    path.write_bytes(bytes(data))


def test_a_changed_byte_in_an_entry_is_never_served_but_dropped_and_retranslated(tmp_path, caplog):
    path = tmp_path / "memory.sqlite"
    with TranslationMemory(path) as memory:
        memory.store_many([SOURCE], [Translation(OUTPUT)], "kk", "ru", SIGNATURE)
        memory.store_post_edit("Бұл түзету.", "Это правка.", "kk", "ru")
    _flip_byte_of(path, OUTPUT)
    with caplog.at_level(logging.WARNING, logger="kztranslate.memory"), TranslationMemory(path) as memory:
        report = memory.check()
        assert report["integrity"] == ["ok"] and report["entries"] == 2 and len(report["damaged"]) == 1
        hit, edit = memory.lookup_many([SOURCE, "Бұл түзету."], "kk", "ru", SIGNATURE)
        assert hit is None and edit is not None and edit.text == "Это правка."
        assert memory.dropped == 1 and memory.check()["damaged"] == []
    assert "checksum" in caplog.text and "translated again" in caplog.text


def test_the_pipeline_retranslates_a_damaged_entry(tmp_path):
    path = tmp_path / "memory.sqlite"
    article = Article(language="kk", blocks=[Block("paragraph", "Астанада жаңа мектеп ашылды бүгін.")])
    backend = CountingBackend()
    with TranslationMemory(path) as memory:
        Translator(backend, memory=memory).translate(article, ["ru"])
    first = backend.sent[:]
    expected = backend.expected(first[0], "ru").text
    _flip_byte_of(path, expected.split()[0])  # "ru:бүгін.": only in the stored output
    with TranslationMemory(path) as memory:
        variant = Translator(backend, memory=memory).translate(article, ["ru"])["ru"]
    assert backend.sent == first + first  # sent to the model again, not served from the damaged entry
    assert variant.blocks[0].text == expected


def test_tm_check_reports_and_drops_damaged_entries(tmp_path):
    path = tmp_path / "memory.sqlite"
    with TranslationMemory(path) as memory:
        memory.store_many([SOURCE, "Екінші сөйлем."], [OUTPUT, "Второе предложение."], "kk", "ru", SIGNATURE)
    assert _tm("check", "--memory", str(path)).returncode == 0
    _flip_byte_of(path, OUTPUT)
    found = _tm("check", "--memory", str(path))
    assert found.returncode == 3 and "1 failing their checksum" in found.stdout and "--drop" in found.stderr
    assert "Traceback" not in found.stderr
    dropped = _tm("check", "--drop", "--memory", str(path))
    assert dropped.returncode == 0 and "1 dropped" in dropped.stdout
    with TranslationMemory(path) as memory:
        assert memory.stats()["entries"] == 1


def test_a_zero_byte_memory_is_refused_not_reset(tmp_path):
    path = tmp_path / "memory.sqlite"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty \(0 bytes.*backup"):
        TranslationMemory(path).stats()
    assert path.stat().st_size == 0
    done = _tm("stats", "--memory", str(path))
    assert done.returncode == 3 and "empty (0 bytes)" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("kind", ["other-database", "not-a-database"])
def test_a_foreign_file_is_refused_and_left_as_it_was(tmp_path, kind):
    path = tmp_path / "memory.sqlite"
    if kind == "other-database":
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE invoices (id INTEGER, total REAL)")
            conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
        conn.close()
    else:
        path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    before = path.read_bytes()
    with pytest.raises(InputError) as caught:
        TranslationMemory(path).lookup_many([SOURCE], "kk", "ru", SIGNATURE)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before
    done = _tm("stats", "--memory", str(path))
    assert done.returncode == 3 and "Traceback" not in done.stderr


def test_a_version_1_file_gets_checksums_on_open(tmp_path):
    path = tmp_path / "memory.sqlite"
    with TranslationMemory(path) as memory:
        memory.store_many([SOURCE], [OUTPUT], "kk", "ru", SIGNATURE)
    with sqlite3.connect(path) as conn:  # back to the version 1 layout, as an older kztranslate wrote it
        conn.execute("ALTER TABLE segments DROP COLUMN checksum")
        conn.execute("ALTER TABLE post_edits DROP COLUMN checksum")
        conn.execute("UPDATE schema_version SET version = 1")
    conn.close()
    with TranslationMemory(path) as memory:
        assert memory.stats()["schema_version"] == SCHEMA_VERSION == 2
        assert memory.lookup_many([SOURCE], "kk", "ru", SIGNATURE)[0].text == OUTPUT
        assert memory.check()["damaged"] == []


def test_output_sqlite_cannot_hold_is_not_remembered(tmp_path):
    with TranslationMemory(tmp_path / "memory.sqlite") as memory:
        assert memory.store_many([SOURCE, "Екінші."], [OUTPUT + "\ud800", "Второе."], "kk", "ru", SIGNATURE) == 1
        assert memory.lookup_many([SOURCE], "kk", "ru", SIGNATURE) == [None]
