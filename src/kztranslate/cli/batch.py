"""``kztranslate batch``: translate a directory tree or a JSONL file of articles, resumably."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

from ..errors import BatchError, UsageError

__all__ = ["register", "run"]

EXAMPLES = """\
examples:
  kztranslate batch site/content -t ru,en -o translated/        # mirrors the tree; run again to resume
  kztranslate batch articles.jsonl -t en -o out/ --backend ctranslate2 --model nllb-200-distilled-600M
  cat articles.jsonl | kztranslate batch - -t ru -o out/         # JSONL on standard input
  kztranslate batch archive/ -t ru -o out/ --engine ray --glossary glossary.tsv --qa retry
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..batch import CHUNK_SIZE, WORKERS
    from ..config import TranslatorConfig

    p = subparsers.add_parser(
        "batch",
        help="translate a directory tree or JSONL file of articles (resumable)",
        description="Translate every article under INPUT (a directory tree, or a JSONL file with one document JSON "
        "per line) into each --to language, mirroring INPUT under --output as <stem>.<lang>.<ext>. Run the same "
        "command again to resume: articles done with the same content and settings are skipped. Failed articles "
        "go to OUTPUT/errors.jsonl and the exit code is 5.",
        epilog=EXAMPLES,
    )
    p.add_argument("input", metavar="INPUT",
                   help="directory of articles, a .jsonl file, one article file, or '-' for JSONL on stdin")
    p.add_argument("-t", "--to", required=True, metavar="LANGS",
                   help="target languages, comma-separated (kk, ru, en, kk-Latn)")
    p.add_argument("-f", "--from", dest="source", metavar="LANG", help="source language (default: each article's own)")
    p.add_argument("-o", "--output", metavar="DIR", help="output directory, required (holds the resume manifest)")
    p.add_argument("--out", dest="output", help=argparse.SUPPRESS)  # the spelling before -o/--output
    p.add_argument("--input-format", dest="format", metavar="FORMAT",
                   help="read every input in this format (default: by extension and content)")
    p.add_argument("--format", dest="format", help=argparse.SUPPRESS)  # the spelling before --input-format
    p.add_argument("--workers", type=int, default=WORKERS, metavar="N",
                   help="threads for reading and writing (local engine) or model actors (ray, without GPUs); "
                   "default: %(default)s")
    p.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, metavar="N",
                   help="articles per model pass (default: %(default)s)")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local (this process) or ray (a Ray Data pipeline; RAY_ADDRESS picks the cluster)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--follow-symlinks", action="store_true",
                   help="translate what symbolic links lead to, also outside INPUT (default: such links, and "
                   "dangling ones, are reported as failed items)")
    TranslatorConfig.add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..batch import run_batch
    from ..config import TranslatorConfig

    if not args.output:
        raise UsageError("no output directory; give -o/--output DIR (it also holds the resume manifest)")
    config = TranslatorConfig.from_args(args)
    stdin_copy = None
    source = args.input
    if source == "-":  # JSONL lines are keyed by line number and content, so a piped file resumes too
        if sys.stdin.isatty():
            raise UsageError("INPUT '-' reads JSONL from standard input; pipe a file into it")
        handle, stdin_copy = tempfile.mkstemp(prefix="kztranslate-stdin-", suffix=".jsonl")
        with os.fdopen(handle, "wb") as copy:
            shutil.copyfileobj(sys.stdin.buffer, copy)
        source = stdin_copy
    try:
        summary = run_batch(
            source, args.output, args.to, source=args.source, format=args.format, workers=args.workers,
            chunk_size=args.chunk_size, engine=args.engine, config=config,
            progress=not args.no_progress, follow_symlinks=args.follow_symlinks,
        )
    finally:
        if stdin_copy is not None:
            os.unlink(stdin_copy)
    print(summary.line(), file=sys.stderr)
    for asked, why in summary.not_written.items():
        print(f"kztranslate: {asked} not written: {why}", file=sys.stderr)
    if summary.failed:
        raise BatchError(f"{summary.failed} of {summary.total} articles failed", failures=summary.failures)
    return 0
