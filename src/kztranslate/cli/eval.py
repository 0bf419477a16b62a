"""``kztranslate eval``: score a model on a parallel test set with sacrebleu's chrF++ and BLEU.

::

    kztranslate eval --test-set news.kk-en.tsv --from kk --to en --model PATH
    kztranslate eval --src test.kk --ref test.en --from kk --to en --backend ctranslate2 --json

A TSV test set has the source in the first column and the reference in the second (further
columns are ignored; lines starting with ``#`` are comments); ``--src``/``--ref`` are sacrebleu's
plain-text form, one segment per line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError, UsageError

__all__ = ["register", "run", "read_test_set", "score"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="score a model on a parallel test set (chrF++ and BLEU)",
        description="Translate a parallel test set and score it with sacrebleu's chrF++ and BLEU.",
    )
    data = parser.add_argument_group("test set (a TSV file, or two plain-text files)")
    data.add_argument("--test-set", metavar="FILE", help="TSV: source<TAB>reference per line")
    data.add_argument("--src", metavar="FILE", help="source segments, one per line")
    data.add_argument("--ref", metavar="FILE", help="reference translations, one per line")
    parser.add_argument(
        "--from", dest="source", required=True, metavar="LANG", help="source language (kk, ru, en, kk-Latn)"
    )
    parser.add_argument("--to", dest="target", required=True, metavar="LANG", help="target language")
    parser.add_argument("--backend", help="transformers, ctranslate2, pseudo (default: the fastest installed)")
    parser.add_argument("--model", metavar="NAME|PATH", help="model id or local path")
    parser.add_argument("--revision", help="model revision (commit) to load")
    parser.add_argument("--beams", type=int, help="beam size (default: the backend's, 4)")
    parser.add_argument("--max-new-tokens", type=int, help="cap on output tokens per segment")
    parser.add_argument("--limit", type=int, metavar="N", help="score only the first N segments")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine import load_backend
    from ..engine.base import BackendSignature
    from ..languages import normalize_language

    sources, references = read_test_set(args.test_set, args.src, args.ref)
    if args.limit is not None:
        if args.limit < 1:
            raise UsageError(f"--limit must be a positive number of segments, not {args.limit}")
        sources, references = sources[: args.limit], references[: args.limit]
    source, target = normalize_language(args.source), normalize_language(args.target)
    options: dict[str, Any] = {k: v for k, v in {"model": args.model, "revision": args.revision}.items() if v is not None}
    if args.beams is not None or args.max_new_tokens is not None:
        from ..engine import Decoding

        settings = {"beams": args.beams, "max_new_tokens": args.max_new_tokens}
        options["decoding"] = Decoding(**{k: v for k, v in settings.items() if v is not None})
    backend = load_backend(args.backend, **options)
    hypotheses = translate_segments(backend, sources, source, target)
    result = score(hypotheses, references)
    signature = BackendSignature.of(backend)
    result["model"] = signature.to_dict()
    result["pair"] = f"{source}-{target}"
    result["model_signature"] = signature.format(pair=result["pair"], n=len(sources))
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for metric in ("chrf", "bleu"):
            print(f"{result[metric]['text']}\t{result[metric]['signature']}")
        print(f"model\t{result['model_signature']}")
    return 0


def read_test_set(test_set: str | None, src: str | None, ref: str | None) -> tuple[list[str], list[str]]:
    """``(sources, references)`` from a TSV file or a pair of plain-text files."""
    if test_set and (src or ref):
        raise UsageError("give either --test-set FILE or --src FILE --ref FILE, not both")
    if test_set:
        sources, references = [], []
        for number, line in enumerate(_lines(test_set), 1):
            if not line.strip() or line.startswith("#"):
                continue
            columns = line.split("\t")
            if len(columns) < 2:
                raise InputError(f"line {number} has no TAB; each line is source<TAB>reference", source=test_set)
            sources.append(columns[0].strip())
            references.append(columns[1].strip())
    elif src and ref:
        sources, references = _lines(src), _lines(ref)
        if len(sources) != len(references):
            raise InputError(f"{src} has {len(sources)} lines but {ref} has {len(references)}; they must pair up")
    else:
        raise UsageError("no test set; give --test-set FILE (TSV) or --src FILE --ref FILE")
    if not sources:
        raise InputError("the test set has no segments", source=test_set or src)
    return sources, references


def translate_segments(backend: Any, sources: list[str], source: str, target: str) -> list[str]:
    """The backend's translation of each source segment (kk-Latn by transliteration around the model)."""
    from ..engine.scheduler import Scheduler, SegmentRequest
    from ..languages import base_language, needs_model

    if source == "kk-Latn":
        from ..latin import to_cyrillic

        sources = [to_cyrillic(s) for s in sources]
    src, tgt = base_language(source), base_language(target)
    if not needs_model(source, target):
        outputs = list(sources)
    else:
        if not backend.supports(src, tgt):
            raise UsageError(f"backend {backend.name!r} does not translate {src} → {tgt}; choose another --model")
        requests = [SegmentRequest(text, src, tgt) for text in sources]
        outputs = [t.text.strip() for t in Scheduler(backend).translate(requests)]
    if target == "kk-Latn":
        from ..latin import to_latin

        outputs = [to_latin(o) for o in outputs]
    return outputs


def score(hypotheses: list[str], references: list[str]) -> dict[str, Any]:
    """chrF++ and BLEU of ``hypotheses`` against one reference each, with sacrebleu's signatures."""
    from sacrebleu.metrics import BLEU, CHRF

    out: dict[str, Any] = {"segments": len(hypotheses)}
    for key, metric in (("chrf", CHRF(word_order=2)), ("bleu", BLEU())):
        result = metric.corpus_score(hypotheses, [references])
        out[key] = {"score": round(result.score, 2), "text": str(result), "signature": str(metric.get_signature())}
    return out


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise InputError("no such file", source=path) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=path) from exc
