"""Post-edits into the translation memory: an editor's corrections of a variant, sentence by
sentence, stored so that translating the article again gives the edited sentences.

:func:`remember_post_edits` takes the source article, the machine translation and the edited
variant (``kztranslate xliff import`` merges an edited XLIFF file into one), finds the edited
blocks and stores each of their sentences as a human post-edit; :func:`post_edit_segments`
lines up one block's sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import inline, names, protect, segmentation
from .document import Article, Block
from .languages import base_language

if TYPE_CHECKING:
    from .engine.base import BackendSignature
    from .engine.memory import TranslationMemory

__all__ = ["PostEditReport", "edited_blocks", "post_edit_segments", "remember_post_edits"]


@dataclass(slots=True)
class PostEditReport:
    """What :func:`remember_post_edits` did."""

    edited: list[int] = field(default_factory=list)
    """Indexes of the blocks the editor changed."""
    stored: int = 0
    """Sentences stored as post-edits."""
    skipped: list[int] = field(default_factory=list)
    """Edited blocks not stored: their sentences, markup or protected spans no longer line up one
    to one with the source's."""


def edited_blocks(variant: Article, edited: Article) -> list[int]:
    """Indexes of the blocks whose text or inline markup differ between two versions of a variant."""
    return [i for i, (old, new) in enumerate(zip(variant.blocks, edited.blocks))
            if (old.text, [c.to_dict() for c in old.inline]) != (new.text, [c.to_dict() for c in new.inline])]


def remember_post_edits(
    source: Article, variant: Article, edited: Article, memory: TranslationMemory,
    name_table: names.NameTable | None = None,
) -> PostEditReport:
    """Store the sentences of every block the editor changed (``variant`` → ``edited``) in
    ``memory`` as human post-edits, under the signature of the model that made ``variant`` (from
    its provenance; none when unknown)."""
    report = PostEditReport(edited=edited_blocks(variant, edited))
    signature = _signature(variant)
    for index in report.edited:
        segments = post_edit_segments(source.blocks[index], edited.blocks[index], source.language,
                                      variant.language, name_table)
        if segments is None:
            report.skipped.append(index)
            continue
        for language, source_text, target_text in segments:
            memory.store_post_edit(source_text, target_text, language, variant.language, signature)
            report.stored += 1
    return report


def _signature(variant: Article) -> BackendSignature | None:
    """The backend signature of the model that made the variant, as the memory keys it."""
    provenance = variant.provenance
    if provenance is None or provenance.backend == "unknown":
        return None
    return provenance.backend_signature()


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
    pieces, languages = segmentation.split_by_language(pieces, source_language)
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
        if not segmentation.goes_to_model(piece, language, target):
            continue  # never sent to the model
        core, spans = protect.protect(segmentation.strip_edges(piece)[0], language)
        edit = segmentation.strip_edges(edit)[0]
        core, people = protect.protect_names(core, language, target, name_table, first=len(spans) + 1)
        for span in spans + people:
            written = span.output if span.kind == "name" else span.text
            if written not in edit:
                return None
            edit = edit.replace(written, protect.placeholder(span.number), 1)
        found.append((language, core, edit))
    return found
