"""In-process A/B: one article → ru and → en as two per-pair batches against one mixed batch.

    python benchmarks/bench_mixed.py [--rounds 4] [--tokens 16]

The same loaded CTranslate2 int8 model (random weights, NLLB-200-distilled-600M's exact shape, built
as in ``bench_translate.py``) decodes one seed-shaped article's 13 sentences, ``--tokens`` tokens each,
alternately through ``translate_batch`` per target and through one ``translate_mixed`` call, then one
sentence → ru and → en both ways (the re-translation of a one-sentence edit). Alternating in one
process keeps machine noise out of the ratio.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_translate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4, help="alternations (default 4)")
    parser.add_argument("--tokens", type=int, default=16, help="target tokens per sentence (default 16)")
    args = parser.parse_args(argv)

    from kztranslate.engine.base import Decoding
    from kztranslate.engine.ctranslate2_backend import CTranslate2Backend

    work = Path(tempfile.mkdtemp(prefix="kztranslate-bench-mixed-"))
    try:
        converted = bench_translate.build("nllb-600M", work / "model")["ct2_dir"]
        backend = CTranslate2Backend(converted, decoding=Decoding(beams=1, max_new_tokens=args.tokens,
                                                                  min_new_tokens=args.tokens))
        sentences = bench_translate.sentences_of(bench_translate.make_articles(1)[0])
        targets = ("ru", "en")
        backend.translate_batch(sentences[:2], "kk", "ru")  # warm-up

        def per_pair(texts: list[str]) -> float:
            started = time.perf_counter()
            for target in targets:
                backend.translate_batch(texts, "kk", target)
            return time.perf_counter() - started

        def mixed(texts: list[str]) -> float:
            started = time.perf_counter()
            backend.translate_mixed([(text, "kk", target) for target in targets for text in texts])
            return time.perf_counter() - started

        print(f"{len(sentences)} sentences → {', '.join(targets)}, {args.tokens} tokens each, greedy, int8")
        for _ in range(args.rounds):
            article_pairs, article_mixed = per_pair(sentences), mixed(sentences)
            one_pairs, one_mixed = per_pair(sentences[:1]), mixed(sentences[:1])
            print(f"article: per pair {article_pairs:.2f} s, mixed {article_mixed:.2f} s "
                  f"({article_pairs / article_mixed:.2f}×) | one sentence: per pair {one_pairs:.2f} s, "
                  f"mixed {one_mixed:.2f} s ({one_pairs / one_mixed:.2f}×)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
