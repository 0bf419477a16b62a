"""The document JSON format (``docs/document-json.md``): the article model as it is."""

from __future__ import annotations

import json
from typing import ClassVar

from ..document import Article
from ..errors import FormatError
from ..languages import normalize_language
from ._jsontext import load_json

__all__ = ["JsonFormat"]


class JsonFormat:
    """Reader/writer of kztranslate's document JSON."""

    name: ClassVar[str] = "json"
    extensions: ClassVar[tuple[str, ...]] = (".json",)

    def sniff(self, text: str) -> bool:
        head = text.lstrip("\ufeff \t\r\n")[:4096]
        return head.startswith("{") and '"blocks"' in head

    def read(self, text: str, *, source: str | None = None, language: str | None = None) -> Article:
        data, _ = load_json(text, source)  # positions in errors; too deep nesting and lone surrogates refused
        if not isinstance(data, dict) or not ("blocks" in data or "headline" in data):
            raise FormatError('not a kztranslate document: expected an object with "blocks"', source=source)
        try:
            article = Article.from_dict(data)
        except (TypeError, ValueError, KeyError) as exc:
            raise FormatError(f"invalid document field: {exc}", source=source) from exc
        if language:
            article.language = normalize_language(language)
        return article

    def write(self, article: Article) -> str:
        return json.dumps(article.to_dict(), ensure_ascii=False, indent=2) + "\n"
