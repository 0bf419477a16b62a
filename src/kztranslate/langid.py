"""Language identification of Kazakh, Russian and English text."""

from __future__ import annotations

import re

__all__ = ["detect_language"]

_KAZAKH_CYRILLIC = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_KAZAKH_LATIN = re.compile(r"[äğqñöūüışÄĞQÑÖŪÜİŞ]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str | None:
    """Best guess at the language of ``text`` by its letters: ``kk``, ``ru``, ``en``, ``kk-Latn``;
    None when there is no letter to go by."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if not cyrillic and not latin:
        return None
    if cyrillic >= latin:
        return "kk" if _KAZAKH_CYRILLIC.search(text) else "ru"
    return "kk-Latn" if len(_KAZAKH_LATIN.findall(text)) > latin * 0.02 else "en"
