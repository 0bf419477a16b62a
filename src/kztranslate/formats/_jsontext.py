"""What the JSON-based formats (ninjs, JSON-LD, document JSON) share: JSON text in and out.

Reading parses with positions (an iterative parser on top of the standard library's string scanner),
so that

* errors name the line and column, nesting deeper than :data:`MAX_DEPTH` and escapes that decode to
  lone surrogates (``"\\ud800"``) are input errors rather than a ``RecursionError`` or a later
  ``UnicodeEncodeError``;
* writing *splices* the changes into the source text: every value that did not change is copied
  byte for byte (its spacing, escapes and number spelling included), a changed value is written in
  place, a new member goes after the last one with its siblings' indentation. An untouched document
  is written back exactly; a translated one differs only where its values differ.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from itertools import pairwise
from json.decoder import scanstring  # type: ignore[attr-defined]  # public in the module, absent from typeshed
from typing import Any

from ..errors import FormatError

__all__ = ["MAX_DEPTH", "load_json", "parse_json", "dump_json", "paragraphs", "parse_date"]

#: Deepest nesting of arrays/objects accepted (news items nest a handful of levels).
MAX_DEPTH = 500

_INDENT = re.compile(r"\n([ \t]+)\S")
_KEY_SEPARATOR = re.compile(r'"(\s*:\s*)')
_PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n\s*)")
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_CONSTANTS = {"true": True, "false": False, "null": None, "NaN": float("nan"), "Infinity": float("inf"),
              "-Infinity": float("-inf")}
_SURROGATE = re.compile("[\ud800-\udfff]")

Path = tuple[Any, ...]


class _Spans:
    """Where each value of a parsed document lies: path → (start, end) of the value, and for object
    members path → start of the member's key."""

    def __init__(self) -> None:
        self.value: dict[Path, tuple[int, int]] = {}
        self.member: dict[Path, int] = {}


def _skip_space(text: str, at: int) -> int:
    """The first position from ``at`` on that is not JSON whitespace."""
    match = _WS.match(text, at)
    return match.end() if match is not None else at


def _position(text: str, at: int) -> tuple[int, int]:
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def _fail(text: str, at: int, message: str, source: str | None) -> FormatError:
    line, column = _position(text, at)
    return FormatError(f"invalid JSON: {message}", source=source, line=line, column=column)


def parse_json(text: str, source: str | None = None, *, offset: int = 0) -> tuple[Any, _Spans]:
    """Parse ``text`` from ``offset``; returns the value and the spans of all its values.

    Raises :class:`FormatError` (with line and column) for malformed JSON, nesting deeper than
    :data:`MAX_DEPTH` and strings holding lone surrogates."""
    spans = _Spans()
    at = _skip_space(text, offset)
    # a stack of open containers: [container, path, start, key_pending]
    stack: list[list[Any]] = []
    result: Any = None
    done = False

    def string(at: int) -> tuple[str, int]:
        try:
            value, end = scanstring(text, at + 1, True)
        except json.JSONDecodeError as exc:
            raise _fail(text, exc.pos, exc.msg, source) from None
        bad = _SURROGATE.search(value)
        if bad:
            raise _fail(text, at, "a \\u escape that is half of a surrogate pair (a lone surrogate) cannot be "
                        "encoded; fix the escape or remove it", source)
        return value, end

    while not done:
        if at >= len(text):
            raise _fail(text, at, "unexpected end of the document", source)
        if stack and isinstance(stack[-1][0], dict) and stack[-1][3]:
            # expecting a key (or the end of an empty object)
            frame = stack[-1]
            if text[at] == "}" and not frame[0]:
                value, at, start = frame[0], at + 1, frame[2]
                path = frame[1]
                stack.pop()
            else:
                if text[at] != '"':
                    raise _fail(text, at, "expecting a property name in double quotes", source)
                key_start = at
                key, at = string(at)
                at = _skip_space(text, at)
                if text[at:at + 1] != ":":
                    raise _fail(text, at, "expecting ':' after a property name", source)
                at = _skip_space(text, at + 1)
                if key in frame[0]:
                    # two values for one name: which one counts is up to each reader, and both cannot be kept
                    first = _position(text, spans.member[frame[1] + (key,)])
                    raise _fail(text, key_start, f"the property name {key!r} appears twice in one object (first at "
                                f"line {first[0]}, column {first[1]}); remove one of them", source)
                frame[3] = False
                frame.append(key)
                spans.member[frame[1] + (key,)] = key_start
                continue
        else:
            path = _child_path(stack)
            start = at
            char = text[at]
            if char in "{[":
                if len(stack) >= MAX_DEPTH:
                    raise _fail(text, at, f"nested deeper than {MAX_DEPTH} levels; a news item never is — "
                                "check the file", source)
                container: Any = {} if char == "{" else []
                at = _skip_space(text, at + 1)
                stack.append([container, path, start, char == "{"])
                if char == "[" and text[at:at + 1] == "]":
                    stack.pop()
                    value, at = container, at + 1
                else:
                    continue
            elif char == '"':
                value, at = string(at)
            else:
                number = _NUMBER.match(text, at)
                if number:
                    literal = number.group()
                    value = float(literal) if any(c in literal for c in ".eE") else int(literal)
                    at = number.end()
                else:
                    for name, constant in _CONSTANTS.items():
                        if text.startswith(name, at):
                            value, at = constant, at + len(name)
                            break
                    else:
                        raise _fail(text, at, "expecting a value", source)
        # a value is complete: store it, then close every container it completes
        while True:
            spans.value[path] = (start, at)
            if not stack:
                result, done = value, True
                break
            frame = stack[-1]
            if isinstance(frame[0], dict):
                frame[0][frame.pop()] = value
            else:
                frame[0].append(value)
            at = _skip_space(text, at)
            closing = "}" if isinstance(frame[0], dict) else "]"
            if text[at:at + 1] == ",":
                at = _skip_space(text, at + 1)
                if isinstance(frame[0], dict):
                    frame[3] = True
                break
            if text[at:at + 1] == closing:
                at += 1
                stack.pop()
                value, path, start = frame[0], frame[1], frame[2]
                continue
            raise _fail(text, at, f"expecting ',' or '{closing}'", source)
    return result, spans


def _child_path(stack: list[list[Any]]) -> Path:
    if not stack:
        return ()
    frame = stack[-1]
    if isinstance(frame[0], dict):
        return frame[1] + (frame[-1],)
    return frame[1] + (len(frame[0]),)


def load_json(text: str, source: str | None) -> tuple[Any, dict[str, Any]]:
    """Parse ``text``; returns the value and its layout (which keeps the source text for
    :func:`dump_json`). Raises :class:`FormatError` with line/column."""
    bom = text.startswith("\ufeff")
    body = text[1:] if bom else text
    data, spans = parse_json(body, source)
    end = spans.value[()][1]
    if body[end:].strip(" \t\r\n"):
        raise _fail(body, _skip_space(body, end), "extra data after the document", source)
    indent = _INDENT.search(body)
    key_separator = _KEY_SEPARATOR.search(body)
    layout = {
        "indent": indent.group(1) if indent else None,
        "key_separator": key_separator.group(1) if key_separator else ": ",
        "item_separator": "," if indent or ", " not in body else ", ",
        "ensure_ascii": body.isascii() and "\\u" in body,
        "final_newline": body.endswith("\n"),
        "bom": bom,
        "source": body,
    }
    return data, layout


def dump_json(data: Any, layout: dict[str, Any] | None = None) -> str:
    """``data`` as JSON text. With the layout of a read document, the changes are spliced into its
    source (unchanged values keep their bytes); otherwise two-space indent, UTF-8, final newline."""
    layout = layout or {"indent": "  ", "key_separator": ": ", "item_separator": ",", "ensure_ascii": False,
                        "final_newline": True, "bom": False}
    source = layout.get("source")
    if isinstance(source, str):
        old, spans = parse_json(source)
        end = spans.value[()][1]
        text = source[: spans.value[()][0]] + _Splicer(source, spans, layout).value(old, data, ()) + source[end:]
        return ("\ufeff" if layout.get("bom") else "") + text
    text = _dumps(data, layout, level=0)
    return ("\ufeff" if layout.get("bom") else "") + text + ("\n" if layout["final_newline"] else "")


def _dumps(value: Any, layout: dict[str, Any], level: int) -> str:
    text = json.dumps(value, ensure_ascii=layout["ensure_ascii"], indent=layout["indent"],
                      separators=(layout["item_separator"], layout["key_separator"]))
    if layout["indent"] and level and "\n" in text:
        text = text.replace("\n", "\n" + layout["indent"] * level)
    return text


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b if not isinstance(a, (dict, list)) else a == b


class _Splicer:
    def __init__(self, source: str, spans: _Spans, layout: dict[str, Any]) -> None:
        self.source, self.spans, self.layout = source, spans, layout

    def raw(self, path: Path) -> str:
        start, end = self.spans.value[path]
        return self.source[start:end]

    def level(self, path: Path) -> int:
        return len(path)

    def value(self, old: Any, new: Any, path: Path) -> str:
        if _same(old, new):
            return self.raw(path)
        if isinstance(old, dict) and isinstance(new, dict):
            return self.object(old, new, path)
        if isinstance(old, list) and isinstance(new, list) and old:
            return self.array(old, new, path)
        if isinstance(new, str) and isinstance(old, str):
            ascii_only = self.layout["ensure_ascii"] or ("\\u" in self.raw(path) and self.raw(path).isascii())
            return json.dumps(new, ensure_ascii=ascii_only)
        return _dumps(new, self.layout, self.level(path))

    def object(self, old: dict, new: dict, path: Path) -> str:
        start, end = self.spans.value[path]
        if not any(k in new for k in old):
            return _dumps(new, self.layout, self.level(path))
        keys = list(old)
        separators, closing = self._separators([path + (k,) for k in keys], True, end)
        pieces: list[tuple[str | None, str]] = []
        for key in new:
            if key in old:
                key_start = self.spans.member[path + (key,)]
                value_start, _ = self.spans.value[path + (key,)]
                pieces.append((separators.get(key),
                               self.source[key_start:value_start] + self.value(old[key], new[key], path + (key,))))
            else:
                pieces.append((None, json.dumps(key, ensure_ascii=self.layout["ensure_ascii"])
                               + self.layout["key_separator"] + _dumps(new[key], self.layout, self.level(path) + 1)))
        lead = self.source[start:self.spans.member[path + (keys[0],)]]
        return lead + self._join(pieces, separators) + closing

    def array(self, old: list, new: list, path: Path) -> str:
        start, end = self.spans.value[path]
        separators, closing = self._separators([path + (i,) for i in range(len(old))], False, end)
        pieces: list[tuple[str | None, str]] = []
        for index, item in enumerate(new):
            if index < len(old):
                pieces.append((separators.get(index), self.value(old[index], item, path + (index,))))
            else:
                pieces.append((None, _dumps(item, self.layout, self.level(path) + 1)))
        lead = self.source[start:self.spans.value[path + (0,)][0]]
        return lead + self._join(pieces, separators) + closing

    @staticmethod
    def _join(pieces: list[tuple[str | None, str]], separators: dict[Any, str]) -> str:
        default = separators.get(None, ",")
        out = []
        for n, (separator, text) in enumerate(pieces):
            if n:
                out.append(separator if separator is not None else default)
            out.append(text)
        return "".join(out)

    def _separators(self, paths: list[Path], members: bool, end: int) -> tuple[dict[Any, str], str]:
        """The text before each member but the first (as in the source: ``",\n    "``), a default one
        for new members (the source's first, or built from the indentation before the first member),
        and the text from the last member to the closing bracket."""
        def begin(p: Path) -> int:
            return self.spans.member[p] if members else self.spans.value[p][0]

        separators: dict[Any, str] = {}
        for before, here in pairwise(paths):
            separators[here[-1]] = self.source[self.spans.value[before][1]:begin(here)]
        closing = self.source[self.spans.value[paths[-1]][1]:end]
        if len(paths) > 1:
            separators[None] = separators[paths[1][-1]]
        else:
            container_start = self.spans.value[paths[0][:-1]][0]
            separators[None] = "," + self.source[container_start + 1:begin(paths[0])]
        return separators, closing


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
