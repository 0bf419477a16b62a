"""The orchestrator: plan each block by role, segment, schedule, check, reassemble.

::

    Article ──plan──► per block: translate · localize date/count/furniture · transliterate names · keep
            ──segment──► sentences (inline markup as codes, long ones split to fit the model)
            ──schedule──► every segment of every article and target in one Scheduler call
            ──reassemble──► variant Article per target, with provenance and QA findings
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Sequence

from . import inline, latin, localize, names, protect, segmentation
from ._version import __version__
from .document import Article, Block, InlineCode, Provenance
from .engine import Backend, Decoding, load_backend
from .engine.scheduler import Scheduler, SegmentRequest
from .errors import KZTranslateError, UsageError
from .glossary import Glossary
from .languages import base_language, normalize_language

__all__ = ["Translator", "translate"]

# A segment with no letter in it (a number, a dash) is kept as it is, never sent to a model.
_HAS_LETTER = re.compile(r"[^\W\d_]")


@dataclass(slots=True)
class _Piece:
    """One model segment of a block: where its output goes back to."""

    job: int
    """Index of the (article, target) job."""
    block: int
    """Index of the block in the article."""
    slot: int
    """Index of the segment within the block's segment list."""


@dataclass(slots=True)
class _Job:
    """One article into one target language."""

    article: Article
    source: str
    target: str
    variant: Article
    # per block index: the block's text pieces, each either final text or None (awaiting the model)
    segments: dict[int, list[str | None]] = field(default_factory=dict)
    truncated: list[tuple[int, int]] = field(default_factory=list)
    # QA findings of the placeholder and inline-code layers
    findings: list[dict[str, Any]] = field(default_factory=list)


class Translator:
    """Translates articles with one loaded backend; reuse it across calls (the model stays loaded).

    >>> tr = Translator(backend="pseudo")
    >>> variants = tr.translate(article, to=["ru", "en"])        # doctest: +SKIP
    """

    def __init__(
        self,
        backend: str | Backend | None = None,
        *,
        model: str | None = None,
        revision: str | None = None,
        decoding: Decoding | None = None,
        name_table: names.NameTable | None = None,
        dateline_pattern: dict[str, str] | str | None = None,
        glossary: Glossary | str | os.PathLike[str] | None = None,
        max_batch_tokens: int = 2048,
        **backend_options: Any,
    ) -> None:
        if backend is None or isinstance(backend, str):
            options = dict(backend_options)
            if model is not None:
                options["model"] = model
            if revision is not None:
                options["revision"] = revision
            if decoding is not None:
                options["decoding"] = decoding
            backend = load_backend(backend, **options)
        self.backend: Backend = backend
        self.name_table = name_table
        self.dateline_pattern = dateline_pattern
        self.glossary = glossary if glossary is None or isinstance(glossary, Glossary) else Glossary.load(glossary)
        self.scheduler = Scheduler(backend, max_batch_tokens=max_batch_tokens)

    # -- public API -----------------------------------------------------------------------
    def translate(self, article: Article, to: Sequence[str] | str, *, source: str | None = None) -> dict[str, Article]:
        """Translate one article into each language of ``to``; returns ``{language: variant}``."""
        (result, _), = self.pipe([(article, None)], to, source=source, as_tuples=True, raise_errors=True)
        return result

    def pipe(
        self,
        items: Iterable[Any],
        to: Sequence[str] | str,
        *,
        source: str | None = None,
        as_tuples: bool = False,
        raise_errors: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[Any]:
        """Translate many articles in one pass over the model.

        ``items`` are articles, or ``(article, context)`` pairs with ``as_tuples=True``; yields
        ``{language: variant}`` (or ``(variants, context)``) in input order. One bad article does
        not sink the batch: its result is the :class:`KZTranslateError` it raised, unless
        ``raise_errors`` is set.
        """
        targets = _parse_targets(to)
        pairs = list(items) if as_tuples else [(item, None) for item in items]
        jobs: list[_Job] = []
        owners: list[list[int]] = []  # per item: its job indexes
        errors: dict[int, KZTranslateError] = {}
        for item_index, (article, _context) in enumerate(pairs):
            try:
                src = normalize_language(source or article.language or _no_language())
                mine = [len(jobs) + k for k in range(len(targets))]
                jobs.extend(self._plan(article, src, tgt) for tgt in targets)
                owners.append(mine)
            except KZTranslateError as exc:
                if raise_errors:
                    raise
                errors[item_index] = exc
                owners.append([])
        self._run(jobs, progress)
        for item_index, (_article, context) in enumerate(pairs):
            outcome: Any = errors.get(item_index)
            if outcome is None:
                outcome = {jobs[j].target: self._finish(jobs[j]) for j in owners[item_index]}
            yield (outcome, context) if as_tuples else outcome

    # -- planning ---------------------------------------------------------------------------
    def _plan(self, article: Article, source: str, target: str) -> _Job:
        if source == target:
            raise UsageError(f"the article is already in {target!r}; choose another target language")
        src_model, tgt_model = base_language(source), base_language(target)
        if src_model != tgt_model and not self.backend.supports(src_model, tgt_model):
            raise UsageError(
                f"backend {self.backend.name!r} with model {self.backend.signature().get('model')!r} "
                f"does not translate {src_model} → {tgt_model}; choose another model (see `kztranslate models`)"
            )
        variant = article.copy()
        variant.language = target
        variant.qa = []
        job = _Job(article=article, source=source, target=target, variant=variant)
        for index, block in enumerate(variant.blocks):
            if source == "kk-Latn":
                _map_block_text(block, latin.to_cyrillic)
            self._plan_block(job, index, block, src_model, tgt_model)
        return job

    def _plan_block(self, job: _Job, index: int, block: Block, src: str, tgt: str) -> None:
        role = block.role
        if block.translatable or role == "tags":
            if src != tgt and block.text.strip():
                job.segments[index] = self._segment(block, src)
        elif role == "dateline":
            published = block.meta.get("published") or (job.article.published and job.article.published.isoformat())
            if published:
                pattern = self.dateline_pattern
                if isinstance(pattern, dict):
                    pattern = pattern.get(job.target) or pattern.get(tgt)
                block.text = localize.render_dateline(
                    datetime.fromisoformat(published), tgt, pattern, like=block.text
                )
        elif role == "counter":
            views = block.meta.get("views", job.article.views)
            if views is not None:
                block.text = localize.format_count(int(views), tgt, like=block.text)
        elif role == "byline":
            self._transliterate_byline(block, src, tgt)
        elif role == "share":
            localized = localize.localize_furniture(block.text, src, tgt)
            if localized is not None:
                block.text = localized

    def _segment(self, block: Block, language: str) -> list[str | None]:
        """Split a block into sentence segments (inline codes as markers, see kztranslate.inline);
        text with no letters stays as it is (str), model segments are marked None until the model
        answers. Kept in block.meta['_pieces']."""
        pieces: list[str] = []
        fits = lambda s: self.backend.count_tokens(s, language) <= self.backend.max_input_tokens  # noqa: E731
        sentences = segmentation.split_sentences(block.text, language)
        for sentence in inline.encode_pieces(block.text, block.inline, sentences):
            if fits(sentence):
                pieces.append(sentence)
            else:
                pieces.extend(segmentation.split_long(sentence, fits))
        block.meta["_pieces"] = pieces
        return [None if _HAS_LETTER.search(p) else p for p in pieces]

    def _transliterate_byline(self, block: Block, src: str, tgt: str) -> None:
        found = block.meta.get("names") or [block.text.strip()]
        converted = [names.transliterate_name(n, src, tgt, table=self.name_table) for n in found]
        text = block.text
        for old, new in zip(found, converted):
            text = text.replace(old, new)
        block.text = text
        if "names" in block.meta:
            block.meta["names"] = converted

    # -- running ------------------------------------------------------------------------------
    def _run(self, jobs: list[_Job], progress: Callable[[int], None] | None) -> None:
        requests: list[SegmentRequest] = []
        for j, job in enumerate(jobs):
            src, tgt = base_language(job.source), base_language(job.target)
            for b, slots in job.segments.items():
                pieces = job.variant.blocks[b].meta["_pieces"]
                for s, value in enumerate(slots):
                    if value is None:
                        core, lead, trail = _strip(pieces[s])
                        core, spans = protect.protect(core, src)
                        if self.glossary is not None:
                            core, terms = self.glossary.apply(core, src, tgt, first=len(spans) + 1)
                            spans += terms
                        requests.append(SegmentRequest(core, src, tgt, (_Piece(j, b, s), lead, trail, spans)))
        if not requests:
            return
        outputs = self.scheduler.translate(requests, progress=progress)
        for request, output in zip(requests, outputs, strict=True):
            piece, lead, trail, spans = request.context
            job = jobs[piece.job]
            text, problems = protect.restore(output.text.strip(), spans)
            job.segments[piece.block][piece.slot] = lead + text + trail
            job.findings += [_finding(p, piece.block, piece.slot) for p in problems]
            if output.truncated:
                job.truncated.append((piece.block, piece.slot))

    def _finish(self, job: _Job) -> Article:
        variant = job.variant
        for b, slots in job.segments.items():
            block = variant.blocks[b]
            pieces = block.meta["_pieces"]
            block.text, block.inline, problems = inline.decode(_join(slots), block.inline, block.text)
            for problem in problems:
                marker = problem["marker"]
                at = next((i for i, p in enumerate(pieces) if marker and re.search(rf"</?{marker}/?>", p)), None)
                job.findings.append(_finding(problem, b, at))
        for block in variant.blocks:
            block.meta.pop("_pieces", None)
            if job.target == "kk-Latn":
                _map_block_text(block, latin.to_latin)
        variant.qa.extend(job.findings)
        for b, s in job.truncated:
            variant.qa.append({
                "code": "truncated",
                "severity": "error",
                "block": b,
                "segment": s,
                "message": "the model's output hit the length limit; the segment may be cut short",
            })
        signature = self.backend.signature()
        variant.provenance = Provenance(
            source_language=job.source,
            target_language=job.target,
            backend=signature.get("backend", self.backend.name),
            model=signature.get("model"),
            model_revision=signature.get("model_revision"),
            decoding=signature.get("decoding", {}),
            kztranslate_version=__version__,
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            source_sha256=job.article.checksum(),
            machine_translated=bool(job.segments),
        )
        if self.glossary is not None:
            variant.provenance.meta["glossary"] = self.glossary.signature()
        return variant


def translate(
    article: Article,
    to: Sequence[str] | str,
    *,
    source: str | None = None,
    backend: str | Backend | None = None,
    **options: Any,
) -> dict[str, Article]:
    """One-shot helper: ``Translator(backend, **options).translate(article, to)``."""
    return Translator(backend, **options).translate(article, to, source=source)


def _parse_targets(to: Sequence[str] | str) -> list[str]:
    raw = to.split(",") if isinstance(to, str) else list(to)
    targets = [normalize_language(t) for t in raw if str(t).strip()]
    if not targets:
        raise UsageError("no target language given; use e.g. to=['ru', 'en'] or --to ru,en")
    return list(dict.fromkeys(targets))


def _no_language() -> str:
    raise UsageError("the article's language is unknown; pass the source language (--from kk)")


def _strip(text: str) -> tuple[str, str, str]:
    core = text.strip()
    if not core:
        return "", text, ""
    start = text.index(core)
    return core, text[:start], text[start + len(core):]


def _finding(problem: dict[str, Any], block: int, segment: int | None) -> dict[str, Any]:
    """A problem of the placeholder or inline-code layer as a QA finding of the variant."""
    return {"code": problem["code"], "severity": problem["severity"], "block": block, "segment": segment,
            "message": problem["message"]}


def _join(slots: list[str | None]) -> str:
    return "".join(s or "" for s in slots)


def _map_block_text(block: Block, convert: Callable[[str], str]) -> None:
    """Apply a character-level conversion to a block's text, keeping inline codes on the same text."""
    if not block.inline:
        block.text = convert(block.text)
        return
    cuts = sorted({0, len(block.text), *(c.start for c in block.inline), *(c.end for c in block.inline)})
    new_offsets: dict[int, int] = {0: 0}
    parts: list[str] = []
    length = 0
    for a, b in zip(cuts, cuts[1:]):
        part = convert(block.text[a:b])
        parts.append(part)
        length += len(part)
        new_offsets[b] = length
    block.text = "".join(parts)
    block.inline = [
        InlineCode(c.id, c.tag, new_offsets[c.start], new_offsets[c.end], c.attrs, c.meta) for c in block.inline
    ]
