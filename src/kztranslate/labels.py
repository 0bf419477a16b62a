"""Localized machine-translation labels ("Машинный перевод с казахского").

The language names come from babel (``Locale(target).languages``, CLDR data). CLDR has them in
the nominative only, and a label needs the source language in another case: the Russian
genitive after «с» ("с казахского") and the Kazakh ablative ("қазақ тілінен"). Babel cannot
decline, so :data:`_CASE_ENDINGS` is a small table of the endings these names take in that case.

A writer prints a label block like any other short line; readers recognize it with
:func:`parse_label`, so a label read back stays a label (``meta["label"]``) and is not translated.
"""

from __future__ import annotations

from functools import lru_cache

from .errors import UsageError
from .languages import LANGUAGES, base_language, needs_model, normalize_language

__all__ = ["MACHINE_TRANSLATION", "TRANSLITERATION", "label_kind", "machine_translation_label", "parse_label"]

#: ``Block.meta["label"]`` of the label block on a translated variant (``Translator(label=True)``) …
MACHINE_TRANSLATION = "machine-translation"
#: … and on a variant only transliterated (``kk`` ↔ ``kk-Latn``).
TRANSLITERATION = "transliteration"

# Nominative ending → ending in the case the label needs (Russian genitive, Kazakh ablative).
_CASE_ENDINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "ru": (("ий", "ого"), ("ый", "ого")),
    "kk": (("тілі", "тілінен"),),
}

_TEMPLATES: dict[str, str] = {
    "en": "Machine-translated from {name}",
    "ru": "Машинный перевод с {name}",
    "kk": "{name} машиналық аударма",
}

# Same language, other script: the variant is transliterated, not translated.
_TRANSLITERATED: dict[str, str] = {
    "kk-Latn": "Латын әліпбиіне автоматты түрде көшірілген",
    "kk": "Кирилл әліпбиіне автоматты түрде көшірілген",
}


def machine_translation_label(source: str, target: str) -> str:
    """The label for a variant in ``target`` translated from ``source``, in ``target``'s language:
    ``("kk", "ru")`` → "Машинный перевод с казахского", ``("ru", "kk")`` → "Орыс тілінен машиналық
    аударма", ``("kk", "en")`` → "Machine-translated from Kazakh"; a ``kk``↔``kk-Latn`` variant gets
    a transliteration note. ``kk-Latn`` labels are the Kazakh ones in the Latin alphabet."""
    source, target = normalize_language(source), normalize_language(target)
    if source == target:
        raise UsageError(f"a variant in {target!r} from {source!r} is no translation; choose two different languages")
    src, tgt = base_language(source), base_language(target)
    if not needs_model(source, target):
        text = _TRANSLITERATED[target]
    else:
        name = _declined(_language_name(src, tgt), tgt)
        text = _TEMPLATES[tgt].format(name=name)
        text = text[0].upper() + text[1:]
    if target == "kk-Latn":
        from .latin import to_latin

        text = to_latin(text)
    return text


def label_kind(source: str, target: str) -> str:
    """:data:`MACHINE_TRANSLATION`, or :data:`TRANSLITERATION` between the scripts of one language."""
    return MACHINE_TRANSLATION if needs_model(source, target) else TRANSLITERATION


def parse_label(text: str) -> tuple[str, str] | None:
    """``(source, target)`` when ``text`` is one of our labels (any pair), else None."""
    return _all_labels().get(" ".join(text.split()).casefold())


def _language_name(language: str, in_language: str) -> str:
    from babel import Locale

    return Locale(in_language).languages[language]


def _declined(name: str, language: str) -> str:
    """Put each word of a babel language name into the case the label needs (a name like
    "қазақ тілі" declines only its last word)."""
    endings = _CASE_ENDINGS.get(language)
    if not endings:
        return name
    head, _, last = name.rpartition(" ")
    for nominative, declined in endings:
        if last.endswith(nominative):
            last = last[: -len(nominative)] + declined
            break
    return f"{head} {last}" if head else last


@lru_cache(maxsize=1)
def _all_labels() -> dict[str, tuple[str, str]]:
    labels: dict[str, tuple[str, str]] = {}
    for source in LANGUAGES:
        for target in LANGUAGES:
            if source != target:
                labels.setdefault(machine_translation_label(source, target).casefold(), (source, target))
    return labels
