"""The newsroom plain-text format: exact round trips, block roles, variants read back."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kztranslate.document import Article, Block
from kztranslate.formats import get_format
from kztranslate.formats.text import TextFormat
from kztranslate.latin import to_latin
from kztranslate.localize import format_count, localize_furniture, render_dateline
from samples import CORPUS

FMT = TextFormat()

# Our own sample articles (written for these tests).
KK_ARTICLE = """Алматыда жаңа саябақ ашылды

12 Наурыз 2024, 09:15 1284

Қала әкімдігі Медеу ауданында жаңа саябақ ашылғанын хабарлады. Саябақта балалар алаңы мен велосипед жолдары бар.

Жоба құны 2,5 млрд теңгені құрады. Құрылыс жұмыстары екі жылға созылды.

Тұрғындар саябақтың ашылуын жылы қабылдады.

Айгерім СЕЙТҚАЛИ
Бөлісу:
"""

RU_ARTICLE = """В Астане открылась новая библиотека

5 марта 2024, 14:20
12 345 просмотров

Новая библиотека рассчитана на 300 читателей. В фонде более 40 тысяч книг.

Директор библиотеки рассказал о планах на будущее.

Ерлан Сапаров, Мария Иванова
Поделиться:"""

EN_ARTICLE = """Kazakh students win a robotics contest

March 5, 2024, 14:20 987 Share:

A team from Karaganda took first place at the regional robotics contest.

The students built a robot that sorts waste.

Dana Omarova
"""


def roles(article: Article) -> list[str]:
    return [b.role for b in article.blocks]


# -- the seed ------------------------------------------------------------------------------------

@pytest.fixture()
def seed_text() -> str:
    path = CORPUS / "seed-baq.kk.txt"
    if not path.exists():
        pytest.skip("shared corpus not available")
    return path.read_bytes().decode("utf-8")


def test_seed_round_trips_byte_for_byte(seed_text):
    article = FMT.read(seed_text)
    assert FMT.write(article) == seed_text
    assert roles(article) == ["headline", "dateline", "counter"] + ["paragraph"] * 4 + ["byline", "share"]
    assert article.language == "kk"
    assert article.published == datetime(2019, 11, 27, 10, 3)
    assert article.views == 3457
    assert article.dateline == "27 Қараша 2019, 10:03"
    assert article.byline == ["Нұргүл Қалиева"]
    assert article.blocks[-1].text == "Бөлісу:"
    assert article.blocks[1].meta["published"] == "2019-11-27T10:03:00"
    assert article.blocks[2].meta["views"] == 3457


def test_seed_survives_the_json_form(seed_text):
    article = FMT.read(seed_text)
    again = Article.from_dict(json.loads(json.dumps(article.to_dict(), ensure_ascii=False)))
    assert FMT.write(again) == seed_text


def test_every_corpus_text_round_trips():
    paths = sorted(CORPUS.glob("*.txt"))
    if not paths:
        pytest.skip("shared corpus not available")
    for path in paths:
        text = path.read_bytes().decode("utf-8")
        assert FMT.write(FMT.read(text)) == text, path.name


def test_registry_gives_this_format():
    assert isinstance(get_format("text"), TextFormat)
    assert FMT.sniff(KK_ARTICLE) and not FMT.sniff("Жай ғана мәтін.\n\nТағы бір жол.")


# -- synthetic articles --------------------------------------------------------------------------

def test_kazakh_article():
    article = FMT.read(KK_ARTICLE)
    assert FMT.write(article) == KK_ARTICLE
    assert roles(article) == ["headline", "dateline", "counter", "paragraph", "paragraph", "paragraph",
                              "byline", "share"]
    assert article.language == "kk"
    assert (article.published, article.views) == (datetime(2024, 3, 12, 9, 15), 1284)
    assert article.byline == ["Айгерім Сейтқали"]  # each person in normal case
    assert article.blocks[6].meta["printed"] == ["Айгерім СЕЙТҚАЛИ"]


def test_russian_article_counter_on_its_own_line_with_a_word():
    article = FMT.read(RU_ARTICLE)
    assert FMT.write(article) == RU_ARTICLE
    assert roles(article) == ["headline", "dateline", "counter", "paragraph", "paragraph", "byline", "share"]
    assert article.language == "ru"
    assert article.views == 12345
    assert article.blocks[2].text == "12 345 просмотров"
    assert article.byline == ["Ерлан Сапаров", "Мария Иванова"]


def test_english_article_share_after_counter():
    article = FMT.read(EN_ARTICLE)
    assert FMT.write(article) == EN_ARTICLE
    assert roles(article) == ["headline", "dateline", "counter", "share", "paragraph", "paragraph", "byline"]
    assert [b.text for b in article.blocks[1:4]] == ["March 5, 2024, 14:20", "987", "Share:"]
    assert article.language == "en"
    assert article.views == 987


def test_counter_word_on_the_next_line_joins_the_counter():
    text = "Тақырып\n\n06.07.2021\n3457\nрет\n\nМәтін осында жазылған.\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    assert roles(article) == ["headline", "dateline", "counter", "paragraph"]
    assert article.blocks[2].text == "3457\nрет"
    assert article.published == datetime(2021, 7, 6)
    assert article.blocks[1].meta["published"] == "2021-07-06"


def test_rubric_and_bullet_before_the_date():
    text = "Тақырып\n\nҚоғам • 20.03.2026, 20:50 15\n\nМәтін.\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    assert [(b.role, b.text) for b in article.blocks[:4]] == [
        ("headline", "Тақырып"), ("other", "Қоғам"), ("dateline", "20.03.2026, 20:50"), ("counter", "15")]
    bullet = FMT.read("Тақырып\n\n• 27 қараша 2019 10:03\n\nМәтін.\n")
    assert roles(bullet) == ["headline", "dateline", "paragraph"]


def test_furniture_lines():
    text = ("Тақырып\n\n27 қараша 2019\n\nФото: Ақорда баспасөз қызметі\n\nМәтін бірінші абзац.\n\n"
            "Тағы оқыңыз:\n\nТегтер: саясат, экономика\n\nБөлісу:\n")
    article = FMT.read(text)
    assert FMT.write(article) == text
    assert roles(article) == ["headline", "dateline", "caption", "paragraph", "other", "tags", "share"]
    assert article.blocks[4].meta["furniture"] == "read_also"


def test_a_date_in_a_sentence_is_a_paragraph():
    text = "Тақырып\n\n27 қараша 2019 жылы Астанада форум өтті.\n\nЕкінші абзац.\n"
    assert roles(FMT.read(text)) == ["headline", "paragraph", "paragraph"]


@pytest.mark.parametrize(
    "line",
    ["%%% ??? !!!", "12.3K", "★★★", "—", "Бөлісу: Facebook, Telegram", "Қ. Тоқаев Астанаға келді.",
     "жалғасы бар", "http://example.kz/news/1"],
)
def test_unclassifiable_lines_are_kept_as_paragraphs(line):
    text = f"Тақырып\n\n27 қараша 2019\n\n{line}\n\nСоңғы абзац мұнда.\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    assert ("paragraph", line) in [(b.role, b.text) for b in article.blocks]


def test_sentence_or_lowercase_line_at_the_end_is_no_byline():
    for last in ("Жалғасы бар", "Ол келді.", "Нұргүл Қалиева: біз келдік", "Нұргүл ҚАЛИЕВА, журналист:",
                 "Бір Екі Үш Төрт"):
        article = FMT.read(f"Тақырып\n\nБірінші абзац.\n\n{last}\n")
        assert roles(article)[-1] == "paragraph", last


def test_byline_printed_twice():
    article = FMT.read("Тақырып\n\nБірінші абзац.\n\nЕкінші абзац.\n\nНұргүл Қалиева\n\nНұргүл Қалиева\n")
    assert roles(article) == ["headline", "paragraph", "paragraph", "byline", "byline"]
    assert article.byline == ["Нұргүл Қалиева"]  # the authors, each once


def test_language_can_be_given():
    assert FMT.read(KK_ARTICLE, language="KK").language == "kk"
    assert FMT.read(KK_ARTICLE, language="kk_latn").language == "kk-Latn"


# -- exact layout --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "\ufeff" + KK_ARTICLE,
        KK_ARTICLE.replace("\n", "\r\n"),
        "\ufeff" + RU_ARTICLE.replace("\n", "\r\n"),
        KK_ARTICLE.rstrip("\n"),
        KK_ARTICLE.replace("\n\n", "\n\n\n\n"),
        KK_ARTICLE.replace("\n", "  \n").replace("1284", "1284 \t"),
        "\n\n   " + EN_ARTICLE + "\n\n\n",
        "      " + EN_ARTICLE.replace("\n", "\n      "),
        "Жалғыз жол",
        "   \n\n",
        "",
    ],
)
def test_layout_round_trips(text):
    assert FMT.write(FMT.read(text)) == text


def test_layout_is_kept_under_one_key():
    article = FMT.read("\ufeff" + KK_ARTICLE.replace("\n", "\r\n"))
    assert article.meta == {"layout": {"before": "\ufeff", "newline": "\r\n"}}
    assert article.blocks[0].meta == {"layout": {"after": "\r\n\r\n"}}
    assert article.blocks[1].meta == {"published": "2024-03-12T09:15:00", "layout": {"after": " "}}


def test_blocks_built_by_code_get_default_layout():
    article = Article(
        language="kk",
        blocks=[
            Block("headline", "Тақырып"),
            Block("dateline", "27 Қараша 2019, 10:03", meta={"published": "2019-11-27T10:03:00"}),
            Block("counter", "3457", meta={"views": 3457}),
            Block("paragraph", "Бірінші абзац."),
            Block("byline", "Нұргүл Қалиева", meta={"names": ["Нұргүл Қалиева"]}),
            Block("share", "Бөлісу:"),
        ],
    )
    text = FMT.write(article)
    assert text == ("Тақырып\n\n27 Қараша 2019, 10:03 3457\n\nБірінші абзац.\n\nНұргүл Қалиева\n\nБөлісу:\n")
    assert roles(FMT.read(text)) == roles(article)


# -- variants --------------------------------------------------------------------------------------

def make_variant(article: Article, target: str, byline: str, *, convert=None) -> Article:
    """A variant as the pipeline makes it: model text (pseudo), dates/counts/furniture localized,
    names transliterated; the source's layout kept."""
    variant = article.copy()
    variant.language = target
    for block in variant.blocks:
        if block.role in ("headline", "paragraph", "other", "caption", "tags"):
            block.text = " ".join(f"⟦{target}⟧ {s}" for s in block.text.split(". "))
        elif block.role == "dateline":
            block.text = render_dateline(datetime.fromisoformat(block.meta["published"]), target, like=block.text)
        elif block.role == "counter":
            block.text = format_count(block.meta["views"], target, like=block.text)
        elif block.role == "byline":
            block.text = byline
        elif block.role == "share":
            block.text = localize_furniture(block.text, article.language, target)
        if convert is not None:
            block.text = convert(block.text)
        if block.role == "byline":
            block.meta["names"] = [block.text]
    return variant


def assert_reads_back(variant: Article) -> None:
    text = FMT.write(variant)
    again = FMT.read(text, language=variant.language)
    assert FMT.write(again) == text
    assert [(b.role, b.text) for b in again.blocks] == [(b.role, b.text) for b in variant.blocks]
    assert again.published == variant.published
    assert again.views == variant.views
    assert again.byline == variant.byline


@pytest.mark.parametrize(
    ("target", "byline", "dateline", "share"),
    [
        ("ru", "Нургуль Калиева", "27 ноября 2019, 10:03", "Поделиться:"),
        ("en", "Nurgul Kaliyeva", "November 27, 2019, 10:03", "Share:"),
    ],
)
def test_seed_variants_read_back(seed_text, target, byline, dateline, share):
    variant = make_variant(FMT.read(seed_text), target, byline)
    text = FMT.write(variant)
    assert f"\n\n{dateline} 3457\n\n" in text
    assert text.endswith(f"\n{byline}\n{share}")
    assert_reads_back(variant)


def test_kazakh_latin_variant_reads_back(seed_text):
    source = FMT.read(seed_text)
    source.language = "ru"  # a kk-Latn variant of a Russian original
    variant = make_variant(source, "kk-Latn", "Нұргүл Қалиева", convert=to_latin)
    assert to_latin("27 Қараша 2019, 10:03 3457") in FMT.write(variant)
    assert FMT.write(variant).endswith(to_latin("\nНұргүл Қалиева\nБөлісу:"))
    assert_reads_back(variant)


SAMPLES = {"kk": KK_ARTICLE, "ru": RU_ARTICLE, "en": EN_ARTICLE}


@pytest.mark.parametrize(("language", "target"), [(s, t) for s in SAMPLES for t in SAMPLES if s != t])
def test_synthetic_variants_read_back(language, target):
    source = FMT.read(SAMPLES[language])
    assert source.language == language
    variant = make_variant(source, target, {"kk": "Айгерім Сейтқали", "ru": "Айгерим Сейткали",
                                            "en": "Aigerim Seitkali"}[target])
    assert_reads_back(variant)
    assert format_count(source.views, target, like=source.blocks[2].text) in FMT.write(variant)


# -- properties ----------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_any_text_round_trips(text):
    assert FMT.write(FMT.read(text)) == text


LINES = [
    "Алматыда жаңа саябақ ашылды", "27 Қараша 2019, 10:03 3457", "27 ноября 2019, 10:03",
    "November 27, 2019, 10:03 12,345 Share:", "06.07.2021", "3457", "рет", "Бөлісу:", "Поделиться:",
    "Нұргүл Қалиева", "Nurgul Kaliyeva", "Фото: Ақорда", "Тегтер: саясат", "Қоғам • 20.03.2026, 20:50",
    "Саябақта балалар алаңы бар.", "⟦ru⟧ Ол келді.", "%%%", "  ", "Тағы оқыңыз:", "Ерлан Сапаров, Мария Иванова",
]


@settings(max_examples=300, deadline=None)
@given(
    st.booleans(),
    st.lists(st.tuples(st.sampled_from(LINES), st.sampled_from(["", " ", "\t", "  "]),
                       st.sampled_from(["\n", "\r\n", "\n\n", "\r\n\r\n", "\n\n\n"])), max_size=14),
    st.booleans(),
)
def test_random_layouts_round_trip_and_keep_every_line(bom, lines, final_newline):
    text = ("\ufeff" if bom else "") + "".join(line + trail + end for line, trail, end in lines)
    if not final_newline:
        text = text.rstrip("\r\n")
    article = FMT.read(text)
    assert FMT.write(article) == text
    layout = "".join(b.meta["layout"]["after"] for b in article.blocks)
    assert not any(ch.isalnum() for ch in layout), "text went into the layout instead of a block"
    headlines = [i for i, b in enumerate(article.blocks) if b.role == "headline" and not b.meta.get("repeat")]
    assert len(headlines) <= 1
    repeats = [b.text for b in article.blocks if b.meta.get("repeat") and b.role == "headline"]
    assert all(" ".join(r.split()).casefold() == " ".join(article.headline.split()).casefold() for r in repeats)
    # only the page header (rubric, dateline, counter, share widget) may stand above the headline
    assert all(b.role in ("other", "dateline", "counter", "share", "byline") for b in article.blocks[:headlines[0]]) \
        if headlines else True


@pytest.mark.parametrize("text", [KK_ARTICLE, "\ufeff" + KK_ARTICLE.replace("\n", "\r\n")])
def test_kazakh_article_in_latin_letters_reads_back(text):
    """kk → kk-Latn: the pipeline only changes the alphabet of every block."""
    source = FMT.read(text)
    variant = source.copy()
    variant.language = "kk-Latn"
    for block in variant.blocks:
        block.text = to_latin(block.text)
        if block.role == "byline":
            block.meta["names"] = [to_latin(n) for n in block.meta["names"]]
            block.meta["printed"] = [to_latin(n) for n in block.meta.get("printed", [])]
    assert_reads_back(variant)
    assert roles(FMT.read(FMT.write(variant))) == roles(source)


# -- page headers as Kazakh news sites print them (our own sample pages) -------------------------

HEADER_FIRST_PAGE = """Қоғам • 27 қараша 2019 10:03
Алматыда жаңа мектеп ашылды
1 245
рет көрсетілді
Бөлісу:
Алматыда жаңа мектеп ашылды
АЛМАТЫ. KAZINFORM – Қалада 600 орындық жаңа мектеп ашылды, деп хабарлайды агенттік тілшісі.
Фото: Ақорда баспасөз қызметі
«Бұл – біздің ортақ жетістігіміз», - деді әкім.
Тағы оқыңыз:
Астанада жаңа саябақ ашылды
Тегтер: білім, мектеп
Нұргүл ҚАЛИЕВА
"""


def test_dateline_and_counter_above_the_headline():
    article = FMT.read(HEADER_FIRST_PAGE)
    assert FMT.write(article) == HEADER_FIRST_PAGE
    assert [(b.role, b.text) for b in article.blocks[:6]] == [
        ("other", "Қоғам"), ("dateline", "27 қараша 2019 10:03"), ("headline", "Алматыда жаңа мектеп ашылды"),
        ("counter", "1 245\nрет көрсетілді"), ("share", "Бөлісу:"),
        ("headline", "Алматыда жаңа мектеп ашылды"),  # the headline repeated under the counter
    ]
    assert article.blocks[5].meta["repeat"] is True and "repeat" not in article.blocks[2].meta
    assert article.views == 1245 and article.published == datetime(2019, 11, 27, 10, 3)
    assert roles(article)[6:] == ["paragraph", "caption", "paragraph", "other", "paragraph", "tags", "byline"]
    assert article.headline == "Алматыда жаңа мектеп ашылды" and article.byline == ["Нұргүл Қалиева"]


@pytest.mark.parametrize("counter", ["Просмотров: 12 345", "12 345 рет көрсетілді", "Оқылды: 12345", "12345"])
def test_counter_under_the_headline(counter):
    text = f"Экономика | 06/07/2021 | 20:50\nТеңге бағамы нығайды\n{counter}\nБиржада теңге нығайды.\n"
    article = FMT.read(text)
    assert roles(article) == ["other", "dateline", "headline", "counter", "paragraph"]
    assert article.views == 12345


def test_a_number_in_the_body_is_no_counter():
    article = FMT.read("Тақырып\n\n27 қараша 2019\n\nБірінші абзац.\n\n1245\n\nСоңғы абзац.\n")
    assert roles(article) == ["headline", "dateline", "paragraph", "paragraph", "paragraph"]


@pytest.mark.parametrize(("line", "day"), [
    ("Бүгін, 14:25", "today"), ("кеше 18:40", "yesterday"), ("Сегодня в 09:05", "today"),
    ("Yesterday at 18:40", "yesterday"), ("Саясат • Бүгін, 14:25", "today"),
])
def test_relative_datelines(line, day):
    text = f"{line}\nҮкімет отырысында бюджет талқыланды\n\nБюджет толық орындалды.\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    dateline = article.blocks_with_role("dateline")[0]
    assert dateline.meta["relative"] == day and line.endswith(dateline.text)
    assert article.headline == "Үкімет отырысында бюджет талқыланды"
    assert article.published is None


def test_a_relative_day_in_a_sentence_is_a_paragraph():
    article = FMT.read("Тақырып\n\nБүгін 14:00-де жиын өтеді.\n\nКеше 18:40 жиналдық та.\n")
    assert roles(article) == ["headline", "paragraph", "paragraph"]


@pytest.mark.parametrize(("line", "expected"), [
    ("Сәрсенбі, 27 қараша 2019", [("other", "Сәрсенбі"), ("dateline", "27 қараша 2019")]),
    ("Wednesday, November 27, 2019", [("other", "Wednesday"), ("dateline", "November 27, 2019")]),
    ("Жарияланды: 27.11.2019", [("other", "Жарияланды"), ("dateline", "27.11.2019")]),
    ("27/11/2019 - 10:03", [("dateline", "27/11/2019 - 10:03")]),
    ("27 қараша 2019, 10:03 | 3457", [("dateline", "27 қараша 2019, 10:03"), ("counter", "3457")]),
    ("27 қараша 2019 10:03 👁 3457", [("dateline", "27 қараша 2019 10:03"), ("counter", "3457")]),
])
def test_more_dateline_shapes(line, expected):
    text = f"Тақырып мұнда\n{line}\nМәтін осында жазылған.\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    assert [(b.role, b.text) for b in article.blocks[1:-1]] == expected
    assert article.published.date().isoformat() == "2019-11-27"


@pytest.mark.parametrize("dateline", ["10:03, 27 қараша 2019", "2019 жылғы 27 қараша, 10:03", "27-қараша, 2019 1250"])
def test_more_dateline_shapes_are_read_as_datelines_and_a_date_in_a_sentence_is_not(dateline):
    text = (f"Астанада жаңа мектеп ашылды\n\n{dateline}\n\n"
            "Бүгін 2019 жылы 27 қарашада Астанада жиын өтті. Оған 200 адам қатысты.\n\nАйгүл Серікова\nБөлісу:")
    fmt = TextFormat()
    article = fmt.read(text)
    assert fmt.write(article) == text
    assert [b.role for b in article.blocks][:2] == ["headline", "dateline"]
    assert "paragraph" in [b.role for b in article.blocks]
    assert article.published.date().isoformat() == "2019-11-27"


# -- the furniture of real pages (our own sample lines, in the shapes the sites print) ------------

def blocks_of(text: str) -> list[tuple[str, str]]:
    article = FMT.read(text, language="kk")
    assert FMT.write(article) == text
    return [(b.role, b.text) for b in article.blocks]


@pytest.mark.parametrize(
    ("lines", "counter", "views"),
    [
        ("1024\nоқылды", "1024\nоқылды", 1024),
        ("4236 рет\nкөрсетілді", "4236 рет\nкөрсетілді", 4236),
        ("views312", "views312", 312),
        ("👁 312", "👁 312", 312),
        ("👁️312", "👁️312", 312),
        ("Қаралды: 1024", "Қаралды: 1024", 1024),
        ("Views: 1 024", "Views: 1 024", 1024),
    ],
)
def test_view_counters_on_their_own_line(lines, counter, views):
    text = f"Алматыда жаңа мектеп ашылды\n{lines}\n14 Наурыз, 2018\n\nМектепте 600 оқушы оқиды.\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    assert [(b.role, b.text) for b in article.blocks[:3]] == [
        ("headline", "Алматыда жаңа мектеп ашылды"), ("counter", counter), ("dateline", "14 Наурыз, 2018")]
    assert article.views == views == article.blocks[1].meta["views"]


def test_counter_glued_to_the_dateline_line_with_a_bullet():
    assert blocks_of("Тақырып мұнда\n7 қазан 2020 10:03 • 597 просмотров\nМәтін.\n")[1:3] == [
        ("dateline", "7 қазан 2020 10:03"), ("counter", "597 просмотров")]


@pytest.mark.parametrize("line", ["• 14 Наурыз, 2018", "| 14 Наурыз, 2018", "·14 Наурыз, 2018",
                                  "Қоғам | 14 Наурыз, 2018", "Қоғам 14 Наурыз, 2018"])
def test_bullet_and_pipe_datelines(line):
    article = FMT.read(f"Алматыда жаңа мектеп ашылды\n\n{line}\n\nМектепте 600 оқушы оқиды.\n")
    assert article.blocks_with_role("dateline")[0].text == "14 Наурыз, 2018"
    assert article.published == datetime(2018, 3, 14)
    assert [b.role for b in article.blocks][-1] == "paragraph"


def test_rubric_view_and_comment_counts_before_the_date():
    text = "Сенбі, 23 Қараша 2024\nБилік 2745 3 пікір 4 Мамыр, 2022 сағат 13:31\n\nЖаңа аудан құрылды\n\nМәтін.\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    assert [(b.role, b.text) for b in article.blocks[2:6]] == [
        ("other", "Билік"), ("counter", "2745"), ("other", "3 пікір"), ("dateline", "4 Мамыр, 2022 сағат 13:31")]
    assert article.published == datetime(2022, 5, 4, 13, 31)  # the article's, not the site's date above
    assert article.views == 2745 and article.headline == "Жаңа аудан құрылды"


def test_relative_dateline_with_a_time():
    article = FMT.read("Алматыда жаңа мектеп ашылды\nБүгін, 09:40\n\nМектепте 600 оқушы оқиды.\n")
    dateline = article.blocks_with_role("dateline")[0]
    assert (dateline.text, dateline.meta["relative"]) == ("Бүгін, 09:40", "today")


def test_byline_printed_twice_on_one_line_is_written_once_in_a_variant():
    text = "Тақырып мұнда\n\nБірінші абзац.\n\nЕкінші абзац.\n\nАйгүл Серікова Айгүл Серікова\nБөлісу:\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    bylines = article.blocks_with_role("byline")
    assert [b.text for b in bylines] == ["Айгүл Серікова", "Айгүл Серікова"]
    assert bylines[1].meta["repeat"] is True and "repeat" not in bylines[0].meta
    assert article.byline == ["Айгүл Серікова"]
    from kztranslate import Translator

    variant = Translator(backend="pseudo").translate(article, to=["en"])["en"]
    written = FMT.write(variant)
    assert written.endswith(" Serikova\nShare:\n") and written.count("Serikova") == 1
    assert FMT.read(written, language="en").byline == variant.byline and len(variant.byline) == 1


@pytest.mark.parametrize(("line", "names", "printed"), [
    ("Ерлан ТӨЛЕУОВ", ["Ерлан Төлеуов"], ["Ерлан ТӨЛЕУОВ"]),
    ("ӘБІЛ-СЕРІК Әлиев", ["Әбіл-Серік Әлиев"], ["ӘБІЛ-СЕРІК Әлиев"]),
    ("Ерлан Төлеуов", ["Ерлан Төлеуов"], None),
    ("Aigül SERİKOVA.", ["Aigül Serikova"], ["Aigül SERİKOVA"]),
])
def test_capitalized_surnames_get_the_normal_case_in_the_names(line, names, printed):
    text = f"Тақырып мұнда\n\nБірінші абзац.\n\nЕкінші абзац.\n\n{line}\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    byline = article.blocks_with_role("byline")[0]
    assert byline.meta["names"] == names and byline.meta.get("printed") == printed
    assert byline.text == line.rstrip(".")  # the final dot stays layout


def test_capitalized_surname_in_the_variant_is_in_normal_case():
    from kztranslate import Translator

    article = FMT.read("Тақырып мұнда\n\nБірінші абзац.\n\nЕкінші абзац.\n\nЕрлан ТӨЛЕУОВ\n")
    variants = Translator(backend="pseudo").translate(article, to=["ru", "en"])
    assert FMT.write(variants["en"]).endswith("\nYerlan Toleuov\n")
    assert FMT.write(variants["ru"]).endswith("\nЕрлан Толеуов\n")


@pytest.mark.parametrize("text", [
    "Тақырып мұнда\nМария СОКОЛОВА\nВоскресенье, 27 Апр 2025, 18:00\n\nМәтін бірінші.\n\nМәтін екінші.\n",
    "Тақырып мұнда\n\nМария СОКОЛОВА Корреспондент\n27 Апр 2025, 18:00\n\nМәтін бірінші.\n",
])
def test_byline_above_the_dateline(text):
    article = FMT.read(text)
    assert FMT.write(article) == text
    assert article.byline == ["Мария Соколова"]
    assert article.published == datetime(2025, 4, 27, 18)
    if "Корреспондент" in text:
        assert ("other", "Корреспондент") in [(b.role, b.text) for b in article.blocks]


def test_byline_after_an_author_line_and_over_a_title_or_a_city():
    assert FMT.read("Тақырып\n\nМәтін.\n\nМәтін екі.\n\nAuthor:\n\nSeitova Madina\n\nAlmaty\nRelated news\n"
                    "Some other headline\n").byline == ["Seitova Madina"]
    assert FMT.read("Тақырып\n\nМәтін.\n\nМәтін екі.\n\nСерік Әбенов,\nАуданның Құрметті азаматы.\n"
                    ).byline == ["Серік Әбенов"]
    assert FMT.read("Тақырып\n\nМәтін.\n\nМәтін екі.\n\nNazira JÄRIMBETOVA.\nQostanai.\n").byline == [
        "Nazira Järimbetova"]
    labelled = FMT.read("Тақырып\n\nМәтін.\n\nМәтін екі.\n\nАвторлар: Нағима Әбдірахым, Асан Қазақбаев\n")
    assert [(b.role, b.text) for b in labelled.blocks[-2:]] == [
        ("other", "Авторлар:"), ("byline", "Нағима Әбдірахым, Асан Қазақбаев")]
    assert labelled.byline == ["Нағима Әбдірахым", "Асан Қазақбаев"]


def test_site_name_after_the_headline_is_site_furniture():
    from kztranslate import Translator

    text = "Жаңа мектеп ашылды - «Сайт атауы» ақпарат агенттігі\n14 Наурыз, 2018\n\nМектепте 600 оқушы оқиды.\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    assert [(b.role, b.text, b.meta.get("furniture")) for b in article.blocks[:2]] == [
        ("headline", "Жаңа мектеп ашылды", None), ("other", "«Сайт атауы» ақпарат агенттігі", "site")]
    assert article.blocks[0].meta["layout"]["after"] == " - "
    variant = Translator(backend="pseudo").translate(article, to=["ru"])["ru"]
    assert FMT.write(variant).startswith("⟦ru⟧ Жаңа мектеп ашылды - Информационное агентство «Сайт атауы»\n")


def test_headline_repeated_below_and_with_the_site_name():
    text = "Жаңа мектеп ашылды | Example.kz\n1 245\nЖаңа мектеп ашылды\n\nМектепте 600 оқушы оқиды.\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    headlines = article.blocks_with_role("headline")
    assert [h.text for h in headlines] == ["Жаңа мектеп ашылды"] * 2
    assert headlines[1].meta["repeat"] and article.headline == "Жаңа мектеп ашылды" and article.views == 1245


@pytest.mark.parametrize(("line", "role", "meta"), [
    ("Телефон: +7 727 250 00 00", "other", {"furniture": "phone"}),
    ("Эл. почта: info@example.kz", "other", {"furniture": "email"}),
    ("E-mail: info@example.kz", "other", {"furniture": "email"}),
    ("Фото: Айгүл Серікова", "caption", {}),
    ("Сурет: ашық дереккөздерден", "caption", {}),
    ("Images | Depositphotos", "caption", {}),
    ("Жаңалықтарды Telegram-арнамызда оқыңыз, арнаға жазылыңыз", "other", {"site": "subscribe"}),
    ("Подписывайтесь на наш Telegram-канал", "other", {"site": "subscribe"}),
    ("Тегтер: білім, мектеп", "tags", {}),
    ("#білім #мектеп", "tags", {}),
    ("©Example.kz", "other", {"furniture": "copyright"}),
    ("Comments are closed.", "other", {"furniture": "comments_closed"}),
])
def test_site_lines_around_the_article(line, role, meta):
    text = f"Тақырып мұнда\n\n14 Наурыз, 2018\n\nМектепте 600 оқушы оқиды.\n\n{line}\n\nСоңғы абзац мұнда.\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    found = next(b for b in article.blocks if b.text == line)
    assert found.role == role
    assert {k: v for k, v in found.meta.items() if k != "layout"} == meta


def test_contact_lines_keep_their_values_in_a_variant():
    from kztranslate import Translator

    article = FMT.read("Тақырып мұнда\n\nМәтін мұнда.\n\nТелефон: +7 727 250 00 00\nЭл. почта: info@example.kz\n")
    written = FMT.write(Translator(backend="pseudo").translate(article, to=["en"])["en"])
    assert written.endswith("\n\nPhone: +7 727 250 00 00\nEmail: info@example.kz\n")


@pytest.mark.parametrize("lines", [
    "РУ\nGo to the main site\nCurrency rates:\nusd/kzt 447.9\nMain Page  >\nSociety",
    "8:20 Прямой эфир «УТРО»\n9:15 Далее в эфире «НОВОСТИ»",
    "Саясат Аналитика Қоғам Мәдениет Спорт Экономика",
    "Subscribe to THE CITY TIMES feed\nUpdated: 2 hours 30 min ago",
    "$489.06 €536.21 ₽5.05\n×",
    "ПОЛИТИКА",
])
def test_lines_above_the_headline_are_no_headline(lines):
    text = f"{lines}\n\nАлматыда жаңа мектеп ашылды\n\n14 Наурыз, 2018\n\nМектепте 600 оқушы оқиды.\n"
    article = FMT.read(text)
    assert FMT.write(article) == text
    assert article.headline == "Алматыда жаңа мектеп ашылды"
    assert all(b.role == "other" for b in article.blocks[: len(lines.splitlines())])


# -- real page shapes (tests/fixtures/text_pages) -------------------------------------------------

PAGES = Path(__file__).resolve().parent / "fixtures" / "text_pages"
PAGE_FILES = sorted(PAGES.glob("*.txt"))


def test_there_are_enough_pages():
    assert len(PAGE_FILES) >= 30
    described = (PAGES / "README.md").read_text(encoding="utf-8")
    assert all(f"`{p.name}`" in described for p in PAGE_FILES)


def _expect(path: Path) -> dict:
    return json.loads(path.with_name(path.name[: -len(".txt")] + ".expect.json").read_text(encoding="utf-8"))


def _published_dateline(article: Article) -> Block | None:
    return next((b for b in article.blocks if b.role == "dateline" and "published" in b.meta
                 and datetime.fromisoformat(b.meta["published"]) == article.published), None)


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_text_pages(path):
    text = path.read_bytes().decode("utf-8")
    expect = _expect(path)
    article = FMT.read(text, language=expect["language"])
    # read → write gives the bytes back
    assert FMT.write(article) == text
    # the facts a person reads from the page
    dateline = _published_dateline(article)
    assert (article.headline or None) == expect["headline"]
    assert (dateline.text if dateline else None) == expect["dateline"]
    assert (dateline.meta["published"] if dateline else None) == expect["published"]
    assert article.views == expect["views"]
    assert article.byline == expect["byline"]
    # no line is lost: every letter and digit of the page is inside a block, every line has one
    spans = [(b, text.index(b.text, at)) for b, at in _block_offsets(article, text)]
    covered = bytearray(len(text))
    for block, at in spans:
        covered[at:at + len(block.text)] = b"\1" * len(block.text)
    assert all(covered[i] for i, ch in enumerate(text) if ch.isalnum())
    for line in re.finditer(r"[^\r\n]+", text):
        if line.group().strip():
            assert any(covered[line.start():line.end()])


def _block_offsets(article: Article, text: str):
    """Each block with where the writer puts it."""
    at = len((article.meta.get("layout") or {}).get("before", ""))
    for block in article.blocks:
        yield block, at
        at += len(block.text) + len(block.meta["layout"]["after"])


def test_text_pages_translate_through_the_cli(tmp_path):
    """Every page through the command line with the pseudo backend: every line is kept, the view
    count and the date stay, and every variant reads back byte for byte with the same facts."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "kztranslate", "translate", *map(str, PAGE_FILES), "--to", "kk,ru,en",
         "--backend", "pseudo", "--no-memory", "--out-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    checked = 0
    for path in PAGE_FILES:
        text = path.read_bytes().decode("utf-8")
        expect = _expect(path)
        stem = path.name.split(".")[0]
        variants = sorted(tmp_path.glob(f"{stem}.*.txt"))
        assert len(variants) >= 2, path.name
        for variant_path in variants:
            written = variant_path.read_bytes().decode("utf-8")
            assert written.count("\n") == text.count("\n"), variant_path.name
            assert [bool(line.strip()) for line in written.splitlines()] == \
                [bool(line.strip()) for line in text.splitlines()], variant_path.name
            language = variant_path.name.split(".")[1]
            again = FMT.read(written, language=language)
            assert FMT.write(again) == written
            assert again.views == expect["views"], variant_path.name
            published = _published_dateline(again)
            assert (published.meta["published"] if published else None) == expect["published"], variant_path.name
            assert len(again.byline) == len(expect["byline"]), variant_path.name
            checked += 1
    assert checked >= 60


# -- linear time ------------------------------------------------------------------------------------

def _time_per_call(function, argument) -> float:
    """Seconds per call, from enough calls to last at least 50 ms."""
    import time

    calls, start = 0, time.perf_counter()
    while True:
        function(argument)
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= 0.05:
            return elapsed / calls


def _times(function, small, large, rounds: int = 3) -> tuple[float, float]:
    """Best time per call for each input, the two measured in turn so that load on the machine
    weighs on both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for i, argument in enumerate((small, large)):
            best[i] = min(best[i], _time_per_call(function, argument))
    return best[0], best[1]


LONG_INPUTS = {
    "letters": lambda n: "қ" * n + " x",
    "letters-colon": lambda n: "ә" * n + ": ғ",
    "spaces": lambda n: "ұ" + " " * n + "ү",
    "colons": lambda n: "һ" + ":" * n + "і",
    "digits": lambda n: "1" * n + " рет",
    "grouped": lambda n: "1 000" * (n // 5),
    "words": lambda n: "Қа " * (n // 3) + "5",
}


@pytest.mark.parametrize("shape", sorted(LONG_INPUTS))
@pytest.mark.parametrize("name", ["dateline", "counter", "site label", "site suffix", "furniture", "reader"])
def test_time_grows_linearly(name, shape):
    """Doubling the input at most about doubles the time (a quadratic pattern quadruples it)."""
    from kztranslate import localize

    function = {
        "dateline": localize.parse_dateline,
        "counter": localize.split_counter,
        "site label": localize.split_site_label,
        "site suffix": localize.split_site_suffix,
        "furniture": localize.is_furniture,
        "reader": lambda line: FMT.read(f"Тақырып\n\n{line}\n\nМәтін.\n", language="kk"),
    }[name]
    n = 200_000  # a quadratic pattern spends seconds on this; linear ones milliseconds
    small_input, large_input = LONG_INPUTS[shape](n), LONG_INPUTS[shape](2 * n)
    ratios = []
    for _ in range(3):  # a busy machine may slow one measurement; a quadratic pattern fails all three
        small, large = _times(function, small_input, large_input)
        ratios.append(large / small)
        if ratios[-1] < 3:
            break
    assert min(ratios) < 3, (name, shape, n, ratios)
