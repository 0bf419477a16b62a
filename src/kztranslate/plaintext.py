"""Strings and markup fragments through the article pipeline, without reading them as an article.

A newsroom tool that calls a translation API (a CMS field, a comment, a UI string) sends text, not
an article: nothing in it is a dateline, a view counter, a byline or site furniture, and an HTML
fragment must come back as a fragment. Each string becomes an :class:`~kztranslate.document.Article`
of ``paragraph`` blocks marked ``plain`` (one per line by default), so it is translated sentence by
sentence with the same segmentation, protected spans, glossary, QA and translation memory as any
article — and shares the memory with them — while the pipeline recognizes no site label or
machine-translation label in it.

* ``markup="text"``: every line is a block; line ends, blank lines and the spaces around a line
  come back exactly. ``split="nonewlines"`` makes the whole string one block (sentences still split),
  ``split="none"`` one segment (no sentence splitting at all).
* ``markup="html"``: a fragment is read by the HTML format (inline markup travels as codes,
  ``translate="no"``/``code``/``script`` and the elements named in ``ignore_tags`` stay untouched)
  and written back without a ``lang`` attribute on each top-level element; a whole page keeps its
  ``<html>`` and gets ``lang``.
* ``markup="xml"``: a well-formed XML fragment; elements are inline markup, the elements named in
  ``ignore_tags`` (and comments, processing instructions) are kept untouched with their content.

>>> from kztranslate import Translator
>>> Translator("pseudo").translate_text("Бөлісу:", to="en", source="kk")   # doctest: +SKIP
'⟦en⟧ Bö́lí́sú́:'
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .document import Article, Block, Finding, InlineCode, Provenance
from .errors import FormatError, UsageError
from .languages import normalize_language

__all__ = ["MARKUPS", "SPLITS", "TextResult", "PreparedText", "prepare_texts", "finish_text", "translate_texts"]

#: What a string may be: plain text, an HTML fragment or page, an XML fragment.
MARKUPS: tuple[str, ...] = ("text", "html", "xml")
#: How a string is cut before sentence splitting: at line ends (``newlines``), not at line ends
#: (``nonewlines``), or not at all, the whole string one segment (``none``).
SPLITS: tuple[str, ...] = ("newlines", "nonewlines", "none")

# Roles the HTML reader gives by the look of an element; in a plain fragment they are text.
_ARTICLE_ROLES = frozenset({"dateline", "counter", "byline", "share", "tags"})
_ARTICLE_META = ("published", "views", "names", "furniture", "relative")
_TAGS = re.compile(r"<[^<>]*>")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|\Z)")
_EMPTY_PAIR = re.compile(r"<([A-Za-z_][\w.:-]*)(?:\s[^<>]*)?></\1\s*>")
_FRAGMENT_ROOT = "kztranslate-fragment"
_IGNORED_MARK = ' translate="no" data-kztranslate-ignored=""'


@dataclass(slots=True)
class TextResult:
    """One translated string."""

    text: str
    """The translation (the string itself when it needed none)."""
    source_language: str
    """The language it was translated from: as given, or detected."""
    target_language: str
    detected: bool
    """Whether ``source_language`` was detected rather than given."""
    qa: list[Finding] = field(default_factory=list)
    """QA findings of this string's segments (``block`` is its line or element number)."""
    provenance: Provenance | None = None
    """How it was made (None when nothing went to the model pipeline)."""


@dataclass(slots=True)
class PreparedText:
    """A string made ready for the pipeline: its article, or the answer when it needs no model."""

    text: str
    source_language: str
    target_language: str
    detected: bool
    markup: str
    article: Article | None
    """None when the string is returned as it is (no letters, or already in the target language)."""
    xml_state: Any = None


def prepare_texts(
    texts: Sequence[str],
    to: str,
    *,
    source: str | None = None,
    markup: str = "text",
    split: str = "newlines",
    ignore_tags: Iterable[str] = (),
    glossary: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> list[PreparedText]:
    """Articles for ``texts`` into ``to`` (one per string); ``glossary`` goes into each article's
    ``meta["glossary"]`` (rows like a glossary file's). Raises :class:`UsageError` for an unknown
    language, markup or split mode, or when a language cannot be detected, :class:`FormatError`
    for malformed XML."""
    target = normalize_language(to)
    if markup not in MARKUPS:
        raise UsageError(f"unknown markup {markup!r}; choose one of: {', '.join(MARKUPS)}")
    if split not in SPLITS:
        raise UsageError(f"unknown split mode {split!r}; choose one of: {', '.join(SPLITS)}")
    from .langid import detect_language

    given = normalize_language(source) if source else None
    plain = [_TAGS.sub(" ", t) if markup != "text" else t for t in texts]
    # a string too short to tell takes the language of all of them together (as LibreTranslate does)
    fallback = detect_language("\n".join(plain)) if given is None else None
    prepared: list[PreparedText] = []
    ignore = frozenset(ignore_tags)
    for index, (text, letters) in enumerate(zip(texts, plain)):
        if given is not None:
            language, detected = given, False
        else:
            language, detected = detect_language(letters) or fallback, True
        if not _HAS_LETTER.search(letters):
            prepared.append(PreparedText(text, language or target, target, detected, markup, None))
            continue
        if language is None:
            raise UsageError(f"the language of text {index + 1} could not be detected; give the source language")
        if language == target:
            prepared.append(PreparedText(text, language, target, detected, markup, None))
            continue
        state = None
        if markup == "text":
            article = _text_article(text, language, split)
        elif markup == "html":
            article = _html_article(text, language, split, index, ignore)
        else:
            article, state = _xml_article(text, language, split, ignore, index)
        if glossary:
            article.meta["glossary"] = copy.deepcopy(glossary)
        prepared.append(PreparedText(text, language, target, detected, markup, article, state))
    return prepared


def finish_text(prepared: PreparedText, variants: dict[str, Article] | None) -> TextResult:
    """The result of a prepared string from its pipeline variants (None when it had no article)."""
    if prepared.article is None or variants is None:
        return TextResult(prepared.text, prepared.source_language, prepared.target_language, prepared.detected)
    variant = variants[prepared.target_language]
    # a machine-translation label belongs under an article, not into a string
    variant.blocks = [b for b in variant.blocks if "label" not in b.meta]
    if prepared.markup == "text":
        text = "".join(b.text + b.meta.get("eol", "") for b in variant.blocks if b.meta.get("plain"))
    elif prepared.markup == "html":
        text = _write_html(variant)
    else:
        text = _write_xml(variant, prepared.xml_state)
    return TextResult(text, prepared.source_language, prepared.target_language, prepared.detected,
                      list(variant.qa), variant.provenance)


def translate_texts(
    translator: Any,
    texts: Sequence[str],
    to: str,
    *,
    source: str | None = None,
    markup: str = "text",
    split: str = "newlines",
    ignore_tags: Iterable[str] = (),
    glossary: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> list[TextResult]:
    """Translate ``texts`` with ``translator`` (a :class:`~kztranslate.pipeline.Translator`) in one
    pass over its model; see :func:`prepare_texts`."""
    prepared = prepare_texts(texts, to, source=source, markup=markup, split=split, ignore_tags=ignore_tags,
                             glossary=glossary)
    work = [p for p in prepared if p.article is not None]
    outcomes = iter(translator.pipe([p.article for p in work], [to], raise_errors=True))
    variants = {id(p): next(outcomes) for p in work}
    return [finish_text(p, variants.get(id(p))) for p in prepared]


# -- plain text ------------------------------------------------------------------------------------
def _mark(block: Block, split: str) -> Block:
    block.meta["plain"] = "whole" if split == "none" else True
    return block


def _text_article(text: str, language: str, split: str) -> Article:
    if split != "newlines":
        return Article(language=language, blocks=[_mark(Block("paragraph", text), split)])
    blocks = []
    for match in _LINE.finditer(text):
        line, eol = match.groups()
        if not line and not eol:
            break
        blocks.append(_mark(Block("paragraph", line, meta={"eol": eol}), split))
    return Article(language=language, blocks=blocks)


# -- HTML --------------------------------------------------------------------------------------------
def _html_article(text: str, language: str, split: str, index: int, ignore: frozenset[str]) -> Article:
    from .formats import get_format

    if ignore:
        # elements to leave untouched get the HTML format's own mark for that, taken off again on writing
        names = "|".join(re.escape(tag) for tag in sorted(ignore))
        text = re.sub(rf"<({names})(?=[\s/>])", lambda m: f"<{m.group(1)}{_IGNORED_MARK}", text, flags=re.I)
    article = get_format("html").read(text, source=f"text {index + 1}", language=language)
    for block in article.blocks:
        if block.role in _ARTICLE_ROLES:
            block.role = "paragraph"
            for key in _ARTICLE_META:
                block.meta.pop(key, None)
        _mark(block, split)
    article.published = None
    article.views = None
    return article


def _write_html(variant: Article) -> str:
    from .formats import get_format

    info = variant.meta.get("html") or {}
    if info.get("fragment"):
        # a fragment goes back where it came from: the page around it says its language
        info["language"] = variant.language
    return get_format("html").write(variant).replace(_IGNORED_MARK, "")


# -- XML ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _XmlState:
    raw: list[Any]
    """Untouched nodes (ignored elements, comments) that empty codes stand for."""
    paired: frozenset[str]
    """Element names written ``<x></x>`` in the source: empty ones are written back so."""


def _xml_article(text: str, language: str, split: str, ignore: frozenset[str], index: int) -> tuple[Article, Any]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=False, strip_cdata=True)
    try:
        root = etree.fromstring(f"<{_FRAGMENT_ROOT}>{text}</{_FRAGMENT_ROOT}>", parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        raise FormatError(f"text {index + 1} is not well-formed XML ({exc.msg}); escape '<' and '&' as "
                          "'&lt;' and '&amp;', or use tag handling 'html'",
                          source=f"text {index + 1}", line=line, column=column) from exc
    raw: list[Any] = []
    codes: list[InlineCode] = []
    parts: list[str] = []
    length = 0

    def add(value: str | None) -> None:
        nonlocal length
        if value:
            parts.append(value)
            length += len(value)

    def visit(node: Any) -> None:
        code = InlineCode(len(codes) + 1, "", length, length)
        codes.append(code)
        if not isinstance(node.tag, str) or node.tag in ignore:
            code.tag = node.tag if isinstance(node.tag, str) else "#node"
            code.attrs = dict(node.attrib) if isinstance(node.tag, str) else {}
            code.meta = {"void": True, "raw": len(raw)}
            raw.append(node)
            return
        code.tag, code.attrs = node.tag, dict(node.attrib)
        add(node.text)
        for child in node:
            visit(child)
            add(child.tail)
        code.end = length

    add(root.text)
    for child in root:
        visit(child)
        add(child.tail)
    block = _mark(Block("paragraph", "".join(parts), codes), split)
    paired = frozenset(m.group(1) for m in _EMPTY_PAIR.finditer(text))
    return Article(language=language, blocks=[block]), _XmlState(raw, paired)


def _write_xml(variant: Article, state: _XmlState) -> str:
    from xml.sax.saxutils import escape

    from lxml import etree

    from .markup import Span, is_void, tree

    block = next(b for b in variant.blocks if b.meta.get("plain"))
    root = etree.Element(_FRAGMENT_ROOT)

    def build(parent: Any, nodes: list[str | Span]) -> None:
        last = None
        for node in nodes:
            if isinstance(node, str):
                if last is None:
                    parent.text = (parent.text or "") + node
                else:
                    last.tail = (last.tail or "") + node
                continue
            code = node.code
            raw_index = code.meta.get("raw")
            if raw_index is not None and 0 <= raw_index < len(state.raw):
                element = copy.deepcopy(state.raw[raw_index])
                element.tail = None
            else:
                element = etree.Element(code.tag, dict(code.attrs))
                if not is_void(code):
                    build(element, node.children)
            if isinstance(element.tag, str) and element.text is None and not len(element) \
                    and element.tag in state.paired:
                element.text = ""
            parent.append(element)
            last = element

    build(root, tree(block.text, block.inline))
    return escape(root.text or "") + "".join(etree.tostring(child, encoding="unicode", with_tail=True) for child in root)
