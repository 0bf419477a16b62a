"""The languages kztranslate works with, as BCP 47 tags, and their names."""

from __future__ import annotations

from .errors import UsageError

__all__ = ["LANGUAGES", "normalize_language", "language_or_verbatim", "babel_locale", "script_of", "base_language"]

#: Supported tags → English name.
LANGUAGES: dict[str, str] = {
    "kk": "Kazakh",
    "ru": "Russian",
    "en": "English",
    "kk-Latn": "Kazakh (Latin)",
}

_ALIASES = {
    "kk": "kk", "kaz": "kk", "kk-cyrl": "kk", "kk-kz": "kk", "kaz_cyrl": "kk", "kazakh": "kk",
    "ru": "ru", "rus": "ru", "ru-ru": "ru", "rus_cyrl": "ru", "russian": "ru",
    "en": "en", "eng": "en", "en-us": "en", "en-gb": "en", "eng_latn": "en", "english": "en",
    "kk-latn": "kk-Latn", "kaz_latn": "kk-Latn", "kk_latn": "kk-Latn",
}


def normalize_language(tag: str) -> str:
    """Return the canonical tag for ``tag`` (``"KK"`` → ``"kk"``, ``"kk_latn"`` → ``"kk-Latn"``).

    Raises :class:`UsageError` listing the valid choices for an unknown tag.
    """
    key = str(tag).strip().lower().replace("_", "-") if tag else ""
    found = _ALIASES.get(key) or _ALIASES.get(key.replace("-", "_"))
    if not found:
        choices = ", ".join(LANGUAGES)
        raise UsageError(f"unknown language {tag!r}; choose one of: {choices}")
    return found


def language_or_verbatim(tag: object) -> str:
    """The canonical tag when we support the language, else the tag as given ('' for none):
    readers keep a language we do not translate so the document still reads and writes back."""
    if not tag:
        return ""
    try:
        return normalize_language(str(tag))
    except UsageError:
        return str(tag)


def base_language(tag: str) -> str:
    """``kk-Latn`` → ``kk``; other tags unchanged."""
    return tag.split("-")[0]


def script_of(tag: str) -> str:
    """The ISO 15924 script a language tag is written in here."""
    return {"kk": "Cyrl", "ru": "Cyrl", "en": "Latn", "kk-Latn": "Latn"}[tag]


def babel_locale(tag: str) -> str:
    """Locale identifier for babel (CLDR has no kk-Latn data; the Kazakh data serves both scripts)."""
    return base_language(tag)
