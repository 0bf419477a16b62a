"""From API bodies to articles and back, and from kztranslate errors to API errors."""

from __future__ import annotations

import json
import logging
from typing import Any

from ..document import Article
from ..errors import (
    BackendError,
    FormatError,
    InputError,
    KZTranslateError,
    ModelUnavailableError,
    UsageError,
)
from ..formats import available_formats, detect_format, get_format
from ..languages import LANGUAGES, normalize_language, parse_targets
from .schemas import ArticleInput

log = logging.getLogger("kztranslate.service")

__all__ = ["ApiError", "read_input", "render_variants", "parse_languages", "api_error_for"]


class ApiError(Exception):
    """An error answer: HTTP status, stable code, message; ``headers`` go on the response."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def parse_languages(to: list[str] | str, source: str | None) -> tuple[list[str], str | None]:
    """Canonical target tags (deduplicated, in order) and source tag; 400 ``unknown_language`` otherwise."""
    try:
        targets = parse_targets(to, required=False)
        source = normalize_language(source) if source else None
    except UsageError as exc:
        raise ApiError(400, "unknown_language", str(exc)) from exc
    if not targets:
        raise ApiError(400, "no_target_language",
                       f"'to' names no language; give one or more of: {', '.join(LANGUAGES)}")
    return targets, source


def read_input(item: ArticleInput, source: str | None) -> tuple[Article, str]:
    """Parse a request's article; returns it and the format its variants are rendered in."""
    if item.article is not None:
        name = item.format or "json"
        text = json.dumps(item.article, ensure_ascii=False)
    else:
        text = item.content or ""
        if not text.strip():
            raise ApiError(400, "empty_content", "'content' is empty; send the article's text")
        name = item.format or detect_format(None, text)
    try:
        fmt = get_format(name)
    except UsageError as exc:
        raise ApiError(400, "unknown_format", str(exc)) from exc
    except ImportError as exc:  # a registered format whose module is not installed
        raise ApiError(400, "unknown_format", f"format {name!r} is not available here ({exc}); choose one of: "
                       f"{', '.join(available_formats())}") from exc
    if item.article is not None and not any(ext in (".json", ".jsonld", ".ninjs") for ext in fmt.extensions):
        raise ApiError(400, "format_needs_content", f"'article' takes a JSON object, and {name!r} is not a JSON "
                       "format; send the article as 'content' text, or use format json, ninjs or jsonld")
    try:
        return fmt.read(text, source="request", language=source), name
    except KZTranslateError as exc:
        raise api_error_for(exc) from exc
    except (Exception, RecursionError, MemoryError) as exc:
        log.error("the %s reader failed on a request", name, exc_info=exc)
        raise ApiError(422, "unreadable_content", f"the {name} content could not be read ({type(exc).__name__}: "
                       f"{exc}); check it is well-formed {name}") from exc


def render_variants(variants: dict[str, Article], format_name: str) -> dict[str, dict[str, Any]]:
    """``{lang: {"content": rendered, "document": document JSON}}``."""
    fmt = get_format(format_name)
    return {lang: {"content": fmt.write(v), "document": v.to_dict()} for lang, v in variants.items()}


def api_error_for(exc: KZTranslateError) -> ApiError:
    """The API error for a library error: bad input is 4xx, a broken model 5xx."""
    if isinstance(exc, FormatError):
        return ApiError(422, "invalid_format_content", str(exc))
    if isinstance(exc, InputError):
        return ApiError(422, "invalid_input", str(exc))
    if isinstance(exc, UsageError):
        return ApiError(422, "cannot_translate", str(exc))
    if isinstance(exc, ModelUnavailableError):
        return ApiError(503, "model_unavailable", str(exc))
    if isinstance(exc, BackendError):
        return ApiError(502, "backend_error", str(exc))
    return ApiError(500, "internal_error", str(exc))
