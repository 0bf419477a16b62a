"""TranslationMemory: keys, post-edits, concurrency across processes, export/import, the tm CLI."""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from xml.etree import ElementTree

import pytest

from kztranslate import cli
from kztranslate.engine.base import Decoding, Translation
from kztranslate.engine.memory import (
    SCHEMA_VERSION,
    TranslationMemory,
    default_memory_path,
    memory_signature,
    normalize_segment,
    parse_pair,
)
from kztranslate.errors import FormatError, InputError, UsageError

SRC = Path(__file__).resolve().parents[1] / "src"


def signature(model="tiny-nllb", revision="abc123", beams=4, backend="transformers", **extra):
    return {
        "backend": backend, "model": model, "model_revision": revision,
        "decoding": Decoding(beams=beams).to_dict(), **extra,
    }


SIG = signature()
SEGMENTS = ["Ауа райы жылы болады.", "Жиналысқа жүз адам қатысты.", "Бағасы 500 теңге."]


def filled(memory: TranslationMemory) -> TranslationMemory:
    memory.store_many(SEGMENTS, [Translation(f"ru {i}") for i in range(3)], "kk", "ru", SIG)
    memory.store_many(SEGMENTS[:2], ["en 0", Translation("en 1", truncated=True)], "kk", "en", SIG)
    memory.store_many(SEGMENTS[:1], ["other ru 0"], "kk", "ru", signature(model="opus-mt-kk-ru", revision=None))
    memory.store_post_edit(SEGMENTS[2], "Цена — 500 тенге.", "kk", "ru", SIG)
    memory.store_post_edit(SEGMENTS[0], "Погода будет теплой.", "ru", "kk")  # another pair, no model
    return memory


def snapshot(memory: TranslationMemory) -> list:
    """Everything a lookup can see, for every key used in these tests."""
    seen = []
    for sig in (SIG, signature(model="opus-mt-kk-ru", revision=None)):
        for source, target in (("kk", "ru"), ("kk", "en"), ("ru", "kk")):
            found = memory.lookup_many(SEGMENTS, source, target, sig, record_hits=False)
            seen.append([None if t is None else (t.text, t.truncated, t.meta["origin"]) for t in found])
    return seen


# -- keys and lookups -------------------------------------------------------------------------
def test_normalize_segment_composes_and_collapses_whitespace():
    assert normalize_segment(" Мұнай\u00a0 бағасы\n\tөсті. ") == "Мұнай бағасы өсті."
    assert normalize_segment("и\u0306") == "й"
    assert normalize_segment("Ә ә ҒҚҢӨҰҮҺІ") == "Ә ә ҒҚҢӨҰҮҺІ"


def test_lookup_returns_stored_output_and_keeps_the_exact_source(tmp_path):
    memory = TranslationMemory(tmp_path / "tm.sqlite")
    memory.store_many(["Ауа  райы\nжылы."], ["Погода тёплая."], "kk", "ru", SIG)
    found = memory.lookup_many(["Ауа райы жылы.", "Басқа сөйлем."], "kk", "ru", SIG)
    assert found[0].text == "Погода тёплая." and found[0].meta == {"origin": "memory"}
    assert found[1] is None
    export = tmp_path / "out.jsonl"
    memory.export(export)
    (record,) = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    assert record["source_text"] == "Ауа  райы\nжылы."


@pytest.mark.parametrize(
    "other",
    [
        signature(beams=5),
        signature(model="opus-mt-kk-ru"),
        signature(revision="def456"),
        signature(backend="ctranslate2"),
        {**SIG, "decoding": {**SIG["decoding"], "max_new_tokens": 64}},
    ],
    ids=["beam-size", "model", "revision", "backend", "length-limit"],
)
def test_every_output_affecting_part_of_the_signature_is_in_the_key(other):
    memory = TranslationMemory(":memory:")
    memory.store_many(SEGMENTS, ["a", "b", "c"], "kk", "ru", SIG)
    assert memory.lookup_many(SEGMENTS, "kk", "ru", other) == [None, None, None]
    assert [t.text for t in memory.lookup_many(SEGMENTS, "kk", "ru", dict(SIG))] == ["a", "b", "c"]


def test_volatile_parts_are_not_in_the_key():
    memory = TranslationMemory(":memory:")
    memory.store_many(SEGMENTS, ["a", "b", "c"], "kk", "ru", signature(device="cpu", intra_threads=2))
    found = memory.lookup_many(SEGMENTS, "kk", "ru", signature(device="cuda", intra_threads=16))
    assert [t.text for t in found] == ["a", "b", "c"]
    assert memory_signature({"model": "m", "options": {"threads": 4, "compute_type": "int8"}}) == {
        "model": "m", "options": {"compute_type": "int8"},
    }


def test_the_language_pair_is_in_the_key():
    memory = TranslationMemory(":memory:")
    memory.store_many(SEGMENTS, ["a", "b", "c"], "kk", "ru", SIG)
    assert memory.lookup_many(SEGMENTS, "kk", "en", SIG) == [None, None, None]


def test_post_edit_wins_for_its_pair_whatever_the_model():
    memory = TranslationMemory(":memory:")
    memory.store_many(SEGMENTS, ["a", "b", "c"], "kk", "ru", SIG)
    memory.store_post_edit("  " + SEGMENTS[1] + " ", "Во встрече участвовали сто человек.", "kk", "ru", SIG)
    for sig in (SIG, signature(model="opus-mt-kk-ru", beams=1)):
        found = memory.lookup_many(SEGMENTS, "kk", "ru", sig)
        assert found[1].text == "Во встрече участвовали сто человек."
        assert found[1].meta["origin"] == "post_edit"
    assert memory.lookup_many(SEGMENTS[1:2], "kk", "en", SIG) == [None]
    # a newer post-edit replaces the older one; machine output stays stored underneath
    memory.store_post_edit(SEGMENTS[1], "Во встрече участвовали 100 человек.", "kk", "ru")
    assert memory.lookup_many(SEGMENTS[1:2], "kk", "ru", SIG)[0].text == "Во встрече участвовали 100 человек."
    assert memory.stats()["entries"] == 3 and memory.stats()["post_edits"] == 1


def test_empty_post_edit_is_refused():
    with pytest.raises(UsageError):
        TranslationMemory(":memory:").store_post_edit("Сөйлем.", "  ", "kk", "ru")


def test_truncated_flag_is_stored_and_returned():
    memory = TranslationMemory(":memory:")
    memory.store_many(SEGMENTS[:2], [Translation("cut", truncated=True), Translation("whole")], "kk", "ru", SIG)
    found = memory.lookup_many(SEGMENTS[:2], "kk", "ru", SIG)
    assert [(t.text, t.truncated) for t in found] == [("cut", True), ("whole", False)]


def test_hits_are_recorded():
    memory = filled(TranslationMemory(":memory:"))
    assert memory.stats()["hits"] == 0
    memory.lookup_many(SEGMENTS, "kk", "ru", SIG)
    memory.lookup_many(SEGMENTS[:1], "kk", "ru", SIG)
    memory.lookup_many(SEGMENTS, "kk", "ru", SIG, record_hits=False)
    assert memory.stats()["hits"] == 4  # 3 + 1; the post-edit of segment 2 counts as its hit


def test_stats_by_pair_and_model(tmp_path):
    memory = filled(TranslationMemory(tmp_path / "tm.sqlite"))
    stats = memory.stats()
    assert (stats["entries"], stats["post_edits"], stats["truncated"], stats["profiles"]) == (6, 2, 1, 2)
    assert stats["by_pair"] == {
        "kk-en": {"entries": 2, "post_edits": 0},
        "kk-ru": {"entries": 4, "post_edits": 1},
        "ru-kk": {"entries": 0, "post_edits": 1},
    }
    assert stats["by_model"] == {"opus-mt-kk-ru": 1, "tiny-nllb": 5}
    assert stats["size_bytes"] > 0 and stats["schema_version"] == SCHEMA_VERSION


# -- clear, export, import --------------------------------------------------------------------
def test_clear_by_model_keeps_post_edits_and_other_models():
    memory = filled(TranslationMemory(":memory:"))
    assert memory.clear(model="tiny-nllb") == 5
    stats = memory.stats()
    assert (stats["entries"], stats["post_edits"], stats["by_model"]) == (1, 2, {"opus-mt-kk-ru": 1})


def test_clear_by_pair_includes_its_post_edits():
    memory = filled(TranslationMemory(":memory:"))
    assert memory.clear(pair="kk-ru") == 5
    assert memory.stats()["by_pair"] == {"kk-en": {"entries": 2, "post_edits": 0},
                                         "ru-kk": {"entries": 0, "post_edits": 1}}
    assert memory.clear(model="tiny-nllb", pair=("kk", "en")) == 2
    assert memory.clear() == 1
    assert memory.stats()["entries"] == memory.stats()["post_edits"] == memory.stats()["profiles"] == 0


def test_parse_pair():
    assert parse_pair("kk-ru") == ("kk", "ru")
    assert parse_pair("kk-Latn-en") == ("kk-Latn", "en")
    assert parse_pair("RU:kk") == ("ru", "kk")
    with pytest.raises(UsageError, match="kk-ru"):
        parse_pair("kazakh")


def test_export_clear_import_round_trip(tmp_path):
    memory = filled(TranslationMemory(tmp_path / "tm.sqlite"))
    memory.lookup_many(SEGMENTS, "kk", "ru", SIG)
    before, stats_before = snapshot(memory), memory.stats()
    dump = tmp_path / "memory.jsonl"

    assert memory.export(dump) == 8
    assert memory.clear() == 8
    assert all(row == [None, None, None] for row in snapshot(memory))
    assert memory.import_(dump) == 8

    assert snapshot(memory) == before
    after = memory.stats()
    for key in ("entries", "post_edits", "truncated", "hits", "by_pair", "by_model", "profiles"):
        assert after[key] == stats_before[key], key
    # importing twice replaces, never duplicates
    memory.import_(dump)
    assert memory.stats()["entries"] == 6


def test_tmx_export_clear_import_round_trip(tmp_path):
    memory = filled(TranslationMemory(tmp_path / "tm.sqlite"))
    memory.lookup_many(SEGMENTS, "kk", "ru", SIG)
    before, stats_before = snapshot(memory), memory.stats()
    dump = tmp_path / "memory.tmx"

    assert memory.export(dump) == 8
    root = ElementTree.parse(dump).getroot()
    assert root.tag == "tmx" and len(root.findall("body/tu")) == 8
    memory.clear()
    assert memory.import_(dump) == 8

    assert snapshot(memory) == before
    for key in ("entries", "post_edits", "truncated", "hits", "by_pair", "by_model"):
        assert memory.stats()[key] == stats_before[key], key


def test_a_tmx_from_another_tool_is_imported_as_post_edits(tmp_path):
    dump = tmp_path / "newsroom.tmx"
    dump.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header srclang="kk-KZ" datatype="plaintext" segtype="sentence" adminlang="en"
  creationtool="SomeCAT" creationtoolversion="1" o-tmf="x"/>
<body>
  <tu><tuv xml:lang="kk-KZ"><seg>Ауа райы <bpt i="1">&lt;b&gt;</bpt>жылы<ept i="1">&lt;/b&gt;</ept> болады.</seg></tuv>
      <tuv xml:lang="ru-RU"><seg>Погода будет тёплой.</seg></tuv>
      <tuv xml:lang="en-US"><seg>The weather will be warm.</seg></tuv>
      <tuv xml:lang="de-DE"><seg>Das Wetter wird warm.</seg></tuv></tu>
  <tu srclang="ru-RU"><tuv xml:lang="ru-RU"><seg>Цена выросла.</seg></tuv>
      <tuv xml:lang="kk-KZ"><seg>Бағасы өсті.</seg></tuv></tu>
</body></tmx>""",
        encoding="utf-8",
    )
    memory = TranslationMemory(":memory:")
    assert memory.import_(dump) == 3  # kk→ru, kk→en, ru→kk; German is not a kztranslate language
    found = memory.lookup_many(["Ауа райы жылы болады."], "kk", "en", signature(model="any"))
    assert (found[0].text, found[0].meta["origin"]) == ("The weather will be warm.", "post_edit")
    assert memory.lookup_many(["Цена выросла."], "ru", "kk", SIG)[0].text == "Бағасы өсті."


def test_a_broken_tmx_is_a_format_error(tmp_path):
    dump = tmp_path / "broken.tmx"
    dump.write_text("<tmx><body><tu>", encoding="utf-8")
    with pytest.raises(FormatError, match="TMX"):
        TranslationMemory(":memory:").import_(dump)
    with pytest.raises(UsageError, match="jsonl, tmx"):
        TranslationMemory(":memory:").export(tmp_path / "x", format="csv")


def test_import_rejects_a_malformed_line_and_writes_nothing(tmp_path):
    dump = tmp_path / "bad.jsonl"
    good = {"type": "post_edit", "source_language": "kk", "target_language": "ru",
            "source_text": "Сәлем.", "target_text": "Привет.", "signature": None}
    dump.write_text(json.dumps(good, ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    memory = TranslationMemory(":memory:")
    with pytest.raises(FormatError) as caught:
        memory.import_(dump)
    assert caught.value.line == 2
    assert memory.stats()["post_edits"] == 0


# -- files, schema, errors --------------------------------------------------------------------
def test_default_path_is_the_user_cache_dir_and_the_env_var_overrides_it(monkeypatch, tmp_path):
    from platformdirs import user_cache_dir

    monkeypatch.delenv("KZTRANSLATE_TM", raising=False)
    assert default_memory_path() == Path(user_cache_dir("kztranslate")) / "memory.sqlite"
    monkeypatch.setenv("KZTRANSLATE_TM", str(tmp_path / "env.sqlite"))
    memory = TranslationMemory()
    memory.store_many(SEGMENTS[:1], ["x"], "kk", "ru", SIG)
    assert memory.path == tmp_path / "env.sqlite" and memory.path.exists()
    assert TranslationMemory(tmp_path / "arg.sqlite").path == tmp_path / "arg.sqlite"


def test_file_runs_in_wal_mode_with_a_schema_version(tmp_path):
    path = tmp_path / "tm.sqlite"
    TranslationMemory(path).store_many(SEGMENTS[:1], ["x"], "kk", "ru", SIG)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "tm.sqlite"
    TranslationMemory(path).stats()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(UsageError, match="newer"):
        TranslationMemory(path).stats()


def test_a_file_that_is_not_a_database_is_an_input_error(tmp_path):
    path = tmp_path / "tm.sqlite"
    path.write_bytes(b"this is not sqlite at all, just text " * 200)
    with pytest.raises(InputError, match="--memory"):
        TranslationMemory(path).stats()


# -- several processes ------------------------------------------------------------------------
ROWS = 300


def _writer(path: str, worker: int, step) -> None:
    """Writes ROWS rows of its own and UPSERTs ROWS shared keys, 10 per transaction; ``step`` is a
    barrier that releases every writer at once before each transaction, so they really collide."""
    shared = [f"Ортақ сөйлем {i}." for i in range(ROWS)]
    own = [f"Жазушы {worker}, сөйлем {i}." for i in range(ROWS)]
    try:
        step.wait(60)
        memory = TranslationMemory(path)  # all open a brand-new file at once, too
        for i in range(0, ROWS, 10):
            step.wait(60)
            memory.store_many(own[i:i + 10], [f"w{worker} {k}" for k in range(i, i + 10)], "kk", "ru", SIG)
            memory.store_many(shared[i:i + 10], [f"shared {k} by {worker}" for k in range(i, i + 10)], "kk", "en", SIG)
            memory.lookup_many(shared[i:i + 10], "kk", "en", SIG)
            if i % 50 == 0:
                memory.store_post_edit(shared[i], f"edited {i}", "kk", "ru")
        memory.close()
    except BaseException:
        step.abort()  # release the other writers at once
        raise


def test_concurrent_processes_keep_the_memory_consistent(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    context = multiprocessing.get_context("spawn")  # fresh interpreters: nothing shared but the file
    step = context.Barrier(3)
    workers = [context.Process(target=_writer, args=(path, w, step)) for w in (1, 2)]
    for process in workers:
        process.start()
    try:
        _writer(path, 0, step)  # this process writes at the same time
    finally:
        for process in workers:
            process.join(120)
    assert [process.exitcode for process in workers] == [0, 0]

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    memory = TranslationMemory(path)
    stats = memory.stats()
    assert stats["entries"] == 3 * ROWS + ROWS and stats["post_edits"] == ROWS // 50
    assert stats["hits"] == 3 * ROWS  # every process found all 10 shared rows after each of its writes
    for worker in (0, 1, 2):
        own = [f"Жазушы {worker}, сөйлем {i}." for i in range(ROWS)]
        assert [t.text for t in memory.lookup_many(own, "kk", "ru", SIG)] == [f"w{worker} {i}" for i in range(ROWS)]
    shared = memory.lookup_many([f"Ортақ сөйлем {i}." for i in range(ROWS)], "kk", "en", SIG)
    assert all(t.text in {f"shared {i} by {w}" for w in (0, 1, 2)} for i, t in enumerate(shared))


def test_opening_a_file_another_connection_is_still_creating_waits_for_it(tmp_path):
    """The switch to WAL fails at once (no busy wait in SQLite) while another writer holds a
    fresh, rollback-journal file; the memory must wait for it rather than fail."""
    path = tmp_path / "fresh.sqlite"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE other_tool (x)")
    release = threading.Timer(0.3, holder.execute, ("COMMIT",))
    release.start()
    try:
        memory = TranslationMemory(path, busy_timeout=10)
        memory.store_many(SEGMENTS[:1], ["x"], "kk", "ru", SIG)
    finally:
        release.join()
        holder.close()
    assert memory.lookup_many(SEGMENTS[:1], "kk", "ru", SIG)[0].text == "x"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_opens_its_own_connection(tmp_path):
    memory = TranslationMemory(tmp_path / "tm.sqlite")
    memory.store_many(SEGMENTS[:1], ["parent"], "kk", "ru", SIG)  # connection open before the fork
    child = multiprocessing.get_context("fork").Process(
        target=memory.store_many, args=(SEGMENTS[1:2], ["child"], "kk", "ru", SIG)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert [t.text for t in memory.lookup_many(SEGMENTS[:2], "kk", "ru", SIG)] == ["parent", "child"]


# -- command line -----------------------------------------------------------------------------
@pytest.fixture
def tm_cli(monkeypatch):
    """``kztranslate tm ...`` through the real dispatcher. Only the tm command is registered, as
    the other subcommand modules come from other branches."""
    monkeypatch.setattr(cli, "COMMANDS", ["tm"])
    return lambda *argv: cli.main(["tm", *map(str, argv)])


def test_tm_is_a_listed_command():
    assert "tm" in cli.COMMANDS


def test_cli_stats_export_clear_import(tm_cli, tmp_path, capsys):
    path = tmp_path / "tm.sqlite"
    filled(TranslationMemory(path)).close()
    dump = tmp_path / "dump.jsonl"

    assert tm_cli("stats", "--json", "--memory", path) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == 6
    assert tm_cli("--memory", path, "stats") == 0
    text = capsys.readouterr().out
    assert "post-edits  2" in text and "kk-ru: 4 entries, 1 post-edits" in text and "tiny-nllb: 5 entries" in text

    assert tm_cli("export", dump, "--memory", path) == 0
    assert "exported 8 entries" in capsys.readouterr().out
    assert tm_cli("clear", "--model", "opus-mt-kk-ru", "--memory", path) == 0
    assert "removed 1 entries" in capsys.readouterr().out
    assert tm_cli("clear", "--pair", "kk-en", "--memory", path) == 0
    assert "removed 2 entries" in capsys.readouterr().out
    assert tm_cli("clear", "--memory", path) == 0
    assert TranslationMemory(path).stats()["entries"] == 0
    assert tm_cli("import", dump, "--memory", path) == 0
    assert "imported 8 entries" in capsys.readouterr().out
    assert TranslationMemory(path).stats()["entries"] == 6


@pytest.mark.parametrize("fmt", ["jsonl", "tmx"])
def test_cli_exports_to_stdout_and_imports_from_stdin(tmp_path, fmt):
    """``tm export - | tm import -`` moves a memory through a real pipe, the count on stderr."""
    source, copy = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    filled(TranslationMemory(source)).close()
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "kztranslate", "tm"]
    out = subprocess.run([*command, "export", "-", "--format", fmt, "--memory", str(source)],
                         capture_output=True, env=env, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert "exported 8 entries to standard output" in out.stderr.decode()
    assert out.stdout.startswith(b"<?xml" if fmt == "tmx" else b"{")
    back = subprocess.run([*command, "import", "-", "--format", fmt, "--memory", str(copy)],
                          input=out.stdout, capture_output=True, env=env, timeout=120, check=False)
    assert back.returncode == 0, back.stderr
    assert "imported 8 entries from standard input" in back.stdout.decode()
    with TranslationMemory(source) as a, TranslationMemory(copy) as b:
        assert {k: v for k, v in a.stats().items() if k not in ("path", "size_bytes")} == \
            {k: v for k, v in b.stats().items() if k not in ("path", "size_bytes")}


def test_cli_uses_the_env_var_and_reports_usage_errors(tm_cli, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KZTRANSLATE_TM", str(tmp_path / "env.sqlite"))
    assert tm_cli("stats", "--json") == 0
    assert json.loads(capsys.readouterr().out)["path"] == str(tmp_path / "env.sqlite")
    assert tm_cli("clear", "--pair", "kk-xx") == 2
    assert "kk-ru" in capsys.readouterr().err
    assert tm_cli() == 2
    assert "stats, export, import, clear" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[]\n", encoding="utf-8")
    assert tm_cli("import", bad) == 3


def test_cli_as_a_subprocess(tmp_path):
    """The installed entry point shape: ``python -m kztranslate tm stats``."""
    for name in cli.COMMANDS:
        importlib.import_module(f"kztranslate.cli.{name}")
    env = {**os.environ, "PYTHONPATH": str(SRC), "KZTRANSLATE_TM": str(tmp_path / "tm.sqlite")}
    done = subprocess.run(
        [sys.executable, "-m", "kztranslate", "tm", "stats", "--json"], env=env, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["entries"] == 0
