"""The languages kztranslate works with: their BCP 47 tags and names, their scripts and letters,
the pairs that need a model, and the ways a user names them (``--to ru,en``, ``article.ru.md``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .errors import UsageError

__all__ = [
    "LANGUAGES", "normalize_language", "language_or_verbatim", "babel_locale", "script_of", "base_language",
    "needs_model", "language_pairs", "parse_targets", "split_language_suffix", "strip_language_suffix",
    "KAZAKH_LOWER", "KAZAKH_UPPER", "KAZAKH_LETTERS", "CYRILLIC_LOWER", "CYRILLIC_UPPER", "CYRILLIC_LETTERS",
    "KAZAKH_LETTER", "CYRILLIC_SCRIPT",
]

#: Supported tags → English name.
LANGUAGES: dict[str, str] = {
    "kk": "Kazakh",
    "ru": "Russian",
    "en": "English",
    "kk-Latn": "Kazakh (Latin)",
}

#: Tag → ISO 15924 script it is written in here.
SCRIPTS: dict[str, str] = {"kk": "Cyrl", "ru": "Cyrl", "en": "Latn", "kk-Latn": "Latn"}

#: The nine letters of the Kazakh Cyrillic alphabet that Russian does not have.
KAZAKH_LOWER = "әғқңөұүһі"
KAZAKH_UPPER = "ӘҒҚҢӨҰҮҺІ"
KAZAKH_LETTERS = KAZAKH_LOWER + KAZAKH_UPPER
#: Regex character-class bodies of every Cyrillic letter used in Kazakh and Russian.
CYRILLIC_LOWER = "а-яё" + KAZAKH_LOWER
CYRILLIC_UPPER = "А-ЯЁ" + KAZAKH_UPPER
CYRILLIC_LETTERS = "А-Яа-яЁё" + KAZAKH_LETTERS

#: One Kazakh-only letter (a word with one is Kazakh, not Russian).
KAZAKH_LETTER = re.compile(f"[{KAZAKH_LETTERS}]")
#: One character of the Cyrillic script in any language (the Cyrillic and Cyrillic Supplement blocks).
CYRILLIC_SCRIPT = re.compile("[\u0400-\u052F]")

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
    """The ISO 15924 script ``tag`` is written in here: ``Cyrl`` (kk, ru) or ``Latn`` (en, kk-Latn).

    Raises :class:`UsageError` for a language kztranslate does not know."""
    return SCRIPTS[normalize_language(tag)]


def needs_model(source: str, target: str) -> bool:
    """Whether translating ``source`` → ``target`` needs a translation model: not between two
    scripts of one language (kk ↔ kk-Latn is transliteration)."""
    return base_language(normalize_language(source)) != base_language(normalize_language(target))


def language_pairs(supports: Callable[[str, str], bool]) -> list[tuple[str, str]]:
    """Every ``(source, target)`` pair of :data:`LANGUAGES` served by a backend whose
    ``supports(source, target)`` answers for base languages; transliteration pairs always."""
    return [
        (s, t) for s in LANGUAGES for t in LANGUAGES
        if s != t and (not needs_model(s, t) or supports(base_language(s), base_language(t)))
    ]


def parse_targets(to: str | Sequence[str], *, required: bool = True) -> list[str]:
    """Target languages as given (``"ru,en"`` or ``["ru", "en"]``) → canonical tags, duplicates
    dropped, in order. An unknown tag raises :class:`UsageError` listing the valid ones, and so
    does an empty list unless ``required`` is false."""
    raw = to.split(",") if isinstance(to, str) else list(to)
    targets = list(dict.fromkeys(normalize_language(str(t)) for t in raw if str(t).strip()))
    if required and not targets:
        raise UsageError(
            "no target language given; use e.g. --to ru,en (\"to\": [\"ru\", \"en\"] in the API, "
            "to=[\"ru\", \"en\"] in Python)"
        )
    return targets


def split_language_suffix(stem: str) -> tuple[str, str | None]:
    """``"index.ru"`` → ``("index", "ru")`` (Hugo's language suffix, canonical tag); a stem without
    a language suffix comes back whole with None (``"report.final"``, ``".ru"``)."""
    base, dot, suffix = stem.rpartition(".")
    if not dot or not base:
        return stem, None
    try:
        return base, normalize_language(suffix)
    except UsageError:
        return stem, None


def strip_language_suffix(stem: str) -> str:
    """``"index.kk"`` → ``"index"``; any other stem unchanged (see :func:`split_language_suffix`)."""
    return split_language_suffix(stem)[0]


def babel_locale(tag: str) -> str:
    """Locale identifier for babel (CLDR has no kk-Latn data; the Kazakh data serves both scripts)."""
    return base_language(tag)
