"""Sentence splitting for Kazakh, Russian and English news text, and splitting of over-long sentences.

Both functions are lossless: the pieces they return concatenate back to their input exactly, and
each piece keeps the whitespace that follows it.

A small rule-based splitter rather than pysbd: pysbd's Kazakh rules split after initials with
Kazakh capitals ("Қ. Тоқаев") and after "ж." in "2019 ж. 27 қарашада". The rules, in order:

1. A candidate boundary is a run of ``. ! ? …`` (or ``...``), optionally followed by closing quotes
   or brackets (``» " ” ’ ) ]``), then whitespace — or a line break with no punctuation at all.
2. The next word decides: a lower-case word never starts a sentence (``«Қайда?» деп сұрады``,
   ``Ол... келді``); a capital letter (Kazakh capitals Ә Ғ Қ Ң Ө Ұ Ү Һ І included), a digit, an
   opening quote, bracket or dash does. A blank line always ends a sentence.
3. A full stop is not an end after an initial (one capital letter: ``Қ. Тоқаев``; ``Ә.Н. Назарбаев``),
   after a list number at the start of a line (``1. Кіріспе``), or after a known abbreviation:
   *prefix* abbreviations (``Dr.``, ``проф.``, ``ш.``, ``обл.``, month names, …) never end a
   sentence; *terminal* ones (``т.б.``, ``etc.``, ``млн.``, ``т.д.``, …) end it only before a capital
   letter; ``ж. жж. г. гг.`` are terminal after a number (``2019 ж. Ол …``) and a prefix elsewhere
   (``г. Алматы``). Kazakh text knows the Russian and English lists too (Kazakh articles quote
   both), Russian text knows the English list, kk-Latn text knows the Kazakh list in Latin letters.
4. Decimal numbers (``3.5``), ``83%-ды``, ``baq.kz`` and ``А.Тоқсаба`` have no space after the dot
   and are never split.
5. An agency dateline opening the text (``АЛМАТЫ. KAZINFORM – …``: a city in capitals, a full stop,
   the agency, a dash) stays with the sentence it opens.

:func:`split_long` cuts a sentence that is still too long for the model at clause boundaries
(``; : ,`` and dashes), packing clauses greedily, and falls back to word boundaries inside a clause
that is too long on its own.

The pipeline's segments of a block come from :func:`block_pieces` (sentences with inline markup
as marker codes, long ones split to fit the model), :func:`split_by_language` (a quotation in
another language is its own segment) and :func:`goes_to_model` (a piece with no letters is kept).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from . import inline, langid, protect
from .document import InlineCode
from .languages import CYRILLIC_LOWER, base_language, normalize_language
from .latin import to_latin

__all__ = [
    "ABBREVIATIONS",
    "MAX_SEGMENT_CHARS",
    "block_pieces",
    "goes_to_model",
    "split_by_language",
    "split_clauses",
    "split_long",
    "split_sentences",
    "strip_edges",
]

#: The longest segment sent to a model, in characters, whatever its token count: a longer sentence
#: (a run without spaces, a table flattened into one line) is split — never truncated — so no
#: segment costs more than a bounded amount of work anywhere (model, QA, memory).
MAX_SEGMENT_CHARS = 2000

# A segment with no letter in it (a number, a dash) is kept as it is, never sent to a model.
_HAS_LETTER = re.compile(r"[^\W\d_]")

#: Known abbreviations per language, lower case, without the final dot:
#: ``prefix`` never end a sentence, ``terminal`` may (before a capital letter),
#: ``year`` end one only after a number.
ABBREVIATIONS: dict[str, dict[str, frozenset[str]]] = {
    "kk": {
        "prefix": frozenset({"ш", "к", "көш", "обл", "ауд", "т.и.с", "б", "бб", "қ", "мыс"}),
        "terminal": frozenset({"т.б", "т.с.с", "б.з.д", "млн", "млрд", "мың", "тг", "с.с"}),
        "year": frozenset({"ж", "жж"}),
    },
    "ru": {
        "prefix": frozenset({"ул", "им", "проф", "д", "см", "т.е", "акад", "доц", "пр", "пер", "р-н", "обл", "ст",
                             "стр", "рис", "тел"}),
        "terminal": frozenset({"т.д", "т.п", "др", "млн", "млрд", "тыс", "руб", "коп", "н.э", "до н.э", "трлн"}),
        "year": frozenset({"г", "гг"}),
    },
    "en": {
        "prefix": frozenset({
            "mr", "mrs", "ms", "dr", "prof", "st", "u.s", "e.g", "i.e", "no", "vs", "gen", "sen", "rep", "gov",
            "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        }),
        "terminal": frozenset({"etc", "inc", "ltd", "co", "jr", "sr"}),
        "year": frozenset(),
    },
}

_KINDS = ("prefix", "terminal", "year")
# Which lists each language reads (see rule 3 of the module docstring).
_KNOWS = {"kk": ("kk", "ru", "en"), "ru": ("ru", "en"), "en": ("en",), "kk-Latn": ("kk-Latn", "en")}

_CLOSERS = "»\"”’')]"
_OPENERS = "«\"“„‘'([—–-"
# Every pattern here runs in linear time (see the note in kztranslate.qa): a pattern that could fail
# after a run starts only where the run starts, and no two quantifiers share characters.
# Terminal punctuation, closing quotes/brackets, then whitespace (or the end of the text).
_TERMINAL = re.compile(rf"(?<![.!?…])[.!?…]++[{re.escape(_CLOSERS)}]*+(?:\s++|$)")
_LINE_BREAK = re.compile(r"(?<![^\S\n])[^\S\n]*+\n\s*+")
_BLANK_LINE = re.compile(r"\n[^\S\n]*+\n")
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")
_NUMBER_BEFORE = re.compile(r"\d[\d\s–—-]*$")  # "2019 ж.", "1990–1995 жж."
_TOKEN_STOPS = frozenset("«\"“„‘'([")
# An agency dateline opening a paragraph: a city in capitals, a full stop, the agency, a dash.
_AGENCY_DATELINE = re.compile(r"\s*+[^\W\d_a-z" + CYRILLIC_LOWER + r"]{2,}+(?:[ -][^\W\d_]++)?+\.\s++"
                              r"[^\s.](?:[^\n.]|\.(?=\S)){0,40}?\s[–—-]\s")


def _token_start(text: str, end: int) -> int:
    """Where the word that ends at ``end`` begins (after whitespace and opening quotes or brackets)."""
    start = end
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in _TOKEN_STOPS:
        start -= 1
    return start


@cache
def _abbreviations(language: str) -> dict[str, frozenset[str]]:
    """The abbreviation lists ``language`` reads, merged per kind."""
    lists = dict(ABBREVIATIONS)
    lists["kk-Latn"] = {kind: frozenset(map(to_latin, words)) for kind, words in ABBREVIATIONS["kk"].items()}
    return {kind: frozenset().union(*(lists[known][kind] for known in _KNOWS[language])) for kind in _KINDS}


def split_sentences(text: str, language: str) -> list[str]:
    """Split ``text`` into sentences; ``"".join(result) == text`` and each piece keeps its trailing whitespace.

    >>> split_sentences("Қ. Тоқаев Астанаға келді. Ол 2019 ж. 27 қарашада сөйледі.", "kk")
    ['Қ. Тоқаев Астанаға келді. ', 'Ол 2019 ж. 27 қарашада сөйледі.']
    """
    abbreviations = _abbreviations(normalize_language(language))
    cuts = {m.end() for m in _TERMINAL.finditer(text) if _ends_sentence(text, m, abbreviations)}
    cuts |= {m.end() for m in _LINE_BREAK.finditer(text) if _ends_at_line_break(text, m)}
    agency = _AGENCY_DATELINE.match(text)
    if agency is not None:  # "АЛМАТЫ. KAZINFORM – …" opens the first sentence, it is no sentence itself
        cuts = {cut for cut in cuts if cut > agency.end()}
    pieces, start = [], 0
    for cut in sorted(cuts):
        if 0 < cut < len(text):
            pieces.append(text[start:cut])
            start = cut
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _next_starts_sentence(text: str, end: int, *, capital_only: bool = False) -> bool:
    if end >= len(text):
        return True
    first = text[end]
    if first.isupper():
        return True
    return not capital_only and (first.isdigit() or first in _OPENERS)


def _ends_sentence(text: str, match: re.Match[str], abbreviations: dict[str, frozenset[str]]) -> bool:
    end = match.end()
    if end < len(text) and _BLANK_LINE.search(match.group()):
        return True
    punctuation = match.group().rstrip()
    if punctuation.rstrip(_CLOSERS) != ".":  # ! ? … and runs of them: the next word decides
        return _next_starts_sentence(text, end)
    start = _token_start(text, match.start())
    token = text[start : match.start()]
    word = token.lower()
    if _INITIALS.fullmatch(token) and token[-1].isupper():
        return False  # Қ. Тоқаев, Ә.Н. Назарбаев
    if token.isdigit() and not text[text.rfind("\n", 0, start) + 1 : start].strip():
        return False  # "1. Кіріспе" at the start of a line
    if word in abbreviations["prefix"]:
        return False
    if word in abbreviations["year"]:
        number_before = _NUMBER_BEFORE.search(text, max(0, start - 30), start)
        return bool(number_before) and _next_starts_sentence(text, end, capital_only=True)
    if word in abbreviations["terminal"]:
        return _next_starts_sentence(text, end, capital_only=True)
    return _next_starts_sentence(text, end)


def _ends_at_line_break(text: str, match: re.Match[str]) -> bool:
    """A line break ends a sentence before a paragraph-like start, and a blank line always does."""
    if match.end() >= len(text):
        return False
    return bool(_BLANK_LINE.search(match.group())) or _next_starts_sentence(text, match.end())


# -- over-long sentences --------------------------------------------------------------------------
# Cut after "; : ," and their spaces; before a dash that stands between spaces (it opens the clause).
_CLAUSE_CUT = re.compile(r"(?<=[;:,])\s++|(?<!\s)\s++(?=[—–-]\s)")
_WORD_CUT = re.compile(r"\s++")


def split_clauses(text: str) -> list[str]:
    """``text`` cut at clause boundaries (after ``, ; :``, before a spaced dash); ``"".join(result) == text``."""
    return _units(text, _CLAUSE_CUT) if text else []


def split_long(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Split ``text`` into pieces that each satisfy ``fits``; ``"".join(result) == text``.

    Clause boundaries are preferred, then word boundaries; a run with no space that still does not
    fit (a 3 MB "word") is cut between characters — never inside an inline marker, an escape or a
    placeholder (:data:`kztranslate.inline.TOKEN`, ``[[n]]``), nor before a combining mark — so
    nothing is ever truncated. Time is linear in ``len(text)`` when ``fits`` is.
    """
    if not text or fits(text):
        return [text] if text else []
    pieces: list[str] = []
    for clause in _pack(_units(text, _CLAUSE_CUT), fits):
        if fits(clause):
            pieces.append(clause)
            continue
        for run in _pack(_units(clause, _WORD_CUT), fits):
            pieces.extend([run] if fits(run) else _cut_run(run, fits))
    return pieces


def _cut_run(run: str, fits: Callable[[str], bool]) -> list[str]:
    """``run`` cut between characters into pieces that fit, each as long as it can be (found by
    doubling, then bisecting, so each piece costs O(its length · log its length))."""
    from .inline import TOKEN

    protected = sorted([m.span() for m in TOKEN.finditer(run)] + [m.span() for m in _PLACEHOLDER.finditer(run)])
    pieces: list[str] = []
    start = 0
    while start < len(run):
        rest = len(run) - start
        if fits(run[start:]):
            pieces.append(run[start:])
            break
        good, step = 0, 16
        while step < rest and fits(run[start:start + step]):
            good, step = step, step * 2
        bad = min(step, rest)
        while bad - good > 1:
            middle = (good + bad) // 2
            good, bad = (middle, bad) if fits(run[start:start + middle]) else (good, middle)
        end = _safe_cut(run, start, start + max(1, good), protected)
        pieces.append(run[start:end])
        start = end
    return pieces


_PLACEHOLDER = re.compile(r"\[\[\s*+\d{1,4}\s*+\]\]")


def _safe_cut(run: str, start: int, end: int, protected: list[tuple[int, int]]) -> int:
    """``end`` moved back out of a marker or placeholder and off a combining mark; never to ``start``
    (a piece of one unit that does not fit goes alone: the model's length flag reports it)."""
    import unicodedata
    from bisect import bisect_left

    at = bisect_left(protected, (end, -1)) - 1  # the last span starting before ``end``
    if at >= 0 and protected[at][0] < end < protected[at][1]:
        # back to the marker's start; a marker that starts the piece goes whole, even if too long
        end = protected[at][0] if protected[at][0] > start else protected[at][1]
    while end - 1 > start and end < len(run) and unicodedata.combining(run[end]):
        end -= 1
    return end


def _units(text: str, cut: re.Pattern[str]) -> list[str]:
    """``text`` cut after each match of ``cut`` (whitespace stays with the unit before it)."""
    units, start = [], 0
    for match in cut.finditer(text):
        if 0 < match.end() < len(text):
            units.append(text[start : match.end()])
            start = match.end()
    units.append(text[start:])
    return units


def _pack(units: list[str], fits: Callable[[str], bool]) -> list[str]:
    """Join consecutive units greedily while the result still fits; a unit too long alone stays alone."""
    packed: list[str] = []
    current = ""
    for unit in units:
        if current and fits(current + unit):
            current += unit
        else:
            if current:
                packed.append(current)
            current = unit
    if current:
        packed.append(current)
    return packed


# -- the pipeline's segments of a block --------------------------------------------------------------


def block_pieces(
    text: str, codes: list[InlineCode], language: str, fits: Callable[[str], bool], *, whole: bool = False
) -> list[str]:
    """A block's text as model segments: its sentences (the whole text with ``whole``), inline
    markup encoded as marker codes (:func:`kztranslate.inline.encode_pieces`), a sentence that
    does not ``fit`` split at clause or word boundaries (:func:`split_long`)."""
    pieces: list[str] = []
    sentences = [text] if whole else split_sentences(text, language)
    for sentence in inline.encode_pieces(text, codes, sentences):
        if fits(sentence):
            pieces.append(sentence)
        else:
            pieces.extend(split_long(sentence, fits))
    return pieces


def split_by_language(pieces: list[str], language: str) -> tuple[list[str], list[str]]:
    """Each piece with its language (the model's tag); a piece in another language than
    ``language`` is split from its attribution ("«…», - деді ол."), which stays in ``language``."""
    out: list[str] = []
    languages: list[str] = []
    # markup codes and protected spans (URLs, Latin brand names in Cyrillic text) say nothing of the language
    plain = [protect.PLACEHOLDER.sub("", protect.protect(inline.MARKER.sub("", p), language)[0]) for p in pieces]
    for piece, found in zip(pieces, langid.detect_sentences(plain)):
        other = base_language(found) if found else language
        if other == language:
            out.append(piece)
            languages.append(language)
            continue
        before, speech, after = langid.split_attribution(piece)
        for part, lang in ((before, language), (speech, other), (after, language)):
            if part:
                out.append(part)
                languages.append(lang)
    return out, languages


def goes_to_model(piece: str, language: str, target: str) -> bool:
    """Whether a piece goes to the model: it has letters of its own (not of markers or escapes:
    "<--->" is sent as "&lt;---&gt;") and is not already in the target language."""
    return language != target and bool(_HAS_LETTER.search(inline.unescape(inline.MARKER.sub("", piece))))


def strip_edges(text: str) -> tuple[str, str, str]:
    """``(core, leading whitespace, trailing whitespace)``; the model sees only the core."""
    core = text.strip()
    if not core:
        return "", text, ""
    start = text.index(core)
    return core, text[:start], text[start + len(core):]
