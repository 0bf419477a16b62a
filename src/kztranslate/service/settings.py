"""Settings of the HTTP service, with the defaults ``kztranslate serve`` starts from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ServiceSettings", "default_db_path"]


def default_db_path() -> Path:
    """``$KZTRANSLATE_DB``, else ``service.sqlite`` in the user data directory (jobs and API keys live there)."""
    env = os.environ.get("KZTRANSLATE_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path("kztranslate") / "service.sqlite"


@dataclass(slots=True)
class ServiceSettings:
    """Everything :func:`~kztranslate.service.create_app` needs to know."""

    backend: str | None = None
    """Translation backend name (``pseudo``, ``transformers``, ``ctranslate2``); None = the default one."""
    model: str | None = None
    """Model id or local path for the backend."""
    backend_options: dict[str, Any] = field(default_factory=dict)
    """Further keyword arguments for :class:`~kztranslate.pipeline.Translator` (``device``, ``decoding``, …)."""
    db_path: Path = field(default_factory=default_db_path)
    """SQLite database holding jobs, job results and API keys."""
    require_keys: bool = True
    """Whether ``/v1/*`` needs an API key (``Authorization: Bearer …`` or ``X-API-Key``)."""
    cors_origins: list[str] = field(default_factory=list)
    """Origins allowed to call the API from a browser (CMS front ends); ``*`` allows any."""
    batch_window_ms: float = 5.0
    """How long the micro-batcher waits for more concurrent articles before one model pass."""
    max_batch_articles: int = 64
    """Most articles in one model pass."""
    rate_per_second: float = 10.0
    """Default token-bucket refill rate per API key (requests per second); a key may override it."""
    rate_burst: int = 20
    """Default bucket size per API key (requests allowed at once)."""
    max_request_bytes: int = 2 * 1024 * 1024
    """Default largest request body per API key, in bytes; a key may override it."""
    job_chunk_size: int = 8
    """Articles of a job translated (and committed) together."""
    job_lease_seconds: float = 30.0
    """How long a worker's claim on a job lasts without renewal; a crashed worker's job is taken over after it."""
    job_poll_seconds: float = 0.5
    """How often an idle job worker looks for queued jobs (a new job wakes it at once)."""
    request_time_budget_s: float = 120.0
    """Longest a request waits for its translation; past it the answer is 503 ``time_budget_exceeded``."""
    heavy_article_chars: int = 20_000
    """Articles with more translatable characters than this go to a lane of their own, so a huge article
    does not hold up the small ones queued behind it."""
    heavy_lane: str = "auto"
    """Where heavy articles are translated: ``thread`` (shares the loaded model) or ``process`` (a worker
    process with its own copy of the model: twice the memory, but its Python work never slows the small
    requests down); ``auto``: a process started at the first heavy article on a machine with two or more
    cores and a CPU model, else a thread (``service.batcher.heavy_lane_kind``)."""
    job_article_delay: float = 0.0
    """For testing only: sleep this many seconds per job article, so a test can stop the server mid-job."""
