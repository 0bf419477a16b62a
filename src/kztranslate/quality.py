"""The pipeline's QA stage, between the scheduler and reassembly: every model output made safe to
write, checked with the translator's QA checks (:mod:`kztranslate.qa`) and, under the ``retry``
policy, re-decoded with stronger settings where flagged; under ``fail`` an error-level finding
stops the article."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from . import qa, segmentation
from .document import Article, Finding
from .engine import Translation
from .engine.base import BackendSignature, Redecodable
from .engine.scheduler import Scheduler, SegmentRequest
from .errors import QualityError
from .plan import Job, PieceRef

if TYPE_CHECKING:
    from .pipeline import Translator

__all__ = ["QA_POLICIES", "fail_on_errors", "review", "sanitize", "sanitized_finding"]

#: What ``Translator(qa=...)`` / ``--qa`` does with QA findings: record them on the variant
#: (``flag``), re-decode flagged segments with stronger settings and keep the better output
#: (``retry``), or raise :class:`QualityError` when a variant has an error-level finding (``fail``).
QA_POLICIES: tuple[str, ...] = ("flag", "retry", "fail")


def review(
    translator: Translator, jobs: list[Job], requests: list[SegmentRequest], outputs: list[Translation]
) -> list[list[Finding]]:
    """Check every model segment; under ``retry`` re-decode the flagged ones with stronger
    settings and keep, per segment, the output with fewer and milder findings (``outputs``
    is updated in place). Returns the findings of each segment."""
    pseudo = getattr(translator.backend, "pseudo_translation", False)
    checks = tuple(translator.checks.get_rules())
    checked = [_check(request, output, pseudo, checks) for request, output in zip(requests, outputs)]
    if translator.qa_policy != "retry":
        return checked
    # translation-memory hits and post-edits are an editor's text: reported, never re-decoded
    flagged = [
        i for i, found in enumerate(checked)
        if _weight(found) > (0, 0) and outputs[i].meta.get("origin", "model") == "model"
    ]
    if not flagged:
        return checked
    for i, candidates in zip(flagged, _redecode(translator, [requests[i] for i in flagged])):
        job = jobs[_ref(requests[i]).job]
        job.retried += 1
        improved = False
        for candidate in candidates:
            found = _check(requests[i], candidate, pseudo, checks)
            if _weight(found) < _weight(checked[i]):
                outputs[i], checked[i], improved = candidate, found, True
        if improved:
            outputs[i].meta["qa_retried"] = True
            job.improved += 1
    return checked


def sanitize(request: SegmentRequest, output: Translation) -> Translation:
    """The model's output without what no format can write (see :func:`kztranslate.qa.sanitize_output`);
    what was changed goes to ``meta["sanitized"]``, reported as an ``output-sanitized`` finding."""
    text, changes = qa.sanitize_output(output.text, request.text)
    if not changes:
        return output
    return Translation(text, output.truncated, {**output.meta, "sanitized": changes})


def sanitized_finding(changes: dict[str, Any], block: int, segment: int) -> Finding:
    """The ``output-sanitized`` finding of a model segment (see :func:`kztranslate.qa.sanitize_output`)."""
    what = [f"{n}× {code}" for code, n in changes.get("removed", {}).items()]
    if changes.get("line_breaks"):
        what.append(f"{changes['line_breaks']} line break(s) the source has not (now spaces)")
    return Finding("output-sanitized", "warning", block, segment,
                   "the model's output held characters that cannot be written; removed: " + ", ".join(what),
                   changes)


def fail_on_errors(variants: dict[str, Article]) -> None:
    """Raise :class:`QualityError` when a variant has an error-level finding (the ``fail`` policy);
    each finding of the error names its variant's language in ``extra["target"]``."""
    errors = [replace(f, extra={**f.extra, "target": target})
              for target, v in variants.items() for f in v.qa if f.severity == "error"]
    if errors:
        where = "; ".join(f"{f.extra['target']} block {f.block} segment {f.segment}: {f.code}" for f in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise QualityError(
            f"QA found {len(errors)} error(s): {where}{more}; review the source, or use --qa flag to write "
            "the variants with the findings recorded",
            errors,
        )


def _ref(request: SegmentRequest) -> PieceRef:
    ref: PieceRef = request.context[0]
    return ref


def _check(request: SegmentRequest, output: Translation, pseudo: bool, checks: tuple[qa.Check, ...]) -> list[Finding]:
    ref = _ref(request)
    # Remembered: a re-translation checks again every segment the memory answered, unchanged.
    found = _checked(request.text, output.text, request.source, request.target, output.truncated, ref.block,
                     ref.slot, not pseudo, checks)
    return [replace(f, meta=dict(f.meta)) for f in found]


@lru_cache(maxsize=20_000)
def _checked(source_text: str, output_text: str, source: str, target: str, truncated: bool, block: int | None,
             segment: int | None, language_checks: bool, checks: tuple[qa.Check, ...]) -> tuple[Finding, ...]:
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
        checks=checks,
    ))


def _weight(findings: Sequence[Finding]) -> tuple[int, int]:
    """(errors, warnings): lower is better."""
    return (
        sum(f.severity == "error" for f in findings),
        sum(f.severity == "warning" for f in findings),
    )


def _clauses(request: SegmentRequest) -> list[str]:
    """The segment's clauses (none when it has one): never word fragments, which a model
    translates badly and QA could still score as better."""
    clauses = [c for c in segmentation.split_clauses(request.text) if c.strip()]
    return clauses if len(clauses) > 1 else []


def _redecode(translator: Translator, requests: list[SegmentRequest]) -> list[list[Translation]]:
    """Candidates per request: the segment with stronger decoding (beams ≥ 4, repetition
    penalty 1.2, no repeated trigrams) and, when it splits, its clauses translated one by one."""
    backend = translator.backend
    current = BackendSignature.of(backend).decoding
    stronger = replace(
        current,
        beams=max(4, current.beams),
        repetition_penalty=max(1.2, current.repetition_penalty),
        no_repeat_ngram_size=3,
    )
    stronger_backend = backend.with_decoding(stronger) if isinstance(backend, Redecodable) else backend
    clause_lists = [_clauses(request) for request in requests]
    retry = [SegmentRequest(r.text, r.source, r.target) for r in requests]
    retry += [SegmentRequest(c.strip(), r.source, r.target) for r, cs in zip(requests, clause_lists) for c in cs]
    redone = Scheduler(stronger_backend, max_batch_tokens=translator.scheduler.max_batch_tokens).translate(retry)
    outputs = iter([sanitize(request, output) for request, output in zip(retry, redone, strict=True)])
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
