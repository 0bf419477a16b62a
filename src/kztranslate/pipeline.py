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
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence, overload

from . import bylines, inline, labels, langid, latin, localize, names, protect, qa, segmentation
from .document import Article, Block, InlineCode, Provenance
from .engine import Backend, Decoding, Translation, load_backend
from .engine.base import BackendSignature, Redecodable
from .engine.memory import TranslationMemory
from .engine.scheduler import Scheduler, SegmentRequest
from .errors import FormatError, KZTranslateError, QualityError, UsageError
from .glossary import Glossary
from .languages import LANGUAGES, base_language, needs_model, normalize_language, parse_targets

__all__ = ["QA_POLICIES", "Translator", "translate", "post_edit_segments"]

#: What ``Translator(qa=...)`` / ``--qa`` does with QA findings: record them on the variant
#: (``flag``), re-decode flagged segments with stronger settings and keep the better output
#: (``retry``), or raise :class:`QualityError` when a variant has an error-level finding (``fail``).
QA_POLICIES: tuple[str, ...] = ("flag", "retry", "fail")

# A segment with no letter in it (a number, a dash) is kept as it is, never sent to a model.
_HAS_LETTER = re.compile(r"[^\W\d_]")

#: The longest segment sent to a model, in characters, whatever its token count: a longer sentence
#: (a run without spaces, a table flattened into one line) is split — never truncated — so no
#: segment costs more than a bounded amount of work anywhere (model, QA, memory).
MAX_SEGMENT_CHARS = 2000


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
    origins: dict[str, int] = field(default_factory=dict)  # segments per origin: model, memory, post_edit
    retried: int = 0
    improved: int = 0
    # QA findings of the placeholder and inline-code layers
    findings: list[dict[str, Any]] = field(default_factory=list)
    # the article's own glossary (``meta["glossary"]``), else the translator's
    glossary: Glossary | None = None


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
        memory: TranslationMemory | str | None = None,
        qa: str = "flag",
        label: bool = False,
        **backend_options: Any,
    ) -> None:
        if qa not in QA_POLICIES:
            raise UsageError(f"unknown QA policy {qa!r}; choose one of: {', '.join(QA_POLICIES)}")
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
        self.scheduler = Scheduler(backend, memory=memory, max_batch_tokens=max_batch_tokens)
        self.qa_policy = qa
        self.label = label

    # -- public API -----------------------------------------------------------------------
    def translate(self, article: Article, to: Sequence[str] | str, *, source: str | None = None) -> dict[str, Article]:
        """Translate one article into each language of ``to``; returns ``{language: variant}``."""
        (result, _), = self.pipe([(article, None)], to, source=source, as_tuples=True, raise_errors=True)
        return result

    @overload
    def translate_text(self, text: str, to: str, *, source: str | None = None, markup: str = "text") -> str: ...
    @overload
    def translate_text(
        self, text: Sequence[str], to: str, *, source: str | None = None, markup: str = "text"
    ) -> list[str]: ...
    def translate_text(
        self, text: str | Sequence[str], to: str, *, source: str | None = None, markup: str = "text"
    ) -> str | list[str]:
        """Translate a string (or each string of a list) into one language: plain text, or an HTML
        fragment with ``markup="html"``. Sentence by sentence, with the same segmentation, protected
        spans, glossary, QA and translation memory as articles, but never read as an article (a line
        that looks like a dateline or ``Бөлісу:`` is text). Without ``source`` each string's language
        is detected. See :mod:`kztranslate.plaintext` for the results with languages and QA findings."""
        from .plaintext import translate_texts

        texts = [text] if isinstance(text, str) else list(text)
        results = [r.text for r in translate_texts(self, texts, to, source=source, markup=markup)]
        return results[0] if isinstance(text, str) else results

    def pipe(
        self,
        items: Iterable[Any],
        to: Sequence[str] | str,
        *,
        source: str | None = None,
        as_tuples: bool = False,
        raise_errors: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> Iterator[Any]:
        """Translate many articles in one pass over the model.

        ``items`` are articles, or ``(article, context)`` pairs with ``as_tuples=True``; yields
        ``{language: variant}`` (or ``(variants, context)``) in input order; a target that is the
        article's own language is left out (asking only for it is a :class:`UsageError`). One bad article does
        not sink the batch: its result is the :class:`KZTranslateError` it raised, unless
        ``raise_errors`` is set. ``progress(finished, total)`` is called as model segments finish:
        ``finished`` is how many just finished (add them up), ``total`` how many there are in all.
        """
        targets = parse_targets(to)
        pairs = list(items) if as_tuples else [(item, None) for item in items]
        jobs: list[_Job] = []
        owners: list[list[int]] = []  # per item: its job indexes
        errors: dict[int, KZTranslateError] = {}
        for item_index, (article, _context) in enumerate(pairs):
            try:
                src = normalize_language(source) if source else _article_language(article)
                # an archive of mixed languages asks for all of them: the source's own is no variant
                wanted = [t for t in targets if t != src] or targets
                planned = [self._plan(article, src, tgt) for tgt in wanted]
                if source:  # --from is obeyed, but a text that reads as another language is flagged
                    mismatch = _source_mismatch(article, src)
                    for job in planned:
                        job.findings.extend(mismatch)
                owners.append(list(range(len(jobs), len(jobs) + len(planned))))
                jobs.extend(planned)
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
                # under the "fail" policy an error-level finding stops the article
                if self.qa_policy == "fail":
                    try:
                        _fail_on_errors(outcome)
                    except QualityError as exc:
                        if raise_errors:
                            raise
                        outcome = exc
            yield (outcome, context) if as_tuples else outcome

    # -- planning ---------------------------------------------------------------------------
    def _plan(self, article: Article, source: str, target: str) -> _Job:
        if source == target:
            raise UsageError(f"the article is already in {target!r}; choose another target language")
        src_model, tgt_model = base_language(source), base_language(target)
        if needs_model(source, target) and not self.backend.supports(src_model, tgt_model):
            raise UsageError(
                f"backend {self.backend.name!r} with model {BackendSignature.of(self.backend).model!r} "
                f"does not translate {src_model} → {tgt_model}; choose another model (see `kztranslate models`)"
            )
        variant = article.copy()
        variant.language = target
        variant.qa = []
        # the label of an earlier machine translation describes that one, not this one
        variant.blocks = [b for b in variant.blocks if not _is_label(b)]
        job = _Job(article=article, source=source, target=target, variant=variant,
                   glossary=_article_glossary(article) or self.glossary)
        for index, block in enumerate(variant.blocks):
            if source == "kk-Latn":
                _convert_script(block, latin.to_cyrillic)
            self._plan_block(job, index, block, src_model, tgt_model)
        return job

    def _plan_block(self, job: _Job, index: int, block: Block, src: str, tgt: str) -> None:
        role = block.role
        if role == "share" or block.meta.get("furniture"):
            # site furniture is localized from the built-in table, never sent to the model
            localized = localize.localize_furniture(block.text, src, tgt)
            if localized is not None:
                block.text = localized
        elif block.translatable or role == "tags":
            if src != tgt and block.text.strip():
                job.segments[index] = self._segment(block, src, tgt)
        elif role == "dateline":
            published = block.meta.get("published") or (job.article.published and job.article.published.isoformat())
            if "relative" in block.meta:  # "Бүгін, 14:25"
                block.text = localize.localize_relative_dateline(block.text, src, tgt)
            elif published:
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
            # kk-Latn keeps a Western name in its own Latin letters
            self._transliterate_byline(block, src, job.target if job.target == "kk-Latn" else tgt)

    def _segment(self, block: Block, language: str, target: str) -> list[str | None]:
        """Split a block into sentence segments (inline codes as markers, see kztranslate.inline);
        text with no letters stays as it is (str), model segments are marked None until the model
        answers. The pieces are kept in block.meta['_pieces'], the language of each in
        block.meta['_languages']."""
        pieces: list[str] = []
        def fits(text: str) -> bool:
            return len(text) <= MAX_SEGMENT_CHARS and \
                self.backend.count_tokens(text, language) <= self.backend.max_input_tokens

        # a plain-text block may ask for no sentence splitting (DeepL's split_sentences=0)
        whole = block.meta.get("plain") == "whole"
        sentences = [block.text] if whole else segmentation.split_sentences(block.text, language)
        for sentence in inline.encode_pieces(block.text, block.inline, sentences):
            if fits(sentence):
                pieces.append(sentence)
            else:
                pieces.extend(segmentation.split_long(sentence, fits))
        # A sentence in another language (a Russian quote in a Kazakh article) is translated from
        # its own language, and kept verbatim in the variant of that language.
        pieces, languages = _split_by_language(pieces, language)
        # a site label opening the block ("Фото: …") is localized; only the rest goes to the model
        # (not in plain text given as such, where "Фото:" is text like any other)
        label = localize.split_site_label(pieces[0]) if pieces and not block.meta.get("plain") else None
        if label is not None:
            pieces[:1] = [localize.localize_furniture(label[0], language, target), label[1]]
            languages[:1] = [target, languages[0]]
        block.meta["_languages"] = languages
        block.meta["_pieces"] = pieces
        # letters of the text itself: not of markers or escapes ("<--->" is sent as "&lt;---&gt;")
        return [None if _HAS_LETTER.search(inline.unescape(inline.MARKER.sub("", p))) and lang != target else p
                for p, lang in zip(pieces, languages)]

    def _transliterate_byline(self, block: Block, src: str, tgt: str) -> None:
        # persons are transliterated, labels localized, organizations kept (kztranslate.bylines); a reader
        # may give each name in normal case beside its printed form ("Ерлан ТӨЛЕУОВ")
        normal = dict(zip(block.meta.get("printed") or [], block.meta.get("names") or []))

        def person(printed: str) -> str:
            converted = names.transliterate_name(normal.get(printed, printed), src, tgt, table=self.name_table)
            return localize.house_case(converted, printed, tgt)

        def render(text: str) -> str:
            return bylines.render_byline(text, tgt, person)

        block.text = render(block.text)
        if "names" in block.meta:
            block.meta["names"] = [render(n) for n in block.meta["names"]]

    # -- running ------------------------------------------------------------------------------
    def _run(self, jobs: list[_Job], progress: Callable[[int, int], None] | None) -> None:
        requests: list[SegmentRequest] = []
        for j, job in enumerate(jobs):
            tgt = base_language(job.target)
            for b, slots in job.segments.items():
                pieces = job.variant.blocks[b].meta["_pieces"]
                languages = job.variant.blocks[b].meta["_languages"]
                for s, value in enumerate(slots):
                    if value is None:
                        core, lead, trail = _strip(pieces[s])
                        core, spans = protect.protect(core, languages[s])
                        if job.glossary is not None:
                            core, terms = job.glossary.apply(core, languages[s], tgt, first=len(spans) + 1)
                            spans += terms
                        # person names of the names table and the gazetteer, official spelling
                        core, people = protect.protect_names(core, languages[s], tgt, self.name_table,
                                                             first=len(spans) + 1)
                        spans += people
                        requests.append(SegmentRequest(core, languages[s], tgt, (_Piece(j, b, s), lead, trail, spans)))
        if not requests:
            return
        total = len(requests)
        outputs = self.scheduler.translate(requests, progress=(lambda n: progress(n, total)) if progress else None)
        outputs = [_sanitize(request, output) for request, output in zip(requests, outputs, strict=True)]
        findings = self._quality(jobs, requests, outputs)
        for request, output, found in zip(requests, outputs, findings, strict=True):
            piece, lead, trail, spans = request.context
            job = jobs[piece.job]
            if output.meta.get("sanitized"):
                job.findings.append(_sanitized(output.meta["sanitized"], piece.block, piece.slot))
            text, problems = protect.restore(output.text.strip(), spans)
            job.segments[piece.block][piece.slot] = lead + text + trail
            job.variant.qa.extend(f.to_dict() for f in found)
            job.findings += [_finding(p, piece.block, piece.slot) for p in problems]
            origin = output.meta.get("origin", "model")
            job.origins[origin] = job.origins.get(origin, 0) + 1

    # QA checks run between the scheduler and reassembly
    def _quality(
        self, jobs: list[_Job], requests: list[SegmentRequest], outputs: list[Translation]
    ) -> list[list[qa.Finding]]:
        """Check every model segment; under ``retry`` re-decode the flagged ones with stronger
        settings and keep, per segment, the output with fewer and milder findings (``outputs``
        is updated in place). Returns the findings of each segment."""
        pseudo = getattr(self.backend, "pseudo_translation", False)
        checked = [_check(request, output, pseudo) for request, output in zip(requests, outputs)]
        if self.qa_policy != "retry":
            return checked
        # translation-memory hits and post-edits are an editor's text: reported, never re-decoded
        flagged = [
            i for i, found in enumerate(checked)
            if _weight(found) > (0, 0) and outputs[i].meta.get("origin", "model") == "model"
        ]
        if not flagged:
            return checked
        for i, candidates in zip(flagged, self._redecode([requests[i] for i in flagged])):
            job = jobs[requests[i].context[0].job]
            job.retried += 1
            improved = False
            for candidate in candidates:
                found = _check(requests[i], candidate, pseudo)
                if _weight(found) < _weight(checked[i]):
                    outputs[i], checked[i], improved = candidate, found, True
            if improved:
                outputs[i].meta["qa_retried"] = True
                job.improved += 1
        return checked

    def _redecode(self, requests: list[SegmentRequest]) -> list[list[Translation]]:
        """Candidates per request: the segment with stronger decoding (beams ≥ 4, repetition
        penalty 1.2, no repeated trigrams) and, when it splits, its clauses translated one by one."""
        current = BackendSignature.of(self.backend).decoding
        stronger = replace(
            current,
            beams=max(4, current.beams),
            repetition_penalty=max(1.2, current.repetition_penalty),
            no_repeat_ngram_size=3,
        )
        backend = self.backend.with_decoding(stronger) if isinstance(self.backend, Redecodable) else self.backend
        clause_lists = [_clauses(request) for request in requests]
        retry = [SegmentRequest(r.text, r.source, r.target) for r in requests]
        retry += [SegmentRequest(c.strip(), r.source, r.target) for r, cs in zip(requests, clause_lists) for c in cs]
        redone = Scheduler(backend, max_batch_tokens=self.scheduler.max_batch_tokens).translate(retry)
        outputs = iter([_sanitize(request, output) for request, output in zip(retry, redone, strict=True)])
        whole = [next(outputs) for _ in requests]
        candidates: list[list[Translation]] = []
        for output, clauses in zip(whole, clause_lists):
            options = [output]
            if clauses:
                parts = [next(outputs) for _ in clauses]
                options.append(Translation(
                    " ".join(p.text.strip() for p in parts),
                    truncated=any(p.truncated for p in parts),
                    meta={"clauses": len(parts)},
                ))
            candidates.append(options)
        return candidates

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
            block.meta.pop("_languages", None)
            if job.target == "kk-Latn":
                _convert_script(block, latin.to_latin)
        variant.qa.extend(job.findings)
        if self.label:
            _add_label(variant, job.source, job.target)
        variant.provenance = Provenance.from_signature(
            BackendSignature.of(self.backend),
            job.source,
            job.target,
            source_sha256=job.article.checksum(),
            machine_translated=bool(job.segments),
            meta={"qa": {"policy": self.qa_policy, **qa.summarize(variant.qa), **(
                {"retried": job.retried, "improved": job.improved} if self.qa_policy == "retry" else {}
            )}},
        )
        if self.scheduler.memory is not None:
            variant.provenance.meta["memory"] = {
                "segments": sum(job.origins.values()),
                "hits": job.origins.get("memory", 0),
                "post_edits": job.origins.get("post_edit", 0),
            }
        if job.glossary is not None:
            variant.provenance.meta["glossary"] = job.glossary.signature()
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


def _no_language() -> str:
    raise UsageError(
        "the article's language is unknown and could not be detected; pass the source language "
        '(--from kk on the command line, "from": "kk" in the HTTP API, source="kk" in Python)'
    )


# -- helpers for language detection, QA and labels -------------------------------------------------


def _article_language(article: Article) -> str:
    """The article's own language, as read (a declared one kztranslate does not translate from is
    refused naming the file and the field it came from) or detected."""
    if not article.language:
        return normalize_language(_detect_source(article))
    try:
        return normalize_language(article.language)
    except UsageError:
        fields = [v.get("language_field") for v in article.meta.values() if isinstance(v, dict)]
        field = next((f for f in fields if f), None)
        where = f"{article.source}: " if article.source else ""
        raise UsageError(
            f"{where}the article is in {article.language!r}" + (f" (its {field})" if field else "")
            + ", a language kztranslate does not translate from; if the file is mistaken about its language, "
            f"pass --from, and choose one of: {', '.join(LANGUAGES)}"
        ) from None


def _source_mismatch(article: Article, source: str) -> list[dict[str, Any]]:
    """A QA warning when the text reads as another language than the one given as the source."""
    text = "\n".join(b.text for b in article.blocks if b.translatable)
    if len(re.findall(r"\w+", text)) < 5:  # too little to go by
        return []
    found = langid.detect_language(text[:4000])
    if found is None or found == source:
        return []
    return [{"code": "source-language-mismatch", "severity": "warning", "block": None, "segment": None,
             "message": f"translated from {source!r} as asked (--from), but the text reads as {found!r}; "
                        "check the source language"}]


def _detect_source(article: Article) -> str:
    """The article's language by language identification of its translatable text."""
    found = langid.detect_language("\n".join(b.text for b in article.blocks if b.translatable))
    return found or _no_language()


def _split_by_language(pieces: list[str], language: str) -> tuple[list[str], list[str]]:
    """Each piece with its language (the model's tag); a piece in another language than
    ``language`` is split from its attribution ("«…», - деді ол."), which stays in ``language``."""
    out: list[str] = []
    languages: list[str] = []
    # markup codes and protected spans (URLs, Latin brand names in Cyrillic text) say nothing of the language
    plain = [protect.PLACEHOLDER.sub("", protect.protect(inline.MARKER.sub("", p), language)[0]) for p in pieces]
    for piece, found in zip(pieces, langid.detect_sentences(plain)):
        other = base_language(found) if found else language
        if other == language:
            out.append(piece)
            languages.append(language)
            continue
        before, speech, after = langid.split_attribution(piece)
        for part, lang in ((before, language), (speech, other), (after, language)):
            if part:
                out.append(part)
                languages.append(lang)
    return out, languages


def _check(request: SegmentRequest, output: Translation, pseudo: bool) -> list[qa.Finding]:
    piece = request.context[0]
    # Remembered: a re-translation checks again every segment the memory answered, unchanged.
    found = _checked(request.text, output.text, request.source, request.target, output.truncated, piece.block,
                     piece.slot, not pseudo)
    return [replace(f, meta=dict(f.meta)) for f in found]


@lru_cache(maxsize=20_000)
def _checked(source_text: str, output_text: str, source: str, target: str, truncated: bool, block: int | None,
             segment: int | None, language_checks: bool) -> tuple[qa.Finding, ...]:
    return tuple(qa.check_segment(
        source_text,
        output_text,
        source,
        target,
        truncated=truncated,
        # markup codes and protected spans are checked (and repaired) by kztranslate.inline/protect
        block=block,
        segment=segment,
        language_checks=language_checks,
    ))


def _clauses(request: SegmentRequest) -> list[str]:
    """The segment's clauses (none when it has one): never word fragments, which a model
    translates badly and QA could still score as better."""
    clauses = [c for c in segmentation.split_clauses(request.text) if c.strip()]
    return clauses if len(clauses) > 1 else []


def _weight(findings: list[qa.Finding]) -> tuple[int, int]:
    """(errors, warnings): lower is better."""
    return (
        sum(f.severity == "error" for f in findings),
        sum(f.severity == "warning" for f in findings),
    )


def _fail_on_errors(variants: dict[str, Article]) -> None:
    errors = [{**f, "target": target} for target, v in variants.items() for f in v.qa if f["severity"] == "error"]
    if errors:
        where = "; ".join(f"{f['target']} block {f['block']} segment {f['segment']}: {f['code']}" for f in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise QualityError(
            f"QA found {len(errors)} error(s): {where}{more}; review the source, or use --qa flag to write "
            "the variants with the findings recorded",
            errors,
        )


def _is_label(block: Block) -> bool:
    """A label block we wrote, as such or read back from a format as a short line."""
    if "label" in block.meta:
        return True
    if block.meta.get("plain"):  # plain text given as such is the caller's, never our label
        return False
    return block.role in ("paragraph", "other") and labels.parse_label(block.text) is not None


def _add_label(variant: Article, source: str, target: str) -> None:
    """Add the localized machine-translation label after the body, before the byline and share trailer
    (between the byline and the trailer it would hide the byline from the text reader)."""
    position = len(variant.blocks)
    while position and variant.blocks[position - 1].role in ("byline", "share"):
        position -= 1
    text = labels.machine_translation_label(source, target)
    variant.blocks.insert(position, Block(
        "other", text, meta={"label": labels.label_kind(source, target), "translate": False}
    ))
    for finding in variant.qa:
        if finding.get("block") is not None and finding["block"] >= position:
            finding["block"] += 1


def _article_glossary(article: Article) -> Glossary | None:
    """An article's own glossary: rows like a glossary file's under ``meta["glossary"]``
    (``{"rows": [...], "name": ...}``, or the list of rows)."""
    data = article.meta.get("glossary")
    if not data:
        return None
    rows, name = (data.get("rows"), str(data.get("name") or "glossary")) if isinstance(data, dict) else (data, "glossary")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise FormatError(
            'meta.glossary is an article\'s own glossary: a list of rows like {"kk": "Астана", "en": "Astana"} '
            '(or {"name": …, "rows": [...]}); fix it, or rename the field if it is something else'
        )
    return Glossary.from_rows(rows, name=name)


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


def _sanitize(request: SegmentRequest, output: Translation) -> Translation:
    """The model's output without what no format can write (see :func:`kztranslate.qa.sanitize_output`);
    what was changed goes to ``meta["sanitized"]``, reported as an ``output-sanitized`` finding."""
    text, changes = qa.sanitize_output(output.text, request.text)
    if not changes:
        return output
    return Translation(text, output.truncated, {**output.meta, "sanitized": changes})


def _sanitized(changes: dict[str, Any], block: int, segment: int) -> dict[str, Any]:
    """The ``output-sanitized`` finding of a model segment (see :func:`kztranslate.qa.sanitize_output`)."""
    what = [f"{n}× {code}" for code, n in changes.get("removed", {}).items()]
    if changes.get("line_breaks"):
        what.append(f"{changes['line_breaks']} line break(s) the source has not (now spaces)")
    return qa.Finding("output-sanitized", "warning", block, segment,
                      "the model's output held characters that cannot be written; removed: " + ", ".join(what),
                      changes).to_dict()


def _join(slots: list[str | None]) -> str:
    return "".join(s or "" for s in slots)


def _convert_script(block: Block, convert: Callable[[str], str]) -> None:
    """Apply a character-level conversion (Cyrillic ↔ Latin) to a block's text and byline names,
    keeping inline codes on the same text."""
    if "names" in block.meta:
        block.meta["names"] = [convert(n) for n in block.meta["names"]]
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


# -- post-edits into the translation memory --------------------------------------------------------
def post_edit_segments(
    source: Block, edited: Block, source_language: str, target_language: str,
    name_table: names.NameTable | None = None,
) -> list[tuple[str, str, str]] | None:
    """The sentences of a post-edited block as the translation memory keys them: ``(language of the
    source sentence, source sentence, edited sentence)``, both sides in the form the pipeline sends
    to the model (inline markers ``<1>…</1>``, protected spans as ``[[n]]``), so that translating the
    article again finds them. None when the edit's sentences, markup or protected spans do not line
    up one to one with the source's (the edit merged sentences, dropped a URL, …). Glossary terms
    are not applied: a sentence with a glossary term is looked up with its placeholder. Person names
    of ``name_table`` and the gazetteer are, as in translation (the edit must keep their spelling)."""
    target = base_language(target_language)
    pieces = inline.encode_pieces(source.text, source.inline,
                                  segmentation.split_sentences(source.text, source_language))
    pieces, languages = _split_by_language(pieces, source_language)
    marker_of = {c.id: k + 1 for k, c in enumerate(source.inline)}
    if any(c.id not in marker_of for c in edited.inline):
        return None
    renumber = {k + 1: marker_of[c.id] for k, c in enumerate(edited.inline)}
    edits = [
        inline.MARKER.sub(lambda m: m.group().replace(m.group(2), str(renumber[int(m.group(2))]), 1), piece)
        for piece in inline.encode_pieces(edited.text, edited.inline,
                                          segmentation.split_sentences(edited.text, target))
    ]
    if len(edits) != len(pieces):
        return None
    found: list[tuple[str, str, str]] = []
    for piece, language, edit in zip(pieces, languages, edits):
        if not _HAS_LETTER.search(piece) or language == target:
            continue  # never sent to the model
        core, spans = protect.protect(_strip(piece)[0], language)
        edit = _strip(edit)[0]
        core, people = protect.protect_names(core, language, target, name_table, first=len(spans) + 1)
        for span in spans + people:
            written = span.output if span.kind == "name" else span.text
            if written not in edit:
                return None
            edit = edit.replace(written, protect.placeholder(span.number), 1)
        found.append((language, core, edit))
    return found
