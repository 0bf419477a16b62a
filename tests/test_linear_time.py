"""Time grows linearly with the input on hostile text: every regex-heavy path is timed at two sizes.

Only the ratio t(2n)/t(n) is checked, never an absolute time: linear work gives about 2, quadratic
work about 4. Each size is timed as the best of three rounds (shared, busy machines), and a ratio
over the limit is measured again at twice the size before the test fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from kztranslate import formats, langid, protect, qa, segmentation
from kztranslate.document import Article, Block
from kztranslate.pipeline import Translator

LIMIT = 3.0

# Text shapes that made the old patterns backtrack: long runs of one class, runs that almost match.
HOSTILE: dict[str, Callable[[int], str]] = {
    "kazakh-letters": lambda n: "ә" * n,
    "latin-then-cyrillic": lambda n: "a" * (n - 1) + "қ",
    "digits-and-spaces": lambda n: "1 " * (n // 2),
    "at-signs": lambda n: "a@" * (n // 2),
    "dots": lambda n: "a." * (n // 2),
    "full-stops": lambda n: "." * n + "x",
    "spaces": lambda n: "а" + " " * n + "x",
    "hyphenated": lambda n: "қ-" * (n // 2),
    "address-like": lambda n: "a.b-" * (n // 4) + "@",
    "commas": lambda n: ",; " * (n // 3),
    "words": lambda n: "сөз " * (n // 4),
    "say-verbs": lambda n: "деді " * (n // 5),
}


def _seconds(function: Callable[[str], object], text: str) -> float:
    """Best of three rounds; a round repeats the call until it has taken 20 ms."""
    best = float("inf")
    for _ in range(3):
        loops, started = 0, time.perf_counter()
        while True:
            function(text)
            loops += 1
            spent = time.perf_counter() - started
            if spent >= 0.02:
                break
        best = min(best, spent / loops)
    return best


def assert_linear(function: Callable[[str], object], make: Callable[[int], str], n: int, tries: int = 3) -> None:
    ratios = []
    for _ in range(tries):
        small, large = _seconds(function, make(n)), _seconds(function, make(2 * n))
        ratios.append(large / small)
        if ratios[-1] < LIMIT:
            return
        n *= 2
    pytest.fail(f"t(2n)/t(n) = {', '.join(f'{r:.2f}' for r in ratios)} (n up to {n}): worse than linear")


@pytest.mark.parametrize("shape", HOSTILE)
def test_qa_check_segment_is_linear(shape):
    assert_linear(lambda t: qa.check_segment(t, t + " 1", "kk", "ru", language_checks=False), HOSTILE[shape], 8000)


@pytest.mark.parametrize("shape", HOSTILE)
def test_protect_is_linear(shape):
    assert_linear(lambda t: protect.protect(t, "kk", numbers=True), HOSTILE[shape], 8000)


@pytest.mark.parametrize("shape", HOSTILE)
def test_sentence_splitting_is_linear(shape):
    assert_linear(lambda t: segmentation.split_sentences(t, "kk"), HOSTILE[shape], 20000)


@pytest.mark.parametrize("shape", ["kazakh-letters", "spaces", "commas", "hyphenated"])
def test_split_long_is_linear_and_cuts_runs_without_spaces(shape):
    fits = lambda s: len(s) <= 500  # noqa: E731
    assert_linear(lambda t: segmentation.split_long(t, fits), HOSTILE[shape], 20000)
    text = HOSTILE[shape](20000)
    pieces = segmentation.split_long(text, fits)
    assert "".join(pieces) == text and all(fits(p) for p in pieces)


@pytest.mark.parametrize("shape", ["say-verbs", "spaces", "commas", "hyphenated"])
def test_attribution_split_is_linear(shape):
    assert_linear(langid.split_attribution, HOSTILE[shape], 20000)


@pytest.fixture(scope="module")
def pseudo() -> Translator:
    return Translator("pseudo")


@pytest.mark.parametrize("shape", ["kazakh-letters", "digits-and-spaces", "at-signs", "words", "hyphenated"])
def test_the_whole_pseudo_pipeline_is_linear(pseudo, shape):
    def translate(text: str) -> None:
        article = Article(language="kk", blocks=[Block("headline", "Тақырып"), Block("paragraph", text)])
        variant = pseudo.translate(article, ["ru"])["ru"]
        assert len(variant.blocks) == 2

    assert_linear(translate, HOSTILE[shape], 20000)


def test_a_long_line_without_spaces_is_split_never_truncated(pseudo):
    line = "Қазақстан" * 20000  # 180,000 letters, no space
    article = Article(language="kk", blocks=[Block("paragraph", line)])
    variant = pseudo.translate(article, ["ru"])["ru"]
    # the pseudo backend writes every letter back (with accents): every one of them came through
    assert variant.blocks[0].text.count("⟦ru⟧") >= len(line) // 2000
    assert len(variant.blocks[0].text.replace("⟦ru⟧ ", "")) == len(line)


@pytest.mark.parametrize(("format_name", "shape", "n"), [
    ("text", "kazakh-letters", 20000),
    ("html", "kazakh-letters", 20000),
    ("text", "spaces", 20000),
    ("html", "spaces", 20000),
])
def test_a_file_with_a_long_line_is_linear_through_reader_pipeline_and_writer(pseudo, format_name, shape, n):
    fmt = formats.get_format(format_name)
    wrap = "<h1>Тақырып</h1><p>{}</p>" if format_name == "html" else "Тақырып\n\n{}\n"

    def round_trip(body: str) -> None:
        article = fmt.read(wrap.format(body), source=f"long.kk.{format_name}", language="kk")
        fmt.write(pseudo.translate(article, ["ru"])["ru"])

    assert_linear(round_trip, HOSTILE[shape], n, tries=3 if n >= 20000 else 1)
