"""HTML article pages and fragments (lxml).

lxml (libxml2's HTML parser, which follows the HTML5 tokenizer) is used rather than html5lib or
``html.parser``: it keeps comments, unknown elements, ``<script>``/``<style>`` text, the doctype
and every attribute in a tree we can edit in place and serialize with correct escaping, and it
is already a dependency of the ``formats`` extra.

Reading walks the tree in document order and makes a block of each piece of translatable text:
the content of a block element that holds no other block element (``h1``…``h6``, ``p``, ``li``,
``figcaption``, ``blockquote``, table cells, ``div``…), a run of inline content beside block
elements (``<li>text<ul>…</ul></li>``), and ``<meta>`` contents (``og:title``, ``description``,
``author``). Inline elements become :class:`~kztranslate.document.InlineCode` with their attributes
exactly; ``script``, ``style``, ``code``, ``pre``, ``translate="no"``, ``class="notranslate"`` and
comments inside a block become empty codes that stand for the untouched original node, and are
never read otherwise. Whitespace in block text is collapsed as a browser shows it.

The article keeps the source (``meta["html"]["source"]``); the writer parses it again, replaces
the content of blocks whose text or markup changed (unchanged blocks keep their nodes exactly),
sets ``lang``, links a translated page to its original (its ``<link rel="canonical">``, or ``og:url``,
becomes ``<link rel="alternate" hreflang>``), and adds such links for ``meta["alternates"]``. Text
goes into the tree as text, so model output is always escaped.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from ..document import Article, Block, InlineCode
from ..errors import FormatError, UsageError
from ..langid import detect_language
from ..languages import language_or_verbatim, normalize_language
from ..markup import VOID_TAGS, Span, is_void, set_parents, tree

__all__ = ["HtmlFormat"]

#: Elements that end a run of inline content.
BLOCK_LEVEL = frozenset({
    "html", "head", "body", "address", "article", "aside", "blockquote", "caption", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "section", "summary", "table", "tbody", "td",
    "tfoot", "th", "thead", "title", "tr", "ul", "legend", "menu", "option", "optgroup", "select",
})
#: Elements whose content is never read nor changed (kept as they are inside a block).
UNTOUCHED = frozenset({"script", "style", "code", "pre", "noscript", "template", "svg", "math", "textarea",
                       "iframe", "object", "video", "audio", "canvas", "kbd", "samp", "var"})
#: Empty inline elements rebuilt from their tag and attributes.
VOID = frozenset({"br", "wbr", "img", "input", "source", "track", "embed", "area", "col", "param"})
_HEAD_ONLY = frozenset({"head", "link", "meta", "base", "script", "style", "noscript", "template"})
_WS = re.compile(r"[ \t\n\r\f]+")
_DOCUMENT = re.compile(r"\A\ufeff?\s*(?:<!--.*?-->\s*)*<(?:!doctype|html|head|body)\b", re.I | re.S)
_SNIFF = re.compile(r"<(?:!doctype\s+html|html|body|p|div|h[1-6]|article|span|a\s)[\s>]", re.I)
_SWALLOWED = re.compile(r"</[A-Za-z][\w-]*\s*>")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_META_ROLES = {
    "og:title": "headline", "twitter:title": "headline",
    "description": "subheadline", "og:description": "subheadline", "twitter:description": "subheadline",
    "og:image:alt": "caption", "twitter:image:alt": "caption",
    "author": "byline", "article:author": "byline",
}
#: Attributes whose value is text for the reader (translated); role of the block each becomes.
_TEXT_ATTRIBUTES = {"alt": "caption", "title": "other", "aria-label": "other"}
#: Deepest element nesting accepted (libxml2 silently drops what lies deeper than its own limit).
MAX_DEPTH = 512
#: Attribute values that the serializer writes back unchanged (anything else travels as a token).
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.:/#=;,+!*()@$~-]*\Z")
#: Attributes libxml2 writes minimized (``defer`` for ``defer="defer"``): their values travel as tokens.
_BOOLEAN = frozenset({"checked", "compact", "declare", "defer", "disabled", "ismap", "multiple", "nohref", "noresize",
                      "noshade", "nowrap", "readonly", "selected", "async", "autofocus", "autoplay", "controls",
                      "default", "formnovalidate", "hidden", "loop", "muted", "novalidate", "open", "required",
                      "reversed", "allowfullscreen", "itemscope", "playsinline"})
#: Where attributes stay as they are (code, markup of other vocabularies).
_ATTRIBUTES_KEPT_IN = frozenset({"script", "style", "code", "pre", "template", "svg", "math", "textarea", "kbd",
                                 "samp", "var"})
#: Classes that mark an element holding the publication date.
_DATE_CLASS = re.compile(r"(?:^|[-_])(?:date|dateline|datetime|pubdate|published|timestamp|time)(?:$|[-_])", re.I)
_DATE_META = ("article:published_time", "og:article:published_time", "datepublished", "pubdate", "date",
              "dc.date", "dc.date.issued", "dcterms.created", "publish-date", "publication_date", "sailthru.date")
_PREFIX = re.compile(r"\A\ufeff?(?:\s+|<!--.*?-->|<!doctype[^>]*>|<\?[^>]*>)*", re.I | re.S)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


@dataclass(slots=True)
class _Slot:
    """Where a block lives in the tree."""

    kind: str
    """``content`` (an element's content), ``run`` (inline nodes beside block elements) or ``attr``."""
    element: Any
    """The element (content, attr) or the parent of the run."""
    after: Any = None
    """Run: the block element the run follows (None: it starts the parent)."""
    count: int = 0
    """Run: how many child nodes it holds."""
    attr: str = ""
    """Attr: which attribute."""
    role: str = "paragraph"
    meta: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    codes: list[InlineCode] = field(default_factory=list)
    raw: list[Any] = field(default_factory=list)
    """Untouched nodes that empty codes stand for (``meta["raw"]`` indexes this)."""
    elements: list[Any] = field(default_factory=list)
    """The source node of each code (same order as ``codes``): a rebuilt element takes its attributes."""
    lead: str = ""
    trail: str = ""


class HtmlFormat:
    """Reader/writer of HTML article pages and fragments."""

    name: ClassVar[str] = "html"
    extensions: ClassVar[tuple[str, ...]] = (".html", ".htm")

    def sniff(self, text: str) -> bool:
        return bool(_SNIFF.search(text[:4096]))

    # -- reading ------------------------------------------------------------------------------
    def read(self, text: str, *, source: str | None = None, language: str | None = None) -> Article:
        root, fragment = _parse(text, source)
        slots = _slots(root)
        blocks: list[Block] = []
        for n, slot in enumerate(slots):
            if slot.kind == "jsonld":  # an article's JSON-LD: its text fields, written back into the script
                for k, block in enumerate(slot.meta["article"].blocks):
                    block.meta["html"] = {"slot": n, "jsonld": k, "tag": "script[ld+json]"}
                    blocks.append(block)
                continue
            blocks.append(Block(slot.role, slot.text, slot.codes,
                                {**slot.meta, "html": {"slot": n, "tag": _tag(slot)}}))
        tags = _language_holders(root, fragment)
        declared = next((e.get("lang") for e in tags if e.get("lang")), None)
        if language:
            found = language_or_verbatim(language)
        elif declared:
            try:
                found = normalize_language(declared)
            except UsageError:
                found = detect_language(_sample(blocks)) or ""
        else:
            found = detect_language(_sample(blocks)) or ""
        published = _published(root, blocks, slots)
        return Article(
            language=found,
            blocks=blocks,
            published=published,
            views=next((b.meta["views"] for b in blocks if b.role == "counter" and "views" in b.meta), None),
            meta={"html": {"source": text, "fragment": fragment, "language": found}},
            source=source,
        )

    # -- writing ------------------------------------------------------------------------------
    def write(self, article: Article) -> str:
        info = article.meta.get("html") or {}
        if "source" not in info:
            return _fresh_document(article)
        root, fragment = _parse(info["source"], None)
        slots = _slots(root)
        placed: list[tuple[_Slot, Block]] = []
        embedded: dict[int, list[Block]] = {}
        for block in article.blocks:
            where = (block.meta.get("html") or {}).get("slot")
            if where is None or not 0 <= where < len(slots):
                continue
            if slots[where].kind == "jsonld":
                embedded.setdefault(where, []).append(block)
            else:
                placed.append((slots[where], block))
        changed = [(slot, block) for slot, block in placed if (slot.kind == "attr" and block.text != slot.text) or
                   (slot.kind != "attr" and (block.text, [c.to_dict() for c in block.inline]) !=
                   (slot.text, [c.to_dict() for c in slot.codes]))]
        scripts = {n: blocks for n, blocks in embedded.items()
                   if [(b.text, b.role) for b in blocks] != [(b.text, b.role) for b in slots[n].meta["article"].blocks]}
        labelled = any((b.meta.get("html") or {}).get("slot") is None and "label" in b.meta for b in article.blocks)
        if (not changed and not scripts and not labelled and article.provenance is None
                and not article.meta.get("alternates") and article.language == info.get("language")
                and not any(s.kind == "content" and s.element.get("class") == "machine-translation-label"
                            for s in slots)):
            return info["source"]  # nothing to change: the page exactly as it came
        for slot, block in changed:  # attributes first: rebuilt inline elements copy them
            if slot.kind == "attr":
                slot.element.set(slot.attr, _clean(block.text))
        for n, blocks in scripts.items():
            _write_jsonld(slots[n], blocks, article)
        for slot, block in reversed(changed):
            if slot.kind != "attr":
                _replace(slot, block)
        _insert_labels(article, slots)
        if article.language and article.language != info.get("language"):
            holders = _language_holders(root, fragment)
            if not fragment and not _explicit(info["source"], "html"):
                holders = [child for child in root if child.tag == "body"][:1] or holders
            for holder in holders:
                holder.set("lang", article.language)
        if article.provenance is not None and not fragment:
            _link_original(root, article.provenance.source_language)
        alternates = article.meta.get("alternates") or {}
        if alternates and not fragment:
            _set_alternates(root, alternates)
        if not fragment and not info.get("embedded"):
            _declare_utf8(root)
        return _serialize(root, fragment, info["source"])


# -- parsing ------------------------------------------------------------------------------------
def _parse(text: str, source: str | None):
    import lxml.html
    from lxml import etree

    _check_complete(text, source)
    _check_control_characters(text, source)
    fragment = not _DOCUMENT.match(text)
    # huge_tree lifts libxml2's silent cuts (depth 256, 10 MB text or attribute); our own limits follow
    parser = lxml.html.HTMLParser(recover=True, remove_blank_text=False, remove_comments=False, huge_tree=True)
    try:
        if fragment:
            root = lxml.html.fragment_fromstring(text.lstrip("\ufeff"), create_parent="div", parser=parser)
        else:
            root = lxml.html.document_fromstring(text.lstrip("\ufeff"), parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise FormatError(f"cannot parse HTML: {exc}; give an HTML page or fragment", source=source) from exc
    _check_attributes(root, text, source)
    _check_depth(root, source, text)
    if not fragment:
        _merge_repeated_start_tags(root, text)
    return root, fragment


_MASKED = re.compile(r"<!--.*?-->|<(script|style|textarea|title)\b.*?</\1\s*>", re.I | re.S)


def _merge_repeated_start_tags(root: Any, text: str) -> None:
    """As browsers do (HTML5 tree construction), the attributes of every ``<html>`` and ``<body>`` start
    tag go to that element unless it has them already; libxml2 drops those of a tag it finds too late
    (a ``<body class>`` after content that already opened the body)."""
    masked = _MASKED.sub(lambda m: " " * len(m.group()), text)
    for name in ("html", "body"):
        element = root if name == "html" else root.find("body")
        if element is None:
            continue
        for match in re.finditer(rf"<{name}(\s[^>]*)?>", masked, re.I):
            if not match.group(1):
                continue
            for key, value in _start_tag_attributes(text[match.start():match.end()]):
                if key not in element.attrib and not _XML_INVALID.search(key + (value or "")):
                    try:
                        element.set(key, value or "")
                    except ValueError:
                        continue


def _start_tag_attributes(tag: str) -> list[tuple[str, str | None]]:
    """The attributes of one start tag, as the standard library's HTML tokenizer reads them."""
    from html.parser import HTMLParser

    found: list[tuple[str, str | None]] = []

    class _Tag(HTMLParser):
        def handle_starttag(self, name: str, attrs: list[tuple[str, str | None]]) -> None:
            found.extend(attrs)

    reader = _Tag(convert_charrefs=True)
    reader.feed(tag)
    reader.close()
    return found


def _check_depth(root: Any, source: str | None, text: str) -> None:
    """Refuse a page nested deeper than :data:`MAX_DEPTH` (no article is; libxml2 would drop the rest)."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            line, column = _nesting_position(text) or (element.sourceline, None)
            raise FormatError(
                f"HTML nested deeper than {MAX_DEPTH} elements (at <{element.tag}>); kztranslate refuses such "
                "pages rather than lose what lies deeper — close the elements that are left open",
                source=source, line=line, column=column,
            )
        stack.extend((child, depth + 1) for child in element)


def _nesting_position(text: str) -> tuple[int, int] | None:
    """Line and column of the start tag that first nests deeper than :data:`MAX_DEPTH` (by counting tags)."""
    masked = _MASKED.sub(lambda m: " " * len(m.group()), text)
    depth = 0
    for match in re.finditer(r"<(/?)([A-Za-z][\w:.-]*)[^>]*?(/?)>", masked):
        name = match.group(2).lower()
        if match.group(1):
            depth -= 1
        elif name not in VOID and name not in ("meta", "link", "base", "hr") and not match.group(3):
            depth += 1
            if depth > MAX_DEPTH:
                at = match.start()
                return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
    return None


def _check_complete(text: str, source: str | None) -> None:
    """Refuse input that the parser would silently cut: an unclosed tag or comment at the end."""
    def in_script(at: int) -> bool:
        before = text[:at].lower()
        return before.count("<script") + before.count("<style") > before.count("</script") + before.count("</style")

    where = None
    comment = text.rfind("<!--")
    tag = re.search(r"<[A-Za-z/!][^>]*\Z", text)
    if comment >= 0 and text.find("-->", comment + 4) < 0 and not in_script(comment):
        where, what = comment, "a comment that is never closed (no '-->')"
    elif tag and not in_script(tag.start()):
        where, what = tag.start(), "a tag that is never closed (no '>')"
    else:
        opened = [m for m in re.finditer(r"<[A-Za-z][^<>]*?=\s*([\"'])", text)
                  if text.find(m.group(1), m.end()) < 0 and not in_script(m.start())]
        if opened:
            where, what = opened[-1].start(), f"an attribute value whose quote ({opened[-1].group(1)}) is never closed"
    if where is not None:
        line = text.count("\n", 0, where) + 1
        column = where - (text.rfind("\n", 0, where) + 1) + 1
        raise FormatError(f"malformed HTML: {what}; fix the markup or give the whole file", source=source,
                          line=line, column=column)


_CONTROL_IN_TAG = re.compile(r"<[A-Za-z][^<>]*?([\x00-\x08\x0b\x0e-\x1f\x7f])")


def _check_control_characters(text: str, source: str | None) -> None:
    """Refuse a control character inside a tag (its name, an attribute name or value): the parser would drop
    it from a tag name or keep a name no serializer can write back."""
    masked = _MASKED.sub(lambda m: " " * len(m.group()), text)
    found = _CONTROL_IN_TAG.search(masked)
    if found:
        at = found.start(1)
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        raise FormatError(
            f"malformed HTML: a control character (U+{ord(text[at]):04X}) inside a tag; remove it from the tag",
            source=source, line=line, column=column)


def _check_attributes(root: Any, text: str, source: str | None) -> None:
    """Refuse an attribute value that swallowed markup (``<a href="x>text</a>…``: a quote never
    closed), which the parser accepts silently, losing the text up to the next quote.
    ``data-*`` and ``on*`` attributes may legitimately hold markup and are not checked."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            swallowed = _SWALLOWED.search(value)
            if swallowed is None or name.startswith(("data-", "on")):
                continue
            at = max(text.find(f"{name}={quote}{value[:40]}") for quote in "\"'")
            line = text.count("\n", 0, at) + 1 if at >= 0 else element.sourceline
            column = at - text.rfind("\n", 0, at) if at >= 0 else None
            raise FormatError(
                f"malformed HTML: the {name!r} attribute of <{element.tag}> runs on into the markup "
                f"({swallowed.group()!r}): a quote is probably never closed; close it, or write '<' as '&lt;' "
                "inside attribute values",
                source=source, line=line, column=column,
            )


def _sample(blocks: list[Block], limit: int = 20_000) -> str:
    """Enough of the page's text to tell its language (detection time grows with the text)."""
    return " ".join(b.text for b in blocks)[:limit]


def _tag(slot: _Slot) -> str:
    return (slot.attr and f"meta[{slot.attr}]") or slot.element.tag


def _language_holders(root: Any, fragment: bool) -> list[Any]:
    if not fragment:
        return [root]
    # an element left untranslated keeps the source's language
    return [child for child in root if isinstance(child.tag, str) and not _untouched(child)]


def _published(root: Any, blocks: list[Block], slots: list[_Slot]) -> datetime | None:
    """The publication date the page states: its meta (``article:published_time``, ``itemprop=datePublished``,
    Dublin Core), embedded JSON-LD, ``<time datetime>`` (``pubdate`` or ``itemprop`` first), then a dateline."""
    values = [m.get("content") for m in root.iter("meta")
              if (m.get("property") or m.get("name") or m.get("itemprop") or "").lower() in _DATE_META]
    values += [s.meta["article"].published.isoformat() for s in slots
               if s.kind == "jsonld" and s.meta["article"].published is not None]
    times = [t for t in root.iter("time") if t.get("datetime")]
    times.sort(key=lambda t: not (t.get("pubdate") is not None or
                                  (t.get("itemprop") or "").lower() == "datepublished"))
    values += [t.get("datetime") for t in times]
    values += [b.meta.get("published") for b in blocks if b.role == "dateline"]
    for value in values:
        if isinstance(value, str) and value.strip():
            try:
                return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                continue
    return None


def _unwritable(element: Any) -> bool:
    """A tag or attribute with control characters, which lxml refuses to create: such an element is kept
    as the parsed node (exactly), not rebuilt."""
    if _XML_INVALID.search(element.tag) or any(
            _XML_INVALID.search(k) or _XML_INVALID.search(v) for k, v in element.attrib.items()):
        return True
    try:  # names lxml can list but not look up again ("a:b:c", "x<y")
        for key in element.attrib:
            element.attrib[key]
    except ValueError:
        return True
    return False


def _untouched(element: Any) -> bool:
    if not isinstance(element.tag, str):
        return True
    if element.tag in UNTOUCHED or (element.get("translate") or "").lower() == "no":
        return True
    return "notranslate" in (element.get("class") or "").split()


class _Walker:
    """Finds the blocks of a tree in document order (the same order on read and on write)."""

    def __init__(self) -> None:
        self.blocky: dict[Any, bool] = {}
        self.seen_h1 = False

    def is_block(self, element: Any) -> bool:
        if not isinstance(element.tag, str):
            return False
        if element not in self.blocky:
            self.blocky[element] = element.tag in BLOCK_LEVEL or (
                not _untouched(element) and any(self.is_block(child) for child in element)
            )
        return self.blocky[element]

    def walk(self, element: Any, context: tuple[str, ...] = ()) -> Iterator[_Slot]:
        tag = element.tag
        if tag == "meta":
            yield from self._meta(element)
            return
        if _untouched(element) or tag in _HEAD_ONLY - {"head"}:
            return
        inner = context + (tag,)
        if tag == "head":  # its <meta> and <title>, whatever else it holds
            for child in element:
                if isinstance(child.tag, str):
                    yield from self.walk(child, inner)
            return
        yield from _attribute_slots(element)
        if not any(self.is_block(child) for child in element):
            slot = self._content(element, context)
            if slot is not None:
                yield slot
            for child in element:
                yield from _attribute_slots(child, deep=True)
            return
        # a run of inline nodes before, between and after the block children
        run: list[Any] = []
        after = None
        for child in list(element) + [None]:
            if child is None or self.is_block(child) or (isinstance(child.tag, str) and child.tag == "meta"):
                slot = self._run(element, after, run, context)
                if slot is not None:
                    yield slot
                for node in run:
                    yield from _attribute_slots(node, deep=True)
                if child is None:
                    break
                yield from self.walk(child, inner)
                after, run = child, []
            else:
                run.append(child)

    def _meta(self, element: Any) -> Iterator[_Slot]:
        key = (element.get("property") or element.get("name") or "").lower()
        role = _META_ROLES.get(key)
        content = element.get("content")
        if role and content and content.strip():
            meta = {"names": [content.strip()]} if role == "byline" else {}
            yield _Slot("attr", element, attr="content", role=role, text=content, meta=meta)

    def _content(self, element: Any, context: tuple[str, ...]) -> _Slot | None:
        # a dateline or byline wrapped in other elements: take the innermost element holding all of it
        target = element
        while True:
            kids = [c for c in target if isinstance(c.tag, str)]
            if (len(kids) == 1 and not (target.text or "").strip() and not (kids[0].tail or "").strip()
                    and len(target) == 1 and (kids[0].tag == "time" or not _untouched(kids[0]))
                    and kids[0].tag not in VOID):
                target = kids[0]
            else:
                break
        role, meta = self._role(element, target, context)
        chosen = target if role in ("dateline", "byline") or target.tag == "time" else element
        slot = _Slot("content", chosen, role=role, meta=meta)
        _read(slot, chosen.text, list(chosen))
        if not slot.text.strip():
            return None
        if role in ("dateline", "byline") and slot.codes:
            slot = _Slot("content", element, role="paragraph", meta={})
            _read(slot, element.text, list(element))
        if role in ("paragraph", "other") and not slot.codes and _looks_dated(element, target):
            found = _whole_date(slot.text)
            if found is not None:
                slot.role, slot.meta = "dateline", {"published": found}
                role = "dateline"
        if role == "byline":
            slot.meta = {"names": [slot.text]}
        elif role == "counter" and (digits := re.sub(r"\D", "", slot.text)):
            slot.meta = {"views": int(digits)}
        return slot

    def _role(self, element: Any, target: Any, context: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        tag = element.tag
        if target.tag == "time" and _iso(target.get("datetime")):
            return "dateline", {"published": _iso(target.get("datetime"))}
        marks = {element.get("rel"), target.get("rel"), element.get("itemprop"), target.get("itemprop")}
        classes = set((element.get("class") or "").split()) | set((target.get("class") or "").split())
        if "author" in marks or classes & {"byline", "author", "author-name"}:
            return "byline", {}
        # roles a generated page (see _fresh_document) or a CMS marks with a class
        marked = classes & _CLASS_ROLES
        if marked:
            return min(marked), {}
        if tag == "h1":
            first, self.seen_h1 = not self.seen_h1, True
            return ("headline" if first else "heading"), {}
        if tag in ("h2", "h3", "h4", "h5", "h6"):
            return "heading", {}
        if tag == "li":
            return "list_item", {}
        if tag == "figcaption" or "figcaption" in context:
            return "caption", {}
        if tag == "blockquote" or "blockquote" in context:
            return "quote", {}
        if tag in ("p", "div", "section", "article", "main", "aside", "header", "footer", "address", "span"):
            return "paragraph", {}
        return "other", {}

    def _run(self, parent: Any, after: Any, nodes: list[Any], context: tuple[str, ...]) -> _Slot | None:
        anchor = parent.text if after is None else after.tail
        slot = _Slot("run", parent, after=after, count=len(nodes),
                     role="list_item" if parent.tag == "li" else self._role(parent, parent, context)[0])
        if slot.role in ("headline", "dateline", "byline"):
            slot.role = "paragraph"
        _read(slot, anchor, nodes)
        return slot if slot.text.strip() else None


def _read(slot: _Slot, anchor: str | None, nodes: list[Any]) -> None:
    """Fill a slot's text and codes from ``anchor`` text and inline ``nodes`` (with their tails)."""
    parts: list[str] = []
    length = 0
    after_space = True
    codes: list[InlineCode] = []
    wanted: list[int | None] = []

    def add(text: str | None) -> None:
        nonlocal length, after_space
        if not text:
            return
        text = _WS.sub(" ", text)
        if after_space and text.startswith(" "):
            text = text[1:]
        if text:
            parts.append(text)
            length += len(text)
            after_space = text.endswith(" ")

    def visit(node: Any, parent: int | None) -> None:
        nonlocal after_space
        index = len(codes)
        code = InlineCode(index + 1, "", length, length)
        codes.append(code)
        slot.elements.append(node)
        wanted.append(parent)
        if _untouched(node) or not isinstance(node.tag, str) or node.tag in VOID or node.tag == "time" \
                or _unwritable(node):
            if not isinstance(node.tag, str):
                code.tag = "#comment" if "Comment" in type(node).__name__ else "#node"
            else:
                code.tag, code.attrs = node.tag, dict(node.attrib.items())
            code.meta = {"void": True}
            if isinstance(node.tag, str):
                after_space = False  # an element stands between the words around it
            if code.tag not in VOID:
                code.meta["raw"] = len(slot.raw)
                slot.raw.append(node)
        else:
            code.tag, code.attrs = node.tag, dict(node.attrib)
            add(node.text)
            for child in node:
                visit(child, index)
                add(child.tail)
            code.end = length
        if code.tag in VOID_TAGS:
            del code.meta["void"]  # known to the inline layer already

    add(anchor)
    for node in nodes:
        visit(node, None)
        add(node.tail)
    text = "".join(parts)
    if text.endswith(" "):
        text = text[:-1]
        for code in codes:
            code.start, code.end = min(code.start, len(text)), min(code.end, len(text))
    set_parents(codes, wanted)
    slot.text, slot.codes = text, codes
    slot.lead = anchor[: len(anchor) - len(anchor.lstrip(" \t\n\r\f"))] if anchor else ""
    last = (nodes[-1].tail if nodes else anchor) or ""
    # the trailing whitespace (rstrip, not a regex search: that retries at every space of a long run)
    slot.trail = last[len(last.rstrip(" \t\n\r\f")):] if last.strip() or nodes else ""


# -- writing --------------------------------------------------------------------------------------
def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text)


def _replace(slot: _Slot, block: Block) -> None:
    """Put the block's text and codes where the slot's nodes were."""
    parent = slot.element
    if slot.kind == "content":
        start = 0
        for child in list(parent):
            parent.remove(child)
        parent.text = None
        holder: Any = None
    else:
        start = 0 if slot.after is None else parent.index(slot.after) + 1
        for child in list(parent)[start : start + slot.count]:
            parent.remove(child)
        holder = slot.after
        if holder is None:
            parent.text = None
        else:
            holder.tail = None
    nodes = tree(_clean(block.text), block.inline)
    _Builder(parent, start, holder, slot.raw, slot.elements).build([slot.lead, *nodes, slot.trail])


class _Builder:
    """Appends text and elements to a parent, keeping lxml's text/tail layout."""

    def __init__(self, parent: Any, index: int, holder: Any, raw: list[Any], elements: list[Any] | None = None) -> None:
        self.parent, self.index, self.holder, self.raw = parent, index, holder, raw
        self.elements = elements or []

    def text(self, value: str) -> None:
        if not value:
            return
        if self.holder is None:
            self.parent.text = (self.parent.text or "") + value
        else:
            self.holder.tail = (self.holder.tail or "") + value

    def build(self, nodes: list[str | Span]) -> None:
        from lxml import html

        for node in nodes:
            if isinstance(node, str):
                self.text(node)
                continue
            code = node.code
            raw_index = code.meta.get("raw")
            if raw_index is not None and 0 <= raw_index < len(self.raw):
                element = copy.deepcopy(self.raw[raw_index])
                element.tail = None
            elif code.tag.startswith("#"):
                continue
            else:
                source = self.elements[code.id - 1] if 0 < code.id <= len(self.elements) else None
                attributes = code.attrs
                if source is not None and isinstance(source.tag, str) and source.tag == code.tag:
                    # a bare copy of the source element: lxml's parser accepts tag and attribute names
                    # (``strқ<``) that its element factory refuses, and the copy keeps them as they came
                    element = copy.deepcopy(source)
                    for child in list(element):
                        element.remove(child)
                    element.text = element.tail = None
                    if set(source.attrib) == set(code.attrs):
                        attributes = dict(source.attrib.items())  # with its translated alt/title
                    for key in [k for k in element.attrib if k not in attributes]:
                        del element.attrib[key]
                else:
                    element = html.Element(code.tag)
                # items(), not get(): reading one attribute by a name lxml's factory refuses raises, and
                # such a name is only ever copied, never changed
                present = dict(element.attrib.items())
                for key, value in attributes.items():
                    if present.get(key) != value:
                        element.set(key, _clean(value))
            self.parent.insert(self.index, element)
            self.index += 1
            self.holder = element
            if not is_void(code):
                _Builder(element, 0, None, self.raw, self.elements).build(node.children)


def _link_original(root: Any, language: str) -> None:
    """A translation links to its original: the source's ``<link rel="canonical">`` named the original's
    page, so it becomes ``<link rel="alternate" hreflang="<source language>">`` (a translation declaring
    the original canonical would not be indexed); without one, ``og:url`` gives the original's address."""
    links = [link for link in root.iter("link") if (link.get("rel") or "").lower() == "canonical" and link.get("href")]
    for link in links:
        link.set("rel", "alternate")
        link.set("hreflang", language)
    if not links:
        url = next((m.get("content") for m in root.iter("meta") if m.get("property") == "og:url" and m.get("content")),
                   None)
        if url:
            _set_alternates(root, {language: url})


def _set_alternates(root: Any, alternates: dict[str, str]) -> None:
    from lxml import html

    head = root.find("head")
    if head is None:
        head = html.Element("head")
        root.insert(0, head)
    existing = {link.get("hreflang"): link for link in head.findall("link")
                if (link.get("rel") or "").lower() == "alternate" and link.get("hreflang")}
    for language, url in alternates.items():
        link = existing.get(language)
        if link is None:
            link = html.Element("link", rel="alternate", hreflang=language)
            if len(head):  # same indentation as the element before
                link.tail = head[-1].tail
                head[-1].tail = head[-2].tail if len(head) > 1 else head.text
            head.append(link)
        link.set("href", url)


def _serialize(root: Any, fragment: bool, source: str) -> str:
    """The tree as HTML. Attribute values travel past libxml2 as ASCII tokens (it would percent-encode
    URI attributes: ``href="a b"`` → ``a%20b``, non-ASCII paths escaped) and are put back exactly;
    ``etree.tostring(method="html")`` keeps ``<meta http-equiv="Content-Type">``, which
    ``lxml.html.tostring`` leaves out; the doctype and anything before the root come from the source."""
    nonce = secrets.token_hex(4)
    originals: list[str] = []
    booleans: list[tuple[str, str]] = []
    for element in root.iter():
        if isinstance(element.tag, str):
            for name, value in list(element.attrib.items()):
                if name.lower() in _BOOLEAN and value:
                    # libxml2 writes these minimized whatever their value: they travel under another name
                    del element.attrib[name]
                    element.set(f"kzt{nonce}b{len(booleans)}", "x")
                    booleans.append((name, value))
                elif not _PLAIN_VALUE.match(value):
                    try:
                        element.set(name, f"kzt{nonce}-{len(originals)}-")
                    except ValueError:
                        # a name lxml's parser keeps but its API refuses ("{{alt"): libxml2 writes
                        # such a value as it is (it escapes only the URI attributes it knows by name)
                        continue
                    originals.append(value)
    out = _serialize_tree(root, fragment, source)
    if originals:
        out = re.sub(f"kzt{nonce}-([0-9]+)-", lambda m: _escape_value(originals[int(m.group(1))]), out)
    if booleans:
        out = re.sub(f'kzt{nonce}b([0-9]+)="x"',
                     lambda m: f'{booleans[int(m.group(1))][0]}="{_escape_value(booleans[int(m.group(1))][1])}"', out)
    return out


def _escape_value(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;")


def _serialize_tree(root: Any, fragment: bool, source: str) -> str:
    from html import escape

    from lxml import etree

    def dump(node: Any) -> str:
        return etree.tostring(node, method="html", encoding="unicode")

    if fragment:
        out = escape(root.text or "", quote=False) + "".join(dump(child) for child in root)
    else:
        prefix_match = _PREFIX.match(source)
        assert prefix_match is not None  # every part of the pattern is optional
        prefix = prefix_match.group()
        nodes = [root, *root.itersiblings()]
        if not _explicit(source, "html"):  # a document that starts at <head> or <body> stays so
            explicit = [child for child in root if isinstance(child.tag, str) and _explicit(source, child.tag)]
            nodes = explicit or nodes
        out = prefix + "".join(dump(node) for node in nodes)
    if source.endswith("\n") and not out.endswith("\n"):
        out += "\n"
    return out


def _explicit(source: str, name: str) -> bool:
    """Whether the source writes a ``<name>`` start tag (outside comments and scripts) rather than the
    parser implying it."""
    return re.search(rf"<{name}[\s>/]", _MASKED.sub("", source), re.I) is not None


def _declare_utf8(root: Any) -> None:
    """A written page is UTF-8: it says so. A declaration of another charset is changed to utf-8; a page
    without any gets ``<meta charset="utf-8">`` first in its head (browsers guess otherwise)."""
    from lxml import html

    declared = False
    for meta in root.iter("meta"):
        if meta.get("charset") is not None:
            declared = True
            if meta.get("charset").strip().lower() not in ("utf-8", "utf8"):
                meta.set("charset", "utf-8")
        elif (meta.get("http-equiv") or "").lower() == "content-type" and _CHARSET.search(meta.get("content") or ""):
            declared = True
            content = meta.get("content")
            found = _CHARSET.search(content)
            assert found is not None  # searched just above
            if found.group(1).lower() not in ("utf-8", "utf8"):
                meta.set("content", content[:found.start(1)] + "utf-8" + content[found.end(1):])
    if declared:
        return
    head = root.find("head")
    if head is None:
        head = html.Element("head")
        root.insert(0, head)
    meta = html.Element("meta", charset="utf-8")
    meta.tail = head.text
    head.insert(0, meta)


def _slots(root: Any) -> list[_Slot]:
    """Every block's place in the tree, in document order, then the JSON-LD articles of the page."""
    slots = list(_Walker().walk(root))
    for script in root.iter("script"):
        if "ld+json" in (script.get("type") or "").lower() and (script.text or "").strip():
            sub = _read_jsonld(script.text)
            if sub is not None:
                slots.append(_Slot("jsonld", script, role="other", meta={"article": sub}))
    return slots


def _read_jsonld(text: str) -> Article | None:
    from .jsonld import JsonLdFormat

    try:
        return JsonLdFormat().read(text)
    except (FormatError, UsageError):
        return None  # not an article (an Organization, a breadcrumb list) or not JSON: kept as it is


def _write_jsonld(slot: _Slot, blocks: list[Block], article: Article) -> None:
    """The script's JSON with the blocks' text (as the JSON-LD format writes it: only changed values)."""
    from .jsonld import JsonLdFormat

    sub = slot.meta["article"]
    parts = []
    for block in blocks:
        part = copy.deepcopy(block)
        part.meta.pop("html", None)
        parts.append(part)
    variant = Article(language=article.language or sub.language, blocks=parts, meta=sub.meta, source=sub.source,
                      published=sub.published)
    text = JsonLdFormat().write(variant)
    # inside <script> the text must never close the element
    slot.element.text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.I)


def _attribute_slots(element: Any, deep: bool = False) -> Iterator[_Slot]:
    """Text-bearing attributes (``alt``, ``title``, ``aria-label``) of an element (``deep``: and of the
    inline elements inside it), skipping what is left untouched."""
    if not isinstance(element.tag, str) or element.tag in _ATTRIBUTES_KEPT_IN \
            or element.tag in ("html", "head", "link", "meta", "base") \
            or (element.get("translate") or "").lower() == "no" \
            or "notranslate" in (element.get("class") or "").split():
        return
    for name, role in _TEXT_ATTRIBUTES.items():
        value = element.get(name)
        if value and value.strip() and any(c.isalpha() for c in value):
            yield _Slot("attr", element, attr=name, role=role, text=value)
    if deep:
        for child in element:
            yield from _attribute_slots(child, deep=True)


def _iso(value: str | None) -> str | None:
    """An ISO 8601 ``datetime`` attribute as Python reads it (``Z`` accepted), or None when it is not one
    (``2024-05-14T09;30:00``: then the element's text is read as a date instead)."""
    if not value or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None


def _looks_dated(element: Any, target: Any) -> bool:
    if target.tag == "time" or element.tag == "time":
        return True
    marks = " ".join(filter(None, [element.get("class"), target.get("class"), element.get("itemprop"),
                                   target.get("itemprop"), element.get("id"), target.get("id")]))
    return any(_DATE_CLASS.search(word) for word in marks.split())


def _whole_date(text: str) -> str | None:
    """The date of a dateline element whose text is only a date (and time), as ISO 8601."""
    from ..localize import parse_dateline

    found = parse_dateline(text)
    if found is None:
        return None
    rest = text[: found.start] + text[found.end:]
    if any(c.isalnum() for c in rest):
        return None
    return found.published.isoformat()


#: Roles a ``class`` names on a block element (a generated page marks its non-paragraph blocks so).
_CLASS_ROLES = frozenset({"counter", "share", "subheadline", "tags", "dateline"})

_FRESH_TAGS = {"headline": "h1", "subheadline": "p", "heading": "h2", "quote": "blockquote", "caption": "figcaption",
               "byline": "p", "dateline": "p", "counter": "p", "share": "p", "tags": "p", "paragraph": "p"}


def _insert_labels(article: Article, slots: list[_Slot]) -> None:
    """A machine-translation label (a block the source page has no place for) becomes a
    ``<p class="machine-translation-label">`` after the element of the block before it; the
    label of an earlier translation, dropped from the blocks, leaves the page too."""
    from lxml import html

    kept = {(b.meta.get("html") or {}).get("slot") for b in article.blocks}
    for n, slot in enumerate(slots):
        element = slot.element
        if n not in kept and slot.kind == "content" and element.get("class") == "machine-translation-label":
            parent = element.getparent()
            if parent is not None:
                previous = element.getprevious()
                if element.tail and previous is not None:
                    previous.tail = element.tail
                parent.remove(element)
    anchor = None
    for block in article.blocks:
        where = (block.meta.get("html") or {}).get("slot")
        if where is not None and 0 <= where < len(slots) and slots[where].kind == "content":
            anchor = slots[where].element
        elif where is None and "label" in block.meta and anchor is not None:
            label = html.Element("p", {"class": "machine-translation-label"})
            label.text = _clean(block.text)
            label.tail = anchor.tail
            anchor.addnext(label)
            anchor = label


def _fresh_document(article: Article) -> str:
    """An article that did not come from HTML: a plain page with one element per block."""
    import lxml.html
    from lxml import etree, html

    page = html.Element("html", lang=article.language or "")
    head = etree.SubElement(page, "head")
    etree.SubElement(head, "meta", charset="utf-8")
    etree.SubElement(head, "title").text = _clean(article.headline)
    body = etree.SubElement(etree.SubElement(page, "body"), "article")
    items = None
    for block in article.blocks:
        if block.role == "list_item":
            if items is None:
                items = etree.SubElement(body, "ul")
            parent, tag = items, "li"
        else:
            items, parent, tag = None, body, _FRESH_TAGS.get(block.role, "p")
        element = etree.SubElement(parent, tag)
        if tag == "p" and block.role != "paragraph":
            element.set("class", block.role)
        if block.role == "dateline" and article.published:
            element = etree.SubElement(element, "time", datetime=article.published.isoformat())
        _Builder(element, 0, None, []).build(tree(_clean(block.text), block.inline))
    return "<!DOCTYPE html>\n" + lxml.html.tostring(page, encoding="unicode", pretty_print=True)
