"""The gazetteer of official spellings, names in running text, the ``names`` command and the benchmark.

The gazetteer (``src/kztranslate/data/gazetteer.tsv``) and the benchmark pairs
(``benchmarks/names/kk_ru_pairs.tsv``, ``kk_en_pairs.tsv``) are collected from official pages;
tests that need them skip, saying so, when a checkout lacks them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kztranslate.errors import FormatError
from kztranslate.names import (
    GAZETTEER_COLUMNS,
    NameTable,
    builtin_gazetteer,
    gazetteer_path,
    load_gazetteer,
    transliterate_name,
)
from kztranslate.protect import protect_names, restore

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "benchmarks" / "names"
TOKAYEV = {"kk": "Қасым-Жомарт Тоқаев", "ru": "Касым-Жомарт Токаев", "en": "Kassym-Jomart Tokayev"}

needs_gazetteer = pytest.mark.skipif(not gazetteer_path().is_file(),
                                     reason="src/kztranslate/data/gazetteer.tsv is not in this checkout")


@needs_gazetteer
def test_builtin_gazetteer_rows_win_over_the_rules():
    table = builtin_gazetteer()
    assert table is not None and table.entries
    lines = gazetteer_path().read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == list(GAZETTEER_COLUMNS)
    for entry, details in zip(table.entries, table.meta["details"]):
        assert details["source"].startswith("http")
        for source in ("kk", "ru"):
            if source in entry and "en" in entry:
                assert transliterate_name(entry[source], source, "en") == entry["en"]
        if "kk" in entry and "ru" in entry:
            assert transliterate_name(entry["kk"], "kk", "ru") == entry["ru"]


def test_user_table_wins_over_gazetteer(tmp_path):
    gazetteer = tmp_path / "gazetteer.tsv"
    gazetteer.write_text("\t".join(GAZETTEER_COLUMNS) + "\n"
                         + "\t".join([*TOKAYEV.values(), "person", "President", "https://www.akorda.kz/en"]) + "\n",
                         encoding="utf-8")
    known = load_gazetteer(gazetteer)
    assert transliterate_name("Қасым-Жомарт Тоқаев", "kk", "en", known, gazetteer=False) == "Kassym-Jomart Tokayev"
    mine = NameTable([{"kk": "Қасым-Жомарт Тоқаев", "en": "Qasym-Jomart Toqaev"}])
    assert transliterate_name("Қасым-Жомарт Тоқаев", "kk", "en", mine) == "Qasym-Jomart Toqaev"


def test_english_from_a_known_russian_form():
    # a row of the kk/ru pairs (ar.egemen.kz / vesti.kz): the Russian form is not the rule's
    table = NameTable([{"kk": "Дамир Қасаболат", "ru": "Дамир Касабулат"}])
    assert transliterate_name("Дамир Қасаболат", "kk", "en", gazetteer=False) == "Damir Kasabolat"
    assert transliterate_name("Дамир Қасаболат", "kk", "en", table, gazetteer=False) == "Damir Kasabulat"


@pytest.mark.parametrize("content, line, message", [
    ("kk\tru\ten\n", 1, "lacks kind, role, source"),
    ("kk\tru\ten\tkind\trole\tsource\nҚасым\tКасым\n", 2, "2 cells"),
])
def test_bad_gazetteer_names_file_and_line(tmp_path, content, line, message):
    path = tmp_path / "gazetteer.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match=message) as info:
        load_gazetteer(path)
    assert info.value.line == line and str(path) in str(info.value)


# -- names in running text ------------------------------------------------------------------------
@pytest.mark.parametrize("text, language, target, stems, suffixes, outputs", [
    ("Қасым-Жомарт Тоқаевтың сөзі. Тоқаевқа хат келді.", "kk", "en",
     ["Қасым-Жомарт Тоқаев", "Тоқаев"], ["тың", "қа"], ["Kassym-Jomart Tokayev", "Tokayev"]),
    ("Поздравили Токаева. Касым-Жомарт Токаев сказал.", "ru", "en",
     ["Токаев", "Касым-Жомарт Токаев"], ["а", ""], ["Tokayev", "Kassym-Jomart Tokayev"]),
    ("President Tokayev's speech", "en", "kk", ["Tokayev"], ["'s"], ["Тоқаев"]),
    ("ТОҚАЕВТЫҢ сөзі", "kk", "ru", ["ТОҚАЕВ"], ["ТЫҢ"], ["ТОКАЕВ"]),
])
def test_names_in_text_are_protected_with_the_ending_outside(text, language, target, stems, suffixes, outputs):
    table = NameTable([TOKAYEV])
    protected, spans = protect_names(text, language, target, table, gazetteer=False)
    assert [s.text for s in spans] == stems
    assert [s.meta["suffix"] for s in spans] == suffixes
    assert [s.output for s in spans] == outputs
    for span in spans:  # the ending follows the placeholder, for the model to see
        assert f"[[{span.number}]]{span.meta['suffix']}" in protected
    assert restore(protected, spans)[0].count("[[") == 0
    # a word that only starts like the name is left alone
    assert protect_names("Тоқаевтар емес Тоқаевичтер", "kk", "en", table, gazetteer=False)[1][0].meta["suffix"] == "тар"
    assert protect_names("Тоқаевич", "kk", "en", table, gazetteer=False)[1] == []


def test_a_copied_source_ending_is_dropped_on_restore():
    table = NameTable([TOKAYEV])
    _, spans = protect_names("Тоқаевтың сөзі", "kk", "en", table, gazetteer=False)
    assert restore("[[1]]тың speech", spans)[0] == "Tokayev speech"
    assert restore("[[1]]'s speech", spans)[0] == "Tokayev's speech"
    assert restore("[[1]]тыңғы", spans)[0] == "Tokayevтыңғы"  # not a copy of the ending: left alone


def test_name_spelling_survives_a_real_model(tiny_models):
    from kztranslate.document import Article, Block
    from kztranslate.engine import Decoding
    from kztranslate.pipeline import Translator

    article = Article(language="kk", blocks=[
        Block("headline", "Қасым-Жомарт Тоқаев Астанада"),
        Block("paragraph", "Қасым-Жомарт Тоқаевтың сөзі бүгін жарияланды. Тоқаевқа хат келді."),
    ])
    table = NameTable([TOKAYEV])
    translator = Translator("transformers", model=str(tiny_models["nllb"]), name_table=table,
                            decoding=Decoding(beams=1, max_new_tokens=12))
    variants = translator.translate(article, to=["ru", "en", "kk-Latn"])
    expected = {"ru": "Касым-Жомарт Токаев", "en": "Kassym-Jomart Tokayev", "kk-Latn": "Qasym-Jomart Toqaev"}
    for language, variant in variants.items():
        for block in variant.blocks:
            assert expected[language] in block.text, (language, block.text)


# -- the command ----------------------------------------------------------------------------------
def kzt(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "kztranslate", *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_names_command(tmp_path):
    table = tmp_path / "names.tsv"
    table.write_text("kk\tru\ten\n" + "\t".join(TOKAYEV.values()) + "\n", encoding="utf-8")
    result = kzt("names", "Қасым-Жомарт Тоқаев", "--to", "en", "--names", str(table))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Kassym-Jomart Tokayev\n"
    result = kzt("names", "Тоқаевтар", "Тоқаев", "--to", "en", "--names", str(table), "--json")
    assert [r["to"]["en"]["via"] for r in json.loads(result.stdout)] == ["rules", "names table"]
    result = kzt("names", "Нұргүл Қалиева", "Henning Gloystein", "--to", "ru,en,kk-Latn", "--json", "--no-gazetteer")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data[0]["from"] == "kk" and data[1]["from"] == "en"
    assert data[0]["to"]["ru"] == {"text": "Нургуль Калиева", "via": "rules"}
    assert data[0]["to"]["kk-Latn"]["text"] == "Nūrgül Qalieva"
    assert data[1]["to"]["ru"]["text"] == "Хеннинг Глойштайн"
    bad = kzt("names", "Тоқаев", "--to", "de")
    assert bad.returncode == 2 and "unknown language 'de'" in bad.stderr and "Traceback" not in bad.stderr
    missing = kzt("names", "Тоқаев", "--to", "en", "--names", str(tmp_path / "none.tsv"))
    assert missing.returncode == 3 and "none.tsv" in missing.stderr


@needs_gazetteer
def test_names_command_reports_the_gazetteer_source():
    entry = next(e for e in builtin_gazetteer().entries if "kk" in e and "en" in e)
    result = kzt("names", entry["kk"], "--to", "en", "--json")
    data = json.loads(result.stdout)
    assert data["to"]["en"]["text"] == entry["en"]
    if data["to"]["en"]["via"] == "gazetteer":
        assert data["to"]["en"]["source"].startswith("http")


# -- the benchmark --------------------------------------------------------------------------------
@pytest.mark.skipif(not (PAIRS / "kk_ru_pairs.tsv").is_file(),
                    reason="benchmarks/names/kk_ru_pairs.tsv is not in this checkout")
def test_benchmark_runs_on_both_halves():
    spec = importlib.util.spec_from_file_location("bench_names", PAIRS / "bench_names.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = bench.run(PAIRS)
    seen = {(r["direction"], r["split"], r["gazetteer"]) for r in results}
    assert ("kk→ru", "test", True) in seen and ("kk→ru", "dev", False) in seen
    for r in results:
        assert r["names"] > 0 and 0 <= r["exact"] <= r["names"]
    by_key = {(r["direction"], r["split"], r["gazetteer"]): r for r in results}
    # the rules were tuned on dev (85 % kk→ru, 68 % kk→en when last measured): they must not regress there
    assert by_key[("kk→ru", "dev", False)]["rate"] >= 0.8
    assert by_key[("kk→en", "dev", False)]["rate"] >= 0.6
    # the gazetteer (official spellings) never makes a half worse than the rules alone
    for (direction, split, gazetteer), r in by_key.items():
        if gazetteer:
            assert r["rate"] >= by_key[(direction, split, False)]["rate"]


def test_post_edits_key_names_as_translation_does():
    from kztranslate.document import Block
    from kztranslate.postedit import post_edit_segments

    table = NameTable([TOKAYEV])
    source = Block("paragraph", "Тоқаевтың сөзі бүгін жарияланды.")
    edited = Block("paragraph", "Tokayev's speech was published today.")
    (found,) = post_edit_segments(source, edited, "kk", "en", name_table=table)
    protected, _ = protect_names("Тоқаевтың сөзі бүгін жарияланды.", "kk", "en", table, gazetteer=False)
    assert found == ("kk", protected, "[[1]]'s speech was published today.")
    # an edit that respells the name is not stored
    assert post_edit_segments(source, Block("paragraph", "Toqaev's speech was published today."), "kk", "en",
                              name_table=table) is None


def test_name_matching_stays_linear():
    import time

    table = NameTable([TOKAYEV])
    timings = []
    for size in (2_000, 20_000):
        text = "а" * size + " Тоқаевтың " + "сөзі " * (size // 5)
        began = time.perf_counter()
        _, spans = protect_names(text, "kk", "en", table, gazetteer=False)
        timings.append(time.perf_counter() - began)
        assert [s.text for s in spans] == ["Тоқаев"]
    assert timings[1] < 30 * timings[0] + 0.5
