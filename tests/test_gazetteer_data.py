"""Shipped name data: the gazetteer and the kk/ru, kk/en benchmark pairs are well-formed and are exactly
what the build script makes from the transcribed mentions (so every spelling carries the page it came from)."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GAZETTEER = ROOT / "src" / "kztranslate" / "data" / "gazetteer.tsv"
KK_RU = ROOT / "benchmarks" / "names" / "kk_ru_pairs.tsv"
KK_EN = ROOT / "benchmarks" / "names" / "kk_en_pairs.tsv"
BUILD = ROOT / "benchmarks" / "names" / "tools" / "build_name_data.py"

HEADERS = {
    GAZETTEER: ["kk", "ru", "en", "kind", "role", "source"],
    KK_RU: ["kk", "ru", "source", "split"],
    KK_EN: ["kk", "ru", "en", "source", "split"],
}
REQUIRED = {
    GAZETTEER: ["ru", "kind", "role", "source"],
    KK_RU: ["kk", "ru", "source", "split"],
    KK_EN: ["kk", "en", "source", "split"],
}

_WORD = r"[{letters}]+(?:['’][{letters}]+)*"
_NAME = r"^{w}(?:[ -]{w})*$"
KAZAKH_NAME = re.compile(_NAME.format(w=_WORD.format(letters="А-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі")))
RUSSIAN_NAME = re.compile(_NAME.format(w=_WORD.format(letters="А-яЁё")))
LATIN_NAME = re.compile(_NAME.format(w=_WORD.format(letters="A-Za-z")))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        assert reader.fieldnames == HEADERS[path], f"{path.name}: header {reader.fieldnames}"
        rows = list(reader)
    for number, row in enumerate(rows, start=2):
        assert None not in row and all(v is not None for v in row.values()), f"{path.name}:{number}: wrong cell count"
    return rows


@pytest.mark.parametrize("path", list(HEADERS), ids=lambda p: p.name)
def test_rows_are_complete_and_scripts_are_right(path: Path) -> None:
    rows = _rows(path)
    assert rows, f"{path.name} is empty"
    for number, row in enumerate(rows, start=2):
        where = f"{path.name}:{number}"
        for column in REQUIRED[path]:
            assert row[column].strip(), f"{where}: empty {column}"
        assert row["kk"] or row.get("en"), f"{where}: neither kk nor en"
        if row["kk"]:
            assert KAZAKH_NAME.match(row["kk"]), f"{where}: kk {row['kk']!r} is not a Cyrillic name"
        if row["ru"]:
            assert RUSSIAN_NAME.match(row["ru"]), f"{where}: ru {row['ru']!r} is not a Russian Cyrillic name"
        if row.get("en"):
            assert LATIN_NAME.match(row["en"]), f"{where}: en {row['en']!r} is not a Latin name"
        if "kind" in row:
            assert row["kind"] == "person", where
        for url in row["source"].split(" | "):
            assert re.match(r"^https?://\S+$", url), f"{where}: source {url!r}"


@pytest.mark.parametrize("path", list(HEADERS), ids=lambda p: p.name)
def test_no_duplicate_kazakh_forms(path: Path) -> None:
    forms = [row["kk"] for row in _rows(path) if row["kk"]]
    duplicates = sorted({form for form in forms if forms.count(form) > 1})
    assert not duplicates, f"{path.name}: {duplicates}"


@pytest.mark.parametrize("path", [KK_RU, KK_EN], ids=lambda p: p.name)
def test_split_follows_the_hash_rule_and_both_halves_exist(path: Path) -> None:
    rows = _rows(path)
    for row in rows:
        expected = "dev" if hashlib.sha1(row["kk"].encode("utf-8")).digest()[0] % 2 == 0 else "test"
        assert row["split"] == expected, f"{path.name}: {row['kk']!r} is in {row['split']}"
    assert {row["split"] for row in rows} == {"dev", "test"}


def test_pairs_agree_with_the_gazetteer() -> None:
    """One person, one spelling per language: a kk form means the same ru/en forms in every file."""
    gazetteer = {row["kk"]: row for row in _rows(GAZETTEER) if row["kk"]}
    for path, columns in ((KK_RU, ("ru",)), (KK_EN, ("ru", "en"))):
        for row in _rows(path):
            if row["kk"] in gazetteer:
                for column in columns:
                    if row[column]:
                        assert row[column] == gazetteer[row["kk"]][column], f"{path.name}: {row['kk']!r}"


def test_shipped_files_are_the_build_of_the_mentions() -> None:
    spec = importlib.util.spec_from_file_location("build_name_data", BUILD)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build(module.read_mentions())
    for path, text in built.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} differs from the build; rerun {BUILD.name}"
