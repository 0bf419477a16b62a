"""``kztranslate batch``: translate a directory tree or a JSONL file of articles, resumably."""

from __future__ import annotations

import argparse
import sys

from ..errors import BatchError

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "batch",
        help="translate a directory tree or JSONL file of articles (resumable)",
        description="Translate every article under INPUT (a directory tree, or a JSONL file with one document JSON "
        "per line) into each --to language, mirroring INPUT under --out as <stem>.<lang>.<ext>. Run the same "
        "command again to resume: articles done with the same content and settings are skipped. Failed articles "
        "go to OUT/errors.jsonl and the exit code is 5.",
    )
    p.add_argument("input", metavar="INPUT", help="directory of articles, a .jsonl file, or one article file")
    p.add_argument("--to", required=True, help="target languages, comma-separated (kk, ru, en, kk-Latn)")
    p.add_argument("--from", dest="source", help="source language (default: each article's own)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (holds the resume manifest)")
    p.add_argument("--format", help="read every input in this format (default: by extension and content)")
    p.add_argument("--workers", type=int, default=4,
                   help="threads for reading and writing (local engine) or model actors (ray, without GPUs); "
                   "default: 4")
    p.add_argument("--chunk-size", type=int, default=16, help="articles per model pass (default: 16)")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local (this process) or ray (a Ray Data pipeline; RAY_ADDRESS picks the cluster)")
    p.add_argument("--backend", help="translation backend (transformers, ctranslate2, pseudo)")
    p.add_argument("--model", help="model name or local path")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--follow-symlinks", action="store_true",
                   help="translate what symbolic links lead to, also outside INPUT (default: such links, and "
                   "dangling ones, are reported as failed items)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..batch import run_batch

    summary = run_batch(
        args.input, args.out, args.to, source=args.source, format=args.format, workers=args.workers,
        chunk_size=args.chunk_size, engine=args.engine, backend=args.backend, model=args.model,
        progress=not args.no_progress, follow_symlinks=args.follow_symlinks,
    )
    print(summary.line(), file=sys.stderr)
    for asked, why in summary.not_written.items():
        print(f"kztranslate: {asked} not written: {why}", file=sys.stderr)
    if summary.failed:
        raise BatchError(f"{summary.failed} of {summary.total} articles failed", failures=summary.failures)
    return 0
