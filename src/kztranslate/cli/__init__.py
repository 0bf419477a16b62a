"""The ``kztranslate`` command line.

Each subcommand lives in its own module of this package, exposing ``register(subparsers)``
(adds its parser and sets ``func``) and is listed in :data:`COMMANDS`. Exit codes (the classes
of :mod:`kztranslate.errors`, listed in ``docs/document-json.md``): 0 ok · 2 usage · 3 bad input ·
4 model unavailable · 5 batch items failed · 6 QA failed · 7 output cannot be written · 1 an
unexpected failure (a bug).

:func:`main` is the command line's one error boundary: every exception becomes one line on stderr
naming the file, the position and the fix, with its exit code; the traceback is shown only with
``--verbose`` (accepted anywhere on the line) or ``KZTRANSLATE_VERBOSE=1``, and so is the end of a
message longer than two lines of 400 characters (:func:`brief`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from .._version import __version__
from ..errors import from_exception

__all__ = ["COMMANDS", "brief", "main"]

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS: list[str] = ["translate", "inspect", "models", "batch", "serve", "keys", "tm", "xliff", "eval", "names",
                       "completion"]


class _HelpFormatter(argparse.HelpFormatter):
    """Descriptions wrapped to the terminal; text laid out in lines (the examples epilog) kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text.strip():
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # argparse exits 2 too; keep its usage line
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
    message = str(error) if verbose else brief(str(error))
    if getattr(error, "internal", False):
        hint = "" if verbose else "; rerun with --verbose for the traceback"
        print(f"kztranslate: internal error: {message}{hint}, and please report it", file=sys.stderr)
    else:
        print(f"kztranslate: error: {message}", file=sys.stderr)
    if verbose and error.detail:
        print(f"kztranslate: detail: {error.detail}", file=sys.stderr)
    return error.exit_code


#: An error message longer than this (lines, characters per line) is cut short unless --verbose.
BRIEF_LINES, BRIEF_CHARS = 2, 400


def brief(message: str) -> str:
    """``message`` in at most :data:`BRIEF_LINES` lines of :data:`BRIEF_CHARS` characters, cut at a
    clause boundary, saying that ``--verbose`` shows the rest (a library's exception text, a long list)."""
    lines = message.splitlines() or [""]
    if len(lines) <= BRIEF_LINES and all(len(line) <= BRIEF_CHARS for line in lines):
        return message
    kept = []
    for line in lines[:BRIEF_LINES]:
        if len(line) > BRIEF_CHARS:
            head = line[:BRIEF_CHARS]
            cut = max(head.rfind("; "), head.rfind(": "), head.rfind(", "))
            line = head[:cut] if cut > BRIEF_CHARS // 2 else head.rstrip()
            kept.append(line)
            break
        kept.append(line)
    return "\n".join(kept) + " … (--verbose shows the whole message)"
