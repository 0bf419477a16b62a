"""IPTC ninjs (News in JSON) items, versions 1.x/2.x (lower-case fields) and 3.x (camelCase).

Text fields become blocks: ``headline`` (1.x) or ``headlines[].value`` (2.x/3.x), ``description_text`` or
``descriptions[].value``, ``byline`` (1.x) or ``by``, ``located``, and the body: ``body_html`` /
``bodies[]`` with an HTML content type through the ``html`` format, ``body_text`` / plain-text
``bodies[]`` as paragraphs split at blank lines. Each block's ``meta["ninjs"]`` holds the JSON path of
the field it came from. The whole item is kept in ``Article.meta["ninjs"]``, so every other field
(subjects, renditions, rights, extensions) is written back untouched and in order.

A variant gets a new ``uri`` (and ``guid``) and links back to its original: for 1.x/2.x with
Superdesk's ``translated_from`` (the original's guid or uri) and ``translation_id`` (shared by the
original and all its translations); for 3.x, whose schema allows no extra fields, with an ``altIds``
entry of role ``translated-from`` and an ``associations`` entry named ``original``.
"""

from __future__ import annotations

import copy
import re
import uuid
from datetime import datetime
from typing import Any, ClassVar

from ..document import Article, Block
from ..errors import FormatError
from ..languages import language_or_verbatim
from ._jsontext import dump_json, load_json, paragraphs, parse_date

__all__ = ["NinjsFormat"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CAMEL_KEYS = ("versionCreated", "firstCreated", "contentCreated", "altIds", "pubStatus", "copyrightHolder")
_SNIFF_SCHEMA = re.compile(r'"\$schema"\s*:\s*"[^"]*ninjs|"name"\s*:\s*"ninjs"')
_SNIFF_FIELDS = re.compile(r'"(headlines?|body_html|body_text|bodies|versioncreated|versionCreated|firstcreated)"\s*:')


class NinjsFormat:
    """Reader/writer of IPTC ninjs news items."""

    name: ClassVar[str] = "ninjs"
    extensions: ClassVar[tuple[str, ...]] = (".json", ".ninjs")

    def sniff(self, text: str) -> bool:
        head = text.lstrip("\ufeff \t\r\n")[:8192]
        if not head.startswith("{") or '"@context"' in head or '"blocks"' in head:
            return False
        if _SNIFF_SCHEMA.search(head):
            return True
        return bool(re.search(r'"(uri|guid)"\s*:', head)) and bool(_SNIFF_FIELDS.search(head))

    # -- reading ----------------------------------------------------------------------------
    def read(self, text: str, *, source: str | None = None, language: str | None = None) -> Article:
        data, layout = load_json(text, source)
        if not isinstance(data, dict) or not ("uri" in data or "guid" in data):
            raise FormatError('not a ninjs item: expected a JSON object with "uri" (or a Superdesk "guid")',
                              source=source, line=1, column=1)
        lang = language_or_verbatim(language or data.get("language"))
        article = Article(language=lang, source=data.get("guid") or data.get("uri"))
        article.published = _date(data, "firstcreated", "firstCreated", "versioncreated", "versionCreated")
        article.meta["ninjs"] = data
        article.meta["ninjs_layout"] = layout
        html_meta: dict[str, Any] = {}
        for key, value in data.items():
            article.blocks.extend(_field_blocks(key, value, lang, source, html_meta))
        if html_meta:
            article.meta["ninjs_html"] = html_meta
        return article

    # -- writing ----------------------------------------------------------------------------
    def write(self, article: Article) -> str:
        original = article.meta.get("ninjs")
        if not isinstance(original, dict):
            return dump_json(_new_item(article))
        data = copy.deepcopy(original)
        by_path: dict[tuple, list[Block]] = {}
        for block in article.blocks:
            where = block.meta.get("ninjs")
            if where is not None:
                by_path.setdefault(tuple(where["path"]), []).append(block)
        for path, blocks in by_path.items():
            where = blocks[0].meta["ninjs"]
            if where.get("html"):
                value = _render_html(article, blocks, path)
            elif "sep" in where:
                value = "".join(b.text + b.meta["ninjs"]["sep"] for b in blocks)
            else:
                value = blocks[0].text
            _set(data, path, value)
            _update_counts(data, original, path)
        if ("language" in data or article.provenance is not None) and (
                language_or_verbatim(data.get("language")) != article.language):
            data["language"] = article.language  # a translation always says its language
        if article.provenance is not None:
            _link_to_original(data, original, article)
        return dump_json(data, article.meta.get("ninjs_layout"))


_HEADLINE_KEY = re.compile(r"^headline(?:_\w+)?$")
_DESCRIPTION_KEY = re.compile(r"^description_(\w+)$")
_BODY_KEY = re.compile(r"^body_(\w+)$")
_MARKUP_SUFFIXES = ("html", "xhtml")
_COUNT_KEY = re.compile(r"^(char|word)count$", re.I)


def _field_blocks(key: str, value: Any, lang: str, source: str | None, html_meta: dict[str, Any],
                  prefix: tuple = (), nested: bool = False) -> list[Block]:
    """Blocks of one field of an item (``prefix`` is the item's path: associations are read recursively)."""
    path = [*prefix, key]
    if isinstance(value, str):
        if _HEADLINE_KEY.match(key):
            return [Block("caption" if nested else "headline" if key in ("headline", "headline_main") or
                          (not prefix and key == "headline_simple") else "subheadline", value,
                          meta={"ninjs": {"path": path}})]
        if key in ("byline", "by"):
            return [Block("byline", value, meta={"ninjs": {"path": path}, "names": [value]})]
        if key == "located":
            return [Block("other", value, meta={"ninjs": {"path": path}})]
        description = _DESCRIPTION_KEY.match(key)
        body = _BODY_KEY.match(key)
        found = description or body
        suffix = found.group(1).lower() if found else None
        if suffix is None:
            return []
        if suffix in _MARKUP_SUFFIXES:
            return _html_blocks(path, value, lang, source, html_meta)
        if value.lstrip().startswith("<"):
            return []  # markup of a kind we do not know (NITF, XML): kept verbatim
        role = "caption" if nested else "subheadline" if description else "paragraph"
        return _text_blocks(path, value, role)
    if key in ("headlines", "descriptions", "bodies") and isinstance(value, list):
        blocks: list[Block] = []
        for index, item in enumerate(value):
            if not isinstance(item, dict) or not isinstance(item.get("value"), str):
                continue
            item_path = [*path, index, "value"]
            content_type = str(item.get("contentType") or item.get("contenttype") or "text/plain").lower()
            if content_type.startswith(_HTML_TYPES):
                blocks.extend(_html_blocks(item_path, item["value"], lang, source, html_meta))
            elif not content_type.startswith("text/plain"):
                continue  # XML, NITF, anything else: kept verbatim
            elif nested:
                blocks.extend(_text_blocks(item_path, item["value"], "caption"))
            elif key == "headlines":
                main = item.get("role") in (None, "main") and not any(b.role == "headline" for b in blocks)
                blocks.append(Block("headline" if main else "subheadline", item["value"],
                                    meta={"ninjs": {"path": item_path}}))
            elif key == "descriptions":
                blocks.extend(_text_blocks(item_path, item["value"], "subheadline"))
            else:
                blocks.extend(_text_blocks(item_path, item["value"], "paragraph"))
        return blocks
    if key == "associations":
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        blocks = []
        for name, item in items:
            if isinstance(item, dict):
                for sub_key, sub_value in item.items():
                    blocks.extend(_field_blocks(sub_key, sub_value, lang, source, html_meta,
                                                (*path, name), nested=True))
        return blocks
    return []


def _text_blocks(path: list[Any], text: str, role: str = "paragraph") -> list[Block]:
    return [Block(role, piece, meta={"ninjs": {"path": path, "sep": sep}}) for piece, sep in paragraphs(text)]


def _html_blocks(path: list[Any], html: str, lang: str, source: str | None, html_meta: dict[str, Any]) -> list[Block]:
    from . import get_format

    fragment = get_format("html").read(html, source=source, language=lang or None)
    fragment.meta["html"]["embedded"] = True  # a body inside JSON: no charset declaration of its own
    html_meta[_path_key(path)] = fragment.meta
    for block in fragment.blocks:
        block.meta["ninjs"] = {"path": path, "html": True}
    return fragment.blocks


def _render_html(article: Article, blocks: list[Block], path: tuple) -> str:
    from . import get_format

    parts = []
    for block in blocks:
        part = copy.deepcopy(block)
        del part.meta["ninjs"]
        parts.append(part)
    fragment = Article(
        language=article.language,
        blocks=parts,
        meta=copy.deepcopy((article.meta.get("ninjs_html") or {}).get(_path_key(list(path)), {})),
        provenance=article.provenance,
    )
    return get_format("html").write(fragment)


def _link_to_original(data: dict[str, Any], original: dict[str, Any], article: Article) -> None:
    if "translated_from" in original or any(
        isinstance(alt, dict) and alt.get("role") == "translated-from" for alt in original.get("altIds") or []
    ):
        return  # read from a translation (a post-edit merged into it): its identity and links stay
    source_id = original.get("guid") or original.get("uri")
    source_language = article.provenance.source_language if article.provenance else original.get("language")
    new_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{source_id}#{article.language}')}"
    for key in ("uri", "guid"):
        if key in data:
            data[key] = new_id
    if _is_ninjs3(original):
        data.setdefault("altIds", []).append({"role": "translated-from", "value": source_id})
        data.setdefault("associations", []).append(
            {"name": "original", "uri": original.get("uri", source_id), "language": source_language}
        )
        return
    data["translated_from"] = source_id
    data["translation_id"] = original.get("translation_id") or source_id


def _new_item(article: Article) -> dict[str, Any]:
    """A ninjs 2.x item for an article read from another format."""
    item: dict[str, Any] = {
        "uri": article.source or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, article.checksum())}",
        "type": "text",
        "language": article.language,
    }
    if article.published:
        item["firstcreated"] = article.published.isoformat()
    item["headlines"] = [{"role": "main", "value": article.headline}]
    subheadlines = [b.text for b in article.blocks if b.role == "subheadline"]
    if subheadlines:
        item["descriptions"] = [{"role": "summary", "contenttype": "text/plain", "value": t} for t in subheadlines]
    if article.byline:
        item["by"] = ", ".join(article.byline)
    body = [b.text for b in article.blocks if b.role in ("paragraph", "heading", "quote", "list_item", "caption")]
    item["bodies"] = [{"role": "main", "contenttype": "text/plain", "value": "\n\n".join(body)}]
    return item


def _is_ninjs3(data: dict[str, Any]) -> bool:
    standard = data.get("standard")
    if isinstance(standard, dict) and str(standard.get("version", "")).startswith("3"):
        return True
    return "ninjs-schema_3" in str(data.get("$schema", "")) or any(k in data for k in _CAMEL_KEYS)



def _date(data: dict[str, Any], *keys: str) -> datetime | None:
    return next((found for key in keys if (found := parse_date(data.get(key))) is not None), None)


def _update_counts(data: dict[str, Any], original: dict[str, Any], path: tuple) -> None:
    """A changed value's ``charcount``/``wordCount`` beside it: recounted when the source counted the
    way we do (characters or words of the value), else removed; never left stale."""
    holder, before = data, original
    for step in path[:-1]:
        holder, before = holder[step], before[step]
    if not isinstance(holder, dict):
        return
    old_value, new_value = before.get(path[-1]), holder.get(path[-1])
    if old_value == new_value or not isinstance(old_value, str) or not isinstance(new_value, str):
        return
    for key in [k for k in holder if _COUNT_KEY.match(k)]:
        measure = len if key.lower().startswith("char") else (lambda text: len(text.split()))
        if holder[key] == measure(old_value):
            holder[key] = measure(new_value)
        else:
            del holder[key]


def _set(data: Any, path: tuple, value: str) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def _path_key(path: list[Any]) -> str:
    return "/".join(map(str, path))
