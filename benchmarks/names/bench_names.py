"""Exact-match rate of kztranslate's name rendering against official spellings.

Reads ``kk_ru_pairs.tsv`` (``kk ru source split``) and ``kk_en_pairs.tsv`` (``kk ru en source
split``) beside this script (or in ``--data DIR``) and prints, per direction and split, the share
of names rendered exactly as the official source writes them: by the rules alone
(``gazetteer=False``) and with the built-in gazetteer. Tune the rules on ``dev`` only; ``test`` is
the held-out half.

    python benchmarks/names/bench_names.py [--data DIR] [--misses dev] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def read_pairs(path: Path) -> list[dict[str, str]]:
    """The rows of a pairs TSV (header line first)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]


def measure(rows: list[dict[str, str]], target: str, split: str, *, gazetteer: bool,
            gazetteer_file: Path | None = None) -> dict[str, object]:
    """Exact matches of ``transliterate_name(kk, "kk", target)`` against the row's ``target``
    column, over the rows of ``split`` that have both. ``gazetteer_file`` replaces the built-in
    gazetteer (it is given the gazetteer's place in the lookup order)."""
    from kztranslate.names import builtin_gazetteer, load_gazetteer, transliterate_name

    table = load_gazetteer(gazetteer_file) if gazetteer and gazetteer_file else None
    if table is not None:
        gazetteer = False

    chosen = [r for r in rows if r.get("split") == split and r.get("kk", "").strip() and r.get(target, "").strip()]
    misses = []
    known_rows = known_right = 0
    known = table if table is not None else (builtin_gazetteer() if gazetteer else None)
    for row in chosen:
        got = transliterate_name(row["kk"].strip(), "kk", target, table, gazetteer=gazetteer)
        right = got == row[target].strip()
        if not right:
            misses.append({"kk": row["kk"].strip(), "expected": row[target].strip(), "got": got})
        if known is not None and known.entry_number(row["kk"].strip(), "kk") is not None:
            known_rows += 1
            known_right += right
    total = len(chosen)
    return {"direction": f"kk→{target}", "split": split, "gazetteer": gazetteer or table is not None, "names": total,
            "exact": total - len(misses), "rate": (total - len(misses)) / total if total else None,
            "in_gazetteer": known_rows,
            "rate_outside_gazetteer": ((total - len(misses) - known_right) / (total - known_rows)
                                       if known is not None and total > known_rows else None),
            "misses": misses}


def run(data: Path, gazetteer_file: Path | None = None) -> list[dict[str, object]]:
    """Every (direction, split, with/without gazetteer) measurement."""
    results = []
    for target, file in (("ru", "kk_ru_pairs.tsv"), ("en", "kk_en_pairs.tsv")):
        path = data / file
        if not path.is_file():
            continue
        rows = read_pairs(path)
        for split in ("dev", "test"):
            for gazetteer in (False, True):
                results.append(measure(rows, target, split, gazetteer=gazetteer, gazetteer_file=gazetteer_file) | {"file": str(path)})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=HERE, help="directory holding the pairs files")
    parser.add_argument("--gazetteer", type=Path, help="a gazetteer TSV to use instead of the built-in one")
    parser.add_argument("--misses", choices=("dev", "test"), help="also list the names missed in this split")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    results = run(args.data, args.gazetteer)
    if not results:
        print(f"no pairs files in {args.data}", file=sys.stderr)
        return 3
    if args.json:
        json.dump([{k: v for k, v in r.items() if k != "misses"} for r in results], sys.stdout,
                  ensure_ascii=False, indent=2)
        print()
    else:
        print(f"{'direction':<9} {'split':<5} {'':<18} {'exact':>9} {'rate':>7}   names not in the gazetteer")
        for r in results:
            how = "rules+gazetteer" if r["gazetteer"] else "rules only"
            rate = f"{r['rate']:.1%}" if r["rate"] is not None else "—"
            outside = ""
            if r["gazetteer"]:
                other = r["names"] - r["in_gazetteer"]
                share = r["rate_outside_gazetteer"]
                outside = f"{other:>4}" + (f", {share:.1%} exact" if share is not None else "")
            print(f"{r['direction']:<9} {r['split']:<5} {how:<18} {r['exact']:>4}/{r['names']:<4} {rate:>7}   {outside}")
    if args.misses:
        for r in results:
            if r["split"] == args.misses and not r["gazetteer"]:
                for miss in r["misses"]:
                    print(f"{r['direction']}\t{miss['kk']}\t{miss['expected']}\t{miss['got']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
