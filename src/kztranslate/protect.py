"""Protected spans: text the model must give back unchanged travels as a numbered placeholder.

URLs, e-mail addresses, @handles, #hashtags and Latin-script names inside Cyrillic text
(«International Fund Global Success of People», Kaspi.kz, iPhone) become ``[[1]]``, ``[[2]]``…
before the model and are put back after it. Source text that happens to look like a placeholder
is protected too, so it cannot be confused with one.

Numbers, dates, times, money and percentages are left to the model by default: NLLB copies
digits well, Kazakh and Russian attach suffixes and agreement to them (``2019 жылы``,
``30%-ға``, ``5 миллионов``) that a placeholder would hide, and the QA layer checks that the
digits survived. ``numbers=True`` protects them as well (for small models that mangle digits).
Locale formatting of numbers in running text (``1 000,5`` vs ``1,000.5``) is out of scope here:
their digits pass through as written.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .document import Finding
from .inline import TOKEN
from .languages import CYRILLIC_LETTERS, base_language

__all__ = [
    "PLACEHOLDER", "ProtectedSpan", "protect", "restore", "placeholder",
    "relative_place",
]

_LETTERS = "A-Za-z" + CYRILLIC_LETTERS

#: A placeholder as the model may give it back (``[[3]]``, ``[[ 3 ]]``).
PLACEHOLDER = re.compile(r"\[\[\s*+(\d{1,4})\s*+\]\]")

_URL_END = ".,;:!?)]}»\"'’"
# Atomic, and a word's digits come before its first letter: no two quantifiers share characters,
# so a long run of letters is scanned once (see the note on linear time in kztranslate.qa).
_LATIN_WORD = r"(?>[0-9]*+[A-Za-z][A-Za-z0-9]*+(?:['’&+.\-][A-Za-z0-9]++)*+\+?)"
_PATTERNS: list[tuple[str, str]] = [
    ("literal", PLACEHOLDER.pattern),
    ("url", r"(?:https?://|www\.)[^\s<>\"«»]++"),
    # internationalized addresses too: Kazakhstan's Cyrillic domain is .қаз
    # starts only where a run of address characters starts: a long run is not scanned again from each letter
    ("email", rf"(?<![{_LETTERS}0-9._%+\-])[{_LETTERS}0-9._%+\-]++@[{_LETTERS}0-9\-]+(?:\.[{_LETTERS}0-9\-]+)*"
              rf"\.[{_LETTERS}]{{2,}}+(?![{_LETTERS}0-9\-])"),
    ("handle", rf"(?<![{_LETTERS}0-9_@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?+"),
    ("hashtag", rf"(?<![{_LETTERS}0-9_&#])#[{_LETTERS}0-9_]++"),
]
_NUMBER_PATTERNS: list[tuple[str, str]] = [
    ("date", r"\b(?:\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?|\d{1,2}[./]\d{1,2}[./]\d{2,4})\b"),
    ("time", r"\b\d{1,2}:\d{2}(?::\d{2})?\b"),
    ("money", r"[$€£₸₽]\d++(?:[ \u00a0\u202f.,]\d++)*+"
              r"|(?<!\d[ \u00a0\u202f.,])\b\d++(?:[ \u00a0\u202f.,]\d++)*+\s?[$€£₸₽]"),
    ("percent", r"\b\d+(?:[.,]\d+)?\s?%"),
    ("number", r"\b\d+(?:[\u00a0\u202f]\d{3}|(?<=\d) \d{3}(?!\d))*(?:[.,]\d+)?\b"),
]
# Latin words in Cyrillic text: a run of them, not glued to Cyrillic letters.
_BRAND = ("brand", rf"(?<![{_LETTERS}0-9])(?:{_LATIN_WORD})(?: (?:{_LATIN_WORD}))*(?![{_LETTERS}0-9])")


_AT = re.compile("@")
# What a text must hold for a kind of span to be possible in it: patterns that cannot match are left
# out of the alternation, which the regex engine would otherwise try at every character.
_NEEDS: dict[str, re.Pattern[str]] = {
    "literal": re.compile(r"\[\["), "url": re.compile(r"https?://|www\."), "email": _AT,
    "handle": _AT, "hashtag": re.compile("#"), "brand": re.compile("[A-Za-z]"),
    **dict.fromkeys((kind for kind, _ in _NUMBER_PATTERNS), re.compile(r"\d")),
}


@lru_cache(maxsize=256)
def _compile_kinds(kinds: tuple[str, ...]) -> re.Pattern[str] | None:
    chosen = [(kind, pattern) for kind, pattern in _PATTERNS + _NUMBER_PATTERNS + [_BRAND] if kind in kinds]
    return re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in chosen)) if chosen else None


def _pattern_for(text: str, numbers: bool, latin_names: bool) -> re.Pattern[str] | None:
    """The alternation of the span patterns that can match in ``text`` (in their order of priority)."""
    kinds = [kind for kind, _ in _PATTERNS + (_NUMBER_PATTERNS if numbers else []) + ([_BRAND] if latin_names else [])]
    found: dict[re.Pattern[str], bool] = {}
    for kind in kinds:
        if _NEEDS[kind] not in found:
            found[_NEEDS[kind]] = bool(_NEEDS[kind].search(text))
    return _compile_kinds(tuple(kind for kind in kinds if found[_NEEDS[kind]]))


def placeholder(number: int) -> str:
    """The placeholder text for span ``number``."""
    return f"[[{number}]]"


@dataclass(slots=True)
class ProtectedSpan:
    """One piece of a segment that the model must not change."""

    kind: str
    """``url``, ``email``, ``handle``, ``hashtag``, ``brand``, ``literal``, ``date``, ``time``,
    ``money``, ``percent``, ``number``, or ``glossary``."""
    text: str
    """The source text the placeholder stands for."""
    output: str
    """What the placeholder becomes after the model: the text itself, or a glossary's target term."""
    number: int
    """Placeholder number (``[[number]]``), unique in the segment."""
    at: float = 0.0
    """Relative position in the source segment (0–1), used to put a lost placeholder back."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Details (the glossary entry, a Kazakh suffix that was dropped, …)."""


def protect(text: str, language: str, *, numbers: bool = False, first: int = 1) -> tuple[str, list[ProtectedSpan]]:
    """Replace protected spans in ``text`` (a segment, possibly with inline markers) by placeholders.

    Latin-script names are protected only in Cyrillic-script languages (kk, ru). Inline markers
    and escapes (:data:`kztranslate.inline.TOKEN`) are never touched. Returns the new text and the
    spans, numbered from ``first``.
    """
    pattern = _pattern_for(text, numbers, base_language(language) in ("kk", "ru"))
    if pattern is None:
        return text, []
    place = _Places(text)
    spans: list[ProtectedSpan] = []
    out: list[str] = []
    offset = 0
    for part, is_token in _parts(text):
        if is_token:
            out.append(part)
            offset += len(part)
            continue
        last = 0
        for m in pattern.finditer(part):
            found, kind = m.group(), m.lastgroup or "literal"
            if kind == "url":
                found = _trim_url(found)
            out.append(part[last : m.start()])
            number = first + len(spans)
            at = place(offset + m.start(), offset + m.start() + len(found))
            spans.append(ProtectedSpan(kind, found, found, number, at))
            out.append(placeholder(number))
            last = m.start() + len(found)
        out.append(part[last:])
        offset += len(part)
    return "".join(out), spans


_LEADING = " \t\n«\"'(-—–:;,."
_TRAILING = " \t\n»\"').,!?…:;"


def relative_place(text: str, start: int, end: int) -> float:
    """Where ``text[start:end]`` sits in ``text``: 0 at the start, 1 at the end (punctuation aside)."""
    return _Places(text)(start, end)


class _Places:
    """:func:`relative_place` for many spans of one text, each in O(log n) after one O(n) pass
    (inline markers take no room)."""

    def __init__(self, text: str) -> None:
        self.size = len(text)
        self.token_starts: list[int] = []
        self.removed_before: list[int] = [0]  # marker characters before each token's end
        first, last = len(text), -1
        for part_start, part, is_token in _positions(text):
            if is_token:
                self.token_starts.append(part_start)
                self.removed_before.append(self.removed_before[-1] + len(part))
                continue
            lead = len(part) - len(part.lstrip(_LEADING))
            if lead < len(part):
                first = min(first, part_start + lead)
            trail = len(part.rstrip(_TRAILING))
            if trail:
                last = part_start + trail - 1
        self.first_word, self.last_word = first, last

    def _kept(self, at: int) -> int:
        """Characters of text before ``at`` that are not inline markers (``at`` outside markers)."""
        return at - self.removed_before[bisect_right(self.token_starts, at - 1)]

    def __call__(self, start: int, end: int) -> float:
        if self.first_word >= start:
            return 0.0
        if self.last_word < end:
            return 1.0
        before = self._kept(start)
        after = self._kept(self.size) - self._kept(end)
        return before / max(1, before + after)


def _trim_url(url: str) -> str:
    while url and url[-1] in _URL_END:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _parts(text: str):
    """``text`` as (part, is_inline_token) pairs."""
    for _start, part, is_token in _positions(text):
        yield part, is_token


def _positions(text: str):
    """``text`` as (start, part, is_inline_token) triples."""
    last = 0
    for m in TOKEN.finditer(text):
        yield last, text[last : m.start()], False
        yield m.start(), m.group(), True
        last = m.end()
    yield last, text[last:], False


def restore(model_text: str, spans: list[ProtectedSpan]) -> tuple[str, list[Finding]]:
    """Put each span's output where the model left its placeholder.

    A placeholder the model dropped is re-inserted at its relative position in the source (at a
    word boundary) and reported as ``placeholder-lost``; a repeated one keeps its first place
    (``placeholder-duplicated``); one that was never given out is removed (``placeholder-invented``).
    The problems are findings with no block or segment (the caller knows where the text goes).
    """
    by_number = {s.number: s for s in spans}
    problems: list[Finding] = []
    for span in spans:
        # a source-language ending the model copied after a name ("[[1]]тың" in English) goes
        suffix = span.meta.get("suffix") if span.kind == "name" else None
        if suffix and any(ch.isalpha() for ch in suffix):
            model_text = re.sub(rf"(\[\[\s*{span.number}\s*\]\]){re.escape(suffix)}(?![{_LETTERS}])", r"\1",
                                model_text)
    used: set[int] = set()

    def put_back(m: re.Match[str]) -> str:
        space, number = m.group(1), int(m.group(2))
        span = by_number.get(number)
        if span is None:
            written = m.group().strip()
            problems.append(_problem("placeholder-invented",
                                     f"the model wrote {written!r}, which is not in the source; removed"))
            return ""
        if number in used:
            problems.append(_problem("placeholder-duplicated",
                                     f"{span.kind} {span.text!r} came back twice; kept the first"))
            return ""
        used.add(number)
        return space + span.output

    # a removed placeholder takes the space before it along
    text = re.sub(rf"( ?){PLACEHOLDER.pattern}", put_back, model_text)
    for span in spans:
        if span.number not in used:
            text = _insert(text, span.output, span.at)
            problems.append(_problem(
                "placeholder-lost",
                f"the model dropped the {span.kind} {span.text!r}; "
                "re-inserted at the same relative place as in the source",
            ))
    return text, problems


def _insert(text: str, piece: str, at: float) -> str:
    if at >= 1.0:
        where = len(text.rstrip(" \t\n»\"').,!?…:;"))
        return text[:where] + " " + piece + text[where:]
    target = round(at * len(text))
    edges = [0, len(text)] + [m.start() for m in re.finditer(r"(?<=\s)\S", text)]
    where = min(edges, key=lambda e: abs(e - target))
    before, after = text[:where], text[where:]
    return (before + ("" if not before or before.endswith(" ") else " ") + piece
            + ("" if not after or after.startswith(" ") else " ") + after)


def _problem(code: str, message: str) -> Finding:
    return Finding(code, "warning", message=message)


# -- person names in running text ----------------------------------------------------------------
# Russian case endings of a masculine surname in -ов/-ев/-ин (Токаева, Токаеву, Токаевым, Токаеве).
_RUSSIAN_SURNAME_ENDINGS = ("ым", "ом", "а", "у", "е")
_SURNAME = re.compile(r"(?:ов|ев|ёв|ова|ева|ёва|ин|ина|ын|ына|ұлы|улы|қызы|кызы|ский|ская"
                      r"|uly|kyzy|ov|ev|ova|eva|in|ina)$",
                      re.IGNORECASE)
_ENGLISH_POSSESSIVE = r"(?:['’]s?)?"


def protect_names(
    text: str, language: str, target: str, table: Any = None, *, gazetteer: bool = True, first: int = 1
) -> tuple[str, list[ProtectedSpan]]:
    """Replace the person names of the user's names ``table`` and of the built-in gazetteer in
    ``text`` by placeholders whose output is the name as ``target`` prints it (the table wins).

    A full name is matched as written or in capitals (and comes out in capitals then); a surname alone
    (``Тоқаев``, ``Токаев``, ``Tokayev``) too, when it looks like one (``-ов``, ``-ева``, ``-ұлы``…,
    five letters or more).
    The case ending that follows stays outside the placeholder, for the model to carry into the
    sentence: ``Тоқаевтың`` (Kazakh endings in both vowel-harmony variants, as for glossary
    terms), ``Токаева`` (Russian endings of a masculine surname), ``Tokayev's``. The span's
    ``meta`` holds the matched name and ``suffix``. Inline markers and placeholders are skipped.
    Matching is a dictionary lookup per word, so a gazetteer of thousands of names costs little.
    """
    from . import names

    source, tgt = base_language(language), base_language(target)
    if source == tgt:
        return text, []
    tables = [t for t in (table, names.builtin_gazetteer() if gazetteer else None) if t is not None]
    if not tables:
        return text, []
    index = _name_index(tables, source)
    if not index:
        return text, []
    ending = _ENDINGS[source]
    blocked = [m.span() for m in re.finditer(f"{PLACEHOLDER.pattern}|{TOKEN.pattern}", text)]
    words = [m for m in _NAME_WORD.finditer(text) if not any(a < m.end() and m.start() < b for a, b in blocked)]
    spans: list[ProtectedSpan] = []
    out: list[str] = []
    last = 0
    i = 0
    while i < len(words):
        found = _name_at(text, words, i, index, ending)
        if found is None:
            i += 1
            continue
        width, form, stem_end = found
        start, end = words[i].start(), words[i + width - 1].end()
        stem, suffix = text[start:stem_end], text[stem_end:end]
        written = names.transliterate_name(form, source, tgt, table, gazetteer=gazetteer)
        if stem.isupper() and len(stem) > 1:
            written = written.upper()
        number = first + len(spans)
        out.append(text[last:start])
        spans.append(ProtectedSpan("name", stem, _escape(written), number, relative_place(text, start, stem_end),
                                   {"name": form, "suffix": suffix}))
        out.append(placeholder(number) + suffix)
        last = end
        i += width
    out.append(text[last:])
    return "".join(out), spans


# A word of a name: letters, hyphen-joined parts and an apostrophe ending (Tokayev's).
_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def _ending_pattern(source: str) -> re.Pattern[str]:
    from .glossary import KAZAKH_SUFFIXES

    if source == "kk":
        return re.compile(rf"(?i:-?(?:{'|'.join(KAZAKH_SUFFIXES)}){{1,3}})?")
    if source == "ru":
        return re.compile(rf"(?i:{'|'.join(_RUSSIAN_SURNAME_ENDINGS)})?")
    return re.compile(_ENGLISH_POSSESSIVE)


class _Endings(dict):
    def __missing__(self, source: str) -> re.Pattern[str]:
        self[source] = _ending_pattern(source)
        return self[source]


_ENDINGS = _Endings()


def _name_at(text: str, words: list[re.Match[str]], i: int, index: dict[str, list[tuple[str, ...]]],
             ending: re.Pattern[str]) -> tuple[int, str, int] | None:
    """The longest known name starting at word ``i``: (words used, the name's form, end of its
    stem in ``text``), or None."""
    token = words[i].group()
    # the first word as written, or a stem of it before an ending (no name's word is 60 letters long)
    for cut in range(min(len(token), 60), 0, -1):
        candidates = index.get(token[:cut]) or index.get(_title(token[:cut]))
        if not candidates:
            continue
        for form_words in candidates:
            width = len(form_words)
            if i + width > len(words):
                continue
            chosen = words[i:i + width]
            if any(text[a.end():b.start()].strip() for a, b in itertools.pairwise(chosen)):
                continue  # only spaces between the words of a name
            if not all(_same_word(w.group(), f) for w, f in zip(chosen[:-1], form_words[:-1])):
                continue
            last, last_form = chosen[-1].group(), form_words[-1]
            if width == 1 and cut != len(token):
                last_form = form_words[0]
            if not (last.startswith(last_form) or last.startswith(last_form.upper())):
                continue
            rest = last[len(last_form):]
            if rest and (not _may_inflect(last_form, ending) or not ending.fullmatch(rest)):
                continue
            return width, " ".join(form_words), chosen[-1].start() + len(last_form)
    return None


def _title(word: str) -> str:
    """``ТОҚАЕВ`` → ``Тоқаев`` (index keys are written as in the table)."""
    return word[:1] + word[1:].lower() if word.isupper() else word


def _same_word(written: str, form: str) -> bool:
    return written == form or written == form.upper()


def _may_inflect(form: str, ending: re.Pattern[str]) -> bool:
    """Russian endings follow only a masculine surname (Токаев-а), never Калиева."""
    if ending.pattern.startswith("(?i:" + "|".join(_RUSSIAN_SURNAME_ENDINGS)):
        return bool(re.search(r"(?:ов|ев|ёв|ин|ын)$", form))
    return True


def _escape(text: str) -> str:
    from .inline import escape

    return escape(text)


def _name_index(tables: list[Any], source: str) -> dict[str, list[tuple[str, ...]]]:
    """First word → the names (as word tuples, longest first) the tables know in ``source``;
    cached on the first table."""
    cache = tables[0].meta.setdefault("_name_index", {})
    key = (source, tuple(id(t) for t in tables))
    if key not in cache:
        forms: set[tuple[str, ...]] = set()
        for table in tables:
            for entry in table.entries:
                written = entry.get(source)
                if not written:
                    continue
                words = tuple(written.split())
                forms.add(words)
                if len(words) > 1 and len(words[-1]) >= 5 and _SURNAME.search(words[-1]):
                    forms.add(words[-1:])
        index: dict[str, list[tuple[str, ...]]] = {}
        for words in sorted(forms, key=lambda w: (-len(w), -len(" ".join(w)), w)):
            index.setdefault(words[0], []).append(words)
        cache[key] = index
    return cache[key]
