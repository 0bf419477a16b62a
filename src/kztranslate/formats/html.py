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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Iterator

from ..document import Article, Block, InlineCode
from ..errors import FormatError, UsageError
from ..inline import VOID_TAGS, Span, is_void, set_parents, tree
from ..langid import detect_language
from ..languages import normalize_language

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
    "author": "byline", "article:author": "byline",
}


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
        slots = list(_Walker().walk(root))
        blocks = [
            Block(slot.role, slot.text, slot.codes, {**slot.meta, "html": {"slot": n, "tag": _tag(slot)}})
            for n, slot in enumerate(slots)
        ]
        tags = _language_holders(root, fragment)
        declared = next((e.get("lang") for e in tags if e.get("lang")), None)
        if language:
            found = normalize_language(language)
        elif declared:
            try:
                found = normalize_language(declared)
            except UsageError:
                found = detect_language(" ".join(b.text for b in blocks)) or ""
        else:
            found = detect_language(" ".join(b.text for b in blocks)) or ""
        published = _published(root, blocks)
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
        slots = list(_Walker().walk(root))
        for block in reversed(article.blocks):
            where = (block.meta.get("html") or {}).get("slot")
            if where is None or not 0 <= where < len(slots):
                continue
            slot = slots[where]
            if slot.kind == "attr":
                if block.text != slot.text:
                    slot.element.set(slot.attr, _clean(block.text))
            elif (block.text, [c.to_dict() for c in block.inline]) != (slot.text, [c.to_dict() for c in slot.codes]):
                _replace(slot, block)
        _insert_labels(article, slots)
        if article.language and article.language != info.get("language"):
            for holder in _language_holders(root, fragment):
                holder.set("lang", article.language)
        if article.provenance is not None and not fragment:
            _link_original(root, article.provenance.source_language)
        alternates = article.meta.get("alternates") or {}
        if alternates and not fragment:
            _set_alternates(root, alternates)
        out = _serialize(root, fragment, info["source"])
        return out


# -- parsing ------------------------------------------------------------------------------------
def _parse(text: str, source: str | None):
    import lxml.html
    from lxml import etree

    _check_complete(text, source)
    fragment = not _DOCUMENT.match(text)
    parser = lxml.html.HTMLParser(recover=True, remove_blank_text=False, remove_comments=False)
    try:
        if fragment:
            root = lxml.html.fragment_fromstring(text.lstrip("\ufeff"), create_parent="div", parser=parser)
        else:
            root = lxml.html.document_fromstring(text.lstrip("\ufeff"), parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise FormatError(f"cannot parse HTML: {exc}; give an HTML page or fragment", source=source) from exc
    _check_attributes(root, text, source)
    return root, fragment


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


def _tag(slot: _Slot) -> str:
    return slot.attr and f"meta[{slot.attr}]" or slot.element.tag


def _language_holders(root: Any, fragment: bool) -> list[Any]:
    if not fragment:
        return [root]
    # an element left untranslated keeps the source's language
    return [child for child in root if isinstance(child.tag, str) and not _untouched(child)]


def _published(root: Any, blocks: list[Block]) -> datetime | None:
    values = [m.get("content") for m in root.iter("meta") if m.get("property") in ("article:published_time",)
              or m.get("name") in ("article:published_time", "pubdate", "date")]
    values += [b.meta.get("published") for b in blocks if b.role == "dateline"]
    for value in values:
        if value:
            try:
                return datetime.fromisoformat(value.strip())
            except ValueError:
                continue
    return None


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
        if not any(self.is_block(child) for child in element):
            slot = self._content(element, context)
            if slot is not None:
                yield slot
            return
        # a run of inline nodes before, between and after the block children
        run: list[Any] = []
        after = None
        for child in list(element) + [None]:
            if child is None or self.is_block(child) or (isinstance(child.tag, str) and child.tag == "meta"):
                slot = self._run(element, after, run, context)
                if slot is not None:
                    yield slot
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
                    and len(target) == 1 and not _untouched(kids[0]) and kids[0].tag not in VOID):
                target = kids[0]
            else:
                break
        role, meta = self._role(element, target, context)
        chosen = target if role in ("dateline", "byline") else element
        slot = _Slot("content", chosen, role=role, meta=meta)
        _read(slot, chosen.text, list(chosen))
        if not slot.text.strip():
            return None
        if role in ("dateline", "byline") and slot.codes:
            slot = _Slot("content", element, role="paragraph", meta={})
            _read(slot, element.text, list(element))
        if role == "byline":
            slot.meta = {"names": [slot.text]}
        elif role == "counter" and (digits := re.sub(r"\D", "", slot.text)):
            slot.meta = {"views": int(digits)}
        return slot

    def _role(self, element: Any, target: Any, context: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        tag = element.tag
        if target.tag == "time" and target.get("datetime"):
            return "dateline", {"published": target.get("datetime")}
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
        wanted.append(parent)
        if _untouched(node) or not isinstance(node.tag, str) or node.tag in VOID:
            if not isinstance(node.tag, str):
                code.tag = "#comment" if "Comment" in type(node).__name__ else "#node"
            else:
                code.tag, code.attrs = node.tag, dict(node.attrib)
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
    slot.lead = re.match(r"[ \t\n\r\f]*", anchor or "").group()
    last = (nodes[-1].tail if nodes else anchor) or ""
    slot.trail = re.search(r"[ \t\n\r\f]*\Z", last).group() if last.strip() or nodes else ""


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
    _Builder(parent, start, holder, slot.raw).build([slot.lead, *nodes, slot.trail])


class _Builder:
    """Appends text and elements to a parent, keeping lxml's text/tail layout."""

    def __init__(self, parent: Any, index: int, holder: Any, raw: list[Any]) -> None:
        self.parent, self.index, self.holder, self.raw = parent, index, holder, raw

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
                element = html.Element(code.tag)
                for key, value in code.attrs.items():
                    element.set(key, value)
            self.parent.insert(self.index, element)
            self.index += 1
            self.holder = element
            if not is_void(code):
                _Builder(element, 0, None, self.raw).build(node.children)


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
    # libxml2 percent-encodes non-ASCII URI attributes (href="…/мектеп" → "%D0%BC…") on output;
    # attributes must come back exactly, so such values travel as ASCII tokens and are put back after.
    originals: dict[str, str] = {}
    for element in root.getroottree().iter():
        if isinstance(element.tag, str):
            for name, value in element.attrib.items():
                if not value.isascii():
                    token = f"kzt-attr-{len(originals)}-{id(originals)}"
                    originals[token] = value
                    element.set(name, token)
    out = _serialize_tree(root, fragment, source)
    for token, value in originals.items():
        out = out.replace(token, value.replace("&", "&amp;").replace('"', "&quot;"))
    return out


def _serialize_tree(root: Any, fragment: bool, source: str) -> str:
    from html import escape

    import lxml.html

    if fragment:
        out = escape(root.text or "", quote=False) + "".join(
            lxml.html.tostring(child, encoding="unicode") for child in root)
    elif root.getroottree().docinfo.doctype:
        out = lxml.html.tostring(root.getroottree(), encoding="unicode")
    else:
        out = "".join(lxml.html.tostring(node, encoding="unicode") for node in
                      [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()])
    if source.endswith("\n") and not out.endswith("\n"):
        out += "\n"
    return out


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
