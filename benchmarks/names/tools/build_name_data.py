"""Build the shipped name files from the transcribed mentions.

Input: ``benchmarks/names/mentions.tsv`` (``pid lang name role url``): one row per spelling of one
person seen on one retrieved page, in the nominative, given name first, patronymic dropped, ALL-CAPS
surnames set in title case. ``pid`` ties the spellings of one person together.

Output (all UTF-8 TSV, rewritten whole):

* ``src/kztranslate/data/gazetteer.tsv``   ``kk ru en kind role source`` — persons with a Russian
  form and a Kazakh or an English one;
* ``benchmarks/names/kk_ru_pairs.tsv``     ``kk ru source split`` — persons with kk and ru forms;
* ``benchmarks/names/kk_en_pairs.tsv``     ``kk ru en source split`` — persons with kk and en forms.

When one person has several spellings in one language, the one from the most authoritative domain
wins (official sites, then the state news agency and state media, then other Kazakh media, then the
rest), then the most frequent, then the first seen. ``split`` is ``dev`` when the first byte of the
SHA-1 of the kk form (UTF-8) is even, else ``test``.

    python benchmarks/names/tools/build_name_data.py [--check]

``--check`` rebuilds in memory and exits 1 when a shipped file differs from the rebuild.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[3]
MENTIONS = ROOT / "benchmarks" / "names" / "mentions.tsv"
GAZETTEER = ROOT / "src" / "kztranslate" / "data" / "gazetteer.tsv"
KK_RU = ROOT / "benchmarks" / "names" / "kk_ru_pairs.tsv"
KK_EN = ROOT / "benchmarks" / "names" / "kk_en_pairs.tsv"

# Lower rank = more authoritative. Matched against the end of the host name.
_DOMAIN_RANKS: list[tuple[int, tuple[str, ...]]] = [
    (0, ("akorda.kz", "primeminister.kz", "gov.kz", "parlam.kz", "election.gov.kz", "olympic.kz")),
    (1, ("inform.kz", "qazinform.com", "astanatimes.com", "egemen.kz", "kazpravda.kz", "24.kz",
         "khabar.kz", "qazaqstan.tv", "jjtv.kz", "astanatv.kz", "kazakh-zerno.net")),
    (2, (".kz",)),
]


def domain_rank(url: str) -> int:
    host = urlsplit(url).hostname or ""
    for rank, suffixes in _DOMAIN_RANKS:
        if any(host == s.lstrip(".") or host.endswith(s if s.startswith(".") else "." + s)
               or host == s for s in suffixes):
            return rank
    return 3


def split_of(kk: str) -> str:
    return "dev" if hashlib.sha1(kk.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def read_mentions(path: Path = MENTIONS) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    for number, row in enumerate(rows, start=2):
        if row["lang"] not in ("kk", "ru", "en") or not all(row[k] for k in ("pid", "name", "url")):
            raise SystemExit(f"{path}:{number}: bad mention row {row!r}")
    return rows


def choose(mentions: list[dict[str, str]]) -> dict[str, dict[str, tuple[str, str]]]:
    """pid -> lang -> (name, url) of the spelling that wins."""
    grouped: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for order, row in enumerate(mentions):
        grouped[(row["pid"], row["lang"])].append((order, row))
    chosen: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for (pid, lang), items in grouped.items():
        counts = Counter(row["name"] for _, row in items)
        best_rank = {name: min(domain_rank(r["url"]) for _, r in items if r["name"] == name) for name in counts}
        first = {}
        for order, row in items:
            first.setdefault(row["name"], (order, row["url"]))
        name = min(counts, key=lambda n: (best_rank[n], -counts[n], first[n][0]))
        url = min((r["url"] for _, r in items if r["name"] == name), key=domain_rank)
        chosen[pid][lang] = (name, url)
    return chosen


def roles(mentions: list[dict[str, str]]) -> dict[str, str]:
    """pid -> the role of its most authoritative English mention, else its first role."""
    best: dict[str, tuple[int, int, str]] = {}
    for order, row in enumerate(mentions):
        if not row["role"]:
            continue
        key = (0 if row["lang"] == "en" else 1, order)
        if row["pid"] not in best or key < best[row["pid"]][:2]:
            best[row["pid"]] = (*key, row["role"])
    return {pid: value[2] for pid, value in best.items()}


def _sources(forms: dict[str, tuple[str, str]], langs: tuple[str, ...]) -> str:
    urls: list[str] = []
    for lang in langs:
        if lang in forms and forms[lang][1] not in urls:
            urls.append(forms[lang][1])
    return " | ".join(urls)


def _tsv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar=None)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def build(mentions: list[dict[str, str]]) -> dict[Path, str]:
    chosen = choose(mentions)
    role_of = roles(mentions)
    gaz, kk_ru, kk_en = [], [], []
    seen_kk: dict[str, str] = {}
    for pid in sorted(chosen, key=lambda p: (chosen[p].get("ru") or chosen[p].get("en") or chosen[p]["kk"])[0]):
        forms = chosen[pid]
        kk = forms.get("kk", ("", ""))[0]
        if kk:
            if kk in seen_kk:
                raise SystemExit(f"kk form {kk!r} belongs to both {seen_kk[kk]} and {pid}")
            seen_kk[kk] = pid
        ru = forms.get("ru", ("", ""))[0]
        en = forms.get("en", ("", ""))[0]
        if ru and (kk or en):
            gaz.append([kk, ru, en, "person", role_of.get(pid, ""), _sources(forms, ("kk", "ru", "en"))])
        if kk and ru:
            kk_ru.append([kk, ru, _sources(forms, ("kk", "ru")), split_of(kk)])
        if kk and en:
            kk_en.append([kk, ru, en, _sources(forms, ("kk", "ru", "en")), split_of(kk)])
    return {
        GAZETTEER: _tsv(["kk", "ru", "en", "kind", "role", "source"], gaz),
        KK_RU: _tsv(["kk", "ru", "source", "split"], kk_ru),
        KK_EN: _tsv(["kk", "ru", "en", "source", "split"], kk_en),
    }


def stats(files: dict[Path, str]) -> str:
    """Row counts, complete rows, split sizes and source domains of the built files (Markdown)."""
    lines = ["| file | rows | detail |", "|---|---|---|"]
    domains: Counter[str] = Counter()
    for path, text in files.items():
        rows = list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
        detail = []
        if path == GAZETTEER:
            detail.append(f"{sum(1 for r in rows if r['kk'] and r['en'])} complete (kk, ru and en)")
            detail.append(f"{sum(1 for r in rows if not r['kk'])} without kk")
            detail.append(f"{sum(1 for r in rows if not r['en'])} without en")
        else:
            splits = Counter(r["split"] for r in rows)
            detail.append(f"dev {splits['dev']}, test {splits['test']}")
        if path == KK_EN:
            detail.append(f"{sum(1 for r in rows if not r['ru'])} not in the gazetteer (no ru form)")
        lines.append(f"| `{path.relative_to(ROOT)}` | {len(rows)} | {'; '.join(detail)} |")
        for row in rows:
            for url in row["source"].split(" | "):
                domains[(urlsplit(url).hostname or "").removeprefix("www.").rstrip(".")] += 1
    lines += ["", "| source domain | URLs cited (all three files) |", "|---|---|"]
    lines += [f"| {host} | {count} |" for host, count in domains.most_common()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped files, write nothing")
    parser.add_argument("--stats", action="store_true", help="print row and source-domain counts as Markdown")
    args = parser.parse_args(argv)
    files = build(read_mentions())
    if args.stats:
        print(stats(files))
        return 0
    if args.check:
        stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {text.count(chr(10)) - 1} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
