"""Fuzzing every format: property tests in the default run (a bounded number of examples), a long
campaign behind ``-m fuzz``, and the replay of every crasher found so far.

Each example is a seed document (the test fixtures) mutated — hostile pieces spliced in, ranges
deleted or copied — or a random document built from a small grammar of the format; it must keep
the invariants of :func:`fuzzing.check_document`.

Known open failures (``KNOWN``: format, exception type, message pattern) are kept as crashers in
``tests/fuzz_crashers/<format>/`` and replayed as expected failures; the property tests skip
examples that fail the same known way, so a new kind of failure still fails the run. Remove an entry
once its crasher replays green.

``KZTRANSLATE_FUZZ_EXAMPLES=N python -m pytest -m fuzz`` runs N examples per format (default
100,000) with a random seed, and saves each new failing input as a crasher.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fuzzing import CRASHERS, FORMATS, SEEDS, check_document, save_crasher

# Open failures in the format readers/writers, by (format, exception type, message pattern).
KNOWN: list[tuple[str, str, str, str]] = []

HOSTILE = ["\x00", "\\ud800", "\\u0000", "\x1b", "\u2028", "\n", "\n\n", "<", ">", "&", "<p>", "</p>", "<!--", "-->",
           "{", "}", "[", "]", '"', "\\", "---\n", "+++\n", "#", "*", "`", "```", "|", "\t", "ә", "Қ", "1 000",
           "27 қараша 2019, 10:03", "http://x.kz", "a@b.kz", "[[1]]", "<1>", "&amp;", "\r\n", " ", "»", "«", ":",
           "- ", "> ", "![a](b)", "[a](b)", "{{< x >}}", "\ufeff", "\u200b", "e\u0301", "деді", "\u202e"]


def known(format_name: str, exc: BaseException) -> str | None:
    for fmt, kind, pattern, reason in KNOWN:
        if fmt == format_name and type(exc).__name__ == kind and re.search(pattern, str(exc)):
            return reason
    return None


@st.composite
def mutated(draw, format_name: str) -> str:
    text = draw(st.sampled_from(SEEDS[format_name])).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["splice", "splice", "delete", "copy"]))
        if op == "splice":
            text = text[:at] + draw(st.sampled_from(HOSTILE)) * draw(st.sampled_from([1, 1, 2, 50])) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        else:
            start = draw(st.integers(0, len(text)))
            text = text[:at] + text[start:start + draw(st.integers(1, 200))] + text[at:]
    return text


_WORDS = st.sampled_from(["Астана", "қала", "жаңа", "мектеп", "ашылды", "2019", "ж.", "Қ.", "Тоқаев", "«Kaspi.kz»",
                          "деді", "ол", "3 457", "%", "https://baq.kz/a", "—", ",", ".", "!", "?", "әкім", "Ұлттық"])
_SENTENCE = st.lists(_WORDS, min_size=1, max_size=12).map(" ".join)


@st.composite
def random_document(draw, format_name: str) -> str:
    """A document of the format built from scratch: headline, paragraphs, lists, links."""
    title = draw(_SENTENCE)
    paragraphs = draw(st.lists(_SENTENCE, min_size=1, max_size=6))
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


def _check_tolerating_known(format_name: str, text: str) -> None:
    try:
        check_document(format_name, text)
    except Exception as exc:  # noqa: BLE001
        if known(format_name, exc):
            assume(False)  # an open, recorded failure: its crasher replays it
        raise


_FAST = settings(max_examples=int(os.environ.get("KZTRANSLATE_PROPERTY_EXAMPLES", "30")),
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])


@pytest.mark.parametrize("format_name", FORMATS)
def test_mutated_fixtures_keep_every_text_and_block(format_name):
    @_FAST
    @given(mutated(format_name))
    def run(text: str) -> None:
        _check_tolerating_known(format_name, text)

    run()


@pytest.mark.parametrize("format_name", FORMATS)
def test_random_documents_keep_every_text_and_block(format_name):
    @_FAST
    @given(random_document(format_name))
    def run(text: str) -> None:
        _check_tolerating_known(format_name, text)

    run()


# -- the long campaign -----------------------------------------------------------------------------
@pytest.mark.fuzz
@pytest.mark.parametrize("format_name", FORMATS)
def test_fuzz_campaign(format_name):
    examples = int(os.environ.get("KZTRANSLATE_FUZZ_EXAMPLES", "100000"))

    counts: Counter = Counter()

    @settings(max_examples=examples, derandomize=False, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(mutated(format_name), random_document(format_name)))
    def run(text: str) -> None:
        try:
            counts[check_document(format_name, text)] += 1
        except Exception as exc:  # noqa: BLE001
            if known(format_name, exc):
                counts["known failure"] += 1
                assume(False)
            counts["new failure"] += 1
            save_crasher(format_name, text)
            raise

    try:
        run()
    finally:  # how many inputs each outcome had, for the README's numbers
        report = os.environ.get("KZTRANSLATE_FUZZ_REPORT")
        if report:
            with open(report, "a", encoding="utf-8") as out:
                out.write(json.dumps({"format": format_name, **counts}) + "\n")


# -- replay of every crasher found so far ------------------------------------------------------------
def _crashers() -> list[Path]:
    return sorted(p for p in CRASHERS.glob("*/*") if p.is_file())


def _replay_params():
    for path in _crashers():
        format_name = path.parent.name
        text = path.read_bytes().decode("utf-8", "surrogatepass")
        try:
            check_document(format_name, text)
            reason = None
        except Exception as exc:  # noqa: BLE001
            reason = known(format_name, exc)
        marks = [pytest.mark.xfail(strict=False, reason=reason)] if reason else []
        yield pytest.param(path, id=f"{format_name}/{path.name}", marks=marks)


@pytest.mark.parametrize("path", list(_replay_params()))
def test_replay_crasher(path):
    check_document(path.parent.name, path.read_bytes().decode("utf-8", "surrogatepass"))
