"""``kztranslate names NAME... --to en``: how kztranslate writes a person name in each language."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "names",
        help="show how a person name is written in other languages (names table, gazetteer, rules)",
        description="Write person names as Kazakh, Russian and English media print them: the --names table "
                    "first, then the built-in gazetteer of official spellings, then the transliteration rules.",
        epilog="""examples:
  kztranslate names 'Нұргүл Қалиева' -t en,ru         # Nurgul Kaliyeva, Нургуль Калиева
  kztranslate names 'Kassym-Jomart Tokayev' -f en -t kk --json
""",
    )
    p.add_argument("names", nargs="+", metavar="NAME", help="a person name, quoted when it has spaces")
    p.add_argument("-t", "--to", required=True, help="target language(s), comma-separated: kk, ru, en, kk-Latn")
    p.add_argument("-f", "--from", dest="source",
                   help="language of the name (default: en for Latin letters, kk for Cyrillic)")
    p.add_argument("--names", dest="table", type=Path, help="names table (TSV/CSV/YAML) that wins over the rest")
    p.add_argument("--no-gazetteer", action="store_true", help="leave out the built-in gazetteer")
    p.add_argument("--json", action="store_true",
                   help="print JSON: per name, per target, the form and where it came from")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..languages import normalize_language, parse_targets
    from ..names import NameTable, explain_name

    targets = parse_targets(args.to)
    table = NameTable.load(args.table) if args.table else None
    results = []
    for name in args.names:
        if not name.strip():
            raise UsageError("an empty name; give the name in quotes, e.g. \"Қасым-Жомарт Тоқаев\"")
        source = normalize_language(args.source) if args.source else _guess_language(name)
        forms = {t: explain_name(name, source, t, table, gazetteer=not args.no_gazetteer) for t in targets}
        results.append({"name": name, "from": source, "to": forms})
    if args.json:
        json.dump(results if len(results) > 1 else results[0], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    for result in results:
        for target, form in result["to"].items():
            prefix = f"{result['name']}\t" if len(results) > 1 else ""
            label = f"{target}\t" if len(targets) > 1 or len(results) > 1 else ""
            print(f"{prefix}{label}{form['text']}")
    return 0


def _guess_language(name: str) -> str:
    letters = [ch for ch in name if ch.isalpha()]
    return "en" if letters and all(ch.isascii() for ch in letters) else "kk"
