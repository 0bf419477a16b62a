"""Whatever a model writes, every format writes a variant that reads back with the same blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pytest

from doubles import CountingBackend
from kztranslate import formats
from kztranslate.engine.base import Translation
from kztranslate.pipeline import Translator
from kztranslate.qa import sanitize_output

ROOT = Path(__file__).resolve().parent
INPUTS = sorted(p for p in (ROOT / "fixtures" / "e2e").iterdir() if p.suffix != ".tsv") + [
    ROOT.parent / "examples" / "article.kk.txt"
]
HOSTILE = " \ud800 x\x00y\x07 \x1b[31m line\nbreak\u2028z\x85w\r\x0bq \ufffe"
UNWRITABLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass
class HostileBackend(CountingBackend):
    """Answers like CountingBackend, plus lone surrogates, NUL, escape sequences and line breaks."""

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[Translation]:
        return [Translation(t.text + HOSTILE, t.truncated) for t in super().translate_batch(texts, source, target)]


def _round_trip(path: Path, backend) -> tuple[str, str, int, list[dict]]:
    text = formats.load_text(path)
    name = formats.detect_format(path, text)
    article = formats.get_format(name).read(text, source=str(path), language="kk")
    variant = Translator(backend).translate(article, ["ru"])["ru"]
    written = formats.get_format(name).write(variant)
    reread = formats.get_format(name).read(written, source="variant", language="ru")
    return name, written, len(reread.blocks), variant.qa


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_hostile_model_output_is_written_and_reads_back_with_the_same_blocks(path):
    _, _, clean_blocks, _ = _round_trip(path, CountingBackend())
    name, written, hostile_blocks, findings = _round_trip(path, HostileBackend())
    assert hostile_blocks == clean_blocks, name
    assert not UNWRITABLE.search(written)
    written.encode("utf-8")  # no lone surrogate left
    assert any(f.code == "output-sanitized" for f in findings)


def test_sanitize_keeps_the_source_line_breaks_and_reports_what_it_removed():
    text, changes = sanitize_output("бір\nекі\nүш\x00", "one\ntwo")
    assert text == "бір\nекі үш" and changes == {"removed": {"U+0000": 1}, "line_breaks": 1}
    assert sanitize_output("Қазақстан — «ел»\tжақсы", "x") == ("Қазақстан — «ел»\tжақсы", {})
