"""Translation memory: every segment translated once is never sent to a model again.

One SQLite file (stdlib ``sqlite3``) holds two tables:

* ``segments``: machine output, keyed by the *profile* that produced it (backend, model, revision,
  decoding settings: the backend's :meth:`~kztranslate.engine.base.Backend.signature` minus the
  parts that do not change the output, such as thread counts) + language pair + normalized source.
* ``post_edits``: human corrections, keyed by language pair + normalized source only, so a
  post-edit wins over machine output for that segment whatever model runs next.

Several processes may share the file: it is opened through :mod:`kztranslate._sqlite` (WAL mode,
a busy timeout, schema migrations, errors naming the file), every write is one short
``BEGIN IMMEDIATE`` transaction of UPSERTs, and a forked child opens its own connection. Export and
import (JSON Lines, TMX) live in :mod:`kztranslate.engine.memory_transfer`.

Every entry carries a checksum of what it says (kind, profile, pair, source and target text,
truncated flag). An entry that fails it — a damaged disk, a byte changed by hand — is never
served: it is deleted, logged as a warning (logger ``kztranslate.memory``) and translated again.
A file that is empty (0 bytes: a truncated memory) or that is some other program's database is
refused with an :class:`~kztranslate.errors.InputError`, never silently reset.
:meth:`TranslationMemory.check` runs SQLite's integrity check and verifies every checksum
(``kztranslate tm check``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._sqlite import Database, Migration, Schema, run_script
from ..errors import InputError, KZTranslateError, UsageError
from ..languages import normalize_language
from .base import (
    VOLATILE_SIGNATURE_KEYS,
    BackendSignature,
    Translation,
    fingerprint_of,
    memory_signature,
)

__all__ = [
    "TranslationMemory",
    "ReadOnlyMemory",
    "default_memory_path",
    "normalize_segment",
    "memory_signature",
    "parse_pair",
    "SCHEMA_VERSION",
    "VOLATILE_SIGNATURE_KEYS",
    "entry_checksum",
    "SegmentRow",
    "PostEditRow",
]

#: Environment variable that overrides the default memory file.
ENV_VAR = "KZTRANSLATE_TM"

#: What produced an entry: a backend's signature, or its JSON form as read from an exported file.
Signature = BackendSignature | Mapping[str, Any]

log = logging.getLogger("kztranslate.memory")

#: A machine translation to store: source and target language, source and target text, truncated, created, hits.
SegmentRow = tuple[str, str, str, str, bool, str, int]
#: A post-edit to store: source and target text, source and target language, the signature of the model
#: whose output was edited (None: unknown), created, hits.
PostEditRow = tuple[str, str, str, str, Signature | None, str, int]

# Bound parameters per statement stay well below SQLite's limit (999 on old builds).
_CHUNK = 400


def default_memory_path() -> Path:
    """``$KZTRANSLATE_TM`` if set, else ``memory.sqlite`` in the user cache dir."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("kztranslate")) / "memory.sqlite"


def normalize_segment(text: str) -> str:
    """The lookup key of a source segment: NFC, runs of whitespace collapsed to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def parse_pair(pair: str | tuple[str, str]) -> tuple[str, str]:
    """``"kk-ru"``, ``"kk-Latn-en"``, ``"kk:ru"`` or ``("kk", "ru")`` → ``("kk", "ru")``."""
    if isinstance(pair, tuple):
        return normalize_language(pair[0]), normalize_language(pair[1])
    text = pair.strip()
    separators = [i for i, ch in enumerate(text) if ch in "-:>→"]
    for i in separators:
        try:
            return normalize_language(text[:i].rstrip("-")), normalize_language(text[i + 1:].lstrip(">"))
        except UsageError:
            continue
    raise UsageError(f"cannot read the language pair {pair!r}; write it as SOURCE-TARGET, e.g. kk-ru or ru-kk")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _create_v1(conn: sqlite3.Connection) -> None:
    run_script(conn, """
        CREATE TABLE profiles (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            fingerprint TEXT NOT NULL UNIQUE,   -- sha256 of the canonical signature JSON
            signature TEXT NOT NULL,            -- canonical JSON, volatile parts removed
            backend TEXT,
            model TEXT,
            model_revision TEXT
        );
        CREATE TABLE segments (
            profile INTEGER NOT NULL REFERENCES profiles(id),
            source_language TEXT NOT NULL,
            target_language TEXT NOT NULL,
            source_key TEXT NOT NULL,           -- normalize_segment(source_text)
            source_text TEXT NOT NULL,          -- exactly as sent to the model
            target_text TEXT NOT NULL,
            truncated INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL,
            hits INTEGER NOT NULL DEFAULT 0,
            last_hit TEXT,
            PRIMARY KEY (profile, source_language, target_language, source_key)
        ) WITHOUT ROWID;
        CREATE INDEX segments_by_pair ON segments (source_language, target_language);
        CREATE TABLE post_edits (
            source_language TEXT NOT NULL,
            target_language TEXT NOT NULL,
            source_key TEXT NOT NULL,
            source_text TEXT NOT NULL,
            target_text TEXT NOT NULL,
            profile INTEGER REFERENCES profiles(id),   -- the model whose output was edited, when known
            created TEXT NOT NULL,
            hits INTEGER NOT NULL DEFAULT 0,
            last_hit TEXT,
            PRIMARY KEY (source_language, target_language, source_key)
        ) WITHOUT ROWID;
    """)


def entry_checksum(kind: str, profile: int | None, source_language: str, target_language: str,
                   source_key: str, source_text: str, target_text: str, truncated: bool | int) -> str:
    """The checksum stored with an entry: SHA-256 (first 128 bits, hex) of what the entry says."""
    raw = json.dumps([kind, profile, source_language, target_language, source_key, source_text, target_text,
                      int(bool(truncated))], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _add_checksums(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE segments ADD COLUMN checksum TEXT")
    conn.execute("ALTER TABLE post_edits ADD COLUMN checksum TEXT")
    rows = conn.execute("SELECT profile, source_language, target_language, source_key, source_text, target_text, "
                        "truncated FROM segments").fetchall()
    conn.executemany(
        "UPDATE segments SET checksum = ? WHERE profile = ? AND source_language = ? AND target_language = ? "
        "AND source_key = ?",
        [(entry_checksum("segment", *row), *row[:4]) for row in rows],
    )
    rows = conn.execute("SELECT profile, source_language, target_language, source_key, source_text, target_text "
                        "FROM post_edits").fetchall()
    conn.executemany(
        "UPDATE post_edits SET checksum = ? WHERE source_language = ? AND target_language = ? AND source_key = ?",
        [(entry_checksum("post_edit", profile, source, target, key, src_text, tgt_text, 0), source, target, key)
         for profile, source, target, key, src_text, tgt_text in rows],
    )


#: Schema migrations: ``_MIGRATIONS[n]`` takes a file from version n to n + 1.
#: 1: profiles, segments, post_edits. 2: a checksum per entry.
_MIGRATIONS: tuple[Migration, ...] = (_create_v1, _add_checksums)

#: Version of the schema this code writes; older files are migrated on open.
SCHEMA_VERSION = len(_MIGRATIONS)

_SCHEMA = Schema(
    name="translation memory",
    tables=frozenset({"profiles", "segments", "post_edits", "schema_version"}),
    migrations=_MIGRATIONS,
    elsewhere=f"choose another file with --memory / ${ENV_VAR}",
    # files made before the shared SQLite layer keep their version here, and older releases read it
    version_table="schema_version",
)


class TranslationMemory:
    """A translation memory in one SQLite file, shared safely by threads and processes.

    ``path``: a file, ``":memory:"`` (private, in RAM), or None for :func:`default_memory_path`.
    ``busy_timeout``: seconds a write waits for another process's transaction before failing.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, busy_timeout: float = 30.0) -> None:
        self.in_ram = str(path) == ":memory:"
        self.path: Path | None = None if self.in_ram else Path(path).expanduser() if path else default_memory_path()
        self.busy_timeout = busy_timeout
        self._db = Database(self._where(), _SCHEMA, busy_timeout=busy_timeout)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        # Connections inherited across fork(): never used nor closed in the child (closing one
        # there can corrupt the parent's file), so they are kept referenced here instead.
        self._inherited: list[sqlite3.Connection] = []
        #: Entries dropped because their checksum failed, since this object was made.
        self.dropped = 0

    def __repr__(self) -> str:
        return f"TranslationMemory({':memory:' if self.in_ram else str(self.path)!r})"

    def __enter__(self) -> TranslationMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (it reopens on next use)."""
        with self._lock:
            if self._conn is not None:
                if self._pid == os.getpid():
                    self._conn.close()
                else:
                    self._inherited.append(self._conn)
            self._conn = None

    # -- lookups ------------------------------------------------------------------------------
    def lookup_many(
        self,
        texts: Sequence[str],
        source: str,
        target: str,
        signature: Signature,
        *,
        record_hits: bool = True,
    ) -> list[Translation | None]:
        """Stored translations of ``texts`` (None where there is none), in order.

        A post-edit for the pair wins (``meta["origin"] == "post_edit"``); else the machine output
        of this exact profile (``"memory"``, with its ``truncated`` flag as stored).
        """
        source, target = parse_pair((source, target))
        keys = [normalize_segment(t) for t in texts]
        unique = list(dict.fromkeys(keys))
        found: dict[str, Translation] = {}
        damaged: list[tuple[str, int | None, str]] = []
        with self._transaction(write=False) as conn:
            profile = self._profile_id(conn, signature)
            for chunk in _chunks(unique):
                marks = ",".join("?" * len(chunk))
                if profile is not None:
                    rows = conn.execute(
                        f"SELECT source_key, source_text, target_text, truncated, checksum FROM segments "
                        f"WHERE profile = ? AND source_language = ? AND target_language = ? "
                        f"AND source_key IN ({marks})",
                        (profile, source, target, *chunk),
                    )
                    for key, src_text, text, truncated, checksum in rows:
                        if _intact(checksum, "segment", profile, source, target, key, src_text, text, truncated):
                            found[key] = Translation(text, bool(truncated), {"origin": "memory"})
                        else:
                            damaged.append(("segment", profile, key))
                rows = conn.execute(
                    f"SELECT source_key, profile, source_text, target_text, checksum FROM post_edits "
                    f"WHERE source_language = ? AND target_language = ? AND source_key IN ({marks})",
                    (source, target, *chunk),
                )
                for key, edit_profile, src_text, text, checksum in rows:
                    if _intact(checksum, "post_edit", edit_profile, source, target, key, src_text, text, 0):
                        found[key] = Translation(text, False, {"origin": "post_edit"})
                    else:
                        damaged.append(("post_edit", edit_profile, key))
        if damaged:
            self._drop_damaged(damaged, source, target)
        if record_hits and found:
            self._record_hits(found, profile, source, target)
        return [
            Translation(found[k].text, found[k].truncated, dict(found[k].meta)) if k in found else None for k in keys
        ]

    def _drop_damaged(self, damaged: list[tuple[str, int | None, str]], source: str, target: str) -> None:
        """Delete entries whose checksum fails (they are translated again) and say so."""
        with self._transaction(write=True) as conn:
            for kind, profile, key in damaged:
                if kind == "segment":
                    conn.execute("DELETE FROM segments WHERE profile = ? AND source_language = ? "
                                 "AND target_language = ? AND source_key = ?", (profile, source, target, key))
                else:
                    conn.execute("DELETE FROM post_edits WHERE source_language = ? AND target_language = ? "
                                 "AND source_key = ?", (source, target, key))
        self.dropped += len(damaged)
        for kind, _profile, key in damaged:
            log.warning("%s: a damaged %s entry (%s → %s, %r) failed its checksum; dropped, it will be "
                        "translated again (run `kztranslate tm check` to check the whole file)",
                        self._where(), kind.replace("_", "-"), source, target, key[:80])

    def _where(self) -> str:
        return ":memory:" if self.in_ram else str(self.path)

    def _record_hits(self, found: dict[str, Translation], profile: int | None, source: str, target: str) -> None:
        now = _now()
        by_origin: dict[str, list[str]] = {"memory": [], "post_edit": []}
        for key, translation in found.items():
            by_origin[translation.meta["origin"]].append(key)
        with self._transaction(write=True) as conn:
            conn.executemany(
                "UPDATE segments SET hits = hits + 1, last_hit = ? WHERE profile = ? AND source_language = ? "
                "AND target_language = ? AND source_key = ?",
                [(now, profile, source, target, key) for key in by_origin["memory"]],
            )
            conn.executemany(
                "UPDATE post_edits SET hits = hits + 1, last_hit = ? WHERE source_language = ? "
                "AND target_language = ? AND source_key = ?",
                [(now, source, target, key) for key in by_origin["post_edit"]],
            )

    # -- writes -------------------------------------------------------------------------------
    def store_many(
        self,
        texts: Sequence[str],
        translations: Sequence[Translation | str],
        source: str,
        target: str,
        signature: Signature,
    ) -> int:
        """Store machine output for ``texts`` (same order); a translation's ``truncated`` flag is kept.
        Returns the number of rows written."""
        if len(texts) != len(translations):
            raise ValueError(f"{len(texts)} texts but {len(translations)} translations")
        if not texts:
            return 0
        source, target = parse_pair((source, target))
        now = _now()
        entries = [
            (text, t.text if isinstance(t, Translation) else t, int(isinstance(t, Translation) and t.truncated))
            for text, t in zip(texts, translations)
        ]
        # text SQLite cannot store as UTF-8 (a lone surrogate from a model) is not remembered
        entries = [e for e in entries if _storable(e[0]) and _storable(e[1])]
        if not entries:
            return 0
        with self._transaction(write=True) as conn:
            profile = self._ensure_profile(conn, signature)
            conn.executemany(
                "INSERT INTO segments (profile, source_language, target_language, source_key, source_text, "
                "target_text, truncated, created, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (profile, source_language, target_language, source_key) DO UPDATE SET "
                "source_text = excluded.source_text, target_text = excluded.target_text, "
                "truncated = excluded.truncated, created = excluded.created, checksum = excluded.checksum",
                [
                    (
                        profile, source, target, normalize_segment(text), text, output, truncated, now,
                        entry_checksum("segment", profile, source, target, normalize_segment(text), text, output,
                                       truncated),
                    )
                    for text, output, truncated in entries
                ],
            )
        return len(entries)

    def store_post_edit(
        self,
        source_text: str,
        target_text: str,
        source: str,
        target: str,
        signature: Signature | None = None,
    ) -> None:
        """Store a human correction of ``source_text``; it wins over machine output for the pair
        from now on, whatever the model. ``signature``: the model whose output was edited, if known."""
        if not normalize_segment(source_text) or not target_text.strip():
            raise UsageError("a post-edit needs a non-empty source and target text")
        source, target = parse_pair((source, target))
        with self._transaction(write=True) as conn:
            self._write_post_edits(conn, [(source_text, target_text, source, target, signature, _now(), 0)])

    def _write_post_edits(self, conn: sqlite3.Connection, rows: Sequence[PostEditRow]) -> None:
        values = []
        for src_text, tgt_text, source, target, signature, created, hits in rows:
            profile = None if signature is None else self._ensure_profile(conn, signature)
            key = normalize_segment(src_text)
            values.append((source, target, key, src_text, tgt_text, profile, created, hits,
                           entry_checksum("post_edit", profile, source, target, key, src_text, tgt_text, 0)))
        if values:
            conn.executemany(
                "INSERT INTO post_edits (source_language, target_language, source_key, source_text, target_text, "
                "profile, created, hits, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (source_language, target_language, source_key) DO UPDATE SET "
                "source_text = excluded.source_text, target_text = excluded.target_text, "
                "profile = excluded.profile, created = excluded.created, checksum = excluded.checksum",
                values,
            )

    def clear(self, model: str | None = None, pair: str | tuple[str, str] | None = None) -> int:
        """Delete entries; returns how many. ``model``: only that model's machine output (post-edits
        apply to every model, so they stay); ``pair``: only that language pair (post-edits included)."""
        where, params = [], []
        if pair is not None:
            source, target = parse_pair(pair)
            where.append("source_language = ? AND target_language = ?")
            params += [source, target]
        with self._transaction(write=True) as conn:
            segment_filter = list(where)
            segment_params = list(params)
            if model is not None:
                segment_filter.append("profile IN (SELECT id FROM profiles WHERE model = ?)")
                segment_params.append(model)
            clause = " WHERE " + " AND ".join(segment_filter) if segment_filter else ""
            removed = conn.execute(f"DELETE FROM segments{clause}", segment_params).rowcount
            if model is None:
                clause = " WHERE " + " AND ".join(where) if where else ""
                removed += conn.execute(f"DELETE FROM post_edits{clause}", params).rowcount
            conn.execute(
                "DELETE FROM profiles WHERE id NOT IN (SELECT profile FROM segments) "
                "AND id NOT IN (SELECT profile FROM post_edits WHERE profile IS NOT NULL)"
            )
        return removed

    # -- reports and transfer -----------------------------------------------------------------
    def check(self, *, drop: bool = False) -> dict[str, Any]:
        """SQLite's integrity check plus every entry's checksum: ``{"path", "integrity": [...]
        ("ok" when sound), "entries", "damaged": [{"type", "source_language", "target_language",
        "source_text"}], "dropped"}``. ``drop=True`` deletes the damaged entries."""
        damaged: list[dict[str, Any]] = []
        with self._transaction(write=False) as conn:
            integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            entries = 0
            for kind, query in (
                ("segment", "SELECT profile, source_language, target_language, source_key, source_text, "
                            "target_text, truncated, checksum FROM segments"),
                ("post_edit", "SELECT profile, source_language, target_language, source_key, source_text, "
                              "target_text, 0, checksum FROM post_edits"),
            ):
                for profile, source, target, key, src_text, text, truncated, checksum in conn.execute(query):
                    entries += 1
                    if not _intact(checksum, kind, profile, source, target, key, src_text, text, truncated):
                        damaged.append({"type": kind, "profile": profile, "source_language": source,
                                        "target_language": target, "source_key": key})
        if drop and damaged:
            for entry in damaged:
                self._drop_damaged([(entry["type"], entry["profile"], entry["source_key"])],
                                   entry["source_language"], entry["target_language"])
        return {"path": self._where(), "integrity": integrity, "entries": entries, "damaged": damaged,
                "dropped": len(damaged) if drop else 0}


    def stats(self) -> dict[str, Any]:
        """Counts: ``entries`` (machine), ``post_edits``, ``truncated``, ``hits``, ``by_pair``,
        ``by_model``, ``profiles``, ``size_bytes``, ``path``, ``schema_version``."""
        with self._transaction(write=False) as conn:
            entries, truncated, hits = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(truncated), 0), COALESCE(SUM(hits), 0) FROM segments"
            ).fetchone()
            post_edits, post_edit_hits = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(hits), 0) FROM post_edits"
            ).fetchone()
            by_pair: dict[str, dict[str, int]] = {}
            for table, field in (("segments", "entries"), ("post_edits", "post_edits")):
                query = f"SELECT source_language, target_language, COUNT(*) FROM {table} GROUP BY 1, 2"
                for source, target, count in conn.execute(query):
                    by_pair.setdefault(f"{source}-{target}", {"entries": 0, "post_edits": 0})[field] = count
            by_model = dict(conn.execute(
                "SELECT p.model, COUNT(*) FROM segments s JOIN profiles p ON p.id = s.profile GROUP BY 1 ORDER BY 1"
            ).fetchall())
            profiles = conn.execute("SELECT COUNT(*) FROM profiles").fetchone()[0]
        size = 0
        if self.path is not None:
            size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return {
            "path": ":memory:" if self.in_ram else str(self.path),
            "schema_version": SCHEMA_VERSION,
            "entries": entries,
            "post_edits": post_edits,
            "truncated": truncated,
            "hits": hits + post_edit_hits,
            "profiles": profiles,
            "by_pair": dict(sorted(by_pair.items())),
            "by_model": by_model,
            "size_bytes": size,
        }

    def export(self, path: str | os.PathLike[str], format: str | None = None) -> int:
        """Write every entry to ``path`` from one consistent snapshot; returns the count.

        ``format``: ``"jsonl"`` (default) or ``"tmx"`` (TMX 1.4, for CAT tools; default for a
        ``.tmx`` path). A JSON line is ``{"type": "segment" | "post_edit", "source_language",
        "target_language", "source_text", "target_text", "signature", "truncated", "created", "hits"}``;
        TMX carries the same facts in ``<prop type="x-kztranslate-…">`` and ``usagecount``
        (:mod:`kztranslate.engine.memory_transfer`).
        """
        from .memory_transfer import export_memory

        return export_memory(self, path, format)

    def import_(self, path: str | os.PathLike[str], format: str | None = None) -> int:
        """Read entries from a file written by :meth:`export` (JSONL or TMX); imported entries
        replace matching ones. A TMX from another tool is read as human translations (post-edits)
        for every supported language pair in it. Returns the count; a malformed record stops the
        import before anything is written."""
        from .memory_transfer import import_memory

        return import_memory(self, path, format)

    @contextmanager
    def records(self) -> Iterator[Iterator[dict[str, Any]]]:
        """Every entry as a transfer record (the JSON line of :meth:`export`), read from one
        consistent snapshot: a read transaction stays open while the caller iterates."""
        with self._transaction(write=False) as conn:
            yield self._records(conn)

    def store_records(self, segments: Sequence[tuple[Mapping[str, Any], Sequence[SegmentRow]]],
                      post_edits: Sequence[PostEditRow]) -> int:
        """Store imported entries in one transaction, replacing matching ones; returns the count.
        ``segments``: ``(signature, rows)`` per profile; a row keeps its ``created`` and ``hits``."""
        with self._transaction(write=True) as conn:
            for signature, rows in segments:
                profile = self._ensure_profile(conn, signature)
                conn.executemany(
                    "INSERT INTO segments (profile, source_language, target_language, source_key, source_text, "
                    "target_text, truncated, created, hits, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (profile, source_language, target_language, source_key) DO UPDATE SET "
                    "source_text = excluded.source_text, target_text = excluded.target_text, "
                    "truncated = excluded.truncated, created = excluded.created, hits = excluded.hits, "
                    "checksum = excluded.checksum",
                    [(profile, s, t, normalize_segment(st), st, tt, int(tr), c, h,
                      entry_checksum("segment", profile, s, t, normalize_segment(st), st, tt, tr))
                     for s, t, st, tt, tr, c, h in rows],
                )
            self._write_post_edits(conn, post_edits)
        return sum(len(rows) for _, rows in segments) + len(post_edits)

    @staticmethod
    def _records(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
        queries = (
            ("segment", "SELECT s.source_language, s.target_language, s.source_text, s.target_text, "
             "p.signature, s.truncated, s.created, s.hits FROM segments s JOIN profiles p ON p.id = s.profile "
             "ORDER BY s.source_language, s.target_language, p.id, s.source_key"),
            ("post_edit", "SELECT e.source_language, e.target_language, e.source_text, e.target_text, "
             "p.signature, 0, e.created, e.hits FROM post_edits e LEFT JOIN profiles p ON p.id = e.profile "
             "ORDER BY e.source_language, e.target_language, e.source_key"),
        )
        for kind, query in queries:
            for source, target, src_text, tgt_text, signature, truncated, created, hits in conn.execute(query):
                yield {
                    "type": kind, "source_language": source, "target_language": target,
                    "source_text": src_text, "target_text": tgt_text,
                    "signature": None if signature is None else json.loads(signature),
                    "truncated": bool(truncated), "created": created, "hits": hits,
                }

    # -- connection ---------------------------------------------------------------------------
    def _profile_id(self, conn: sqlite3.Connection, signature: Signature) -> int | None:
        row = conn.execute("SELECT id FROM profiles WHERE fingerprint = ?", (_fingerprint(signature)[0],)).fetchone()
        return row[0] if row else None

    def _ensure_profile(self, conn: sqlite3.Connection, signature: Signature) -> int:
        fingerprint, canonical = _fingerprint(signature)
        record = _signature_dict(signature)
        conn.execute(
            "INSERT INTO profiles (fingerprint, signature, backend, model, model_revision) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (fingerprint) DO NOTHING",
            (fingerprint, canonical, record.get("backend"), record.get("model"), record.get("model_revision")),
        )
        return conn.execute("SELECT id FROM profiles WHERE fingerprint = ?", (fingerprint,)).fetchone()[0]

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """One short transaction; writers take the write lock up front (BEGIN IMMEDIATE) so the
        busy timeout applies instead of a deadlock error on lock upgrade."""
        with self._lock, self._db.errors():
            conn = self._connection()
            with self._db.transaction(conn, write=write):
                yield conn

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None:
            if self._pid == os.getpid():
                return self._conn
            self._inherited.append(self._conn)
            self._conn = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                self._create()
            self._refuse_empty()
        self._conn, self._pid = self._db.connect(), os.getpid()
        return self._conn

    def _create(self) -> None:
        """Make a new memory complete under a temporary name, then link it into place: a file at
        ``path`` is never one being set up, so an empty one is always a damaged one."""
        assert self.path is not None
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.new")
        try:
            Database(temporary, _SCHEMA, busy_timeout=self.busy_timeout).connect().close()
            os.link(temporary, self.path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        except (OSError, sqlite3.Error, KZTranslateError):
            pass  # no hard links here, or no room: SQLite creates the file in place instead
        finally:
            for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
                leftover.unlink(missing_ok=True)

    def _refuse_empty(self) -> None:
        """A file of 0 bytes is a memory that was truncated (SQLite would silently start a new one)."""
        try:
            empty = self.path is not None and self.path.stat().st_size == 0
        except FileNotFoundError:
            return
        except OSError as exc:
            raise InputError(f"cannot read the translation memory ({exc.strerror})", source=self._where()) from exc
        if empty and not any(Path(f"{self.path}{end}").exists() for end in ("-wal", "-journal")):
            raise InputError(
                "the translation memory file is empty (0 bytes): it was truncated or is not a memory; restore it "
                f"from a backup, or delete it to start an empty memory (or choose another with --memory / ${ENV_VAR})",
                source=self._where(),
            )


class ReadOnlyMemory(TranslationMemory):
    """A memory that serves its entries and post-edits but never stores machine output (for a backend
    whose output is not worth remembering, such as ``pseudo``)."""

    def store_many(self, *args: Any, **kwargs: Any) -> int:
        return 0


def _signature_dict(signature: Signature) -> Mapping[str, Any]:
    """The JSON form of a signature (a dict from an exported file is taken as it is)."""
    return signature.to_dict() if isinstance(signature, BackendSignature) else signature


def _fingerprint(signature: Signature) -> tuple[str, str]:
    return fingerprint_of(_signature_dict(signature))


def _intact(checksum: str | None, kind: str, profile: int | None, source: str, target: str, key: str,
            source_text: str, target_text: str, truncated: Any) -> bool:
    """Whether an entry still says what it said when it was stored."""
    if not isinstance(source_text, str) or not isinstance(target_text, str) or normalize_segment(source_text) != key:
        return False
    return checksum == entry_checksum(kind, profile, source, target, key, source_text, target_text, truncated)


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
