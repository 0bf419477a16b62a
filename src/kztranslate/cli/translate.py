"""``kztranslate translate FILE... --to ru,en``: translate articles, one output file per target."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..engine import Decoding, available_backends
from ..errors import BatchError, KZTranslateError, UsageError, from_exception
from ..languages import LANGUAGES, normalize_language

__all__ = ["register", "run", "output_path"]


def register(sub: Any) -> None:
    p = sub.add_parser("translate", help="translate article files into other languages")
    p.add_argument("files", nargs="+", metavar="FILE", help="article files (text, JSON, or any registered format)")
    p.add_argument("--to", required=True, help=f"target languages, comma-separated ({', '.join(LANGUAGES)})")
    p.add_argument("--from", dest="source", help="source language (default: as read or detected)")
    p.add_argument("--backend", help=f"translation backend ({', '.join(available_backends())}; default: ctranslate2 if installed, else transformers)")
    p.add_argument("--model", help="model preset name (see `kztranslate models`), Hub id, or local directory")
    p.add_argument("--revision", help="model revision (commit) to pin")
    p.add_argument("--out-dir", type=Path, help="directory for <stem>.<lang>.<ext> outputs (default: next to the input; stdout for one input and one target)")
    p.add_argument("--format", help="output format (default: the input's)")
    p.add_argument("--input-format", help="input format (default: detected by extension and content)")
    p.add_argument("--beams", type=int, default=Decoding().beams, help="beam size (default: %(default)s)")
    p.add_argument("--max-new-tokens", type=int, help="cap on output tokens per segment")
    p.add_argument("--repetition-penalty", type=float, default=1.0, help="repetition penalty (default: %(default)s)")
    p.add_argument("--no-repeat-ngram-size", type=int, default=0, help="forbid repeated n-grams of this size")
    p.add_argument("--memory", metavar="PATH",
                   help="translation-memory file (default: $KZTRANSLATE_TM or the user cache dir)")
    p.add_argument("--no-memory", action="store_true", help="neither read nor write the translation memory")
    p.add_argument("--glossary", type=Path,
                   help="glossary (TSV/CSV/YAML): forced terms and do-not-translate entries, Kazakh endings aware")
    p.add_argument("--names", type=Path, help="names table (TSV/CSV/YAML) overriding name transliteration")
    p.add_argument("--dateline-pattern", action="append", default=[], metavar="LANG=PATTERN",
                   help="house-style CLDR pattern for a language's dateline, e.g. en='d MMMM y, HH:mm' (repeatable)")
    p.add_argument("--qa", choices=("flag", "retry", "fail"), default="flag",
                   help="QA findings: record them (flag, default), re-decode flagged segments with stronger "
                        "settings (retry), or exit 6 when a variant has an error (fail)")
    p.add_argument("--label", action="store_true",
                   help="add a localized machine-translation label (\"Machine-translated from Kazakh\") to each variant")
    p.set_defaults(func=run)


def output_path(source: Path, language: str, out_dir: Path | None, extension: str | None = None) -> Path:
    """``article.kk.txt`` → ``<out_dir>/article.ru.txt``; a language suffix in the name is replaced."""
    name = source.name
    suffix = extension or source.suffix
    stem = name[: -len(source.suffix)] if source.suffix else name
    head, dot, last = stem.rpartition(".")
    if dot:
        try:
            normalize_language(last)
            stem = head
        except UsageError:
            pass
    return (out_dir or source.parent) / f"{stem}.{language}{suffix}"


def _dateline_patterns(values: list[str]) -> dict[str, str] | None:
    patterns: dict[str, str] = {}
    for value in values:
        lang, sep, pattern = value.partition("=")
        if not sep or not pattern.strip():
            raise UsageError(f"--dateline-pattern takes LANG=PATTERN, got {value!r}")
        patterns[normalize_language(lang)] = pattern
    return patterns or None


def run(args: argparse.Namespace) -> int:
    from .. import formats
    from ..engine.memory import TranslationMemory
    from ..names import NameTable
    from ..pipeline import Translator, _parse_targets

    targets = _parse_targets(args.to)
    source = normalize_language(args.source) if args.source else None
    if args.format:
        formats.get_format(args.format)  # fail fast on an unknown name
    to_stdout = args.out_dir is None and len(args.files) == 1 and len(targets) == 1
    paths = [Path(f) for f in args.files]

    failures: dict[str, KZTranslateError] = {}
    items: list[tuple[Any, tuple[Path, str]]] = []
    for path in paths:
        try:
            text = formats.load_text(path)
            fmt = args.input_format or formats.detect_format(path, text)
            article = formats.get_format(fmt).read(text, source=str(path), language=source)
            items.append((article, (path, fmt)))
        except (Exception, RecursionError, MemoryError) as exc:  # noqa: BLE001 - one bad file must not sink the others
            exc = from_exception(exc, source=str(path))
            if len(paths) == 1:
                raise exc
            failures[str(path)] = exc
            print(f"kztranslate: error: {exc}", file=sys.stderr)

    decoding = Decoding(
        beams=args.beams,
        max_new_tokens=args.max_new_tokens,
        repetition_penalty=args.repetition_penalty,
        no_repeat_ngram_size=args.no_repeat_ngram_size,
    )
    translator = Translator(
        args.backend,
        model=args.model,
        revision=args.revision,
        decoding=decoding,
        name_table=NameTable.load(args.names) if args.names else None,
        glossary=args.glossary,
        dateline_pattern=_dateline_patterns(args.dateline_pattern),
        memory=None if args.no_memory else TranslationMemory(args.memory),
        qa=args.qa,
        label=args.label,
    )

    bar = None
    if len(items) > 1:
        from tqdm import tqdm

        bar = tqdm(unit="segment", file=sys.stderr, desc=f"translating {len(items)} articles")

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done)

    written = 0
    for outcome, (path, fmt) in translator.pipe(items, targets, source=source, as_tuples=True, progress=progress):
        if bar is not None:  # the model pass is over once results come: end the bar before the report lines
            bar.close()
            bar = None
        if isinstance(outcome, KZTranslateError):
            if len(paths) == 1:
                raise outcome
            failures[str(path)] = outcome
            print(f"kztranslate: error: {path}: {outcome}", file=sys.stderr)
            continue
        out_format = args.format or fmt
        try:
            rendered = {lang: formats.get_format(out_format).write(v) for lang, v in outcome.items()}
        except (Exception, RecursionError, MemoryError) as exc:  # noqa: BLE001
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
        extension = formats.get_format(out_format).extensions[0] if args.format else None
        for lang, text in rendered.items():
            target = output_path(path, lang, args.out_dir, extension)
            try:
                formats.write_atomic(target, text)
            except OSError as exc:
                error = from_exception(exc, source=str(target), writing=True)
                if len(paths) == 1:
                    raise error from exc
                failures[str(path)] = error
                print(f"kztranslate: error: {error}", file=sys.stderr)
                break
            written += 1
            if len(paths) > 1 or len(targets) > 1:
                print(f"wrote {target}", file=sys.stderr)
    if failures:
        raise BatchError(f"{len(failures)} of {len(paths)} file(s) failed; {written} file(s) written", failures)
    return 0



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
        by_segment.setdefault((finding.get("block"), finding.get("segment")), []).append(finding["code"])
    where = [f"block {b} segment {s}: {', '.join(found)}" for (b, s), found in list(by_segment.items())[:_QA_SHOWN]]
    if len(by_segment) > _QA_SHOWN:
        where.append(f"… {len(by_segment) - _QA_SHOWN} more (every finding is in the variant written with --format json)")
    print(f"{path} → {language}: QA: {summary['findings']} finding(s) in {summary['segments']} segment(s) "
          f"({severities}): {codes}; " + "; ".join(where), file=sys.stderr)


#: Segments the QA summary line names before it refers to the JSON.
_QA_SHOWN = 5
