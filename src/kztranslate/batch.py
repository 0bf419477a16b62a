"""Resumable batch translation of a directory tree or a JSONL file of articles.

::

    plan  ──► one item per input file (or JSONL line), with the SHA-256 of its bytes
    skip  ──► items the manifest records as done with the same hash and settings, outputs present
    run   ──► chunks through Translator.pipe (one model pass per chunk, every target at once);
              reading/parsing and writing on ``workers`` threads; or ``engine="ray"``: a Ray Data
              pipeline whose actors each hold one Translator
    record──► outputs written atomically, then the manifest row; failures to errors.jsonl

Outputs mirror the input tree as ``<stem>.<lang>.<ext>`` (a language suffix of the input name is
replaced). Files of one page in several languages (a Hugo page bundle's ``index.en.md`` and
``index.ru.md``, or ``post.md`` and ``post.kk.md``) are editions of one page: a language one of them is
already written in is not made again from another, the languages none has are made from one of them
(the file without a language suffix, else the first of kk, ru, en, kk-Latn), and no output ever
replaces an input file; what is not written, and why, is in the summary. A JSONL input gives one
document per article and language, ``<id>.<lang>.json`` (the
article's ``meta.id`` when it is a safe, unique file name, else its line number), so each article
is written atomically on its own and a resumed run never rewrites a shared file.

Set ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) to stamp every variant's
``provenance.created`` with that time, making reruns byte-identical.

Nothing stops the run but a bad command line: an input that cannot be read (deleted while the
run lists it, not UTF-8, malformed), an output that cannot be written (disk full, a name too long
for the file system) or a failure inside the pipeline becomes that item's line in ``errors.jsonl``
and the run goes on; the manifest records only finished items, so running the same command again
retries exactly the failed ones. Symbolic links are not followed out of the input directory (nor
into directories) unless ``follow_symlinks`` is set; such links and dangling ones are reported as
failed items, never silently skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._sqlite import Database, Schema
from ._version import __version__
from .config import TranslatorConfig
from .document import Article
from .engine.base import BackendSignature
from .errors import InputError, KZTranslateError, UsageError, from_exception
from .formats import available_formats, decode_input, detect_format, get_format, write_atomic
from .languages import LANGUAGES, normalize_language, parse_targets, split_language_suffix, strip_language_suffix

__all__ = ["BatchItem", "BatchSummary", "Manifest", "plan_batch", "run_batch", "MANIFEST_NAME", "ERRORS_NAME"]

#: The manifest inside the output directory.
MANIFEST_NAME = ".kztranslate-batch.sqlite"
#: One JSON object per failed article of the latest run.
ERRORS_NAME = "errors.jsonl"
#: Threads reading and writing (local engine), or model actors (Ray, without GPUs).
WORKERS = 4
#: Articles per model pass.
CHUNK_SIZE = 16

_SAFE_ID = re.compile(r"^[\w][\w.-]{0,99}$")


@dataclass(slots=True)
class BatchItem:
    """One article of a batch."""

    key: str
    """Manifest key: the input's path relative to INPUT, or ``line N`` of a JSONL file."""
    name: str
    """Output path relative to the output directory, without the ``.<lang><ext>`` ending."""
    ext: str
    """Output file extension, with the dot."""
    format: str
    """Format to read the input with ('' = detect per file)."""
    path: str
    """Input file ('' for a JSONL line)."""
    text: str
    """The JSONL line ('' for a file)."""
    sha256: str
    """SHA-256 of the input's bytes."""
    problem: str = ""
    """Why the input cannot be read, found while planning (e.g. a JSONL line that is not UTF-8)."""
    skip: str = ""
    """JSON object: target languages this item does not write → why (an edition of the same page exists)."""

    def skipped(self) -> dict[str, str]:
        return json.loads(self.skip) if self.skip else {}

    def output(self, language: str) -> str:
        return f"{self.name}.{language}{self.ext}"


@dataclass(slots=True)
class BatchSummary:
    """What a batch run did."""

    total: int
    translated: int = 0
    skipped: int = 0
    """Already done with the same content and settings."""
    failed: int = 0
    targets: list[str] = field(default_factory=list)
    seconds: float = 0.0
    out_dir: str = ""
    failures: dict[str, str] = field(default_factory=dict)
    """Input key → error message."""
    not_written: dict[str, str] = field(default_factory=dict)
    """``"<input> → <lang>"`` asked for but not written (another edition of the page is, or makes, it) → why."""

    def line(self) -> str:
        rate = self.translated / self.seconds if self.seconds else 0.0
        return (
            f"batch: {self.total} articles → {', '.join(self.targets)}: {self.translated} translated, "
            f"{self.skipped} skipped (already done), {self.failed} failed in {self.seconds:.1f} s "
            f"({rate:.2f} articles/s) → {self.out_dir}"
            + (f"; see {Path(self.out_dir) / ERRORS_NAME}" if self.failed else "")
        )


def _create_manifest(conn: sqlite3.Connection) -> None:
    # only when missing: manifests made before versions were recorded have it
    conn.execute("CREATE TABLE IF NOT EXISTS done (key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, settings TEXT NOT NULL,"
                 " outputs TEXT NOT NULL, finished REAL NOT NULL)")


_MANIFEST_SCHEMA = Schema(
    name="batch manifest",
    tables=frozenset({"done"}),
    migrations=(_create_manifest,),  # 1: one row per finished item
    elsewhere=f"delete {MANIFEST_NAME} (every article is then translated again) or write to another output "
              "directory",
)


class Manifest:
    """Which articles are done, with which content and settings (SQLite in the output directory,
    opened through :mod:`kztranslate._sqlite`; its errors name the file and the fix)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._file = Database(out_dir / MANIFEST_NAME, _MANIFEST_SCHEMA)
        self.db = self._file.connect()

    def is_done(self, item: BatchItem, settings: str) -> bool:
        with self._file.errors():
            row = self.db.execute("SELECT sha256, settings, outputs FROM done WHERE key = ?", (item.key,)).fetchone()
        if row is None or row[0] != item.sha256 or row[1] != settings:
            return False
        return all((self.out_dir / name).is_file() for name in json.loads(row[2]))

    def record(self, item: BatchItem, settings: str, outputs: list[str]) -> None:
        with self._file.errors(), self._file.transaction(self.db) as db:
            db.execute(
                "INSERT OR REPLACE INTO done VALUES (?, ?, ?, ?, ?)",
                (item.key, item.sha256, settings, json.dumps(outputs, ensure_ascii=False), time.time()),
            )

    def close(self) -> None:
        self.db.close()


def plan_batch(input_path: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, format: str | None = None,
               follow_symlinks: bool = False) -> list[BatchItem]:
    """Every article under ``input_path`` (a directory tree, a ``.jsonl`` file, or one file).

    Symbolic links leading out of ``input_path``, links to directories and dangling links become
    items with a ``problem`` (reported as failures) unless ``follow_symlinks`` is set; a file that
    cannot be read while planning (deleted meanwhile) becomes an item with a ``problem`` too."""
    source = Path(input_path)
    out = Path(out_dir).resolve()
    if format is not None:
        get_format(format)  # unknown → UsageError listing the choices
    if source.is_file() and source.suffix.lower() == ".jsonl":
        return _plan_jsonl(source, format)
    problems: dict[Path, str] = {}
    if source.is_file():
        files, root = [source], source.parent
    elif source.is_dir():
        root = source
        extensions = _known_extensions() if format is None else None
        files = [
            p for p in _walk(source, out, follow_symlinks, problems)
            if extensions is None or p.suffix.lower() in extensions or (p in problems and p.is_dir())
        ]
    else:
        raise InputError("no such file or directory", source=str(source))
    items = []
    for path in files:
        rel = path.relative_to(root)
        stem = rel.name[: -len(path.suffix)] if path.suffix else rel.name
        stem = strip_language_suffix(stem)
        ext = path.suffix or get_format(format or "text").extensions[0]
        problem = problems.get(path, "")
        digest = ""
        if not problem:
            try:
                with open(path, "rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
            except OSError as exc:
                problem = (f"cannot be read ({exc.strerror}): was it moved or deleted while kztranslate ran?"
                           if isinstance(exc, FileNotFoundError) else f"cannot be read ({exc.strerror or exc})")
        items.append(BatchItem(
            key=rel.as_posix(), name=(rel.parent / stem).as_posix(), ext=ext, format=format or "",
            path=str(path), text="", sha256=digest, problem=problem,
        ))
    _editions(items, out)
    return items


_PREFERRED_ORIGINAL = ("kk", "ru", "en", "kk-Latn")


def _editions(items: list[BatchItem], out: Path) -> None:
    """Fill ``skip`` of items that are editions of one page (same directory, stem and extension): a
    language a sibling is written in is not made again; the languages none has are made by one of
    them; and an output that would be an input file is never written."""
    inputs = {Path(item.path).resolve(): item.key for item in items if item.path}
    pages: dict[str, list[BatchItem]] = {}
    for item in items:
        pages.setdefault(item.name + item.ext, []).append(item)
    for editions in pages.values():
        given = {item.key: _suffix_language(item) for item in editions}
        maker = min(editions, key=lambda item: (given[item.key] is not None,
                                                 _PREFERRED_ORIGINAL.index(given[item.key])
                                                 if given[item.key] in _PREFERRED_ORIGINAL else 99))
        for item in editions:
            skip: dict[str, str] = {}
            for language in LANGUAGES:
                existing = inputs.get((out / item.output(language)).resolve())
                if existing is not None and existing != item.key:
                    skip[language] = f"{existing} is an input file of this batch; it is never overwritten"
                    continue
                sibling = next((other.key for other in editions
                                if other is not item and given[other.key] == language), None)
                if sibling is not None:
                    skip[language] = f"{sibling} is the page's {language} edition"
                elif len(editions) > 1 and item is not maker and language != given[item.key]:
                    skip[language] = f"made from {maker.key}, the edition that makes the page's missing languages"
            item.skip = json.dumps(skip, ensure_ascii=False) if skip else ""


def _suffix_language(item: BatchItem) -> str | None:
    stem = Path(item.key).name[: -len(item.ext)] if item.ext else Path(item.key).name
    return split_language_suffix(stem)[1]


def _walk(root: Path, out: Path, follow_symlinks: bool, problems: dict[Path, str]) -> list[Path]:
    """Files under ``root`` (sorted; hidden names and the output directory left out), links checked:
    what is not followed goes into ``problems`` with the reason and the fix."""
    real_root = root.resolve()
    found: list[Path] = []
    seen_dirs = {real_root}
    for directory, dirs, names in os.walk(root, followlinks=follow_symlinks):
        here = Path(directory)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        kept = []
        for name in dirs:
            path = here / name
            real = path.resolve()
            if real == out or out in real.parents or real in seen_dirs:
                continue  # the output directory, or a directory already walked (a link loop)
            if path.is_symlink() and not follow_symlinks:
                found.append(path)
                problems[path] = (f"a symbolic link to a directory ({real}); not followed: pass --follow-symlinks "
                                  "to translate what it holds")
                continue
            seen_dirs.add(real)
            kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = here / name
            if not path.is_symlink():
                found.append(path)
                continue
            target = Path(os.path.realpath(path))
            if not target.exists():
                problems[path] = f"a dangling symbolic link (to {os.readlink(path)}); fix or remove it"
            elif out == target or out in target.parents:
                continue
            elif not follow_symlinks and real_root not in target.parents:
                problems[path] = (f"a symbolic link out of the input directory (to {target}); not followed: pass "
                                  "--follow-symlinks to translate it")
            found.append(path)
    return sorted(found)


def run_batch(
    input_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    to: Sequence[str] | str,
    *,
    source: str | None = None,
    format: str | None = None,
    workers: int = WORKERS,
    chunk_size: int = CHUNK_SIZE,
    engine: str = "local",
    config: TranslatorConfig | None = None,
    backend: str | None = None,
    model: str | None = None,
    translator: Any | None = None,
    progress: bool = True,
    follow_symlinks: bool = False,
) -> BatchSummary:
    """Translate every article under ``input_path`` into ``to``, writing under ``out_dir``.

    Articles already done (same bytes, same settings, outputs present) are skipped, so an
    interrupted run is resumed by running it again. Per-article failures go to ``errors.jsonl``
    and into the summary; the run goes on.

    The translator is made from ``config`` (``backend`` and ``model`` are shortcuts that replace its
    fields), or given ready as ``translator`` (local engine only).
    """
    if engine not in ("local", "ray"):
        raise UsageError(f"unknown engine {engine!r}; choose one of: local, ray")
    targets = parse_targets(to)
    source = normalize_language(source) if source else None
    out = Path(out_dir)
    started = time.monotonic()
    items = plan_batch(input_path, out, format=format, follow_symlinks=follow_symlinks)
    _check_unique_outputs(items, targets)
    given = config is not None or backend is not None or model is not None
    config = config or TranslatorConfig()
    if backend is not None or model is not None:
        config = replace(config, backend=backend or config.backend, model=model or config.model)
    if translator is not None and engine == "ray":
        raise UsageError("a ready translator runs only in this process; give the ray engine a config instead")
    if translator is None and engine == "local":
        from .pipeline import Translator

        translator = Translator.from_config(config)
        given = True
    signature = _settings_signature(config if given else None, translator, targets, source, format)
    manifest = Manifest(out)
    for stale in out.rglob(".*.tmp"):  # left by a run killed mid-write (write_atomic's temporary files)
        stale.unlink(missing_ok=True)
    todo = [item for item in items if not manifest.is_done(item, signature)]
    summary = BatchSummary(total=len(items), skipped=len(items) - len(todo), targets=targets, out_dir=str(out))
    for item in items:
        for language, why in item.skipped().items():
            if language in targets:
                summary.not_written[f"{item.key} → {language}"] = why
    created = _created_override()
    from tqdm import tqdm

    bar = tqdm(total=len(items), initial=summary.skipped, unit="article", file=sys.stderr, disable=not progress,
               dynamic_ncols=True)
    try:
        with open(out / ERRORS_NAME, "w", encoding="utf-8") as errors:
            unrecorded: list[str] = []

            def done(item: BatchItem, outcome: list[str] | BaseException) -> None:
                if not isinstance(outcome, BaseException):
                    try:
                        manifest.record(item, signature, outcome)
                    except (KZTranslateError, sqlite3.Error, OSError) as exc:  # disk full: redone next run
                        outcome = from_exception(exc, source=str(out / MANIFEST_NAME), writing=True)
                if isinstance(outcome, BaseException):
                    error = outcome if isinstance(outcome, (KZTranslateError, _RemoteError)) else \
                        from_exception(outcome, source=item.key)
                    summary.failed += 1
                    summary.failures[item.key] = str(error)
                    line = json.dumps({"input": item.key, "error": getattr(error, "kind", type(error).__name__),
                                       "message": str(error)}, ensure_ascii=False)
                    try:
                        errors.write(line + "\n")
                        errors.flush()
                    except OSError:  # no room even for the error report: say it on stderr instead
                        if not unrecorded:
                            print(f"kztranslate: cannot write {out / ERRORS_NAME}; failures follow here",
                                  file=sys.stderr)
                        unrecorded.append(item.key)
                        print(f"kztranslate: error: {line}", file=sys.stderr)
                else:
                    summary.translated += 1
                bar.update(1)

            if engine == "ray":
                _run_ray(todo, done, targets, source, out, created, chunk_size, workers, config)
            else:
                _run_local(translator, todo, done, targets, source, out, created, chunk_size, workers)
    finally:
        bar.close()
        manifest.close()
    summary.seconds = time.monotonic() - started
    return summary


# -- one article ------------------------------------------------------------------------------
def read_item(item: BatchItem, language: str | None) -> tuple[Article, str]:
    """Parse an item's article; returns it and its format (raises InputError/FormatError for bad input)."""
    if item.problem:
        raise InputError(item.problem, source=item.key)
    if item.path:
        try:
            data = Path(item.path).read_bytes()
        except OSError as exc:
            raise from_exception(exc, source=item.key) from exc
        item.sha256 = hashlib.sha256(data).hexdigest()  # what was translated, if it changed since planning
        text = decode_input(data, source=item.key)
        name = item.format or detect_format(item.path, text)
    else:
        text = item.text
        name = item.format or "json"
    # a language suffix in the file name (Hugo's index.ru.md) says the language when --from does not
    language = language or (_suffix_language(item) if item.path else None)
    return get_format(name).read(text, source=item.key, language=language), name


def write_item(item: BatchItem, variants: dict[str, Article], format_name: str, out: Path,
               created: str | None) -> list[str]:
    """Write every variant atomically in ``format_name``; returns the output paths relative to ``out``."""
    fmt = get_format(format_name)
    outputs = []
    for language, variant in variants.items():
        if created is not None and variant.provenance is not None:
            variant.provenance.created = created
        rel = item.output(language)
        try:
            write_atomic(out / rel, fmt.write(variant))
        except OSError as exc:
            raise from_exception(exc, source=str(out / rel), writing=True) from exc
        outputs.append(rel)
    return outputs


# -- engines ----------------------------------------------------------------------------------
def _run_local(translator: Any, todo: list[BatchItem], done: Any, targets: list[str], source: str | None,
               out: Path, created: str | None, chunk_size: int, workers: int) -> None:
    chunks = [todo[i:i + chunk_size] for i in range(0, len(todo), max(1, chunk_size))]
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="kztranslate-io") as pool:
        def reads(chunk: list[BatchItem]) -> list[Future]:
            return [pool.submit(read_item, item, source) for item in chunk]

        writes: list[tuple[BatchItem, Future]] = []
        upcoming = reads(chunks[0]) if chunks else []
        for index, chunk in enumerate(chunks):
            current = upcoming
            # Parse the next chunk while the model works on this one.
            upcoming = reads(chunks[index + 1]) if index + 1 < len(chunks) else []
            parsed: list[tuple[Article, tuple[BatchItem, str]]] = []
            for item, future in zip(chunk, current):
                try:
                    article, format_name = future.result()
                except _ITEM_FAILURES as exc:
                    done(item, exc)
                    continue
                parsed.append((article, (item, format_name)))
            for variants, (item, format_name) in _pipe_by_targets(translator, parsed, targets, source):
                if isinstance(variants, BaseException):
                    done(item, variants)
                else:
                    writes.append((item, pool.submit(write_item, item, variants, format_name, out, created)))
            writes = _collect(writes, done, wait=False)
        _collect(writes, done, wait=True)


def _pipe_by_targets(translator: Any, parsed: list[tuple[Article, tuple[BatchItem, str]]], targets: list[str],
                     source: str | None) -> Any:
    """``translator.pipe`` over items that may each leave out some targets (editions of one page):
    one model pass per distinct target list; an item with nothing left to write yields no variants."""
    groups: dict[tuple[str, ...], list[tuple[Article, tuple[BatchItem, str]]]] = {}
    for entry in parsed:
        skipped = entry[1][0].skipped()
        wanted = tuple(t for t in targets if t not in skipped)
        if entry[1][1] == "xliff":  # an XLIFF file is translated into the language it declares, if any
            from .formats.xliff import check_target

            try:
                for target in wanted:
                    check_target(entry[0], target)
            except UsageError as exc:
                yield exc, entry[1]
                continue
        groups.setdefault(wanted, []).append(entry)
    for wanted, entries in groups.items():
        # an edition whose other languages its siblings make has nothing left to write (the pipeline
        # would refuse a request for its own language only, as it should for a lone article)
        idle = [e for e in entries if e[1][0].skip and not [t for t in wanted if t != (source or _declared(e[0]))]]
        for _article, context in idle:
            yield {}, context
        busy = [e for e in entries if not any(e is i for i in idle)]
        if busy:
            yield from _translate(translator, busy, list(wanted), source)


def _declared(article: Article) -> str | None:
    try:
        return normalize_language(article.language) if article.language else None
    except UsageError:
        return None


def _collect(writes: list[tuple[BatchItem, Future]], done: Any, *, wait: bool) -> list[tuple[BatchItem, Future]]:
    """Record finished writes (in submission order); return those still running."""
    left = []
    for item, future in writes:
        if not wait and not future.done():
            left.append((item, future))
            continue
        try:
            outputs = future.result()
        except _ITEM_FAILURES as exc:
            done(item, exc)
            continue
        done(item, outputs)
    return left


# What one item may raise without stopping the run (a bug in a reader for one odd file included).
_ITEM_FAILURES = (Exception, RecursionError, MemoryError)


def _translate(translator: Any, parsed: list[tuple[Article, Any]], targets: list[str],
               source: str | None) -> Iterable[tuple[Any, Any]]:
    """``translator.pipe`` over a chunk; if the whole pass fails, each article alone, so the one that
    caused it gets the error and the others their variants."""
    try:
        return list(translator.pipe(parsed, targets, source=source, as_tuples=True))
    except _ITEM_FAILURES as exc:
        if len(parsed) <= 1:
            return [(exc, context) for _, context in parsed]
        return [pair for one in parsed for pair in _translate(translator, [one], targets, source)]


class RayTranslateActor:
    """A Ray Data actor: holds one Translator; reads, translates and writes a batch of items."""

    def __init__(self, config: TranslatorConfig, targets: list[str], source: str | None,
                 out: str, created: str | None) -> None:
        from .pipeline import Translator

        self.translator = Translator.from_config(config)
        self.targets, self.source, self.out, self.created = targets, source, Path(out), created

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        columns = [f.name for f in BatchItem.__dataclass_fields__.values()]  # type: ignore[attr-defined]
        items = [BatchItem(**{c: str(batch[c][i]) for c in columns}) for i in range(len(batch["key"]))]
        results: dict[str, list[Any]] = {"key": [], "outputs": [], "error": [], "message": []}

        def report(item: BatchItem, outputs: list[str] | None, exc: BaseException | None) -> None:
            if exc is not None and not isinstance(exc, KZTranslateError):
                exc = from_exception(exc, source=item.key)
            results["key"].append(item.key)
            results["outputs"].append(json.dumps(outputs or [], ensure_ascii=False))
            results["error"].append(type(exc).__name__ if exc else "")
            results["message"].append(str(exc) if exc else "")

        parsed = []
        for item in items:
            try:
                article, format_name = read_item(item, self.source)
            except _ITEM_FAILURES as exc:
                report(item, None, from_exception(exc, source=item.key))
                continue
            parsed.append((article, (item, format_name)))
        for variants, (item, format_name) in _pipe_by_targets(self.translator, parsed, self.targets, self.source):
            if isinstance(variants, BaseException):
                report(item, None, variants)
                continue
            try:
                report(item, write_item(item, variants, format_name, self.out, self.created), None)
            except _ITEM_FAILURES as exc:
                report(item, None, from_exception(exc, source=item.key))
        return results


class _RemoteError(Exception):
    """An article's failure inside a Ray actor, named by the original exception's type."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _run_ray(todo: list[BatchItem], done: Any, targets: list[str], source: str | None, out: Path,
             created: str | None, chunk_size: int, workers: int, config: TranslatorConfig) -> None:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise UsageError("--engine ray needs the ray extra: pip install 'kztranslate[ray]'") from exc
    if not todo:
        return
    if not ray.is_initialized():
        ray.init()  # joins the cluster at RAY_ADDRESS when set, else starts a local one
    gpus = int(ray.cluster_resources().get("GPU", 0))
    actors = gpus or max(1, workers)
    by_key = {item.key: item for item in todo}
    dataset = ray.data.from_items([asdict(item) for item in todo]).map_batches(
        RayTranslateActor,
        fn_constructor_kwargs={"config": config, "targets": targets, "source": source,
                               "out": str(out.resolve()), "created": created},
        batch_size=max(1, chunk_size),
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_gpus=1 if gpus else 0,
    )
    for row in dataset.iter_rows():
        item = by_key[str(row["key"])]
        if row["error"]:
            done(item, _RemoteError(str(row["error"]), str(row["message"])))
        else:
            done(item, json.loads(row["outputs"]))


# -- helpers ----------------------------------------------------------------------------------
def _plan_jsonl(path: Path, format: str | None) -> list[BatchItem]:
    ext = get_format(format or "json").extensions[0]
    lines = path.read_bytes().split(b"\n")
    items: list[BatchItem] = []
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            text, problem = raw.decode("utf-8").rstrip("\r"), ""
        except UnicodeDecodeError as exc:
            text, problem = "", f"line {number} is not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8"
        name = _jsonl_id(text)
        if name is None or name in seen:
            name = f"{number:06d}"
        seen.add(name)
        items.append(BatchItem(key=f"line {number}", name=name, ext=ext, format=format or "", path="", text=text,
                               sha256=hashlib.sha256(raw).hexdigest(), problem=problem))
    return items


def _jsonl_id(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    found = (data.get("meta") or {}).get("id") if isinstance(data.get("meta"), dict) else None
    found = found if found is not None else data.get("id")
    found = str(found) if found is not None else None
    return found if found and _SAFE_ID.match(found) else None


def _known_extensions() -> set[str]:
    found: set[str] = set()
    for name in available_formats():
        try:
            found.update(get_format(name).extensions)
        except ImportError:  # a registered format whose module is missing here
            continue
    return found


def _check_unique_outputs(items: Iterable[BatchItem], targets: Sequence[str] = tuple(LANGUAGES)) -> None:
    owners: dict[str, str] = {}
    for item in items:
        skipped = item.skipped()
        for language in targets:
            target = item.output(language)
            if language in skipped:
                continue
            if target in owners:
                raise UsageError(f"{owners[target]!r} and {item.key!r} would write the same output "
                                 f"({target}); rename one of them")
            owners[target] = item.key


def _settings_signature(config: TranslatorConfig | None, translator: Any, targets: list[str],
                        source: str | None, format: str | None) -> str:
    """What decides an article's outputs, hashed: every option of the config (with the glossary's and
    the names table's contents), or a ready translator's backend signature, and the run's own settings.
    The options, not the loaded model: the Ray driver never loads it, and local and Ray runs must
    recognize each other's work."""
    if config is None:
        model: dict[str, Any] = BackendSignature.of(translator.backend).to_dict()
    else:
        model = config.to_dict()
        model["backend"] = config.backend_name
        for name in ("glossary", "names"):
            path = getattr(config, name)
            if path is not None:
                try:
                    model[f"{name}_sha256"] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                except OSError as exc:
                    raise from_exception(exc, source=str(path)) from exc
    raw = json.dumps({"model": model, "targets": targets, "source": source, "format": format,
                      "kztranslate": __version__}, sort_keys=True, default=repr)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _created_override() -> str | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return datetime.fromtimestamp(int(epoch), UTC).isoformat(timespec="seconds")
    except ValueError as exc:
        raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970") from exc

