"""SQLite storage of the service: jobs, their articles and results, and API keys.

One file, opened through :mod:`kztranslate._sqlite` (WAL mode, a busy timeout, versioned
migrations), so several server processes can share it. Results are
one row per (job, article) with a primary key: writing a result twice is a no-op, so a job
resumed after a crash finishes every article exactly once. A job is claimed with a lease
(``lease_owner``, ``lease_expires``) in one ``BEGIN IMMEDIATE`` transaction, so two workers never
run the same job; a crashed worker's lease runs out and another worker takes the job over.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._sqlite import Database, Schema, run_script
from ..errors import UsageError

__all__ = ["ApiKey", "JobRecord", "Store"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    salt BLOB NOT NULL,
    hash BLOB NOT NULL,
    created REAL NOT NULL,
    revoked REAL,
    rate_per_second REAL,
    rate_burst INTEGER,
    max_request_bytes INTEGER
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    key_id TEXT,
    status TEXT NOT NULL,              -- queued · running · done
    targets TEXT NOT NULL,             -- JSON list of language tags
    source TEXT,
    total INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires REAL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    finished REAL
);
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs(status, created);
CREATE TABLE IF NOT EXISTS job_articles (
    job_id TEXT NOT NULL REFERENCES jobs(id),
    idx INTEGER NOT NULL,
    format TEXT NOT NULL,              -- the format results are rendered in
    document TEXT NOT NULL,            -- document JSON of the source article
    PRIMARY KEY (job_id, idx)
);
CREATE TABLE IF NOT EXISTS job_results (
    job_id TEXT NOT NULL REFERENCES jobs(id),
    idx INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    variants TEXT,                     -- JSON {lang: {"content", "document"}} when ok
    error TEXT,                        -- JSON {"code", "message"} when not ok
    attempt INTEGER NOT NULL,          -- the job attempt that produced this row
    created REAL NOT NULL,
    PRIMARY KEY (job_id, idx)
);
"""

# Tables of the LibreTranslate- and DeepL-compatible routes; CREATE … IF NOT EXISTS adds them to
# a database made by an older version too.
_COMPAT_SCHEMA = """
CREATE TABLE IF NOT EXISTS key_quotas (
    key_id TEXT PRIMARY KEY,           -- an API key's id, or '' for requests without a key
    character_limit INTEGER,           -- NULL: no limit
    character_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS glossaries (
    id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,              -- the owner ('' without keys); other keys never see it
    name TEXT NOT NULL,
    dictionaries TEXT NOT NULL,        -- JSON [{"source_lang", "target_lang", "entries": [[source, target], ...]}]
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS glossaries_owner ON glossaries(key_id, created);
"""

_KEY_PREFIX = "kzt"


def _create_jobs_and_keys(conn: sqlite3.Connection) -> None:
    # version 1; each table only when missing, as files made before versions were recorded have them
    run_script(conn, _SCHEMA)


def _create_compat_tables(conn: sqlite3.Connection) -> None:
    # version 2: quotas and glossaries of the compatible routes
    run_script(conn, _COMPAT_SCHEMA)


_STORE_SCHEMA = Schema(
    name="service database",
    tables=frozenset({"api_keys", "jobs", "job_articles", "job_results", "key_quotas", "glossaries"}),
    migrations=(_create_jobs_and_keys, _create_compat_tables),
    elsewhere="choose another file with --db / $KZTRANSLATE_DB",
)


@dataclass(slots=True)
class ApiKey:
    """An API key's record (never the key itself: only a salted hash is stored)."""

    id: str
    name: str
    created: float
    revoked: float | None
    rate_per_second: float | None
    """Requests per second for this key; None = the server's default."""
    rate_burst: int | None
    """Bucket size for this key; None = the server's default."""
    max_request_bytes: int | None
    """Largest request body for this key; None = the server's default."""


@dataclass(slots=True)
class JobRecord:
    """A job's row."""

    id: str
    key_id: str | None
    status: str
    targets: list[str]
    source: str | None
    total: int
    attempts: int
    created: float
    updated: float
    finished: float | None


class Store:
    """Thread-safe access to the service database (one connection per thread).

    Opening the file raises our errors (naming it and the fix); a failure of one operation later
    is left as the ``sqlite3`` error, for the service to answer as a server fault and the command
    line to report through :func:`~kztranslate.errors.from_exception`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = Database(self.path, _STORE_SCHEMA)
        self._local = threading.local()
        self._connect()

    def _connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._db.connect()
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error): the write lock is taken up front."""
        return self._db.transaction(self._connect(), write=True)

    # -- API keys -----------------------------------------------------------------------------
    def create_key(
        self,
        name: str,
        *,
        rate_per_second: float | None = None,
        rate_burst: int | None = None,
        max_request_bytes: int | None = None,
    ) -> tuple[str, ApiKey]:
        """Create a key; returns ``(secret key, record)``. The secret is shown once and never stored."""
        key_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(24)
        salt = secrets.token_bytes(16)
        now = time.time()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)",
                (key_id, name, salt, _hash(salt, secret), now, rate_per_second, rate_burst, max_request_bytes),
            )
        record = ApiKey(key_id, name, now, None, rate_per_second, rate_burst, max_request_bytes)
        return f"{_KEY_PREFIX}_{key_id}_{secret}", record

    def verify_key(self, presented: str) -> ApiKey | None:
        """The active key record matching ``presented``, or None."""
        prefix, _, rest = presented.strip().partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != _KEY_PREFIX or not key_id or not secret:
            return None
        row = self._connect().execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        if row is None or row["revoked"] is not None:
            return None
        if not hmac.compare_digest(bytes(row["hash"]), _hash(bytes(row["salt"]), secret)):
            return None
        return _key(row)

    def list_keys(self) -> list[ApiKey]:
        return [_key(r) for r in self._connect().execute("SELECT * FROM api_keys ORDER BY created")]

    def revoke_key(self, key_id: str) -> None:
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL", (time.time(), key_id)
            ).rowcount
        if not changed:
            known = ", ".join(k.id for k in self.list_keys() if k.revoked is None) or "none"
            raise UsageError(f"no active API key with id {key_id!r}; active keys: {known}")

    # -- jobs ---------------------------------------------------------------------------------
    def create_job(
        self,
        articles: list[tuple[str, str]],
        targets: list[str],
        source: str | None,
        key_id: str | None,
    ) -> JobRecord:
        """Persist a job of ``(format, document JSON)`` articles; it is durable once this returns."""
        job_id = uuid.uuid4().hex
        now = time.time()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO jobs (id, key_id, status, targets, source, total, created, updated)"
                " VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)",
                (job_id, key_id, json.dumps(targets), source, len(articles), now, now),
            )
            db.executemany(
                "INSERT INTO job_articles VALUES (?, ?, ?, ?)",
                [(job_id, i, fmt, doc) for i, (fmt, doc) in enumerate(articles)],
            )
        return self.get_job(job_id)  # type: ignore[return-value]

    def get_job(self, job_id: str) -> JobRecord | None:
        row = self._connect().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def claim_job(self, owner: str, lease_seconds: float) -> JobRecord | None:
        """Take the oldest unfinished job nobody holds a live lease on; None when there is none."""
        now = time.time()
        with self._transaction() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE status != 'done' AND (lease_expires IS NULL OR lease_expires < ?)"
                " ORDER BY created LIMIT 1",
                (now,),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires = ?, attempts = attempts + 1,"
                " updated = ? WHERE id = ?",
                (owner, now + lease_seconds, now, row["id"]),
            )
        return self.get_job(row["id"])

    def renew_lease(self, job_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend ``owner``'s lease; False when the lease was lost (another worker took the job)."""
        with self._transaction() as db:
            return bool(db.execute(
                "UPDATE jobs SET lease_expires = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
                (time.time() + lease_seconds, job_id, owner),
            ).rowcount)

    def pending_articles(self, job_id: str) -> list[tuple[int, str, str]]:
        """``(index, format, document JSON)`` of the job's articles that have no result yet."""
        rows = self._connect().execute(
            "SELECT a.idx, a.format, a.document FROM job_articles a"
            " LEFT JOIN job_results r ON r.job_id = a.job_id AND r.idx = a.idx"
            " WHERE a.job_id = ? AND r.idx IS NULL ORDER BY a.idx",
            (job_id,),
        )
        return [(r["idx"], r["format"], r["document"]) for r in rows]

    def save_results(self, job_id: str, owner: str, attempt: int, results: list[tuple[int, bool, Any]]) -> bool:
        """Record results ``(index, ok, variants or error)`` if ``owner`` still holds the job.

        A result already recorded is left as it is (first write wins), so nothing is done twice.
        """
        now = time.time()
        with self._transaction() as db:
            holder = db.execute("SELECT lease_owner FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if holder is None or holder["lease_owner"] != owner:
                return False
            db.executemany(
                "INSERT OR IGNORE INTO job_results VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (job_id, idx, int(ok), json.dumps(value, ensure_ascii=False) if ok else None,
                     None if ok else json.dumps(value, ensure_ascii=False), attempt, now)
                    for idx, ok, value in results
                ],
            )
            db.execute("UPDATE jobs SET updated = ? WHERE id = ?", (now, job_id))
        return True

    def finish_job(self, job_id: str, owner: str) -> bool:
        """Mark the job done once every article has a result; False if the lease was lost."""
        now = time.time()
        with self._transaction() as db:
            return bool(db.execute(
                "UPDATE jobs SET status = 'done', finished = ?, updated = ?, lease_owner = NULL, lease_expires = NULL"
                " WHERE id = ? AND lease_owner = ? AND status = 'running'"
                " AND (SELECT COUNT(*) FROM job_results WHERE job_id = ?) = total",
                (now, now, job_id, owner, job_id),
            ).rowcount)

    def release_job(self, job_id: str, owner: str) -> None:
        """Give a job back (server shutting down) so another worker can take it at once."""
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_expires = NULL, status = 'queued'"
                " WHERE id = ? AND lease_owner = ? AND status = 'running'",
                (job_id, owner),
            )

    def results(self, job_id: str) -> Iterator[sqlite3.Row]:
        yield from self._connect().execute(
            "SELECT idx, ok, variants, error, attempt FROM job_results WHERE job_id = ? ORDER BY idx", (job_id,)
        )

    # -- character quotas (DeepL's /v2/usage, 456 when used up) ------------------------------
    def set_character_limit(self, key_id: str, limit: int | None) -> None:
        """Limit the characters a key may have translated through the compatible routes (None: no limit)."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO key_quotas (key_id, character_limit) VALUES (?, ?)"
                " ON CONFLICT(key_id) DO UPDATE SET character_limit = excluded.character_limit",
                (key_id, limit),
            )

    def character_usage(self, key_id: str) -> tuple[int, int | None]:
        """``(characters translated, limit or None)`` of a key."""
        row = self._connect().execute(
            "SELECT character_count, character_limit FROM key_quotas WHERE key_id = ?", (key_id,)
        ).fetchone()
        return (int(row["character_count"]), row["character_limit"]) if row else (0, None)

    def charge_characters(self, key_id: str, characters: int) -> bool:
        """Count ``characters`` against the key's quota; False (and nothing counted) when they do not fit.
        Negative ``characters`` give characters back (a translation that failed after being counted)."""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO key_quotas (key_id) VALUES (?)", (key_id,))
            return bool(db.execute(
                "UPDATE key_quotas SET character_count = character_count + ? WHERE key_id = ?"
                " AND (character_limit IS NULL OR character_count + ? <= character_limit)",
                (characters, key_id, characters),
            ).rowcount)

    # -- glossaries of the DeepL-compatible routes -------------------------------------------
    def create_glossary(self, key_id: str, name: str, dictionaries: list[dict[str, Any]]) -> dict[str, Any]:
        """Store a glossary; returns its row as a dict (``id``, ``name``, ``dictionaries``, ``created``)."""
        glossary_id = str(uuid.uuid4())
        now = time.time()
        with self._transaction() as db:
            db.execute("INSERT INTO glossaries VALUES (?, ?, ?, ?, ?)",
                       (glossary_id, key_id, name, json.dumps(dictionaries, ensure_ascii=False), now))
        return {"id": glossary_id, "name": name, "dictionaries": dictionaries, "created": now}

    def get_glossary(self, key_id: str, glossary_id: str) -> dict[str, Any] | None:
        row = self._connect().execute(
            "SELECT * FROM glossaries WHERE id = ? AND key_id = ?", (glossary_id, key_id)
        ).fetchone()
        return _glossary(row) if row else None

    def list_glossaries(self, key_id: str) -> list[dict[str, Any]]:
        rows = self._connect().execute("SELECT * FROM glossaries WHERE key_id = ? ORDER BY created", (key_id,))
        return [_glossary(r) for r in rows]

    def update_glossary(self, key_id: str, glossary_id: str, *, name: str | None = None,
                        dictionaries: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
        with self._transaction() as db:
            if name is not None:
                db.execute("UPDATE glossaries SET name = ? WHERE id = ? AND key_id = ?", (name, glossary_id, key_id))
            if dictionaries is not None:
                db.execute("UPDATE glossaries SET dictionaries = ? WHERE id = ? AND key_id = ?",
                           (json.dumps(dictionaries, ensure_ascii=False), glossary_id, key_id))
        return self.get_glossary(key_id, glossary_id)

    def delete_glossary(self, key_id: str, glossary_id: str) -> bool:
        with self._transaction() as db:
            return bool(db.execute("DELETE FROM glossaries WHERE id = ? AND key_id = ?",
                                   (glossary_id, key_id)).rowcount)


def _glossary(row: sqlite3.Row) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "dictionaries": json.loads(row["dictionaries"]),
            "created": row["created"]}


def _hash(salt: bytes, secret: str) -> bytes:
    # Keys are 192 random bits, so one salted SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(salt + secret.encode("utf-8")).digest()


def _key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(
        row["id"], row["name"], row["created"], row["revoked"],
        row["rate_per_second"], row["rate_burst"], row["max_request_bytes"],
    )


def _job(row: sqlite3.Row) -> JobRecord:
    return JobRecord(
        row["id"], row["key_id"], row["status"], json.loads(row["targets"]), row["source"], row["total"],
        row["attempts"], row["created"], row["updated"], row["finished"],
    )
