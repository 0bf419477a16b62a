"""``kztranslate xliff``: export an article and its translation to XLIFF 2.1, merge post-edits back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..document import Article
from ..formats import detect_format, get_format, load_text, read_article, write_article, write_atomic
from ..formats.xliff import export, import_

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "xliff", help="XLIFF 2.1 export for post-editing, and import of the edits",
        description="Export an article and its translation to XLIFF 2.1 for a CAT tool; merge the edited file back.",
        epilog="""examples:
  kztranslate xliff export article.kk.md article.ru.md -o article.ru.xlf
  kztranslate xliff import article.ru.xlf article.kk.md article.ru.md -o article.ru.md
""",
    )
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
    into.add_argument("--memory", metavar="PATH",
                      help="translation memory that keeps the edits as human post-edits, which win over machine "
                           "output when the article is translated again "
                           "(default: $KZTRANSLATE_TM or the user cache dir)")
    into.add_argument("--no-memory", action="store_true", help="only merge; do not store the edits in a memory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    source = read_article(args.source)
    variant_text = load_text(args.variant)
    variant_format = detect_format(args.variant, variant_text)
    variant = get_format(variant_format).read(variant_text, source=args.variant)
    if args.xliff_action == "export":
        text = export(source, variant)
        if args.output:
            write_atomic(args.output, text)
        else:
            sys.stdout.write(text)
        return 0
    merged = import_(load_text(args.xliff), source, variant, name=args.xliff)
    if args.output:
        # the variant's own format when the extension allows it (.json is ninjs, JSON-LD or document JSON)
        fits = Path(args.output).suffix.lower() in get_format(variant_format).extensions
        write_article(merged, args.output, format=variant_format if fits else None)
    else:
        sys.stdout.write(write_article(merged, format=variant_format))
    if not args.no_memory:
        _remember(source, variant, merged, args.memory)
    return 0


def _remember(source: Article, variant: Article, merged: Article, memory_path: str | None) -> None:
    """Store each edited sentence as a human post-edit (see kztranslate.postedit)."""
    from ..engine.memory import TranslationMemory
    from ..postedit import edited_blocks, remember_post_edits

    if not edited_blocks(variant, merged):
        return
    memory = TranslationMemory(memory_path)
    report = remember_post_edits(source, variant, merged, memory)
    skipped = ", ".join(f"b{index}" for index in report.skipped)
    note = (f"; not stored, their sentences or links no longer match the source one to one: {skipped}"
            if skipped else "")
    print(f"kztranslate: {report.stored} post-edited sentence(s) of {len(report.edited)} block(s) stored in the "
          f"translation memory {memory.path}{note}", file=sys.stderr)
