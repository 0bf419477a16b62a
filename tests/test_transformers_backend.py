"""The transformers backend on tiny real models of every family (random weights, real tokenizers)."""

from __future__ import annotations

import json
import random
import re
import shutil
import time
from pathlib import Path

import pytest

from kztranslate.engine import Backend, Decoding, load_backend
from kztranslate.errors import ModelUnavailableError, UsageError

pytest.importorskip("torch")
pytest.importorskip("transformers")

from kztranslate.engine.transformers_backend import TransformersBackend  # noqa: E402

from samples import ENGLISH, KAZAKH  # noqa: E402
#: A direction each tiny model can signal (the OPUS-MT style model only knows target tokens).
DIRECTIONS = {"nllb": ("kk", "ru"), "m2m100": ("kk", "ru"), "madlad": ("kk", "ru"), "marian-multi": ("en", "kk")}
LANGUAGE_TOKEN = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}|__[a-z]{2,3}__|<2[a-z]+>|>>\w+<<")
GREEDY = Decoding(beams=1)


def texts_for(family: str) -> list[str]:
    return ENGLISH if DIRECTIONS[family][0] == "en" else KAZAKH


def spy_generate(monkeypatch: pytest.MonkeyPatch, backend: TransformersBackend) -> list[dict]:
    """Record every ``generate`` call of the backend's model: its options, output ids and the input
    ids its encoder states came from (``encoder_calls`` on the first record: every encoder pass)."""
    model = backend._load().model
    real = model.generate
    encoder = model.get_encoder()
    real_forward = encoder.forward
    calls: list[dict] = []
    encoded: list[list[list[int]]] = []

    def encoder_spy(*args, **kwargs):
        encoded.append(kwargs["input_ids"].tolist())
        return real_forward(*args, **kwargs)

    def spy(**kwargs):
        output = real(**kwargs)
        rows = kwargs["encoder_outputs"].last_hidden_state.shape[0]
        calls.append({"input_ids": encoded[-1][:rows], "options": kwargs, "output": output.tolist(),
                      "encoder_calls": encoded})
        return output

    monkeypatch.setattr(model, "generate", spy)
    monkeypatch.setattr(encoder, "forward", encoder_spy)
    return calls


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_is_a_backend_loaded_by_name(tiny_models):
    backend = load_backend("transformers", model=str(tiny_models["nllb"]), decoding=GREEDY)
    assert isinstance(backend, TransformersBackend)
    assert isinstance(backend, Backend)
    signature = backend.signature().to_dict()
    assert signature == {
        "backend": "transformers",
        "model": str(tiny_models["nllb"].resolve()),
        "model_revision": None,
        "decoding": GREEDY.to_dict(),
    }


@pytest.mark.parametrize("family", ["nllb", "m2m100"])
def test_forced_bos_is_the_target_code_and_source_code_leads_the_input(family, tiny_models, monkeypatch):
    backend = TransformersBackend(tiny_models[family], decoding=Decoding(beams=1, max_new_tokens=6))
    tokenizer = backend._load().tokenizer
    calls = spy_generate(monkeypatch, backend)
    results = backend.translate_batch(KAZAKH[:3], "kk", "ru")
    if family == "nllb":
        source_id, target_id = tokenizer.convert_tokens_to_ids("kaz_Cyrl"), tokenizer.convert_tokens_to_ids("rus_Cyrl")
    else:
        source_id, target_id = tokenizer.get_lang_id("kk"), tokenizer.get_lang_id("ru")
    (call,) = calls
    assert call["options"]["forced_bos_token_id"] == target_id
    assert [row[1] for row in call["output"]] == [target_id] * 3  # row[0] is the decoder start
    assert [row[0] for row in call["input_ids"]] == [source_id] * 3
    for result in results:
        assert not LANGUAGE_TOKEN.search(result.text), result.text
        assert "rus_Cyrl" not in result.text and "__ru__" not in result.text


@pytest.mark.parametrize(("family", "source", "target", "token"), [
    ("madlad", "kk", "ru", "<2ru>"),
    ("madlad", "ru", "en", "<2en>"),
    ("marian-multi", "en", "kk", ">>kaz_Cyrl<<"),
])
def test_prefix_families_put_the_target_token_first(family, source, target, token, tiny_models, monkeypatch):
    backend = TransformersBackend(tiny_models[family], decoding=Decoding(beams=1, max_new_tokens=6))
    tokenizer = backend._load().tokenizer
    calls = spy_generate(monkeypatch, backend)
    results = backend.translate_batch(texts_for(family)[:2], source, target)
    token_id = tokenizer.convert_tokens_to_ids(token)
    assert token_id != tokenizer.unk_token_id
    (call,) = calls
    assert [row[0] for row in call["input_ids"]] == [token_id, token_id]
    # the prefix is one token, not "<", "2", "ru", ">" pieces of text
    assert token_id not in call["input_ids"][0][1:]
    assert call["options"]["forced_bos_token_id"] is None
    assert all(not LANGUAGE_TOKEN.search(r.text) for r in results)


@pytest.mark.parametrize("family", ["nllb", "m2m100", "madlad", "marian-multi"])
def test_outputs_are_text_without_language_tokens(family, tiny_models):
    backend = TransformersBackend(tiny_models[family], decoding=Decoding(beams=2, max_new_tokens=40))
    source, target = DIRECTIONS[family]
    results = backend.translate_batch(texts_for(family), source, target)
    assert len(results) == len(texts_for(family))
    for result in results:
        assert isinstance(result.text, str) and result.text == result.text.strip()
        assert not LANGUAGE_TOKEN.search(result.text), result.text
        assert "<pad>" not in result.text and "</s>" not in result.text


@pytest.mark.parametrize("family", ["nllb", "m2m100", "madlad", "marian-multi"])
def test_a_shuffled_batch_gives_each_segment_its_own_translation(family, tiny_models):
    backend = TransformersBackend(tiny_models[family], decoding=GREEDY)  # budgets differ by input length
    source, target = DIRECTIONS[family]
    texts = texts_for(family)
    alone = [backend.translate_batch([text], source, target)[0] for text in texts]
    assert len({t.text for t in alone}) > 2, "the tiny model gives (nearly) one output for all inputs"
    order = list(range(len(texts)))
    random.Random(7).shuffle(order)
    batched = backend.translate_batch([texts[i] for i in order], source, target)
    for position, index in enumerate(order):
        assert batched[position].text == alone[index].text
        assert batched[position].meta == alone[index].meta


@pytest.mark.parametrize("family", ["nllb", "madlad", "marian-multi"])
def test_decoding_settings_are_passed_explicitly(family, tiny_models, monkeypatch):
    decoding = Decoding(beams=3, max_new_tokens=7, min_new_tokens=2, repetition_penalty=1.3,
                        no_repeat_ngram_size=3, length_penalty=0.8)
    backend = TransformersBackend(tiny_models[family], decoding=decoding)
    calls = spy_generate(monkeypatch, backend)
    source, target = DIRECTIONS[family]
    results = backend.translate_batch(texts_for(family)[:2], source, target)
    options = calls[0]["options"]
    assert options["num_beams"] == 3
    assert options["max_new_tokens"] == 7
    assert options["min_new_tokens"] == 2
    assert options["repetition_penalty"] == 1.3
    assert options["no_repeat_ngram_size"] == 3
    assert options["length_penalty"] == 0.8
    assert options["do_sample"] is False
    assert options["forced_eos_token_id"] is None
    assert backend.signature().to_dict()["decoding"] == decoding.to_dict()
    # the tiny models never emit EOS: each output runs to the budget and is flagged
    for result in results:
        assert result.truncated
        assert result.meta["output_tokens"] == 7
    for row in calls[0]["output"]:
        assert len(row) - 1 <= 7  # new tokens after the decoder start


def test_a_segment_is_held_to_its_own_budget_in_a_batch(tiny_models):
    decoding = Decoding(beams=1, max_length_ratio=0.5)  # budget = int(0.5 × input tokens) + 10
    backend = TransformersBackend(tiny_models["m2m100"], decoding=decoding)
    short, long = "Қар.", " ".join(KAZAKH)
    results = backend.translate_batch([short, long], "kk", "ru")
    for text, result in zip([short, long], results):
        n = backend.count_tokens(text, "kk")
        assert result.meta["input_tokens"] == n
        assert result.meta["output_tokens"] == decoding.output_budget(n, 10_000)
        assert result.truncated
    assert results[0].meta["output_tokens"] < results[1].meta["output_tokens"]


def test_generation_config_of_the_checkpoint_is_ignored(tiny_models, tmp_path):
    changed = tmp_path / "changed"
    shutil.copytree(tiny_models["nllb"], changed)
    config = json.loads((changed / "generation_config.json").read_text())
    config.update(num_beams=5, max_length=3, forced_eos_token_id=2, no_repeat_ngram_size=1, do_sample=True, top_k=2)
    (changed / "generation_config.json").write_text(json.dumps(config))
    decoding = Decoding(beams=1, max_new_tokens=9)
    original = TransformersBackend(tiny_models["nllb"], decoding=decoding).translate_batch(KAZAKH, "kk", "ru")
    modified = TransformersBackend(changed, decoding=decoding).translate_batch(KAZAKH, "kk", "ru")
    assert [r.text for r in modified] == [r.text for r in original]
    assert all(r.meta["output_tokens"] == 9 and r.truncated for r in modified)


def test_output_ending_in_eos_is_not_truncated(tiny_models, tmp_path):
    import torch
    from transformers import MarianMTModel

    stopping = tmp_path / "stopping"
    shutil.copytree(tiny_models["marian-multi"], stopping)
    model = MarianMTModel.from_pretrained(stopping)
    with torch.no_grad():
        model.final_logits_bias[0, model.config.eos_token_id] = 1e4  # end-of-sentence wins at once
    model.save_pretrained(stopping)
    results = TransformersBackend(stopping, decoding=Decoding(beams=2)).translate_batch(ENGLISH[:2], "en", "kk")
    assert [(r.text, r.truncated, r.meta["output_tokens"]) for r in results] == [("", False, 0), ("", False, 0)]


def test_input_over_the_limit_is_cut_and_flagged(tiny_models):
    backend = TransformersBackend(tiny_models["marian-multi"], decoding=Decoding(beams=1, max_new_tokens=3))
    long = " ".join(ENGLISH * 20)
    assert backend.count_tokens(long, "en") > backend.max_input_tokens
    short, cut = backend.translate_batch([ENGLISH[0], long], "en", "kk")
    assert cut.truncated and cut.meta["input_truncated"]
    assert "input_truncated" not in short.meta


def test_count_tokens_and_limits(tiny_models):
    backend = TransformersBackend(tiny_models["madlad"])
    tokenizer = backend._load().tokenizer
    text = KAZAKH[0]
    assert backend.count_tokens(text, "kk") == len(tokenizer(text)["input_ids"]) + 1  # + the <2xx> prefix
    assert backend.max_input_tokens == 512  # T5: the family's limit
    marian = TransformersBackend(tiny_models["marian-multi"])
    assert marian.max_input_tokens == 256  # the checkpoint's positions are fewer than the family's 512


def test_supports_and_rejects_directions(tiny_models):
    backend = TransformersBackend(tiny_models["nllb"], decoding=GREEDY)
    assert backend.supports("kk", "ru") and backend.supports("en", "kk")
    assert not backend.supports("kk", "kk")
    with pytest.raises(UsageError, match="does not translate kk → kk"):
        backend.translate_batch(["Сәлем"], "kk", "kk")
    assert backend.translate_batch([], "kk", "ru") == []


def test_loaded_model_is_shared_within_the_process(tiny_models):
    first = TransformersBackend(tiny_models["m2m100"], decoding=GREEDY)
    second = TransformersBackend(tiny_models["m2m100"], decoding=Decoding(beams=4))
    assert first._load() is second._load()
    assert first._load() is not TransformersBackend(tiny_models["nllb"])._load()
    half = TransformersBackend(tiny_models["m2m100"], dtype="bf16", decoding=Decoding(beams=1, max_new_tokens=3))
    assert half._load() is not first._load() and str(half._load().model.dtype) == "torch.bfloat16"
    assert half.translate_batch(KAZAKH[:1], "kk", "en")[0].meta["output_tokens"] == 3


def test_with_decoding_shares_the_model_and_changes_only_the_settings(tiny_models, monkeypatch):
    backend = TransformersBackend(tiny_models["madlad"], decoding=Decoding(beams=1, max_new_tokens=4))
    stronger = backend.with_decoding(Decoding(beams=3, max_new_tokens=6, no_repeat_ngram_size=3))
    assert stronger._load() is backend._load()
    assert backend.signature().to_dict()["decoding"]["beams"] == 1 and stronger.signature().to_dict()["decoding"]["beams"] == 3
    assert {k: v for k, v in stronger.signature().to_dict().items() if k != "decoding"} == {
        k: v for k, v in backend.signature().to_dict().items() if k != "decoding"
    }
    calls = spy_generate(monkeypatch, stronger)
    assert stronger.translate_batch(KAZAKH[:1], "kk", "ru")[0].meta["output_tokens"] == 6
    assert calls[0]["options"]["num_beams"] == 3 and calls[0]["options"]["no_repeat_ngram_size"] == 3
    with pytest.raises(UsageError, match="beams=0"):
        backend.with_decoding(Decoding(beams=0))


def test_device_dtype_and_revision_options_are_checked(tiny_models):
    with pytest.raises(UsageError, match="float16"):
        TransformersBackend(tiny_models["nllb"], dtype="float8")
    with pytest.raises(UsageError, match="unknown device 'gpu-please'"):
        TransformersBackend(tiny_models["nllb"], device="gpu-please").count_tokens("Сәлем", "kk")
    with pytest.raises(UsageError, match="revision"):
        TransformersBackend(tiny_models["nllb"], revision="main")


# -- missing weights -----------------------------------------------------------------------------

def test_missing_default_model_offline_fails_fast_with_a_helpful_message(tmp_path, monkeypatch):
    home = tmp_path / "hf-home"
    home.mkdir()
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError) as caught:
        TransformersBackend()
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "nllb-200-distilled-600M" in message and "facebook/nllb-200-distilled-600M" in message
    assert str(home / "hub" / "models--facebook--nllb-200-distilled-600M") in message
    assert "HF_HUB_OFFLINE" in message
    assert "--model PATH" in message and "hf download facebook/nllb-200-distilled-600M" in message
    assert "(HF_HOME)" in message  # the variable that chose the cache
    short = message.replace(str(home), "HOME")  # the test's temporary directory is long
    assert len(short.splitlines()) == 2 and all(len(line) <= 200 for line in short.splitlines())
    assert caught.value.exit_code == 4


def test_unreachable_hub_fails_fast_with_the_same_advice(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError, match="downloading failed") as caught:
        TransformersBackend("m2m100_418M")
    assert time.monotonic() - started < 15
    assert "--model PATH" in str(caught.value) and "facebook/m2m100_418M" in str(caught.value)
    assert caught.value.__cause__ is not None


def test_local_directory_without_weights(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "marian"}))
    with pytest.raises(ModelUnavailableError, match="no model weights in"):
        TransformersBackend(tmp_path)


def _fake_hub_cache(home: Path, hub_id: str, model_dir: Path, commit: str) -> Path:
    repo = home / "hub" / f"models--{hub_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    shutil.copytree(model_dir, snapshot)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def test_a_preset_in_the_hugging_face_cache_loads_offline(tiny_models, tmp_path, monkeypatch):
    commit = "0123456789abcdef0123456789abcdef01234567"
    _fake_hub_cache(tmp_path, "facebook/m2m100_418M", tiny_models["m2m100"], commit)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    backend = TransformersBackend("m2m100_418M", decoding=Decoding(beams=1, max_new_tokens=4))
    assert backend.signature().to_dict()["model"] == "facebook/m2m100_418M"
    assert backend.signature().to_dict()["model_revision"] == commit
    assert len(backend.translate_batch(KAZAKH[:2], "kk", "en")) == 2
    # a pinned revision that is not in the cache is missing, and the message says which
    with pytest.raises(ModelUnavailableError, match="at revision fedcba"):
        TransformersBackend("m2m100_418M", revision="fedcba9876543210fedcba9876543210fedcba98")


def test_one_direction_preset_refuses_other_directions(tiny_models, tmp_path, monkeypatch):
    _fake_hub_cache(tmp_path, "Helsinki-NLP/opus-mt-en-trk", tiny_models["marian-multi"], "a" * 40)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    backend = TransformersBackend("opus-mt-en-trk", decoding=Decoding(beams=1, max_new_tokens=3))
    assert backend.supports("en", "kk") and not backend.supports("kk", "en")
    with pytest.raises(UsageError, match="en → kk"):
        backend.translate_batch(["Сәлем"], "kk", "en")
    assert backend.translate_batch(ENGLISH[:1], "en", "kk")[0].truncated


def test_a_hub_id_that_is_no_preset_is_found_in_the_cache_and_detected(tiny_models, tmp_path, monkeypatch):
    commit = "b" * 40
    _fake_hub_cache(tmp_path, "someone/tiny-madlad", tiny_models["madlad"], commit)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    backend = TransformersBackend("someone/tiny-madlad", decoding=Decoding(beams=1, max_new_tokens=3))
    assert backend.family.name == "madlad"
    assert backend.signature().to_dict()["model"] == "someone/tiny-madlad" and backend.signature().to_dict()["model_revision"] == commit
    assert backend.supports("ru", "kk")
    with pytest.raises(ModelUnavailableError, match=r"someone/other-model.*models--someone--other-model"):
        TransformersBackend("someone/other-model")


def test_generation_failures_become_backend_errors(tiny_models, monkeypatch):
    from kztranslate.errors import BackendError

    backend = TransformersBackend(tiny_models["nllb"], decoding=Decoding(beams=1, max_new_tokens=3))

    def out_of_memory(**_):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(backend._load().model, "generate", out_of_memory)
    with pytest.raises(BackendError, match="failed on a batch of 1 segment.*out of memory") as caught:
        backend.translate_batch(KAZAKH[:1], "kk", "ru")
    assert isinstance(caught.value.__cause__, RuntimeError) and caught.value.exit_code == 4


@pytest.mark.parametrize(("settings", "named"), [
    ({"beams": 0}, "beams=0"),
    ({"max_new_tokens": 0}, "max_new_tokens=0"),
    ({"min_new_tokens": -1, "repetition_penalty": 0.0}, "min_new_tokens=-1, repetition_penalty=0.0"),
    ({"beams": Decoding.beams}, "beams=<member"),  # a class attribute of the slots dataclass, not its default
])
def test_impossible_decoding_settings_are_usage_errors(tiny_models, settings, named):
    with pytest.raises(UsageError, match=re.escape(named)):
        TransformersBackend(tiny_models["nllb"], decoding=Decoding(**settings))


@pytest.mark.parametrize("family", ["nllb", "m2m100", "madlad", "marian-multi"])
def test_tiny_tokenizers_round_trip_kazakh(family, tiny_models):
    loaded = TransformersBackend(tiny_models[family])._load()
    tokenizer = loaded.tokenizer
    for text in [*KAZAKH, "ӘҒҚҢӨҰҮҺІ әғқңөұүһі Нұргүл Қалиева, 27 қараша 2019."]:
        ids = tokenizer(text)["input_ids"]
        assert tokenizer.unk_token_id not in ids, tokenizer.convert_ids_to_tokens(ids)
        words = [i for i in ids if i not in loaded.language_token_ids]
        assert tokenizer.decode(words, skip_special_tokens=True) == text


@pytest.mark.parametrize("family", ["nllb", "m2m100"])
def test_encoder_states_are_shared_across_targets(family, tiny_models, monkeypatch):
    """NLLB and M2M100 name the target in the decoder only: a mixed call encodes each distinct
    segment once and decodes it into both targets, with the outputs of one call per pair."""
    from kztranslate.engine.base import MixedBatchBackend

    backend = TransformersBackend(tiny_models[family], decoding=Decoding(beams=1, max_new_tokens=6))
    assert isinstance(backend, MixedBatchBackend) and backend.batch_group("kk", "ru") == backend.batch_group("kk", "en")
    expected = {t: backend.translate_batch(KAZAKH, "kk", t) for t in ("ru", "en")}
    calls = spy_generate(monkeypatch, backend)
    items = [(text, "kk", t) for text in KAZAKH + KAZAKH[:2] for t in ("ru", "en")]  # repeats encoded once too
    got = backend.translate_mixed(items)
    assert len(calls[0]["encoder_calls"]) == 1 and len(calls[0]["encoder_calls"][0]) == len(KAZAKH)
    assert len(calls) == 2  # one decoding pass per target
    for (text, _, target), output in zip(items, got, strict=True):
        reference = expected[target][KAZAKH.index(text)]
        assert (output.text, output.truncated, output.meta) == (reference.text, reference.truncated, reference.meta)


def test_prefix_families_keep_one_batch_per_pair(tiny_models):
    backend = TransformersBackend(tiny_models["madlad"], decoding=Decoding(beams=1, max_new_tokens=4))
    assert backend.batch_group("kk", "ru") != backend.batch_group("kk", "en")  # <2ru>/<2en> are on the input
    items = [(KAZAKH[0], "kk", "ru"), (KAZAKH[0], "kk", "en")]
    got = backend.translate_mixed(items)
    assert [g.text for g in got] == [backend.translate_batch(KAZAKH[:1], "kk", t)[0].text for t in ("ru", "en")]
