"""``kztranslate serve``: the HTTP service for CMS plugins (needs the ``serve`` extra)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="run the HTTP translation service",
        description="Serve POST /v1/translate, /v1/jobs, /v1/models, /healthz, /readyz and /metrics, and the "
        "LibreTranslate- (/translate, /detect, /languages) and DeepL-compatible (/v2/translate, /v2/glossaries, …) "
        "routes for the clients newsrooms already run. "
        "Requests need an API key (`kztranslate keys create NAME`) unless --no-auth is given.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    p.add_argument("--backend", help="translation backend (transformers, ctranslate2, pseudo)")
    p.add_argument("--model", help="model name or local path")
    p.add_argument("--memory", metavar="PATH",
                   help="translation-memory file shared by all requests (default: none; cache hits show in /metrics)")
    p.add_argument("--db", type=Path, help="SQLite database of jobs and API keys (default: $KZTRANSLATE_DB, "
                   "else service.sqlite in the user data directory)")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="allow browser calls from ORIGIN (repeatable; '*' for any)")
    p.add_argument("--no-auth", action="store_true", help="accept requests without an API key (local use only)")
    p.add_argument("--batch-window-ms", type=float, default=5.0,
                   help="wait this long to batch concurrent requests into one model pass (default: 5)")
    p.add_argument("--rate", type=float, default=10.0, help="default requests per second per API key (default: 10)")
    p.add_argument("--burst", type=int, default=20, help="default burst per API key (default: 20)")
    p.add_argument("--max-request-bytes", type=int, default=2 * 1024 * 1024,
                   help="default largest request body per API key (default: 2 MiB)")
    p.add_argument("--request-timeout", type=float, default=120.0, metavar="SECONDS",
                   help="longest a request waits for its translation before a 503 answer (default: 120)")
    p.add_argument("--heavy-lane", choices=["auto", "thread", "process"], default="auto",
                   help="translate articles over 20,000 characters in a thread sharing the model or in a worker "
                   "process with its own copy of it (twice the memory; small requests stay fast); auto (default): "
                   "a process started at the first such article when there are 2+ cores and the model is on the CPU")
    p.add_argument("--job-chunk-size", type=int, default=8, help="job articles committed together (default: 8)")
    p.add_argument("--job-lease", type=float, default=30.0,
                   help="seconds before a crashed server's unfinished job is taken over (default: 30)")
    p.add_argument("--job-article-delay", type=float, default=0.0, metavar="SECONDS",
                   help="for testing only: sleep this long per job article (to stop a server mid-job)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..service import ServiceSettings, create_app, default_db_path
    except ImportError as exc:
        raise UsageError(f"`kztranslate serve` needs the serve extra ({exc.name} is missing): "
                         "pip install 'kztranslate[serve]'") from exc
    settings = ServiceSettings(
        backend=args.backend,
        model=args.model,
        backend_options={"memory": args.memory} if args.memory else {},
        db_path=args.db or default_db_path(),
        require_keys=not args.no_auth,
        cors_origins=list(args.cors_origin),
        batch_window_ms=args.batch_window_ms,
        rate_per_second=args.rate,
        rate_burst=args.burst,
        max_request_bytes=args.max_request_bytes,
        request_time_budget_s=args.request_timeout,
        heavy_lane=args.heavy_lane,
        job_chunk_size=args.job_chunk_size,
        job_lease_seconds=args.job_lease,
        job_article_delay=args.job_article_delay,
    )
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level)
    return 0
