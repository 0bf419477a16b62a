"""The SQLite files of kztranslate: connection, transactions, schema versions and errors in one place.

Three stores keep their data in SQLite (stdlib ``sqlite3``): the translation memory
(:mod:`kztranslate.engine.memory`), the service's jobs and API keys
(:mod:`kztranslate.service.store`) and the batch manifest (:mod:`kztranslate.batch`). Each describes
its file with a :class:`Schema` (its name in messages, its tables, its migrations) and opens it
through a :class:`Database`, so all three get the same safety:

* **connect**: a busy timeout (a writer waits for another process's transaction instead of failing
  at once); WAL mode (readers never block the writer), switched on with retries because SQLite
  reports a conflict on that switch at once instead of waiting; ``synchronous = NORMAL`` (safe in
  WAL mode); a file holding only some other program's tables is refused, never written to; and
  the schema is brought up to date.
* **transaction**: ``BEGIN IMMEDIATE`` for writers (the write lock is taken up front, so the busy
  timeout applies instead of a deadlock error when a read lock would be upgraded), ``COMMIT``, or
  ``ROLLBACK`` on any error.
* **migrations**: ``PRAGMA user_version`` counts the steps applied; step *n* takes a file from
  version *n* to *n + 1*. Missing steps run in order in one transaction (another process opening
  the same file waits, then finds it done); a file newer than this code is refused by name.
* **errors**: every ``sqlite3.Error`` becomes one of :mod:`kztranslate.errors`, naming the file and
  the fix (:func:`map_error`: one table, most specific first).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import (
    InputError,
    KZTranslateError,
    OutputError,
    UsageError,
    from_exception,
)

__all__ = ["Database", "Migration", "Schema", "map_error", "run_script", "schema_version"]

#: A migration step: takes an open transaction on a file of version n to version n + 1.
Migration = Callable[[sqlite3.Connection], None]

_IN_RAM = ":memory:"


@dataclass(frozen=True)
class Schema:
    """What one kind of kztranslate SQLite file is and how it got to its current layout."""

    name: str
    """What the file is, in messages: ``"translation memory"``."""
    tables: frozenset[str]
    """Our tables: a file with tables, none of them these, is some other program's and is refused."""
    migrations: Sequence[Migration]
    """``migrations[n]`` takes a file from version n to n + 1; the file's version is their count."""
    elsewhere: str = "choose another file"
    """The way out when the file cannot be used, e.g. ``"choose another file with --memory"``."""
    version_table: str | None = None
    """A one-column ``(version)`` table that files made before ``user_version`` was used hold their
    version in. When present it is the version read, and it is kept in step with ``user_version``
    so that older releases keep refusing a file newer than they know."""

    @property
    def version(self) -> int:
        """The version this code writes."""
        return len(self.migrations)


class Database:
    """One SQLite file of a :class:`Schema`: ``path`` (``":memory:"``: private, in RAM).

    ``busy_timeout``: seconds a writer waits for another connection's transaction before failing.
    """

    def __init__(self, path: str | os.PathLike[str], schema: Schema, *, busy_timeout: float = 30.0) -> None:
        self.path = os.fspath(path)
        self.schema = schema
        self.busy_timeout = busy_timeout

    def __repr__(self) -> str:
        return f"Database({self.path!r}, {self.schema.name!r})"

    @property
    def in_ram(self) -> bool:
        return self.path == _IN_RAM

    def connect(self) -> sqlite3.Connection:
        """A new connection (autocommit: transactions are explicit), its file in WAL mode and its
        schema up to date. Raises our errors, naming the file, never a ``sqlite3`` one."""
        with self.errors():
            if not self.in_ram:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                                   check_same_thread=False)
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                self._refuse_foreign(conn)  # before WAL mode, which rewrites the file's header
                if not self.in_ram:
                    self._use_wal(conn)
                    conn.execute("PRAGMA synchronous = NORMAL")
                self.migrate(conn)
            except BaseException:
                conn.close()
                raise
        return conn

    @contextlib.contextmanager
    def transaction(self, conn: sqlite3.Connection, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction on ``conn``: ``BEGIN IMMEDIATE`` for a writer (``BEGIN`` for a reader),
        ``COMMIT`` at the end, ``ROLLBACK`` when anything is raised. Errors are not mapped here (wrap
        in :meth:`errors` for that): a face may want to report them its own way."""
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # the first error is the one to report
                    conn.rollback()
            raise

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Raise a ``sqlite3.Error`` (or an ``OSError`` of the file) inside as our error naming this file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise map_error(exc, database=self.path, name=self.schema.name, elsewhere=self.schema.elsewhere,
                            busy_timeout=self.busy_timeout) from exc
        except OSError as exc:
            raise from_exception(exc, source=self.path, writing=True) from exc

    def migrate(self, conn: sqlite3.Connection) -> int:
        """Bring the file up to :attr:`Schema.version`; returns the version it had. A file newer than
        that is refused (:class:`~kztranslate.errors.UsageError`)."""
        schema = self.schema
        found = schema_version(conn, schema)
        if found == schema.version:
            return found
        self._refuse_newer(found)
        conn.execute("BEGIN IMMEDIATE")  # another process may be migrating the same file right now
        try:
            found = schema_version(conn, schema)
            self._refuse_newer(found)
            for step in schema.migrations[found:]:
                step(conn)
            conn.execute(f"PRAGMA user_version = {schema.version}")
            if schema.version_table is not None:
                conn.execute(f"CREATE TABLE IF NOT EXISTS {schema.version_table} (version INTEGER NOT NULL)")
                conn.execute(f"DELETE FROM {schema.version_table}")
                conn.execute(f"INSERT INTO {schema.version_table} (version) VALUES (?)", (schema.version,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.rollback()
            raise
        return found

    def _refuse_newer(self, found: int) -> None:
        if found > self.schema.version:
            raise UsageError(
                f"{self.path}: the {self.schema.name} has schema version {found}, newer than this kztranslate "
                f"understands ({self.schema.version}); upgrade kztranslate, or {self.schema.elsewhere}"
            )

    def _refuse_foreign(self, conn: sqlite3.Connection) -> None:
        """Some other program's database is not turned into one of ours (nor is its data touched)."""
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        if tables and not tables & self.schema.tables:
            listed = ", ".join(sorted(tables)[:5])
            raise InputError(f"this SQLite file is not a kztranslate {self.schema.name} (it holds the tables "
                             f"{listed}); {self.schema.elsewhere}", source=self.path)

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL once. The switch needs an exclusive lock and SQLite reports a
        conflict at once instead of waiting, so retry until the busy timeout runs out."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                busy = _primary_code(exc) in (_BUSY, _LOCKED) or "locked" in str(exc)
                if not busy or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)


def schema_version(conn: sqlite3.Connection, schema: Schema) -> int:
    """The version of the file open on ``conn`` (0 for a new one)."""
    if schema.version_table is not None and conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (schema.version_table,)).fetchone():
        return int(conn.execute(f"SELECT MAX(version) FROM {schema.version_table}").fetchone()[0] or 0)
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute the SQL statements of ``script`` one by one, inside the caller's transaction
    (``executescript`` would commit it first)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        conn.execute(statement)


# -- errors -----------------------------------------------------------------------------------------
# SQLite's primary result codes (https://sqlite.org/rescode.html); an extended code's low byte is its primary.
_IOERR, _BUSY, _LOCKED, _READONLY, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 10, 5, 6, 8, 11, 13, 14, 26

#: (primary result code, words of its message, our error, what it means and the fix), most specific
#: first. The words match an exception made without a code (``sqlite3.OperationalError("…")``).
#: ``{the}``: "the translation memory"; ``{reason}``: SQLite's message; ``{waited}``: " for 30 s";
#: ``{elsewhere}``: the way out of the schema.
_ERRORS: tuple[tuple[int, str, type[InputError | OutputError], str], ...] = (
    (_FULL, "is full", OutputError,
     "{reason}: no space left on the device; free some space or move {the} to another disk, then run again"),
    (_READONLY, "readonly", OutputError,
     "{the} cannot be written ({reason}); make the file, its directory and its -wal and -shm files writable, "
     "or {elsewhere}"),
    (_BUSY, "locked", InputError,
     "{the} stayed busy{waited} ({reason}); another process holds it: retry, raise busy_timeout, or {elsewhere}"),
    (_LOCKED, "table is locked", InputError,
     "{the} stayed busy{waited} ({reason}); another process holds it: retry, raise busy_timeout, or {elsewhere}"),
    (_CORRUPT, "malformed", InputError,
     "{the} is damaged ({reason}); restore it from a backup, or move it aside to start an empty one"),
    (_NOTADB, "not a database", InputError,
     "not a usable {name} ({reason}); move it aside, or {elsewhere}"),
    (_CANTOPEN, "unable to open", InputError,
     "cannot open {the} ({reason}); check its directory exists and is writable, or {elsewhere}"),
    (_IOERR, "disk i/o error", InputError,
     "{the} cannot be read or written ({reason}); check the disk and the file's permissions, or {elsewhere}"),
)


def map_error(exc: sqlite3.Error, *, database: str | None = None, name: str = "database file",
              elsewhere: str = "choose another one", busy_timeout: float | None = None) -> KZTranslateError:
    """Our error for a ``sqlite3`` one: ``database`` (the file) is named first, then what went wrong
    and the fix. Disk full and read-only files are :class:`~kztranslate.errors.OutputError` (exit 7),
    everything else :class:`~kztranslate.errors.InputError` (exit 3)."""
    reason = str(exc) or type(exc).__name__
    code = _primary_code(exc)
    fields = {"the": f"the {name}", "name": name, "reason": reason, "elsewhere": elsewhere,
              "waited": f" for {busy_timeout:g} s" if busy_timeout is not None else ""}
    for known, words, kind, text in _ERRORS:
        if code == known or (code is None and words in reason.lower()):
            message = text.format(**fields)
            return (OutputError(message, target=database) if kind is OutputError
                    else InputError(message, source=database))
    if isinstance(exc, sqlite3.OperationalError):
        return InputError("cannot use {the} ({reason}); check the path is writable, or {elsewhere}".format(**fields),
                          source=database)
    return InputError("not a usable {name} ({reason}); move the file aside, or {elsewhere}".format(**fields),
                      source=database)


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF
