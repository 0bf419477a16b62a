"""XLIFF: translate the files other tools make (1.2, 2.0, 2.1), and post-edit kztranslate's own.

**Files from other tools** (:class:`XliffFormat`, the ``xliff`` format: ``.xlf``/``.xliff``, or any
file whose root is an XLIFF ``<xliff>``): every ``<segment>`` (2.x) or ``<trans-unit>`` (1.2) becomes
a block, its ``<source>`` the text and its inline elements inline codes: ``<pc>``, ``<g>`` and a
translatable ``<mrk>`` enclose text; ``<ph>``, ``<x>``, ``<bx>``/``<ex>``, ``<sc>``/``<ec>``,
``<sm>``/``<em>``, ``<cp>`` and a ``<mrk translate="no">``/``mtype="protected"`` are empty codes kept
exactly as written (the model sees only numbered markers). A unit, group or file with
``translate="no"`` is not translated, nor text between ``<sm translate="no"/>`` and its ``<em/>``; a
segment that already has a target keeps it unless :func:`retranslate_targets` is asked for. A
variant fills the ``<target>`` of each translated segment with the codes placed where the model put
them, sets ``state="translated"`` (2.x on the segment; 1.2 on the target, with
``state-qualifier="mt-suggestion"``) and ``trgLang``/``target-language``; everything else of the
file is kept. Reading and writing without translating gives the same bytes; a variant is
serialized by lxml, which may write attribute quotes, character references and empty elements
differently (the same XML infoset). Internal entities (``&e;``) are expanded; external entities,
entity loops and entity bombs are refused (:class:`~kztranslate.errors.FormatError`).

**Post-editing** (:func:`export`, :func:`import_`, ``kztranslate xliff``): XLIFF 2.1 of an article
and its machine translation, and the import of the edits.

One ``<unit id="b<block index>">`` per translatable block, its role as ``<note category="role">``;
one ``<segment>`` per sentence when both source and variant blocks carry ``meta["segments"]`` (a list
of sentence strings) of the same length and no inline markup, else one per block. Inline markup is
written as XLIFF inline codes — ``<pc>`` for a span, ``<ph>`` for an empty element — with the markup
itself in ``<originalData>``. The file's ``mda:metadata`` records the source article's checksum.

:func:`import_` validates the whole file against the article first (languages, checksum, unit ids,
count, each unit's source text and codes, every target present) and raises
:class:`~kztranslate.errors.MergeError` on any mismatch; only then does it merge, so a file is never
half merged. Such a file is a pair (source and target) tied to one exact source article, which
``read``/``write`` of a single article cannot express; use :func:`export` / :func:`import_` or
``kztranslate xliff``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape
from typing import Any, ClassVar

from ..document import Article, Block, InlineCode, Provenance
from ..errors import FormatError, MergeError, UsageError
from ..languages import LANGUAGES, language_or_verbatim, normalize_language
from ..markup import Span, is_void, tree

__all__ = ["XLIFF_NS", "XLIFF12_NS", "XliffFormat", "check_target", "retranslate_targets", "export", "import_"]

XLIFF_NS = "urn:oasis:names:tc:xliff:document:2.0"
XLIFF12_NS = "urn:oasis:names:tc:xliff:document:1.2"
MDA_NS = "urn:oasis:names:tc:xliff:metadata:2.0"
_XML_NS = "http://www.w3.org/XML/1998/namespace"


def _q(name: str) -> str:
    return f"{{{XLIFF_NS}}}{name}"


# -- export ------------------------------------------------------------------------------------------
def export(source: Article, variant: Article) -> str:
    """The XLIFF 2.1 document of ``variant`` (the machine translation) against ``source``."""
    from lxml import etree

    if len(source.blocks) != len(variant.blocks):
        raise UsageError(
            f"the variant has {len(variant.blocks)} blocks and the source {len(source.blocks)}; "
            "export a variant translated from this very source"
        )
    root = etree.Element(_q("xliff"), nsmap={None: XLIFF_NS, "mda": MDA_NS})
    root.set("version", "2.1")
    root.set("srcLang", source.language)
    root.set("trgLang", variant.language)
    file = etree.SubElement(root, _q("file"), id="f1", original=source.source or "article")
    file.set(f"{{{_XML_NS}}}space", "preserve")
    group = etree.SubElement(etree.SubElement(file, f"{{{MDA_NS}}}metadata"), f"{{{MDA_NS}}}metaGroup",
                             category="kztranslate")
    etree.SubElement(group, f"{{{MDA_NS}}}meta", type="source_sha256").text = source.checksum()
    for index, (src, tgt) in enumerate(zip(source.blocks, variant.blocks)):
        if not src.translatable:
            continue
        unit = etree.SubElement(file, _q("unit"), id=f"b{index}")
        etree.SubElement(etree.SubElement(unit, _q("notes")), _q("note"), category="role").text = src.role
        codes = {c.id: c for c in src.inline} | {c.id: c for c in tgt.inline}
        if codes:
            original = etree.SubElement(unit, _q("originalData"))
            for code in sorted(codes.values(), key=lambda c: c.id):
                etree.SubElement(original, _q("data"), id=f"d{code.id}s").text = _start_data(code)
                if not _is_empty(code):
                    etree.SubElement(original, _q("data"), id=f"d{code.id}e").text = _end_data(code)
        for k, (src_text, src_codes, tgt_text, tgt_codes) in enumerate(_segments(src, tgt)):
            segment = etree.SubElement(unit, _q("segment"), id=f"b{index}s{k}")
            _fill(etree.SubElement(segment, _q("source")), src_text, src_codes)
            _fill(etree.SubElement(segment, _q("target")), tgt_text, tgt_codes)
    _indent(root, 0)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8") + "\n"


def _indent(element: Any, level: int) -> None:
    """Indent the structure only: whitespace inside <source>/<target>/<note>/<data> is content."""
    if element.tag in (_q("source"), _q("target"), _q("note"), _q("data"), f"{{{MDA_NS}}}meta") or not len(element):
        return
    element.text = "\n" + "  " * (level + 1)
    for child in element:
        _indent(child, level + 1)
        child.tail = "\n" + "  " * (level + 1)
    element[-1].tail = "\n" + "  " * level


def _segments(src: Block, tgt: Block) -> list[tuple[str, list[InlineCode], str, list[InlineCode]]]:
    src_sentences, tgt_sentences = src.meta.get("segments"), tgt.meta.get("segments")
    if (
        isinstance(src_sentences, list) and isinstance(tgt_sentences, list)
        and len(src_sentences) == len(tgt_sentences) > 1
        and "".join(src_sentences) == src.text and "".join(tgt_sentences) == tgt.text
        and not src.inline and not tgt.inline
    ):
        return [(s, [], t, []) for s, t in zip(src_sentences, tgt_sentences)]
    return [(src.text, src.inline, tgt.text, tgt.inline)]


def _is_empty(code: InlineCode) -> bool:
    """An empty element (``br``, ``img``) or a piece kept as written (code span, raw HTML): a ``<ph>``."""
    return is_void(code) or (code.start == code.end and "raw" in code.meta)


def _start_data(code: InlineCode) -> str:
    if "raw" in code.meta:
        return str(code.meta["raw"])
    if "open" in code.meta:
        return str(code.meta["open"])
    attrs = "".join(f' {k}="{escape(v)}"' for k, v in code.attrs.items())
    return f"<{code.tag}{attrs}>"


def _end_data(code: InlineCode) -> str:
    return str(code.meta["close"]) if "close" in code.meta else f"</{code.tag}>"


def _fill(element: Any, text: str, codes: list[InlineCode]) -> None:
    """Write ``text`` with ``codes`` as nested <pc>/<ph> under ``element`` (nesting as kztranslate.markup sees it)."""
    from lxml import etree

    def put(parent: Any, piece: str) -> None:
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + piece
        else:
            parent.text = (parent.text or "") + piece

    def build(parent: Any, nodes: list[str | Span]) -> None:
        for node in nodes:
            if isinstance(node, str):
                put(parent, node)
                continue
            code = node.code
            if _is_empty(code):
                etree.SubElement(parent, _q("ph"), id=str(code.id), dataRef=f"d{code.id}s")
            else:
                build(etree.SubElement(parent, _q("pc"), id=str(code.id), dataRefStart=f"d{code.id}s",
                                       dataRefEnd=f"d{code.id}e"), node.children)

    build(element, tree(text, codes))


# -- import ------------------------------------------------------------------------------------------
def import_(xliff_text: str, source: Article, variant: Article, *, name: str | None = None) -> Article:
    """Merge the post-edited targets of ``xliff_text`` into a copy of ``variant``.

    ``name`` names the file in error messages. Raises :class:`FormatError` for malformed XML and
    :class:`MergeError` when the file does not match ``source``/``variant``; nothing is merged unless
    the whole file matches.
    """
    try:
        return _merge(_parse(xliff_text, name), source, variant)
    except MergeError as exc:
        if name is None or exc.source is not None:
            raise
        raise MergeError(str(exc), source=name) from exc


def _merge(root: Any, source: Article, variant: Article) -> Article:
    if len(source.blocks) != len(variant.blocks):
        raise MergeError(f"the variant has {len(variant.blocks)} blocks and the source {len(source.blocks)}; "
                         "give the source and the variant the file was exported from")
    file = _check_header(root, source, variant)
    units = file.findall(f".//{_q('unit')}")
    expected = [f"b{i}" for i, b in enumerate(source.blocks) if b.translatable]
    found = [u.get("id") for u in units]
    if found != expected:
        missing = [u for u in expected if u not in found]
        extra = [u for u in found if u not in expected]
        raise MergeError(
            f"the file's units do not match the article's {len(expected)} translatable blocks "
            f"(file has {len(found)}; missing: {missing or 'none'}; unexpected or repeated: "
            f"{extra or sorted({u for u in found if found.count(u) > 1}) or 'none'}); export the article again"
        )
    edits: dict[int, tuple[str, list[InlineCode]]] = {}
    for unit in units:
        index = int(unit.get("id")[1:])
        src_block, tgt_block = source.blocks[index], variant.blocks[index]
        src_text, src_codes = _read_side(unit, "source")
        if src_text != src_block.text or sorted(c.id for c in src_codes) != sorted(c.id for c in src_block.inline):
            raise MergeError(f"unit {unit.get('id')}: its source text is not the article's block {index} "
                             f"({src_block.text[:60]!r}); the file was exported from another version of the article")
        tgt_text, tgt_codes = _read_side(unit, "target")
        known = {c.id: c for c in src_block.inline} | {c.id: c for c in tgt_block.inline}
        unknown = sorted({c.id for c in tgt_codes} - set(known))
        if unknown:
            raise MergeError(f"unit {unit.get('id')}: target has inline codes {unknown} that the block does not have; "
                             "keep only the codes of the source")
        codes = [InlineCode(c.id, known[c.id].tag, c.start, c.end, dict(known[c.id].attrs), dict(known[c.id].meta))
                 for c in tgt_codes]
        if tgt_text != tgt_block.text or [c.to_dict() for c in codes] != [c.to_dict() for c in tgt_block.inline]:
            edits[index] = (tgt_text, codes)
    merged = variant.copy()
    if not edits:
        return merged
    for index, (text, codes) in edits.items():
        block = merged.blocks[index]
        block.text, block.inline = text, codes
        block.meta["post_edited"] = True
    if merged.provenance is None:
        merged.provenance = Provenance(source_language=source.language, target_language=variant.language,
                                       backend="unknown", source_sha256=source.checksum())
    merged.provenance.meta["post_edited_blocks"] = sorted(
        set(merged.provenance.meta.get("post_edited_blocks", [])) | set(edits)
    )
    merged.provenance.meta["post_edited"] = datetime.now(UTC).isoformat(timespec="seconds")
    return merged


def _parse_xml(text: str, name: str | None, fix: str) -> Any:
    """Parse XLIFF safely: internal entities expanded (libxml2 refuses loops and bombs), no DTD or
    external entity loaded, no network; any failure is a :class:`FormatError` with its position."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities="internal", no_network=True, load_dtd=False, huge_tree=False,
                             strip_cdata=False, remove_comments=False, remove_pis=False)
    try:
        root = etree.fromstring(text.lstrip("\ufeff").encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        message = re.sub(r"(?:, line \d+, column \d+)?(?: \(<string>, line \d+\))?$", "", exc.msg)
        raise FormatError(f"malformed XLIFF: {message}; {fix}", source=name, line=line, column=column) from exc
    leftover = next(root.iter(etree.Entity), None)
    if leftover is not None:
        raise FormatError(f"the entity {leftover.text} cannot be expanded (it is not declared in the file); "
                          "replace it by its text", source=name, line=leftover.sourceline)
    return root


def _parse(text: str, name: str | None) -> Any:
    root = _parse_xml(text, name, "repair the XML there, or export the article again and redo the edits")
    if root.tag != _q("xliff") or not str(root.get("version", "")).startswith("2."):
        raise FormatError(f"not an XLIFF 2 document: expected <xliff version=\"2.1\" xmlns=\"{XLIFF_NS}\"> "
                          "(export with `kztranslate xliff export`)", source=name, line=root.sourceline)
    return root


def _check_header(root: Any, source: Article, variant: Article) -> Any:
    for attr, article, side in (("srcLang", source, "source"), ("trgLang", variant, "variant")):
        if _language(root.get(attr)) != _language(article.language):
            raise MergeError(f"the file's {attr} is {root.get(attr)!r} but the {side} article is "
                             f"{article.language!r}; give the articles the file was exported from")
    files = root.findall(_q("file"))
    if len(files) != 1:
        raise MergeError(f"expected one <file> in the XLIFF document, found {len(files)}")
    checksum = files[0].find(f"{{{MDA_NS}}}metadata/{{{MDA_NS}}}metaGroup/{{{MDA_NS}}}meta[@type='source_sha256']")
    if checksum is None or (checksum.text or "").strip() != source.checksum():
        raise MergeError("the file was exported from a different source article (its source_sha256 does not match); "
                         "export the current article again and redo the edits there")
    return files[0]


def _language(tag: str | None) -> str:
    try:
        return normalize_language(tag or "")
    except UsageError:
        return str(tag)


def _read_side(unit: Any, side: str) -> tuple[str, list[InlineCode]]:
    """Concatenated text and codes of one side of a unit (segments and ignorables in order)."""
    parts: list[str] = []
    codes: list[InlineCode] = []
    for child in unit:
        if child.tag not in (_q("segment"), _q("ignorable")):
            continue
        element = child.find(_q(side))
        if element is None:
            if child.tag == _q("segment"):
                raise MergeError(f"unit {unit.get('id')} segment {child.get('id')}: no <{side}>; "
                                 "every segment needs its source and target")
            continue
        _collect(element, parts, codes, {})
    return "".join(parts), codes


def _collect(element: Any, parts: list[str], codes: list[InlineCode], open_sc: dict[str, InlineCode]) -> None:
    parts.append(element.text or "")
    for child in element:
        at = sum(map(len, parts))
        tag = child.tag
        if tag == _q("ph"):
            codes.append(InlineCode(_code_id(child), "", at, at))
        elif tag == _q("pc"):
            code = InlineCode(_code_id(child), "", at, at)
            codes.append(code)
            _collect(child, parts, codes, open_sc)
            code.end = sum(map(len, parts))
        elif tag == _q("sc"):
            code = InlineCode(_code_id(child), "", at, at)
            codes.append(code)
            open_sc[child.get("id")] = code
        elif tag == _q("ec"):
            started = open_sc.pop(child.get("startRef") or child.get("id"), None)
            if started is None:
                raise MergeError(f"line {child.sourceline}: <ec> closes a code that was never opened")
            started.end = at
        elif tag == _q("mrk"):
            _collect(child, parts, codes, open_sc)
        parts.append(child.tail or "")


def _code_id(element: Any) -> int:
    try:
        return int(element.get("id"))
    except (TypeError, ValueError) as exc:
        raise MergeError(f"line {element.sourceline}: inline code id {element.get('id')!r} is not one of ours "
                         "(keep the codes of the exported file)") from exc


# -- XLIFF files of other tools ----------------------------------------------------------------------
_NAMESPACES = {XLIFF_NS: "2", XLIFF12_NS: "1.2"}
#: Elements that enclose translatable text; every other inline element is an empty code kept as written.
_PAIRED = {"pc", "g", "mrk"}
_SNIFF = re.compile(r"\A(?:\ufeff)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>\s*)*"
                    r"<(?:[\w.-]+:)?xliff[\s>]", re.S)
#: Markup nested deeper than this keeps its segment untranslated (nobody writes it; the writer walks it).
_MAX_NESTING = 100


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class XliffFormat:
    """XLIFF 1.2 and 2.x files made by other tools: fill the targets (see the module docstring)."""

    name: ClassVar[str] = "xliff"
    extensions: ClassVar[tuple[str, ...]] = (".xlf", ".xliff")

    def sniff(self, text: str) -> bool:
        return bool(_SNIFF.match(text[:8192]))

    def read(self, text: str, *, source: str | None = None, language: str | None = None) -> Article:
        root = _parse_xml(text, source, "repair the XML there")
        version, languages = _header(root, source)
        src_lang, (trg_field, trg_lang) = languages
        article = Article(language=normalize_language(language) if language else language_or_verbatim(src_lang),
                          source=source)
        blocks: list[Block] = []
        for index, (segment, translate, target) in enumerate(_file_segments(root, version)):
            text_, codes, nested = _read_source(segment, version)
            meta: dict[str, Any] = {"xliff": {"segment": index}}
            if not translate:
                meta["translate"] = False
                meta["xliff"]["kept"] = "translate=no"
            elif nested > _MAX_NESTING or not text_.strip():
                meta["translate"] = False
                meta["xliff"]["kept"] = "nothing to translate" if not text_.strip() else "nested too deep"
            elif target is not None and _has_content(target):
                meta["translate"] = False
                meta["xliff"]["kept"] = "target"
            blocks.append(Block("paragraph", text_, codes, meta=meta))
        article.blocks = blocks
        article.meta["xliff"] = {"source": text, "version": root.get("version"),
                                 "source_language": src_lang, "target_language": trg_lang,
                                 "target_field": trg_field,
                                 "language_field": "srcLang" if version == "2" else "source-language"}
        return article

    def write(self, article: Article) -> str:
        from lxml import etree

        layout = article.meta.get("xliff")
        if not isinstance(layout, dict) or "source" not in layout:
            raise UsageError("this article was not read from an XLIFF file; write it in another format")
        text = layout["source"]
        if article.provenance is None and _unchanged(self.read(text, source=article.source), article):
            return text
        root = _parse_xml(text, article.source, "repair the XML there")
        version, _ = _header(root, article.source)
        segments = list(_file_segments(root, version))
        for block in article.blocks:
            info = block.meta.get("xliff") or {}
            if block.meta.get("translate") is False or "segment" not in info:
                continue
            segment, _translate, target = segments[info["segment"]]
            _write_target(segment, target, version, block)
        _set_target_language(root, version, article.language)
        head, tail = _around_root(text)
        return head + etree.tostring(root, encoding="unicode") + tail


def _header(root: Any, name: str | None) -> tuple[str, tuple[str | None, tuple[str, str | None]]]:
    """The XLIFF version ("1.2" or "2") and (source language, (target-language field, value))."""
    namespace = root.tag[1:].split("}")[0] if isinstance(root.tag, str) and root.tag.startswith("{") else ""
    version = _NAMESPACES.get(namespace) or ("1.2" if str(root.get("version", "")).startswith("1") else None)
    if _local(root) != "xliff" or version is None:
        raise FormatError(f"not an XLIFF document: the root element is <{_local(root) or root.tag}> in namespace "
                          f"{namespace or 'none'!r}; expected <xliff> of XLIFF 1.2 or 2.x", source=name,
                          line=root.sourceline)
    if version == "2":
        return version, (root.get("srcLang"), ("trgLang", root.get("trgLang")))
    files = [f for f in root if _local(f) == "file"]
    sources = {f.get("source-language") for f in files} - {None}
    targets = {f.get("target-language") for f in files} - {None}
    if len(sources) > 1 or len(targets) > 1:
        raise FormatError("the <file> elements of this XLIFF document have different source or target languages "
                          f"({', '.join(sorted(sources | targets))}); split it into one document per language pair",
                          source=name, line=root.sourceline)
    return version, (next(iter(sources), None), ("target-language", next(iter(targets), None)))


def _translate_flag(element: Any, inherited: bool) -> bool:
    flag = element.get("translate")
    return inherited if flag is None else flag != "no"


def _file_segments(root: Any, version: str) -> Any:
    """``(element, translate, target)`` of every segment in document order: the ``<segment>`` (2.x)
    or ``<trans-unit>`` (1.2) that holds a ``<source>``, whether it is to be translated, its target."""
    stack = [(root, True)]
    while stack:
        element, translate = stack.pop()
        translate = _translate_flag(element, translate)
        children = [c for c in element if isinstance(c.tag, str)]
        local = _local(element)
        if (version == "2" and local == "segment") or (version == "1.2" and local == "trans-unit"):
            source = next((c for c in children if _local(c) == "source"), None)
            if source is not None:
                target = next((c for c in children if _local(c) == "target"), None)
                yield element, translate, target
            continue
        if local in ("source", "target", "originalData", "notes", "skeleton", "metadata", "glossary"):
            continue
        stack.extend((c, translate) for c in reversed(children))


def _has_content(target: Any) -> bool:
    return bool((target.text or "").strip()) or len(target) > 0


def _read_source(segment: Any, version: str) -> tuple[str, list[InlineCode], int]:
    """Text, inline codes and deepest nesting of a segment's source. Each code's ``meta["ref"]`` is
    the position of its element in ``source.iter()``, where the writer finds it again."""
    source = next(c for c in segment if _local(c) == "source")
    nodes = list(source.iter())  # kept alive, so lxml hands out the same proxy objects below
    refs = {id(node): k for k, node in enumerate(nodes)}
    parts: list[str] = []
    codes: list[InlineCode] = []
    quiet: set[str] = set()  # ids of open <sm translate="no"/> ranges: their text is kept as written
    deepest = 0

    def put(piece: str) -> None:
        if not piece:
            return
        if quiet:
            at = sum(map(len, parts))
            codes.append(InlineCode(len(codes) + 1, "text", at, at, meta={"void": True, "text": piece}))
        else:
            parts.append(piece)

    # Iterative walk: (element, its code or None, depth); a None element closes the code.
    stack: list[tuple[Any, InlineCode | None, int]] = [(source, None, 0)]
    pending: list[Any] = []
    while stack:
        element, code, depth = stack.pop()
        if element is None:
            assert code is not None  # a closing entry always carries the code it closes
            code.end = sum(map(len, parts))
            put(pending.pop() or "")
            continue
        if element is not source:
            local = _local(element)
            at = sum(map(len, parts))
            kept = (local == "mrk" and (element.get("translate") == "no" or element.get("mtype") == "protected"))
            if local in _PAIRED and not kept and isinstance(element.tag, str):
                new = InlineCode(len(codes) + 1, local, at, at, meta={"ref": refs[id(element)], "void": False})
                codes.append(new)
                deepest = max(deepest, depth)
                stack.append((None, new, depth))
                pending.append(element.tail)
            else:
                codes.append(InlineCode(len(codes) + 1, local or "node", at, at,
                                        meta={"ref": refs[id(element)], "void": True}))
                if local == "sm" and element.get("translate") == "no":
                    quiet.add(element.get("id") or "")
                elif local == "em" and element.get("startRef") in quiet:
                    quiet.discard(element.get("startRef"))
                put(element.tail or "")
                continue
        put(element.text or "")
        stack.extend((child, None, depth + 1) for child in reversed(list(element)))
    # the tails of paired codes were queued when they opened; the loop above put them when they closed
    return "".join(parts), codes, deepest


def _unchanged(original: Article, article: Article) -> bool:
    return original.language == article.language and len(original.blocks) == len(article.blocks) and all(
        a.text == b.text and [c.to_dict() for c in a.inline] == [c.to_dict() for c in b.inline]
        for a, b in zip(original.blocks, article.blocks))


def _write_target(segment: Any, target: Any, version: str, block: Block) -> None:
    from copy import deepcopy

    from lxml import etree

    children = [c for c in segment if isinstance(c.tag, str)]
    source = next(c for c in children if _local(c) == "source")
    originals = list(source.iter())
    if target is None:
        target = etree.Element(source.tag.replace("}source", "}target") if "}" in source.tag else "target")
        anchor = source
        if version == "1.2":
            seg_source = next((c for c in children if _local(c) == "seg-source"), None)
            anchor = seg_source if seg_source is not None else source
        previous = anchor.getprevious()
        indent = (previous.tail if previous is not None else segment.text) or ""
        target.tail, anchor.tail = anchor.tail, indent if indent.strip() == "" else anchor.tail
        anchor.addnext(target)
    else:
        for child in list(target):
            target.remove(child)
        keep = {k: v for k, v in target.attrib.items()}
        target.attrib.clear()
        target.attrib.update(keep)
    target.text = None

    def put(parent: Any, piece: str) -> None:
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + piece
        else:
            parent.text = (parent.text or "") + piece

    # Iterative build: (parent element, nodes still to place).
    stack: list[tuple[Any, list[Any]]] = [(target, list(reversed(tree(block.text, block.inline))))]
    while stack:
        parent, nodes = stack[-1]
        if not nodes:
            stack.pop()
            continue
        node = nodes.pop()
        if isinstance(node, str):
            put(parent, node)
            continue
        code = node.code
        if "text" in code.meta:  # text of a range marked translate="no", kept as written
            put(parent, str(code.meta["text"]))
            continue
        original = originals[code.meta["ref"]] if isinstance(code.meta.get("ref"), int) and \
            code.meta["ref"] < len(originals) else None
        if original is None:
            continue
        if is_void(code):
            element = deepcopy(original)
            element.tail = None
            parent.append(element)
        else:
            element = etree.SubElement(parent, original.tag, dict(original.attrib))
            stack.append((element, list(reversed(node.children))))
    if version == "2":
        segment.set("state", "translated")
        segment.attrib.pop("subState", None)
    else:
        target.set("state", "translated")
        target.set("state-qualifier", "mt-suggestion")


def _set_target_language(root: Any, version: str, language: str) -> None:
    if version == "2":
        if _language(root.get("trgLang")) != _language(language):
            root.set("trgLang", language)
        return
    for file in root:
        if _local(file) == "file" and _language(file.get("target-language")) != _language(language):
            file.set("target-language", language)


def _around_root(text: str) -> tuple[str, str]:
    """What stands before the root element (XML declaration, comments, DOCTYPE) and after it."""
    start = _SNIFF.match(text[:8192] if len(text) > 8192 else text)
    head_end = 0
    if start:
        root_open = re.search(r"<(?:[\w.-]+:)?xliff[\s>]\Z", start.group())
        assert root_open is not None  # the sniffing pattern ends at the root element's name
        head_end = start.end() - len(root_open.group())
    close = list(re.finditer(r"</(?:[\w.-]+:)?xliff\s*>", text))
    tail = text[close[-1].end():] if close else ""
    return text[:head_end], tail


def retranslate_targets(article: Article) -> int:
    """Mark the segments of an XLIFF article that already have a target for translation again
    (by default such a target is kept); returns how many were marked."""
    marked = 0
    for block in article.blocks:
        info = block.meta.get("xliff") or {}
        if info.get("kept") == "target":
            block.meta.pop("translate", None)
            info.pop("kept")
            marked += 1
    return marked


def check_target(article: Article, target: str) -> None:
    """Refuse (:class:`UsageError`) a target language an XLIFF article does not ask for: a file that
    declares its target language is translated into that language only."""
    layout = article.meta.get("xliff")
    if not isinstance(layout, dict) or not layout.get("target_language"):
        return
    declared, field = layout["target_language"], layout.get("target_field", "trgLang")
    name = f"{article.source}: " if article.source else ""
    try:
        wanted = normalize_language(declared)
    except UsageError:
        raise UsageError(f"{name}the file's {field} is {declared!r}, a language kztranslate cannot translate into "
                         f"(it translates into {', '.join(LANGUAGES)}); give a file made for one of them") from None
    if wanted != normalize_language(target):
        raise UsageError(f"{name}the file's {field} is {declared!r}; translate it --to {wanted} "
                         f"(an XLIFF file is translated into the language it declares)")
