"""Invariants over real ninjs items (IPTC's examples of ninjs 1.x, 2.x and 3.x, ``ninjs/SOURCES``), one test
per file × invariant, through the real command line (pseudo backend) and a backend that records what
reaches the model."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import kztranslate as kzt
from conftest import corpus_files, file_ids
from kztranslate.formats._jsontext import parse_date

ITEMS = corpus_files("ninjs", "*.json")
#: Fields a variant changes on purpose: its language, its identity, its link to the original.
IDENTITY = ("language", "uri", "guid", "translated_from", "translation_id", "altIds", "altids")
COUNT = re.compile(r"^(char|word)count$", re.I)
HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_KEYS = re.compile(r"^(?:headline(?:_\w+)?|description_\w+|body_\w+|by|byline|located)$")


def text_fields(item: Any, path: tuple = ()) -> Iterator[tuple[tuple, str, str]]:
    """Every text-bearing value of an item: (path, kind, value), kind ``text``, ``html`` or ``kept`` (a
    body or description of a type kztranslate keeps verbatim: XML, NITF, unknown)."""
    if isinstance(item, dict):
        for key, value in item.items():
            here = (*path, key)
            if isinstance(value, str) and TEXT_KEYS.match(key):
                suffix = key.rsplit("_", 1)[-1].lower() if "_" in key else ""
                if suffix in ("html", "xhtml"):
                    yield here, "html", value
                elif key.startswith(("body_", "description_")) and value.lstrip().startswith("<"):
                    yield here, "kept", value
                else:
                    yield here, "text", value
            elif key in ("headlines", "descriptions", "bodies") and isinstance(value, list):
                for n, entry in enumerate(value):
                    if isinstance(entry, dict) and isinstance(entry.get("value"), str):
                        content_type = str(entry.get("contentType") or entry.get("contenttype") or "text/plain")
                        kind = "html" if content_type.startswith(HTML_TYPES) else \
                            "text" if content_type.startswith("text/plain") else "kept"
                        yield (*here, n, "value"), kind, entry["value"]
            elif key == "associations":
                entries = value.items() if isinstance(value, dict) else \
                    enumerate(value) if isinstance(value, list) else ()
                for name, entry in entries:
                    yield from text_fields(entry, (*here, name))


def at(item: Any, path: tuple) -> Any:
    for step in path:
        item = item[step]
    return item


def strip_text(item: Any, paths: set[tuple], path: tuple = ()) -> Any:
    """The item without its text values, counts, identity and links: what must stay as it was."""
    if isinstance(item, dict):
        return {k: strip_text(v, paths, (*path, k)) for k, v in item.items()
                if not COUNT.match(k) and not (not path and k in IDENTITY) and (*path, k) not in paths
                and not (path == ("associations",) and k == "original")}
    if isinstance(item, list):
        kept = [strip_text(v, paths, (*path, n)) for n, v in enumerate(item) if (*path, n) not in paths]
        if path == ("associations",):  # a ninjs 3 variant links to its original as an association
            kept = [v for v in kept if not (isinstance(v, dict) and v.get("name") == "original")]
        return kept
    return item


def visible_text(html: str) -> str:
    import lxml.html

    if re.match(r"\s*<(!doctype|html)", html, re.I):
        root = lxml.html.document_fromstring(html)
    else:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in root.iter("script", "style"):
        element.text = ""
    return " ".join(root.text_content().split())


@pytest.mark.parametrize("path", ITEMS, ids=file_ids(ITEMS))
def test_round_trip_gives_the_same_bytes(path: Path):
    data = path.read_bytes()
    article = kzt.read(path)
    assert kzt.formats.get_format("ninjs").write(article).encode("utf-8") == data


@pytest.mark.parametrize("path", ITEMS, ids=file_ids(ITEMS))
def test_every_field_but_the_text_is_kept_in_every_variant(path: Path, cli_variants):
    run = cli_variants(path)
    assert run.returncode in (0, 6), run.stderr
    assert len(run.variants) == 2
    source = json.loads(path.read_bytes())
    texts = {p for p, kind, _ in text_fields(source) if kind != "kept"}
    for language, data in run.variants.items():
        variant = json.loads(data)
        kept = strip_text(variant, texts)
        if kept.get("associations") == [] and "associations" not in source:
            del kept["associations"]  # it only held the link to the original
        assert kept == strip_text(source, texts), language
        for field_path, kind, value in text_fields(source):
            if kind == "kept":  # XML, NITF and unknown content types: byte for byte
                assert at(variant, field_path) == value, field_path
            if kind == "html":  # markup stays markup: no doctype or wrapper the source did not have
                produced = at(variant, field_path)
                doctype = value.lstrip().lower().startswith("<!doctype")
                assert produced.lstrip().lower().startswith("<!doctype") == doctype
                assert produced.lstrip()[:1] == value.lstrip()[:1]
                assert markup(produced) == markup(value), field_path


def markup(html: str) -> list[tuple]:
    """Elements with their attributes (text-bearing ones aside), in order."""
    import lxml.html

    document = re.match(r"\s*<(!doctype|html)", html, re.I)
    root = lxml.html.document_fromstring(html) if document else lxml.html.fragment_fromstring(html, create_parent="div")
    return [(e.tag, sorted((k, v) for k, v in e.attrib.items() if k not in ("alt", "title", "aria-label", "lang")))
            for e in root.iter() if isinstance(e.tag, str)]


SWEDISH_READ_AS_KAZAKH_LATIN = pytest.mark.xfail(
    reason="Swedish text given as --from en: sentence language identification takes 'Militärövning i jätteformat "
           "hålls 2023' (ä, ö) for Kazakh in Latin letters and keeps it verbatim in the kk variant", strict=True)
TRANSLATED_MARKS = {"iptc-2.1-tt-text-image.json": SWEDISH_READ_AS_KAZAKH_LATIN,
                    "iptc-3.0-tt-text-image.json": SWEDISH_READ_AS_KAZAKH_LATIN}


@pytest.mark.parametrize("path", [pytest.param(p, marks=TRANSLATED_MARKS.get(p.name, ()), id=p.name) for p in ITEMS])
def test_every_text_field_is_translated(path: Path, cli_variants):
    run = cli_variants(path)
    source = json.loads(path.read_bytes())
    fields = [(p, kind, v) for p, kind, v in text_fields(source) if kind != "kept" and any(c.isalpha() for c in v)
              and p[-1] not in ("by", "byline")]  # names are transliterated (or kept), not translated
    for language, data in run.variants.items():
        variant = json.loads(data)
        for field_path, kind, value in fields:
            produced = at(variant, field_path)
            if kind == "html":
                assert visible_text(produced) != visible_text(value) or not any(
                    c.isalpha() for c in visible_text(value)), (language, field_path)
            else:
                assert produced != value, (language, field_path)


@pytest.mark.parametrize("path", ITEMS, ids=file_ids(ITEMS))
def test_counts_are_recounted_or_removed(path: Path, cli_variants):
    run = cli_variants(path)
    source = json.loads(path.read_bytes())

    def counted(item: Any, where: tuple = ()) -> Iterator[tuple[tuple, str, Any]]:
        if isinstance(item, dict):
            for key, value in item.items():
                if COUNT.match(key):
                    yield where, key, value
                else:
                    yield from counted(value, (*where, key))
        elif isinstance(item, list):
            for n, value in enumerate(item):
                yield from counted(value, (*where, n))

    for language, data in run.variants.items():
        variant = json.loads(data)
        for where, key, value in counted(variant):
            holder = at(variant, where)
            text = holder.get("value") if isinstance(holder.get("value"), str) else None
            before = at(source, where)
            if text is None or before.get("value") == text:
                assert value == before.get(key), (language, where, key)  # nothing changed: kept
            else:  # the value changed: the count is the new value's
                measure = len(text) if key.lower().startswith("char") else len(text.split())
                assert value == measure, (language, where, key)


@pytest.mark.parametrize("path", ITEMS, ids=file_ids(ITEMS))
def test_dates_are_found_and_never_sent_to_the_model(path: Path, model_inputs):
    article, _variants, sent = model_inputs(path)
    source = json.loads(path.read_bytes())
    stated = [source.get(k) for k in ("firstcreated", "firstCreated", "versioncreated", "versionCreated")
              if isinstance(source.get(k), str)]
    if stated:
        assert article.published is not None
        assert article.published == parse_date(stated[0])
    joined = "\n".join(sent)
    for value in re.findall(r'"(?:first|version|content)[cC]reated"\s*:\s*"([^"]+)"', path.read_text("utf-8")):
        assert value not in joined and value[:10] not in joined


@pytest.mark.parametrize("path", ITEMS, ids=file_ids(ITEMS))
def test_uris_and_kept_bodies_never_reach_the_model(path: Path, model_inputs):
    _, _, sent = model_inputs(path)
    source = json.loads(path.read_bytes())
    joined = "\n".join(sent)
    uris = set(re.findall(r'"(?:uri|href|url)"\s*:\s*"([^"]+)"', path.read_text("utf-8")))
    assert not {u for u in uris if u in joined}
    for _, kind, value in text_fields(source):
        if kind == "kept":
            assert value[:80] not in joined
    assert "://" not in joined
