"""Markdown with YAML (``---``) or TOML (``+++``) front matter (Hugo/Jekyll-style sites).

The body is parsed with markdown-it-py (CommonMark + tables + strikethrough); every block keeps the
exact source lines it came from, so a block whose text did not change is written back byte for byte
and only translated blocks are re-rendered. Front matter is parsed with PyYAML or tomllib, and only the
values that changed are re-emitted, in place: unknown keys, comments and key order stay as they were.

Site-generator syntax is never text: Hugo shortcodes (``{{< … >}}``, ``{{% … %}}``), Go/Liquid template
tags (``{{ … }}``, ``{% … %}``), heading attributes (``{#id}``), GFM task markers (``[ ]``) and alert
markers (``> [!NOTE]``) are swapped for opaque placeholders before markdown-it parses the body, become
empty inline codes kept as written (so a link to ``{{< relref "…" >}}`` is still a link), and are put back
on writing. A shortcode or Liquid block that holds code (``highlight``, ``code-toggle``, ``raw``, …) from
its opening line to its closing line is kept as written.

Block meta (``meta["markdown"]``): ``before`` (source text between the previous block and this one),
``raw`` (the block's source lines), ``prefix``/``suffix`` (container and heading markers around the
inline content on its first/last line), ``source`` (the inline Markdown of the content) and ``after``
(source lines after the content, e.g. a setext underline). Article meta ``markdown``:
``front_matter`` (``open``, ``yaml`` — the front matter text, YAML or TOML —, ``close``, ``kind``),
``tail`` (source after the last block) and ``templates`` (the original text of each placeholder).
"""

from __future__ import annotations

import bisect
import datetime as _dt
import hashlib
import json
import re
import string
import unicodedata
from typing import Any, ClassVar

import yaml

from ..document import Article, Block, InlineCode
from ..errors import FormatError, UsageError
from ..langid import detect_language
from ..languages import normalize_language

__all__ = ["MarkdownFormat"]

# Front-matter keys by the role their value plays.
_ROLE_OF_KEY = {"title": "headline", "description": "subheadline", "summary": "subheadline"}
_BYLINE_KEYS = ("author", "authors")
_TAG_KEYS = ("tags", "categories")
_LANGUAGE_KEYS = ("lang", "language")

_RAW_BLOCKS = {"fence", "code_block", "html_block", "hr", "table_open"}
_ASCII_PUNCTUATION = frozenset(string.punctuation)
_HTML_OPEN = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*?)?)\s*>")
_HTML_CLOSE = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_HTML_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_PAIRED = {"em": "em", "strong": "strong", "s": "s", "link": "a"}
# Markdown syntax characters; '!' only at a piece's end, where a link's '[' may follow it.
_ESCAPE = re.compile(r"([\\`*_\[\]<>~]|!\Z)|&(?=#?\w+;)")
_LINE_START = re.compile(r"^([ \t]*)([#+=>-])", re.M)
_MARKERS_ONLY = re.compile("[ \t>]*(?:(?:[-+*]|\\d{1,9}[.)])[ \t]+)?(?:#{1,6}[ \t]+)?[ \t>]*(?:\ue000\\d+\ue001[ \t]*)*")
_LEADING_SLOTS = re.compile("(?:\ue000\\d+\ue001[ \t]*\n?[ \t]*)*")
_SLOT_AT_END = re.compile("\ue000\\d+\ue001\\Z")


def _parser():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    # Keep link targets as written (markdown-it would percent-encode Cyrillic and normalize them).
    md.normalizeLink = lambda url: url
    md.normalizeLinkText = lambda text: text
    return md


class MarkdownFormat:
    """Reader/writer of Markdown articles with optional YAML front matter."""

    name: ClassVar[str] = "markdown"
    extensions: ClassVar[tuple[str, ...]] = (".md", ".markdown")

    def __init__(self) -> None:
        self._md = _parser()

    # -- sniffing ---------------------------------------------------------------------------
    def sniff(self, text: str) -> bool:
        head = text.lstrip("\ufeff")[:4096]
        if head.lstrip().startswith(("{", "[", "<")):  # JSON or markup, whatever "# " it may contain
            return False
        if re.match(r"(?:---|\+\+\+)[ \t]*\r?\n", head):
            return True
        return bool(re.search(r"^#{1,6} \S|\]\([^)\s]+\)|^```", head, re.M))

    # -- reading ----------------------------------------------------------------------------
    def read(self, text: str, *, source: str | None = None, language: str | None = None) -> Article:
        lines = text.splitlines(keepends=True)
        front, body_start = _split_front_matter(lines, source)
        article = Article(language="")
        blocks: list[Block] = []
        values: dict[str, Any] = {}
        if front is not None:
            values = _load_front_matter(front, source)
            blocks.extend(_front_matter_blocks(values))
            article.published = _as_datetime(values.get("date"))
        references: dict[str, Any] = {}
        body, templates = _protect("".join(lines[body_start:]))
        body_blocks, tail = self._body_blocks(body.splitlines(keepends=True), references, templates,
                                              has_title=any(b.role == "headline" for b in blocks))
        blocks.extend(body_blocks)
        article.blocks = blocks
        article.meta["markdown"] = {"front_matter": front, "tail": tail, "references": references,
                                    "templates": templates}
        article.language = _language(language, values, blocks)
        declared = next((k for k in _LANGUAGE_KEYS if isinstance(values.get(k), str) and values[k].strip()), None)
        if declared and not language:
            article.meta["markdown"]["language_field"] = f"front matter {declared!r}"
        return article

    def _body_blocks(self, lines: list[str], references: dict[str, Any], templates: list[str], *,
                     has_title: bool) -> tuple[list[Block], str]:
        env: dict[str, Any] = {}
        tokens = self._md.parse("".join(lines), env)
        references.update(env.get("references", {}))
        blocks: list[Block] = []
        cursor = 0
        containers: list[str] = []
        skip_depth = 0
        for i, token in enumerate(tokens):
            if skip_depth:
                skip_depth += token.nesting
                continue
            if token.type in ("blockquote_open", "list_item_open"):
                containers.append(token.type)
            elif token.type in ("blockquote_close", "list_item_close"):
                containers.pop()
            if token.type in _RAW_BLOCKS:
                if token.type == "table_open":
                    skip_depth = 1
                start, end = token.map
                blocks.append(Block("other", _restore("".join(lines[start:end]), templates), meta={
                    "translate": False,
                    "markdown": {"before": "".join(lines[cursor:start]), "raw": "".join(lines[start:end])},
                }))
                cursor = end
            elif token.type == "inline" and tokens[i - 1].type in ("heading_open", "paragraph_open"):
                opener = tokens[i - 1]
                start, end = opener.map
                role = _role(opener, containers, has_title)
                if role == "headline":
                    has_title = True
                block = self._text_block(role, token.content, lines[start:end], references, templates)
                block.meta["markdown"]["before"] = "".join(lines[cursor:start])
                blocks.append(block)
                cursor = end
        return blocks, "".join(lines[cursor:])

    def _text_block(self, role: str, content: str, raw_lines: list[str], references: dict[str, Any],
                    templates: list[str]) -> Block:
        # Placeholders opening or closing the content (a task or alert marker, a heading's {#id}, a
        # leading shortcode) stay where they are, outside the text: the layout keeps them.
        whole = content
        lead = _LEADING_SLOTS.match(content).group()
        trail = _trailing_slots(content, len(lead))
        if content[len(lead):trail].strip():
            content = content[len(lead):trail]
        else:
            lead = ""
        skip = lead.count("\n")
        text, inline = self._inline(content, references, templates)
        layout: dict[str, Any] = {"raw": "".join(raw_lines), "source": content}
        if _nesting(inline) > _MAX_NESTING:  # nobody writes this; kept as written rather than translated
            return Block(role, text, inline, meta={"translate": False, "markdown": layout})
        content_lines = content.split("\n")
        if skip + len(content_lines) > len(raw_lines) or whole.count("\n") >= len(raw_lines):
            return Block(role, text, inline, meta={"translate": False, "markdown": layout})
        first, last = raw_lines[skip], raw_lines[skip + len(content_lines) - 1]
        start = _content_start(first, content_lines[0])
        last_from = start if len(content_lines) == 1 else 0
        end = last.find(content_lines[-1], last_from) if start is not None else -1
        if start is None or end < 0:
            # Tabs or odd indentation we cannot map back: the block is kept exactly as written.
            return Block(role, text, inline, meta={"translate": False, "markdown": layout})
        layout["prefix"] = "".join(raw_lines[:skip]) + first[:start]
        layout["suffix"] = last[end + len(content_lines[-1]):]
        layout["after"] = "".join(raw_lines[skip + len(content_lines):])
        return Block(role, text, inline, meta={"markdown": layout})

    def _inline(self, content: str, references: dict[str, Any],
                templates: list[str]) -> tuple[str, list[InlineCode]]:
        """Plain text and inline codes of inline Markdown (``[text][ref]`` links resolved through
        ``references``; placeholders become empty codes holding the text they stand for)."""
        (token,) = [t for t in self._md.parseInline(content, {"references": dict(references)}) if t.type == "inline"]
        parts: list[str] = []
        codes: list[InlineCode] = []
        _walk(token.children or [], parts, codes)
        for code in codes:
            target = code.attrs.get("href") or code.attrs.get("src")
            if target and _SLOT.search(target) and f"(<{target}>" in content:  # written <{{% eturl x %}}>
                code.meta["close"] = code.meta["close"].replace(f"({target}", f"(<{target}>", 1)
            for key in ("raw", "open", "close"):
                if isinstance(code.meta.get(key), str):
                    code.meta[key] = _restore(code.meta[key], templates)
            code.attrs = {name: _restore(value, templates) for name, value in code.attrs.items()}
        return "".join(parts), codes

    # -- writing ----------------------------------------------------------------------------
    def write(self, article: Article) -> str:
        layout = article.meta.get("markdown")
        if not isinstance(layout, dict):
            raise UsageError("this article was not read from Markdown; write it as json, or read a .md source")
        out: list[str] = []
        templates = layout.get("templates") or []
        front = layout.get("front_matter")
        if front is not None:
            rewrite = _front_matter_toml if front.get("kind") == "toml" else _front_matter_yaml
            out.append(front["open"] + rewrite(article, front["yaml"]) + front["close"])
        for block in article.blocks:
            md = block.meta.get("markdown")
            if md is None and "label" in block.meta:  # a machine-translation label: a paragraph of its own
                out.append(("" if not out or out[-1].endswith("\n") else "\n") + "\n" + _escape(block.text) + "\n")
                continue
            if md is None or "front_matter" in block.meta:
                continue
            out.append(md["before"])
            out.append(self._render_block(block, md, layout.get("references") or {}, templates))
        out.append(layout.get("tail", ""))
        return _restore("".join(out), templates)

    def _render_block(self, block: Block, md: dict[str, Any], references: dict[str, Any],
                      templates: list[str]) -> str:
        if "prefix" not in md:
            return md["raw"]
        text, inline = self._inline(md["source"], references, templates)
        if text == block.text and [c.to_dict() for c in inline] == [c.to_dict() for c in block.inline]:
            return md["raw"]
        return md["prefix"] + _render_inline(block.text, block.inline) + md["suffix"] + md["after"]


# -- front matter --------------------------------------------------------------------------------
_FENCES = {"---": ("yaml", ("---", "...")), "+++": ("toml", ("+++",))}


def _split_front_matter(lines: list[str], source: str | None) -> tuple[dict[str, str] | None, int]:
    fence = lines[0].lstrip("\ufeff").rstrip("\r\n").rstrip() if lines else ""
    if fence not in _FENCES:
        return None, 0
    kind, closers = _FENCES[fence]
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() in closers:
            return {"open": lines[0], "yaml": "".join(lines[1:i]), "close": lines[i], "kind": kind}, i + 1
    raise FormatError(f"front matter opened with '{fence}' is never closed; add a '{fence}' line after it",
                      source=source, line=1, column=1)


def _load_front_matter(front: dict[str, str], source: str | None) -> dict[str, Any]:
    if front.get("kind") == "toml":
        return _load_toml(front["yaml"], source)
    return _load_yaml(front["yaml"], source)


def _load_toml(text: str, source: str | None) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        problem = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", str(exc))
        raise FormatError(
            f"broken TOML front matter: {problem}; fix the front matter between the '+++' lines",
            source=source,
            line=int(where.group(1)) + 1 if where else None,  # +1 for the opening '+++'
            column=int(where.group(2)) if where else None,
        ) from exc


def _load_yaml(text: str, source: str | None) -> dict[str, Any]:
    try:
        values = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        started = ""
        if exc.context and exc.context_mark and exc.problem_mark:  # e.g. a quote opened on another line
            started = f" {exc.context} that starts at line {exc.context_mark.line + 2}, column {exc.context_mark.column + 1}"
        raise FormatError(
            f"broken YAML front matter: {exc.problem or exc.context}{started}; "
            "fix the front matter between the '---' lines",
            source=source,
            line=mark.line + 2 if mark else None,  # +1 for 1-based, +1 for the opening '---'
            column=mark.column + 1 if mark else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise FormatError(f"broken YAML front matter: {exc}", source=source) from exc
    except (ValueError, OverflowError) as exc:  # a value YAML reads as a date or number that is none (2024-13-02)
        node = _bad_scalar(text)
        raise FormatError(
            f"broken YAML front matter: {node.value if node else 'a value'!r} is not a valid "
            f"{_YAML_KIND.get(node.tag, 'value') if node else 'value'} ({exc}); correct it, or quote it to keep it as text",
            source=source,
            line=node.start_mark.line + 2 if node else None,
            column=node.start_mark.column + 1 if node else None,
        ) from exc
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise FormatError("front matter must be a YAML mapping (key: value lines)", source=source, line=2, column=1)
    return _join_surrogates(values, text, source)


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _join_surrogates(values: dict[str, Any], text: str, source: str | None) -> dict[str, Any]:
    """YAML decodes ``"\\ud83d\\ude00"`` into two surrogates: join such pairs into their character, and
    refuse a lone surrogate (no writer can encode it) naming where its escape is."""
    def fix(value: Any) -> Any:
        if isinstance(value, str) and _SURROGATE.search(value):
            try:
                return value.encode("utf-16", "surrogatepass").decode("utf-16")
            except UnicodeDecodeError:
                escape = _SURROGATE_ESCAPE.search(text)
                line = text.count("\n", 0, escape.start()) + 2 if escape else None  # +1 for the opening '---'
                column = escape.start() - text.rfind("\n", 0, escape.start()) if escape else None
                raise FormatError("broken YAML front matter: a \\u escape that is half of a surrogate pair (a lone "
                                  "surrogate) is no character; write the character itself",
                                  source=source, line=line, column=column) from None
        return value

    stack: list[Any] = [values]
    while stack:  # iterative: front matter may nest deeply
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if isinstance(value, (dict, list)):
                stack.append(value)
            else:
                node[key] = fix(value)
    return values


_YAML_KIND = {"tag:yaml.org,2002:timestamp": "date", "tag:yaml.org,2002:int": "integer",
              "tag:yaml.org,2002:float": "number"}


def _bad_scalar(text: str) -> Any:
    """The first scalar of a YAML document that PyYAML resolves to a type but cannot construct."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        pending = [root] if root is not None else []
        while pending:
            node = pending.pop(0)
            if isinstance(node, yaml.ScalarNode):
                try:
                    loader.construct_object(node, deep=True)
                except (ValueError, OverflowError, yaml.YAMLError):
                    return node
            elif isinstance(node, yaml.SequenceNode):
                pending.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                pending.extend(n for pair in node.value for n in pair)
    finally:
        loader.dispose()
    return None


def _front_matter_blocks(values: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    for key, value in values.items():
        role = _ROLE_OF_KEY.get(key)
        if role and isinstance(value, str):
            blocks.append(Block(role, value, meta={"front_matter": key}))
        elif key in _BYLINE_KEYS or key in _TAG_KEYS:
            role = "byline" if key in _BYLINE_KEYS else "tags"
            items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            for index, item in enumerate(items):
                if not isinstance(item, str):
                    continue
                meta: dict[str, Any] = {"front_matter": key}
                if not isinstance(value, str):
                    meta["item"] = index
                if role == "byline":
                    meta["names"] = [item]
                blocks.append(Block(role, item, meta=meta))
    return blocks


def _front_matter_yaml(article: Article, text: str) -> str:
    """The front matter with changed values re-emitted in place (and lang/translationKey on variants)."""
    if not text.strip():
        original: dict[str, Any] = {}
        root = None
    else:
        original = _join_surrogates(yaml.safe_load(text) or {}, text, None)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    nodes = {key.value: value for key, value in root.value} if root is not None else {}
    edits: list[tuple[int, int, str]] = []
    for block in article.blocks:
        key = block.meta.get("front_matter")
        if key is None or key not in nodes:
            continue
        node, old = nodes[key], original[key]
        if "item" in block.meta:
            node, old = node.value[block.meta["item"]], old[block.meta["item"]]
        if block.text != old:
            edits.append(_replace_scalar(node, block.text, flow=_in_flow(nodes[key])))
    language_changed = _front_language(original) not in (None, article.language)
    additions: list[str] = []
    if article.provenance is not None or language_changed:
        if "lang" in nodes:
            if original["lang"] != article.language:
                edits.append(_replace_scalar(nodes["lang"], article.language, flow=False))
        else:
            additions.append(f"lang: {article.language}\n")
        if "translationKey" not in nodes:
            additions.append(f"translationKey: {_scalar(_translation_key(original, text), None)}\n")
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    if additions and text and not text.endswith("\n"):
        text += "\n"
    return text + "".join(additions)


def _front_matter_toml(article: Article, text: str) -> str:
    """TOML front matter with changed strings re-emitted in place (and lang/translationKey on variants):
    the bytes of every other key, comment and table stay as they were."""
    import tomllib

    original = tomllib.loads(text)
    spans, table_start = _toml_top_level(text)
    edits: list[tuple[int, int, str]] = []
    for block in article.blocks:
        key = block.meta.get("front_matter")
        if key is None or key not in spans:
            continue
        old = original[key]
        items = spans[key]
        if "item" in block.meta:
            index = block.meta["item"]
            old = old[index] if isinstance(old, list) and index < len(old) else None
            strings = [span for span in items if span is not None]
            span = strings[index] if index < len(strings) else None
        else:
            span = items[0] if len(items) == 1 else None
        if span is not None and block.text != old:
            edits.append((span[0], span[1], _toml_string(block.text, text[span[0]])))
    language_changed = _front_language(original) not in (None, article.language)
    additions: list[str] = []
    if article.provenance is not None or language_changed:
        lang_span = spans.get("lang", [None])[0] if len(spans.get("lang", [])) == 1 else None
        if "lang" in original and lang_span is not None:
            if original["lang"] != article.language:
                edits.append((lang_span[0], lang_span[1], _toml_string(article.language, text[lang_span[0]])))
        elif "lang" not in original:
            additions.append(f"lang = {_toml_string(article.language, chr(34))}\n")
        if "translationKey" not in original:
            additions.append(f"translationKey = {_toml_string(_translation_key(original, text), chr(34))}\n")
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
        if start < table_start:
            table_start += len(new) - (end - start)
    if additions:
        head, rest = text[:table_start], text[table_start:]
        if head and not head.endswith("\n"):
            head += "\n"
        text = head + "".join(additions) + rest
    return text


def _toml_string(value: str, quote: str) -> str:
    """A TOML string: a literal one ('…') where the source used one and the value allows it, else basic."""
    if quote == "'" and "'" not in value and not any(c in value for c in "\n\r") and value.isprintable():
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)  # JSON's escapes are TOML basic-string escapes


_TOML_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'")
_TOML_STRINGS = (
    re.compile(r'"""(?:[^\\]|\\.)*?"""(?!")', re.S),
    re.compile(r"'''.*?'''(?!')", re.S),
    re.compile(r'"(?:[^"\\\n]|\\.)*"'),
    re.compile(r"'[^'\n]*'"),
)


def _toml_top_level(text: str) -> tuple[dict[str, list[tuple[int, int] | None]], int]:
    """For each top-level ``key = value`` before the first table header: the spans of its string
    value, or of each item of an array (None for an item that is not a string); and where the first
    table header starts (the end of the text without one)."""
    spans: dict[str, list[tuple[int, int] | None]] = {}
    i = 0
    while i < len(text):
        i = _toml_skip(text, i, newlines=True)
        if i >= len(text) or text[i] == "[":
            return spans, i
        key = _TOML_BARE_KEY.match(text, i)
        if key is None:
            break
        j = _toml_skip(text, key.end(), newlines=False)
        if not text.startswith("=", j):  # a dotted key or something we do not edit: skip the line
            i = text.find("\n", j) + 1 or len(text)
            continue
        j = _toml_skip(text, j + 1, newlines=False)
        end, items = _toml_value(text, j)
        name = key.group()
        spans[name.strip("\"'") if name[0] in "\"'" else name] = items
        i = text.find("\n", end) + 1 or len(text)
    return spans, len(text)


def _toml_skip(text: str, i: int, *, newlines: bool) -> int:
    """Past spaces and comments (and line breaks when ``newlines``)."""
    while i < len(text):
        if text[i] in " \t" or (newlines and text[i] in "\r\n"):
            i += 1
        elif text[i] == "#":
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
        else:
            break
    return i


def _toml_value(text: str, i: int) -> tuple[int, list[tuple[int, int] | None]]:
    """End of the TOML value at ``i`` and the spans of its strings (see :func:`_toml_top_level`)."""
    for pattern in _TOML_STRINGS:
        match = pattern.match(text, i)
        if match:
            return match.end(), [(match.start(), match.end())]
    if text.startswith("[", i):
        items: list[tuple[int, int] | None] = []
        i += 1
        while i < len(text):
            i = _toml_skip(text, i, newlines=True)
            if text.startswith("]", i):
                return i + 1, items
            end, inner = _toml_value(text, i)
            items.append(inner[0] if len(inner) == 1 and inner[0] is not None
                         and text[inner[0][0]] in "\"'" and inner[0] == (i, end) else None)
            i = _toml_skip(text, end, newlines=True)
            if text.startswith(",", i):
                i += 1
        return len(text), items
    if text.startswith("{", i):
        depth = 0
        while i < len(text):
            for pattern in _TOML_STRINGS:
                match = pattern.match(text, i)
                if match:
                    i = match.end()
                    break
            else:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
                if depth == 0:
                    break
        return i, [None]
    match = re.compile(r"[^\s,\]#]+(?:[ T][0-9:.+Z-]+)?").match(text, i)
    return (match.end() if match else i), [None]


def _translation_key(values: dict[str, Any], source_yaml: str) -> str:
    """A key the source and all its variants share: the slug, else a digest of the source's front matter
    (every variant is written from the source's front matter text, so they all compute the same key)."""
    slug = values.get("slug")
    if isinstance(slug, str) and slug:
        return slug
    return hashlib.sha256(source_yaml.encode("utf-8")).hexdigest()[:16]


def _front_language(values: dict[str, Any]) -> str | None:
    for key in _LANGUAGE_KEYS:
        if isinstance(values.get(key), str):
            try:
                return normalize_language(values[key])
            except UsageError:
                return None
    return None


def _in_flow(node: Any) -> bool:
    return isinstance(node, yaml.SequenceNode) and bool(node.flow_style)


def _replace_scalar(node: Any, value: str, *, flow: bool) -> tuple[int, int, str]:
    style = getattr(node, "style", None)
    new = _scalar(value, style, flow=flow)
    if style in ("|", ">"):
        new += "\n"  # a block scalar's span ends after its line break
    return node.start_mark.index, node.end_mark.index, new


def _scalar(value: str, style: str | None, *, flow: bool = False) -> str:
    """YAML text for a string: plain when that reads back as the same string, else quoted."""
    if style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style is None and value and "\n" not in value and value == value.strip():
        unsafe = flow and any(c in value for c in ",[]{}")
        try:
            same = yaml.safe_load(f"k: {value}") == {"k": value}
        except yaml.YAMLError:
            same = False
        if same and not unsafe:
            return value
    return json.dumps(value, ensure_ascii=False)


def _as_datetime(value: Any) -> _dt.datetime | None:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _language(given: str | None, values: dict[str, Any], blocks: list[Block]) -> str:
    if given:
        return normalize_language(given)
    found = _front_language(values)
    if found:
        return found
    declared = next((values[k] for k in _LANGUAGE_KEYS if isinstance(values.get(k), str) and values[k].strip()), None)
    if declared:  # a language we do not translate: kept, so translating names it instead of guessing
        return declared.strip()
    return detect_language(" ".join(b.text for b in blocks if b.meta.get("translate", True))[:4000]) or ""


# -- site-generator syntax ---------------------------------------------------------------------
# A placeholder stands for a piece of the source that is not text: private-use characters around the
# index of its original in the article's ``templates`` list. A whole line of a kept block is one
# placeholder too, the first wrapped in "<!--" and the last followed by "-->", so markdown-it reads
# the block as one HTML comment (kept as written) whatever it holds.
_SLOT = re.compile("(\ue000\\d+\ue001)")
_ANY_SLOT = re.compile("\ue000(\\d+)\ue001|(?:<!--)?\ue002(\\d+)\ue001(?:-->)?")
_TEMPLATE_OPENER = re.compile(r"\{[{%]")
_HEADING_ATTRIBUTES = re.compile(r"^([ \t]{0,3}#{1,6}[ \t].*?[ \t])(\{[#.][^{}\n]*\})(?=[ \t]*#*[ \t]*$)", re.M)
_ALERT_MARKER = re.compile(r"^([ \t]*>[ \t]?)(\[![A-Za-z]+\][+-]?)(?=[ \t]*$)", re.M)
_TASK_MARKER = re.compile(r"^([ \t>]*(?:[-+*]|\d{1,9}[.)])[ \t]+)(\[[ xX]\])(?=[ \t])", re.M)
# Shortcodes and Liquid blocks whose content is code, opened and closed on lines of their own.
_VERBATIM_NAMES = r"highlight|code-toggle|code|katex|math|mermaid|chart|diagram|raw|comment"
_VERBATIM_OPEN = re.compile(
    r"(?:\{\{[<%]\s*(" + _VERBATIM_NAMES + r")\b(?:(?!/[>%]\}\}).)*?[>%]\}\}"
    r"|\{%-?\s*(raw|highlight|comment)\b.*?-?%\})[ \t]*(?:\r?\n)?")
#: Inline markup nested deeper than this is kept as written (the inline layer walks it level by level).
_MAX_NESTING = 100


def _protect(body: str) -> tuple[str, list[str]]:
    """``body`` with site-generator syntax replaced by placeholders, and the originals by index."""
    templates: list[str] = []
    if "\ue000" in body or "\ue002" in body:  # private-use characters of our own in the source: leave it be
        return body, templates

    def slot(original: str) -> str:
        templates.append(original)
        return f"\ue000{len(templates) - 1}\ue001"

    lines = body.splitlines(keepends=True)
    regions = _verbatim_regions(lines)
    out: list[str] = []
    i = 0
    while i < len(lines):
        end = regions.get(i)
        if end is None:
            line = _replace_templates(lines[i], slot)
            line = _HEADING_ATTRIBUTES.sub(lambda m: m.group(1) + slot(m.group(2)), line)
            line = _ALERT_MARKER.sub(lambda m: m.group(1) + slot(m.group(2)), line)
            out.append(_TASK_MARKER.sub(lambda m: m.group(1) + slot(m.group(2)), line))
            i += 1
            continue
        for k in range(i, end + 1):
            content = lines[k].rstrip("\r\n")
            templates.append(content)
            wrapped = f"\ue002{len(templates) - 1}\ue001"
            if k == i:
                wrapped = "<!--" + wrapped
            if k == end:
                wrapped += "-->"
            out.append(wrapped + lines[k][len(content):])
        i = end + 1
    return "".join(out), templates


_VERBATIM_CLOSE = re.compile(r"(?:\{\{[<%]\s*/\s*(" + _VERBATIM_NAMES + r")\s*[>%]\}\}"
                             r"|\{%-?\s*end(raw|highlight|comment)\s*-?%\})[ \t]*(?:\r?\n)?")


def _replace_templates(line: str, slot: Any) -> str:
    """``line`` with each template tag replaced by ``slot(tag)``: ``{{< … >}}``/``{{% … %}}`` (ending at
    the first ``>}}`` or ``%}}``), else ``{{ … }}``, and ``{% … %}``. One pass: the next position of
    each closer is remembered, so no stretch of the line is searched twice."""
    out: list[str] = []
    found: dict[str, int] = {}

    def closer(text: str, start: int) -> int:
        if found.get(text, -2) == -1 or found.get(text, -2) >= start:
            return found[text]
        found[text] = line.find(text, start)
        return found[text]

    i = done = 0
    while True:
        opener = _TEMPLATE_OPENER.search(line, i)
        if opener is None:
            break
        j = opener.start()
        end = -1
        if line.startswith("{%", j):
            k = closer("%}", j + 2)
            end = k + 2 if k >= 0 else -1
        else:
            if line[j + 2: j + 3] in ("<", "%"):
                ends = [k for k in (closer(">}}", j + 3), closer("%}}", j + 3)) if k >= 0]
                end = min(ends) + 3 if ends else -1
            if end < 0:
                k = closer("}}", j + 2)
                end = k + 2 if k >= 0 else -1
        if end < 0:
            i = j + 1
            continue
        out.append(line[done:j])
        out.append(slot(line[j:end]))
        i = done = end
    out.append(line[done:])
    return "".join(out)


def _verbatim_regions(lines: list[str]) -> dict[int, int]:
    """First line → last line of each code-holding shortcode or Liquid block (opened and closed on
    lines of their own); closers are indexed once, so many unclosed openers cost no rescans."""
    closers: dict[tuple[bool, str], list[int]] = {}
    for k, line in enumerate(lines):
        match = _VERBATIM_CLOSE.fullmatch(line) if "{" in line else None
        if match:
            closers.setdefault((match.group(1) is not None, match.group(1) or match.group(2)), []).append(k)
    regions: dict[int, int] = {}
    after = -1
    for k, line in enumerate(lines):
        if k <= after or "{" not in line:
            continue
        match = _VERBATIM_OPEN.fullmatch(line)
        if match is None:
            continue
        ends = closers.get((match.group(1) is not None, match.group(1) or match.group(2)), [])
        index = bisect.bisect_right(ends, k)
        if index < len(ends):
            regions[k] = after = ends[index]
    return regions


def _restore(text: str, templates: list[str]) -> str:
    if not templates:
        return text
    return _ANY_SLOT.sub(lambda m: templates[int(m.group(1) or m.group(2))], text)


def _trailing_slots(content: str, start: int) -> int:
    """Where the placeholders (and the whitespace around them) that end ``content`` begin."""
    end = len(content.rstrip(" \t"))
    cut = end
    while cut > start:
        at = content.rfind("\ue000", start, cut)
        if at < 0 or not _SLOT_AT_END.fullmatch(content, at, cut):
            break
        end = cut = len(content[:at].rstrip())
    return max(end, start)


def _nesting(codes: list[InlineCode]) -> int:
    from ..markup import parents

    depth: list[int] = []
    for parent in parents(codes):
        depth.append(0 if parent is None else depth[parent] + 1)
    return max(depth, default=0)


# -- body ------------------------------------------------------------------------------------------
def _role(opener: Any, containers: list[str], has_title: bool) -> str:
    if opener.type == "heading_open":
        return "headline" if opener.tag == "h1" and not has_title and not containers else "heading"
    if "list_item_open" in containers:
        return "list_item"
    if "blockquote_open" in containers:
        return "quote"
    return "paragraph"


def _content_start(line: str, first: str) -> int | None:
    """Where the inline content begins on its first source line (after container/heading markers)."""
    for match in re.finditer(re.escape(first), line):
        if _MARKERS_ONLY.fullmatch(line[: match.start()]):
            return match.start()
    return None


def _walk(children: list[Any], parts: list[str], codes: list[InlineCode]) -> None:
    """Inline tokens → plain text (``parts``) and inline codes over it."""
    stack: list[InlineCode] = []
    html_open: list[InlineCode] = []
    in_autolink = False
    for token in children:
        at = sum(map(len, parts))
        kind = token.type
        known = len(codes)
        if in_autolink:
            in_autolink = kind != "link_close"
        elif kind == "text":
            for k, piece in enumerate(_SLOT.split(token.content)):
                if k % 2:  # a placeholder: an empty code, written back as the text it stands for
                    at = sum(map(len, parts))
                    codes.append(InlineCode(len(codes) + 1, "template", at, at, meta={"raw": piece}))
                elif piece:
                    parts.append(piece)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            codes.append(InlineCode(len(codes) + 1, "br", at, at, meta={"raw": "\\\n"}))
        elif kind == "code_inline":
            raw = token.markup + token.content + token.markup
            if token.content.startswith("`") or token.content.endswith("`"):
                raw = f"{token.markup} {token.content} {token.markup}"
            codes.append(InlineCode(len(codes) + 1, "code", at, at, meta={"raw": raw}))
        elif kind == "html_inline":
            _html_inline(token.content, at, codes, html_open)
        elif kind == "link_open" and token.markup == "autolink":
            # An autolink prints its URL: an empty code, so the URL never reaches the model.
            href = str(token.attrs["href"])
            codes.append(InlineCode(len(codes) + 1, "a", at, at, {"href": href}, meta={"raw": f"<{href}>"}))
            in_autolink = True
        elif kind == "image":
            attrs = {"src": str(token.attrs["src"])}
            if token.attrs.get("title"):
                attrs["title"] = str(token.attrs["title"])
            # unlike HTML's <img>, a Markdown image encloses its alt text: not void
            code = InlineCode(len(codes) + 1, "img", at, at, attrs,
                              meta={"open": "![", "close": _destination(attrs["src"], attrs.get("title")), "void": False})
            codes.append(code)
            inner: list[str] = []
            _walk_into(token.children or [], inner, codes, offset=at)
            parts.extend(inner)
            code.end = at + len("".join(inner))
        elif kind.endswith("_open"):
            tag = kind[: -len("_open")]
            attrs = {}
            meta = {"open": token.markup, "close": token.markup}
            if tag == "link":
                attrs = {"href": str(token.attrs["href"])}
                if token.attrs.get("title"):
                    attrs["title"] = str(token.attrs["title"])
                meta = {"open": "[", "close": _destination(attrs["href"], attrs.get("title"))}
            code = InlineCode(len(codes) + 1, _PAIRED.get(tag, tag), at, at, attrs, meta)
            codes.append(code)
            stack.append(code)
        elif kind.endswith("_close"):
            stack.pop().end = at
        if stack:  # an empty code written inside a span belongs to it, even at its very end
            for code in codes[known:]:
                if code.start == code.end and "raw" in code.meta and code is not stack[-1]:
                    code.meta["parent"] = stack[-1].id
    for code in html_open:  # an HTML tag never closed in this block is kept as it is, where it is
        code.tag, code.end, code.attrs, code.meta = "html", code.start, {}, {"raw": code.meta["open"]}


def _html_inline(raw: str, at: int, codes: list[InlineCode], html_open: list[InlineCode]) -> None:
    """Inline HTML: a matched ``<tag …>…</tag>`` pair becomes one paired code, anything else an empty one."""
    opening, closing = _HTML_OPEN.fullmatch(raw), _HTML_CLOSE.fullmatch(raw)
    if opening:
        attrs = {m.group(1): next((g for g in m.group(2, 3, 4) if g is not None), "")
                 for m in _HTML_ATTR.finditer(opening.group(2))}
        code = InlineCode(len(codes) + 1, opening.group(1).lower(), at, at, attrs, meta={"open": raw})
        codes.append(code)
        html_open.append(code)
    elif closing and html_open and html_open[-1].tag == closing.group(1).lower():
        code = html_open.pop()
        code.end = at
        code.meta["close"] = raw
    else:
        codes.append(InlineCode(len(codes) + 1, "html", at, at, meta={"raw": raw}))


def _walk_into(children: list[Any], parts: list[str], codes: list[InlineCode], *, offset: int) -> None:
    inner_codes: list[InlineCode] = []
    _walk(children, parts, inner_codes)
    for code in inner_codes:
        code.id = len(codes) + 1
        code.start += offset
        code.end += offset
        codes.append(code)


def _destination(url: str, title: str | None) -> str:
    dest = url
    if not url or re.search(r"[\s<>()]", url):
        dest = "<" + url.replace("<", "\\<").replace(">", "\\>") + ">"
    if title:
        quoted = title.replace("\\", "\\\\").replace('"', '\\"')
        return f']({dest} "{quoted}")'
    return f"]({dest})"


def _escape(text: str) -> str:
    text = _ESCAPE.sub(lambda m: "\\" + (m.group(1) or "&"), text)
    return _LINE_START.sub(r"\1\\\2", text)


def _markers(code: InlineCode, before: str, body: str, after: str) -> tuple[str, str]:
    """Opening and closing markup of a paired code. Emphasis delimiters only work where CommonMark's
    flanking rules let them (``*«Астана»*да`` is not emphasis): elsewhere the HTML element is used."""
    open_, close = code.meta.get("open", ""), code.meta.get("close", "")
    if open_ and set(open_) <= {"*", "_", "~"}:
        open_ = close = open_.replace("_", "*")  # '*' also works inside words (Kazakh suffixes)
        if not (_flanks(before, body[:1]) and _flanks(after, body[-1:])):
            element = code.tag  # em, strong, s: HTML has the same elements
            return f"<{element}>", f"</{element}>"
    return open_, close


def _flanks(outside: str, inside: str) -> bool:
    """Whether a delimiter between ``outside`` and ``inside`` (the emphasized text's edge) can open/close."""
    if not inside or inside.isspace():
        return False
    return not _is_punctuation(inside) or not outside or outside.isspace() or _is_punctuation(outside)


def _is_punctuation(char: str) -> bool:
    return char in _ASCII_PUNCTUATION or unicodedata.category(char).startswith("P")


def _render_inline(text: str, codes: list[InlineCode]) -> str:
    """Block text + inline codes → inline Markdown (codes nested as in the source; the text escaped)."""
    ordered = sorted(codes, key=lambda c: (c.start, -c.end, c.id))

    def render(start: int, end: int, inner: list[InlineCode]) -> str:
        out: list[str] = []
        pos = start
        i = 0
        while i < len(inner):
            code = inner[i]
            children: list[InlineCode] = []
            j = i + 1
            while j < len(inner) and (inner[j].start < code.end or inner[j].meta.get("parent") == code.id):
                children.append(inner[j])
                j += 1
            out.append(_escape(text[pos:code.start]))
            if "raw" in code.meta:
                out.append(code.meta["raw"])
                out.append(render(code.start, code.end, children) if code.end > code.start else "")
            else:
                body = render(code.start, min(code.end, end), children)
                stripped = body.strip()
                lead = body[: len(body) - len(body.lstrip())]
                trail = body[len(lead):][len(stripped):]
                if stripped or code.tag in ("a", "img"):
                    before = "".join(out)[-1:] if not lead else " "
                    after = text[code.end:code.end + 1] if code.end < len(text) and not trail else " "
                    opener, closer = _markers(code, before, stripped, after)
                    out.append(lead + opener + stripped + closer + trail)
                else:  # Markdown cannot express empty emphasis: "**" would print as text
                    out.append(body)
            pos = max(pos, min(code.end, end))
            i = j
        out.append(_escape(text[pos:end]))
        return "".join(out)

    rendered = render(0, len(text), ordered)
    # A line that starts with a digit run and '.'/')' would become a list: escape the punctuation.
    return re.sub(r"^([ \t]*\d{1,9})([.)])", r"\1\\\2", rendered, flags=re.M)
