"""Person names between Kazakh, Russian and English: written as the press writes them, never translated.

Where a name's spelling comes from, first hit wins:

1. the user's :class:`NameTable` (``--names``): the whole name, then each word of it;
2. the built-in gazetteer of official spellings (``kztranslate/data/gazetteer.tsv``, columns
   ``kk ru en kind role source``; loaded on first use, see :func:`builtin_gazetteer`): the whole
   name, then each word of it; a Kazakh name going into English whose English form neither knows
   but whose Russian form one does is romanized from that Russian form;
3. the rules below.

Kazakh → Russian (the Russian rendering of Kazakh names, as in Russian-language press and passports):

* ``ә→а ө→о ұ→у ү→у қ→к ғ→г ң→н һ→х і→и``; ``йы`` and ``йі`` → ``и`` (``Құсайынова → Кусаинова``);
  ``үй`` between consonants → ``ю`` (``Дүйсенов → Дюсенов``).
* A soft sign after ``л`` that closes a syllable (before a consonant or at the end of the word) when
  the vowel before it is one of the front vowels ``ә і ө ү``, whose softness Russian letters cannot
  show otherwise: ``Нұргүл → Нургуль``, ``Әділ → Адиль``, ``Гүлнар → Гульнар``, ``Айгүл → Айгуль``;
  but ``Нұрсұлтан → Нурсултан`` (back vowel) and ``Қалиева → Калиева`` (``л`` before a vowel).
  ``е`` does not trigger it: it is soft in Russian already (``Павел`` stays ``Павел``).

Kazakh or Russian → English: the passport-style romanization English-language Kazakh media and
official sites use. It starts from the Russian form (a Kazakh name is first put into its Russian
form by the rules above), not from the Kazakh letters::

    а a   б b   в v   г g   д d   е e/ye   ё yo   ж zh   з z   и i   й i/y   к k   л l   м m
    н n   о o   п p   р r   с s/ss   т t   у u   ф f   х kh   ц ts   ч ch   ш sh   щ shch
    ъ —   ы y   ь —   э e   ю yu   я ya

* ``е`` is ``ye`` at the start of a word and after a vowel, ``ь`` or ``ъ`` (``Ерлан → Yerlan``,
  ``Токаев → Tokayev``, ``Григорьев → Grigoryev``), but ``e`` after ``у`` (a consonant in Kazakh
  names: ``Меруерт → Meruert``);
* ``дж`` opening a word is ``j`` (``Джумабаев → Jumabayev``);
* ``й`` is ``i`` before a consonant (``Айбек → Aibek``, ``Кызайбай → Kyzaibay``) and in the final
  ``ей`` of a word written with Kazakh letters (``Шәмей → Shamei``; but ``Сергей → Sergey``), ``y``
  elsewhere at the end of a word and before a vowel (``Оралбай → Oralbay``, ``Евгений → Yevgeniy``);
* ``с`` between a vowel and ``ы`` is doubled, as passports do (``Асылкулов → Assylkulov``,
  ``Касым → Kassym``; but ``Насен → Nasen``);
* hyphens, spaces and capitals are kept; an ALL-CAPS surname stays ALL CAPS (``ҚАЛИЕВА → KALIYEVA``).

English → Russian or Kazakh: a name that is in the gazetteer or the user's table gets its form
from there; a romanized Kazakh or Russian name (``zh``, ``kh``, ``-ov``, ``-yeva``, ``-uly``…) is
read back by reversing that table (``shch zh kh ts ch sh yu ya yo ye`` first, ``y`` is ``й`` after
a vowel and ``ы`` elsewhere, ``i`` after a vowel and before a consonant is ``й``, a doubled ``ss``
between vowels is one ``с``, ``e`` is ``э`` at the start of a word, ``q→к`` or ``қ`` for Kazakh;
letters lost in romanization do not come back: ``Nurgul Kaliyeva → Нургул Калиева``); any other
Latin-script name gets the practical transcription of :mod:`kztranslate.foreign_names`
(``Henning Gloystein → Хеннинг Глойштайн``).

Russian → Kazakh leaves a name as it is (Kazakh text prints Russian names in their Russian form, and
the Kazakh letters of a Kazakh name cannot be recovered from Russian) unless the gazetteer or the
table knows its Kazakh form. A Kazakh Latin (kk-Latn) name is read through
:func:`kztranslate.latin.to_cyrillic`; a kk-Latn target gets the Kazakh Cyrillic form, which the
pipeline writes in Latin letters with :func:`kztranslate.latin.to_latin`. The same language on both
sides returns the name unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import FormatError, InputError, UsageError
from .languages import KAZAKH_LETTER, normalize_language
from .latin import convert_cased

__all__ = [
    "NameTable", "transliterate_name", "kazakh_to_russian", "romanize", "from_english", "builtin_gazetteer",
    "load_gazetteer", "GAZETTEER_COLUMNS", "explain_name",
]

_KK_FRONT_VOWELS = "әіөүӘІӨҮ"
_CYRILLIC_VOWELS = "аәеёиоөуұүыіэюя"
_VOWELS = _CYRILLIC_VOWELS + _CYRILLIC_VOWELS.upper()

_KK_TO_RU = str.maketrans("әөұүқғңһіӘӨҰҮҚҒҢҺІ", "аоуукгнхиАОУУКГНХИ")
_SOFT_L = re.compile(rf"(?<=[{_KK_FRONT_VOWELS}])([лЛ])(?![{_VOWELS}])")
_Y_BEFORE_I = re.compile(r"([йЙ])[ыіЫІ]")
# үй between consonants is ю in the Russian form: Дүйсенов → Дюсенов
_UY = re.compile(rf"(?<=[^\W\d_])(?<![{_VOWELS}])([үҮ])[йЙ](?![{_VOWELS}])")

_RU_TO_EN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}
_RU_VOWELS = set("аеёиоуыэюя")
_YE_AFTER = _RU_VOWELS | set("ьъ")

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
# Signs that a Latin-script name is a romanized Kazakh or Russian one.
_ROMANIZED = re.compile(
    r"zh|kh|shch|q(?!u)|iy[aeu]|[aeiou]ye|^ye[rs]|^nur|(?:ov|ev|ova|eva|yev|yeva|uly|kyzy|bay|bek|bekov|bayev|zhan|gul)$"
)


def kazakh_to_russian(name: str) -> str:
    """The Russian rendering of a Kazakh name (rules in the module docstring): ``Нұргүл → Нургуль``."""
    name = _SOFT_L.sub(lambda m: m.group(1) + ("Ь" if m.group(1).isupper() else "ь"), name)
    name = _Y_BEFORE_I.sub(lambda m: "И" if m.group(1).isupper() else "и", name)
    name = _UY.sub(lambda m: "Ю" if m.group(1).isupper() else "ю", name)
    return name.translate(_KK_TO_RU)


def romanize(name: str) -> str:
    """A Kazakh or Russian name in Latin letters as English-language Kazakh media write it
    (passport style, from the Russian form): ``Нұргүл Қалиева → Nurgul Kaliyeva``."""
    return _WORD.sub(lambda m: _romanize_word(kazakh_to_russian(m.group()), KAZAKH_LETTER.search(m.group()) is not None),
                     name)


def _romanize_word(name: str, kazakh: bool) -> str:
    out: list[str] = []
    for i, ch in enumerate(name):
        low = ch.lower()
        latin = _RU_TO_EN.get(low)
        if latin is None:
            out.append(ch)
            continue
        prev = name[i - 1].lower() if i else ""
        nxt = name[i + 1].lower() if i + 1 < len(name) else ""
        if low == "е" and (not prev.isalpha() or prev in _YE_AFTER) and prev != "у":
            latin = "ye"  # Kazakh у before a vowel is a consonant: Меруерт → Meruert
        elif low == "д" and nxt == "ж" and i == 0:
            latin = "j"  # Джумабаев → Jumabayev (but Мухамеджанов: Мухамед-жан)
        elif low == "ж" and prev == "д" and i == 1:
            latin = ""
        elif low == "й":
            if kazakh and prev == "е" and not nxt.isalpha():
                latin = "i"  # Шәмей → Shamei (but Сергей → Sergey)
            elif nxt in _RU_TO_EN and nxt not in _RU_VOWELS:
                latin = "i"
        elif low == "с" and prev in _RU_VOWELS and nxt == "ы":
            latin = "ss"
        if ch.isupper():
            latin = latin.upper() if _in_caps_word(name, i) else latin[:1].upper() + latin[1:]
        out.append(latin)
    return "".join(out)


def from_english(name: str, target: str = "ru") -> str:
    """Best-effort Cyrillic spelling of a romanized name (``Nurgul Kaliyeva → Нургул Калиева``)."""
    kazakh = normalize_language(target) in ("kk", "kk-Latn")
    return _WORD.sub(lambda m: _english_word(m.group(), kazakh), name)


def _english_word(word: str, kazakh: bool) -> str:
    lower = word.lower()
    if len(lower) != len(word):
        return word
    return convert_cased(word, lower, lambda lower, i: _english_letters(lower, i, kazakh))


def _english_letters(lower: str, i: int, kazakh: bool) -> tuple[str, int]:
    if lower.startswith("ss", i) and 0 < i and lower[i - 1] in _EN_VOWELS and lower[i + 2:i + 3] in _EN_VOWELS:
        return "с", 2  # Kassym → Касым: passports double an intervocalic с
    for spelling, cyrillic in _EN_DIGRAPHS:
        if lower.startswith(spelling, i):
            return cyrillic, len(spelling)
    ch = lower[i]
    if ch == "y":
        return ("й" if i and lower[i - 1] in _EN_VOWELS else "ы"), 1
    if ch == "i" and i and lower[i - 1] in "aeouy" and lower[i + 1:i + 2] not in _EN_VOWELS:
        return "й", 1  # Aibek → Айбек
    if ch == "e" and i == 0:
        return "э", 1
    if ch == "q" and kazakh:
        return "қ", 1
    return _EN_LETTERS.get(ch, ch), 1


def _in_caps_word(text: str, index: int) -> bool:
    before = text[index - 1] if index else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return before.isupper() or after.isupper()


def _is_latin(name: str) -> bool:
    letters = [ch for ch in name if ch.isalpha()]
    return bool(letters) and all("a" <= ch.lower() <= "z" or ch.lower() in "äöüßéèáàíóúñçø" for ch in letters)


def looks_romanized(name: str) -> bool:
    """Whether a Latin-script name reads as a romanized Kazakh or Russian one (``Nurgul
    Kaliyeva``) rather than a Western name (``Henning Gloystein``)."""
    return any(_ROMANIZED.search(word.lower()) for word in _WORD.findall(name))


def _by_rule(name: str, source: str, target: str) -> str:
    if target == "en":
        return name if _is_latin(name) else romanize(name)
    if source == "en" or _is_latin(name):
        if looks_romanized(name):
            return from_english(name, target)
        from .foreign_names import transcribe_foreign_name

        return transcribe_foreign_name(name)
    if (source, target) == ("kk", "ru"):
        return kazakh_to_russian(name)
    return name  # ru → kk: see the module docstring


def _look_up(tables: list[NameTable], name: str, source: str, target: str, *, whole: bool) -> str | None:
    """The first table's form of ``name``; a Kazakh name is also looked up by its Russian form
    (the gazetteer may know a person only in Russian and English)."""
    tries = [(name, source)]
    if source == "kk" and target == "en":
        tries.append((kazakh_to_russian(name), "ru"))
    for known in tables:
        for written, language in tries:
            found = (known.lookup if whole else known.lookup_word)(written, language, target)
            if found:
                return found
    if source == "kk" and target == "en":
        # no English form known, but the Russian one is: romanize that, as passports do
        for known in tables:
            russian = (known.lookup if whole else known.lookup_word)(name, "kk", "ru")
            if russian:
                return _romanize_word_run(russian)
    return None


def _romanize_word_run(russian: str) -> str:
    return _WORD.sub(lambda m: _romanize_word(m.group(), False), russian)


def transliterate_name(
    name: str, source: str, target: str, table: NameTable | None = None, *, gazetteer: bool = True
) -> str:
    """Write the person name ``name`` (``source`` language) as the ``target`` language prints it.

    ``table`` (the user's) wins over the built-in gazetteer (``gazetteer=False`` leaves it out),
    which wins over the rules; each is tried on the full name, then word by word.

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
        if _is_latin(name) and source == "en":
            return name  # a Western name keeps its Latin spelling in Kazakh Latin text
        target = "kk"
    if source == target:
        return name
    if _is_latin(name) and source != "en":
        source = "en"  # a Latin-script name in a Cyrillic article
        if target == "en":
            return name
    tables = [t for t in (table, builtin_gazetteer() if gazetteer else None) if t is not None]
    found = _look_up(tables, name, source, target, whole=True)
    if found is not None:
        return found
    reader = None
    if source == "en" and target != "en":
        if looks_romanized(name):
            reader = lambda word: from_english(word, target)  # noqa: E731
        else:
            # a Western name: all its words are read with the spelling system of the whole name
            from .foreign_names import spelling_system, transcribe_foreign_name

            system = spelling_system(name)
            reader = lambda word: transcribe_foreign_name(word, system)  # noqa: E731

    def word(m: re.Match[str]) -> str:
        found = _look_up(tables, m.group(), source, target, whole=False)
        if found is not None:
            return found
        return reader(m.group()) if reader else _by_rule(m.group(), source, target)

    return re.sub(r"\S+", word, name)


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

    def entry_number(self, name: str, source: str) -> int | None:
        """The index in :attr:`entries` of the person written ``name`` in ``source``, or None."""
        return self._names.get((normalize_language(source), _key(name)))

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


# -- the built-in gazetteer ----------------------------------------------------------------------
#: Columns of ``kztranslate/data/gazetteer.tsv``: the name in Kazakh, Russian and its official
#: English spelling (any may be empty, at least two are not), the kind of entry (``person``),
#: the person's role, and the page(s) the spellings were taken from.
GAZETTEER_COLUMNS = ("kk", "ru", "en", "kind", "role", "source")


def load_gazetteer(path: str | Path) -> NameTable:
    """Read a gazetteer TSV (:data:`GAZETTEER_COLUMNS`); person rows become table entries with
    ``meta`` holding each entry's role and source. Raises :class:`FormatError` naming the file
    and line for a wrong header or a row with a wrong number of cells."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the gazetteer: {exc}", source=str(path)) from exc
    reader = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    entries: list[dict[str, str]] = []
    details: list[dict[str, str]] = []
    header: list[str] | None = None
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells) or cells[0].startswith("#"):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            missing = [c for c in GAZETTEER_COLUMNS if c not in header]
            if missing:
                raise FormatError(f"the gazetteer header lacks {', '.join(missing)}; expected the columns "
                                  f"{' '.join(GAZETTEER_COLUMNS)}", source=str(path), line=line)
            continue
        if len(cells) != len(header):
            raise FormatError(f"{len(cells)} cells where the header has {len(header)}", source=str(path), line=line)
        row = dict(zip(header, cells))
        if row.get("kind", "person").strip() not in ("", "person"):
            continue
        names = {k: row[k].strip() for k in ("kk", "ru", "en") if row.get(k, "").strip()}
        if len(names) >= 2:
            entries.append(names)
            details.append({"role": row.get("role", ""), "source": row.get("source", "")})
    table = NameTable(entries, source=str(path))
    table.meta["details"] = details
    return table


def gazetteer_path() -> Path:
    """Where the built-in gazetteer lives (inside the installed package)."""
    return Path(__file__).with_name("data") / "gazetteer.tsv"


@lru_cache(maxsize=1)
def builtin_gazetteer() -> NameTable | None:
    """The built-in gazetteer of official spellings, read on first use; None when the package
    was installed without it."""
    path = gazetteer_path()
    return load_gazetteer(path) if path.is_file() else None


def explain_name(
    name: str, source: str, target: str, table: NameTable | None = None, *, gazetteer: bool = True
) -> dict[str, Any]:
    """``{"text": ..., "via": "names table" | "gazetteer" | "rules"}`` for ``name`` in ``target``
    (``via`` names the first source that knew the whole name or one of its words); a whole-name
    gazetteer hit also gives the person's ``role`` and the ``source`` page of the spelling."""
    text = transliterate_name(name, source, target, table, gazetteer=gazetteer)
    result: dict[str, Any] = {"text": text, "via": "rules"}
    if normalize_language(target) == "kk-Latn":
        from .latin import to_latin

        result["text"] = to_latin(text)
    source, target = normalize_language(source), normalize_language(target)
    if source == "kk-Latn":
        from .latin import to_cyrillic

        name, source = to_cyrillic(name), "kk"
    target = "kk" if target == "kk-Latn" else target
    if source == target:
        return result
    known = builtin_gazetteer() if gazetteer else None
    for label, candidate in (("names table", table), ("gazetteer", known)):
        if candidate is None:
            continue
        whole = _look_up([candidate], name, source, target, whole=True)
        words = [_look_up([candidate], w, source, target, whole=False) for w in name.split()]
        if whole is None and not any(words):
            continue
        result["via"] = label
        if whole is not None and label == "gazetteer":
            number = candidate.entry_number(name, source)
            if number is None and source == "kk":
                number = candidate.entry_number(kazakh_to_russian(name), "ru")
            details = candidate.meta.get("details") or []
            if number is not None and number < len(details):
                result.update({k: v for k, v in details[number].items() if v})
        break
    return result
