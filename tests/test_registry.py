"""Model families and presets, model resolution, local-directory detection, ``kztranslate models``."""

from __future__ import annotations

import json
from itertools import permutations

import pytest

from kztranslate.cli.models import register
from kztranslate.engine.registry import (
    DEFAULT_MODEL,
    FAMILIES,
    PRESETS,
    detect_family,
    resolve_model,
)
from kztranslate.errors import ModelUnavailableError, UsageError

# The licenses the presets may carry, as SPDX identifiers.
SPDX = {"CC-BY-NC-4.0", "MIT", "Apache-2.0", "CC-BY-4.0"}
EVERY_DIRECTION = set(permutations(("kk", "ru", "en"), 2))


def test_presets_are_complete_and_consistent():
    assert DEFAULT_MODEL == "nllb-200-distilled-600M"
    assert [p.name for p in PRESETS.values() if p.default] == [DEFAULT_MODEL]
    # one preset per checkpoint, and per trimmed target vocabulary of it
    assert len({(p.hub_id, p.trim_target) for p in PRESETS.values()}) == len(PRESETS)
    for preset in PRESETS.values():
        family = FAMILIES[preset.family]
        assert preset.license in SPDX, preset
        assert preset.language_pairs and set(preset.language_pairs) <= EVERY_DIRECTION
        if family.target_signal == "fixed":
            assert len(preset.language_pairs) == 1, "a one-direction model has one direction"
        else:
            assert {lang for pair in preset.language_pairs for lang in pair} <= set(family.language_codes)


@pytest.mark.parametrize(("name", "hub_id", "family", "license", "pairs"), [
    ("nllb-200-distilled-600M", "facebook/nllb-200-distilled-600M", "nllb", "CC-BY-NC-4.0", EVERY_DIRECTION),
    ("nllb-200-distilled-1.3B", "facebook/nllb-200-distilled-1.3B", "nllb", "CC-BY-NC-4.0", EVERY_DIRECTION),
    ("nllb-200-3.3B", "facebook/nllb-200-3.3B", "nllb", "CC-BY-NC-4.0", EVERY_DIRECTION),
    ("tilmash", "issai/tilmash", "nllb", "CC-BY-NC-4.0", EVERY_DIRECTION),
    ("m2m100_418M", "facebook/m2m100_418M", "m2m100", "MIT", EVERY_DIRECTION),
    ("m2m100_1.2B", "facebook/m2m100_1.2B", "m2m100", "MIT", EVERY_DIRECTION),
    ("madlad400-3b-mt", "google/madlad400-3b-mt", "madlad", "Apache-2.0", EVERY_DIRECTION),
    ("opus-mt-trk-en", "Helsinki-NLP/opus-mt-trk-en", "marian", "CC-BY-4.0", {("kk", "en")}),
    ("opus-mt-en-trk", "Helsinki-NLP/opus-mt-en-trk", "marian-multi", "CC-BY-4.0", {("en", "kk")}),
    ("kazrush-kk-ru", "deepvk/kazRush-kk-ru", "t5", "Apache-2.0", {("kk", "ru")}),
    ("kazrush-ru-kk", "deepvk/kazRush-ru-kk", "t5", "Apache-2.0", {("ru", "kk")}),
])
def test_preset_table(name, hub_id, family, license, pairs):
    preset = PRESETS[name]
    assert (preset.hub_id, preset.family, preset.license, set(preset.language_pairs)) == (
        hub_id, family, license, pairs)
    assert preset.revision is None


def test_target_signals():
    assert FAMILIES["nllb"].target_signal == "forced_bos" and FAMILIES["nllb"].language_codes["kk"] == "kaz_Cyrl"
    assert FAMILIES["m2m100"].target_signal == "forced_bos" and FAMILIES["m2m100"].language_codes["ru"] == "ru"
    assert FAMILIES["madlad"].target_prefix("ru") == "<2ru> "
    assert FAMILIES["marian-multi"].target_prefix("kk") == ">>kaz_Cyrl<< "
    assert FAMILIES["nllb"].target_prefix("ru") == FAMILIES["t5"].target_prefix("ru") == ""


def test_resolve_by_name_hub_id_and_default():
    assert resolve_model().preset is PRESETS[DEFAULT_MODEL]
    by_hub_id = resolve_model("DeepVK/kazRush-kk-ru")
    assert by_hub_id.preset is PRESETS["kazrush-kk-ru"]
    assert by_hub_id.family is FAMILIES["t5"] and by_hub_id.language_pairs == (("kk", "ru"),)
    assert by_hub_id.name == "deepvk/kazRush-kk-ru"


def test_unknown_model_lists_the_presets():
    with pytest.raises(UsageError) as caught:
        resolve_model("nllb-9000")
    message = str(caught.value)
    assert "nllb-9000" in message and "--model PATH" in message
    for name in PRESETS:
        assert name in message


@pytest.mark.parametrize("family", ["nllb", "m2m100", "madlad", "marian-multi"])
def test_tiny_model_directories_are_detected(family, tiny_models):
    resolved = resolve_model(str(tiny_models[family]))
    assert resolved.family.name == family and resolved.preset is None
    assert resolved.path == tiny_models[family].resolve()
    assert set(resolved.language_pairs) == EVERY_DIRECTION


def _model_dir(tmp_path, model_type, tokenizer_class=None, tokens=()):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": model_type}))
    if tokenizer_class:
        (tmp_path / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": tokenizer_class}))
    if tokens:
        (tmp_path / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    return tmp_path


@pytest.mark.parametrize(("model_type", "tokenizer_class", "tokens", "family"), [
    ("m2m_100", "NllbTokenizer", (), "nllb"),
    ("m2m_100", None, ("<s>", "kaz_Cyrl", "rus_Cyrl"), "nllb"),
    ("m2m_100", "M2M100Tokenizer", (), "m2m100"),
    ("t5", "T5Tokenizer", ("▁Қ", "ала"), "t5"),
    ("t5", "T5Tokenizer", ("<2kk>", "<2ru>", "<2en>", "▁Қ"), "madlad"),
    ("marian", "MarianTokenizer", ("</s>", "<unk>", "▁Қ"), "marian"),
    ("marian", "MarianTokenizer", ("</s>", "<unk>", ">>kaz_Cyrl<<", ">>tat<<"), "marian-multi"),
])
def test_family_detection_from_files(tmp_path, model_type, tokenizer_class, tokens, family):
    assert detect_family(_model_dir(tmp_path, model_type, tokenizer_class, tokens)).name == family


def test_one_direction_local_models_trust_the_caller(tmp_path):
    resolved = resolve_model(_model_dir(tmp_path, "marian", "MarianTokenizer", ("</s>", "<unk>")))
    assert resolved.family.target_signal == "fixed" and resolved.language_pairs is None


def test_unusable_directories(tmp_path):
    with pytest.raises(ModelUnavailableError, match=r"config\.json is missing"):
        resolve_model(tmp_path)
    with pytest.raises(UsageError, match="cannot tell which model family") as caught:
        resolve_model(_model_dir(tmp_path, "gpt2"))
    assert "m2m_100" in str(caught.value) and "marian" in str(caught.value)


# -- kztranslate models ----------------------------------------------------------------------------

def _run(argv, capsys):
    from kztranslate.cli import _Parser

    parser = _Parser(prog="kztranslate")
    register(parser.add_subparsers(dest="command", parser_class=_Parser))
    args = parser.parse_args(argv)
    assert args.func(args) == 0
    return capsys.readouterr().out


def test_models_lists_every_preset_with_license_and_default(capsys):
    out = _run(["models"], capsys)
    assert out == _run(["models", "list"], capsys)
    lines = out.splitlines()
    assert lines[0].split() == ["name", "Hub", "id", "family", "size", "languages", "license"]
    for preset in PRESETS.values():
        (line,) = [line for line in lines if line.startswith(preset.name + " ")]
        assert preset.hub_id in line and preset.license in line and preset.parameters in line
        assert (" * " in line) == preset.default
    assert "kk→ru" in out and "kk ru en, any direction" in out
    assert "tilmash: gated" in out


def test_models_list_json(capsys):
    listed = json.loads(_run(["models", "list", "--json"], capsys))
    assert [item["name"] for item in listed] == list(PRESETS)
    assert listed[0] == PRESETS[DEFAULT_MODEL].to_dict() and listed[0]["default"] is True
    assert {item["license"] for item in listed} <= SPDX
    kazrush = next(item for item in listed if item["name"] == "kazrush-kk-ru")
    assert kazrush["language_pairs"] == ["kk-ru"] and kazrush["hub_id"] == "deepvk/kazRush-kk-ru"


def test_other_hub_ids_are_resolved_once_their_files_are_found():
    resolved = resolve_model("someone/their-model")
    assert (resolved.hub_id, resolved.family, resolved.preset, resolved.path) == (
        "someone/their-model", None, None, None)
    with pytest.raises(UsageError, match="not a preset, a Hub id"):
        resolve_model("no such model/at all")
