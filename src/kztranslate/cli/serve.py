"""``kztranslate serve``: the HTTP service for CMS plugins (needs the ``serve`` extra)."""

from __future__ import annotations

import argparse

from ..errors import UsageError

__all__ = ["register", "run"]

EXAMPLES = """\
examples:
  kztranslate keys create our-cms && kztranslate serve --backend ctranslate2 --model nllb-200-distilled-600M
  kztranslate serve --backend pseudo --no-auth --port 9000               # try the API without weights
  kztranslate serve --memory /srv/kzt/memory.sqlite --glossary house.tsv --qa retry --device cuda
  KZTRANSLATE_MODEL=/models/nllb KZTRANSLATE_BEAMS=2 kztranslate serve  # options from the environment
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..service.settings import ServiceSettings

    p = subparsers.add_parser(
        "serve",
        help="run the HTTP translation service",
        description="Serve POST /v1/translate, /v1/jobs, /v1/models, /healthz, /readyz and /metrics, and the "
        "LibreTranslate- (/translate, /detect, /languages) and DeepL-compatible (/v2/translate, /v2/glossaries, …) "
        "routes for the clients newsrooms already run. "
        "Requests need an API key (`kztranslate keys create NAME`) unless --no-auth is given.",
        epilog=EXAMPLES,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    ServiceSettings.add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..service import ServiceSettings, create_app
    except ImportError as exc:
        raise UsageError(f"`kztranslate serve` needs the serve extra ({exc.name} is missing): "
                         "pip install 'kztranslate[serve]'") from exc
    settings = ServiceSettings.from_args(args)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level)
    return 0
