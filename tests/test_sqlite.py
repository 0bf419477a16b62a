"""The shared SQLite layer: WAL, busy waits, migrations, error mapping, and files of earlier releases."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from kztranslate._sqlite import Database, Schema, map_error, run_script, schema_version
from kztranslate.batch import MANIFEST_NAME, BatchItem, Manifest
from kztranslate.engine.base import Translation
from kztranslate.engine.memory import (
    TranslationMemory,
    entry_checksum,
    normalize_segment,
)
from kztranslate.errors import (
    InputError,
    KZTranslateError,
    OutputError,
    UsageError,
    from_exception,
)
from kztranslate.service.store import Store


def _log_step(number: int):
    def step(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS steps (number INTEGER, at REAL)")
        conn.execute("INSERT INTO steps VALUES (?, ?)", (number, time.monotonic()))

    return step


def _schema(steps: int, **extra) -> Schema:
    return Schema(name="test store", tables=frozenset({"steps"}), migrations=[_log_step(n) for n in range(steps)],
                  elsewhere="choose another test file", **extra)


def _steps(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        found = [row[0] for row in conn.execute("SELECT number FROM steps ORDER BY rowid")]
    conn.close()
    return found


# -- connect ----------------------------------------------------------------------------------------
def test_a_file_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    conn = Database(tmp_path / "sub" / "a.sqlite", _schema(1), busy_timeout=7).connect()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 7000
    assert conn.isolation_level is None  # transactions are explicit
    conn.close()
    with sqlite3.connect(tmp_path / "sub" / "a.sqlite") as other:  # WAL is a property of the file
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()


def test_a_private_database_in_ram_is_migrated_too():
    conn = Database(":memory:", _schema(2)).connect()
    assert [row[0] for row in conn.execute("SELECT number FROM steps")] == [0, 1]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2


def test_the_switch_to_wal_waits_for_a_writer_holding_a_new_file(tmp_path):
    """SQLite refuses the switch at once (no busy wait) while another connection writes a file
    in rollback-journal mode; connect retries until that writer is done."""
    path = tmp_path / "fresh.sqlite"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE steps (number INTEGER, at REAL)")
    release = threading.Timer(0.3, holder.execute, ("COMMIT",))
    started = time.monotonic()
    release.start()
    try:
        conn = Database(path, _schema(1), busy_timeout=10).connect()
    finally:
        release.join()
        holder.close()
    assert time.monotonic() - started >= 0.25
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_writer_waits_for_another_connections_transaction(tmp_path):
    database = Database(tmp_path / "a.sqlite", _schema(1), busy_timeout=10)
    first, second = database.connect(), database.connect()
    first.execute("BEGIN IMMEDIATE")
    first.execute("INSERT INTO steps VALUES (100, 0)")
    release = threading.Timer(0.3, first.execute, ("COMMIT",))
    started = time.monotonic()
    release.start()
    try:
        with database.transaction(second) as conn:
            conn.execute("INSERT INTO steps VALUES (101, 0)")
    finally:
        release.join()
    assert time.monotonic() - started >= 0.25
    assert _steps(tmp_path / "a.sqlite") == [0, 100, 101]


def test_a_writer_that_waits_too_long_gets_a_busy_error_naming_the_file(tmp_path):
    path = tmp_path / "a.sqlite"
    holder = Database(path, _schema(1)).connect()
    holder.execute("BEGIN IMMEDIATE")
    database = Database(path, _schema(1), busy_timeout=0.2)
    waiter = database.connect()
    with pytest.raises(InputError) as caught, database.errors(), database.transaction(waiter) as conn:
        conn.execute("INSERT INTO steps VALUES (1, 0)")
    message = str(caught.value)
    assert message.startswith(str(path)) and "busy for 0.2 s" in message and "busy_timeout" in message
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    holder.execute("ROLLBACK")
    assert not waiter.in_transaction


def test_a_transaction_rolls_back_on_any_error(tmp_path):
    database = Database(tmp_path / "a.sqlite", _schema(1))
    conn = database.connect()
    with pytest.raises(KeyError), database.transaction(conn) as tx:
        tx.execute("INSERT INTO steps VALUES (7, 0)")
        raise KeyError("stop")
    assert not conn.in_transaction and _steps(tmp_path / "a.sqlite") == [0]


# -- migrations -------------------------------------------------------------------------------------
def test_migrations_run_once_and_in_order(tmp_path):
    path = tmp_path / "a.sqlite"
    Database(path, _schema(3)).connect().close()
    assert _steps(path) == [0, 1, 2]
    Database(path, _schema(3)).connect().close()
    assert _steps(path) == [0, 1, 2]  # nothing ran again
    Database(path, _schema(5)).connect().close()  # a newer release adds two steps
    assert _steps(path) == [0, 1, 2, 3, 4]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
    conn.close()


def test_connections_opening_a_new_file_at_once_migrate_it_once(tmp_path):
    path = tmp_path / "a.sqlite"
    Database(path, _schema(0)).connect().close()  # the file exists, in WAL mode, at version 0
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Database(path, _schema(4), busy_timeout=30).connect().close()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert _steps(path) == [0, 1, 2, 3]


def test_a_failing_step_leaves_the_file_as_it_was(tmp_path):
    path = tmp_path / "a.sqlite"
    Database(path, _schema(1)).connect().close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO steps VALUES (99, 0)")
        raise RuntimeError("step failed")

    schema = Schema(name="test store", tables=frozenset({"steps"}),
                    migrations=[_log_step(0), _log_step(1), broken])
    with pytest.raises(RuntimeError):
        Database(path, schema).connect()
    assert _steps(path) == [0]  # step 1 and the failed step's row were rolled back together
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_a_file_newer_than_the_code_is_refused_untouched(tmp_path):
    path = tmp_path / "a.sqlite"
    Database(path, _schema(3)).connect().close()
    before = path.read_bytes()
    with pytest.raises(UsageError) as caught:
        Database(path, _schema(2)).connect()
    message = str(caught.value)
    assert str(path) in message and "schema version 3" in message and "(2)" in message
    assert "upgrade kztranslate" in message and "choose another test file" in message
    assert path.read_bytes() == before


def test_a_version_table_of_older_files_is_read_and_kept_in_step(tmp_path):
    path = tmp_path / "a.sqlite"
    with sqlite3.connect(path) as conn:  # as a release before user_version wrote it: version 1 in a table
        conn.execute("CREATE TABLE steps (number INTEGER, at REAL)")
        conn.execute("INSERT INTO steps VALUES (0, 0)")
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.close()
    schema = _schema(3, version_table="schema_version")
    conn = Database(path, schema).connect()
    assert _steps(path) == [0, 1, 2]
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(3,)]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3 == schema_version(conn, schema)
    conn.close()


def test_run_script_keeps_the_callers_transaction_open(tmp_path):
    conn = Database(tmp_path / "a.sqlite", _schema(1)).connect()
    conn.execute("BEGIN IMMEDIATE")
    run_script(conn, "CREATE TABLE a (x TEXT DEFAULT 'a;b'); -- a comment; with a semicolon\n"
                     "CREATE INDEX a_x ON a (x);\nINSERT INTO a VALUES ('1;2')")
    assert conn.in_transaction
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT name FROM sqlite_master WHERE name IN ('a', 'a_x')").fetchall() == []


def test_a_foreign_database_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "a.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER, total REAL)")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(InputError, match=r"not a kztranslate test store .it holds the tables invoices.") as caught:
        Database(path, _schema(1)).connect()
    assert str(caught.value).startswith(str(path))
    assert path.read_bytes() == before


# -- errors -----------------------------------------------------------------------------------------
def _corrupt(path: Path) -> sqlite3.Error:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE steps (number INTEGER, at REAL)")
        conn.executemany("INSERT INTO steps VALUES (?, 0)", [(n,) for n in range(2000)])
    conn.close()
    data = bytearray(path.read_bytes())
    data[4096:4112] = b"\xff" * 16  # the table's root page header
    path.write_bytes(bytes(data))
    try:
        sqlite3.connect(path).execute("SELECT SUM(number) FROM steps").fetchone()
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("the damaged file was read without an error")


def _full(path: Path) -> sqlite3.Error:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA max_page_count = 3")
    try:
        conn.execute("CREATE TABLE steps (number INTEGER, at TEXT)")
        conn.executemany("INSERT INTO steps VALUES (1, ?)", [("x" * 1000,)] * 100)
        conn.commit()
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("the database did not fill up")


def _readonly(path: Path) -> sqlite3.Error:
    Database(path, _schema(1)).connect().close()
    try:
        sqlite3.connect(f"file:{path}?mode=ro", uri=True).execute("INSERT INTO steps VALUES (1, 0)")
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("a read-only connection wrote")


def _not_a_database(path: Path) -> sqlite3.Error:
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    try:
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master")
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("a PDF opened as a database")


def _cannot_open(path: Path) -> sqlite3.Error:
    path.mkdir()
    try:
        sqlite3.connect(path).execute("SELECT 1")
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("a directory opened as a database")


@pytest.mark.parametrize(
    ("make", "kind", "code", "words"),
    [
        (_full, OutputError, "SQLITE_FULL", ["is full", "free some space"]),
        (_readonly, OutputError, "SQLITE_READONLY", ["cannot be written", "writable"]),
        (_corrupt, InputError, "SQLITE_CORRUPT", ["damaged", "backup"]),
        (_not_a_database, InputError, "SQLITE_NOTADB", ["not a usable test store", "move it aside"]),
        (_cannot_open, InputError, "SQLITE_CANTOPEN", ["cannot open", "directory exists"]),
    ],
)
def test_real_sqlite_errors_map_to_ours_naming_the_file_and_the_fix(tmp_path, make, kind, code, words):
    path = tmp_path / "a.sqlite"
    exc = make(path)
    assert exc.sqlite_errorname == code
    mapped = map_error(exc, database=str(path), name="test store", elsewhere="choose another test file")
    assert type(mapped) is kind and str(mapped).startswith(f"{path}: ")
    for word in words:
        assert word in str(mapped)
    assert len(str(mapped)) < 300 and "\n" not in str(mapped)
    # the same error without its code (as a library builds it) maps by its words
    bare = type(exc)(str(exc))
    assert type(map_error(bare, database=str(path))) is kind
    # and the faces' mapper uses the same table
    assert type(from_exception(exc, source=str(path))) is kind


def test_opening_an_unusable_file_raises_our_error_never_sqlite3(tmp_path):
    junk = tmp_path / "junk.sqlite"
    _not_a_database(junk)
    with pytest.raises(InputError) as caught:
        Database(junk, _schema(1)).connect()
    assert str(caught.value).startswith(str(junk)) and isinstance(caught.value.__cause__, sqlite3.DatabaseError)
    with pytest.raises(KZTranslateError):
        Database(tmp_path, _schema(1)).connect()  # a directory


def test_unknown_sqlite_errors_still_become_ours():
    mapped = map_error(sqlite3.OperationalError("no such table: x"), database="/data/a.sqlite")
    assert isinstance(mapped, InputError) and "cannot use the database file" in str(mapped)
    mapped = map_error(sqlite3.IntegrityError("UNIQUE constraint failed: t.x"), database="/data/a.sqlite")
    assert isinstance(mapped, InputError) and str(mapped).startswith("/data/a.sqlite: ")


# -- files written by earlier releases keep opening -------------------------------------------------
# The layouts below are the files the releases before the shared SQLite layer wrote, byte for
# byte in SQL: they must open with every row readable, and be left usable by those releases.
_MEMORY_V2 = """
CREATE TABLE profiles (id INTEGER PRIMARY KEY AUTOINCREMENT, fingerprint TEXT NOT NULL UNIQUE,
    signature TEXT NOT NULL, backend TEXT, model TEXT, model_revision TEXT);
CREATE TABLE segments (profile INTEGER NOT NULL REFERENCES profiles(id), source_language TEXT NOT NULL,
    target_language TEXT NOT NULL, source_key TEXT NOT NULL, source_text TEXT NOT NULL, target_text TEXT NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 0, last_hit TEXT,
    PRIMARY KEY (profile, source_language, target_language, source_key)) WITHOUT ROWID;
CREATE INDEX segments_by_pair ON segments (source_language, target_language);
CREATE TABLE post_edits (source_language TEXT NOT NULL, target_language TEXT NOT NULL, source_key TEXT NOT NULL,
    source_text TEXT NOT NULL, target_text TEXT NOT NULL, profile INTEGER REFERENCES profiles(id),
    created TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 0, last_hit TEXT,
    PRIMARY KEY (source_language, target_language, source_key)) WITHOUT ROWID;
CREATE TABLE schema_version (version INTEGER NOT NULL);
ALTER TABLE segments ADD COLUMN checksum TEXT;
ALTER TABLE post_edits ADD COLUMN checksum TEXT;
INSERT INTO schema_version VALUES (2);
"""


def test_a_memory_written_before_the_shared_layer_opens_and_serves_its_entries(tmp_path):
    path = tmp_path / "memory.sqlite"
    signature = {"backend": "pseudo", "model": "pseudo", "threads": 4}
    canonical = json.dumps({"backend": "pseudo", "model": "pseudo"}, sort_keys=True, separators=(",", ":"))
    source, output, edited = "Алматыда қар жауды.", "В Алматы выпал снег.", "Ертең күн ашық болады."
    key = normalize_segment(source)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(_MEMORY_V2)
        conn.execute("INSERT INTO profiles (fingerprint, signature, backend, model) VALUES (?, ?, 'pseudo', 'pseudo')",
                     (hashlib.sha256(canonical.encode()).hexdigest(), canonical))
        conn.execute("INSERT INTO segments VALUES (1, 'kk', 'ru', ?, ?, ?, 0, '2026-01-01T00:00:00+00:00', 3, NULL, ?)",
                     (key, source, output, entry_checksum("segment", 1, "kk", "ru", key, source, output, 0)))
        conn.execute("INSERT INTO post_edits VALUES ('kk', 'en', ?, ?, 'Tomorrow will be sunny.', NULL, "
                     "'2026-01-01T00:00:00+00:00', 0, NULL, ?)",
                     (edited, edited, entry_checksum("post_edit", None, "kk", "en", edited, edited,
                                                     "Tomorrow will be sunny.", 0)))
    conn.close()
    with TranslationMemory(path) as memory:
        assert memory.lookup_many([source], "kk", "ru", signature) == [Translation(output, False, {"origin": "memory"})]
        assert memory.lookup_many([edited], "kk", "en", signature)[0].text == "Tomorrow will be sunny."
        report = memory.check()
        assert report["integrity"] == ["ok"] and report["entries"] == 2 and report["damaged"] == []
        memory.store_many(["Жаңа сөйлем."], ["Новое предложение."], "kk", "ru", signature)
    with sqlite3.connect(path) as conn:  # still what the earlier release reads as its own version 2
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
        assert conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 2
    conn.close()


_STORE_V1 = """
CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, salt BLOB NOT NULL, hash BLOB NOT NULL,
    created REAL NOT NULL, revoked REAL, rate_per_second REAL, rate_burst INTEGER, max_request_bytes INTEGER);
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, key_id TEXT, status TEXT NOT NULL, targets TEXT NOT NULL,
    source TEXT, total INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_expires REAL,
    created REAL NOT NULL, updated REAL NOT NULL, finished REAL);
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs(status, created);
CREATE TABLE IF NOT EXISTS job_articles (job_id TEXT NOT NULL REFERENCES jobs(id), idx INTEGER NOT NULL,
    format TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (job_id, idx));
CREATE TABLE IF NOT EXISTS job_results (job_id TEXT NOT NULL REFERENCES jobs(id), idx INTEGER NOT NULL,
    ok INTEGER NOT NULL, variants TEXT, error TEXT, attempt INTEGER NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (job_id, idx));
"""
_STORE_COMPAT = """
CREATE TABLE IF NOT EXISTS key_quotas (key_id TEXT PRIMARY KEY, character_limit INTEGER,
    character_count INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS glossaries (id TEXT PRIMARY KEY, key_id TEXT NOT NULL, name TEXT NOT NULL,
    dictionaries TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS glossaries_owner ON glossaries(key_id, created);
"""


@pytest.mark.parametrize("with_compat_tables", [True, False], ids=["latest", "before-compat-routes"])
def test_a_service_database_written_before_the_shared_layer_opens_with_its_keys_and_jobs(tmp_path,
                                                                                        with_compat_tables):
    path = tmp_path / "service.sqlite"
    salt = b"0123456789abcdef"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(_STORE_V1 + (_STORE_COMPAT if with_compat_tables else ""))
        conn.execute("INSERT INTO api_keys VALUES ('abcd1234', 'cms', ?, ?, 1.0, NULL, 5.0, 10, NULL)",
                     (salt, hashlib.sha256(salt + b"s3cret").digest()))
        conn.execute("INSERT INTO jobs (id, key_id, status, targets, source, total, created, updated) "
                     "VALUES ('job1', 'abcd1234', 'queued', '[\"ru\"]', 'kk', 2, 1.0, 1.0)")
        conn.executemany("INSERT INTO job_articles VALUES ('job1', ?, 'text', ?)",
                         [(0, '{"blocks": []}'), (1, '{"blocks": [1]}')])
        conn.execute("INSERT INTO job_results VALUES ('job1', 0, 1, '{}', NULL, 1, 2.0)")
    conn.close()
    store = Store(path)
    key = store.verify_key("kzt_abcd1234_s3cret")
    assert key is not None and (key.name, key.rate_per_second, key.rate_burst) == ("cms", 5.0, 10)
    job = store.get_job("job1")
    assert job is not None and (job.status, job.targets, job.total) == ("queued", ["ru"], 2)
    assert store.pending_articles("job1") == [(1, "text", '{"blocks": [1]}')]
    assert store.charge_characters("abcd1234", 12) and store.character_usage("abcd1234") == (12, None)
    assert store.create_glossary("abcd1234", "names", [])["name"] == "names"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_batch_manifest_written_before_the_shared_layer_still_says_what_is_done(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.ru.txt").write_text("Текст.", encoding="utf-8")
    with sqlite3.connect(out / MANIFEST_NAME) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS done (key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, "
                     "settings TEXT NOT NULL, outputs TEXT NOT NULL, finished REAL NOT NULL)")
        conn.execute("INSERT INTO done VALUES ('a.txt', 'abc', 'settings-1', '[\"a.ru.txt\"]', 1.0)")
    conn.close()
    item = BatchItem(key="a.txt", name="a", ext=".txt", format="", path="", text="", sha256="abc")
    manifest = Manifest(out)
    try:
        assert manifest.is_done(item, "settings-1")
        assert not manifest.is_done(item, "settings-2")
        other = BatchItem(key="b.txt", name="b", ext=".txt", format="", path="", text="", sha256="def")
        manifest.record(other, "settings-1", [])
        assert manifest.is_done(other, "settings-1")
    finally:
        manifest.close()


def test_a_manifest_that_is_not_a_database_names_the_file_and_the_fix(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST_NAME).write_bytes(b"\x00garbage" * 512)
    with pytest.raises(InputError) as caught:
        Manifest(out)
    message = str(caught.value)
    assert message.startswith(str(out / MANIFEST_NAME)) and f"delete {MANIFEST_NAME}" in message


def test_the_keys_command_on_another_programs_database_is_exit_3_naming_it(tmp_path, capsys):
    from kztranslate import cli

    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER, total REAL)")
    conn.close()
    before = path.read_bytes()
    assert cli.main(["keys", "--db", str(path), "list"]) == 3
    err = capsys.readouterr().err
    assert str(path) in err and "not a kztranslate service database" in err and "--db" in err
    assert "Traceback" not in err and path.read_bytes() == before
