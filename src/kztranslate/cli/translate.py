"""``kztranslate translate FILE... --to ru,en``: translate articles, one output file per target."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import BatchError, KZTranslateError, UsageError, from_exception
from ..languages import (
    LANGUAGES,
    normalize_language,
    parse_targets,
    strip_language_suffix,
)

__all__ = ["output_path", "register", "run"]


EXAMPLES = """\
examples:
  kztranslate translate article.kk.txt -t ru,en -o out/          # out/article.ru.txt, out/article.en.txt
  kztranslate translate article.kk.md -t en -o article.en.md     # one input, one target: a file
  kztranslate translate article.kk.txt -t ru --backend pseudo    # no weights needed; prints to stdout
  echo 'Бүгін Астанада жиын өтті.' | kztranslate translate - -t en
  kztranslate translate --text 'Сәлем, әлем!' -t ru,en --json
  kztranslate translate page.kk.html -t ru --model nllb-200-distilled-1.3B --device cuda --compute-type float16
"""


def register(sub: Any) -> None:
    from ..config import TranslatorConfig

    p = sub.add_parser("translate", help="translate article files into other languages",
                       description="Translate articles (text, HTML, Markdown, ninjs, JSON-LD, document JSON, XLIFF) "
                       "into each --to language, keeping their shape.",
                       epilog=EXAMPLES)
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="article files (text, JSON, or any registered format); '-' reads plain text from stdin")
    p.add_argument("--text", action="append", metavar="TEXT",
                   help="translate this text (repeatable), not an article: no dateline, byline or furniture "
                        "is looked for; the translation is printed")
    p.add_argument("--markup", choices=("text", "html", "xml"), default="text",
                   help="what --text and stdin hold: plain text (default), an HTML fragment, an XML fragment")
    p.add_argument("--json", action="store_true",
                   help="with --text or stdin: print JSON (each target's translations, languages, QA findings)")
    p.add_argument("-t", "--to", required=True, metavar="LANGS",
                   help=f"target languages, comma-separated ({', '.join(LANGUAGES)})")
    p.add_argument("-f", "--from", dest="source", metavar="LANG", help="source language (default: as read or detected)")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="where to write: a directory for <stem>.<lang>.<ext> files, or, with one input and one "
                        "target, a file ('-' = stdout). Default: next to the input; stdout for one input and "
                        "one target")
    p.add_argument("--out-dir", type=Path, help=argparse.SUPPRESS)  # the spelling before -o/--output
    p.add_argument("--format", help="output format (default: the input's)")
    p.add_argument("--input-format", help="input format (default: detected by extension and content)")
    p.add_argument("--overwrite-targets", action="store_true",
                   help="XLIFF: translate segments that already have a target too (by default their targets are kept)")
    TranslatorConfig.add_arguments(p, remember=True)
    p.set_defaults(func=run)


def output_path(source: Path, language: str, out_dir: Path | None, extension: str | None = None) -> Path:
    """``article.kk.txt`` → ``<out_dir>/article.ru.txt``; a language suffix in the name is replaced."""
    name = source.name
    suffix = extension or source.suffix
    stem = strip_language_suffix(name[: -len(source.suffix)] if source.suffix else name)
    return (out_dir or source.parent) / f"{stem}.{language}{suffix}"


def _translator(args: argparse.Namespace) -> Any:
    from ..config import TranslatorConfig
    from ..pipeline import Translator

    return Translator.from_config(TranslatorConfig.from_args(args))


def _destination(args: argparse.Namespace, outputs: int) -> tuple[Path | None, Path | None, bool]:
    """``(directory, file, to_stdout)``: a directory for ``<stem>.<lang>.<ext>`` files (None = next to
    each input), one output file, or stdout (one output with no -o, or ``-o -``)."""
    if args.out_dir is not None:
        if args.output is not None:
            raise UsageError("give -o/--output or --out-dir, not both")
        return args.out_dir, None, False
    if args.output is None or args.output == "-":
        if args.output == "-" and outputs != 1:
            raise UsageError(f"-o - writes one translation to stdout, but this call makes {outputs}; "
                             "give -o DIR for several")
        return None, None, outputs == 1
    path = Path(args.output)
    if outputs == 1 and not path.is_dir() and not args.output.endswith(("/", os.sep)):
        return None, path, False
    return path, None, False


def _run_text(args: argparse.Namespace, targets: list[str], source: str | None) -> int:
    """``--text`` / stdin: plain text (or a fragment), translated but never read as an article."""
    import json

    from ..errors import InputError
    from ..plaintext import translate_texts

    if args.files not in ([], ["-"]) or (args.text is not None and args.files):
        raise UsageError("--text and '-' (standard input) take no files; translate files in another call")
    if args.text is not None:
        texts = list(args.text)
    else:
        data = sys.stdin.buffer.read()
        try:
            texts = [data.decode("utf-8-sig")]
        except UnicodeDecodeError as exc:
            raise InputError(f"standard input is not UTF-8 (byte {exc.start}); re-encode it as UTF-8",
                             source="<stdin>") from exc
        if not texts[0].strip():
            raise InputError("standard input is empty; pipe the text to translate", source="<stdin>")
    if len(targets) > 1 and not args.json:
        raise UsageError("with --text or stdin, give one target language (--to en), or use --json for several")
    if args.out_dir is not None:
        raise UsageError("--text and '-' (standard input) write one text: give -o FILE, not --out-dir")
    translator = _translator(args)
    answers = {}
    for target in targets:
        results = translate_texts(translator, texts, target, source=source, markup=args.markup)
        for number, result in enumerate(results, start=1):
            if result.qa:
                codes = ", ".join(sorted({f.code for f in result.qa}))
                print(f"text {number} → {target}: QA: {len(result.qa)} finding(s): {codes}", file=sys.stderr)
        answers[target] = results
    if args.json:
        text = json.dumps({target: [{"text": r.text, "source_language": r.source_language, "detected": r.detected,
                                     "qa": [f.to_dict() for f in r.qa]} for r in results]
                           for target, results in answers.items()}, ensure_ascii=False, indent=2) + "\n"
    else:
        text = "".join(r.text + ("\n" if args.text is not None and not r.text.endswith("\n") else "")
                       for r in answers[targets[0]])
    if args.output not in (None, "-"):
        from ..formats import write_atomic

        try:
            write_atomic(Path(args.output), text)
        except OSError as exc:
            raise from_exception(exc, source=args.output, writing=True) from exc
    else:
        sys.stdout.write(text)
    return 0


def run(args: argparse.Namespace) -> int:
    from .. import formats

    targets = parse_targets(args.to)
    source = normalize_language(args.source) if args.source else None
    if args.text is not None or "-" in args.files:
        return _run_text(args, targets, source)
    if not args.files:
        raise UsageError("nothing to translate: give FILE..., '-' for text on standard input, or --text TEXT")
    if args.format:
        formats.get_format(args.format)  # fail fast on an unknown name
    out_dir, out_file, to_stdout = _destination(args, len(args.files) * len(targets))
    paths = [Path(f) for f in args.files]

    failures: dict[str, KZTranslateError] = {}
    items: list[tuple[Any, tuple[Path, str]]] = []
    for path in paths:
        try:
            text = formats.load_text(path)
            fmt = args.input_format or formats.detect_format(path, text)
            article = formats.get_format(fmt).read(text, source=str(path), language=source)
            if fmt == "xliff":
                from ..formats.xliff import check_target, retranslate_targets

                if args.overwrite_targets:
                    retranslate_targets(article)
                for target in targets:
                    check_target(article, target)
            items.append((article, (path, fmt)))
        except (Exception, RecursionError, MemoryError) as exc:
            exc = from_exception(exc, source=str(path))
            if len(paths) == 1:
                raise exc
            failures[str(path)] = exc
            print(f"kztranslate: error: {exc}", file=sys.stderr)

    translator = _translator(args)

    bar = None
    if len(items) > 1:
        from tqdm import tqdm

        bar = tqdm(unit="segment", file=sys.stderr, desc=f"translating {len(items)} articles")

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done)

    written = 0
    inputs = {p.resolve() for p in paths}
    written_by: dict[Path, Path] = {}
    for outcome, (path, fmt) in translator.pipe(items, targets, source=source, as_tuples=True, progress=progress):
        if bar is not None:  # the model pass is over once results come: end the bar before the report lines
            bar.close()
            bar = None
        if isinstance(outcome, KZTranslateError):
            if len(paths) == 1:
                if isinstance(outcome, UsageError) and str(path) not in str(outcome):
                    raise UsageError(f"{path}: {outcome}") from outcome  # the article's own problem: name it
                raise outcome
            failures[str(path)] = outcome
            print(f"kztranslate: error: {path}: {outcome}", file=sys.stderr)
            continue
        for lang in targets:
            if lang not in outcome:
                print(f"kztranslate: {path}: no {lang} edition written: the article is already in {lang}",
                      file=sys.stderr)
        out_format = args.format or fmt
        try:
            rendered = {lang: formats.get_format(out_format).write(v) for lang, v in outcome.items()}
        except (Exception, RecursionError, MemoryError) as exc:
            exc = from_exception(exc, source=str(path))
            if len(paths) == 1:
                raise exc
            failures[str(path)] = exc
            print(f"kztranslate: error: {exc}", file=sys.stderr)
            continue
        for lang, variant in outcome.items():
            _print_qa_summary(path, lang, variant)
        if to_stdout:
            sys.stdout.write(next(iter(rendered.values())))
            continue
        if out_file is not None and rendered:
            try:
                formats.write_atomic(out_file, next(iter(rendered.values())))
            except OSError as exc:
                raise from_exception(exc, source=str(out_file), writing=True) from exc
            continue
        extension = formats.get_format(out_format).extensions[0] if args.format else None
        for lang, text in rendered.items():
            destination = output_path(path, lang, out_dir, extension)
            clash = _clash(destination, inputs, written_by)
            if clash:  # index.en.md → index.ru.md next to a source index.ru.md: never overwrite a source
                print(f"kztranslate: {path}: no {lang} edition written: {clash}", file=sys.stderr)
                continue
            try:
                formats.write_atomic(destination, text)
            except OSError as exc:
                error = from_exception(exc, source=str(destination), writing=True)
                if len(paths) == 1:
                    raise error from exc
                failures[str(path)] = error
                print(f"kztranslate: error: {error}", file=sys.stderr)
                break
            written_by[destination.resolve()] = path
            written += 1
            if len(paths) > 1 or len(targets) > 1:
                print(f"wrote {destination}", file=sys.stderr)
    if failures:
        raise BatchError(f"{len(failures)} of {len(paths)} file(s) failed; {written} file(s) written", failures)
    return 0



def _clash(target: Path, inputs: set[Path], written_by: dict[Path, Path]) -> str | None:
    """Why ``target`` must not be written: it is an input of this run, or another input's output."""
    resolved = target.resolve()
    if resolved in inputs:
        return f"{target} is an input file; it is never overwritten"
    if resolved in written_by:
        return f"{target} was already written from {written_by[resolved]} in this run"
    return None


def _print_qa_summary(path: Path, language: str, variant: Any) -> None:
    """One line per variant with QA findings; the findings themselves are in the variant's JSON (`qa`)."""
    from ..qa import summarize

    if not variant.qa:
        return
    summary = summarize(variant.qa)
    severities = ", ".join(f"{n} {s}" for s, n in summary["by_severity"].items())
    codes = ", ".join(f"{code} ×{n}" for code, n in summary["by_code"].items())
    by_segment: dict[tuple[Any, Any], list[str]] = {}
    for finding in variant.qa:
        by_segment.setdefault((finding.block, finding.segment), []).append(finding.code)
    where = [f"block {b} segment {s}: {', '.join(found)}" for (b, s), found in list(by_segment.items())[:_QA_SHOWN]]
    if len(by_segment) > _QA_SHOWN:
        where.append(f"… {len(by_segment) - _QA_SHOWN} more "
                     "(every finding is in the variant written with --format json)")
    print(f"{path} → {language}: QA: {summary['findings']} finding(s) in {summary['segments']} segment(s) "
          f"({severities}): {codes}; " + "; ".join(where), file=sys.stderr)


#: Segments the QA summary line names before it refers to the JSON.
_QA_SHOWN = 5
