"""LibreTranslate-compatible routes: ``POST /translate``, ``POST /detect``, ``GET /languages``,
``GET /frontend/settings`` — so Mastodon (``LIBRE_TRANSLATE_ENDPOINT``), Weblate, Discourse,
wagtail-localize (``LIBRETRANSLATE_URL``), SearXNG and ``libretranslatepy`` can point at
``kztranslate serve``.

Shapes follow LibreTranslate's ``libretranslate/app.py``: bodies are JSON or form-encoded, ``q`` a
string or a list, ``source`` a code or ``auto``, ``api_key`` in the body (our ``Authorization:
Bearer`` and ``X-API-Key`` headers work too); answers ``{"translatedText": …}`` (plus
``detectedLanguage`` ``{"confidence", "language"}`` for ``auto``); errors ``{"error": "…"}`` with
400 (bad request, missing key, request too large), 403 (invalid key, used-up quota), 429 (rate
limit) and 500 (translation failed, model not loaded). ``alternatives`` is accepted and answered
with an empty list per text: kztranslate makes one translation per sentence.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..languages import LANGUAGES, base_language, normalize_language
from .compat import (
    Caller,
    Params,
    Refusal,
    admit,
    count_error,
    model_pairs,
    prepare,
    read_body,
    read_params,
    server_failure,
    translate_texts,
)

__all__ = ["libretranslate_router"]

_STATUS = {"bad_request": 400, "missing_key": 400, "too_large": 400, "invalid_key": 403, "quota": 403,
           "rate_limited": 429, "not_found": 404, "unavailable": 500, "failed": 500}

_TEXT_BODY = {
    "type": "object",
    "properties": {
        "q": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
              "description": "Text(s) to translate"},
        "source": {"type": "string", "description": "Source language code, or `auto`", "example": "kk"},
        "target": {"type": "string", "description": "Target language code", "example": "en"},
        "format": {"type": "string", "enum": ["text", "html"], "default": "text"},
        "alternatives": {"type": "integer", "description": "Accepted; kztranslate answers no alternatives"},
        "api_key": {"type": "string", "description": "API key (also accepted in Authorization/X-API-Key)"},
    },
    "required": ["q", "source", "target"],
}
_DETECT_BODY = {"type": "object", "properties": {
    "q": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "api_key": {"type": "string"}},
                "required": ["q"]}
_ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema}, "application/x-www-form-urlencoded": {"schema": schema}}}}


def _answers(ok: dict[str, Any], description: str) -> dict[int | str, dict[str, Any]]:
    error = {"content": {"application/json": {"schema": _ERROR}}}
    return {200: {"description": description, "content": {"application/json": {"schema": ok}}},
            400: {"description": "Invalid request", **error}, 403: {"description": "Invalid API key", **error},
            429: {"description": "Slow down", **error}, 500: {"description": "Translation error", **error}}


def libretranslate_router(service: Any) -> APIRouter:
    """The routes, bound to the app's service (its batcher, store, metrics and settings)."""
    router = APIRouter(tags=["LibreTranslate-compatible"])

    def refused(exc: Refusal) -> JSONResponse:
        count_error(service, f"libretranslate_{exc.kind}")
        message = f"Slowdown: {exc.message}" if exc.kind == "rate_limited" else exc.message
        return JSONResponse({"error": message}, status_code=_STATUS.get(exc.kind, 400), headers=exc.headers)

    async def start(request: Request) -> tuple[Params, Caller]:
        body = await read_body(request)
        params = await read_params(request, body)
        presented = params.one("api_key") or _header_key(request)
        return params, await admit(service, request, presented, len(body))

    @router.post("/translate", name="libretranslate_translate", summary="Translate text (LibreTranslate API)",
                 openapi_extra=_body(_TEXT_BODY), responses=_answers({"type": "object", "properties": {
                     "translatedText": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                     "detectedLanguage": {"description": "With source `auto`: {confidence, language}, or a list"},
                     "alternatives": {"type": "array"}}}, "Translated text"))
    async def translate(request: Request) -> JSONResponse:
        try:
            params, caller = await start(request)
            q = params.one("q")
            batch = isinstance(q, list) or len(params.many("q")) > 1
            texts = params.many("q") if batch else [q]
            for name, value in (("q", q), ("source", params.one("source")), ("target", params.one("target"))):
                if not value:
                    raise Refusal("bad_request", f"Invalid request: missing {name} parameter")
            if not all(isinstance(t, str) for t in texts):
                raise Refusal("bad_request", "Invalid request: q must be a string or a list of strings")
            if not params.json:  # as LibreTranslate: form bodies get Unix line ends
                texts = ["\n".join(t.splitlines()) for t in texts]
            source, target = params.one("source"), params.one("target")
            text_format = params.one("format") or "text"
            if text_format not in ("text", "html"):
                raise Refusal("bad_request", f"{text_format} format is not supported; use text or html")
            auto = str(source).lower() == "auto"
            given = None if auto else _language(source)
            prepared = await prepare(texts, _language(target), given, markup=text_format)
            results = await translate_texts(service, caller, prepared)
        except Refusal as exc:
            return refused(exc)
        except Exception:  # noqa: BLE001 (a bug: server_failure logs it; this API answers its own 500)
            return refused(server_failure(request))
        translated: Any = [r.text for r in results]
        body: dict[str, Any] = {"translatedText": translated if batch else translated[0]}
        if auto:
            confidences = await asyncio.to_thread(lambda: [_confidence(t, r.source_language)
                                                           for t, r in zip(texts, results)])
            detected = [{"confidence": c, "language": r.source_language} for c, r in zip(confidences, results)]
            body["detectedLanguage"] = detected if batch else detected[0]
        alternatives = params.one("alternatives")
        if alternatives not in (None, "", 0, "0"):
            body["alternatives"] = [[] for _ in results] if batch else []
        return JSONResponse(body)

    @router.post("/detect", name="libretranslate_detect", summary="Detect the language of a text (LibreTranslate API)",
                 openapi_extra=_body(_DETECT_BODY), responses=_answers({"type": "array", "items": {
                     "type": "object",
                     "properties": {"confidence": {"type": "number"}, "language": {"type": "string"}}}},
                     "Detections"))
    async def detect(request: Request) -> JSONResponse:
        try:
            params, _ = await start(request)
            q = params.one("q")
            if not q:
                raise Refusal("bad_request", "Invalid request: missing q parameter")
            if not isinstance(q, str) and not (isinstance(q, list) and all(isinstance(t, str) for t in q)):
                raise Refusal("bad_request", "Invalid request: q must be a string or a list of strings")
            text = "\n".join(q) if isinstance(q, list) else q
            found = await asyncio.to_thread(detections, text)
        except Refusal as exc:
            return refused(exc)
        return JSONResponse(found)

    @router.get("/languages", name="libretranslate_languages", summary="Supported languages (LibreTranslate API)",
                responses=_answers({"type": "array", "items": {"type": "object", "properties": {
                    "code": {"type": "string"}, "name": {"type": "string"},
                    "targets": {"type": "array", "items": {"type": "string"}}}}}, "List of languages"))
    async def languages() -> JSONResponse:
        try:
            pairs = model_pairs(service)
        except Refusal as exc:
            return refused(exc)
        return JSONResponse([
            {"code": code, "name": name, "targets": sorted(t for s, t in pairs if s == code)}
            for code, name in LANGUAGES.items() if any(s == code for s, _ in pairs)
        ])

    @router.get("/frontend/settings", name="libretranslate_frontend_settings",
                summary="Front-end settings (LibreTranslate API)",
                responses=_answers({"type": "object"}, "Front-end settings"))
    async def frontend_settings() -> JSONResponse:
        keys = service.settings.require_keys
        return JSONResponse({
            "charLimit": -1,  # the limit is on request bytes, per key (see the README)
            "frontendTimeout": 500,
            "apiKeys": keys,
            "keyRequired": keys,
            "suggestions": False,
            "filesTranslation": False,
            "supportedFilesFormat": [],
            "language": {"source": {"code": "auto", "name": "Auto Detect"},
                         "target": {"code": "en", "name": LANGUAGES["en"]}},
        })

    return router


def _header_key(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("x-api-key")


def _language(code: Any) -> str:
    try:
        return normalize_language(str(code))
    except Exception as exc:  # UsageError: LibreTranslate's wording, our list of choices
        raise Refusal("bad_request", f"{code} is not supported; choose one of: {', '.join(LANGUAGES)}") from exc


def detections(text: str) -> list[dict[str, Any]]:
    """LibreTranslate's ``/detect`` answer: the detected language first, confidences 0–100."""
    from ..langid import detect_language

    found = detect_language(text)
    if found is None:
        return []
    scores = _lingua_scores(text)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    ordered = [(found, max(scores.get(base_language(found), 0.0), ranked[0][1] if ranked else 1.0))]
    ordered += [(lang, score) for lang, score in ranked if lang != base_language(found) and score > 0]
    return [{"confidence": round(score * 100, 1), "language": lang} for lang, score in ordered]


def _confidence(text: str, language: str) -> float:
    """The confidence /detect gives ``language`` for ``text`` (0 when /detect would not name it)."""
    return next((d["confidence"] for d in detections(text) if d["language"] == language), 0.0)


def _lingua_scores(text: str) -> dict[str, float]:
    from lingua import Language, LanguageDetectorBuilder

    global _DETECTOR
    if _DETECTOR is None:
        _DETECTOR = LanguageDetectorBuilder.from_languages(Language.KAZAKH, Language.RUSSIAN,
                                                           Language.ENGLISH).build()
    return {value.language.iso_code_639_1.name.lower(): value.value
            for value in _DETECTOR.compute_language_confidence_values(text)}


_DETECTOR: Any = None
