"""Settings of the HTTP service: its defaults, and the ``kztranslate serve`` flags that set them."""

from __future__ import annotations

import argparse
import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..config import TranslatorConfig

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

    translation: TranslatorConfig = field(default_factory=TranslatorConfig)
    """How the one :class:`~kztranslate.pipeline.Translator` serving every request is made (backend, model,
    decoding, memory, glossary, QA policy, …)."""
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

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """The ``kztranslate serve`` flags of these settings, defaults and help read from the fields,
        and every translation option (:meth:`TranslatorConfig.add_arguments`)."""
        service = parser.add_argument_group("service")
        for name, (flag, metavar, kind, text) in _FLAGS.items():
            default = _default(name)
            shown = "" if name == "db_path" else f" (default: {_shown(name, default)})"
            if kind is bool:
                service.add_argument(flag, dest=name, action="store_const", const=not default,
                                     default=argparse.SUPPRESS, help=text + ("" if default else shown))
            elif kind == "append":
                service.add_argument(flag, dest=name, action="append", metavar=metavar,
                                     default=argparse.SUPPRESS, help=text)
            else:
                service.add_argument(flag, dest=name, type=kind, metavar=metavar, choices=_CHOICES.get(name),
                                     default=argparse.SUPPRESS, help=text + shown)
        TranslatorConfig.add_arguments(parser)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServiceSettings:
        """The settings given on the command line over the defaults (translation options over the
        environment's, see :meth:`TranslatorConfig.from_env`)."""
        given = vars(args)
        return cls(translation=TranslatorConfig.from_args(args),
                   **{name: given[name] for name in _FLAGS if name in given})


#: Settings with a ``kztranslate serve`` flag: name → (flag, metavar, type, help without the default).
_FLAGS: dict[str, tuple[str, str | None, Any, str]] = {
    "db_path": ("--db", "PATH", Path, ("SQLite database of jobs and API keys (default: $KZTRANSLATE_DB, "
                                       "else service.sqlite in the user data directory)")),
    "cors_origins": ("--cors-origin", "ORIGIN", "append", "allow browser calls from ORIGIN (repeatable; '*' for any)"),
    "require_keys": ("--no-auth", None, bool, "accept requests without an API key (local use only)"),
    "batch_window_ms": ("--batch-window-ms", "MS", float,
                        "wait this long to batch concurrent requests into one model pass"),
    "max_batch_articles": ("--max-batch-articles", "N", int, "most articles in one model pass"),
    "rate_per_second": ("--rate", "R", float, "default requests per second per API key"),
    "rate_burst": ("--burst", "N", int, "default burst per API key"),
    "max_request_bytes": ("--max-request-bytes", "BYTES", int, "default largest request body per API key"),
    "request_time_budget_s": ("--request-timeout", "SECONDS", float,
                              "longest a request waits for its translation before a 503 answer"),
    "heavy_lane": ("--heavy-lane", "LANE", str,
                   ("translate articles over --heavy-article-chars in a thread sharing the model (thread) or in a "
                    "worker process with its own copy of it (process: twice the memory; small requests stay fast); "
                    "auto: a process started at the first such article when there are 2+ cores and the model is on "
                    "the CPU")),
    "heavy_article_chars": ("--heavy-article-chars", "N", int, "articles larger than this go to the heavy lane"),
    "job_chunk_size": ("--job-chunk-size", "N", int, "job articles committed together"),
    "job_lease_seconds": ("--job-lease", "SECONDS", float,
                          "seconds before a crashed server's unfinished job is taken over"),
    "job_poll_seconds": ("--job-poll", "SECONDS", float, "how often an idle job worker looks for queued jobs"),
    "job_article_delay": ("--job-article-delay", "SECONDS", float,
                          "for testing only: sleep this long per job article (to stop a server mid-job)"),
}
#: Where heavy articles are translated (``--heavy-lane``).
HEAVY_LANES = ("auto", "thread", "process")
_CHOICES = {"heavy_lane": HEAVY_LANES}


def _default(name: str) -> Any:
    spec = next(f for f in fields(ServiceSettings) if f.name == name)
    return spec.default if spec.default is not MISSING else None


def _shown(name: str, default: Any) -> str:
    if name == "max_request_bytes":
        return f"{default / 2**20:g} MiB"
    return str(default)
