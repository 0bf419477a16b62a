"""Kazakh Cyrillic ↔ the official 2021 Kazakh Latin alphabet.

Source: the 31-letter revision presented by the Government's National Commission on the transition
to the Latin script on 28 January 2021 (revising the alphabet of Presidential Decree No. 569 of
26 October 2017), as tabled in Wikipedia's "Kazakh alphabets" (Latin script section) and in the
press reports of that meeting; the Wikipedia page's sample transliteration (``üiıne``, ``syi``,
``qalaiyn``, ``söilesıp``) fixes how ``й`` is written::

    A Ä B D E F G Ğ H I İ J K L M N Ñ O Ö P Q R S Ş T U Ū Ü V Y Z

Kazakh letters (one Cyrillic letter, one Latin letter)::

    а a   ә ä   б b   в v   г g   ғ ğ   д d   е e   ж j   з z   и i   й i   к k   қ q
    л l   м m   н n   ң ñ   о o   ө ö   п p   р r   с s   т t   у u   ұ ū   ү ü   ф f
    х h   һ h   ш ş   ы y   і ı

``і`` is the dotless ``ı`` (capital ``I``); ``и`` and ``й`` are the dotted ``i`` (capital ``İ``).

The 31 letters include none for the Russian-loanword letters, and no official loanword rules were
published with them. These are ours, following common transliteration practice (``ч → ç`` as the
project's issue asks; ``ъ`` and ``ь`` are dropped)::

    ё io   ц ts   ч ç   щ şş   ъ —   ь —   э e   ю iu   я ia

Capitals: a capital that has a capital letter next to it is part of an ALL-CAPS word and is written
all in capitals (``ЩЕ → ŞŞE``); otherwise only the first Latin letter is a capital (``Щука → Şşuka``,
``Ш → Ş``). Text that is not Kazakh Cyrillic (Latin words, digits, punctuation) passes unchanged.

:func:`to_cyrillic` reverses the table for kk-Latn text. Where the reverse is ambiguous it takes
the reading that native Kazakh words need (best effort, documented):

* ``i`` → ``й`` after a vowel (``üiıne → үйіне``), ``и`` elsewhere.
* ``h`` → ``х`` (``һ`` is rare: ``шаһар`` comes back as ``шахар``).
* ``e`` → ``е`` (never ``э``); ``ъ`` and ``ь`` cannot come back.
* ``ia`` → ``я`` at the start of a word or after a vowel (``aiaq → аяқ``, ``qiial → қиял``), ``иа``
  after a consonant (``material → материал``; ``Liazzat`` comes back as ``Лиаззат``).
* ``iu`` → ``ю`` (``biudjet → бюджет``); ``io`` → ``ио`` (``million → миллион``; ``ё`` is not restored).
* ``ts`` → ``ц`` before ``i`` (``-tsiia → -ция``), ``тс`` elsewhere (``aitsa → айтса``).
* ``şş`` → ``щ``; ``ç`` → ``ч``.
* A word with ``c``, ``w`` or ``x`` (letters outside the 2021 alphabet) is foreign and kept as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .languages import CYRILLIC_LETTERS

__all__ = ["CYRILLIC_TO_LATIN", "to_latin", "to_cyrillic"]

#: Lower-case Kazakh Cyrillic letter → its Latin spelling (see the module docstring).
CYRILLIC_TO_LATIN: dict[str, str] = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e",
    "ё": "io", "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l",
    "м": "m", "н": "n", "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ұ": "ū", "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "ts",
    "ч": "ç", "ш": "ş", "щ": "şş", "ъ": "", "ы": "y", "і": "ı", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}

# Python's str.upper/lower know nothing of the Turkic i/ı pair: i ↔ İ and ı ↔ I here.
_LATIN_UPPER = {"i": "İ", "ı": "I"}
_LATIN_LOWER = {"İ": "i", "I": "ı"}


def _latin_upper(text: str) -> str:
    return "".join(_LATIN_UPPER.get(ch) or ch.upper() for ch in text)


def _latin_lower(ch: str) -> str:
    return _LATIN_LOWER.get(ch) or ch.lower()


_CYRILLIC_LETTER = re.compile(f"[{CYRILLIC_LETTERS}]")  # the keys of CYRILLIC_TO_LATIN, both cases


def to_latin(text: str) -> str:
    """Kazakh Cyrillic ``text`` in the official 2021 Latin alphabet; everything else unchanged.

    >>> to_latin("Қазақстан Республикасы")
    'Qazaqstan Respublikasy'
    >>> to_latin("ЩЕ, Ш")
    'ŞŞE, Ş'
    """

    def convert(match: re.Match[str]) -> str:
        ch = match.group()
        latin = CYRILLIC_TO_LATIN.get(ch)
        if latin is not None:
            return latin
        latin = CYRILLIC_TO_LATIN[ch.lower()]
        if _in_caps_word(text, match.start()):
            return _latin_upper(latin)
        return _latin_upper(latin[:1]) + latin[1:]

    return _CYRILLIC_LETTER.sub(convert, text)


def _in_caps_word(text: str, index: int) -> bool:
    """Whether the capital at ``index`` has a capital letter beside it (an ALL-CAPS word)."""
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return before.isupper() or after.isupper()


# Reverse: longest Latin sequences first; the context rules live in _cyrillic_of.
_LATIN_WORD = re.compile(r"[^\W\d_]+")
_FOREIGN = re.compile(r"[cwxCWX]")
_LATIN_VOWELS = frozenset("aäeıioöuūüy")
_SIMPLE_REVERSE: dict[str, str] = {
    "a": "а", "ä": "ә", "b": "б", "d": "д", "e": "е", "f": "ф", "g": "г", "ğ": "ғ", "h": "х",
    "ı": "і", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "ñ": "ң", "o": "о", "ö": "ө",
    "p": "п", "q": "қ", "r": "р", "s": "с", "t": "т", "u": "у", "ū": "ұ", "ü": "ү", "v": "в",
    "y": "ы", "z": "з", "ç": "ч", "ş": "ш",
}


def to_cyrillic(text: str) -> str:
    """Kazakh Latin (2021) ``text`` in Kazakh Cyrillic, best effort (rules in the module docstring).

    >>> to_cyrillic("Qazaqstan Respublikasy")
    'Қазақстан Республикасы'
    """
    return _LATIN_WORD.sub(lambda m: _word_to_cyrillic(m.group()), text)


def _word_to_cyrillic(word: str) -> str:
    if _FOREIGN.search(word):
        return word
    return convert_cased(word, "".join(_latin_lower(ch) for ch in word), _cyrillic_of)


def convert_cased(word: str, lower: str, letters_at: Callable[[str, int], tuple[str, int]]) -> str:
    """Convert ``word`` letter group by letter group, keeping its case: ``letters_at(lower, i)``
    gives the converted letters for the group starting at ``i`` of the lower-cased word and the
    group's width; ALL-CAPS words stay ALL CAPS, a capital opens a capitalized group."""
    all_caps = len(word) > 1 and word.isupper()
    out: list[str] = []
    i = 0
    while i < len(lower):
        letters, width = letters_at(lower, i)
        if all_caps:
            letters = letters.upper()
        elif word[i].isupper():
            letters = letters[:1].upper() + letters[1:]
        out.append(letters)
        i += width
    return "".join(out)


def _cyrillic_of(lower: str, i: int) -> tuple[str, int]:
    """The Cyrillic for the Latin letters at ``lower[i:]`` and how many letters it used."""
    ch = lower[i]
    nxt = lower[i + 1] if i + 1 < len(lower) else ""
    after_vowel = i > 0 and lower[i - 1] in _LATIN_VOWELS
    if ch == "ş" and nxt == "ş":
        return "щ", 2
    if ch == "t" and nxt == "s" and lower[i + 2:i + 3] == "i":
        return "ц", 2
    if ch == "i":
        if nxt == "u":
            return "ю", 2
        if nxt == "a" and (i == 0 or after_vowel):
            return "я", 2
        return ("й" if after_vowel else "и"), 1
    cyrillic = _SIMPLE_REVERSE.get(ch)
    return (cyrillic if cyrillic is not None else ch), 1
