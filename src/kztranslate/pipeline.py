"""The orchestrator: plan each block by role, segment, schedule, check, reassemble.

::

    Article ──plan──► per block: translate · localize date/count/furniture · transliterate names · keep
            ──segment──► sentences (inline markup as codes, long ones split to fit the model)
            ──schedule──► every segment of every article and target in one Scheduler call
            ──check──► QA checks on every model segment (re-decoded under the retry policy)
            ──reassemble──► variant Article per target, with provenance and QA findings

Each stage is its own module: :mod:`kztranslate.plan` (the block rules, the per-block plan),
:mod:`kztranslate.segmentation`, :mod:`kztranslate.engine.scheduler`, :mod:`kztranslate.quality`
(the QA stage; the checks are :mod:`kztranslate.qa`), :mod:`kztranslate.assemble`. Post-edits go
back into the translation memory through :mod:`kztranslate.postedit`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, overload

from . import langid, names, protect, segmentation
from .assemble import finish, place
from .config import MAX_BATCH_TOKENS, TranslatorConfig
from .document import Article, Finding
from .engine import Backend, Decoding, load_backend
from .engine.memory import TranslationMemory
from .engine.scheduler import Scheduler, ScheduleStats, SegmentRequest
from .errors import KZTranslateError, QualityError, UsageError
from .glossary import Glossary
from .languages import LANGUAGES, base_language, normalize_language, parse_targets
from .plan import BlockRule, Job, PieceRef, default_block_rules, plan_job
from .qa import Check, default_checks
from .quality import QA_POLICIES, fail_on_errors, review, sanitize, sanitized_finding
from .ruler import Ruler

__all__ = ["QA_POLICIES", "Translator", "translate"]


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
        max_batch_tokens: int = MAX_BATCH_TOKENS,
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
        self.rules: Ruler[BlockRule] = default_block_rules()
        """What happens to a block of each role (:mod:`kztranslate.plan`): list, enable or disable
        rules here (``translator.rules.disable("dateline")`` keeps datelines as printed)."""
        self.checks: Ruler[Check] = default_checks()
        """The QA checks run on every model segment (:mod:`kztranslate.qa`), named by the code they
        report: ``translator.checks.disable("length-ratio")``."""

    @classmethod
    def from_config(cls, config: TranslatorConfig) -> Translator:
        """A translator with every option of ``config`` (see :mod:`kztranslate.config`)."""
        return cls(config.load_backend(), **config.translator_kwargs())

    # -- public API -----------------------------------------------------------------------
    def translate(self, article: Article, to: Sequence[str] | str, *, source: str | None = None) -> dict[str, Article]:
        """Translate one article into each language of ``to``; returns ``{language: variant}``."""
        (result, _), = self.pipe([(article, None)], to, source=source, as_tuples=True, raise_errors=True)
        return result

    @overload
    def translate_text(  # type: ignore[overload-overlap]  # a str is a Sequence[str]: str is matched first
        self, text: str, to: str, *, source: str | None = None, markup: str = "text"
    ) -> str: ...
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
        on_stats: Callable[[ScheduleStats], None] | None = None,
    ) -> Iterator[Any]:
        """Translate many articles in one pass over the model.

        ``items`` are articles, or ``(article, context)`` pairs with ``as_tuples=True``; yields
        ``{language: variant}`` (or ``(variants, context)``) in input order; a target that is the
        article's own language is left out (asking only for it is a :class:`UsageError`). One bad article does
        not sink the batch: its result is the :class:`KZTranslateError` it raised, unless
        ``raise_errors`` is set. ``progress(finished, total)`` is called as model segments finish:
        ``finished`` is how many just finished (add them up), ``total`` how many there are in all.
        ``on_stats(stats)`` is called once the pass over the model is done, with what the scheduler
        did in it (:class:`~kztranslate.engine.scheduler.ScheduleStats`: memory hits, post-edits,
        model segments, batches); not called when no segment needed a model or the memory.
        """
        targets = parse_targets(to)
        pairs = list(items) if as_tuples else [(item, None) for item in items]
        jobs: list[Job] = []
        owners: list[list[int]] = []  # per item: its job indexes
        errors: dict[int, KZTranslateError] = {}
        for item_index, (article, _context) in enumerate(pairs):
            try:
                src = normalize_language(source) if source else _article_language(article)
                # an archive of mixed languages asks for all of them: the source's own is no variant
                wanted = [t for t in targets if t != src] or targets
                planned = [plan_job(self, article, src, tgt) for tgt in wanted]
                if source:  # --from is obeyed, but a text that reads as another language is flagged
                    mismatch = _source_mismatch(article, src)
                    for job in planned:
                        job.findings.extend(replace(f) for f in mismatch)
                owners.append(list(range(len(jobs), len(jobs) + len(planned))))
                jobs.extend(planned)
            except KZTranslateError as exc:
                if raise_errors:
                    raise
                errors[item_index] = exc
                owners.append([])
        self._run(jobs, progress, on_stats)
        for item_index, (_article, context) in enumerate(pairs):
            outcome: Any = errors.get(item_index)
            if outcome is None:
                outcome = {jobs[j].target: finish(self, jobs[j]) for j in owners[item_index]}
                # under the "fail" policy an error-level finding stops the article
                if self.qa_policy == "fail":
                    try:
                        fail_on_errors(outcome)
                    except QualityError as exc:
                        if raise_errors:
                            raise
                        outcome = exc
            yield (outcome, context) if as_tuples else outcome

    # -- running ------------------------------------------------------------------------------
    def _run(
        self,
        jobs: list[Job],
        progress: Callable[[int, int], None] | None,
        on_stats: Callable[[ScheduleStats], None] | None = None,
    ) -> None:
        """Every model segment of every job in one scheduler call; outputs checked, placeholders
        restored and put back into the jobs' plans."""
        requests: list[SegmentRequest] = []
        for j, job in enumerate(jobs):
            tgt = base_language(job.target)
            for b, plan in job.plans.items():
                for s, value in enumerate(plan.slots):
                    if value is None:
                        requests.append(self._request(job, PieceRef(j, b, s), plan.pieces[s], plan.languages[s], tgt))
        if not requests:
            return
        total = len(requests)
        schedule = self.scheduler.run(requests, progress=(lambda n: progress(n, total)) if progress else None)
        if on_stats is not None:
            on_stats(schedule.stats)
        outputs = [sanitize(request, output) for request, output in zip(requests, schedule.outputs, strict=True)]
        findings = review(self, jobs, requests, outputs)
        for request, output, found in zip(requests, outputs, findings, strict=True):
            ref, lead, trail, spans = request.context
            job = jobs[ref.job]
            if output.meta.get("sanitized"):
                job.findings.append(sanitized_finding(output.meta["sanitized"], ref.block, ref.slot))
            text, problems = protect.restore(output.text.strip(), spans)
            job.plans[ref.block].slots[ref.slot] = lead + text + trail
            job.variant.qa.extend(found)
            job.findings += [place(p, ref.block, ref.slot) for p in problems]
            origin = output.meta.get("origin", "model")
            job.origins[origin] = job.origins.get(origin, 0) + 1

    def _request(self, job: Job, ref: PieceRef, piece: str, language: str, target: str) -> SegmentRequest:
        """A piece as the model sees it: without its edge whitespace, protected spans, glossary
        terms and person names as placeholders."""
        core, lead, trail = segmentation.strip_edges(piece)
        core, spans = protect.protect(core, language)
        if job.glossary is not None:
            core, terms = job.glossary.apply(core, language, target, first=len(spans) + 1)
            spans += terms
        # person names of the names table and the gazetteer, official spelling
        core, people = protect.protect_names(core, language, target, self.name_table, first=len(spans) + 1)
        spans += people
        return SegmentRequest(core, language, target, (ref, lead, trail, spans))


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


# -- the source language -------------------------------------------------


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


def _source_mismatch(article: Article, source: str) -> list[Finding]:
    """A QA warning when the text reads as another language than the one given as the source."""
    text = "\n".join(b.text for b in article.blocks if b.translatable)
    if len(re.findall(r"\w+", text)) < 5:  # too little to go by
        return []
    found = langid.detect_language(text[:4000])
    if found is None or found == source:
        return []
    return [Finding("source-language-mismatch", "warning",
                    message=f"translated from {source!r} as asked (--from), but the text reads as {found!r}; "
                            "check the source language")]


def _detect_source(article: Article) -> str:
    """The article's language by language identification of its translatable text."""
    found = langid.detect_language("\n".join(b.text for b in article.blocks if b.translatable))
    return found or _no_language()


