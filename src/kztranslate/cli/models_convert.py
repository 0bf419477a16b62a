"""``kztranslate models convert``: convert a checkpoint to CTranslate2 (what the ctranslate2 backend runs).

The ctranslate2 backend converts a model on first use into its cache by itself; this command does
it ahead of time, or into a directory of your choice that ``--model DIR`` then loads directly.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["register_subcommand", "run_convert"]

_QUANTIZATIONS = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16", "float32")


def register_subcommand(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="convert a model to CTranslate2 (int8 by default) for the fast ctranslate2 backend",
        description="Convert a preset, a Hub id (from the Hugging Face cache, or downloaded) or a local "
        "transformers model directory to a CTranslate2 model directory, tokenizer files and vocabulary map "
        "included. Load it with --backend ctranslate2 --model DIR. Without --output it goes to the "
        "ctranslate2 backend's cache, where --model NAME finds it.",
        epilog="""examples:
  kztranslate models convert nllb-200-distilled-600M                   # into the cache: --model NAME finds it
  kztranslate models convert /models/nllb --quantization int8_float16 -o /models/nllb-ct2
  kztranslate models convert nllb-200-distilled-600M --trim-target kk,ru,en -o nllb-kk-ru-en
  kztranslate models convert nllb-200-distilled-600M --trim-target kk,ru,en --trim-source -o nllb-kk-ru-en-small
""",
    )
    parser.add_argument("model", metavar="NAME|PATH", help="preset name, Hub id or model directory")
    parser.add_argument("--quantization", default="int8", choices=_QUANTIZATIONS,
                        help="weight type: int8 (default; CPU), int8_float16 or float16 (GPU), float32 (exact)")
    parser.add_argument("-o", "--output", metavar="DIR", help="directory to write (default: the conversion cache)")
    parser.add_argument("--revision", help="Hub revision (commit, branch or tag) of a Hub model")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="conversion cache (default: $KZTRANSLATE_CT2_CACHE or the user cache dir)")
    parser.add_argument("--trim-target", metavar="LANGS",
                        help="keep on the target side only the pieces needed to write these languages (of kk, ru, "
                        "en; e.g. kk,ru,en): smaller and faster, the encoder still reads any input")
    parser.add_argument("--trim-source", action="store_true",
                        help="with --trim-target, trim the encoder's vocabulary to the same languages too (every "
                        "single character kept): a third smaller in memory for NLLB; reads only those languages, "
                        "spelling a piece outside the list with kept pieces")
    parser.add_argument("--trim-corpus", metavar="PATH", action="append", default=[],
                        help="text file or directory of .txt/.tsv files tokenized, besides the shipped text, to "
                        "find the pieces --trim-target keeps (repeatable)")
    parser.add_argument("--force", action="store_true", help="convert again, replacing an existing conversion")
    parser.add_argument("--json", action="store_true", help="print what was written as JSON")
    parser.set_defaults(func=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    from ..engine.ctranslate2_backend import CTranslate2Backend
    from ..errors import UsageError

    for flag, given in (("--trim-corpus", args.trim_corpus), ("--trim-source", args.trim_source)):
        if given and not args.trim_target:
            raise UsageError(f"{flag} only applies with --trim-target LANGS (e.g. --trim-target kk,ru,en)")
    backend = CTranslate2Backend(args.model, revision=args.revision, compute_type=args.quantization,
                                 cache_dir=args.cache_dir, trim_target=args.trim_target or None,
                                 trim_corpus=args.trim_corpus or None, trim_source=args.trim_source)
    output = backend.convert(args.output, force=args.force)
    marker = json.loads((output / "kztranslate.json").read_text(encoding="utf-8")) if (
        output / "kztranslate.json").is_file() else {}
    trim, source_trim = marker.get("target_vocabulary"), marker.get("source_vocabulary")
    report: dict[str, Any] = {
        "model": backend.resolved.name, "family": backend.family.name, "revision": backend.snapshot_revision,
        "quantization": backend.quantization, "output": str(output),
        "size_bytes": sum(p.stat().st_size for p in output.iterdir() if p.is_file()),
        "target_vocabulary": None if not trim else {
            key: trim[key] for key in ("languages", "size", "full_size", "sha256", "corpus")},
        "source_vocabulary": None if not source_trim else {
            key: source_trim[key] for key in ("size", "full_size", "sha256")},
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        kept = (f"; target vocabulary trimmed to {','.join(trim['languages'])}: {trim['size']:,} of "
                f"{trim['full_size']:,} pieces") if trim else ""
        if source_trim:
            kept += f"; source vocabulary {source_trim['size']:,} of {source_trim['full_size']:,} pieces"
        print(f"{report['model']} ({report['family']}, {report['quantization']}) → {output} "
              f"({report['size_bytes'] / 1e6:.1f} MB{kept})")
    return 0
