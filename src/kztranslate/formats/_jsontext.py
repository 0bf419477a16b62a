"""What the JSON-based formats (ninjs, JSON-LD) share: JSON text in and out with errors that have a
position and the source's layout (indentation, separators, escaping) remembered, so an untouched
document is written back byte for byte; plain-text bodies split into paragraphs; ISO 8601 dates."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from ..errors import FormatError

__all__ = ["load_json", "dump_json", "paragraphs", "parse_date"]

_INDENT = re.compile(r"\n([ \t]+)\S")
_KEY_SEPARATOR = re.compile(r'"(\s*:\s*)')
_PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n\s*)")


def load_json(text: str, source: str | None) -> tuple[Any, dict[str, Any]]:
    """Parse ``text``; returns the value and its layout. Raises :class:`FormatError` with line/column."""
    body = text.lstrip("\ufeff")
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON: {exc.msg}", source=source, line=exc.lineno, column=exc.colno) from exc
    indent = _INDENT.search(body)
    key_separator = _KEY_SEPARATOR.search(body)
    layout = {
        "indent": indent.group(1) if indent else None,
        "key_separator": key_separator.group(1) if key_separator else ": ",
        "item_separator": "," if indent or ", " not in body else ", ",
        "ensure_ascii": body.isascii() and "\\u" in body,
        "final_newline": body.endswith("\n"),
        "bom": text.startswith("\ufeff"),
    }
    return data, layout


def dump_json(data: Any, layout: dict[str, Any] | None = None) -> str:
    """``data`` as JSON text in ``layout`` (default: two-space indent, UTF-8, final newline)."""
    layout = layout or {"indent": "  ", "key_separator": ": ", "item_separator": ",", "ensure_ascii": False,
                        "final_newline": True, "bom": False}
    text = json.dumps(
        data,
        ensure_ascii=layout["ensure_ascii"],
        indent=layout["indent"],
        separators=(layout["item_separator"], layout["key_separator"]),
    )
    return ("\ufeff" if layout.get("bom") else "") + text + ("\n" if layout["final_newline"] else "")


def paragraphs(text: str) -> list[tuple[str, str]]:
    """A plain-text body split at blank lines: ``(paragraph, the break after it)``, which join back to ``text``."""
    pieces = _PARAGRAPH_BREAK.split(text) + [""]
    return [(pieces[i], pieces[i + 1]) for i in range(0, len(pieces) - 1, 2)]


def parse_date(value: Any) -> datetime | None:
    """An ISO 8601 date-time (``Z`` accepted), or None when ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
