"""schema.org NewsArticle JSON-LD: reader, writer, translation links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _format_variants import fake_variant
from kztranslate.errors import FormatError
from kztranslate.formats.jsonld import JsonLdFormat, to_jsonld
from kztranslate.formats.markdown import MarkdownFormat

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def fmt() -> JsonLdFormat:
    return JsonLdFormat()


def _text(name: str) -> str:
    return (FIXTURES / "jsonld" / name).read_text(encoding="utf-8")


def test_round_trip_is_byte_identical(fmt):
    assert fmt.write(fmt.read(_text("article.kk.jsonld"))) == _text("article.kk.jsonld")


def test_reader_fields(fmt):
    article = fmt.read(_text("article.kk.jsonld"))
    assert article.language == "kk" and article.source == "https://kaznews.example/kk/news/school"
    assert [b.role for b in article.blocks] == ["headline", "subheadline", "byline", "paragraph", "paragraph"]
    assert article.byline == ["Әсел Нұрланқызы"]


def test_variant_matches_expected_fixture_and_links_original(fmt):
    variant = fake_variant(fmt.read(_text("article.kk.jsonld")))
    out = fmt.write(variant)
    assert out == _text("article.ru.jsonld")
    node = json.loads(out)
    assert node["translationOfWork"] == {"@id": "https://kaznews.example/kk/news/school"}
    assert node["@id"] != "https://kaznews.example/kk/news/school" and "url" not in node
    assert node["inLanguage"] == "ru" and node["author"][0]["url"] == "https://kaznews.example/authors/asel"
    assert node["publisher"] == {"@type": "Organization", "name": "KazNews"}
    assert fmt.read(out).language == "ru"


def test_source_lists_its_translations(fmt):
    source = fmt.read(_text("article.kk.jsonld"))
    node = to_jsonld(source, translations=[fake_variant(source, "ru"), fake_variant(source, "en")])
    assert [t["inLanguage"] for t in node["workTranslation"]] == ["ru", "en"]
    variant_ids = {json.loads(fmt.write(fake_variant(source, lang)))["@id"] for lang in ("ru", "en")}
    assert {t["@id"] for t in node["workTranslation"]} == variant_ids


def test_written_for_an_article_from_another_format(fmt):
    text = (FIXTURES / "markdown" / "article.kk.md").read_text(encoding="utf-8")
    source = MarkdownFormat().read(text)
    source.source = "https://kaznews.example/kk/school"
    node = json.loads(fmt.write(fake_variant(source)))
    assert node["@context"] == "https://schema.org" and node["@type"] == "NewsArticle"
    assert node["headline"] == "RU АСТАНАДА ЖАҢА МЕКТЕП АШЫЛДЫ" and node["inLanguage"] == "ru"
    assert node["datePublished"] == "2019-11-27T10:03:00+06:00"
    assert node["author"] == [{"@type": "Person", "name": "Asel Nurlankyzy"}]
    assert node["translationOfWork"] == {"@id": "https://kaznews.example/kk/school"}
    assert "код аударылмайды" not in node["articleBody"]
    assert node["articleBody"].split("\n\n")[0] == "RU АСТАНАДА ЖАҢА МЕКТЕП АШЫЛДЫ"


def test_graph_and_errors(fmt):
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "KazNews"},
        {"@type": "NewsArticle", "headline": "Жаңалық", "inLanguage": "kk", "articleBody": "Мәтін."},
    ]}
    article = fmt.read(json.dumps(graph, ensure_ascii=False))
    assert article.headline == "Жаңалық" and article.blocks[-1].text == "Мәтін."
    with pytest.raises(FormatError) as err:
        fmt.read('{"@context": "https://schema.org", "@type": "Person", "name": "x"}')
    assert err.value.line == 1
    with pytest.raises(FormatError) as err:
        fmt.read('{\n"@context": "https://schema.org"\n"@type": "NewsArticle"}')
    assert err.value.line == 3


def test_a_translation_written_again_keeps_its_id_and_link():
    fmt = JsonLdFormat()
    original = fmt.read('{"@context": "https://schema.org", "@type": "NewsArticle", "@id": "https://x.kz/a", '
                        '"inLanguage": "kk", "headline": "Жаңалық"}')
    first = json.loads(fmt.write(fake_variant(original, "ru")))
    again = json.loads(fmt.write(fake_variant(fmt.read(json.dumps(first, ensure_ascii=False)), "ru")))
    assert first["@id"] == again["@id"] == "https://x.kz/a#ru"
    assert first["translationOfWork"] == again["translationOfWork"] == {"@id": "https://x.kz/a"}


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*/*.jsonld")), ids=lambda p: p.name)
def test_read_then_write_gives_the_same_bytes(fmt, path):
    text = path.read_text(encoding="utf-8")
    assert fmt.write(fmt.read(text)) == text
