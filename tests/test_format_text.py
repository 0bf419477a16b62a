"""The newsroom plain-text format: exact round trips, block roles, variants read back."""

from __future__ import annotations

import json
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

CORPUS = next((p / "shared" / "corpus" for p in Path(__file__).resolve().parents[2:4]
               if (p / "shared" / "corpus").is_dir()), Path(__file__).resolve().parents[2] / "shared" / "corpus")
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
