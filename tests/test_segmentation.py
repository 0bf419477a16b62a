"""kztranslate.segmentation: sentence splitting (pysbd's pitfalls kept as cases) and split_long."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kztranslate.errors import UsageError
from kztranslate.segmentation import split_long, split_sentences
from samples import CORPUS

CASES = [
    # where pysbd fails: initials with Kazakh capitals, "ж." after a year
    ("kk", ["Қ. Тоқаев Астанаға келді. ", "Ол 2019 ж. 27 қарашада сөйледі."]),
    ("kk", ["Қ.Тоқаев пен Ә.Н. Назарбаев кездесті. ", "Н.Ә. Назарбаев сөз сөйледі."]),
    ("kk", ["Ғ. Мүсірепов атындағы театр. ", "Ұ. Есенова мен Ү. Серікова келді."]),
    ("kk", ["Өсім 3.5 пайыз болды. ", "Ол 83%-ды құрайды. ", "Сайт: baq.kz."]),
    ("kk", ["Ол ойланды... ", "Содан кейін кетті… ", "Ол... келді ме?! ", "Иә."]),
    ("kk", ["«Сен келдің бе?» деп сұрады ол. ", "«Ол келді.» ", "Біз қуандық."]),
    ("kk", ["Ол: \"Келемін.\" ", "Кейін келді."]),
    ("kk", ["«Жұмыс жүргізілді. ", "«Сот кабинеті» сервисіне назар аударылды», - деді А. Тоқсаба."]),
    ("kk", ["Қала т.б. ", "Әкімдік жиналды. ", "Ауыл, т.с.с. елді мекендер."]),
    ("kk", ["Бюджет 2000 млн. теңге. ", "Ғимарат б.з.д. 500 жылы салынған. ", "Ол 400 мың. ", "Һәм бітті."]),
    ("kk", ["ҚР Жоғарғы соты шешім қабылдады. ", "Іс жабылды. ", "Үкімет келісті. ", "Ңғ әріптері."]),
    ("kk", ["Алматы ш. Абай к. 5 үйде тұрады. ", "Ақмола обл. Бурабай ауд. көрікті. ", "Т.и.с. дұрыс."]),
    ("kk", ["Ол 1990–1995 жж. ", "Ұзақ жұмыс істеді."]),
    ("kk", ["Тақырып\n", "Бірінші абзац. ", "Екінші сөйлем.\n\n", "Үшінші абзац\nжалғасы."]),
    ("kk", ["1. Кіріспе\n", "2. Негізгі бөлім"]),
    ("ru", ["В 2019 г. ", "Президент приехал в г. Алматы, ул. Абая, д. 5. ", "Это т.е. факт и т.д. ", "Далее."]),
    ("ru", ["Проф. Иванов и др. ", "Пришли. ", "Им. Абая, см. стр. 5, 300 тыс. руб. и 2 млрд. тенге."]),
    ("en", ["Mr. Smith met Dr. Jones and Prof. Lee at St. Mary's, e.g. on Jan. 5. ", "It rained etc. ", "No. 5 won."]),
    ("en", ["The U.S. President, i.e. Mrs. Smith, spoke. ", "Then she left?! ", "Yes."]),
    ("kk-Latn", ["Q. Toqaev Astanağa keldı. ", "Ol 2019 j. 27 qaraşada söiledı."]),
]


@pytest.mark.parametrize("language, expected", CASES)
def test_cases(language, expected):
    text = "".join(expected)
    assert split_sentences(text, language) == expected


def test_kazakh_knows_russian_and_english_abbreviations():
    text = "Ол Mr. Smith және проф. Иванов туралы айтты. Бітті."
    assert split_sentences(text, "kk") == ["Ол Mr. Smith және проф. Иванов туралы айтты. ", "Бітті."]


def test_unknown_language():
    with pytest.raises(UsageError, match="kk, ru, en"):
        split_sentences("Text.", "de")


@given(st.text(alphabet="абҚӘ .!?…«»\"\n,0123456789жг", max_size=80))
def test_lossless_and_no_empty_piece(text):
    pieces = split_sentences(text, "kk")
    assert "".join(pieces) == text
    assert all(pieces)


def _corpus(name: str) -> str:
    path = CORPUS / name
    if not path.exists():
        pytest.skip("shared corpus not present")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith("# source:"))


def test_seed_article():
    text = _corpus("seed-baq.kk.txt")
    pieces = split_sentences(text, "kk")
    assert "".join(pieces) == text
    # headline, dateline, 2 + 3 + 1 + 2 sentences in the four paragraphs, byline, share trailer
    assert len(pieces) == 12
    assert pieces[-2].strip() == "Нұргүл Қалиева" and pieces[-1].strip() == "Бөлісу:"
    paragraphs = [p for p in text.split("\n") if len(p) > 200]
    assert [len(split_sentences(p, "kk")) for p in paragraphs] == [2, 3, 1, 2]


def test_primeminister_article():
    text = _corpus("pm_001.kk.txt")
    pieces = split_sentences(text, "kk")
    assert "".join(pieces) == text
    # headline, widget, 1 + 2 + 2 + 4 + 2 sentences; "А. Тоқсаба" and "А.Тоқсаба" stay whole
    assert len(pieces) == 13
    assert any(p.rstrip().endswith("- деді А. Тоқсаба.") for p in pieces)
    assert any(p.rstrip().endswith("- деді А.Тоқсаба.") for p in pieces)
    assert any(p.startswith("15 қыркүйектегі") for p in pieces)


# -- split_long ---------------------------------------------------------------------------------
LONG = "Бірінші бөлім өте ұзақ, екінші бөлім де ұзақ; үшінші — соңғы бөлім - деді ол: бітті."


def _fits(limit):
    return lambda s: len(s) <= limit


def test_split_long_returns_fitting_text_whole():
    assert split_long(LONG, _fits(200)) == [LONG]
    assert split_long("", _fits(5)) == []


def test_split_long_prefers_clause_boundaries():
    assert split_long(LONG, _fits(50)) == [
        "Бірінші бөлім өте ұзақ, екінші бөлім де ұзақ; ",
        "үшінші — соңғы бөлім - деді ол: бітті.",
    ]
    # clauses are packed greedily; a dash opens the clause after it
    assert split_long(LONG, _fits(30)) == [
        "Бірінші бөлім өте ұзақ, ",
        "екінші бөлім де ұзақ; үшінші ",
        "— соңғы бөлім - деді ол: ",
        "бітті.",
    ]


def test_split_long_falls_back_to_words_and_cuts_only_a_word_that_cannot_fit():
    pieces = split_long(LONG, _fits(12))
    assert "".join(pieces) == LONG
    assert all(len(p) <= 12 for p in pieces)
    assert pieces[:3] == ["Бірінші ", "бөлім өте ", "ұзақ, "]
    word = "Қазақстандағы"
    assert split_long(f"{word} ел", _fits(14)) == [f"{word} ", "ел"]  # fits alone: kept whole
    assert split_long(f"{word} ел", _fits(5)) == ["Қазақ", "станд", "ағы ", "ел"]  # cut, nothing lost


def test_split_long_never_cuts_a_marker_a_placeholder_or_before_a_combining_mark():
    text = "аа<12>бб</12>[[3]]вв" + "е\u0301" * 3
    for limit in range(3, 12):
        pieces = split_long(text, _fits(limit))
        assert "".join(pieces) == text
        for piece in pieces:
            assert piece.count("<") == piece.count(">") and piece.count("[[") == piece.count("]]")
            assert not piece.startswith("\u0301")


@given(
    st.lists(st.sampled_from(["сөз", "ұзақсөз", ",", ";", " — ", " - ", "  ", " ", "\n", "Қ."]), max_size=40),
    st.integers(min_value=1, max_value=40),
)
def test_split_long_is_lossless(parts, limit):
    text = "".join(parts)
    pieces = split_long(text, _fits(limit))
    assert "".join(pieces) == text
    for piece in pieces:
        assert len(piece) <= limit or len(piece.split()) <= 1


@pytest.mark.parametrize(("text", "language"), [
    ("АЛМАТЫ. KAZINFORM – Қалада мектеп ашылды. Екінші сөйлем.", "kk"),
    ("НҰР-СҰЛТАН. BAQ.KZ — Жиын өтті. Екінші сөйлем.", "kk"),
    ("ШЫМКЕНТ. ҚазАқпарат - Облыста егін басталды. Екінші сөйлем.", "kk"),
    ("МОСКВА. ТАСС – Встреча прошла. Второе предложение.", "ru"),
    ("ASTANA. Kazinform - The meeting was held. Second sentence.", "en"),
])
def test_agency_dateline_stays_with_its_sentence(text, language):
    first, second = split_sentences(text, language)
    assert first + second == text and second.startswith(("Екінші", "Второе", "Second"))


def test_a_lower_case_city_is_no_agency_dateline():
    assert split_sentences("Алматы. Ол келді – деді.", "kk") == ["Алматы. ", "Ол келді – деді."]
