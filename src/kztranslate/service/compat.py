"""What the LibreTranslate- and DeepL-compatible routes share: reading their bodies (JSON or
form-encoded), API keys (also from the body, as LibreTranslate sends them), limits, quotas, and
translating strings through the service's one micro-batcher (so they share model passes with
``/v1`` articles).

Each API answers errors in its own shape; here they are :class:`Refusal` with a kind the
routes map to their status codes and bodies.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from ..errors import FormatError, KZTranslateError, UsageError
from ..languages import language_pairs
from ..plaintext import PreparedText, TextResult, finish_text, prepare_texts
from .articles import ApiError
from .store import ApiKey

__all__ = ["Refusal", "Params", "read_params", "read_body", "Caller", "admit", "prepare", "translate_texts",
           "model_pairs", "server_failure", "NO_KEY"]

log = logging.getLogger("kztranslate.service")

#: The quota and glossary owner of requests made without a key (``serve --no-auth``).
NO_KEY = ""


class Refusal(Exception):
    """A refused request. ``kind``: ``bad_request``, ``missing_key``, ``invalid_key``, ``rate_limited``,
    ``too_large``, ``quota``, ``not_found``, ``unavailable`` or ``failed``."""

    def __init__(self, kind: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.headers = headers or {}


def server_failure(request: Request) -> Refusal:
    """A bug met while answering: logged with its traceback (call it inside ``except``), refused as
    the API's own 500 without the details."""
    log.exception("%s failed", request.url.path)
    return Refusal("failed", "Cannot translate text: the server failed on this request; its log has the details")


@dataclass(slots=True)
class Params:
    """A request's parameters: each name with its values in order (a form repeats names for lists)."""

    values: dict[str, list[Any]] = field(default_factory=dict)
    json: bool = False
    """Whether they came as a JSON body (else a form or the query string)."""

    def one(self, name: str) -> Any:
        found = self.values.get(name)
        return found[0] if found else None

    def many(self, name: str) -> list[Any]:
        """All values of ``name``: a JSON list, or a form's repeated field (``text=a&text=b``, ``text[]=…``)."""
        found = list(self.values.get(name, [])) + list(self.values.get(f"{name}[]", []))
        if len(found) == 1 and isinstance(found[0], list):
            return list(found[0])
        return found


async def read_params(request: Request, body: bytes) -> Params:
    """Parameters from the query string and a JSON object or form-encoded body."""
    params = Params()
    for name, value in request.query_params.multi_items():
        params.values.setdefault(name, []).append(value)
    if not body.strip():
        return params
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json") or (not kind and body.lstrip()[:1] in (b"{", b"[")):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise Refusal("bad_request", f"the body is not valid JSON ({exc}); send a JSON object") from exc
        if not isinstance(data, dict):
            raise Refusal("bad_request", "Invalid JSON format: the body must be a JSON object")
        for name, value in data.items():
            params.values[name] = [value]
        params.json = True
        return params
    if kind.startswith("multipart/"):
        try:
            form = await request.form()
        except (AssertionError, ImportError) as exc:  # starlette needs python-multipart for this
            raise Refusal("bad_request", "multipart bodies need the python-multipart package on the server; "
                          "send application/x-www-form-urlencoded or JSON") from exc
        for key, item in form.multi_items():
            if isinstance(item, str):  # an uploaded file is not a parameter
                params.values.setdefault(key, []).append(item)
        return params
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal("bad_request", f"the body is not UTF-8 (byte {exc.start}); send UTF-8 text") from exc
    for name, value in parse_qsl(text, keep_blank_values=True):
        params.values.setdefault(name, []).append(value)
    return params


@dataclass(slots=True)
class Caller:
    """Who is calling: the API key's record (None without keys) and the owner id of its quota and glossaries."""

    key: ApiKey | None

    @property
    def owner(self) -> str:
        return self.key.id if self.key is not None else NO_KEY


async def admit(service: Any, request: Request, presented: str | None, body_size: int) -> Caller:
    """Check the key (``presented``, from wherever the API puts it), the key's rate and body-size limits."""
    settings = service.settings
    key: ApiKey | None = None
    if settings.require_keys:
        if not presented:
            raise Refusal("missing_key", "an API key is required; create one with `kztranslate keys create NAME`")
        key = await asyncio.to_thread(service.store.verify_key, presented)
        if key is None:
            raise Refusal("invalid_key", "Invalid API key (unknown or revoked); list keys with `kztranslate keys list`")
    seconds, message = service.rate_limit(key)
    if seconds:
        raise Refusal("rate_limited", message, headers={"Retry-After": str(seconds)})
    limit = key.max_request_bytes if key and key.max_request_bytes is not None else settings.max_request_bytes
    if body_size > limit:
        raise Refusal("too_large", f"the request body is {body_size} bytes, over this key's limit of {limit} bytes; "
                      "send fewer or shorter texts per request")
    return Caller(key)


async def read_body(request: Request) -> bytes:
    """The body, refusing a declared size that is not a number."""
    declared = request.headers.get("content-length")
    if declared is not None and not declared.strip().isdigit():
        raise Refusal("bad_request", f"Content-Length {declared!r} is not a number")
    return await request.body()


async def prepare(texts: list[str], target: str, source: str | None, **options: Any) -> list[PreparedText]:
    """:func:`kztranslate.plaintext.prepare_texts` (in a thread: it parses markup and detects
    languages), with its errors as refusals."""
    try:
        return await asyncio.to_thread(lambda: prepare_texts(texts, target, source=source, **options))
    except (FormatError, UsageError) as exc:
        raise Refusal("bad_request", str(exc)) from exc


async def translate_texts(service: Any, caller: Caller, prepared: list[PreparedText]) -> list[TextResult]:
    """Translate prepared strings through the service's micro-batcher (concurrently, so they share
    passes with each other and with ``/v1`` articles). Their characters count against the caller's
    quota first (``quota`` refusal when they do not fit) and are given back if the translation fails."""
    try:
        batcher = service.ready_batcher()
    except ApiError as exc:
        raise Refusal("unavailable", exc.message, headers=exc.headers) from exc  # Retry-After while loading
    characters = sum(len(item.text) for item in prepared)
    if not await asyncio.to_thread(service.store.charge_characters, caller.owner, characters):
        used, limit = await asyncio.to_thread(service.store.character_usage, caller.owner)
        raise Refusal("quota", f"Quota Exceeded: {used} of this key's {limit} characters are used, and this "
                      f"request has {characters}")

    async def one(item: PreparedText) -> TextResult:
        if item.article is None:
            return finish_text(item, None)
        try:
            variants = await batcher.translate(item.article, [item.target_language], None)
        except UsageError as exc:
            raise Refusal("bad_request", str(exc)) from exc
        except KZTranslateError as exc:
            raise Refusal("failed", str(exc)) from exc
        return await asyncio.to_thread(finish_text, item, variants)

    try:
        return list(await asyncio.gather(*(one(item) for item in prepared)))
    except BaseException:
        await asyncio.to_thread(service.store.charge_characters, caller.owner, -characters)
        raise


def model_pairs(service: Any) -> list[tuple[str, str]]:
    """The language pairs of the loaded model (refused while it loads: an empty list would be cached)."""
    translator = service.translator
    if service.load_error is not None:
        raise Refusal("unavailable", f"the model failed to load: {service.load_error}")
    if translator is None or service.batcher is None:
        raise Refusal("unavailable", "the model is still loading; retry in a few seconds", headers={"Retry-After": "5"})
    backend = translator.backend
    return language_pairs(backend.supports)


def count_error(service: Any, code: str) -> None:
    service.metrics.errors.labels(code).inc()
