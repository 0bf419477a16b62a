"""Language identification of Kazakh, Russian and English text.

Two passes: the letters decide when they can (Latin vs Cyrillic; Kazakh-only letters in many
words), and lingua-language-detector, restricted to Kazakh, Russian and English and built once
on first use, decides the rest (Kazakh written without its own letters, Russian with a Kazakh
name in it). Reported speech is split from its attribution first: in
``«Мы всё сделаем», - деді ол.`` the quote is Russian and ``- деді ол.`` Kazakh, and a
detector fed the whole sentence answers for only one of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from .errors import UsageError
from .languages import CYRILLIC_SCRIPT, KAZAKH_LETTER

__all__ = ["detect_language", "detect_sentences", "split_attribution"]

_KAZAKH_LATIN = re.compile(r"[äğqñöūüışÄĞQÑÖŪÜİŞ]")
# Letters of the 2021 alphabet that English never writes; a bare "q" is weaker evidence
# ("Blockquote", "request"), so it only counts when not followed by "u".
_KAZAKH_LATIN_ONLY = re.compile(r"[äğñöūüışÄĞÑÖŪÜİŞ]")
_KAZAKH_Q = re.compile(r"[qQ](?![uU])")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[^\W\d_]+")

# Share of Cyrillic words with a Kazakh-only letter above which text is Kazakh without asking
# lingua (Kazakh prose has one in about every second word; a Russian sentence only in a Kazakh name).
_KAZAKH_WORD_SHARE = 0.25
# Share of Latin words that carry a letter of the Kazakh Latin alphabet above which Latin text is
# kk-Latn rather than English (one such word in a long English sentence is a name or a loan); a word
# whose only mark is a "q" counts half ("Qatar", "Iraq").
_KAZAKH_LATIN_WORD_SHARE = 0.25
# detect_sentences leaves shorter speech undecided: a word or two says little about the language.
_MIN_WORDS = 3

_SAY_VERBS = (
    r"деді|деп|дейді|деген|депті|айтты|"                                     # Kazakh
    r"сказал|сказала|заявил|заявила|отметил|отметила|подчеркнул|подчеркнула|"  # Russian
    r"сообщил|сообщила|добавил|добавила|said|says|added"                       # English
)
# A saying verb, not the start of a longer word. The attribution around it is found by scanning
# outwards from each verb (see _trailing_start, _leading_end): one pass, linear in the sentence,
# where a single regex with unbounded runs on both sides of the verb backtracked quadratically.
_SAY = re.compile(rf"(?:{_SAY_VERBS})(?![^\W\d_])", re.IGNORECASE)
_VERBS = tuple(verb.lower() for verb in _SAY_VERBS.split("|"))
_QUOTES = "«“\""
_CLOSING_QUOTES = "»”\""
_DASHES = "-–—"


@lru_cache(maxsize=4096)
def detect_language(text: str) -> str | None:
    """Best guess at the language of ``text`` (a segment or a whole article): ``kk``, ``ru``,
    ``en`` or ``kk-Latn``; None when there is no letter to go by."""
    cyrillic = len(CYRILLIC_SCRIPT.findall(text))
    latin = len(_LATIN.findall(text)) + len(_KAZAKH_LATIN.findall(text))
    if not cyrillic and not latin:
        return None
    if cyrillic < latin:
        return "kk-Latn" if _is_kazakh_latin(text) else "en"
    words = [w for w in _WORD.findall(text) if CYRILLIC_SCRIPT.search(w)]
    kazakh_words = sum(1 for w in words if KAZAKH_LETTER.search(w))
    if words and kazakh_words / len(words) >= _KAZAKH_WORD_SHARE:
        return "kk"
    return _lingua_language(text) or ("kk" if kazakh_words else "ru")


def _is_kazakh_latin(text: str) -> bool:
    words = [w for w in _WORD.findall(text) if not CYRILLIC_SCRIPT.search(w)]
    marked = sum(1.0 if _KAZAKH_LATIN_ONLY.search(w) else 0.5 if _KAZAKH_Q.search(w) else 0.0 for w in words)
    return bool(words) and marked / len(words) >= _KAZAKH_LATIN_WORD_SHARE


def split_attribution(sentence: str) -> tuple[str, str, str]:
    """``(before, speech, after)``: the reported speech of ``sentence`` with the attribution
    around it (``before`` in "Ол былай деді: «…»", ``after`` in "«…», - деді ол."); the three
    parts concatenate back to ``sentence``. Without an attribution: ``("", sentence, "")``."""
    lowered = sentence.lower()
    if not any(verb in lowered for verb in _VERBS):  # most sentences: no regex run at all
        return "", sentence, ""
    before = sentence[:_leading_end(sentence)]
    rest = sentence[len(before):]
    start = _trailing_start(rest)
    after = rest[start:] if start else ""
    speech = rest[: len(rest) - len(after)]
    if not speech.strip():
        return "", sentence, ""
    return before, speech, after


def _leading_end(sentence: str) -> int:
    """End of a leading attribution ("Министр былай деді: «"): the text before the first opening
    quote, ending in a colon (and spaces), with a saying verb before the colon; else 0."""
    quote = min((i for i in (sentence.find(q) for q in _QUOTES) if i >= 0), default=-1)
    if quote <= 0:
        return 0
    head = sentence[:quote].rstrip()
    if head.endswith(":") and _SAY.search(head, 0, len(head) - 1):
        return quote
    return 0


def _trailing_start(text: str) -> int:
    """Start of a trailing attribution ("», - деді ол."): the first saying verb preceded by a dash
    (", - деді"), a closing quote ("» деді", "», деді") or a comma and space (", деп"), from the
    earliest character of that lead-in; 0 when there is none."""
    for verb in _SAY.finditer(text):
        p = verb.start()
        starts = []
        i = p
        while i > 0 and text[i - 1].isspace():
            i -= 1
        if i > 0 and text[i - 1] in _DASHES:  # ",? \s* dash \s* verb"
            j = i - 1
            while j > 0 and text[j - 1].isspace():
                j -= 1
            starts.append(j - 1 if j > 0 and text[j - 1] == "," else j)
        if i < p and i > 0 and text[i - 1] == ",":  # ", verb" (comma then at least one space)
            starts.append(i - 1)
        k = i - 1 if i > 0 and text[i - 1] == "," else i  # "quote \s* ,? \s* verb"
        while k > 0 and text[k - 1].isspace():
            k -= 1
        if k > 0 and text[k - 1] in _CLOSING_QUOTES:
            starts.append(k)
        if i > 0 and text[i - 1] in _CLOSING_QUOTES:
            starts.append(i)
        if starts:
            return min(starts)
    return 0


def detect_sentences(sentences: Sequence[str]) -> list[str | None]:
    """The language of each sentence's reported speech (its attribution split off), or None
    when the speech is too short to tell (fewer than three words)."""
    found: list[str | None] = []
    for sentence in sentences:
        _, speech, _ = split_attribution(sentence)
        enough = len(_WORD.findall(speech)) >= _MIN_WORDS
        found.append(detect_language(speech) if enough else None)
    return found


def _lingua_language(text: str) -> str | None:
    best = _detector().detect_language_of(text)
    return best.iso_code_639_1.name.lower() if best is not None else None


@lru_cache(maxsize=1)
def _detector() -> Any:
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError as exc:  # a dependency, but an environment may have lost it
        raise UsageError(
            "telling Kazakh from Russian in this text needs lingua-language-detector, which is not installed: "
            "pip install lingua-language-detector, or name the source language (--from)"
        ) from exc

    return LanguageDetectorBuilder.from_languages(Language.KAZAKH, Language.RUSSIAN, Language.ENGLISH).build()
