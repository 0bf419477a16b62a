"""The document JSON format: unknown fields, links and numbers of the source survive into every variant."""

from __future__ import annotations

import json

import kztranslate as kzt
from kztranslate.formats import get_format

FMT = get_format("json")

# Our own sample document, as a CMS would send it: its own top-level and block fields, a link.
DOCUMENT = {
    "language": "kk",
    "id": "baq-123",
    "category": {"name": "Қоғам", "slug": "qogam"},
    "blocks": [
        {"role": "headline", "text": "Алматыда жаңа мектеп ашылды", "id": "h1"},
        {"role": "dateline", "text": "27 Қараша 2019, 10:03", "published": "2019-11-27T10:03:00"},
        {"role": "counter", "text": "3 457", "views": 3457},
        {"role": "paragraph", "text": "Қалада 600 орындық мектеп ашылды.", "x-cms": {"weight": 3},
         "inline": [{"id": 1, "tag": "a", "start": 0, "end": 6, "attrs": {"href": "https://almaty.kz/ә?q=1"}}]},
        {"role": "byline", "text": "Нұргүл Қалиева", "names": ["Нұргүл Қалиева"]},
        {"role": "share", "text": "Бөлісу:"},
    ],
    "meta": {"cms": {"id": 42}},
}


def test_unknown_fields_round_trip():
    article = FMT.read(json.dumps(DOCUMENT, ensure_ascii=False))
    again = json.loads(FMT.write(article))
    for key in ("id", "category", "meta", "language"):
        assert again[key] == DOCUMENT[key]
    assert again["blocks"] == DOCUMENT["blocks"]


def test_every_field_link_and_number_survives_into_every_variant():
    article = FMT.read(json.dumps(DOCUMENT, ensure_ascii=False))
    for language, variant in kzt.Translator("pseudo").translate(article, to=["ru", "en", "kk-Latn"]).items():
        data = json.loads(FMT.write(variant))
        assert data["id"] == "baq-123" and data["category"] == DOCUMENT["category"], language
        assert data["meta"] == DOCUMENT["meta"]
        blocks = data["blocks"]
        assert [b["role"] for b in blocks] == [b["role"] for b in DOCUMENT["blocks"]]
        assert blocks[0]["id"] == "h1" and blocks[3]["x-cms"] == {"weight": 3}
        assert blocks[1]["published"] == "2019-11-27T10:03:00" and blocks[2]["views"] == 3457
        assert "600" in blocks[3]["text"]
        link = blocks[3]["inline"][0]
        assert link["attrs"] == {"href": "https://almaty.kz/ә?q=1"}
        assert 0 <= link["start"] < link["end"] <= len(blocks[3]["text"])


def test_a_document_kztranslate_wrote_reads_back_to_the_same_bytes_and_any_other_to_the_same_json():
    written = FMT.write(FMT.read(json.dumps(DOCUMENT, ensure_ascii=False, separators=(",", ":"))))
    assert FMT.write(FMT.read(written)) == written  # our own layout: byte for byte
    assert json.loads(written)["blocks"] == DOCUMENT["blocks"]  # another layout: the same JSON
