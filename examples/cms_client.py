"""A small CMS client for the kztranslate service (httpx), driven by the service's OpenAPI document.

    python examples/cms_client.py article.kk.html --url http://127.0.0.1:8080 --key "$KZTRANSLATE_API_KEY" --to ru,en

It checks at start that the routes it calls are in ``/openapi.json`` (so a plugin built against
one version fails clearly against another), retries on 429 after ``Retry-After``, and raises
:class:`ServiceError` with the service's ``{"error": {"code", "message"}}`` otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import httpx

__all__ = ["KZTranslateClient", "ServiceError"]

#: (method, path) pairs this client calls; all must be in the service's OpenAPI document.
ROUTES = {("post", "/v1/translate"), ("post", "/v1/jobs"), ("get", "/v1/jobs/{job_id}"), ("get", "/v1/models")}


class ServiceError(Exception):
    """An error answer of the service."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class KZTranslateClient:
    """``translate`` one article now, or ``submit_job`` many and ``wait_job`` for them."""

    def __init__(self, base_url: str, api_key: str, *, client: httpx.Client | None = None,
                 timeout: float = 120.0, retries: int = 3) -> None:
        self.http = client or httpx.Client(base_url=base_url, timeout=timeout)
        self.http.headers["Authorization"] = f"Bearer {api_key}"
        self.retries = retries
        spec = self.http.get("/openapi.json").raise_for_status().json()
        offered = {(method, path) for path, ops in spec["paths"].items() for method in ops}
        missing = ROUTES - offered
        if missing:
            raise ServiceError(0, "incompatible_service", f"the service lacks {sorted(missing)}; "
                               f"it is kztranslate {spec['info']['version']}")

    def translate(self, content: str | None = None, *, article: dict[str, Any] | None = None,
                  format: str | None = None, to: Sequence[str] = ("ru", "en"), source: str | None = None) -> dict:
        """``{lang: {"content", "document"}}`` for one article (text in ``format``, or a document ``article``)."""
        body = _article_body(content, article, format)
        body.update({"to": list(to), **({"from": source} if source else {})})
        return self._call("POST", "/v1/translate", json=body)["variants"]

    def submit_job(self, articles: Sequence[dict[str, Any]], to: Sequence[str] = ("ru", "en")) -> str:
        """Queue articles (each ``{"content", "format"}`` or ``{"article"}``); returns the job id."""
        return self._call("POST", "/v1/jobs", json={"articles": list(articles), "to": list(to)})["id"]

    def wait_job(self, job_id: str, *, poll: float = 1.0, timeout: float = 3600.0) -> dict:
        """Poll until the job is done; returns its status with every article's result."""
        deadline = time.monotonic() + timeout
        while True:
            status = self._call("GET", f"/v1/jobs/{job_id}")
            if status["status"] == "done":
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} not done after {timeout} s ({status['done']}/{status['total']})")
            time.sleep(poll)

    def models(self) -> dict:
        return self._call("GET", "/v1/models")

    def _call(self, method: str, path: str, **kwargs: Any) -> dict:
        for attempt in range(self.retries + 1):
            response = self.http.request(method, path, **kwargs)
            if response.status_code == 429 and attempt < self.retries:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.is_success:
                return response.json()
            try:
                error = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                error = {"code": f"http_{response.status_code}", "message": response.text[:200]}
            raise ServiceError(response.status_code, error["code"], error["message"])
        raise AssertionError("unreachable")


def _article_body(content: str | None, article: dict[str, Any] | None, format: str | None) -> dict[str, Any]:
    if (content is None) == (article is None):
        raise ValueError("give content= or article=")
    body: dict[str, Any] = {"content": content} if content is not None else {"article": article}
    if format:
        body["format"] = format
    return body


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--key", required=True, help="API key (`kztranslate keys create NAME`)")
    parser.add_argument("--to", default="ru,en")
    parser.add_argument("--format", help="input format (default: detected by the service)")
    args = parser.parse_args(argv)
    client = KZTranslateClient(args.url, args.key)
    try:
        variants = client.translate(args.file.read_text(encoding="utf-8"), format=args.format, to=args.to.split(","))
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for language, variant in variants.items():
        print(f"--- {language} (QA findings: {len(variant['document'].get('qa', []))})")
        print(variant["content"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
