"""schema.org ``NewsArticle`` JSON-LD, for every variant, linking translations to their original.

Written: ``@context``, ``@type``, ``@id`` (when known), ``inLanguage``, ``headline``, ``description``
(subheadlines), ``datePublished``, ``author`` (a list of ``Person``), ``articleBody`` (body blocks
joined by blank lines), and on a variant ``translationOfWork`` pointing at the original's ``@id``
(or ``url``, or ``Article.source``). The original lists its variants under ``workTranslation`` when
:func:`to_jsonld` is given them. A document read from JSON-LD keeps every other property
(``publisher``, ``image``, ``keywords`` …) and its key order in ``Article.meta["jsonld"]``.

A variant's ``@id`` is the original's with ``#<language>`` appended; its ``url`` and
``mainEntityOfPage`` are dropped, since they name the original's page (set them once the variant
is published).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from ..document import Article, Block
from ..errors import FormatError
from ..languages import language_or_verbatim
from ._jsontext import dump_json, load_json, paragraphs, parse_date

__all__ = ["JsonLdFormat", "to_jsonld"]

_ARTICLE_TYPES = {"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting"}
_BODY_ROLES = ("paragraph", "heading", "quote", "list_item", "caption")
_PAGE_KEYS = ("url", "mainEntityOfPage")


class JsonLdFormat:
    """Reader/writer of schema.org article JSON-LD."""

    name: ClassVar[str] = "jsonld"
    extensions: ClassVar[tuple[str, ...]] = (".jsonld", ".json")

    def sniff(self, text: str) -> bool:
        head = text.lstrip("\ufeff \t\r\n")[:8192]
        return head.startswith(("{", "[")) and '"@context"' in head and "schema.org" in head

    def read(self, text: str, *, source: str | None = None, language: str | None = None) -> Article:
        data, layout = load_json(text, source)
        found = _article_node(data)
        node, where, context_added = found if found is not None else (None, (), False)
        if node is None:
            raise FormatError(
                f"no schema.org article in this JSON-LD: expected an object with @type one of {sorted(_ARTICLE_TYPES)}",
                source=source, line=1, column=1,
            )
        lang = language or node.get("inLanguage")
        article = Article(
            language=language_or_verbatim(lang),
            source=node.get("@id") or node.get("url"),
            published=parse_date(node.get("datePublished")),
            meta={"jsonld": node, "jsonld_layout": layout},
        )
        if where:  # the article is one node of a larger document (a list, an @graph): written back in place
            article.meta["jsonld_path"] = list(where)
            if context_added:
                article.meta["jsonld_context_added"] = True
        if isinstance(node.get("headline"), str):
            article.blocks.append(Block("headline", node["headline"], meta={"jsonld": "headline"}))
        for key in ("alternativeHeadline", "description"):
            if isinstance(node.get(key), str):
                article.blocks.append(Block("subheadline", node[key], meta={"jsonld": key}))
        for name in _author_names(node.get("author")):
            article.blocks.append(Block("byline", name, meta={"jsonld": "author", "names": [name]}))
        if isinstance(node.get("articleBody"), str):
            for piece, sep in paragraphs(node["articleBody"]):
                article.blocks.append(Block("paragraph", piece, meta={"jsonld": "articleBody", "sep": sep}))
        return article

    def write(self, article: Article) -> str:
        node = to_jsonld(article)
        layout = article.meta.get("jsonld_layout")
        where = article.meta.get("jsonld_path")
        if where and layout and isinstance(layout.get("source"), str):
            document, _ = load_json(layout["source"], None)
            if article.meta.get("jsonld_context_added"):
                node = {k: v for k, v in node.items() if k != "@context"}
            holder = document
            for step in where[:-1]:
                holder = holder[step]
            holder[where[-1]] = node
            return dump_json(document, layout)
        return dump_json(node, layout)


def to_jsonld(article: Article, *, translations: Iterable[Article] = ()) -> dict[str, Any]:
    """The JSON-LD object of ``article``; ``translations`` are its variants, listed as ``workTranslation``."""
    node: dict[str, Any] = copy.deepcopy(article.meta.get("jsonld") or {})
    node.setdefault("@context", "https://schema.org")
    node.setdefault("@type", "NewsArticle")
    source_id = _identifier(node) or article.source
    variant = article.provenance is not None
    if variant and "translationOfWork" in node:
        # read from a translation (a post-edit merged into it): its @id and link stay
        variant, source_id = False, None
    if variant:
        for key in _PAGE_KEYS:
            node.pop(key, None)
        if source_id:
            node["@id"] = f"{source_id}#{article.language}"
    elif source_id and "@id" not in node and "url" not in node:
        node["@id"] = source_id
    if language_or_verbatim(node.get("inLanguage")) != article.language:
        node["inLanguage"] = article.language
    if article.headline or "headline" in node:
        node["headline"] = article.headline
    for block in article.blocks:
        field = block.meta.get("jsonld")
        if field in ("alternativeHeadline", "description"):
            node[field] = block.text
    if "description" not in node and "alternativeHeadline" not in node:
        subheadlines = [b.text for b in article.blocks if b.role == "subheadline"]
        if subheadlines:
            node["description"] = " ".join(subheadlines)
    if article.published is not None:
        node["datePublished"] = _same_date(node.get("datePublished"), article.published)
    names = article.byline
    if names or "author" in node:
        node["author"] = _authors(node.get("author"), names)
    body = [b for b in article.blocks if b.role in _BODY_ROLES]
    if body:
        node["articleBody"] = "".join(b.text + b.meta.get("sep", "\n\n") for b in body[:-1]) + body[-1].text + \
            body[-1].meta.get("sep", "")
    if variant and source_id:
        node["translationOfWork"] = {"@id": source_id}
    links = [{"@id": f"{source_id}#{v.language}", "inLanguage": v.language} for v in translations if source_id]
    if links:
        node["workTranslation"] = links
    return node


def _article_node(data: Any, where: tuple = ()) -> tuple[dict[str, Any], tuple, bool] | None:
    """The first article node: (node, its path in the document, whether the graph's @context was added)."""
    candidates = list(enumerate(data)) if isinstance(data, list) else [(None, data)]
    for index, item in candidates:
        path = where if index is None else (*where, index)
        if not isinstance(item, dict):
            continue
        types = item.get("@type")
        types = {t for t in types if isinstance(t, str)} if isinstance(types, list) else {types}
        if types & _ARTICLE_TYPES:
            return item, path, False
        if isinstance(item.get("@graph"), list):
            found = _article_node(item["@graph"], (*path, "@graph"))
            if found is not None:
                node, node_path, _ = found
                if "@context" in item and "@context" not in node:
                    return {"@context": item["@context"], **node}, node_path, True
                return found
    return None


def _identifier(node: dict[str, Any]) -> str | None:
    value = node.get("@id") or node.get("url")
    return value if isinstance(value, str) else None


def _author_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    names = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            names.append(item["name"])
    return names


def _authors(original: Any, names: list[str]) -> Any:
    """Authors with this article's names, in the original's shape: each entry that had a name gets the
    next one (a string stays a string, a Person keeps its url and sameAs), entries without a name (an
    ``@id`` reference, a Person known by its url) stay as they are; names left over are added as Persons."""
    items = original if isinstance(original, list) else [original] if original is not None else []
    pending = list(names)
    out: list[Any] = []
    for item in items:
        if isinstance(item, str) and pending:
            out.append(pending.pop(0))
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and pending:
            name = pending.pop(0)
            out.append(item if item["name"] == name else {**item, "name": name})
        elif isinstance(item, str) or (isinstance(item, dict) and isinstance(item.get("name"), str)):
            continue  # a name the article no longer has
        else:
            out.append(item)
    out.extend({"@type": "Person", "name": name} for name in pending)
    if original is not None and not isinstance(original, list) and len(out) == 1:
        return out[0]
    return out


def _same_date(original: Any, published: datetime) -> str:
    """Keep the original text when it says the same instant (a date-only value stays date-only)."""
    if isinstance(original, str) and parse_date(original) == published:
        return original
    return published.isoformat()
