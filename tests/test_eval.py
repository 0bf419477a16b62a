"""``kztranslate eval``: chrF++ and BLEU of a backend on a parallel test set."""

from __future__ import annotations

import argparse
import importlib
import json

import pytest
from sacrebleu.metrics import BLEU, CHRF

from kztranslate.cli import eval as eval_command
from kztranslate.engine.pseudo import PseudoBackend
from kztranslate.errors import InputError, UsageError

PAIRS = [
    ("Астанада жаңа мектеп ашылды.", "A new school opened in Astana."),
    ("Мектепте 1 200 оқушы оқиды.", "The school has 1,200 pupils."),
    ("Сабақтар 1 қыркүйекте басталады.", "Lessons start on September 1."),
    ("Әкім ата-аналарға алғыс айтты.", "The akim thanked the parents."),
]


def run_eval(argv: list[str], capsys) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    eval_command.register(parser.add_subparsers())
    args = parser.parse_args(["eval", *argv])
    code = args.func(args)
    return code, capsys.readouterr().out


@pytest.fixture
def tsv(tmp_path):
    path = tmp_path / "test.kk-en.tsv"
    lines = ["# source<TAB>reference", *(f"{s}\t{r}\t0.9" for s, r in PAIRS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def expected_scores(pairs):
    """(chrF++, BLEU, chrF++ signature) computed with sacrebleu directly."""
    backend = PseudoBackend()
    hyps = [t.text.strip() for t in backend.translate_batch([s for s, _ in pairs], "kk", "en")]
    refs = [[r for _, r in pairs]]
    chrf = CHRF(word_order=2)
    chrf_score = chrf.corpus_score(hyps, refs).score
    return chrf_score, BLEU().corpus_score(hyps, refs).score, str(chrf.get_signature())


def test_json_scores_match_sacrebleu_called_directly(tsv, capsys):
    code, out = run_eval(["--test-set", str(tsv), "--from", "kk", "--to", "en", "--backend", "pseudo", "--json"],
                         capsys)
    assert code == 0
    result = json.loads(out)
    chrf, bleu, chrf_signature = expected_scores(PAIRS)
    assert result["chrf"]["score"] == pytest.approx(chrf, abs=0.01)
    assert result["bleu"]["score"] == pytest.approx(bleu, abs=0.01)
    assert 0 < result["chrf"]["score"] < 50  # pseudo output is no translation, but it is scored
    assert result["chrf"]["signature"] == chrf_signature
    assert result["bleu"]["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")
    assert result["segments"] == 4 and result["pair"] == "kk-en"
    assert result["model"]["backend"] == "pseudo"
    assert result["model_signature"].startswith("backend:pseudo|model:pseudo-")


def test_plain_output_prints_both_signatures(tsv, capsys):
    _, out = run_eval(["--test-set", str(tsv), "--from", "kk", "--to", "en", "--backend", "pseudo"], capsys)
    chrf_line, bleu_line, model_line = out.strip().splitlines()
    assert chrf_line.startswith("chrF2++ = ") and "nrefs:1" in chrf_line
    assert bleu_line.startswith("BLEU = ") and "tok:13a" in bleu_line
    assert model_line.startswith("model\tbackend:pseudo|") and "pair:kk-en|n:4" in model_line


def test_two_file_form_and_limit(tmp_path, capsys):
    src, ref = tmp_path / "test.kk", tmp_path / "test.en"
    src.write_text("\n".join(s for s, _ in PAIRS) + "\n", encoding="utf-8")
    ref.write_text("\n".join(r for _, r in PAIRS) + "\n", encoding="utf-8")
    argv = ["--src", str(src), "--ref", str(ref), "--from", "kk", "--to", "en", "--backend", "pseudo", "--json"]
    _, out = run_eval([*argv, "--limit", "2"], capsys)
    result = json.loads(out)
    assert result["segments"] == 2
    assert result["chrf"]["score"] == pytest.approx(expected_scores(PAIRS[:2])[0], abs=0.01)


def test_bad_test_sets(tmp_path, tsv, capsys):
    src, ref = tmp_path / "a.kk", tmp_path / "a.en"
    src.write_text("бір\nекі\n", encoding="utf-8")
    ref.write_text("one\n", encoding="utf-8")
    with pytest.raises(InputError, match="must pair up"):
        run_eval(["--src", str(src), "--ref", str(ref), "--from", "kk", "--to", "en", "--backend", "pseudo"], capsys)
    no_tab = tmp_path / "bad.tsv"
    no_tab.write_text("бір екі\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1 has no TAB"):
        run_eval(["--test-set", str(no_tab), "--from", "kk", "--to", "en", "--backend", "pseudo"], capsys)
    with pytest.raises(UsageError, match="--test-set FILE"):
        run_eval(["--from", "kk", "--to", "en", "--backend", "pseudo"], capsys)
    with pytest.raises(InputError, match="no such file"):
        run_eval(["--test-set", str(tmp_path / "missing.tsv"), "--from", "kk", "--to", "en"], capsys)
    assert InputError.exit_code == 3


def test_eval_is_a_kztranslate_command(tsv, capsys):
    from kztranslate.cli import COMMANDS, main

    assert "eval" in COMMANDS
    for name in COMMANDS:  # the dispatcher loads every subcommand
        importlib.import_module(f"kztranslate.cli.{name}")

    assert main(["eval", "--test-set", str(tsv), "--from", "kk", "--to", "ru", "--backend", "pseudo"]) == 0
    assert "chrF2++" in capsys.readouterr().out
    assert main(["eval", "--test-set", str(tsv), "--from", "kk", "--to", "xx", "--backend", "pseudo"]) == 2


def test_decoding_settings_reach_the_backend_and_the_stamp(tsv, capsys):
    argv = ["--test-set", str(tsv), "--from", "kk", "--to", "en", "--backend", "pseudo", "--json"]
    _, out = run_eval([*argv, "--beams", "2", "--max-new-tokens", "32"], capsys)
    result = json.loads(out)
    assert (result["model"]["decoding"]["beams"], result["model"]["decoding"]["max_new_tokens"]) == (2, 32)
    assert "|beams:2|max_new_tokens:32|" in result["model_signature"]
