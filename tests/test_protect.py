"""Protected spans: placeholders out, the same text back, lost placeholders reported."""

from __future__ import annotations

import pytest

from kztranslate.protect import protect, restore

CASES = [
    ("url", "Толығырақ: https://baq.kz/news/12?a=1&b=2 сайтында.", "https://baq.kz/news/12?a=1&b=2"),
    ("url", "Сайт (www.gov.kz).", "www.gov.kz"),
    ("email", "Хат жазыңыз: info@baq.kz, рахмет.", "info@baq.kz"),
    ("email", "Өтініш: өтініш@әкімдік.қаз, рахмет.", "өтініш@әкімдік.қаз"),
    ("handle", "Арнамыз: @baq_kz, жазылыңыз.", "@baq_kz"),
    ("hashtag", "Тақырып #Астана2024 бойынша.", "#Астана2024"),
    ("hashtag", "Тег #ҚазақстанЖаңалықтары қойылды.", "#ҚазақстанЖаңалықтары"),
    ("brand", "«International Fund Global Success of People» қоры құрылды.", "International Fund Global Success of People"),
    ("brand", "Kaspi.kz арқылы төледі.", "Kaspi.kz"),
    ("brand", "Ол iPhone-ды сатып алды.", "iPhone"),
    ("literal", "Мәтінде [[7]] деген жазу бар.", "[[7]]"),
]
NUMBER_CASES = [
    ("date", "Ол 27.11.2019 күні келді.", "27.11.2019"),
    ("date", "Мерзімі 2019-11-27 болды.", "2019-11-27"),
    ("time", "Жиын 10:03-те басталды.", "10:03"),
    ("money", "Бағасы $500 болды.", "$500"),
    ("percent", "Баға 30%-ға өсті.", "30%"),
    ("number", "Халқы 1 500 000 адам.", "1 500 000"),
]


@pytest.mark.parametrize("kind, text, span", CASES)
def test_each_kind_becomes_a_placeholder_and_comes_back(kind, text, span):
    encoded, spans = protect(text, "kk")
    assert [(s.kind, s.text) for s in spans] == [(kind, span)]
    assert span not in encoded and "[[1]]" in encoded
    assert restore(encoded, spans) == (text, [])


@pytest.mark.parametrize("kind, text, span", NUMBER_CASES)
def test_numbers_are_left_to_the_model_unless_asked(kind, text, span):
    assert protect(text, "kk") == (text, [])
    encoded, spans = protect(text, "kk", numbers=True)
    assert [(s.kind, s.text) for s in spans] == [(kind, span)]
    assert restore(encoded, spans) == (text, [])


def test_latin_names_are_protected_in_cyrillic_text_only():
    assert protect("Apple ашты", "ru")[1][0].kind == "brand"
    assert protect("Apple opened a store", "en") == ("Apple opened a store", [])


def test_inline_markers_and_escapes_are_not_touched():
    text = "<1>iPhone</1> &lt;жаңа&gt; <2/>"
    encoded, spans = protect(text, "kk")
    assert encoded == "<1>[[1]]</1> &lt;жаңа&gt; <2/>"
    assert [s.text for s in spans] == ["iPhone"]


def test_model_that_drops_repeats_or_invents_placeholders():
    encoded, spans = protect("Сайт: https://a.kz және iPhone туралы.", "kk")
    text, problems = restore("About [[2]] and [[2]] [[9]] on the site.", spans)
    assert text.count("iPhone") == 1 and text.count("https://a.kz") == 1 and "[[" not in text
    assert [p.code for p in problems] == ["placeholder-duplicated", "placeholder-invented", "placeholder-lost"]
    assert "re-inserted" in problems[-1].message


def test_lost_placeholder_goes_back_at_its_relative_place():
    _, spans = protect("Толығырақ мына сайтта https://a.kz", "kk")
    assert restore("More on this site.", spans)[0] == "More on this site https://a.kz."
    _, spans = protect("https://a.kz сайтында көбірек", "kk")
    assert restore("More on the site", spans)[0] == "https://a.kz More on the site"
