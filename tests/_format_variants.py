"""Hand-made variants for format tests: no model, just a visible, offset-preserving change."""

from __future__ import annotations

from kztranslate.document import Article, InlineCode, Provenance

PREFIX = "RU "


def fake_variant(article: Article, language: str = "ru") -> Article:
    """A variant whose translatable and tag blocks read ``RU <TEXT UPPER-CASED>``, inline codes shifted to match."""
    variant = article.copy()
    variant.language = language
    for block in variant.blocks:
        if block.translatable or block.role == "tags":
            block.text = PREFIX + block.text.upper()
            block.inline = [
                InlineCode(c.id, c.tag, c.start + len(PREFIX), c.end + len(PREFIX), dict(c.attrs), dict(c.meta))
                for c in block.inline
            ]
        elif block.role == "byline":
            block.text = "Asel Nurlankyzy"
            if "names" in block.meta:
                block.meta["names"] = ["Asel Nurlankyzy"]
    variant.provenance = Provenance(
        source_language=article.language, target_language=language, backend="hand",
        source_sha256=article.checksum(),
    )
    return variant
