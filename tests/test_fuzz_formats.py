"""Fuzzing every format: property tests in the default run (a bounded number of examples), a long
campaign behind ``-m fuzz``, and the replay of every crasher found so far.

Each example is a seed document (the test fixtures) mutated — hostile pieces spliced in, ranges
deleted or copied — or a random document built from a small grammar of the format
(:mod:`fuzzing` holds the generators); it must keep the invariants of :func:`fuzzing.check_document`.

Known open failures (``KNOWN``: format, exception type, message pattern) are kept as crashers in
``tests/fuzz_crashers/<format>/`` and replayed as expected failures; the property tests skip
examples that fail the same known way, so a new kind of failure still fails the run. Remove an entry
once its crasher replays green.

``KZTRANSLATE_FUZZ_EXAMPLES=N python -m pytest -m fuzz`` runs N examples per format (default
100,000) with a random seed (``KZTRANSLATE_FUZZ_SEED`` fixes it) and saves each new kind of failure
as a crasher; ``python tests/fuzzing.py FORMAT`` runs the same campaign outside pytest.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fuzzing
from fuzzing import CRASHERS, FORMATS, check_document

# Open failures in the format readers/writers, by (format, exception type, message pattern).
KNOWN: list[tuple[str, str, str, str]] = []


def known(format_name: str, exc: BaseException) -> str | None:
    for fmt, kind, pattern, reason in KNOWN:
        if fmt == format_name and type(exc).__name__ == kind and re.search(pattern, str(exc)):
            return reason
    return None


class _Draw:
    """hypothesis' ``draw`` as the generators' chooser, so hypothesis can shrink a failing input."""

    def __init__(self, draw) -> None:
        self.draw = draw

    def choice(self, seq):
        return self.draw(st.sampled_from(seq))

    def randint(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


@st.composite
def mutated(draw, format_name: str) -> str:
    return fuzzing.mutated_seed(_Draw(draw), format_name)


@st.composite
def random_document(draw, format_name: str) -> str:
    return fuzzing.random_document(_Draw(draw), format_name)


def _check_tolerating_known(format_name: str, text: str) -> None:
    try:
        check_document(format_name, text)
    except Exception as exc:
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
    seed = int(os.environ.get("KZTRANSLATE_FUZZ_SEED") or random.randrange(2**32))
    report = os.environ.get("KZTRANSLATE_FUZZ_REPORT")  # the counts as JSON lines, for the README's numbers
    with open(report or os.devnull, "a", encoding="utf-8") as log:
        result = fuzzing.campaign(format_name, examples, seed, log=log,
                                  known=lambda exc: known(format_name, exc) is not None)
    assert not result.get("crashes") and not result.get("lost_texts"), \
        f"seed {seed}: new failures, saved as crashers: {result['kinds']}"


def test_campaign_counts_every_input_and_tells_crashes_from_lost_texts(monkeypatch):
    clean = fuzzing.campaign("json", 40, seed=7, save=False)
    assert clean["inputs"] == 40 and clean["final"]
    assert clean.get("crashes", 0) == 0 and clean.get("lost_texts", 0) == 0
    assert clean.get("refused", 0) + clean.get("read", 0) + clean.get("translated", 0) == 40

    def broken(format_name: str, text: str) -> str:
        if len(text) % 3 == 0:
            raise ValueError("not in our error tree")
        if len(text) % 3 == 1:
            raise fuzzing.LostText("a block went missing")
        return "read"

    monkeypatch.setattr(fuzzing, "check_document", broken)
    counted = fuzzing.campaign("json", 60, seed=7, save=False)
    assert counted["crashes"] + counted["lost_texts"] + counted["read"] == 60
    assert counted["crashes"] and counted["lost_texts"]
    assert sorted(kind.split(" at ")[0] for kind in counted["kinds"]) == ["LostText", "ValueError"]
    assert len(counted["kinds"]) == 2  # one bug found many times is one kind


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
