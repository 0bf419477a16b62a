"""XLIFF 2.1 for post-editing: export an article with its machine translation, import the edits.

One ``<unit id="b<block index>">`` per translatable block, its role as ``<note category="role">``;
one ``<segment>`` per sentence when both source and variant blocks carry ``meta["segments"]`` (a list
of sentence strings) of the same length and no inline markup, else one per block. Inline markup is
written as XLIFF inline codes — ``<pc>`` for a span, ``<ph>`` for an empty element — with the markup
itself in ``<originalData>``. The file's ``mda:metadata`` records the source article's checksum.

:func:`import_` validates the whole file against the article first (languages, checksum, unit ids,
count, each unit's source text and codes, every target present) and raises
:class:`~kztranslate.errors.MergeError` on any mismatch; only then does it merge, so a file is never
half merged. XLIFF is not a registered :class:`~kztranslate.formats.base.Format`: a file is a pair
(source and target) tied to one exact source article, which ``read``/``write`` of a single article
cannot express; use :func:`export` / :func:`import_` or ``kztranslate xliff``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html import escape
from typing import Any

from ..document import Article, Block, InlineCode, Provenance
from ..errors import FormatError, MergeError, UsageError
from ..inline import Span, is_void, tree
from ..languages import normalize_language

__all__ = ["XLIFF_NS", "export", "import_"]

XLIFF_NS = "urn:oasis:names:tc:xliff:document:2.0"
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
    """Write ``text`` with ``codes`` as nested <pc>/<ph> under ``element`` (nesting as kztranslate.inline sees it)."""
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

    ``name`` names the file in error messages. Raises :class:`FormatError` for malformed XML and :class:`MergeError` when the file does not
    match ``source``/``variant``; nothing is merged unless the whole file matches.
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
    merged.provenance.meta["post_edited"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return merged


def _parse(text: str, name: str | None) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(text.lstrip("\ufeff").encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        message = re.sub(r", line \d+, column \d+$", "", exc.msg)  # the position is given once, up front
        raise FormatError(f"malformed XLIFF: {message}; repair the XML there, or export the article again "
                          "and redo the edits", source=name, line=line, column=column) from exc
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
