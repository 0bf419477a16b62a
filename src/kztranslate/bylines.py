"""Bylines: persons, label words and organizations, each treated as it should be.

A byline is more than names: ``By Henning Gloystein``, ``Author: Julia Hitz``, ``Deutsche Welle
(www.dw.com)``, ``(Reporting by Henning Gloystein; Editing by Richard Pullin)``, ``Фото: Нұргүл
Қалиева / ҚазАқпарат``. :func:`split_byline` cuts one into :class:`BylinePart` s:

* ``label`` — a word from :data:`BYLINE_LABELS` (``By``, ``Author:``, ``Автор:``, ``Фото:``,
  ``Сурет:``, ``Von``, ``Reporting by``, ``and``, ``и``, ``және``, ``мен``, ``und``, …) at the start
  of a piece or between names; rendered in the target from the same table, keeping its case
  (``and`` stays lower case, ``By`` becomes ``Автор:``; several persons take the plural
  ``Авторы:``/``Authors:``);
* ``organization`` — an agency, outlet or address: a name in :data:`ORGANIZATIONS` (also opening
  a phrase: ``AP Photo``, ``ҚазАқпарат тілшісі``), a quoted name (``«Egemen Qazaqstan»``), a URL or a
  domain (``www.dw.com``, ``Tengrinews.kz``), a phrase with an organization word (``News``,
  ``Agency``, ``Welle``, ``агенттігі``, ``агентство``…), a word written with a capital inside
  (``ҚазАқпарат``, ``BelTA``; ``McDonald`` and ``DiCaprio`` are persons), a short all-lower or
  all-caps word (``dpa``, ``AFP``, ``ТАСС``), and the parentheses after an organization — kept
  exactly as written;
* ``person`` — one to four capitalized words (initials, hyphens and particles like ``d'``,
  ``van``, ``von`` allowed): the only part that is transliterated
  (:func:`kztranslate.names.transliterate_name`; a Latin-script name going into Russian or
  Kazakh gets a practical transcription, :mod:`kztranslate.foreign_names`);
* ``text`` — separators (commas, slashes, semicolons, parentheses, spaces) and anything that is
  none of the above, kept as written. Nothing is dropped: joining the parts gives the byline back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .languages import (
    CYRILLIC_LETTERS,
    CYRILLIC_LOWER,
    CYRILLIC_UPPER,
    base_language,
    normalize_language,
)

__all__ = ["BylinePart", "BYLINE_LABELS", "ORGANIZATIONS", "split_byline", "render_byline", "byline_persons"]

#: Label concept → language → printed forms (the first is rendered; ``{plural}`` forms after ``|``).
#: German and French forms are recognized in sources only (bylines of syndicated copy).
BYLINE_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "by": {"en": ("By", "Written by", "Words by", "Story by"), "ru": ("Автор:|Авторы:",), "kk": ("Авторы:|Авторлары:",),
           "de": ("Von",), "fr": ("Par",)},
    "author": {"en": ("Author:|Authors:", "Authors:"), "ru": ("Автор:|Авторы:", "Авторы:"),
               "kk": ("Авторы:|Авторлары:", "Автор:", "Авторлары:"), "de": ("Autor:", "Autorin:", "Autoren:")},
    "reporting": {"en": ("Reporting by", "Reporting:", "Reported by"), "ru": ("Текст:",), "kk": ("Мәтін:",)},
    "additional_reporting": {"en": ("Additional reporting by",), "ru": ("При участии:",), "kk": ("Қатысқан:",)},
    "editing": {"en": ("Editing by", "Edited by", "Editor:", "Editors:"), "ru": ("Редактор:", "Редакторы:"),
                "kk": ("Редактор:",)},
    "writing": {"en": ("Writing by",), "ru": ("Текст:",), "kk": ("Мәтін:",)},
    "text": {"en": ("Text:", "Text by"), "ru": ("Текст:",), "kk": ("Мәтін:",), "de": ("Text:",)},
    "photo": {"en": ("Photo:|Photos:", "Photos:", "Photo by", "Photos by", "Photograph:", "Photo credit:"),
              "ru": ("Фото:", "Фотографии:", "Фото автора:"), "kk": ("Фото:", "Сурет:", "Суреттер:"),
              "de": ("Foto:", "Fotos:", "Bild:")},
    "video": {"en": ("Video:",), "ru": ("Видео:",), "kk": ("Бейне:", "Видео:"), "de": ("Video:",)},
    "correspondent": {"en": ("Correspondent:",), "ru": ("Корреспондент:",),
                      "kk": ("Тілші:", "тілшісі", "корреспонденті")},
    "camera": {"en": ("Camera:",), "ru": ("Оператор:",), "kk": ("Оператор:", "Бейнеоператор:")},
    "and": {"en": ("and", "&"), "ru": ("и",), "kk": ("және", "мен"), "de": ("und",), "fr": ("et",)},
}

#: News agencies and outlets that appear in bylines; matched whole, case-insensitively.
ORGANIZATIONS: frozenset[str] = frozenset(name.casefold() for name in (
    "AP", "AFP", "AAP", "ANSA", "EFE", "dpa", "DPA", "Reuters", "Thomson Reuters", "Bloomberg", "Associated Press",
    "Agence France-Presse", "Xinhua", "Kyodo", "Yonhap", "Anadolu", "Anadolu Agency", "UPI", "PA", "PTI", "IANS",
    "Interfax", "TASS", "RIA Novosti", "Sputnik", "BBC", "CNN", "DW", "Deutsche Welle", "Euronews", "Al Jazeera",
    "Kazinform", "Kazakhstan Today", "Tengrinews", "Astana Times", "The Astana Times", "Kursiv", "Vlast",
    "Интерфакс", "Интерфакс-Казахстан", "ТАСС", "РИА Новости", "Спутник", "Казинформ", "ҚазАқпарат", "Хабар",
    "Хабар 24", "Khabar", "Khabar 24", "Egemen Qazaqstan", "Егемен Қазақстан", "Казахстанская правда",
    "Kazakhstanskaya Pravda", "Ақорда", "Akorda", "Синьхуа", "Рейтер", "Рейтерс", "Блумберг", "Би-би-си",
    "Жас Алаш", "Айқын", "Astana TV", "Атамекен", "Atameken Business",
))

#: Words that make a phrase an organization.
_ORGANIZATION_WORDS = frozenset(w.casefold() for w in (
    "News", "Agency", "Press", "Presse", "Media", "Welle", "Times", "Post", "Herald", "Tribune", "Gazette",
    "Journal", "Daily", "Weekly", "Radio", "TV", "Television", "Channel", "Service", "Services", "Network", "Group",
    "Staff", "Bureau", "Office", "Ministry", "Pravda", "Today", "Online", "Wire", "Inc", "Ltd", "LLC",
    "агентство", "агенттігі", "агенттік", "газета", "газеті", "газетасы", "журнал", "журналы", "редакция",
    "редакциясы", "пресс-служба", "баспасөз", "қызметі", "служба", "министрлігі", "министерство", "телеарна",
    "телеканал", "радио", "ТВ", "ақпарат", "порталы", "портал", "сайты", "медиа",
))

_NAME_PARTICLES = frozenset({"van", "von", "de", "da", "di", "du", "del", "della", "der", "den", "la", "le", "bin",
                             "ibn", "al", "el", "dos", "das", "zu", "ten", "ter"})
_LETTERS = "A-Za-z" + CYRILLIC_LETTERS + "À-ÖØ-öø-ÿĀ-ž"
_URL = r"(?:https?://|www\.)[^\s<>\"«»()]+|[" + _LETTERS + r"0-9\-]+(?:\.[" + _LETTERS + r"0-9\-]+)*\.(?:kz|қаз|ru|com|org|net|de|uk|info|news|tv|media)\b(?:/[^\s()]*)?"
_TOKENS = re.compile(
    rf"(?P<url>{_URL})"
    r"|(?P<sep>\s*[,;/|·•()\[\]{}]\s*|\s+[-–—]\s+|\s*&\s*)"
    r"|(?P<word>[^\s,;/|·•()\[\]{}&]+)"
    r"|(?P<space>\s+)"
)
_PERSON_WORD = re.compile(
    rf"(?:[{_LETTERS.replace('A-Za-z', 'A-Z')}][.]?)|"  # initial
    rf"(?:(?:[dDlLoO]['’])?[{_LETTERS}][{_LETTERS}'’]*(?:-[{_LETTERS}][{_LETTERS}'’]*)*\.?)"
)


@dataclass(slots=True)
class BylinePart:
    """One piece of a byline."""

    kind: str
    """``person``, ``label``, ``organization`` or ``text``."""
    text: str
    """The piece as written (joining every part's text gives the byline back)."""
    concept: str | None = None
    """For a label: its concept in :data:`BYLINE_LABELS` (``by``, ``photo``, ``and``, …)."""


@lru_cache(maxsize=1)
def _label_forms() -> list[tuple[tuple[str, ...], str, bool]]:
    """(words folded, concept, ends with a colon), longest first; a form listed under several
    concepts (``Автор:`` renders both ``by`` and ``author``) reads as the more specific one."""
    found: dict[tuple[tuple[str, ...], bool], str] = {}
    for concept in sorted(BYLINE_LABELS, key=lambda c: c == "by"):
        for printed in BYLINE_LABELS[concept].values():
            for form in printed:
                for variant in form.split("|"):
                    words = tuple(w.casefold() for w in variant.rstrip(":").split())
                    found.setdefault((words, variant.endswith(":")), concept)
    return sorted(((w, c, colon) for (w, colon), c in found.items()), key=lambda f: (-len(f[0]), f))


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "text", m.group()) for m in _TOKENS.finditer(text)]


def split_byline(text: str) -> list[BylinePart]:
    """Cut a byline into persons, labels, organizations and the text between them (see the
    module docstring). ``"".join(p.text for p in split_byline(t)) == t`` always holds."""
    tokens = _tokens(text)
    parts: list[BylinePart] = []
    i = 0
    after_organization = False
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "url":
            parts.append(BylinePart("organization", value))
            after_organization = True
            i += 1
            continue
        if kind in ("sep", "space"):
            if value.strip() == "(" and after_organization:  # "Deutsche Welle (www.dw.com)": kept whole
                close = next((j for j in range(i + 1, len(tokens)) if tokens[j][1].strip() == ")"), None)
                if close is not None:
                    parts.append(BylinePart("organization", "".join(v for _, v in tokens[i:close + 1])))
                    i = close + 1
                    continue
            if value.strip() == "&" and parts and parts[-1].kind == "person":
                parts.append(BylinePart("label", value, "and"))
            else:
                parts.append(BylinePart("text", value))
            if value.strip() not in ("", "(", ")"):
                after_organization = False
            i += 1
            continue
        # a run of words separated by single spaces
        j = i
        while j + 2 < len(tokens) and tokens[j + 1] == ("space", " ") and tokens[j + 2][0] == "word":
            j += 2
        words = [v for k, v in tokens[i:j + 1] if k == "word"]
        pieces = _classify_run(words)
        parts.extend(pieces)
        after_organization = bool(pieces) and pieces[-1].kind == "organization"
        i = j + 1
    return _merge_text(parts)


def _classify_run(words: list[str]) -> list[BylinePart]:
    """A run of single-space-separated words: labels, organizations, persons."""
    out: list[BylinePart] = []
    group: list[str] = []

    def flush() -> None:
        if group:
            out.extend(_classify_phrase(group))
            group.clear()

    start = 0
    while start < len(words):
        organization = _organization_prefix(words, start)
        if organization:  # "AP Photo/…", "ҚазАқпарат тілшісі …": an agency, then a label without its colon
            after = _label_at(words, start + organization, after_organization=True)
            if not group:
                flush()
                out.append(BylinePart("organization", " ".join(words[start:start + organization])))
                start += organization
                if after is not None:
                    out.append(BylinePart("label", " ".join(words[start:start + after[0]]), after[1]))
                    start += after[0]
                continue
        label = _label_at(words, start)
        if label is not None:
            flush()
            out.append(BylinePart("label", " ".join(words[start:start + label[0]]), label[1]))
            start += label[0]
            continue
        group.append(words[start])
        start += 1
    flush()
    return _space_between(out)


def _space_between(parts: list[BylinePart]) -> list[BylinePart]:
    """Put the single spaces back between consecutive phrases."""
    out: list[BylinePart] = []
    for part in parts:
        if out and out[-1].kind != "text" and part.kind != "text":
            out.append(BylinePart("text", " "))
        out.append(part)
    return out


def _organization_prefix(words: list[str], start: int) -> int:
    """How many words from ``start`` name a known organization (0 when none)."""
    for width in (3, 2, 1):
        chunk = words[start:start + width]
        if len(chunk) == width and " ".join(chunk).strip(".").casefold() in ORGANIZATIONS:
            return width
    return 0


@lru_cache(maxsize=1)
def _label_forms_by_first_word() -> dict[str, list[tuple[tuple[str, ...], str, bool]]]:
    index: dict[str, list[tuple[tuple[str, ...], str, bool]]] = {}
    for form in _label_forms():
        index.setdefault(form[0][0], []).append(form)
    return index


def _label_at(words: list[str], start: int, *, after_organization: bool = False) -> tuple[int, str] | None:
    if start >= len(words):
        return None
    for form, concept, colon in _label_forms_by_first_word().get(words[start].rstrip(":").casefold(), ()):
        width = len(form)
        chunk = words[start:start + width]
        if len(chunk) != width:
            continue
        has_colon = chunk[-1].endswith(":")
        if colon and not has_colon and not after_organization:
            continue
        if tuple([w.casefold() for w in chunk[:-1]] + [chunk[-1].rstrip(":").casefold()]) != form:
            continue
        if concept == "and":
            if has_colon or start == 0 or start + width == len(words):
                continue  # "and" only between names
        elif start != 0 and not has_colon and not after_organization:
            continue  # "By", "Von" open a run; inside one they are a name's word
        return width, concept
    return None


def _classify_phrase(words: list[str]) -> list[BylinePart]:
    phrase = " ".join(words)
    if _is_organization(words):
        return [BylinePart("organization", phrase)]
    if 1 <= len(words) <= 4 and all(_person_word(w) for w in words) and any(_capital_word(w) for w in words):
        return [BylinePart("person", phrase)]
    if len(words) > 4 and all(_person_word(w) for w in words):
        # two names with no separator are not split by guessing; keep the phrase as a person list
        return [BylinePart("person", phrase)]
    return [BylinePart("text", phrase)]


def _capital_word(word: str) -> bool:
    letters = word.lstrip("dDlLoO'’")
    return bool(letters) and letters[0].isupper()


def _person_word(word: str) -> bool:
    if word.casefold() in _NAME_PARTICLES:
        return True
    return bool(_PERSON_WORD.fullmatch(word)) and _capital_word(word)


def _is_organization(words: list[str]) -> bool:
    phrase = " ".join(words).strip(".")
    if phrase[:1] in "«\"“„'" or phrase.strip("«»\"“”„'").casefold() in ORGANIZATIONS:
        return True  # «Egemen Qazaqstan»: a quoted name is an outlet
    if any(w.strip(".,").casefold() in _ORGANIZATION_WORDS for w in words):
        return True
    if len(words) == 1:
        word = words[0]
        letters = [ch for ch in word if ch.isalpha()]
        if letters and all(ch.islower() for ch in letters):
            return True  # dpa
        if 2 <= len(letters) <= 5 and all(ch.isupper() for ch in letters):
            return True  # AFP, ТАСС
    for word in words:
        core = re.sub(r"^(?:Mc|Mac|Di|De|Da|Du|Le|La|O['’])", "", word)
        if re.search(f"[a-z{CYRILLIC_LOWER}][A-Z{CYRILLIC_UPPER}]", core):
            return True  # ҚазАқпарат, BelTA
    return False


def _merge_text(parts: list[BylinePart]) -> list[BylinePart]:
    out: list[BylinePart] = []
    for part in parts:
        if part.text == "":
            continue
        if out and part.kind == "text" and out[-1].kind == "text":
            out[-1] = BylinePart("text", out[-1].text + part.text)
        else:
            out.append(part)
    return out


def byline_persons(text: str) -> list[str]:
    """The person names of a byline, in order."""
    return [p.text for p in split_byline(text) if p.kind == "person"]


def render_label(concept: str, written: str, target: str, plural: bool = False) -> str:
    """The ``target`` form of a label concept, following the case of ``written``."""
    language = base_language(normalize_language(target))
    forms = BYLINE_LABELS[concept].get(language) or BYLINE_LABELS[concept]["en"]
    singular, _, many = forms[0].partition("|")
    rendered = many if plural and many else singular
    if written.endswith(":") and not rendered.endswith(":"):
        rendered += ":"
    if written.isupper() and len(written) > 1:
        return rendered.upper()
    if written[:1].islower():
        return rendered[:1].lower() + rendered[1:]
    return rendered[:1].upper() + rendered[1:]


def render_byline(text: str, target: str, transliterate: Callable[[str], str]) -> str:
    """``text`` with each person passed through ``transliterate``, each label localized into
    ``target``, and organizations, URLs and separators kept as written."""
    parts = split_byline(text)
    governed = _persons_governed(parts)
    out: list[str] = []
    before: BylinePart | None = None  # the last part that is not blank text
    for index, part in enumerate(parts):
        if part.kind == "person":
            out.append(transliterate(part.text))
        elif part.kind == "label" and part.concept is not None and part.text.strip() != "&":
            rendered = render_label(part.concept, part.text, target, plural=governed[index] > 1)
            if before is not None and before.kind == "organization" and not part.text.endswith(":"):
                rendered = rendered.rstrip(":")  # "AP Photo" → "AP Фото"
            out.append(rendered)
        else:
            out.append(part.text)
        if part.kind != "text" or part.text.strip():
            before = part
    return "".join(out)


def _persons_governed(parts: list[BylinePart]) -> list[int]:
    """Per part: for a label, how many persons follow it before the next non-"and" label or a
    ``;`` (one backward pass)."""
    governed = [0] * len(parts)
    count = 0
    for index in range(len(parts) - 1, -1, -1):
        part = parts[index]
        if part.kind == "person":
            count += 1
        elif part.kind == "label" and part.concept != "and":
            governed[index] = count
            count = 0
        elif part.kind == "text" and ";" in part.text:
            count = 0
    return governed
