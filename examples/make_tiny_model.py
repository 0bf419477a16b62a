"""Build a tiny random-weight translation model for trying the transformers backend offline.

    python examples/make_tiny_model.py nllb /tmp/tiny-nllb
    kztranslate translate article.kk.txt --to ru --backend transformers --model /tmp/tiny-nllb

FAMILY is one of nllb, m2m100, madlad, marian-multi. The model has the real architecture and a
real tokenizer but random weights: it produces gibberish that runs to its length limit (flagged
as truncated), through exactly the code path a downloaded model takes. The builder lives in
``kztranslate.testing`` (the tests use the same one).
"""

from __future__ import annotations

import argparse

from kztranslate.testing import TINY_FAMILIES, build_tiny_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", choices=TINY_FAMILIES, help="model family to imitate")
    parser.add_argument("outdir", help="directory to write the model to (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the weights")
    args = parser.parse_args()
    print(build_tiny_model(args.family, args.outdir, seed=args.seed))


if __name__ == "__main__":
    main()
