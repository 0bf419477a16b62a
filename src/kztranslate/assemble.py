"""Reassembly: a job's translated segments back into its variant, with the variant's findings,
its machine-translation label and its provenance."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from . import inline, labels, latin, qa
from .document import Article, Block, Finding, Provenance
from .engine.base import BackendSignature
from .plan import Job, convert_script

if TYPE_CHECKING:
    from .pipeline import Translator

__all__ = ["finish", "place"]


def place(finding: Finding, block: int, segment: int | None) -> Finding:
    """A finding of the placeholder or inline-code layer as a finding of the variant: at its
    block and segment, without the layer's own bookkeeping (the marker number)."""
    meta = {k: v for k, v in finding.meta.items() if k != "marker"}
    return replace(finding, block=block, segment=segment, meta=meta)


def finish(translator: Translator, job: Job) -> Article:
    """The job's variant, complete: translated blocks decoded, kk-Latn written in Latin letters,
    findings, label and provenance."""
    variant = job.variant
    for b, plan in job.plans.items():
        block = variant.blocks[b]
        block.text, block.inline, problems = inline.decode(plan.joined(), block.inline, block.text)
        for problem in problems:
            marker = problem.meta.get("marker")
            at = next((i for i, p in enumerate(plan.pieces) if marker and re.search(rf"</?{marker}/?>", p)), None)
            job.findings.append(place(problem, b, at))
    if job.target == "kk-Latn":
        for block in variant.blocks:
            convert_script(block, latin.to_latin)
    variant.qa.extend(job.findings)
    if translator.label:
        add_label(variant, job.source, job.target)
    variant.provenance = Provenance.from_signature(
        BackendSignature.of(translator.backend),
        job.source,
        job.target,
        source_sha256=job.article.checksum(),
        machine_translated=bool(job.plans),
        meta={"qa": {"policy": translator.qa_policy, **qa.summarize(variant.qa), **(
            {"retried": job.retried, "improved": job.improved} if translator.qa_policy == "retry" else {}
        )}},
    )
    if translator.scheduler.memory is not None:
        variant.provenance.meta["memory"] = {
            "segments": sum(job.origins.values()),
            "hits": job.origins.get("memory", 0),
            "post_edits": job.origins.get("post_edit", 0),
        }
    if job.glossary is not None:
        variant.provenance.meta["glossary"] = job.glossary.signature()
    return variant


def add_label(variant: Article, source: str, target: str) -> None:
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
        if finding.block is not None and finding.block >= position:
            finding.block += 1
