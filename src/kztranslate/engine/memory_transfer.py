"""Moving a translation memory's entries to and from files: JSON Lines and TMX 1.4.

:meth:`TranslationMemory.export <kztranslate.engine.memory.TranslationMemory.export>` and
:meth:`~kztranslate.engine.memory.TranslationMemory.import_` (and ``kztranslate tm export`` /
``tm import``) run through here. A record is ``{"type": "segment" | "post_edit", "source_language",
"target_language", "source_text", "target_text", "signature", "truncated", "created", "hits"}``: one
JSON object per line, or one TMX ``<tu>`` whose ``<prop type="x-kztranslate-…">`` and
``usagecount`` carry the same facts. A TMX written by another tool (no such props) is read as
human translations (post-edits) from its source language into every other supported language in it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FormatError, InputError, UsageError
from ..languages import normalize_language
from .base import canonical_json, memory_signature
from .memory import PostEditRow, SegmentRow, _now, parse_pair

if TYPE_CHECKING:
    from .memory import TranslationMemory

__all__ = ["FORMATS", "export_memory", "import_memory", "transfer_format"]


def export_memory(memory: TranslationMemory, path: str | os.PathLike[str], format: str | None = None) -> int:
    """Write every entry of ``memory`` to ``path`` (atomically, from one consistent snapshot);
    returns the count. ``format``: ``"jsonl"`` (default) or ``"tmx"`` (default for a ``.tmx`` path)."""
    path = Path(path)
    write = _WRITERS[transfer_format(path, format)]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as out, memory.records() as records:
            count = write(records, out)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return count


def import_memory(memory: TranslationMemory, path: str | os.PathLike[str], format: str | None = None) -> int:
    """Read the entries of ``path`` into ``memory``, replacing matching ones; returns the count. Every
    record is checked first: a malformed one stops the import before anything is written."""
    path = Path(path)
    segments: dict[str, tuple[Mapping[str, Any], list[SegmentRow]]] = {}
    post_edits: list[PostEditRow] = []
    for where, record in _READERS[transfer_format(path, format)](path):
        try:
            kind = record["type"]
            source, target = parse_pair((record["source_language"], record["target_language"]))
            src_text, tgt_text = record["source_text"], record["target_text"]
            if not (isinstance(src_text, str) and isinstance(tgt_text, str)):
                raise ValueError("source_text and target_text must be strings")
            signature = record.get("signature")
            created = str(record.get("created") or _now())
            hits = int(record.get("hits") or 0)
            if kind == "segment" and isinstance(signature, dict):
                rows = segments.setdefault(canonical_json(memory_signature(signature)), (signature, []))[1]
                rows.append((source, target, src_text, tgt_text, bool(record.get("truncated")), created, hits))
            elif kind == "post_edit" and (signature is None or isinstance(signature, dict)):
                post_edits.append((src_text, tgt_text, source, target, signature, created, hits))
            else:
                raise ValueError(f"unknown record type {kind!r} or a missing signature")
        except (ValueError, KeyError, TypeError, AttributeError, UsageError) as exc:
            raise FormatError(
                f"{where}not a kztranslate memory record ({exc}); "
                "expected a file written by `kztranslate tm export`",
                source=str(path), line=record.get("_line") if isinstance(record, dict) else None,
            ) from exc
    return memory.store_records(list(segments.values()), post_edits)


def transfer_format(path: Path, format: str | None) -> str:
    """The format to read or write ``path`` in: ``format`` if given, else by the file name."""
    chosen = (format or ("tmx" if path.suffix.lower() == ".tmx" else "jsonl")).lower()
    if chosen not in _WRITERS:
        raise UsageError(f"unknown memory file format {format!r}; choose one of: {', '.join(_WRITERS)}")
    return chosen


_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PROP = "x-kztranslate-"


def _write_jsonl(records: Iterator[dict[str, Any]], out: Any) -> int:
    count = 0
    for record in records:
        count += 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return count


def _read_jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the memory file: {exc}", source=str(path)) from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise FormatError(
                f"not JSON ({exc}); expected one JSON object per line", source=str(path), line=number
            ) from exc
        if isinstance(record, dict):
            record["_line"] = number
        yield "", record


def _write_tmx(records: Iterator[dict[str, Any]], out: Any) -> int:
    import xml.etree.ElementTree as ET

    from .._version import __version__

    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n')
    header = ET.Element("header", {
        "creationtool": "kztranslate", "creationtoolversion": __version__, "datatype": "plaintext",
        "segtype": "sentence", "adminlang": "en", "srclang": "*all*", "o-tmf": "kztranslate",
    })
    out.write(f"  {ET.tostring(header, encoding='unicode')}\n  <body>\n")
    count = 0
    for record in records:
        count += 1
        tu = ET.Element("tu", {"srclang": record["source_language"], "usagecount": str(record["hits"])})
        if record["created"]:
            tu.set("creationdate", datetime.fromisoformat(record["created"]).strftime("%Y%m%dT%H%M%SZ"))
        props = {"type": record["type"], "truncated": "true" if record["truncated"] else None,
                 "signature": None if record["signature"] is None else canonical_json(record["signature"])}
        for name, value in props.items():
            if value is not None:
                ET.SubElement(tu, "prop", {"type": _PROP + name}).text = value
        for language, text in ((record["source_language"], record["source_text"]),
                               (record["target_language"], record["target_text"])):
            ET.SubElement(ET.SubElement(tu, "tuv", {_XML_LANG: language}), "seg").text = text
        out.write(f"    {ET.tostring(tu, encoding='unicode')}\n")
    out.write("  </body>\n</tmx>\n")
    return count


def _read_tmx(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Our own ``tu``s back as records; a ``tu`` of another tool (no kztranslate props) as
    post-edits from its source language into each other supported language."""
    import xml.etree.ElementTree as ET

    def language(tag: str | None) -> str | None:
        try:
            return normalize_language(tag) if tag else None
        except UsageError:
            return None  # "*all*", or a language kztranslate does not translate

    default_source = None
    number = 0
    try:
        for event, element in ET.iterparse(path, events=("start", "end")):
            if event == "start" and element.tag == "header":
                default_source = element.get("srclang")
            if event != "end" or element.tag != "tu":
                continue
            number += 1
            props = {p.get("type", ""): p.text or "" for p in element.findall("prop")}
            variants: dict[str, str] = {}
            for tuv in element.findall("tuv"):
                seg, tag = tuv.find("seg"), language(tuv.get(_XML_LANG) or tuv.get("lang"))
                if seg is not None and tag:
                    # inline markup elements (bpt, ept, ph, …) are dropped, their surrounding text kept
                    variants[tag] = (seg.text or "") + "".join(child.tail or "" for child in seg)
            source = language(element.get("srclang")) or language(default_source)
            created = element.get("creationdate")
            if created:
                created = datetime.strptime(created, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).isoformat()
            hits = element.get("usagecount") or 0
            element.clear()
            targets = [lang for lang in variants if lang != source and variants[lang].strip()]
            where = f"translation unit {number}: "
            if _PROP + "type" in props:
                signature = props.get(_PROP + "signature")
                yield where, {
                    "type": props[_PROP + "type"], "source_language": source,
                    "target_language": targets[0] if len(targets) == 1 else None,
                    "source_text": variants.get(source) if source else None,
                    "target_text": variants[targets[0]] if targets else None,
                    "signature": None if signature is None else json.loads(signature),
                    "truncated": props.get(_PROP + "truncated") == "true", "created": created, "hits": hits,
                }
            elif source in variants and variants[source].strip():
                for target in targets:
                    yield where, {
                        "type": "post_edit", "source_language": source, "target_language": target,
                        "source_text": variants[source], "target_text": variants[target], "signature": None,
                        "created": created, "hits": 0,
                    }
    except (ET.ParseError, OSError, ValueError) as exc:
        raise FormatError(f"not a readable TMX file ({exc})", source=str(path)) from exc


_WRITERS: dict[str, Callable[[Iterator[dict[str, Any]], Any], int]] = {"jsonl": _write_jsonl, "tmx": _write_tmx}
_READERS: dict[str, Callable[[Path], Iterator[tuple[str, dict[str, Any]]]]] = {"jsonl": _read_jsonl, "tmx": _read_tmx}

#: The transfer formats, by name.
FORMATS = tuple(_WRITERS)
