"""Quality checks on one translated segment, so an editor knows where to look.

:func:`check_segment` compares a model segment's output with its source and returns
:class:`Finding` objects, each with a stable ``code``:

==================== ======== ===============================================================
code                 severity what it means
==================== ======== ===============================================================
number-mismatch      error    a number, date, time or amount of the source is missing
                              (warning: the output has a number the source has not)
term-missing         warning  a glossary term or protected span expected in the output is absent
                              (only when the caller passes ``expected_terms``)
placeholder-mismatch error    an inline code / placeholder is lost, duplicated or out of order
                              (only when the caller passes ``placeholders``; a translation reports
                              lost markup as ``inline-*`` and ``placeholder-*`` findings instead)
untranslated         error    the output equals the source (warning: language identification
                              says the output is still in the source language)
wrong-script         error    the output is not in the target's script (Kazakh: Cyrillic, never
                              Arabic; kk-Latn and English: Latin; Russian: Cyrillic); warning
                              for Cyrillic words left in a Latin-script output
repetition           error    a word or phrase repeated 3+ times back to back (warning: a
                              3-word phrase 3+ times anywhere, when the source repeats no
                              2-word phrase that often)
length-ratio         warning  output much shorter or longer than the source (:data:`LENGTH_RATIO`)
truncated            error    decoding stopped at the length limit
output-sanitized     warning  the model's output held characters no format can carry (lone
                              surrogates, NUL and other control characters, noncharacters) or a
                              line break where the source segment had none; they were removed
                              (line breaks became spaces) before writing: see ``meta``
==================== ======== ===============================================================

Each check is a named rule of :data:`CHECKS` (a :class:`~kztranslate.ruler.Ruler`), named by the
code it reports (``output-sanitized`` comes from :func:`sanitize_output`, which the pipeline runs
first); a translator runs its own copy, ``translator.checks``, where checks can be disabled.

Numbers are compared by value, locale-aware: ``3 457`` = ``3457`` = ``3,457``; ``3,5`` = ``3.5``;
``2019 ж.`` = ``2019 г.`` = ``2019``;
``27 қараша 2019`` = ``27 ноября 2019`` = ``November 27, 2019`` = ``27.11.2019`` (month names
come from babel's CLDR data); ``10:03`` is a time. Currency signs and scale words are not
compared, only the amounts.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .document import Finding
from .languages import CYRILLIC_SCRIPT, script_of
from .ruler import Ruler

__all__ = [
    "CHECKS",
    "LENGTH_RATIO",
    "SEVERITIES",
    "Check",
    "Finding",
    "Segment",
    "check_segment",
    "default_checks",
    "sanitize_output",
    "summarize",
]

#: Severities, mildest first.
SEVERITIES: tuple[str, ...] = ("info", "warning", "error")

#: Expected output/source length in characters per language pair. For a source of ``n``
#: characters an output is flagged outside ``ratio·n/2 − 8 … 2·ratio·n + 12`` characters (the
#: constants keep short segments quiet). kk→en: 1.03 is the median over 1,711 primeminister.kz sentence pairs of
#: ``shared/corpus`` (1st–99th percentile 0.70–1.62); the others are the usual sizes of these
#: languages relative to each other (Russian runs ~10% longer than English; Kazakh ≈ Russian).
LENGTH_RATIO: dict[tuple[str, str], float] = {
    ("kk", "en"): 1.0,
    ("en", "kk"): 1.0,
    ("kk", "ru"): 1.05,
    ("ru", "kk"): 0.95,
    ("ru", "en"): 0.9,
    ("en", "ru"): 1.1,
}

_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
# Runs that are not prose in any language: markup codes, placeholders, URLs, e-mail, handles.
# Every regex here runs in linear time on any input: no two unbounded quantifiers can share the
# same characters (possessive ``*+``/``++`` where they could), and a pattern that could fail after
# a long run starts only at the run's beginning (a lookbehind), so no run is scanned twice.
# An e-mail-like run: a word with an "@" after its first character and a "." later, not last.
_NOT_PROSE_PARTS: tuple[tuple[tuple[str, ...], str], ...] = (  # (what it needs, pattern)
    (("<",), r"<[^<>]*+>"),
    (("[[",), r"\[\[[^\[\]]*+\]\]"),
    (("://",), r"https?://\S++"),
    (("www.",), r"www\.\S++"),
    (("@",), r"(?<!\S)\S[^\s@]*+@\S[^\s.]*+\.\S++"),
    (("@", "#"), r"[@#]\w++"),
)


@lru_cache(maxsize=64)
def _not_prose_for(first: int, present: tuple[bool, ...]) -> re.Pattern[str] | None:
    chosen = [pattern for (_, pattern), there in zip(_NOT_PROSE_PARTS[first:], present) if there]
    return re.compile("|".join(chosen)) if chosen else None


def _without_non_prose(text: str) -> str:
    """``text`` with markup codes, placeholders, URLs, e-mail addresses and handles blanked out; a
    pattern whose first character is not in the text is left out (the engine would try it everywhere)."""
    for part in (slice(0, 2), slice(2, None)):  # markup and placeholders first: what follows is a word start
        present = tuple(any(needed in text for needed in needs) for needs, _ in _NOT_PROSE_PARTS[part])
        pattern = _not_prose_for(part.start, present)
        if pattern is not None:
            text = pattern.sub(" ", text)
    return text
_WORD = re.compile(r"[^\W_]++(?:[-'’][^\W_]++)*+")
_TIME = re.compile(r"(?<![\d.,:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_NUMERIC_DATE = re.compile(r"(?<![\d.,])(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?![\d.,]?\d)")
# A number: digits, optionally grouped by thousands (space, no-break spaces, comma, dot, apostrophe),
# optionally with a decimal part.
_NUMBER = re.compile(
    r"(?<![\d])(\d{1,3}(?:[ \u00A0\u202F\u2009,.'’]\d{3})+|\d++)(?:([.,])(\d++))?(?![\d])"
)
_GROUP_SEPARATORS = " \u00A0\u202F\u2009,.'’"
_DIGIT = re.compile(r"\d")


# Characters no output format can carry: C0/C1 controls (tab and newline aside, handled below),
# DEL, lone surrogates, the noncharacters XML refuses.
_UNWRITABLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
# Everything str.splitlines() breaks at: a reader splitting lines would see another block.
_LINE_BREAK = re.compile("[ \t]*(?:\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029])[ \t]*")


def sanitize_output(output_text: str, source_text: str) -> tuple[str, dict[str, Any]]:
    """A model output made safe to write: characters no format can carry removed, and line breaks
    the source segment does not have turned into spaces (a newline in a one-line block would
    become another block when the variant is read back). Returns the text and what was changed
    (empty when nothing): ``{"removed": {"U+0000": 2, …}, "line_breaks": n}``; the pipeline records
    it as an ``output-sanitized`` finding."""
    changes: dict[str, Any] = {}
    removed = Counter(f"U+{ord(ch):04X}" for ch in _UNWRITABLE.findall(output_text))
    if removed:
        output_text = _UNWRITABLE.sub("", output_text)
        changes["removed"] = dict(sorted(removed.items()))
    allowed = source_text.count("\n")
    breaks = list(_LINE_BREAK.finditer(output_text))
    extra = [m for m in breaks if m.group().strip(" \t") != "\n"] + [
        m for m in breaks if m.group().strip(" \t") == "\n"][allowed:]
    if extra:
        spans = {m.span() for m in extra}
        output_text = _LINE_BREAK.sub(lambda m: " " if m.span() in spans else m.group(), output_text)
        changes["line_breaks"] = len(extra)
    return output_text, changes


@dataclass(frozen=True, slots=True)
class Segment:
    """What a check sees of one segment: both texts, the languages, and the texts' prose (markup
    codes, placeholders, URLs, e-mail addresses and handles blanked out)."""

    source_text: str
    output_text: str
    source: str
    target: str
    truncated: bool = False
    expected_terms: Sequence[str] = ()
    placeholders: Sequence[str] = ()
    block: int | None = None
    segment: int | None = None
    language_checks: bool = True
    source_prose: str = ""
    output_prose: str = ""

    @property
    def pair(self) -> tuple[str, str]:
        """(source, target) without script subtags: ``("kk", "en")`` for kk-Latn → en."""
        return self.source.split("-")[0], self.target.split("-")[0]

    def finding(self, code: str, severity: str, message: str, **meta: Any) -> Finding:
        return Finding(code, severity, self.block, self.segment, message, meta)


#: A QA check: the findings of one segment (none when it is fine).
Check = Callable[[Segment], list[Finding]]


def _check_truncated(seg: Segment) -> list[Finding]:
    if not seg.truncated:
        return []
    return [seg.finding("truncated", "error", "the model's output hit the length limit; the segment may be cut short")]


def _check_numbers(seg: Segment) -> list[Finding]:
    """Numbers, dates, times, amounts, compared by value."""
    missing, extra = _compare_numbers(_numbers(seg.source_prose), _numbers(seg.output_prose))
    if missing:
        return [seg.finding("number-mismatch", "error",
                            f"number(s) {', '.join(missing)} of the source are missing or changed in the output",
                            missing=missing, extra=extra)]
    if extra:
        return [seg.finding("number-mismatch", "warning",
                            f"the output has number(s) {', '.join(extra)} not in the source",
                            extra=extra)]
    return []


def _check_terms(seg: Segment) -> list[Finding]:
    """Glossary terms and protected spans that must appear."""
    lowered = seg.output_text.casefold()
    absent = [t for t in seg.expected_terms if t and t.casefold() not in lowered]
    if not absent:
        return []
    return [seg.finding("term-missing", "warning", f"expected term(s) missing: {', '.join(absent)}", terms=absent)]


def _check_placeholders(seg: Segment) -> list[Finding]:
    """Inline codes lost, duplicated or out of order."""
    problem = _placeholder_problem(seg.source_text, seg.output_text, seg.placeholders) if seg.placeholders else None
    if not problem:
        return []
    return [seg.finding("placeholder-mismatch", "error", problem, placeholders=list(seg.placeholders))]


def _check_untranslated(seg: Segment) -> list[Finding]:
    src_base, tgt_base = seg.pair
    if not seg.language_checks or src_base == tgt_base:
        return []
    unchanged = _normalize(seg.source_text) == _normalize(seg.output_text)
    if unchanged and _own_script_letters(seg.source_prose, seg.source):
        return [seg.finding("untranslated", "error", "the output is the source text, untranslated")]
    if _still_source_language(seg.output_prose, seg.source, seg.target):
        return [seg.finding("untranslated", "warning", f"the output still reads as {seg.source}, not {seg.target}")]
    return []


def _check_script(seg: Segment) -> list[Finding]:
    found = _script_problem(seg.output_prose, seg.target) if seg.language_checks else None
    return [seg.finding("wrong-script", *found)] if found else []


def _check_repetition(seg: Segment) -> list[Finding]:
    repeated = _tandem_repeat(seg.output_prose)
    if repeated:
        phrase, times = repeated
        return [seg.finding("repetition", "error", f"«{phrase}» is repeated {times} times in a row",
                            phrase=phrase, times=times)]
    scattered = _scattered_repeat(seg.output_prose, seg.source_prose)
    if scattered:
        phrase, times = scattered
        return [seg.finding("repetition", "warning", f"«{phrase}» occurs {times} times", phrase=phrase, times=times)]
    return []


def _check_length(seg: Segment) -> list[Finding]:
    src_base, tgt_base = seg.pair
    expected = LENGTH_RATIO.get((src_base, tgt_base))
    n_src, n_out = len(seg.source_text.strip()), len(seg.output_text.strip())
    if not expected or not n_src:
        return []
    low, high = expected / 2 * n_src - 8, expected * 2 * n_src + 12
    if low <= n_out <= high:
        return []
    ratio = round(n_out / n_src, 2)
    side = "shorter" if n_out < low else "longer"
    return [seg.finding(
        "length-ratio", "warning",
        f"the output is {ratio}× the source's length, much {side} than usual for {src_base}→{tgt_base} "
        f"(about {expected}×); a sentence may be dropped or invented",
        ratio=ratio, expected=expected,
    )]


#: The checks :func:`check_segment` runs, in order, each named by the code it reports. A
#: :class:`~kztranslate.pipeline.Translator` runs its own copy (``translator.checks``): disable
#: one there (``translator.checks.disable("length-ratio")``) and it is not run.
CHECKS: Ruler[Check] = Ruler([
    ("truncated", _check_truncated),
    ("number-mismatch", _check_numbers),
    ("term-missing", _check_terms),
    ("placeholder-mismatch", _check_placeholders),
    ("untranslated", _check_untranslated),
    ("wrong-script", _check_script),
    ("repetition", _check_repetition),
    ("length-ratio", _check_length),
])


def default_checks() -> Ruler[Check]:
    """A copy of :data:`CHECKS` to switch checks on and off in."""
    return CHECKS.copy()


def check_segment(
    source_text: str,
    output_text: str,
    source: str,
    target: str,
    *,
    truncated: bool = False,
    expected_terms: Sequence[str] = (),
    placeholders: Sequence[str] = (),
    block: int | None = None,
    segment: int | None = None,
    language_checks: bool = True,
    checks: Ruler[Check] | Sequence[Check] | None = None,
) -> list[Finding]:
    """Check one segment's translation; returns the findings (empty when nothing is wrong).

    ``source``/``target`` are language tags (``kk``, ``ru``, ``en``, ``kk-Latn``);
    ``expected_terms`` are target-language strings that must appear (glossary terms, protected
    spans); ``placeholders`` are the inline codes of the segment (``<1>``, ``</1>``, ``[[0]]``),
    which must come back exactly as often as in the source and in the same nesting order.
    ``language_checks=False`` skips the untranslated and wrong-script checks (pseudo-translation
    keeps the source text on purpose; everything else is still checked). ``checks``: the enabled
    checks of this chain run, or these check functions (default: every check of :data:`CHECKS`).
    """
    seg = Segment(
        source_text, output_text, source, target, truncated, tuple(expected_terms), tuple(placeholders),
        block, segment, language_checks, _without_non_prose(source_text), _without_non_prose(output_text),
    )
    run = (checks or CHECKS).get_rules() if checks is None or isinstance(checks, Ruler) else checks
    return [finding for check in run for finding in check(seg)]


def summarize(findings: Iterable[Finding]) -> dict[str, Any]:
    """Counts for provenance and the command line:
    ``{"findings", "segments", "worst", "by_severity", "by_code"}``."""
    items = list(findings)
    by_severity = Counter(f.severity for f in items)
    worst = max(by_severity, key=SEVERITIES.index) if by_severity else None
    return {
        "findings": len(items),
        "segments": len({(f.block, f.segment) for f in items}),
        "worst": worst,
        "by_severity": {s: by_severity[s] for s in SEVERITIES if by_severity[s]},
        "by_code": dict(sorted(Counter(f.code for f in items).items())),
    }


# -- numbers ----------------------------------------------------------------------------------

def _numbers(text: str) -> list[set[str]]:
    """Every number of ``text`` as its set of possible canonical readings (an ambiguous
    ``3,457`` reads as 3457 or 3.457)."""
    found: list[set[str]] = []
    if not _DIGIT.search(text):
        return found  # (a month name counts only next to a number)
    taken: list[tuple[int, int]] = []

    def free(m: re.Match) -> bool:
        return not any(a < m.end() and m.start() < b for a, b in taken)

    for m in _TIME.finditer(text):
        found.append({f"{int(m[1])}:{m[2]}"})
        taken.append(m.span())
    for m in _NUMERIC_DATE.finditer(text):
        if free(m) and 1 <= int(m[1]) <= 31 and 1 <= int(m[2]) <= 12:
            year = m[3] if len(m[3]) == 4 else f"20{m[3]}"
            found.extend([{str(int(m[1]))}, {str(int(m[2]))}, {year}])
            taken.append(m.span())
    for m in _NUMBER.finditer(text):
        if free(m):
            found.append(_readings(m))
    found.extend({str(month)} for month in _months_next_to_numbers(text))
    return found


def _readings(m: re.Match) -> set[str]:
    whole, sep, tail = m[1], m[2], m[3]
    digits = "".join(ch for ch in whole if ch not in _GROUP_SEPARATORS)
    if sep is None:
        readings = {_integer(digits)}
        if whole != digits and whole[-4] in ",." and whole.count(whole[-4]) == 1:
            # "3,457" / "3.457": a thousands group in English, a decimal in Russian and Kazakh
            head, frac = whole[:-4], whole[-3:]
            if head.isdigit():
                readings.add(_decimal(head, frac))
        return readings
    if len(tail) == 3 and whole == digits and sep in ",." and len(whole) <= 3:
        return {_integer(whole + tail), _decimal(whole, tail)}
    return {_decimal(digits, tail)}


def _decimal(whole: str, fraction: str) -> str:
    fraction = fraction.rstrip("0")
    return f"{_integer(whole)}.{fraction}" if fraction else _integer(whole)


def _integer(digits: str) -> str:
    """Canonical digits without leading zeros (not int(): a number of any length, in linear time)."""
    return digits.lstrip("0") or "0"


def _compare_numbers(source: list[set[str]], output: list[set[str]]) -> tuple[list[str], list[str]]:
    """Match numbers by any shared reading, each source number with the first unmatched output
    number sharing one; returns (missing from output, extra in output). Linear: output numbers
    are indexed by reading."""
    by_reading: dict[str, deque[int]] = {}
    for index, readings in enumerate(output):
        for reading in readings:
            by_reading.setdefault(reading, deque()).append(index)
    used = [False] * len(output)
    missing: list[str] = []
    for readings in source:
        best = None
        for reading in readings:
            queue = by_reading.get(reading)
            while queue and used[queue[0]]:
                queue.popleft()
            if queue and (best is None or queue[0] < best):
                best = queue[0]
        if best is None:
            missing.append(min(readings, key=len))
        else:
            used[best] = True
    return missing, [min(r, key=len) for r, taken in zip(output, used) if not taken]


def _months_next_to_numbers(text: str) -> list[int]:
    """Month numbers of month names written next to a number ("27 қараша", "November 27",
    "27 ноября 2019"), so a numeric date and a written one compare equal."""
    months = _month_lookup()
    stems = _month_stems()
    found: list[int] = []
    words = list(_WORD.finditer(text))
    for i, w in enumerate(words):
        # only a word next to a number can be a date's month: test that first, it is the cheap part
        if not any(words[j][0].isdigit() for j in (i - 1, i + 1) if 0 <= j < len(words)):
            continue
        word = w[0].casefold()
        month = months.get(word.rstrip("."))
        if month is None:  # the first stem in lookup order that starts the word ("қарашада")
            month = min((stems[word[:n]] for n in range(4, min(len(word), _LONGEST_STEM) + 1) if word[:n] in stems),
                        default=(0, None))[1]
        if month is not None:
            found.append(month)
    return found


@lru_cache(maxsize=1)
def _month_stems() -> dict[str, tuple[int, int]]:
    """Month names of 4+ letters → (their order in :func:`_month_lookup`, month number)."""
    return {stem: (order, number) for order, (stem, number) in enumerate(_month_lookup().items()) if len(stem) >= 4}


#: No month name is longer than this (a word is looked up by its prefixes up to it).
_LONGEST_STEM = 20


@lru_cache(maxsize=1)
def _month_lookup() -> dict[str, int]:
    """Month names of kk, ru and en in every width and context CLDR has, case-folded → number.
    Kazakh/Russian inflected forms ("қарашада", "ноября") are matched by prefix in the caller."""
    from babel.dates import get_month_names

    lookup: dict[str, int] = {}
    for locale in ("kk", "ru", "en"):
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in get_month_names(width, context, locale).items():
                    key = name.casefold().rstrip(".")
                    if len(key) >= 3:
                        lookup.setdefault(key, number)
    # The stem of a Russian genitive ("ноябр" of "ноября") also starts the other cases ("ноябре").
    for key, number in list(lookup.items()):
        if key.endswith("я") and len(key) >= 5:
            lookup.setdefault(key[:-1], number)
    return lookup


# -- placeholders -----------------------------------------------------------------------------

def _placeholder_problem(source_text: str, output_text: str, placeholders: Sequence[str]) -> str | None:
    for code in dict.fromkeys(placeholders):
        want, got = max(source_text.count(code), 1), output_text.count(code)
        if got != want:
            verb = "lost" if got < want else "duplicated"
            return f"inline code {code} is {verb} ({got} in the output, {want} in the source)"
    positions = {code: output_text.find(code) for code in placeholders}
    for code in placeholders:
        m = re.fullmatch(r"<(\d+)>", code)
        closing = f"</{m[1]}>" if m else None
        if closing in positions and positions[closing] < positions[code]:
            return f"inline code {closing} comes before {code}; the markup would break"
    return None


# -- untranslated, script ---------------------------------------------------------------------

def _normalize(text: str) -> str:
    return " ".join(text.casefold().split())


def _own_script_letters(text: str, language: str) -> int:
    """Letters of ``language``'s script (a Latin brand name in a Kazakh article has none, and
    rightly comes back as it was)."""
    return len((_LATIN if script_of(language) == "Latn" else CYRILLIC_SCRIPT).findall(text))


def _still_source_language(output: str, source: str, target: str) -> bool:
    if len(_WORD.findall(output)) < 4:
        return False  # too short to tell
    from .langid import detect_language

    found = detect_language(output)
    return found is not None and found == source and found != target


def _script_problem(output: str, target: str) -> tuple[str, str] | None:
    if _ARABIC.search(output):
        return "error", f"the output contains Arabic script; {target} output must be in {_script_name(target)}"
    cyrillic, latin = len(CYRILLIC_SCRIPT.findall(output)), len(_LATIN.findall(output))
    if not cyrillic + latin:
        return None
    wants_latin = script_of(target) == "Latn"
    own, other = (latin, cyrillic) if wants_latin else (cyrillic, latin)
    if own < other:
        return "error", f"the output is mostly not in {_script_name(target)}, the script of {target}"
    if wants_latin and cyrillic:
        words = [w for w in _WORD.findall(output) if CYRILLIC_SCRIPT.search(w)]
        return "warning", f"Cyrillic word(s) left in the {target} output: {', '.join(words[:5])}"
    # Latin brand names and URLs inside Cyrillic output are fine.
    return None


def _script_name(target: str) -> str:
    return "Latin script" if script_of(target) == "Latn" else "Cyrillic script"


# -- repetition -------------------------------------------------------------------------------

def _tokens(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _tandem_repeat(text: str, max_n: int = 8) -> tuple[str, int] | None:
    """The first word or phrase (up to ``max_n`` words) said 3+ times back to back."""
    words = _tokens(text)
    for n in range(1, max_n + 1):
        start = 0
        while start < len(words) - 3 * n + 1:
            unit = words[start:start + n]
            times = 1
            while words[start + times * n:start + (times + 1) * n] == unit:
                times += 1
            if times >= 3 and not (n == 1 and unit[0].isdigit()):
                return " ".join(unit), times
            # a run of one number ("0 0 0 …") is skipped whole, so no word is compared twice
            start += times if n == 1 and times >= 3 else 1
    return None


def _scattered_repeat(output: str, source: str) -> tuple[str, int] | None:
    """A 3-word phrase occurring 3+ times, when the source repeats no 2-word phrase that often
    (Kazakh says in two words what English says in three: "жаңа мектеп", "the new school")."""
    def grams(words: list[str], n: int) -> Counter:
        return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))

    out = grams(_tokens(output), 3)
    if not out:
        return None
    gram, times = out.most_common(1)[0]
    source_most = max(grams(_tokens(source), 2).values(), default=0)
    if times >= 3 and times > source_most:
        return " ".join(gram), times
    return None
