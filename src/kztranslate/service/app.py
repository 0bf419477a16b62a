"""The FastAPI application: routes, API keys and limits, errors, metrics, start-up and shutdown."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._version import __version__
from ..engine.base import BackendSignature
from ..errors import KZTranslateError, from_exception
from ..formats import available_formats
from ..languages import LANGUAGES, language_pairs
from .articles import ApiError, api_error_for, parse_languages, read_input, render_variants
from .batcher import MicroBatcher, heavy_lane_kind, heavy_worker
from .compat_deepl import deepl_router
from .compat_libretranslate import libretranslate_router
from .jobs import JobWorker
from .limits import (
    BODY_LIMIT_KEY,
    BodyLimitMiddleware,
    TokenBucket,
    install_log_redaction,
    secret_parameters,
)
from .metrics import ServiceMetrics
from .schemas import (
    ErrorResponse,
    HealthResponse,
    JobAccepted,
    JobArticleResult,
    JobRequest,
    JobStatus,
    ModelInfo,
    ModelsResponse,
    TranslateRequest,
    TranslateResponse,
)
from .settings import ServiceSettings
from .store import ApiKey, Store

__all__ = ["create_app"]

log = logging.getLogger("kztranslate.service")

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Malformed request: bad JSON, unknown language or format, empty body"},
    401: {"model": ErrorResponse, "description": "Missing or invalid API key"},
    413: {"model": ErrorResponse, "description": "Request body over this key's size limit"},
    422: {"model": ErrorResponse, "description": "Well-formed request whose content cannot be used"},
    429: {"model": ErrorResponse, "description": "Rate limit hit; retry after the Retry-After header's seconds"},
    503: {"model": ErrorResponse, "description": "The model is still loading or failed to load"},
}

_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable", 415: "unsupported_media_type"}


class _Service:
    """What the routes share: settings, database, metrics, the one translator and its batcher."""

    def __init__(self, settings: ServiceSettings, translator: Any | None) -> None:
        self.settings = settings
        self.store = Store(settings.db_path)
        self.metrics = ServiceMetrics()
        self.translator = translator
        self.load_error: str | None = None
        self.batcher: MicroBatcher | None = None
        self.worker: JobWorker | None = None
        self.buckets: dict[str, TokenBucket] = {}

    async def run(self) -> None:
        """Load the model (in a thread: /healthz answers meanwhile), then batch and run jobs until cancelled."""
        built_here = self.translator is None  # a worker process can build the same one from the settings
        if self.translator is None:
            from ..pipeline import Translator

            s = self.settings
            try:
                self.translator = await asyncio.to_thread(Translator.from_config, s.translation)
            except KZTranslateError as exc:
                self.load_error = str(exc)
                log.error("model not loaded: %s", exc)
                return
        self.metrics.model_ready.set(1)
        s = self.settings
        lane = heavy_lane_kind(s.heavy_lane, s.translation.device)
        if s.heavy_lane == "auto" and not built_here:
            lane = "thread"
        log.info("heavy articles (over %d characters) are translated in a %s (--heavy-lane %s)",
                 s.heavy_article_chars, "worker process" if lane == "process" else "thread", s.heavy_lane)
        batcher = MicroBatcher(
            self.translator, self.metrics, window_s=s.batch_window_ms / 1000, max_articles=s.max_batch_articles,
            time_budget_s=s.request_time_budget_s, heavy_chars=s.heavy_article_chars,
            start_heavy_process=functools.partial(heavy_worker, s.translation) if lane == "process" else None,
        )
        # The heavy lane's worker process starts now when asked for by name (its model loads before the
        # service reports ready), at the first heavy article when chosen by ``auto``.
        if s.heavy_lane == "process":
            await batcher.start_heavy_lane()
        self.batcher = batcher
        self.worker = JobWorker(self.store, self.batcher, s, self.metrics)
        await asyncio.gather(self.batcher.run(), self.worker.run())

    def ready_batcher(self) -> MicroBatcher:
        if self.load_error is not None:
            raise ApiError(503, "model_unavailable", f"the model failed to load: {self.load_error}")
        if self.batcher is None:
            raise ApiError(503, "model_loading", "the model is still loading; retry in a few seconds",
                           headers={"Retry-After": "5"})
        return self.batcher

    async def admit(self, request: Request) -> ApiKey | None:
        """Check the API key, the rate limit and the body size of a ``/v1`` request."""
        s = self.settings
        key: ApiKey | None = None
        if s.require_keys:
            presented = request.headers.get("x-api-key")
            scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                presented = credentials.strip()
            if not presented:
                raise ApiError(401, "missing_api_key",
                               "send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'; "
                               "create one with `kztranslate keys create NAME`",
                               headers={"WWW-Authenticate": "Bearer"})
            key = await asyncio.to_thread(self.store.verify_key, presented)
            if key is None:
                raise ApiError(401, "invalid_api_key", "the API key is unknown or revoked; "
                               "list keys with `kztranslate keys list`", headers={"WWW-Authenticate": "Bearer"})
        seconds, message = self.rate_limit(key)
        if seconds:
            raise ApiError(429, "rate_limited", message, headers={"Retry-After": str(seconds)})
        limit = key.max_request_bytes if key and key.max_request_bytes is not None else s.max_request_bytes
        # a body without Content-Length (chunked) is counted as it streams in: BodyLimitMiddleware
        request.scope[BODY_LIMIT_KEY] = limit
        declared = request.headers.get("content-length")
        size = 0
        if declared is not None:
            if not declared.isdigit():
                raise ApiError(400, "invalid_content_length", f"Content-Length {declared!r} is not a number")
            size = int(declared)
        if size > limit:
            raise ApiError(413, "request_too_large",
                           f"the request body is {size} bytes, over this key's limit of {limit} bytes; "
                           "send fewer articles per request (or use POST /v1/jobs with several requests)")
        return key

    def rate_limit(self, key: ApiKey | None) -> tuple[int, str]:
        """Take one request from the caller's token bucket (made on first use): ``(0, "")`` when
        admitted, else the whole seconds to wait and the message saying so."""
        bucket_id = key.id if key else "anonymous"
        bucket = self.buckets.get(bucket_id)
        if bucket is None:
            s = self.settings
            rate = key.rate_per_second if key and key.rate_per_second is not None else s.rate_per_second
            burst = key.rate_burst if key and key.rate_burst is not None else s.rate_burst
            bucket = self.buckets[bucket_id] = TokenBucket(rate, burst)
        wait = bucket.take()
        if wait <= 0:
            return 0, ""
        seconds = min(3600, max(1, math.ceil(wait)))
        return seconds, (f"rate limit of {bucket.rate:g} requests/s (burst {bucket.burst}) reached; "
                         f"retry after {seconds} s")

    def error_response(self, exc: ApiError) -> JSONResponse:
        self.metrics.errors.labels(exc.code).inc()
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


def _documented_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI document gives ``path`` (routers included into the app are matched
    lazily by FastAPI, so the document is the one complete list)."""
    found: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = "[^/]+".join(re.escape(piece) for piece in re.split(r"\{[^}]*\}", template))
        if re.fullmatch(pattern, path):
            found |= {method.upper() for method in operations if method.lower() in _HTTP_METHODS}
    return sorted(found)


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def create_app(settings: ServiceSettings | None = None, *, translator: Any | None = None) -> FastAPI:
    """The kztranslate HTTP service. ``translator`` (a :class:`~kztranslate.pipeline.Translator`)
    is created from ``settings`` at start-up when not given; one instance serves every request."""
    settings = settings or ServiceSettings()
    service = _Service(settings, translator)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(service.run())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    app = FastAPI(
        title="kztranslate",
        version=__version__,
        description="Translate Kazakh news articles into Russian and English editions (and back), keeping their "
        "shape. Every error answer has the body `{\"error\": {\"code\", \"message\"}}`.",
        lifespan=lifespan,
        # operationIds a client generator turns into method names: translate, submit_job, job_status, …
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.service = service

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        try:
            secrets = secret_parameters(request.url.query)
            if secrets:  # the URL ends up in access logs, proxies and browser histories
                raise ApiError(400, "api_key_in_url",
                               f"credentials go in a header, never in the URL (found {', '.join(sorted(secrets))} "
                               "in the query); send 'Authorization: Bearer <key>' or 'X-API-Key: <key>', and "
                               "revoke a key that was sent in a URL (`kztranslate keys revoke`)")
            if request.url.path.startswith("/v1/") and request.method != "OPTIONS":
                request.state.api_key = await service.admit(request)
            response = await call_next(request)
        except ApiError as exc:
            response = service.error_response(exc)
        except (Exception, RecursionError, MemoryError) as exc:  # noqa: BLE001 - the boundary of every request
            response = service.error_response(_unexpected(request, exc))
        label = _route_label(app, request)
        service.metrics.requests.labels(label, request.method, str(response.status_code)).inc()
        service.metrics.latency.labels(label).observe(time.perf_counter() - started)
        return response

    # outermost: a body over the limit is refused while it streams in, before anything reads it
    app.add_middleware(BodyLimitMiddleware, default_limit=settings.max_request_bytes)
    install_log_redaction()

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            expose_headers=["Retry-After"],
        )

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return service.error_response(exc)

    @app.exception_handler(KZTranslateError)
    async def _library_error(request: Request, exc: KZTranslateError) -> JSONResponse:
        return service.error_response(api_error_for(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return service.error_response(_validation_api_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}")
        message = str(exc.detail)
        if exc.status_code == 404:
            message = f"no route {request.url.path!r}; see /openapi.json for the API"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path has, not only those of the first route that matched it
            methods = _documented_methods(request.app, request.url.path)
            if methods:
                headers["Allow"] = ", ".join(methods)
        return service.error_response(ApiError(exc.status_code, code, message, headers=headers))

    @app.post("/v1/translate", response_model=TranslateResponse, responses=_ERRORS, tags=["translate"],
              summary="Translate one article into one or more languages")
    async def translate(body: TranslateRequest) -> TranslateResponse:
        targets, source = parse_languages(body.to, body.source)
        batcher = service.ready_batcher()
        article, format_name = await batcher.read(body, source)
        try:
            variants = await batcher.translate(article, targets, source)
        except KZTranslateError as exc:
            raise api_error_for(exc) from exc
        rendered = await asyncio.to_thread(render_variants, variants, format_name)
        return TranslateResponse.model_validate(
            {"source_language": source or article.language, "format": format_name, "variants": rendered}
        )

    @app.post("/v1/jobs", status_code=202, response_model=JobAccepted, responses=_ERRORS, tags=["jobs"],
              summary="Queue articles for translation; the job survives server restarts")
    async def submit_job(body: JobRequest, request: Request) -> JobAccepted:
        targets, source = parse_languages(body.to, body.source)
        stored: list[tuple[str, str]] = []
        for index, item in enumerate(body.articles):
            try:
                article, format_name = await asyncio.to_thread(read_input, item, source)
            except ApiError as exc:
                raise ApiError(exc.status, exc.code, f"articles[{index}]: {exc.message}") from exc
            stored.append((format_name, json.dumps(article.to_dict(), ensure_ascii=False)))
        key: ApiKey | None = request.state.api_key
        job = await asyncio.to_thread(service.store.create_job, stored, targets, source, key.id if key else None)
        service.metrics.jobs.labels("accepted").inc()
        if service.worker is not None:
            service.worker.wake.set()
        return JobAccepted(id=job.id, status=job.status)  # type: ignore[arg-type]

    @app.get("/v1/jobs/{job_id}", response_model=JobStatus, responses={**_ERRORS, 404: _ERRORS[400] | {
        "description": "No such job (for this API key)"}}, tags=["jobs"], summary="A job's status and results")
    async def job_status(job_id: str, request: Request) -> JobStatus:
        key: ApiKey | None = request.state.api_key
        job = await asyncio.to_thread(service.store.get_job, job_id)
        if job is None or (key is not None and job.key_id != key.id):
            raise ApiError(404, "job_not_found", f"no job {job_id!r} for this API key")
        rows = await asyncio.to_thread(lambda: list(service.store.results(job_id)))
        results = [
            JobArticleResult(
                index=r["idx"], status="ok" if r["ok"] else "error",
                variants=json.loads(r["variants"]) if r["ok"] else None,
                error=None if r["ok"] else json.loads(r["error"]),
            )
            for r in rows
        ]
        return JobStatus(
            id=job.id, status=job.status, total=job.total, done=len(results),  # type: ignore[arg-type]
            failed=sum(r.status == "error" for r in results), created=job.created, updated=job.updated,
            finished=job.finished, results=results,
        )

    @app.get("/v1/models", response_model=ModelsResponse, responses=_ERRORS, tags=["models"],
             summary="The loaded model, its language pairs, and the accepted languages and formats")
    async def models() -> ModelsResponse:
        service.ready_batcher()
        assert service.translator is not None  # ready_batcher answers 503 until the model is loaded
        backend = service.translator.backend
        signature = BackendSignature.of(backend)
        pairs = language_pairs(backend.supports)
        info = ModelInfo(
            backend=signature.backend, model=signature.model,
            model_revision=signature.revision, decoding=signature.decoding.to_dict(), pairs=pairs,
        )
        return ModelsResponse(models=[info], languages=list(LANGUAGES), formats=available_formats())

    @app.get("/healthz", response_model=HealthResponse, tags=["operations"], summary="The process is up")
    async def healthz() -> HealthResponse:
        return HealthResponse(status="ok")

    @app.get("/readyz", response_model=HealthResponse, responses={503: _ERRORS[503]}, tags=["operations"],
             summary="200 once the model is loaded")
    async def readyz() -> HealthResponse:
        service.ready_batcher()
        assert service.translator is not None  # ready_batcher answers 503 until the model is loaded
        return HealthResponse(status="ready", detail=BackendSignature.of(service.translator.backend).model)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response,
             responses={200: {"description": "Prometheus text exposition format",
                              "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}})
    async def metrics() -> Response:
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # drop-in routes for clients of LibreTranslate (/translate, …) and DeepL (/v2/…, /v3/glossaries)
    app.include_router(libretranslate_router(service))
    app.include_router(deepl_router(service))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "`kztranslate keys create NAME`"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            }
            if settings.require_keys:
                for path, operations in schema["paths"].items():
                    if path.startswith("/v1/"):
                        for operation in operations.values():
                            operation["security"] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _route_label(app: FastAPI, request: Request) -> str:
    """The route template for metrics, also for a request refused before routing (401, 413, 429)."""
    route = request.scope.get("route")
    if route is None:
        from starlette.routing import Match

        route = next((r for r in app.router.routes if r.matches(request.scope)[0] == Match.FULL), None)
    return getattr(route, "path", "unmatched")


def _unexpected(request: Request, exc: BaseException) -> ApiError:
    """An exception no route turned into an answer: bad input the library did not name (too deeply
    nested, not encodable) is a 422; anything else is a bug, a JSON 500, and logged."""
    error = from_exception(exc)
    if not getattr(error, "internal", False):
        return api_error_for(error)
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return ApiError(500, "internal_error", "the server failed on this request; its log has the details")


def _validation_api_error(exc: RequestValidationError) -> ApiError:
    """FastAPI's validation errors in our shape: malformed JSON and a missing body are 400, the rest 422."""
    errors = exc.errors()
    for error in errors:
        if error.get("type") == "json_invalid":
            position = error.get("loc", ("body", "?"))[-1]
            reason = (error.get("ctx") or {}).get("error", "JSON decode error")
            return ApiError(400, "invalid_json", f"the body is not valid JSON ({reason} at character {position}); "
                            "send a JSON object with 'Content-Type: application/json'")
        if error.get("type") == "missing" and tuple(error.get("loc", ())) == ("body",):
            return ApiError(400, "empty_body", "the request has no body; send a JSON object (see /openapi.json)")
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or "body", "problem": e.get("msg", ""),
         "type": e.get("type", "")}
        for e in errors
    ]
    summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details[:5])
    return ApiError(422, "invalid_request", f"the request does not match the API schema: {summary}",
                    details=jsonable_encoder(details))
