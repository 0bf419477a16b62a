"""``kztranslate tm``: inspect and manage the translation memory.

::

    kztranslate tm stats [--json]
    kztranslate tm export FILE.jsonl|FILE.tmx|- [--format jsonl|tmx]
    kztranslate tm import FILE.jsonl|FILE.tmx|- [--format jsonl|tmx]
    kztranslate tm clear [--model M] [--pair kk-ru]
    kztranslate tm check [--drop] [--json]

``--memory PATH`` (before or after the action) picks the file; default ``$KZTRANSLATE_TM`` or
``memory.sqlite`` in the user cache dir.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..engine.memory import TranslationMemory, default_memory_path
from ..errors import InputError, UsageError

__all__ = ["register", "run"]

_ACTIONS = ("stats", "export", "import", "clear", "check")


def register(subparsers: Any) -> None:
    memory_help = f"translation memory file (default: $KZTRANSLATE_TM or {default_memory_path()})"
    parser = subparsers.add_parser(
        "tm",
        help="inspect, export, import or clear the translation memory",
        description="Inspect and manage the translation memory (machine output and human post-edits).",
        epilog="""examples:
  kztranslate tm stats
  kztranslate tm export memory.tmx                    # TMX 1.4 for CAT tools; .jsonl for JSON Lines
  kztranslate tm import vendor.tmx --memory /srv/kzt/memory.sqlite
  kztranslate tm export - --format tmx | gzip > memory.tmx.gz   # - is standard output (or input)
  kztranslate tm clear --model facebook/nllb-200-distilled-600M --pair kk-ru
""",
    )
    parser.add_argument("--memory", metavar="PATH", help=memory_help)
    # Accepted after the action too; SUPPRESS keeps an absent one from overwriting the first.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--memory", metavar="PATH", default=argparse.SUPPRESS, help=memory_help)
    actions = parser.add_subparsers(dest="tm_action", metavar="ACTION", parser_class=type(parser))
    stats = actions.add_parser("stats", parents=[common], help="entries, post-edits, hits, by pair and model")
    stats.add_argument("--json", action="store_true", help="print the numbers as JSON")
    export = actions.add_parser(
        "export", parents=[common], help="write every entry to FILE (JSON Lines; TMX 1.4 for a .tmx name)"
    )
    export.add_argument("file", metavar="FILE", help="the file to write; - for standard output")
    export.add_argument("--format", choices=("jsonl", "tmx"), help="default: by FILE's name; jsonl for -")
    load = actions.add_parser(
        "import", parents=[common],
        help="read entries from FILE (JSON Lines or TMX; another tool's TMX counts as post-edits)",
    )
    load.add_argument("file", metavar="FILE", help="the file to read; - for standard input")
    load.add_argument("--format", choices=("jsonl", "tmx"), help="default: by FILE's name; jsonl for -")
    clear = actions.add_parser(
        "clear", parents=[common],
        help="delete entries (all, or one model's machine output, or one language pair's)",
    )
    clear.add_argument("--model", metavar="M", help="only this model's machine output (post-edits stay)")
    clear.add_argument("--pair", metavar="SRC-TGT", help="only this language pair, e.g. kk-ru")
    check = actions.add_parser(
        "check", parents=[common],
        help="SQLite's integrity check and every entry's checksum (exit 3 when something is damaged)",
    )
    check.add_argument("--drop", action="store_true", help="delete the entries whose checksum fails")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.tm_action:
        raise UsageError(f"choose an action: {', '.join(_ACTIONS)} (see `kztranslate tm --help`)")
    with TranslationMemory(args.memory) as memory:
        if args.tm_action == "stats":
            numbers = memory.stats()
            print(json.dumps(numbers, ensure_ascii=False, indent=2) if args.json else _render(numbers))
        elif args.tm_action == "export":
            count = _export(memory, args.file, args.format)
            # with the entries on standard output, the count goes to standard error
            report = sys.stderr if args.file == "-" else sys.stdout
            print(f"exported {count} entries to {_shown(args.file, 'standard output')}", file=report)
        elif args.tm_action == "import":
            count = _import(memory, args.file, args.format)
            print(f"imported {count} entries from {_shown(args.file, 'standard input')}")
        elif args.tm_action == "check":
            return _check(memory, args)
        else:
            print(f"removed {memory.clear(model=args.model, pair=args.pair)} entries")
    return 0


def _shown(file: str, stream: str) -> str:
    return stream if file == "-" else file


def _export(memory: TranslationMemory, file: str, format: str | None) -> int:
    if file != "-":
        return memory.export(file, format)
    # The writer works on a file (written whole, then moved into place); standard output gets a copy.
    with tempfile.TemporaryDirectory(prefix="kztranslate-tm-") as folder:
        path = Path(folder) / "memory"
        count = memory.export(path, format or "jsonl")
        with open(path, "rb") as written:
            shutil.copyfileobj(written, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    return count


def _import(memory: TranslationMemory, file: str, format: str | None) -> int:
    if file != "-":
        return memory.import_(file, format)
    # The readers work on a file (TMX is parsed as a whole, JSON Lines checked before anything is stored).
    with tempfile.TemporaryDirectory(prefix="kztranslate-tm-") as folder:
        path = Path(folder) / "memory"
        with open(path, "wb") as copy:
            shutil.copyfileobj(sys.stdin.buffer, copy)
        return memory.import_(path, format or "jsonl")


def _check(memory: TranslationMemory, args: argparse.Namespace) -> int:
    report = memory.check(drop=args.drop)
    sound = report["integrity"] == ["ok"]
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"memory      {report['path']}")
        print(f"integrity   {'ok' if sound else '; '.join(report['integrity'][:10])}")
        print(f"entries     {report['entries']:,} ({len(report['damaged']):,} failing their checksum"
              + (f", {report['dropped']:,} dropped" if args.drop else "") + ")")
        for entry in report["damaged"][:10]:
            print(f"  damaged {entry['type'].replace('_', '-')} {entry['source_language']}-"
                  f"{entry['target_language']}: {entry['source_key'][:80]!r}")
    if not sound:
        raise InputError("SQLite's integrity check failed; restore the file from a backup, or export what is "
                         "readable (`tm export`) into a new memory", source=report["path"])
    if report["damaged"] and not args.drop:
        raise InputError(f"{len(report['damaged'])} entr(y/ies) fail their checksum (they are never served); "
                         "`kztranslate tm check --drop` deletes them", source=report["path"])
    return 0


def _render(numbers: dict[str, Any]) -> str:
    lines = [
        f"memory      {numbers['path']} ({numbers['size_bytes']:,} bytes)",
        f"entries     {numbers['entries']:,} ({numbers['truncated']:,} truncated)",
        f"post-edits  {numbers['post_edits']:,}",
        f"hits        {numbers['hits']:,}",
    ]
    pairs = {pair: f"{n['entries']:,} entries, {n['post_edits']:,} post-edits"
             for pair, n in numbers["by_pair"].items()}
    models = {model: f"{n:,} entries" for model, n in numbers["by_model"].items()}
    for label, rows in (("pairs", pairs), ("models", models)):
        for i, (name, text) in enumerate(rows.items()):
            lines.append(f"{label if i == 0 else '':<12}{name}: {text}")
    return "\n".join(lines)
