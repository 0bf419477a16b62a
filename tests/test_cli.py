"""The command line, run as users run it: a subprocess, real files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from samples import CORPUS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "article.kk.txt"
# The CLI keeps a translation memory by default; keep the tests' one out of the user's cache.
MEMORY = Path(tempfile.mkdtemp(prefix="kzt-cli-")) / "memory.sqlite"


def kzt(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1", "KZTRANSLATE_TM": str(MEMORY),
                **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "kztranslate", *args],
        capture_output=True, text=True, env=full_env, cwd=cwd, timeout=300,
    )


def test_translate_seed_to_ru_and_en(tmp_path):
    seed = CORPUS / "seed-baq.kk.txt"
    if not seed.exists():
        pytest.skip("shared corpus not available")
    result = kzt("translate", str(seed), "--to", "ru,en", "--backend", "pseudo", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed-baq.en.txt", "seed-baq.ru.txt"]
    ru = (tmp_path / "seed-baq.ru.txt").read_text(encoding="utf-8").split("\n")
    en = (tmp_path / "seed-baq.en.txt").read_text(encoding="utf-8").split("\n")
    source = seed.read_text(encoding="utf-8").split("\n")
    assert len(ru) == len(en) == len(source)  # same layout, line for line
    assert ru[2].startswith("27 ноября 2019") and "10:03" in ru[2] and ru[2].endswith(" 3457")
    assert "November 27, 2019" in en[2] and "10:03" in en[2] and en[2].endswith(" 3457")
    assert ru[-2:] == ["Нургуль Калиева", "Поделиться:"]
    assert en[-2:] == ["Nurgul Kaliyeva", "Share:"]
    assert ru[0].startswith("⟦ru⟧ ") and en[0].startswith("⟦en⟧ ")
    # the variants read back into the same structure
    for name in ("seed-baq.ru.txt", "seed-baq.en.txt"):
        shown = kzt("inspect", str(tmp_path / name))
        assert shown.returncode == 0, shown.stderr
        doc = json.loads(shown.stdout)
        assert doc["views"] == 3457 and doc["published"] == "2019-11-27T10:03:00"
        assert sum(b["role"] == "paragraph" for b in doc["blocks"]) == 4


def test_one_input_one_target_prints_to_stdout(tmp_path):
    result = kzt("translate", str(EXAMPLE), "--to", "en", "--backend", "pseudo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Share:"
    assert list(tmp_path.iterdir()) == []


def test_inspect_prints_the_conventions_fields():
    result = kzt("inspect", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    for key in ("language", "headline", "dateline", "published", "views", "byline", "blocks", "meta"):
        assert key in doc
    assert doc["language"] == "kk" and doc["views"] == 1280
    assert doc["byline"] == ["Дәурен Жақсылықов"]


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "empty"), (b"\x00\x01binary\x00", "binary"), ("Сәлем".encode("cp1251", "replace") + b"\xff\xfe", "UTF-8"),
     ("Сәлем әлем\n".encode("utf-16"), "UTF-16")],
)
def test_bad_input_exits_3_and_writes_nothing(tmp_path, content, reason):
    bad = tmp_path / "in" / "bad.kk.txt"
    bad.parent.mkdir()
    bad.write_bytes(content)
    out = tmp_path / "out"
    result = kzt("translate", str(bad), "--to", "ru,en", "--backend", "pseudo", "--out-dir", str(out))
    assert result.returncode == 3
    assert reason in result.stderr and "bad.kk.txt" in result.stderr
    assert not out.exists()


def test_missing_file_exits_3(tmp_path):
    result = kzt("translate", str(tmp_path / "nope.txt"), "--to", "ru", "--backend", "pseudo")
    assert result.returncode == 3 and "no such file" in result.stderr


def test_usage_errors_exit_2(tmp_path):
    assert kzt("translate", str(EXAMPLE), "--to", "de", "--backend", "pseudo").returncode == 2
    unknown = kzt("translate", str(EXAMPLE), "--to", "ru", "--backend", "nope")
    assert unknown.returncode == 2 and "pseudo" in unknown.stderr and "transformers" in unknown.stderr
    assert kzt("translate", str(EXAMPLE)).returncode == 2  # --to is required


def test_some_files_failing_exits_5_and_writes_the_others(tmp_path):
    good = tmp_path / "good.kk.txt"
    good.write_bytes(EXAMPLE.read_bytes())
    empty = tmp_path / "empty.kk.txt"
    empty.write_bytes(b"  \n")
    out = tmp_path / "out"
    result = kzt("translate", str(good), str(empty), "--to", "ru", "--backend", "pseudo", "--out-dir", str(out))
    assert result.returncode == 5, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["good.ru.txt"]
    assert "empty.kk.txt" in result.stderr


def test_default_model_without_weights_exits_4_fast_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = kzt(
        "translate", str(EXAMPLE), "--to", "ru", "--backend", "transformers", "--out-dir", str(out),
        env={"HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 4, result.stderr
    assert "nllb-200-distilled-600M" in result.stderr and "--model" in result.stderr
    assert not out.exists()


def test_names_table_overrides_the_rules(tmp_path):
    article = tmp_path / "a.kk.txt"
    article.write_text(EXAMPLE.read_text(encoding="utf-8").replace("Дәурен Жақсылықов", "Қасым-Жомарт Тоқаев"),
                       encoding="utf-8")
    result = kzt("translate", str(article), "--to", "en", "--backend", "pseudo",
                 "--names", str(ROOT / "examples" / "names.tsv"))
    assert result.returncode == 0, result.stderr
    assert "Kassym-Jomart Tokayev" in result.stdout.splitlines()


def test_glossary_forces_terms_through_kazakh_endings():
    result = kzt("translate", str(EXAMPLE), "--to", "en", "--backend", "pseudo",
                 "--glossary", str(ROOT / "examples" / "glossary.tsv"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Almaty" in lines[0]  # headline "Алматыда …": the term matched through the locative ending
    assert "Алматы" not in result.stdout


@pytest.mark.parametrize("family", ["nllb", "madlad"])
def test_a_real_model_directory_gives_the_same_structure(tmp_path, tiny_models, family):
    seed = CORPUS / "seed-baq.kk.txt"
    if not seed.exists():
        pytest.skip("shared corpus not available")
    result = kzt("translate", str(seed), "--to", "ru,en", "--backend", "transformers",
                 "--model", str(tiny_models[family]),
                 "--beams", "1", "--max-new-tokens", "6", "--out-dir", str(tmp_path), "--no-memory")
    assert result.returncode == 0, result.stderr
    source = seed.read_text(encoding="utf-8").split("\n")
    for lang in ("ru", "en"):
        lines = (tmp_path / f"seed-baq.{lang}.txt").read_text(encoding="utf-8").split("\n")
        assert len(lines) == len(source)
        blank = [i for i, line in enumerate(source) if not line]
        assert [i for i, line in enumerate(lines) if not line] == blank  # every block where the source has it
        assert lines[2].endswith(" 3457") and "10:03" in lines[2]
        assert lines[-2] == {"ru": "Нургуль Калиева", "en": "Nurgul Kaliyeva"}[lang]
        assert lines[-1] == {"ru": "Поделиться:", "en": "Share:"}[lang]
        doc = json.loads(kzt("inspect", str(tmp_path / f"seed-baq.{lang}.txt"), "--from", lang).stdout)
        assert sum(b["role"] == "paragraph" for b in doc["blocks"]) == 4


def test_several_files_show_a_progress_bar_that_ends_before_the_report(tmp_path):
    for name in ("a.kk.txt", "b.kk.txt"):
        (tmp_path / name).write_bytes(EXAMPLE.read_bytes())
    result = kzt("translate", str(tmp_path / "a.kk.txt"), str(tmp_path / "b.kk.txt"), "--to", "ru,en",
                 "--backend", "pseudo", "--no-memory", "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    bar = result.stderr.rindex("translating 2 articles")
    assert "100%" in result.stderr[bar:].splitlines()[0].split("\r")[-1]
    assert bar < result.stderr.index("wrote ")
    assert len(list((tmp_path / "out").iterdir())) == 4
