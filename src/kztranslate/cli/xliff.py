"""``kztranslate xliff``: export an article and its translation to XLIFF 2.1, merge post-edits back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError
from ..formats import decode_input, detect_format, read_article, write_article, write_atomic
from ..formats.xliff import export, import_

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("xliff", help="XLIFF 2.1 export for post-editing, and import of the edits")
    actions = parser.add_subparsers(dest="xliff_action", metavar="ACTION", required=True)
    out = actions.add_parser("export", help="write SOURCE and its translation VARIANT as XLIFF 2.1")
    out.add_argument("source", metavar="SOURCE", help="the original article")
    out.add_argument("variant", metavar="VARIANT", help="its machine translation")
    out.add_argument("-o", "--output", metavar="FILE.xlf", help="where to write (default: stdout)")
    into = actions.add_parser("import", help="merge a post-edited XLIFF file into VARIANT")
    into.add_argument("xliff", metavar="FILE.xlf", help="the post-edited file")
    into.add_argument("source", metavar="SOURCE", help="the original article the file was exported from")
    into.add_argument("variant", metavar="VARIANT", help="the translation the file was exported from")
    into.add_argument("-o", "--output", metavar="OUT",
                      help="where to write the merged variant (format by extension; default: stdout, VARIANT's format)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    source = read_article(args.source)
    variant = read_article(args.variant)
    if args.xliff_action == "export":
        text = export(source, variant)
        if args.output:
            write_atomic(args.output, text)
        else:
            sys.stdout.write(text)
        return 0
    merged = import_(_read_text(args.xliff), source, variant, name=args.xliff)
    if args.output:
        write_article(merged, args.output)
    else:
        sys.stdout.write(write_article(merged, format=detect_format(args.variant, _read_text(args.variant))))
    return 0


def _read_text(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=path) from exc
    return decode_input(data, source=path)
