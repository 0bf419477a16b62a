"""Practical transcription of Western (Latin-script) person names into Russian Cyrillic.

Russian and Kazakh newspapers write a foreign name by how it sounds, following the spelling rules
of its language (the tradition of Giliarevsky & Starostin and Ermolovich's handbooks), not by
reading its letters as a romanized Russian name: ``Henning Gloystein → Хеннинг Глойштайн``, not
``Хеннинг Глойстеин``. Kazakh-language press uses the same Russian forms, so the Kazakh target gets
them too.

Without a pronunciation dictionary this is a rule table over letter groups, with three spelling
systems chosen per name (all the words of one name are read the same way):

* **German** when any word shows German spelling: ``sch``, ``tz`` (not at the start), ``ß``,
  ``ä ö ü``, ``ein eir einz eins``, or the endings ``-stein -mann -berg -burg -feld
  -hardt -hausen -meier -meyer -rich``. German readings: ``ei ey ai ay → ай``, ``eu äu → ой``,
  ``ie → и``, ``sch → ш``, ``tsch → ч``, ``ch → х``, ``st sp`` at the start of a word or of
  ``-stein``/``-spiel`` → ``шт шп``, ``z tz → ц``, ``s`` before a vowel → ``з``, ``w → в``,
  ``v → ф``, ``j → й`` (``ja je ju jü → я е ю ю``), ``ä → э``, ``ö → ё``, ``ü → ю``, ``h`` after a
  vowel silent, ``l`` before a consonant or at the end → ``ль`` (``Scholz → Шольц``).
* **Italian / Spanish / Portuguese** when a word ends in ``a i o u`` and shows ``gli gn cc zz``
  or ``ch gh`` before ``e i`` (``Draghi``): ``c ci → ч`` before ``e i``,
  ``ch → к``, ``gh → г``, ``gi ge → дж``, ``gli → ль``, ``gn → нь``, ``z → ц``, ``zz → цц``.
* **English** otherwise (the default; also for names of unknown origin): ``sh → ш``, ``ch tch → ч``,
  ``th → т``, ``ph → ф``, ``ck → к``, ``wh → у``, ``qu → кв``, ``kn`` at the start → ``н``,
  ``ee ea → и``, ``ie`` at the end or before ``r l c`` → ``и``, ``oo → у``, ``ai ay ey → эй``,
  ``ei → и`` (``Keith → Кит``), ``oy oi → ой``, ``ew → ью``, ``u`` before ``ck nt st nn mp nc ng
  tt ff bb dd`` → ``а`` (``Chuck → Чак``), ``ow`` at the end → ``оу``, ``au aw → о``, ``j → дж``,
  ``g → дж`` before ``e i y`` (except at a word's end), ``c → с`` before ``e i y``, ``w → у``,
  ``y → и`` between consonants and at the end, ``x → кс``, a final silent ``e`` after a consonant
  dropped (``Pierce → Пирс``).

Shared by all: ``e`` → ``э`` at the start of a word and after a vowel (``d'Emilio → д’Эмилио``);
``ia io iu`` after a consonant at the end → ``ия ио иу`` (``Julia → Джулия``); ``y`` before a vowel
at the start → ``й`` (``ya yo yu → я йо ю``, ``ye → йе``: ``Yellen → Йеллен``); double
consonants stay double (``Henning → Хеннинг``); ``h → х``. Particles ``d' l' O'`` keep their
apostrophe as ``’``; ``van von de da di du del della der den la le`` are transcribed, lower case
as written. Hyphens, capitals and ALL CAPS are kept. A name already in Cyrillic passes unchanged.

These rules cannot know exceptions (``Thomas → Томас`` is right, ``Stephen → Стефен`` is not
``Стивен``); a newsroom fixes such names once in its ``--names`` table, which wins over the rules.
"""

from __future__ import annotations

import re
import unicodedata

from .latin import convert_cased

__all__ = ["transcribe_foreign_name", "spelling_system"]

_VOWELS = frozenset("aeiouyäöüáéíóúàèìòùâêîôûåæø")
_GERMAN_WORD = re.compile(
    r"sch|(?<=.)tz|ß|[äöü]|ei(?:n|r|nz|ns)|"
    r"(?:stein|mann|berg|burg|feld|hardt|hausen|meier|meyer|rich)$"
)
_ROMANCE_WORD = re.compile(r"(?:gli|gn|cc|zz|[cg]h[ei])")
_SHORT_U_BEFORE = frozenset({"ck", "nt", "st", "nn", "mp", "nc", "ng", "tt", "ff", "bb", "dd"})
_DIGRAPHS = frozenset({"th", "sh", "ch", "ph", "gh", "wh"})
_LETTER_RUN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def spelling_system(name: str) -> str:
    """``"german"``, ``"romance"`` or ``"english"``: how the words of ``name`` are read."""
    words = [w.lower() for w in _LETTER_RUN.findall(name)]
    if any(_GERMAN_WORD.search(w) for w in words):
        return "german"
    if any(_ROMANCE_WORD.search(w) and w[-1] in "aiou" for w in words):
        return "romance"
    return "english"


def transcribe_foreign_name(name: str, system: str | None = None) -> str:
    """``name`` (Latin letters) as Russian and Kazakh press print it: ``Henning Gloystein →
    Хеннинг Глойштайн``, ``Frances d'Emilio → Франсес д’Эмилио`` (rules in the module docstring).
    ``system`` (``german``, ``romance``, ``english``) overrides the one read from the name."""
    system = system or spelling_system(name)
    return _LETTER_RUN.sub(lambda m: _word(m.group(), system), name)


def _word(word: str, system: str) -> str:
    apostrophe = re.match(r"([dlDL]|[oO])['’](?=\w)", word)
    if apostrophe:  # d'Emilio, O'Brien
        head = {"d": "д", "l": "л", "o": "О"}[apostrophe.group(1).lower()]
        if apostrophe.group(1).isupper() and head != "О":
            head = head.upper()
        return head + "’" + _word(word[apostrophe.end():], system)
    lower = "".join(ch if ch in "äöüßé" else unicodedata.normalize("NFD", ch)[0] for ch in word.lower())
    if len(lower) != len(word) or not re.fullmatch(r"[a-zäöüßé]+", lower):
        return word  # not a Latin-letter word (already Cyrillic, or a script we do not transcribe)
    rules = {"german": _german, "romance": _romance}.get(system, _english)
    return convert_cased(word, lower, rules)


def _at(lower: str, i: int) -> str:
    return lower[i] if 0 <= i < len(lower) else ""


def _vowel(ch: str) -> bool:
    return ch != "" and ch in _VOWELS


def _common(lower: str, i: int) -> tuple[str, int] | None:
    """Readings shared by every spelling system."""
    ch, nxt = lower[i], _at(lower, i + 1)
    prev = _at(lower, i - 1)
    if ch == nxt and ch not in _VOWELS and ch not in "cz" and lower[i + 1:i + 3] not in _DIGRAPHS:
        # double consonants stay double
        single = _single(ch)
        return single * 2, 2
    if ch == "e" and (i == 0 or _vowel(prev)) and prev not in ("i", "y"):
        return "э", 1
    if ch == "i" and nxt in "aou" and i + 2 == len(lower) and i > 0 and not _vowel(prev):
        return "и" + {"a": "я", "o": "о", "u": "у"}[nxt], 2
    if ch == "y" and (i == 0 or _vowel(prev)) and _vowel(nxt):
        iotated = {"a": "я", "u": "ю", "e": "йе" if i == 0 else "е", "o": "йо"}.get(nxt)
        if iotated:
            return iotated, 2
    return None


def _single(ch: str) -> str:
    return {
        "a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и",
        "j": "дж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р",
        "s": "с", "t": "т", "u": "у", "v": "в", "w": "у", "x": "кс", "y": "и", "z": "з",
        "ä": "э", "ö": "ё", "ü": "ю", "ß": "сс", "é": "е",
    }.get(ch, ch)


def _english(lower: str, i: int) -> tuple[str, int]:
    common = _common(lower, i)
    if common:
        return common
    ch, nxt, after = lower[i], _at(lower, i + 1), _at(lower, i + 2)
    prev = _at(lower, i - 1)
    pair = lower[i:i + 2]
    if lower.startswith("tch", i):
        return "ч", 3
    if i == 0 and pair in ("kn", "wr"):
        return _single(nxt), 2
    groups = {"sh": "ш", "ch": "ч", "th": "т", "ph": "ф", "ck": "к", "wh": "у", "qu": "кв", "ee": "и",
              "ea": "и", "oo": "у", "ai": "эй", "ay": "эй", "ey": "эй", "ei": "и", "oy": "ой", "oi": "ой",
              "ew": "ью", "au": "о", "aw": "о", "gh": "г" if i == 0 else ""}
    if pair == "ow" and i + 2 == len(lower):
        return "оу", 2
    if pair == "ey" and i + 2 == len(lower) and i > 0:
        return "и", 2  # Bailey, Harvey
    if pair == "ie" and (i + 2 == len(lower) or after in ("r", "l", "c")) and i > 0:
        return "и", 2  # Bernie, Pierce, Fielding
    if pair in groups:
        return groups[pair], 2
    if ch == "u" and i > 0 and not _vowel(prev) and lower[i + 1:i + 3] in _SHORT_U_BEFORE:
        return "а", 1  # Chuck, Hunt, Justin
    if ch == "g" and nxt in ("e", "i", "y") and after != "" and i + 1 < len(lower) - 1:
        return "дж", 1
    if ch == "c" and nxt in ("e", "i", "y"):
        return "с", 1
    if ch == "e" and i == len(lower) - 1 and i >= 3 and not _vowel(prev):
        return "", 1  # silent final e
    if ch == "y":
        return ("й" if _vowel(prev) else "и"), 1
    return _single(ch), 1


def _german(lower: str, i: int) -> tuple[str, int]:
    ch, nxt = lower[i], _at(lower, i + 1)
    prev = _at(lower, i - 1)
    if lower.startswith("tsch", i):
        return "ч", 4
    if lower.startswith("sch", i):
        return "ш", 3
    if lower.startswith("stein", i) or lower.startswith("spiel", i) or (i == 0 and lower[i:i + 2] in ("st", "sp")):
        return ("шт" if nxt == "t" else "шп"), 2
    if ch == "j" and i == 0 and nxt in ("a", "e", "u", "o", "ü"):
        return {"a": "я", "e": "е", "u": "ю", "o": "йо", "ü": "ю"}[nxt], 2
    if ch == "l" and nxt != "l" and prev != "l" and (nxt == "" or not _vowel(nxt)):
        return "ль", 1  # Walter → Вальтер, Scholz → Шольц
    common = _common(lower, i)
    if common:
        return common
    groups = {"ei": "ай", "ey": "ай", "ai": "ай", "ay": "ай", "eu": "ой", "äu": "ой", "ie": "и", "ch": "х",
              "tz": "ц", "ck": "к", "ph": "ф", "qu": "кв", "oy": "ой", "oi": "ой"}
    pair = lower[i:i + 2]
    if pair in groups:
        return groups[pair], 2
    if ch == "h" and _vowel(prev) and not _vowel(nxt):
        return "", 1
    if ch == "s" and _vowel(nxt) and (i == 0 or _vowel(prev)):
        return "з", 1
    if ch == "y":
        return ("й" if _vowel(prev) else "ю"), 1
    german = {"z": "ц", "w": "в", "v": "ф", "j": "й", "ä": "э", "ö": "ё", "ü": "ю", "c": "к"}
    return german.get(ch) or _single(ch), 1


def _romance(lower: str, i: int) -> tuple[str, int]:
    ch, nxt, after = lower[i], _at(lower, i + 1), _at(lower, i + 2)
    if lower.startswith("gli", i):
        return ("ль" if _vowel(_at(lower, i + 3)) else "льи"), 3  # Migliore → Мильоре, Gigli → Джильи
    if lower.startswith("zz", i):
        return "цц", 2
    if lower.startswith("cc", i) and after in ("e", "i"):
        return "ч", 2
    common = _common(lower, i)
    if common:
        return common
    if ch == "c" and nxt == "h":
        return "к", 2
    if ch == "g" and nxt == "h":
        return "г", 2
    if ch == "g" and nxt == "n":
        return "нь", 2
    if ch == "c" and nxt == "i" and _vowel(after):
        return "ч", 2
    if ch == "g" and nxt == "i" and _vowel(after):
        return "дж", 2
    if ch == "c" and nxt in ("e", "i"):
        return "ч", 1
    if ch == "g" and nxt in ("e", "i"):
        return "дж", 1
    if ch == "z":
        return "ц", 1
    if ch == "j":
        return "х", 1  # Spanish jota; Italian names hardly use j
    if ch == "y":
        return "и", 1
    return _single(ch), 1
