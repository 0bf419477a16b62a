"""IPTC ninjs 1.x/2.x/3.x: byte-identical round trip, variants linked to their original."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from _format_variants import fake_variant
from kztranslate.errors import FormatError
from kztranslate.formats.ninjs import NinjsFormat

FIXTURES = Path(__file__).parent / "fixtures" / "ninjs"


@pytest.fixture(scope="module")
def fmt() -> NinjsFormat:
    return NinjsFormat()


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["superdesk.kk.json", "ninjs3.kk.json"])
def test_round_trip_is_byte_identical(fmt, name):
    assert fmt.write(fmt.read(_text(name))) == _text(name)


@pytest.mark.parametrize("name", ["superdesk", "ninjs3"])
def test_variant_matches_expected_fixture(fmt, name):
    variant = fake_variant(fmt.read(_text(f"{name}.kk.json")))
    assert fmt.write(variant) == _text(f"{name}.ru.json")


def test_superdesk_fields_and_link_back(fmt):
    source = fmt.read(_text("superdesk.kk.json"))
    assert [b.role for b in source.blocks] == ["headline", "subheadline", "byline", "other", "paragraph", "paragraph"]
    assert source.language == "kk" and source.published.isoformat() == "2019-11-27T10:03:00+06:00"
    assert source.byline == ["Әсел Нұрланқызы"]
    original = json.loads(_text("superdesk.kk.json"))
    out = json.loads(fmt.write(fake_variant(source)))
    assert out["guid"] != original["guid"] and out["guid"].startswith("urn:uuid:")
    assert out["translated_from"] == original["guid"] and out["translation_id"] == original["guid"]
    assert out["language"] == "ru"
    assert list(out)[: len(original)] == list(original)  # unknown fields kept, in order
    assert out["subject"] == original["subject"] and out["service"] == original["service"]
    assert out["body_text"].split("\n\n")[1].startswith("RU ")
    # a second translation shares translation_id and gets its own guid
    english = json.loads(fmt.write(fake_variant(source, "en")))
    assert english["translation_id"] == out["translation_id"] and english["guid"] != out["guid"]


def test_ninjs3_links_with_alt_ids_and_associations_only(fmt):
    original = json.loads(_text("ninjs3.kk.json"))
    out = json.loads(fmt.write(fake_variant(fmt.read(_text("ninjs3.kk.json")))))
    assert "translated_from" not in out and "translation_id" not in out  # not allowed by the 3.x schema
    assert out["altIds"][0] == original["altIds"][0]
    assert out["altIds"][-1] == {"role": "translated-from", "value": original["uri"]}
    assert out["associations"] == [{"name": "original", "uri": original["uri"], "language": "kk"}]
    assert out["uri"] != original["uri"]
    assert [h["role"] for h in out["headlines"]] == ["main", "short"]


def test_ninjs2_lowercase_lists(fmt):
    item = {
        "uri": "urn:x:1", "type": "text", "language": "kk", "versioncreated": "2019-11-27T10:03:00Z",
        "headlines": [{"role": "main", "value": "Жаңа мектеп"}],
        "descriptions": [{"role": "summary", "contenttype": "text/plain", "value": "Қысқаша."}],
        "bodies": [{"role": "main", "contenttype": "text/plain", "value": "Бір.\n\nЕкі."}],
        "by": "Әсел", "x-custom": {"keep": [1, 2]},
    }
    text = json.dumps(item, ensure_ascii=False, indent=4) + "\n"
    article = fmt.read(text)
    assert [b.role for b in article.blocks] == ["headline", "subheadline", "paragraph", "paragraph", "byline"]
    assert fmt.write(article) == text
    out = json.loads(fmt.write(fake_variant(article)))
    assert out["bodies"][0]["value"] == "RU БІР.\n\nRU ЕКІ." and out["x-custom"] == {"keep": [1, 2]}
    assert out["translated_from"] == "urn:x:1"


def test_ascii_escaped_source_keeps_its_escaping(fmt):
    text = json.dumps({"uri": "u", "headline": "Астана", "language": "kk"}) + "\n"
    assert fmt.write(fmt.read(text)) == text


def test_invalid_json_reports_position(fmt):
    with pytest.raises(FormatError) as err:
        fmt.read('{\n  "uri": "u",\n  "headline": "x",,\n}\n', source="item.json")
    assert (err.value.line, err.value.column) == (3, 19)
    assert "item.json" in str(err.value)
    with pytest.raises(FormatError):
        fmt.read('{"headline": "uri-less"}')


def test_sniff(fmt):
    assert fmt.sniff(_text("superdesk.kk.json")) and fmt.sniff(_text("ninjs3.kk.json"))
    assert not fmt.sniff('{"language": "kk", "blocks": []}')
    assert not fmt.sniff('{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "x", "uri": "u"}')


def test_body_html_goes_through_the_html_format(fmt):
    importlib.import_module("kztranslate.formats.html")
    from kztranslate.formats import get_format

    text = _text("body_html.kk.json")
    source = fmt.read(text)
    body = [b for b in source.blocks if b.meta["ninjs"]["path"] == ["body_html"]]
    assert [b.text for b in body] == ["Бүгін Астана қаласында жаңа мектеп ашылды.", "Мектеп 1200 оқушыға арналған."]
    assert [c.tag for c in body[0].inline] == ["b", "a"]
    assert json.loads(fmt.write(source)) == json.loads(text)
    out = json.loads(fmt.write(fake_variant(source)))
    again = get_format("html").read(out["body_html"], language="ru")
    assert [b.text for b in again.blocks] == ["RU " + b.text.upper() for b in body]
    assert [[(c.tag, c.attrs) for c in b.inline] for b in again.blocks] == \
        [[(c.tag, c.attrs) for c in b.inline] for b in body]


def test_a_translation_says_its_language_even_when_the_original_did_not(fmt):
    item = {"uri": "urn:x:1", "type": "text", "headline": "Астанада жаңа мектеп ашылды"}
    article = fmt.read(json.dumps(item, ensure_ascii=False), language="kk")
    assert "language" not in json.loads(fmt.write(article))  # an untouched item stays as it was
    variant = json.loads(fmt.write(fake_variant(article, "ru")))
    assert variant["language"] == "ru" and variant["translated_from"] == "urn:x:1"


def test_a_translation_written_again_keeps_its_identity_and_link(fmt):
    original = fmt.read(json.dumps({"uri": "urn:x:1", "language": "kk", "headline": "Жаңалық"}, ensure_ascii=False))
    first = fmt.write(fake_variant(original, "ru"))
    again = fake_variant(fmt.read(first), "ru")  # e.g. a post-edit merged into the translation
    assert json.loads(fmt.write(again)) == json.loads(first) | {"headline": again.blocks[0].text}


def test_every_text_field_is_translated_by_its_kind_and_counts_never_go_stale():
    """description_html and body_xhtml as markup, association captions recursively, an XML body kept,
    no doctype added to an HTML body, charCount recounted (or removed when the source counted otherwise)."""
    import kztranslate as kzt
    from kztranslate.formats import get_format

    item = {
        "uri": "urn:newsml:baq.kz:2024:1", "type": "text", "language": "kk",
        "versionCreated": "2024-05-14T09:30:00+05:00",
        "headlines": [{"role": "main", "value": "Астанада жаңа мектеп ашылды"}],
        "description_html": "<p>Мектеп <b>1200</b> орынға арналған.</p>",
        "body_xhtml": "<div><p>Бірінші абзац.</p><p>Екінші абзац.</p></div>",
        "bodies": [
            {"role": "main", "contentType": "text/plain", "charCount": 14, "value": "Бірінші абзац."},
            {"role": "html", "contentType": "text/html", "charCount": 999, "value": "<p>Бірінші абзац.</p>"},
            {"role": "nitf", "contentType": "application/xml", "charCount": 24, "value": "<nitf><p>Мәтін</p></nitf>"},
        ],
        "associations": [{"name": "photo", "type": "picture", "uri": "urn:photo:1",
                          "headlines": [{"value": "Мектеп ғимараты"}],
                          "descriptions": [{"role": "caption", "value": "Жаңа мектеп ғимараты, Астана."}],
                          "associations": [{"name": "credit", "uri": "urn:x",
                                            "headlines": [{"value": "Сурет авторы"}]}]}],
    }
    fmt = get_format("ninjs")
    text = json.dumps(item, ensure_ascii=False, indent=2)
    article = fmt.read(text)
    assert fmt.write(article) == text
    variant = json.loads(fmt.write(kzt.Translator("pseudo").translate(article, to=["ru"])["ru"]))
    # markup stays markup; a fragment's top elements say their language
    assert variant["description_html"].startswith('<p lang="ru">⟦ru⟧') and "<b>1200</b>" in variant["description_html"]
    assert variant["body_xhtml"].startswith('<div lang="ru"><p>⟦ru⟧')
    plain, html, xml = variant["bodies"]
    assert plain["value"].startswith("⟦ru⟧") and plain["charCount"] == len(plain["value"])
    assert html["value"].startswith('<p lang="ru">⟦ru⟧') and "charCount" not in html  # 999 was not our count
    assert xml == item["bodies"][2]
    photo = variant["associations"][0]
    assert photo["headlines"][0]["value"].startswith("⟦ru⟧") and photo["descriptions"][0]["value"].startswith("⟦ru⟧")
    assert photo["associations"][0]["headlines"][0]["value"].startswith("⟦ru⟧")
    assert variant["versionCreated"] == item["versionCreated"]
