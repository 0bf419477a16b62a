"""Dates, view counts and site furniture of a news page, read in any of our languages and
rendered for a target locale with babel's CLDR data.

>>> parse_dateline("27 Қараша 2019, 10:03 3457").published
datetime.datetime(2019, 11, 27, 10, 3)
>>> render_dateline(datetime(2019, 11, 27, 10, 3), "ru")
'27 ноября 2019, 10:03'
>>> format_count(12345, "en", like="12 345")
'12,345'
>>> localize_furniture("Бөлісу:", "kk", "en")
'Share:'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from babel.dates import format_datetime, get_month_names, tokenize_pattern, untokenize_pattern
from babel.numbers import format_decimal

from .languages import babel_locale, base_language, normalize_language

__all__ = [
    "HOUSE_PATTERNS",
    "NUMERIC_PATTERN",
    "FURNITURE",
    "DateStyle",
    "Dateline",
    "parse_dateline",
    "render_dateline",
    "parse_count",
    "format_count",
    "split_counter",
    "is_furniture",
    "localize_furniture",
    "localize_relative_dateline",
    "split_site_label",
]

#: House-style dateline patterns (CLDR/babel syntax) for datelines that print the month as a word.
HOUSE_PATTERNS: dict[str, str] = {
    "kk": "d MMMM y, HH:mm",
    "ru": "d MMMM y, HH:mm",
    "en": "MMMM d, y, HH:mm",
}

#: Pattern for datelines printed with a numeric month ("06.07.2021", "20.03.2026, 20:50").
NUMERIC_PATTERN = "dd.MM.y, HH:mm"

#: Site furniture, concept → language → printed forms; the first form is the one rendered,
#: the others are also recognized. Kazakh Latin forms are derived from the Kazakh ones.
FURNITURE: dict[str, dict[str, tuple[str, ...]]] = {
    "share": {"kk": ("Бөлісу", "Бөлісіңіз"), "ru": ("Поделиться",), "en": ("Share",)},
    "views": {"kk": ("рет", "көрсетілді", "қаралым", "рет көрсетілді", "рет қаралды"),
              "ru": ("просмотров", "просмотра", "просмотр", "просмотры"),
              "en": ("views", "view")},
    "read": {"kk": ("оқылды",), "ru": ("прочитано",), "en": ("read",)},
    "photo": {"kk": ("Фото", "Сурет"), "ru": ("Фото",), "en": ("Photo",)},
    "video": {"kk": ("Видео",), "ru": ("Видео",), "en": ("Video",)},
    "tags": {"kk": ("Тегтер", "Тег"), "ru": ("Теги",), "en": ("Tags",)},
    "read_also": {"kk": ("Тағы оқыңыз", "Сондай-ақ оқыңыз"), "ru": ("Читайте также",), "en": ("Read also",)},
    "related": {"kk": ("Тақырыпқа қатысты",), "ru": ("По теме",), "en": ("Related",)},
    "source": {"kk": ("Дереккөз",), "ru": ("Источник",), "en": ("Source",)},
    "author": {"kk": ("Автор",), "ru": ("Автор",), "en": ("Author",)},
    "comments": {"kk": ("Пікірлер",), "ru": ("Комментарии",), "en": ("Comments",)},
    "today": {"kk": ("Бүгін",), "ru": ("Сегодня",), "en": ("Today",)},
    "yesterday": {"kk": ("Кеше",), "ru": ("Вчера",), "en": ("Yesterday",)},
    "app_android": {"kk": ("Қосымшаны Android-қа жүктеп алу",), "ru": ("Скачать приложение для Android",),
                    "en": ("Download the App for Android",)},
}

_LANGUAGES = ("kk", "ru", "en")
# Letters of any script (Kazakh, Russian, Latin with diacritics): \w without digits and underscore.
_WORD = r"[^\W\d_]+"
_TIME = r"(?P<tsep>,\s*|\s*[|•·]\s*|\s+[-–—/]\s+|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
_YEAR_SUFFIX = r"(?:\s?(?:ж|г)\.)?"
_DATE_PATTERNS: dict[str, re.Pattern[str]] = {
    # 27 Қараша 2019, 10:03 · 27 ноября 2019 г. 10:03 · 27 Nov. 2019
    "dmy": re.compile(
        rf"(?<![\w.])(?P<day>\d{{1,2}})(?:\s+|-)(?P<month>{_WORD})\.?(?P<ycomma>,?)\s+(?P<year>\d{{4}}){_YEAR_SUFFIX}"
        rf"(?:{_TIME})?(?![\w:])"
    ),
    # 10:03, 27 қараша 2019 (time first)
    "tdmy": re.compile(
        rf"(?<![\w.:])(?P<hour>\d{{1,2}}):(?P<minute>\d{{2}})(?P<tsep>\s*[,|•·]?\s+)(?P<day>\d{{1,2}})(?:\s+|-)"
        rf"(?P<month>{_WORD})\.?(?P<ycomma>,?)\s+(?P<year>\d{{4}}){_YEAR_SUFFIX}(?![\w:])"
    ),
    # 2019 жылғы 27 қараша, 10:03 · 2019 жылы 27 қарашада (Kazakh year first; a case ending on the month)
    "ydm": re.compile(
        rf"(?<![\w.])(?P<year>\d{{4}})\s+(?:жылғы|жылы|ж\.)\s+(?P<day>\d{{1,2}})(?:\s+|-)"
        rf"(?P<month>[^\W\d_]+?)(?:да|де|та|те)?(?P<ycomma>)(?:{_TIME})?(?![\w:])"
    ),
    # November 27, 2019, 10:03
    "mdy": re.compile(
        rf"(?<![\w.])(?P<month>{_WORD})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?P<ycomma>,?)\s+(?P<year>\d{{4}})"
        rf"(?:{_TIME})?(?![\w:])"
    ),
    # 06.07.2021 · 06/07/2021 · 20.03.2026, 20:50
    "numeric": re.compile(
        rf"(?<![\w.])(?P<day>\d{{1,2}})(?P<sep>[./])(?P<month>\d{{1,2}})(?P=sep)(?P<year>\d{{4}}){_YEAR_SUFFIX}"
        rf"(?:{_TIME})?(?![\w:])"
    ),
    # 2021-07-06 10:03 (ISO)
    "ymd": re.compile(
        r"(?<![\w.])(?P<year>\d{4})(?P<sep>-)(?P<month>\d{2})-(?P<day>\d{2})"
        r"(?:(?P<tsep>[T ])(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?(?![\w:])"
    ),
}


@dataclass(frozen=True, slots=True)
class DateStyle:
    """How a dateline was printed, so a rendering can follow the source."""

    numeric: bool
    """Whether the month is a number ("06.07.2021") rather than a word."""
    order: str
    """Order of the parts: ``dmy``, ``mdy`` (English "November 27, 2019") or ``ymd`` (ISO)."""
    month_language: str | None = None
    """Language of the month word (``kk``, ``ru``, ``en``, ``kk-Latn``); None when numeric."""
    month_case: str | None = None
    """Case of the month word: ``lower``, ``capitalized`` or ``upper``; None when numeric."""
    comma_before_year: bool = False
    """Whether a comma stands before the year ("November 27, 2019", "27 Қараша, 2019")."""
    separator: str | None = None
    """Separator of a numeric date: ``.``, ``/`` or ``-``; None for a month word."""


@dataclass(slots=True)
class Dateline:
    """A date (and time) found in a dateline's text."""

    published: datetime
    """The date and time as printed (naive; midnight when no time is printed)."""
    has_time: bool
    """Whether a time of day is printed."""
    style: DateStyle
    """How the date is printed."""
    start: int
    """Offset in the text where the date begins (a rubric or bullet may stand before it)."""
    end: int
    """Offset where the date/time ends (a view count or share trailer may follow)."""


# -- month and furniture lookups ----------------------------------------------------------------

def _fold(text: str) -> str:
    """Case-insensitive key that also folds the Kazakh Latin ı/I and Turkish İ pairs."""
    return text.casefold().replace("ı", "i").replace("\u0307", "")


@cache
def _months() -> dict[str, tuple[int, str]]:
    """Folded month word (without a final dot) → (month number, language), from CLDR; the
    Kazakh names also in the Latin alphabet, so kk-Latn variants read back."""
    from .latin import to_latin

    found: dict[str, tuple[int, str]] = {}
    for language in _LANGUAGES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale=language).items():
                    found.setdefault(_fold(name).rstrip("."), (number, language))
                    if language == "kk":
                        found.setdefault(_fold(to_latin(name)).rstrip("."), (number, "kk-Latn"))
    return found


def _month(word: str) -> tuple[int, str] | None:
    return _months().get(_fold(word).rstrip("."))


@cache
def _furniture_forms() -> dict[str, str]:
    """Folded furniture text → concept; the Kazakh forms also in the Latin alphabet."""
    from .latin import to_latin

    found: dict[str, str] = {}
    for concept, forms in FURNITURE.items():
        for language in _LANGUAGES:
            for form in forms[language]:
                found.setdefault(_fold(form), concept)
                if language == "kk":
                    found.setdefault(_fold(to_latin(form)), concept)
    return found


def _furniture(core: str) -> str | None:
    return _furniture_forms().get(_fold(" ".join(core.split())))


def _case_of(word: str) -> str:
    if len(word) > 1 and word.isupper():
        return "upper"
    return "capitalized" if word[:1].isupper() else "lower"


def _apply_case(word: str, case: str | None) -> str:
    if case == "upper":
        return word.upper()
    if case == "capitalized":
        return word[:1].upper() + word[1:]
    if case == "lower":
        return word[:1].lower() + word[1:]
    return word


# -- datelines ----------------------------------------------------------------------------------

def parse_dateline(text: str) -> Dateline | None:
    """The first date in ``text``: day-month-year with a Kazakh, Russian or English month word
    (any case, full or abbreviated, with or without a comma before the year, ``27-қараша``), English
    month-day-year, Kazakh year-first (``2019 жылғы 27 қараша``, ``2019 жылы 27 қарашада``), time
    first (``10:03, 27 қараша 2019``), numeric ``dd.mm.yyyy`` / ``dd/mm/yyyy`` or ISO, each with an
    optional time.
    None when there is no valid date."""
    best: Dateline | None = None
    for order, pattern in _DATE_PATTERNS.items():
        for match in pattern.finditer(text):
            if best is not None and match.start() >= best.start:
                break
            found = _dateline_from_match(order, match)
            if found is not None:
                best = found
                break
    return best


def _dateline_from_match(order: str, match: re.Match[str]) -> Dateline | None:
    groups = match.groupdict()
    if order in ("numeric", "ymd"):
        month = int(groups["month"])
        style = DateStyle(numeric=True, order="dmy" if order == "numeric" else "ymd", separator=groups["sep"])
    else:
        found = _month(groups["month"])
        if found is None:
            return None
        month, language = found
        style = DateStyle(
            numeric=False,
            order="dmy" if order in ("tdmy", "ydm") else order,
            month_language=language,
            month_case=_case_of(groups["month"]),
            comma_before_year=bool(groups["ycomma"]),
        )
    has_time = groups.get("hour") is not None
    try:
        published = datetime(
            int(groups["year"]), month, int(groups["day"]),
            int(groups["hour"] or 0), int(groups["minute"] or 0), int(groups.get("second") or 0),
        )
    except ValueError:
        return None
    return Dateline(published=published, has_time=has_time, style=style, start=match.start(), end=match.end())


def render_dateline(
    dt: datetime,
    language: str,
    pattern: str | None = None,
    *,
    like: str | Dateline | None = None,
) -> str:
    """``dt`` as a dateline in ``language`` (kk-Latn renders Kazakh; the pipeline transliterates).

    ``pattern`` (CLDR syntax) replaces the house style (:data:`HOUSE_PATTERNS`). ``like`` is the
    source's dateline: without a time there, none is rendered; a numeric source stays numeric
    (:data:`NUMERIC_PATTERN`); a Kazakh or Russian month word printed capitalized ("27 Қараша
    2019") capitalizes the Kazakh month (a capitalized Russian month would be wrong), and an
    all-caps month stays all caps in every language.
    """
    tag = normalize_language(language)
    base = base_language(tag)
    source = parse_dateline(like) if isinstance(like, str) else like
    if pattern is None:
        pattern = NUMERIC_PATTERN if source is not None and source.style.numeric else HOUSE_PATTERNS[base]
        if source is not None and source.style.numeric:
            # numeric dates keep the site's layout: 06/07/2021 stays 06/07/2021, ISO stays ISO
            if source.style.order == "ymd":
                pattern = "y-MM-dd HH:mm"
            elif source.style.separator in ("/", "-"):
                pattern = pattern.replace("dd.MM.y", f"dd{source.style.separator}MM{source.style.separator}y")
    if source is not None and not source.has_time:
        pattern = _without_time(pattern)
    text = format_datetime(dt, pattern, locale=babel_locale(tag))
    case = _styled_case(source.style) if source is not None else None
    if case == "upper" or (case == "capitalized" and base == "kk"):
        text = _recase_month(text, dt.month, babel_locale(tag), case)
    return text


def _styled_case(style: DateStyle) -> str | None:
    """The month's case when it is the site's choice, not the grammar of its language (an
    English month is always capitalized; a capitalized Kazakh or Russian month is house style)."""
    if style.month_language is None or style.month_case != "capitalized":
        return style.month_case
    natural = get_month_names("wide", "format", locale=babel_locale(style.month_language))[1]
    return "capitalized" if natural[:1].islower() else None


_TIME_FIELDS = frozenset("hHkKmsSAaBbzZOvVXx")


def _without_time(pattern: str) -> str:
    """``pattern`` with its time-of-day part (and the literal text joining it) cut away."""
    tokens = tokenize_pattern(pattern)
    is_time = [kind == "field" and value[0] in _TIME_FIELDS for kind, value in tokens]
    date_at = [i for i, (kind, _) in enumerate(tokens) if kind == "field" and not is_time[i]]
    if not any(is_time) or not date_at:
        return pattern
    time_at = [i for i, flag in enumerate(is_time) if flag]
    if time_at[0] > date_at[-1]:
        kept = tokens[: date_at[-1] + 1]
    elif time_at[-1] < date_at[0]:
        kept = tokens[date_at[0]:]
    else:
        kept = [t for t, flag in zip(tokens, is_time) if not flag]
    return untokenize_pattern(kept)


def _recase_month(text: str, month: int, locale: str, case: str) -> str:
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            name = get_month_names(width, context, locale=locale)[month]
            at = text.find(name)
            if at >= 0:
                return text[:at] + _apply_case(name, case) + text[at + len(name):]
    return text


# -- view counts --------------------------------------------------------------------------------

_GROUPED = re.compile(r"\d{1,3}(?:(?P<group>[ \u00a0\u202f\u2009,.'’])\d{3})(?:(?P=group)\d{3})*")
_COUNTER = re.compile(
    rf"(?:(?P<pre>{_WORD}(?:\s{_WORD})?)(?P<sep1>:\s*|\s+))?"
    rf"(?P<number>{_GROUPED.pattern}|\d+)"
    rf"(?:(?P<sep2>\s*)(?P<post>{_WORD}(?:\s{_WORD})?))?"
)


def parse_count(text: str) -> int | None:
    """The exact number in ``text`` ("3457", "3 457" with any space, "3,457"); None otherwise
    (abbreviations such as "12.3K" are not counts we can keep exact)."""
    core = text.strip()
    if re.fullmatch(r"\d+", core):
        return int(core)
    if _GROUPED.fullmatch(core):
        return int(re.sub(r"\D", "", core))
    return None


def split_counter(text: str) -> tuple[str, str, str, str, str] | None:
    """A printed view counter as ``(word_before, separator, number, separator, word_after)``
    ("Просмотров: 3457" → ``("Просмотров", ": ", "3457", "", "")``); the words must be counter
    furniture ("рет", "оқылды", "просмотров", "views", …). None when ``text`` is not a counter."""
    match = _COUNTER.fullmatch(text)
    if match is None:
        return None
    for word in (match["pre"], match["post"]):
        if word and _furniture(word) not in ("views", "read"):
            return None
    return match["pre"] or "", match["sep1"] or "", match["number"], match["sep2"] or "", match["post"] or ""


def format_count(n: int, language: str, *, like: str | None = None) -> str:
    """``n`` as a counter in ``language``; digits are grouped only when ``like`` (the source's
    printed counter) was grouped, so "3457" stays "3457" while "12 345" becomes "12,345" in
    English. A counter word in ``like`` ("3457 рет") is localized in place ("3457 views")."""
    tag = normalize_language(language)
    parts = split_counter(like.strip()) if like else None
    grouped = parts is None or _GROUPED.fullmatch(parts[2]) is not None
    number = format_decimal(n, locale=babel_locale(tag), group_separator=grouped)
    if parts is None:
        return number
    before, sep1, _, sep2, after = parts
    return (localize_furniture(before, None, tag) or before) + sep1 + number + sep2 + (
        localize_furniture(after, None, tag) or after)


# -- site furniture -----------------------------------------------------------------------------

_EDGE = re.compile(r"^(?P<lead>[\s•·|]*)(?P<core>.*?)(?P<trail>[\s:：.…!|»›>→-]*)$", re.DOTALL)


def is_furniture(text: str) -> str | None:
    """The furniture concept ``text`` is (``"share"``, ``"views"``, ``"tags"``, …), ignoring case
    and surrounding punctuation; None for any other text."""
    match = _EDGE.match(text)
    return _furniture(match["core"]) if match and match["core"] else None


def localize_furniture(text: str, source: str | None, target: str) -> str | None:
    """``text`` (site furniture such as "Бөлісу:") in ``target``, keeping its case and its
    punctuation ("БӨЛІСУ:" → "ПОДЕЛИТЬСЯ:"); None when ``text`` is not in :data:`FURNITURE`.
    ``source`` is accepted for symmetry with the other localizers; the table recognizes every
    language. kk-Latn gets the Kazakh form (the pipeline transliterates afterwards)."""
    match = _EDGE.match(text)
    if not match or not match["core"]:
        return None
    concept = _furniture(match["core"])
    if concept is None:
        return None
    rendered = FURNITURE[concept][base_language(normalize_language(target))][0]
    return match["lead"] + _apply_case(rendered, _case_of(match["core"])) + match["trail"]


_LEADING_WORD = re.compile(r"[^\W\d_]+")
_DAY_TIME_JOINER = re.compile(r"^\s+(?:в|at)\s+(?=\d)", re.IGNORECASE)
# A site label opening a block ("Фото: …", "Тегтер: …", "Читайте также: …").
_SITE_LABEL = re.compile(r"\s*(?P<label>[^\W\d_][^\W\d_ -]*(?:[ -][^\W\d_]+){0,3})\s*:\s+(?=\S)")
_SITE_LABEL_CONCEPTS = frozenset({"photo", "video", "tags", "source", "author", "read_also", "related", "share"})


def localize_relative_dateline(text: str, source: str | None, target: str) -> str:
    """``Бүгін, 14:25`` → ``Сегодня, 14:25``; ``Сегодня в 09:05`` → ``Today, 09:05``: the day word
    comes from the furniture table, the time stays, the source language's joining word becomes a comma."""
    day = _LEADING_WORD.match(text)
    if day is None:
        return text
    word = localize_furniture(day.group(), source, target) or day.group()
    return word + _DAY_TIME_JOINER.sub(", ", text[day.end():], count=1)


def split_site_label(text: str) -> tuple[str, str] | None:
    """``"Фото: Ақорда"`` → ``("Фото: ", "Ақорда")`` when the text opens with a known site label
    (photo, tags, read also, …); None otherwise."""
    label = _SITE_LABEL.match(text)
    if label is None or is_furniture(label["label"]) not in _SITE_LABEL_CONCEPTS:
        return None
    return label.group(), text[label.end():]
