"""The ``kztranslate`` command line.

Each subcommand lives in its own module of this package, exposing ``register(subparsers)``
(adds its parser and sets ``func``) and is listed in :data:`COMMANDS`. Exit codes follow
``shared/conventions.md``: 0 ok · 2 usage · 3 bad input · 4 model unavailable · 5 batch items failed ·
6 QA failed · 7 output cannot be written · 1 an unexpected failure (a bug).

:func:`main` is the command line's one error boundary: every exception becomes one line on stderr
naming the file, the position and the fix, with its exit code; the traceback is shown only with
``--verbose`` (accepted anywhere on the line) or ``KZTRANSLATE_VERBOSE=1``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from typing import Sequence

from .._version import __version__
from ..errors import from_exception

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
    parser.add_argument("--verbose", action="store_true",
                        help="show the traceback of an error (accepted anywhere on the command line)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # --verbose anywhere before a "--" (subcommands have their own parsers)
    end = argv.index("--") if "--" in argv else len(argv)
    verbose = "--verbose" in argv[:end] or os.environ.get("KZTRANSLATE_VERBOSE", "") not in ("", "0")
    argv = [a for i, a in enumerate(argv) if not (a == "--verbose" and i < end)]
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("kztranslate: interrupted", file=sys.stderr)
        return 130
    except (Exception, RecursionError, MemoryError) as exc:  # noqa: BLE001 - the boundary: every failure is reported
        return _report(exc, verbose)


def _report(exc: BaseException, verbose: bool) -> int:
    error = from_exception(exc)
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    if getattr(error, "internal", False):
        hint = "" if verbose else "; rerun with --verbose for the traceback"
        print(f"kztranslate: internal error: {error}{hint}, and please report it", file=sys.stderr)
    else:
        print(f"kztranslate: error: {error}", file=sys.stderr)
    if verbose and error.detail:
        print(f"kztranslate: detail: {error.detail}", file=sys.stderr)
    return error.exit_code
