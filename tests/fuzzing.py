"""The invariants every format keeps on any input, the input generators, and the long campaign
(tests/test_fuzz_formats.py runs them under pytest).

A reader either reads a document or refuses it with a :class:`KZTranslateError` (a clear error);
what it read, written and read again, has the same block texts; a pseudo-translation keeps every
block, and its variant can be written. Anything else is a failure: a *lost text* (an invariant
broken) or a *crash* (an exception outside our error tree).

Inputs are mutated seed documents (hostile pieces spliced in, ranges deleted or copied) or random
documents from a small grammar of the format. The generators take a *chooser* — anything with
``choice(sequence)`` and ``randint(low, high)`` — so the same code serves hypothesis (which can
shrink a failure) and the campaign (a plain :class:`random.Random`, about ten times cheaper per
input than hypothesis' generation).

The campaign, also from the command line (progress and final counts as JSON lines)::

    python tests/fuzzing.py FORMAT [--examples 100000] [--seed N] [--log FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from kztranslate import formats
from kztranslate.errors import KZTranslateError

ROOT = Path(__file__).resolve().parent
CRASHERS = ROOT / "fuzz_crashers"

#: Seed documents per format: the test fixtures.
SEEDS: dict[str, list[Path]] = {}
for _path in sorted((ROOT / "fixtures").rglob("*")) + [ROOT.parent / "examples" / "article.kk.txt"]:
    if _path.is_file() and _path.suffix in (".txt", ".html", ".md", ".json", ".jsonld", ".ninjs"):
        _text = _path.read_text(encoding="utf-8")
        try:
            _name = formats.detect_format(_path, _text)
        except KZTranslateError:
            continue
        SEEDS.setdefault(_name, []).append(_path)

FORMATS = sorted(SEEDS)
EXTENSION = {"text": ".txt", "html": ".html", "markdown": ".md", "ninjs": ".json", "jsonld": ".jsonld", "json": ".json"}

#: Pieces spliced into seed documents: markup and syntax of every format, control and invisible
#: characters, escapes that decode to lone surrogates or NUL, Kazakh letters, news shapes.
HOSTILE = ["\x00", "\\ud800", "\\u0000", "\x1b", "\u2028", "\n", "\n\n", "<", ">", "&", "<p>", "</p>", "<!--", "-->",
           "{", "}", "[", "]", '"', "\\", "---\n", "+++\n", "#", "*", "`", "```", "|", "\t", "ә", "Қ", "1 000",
           "27 қараша 2019, 10:03", "http://x.kz", "a@b.kz", "[[1]]", "<1>", "&amp;", "\r\n", " ", "»", "«", ":",
           "- ", "> ", "![a](b)", "[a](b)", "{{< x >}}", "\ufeff", "\u200b", "e\u0301", "деді", "\u202e"]

WORDS = ["Астана", "қала", "жаңа", "мектеп", "ашылды", "2019", "ж.", "Қ.", "Тоқаев", "«Kaspi.kz»",
         "деді", "ол", "3 457", "%", "https://baq.kz/a", "—", ",", ".", "!", "?", "әкім", "Ұлттық"]

T = TypeVar("T")


class Chooser(Protocol):
    def choice(self, seq: Sequence[T], /) -> T: ...
    def randint(self, low: int, high: int, /) -> int: ...


@cache
def seed_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def mutate(choose: Chooser, text: str) -> str:
    """``text`` with one to four edits: a hostile piece spliced in (once, twice or fifty times), a
    range deleted, or a range copied elsewhere."""
    for _ in range(choose.randint(1, 4)):
        at = choose.randint(0, len(text))
        op = choose.choice(["splice", "splice", "delete", "copy"])
        if op == "splice":
            text = text[:at] + choose.choice(HOSTILE) * choose.choice([1, 1, 2, 50]) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + choose.randint(1, 40):]
        else:
            start = choose.randint(0, len(text))
            text = text[:at] + text[start:start + choose.randint(1, 200)] + text[at:]
    return text


def mutated_seed(choose: Chooser, format_name: str) -> str:
    return mutate(choose, seed_text(choose.choice(SEEDS[format_name])))


def _sentence(choose: Chooser) -> str:
    return " ".join(choose.choice(WORDS) for _ in range(choose.randint(1, 12)))


def random_document(choose: Chooser, format_name: str) -> str:
    """A document of the format built from scratch: headline, paragraphs, lists, links."""
    title = _sentence(choose)
    paragraphs = [_sentence(choose) for _ in range(choose.randint(1, 6))]
    if format_name == "text":
        return "\n\n".join([title, "27 Қараша 2019, 10:03 3457", *paragraphs, "Нұргүл Қалиева"]) + "\n"
    if format_name == "markdown":
        items = "\n".join(f"- {p}" for p in paragraphs[:2])
        return f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n\n# {title}\n\n" + \
            "\n\n".join(paragraphs) + f"\n\n{items}\n"
    if format_name == "html":
        body = "".join(f"<p>{p} <a href=\"https://x.kz/{i}\">{p[:5]}</a></p>" for i, p in enumerate(paragraphs))
        return f"<!doctype html><html lang=\"kk\"><head><meta charset=\"utf-8\"><title>{title}</title></head>" \
               f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    if format_name == "json":
        return json.dumps({"language": "kk", "blocks": [{"role": "headline", "text": title}] + [
            {"role": "paragraph", "text": p} for p in paragraphs]}, ensure_ascii=False)
    if format_name == "ninjs":
        return json.dumps({"uri": "urn:x", "type": "text", "language": "kk", "headline": title,
                           "body_text": "\n\n".join(paragraphs)}, ensure_ascii=False)
    return json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "inLanguage": "kk",
                       "headline": title, "articleBody": "\n\n".join(paragraphs)}, ensure_ascii=False)


def any_input(choose: Chooser, format_name: str) -> str:
    """A mutated seed or a random document, half and half."""
    if choose.randint(0, 1):
        return mutated_seed(choose, format_name)
    return random_document(choose, format_name)


@lru_cache(maxsize=1)
def pseudo():
    from kztranslate.pipeline import Translator

    return Translator("pseudo")


class LostText(AssertionError):
    """An invariant broken: a text or a block changed or went missing."""


def check_document(format_name: str, text: str) -> str:
    """Raise :class:`LostText` (or the unexpected exception) when ``text`` breaks an invariant; else
    say what happened: ``refused`` (a clear error), ``read`` (read, written, read back) or
    ``translated``. One translator serves every call; the reader is told the language (``kk``
    unless the document declares its own), so no time goes to identifying it."""
    fmt = formats.get_format(format_name)
    try:
        article = fmt.read(text, source="fuzz", language="kk")
    except KZTranslateError:
        return "refused"
    written = fmt.write(article)
    again = fmt.read(written, source="fuzz (written)", language="kk")
    if [b.text for b in again.blocks] != [b.text for b in article.blocks]:
        raise LostText("read → write → read changed the text")
    if not any(b.translatable and b.text.strip() for b in article.blocks):
        return "read"
    try:
        variant = pseudo().translate(article, ["ru"])["ru"]
    except KZTranslateError:
        return "read"
    if len(variant.blocks) != len(article.blocks):
        raise LostText("translation lost or added blocks")
    fmt.write(variant)
    return "translated"


def save_crasher(format_name: str, text: str) -> Path:
    """Keep a failing input in tests/fuzz_crashers/<format>/ (replayed by the default test run)."""
    folder = CRASHERS / format_name
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    path = folder / f"{digest}{EXTENSION.get(format_name, '.txt')}"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


def failure_kind(exc: BaseException) -> str:
    """What kind of failure: the exception type and where it was raised (file:line of the last
    frame), so one bug found a thousand times counts as one kind."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__} at {where}"


def campaign(format_name: str, examples: int, seed: int, *, log=None, save: bool = True,
             progress_every: int = 5000, known=None, seconds: float | None = None) -> dict[str, Any]:
    """Check ``examples`` generated inputs of the format; returns the counts: outcomes (refused /
    read / translated), ``crashes`` (exceptions outside the error tree), ``lost_texts``, ``known``
    (open failures ``known(exc)`` recognizes) and ``kinds`` (each new failure kind with one input,
    saved as a crasher when ``save``). Writes a progress line every ``progress_every`` inputs to
    ``log``, so an interrupted run still tells how far it got. With ``seconds`` it stops after that
    long (``stopped`` in the result); so does an interrupt (``KeyboardInterrupt``, SIGTERM from the
    command line) after the input it is checking."""
    rng = random.Random(seed)
    counts: Counter = Counter()
    kinds: dict[str, str] = {}
    started = time.time()

    def line(final: bool) -> dict[str, Any]:
        record = {"format": format_name, "seed": seed, "inputs": counts.total() - counts["stopped"],
                  **counts, "kinds": kinds, "seconds": round(time.time() - started, 1), "final": final,
                  "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": _machine()}
        if log is not None:
            log.write(json.dumps(record, ensure_ascii=False) + "\n")
            log.flush()
        return record

    stop_at = started + seconds if seconds is not None else None
    try:
        for number in range(1, examples + 1):
            text = any_input(rng, format_name)
            try:
                counts[check_document(format_name, text)] += 1
            except Exception as exc:  # noqa: BLE001 - every other exception is what we hunt
                if known is not None and known(exc):
                    counts["known"] += 1
                    continue
                counts["lost_texts" if isinstance(exc, LostText) else "crashes"] += 1
                kind = failure_kind(exc)
                if kind not in kinds:
                    kinds[kind] = str(save_crasher(format_name, text).relative_to(ROOT)) if save else repr(text[:200])
            if number % progress_every == 0 and number < examples:
                line(False)
                if stop_at is not None and time.time() >= stop_at:
                    counts["stopped"] = 1
                    break
    except KeyboardInterrupt:
        counts["stopped"] = 1
    return line(True)


def _machine() -> str:
    import os

    return f"{platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Long fuzz campaign of one format.")
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    parser.add_argument("--log", type=argparse.FileType("a", encoding="utf-8"), default=sys.stdout)
    parser.add_argument("--progress-every", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long (checked at progress lines)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else time.time_ns() % 2**32

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    result = campaign(args.format, args.examples, seed, log=args.log, progress_every=args.progress_every,
                      seconds=args.seconds)
    return 1 if result.get("crashes") or result.get("lost_texts") else 0


if __name__ == "__main__":
    sys.exit(main())
