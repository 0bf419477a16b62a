"""``kztranslate inspect FILE``: print the parsed document as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register", "run"]

EXAMPLES = """\
examples:
  kztranslate inspect article.kk.html                 # blocks, roles, inline codes, meta
  curl -s https://example.kz/news/1 | kztranslate inspect - --format html -o page.json
"""


def register(sub: Any) -> None:
    p = sub.add_parser("inspect", help="print the parsed document as JSON",
                       description="Read an article and print the document JSON kztranslate works on.",
                       epilog=EXAMPLES)
    p.add_argument("file", metavar="FILE", help="the article; '-' reads standard input")
    p.add_argument("--format", help="input format (default: detected)")
    p.add_argument("-f", "--from", dest="source", metavar="LANG", help="language of the article (default: detected)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the JSON here (default: stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..formats import (
        decode_input,
        detect_format,
        get_format,
        read_article,
        write_atomic,
    )
    from ..languages import normalize_language

    language = normalize_language(args.source) if args.source else None
    if args.file == "-":
        text = decode_input(sys.stdin.buffer.read(), source="<stdin>")
        article = get_format(args.format or detect_format(None, text)).read(text, source="<stdin>", language=language)
    else:
        article = read_article(args.file, format=args.format, language=language)
    out = json.dumps(article.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if args.output and args.output != "-":
        write_atomic(args.output, out)
    else:
        sys.stdout.write(out)
    return 0
