"""Invariants over saved pages of real news sites (``html/SOURCES``), one test per file × invariant.

Variants are made by the real command line with the pseudo backend (``cli_variants``); what reaches
the model is seen through a recording backend (``model_inputs``). Pages are compared as a browser
reads them: html5lib, given the bytes and no encoding.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from pathlib import Path

import pytest

import kztranslate as kzt
from conftest import corpus_files, file_ids
from kztranslate.formats.html import BLOCK_LEVEL, UNTOUCHED

html5lib = pytest.importorskip("html5lib")

PAGES = corpus_files("html", "*.html")
NS = "{http://www.w3.org/1999/xhtml}"
TEXT_ATTRIBUTES = ("alt", "title", "aria-label")
TEXT_META = ("description", "og:title", "og:description", "twitter:title", "twitter:description",
             "og:image:alt", "twitter:image:alt")
#: JSON-LD keys whose values are text (translated) or say the language.
JSONLD_TEXT = ("headline", "description", "alternativeHeadline", "articleBody", "inLanguage", "name", "author")
KEPT_CONTEXT = set(UNTOUCHED) | {"time", "head"}
URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|/|#|\.\.?/)", re.I)


@functools.lru_cache(maxsize=64)
def parse(data: bytes | str):
    """A browser's reading of the bytes: the tree and the encoding it decided on (html5lib is slow: each
    document is parsed once; the trees are only read)."""
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=True)
    tree = parser.parse(data)
    return tree, parser.documentEncoding


def tag(element) -> str:
    return element.tag.replace(NS, "") if isinstance(element.tag, str) else ""


def elements(tree):
    return [e for e in tree.iter() if isinstance(e.tag, str) and e.tag.startswith(NS)]


def comments(tree) -> Counter:
    return Counter(e.text for e in tree.iter() if not (isinstance(e.tag, str) and e.tag.startswith(NS))
                   and e.text is not None and "Comment" in str(e.tag))


def ld_json(text: str):
    try:
        data = json.loads(text)
    except ValueError:
        return text

    def mask(value):
        if isinstance(value, dict):
            # a variant says its language (inLanguage added or changed): not part of the skeleton
            return {k: "<text>" if k in JSONLD_TEXT else mask(v) for k, v in value.items() if k != "inLanguage"}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return value

    return json.dumps(mask(data), sort_keys=True)


def skeleton(tree, source_links: list[tuple[str, str]] | None = None, canonical: set[str] = frozenset()) -> Counter:
    """Every attribute (but the translated ones and the language), script, style and comment, counted.
    For a variant, ``source_links`` are the source's own alternate links and ``canonical`` its canonical
    URLs: the variant's canonical link names the original as an alternate (rel and hreflang change), and
    alternate links the source did not have are a variant's additions."""
    found: Counter = Counter()
    budget = Counter(source_links or ())
    for element in elements(tree):
        name = tag(element)
        attrs = dict(element.attrib)
        pair = (attrs.get("hreflang"), attrs.get("href"))
        if name == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs and source_links is not None \
                and budget[pair] > 0:
            budget[pair] -= 1  # one of the source's own alternate links
        elif name == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs and source_links is not None:
            if attrs.get("href") not in canonical:
                continue
            attrs = {k: v for k, v in attrs.items() if k != "hreflang"}
            attrs["rel"] = "<canonical>"
        if name == "link" and attrs.get("rel") == "canonical":
            attrs["rel"] = "<canonical>"
        if name == "meta" and attrs.get("charset") is not None:
            continue  # compared by the encoding invariant
        for key, value in attrs.items():
            if key in TEXT_ATTRIBUTES or key in ("lang", "{http://www.w3.org/XML/1998/namespace}lang", "xml:lang"):
                continue
            if name == "meta" and key == "content" and (attrs.get("name") or attrs.get("property") or "").lower() \
                    in TEXT_META + ("author", "article:author"):
                continue
            found[(name, key, value)] += 1
        if name in ("script", "style"):
            text = element.text or ""
            found[(name, "#text", ld_json(text) if "ld+json" in (attrs.get("type") or "") else text)] += 1
    found.update({("#comment", text): n for text, n in comments(tree).items()})
    return found


def visible_leaves(tree) -> list[tuple[str, object]]:
    """Text of the innermost block elements (what a reader reads), outside kept contexts."""
    parents = parents_of(tree)
    out = []
    for element in elements(tree):
        name = tag(element)
        if name not in BLOCK_LEVEL or name in ("html", "head", "body"):
            continue
        if any(tag(d) in BLOCK_LEVEL for d in element.iter() if d is not element):
            continue
        up, kept = element, False
        while up is not None:
            if tag(up) in KEPT_CONTEXT - {"head"} or (up.get("translate") or "").lower() == "no" or \
                    "notranslate" in (up.get("class") or "").split():
                kept = True
                break
            up = parents.get(up)
        if kept:
            continue
        text = " ".join("".join(text_outside(element, KEPT_CONTEXT - {"head"})).split())
        if any(c.isalpha() for c in text):
            out.append((text, element))
    return out


def text_outside(element, skipped):
    """The text of ``element`` and its descendants, leaving out the elements named in ``skipped``."""
    if tag(element) in skipped:
        return
    yield element.text or ""
    for child in element:
        if isinstance(child.tag, str) and child.tag.startswith(NS):
            yield from text_outside(child, skipped)
        yield child.tail or ""


#: Elements whose ``title`` is metadata (a feed's name), kept as written.
METADATA = ("link", "meta", "style", "script")


_PARENTS: dict[int, tuple[object, dict]] = {}


def parents_of(tree) -> dict:
    """child → parent for every node of ``tree`` (built once per tree)."""
    if id(tree) not in _PARENTS or _PARENTS[id(tree)][0] is not tree:
        _PARENTS[id(tree)] = (tree, {child: parent for parent in tree.iter() for child in parent})
    return _PARENTS[id(tree)][1]


def in_kept_code(element, tree) -> bool:
    """Inside code or markup of another vocabulary (``pre``, ``code``, ``svg``…) or ``translate="no"``."""
    parents = parents_of(tree)
    up = element
    while up is not None:
        if tag(up) in ("script", "style", "code", "pre", "template", "svg", "math", "textarea", "kbd", "samp", "var") \
                or (up.get("translate") or "").lower() == "no" or "notranslate" in (up.get("class") or "").split():
            return True
        up = parents.get(up)
    return False


def is_date_or_name(text: str, element) -> bool:
    """Leaves a variant may legitimately give back as they were: a dateline re-rendered into the same
    digits, a byline (names are transliterated or kept, never translated)."""
    from kztranslate.localize import parse_dateline

    found = parse_dateline(text)
    if found is not None and not any(c.isalpha() for c in text[: found.start] + text[found.end:]):
        return True
    marks = " ".join(filter(None, [element.get("class"), element.get("rel"), element.get("itemprop")]))
    return bool(re.search(r"author|byline", marks, re.I))


@pytest.mark.parametrize("path", PAGES, ids=file_ids(PAGES))
def test_round_trip_gives_the_same_bytes(path: Path):
    data = path.read_bytes()
    article = kzt.read(path)
    assert kzt.formats.get_format("html").write(article).encode("utf-8") == data


@pytest.mark.parametrize("path", PAGES, ids=file_ids(PAGES))
def test_every_url_script_style_comment_kept_in_every_variant(path: Path, cli_variants):
    run = cli_variants(path)
    assert run.returncode in (0, 6), run.stderr
    source_tree, _ = parse(path.read_bytes())
    expected = skeleton(source_tree)
    links = [(e.get("hreflang"), e.get("href")) for e in elements(source_tree)
             if tag(e) == "link" and e.get("rel") == "alternate" and e.get("hreflang")]
    canonical = {e.get("href") for e in elements(source_tree) if tag(e) == "link" and e.get("rel") == "canonical"}
    assert len(run.variants) == 2
    for language, data in run.variants.items():
        tree, _ = parse(data)
        got = skeleton(tree, links, canonical)
        missing, added = expected - got, got - expected
        assert not missing and not added, (language, list(missing.items())[:5], list(added.items())[:5])


@pytest.mark.parametrize("path", PAGES, ids=file_ids(PAGES))
def test_variants_declare_their_encoding_and_reparse_to_the_same_text(path: Path, cli_variants):
    run = cli_variants(path)
    source_tree, _ = parse(path.read_bytes())
    declared = declarations(source_tree) or {"charset"}
    for language, data in run.variants.items():
        tree, encoding = parse(data)
        assert encoding == "utf-8", (language, encoding)
        expected, _ = parse(data.decode("utf-8-sig"))  # the same text given as text, no decoding involved
        assert "".join(tree.itertext()) == "".join(expected.itertext())
        assert declarations(tree, "utf-8") >= declared, language


def declarations(tree, charset: str | None = None) -> set[str]:
    """How a page declares its encoding: ``charset`` (``<meta charset>``), ``http-equiv`` (``<meta
    http-equiv="Content-Type" content="…; charset=…">``); with ``charset``, only declarations of it."""
    found = set()
    for meta in elements(tree):
        if tag(meta) != "meta":
            continue
        if meta.get("charset") is not None and (charset is None or meta.get("charset").lower() == charset):
            found.add("charset")
        content = meta.get("content") or ""
        if (meta.get("http-equiv") or "").lower() == "content-type" and "charset" in content.lower() and \
                (charset is None or content.lower().replace(" ", "").endswith("charset=" + charset)):
            found.add("http-equiv")
    return found


@pytest.mark.parametrize("path", PAGES, ids=file_ids(PAGES))
def test_every_text_bearing_element_and_attribute_is_translated(path: Path, cli_variants):
    run = cli_variants(path)
    source_tree, _ = parse(path.read_bytes())
    leaves = {text for text, element in visible_leaves(source_tree) if not is_date_or_name(text, element)}
    body = next(e for e in elements(source_tree) if tag(e) == "body")
    attributes = {(tag(e), k, v) for e in body.iter() if isinstance(e.tag, str) and tag(e) not in METADATA
                  and not in_kept_code(e, source_tree) for k, v in e.attrib.items()
                  if k in TEXT_ATTRIBUTES and any(c.isalpha() for c in v)}
    metas = {e.get("content") for e in elements(source_tree) if tag(e) == "meta"
             and (e.get("name") or e.get("property") or "").lower() in TEXT_META and e.get("content")}
    for language, data in run.variants.items():
        tree, _ = parse(data)
        untranslated = leaves & {text for text, _ in visible_leaves(tree)}
        assert not untranslated, (language, sorted(untranslated)[:5])
        kept = attributes & {(tag(e), k, v) for e in tree.iter() if isinstance(e.tag, str) for k, v in e.attrib.items()}
        assert not kept, (language, sorted(kept)[:5])
        kept_meta = metas & {e.get("content") for e in elements(tree) if tag(e) == "meta"}
        assert not kept_meta, (language, sorted(kept_meta)[:5])


@pytest.mark.parametrize("path", PAGES, ids=file_ids(PAGES))
def test_dates_are_found_and_never_sent_to_the_model(path: Path, model_inputs):
    article, variants, sent = model_inputs(path)
    tree, _ = parse(path.read_bytes())
    stated = [e for e in elements(tree) if tag(e) == "time" and e.get("datetime")] + \
             [e for e in elements(tree) if tag(e) == "meta" and (e.get("property") or e.get("name") or "").lower()
              in ("article:published_time", "datepublished")] + \
             [e for e in elements(tree) if tag(e) == "script" and '"datePublished"' in (e.text or "")]
    if stated:
        assert article.published is not None
    assert all(v.published == article.published for v in variants.values())
    dates = {" ".join("".join(e.itertext()).split()) for e in elements(tree) if tag(e) == "time"}
    dates |= {b.text for b in article.blocks if b.role == "dateline"}
    joined = "\n".join(sent)
    # the same words may stand in ordinary text elsewhere on the page: those are sentences, sent as such
    elsewhere = " ".join(" ".join(text_outside(tree, ("time", "script", "style"))).split())
    leaked = {d for d in dates if d and any(c.isdigit() for c in d) and d in joined and d not in elsewhere}
    assert not leaked, sorted(leaked)[:5]


@pytest.mark.parametrize("path", PAGES, ids=file_ids(PAGES))
def test_urls_scripts_styles_and_comments_never_reach_the_model(path: Path, model_inputs):
    _, _, sent = model_inputs(path)
    tree, _ = parse(path.read_bytes())
    joined = "\n".join(sent)
    assert sent, "nothing was translated"
    urls = {v for e in elements(tree) for k, v in e.attrib.items()
            if k in ("href", "src", "action", "poster", "data-src") and len(v) > 12 and URL.match(v)}
    code = {" ".join((e.text or "").split())[:60] for e in elements(tree) if tag(e) in ("script", "style")}
    code |= {" ".join(text.split())[:60] for text in comments(tree)}
    leaked = {u for u in urls if u in joined} | {c for c in code if len(c) > 20 and c in joined}
    assert not leaked, sorted(leaked)[:5]
    assert "://" not in joined
