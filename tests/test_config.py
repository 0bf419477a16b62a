"""One configuration for every face: TranslatorConfig, its flags, the environment, and the faces using it."""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from kztranslate import cli
from kztranslate.config import QA_POLICIES, TranslatorConfig
from kztranslate.engine import Decoding
from kztranslate.engine.memory import TranslationMemory
from kztranslate.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]

# Options of `translate` that say what to translate and where the result goes, not how: the rest (every
# option of a translation) must be an option of batch and serve too.
PER_CALL = {
    "-h", "--help",
    "--text", "--markup", "--json",  # strings instead of articles
    "-t", "--to", "-f", "--from",  # per request in the service (its body's "to" and "from")
    "-o", "--output", "--out-dir",  # a request's answer is its output
    "--format", "--input-format",  # per request in the service ("format"); batch: --input-format
    "--overwrite-targets",  # XLIFF inputs of one call
}


def subparser(name: str) -> argparse.ArgumentParser:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


# -- the faces' parsers ------------------------------------------------------------------------------
def test_every_translation_option_of_translate_is_an_option_of_batch_and_serve():
    translate, batch, serve = (options(subparser(n)) for n in ("translate", "batch", "serve"))
    shared = translate - PER_CALL
    assert "--beams" in shared and "--glossary" in shared and "--device" in shared and "--compute-type" in shared
    assert shared - batch == set()
    assert shared - serve == set()
    # what a batch run is given per call too, spelled as translate spells it
    assert {"-t", "--to", "-f", "--from", "-o", "--output", "--input-format"} <= batch


def test_eval_takes_every_model_and_decoding_option():
    config_flags = {f"--{f.name.replace('_', '-')}" for f in fields(Decoding)} | {
        "--backend", "--model", "--revision", "--device", "--compute-type", "--threads"}
    assert config_flags <= options(subparser("eval"))


def test_every_field_and_decoding_setting_has_a_flag():
    parser = argparse.ArgumentParser()
    TranslatorConfig.add_arguments(parser)
    dests = {action.dest for action in parser._actions}
    assert {f.name for f in fields(TranslatorConfig)} - {"decoding"} <= dests
    assert {f.name for f in fields(Decoding)} <= dests


def test_defaults_in_help_are_the_dataclass_defaults():
    text = subparser("translate").format_help()
    for name in ("beams", "repetition_penalty", "no_repeat_ngram_size", "length_penalty"):
        flag = f"--{name.replace('_', '-')}"
        after = " ".join(text[text.index(f"\n  {flag}"):].split())[:200]
        assert f"(default: {getattr(Decoding(), name)})" in after, (flag, after)


FACE_ARGS = {
    "translate": ["translate", "in.kk.txt", "-t", "ru"],
    "batch": ["batch", "in", "-t", "ru", "-o", "out"],
    "serve": ["serve"],
}
OPTIONS = ["--backend", "pseudo", "--beams", "3", "--repetition-penalty", "1.2", "--label", "--qa", "retry",
           "--dateline-pattern", "en=d MMMM y", "--threads", "2", "--no-memory", "--max-batch-tokens", "512"]


def config_of(face: str, extra: list[str]) -> TranslatorConfig:
    args = cli.build_parser().parse_args(FACE_ARGS[face] + extra)
    if face == "serve":
        from kztranslate.service.settings import ServiceSettings

        return ServiceSettings.from_args(args).translation
    return TranslatorConfig.from_args(args)


def test_the_same_flags_make_the_same_config_in_every_face():
    configs = {face: config_of(face, OPTIONS) for face in FACE_ARGS}
    expected = TranslatorConfig("pseudo", threads=2, decoding=Decoding(beams=3, repetition_penalty=1.2),
                                label=True, qa="retry", dateline_patterns={"en": "d MMMM y"}, memory=None,
                                max_batch_tokens=512)
    assert configs == {face: expected for face in FACE_ARGS}


def test_memory_default_differs_by_face_and_no_memory_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("KZTRANSLATE_TM", str(tmp_path / "user.sqlite"))
    assert config_of("translate", []).memory == str(tmp_path / "user.sqlite")
    assert config_of("batch", []).memory is None and config_of("serve", []).memory is None
    assert config_of("translate", ["--no-memory"]).memory is None
    assert config_of("batch", ["--memory", str(tmp_path / "b.sqlite")]).memory == str(tmp_path / "b.sqlite")


# -- the environment -----------------------------------------------------------------------------------
def test_environment_sets_options_and_flags_win(monkeypatch):
    monkeypatch.setenv("KZTRANSLATE_BACKEND", "pseudo")
    monkeypatch.setenv("KZTRANSLATE_BEAMS", "2")
    monkeypatch.setenv("KZTRANSLATE_LABEL", "yes")
    monkeypatch.setenv("KZTRANSLATE_DATELINE_PATTERNS", "en=d MMMM y; ru=d MMMM y 'г.'")
    monkeypatch.setenv("KZTRANSLATE_BACKEND_OPTIONS", '{"cache_dir": "/data/ct2"}')
    monkeypatch.setenv("KZTRANSLATE_MODEL", "")  # empty: unset
    env = TranslatorConfig.from_env()
    assert (env.backend, env.decoding, env.label, env.model) == ("pseudo", Decoding(beams=2), True, None)
    assert dict(env.dateline_patterns) == {"en": "d MMMM y", "ru": "d MMMM y 'г.'"}
    assert dict(env.backend_options) == {"cache_dir": "/data/ct2"}
    flagged = config_of("serve", ["--beams", "5", "--no-label"])
    assert (flagged.backend, flagged.decoding, flagged.label) == ("pseudo", Decoding(beams=5), False)


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("KZTRANSLATE_BEAMS", "four", "KZTRANSLATE_BEAMS"),
    ("KZTRANSLATE_LABEL", "maybe", "KZTRANSLATE_LABEL"),
    ("KZTRANSLATE_QA", "strict", "flag, retry, fail"),
    ("KZTRANSLATE_THREADS", "0", "KZTRANSLATE_THREADS"),
    ("KZTRANSLATE_BACKEND_OPTIONS", "[1]", "JSON object"),
])
def test_a_bad_environment_value_is_a_usage_error_naming_the_variable(variable, value, said):
    with pytest.raises(UsageError, match=said):
        TranslatorConfig.from_env(environ={variable: value})


# -- the object --------------------------------------------------------------------------------------
def test_config_is_validated_immutable_picklable_and_json_ready():
    config = TranslatorConfig("ctranslate2", model=Path("/models/nllb"), decoding=Decoding(beams=2),
                              dateline_patterns={"EN": "d MMMM y"}, backend_options={"cache_dir": "/c"})
    assert config.model == "/models/nllb" and config.dateline_patterns == (("en", "d MMMM y"),)
    assert pickle.loads(pickle.dumps(config)) == config and hash(config) == hash(pickle.loads(pickle.dumps(config)))
    assert json.loads(json.dumps(config.to_dict()))["decoding"]["beams"] == 2
    with pytest.raises(AttributeError):
        config.model = "other"  # type: ignore[misc]
    for bad in ({"qa": "strict"}, {"threads": 0}, {"max_batch_tokens": True}, {"backend_options": {"device": "x"}}):
        with pytest.raises(UsageError):
            TranslatorConfig(**bad)
    assert set(QA_POLICIES) == {"flag", "retry", "fail"}


def test_backends_get_only_the_options_that_were_set_under_their_own_names():
    assert TranslatorConfig("pseudo").backend_kwargs() == {}
    assert TranslatorConfig("pseudo", decoding=Decoding(beams=1)).backend_kwargs() == {"decoding": Decoding(beams=1)}
    ct2 = TranslatorConfig("ctranslate2", device="cpu", compute_type="int8", threads=3, restrict_vocabulary=True)
    assert ct2.backend_kwargs() == {"device": "cpu", "compute_type": "int8", "intra_threads": 3,
                                    "restrict_vocabulary": True}
    assert TranslatorConfig("transformers", compute_type="bfloat16").backend_kwargs() == {"dtype": "bfloat16"}


def test_from_config_builds_the_translator_with_every_option(tmp_path):
    from kztranslate.pipeline import Translator

    glossary = tmp_path / "glossary.tsv"
    glossary.write_text("kk\ten\nАстана\tAstana\n", encoding="utf-8")
    names = tmp_path / "names.tsv"
    names.write_text("kk\tru\ten\nАйгүл Сәрсенова\tАйгуль Сарсенова\tAigul Sarsenova\n", encoding="utf-8")
    config = TranslatorConfig("pseudo", decoding=Decoding(beams=2), memory=str(tmp_path / "tm.sqlite"),
                              glossary=str(glossary), names=str(names), qa="retry", label=True,
                              dateline_patterns={"en": "d MMMM y"}, max_batch_tokens=300)
    translator = Translator.from_config(config)
    assert translator.backend.signature().decoding == Decoding(beams=2)
    assert translator.scheduler.memory.path == tmp_path / "tm.sqlite"
    assert translator.glossary is not None and translator.name_table is not None
    assert (translator.qa_policy, translator.label, translator.dateline_pattern) == ("retry", True, {"en": "d MMMM y"})
    assert translator.scheduler.max_batch_tokens == 300


# -- the pseudo backend and the user's memory ----------------------------------------------------------
def test_pseudo_reads_the_users_memory_but_never_writes_it(tmp_path, monkeypatch):
    from kztranslate.pipeline import Translator
    from kztranslate.plaintext import translate_texts

    user = tmp_path / "user.sqlite"
    monkeypatch.setenv("KZTRANSLATE_TM", str(user))
    config = TranslatorConfig("pseudo", memory=str(user))
    assert config.open_memory() is None and not user.exists()  # nothing to read: not even an empty file
    with TranslationMemory(user) as memory:
        memory.store_post_edit("Бүгін жиын өтті.", "Сегодня прошло собрание.", "kk", "ru")
        before = memory.stats()
    translator = Translator.from_config(config)
    results = translate_texts(translator, ["Бүгін жиын өтті. Ертең тағы бір жиын болады."], "ru", source="kk")
    assert "Сегодня прошло собрание." in results[0].text and "⟦ru⟧" in results[0].text
    with TranslationMemory(user) as memory:  # the lookup counts its hit; nothing is stored
        assert {k: v for k, v in memory.stats().items() if k != "hits"} == \
            {k: v for k, v in before.items() if k != "hits"}
    # another file is the user's choice: pseudo output goes there
    other = tmp_path / "other.sqlite"
    translate_texts(Translator.from_config(TranslatorConfig("pseudo", memory=str(other))), ["Ертең жиын болады."],
                    "ru", source="kk")
    with TranslationMemory(other) as memory:
        assert memory.stats()["entries"] >= 1


# -- the faces, end to end ------------------------------------------------------------------------------
ARTICLE = {
    "language": "kk",
    "dateline": "Астана, 27 қараша 2019, 10:03",
    "blocks": [{"role": "headline", "text": "Астанада жиын өтті."},
               {"role": "paragraph", "text": "Бүгін 12 адам қатысты. Жиын ұзаққа созылды."}],
    "meta": {"id": "a1"},
}
FACE_OPTIONS = ["--backend", "pseudo", "--beams", "3", "--label", "--no-memory"]


def kzt(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "kztranslate", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def assert_made_with_the_options(document: dict) -> None:
    assert document["provenance"]["decoding"]["beams"] == 3
    assert [b["text"] for b in document["blocks"] if b.get("label") == "machine-translation"] == \
        ["Machine-translated from Kazakh"], document["blocks"]


def test_one_config_reaches_the_translator_in_translate_batch_and_serve(tmp_path):
    source = tmp_path / "in" / "a1.kk.json"
    source.parent.mkdir()
    source.write_text(json.dumps(ARTICLE, ensure_ascii=False), encoding="utf-8")

    done = kzt("translate", str(source), "-t", "en", "-o", str(tmp_path / "one.en.json"), *FACE_OPTIONS)
    assert done.returncode == 0, done.stderr
    assert_made_with_the_options(json.loads((tmp_path / "one.en.json").read_text(encoding="utf-8")))

    done = kzt("batch", str(source.parent), "-t", "en", "-o", str(tmp_path / "out"), "--no-progress", *FACE_OPTIONS)
    assert done.returncode == 0, done.stderr
    assert_made_with_the_options(json.loads((tmp_path / "out" / "a1.en.json").read_text(encoding="utf-8")))

    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from kztranslate.service import ServiceSettings, create_app

    args = cli.build_parser().parse_args(["serve", "--no-auth", "--db", str(tmp_path / "s.sqlite"), *FACE_OPTIONS])
    with TestClient(create_app(ServiceSettings.from_args(args))) as client:
        for _ in range(200):
            if client.get("/readyz").status_code == 200:
                break
            import time

            time.sleep(0.05)
        answer = client.post("/v1/translate", json={"article": ARTICLE, "to": ["en"]})
        assert answer.status_code == 200, answer.text
        assert_made_with_the_options(answer.json()["variants"]["en"]["document"])


def test_batch_redoes_articles_when_the_glossary_changes(tmp_path):
    from kztranslate.batch import run_batch

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.kk.txt").write_text("Астанада жиын өтті.\n", encoding="utf-8")
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text("kk\tru\nжиын\tсобрание\n", encoding="utf-8")
    config = TranslatorConfig("pseudo", glossary=str(glossary))
    first = run_batch(tmp_path / "in", tmp_path / "out", "ru", config=config, progress=False)
    again = run_batch(tmp_path / "in", tmp_path / "out", "ru", config=config, progress=False)
    assert (first.translated, again.skipped) == (1, 1)
    glossary.write_text("kk\tru\nжиын\tвстреча\n", encoding="utf-8")
    changed = run_batch(tmp_path / "in", tmp_path / "out", "ru", config=config, progress=False)
    assert changed.translated == 1
    assert "встреча" in (tmp_path / "out" / "a.ru.txt").read_text(encoding="utf-8")


# -- command-line habits ---------------------------------------------------------------------------------
def test_output_is_a_file_for_one_output_a_directory_for_several_and_old_spellings_still_work(tmp_path):
    source = tmp_path / "a.kk.txt"
    source.write_text("Астанада жиын өтті.\n", encoding="utf-8")
    common = ["--backend", "pseudo", "--no-memory"]
    assert kzt("translate", str(source), "-t", "ru", "-o", str(tmp_path / "x.txt"), *common).returncode == 0
    assert (tmp_path / "x.txt").read_text(encoding="utf-8").startswith("⟦ru⟧")
    assert kzt("translate", str(source), "-t", "ru,en", "-o", str(tmp_path / "d"), *common).returncode == 0
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["a.en.txt", "a.ru.txt"]
    assert kzt("translate", str(source), "-t", "en", "-o", str(tmp_path / "d") + "/", *common).returncode == 0
    assert kzt("translate", str(source), "-t", "ru", "--out-dir", str(tmp_path / "old"), *common).returncode == 0
    assert (tmp_path / "old" / "a.ru.txt").is_file()
    to_stdout = kzt("translate", str(source), "-t", "ru", "-o", "-", *common)
    assert to_stdout.returncode == 0 and to_stdout.stdout.startswith("⟦ru⟧")
    many = kzt("translate", str(source), "-t", "ru,en", "-o", "-", *common)
    assert many.returncode == 2 and "-o DIR" in many.stderr
    old_batch = kzt("batch", str(tmp_path / "d"), "--to", "kk", "--out", str(tmp_path / "b"), "--format", "text",
                    "--no-progress", *common)
    assert old_batch.returncode == 0, old_batch.stderr
    assert kzt("batch", str(tmp_path / "d"), "-t", "kk", *common).returncode == 2


def test_stdin_dash_for_batch_inspect_and_eval(tmp_path):
    lines = "\n".join(json.dumps({**ARTICLE, "meta": {"id": f"n{i}"}}, ensure_ascii=False) for i in range(3))
    done = kzt("batch", "-", "-t", "ru", "-o", str(tmp_path / "out"), "--backend", "pseudo", "--no-progress",
               stdin=lines + "\n")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == ["n0.ru.json", "n1.ru.json", "n2.ru.json"]
    again = kzt("batch", "-", "-t", "ru", "-o", str(tmp_path / "out"), "--backend", "pseudo", "--no-progress",
                stdin=lines + "\n")
    assert again.returncode == 0 and "3 skipped" in again.stderr

    shown = kzt("inspect", "-", "--format", "html", stdin="<h1>Жаңалық</h1><p>Бүгін жиын өтті.</p>")
    assert shown.returncode == 0, shown.stderr
    assert [b["role"] for b in json.loads(shown.stdout)["blocks"]] == ["headline", "paragraph"]

    pytest.importorskip("sacrebleu")
    scored = kzt("eval", "--test-set", "-", "-f", "kk", "-t", "ru", "--backend", "pseudo", "--json",
                 "-o", str(tmp_path / "scores.json"), stdin="Бүгін жиын өтті.\tСегодня прошло собрание.\n")
    assert scored.returncode == 0, scored.stderr
    assert json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))["segments"] == 1


def test_every_command_shows_examples_in_its_help():
    for name in cli.COMMANDS:
        text = subparser(name).format_help()
        examples = text[text.index("\nexamples:\n"):]
        assert f"kztranslate {name} " in examples, name


def test_completion_scripts_know_the_commands_and_choices(capsys):
    pytest.importorskip("shtab")
    for shell in ("bash", "zsh"):
        assert cli.main(["completion", shell]) == 0
        script = capsys.readouterr().out
        assert "translate" in script and "batch" in script and "--compute-type" in script
    if shutil.which("bash") is None:
        return
    cli.main(["completion", "bash"])
    script = capsys.readouterr().out
    line = "kztranslate translate --qa "
    probe = (f'{script}\nCOMP_WORDS=(kztranslate translate --qa ""); COMP_CWORD=3; COMP_LINE="{line}"; '
             'COMP_POINT=${#COMP_LINE}; _shtab_kztranslate; echo "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.split() == list(QA_POLICIES), done.stderr


def test_long_error_messages_are_cut_short_unless_verbose():
    long_line = "unknown model 'x'; " + ", ".join(f"preset-{n}" for n in range(80))
    short = cli.brief(long_line)
    assert len(short) < len(long_line) and short.endswith("(--verbose shows the whole message)")
    assert short.startswith("unknown model 'x'")
    assert cli.brief("one line; the fix") == "one line; the fix"
    assert cli.brief("a\nb\nc\nd") == "a\nb … (--verbose shows the whole message)"


def test_serve_flags_default_to_the_service_settings_fields(tmp_path, monkeypatch):
    from kztranslate.service.settings import ServiceSettings

    monkeypatch.setenv("KZTRANSLATE_DB", str(tmp_path / "s.sqlite"))
    assert ServiceSettings.from_args(cli.build_parser().parse_args(["serve"])) == ServiceSettings()
    given = ServiceSettings.from_args(cli.build_parser().parse_args(
        ["serve", "--no-auth", "--rate", "2.5", "--heavy-lane", "process", "--cors-origin", "*", "--memory", "m.db"]))
    assert (given.require_keys, given.rate_per_second, given.heavy_lane, given.cors_origins) == (False, 2.5, "process",
                                                                                                 ["*"])
    assert given.translation == TranslatorConfig(memory="m.db")
    help_text = " ".join(subparser("serve").format_help().split())
    assert f"--rate R default requests per second per API key (default: {ServiceSettings().rate_per_second})" \
        in help_text
