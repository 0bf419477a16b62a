"""Language identification (kztranslate.langid) and mixed-language articles in the pipeline."""

from __future__ import annotations

import importlib
import re

import pytest

from doubles import BaseFakeBackend
from kztranslate.engine.base import Decoding, Translation
from kztranslate.langid import detect_language, detect_sentences, split_attribution
from samples import CORPUS

# Our own Russian sentences (the corpus has no Russian text), news-like, some with a Kazakh name.
RUSSIAN = [
    "Правительство утвердило план развития транспортной инфраструктуры на ближайшие пять лет.",
    "По словам министра, строительство новой дороги завершится к концу следующего года.",
    "Президент Тоқаев провёл совещание по вопросам водной безопасности.",
    "В Астане открылась выставка современного искусства.",
    "Цены на продукты выросли на 3,5 процента за месяц.",
]
# Kazakh without any Kazakh-only letter: only lingua can tell it from Russian.
KAZAKH_PLAIN = "Ол жерде сот залдары бар."


def corpus_lines(name: str) -> list[str]:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    lines = path.read_text(encoding="utf-8").splitlines()[1:]  # line 1 names the source
    return [line.strip() for line in lines if len(re.findall(r"[^\W\d_]+", line)) >= 3]  # prose, not the dateline


def test_kazakh_corpus_sentences_are_kazakh():
    lines = corpus_lines("pm_001.kk.txt") + corpus_lines("seed-baq.kk.txt")
    assert len(lines) >= 8
    assert [detect_language(line) for line in lines] == ["kk"] * len(lines)
    assert detect_sentences(lines) == ["kk"] * len(lines)


def test_english_corpus_sentences_are_english():
    lines = corpus_lines("pm_001.en.txt")
    assert [detect_language(line) for line in lines] == ["en"] * len(lines)


@pytest.mark.parametrize("sentence", RUSSIAN)
def test_russian_sentences_are_russian(sentence):
    assert detect_language(sentence) == "ru"


def test_lingua_decides_kazakh_without_kazakh_letters():
    assert detect_language(KAZAKH_PLAIN) == "kk"
    assert detect_language("Мы сделаем всё возможное для людей.") == "ru"


def test_latin_script_kazakh_and_no_letters():
    assert detect_language("Äkım ata-analarğa alğys aitty.") == "kk-Latn"
    assert detect_language("12:30 — 3 457") is None


@pytest.mark.parametrize(
    ("sentence", "parts"),
    [
        ("«Мы сделаем всё возможное», - деді ол.", ("", "«Мы сделаем всё возможное»", ", - деді ол.")),
        ("Мы сделаем всё возможное, — деді Тоқаев.", ("", "Мы сделаем всё возможное", ", — деді Тоқаев.")),
        ("«Работа продолжается», деп атап өтті министр.", ("", "«Работа продолжается»", ", деп атап өтті министр.")),
        ("Министр былай деді: «Работа продолжается».", ("Министр былай деді: ", "«Работа продолжается».", "")),
        ("Бүгін біз жаңа мектеп аштық.", ("", "Бүгін біз жаңа мектеп аштық.", "")),
    ],
)
def test_split_attribution(sentence, parts):
    assert split_attribution(sentence) == parts
    assert "".join(parts) == sentence


def test_russian_quote_with_kazakh_attribution_is_russian_speech():
    # Whole, the sentence reads as one language; its speech is Russian.
    quoted = ["«Мы сделаем всё возможное для жителей города», - деді ол.",
              "«Работа будет продолжена в следующем году», деп атап өтті министр."]
    assert detect_sentences(quoted) == ["ru", "ru"]
    assert detect_sentences(["«Біз бәрін жасаймыз», - деді ол."]) == ["kk"]


def test_short_speech_is_undecided():
    assert detect_sentences(["«Да», - деді ол.", "Хорошо."]) == [None, None]


# -- the pipeline ------------------------------------------------------------------------------------

@pytest.fixture
def pipeline():
    for module in ("segmentation", "localize", "names", "latin"):
        importlib.import_module(f"kztranslate.{module}")
    from kztranslate import pipeline

    return pipeline


KAZAKH_ARTICLE = [
    ("headline", "Әкім жаңа мектепті аралады"),
    ("paragraph", "Әкім жаңа мектепті аралады. «Мы сделаем всё возможное для жителей города», - деді ол."),
]
OUTPUTS = {
    ("kk", "en", "Әкім жаңа мектепті аралады"): "The akim visited the new school",
    ("kk", "en", "Әкім жаңа мектепті аралады."): "The akim visited the new school.",
    ("ru", "en", "«Мы сделаем всё возможное для жителей города»"):
        "“We will do everything possible for the city’s residents”",
    ("kk", "en", ", - деді ол."): ", he said.",
    ("kk", "ru", "Әкім жаңа мектепті аралады"): "Аким посетил новую школу",
    ("kk", "ru", "Әкім жаңа мектепті аралады."): "Аким посетил новую школу.",
    ("kk", "ru", ", - деді ол."): ", - сказал он.",
}


class PairBackend(BaseFakeBackend):
    """Answers by (source, target, text): a segment sent from the wrong language finds no answer."""

    name = "pair-fake"
    model = "pair"
    decoding = Decoding(beams=1)

    def answer(self, text, source, target):
        return Translation(OUTPUTS[(source, target, text)])

    @property
    def requests(self) -> list[tuple[str, str, str]]:
        """Every text asked for, as ``(source, target, text)``."""
        return [(source, target, text) for texts, source, target in self.calls for text in texts]


def test_russian_quote_kept_verbatim_in_russian_and_translated_from_russian_in_english(pipeline):
    from kztranslate.document import Article, Block

    backend = PairBackend()
    article = Article("kk", [Block(role, text) for role, text in KAZAKH_ARTICLE])
    variants = pipeline.Translator(backend).translate(article, ["ru", "en"])
    assert variants["ru"].blocks[1].text == (
        "Аким посетил новую школу. «Мы сделаем всё возможное для жителей города», - сказал он."
    )
    assert variants["en"].blocks[1].text == (
        "The akim visited the new school. “We will do everything possible for the city’s residents”, he said."
    )
    assert ("ru", "en", "«Мы сделаем всё возможное для жителей города»") in backend.requests
    assert not [r for r in backend.requests if r[1] == "ru" and "Мы сделаем" in r[2]]


def test_article_language_is_detected_when_not_given(pipeline):
    from kztranslate.document import Article, Block

    article = Article("", [Block("headline", "Әкім жаңа мектепті аралады")])
    variants = pipeline.Translator(PairBackend()).translate(article, "en")
    assert variants["en"].provenance.source_language == "kk"
    assert variants["en"].headline == "The akim visited the new school"
    with pytest.raises(Exception, match="--from"):
        pipeline.Translator(PairBackend()).translate(Article("", [Block("headline", "2019")]), "en")


@pytest.mark.parametrize(
    "text",
    [
        "This is a Blockquote with a request, as lorem ipsum shows.",
        "The minister visited Qatar and Iraq on Monday.",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.",
    ],
)
def test_english_with_a_q_is_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    ["Qazaqstan Respublikasy", "Bügin Astanada jiyn boldy.", "Prezident Qasym-Jomart Toqaev Astanada kezdesu ötkizdi."],
)
def test_kazakh_latin_is_kazakh_latin(text):
    assert detect_language(text) == "kk-Latn"
