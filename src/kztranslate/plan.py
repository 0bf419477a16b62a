"""Planning: what happens to each block of an article for one target language.

A :class:`Job` is one article into one target: the variant being made and, per block that goes
to the model, a :class:`BlockPlan` (its segments, the language of each, and the outputs as they
come back). The document itself carries no scratch state.

What happens to a block is decided by the block rules, a :class:`~kztranslate.ruler.Ruler` tried
in order until one takes the block (the first that returns True):

============ =====================================================================================
rule         blocks it takes
============ =====================================================================================
furniture    the share trailer and site furniture: localized from the built-in table
translate    blocks that go to the model (``TRANSLATED_ROLES`` not marked ``"translate": false``,
             and tags): split into segments
dateline     the dateline: rendered in the target's date format (a relative one: "Бүгін, 14:25")
counter      the view counter: the number in the target's format
byline       the byline: persons transliterated, labels localized, organizations kept
============ =====================================================================================

A block no enabled rule takes is kept as it is. A :class:`~kztranslate.pipeline.Translator` has
its own copy (``translator.rules``): ``translator.rules.disable("dateline")`` keeps datelines as
printed; ``translator.rules.before("translate", "mine", func)`` adds a rule of one's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from . import bylines, labels, latin, localize, names, segmentation
from .document import Article, Block, Finding, InlineCode
from .engine.base import BackendSignature
from .errors import FormatError, UsageError
from .glossary import Glossary
from .languages import base_language, needs_model
from .ruler import Ruler

if TYPE_CHECKING:
    from .pipeline import Translator

__all__ = ["BLOCK_RULES", "BlockPlan", "BlockRule", "BlockStep", "Job", "PieceRef", "default_block_rules", "plan_job"]


@dataclass(slots=True)
class BlockPlan:
    """One block's segments: each piece of its text, the language of each, and per piece the
    final text (kept, or the model's output once it is back) or None while it awaits the model."""

    pieces: list[str]
    languages: list[str]
    slots: list[str | None]

    def joined(self) -> str:
        """The block's encoded text as translated (inline markup as marker codes)."""
        return "".join(s or "" for s in self.slots)


@dataclass(slots=True)
class Job:
    """One article into one target language."""

    article: Article
    source: str
    target: str
    variant: Article
    plans: dict[int, BlockPlan] = field(default_factory=dict)
    """Per block index: the plan of a block that goes to the model."""
    origins: dict[str, int] = field(default_factory=dict)
    """Segments per origin: model, memory, post_edit."""
    retried: int = 0
    improved: int = 0
    findings: list[Finding] = field(default_factory=list)
    """Findings of the variant beyond the per-segment QA checks (placeholders, inline codes, …)."""
    glossary: Glossary | None = None
    """The article's own glossary (``meta["glossary"]``), else the translator's."""


@dataclass(slots=True)
class PieceRef:
    """Where a model segment's output goes back to."""

    job: int
    """Index of the (article, target) job."""
    block: int
    """Index of the block in the article."""
    slot: int
    """Index of the segment within the block's plan."""


@dataclass(slots=True)
class BlockStep:
    """What a block rule sees: the block of a job's variant and the languages of the model."""

    translator: Translator
    job: Job
    index: int
    block: Block
    source: str
    """The source language as the model knows it (``kk`` for kk-Latn)."""
    target: str
    """The target language as the model knows it."""


#: A block rule: does what its blocks need and returns True, or returns False to leave the block
#: to the next rule.
BlockRule = Callable[[BlockStep], bool]


def _furniture(step: BlockStep) -> bool:
    block = step.block
    if block.role != "share" and not block.meta.get("furniture"):
        return False
    # site furniture is localized from the built-in table, never sent to the model
    localized = localize.localize_furniture(block.text, step.source, step.target)
    if localized is not None:
        block.text = localized
    return True


def _translate(step: BlockStep) -> bool:
    block = step.block
    if not (block.translatable or block.role == "tags"):
        return False
    if step.source != step.target and block.text.strip():
        step.job.plans[step.index] = _plan_segments(step)
    return True


def _dateline(step: BlockStep) -> bool:
    block, job = step.block, step.job
    if block.role != "dateline":
        return False
    published = block.meta.get("published") or (job.article.published and job.article.published.isoformat())
    if "relative" in block.meta:  # "Бүгін, 14:25"
        block.text = localize.localize_relative_dateline(block.text, step.source, step.target)
    elif published:
        pattern = step.translator.dateline_pattern
        if isinstance(pattern, dict):
            pattern = pattern.get(job.target) or pattern.get(step.target)
        block.text = localize.render_dateline(datetime.fromisoformat(published), step.target, pattern, like=block.text)
    return True


def _counter(step: BlockStep) -> bool:
    block = step.block
    if block.role != "counter":
        return False
    views = block.meta.get("views", step.job.article.views)
    if views is not None:
        block.text = localize.format_count(int(views), step.target, like=block.text)
    return True


def _byline(step: BlockStep) -> bool:
    if step.block.role != "byline":
        return False
    # kk-Latn keeps a Western name in its own Latin letters
    target = step.job.target if step.job.target == "kk-Latn" else step.target
    _transliterate_byline(step.block, step.source, target, step.translator.name_table)
    return True


#: The block rules in the order they are tried; :func:`default_block_rules` gives a copy to change.
BLOCK_RULES: Ruler[BlockRule] = Ruler([
    ("furniture", _furniture),
    ("translate", _translate),
    ("dateline", _dateline),
    ("counter", _counter),
    ("byline", _byline),
])


def default_block_rules() -> Ruler[BlockRule]:
    """A copy of :data:`BLOCK_RULES` to switch rules on and off in."""
    return BLOCK_RULES.copy()


def plan_job(translator: Translator, article: Article, source: str, target: str) -> Job:
    """The job of translating ``article`` from ``source`` into ``target``: the variant (rule-based
    blocks already done) and the plan of every block that goes to the model."""
    if source == target:
        raise UsageError(f"the article is already in {target!r}; choose another target language")
    backend = translator.backend
    src_model, tgt_model = base_language(source), base_language(target)
    if needs_model(source, target) and not backend.supports(src_model, tgt_model):
        raise UsageError(
            f"backend {backend.name!r} with model {BackendSignature.of(backend).model!r} "
            f"does not translate {src_model} → {tgt_model}; choose another model (see `kztranslate models`)"
        )
    variant = article.copy()
    variant.language = target
    variant.qa = []
    # the label of an earlier machine translation describes that one, not this one
    variant.blocks = [b for b in variant.blocks if not is_label(b)]
    job = Job(article=article, source=source, target=target, variant=variant,
              glossary=article_glossary(article) or translator.glossary)
    rules = translator.rules.get_rules()
    for index, block in enumerate(variant.blocks):
        if source == "kk-Latn":
            convert_script(block, latin.to_cyrillic)
        step = BlockStep(translator, job, index, block, src_model, tgt_model)
        for rule in rules:
            if rule(step):
                break
    return job


def _plan_segments(step: BlockStep) -> BlockPlan:
    """The block's segments (see :mod:`kztranslate.segmentation`); text with no letters, or
    already in the target language, is final as it is, the rest awaits the model."""
    block, language, target = step.block, step.source, step.target
    backend = step.translator.backend

    def fits(text: str) -> bool:
        return len(text) <= segmentation.MAX_SEGMENT_CHARS and \
            backend.count_tokens(text, language) <= backend.max_input_tokens

    # a plain-text block may ask for no sentence splitting (DeepL's split_sentences=0)
    pieces = segmentation.block_pieces(block.text, block.inline, language, fits,
                                       whole=block.meta.get("plain") == "whole")
    # A sentence in another language (a Russian quote in a Kazakh article) is translated from
    # its own language, and kept verbatim in the variant of that language.
    pieces, languages = segmentation.split_by_language(pieces, language)
    # a site label opening the block ("Фото: …") is localized; only the rest goes to the model
    # (not in plain text given as such, where "Фото:" is text like any other)
    label = localize.split_site_label(pieces[0]) if pieces and not block.meta.get("plain") else None
    if label is not None:
        pieces[:1] = [localize.localize_furniture(label[0], language, target) or label[0], label[1]]
        languages[:1] = [target, languages[0]]
    slots: list[str | None] = [None if segmentation.goes_to_model(p, lang, target) else p
                               for p, lang in zip(pieces, languages)]
    return BlockPlan(pieces, languages, slots)


def _transliterate_byline(block: Block, src: str, tgt: str, table: names.NameTable | None) -> None:
    # persons are transliterated, labels localized, organizations kept (kztranslate.bylines); a reader
    # may give each name in normal case beside its printed form ("Ерлан ТӨЛЕУОВ")
    normal = dict(zip(block.meta.get("printed") or [], block.meta.get("names") or []))

    def person(printed: str) -> str:
        converted = names.transliterate_name(normal.get(printed, printed), src, tgt, table=table)
        return localize.house_case(converted, printed, tgt)

    def render(text: str) -> str:
        return bylines.render_byline(text, tgt, person)

    block.text = render(block.text)
    if "names" in block.meta:
        block.meta["names"] = [render(n) for n in block.meta["names"]]


def is_label(block: Block) -> bool:
    """A label block we wrote, as such or read back from a format as a short line."""
    if "label" in block.meta:
        return True
    if block.meta.get("plain"):  # plain text given as such is the caller's, never our label
        return False
    return block.role in ("paragraph", "other") and labels.parse_label(block.text) is not None


def article_glossary(article: Article) -> Glossary | None:
    """An article's own glossary: rows like a glossary file's under ``meta["glossary"]``
    (``{"rows": [...], "name": ...}``, or the list of rows)."""
    data = article.meta.get("glossary")
    if not data:
        return None
    rows, name = ((data.get("rows"), str(data.get("name") or "glossary")) if isinstance(data, dict)
                  else (data, "glossary"))
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise FormatError(
            'meta.glossary is an article\'s own glossary: a list of rows like {"kk": "Астана", "en": "Astana"} '
            '(or {"name": …, "rows": [...]}); fix it, or rename the field if it is something else'
        )
    return Glossary.from_rows(rows, name=name)


def convert_script(block: Block, convert: Callable[[str], str]) -> None:
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
    for a, b in pairwise(cuts):
        part = convert(block.text[a:b])
        parts.append(part)
        length += len(part)
        new_offsets[b] = length
    block.text = "".join(parts)
    block.inline = [
        InlineCode(c.id, c.tag, new_offsets[c.start], new_offsets[c.end], c.attrs, c.meta) for c in block.inline
    ]
