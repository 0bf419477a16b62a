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
    "split_site_suffix",
    "is_site_name",
    "localize_site_name",
    "SITE_KINDS",
    "HOUSE_SURNAME_CAPS",
    "house_case",
    "is_weekday",
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
    "share": {"kk": ("Бөлісу", "Бөлісіңіз"), "ru": ("Поделиться",), "en": ("Share", "Tell a friend")},
    "views": {"kk": ("рет", "көрсетілді", "қаралым", "рет көрсетілді", "рет қаралды", "Қаралды", "Көрілім"),
              "ru": ("просмотров", "просмотра", "просмотр", "просмотры", "Просмотрено"),
              "en": ("views", "view", "Views")},
    "read": {"kk": ("оқылды",), "ru": ("прочитано", "прочтений"), "en": ("read", "reads")},
    "comments": {"kk": ("Пікірлер", "пікір"), "ru": ("Комментарии", "комментариев", "комментарий", "комментария"),
                 "en": ("Comments", "comment")},
    "photo": {"kk": ("Фото", "Сурет", "Фотосурет", "Коллаж", "Коллажды жасаған", "Суретті түсірген"),
              "ru": ("Фото", "Коллаж", "Изображение"), "en": ("Photo", "Image", "Images", "Collage")},
    "video": {"kk": ("Видео",), "ru": ("Видео",), "en": ("Video",)},
    "tags": {"kk": ("Тегтер", "Тег", "Кілт сөздер"), "ru": ("Теги", "География"), "en": ("Tags",)},
    "read_also": {"kk": ("Тағы оқыңыз", "Сондай-ақ оқыңыз"), "ru": ("Читайте также", "Сейчас читают"),
                  "en": ("Read also", "Read more")},
    "related": {"kk": ("Тақырыпқа қатысты", "Ұқсас мақалалар", "Ұқсас жаңалықтар"),
                "ru": ("По теме", "Новости по теме", "Похожие новости"),
                "en": ("Related", "Related news", "relevant news")},
    "popular": {"kk": ("Көп оқылғандар",), "ru": ("Популярное",), "en": ("Popular",)},
    "source": {"kk": ("Дереккөз",), "ru": ("Источник",), "en": ("Source",)},
    "author": {"kk": ("Автор", "Авторлар"), "ru": ("Автор", "Авторы"), "en": ("Author", "Authors")},
    "correspondent": {"kk": ("Тілші", "Корреспондент"), "ru": ("Корреспондент",), "en": ("Correspondent",)},
    "published": {"kk": ("Жарияланды",), "ru": ("Опубликовано",), "en": ("Published",)},
    "advertising": {"kk": ("Жарнама",), "ru": ("Реклама",), "en": ("Advertisement",)},
    "main_page": {"kk": ("Басты бет", "Басты сайтқа өту"), "ru": ("На главную",),
                  "en": ("Main Page", "Go to the main site")},
    "phone": {"kk": ("Телефон", "Тел"), "ru": ("Телефон", "Тел"), "en": ("Phone", "Tel")},
    "email": {"kk": ("Эл. пошта", "Электрондық пошта", "Эл. почта", "E-mail"),
              "ru": ("Эл. почта", "Электронная почта", "E-mail"), "en": ("Email", "E-mail")},
    "address": {"kk": ("Мекенжай",), "ru": ("Адрес",), "en": ("Address",)},
    "comments_closed": {"kk": ("Пікір қалдыру жабық",), "ru": ("Комментарии закрыты",),
                        "en": ("Comments are closed",)},
    "reading_time": {"kk": ("оқу үшін", "мин оқу үшін"), "ru": ("на чтение", "мин чтения"), "en": ("to read",)},
    "social": {"kk": ("Біз әлеуметтік желілерде",), "ru": ("Мы в соцсетях",), "en": ("Follow us",)},
    "all_news": {"kk": ("Барлық жаңалықтар",), "ru": ("Все новости",), "en": ("All news",)},
    "today": {"kk": ("Бүгін",), "ru": ("Сегодня",), "en": ("Today",)},
    "yesterday": {"kk": ("Кеше",), "ru": ("Вчера",), "en": ("Yesterday",)},
    "app_android": {"kk": ("Қосымшаны Android-қа жүктеп алу",), "ru": ("Скачать приложение для Android",),
                    "en": ("Download the App for Android",)},
}

#: Kinds of site named in a headline's suffix ("… - «Ақ жол» газеті"), concept → language → forms;
#: the first form is rendered. A Kazakh or English kind follows the site's name, a Russian one precedes it.
SITE_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "international_agency": {"kk": ("халықаралық ақпарат агенттігі",),
                             "ru": ("международное информационное агентство",),
                             "en": ("international news agency",)},
    "agency": {"kk": ("ақпарат агенттігі", "ақпараттық агенттігі", "агенттігі"),
               "ru": ("информационное агентство", "агентство"), "en": ("news agency", "agency")},
    "portal": {"kk": ("ақпараттық порталы", "порталы", "сайты"), "ru": ("информационный портал", "портал", "сайт"),
               "en": ("news portal", "portal", "website")},
    "newspaper": {"kk": ("газеті",), "ru": ("газета",), "en": ("newspaper",)},
    "magazine": {"kk": ("журналы",), "ru": ("журнал",), "en": ("magazine",)},
    "channel": {"kk": ("телеарнасы",), "ru": ("телеканал",), "en": ("TV channel",)},
    "news_of_kazakhstan": {"kk": ("Қазақстан жаңалықтары",), "ru": ("Новости Казахстана",),
                           "en": ("Kazakhstan news",)},
}

#: Whether the house style of a target language prints the surnames of a byline in capitals
#: ("Ерлан ТӨЛЕУОВ"); otherwise a byline printed that way gets the normal case in the variant.
HOUSE_SURNAME_CAPS: dict[str, bool] = {"kk": False, "ru": False, "en": False}


def house_case(name: str, printed: str, target: str) -> str:
    """``name`` (a person's name for ``target``, in normal case) with the words the source printed
    in capitals in capitals again when the house style of ``target`` keeps them
    (:data:`HOUSE_SURNAME_CAPS`): ``house_case("Erlan Toleuov", "Ерлан ТӨЛЕУОВ", "en")``."""
    if not HOUSE_SURNAME_CAPS.get(base_language(normalize_language(target))):
        return name
    words, printed_words = name.split(" "), printed.split(" ")
    if len(words) != len(printed_words):
        return name
    return " ".join(w.upper() if len(p) > 1 and p.isupper() else w for w, p in zip(words, printed_words))

_LANGUAGES = ("kk", "ru", "en")
# Letters of any script (Kazakh, Russian, Latin with diacritics): \w without digits and underscore.
_WORD = r"[^\W\d_]+"
_TIME = (r"(?P<tsep>,\s*|\s*[|•·]\s*|\s+[-–—/]\s+|\s+(?:(?:сағат|sağat|в|at)\s+)?)"
         r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?")
_YEAR_SUFFIX = r"(?:\s?(?:ж|г)\.)?"
_DATE_PATTERNS: dict[str, re.Pattern[str]] = {
    # 27 Қараша 2019, 10:03 · 27 ноября 2019 г. 10:03 · 27 Nov. 2019
    "dmy": re.compile(
        rf"(?<![\w.])(?P<day>\d{{1,2}})(?:\s+|-)(?P<month>{_WORD})\.?,?\s+(?P<year>\d{{4}}){_YEAR_SUFFIX}"
        rf"(?:{_TIME})?(?![\w:])"
    ),
    # 10:03, 27 қараша 2019 (time first)
    "tdmy": re.compile(
        rf"(?<![\w.:])(?P<hour>\d{{1,2}}):(?P<minute>\d{{2}})(?P<tsep>\s*[,|•·]?\s+)(?P<day>\d{{1,2}})(?:\s+|-)"
        rf"(?P<month>{_WORD})\.?,?\s+(?P<year>\d{{4}}){_YEAR_SUFFIX}(?![\w:])"
    ),
    # 2019 жылғы 27 қараша, 10:03 · 2019 жылы 27 қарашада (Kazakh year first; a case ending on the month)
    "ydm": re.compile(
        rf"(?<![\w.])(?P<year>\d{{4}})\s+(?:жылғы|жылы|ж\.)\s+(?P<day>\d{{1,2}})(?:\s+|-)"
        rf"(?P<month>[^\W\d_]+?)(?:да|де|та|те)?(?:{_TIME})?(?![\w:])"
    ),
    # November 27, 2019, 10:03
    "mdy": re.compile(
        rf"(?<![\w.])(?P<month>{_WORD})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})"
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


@cache
def _weekdays() -> frozenset[str]:
    """Folded weekday names (wide and abbreviated) in every language, from CLDR."""
    from babel.dates import get_day_names

    return frozenset(_fold(name).rstrip(".") for language in _LANGUAGES for width in ("wide", "abbreviated")
                     for context in ("format", "stand-alone")
                     for name in get_day_names(width, context, locale=language).values())


def is_weekday(word: str) -> bool:
    """Whether ``word`` is a weekday's name ("Сенбі", "Воскресенье", "Fri.")."""
    return _fold(word).rstrip(".,") in _weekdays()


def _furniture(core: str) -> str | None:
    if len(core) > _MAX_FURNITURE_CHARS:  # every form in the table is short
        return None
    return _furniture_forms().get(_fold(" ".join(core.split())))


_MAX_FURNITURE_CHARS = 100


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
_DIGITS = re.compile(r"\d+")
# Eye glyphs some sites print before the view count ("👁 3457", "👁️3457").
_EYES = ("👁\ufe0f", "👁", "👀")
# The longest view count we read as exact (a longer digit run is not a counter).
_MAX_COUNT_DIGITS = 15
# Furniture words may surround a counter: at most this many words, and characters, on each side.
_MAX_COUNTER_WORDS = 3
_MAX_COUNTER_CHARS = 60


def parse_count(text: str) -> int | None:
    """The exact number in ``text`` ("3457", "3 457" with any space, "3,457"); None otherwise
    (abbreviations such as "12.3K" are not counts we can keep exact, nor runs of over 15 digits)."""
    core = text.strip()
    if _DIGITS.fullmatch(core) or _GROUPED.fullmatch(core):
        digits = "".join(ch for ch in core if ch.isdigit())
        return int(digits) if len(digits) <= _MAX_COUNT_DIGITS else None
    return None


def split_counter(text: str) -> tuple[str, str, str, str, str] | None:
    """A printed view counter as ``(word_before, separator, number, separator, word_after)``
    ("Просмотров: 3457" → ``("Просмотров", ": ", "3457", "", "")``); the words must be counter
    furniture ("рет", "оқылды", "Қаралды", "просмотров", "views", …) or an eye glyph ("👁 3457"), and a
    word may be glued to the number ("views312"). None when ``text`` is not a counter.

    Runs in linear time: the number is the first digit run, the rest is checked with string operations."""
    digits = _DIGITS.search(text)
    if digits is None:
        return None
    at = digits.start()
    grouped = _GROUPED.match(text, at)
    number = grouped if grouped is not None and grouped.end() > digits.end() else digits
    if parse_count(number.group()) is None or at > _MAX_COUNTER_CHARS or len(text) - number.end() > _MAX_COUNTER_CHARS:
        return None
    pre, sep1 = _split_trailing_separator(text[:at])
    after = text[number.end():]
    post = after.lstrip()
    sep2 = after[: len(after) - len(post)]
    if pre and not _is_counter_word(pre):
        return None
    if post and not _is_counter_word(post):
        return None
    return pre, sep1, number.group(), sep2, post


def _split_trailing_separator(text: str) -> tuple[str, str]:
    """``"Просмотров: "`` → ``("Просмотров", ": ")``: the separator is trailing space and one colon."""
    core = text.rstrip()
    if core.endswith((":", "：")):
        core = core[:-1].rstrip()
    return core, text[len(core):]


def _is_counter_word(text: str) -> bool:
    """An eye glyph, or 1–3 words that are counter furniture ("рет көрсетілді", "Қаралды")."""
    if text in _EYES:
        return True
    words = text.split()
    if not words or len(words) > _MAX_COUNTER_WORDS or not all(w.isalpha() for w in words):
        return False
    return _furniture(text) in ("views", "read")


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
    words = after.split()
    if len(words) > 1 and any(ch in "\r\n" for ch in after):
        # "4236 рет" / "көрсетілді" on two lines: the localized word keeps the second line
        first = after[: after.index(words[0]) + len(words[0])]
        gap = after[len(first):]
        gap = gap[: len(gap) - len(gap.lstrip())]
        return (localize_furniture(before, None, tag) or before) + sep1 + number + gap + (
            localize_furniture(after, None, tag) or after)
    return (localize_furniture(before, None, tag) or before) + sep1 + number + sep2 + (
        localize_furniture(after, None, tag) or after)


# -- site furniture -----------------------------------------------------------------------------

_LEAD_CHARS = "•·|—–-"
_TRAIL_CHARS = ":：.…!|»›>→-"
_LEAD = re.compile(rf"[\s{re.escape(_LEAD_CHARS)}]*")
# matched against the reversed text, so the trailing run is found in one pass from its end
_TRAIL = re.compile(rf"[\s{re.escape(_TRAIL_CHARS)}]*")


def _run_end(pattern: re.Pattern[str], text: str, at: int = 0) -> int:
    """Where the run of ``pattern`` (one that may match empty) starting at ``at`` ends."""
    match = pattern.match(text, at)
    return match.end() if match is not None else at


def _edges(text: str) -> tuple[str, str, str]:
    """``text`` as (leading bullets and space, core, trailing punctuation and space), in linear time."""
    lead = _run_end(_LEAD, text)
    trail = _run_end(_TRAIL, text[::-1])
    if lead + trail >= len(text):
        return text, "", ""
    return text[:lead], text[lead: len(text) - trail], text[len(text) - trail:]


def is_furniture(text: str) -> str | None:
    """The furniture concept ``text`` is (``"share"``, ``"views"``, ``"tags"``, …), ignoring case
    and surrounding punctuation; None for any other text."""
    if len(text) > 4 * _MAX_FURNITURE_CHARS:
        return None
    _, core, _ = _edges(text)
    return _furniture(core) if core else None


def localize_furniture(text: str, source: str | None, target: str) -> str | None:
    """``text`` (site furniture such as "Бөлісу:") in ``target``, keeping its case and its
    punctuation ("БӨЛІСУ:" → "ПОДЕЛИТЬСЯ:"); None when ``text`` is not furniture.
    Besides the words of :data:`FURNITURE` this localizes a count with its word ("3 пікір" →
    "3 comments"), a contact label keeping its value ("Телефон: +7 727 250 00 00" → "Phone: +7 727 …"),
    and a site's name in a headline's suffix ("«Ақ жол» газеті" → "Газета «Ақ жол»", see
    :func:`split_site_suffix`).
    ``source`` is accepted for symmetry with the other localizers; the table recognizes every
    language. kk-Latn gets the Kazakh form (the pipeline transliterates afterwards)."""
    lead, core, trail = _edges(text)
    if not core:
        return None
    concept = _furniture(core)
    if concept is not None:
        return lead + _rendered(concept, core, target) + trail
    counted = _COUNTED.fullmatch(core)
    counted_concept = _furniture(counted["word"]) if counted is not None else None
    if counted is not None and counted_concept is not None:
        word = _rendered(counted_concept, counted["word"], target)
        return lead + counted["number"] + counted["space"] + word + trail
    contact = _contact_label(text)
    if contact is not None:
        label, value = contact
        # the label is contact furniture (_contact_label checked it), so it is localized
        return (localize_furniture(label, source, target) or label) + value
    if is_site_name(text):
        return localize_site_name(text, target)
    return None


def _rendered(concept: str, like: str, target: str) -> str:
    rendered = FURNITURE[concept][base_language(normalize_language(target))][0]
    return _apply_case(rendered, _case_of(like))


# "3 пікір", "0 комментариев": a count and its furniture word
_COUNTED = re.compile(r"(?P<number>\d{1,9})(?P<space>\s)(?P<word>[^\W\d_]{1,30})")
_CONTACT_CONCEPTS = frozenset({"phone", "email", "address"})
# A label stands within this many characters of a line's start.
_MAX_LABEL_CHARS = 40
_SPACE = re.compile(r"\s*")


def _contact_label(text: str) -> tuple[str, str] | None:
    """``"Телефон: +7 …"`` → ``("Телефон: ", "+7 …")`` for a contact label (phone, e-mail, address)."""
    label = _label_at_start(text)
    if label is None or is_furniture(label[0]) not in _CONTACT_CONCEPTS:
        return None
    return label


def _label_at_start(text: str) -> tuple[str, str] | None:
    """``text`` split after a label of 1–4 words and its colon (``"Фото: Ақорда"`` → ``("Фото: ",
    "Ақорда")``), or None; linear: only the first characters are looked at."""
    colon = text.find(":", 0, _MAX_LABEL_CHARS + _run_end(_SPACE, text))
    if colon <= 0:
        return None
    label = text[:colon].strip()
    words = label.replace("-", " ").split()
    if not 1 <= len(words) <= 4 or not all(w.rstrip(".").isalpha() for w in words):
        return None
    value_at = _run_end(_SPACE, text, colon + 1)
    if value_at == colon + 1 or value_at == len(text):  # "12:30" (no space after the colon), "Фото:" alone
        return None
    return text[:value_at], text[value_at:]


# -- site names -----------------------------------------------------------------------------------

_SITE_SEPARATORS = (" - ", " – ", " — ", " | ")
_DOMAIN = re.compile(r"(?<![\w.])[^\W_][\w-]{0,40}\.(?:kz|com|ru|org|net|info|media|news|tv|asia|uz|kg)(?![\w.])",
                     re.IGNORECASE)
_QUOTED = re.compile(r"«[^«»\n]{1,60}»|\"[^\"\n]{1,60}\"|“[^“”\n]{1,60}”")
# A site's name in a suffix is short.
_MAX_SITE_CHARS = 80


@cache
def _site_kinds() -> list[tuple[str, str]]:
    """(folded form, concept) of :data:`SITE_KINDS`, longest first (Kazakh also in Latin letters)."""
    from .latin import to_latin

    found: dict[str, str] = {}
    for concept, forms in SITE_KINDS.items():
        for language in _LANGUAGES:
            for form in forms[language]:
                found.setdefault(_fold(form), concept)
                if language == "kk":
                    found.setdefault(_fold(to_latin(form)), concept)
    return sorted(found.items(), key=lambda item: -len(item[0]))


def _site_parts(text: str) -> tuple[str, str, str] | None:
    """``"«Ақ жол» газеті"`` → ``("«Ақ жол»", "газеті", concept)``: a site's name and the kind of site
    (either may be missing, not both: "Tengrinews.kz", "Новости Казахстана"); None for other text."""
    core = " ".join(text.split())
    if not core or len(core) > _MAX_SITE_CHARS:
        return None
    folded = _fold(core)
    for form, concept in _site_kinds():
        if folded == form:
            return "", core, concept
        if folded.endswith(" " + form):
            return _site_name_or_none(core[: len(core) - len(form) - 1], core[len(core) - len(form):], concept)
        if folded.startswith(form + " "):
            return _site_name_or_none(core[len(form) + 1:], core[: len(form)], concept)
    if _QUOTED.fullmatch(core) or _DOMAIN.fullmatch(core):
        return core, "", ""
    return None


def _site_name_or_none(name: str, kind: str, concept: str) -> tuple[str, str, str] | None:
    if _QUOTED.fullmatch(name) or _DOMAIN.fullmatch(name):
        return name, kind, concept
    return None


def is_site_name(text: str) -> bool:
    """Whether ``text`` names a news site: a domain ("Tengrinews.kz"), a quoted name with the kind of
    site ("«Ақ жол» газеті", "Информационное агентство «Казинформ»") or a known site phrase
    ("Новости Казахстана")."""
    return _site_parts(text) is not None


def split_site_suffix(headline: str) -> tuple[str, str, str] | None:
    """``"Жаңа мектеп ашылды - «Ақ жол» газеті"`` → ``("Жаңа мектеп ашылды", " - ", "«Ақ жол» газеті")``:
    a headline with the site's name after a dash or a bar; None when the line has no such suffix."""
    best: tuple[str, str, str] | None = None
    for separator in _SITE_SEPARATORS:
        at = headline.rfind(separator)
        if at > 0 and (best is None or at > len(best[0])):
            suffix = headline[at + len(separator):]
            if is_site_name(suffix) and headline[:at].strip():
                best = (headline[:at], separator, suffix)
    return best


def localize_site_name(text: str, target: str) -> str:
    """A site's name in ``target``: the name itself (quoted, or a domain) stays, the kind of site
    comes from :data:`SITE_KINDS`; a Russian kind stands before the name, others after it."""
    parts = _site_parts(text)
    if parts is None:
        return text
    name, kind, concept = parts
    if not concept:
        return text
    base = base_language(normalize_language(target))
    rendered = SITE_KINDS[concept][base][0]
    if not name:
        return _apply_case(rendered, _case_of(kind.split()[0]))
    if base == "ru":
        return rendered[:1].upper() + rendered[1:] + " " + name
    return name + " " + rendered


_LEADING_WORD = re.compile(r"[^\W\d_]+")
_DAY_TIME_JOINER = re.compile(r"^\s+(?:в|at)\s+(?=\d)", re.IGNORECASE)
_SITE_LABEL_CONCEPTS = frozenset({"photo", "video", "tags", "source", "author", "read_also", "related", "share",
                                  "address"})


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
    label = _label_at_start(text)
    if label is None or is_furniture(label[0]) not in _SITE_LABEL_CONCEPTS:
        return None
    return label
