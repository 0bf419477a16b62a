"""Limits of the HTTP service: a token bucket per API key (in the memory of one server process),
request bodies limited while they stream in, and API keys kept out of URLs and logs."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TokenBucket", "BodyLimitMiddleware", "BODY_LIMIT_KEY", "SECRET_PARAMETERS", "secret_parameters",
           "redact_query", "RedactingFilter", "install_log_redaction"]


@dataclass(slots=True)
class TokenBucket:
    """``rate`` requests per second on average, up to ``burst`` at once."""

    rate: float
    """Tokens added per second."""
    burst: int
    """Bucket size: requests allowed back to back after a quiet spell."""
    tokens: float = field(default=-1.0)
    """Tokens left (starts full)."""
    stamp: float = field(default_factory=time.monotonic)
    """When ``tokens`` was last brought up to date."""

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = float(self.burst)

    def take(self, now: float | None = None) -> float:
        """Spend one token: 0.0 when allowed, else the seconds until a token is available."""
        now = time.monotonic() if now is None else now
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate if self.rate > 0 else float("inf")


# -- request bodies: limited while they stream in ---------------------------------------------------
#: Where a request's body limit is kept in the ASGI scope (``_Service.admit`` sets the API key's own).
BODY_LIMIT_KEY = "kztranslate.body_limit"


class BodyLimitMiddleware:
    """Counts a request's body as it streams in and answers 413 (our error shape) the moment it
    passes the limit — the rest is never read, chunked or not — then closes the connection.

    The limit is ``scope[BODY_LIMIT_KEY]`` when set (an API key's own), else ``default_limit``.
    """

    def __init__(self, app: Any, default_limit: int) -> None:
        self.app = app
        self.default_limit = default_limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0
        refused = False
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                limit = scope.get(BODY_LIMIT_KEY, self.default_limit)
                if received > limit:
                    refused = True
                    if not started:
                        await _refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            nonlocal started
            if refused:
                return  # the 413 is out; the application's own answer is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise  # after a refusal, the application failing to read its body is expected


async def _refuse(send: Any, limit: int) -> None:
    body = json.dumps({"error": {
        "code": "request_too_large",
        "message": f"the request body is over this key's limit of {limit} bytes (refused while it was being sent); "
                   "send fewer articles per request (or use POST /v1/jobs with several requests)",
    }}).encode("utf-8")
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})


# -- API keys stay out of URLs and logs ---------------------------------------------------------------
#: Query parameters that carry a credential: refused in requests, their values redacted in logs.
SECRET_PARAMETERS = frozenset({
    "api_key", "apikey", "api-key", "key", "token", "access_token", "auth", "authorization", "secret",
    "password", "x-api-key",
})


def secret_parameters(query: str) -> list[str]:
    """Names of the credential-like parameters in a raw query string."""
    from urllib.parse import parse_qsl

    try:
        pairs = parse_qsl(query, keep_blank_values=True)
    except ValueError:
        return []
    return [name for name, _ in pairs if name.strip().lower() in SECRET_PARAMETERS]


def redact_query(target: str) -> str:
    """``/v1/x?api_key=SECRET&a=1`` → ``/v1/x?api_key=[redacted]&a=1``: credential-like values
    replaced, everything else as it was."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    parts = []
    for part in query.split("&"):
        name, equals, _value = part.partition("=")
        from urllib.parse import unquote_plus

        if equals and unquote_plus(name).strip().lower() in SECRET_PARAMETERS:
            part = f"{name}=[redacted]"
        parts.append(part)
    return f"{path}?{'&'.join(parts)}"


class RedactingFilter(logging.Filter):
    """A logging filter for uvicorn's access log (and any record with a request target in its
    arguments): credential-like query values never reach a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) and "?" in a for a in record.args):
            record.args = tuple(redact_query(a) if isinstance(a, str) and "?" in a else a for a in record.args)
        elif isinstance(record.msg, str) and "?" in record.msg and not record.args:
            record.msg = redact_query(record.msg)
        return True


def install_log_redaction() -> None:
    """Add :class:`RedactingFilter` to uvicorn's access and error loggers (once)."""
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
