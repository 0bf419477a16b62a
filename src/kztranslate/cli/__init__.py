"""The ``kztranslate`` command line.

Each subcommand lives in its own module of this package, exposing ``register(subparsers)``
(adds its parser and sets ``func``) and is listed in :data:`COMMANDS`. Exit codes follow
``shared/conventions.md``: 0 ok · 2 usage · 3 bad input · 4 model unavailable · 5 batch items failed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from .._version import __version__
from ..errors import KZTranslateError

__all__ = ["main", "COMMANDS"]

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS: list[str] = ["translate", "inspect", "models", "batch", "serve", "keys", "tm", "xliff", "eval", "names"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep its usage line
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kztranslate",
        description="Translate Kazakh news articles into Russian and English editions (and back), keeping their shape.",
    )
    parser.add_argument("--version", action="version", version=f"kztranslate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KZTranslateError as exc:
        print(f"kztranslate: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("kztranslate: interrupted", file=sys.stderr)
        return 130
