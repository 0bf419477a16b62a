"""Person names between Kazakh, Russian and English: transliterated by rule, never translated.

A user-supplied :class:`NameTable` overrides the rules: the whole name is looked up first, then each
word of it; words the table does not know go through the rules below.

Kazakh → Russian (the Russian rendering of Kazakh names, as in Russian-language press and passports):

* ``ә→а ө→о ұ→у ү→у қ→к ғ→г ң→н һ→х і→и``; ``йы`` and ``йі`` → ``и`` (``Құсайынова → Кусаинова``).
* A soft sign after ``л`` that closes a syllable (before a consonant or at the end of the word) when
  the vowel before it is one of the front vowels ``ә і ө ү``, whose softness Russian letters cannot
  show otherwise: ``Нұргүл → Нургуль``, ``Әділ → Адиль``, ``Гүлнар → Гульнар``, ``Айгүл → Айгуль``;
  but ``Нұрсұлтан → Нурсултан`` (back vowel) and ``Қалиева → Калиева`` (``л`` before a vowel).
  ``е`` does not trigger it: it is soft in Russian already (``Павел`` stays ``Павел``).

Kazakh or Russian → English (the romanization Kazakh press uses; Kazakh letters are first mapped as
for Russian, so ``Нұргүл Қалиева`` and ``Нургуль Калиева`` both give ``Nurgul Kaliyeva``)::

    а a   б b   в v   г g   д d   е e/ye   ё yo   ж zh   з z   и i   й y   к k   л l   м m
    н n   о o   п p   р r   с s   т t   у u   ф f   х kh   ц ts   ч ch   ш sh   щ shch
    ъ —   ы y   ь —   э e   ю yu   я ya

``е`` is ``ye`` at the start of a word and after a vowel, ``ь`` or ``ъ`` (``Ерлан → Yerlan``,
``Тоқаев → Tokayev``, ``Григорьев → Grigoryev``). Hyphens, spaces and capitals are kept; an ALL-CAPS
surname stays ALL CAPS (``ҚАЛИЕВА → KALIYEVA``).

English → Russian or Kazakh is a best-effort reverse of that romanization: ``shch zh kh ts ch sh yu
ya yo ye`` are read first, ``y`` is ``й`` after a vowel and ``ы`` elsewhere, ``e`` is ``э`` at the
start of a word, ``j→дж``, ``x→кс``, ``w→у``, ``c→к``, ``q→к`` (``қ`` for Kazakh). Letters lost in
romanization do not come back: ``Nurgul Kaliyeva → Нургул Калиева``.

Russian → Kazakh leaves a name as it is (Kazakh text prints Russian names in their Russian form, and
the Kazakh letters of a Kazakh name cannot be recovered from Russian). A Kazakh Latin (kk-Latn) name
is read through :func:`kztranslate.latin.to_cyrillic`; a kk-Latn target gets the Kazakh Cyrillic form,
which the pipeline writes in Latin letters with :func:`kztranslate.latin.to_latin`. The same language
on both sides returns the name unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import FormatError, InputError, UsageError
from .languages import normalize_language
from .latin import convert_cased

__all__ = ["NameTable", "transliterate_name", "kazakh_to_russian", "romanize", "from_english"]

_KK_FRONT_VOWELS = "әіөүӘІӨҮ"
_CYRILLIC_VOWELS = "аәеёиоөуұүыіэюя"
_VOWELS = _CYRILLIC_VOWELS + _CYRILLIC_VOWELS.upper()

_KK_TO_RU = str.maketrans("әөұүқғңһіӘӨҰҮҚҒҢҺІ", "аоуукгнхиАОУУКГНХИ")
_SOFT_L = re.compile(rf"(?<=[{_KK_FRONT_VOWELS}])([лЛ])(?![{_VOWELS}])")
_Y_BEFORE_I = re.compile(r"([йЙ])[ыіЫІ]")

_RU_TO_EN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}
_YE_AFTER = set(_CYRILLIC_VOWELS + "ьъ")

# English → Cyrillic, longest spelling first.
_EN_DIGRAPHS = [
    ("shch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"),
    ("yu", "ю"), ("ya", "я"), ("yo", "ё"), ("ye", "е"),
]
_EN_LETTERS = {
    "a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и",
    "j": "дж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р",
    "s": "с", "t": "т", "u": "у", "v": "в", "w": "у", "x": "кс", "z": "з",
}
_EN_VOWELS = set("aeiouy")
_WORD = re.compile(r"[^\W\d_]+")


def kazakh_to_russian(name: str) -> str:
    """The Russian rendering of a Kazakh name (rules in the module docstring): ``Нұргүл → Нургуль``."""
    name = _SOFT_L.sub(lambda m: m.group(1) + ("Ь" if m.group(1).isupper() else "ь"), name)
    name = _Y_BEFORE_I.sub(lambda m: "И" if m.group(1).isupper() else "и", name)
    return name.translate(_KK_TO_RU)


def romanize(name: str) -> str:
    """A Kazakh or Russian name in Latin letters as Kazakh press writes it: ``Нұргүл Қалиева → Nurgul Kaliyeva``."""
    name = kazakh_to_russian(name)
    out: list[str] = []
    for i, ch in enumerate(name):
        low = ch.lower()
        latin = _RU_TO_EN.get(low)
        if latin is None:
            out.append(ch)
            continue
        prev = name[i - 1].lower() if i else ""
        if low == "е" and (not prev.isalpha() or prev in _YE_AFTER):
            latin = "ye"
        if ch.isupper():
            latin = latin.upper() if _in_caps_word(name, i) else latin[:1].upper() + latin[1:]
        out.append(latin)
    return "".join(out)


def from_english(name: str, target: str = "ru") -> str:
    """Best-effort Cyrillic spelling of a romanized name (``Nurgul Kaliyeva → Нургул Калиева``)."""
    kazakh = normalize_language(target) in ("kk", "kk-Latn")
    return _WORD.sub(lambda m: _english_word(m.group(), kazakh), name)


def _english_word(word: str, kazakh: bool) -> str:
    return convert_cased(word, word.lower(), lambda lower, i: _english_letters(lower, i, kazakh))


def _english_letters(lower: str, i: int, kazakh: bool) -> tuple[str, int]:
    for spelling, cyrillic in _EN_DIGRAPHS:
        if lower.startswith(spelling, i):
            return cyrillic, len(spelling)
    ch = lower[i]
    if ch == "y":
        return ("й" if i and lower[i - 1] in _EN_VOWELS else "ы"), 1
    if ch == "e" and i == 0:
        return "э", 1
    if ch == "q" and kazakh:
        return "қ", 1
    return _EN_LETTERS.get(ch, ch), 1


def _in_caps_word(text: str, index: int) -> bool:
    before = text[index - 1] if index else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return before.isupper() or after.isupper()


def _by_rule(name: str, source: str, target: str) -> str:
    if target == "en":
        return romanize(name)
    if source == "en":
        return from_english(name, target)
    if (source, target) == ("kk", "ru"):
        return kazakh_to_russian(name)
    return name  # ru → kk: see the module docstring


def transliterate_name(name: str, source: str, target: str, table: NameTable | None = None) -> str:
    """Write the person name ``name`` (``source`` language) as the ``target`` language prints it.

    ``table`` overrides the rules: a full-name match first, then word by word.

    >>> transliterate_name("Нұргүл Қалиева", "kk", "ru")
    'Нургуль Калиева'
    >>> transliterate_name("Нұргүл Қалиева", "kk", "en")
    'Nurgul Kaliyeva'
    """
    source, target = normalize_language(source), normalize_language(target)
    if source == "kk-Latn":
        from .latin import to_cyrillic

        name, source = to_cyrillic(name), "kk"
    if target == "kk-Latn":
        target = "kk"
    if source == target:
        return name
    if table is not None:
        found = table.lookup(name, source, target)
        if found is not None:
            return found
    return re.sub(
        r"\S+",
        lambda m: (table and table.lookup_word(m.group(), source, target)) or _by_rule(m.group(), source, target),
        name,
    )


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _same_case(found: str, like: str) -> str:
    """An ALL-CAPS name in the text gets the table's form in capitals too."""
    return found.upper() if len(like) > 1 and like.isupper() else found


@dataclass(slots=True)
class NameTable:
    """Names the user has fixed, one entry per person, overriding the transliteration rules.

    >>> table = NameTable([{"kk": "Қасым-Жомарт Тоқаев", "ru": "Касым-Жомарт Токаев",
    ...                     "en": "Kassym-Jomart Tokayev"}])
    >>> transliterate_name("Қасым-Жомарт Тоқаев", "kk", "en", table)
    'Kassym-Jomart Tokayev'
    >>> transliterate_name("Тоқаев", "kk", "en", table)
    'Tokayev'

    Words are matched too: an entry whose forms have the same number of words in two languages
    pairs them up word by word, so the surname alone is found as well.
    """

    entries: list[dict[str, str]] = field(default_factory=list)
    """One dict per person: language tag (``kk``, ``ru``, ``en``, ``kk-Latn``) → the name in it."""
    source: str | None = None
    """The file the table was loaded from, for messages."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Anything else a caller wants to keep with the table."""
    _names: dict[tuple[str, str], int] = field(default_factory=dict, init=False, repr=False)
    _words: dict[tuple[str, str, str], str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.entries = [{normalize_language(k): v.strip() for k, v in e.items() if v and v.strip()} for e in self.entries]
        for number, entry in enumerate(self.entries):
            for language, written in entry.items():
                self._names.setdefault((language, _key(written)), number)
                for other, other_written in entry.items():
                    mine, theirs = written.split(), other_written.split()
                    if other != language and len(mine) == len(theirs):
                        for word, their_word in zip(mine, theirs):
                            self._words.setdefault((language, other, _key(word)), their_word)

    def lookup(self, name: str, source: str, target: str) -> str | None:
        """The table's ``target`` form of the whole name ``name`` written in ``source``, or None."""
        number = self._names.get((normalize_language(source), _key(name)))
        found = self.entries[number].get(normalize_language(target)) if number is not None else None
        return _same_case(found, name) if found else None

    def lookup_word(self, word: str, source: str, target: str) -> str | None:
        """The table's ``target`` form of one word of a name (a surname alone), or None."""
        found = self._words.get((normalize_language(source), normalize_language(target), _key(word)))
        return _same_case(found, word) if found else None

    @classmethod
    def load(cls, path: str | Path) -> NameTable:
        """Read a names table from TSV (``.tsv``, ``.tab``), CSV (``.csv``) or YAML (``.yaml``, ``.yml``).

        TSV and CSV: a header row of language tags (``kk``, ``ru``, ``en``, ``kk-Latn``), then one
        person per row; empty cells are allowed, lines starting with ``#`` are comments. YAML: a list
        of mappings from language tag to name. A file that breaks these rules raises
        :class:`~kztranslate.errors.FormatError` (an :class:`InputError`) naming the file and line.
        """
        path = Path(path)
        kind = _TABLE_KINDS.get(path.suffix.lower())
        if kind is None:
            raise InputError(
                f"unknown names-table type {path.suffix or '(no extension)'!r}; "
                f"use one of: {', '.join(sorted(_TABLE_KINDS))}",
                source=str(path),
            )
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the names table: {exc}", source=str(path)) from exc
        rows = _yaml_rows(text, str(path)) if kind == "yaml" else _delimited_rows(text, str(path), kind)
        entries = []
        for line, row in rows:
            if sum(1 for v in row.values() if v.strip()) < 2:
                raise FormatError("an entry needs the name in at least two languages", source=str(path), line=line)
            entries.append(row)
        if not entries:
            raise FormatError("the names table has no entries", source=str(path))
        return cls(entries, source=str(path))


_TABLE_KINDS = {".tsv": "\t", ".tab": "\t", ".csv": ",", ".yaml": "yaml", ".yml": "yaml"}


def _language_of(tag: str, source: str, line: int) -> str:
    try:
        return normalize_language(tag.strip())
    except UsageError as exc:
        raise FormatError(str(exc), source=source, line=line) from exc


def _delimited_rows(text: str, source: str, delimiter: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = [_language_of(c, source, line) for c in cells]
                if len(set(header)) != len(header):
                    raise FormatError(f"a language appears twice in the header: {cells}", source=source, line=line)
                continue
            if len(cells) != len(header):
                raise FormatError(
                    f"{len(cells)} columns where the header has {len(header)} ({', '.join(header)})",
                    source=source,
                    line=line,
                )
            rows.append((line, dict(zip(header, cells))))
    except csv.Error as exc:
        raise FormatError(str(exc), source=source, line=reader.line_num) from exc
    return rows


def _yaml_rows(text: str, source: str) -> list[tuple[int, dict[str, str]]]:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise FormatError(
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
            source=source,
            line=mark.line + 1 if mark else None,
        ) from exc
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise FormatError("expected a list of entries such as '- {kk: ..., ru: ..., en: ...}'", source=source,
                          line=root.start_mark.line + 1)
    rows = []
    for item in root.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise FormatError("an entry must map language tags to names", source=source, line=line)
        row: dict[str, str] = {}
        for key, value in item.value:
            if not isinstance(value, yaml.ScalarNode):
                raise FormatError(f"the name for {key.value!r} must be text", source=source, line=value.start_mark.line + 1)
            row[_language_of(str(key.value), source, key.start_mark.line + 1)] = str(value.value)
        rows.append((line, row))
    return rows
