"""``kztranslate inspect FILE``: print the parsed document as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser("inspect", help="print the parsed document as JSON")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", help="input format (default: detected)")
    p.add_argument("--from", dest="source", help="language of the article (default: detected)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..formats import read_article
    from ..languages import normalize_language

    language = normalize_language(args.source) if args.source else None
    article = read_article(args.file, format=args.format, language=language)
    json.dump(article.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
