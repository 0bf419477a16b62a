"""Markdown + YAML front matter: byte-identical round trip, variants re-rendered only where changed."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _format_variants import fake_variant
from kztranslate.document import InlineCode
from kztranslate.errors import FormatError
from kztranslate.formats.markdown import MarkdownFormat
from samples import CORPUS

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"


@pytest.fixture(scope="module")
def fmt() -> MarkdownFormat:
    return MarkdownFormat()


@pytest.fixture(scope="module")
def source_text() -> str:
    return (FIXTURES / "article.kk.md").read_text(encoding="utf-8")


def test_round_trip_is_byte_identical(fmt, source_text):
    assert fmt.write(fmt.read(source_text)) == source_text


@pytest.mark.parametrize("text", [
    "Жай мәтін, front matter жоқ.\n",
    "---\n---\n\n# Тақырып\n",
    "# Тақырып #\n\nАбзац  \nкелесі жол\n\n***\n\n    код блогы\n\n1. бір\n2. екі\n",
    "Тақырып\n=======\n\n> - ішкі *тізім*\n>   жалғасы\n\n| a | b |\n|---|---|\n| Астана | 1 |\n",
    "---\r\ntitle: CRLF\r\n---\r\nАбзац.\r\n",
])
def test_round_trip_of_assorted_markdown(fmt, text):
    assert fmt.write(fmt.read(text, language="kk")) == text


def test_round_trip_of_real_kazakh_text(fmt):
    seed = CORPUS / "seed-baq.kk.txt"
    if not seed.exists():
        pytest.skip("shared corpus not available")
    lines = [line.strip() for line in seed.read_text(encoding="utf-8").splitlines() if line.strip()]
    text = "---\ntitle: " + lines[0].replace(":", " -") + "\n---\n\n" + "\n\n".join(lines[1:]) + "\n"
    article = fmt.read(text)
    assert article.language == "kk"
    assert fmt.write(article) == text
    variant = fake_variant(article)
    again = fmt.read(fmt.write(variant))
    assert [b.text for b in again.blocks] == [b.text for b in variant.blocks]


def test_reader_roles_and_inline_codes(fmt, source_text):
    article = fmt.read(source_text)
    roles = [b.role for b in article.blocks]
    assert roles[:5] == ["headline", "subheadline", "byline", "tags", "tags"]
    assert roles[5:] == ["heading", "paragraph", "quote", "list_item", "list_item", "paragraph", "other", "other",
                         "paragraph"]
    assert article.published is not None and article.published.isoformat() == "2019-11-27T10:03:00+06:00"
    paragraph = article.blocks[6]
    assert paragraph.text.startswith("Бүгін Астана қаласында жаңа мектеп ашылды. Мектеп")
    link = next(c for c in paragraph.inline if c.tag == "a")
    assert paragraph.text[link.start:link.end] == "жаңа мектеп"
    assert link.attrs == {"href": "https://example.kz/мектеп", "title": "Мектеп туралы"}
    image = article.blocks[10].inline[0]
    assert (image.tag, image.attrs["src"]) == ("img", "/img/school.jpg")
    assert article.blocks[10].text[image.start:image.end] == "Мектептің ғимараты"  # alt text is translatable
    code_item = article.blocks[9]
    assert "lab-3" not in code_item.text and code_item.inline[0].tag == "code"
    assert not article.blocks[11].translatable and not article.blocks[12].translatable


def test_variant_matches_expected_fixture(fmt, source_text):
    variant = fake_variant(fmt.read(source_text))
    assert fmt.write(variant) == (FIXTURES / "article.ru.md").read_text(encoding="utf-8")


def test_variant_keeps_markup_targets_and_code(fmt, source_text):
    source = fmt.read(source_text)
    variant = fake_variant(source)
    for block in variant.blocks:
        if block.role == "other":
            block.text = "⟦ru⟧ broken"  # whatever happens to a raw block's text, the source is written
    out = fmt.write(variant)
    again = fmt.read(out)
    assert [(b.role, b.text) for b in again.blocks if b.role != "other"] == \
        [(b.role, b.text) for b in variant.blocks if b.role != "other"]
    assert [b.text for b in again.blocks if b.role == "other"] == [b.text for b in source.blocks if b.role == "other"]
    for old, new in zip(variant.blocks, again.blocks):
        assert [(c.tag, c.attrs, c.start, c.end) for c in new.inline] == \
            [(c.tag, c.attrs, c.start, c.end) for c in old.inline]
    assert '```python\nprint("код аударылмайды")\n```' in out
    assert "`lab-3`" in out and "<https://example.kz>" in out
    assert '<div class="note">HTML блогы өзгермейді</div>' in out


def test_front_matter_untouched_lines_stay_verbatim(fmt, source_text):
    out = fmt.write(fake_variant(fmt.read(source_text)))
    front = out.split("---\n")[1].splitlines()
    for line in ("# Сайттың баптаулары", "date: 2019-11-27T10:03:00+06:00", "weight: 3", "draft: false"):
        assert line in front
    keys = [line.split(":")[0] for line in front if line and not line.startswith((" ", "#"))]
    assert keys == ["title", "description", "date", "author", "tags", "weight", "draft", "lang", "translationKey"]
    assert "lang: ru" in front


def test_existing_lang_and_translation_key(fmt):
    text = "---\ntitle: Жаңалық\nlang: kk\ntranslationKey: school-2019\nslug: mektep\n---\n\nАбзац.\n"
    out = fmt.write(fake_variant(fmt.read(text)))
    assert "lang: ru\n" in out and "translationKey: school-2019\n" in out and out.count("translationKey") == 1
    text = "---\ntitle: Жаңалық\nslug: mektep\n---\n\nАбзац.\n"
    assert "translationKey: mektep\n" in fmt.write(fake_variant(fmt.read(text, language="kk")))


def test_model_output_cannot_inject_markdown(fmt):
    article = fmt.read("Абзац *екпін* бар.\n", language="kk")
    variant = fake_variant(article)
    block = variant.blocks[0]
    block.text = "# [x](http://evil) `c` <b>bold</b> **Астана** & 1. ~~"
    block.inline = [InlineCode(1, "em", 0, 1, meta={"open": "*", "close": "*"})]
    again = fmt.read(fmt.write(variant), language="ru")
    assert again.blocks[0].text == block.text
    assert [(c.tag, c.start, c.end) for c in again.blocks[0].inline] == [("em", 0, 1)]
    for text in ("2019. жыл", "- тізім емес", "> дәйексөз емес", "+ 1"):
        block.text, block.inline = text, []
        again = fmt.read(fmt.write(variant), language="ru")
        assert (again.blocks[0].role, again.blocks[0].text) == ("paragraph", text)


def test_markdown_without_front_matter_takes_first_h1_as_headline(fmt):
    article = fmt.read("# Басты тақырып\n\n## Бөлім\n\nАбзац.\n", language="kk")
    assert [b.role for b in article.blocks] == ["headline", "heading", "paragraph"]


def test_broken_front_matter_reports_position(fmt):
    with pytest.raises(FormatError) as err:
        fmt.read("---\ntitle: ok\ntags: [a, b\n---\n\nАбзац.\n", source="x.md")
    assert err.value.line is not None and err.value.line >= 3 and err.value.column is not None
    assert "x.md" in str(err.value) and err.value.exit_code == 3
    with pytest.raises(FormatError) as err:
        fmt.read("---\ntitle: ok\n\nАбзац.\n")
    assert err.value.line == 1
    with pytest.raises(FormatError):
        fmt.read("---\n- a list\n---\nАбзац.\n")


def test_pipeline_translates_markdown_with_pseudo_backend(fmt, source_text):
    importlib.import_module("kztranslate.segmentation")
    importlib.import_module("kztranslate.inline")
    from kztranslate.pipeline import Translator

    source = fmt.read(source_text)
    variants = Translator(backend="pseudo").translate(source, ["ru", "en"])
    for language, variant in variants.items():
        out = fmt.write(variant)
        again = fmt.read(out)
        assert again.language == language
        assert [b.role for b in again.blocks] == [b.role for b in source.blocks]
        for old, new in zip(source.blocks, again.blocks):
            assert [(c.tag, c.attrs) for c in new.inline] == [(c.tag, c.attrs) for c in old.inline]
        assert f"lang: {language}\n" in out and "translationKey:" in out


_ALPHABET = "аәқңөұүһі Астана«»—*_[]`<>#-1.\\&~!()\"'"
_MARKUP = {
    "em": ({}, {"open": "*", "close": "*"}),
    "strong": ({}, {"open": "__", "close": "__"}),
    "s": ({}, {"open": "~~", "close": "~~"}),
    "a": ({"href": "https://example.kz/а"}, {"open": "[", "close": "](https://example.kz/а)"}),
}


@st.composite
def _marked_text(draw):
    text = draw(st.text(alphabet=_ALPHABET, min_size=1, max_size=40)).strip() or "а"
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, len(text)))
    tag = draw(st.sampled_from(sorted(_MARKUP)))
    attrs, meta = _MARKUP[tag]
    return text, InlineCode(1, tag, start, end, dict(attrs), dict(meta))


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(_marked_text())
def test_any_model_text_and_code_placement_reads_back(fmt, case):
    text, code = case
    variant = fake_variant(fmt.read("Абзац *екпін* бар.\n", language="kk"))
    variant.blocks[0].text, variant.blocks[0].inline = text, [code]
    out = fmt.write(variant)
    (block,) = fmt.read(out, language="ru").blocks
    assert block.text == text, out
    marked = text[code.start:code.end]
    if marked.strip() or code.tag == "a":  # Markdown cannot express emphasis over nothing
        (got,) = block.inline
        assert got.tag == code.tag and got.attrs == code.attrs, out
        assert block.text[got.start:got.end].strip() == marked.strip(), out
    else:
        assert block.inline == [], out


def test_reference_links_resolve_and_survive_translation(fmt):
    text = "Бүгін [жаңа мектеп][m] ашылды.\n\n[m]: https://example.kz/мектеп \"Мектеп\"\n"
    source = fmt.read(text, language="kk")
    assert fmt.write(source) == text
    (block,) = source.blocks
    assert block.text == "Бүгін жаңа мектеп ашылды."
    assert [(c.tag, c.attrs) for c in block.inline] == [("a", {"href": "https://example.kz/мектеп", "title": "Мектеп"})]
    out = fmt.write(fake_variant(source))
    assert "[m]: https://example.kz/мектеп" in out
    (again,) = fmt.read(out, language="ru").blocks
    assert again.text == "RU БҮГІН ЖАҢА МЕКТЕП АШЫЛДЫ."
    assert [(c.tag, c.attrs) for c in again.inline] == [(c.tag, c.attrs) for c in block.inline]


def test_variants_share_one_translation_key(fmt, source_text):
    source = fmt.read(source_text)
    keys = {
        next(line for line in fmt.write(fake_variant(source, lang)).splitlines() if line.startswith("translationKey:"))
        for lang in ("ru", "en", "kk-Latn")
    }
    assert len(keys) == 1


# -- TOML front matter, site-generator syntax --------------------------------------------------------------
TOML_PAGE = """+++
# a comment stays
title = 'Астана жаңалықтары'
description = "Қысқаша \\"сипаттама\\""
tags = [
  "саясат",   # trailing comment
  'экономика',
]
weight = 10
date = 2024-03-08T08:18:11+05:00

[params]
subtitle = "not a top-level key"
+++

# Тақырып {#main-title}

- [ ] {{< icon "check" >}} Бірінші тапсырма
- [x] Екінші тапсырма

> [!NOTE]
> Ескерту мәтіні.

Толығырақ [мына жерде]({{< relref "news/index.md" >}}) және {{% include "x.md" %}} бар.
"""


def test_toml_front_matter_values_are_rewritten_in_place(fmt):
    import tomllib

    article = fmt.read(TOML_PAGE)
    assert fmt.write(article) == TOML_PAGE
    assert article.headline == "Астана жаңалықтары" and article.published.isoformat() == "2024-03-08T08:18:11+05:00"
    out = fmt.write(fake_variant(article))
    front = out.split("+++")[1]
    values = tomllib.loads(front)
    assert values["title"] == "RU АСТАНА ЖАҢАЛЫҚТАРЫ" and values["description"] == 'RU ҚЫСҚАША "СИПАТТАМА"'
    assert values["tags"] == ["RU САЯСАТ", "RU ЭКОНОМИКА"] and values["params"] == {"subtitle": "not a top-level key"}
    assert values["lang"] == "ru" and values["translationKey"]
    assert "title = 'RU АСТАНА ЖАҢАЛЫҚТАРЫ'" in front  # a literal string stays literal
    for kept in ("# a comment stays", "  \"RU САЯСАТ\",   # trailing comment", "weight = 10",
                 "date = 2024-03-08T08:18:11+05:00", '[params]\nsubtitle = "not a top-level key"'):
        assert kept in front
    assert front.index("translationKey") < front.index("[params]")  # top-level keys go before the first table


def test_site_syntax_stays_out_of_the_text_and_unescaped(fmt):
    article = fmt.read(TOML_PAGE)
    body = [b for b in article.blocks if "front_matter" not in b.meta]
    assert [b.text for b in body] == ["Тақырып", "Бірінші тапсырма", "Екінші тапсырма", "Ескерту мәтіні.",
                                      "Толығырақ мына жерде және  бар."]
    out = fmt.write(fake_variant(article))
    for kept in ("# RU ТАҚЫРЫП {#main-title}\n", "- [ ] {{< icon \"check\" >}} RU БІРІНШІ ТАПСЫРМА\n",
                 "- [x] RU ЕКІНШІ ТАПСЫРМА\n", "> [!NOTE]\n> RU ЕСКЕРТУ МӘТІНІ.\n",
                 '[МЫНА ЖЕРДЕ]({{< relref "news/index.md" >}}) ЖӘНЕ {{% include "x.md" %}} БАР.'):
        assert kept in out


def test_a_link_to_a_template_in_angle_brackets_keeps_them(fmt):
    text = "Мына [бастапқы код](<{{% eturl disqus %}}>) бар.\n"
    article = fmt.read(text, language="kk")
    assert article.blocks[0].inline[0].attrs["href"] == "{{% eturl disqus %}}"
    assert "](<{{% eturl disqus %}}>)" in fmt.write(fake_variant(article))


def test_a_code_holding_shortcode_block_is_kept_as_written(fmt):
    text = "Мәтін.\n\n{{< highlight go >}}\nfunc main() {\n  fmt.Println(\"*x*\")\n}\n{{< /highlight >}}\n\nСоңы.\n"
    article = fmt.read(text, language="kk")
    assert [b.translatable for b in article.blocks] == [True, False, True]
    assert article.blocks[1].text.startswith("{{< highlight go >}}\nfunc main()")
    out = fmt.write(fake_variant(article))
    assert '{{< highlight go >}}\nfunc main() {\n  fmt.Println("*x*")\n}\n{{< /highlight >}}' in out


@pytest.mark.parametrize("front,position", [
    ("+++\ntitle = \"x\"\ndate = 2024-13-02\n+++\n", (3, None)),
    ("+++\ntitle = \"x\n+++\n", (2, None)),
    ("---\ntitle: x\ndate: 2024-13-02\n---\n", (3, 7)),
])
def test_broken_front_matter_values_are_format_errors_with_a_position(fmt, front, position):
    with pytest.raises(FormatError) as raised:
        fmt.read(front + "\nМәтін.\n", source="page.md")
    assert raised.value.line == position[0]
    if position[1] is not None:
        assert raised.value.column == position[1]


@pytest.mark.parametrize("line", ["{{" * 20000, "{%" * 20000, "{{< x %}}" * 5000, "x" + " " * 100000 + "y {{< a >}}"])
def test_long_lines_of_template_openers_read_in_linear_time(fmt, line):
    import time

    started = time.monotonic()
    article = fmt.read("# Тақырып\n\n" + line + "\n\n{{< highlight go >}}\n" * 2000, language="kk")
    assert time.monotonic() - started < 10  # a scan from every "{{" took minutes here
    assert fmt.write(article).startswith("# Тақырып\n\n" + line[:100])
