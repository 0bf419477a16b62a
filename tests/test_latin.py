"""kztranslate.latin: every letter of the 2021 table, both cases, capitals, round trips on real text."""

from __future__ import annotations

import re

import pytest

from kztranslate.latin import CYRILLIC_TO_LATIN, to_cyrillic, to_latin
from samples import CORPUS

# The table plus the 2021 alphabet and our loanword rules (module docstring): lower, Title, CAPS.
TABLE = [
    ("а", "a", "A"), ("ә", "ä", "Ä"), ("б", "b", "B"), ("в", "v", "V"), ("г", "g", "G"),
    ("ғ", "ğ", "Ğ"), ("д", "d", "D"), ("е", "e", "E"), ("ж", "j", "J"), ("з", "z", "Z"),
    ("и", "i", "İ"), ("й", "i", "İ"), ("к", "k", "K"), ("қ", "q", "Q"), ("л", "l", "L"),
    ("м", "m", "M"), ("н", "n", "N"), ("ң", "ñ", "Ñ"), ("о", "o", "O"), ("ө", "ö", "Ö"),
    ("п", "p", "P"), ("р", "r", "R"), ("с", "s", "S"), ("т", "t", "T"), ("у", "u", "U"),
    ("ұ", "ū", "Ū"), ("ү", "ü", "Ü"), ("ф", "f", "F"), ("х", "h", "H"), ("һ", "h", "H"),
    ("ш", "ş", "Ş"), ("ы", "y", "Y"), ("і", "ı", "I"),
    # Russian-loanword letters
    ("ё", "io", "İO"), ("ц", "ts", "TS"), ("ч", "ç", "Ç"), ("щ", "şş", "ŞŞ"), ("ъ", "", ""),
    ("ь", "", ""), ("э", "e", "E"), ("ю", "iu", "İU"), ("я", "ia", "İA"),
]


def test_table_covers_every_kazakh_cyrillic_letter():
    assert {row[0] for row in TABLE} == set("аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя")
    assert set(CYRILLIC_TO_LATIN) == {row[0] for row in TABLE}


@pytest.mark.parametrize("cyrillic, latin, caps", TABLE)
def test_every_letter_both_cases(cyrillic, latin, caps):
    assert to_latin(cyrillic) == latin
    title = caps[:1] + latin[1:]
    assert to_latin(cyrillic.upper()) == title  # a capital alone is Title case
    # inside an ALL-CAPS word every Latin letter is a capital; inside a Title word only the first
    assert to_latin("А" + cyrillic.upper() + "А") == "A" + caps + "A"
    assert to_latin(cyrillic.upper() + "а") == title + "a"
    assert to_latin("а" + cyrillic + "а") == "a" + latin + "a"


@pytest.mark.parametrize("cyrillic, latin, caps", [r for r in TABLE if r[0] not in "ёъьэхһйцщюя"])
def test_unambiguous_letters_come_back(cyrillic, latin, caps):
    assert to_cyrillic("b" + latin + "b") == "б" + cyrillic + "б"
    assert to_cyrillic(caps[:1] + latin[1:] + "b") == cyrillic.upper() + "б"
    assert to_cyrillic("B" + caps + "B") == "Б" + cyrillic.upper() + "Б"


@pytest.mark.parametrize(
    "cyrillic, latin",
    [
        ("ЩЕ", "ŞŞE"), ("Щука", "Şşuka"), ("Ш", "Ş"), ("Юрий", "İurii"), ("ЮРИЙ", "İURİİ"),
        ("Қазақстан Республикасы", "Qazaqstan Respublikasy"), ("ҚР-дың", "QR-dyñ"),
        ("Қ. Тоқаев", "Q. Toqaev"), ("Ә.Н. Назарбаев", "Ä.N. Nazarbaev"),
        ("үйіне", "üiıne"), ("сый", "syi"), ("қалайын", "qalaiyn"), ("ІІМ", "IIM"), ("Іле", "Ile"),
        ("Ирина", "İrina"), ("процесс", "protsess"), ("чемпион", "çempion"), ("ащы", "aşşy"),
        ("съезд", "sezd"), ("киіз үй", "kiız üi"), ("Ёлка", "İolka"), ("ЭКСПО", "EKSPO"),
    ],
)
def test_words(cyrillic, latin):
    assert to_latin(cyrillic) == latin


def test_non_kazakh_text_passes_unchanged():
    text = "International Fund «Global Success» 2019, 10:03 — 83%-ды; e-mail: a@b.kz"
    assert to_latin(text) == text.replace("ды", "dy")
    assert to_latin("Hello, world! 3.5") == "Hello, world! 3.5"


@pytest.mark.parametrize(
    "latin, cyrillic",
    [
        ("üiıne", "үйіне"), ("aiaq", "аяқ"), ("qiial", "қиял"), ("Asia", "Асиа"), ("material", "материал"),
        ("biudjet", "бюджет"), ("million", "миллион"), ("aitsa", "айтса"), ("institutsiia", "институция"),
        ("ketsın", "кетсін"), ("Qazaqstan", "Қазақстан"), ("ŞŞE", "ЩЕ"), ("Aziia", "Азия"),
    ],
)
def test_to_cyrillic_context_rules(latin, cyrillic):
    assert to_cyrillic(latin) == cyrillic


def test_to_cyrillic_keeps_foreign_words():
    assert to_cyrillic("Success Company, WhatsApp x 2") == "Success Company, WhatsApp x 2"


# Native Kazakh words: no loanword letters and no spelling the reverse cannot tell apart (docstring).
_AMBIGUOUS = re.compile(r"[ёцчщъьэюяһ]|и[ауоеыіәөұү]|[аәеиоөуұүыіэюя]и|иа|иу|ио|тси", re.IGNORECASE)


def test_round_trip_of_real_kazakh_words():
    path = CORPUS / "seed-baq.kk.txt"
    if not path.exists():
        pytest.skip("shared corpus not present")
    text = path.read_text(encoding="utf-8")
    words = set(re.findall(r"[а-яёәғқңөұүһі]+(?:-[а-яёәғқңөұүһі]+)*", text, re.IGNORECASE))
    native = {w for w in words if not _AMBIGUOUS.search(w)}
    assert len(native) > 150
    assert [w for w in native if to_cyrillic(to_latin(w)) != w] == []
    # the whole article (loanwords included) comes back but for the documented ambiguities
    back = sum(to_cyrillic(to_latin(w)) == w for w in words)
    assert back / len(words) > 0.97
    assert to_cyrillic(to_latin(text)).count("\n") == text.count("\n")
