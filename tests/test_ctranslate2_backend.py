"""The CTranslate2 backend on the tiny models: same outputs as transformers, conversion cache, CLI,
threads, and the target-script vocabulary restriction of both backends."""

from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2", reason="the ctranslate2 backend needs CTranslate2 (a core dependency)")
pytest.importorskip("transformers")

from kztranslate.cli import main  # noqa: E402
from kztranslate.engine import Backend, Decoding, default_backend_name, load_backend  # noqa: E402
from kztranslate.engine.base import MixedBatchBackend  # noqa: E402
from kztranslate.engine import ctranslate2_backend as ct2_module  # noqa: E402
from kztranslate.engine.ctranslate2_backend import CTranslate2Backend, physical_cores  # noqa: E402
from kztranslate.engine.hf_model import piece_scripts  # noqa: E402
from kztranslate.engine.transformers_backend import TransformersBackend  # noqa: E402
from kztranslate.errors import ModelUnavailableError, UsageError  # noqa: E402

from samples import ENGLISH, KAZAKH  # noqa: E402
#: Directions each tiny model signals (the OPUS-MT style model only knows target tokens).
DIRECTIONS = {
    "nllb": [("kk", "ru"), ("kk", "en")],
    "m2m100": [("kk", "ru"), ("kk", "en")],
    "madlad": [("kk", "ru"), ("kk", "en")],
    "marian-multi": [("en", "kk"), ("en", "ru")],
}
FAMILIES = list(DIRECTIONS)
GREEDY = Decoding(beams=1)


def texts_for(source: str) -> list[str]:
    return ENGLISH if source == "en" else KAZAKH


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One conversion cache for the module: each tiny model is converted once per compute type."""
    return tmp_path_factory.mktemp("ct2-cache")


def ct2(model: Path, cache: Path, decoding: Decoding = GREEDY, **options) -> CTranslate2Backend:
    return CTranslate2Backend(model, decoding=decoding, compute_type=options.pop("compute_type", "float32"),
                              cache_dir=cache, **options)


# -- same outputs as the transformers backend ----------------------------------------------------

@pytest.mark.parametrize("family", FAMILIES)
def test_same_outputs_as_transformers_at_float32_greedy(family, tiny_models, cache):
    for decoding in (GREEDY, Decoding(beams=1, max_new_tokens=5)):
        reference = TransformersBackend(tiny_models[family], decoding=decoding)
        fast = ct2(tiny_models[family], cache, decoding)
        for source, target in DIRECTIONS[family]:
            texts = texts_for(source)
            expected = reference.translate_batch(texts, source, target)
            got = fast.translate_batch(texts, source, target)
            assert [(r.text, r.truncated, r.meta) for r in got] == [(r.text, r.truncated, r.meta) for r in expected]
            assert len({r.text for r in got}) > 2, "outputs do not depend on the input"


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("decoding", [
    Decoding(beams=3, max_new_tokens=7, min_new_tokens=3, length_penalty=0.6),
    Decoding(beams=1, max_new_tokens=7, repetition_penalty=1.3, no_repeat_ngram_size=2),
], ids=["beams", "greedy-penalties"])
def test_same_outputs_with_beams_and_penalties(family, decoding, tiny_models, cache):
    # Beam search combined with repetition_penalty or no_repeat_ngram_size differs between the
    # libraries, which implement them their own way there (transformers penalizes log-probabilities
    # in beam search, CTranslate2 logits), so those combinations are not compared.
    source, target = DIRECTIONS[family][0]
    texts = texts_for(source)
    expected = TransformersBackend(tiny_models[family], decoding=decoding).translate_batch(texts, source, target)
    got = ct2(tiny_models[family], cache, decoding).translate_batch(texts, source, target)
    assert [(r.text, r.meta) for r in got] == [(r.text, r.meta) for r in expected]


def test_is_a_backend_and_the_default_where_installed(tiny_models, cache):
    assert default_backend_name() == "ctranslate2"
    backend = load_backend("ctranslate2", model=str(tiny_models["nllb"]), decoding=GREEDY, cache_dir=cache)
    assert isinstance(backend, CTranslate2Backend) and isinstance(backend, Backend)
    assert backend.compute_type == "int8"  # the CPU default
    assert backend.signature().to_dict() == {
        "backend": "ctranslate2", "model": str(tiny_models["nllb"].resolve()), "model_revision": None,
        "decoding": GREEDY.to_dict(), "compute_type": "int8",
    }
    results = backend.translate_batch(KAZAKH[:2], "kk", "ru")
    assert all(isinstance(r.text, str) and r.truncated for r in results)  # the tiny models never stop


# -- target signal, budgets, truncation, batching --------------------------------------------------

def spy_translate(monkeypatch: pytest.MonkeyPatch, backend: CTranslate2Backend) -> list[dict]:
    calls: list[dict] = []
    loaded = backend._load()
    real = loaded.translator

    class Spy:
        def translate_batch(self, source, prefix, **options):
            calls.append({"source": source, "prefix": prefix, "options": options})
            return real.translate_batch(source, prefix, **options)

    monkeypatch.setattr(loaded, "translator", Spy())
    return calls


@pytest.mark.parametrize(("family", "source_token", "prefix"), [
    ("nllb", "kaz_Cyrl", [["rus_Cyrl"]] * 2),
    ("m2m100", "__kk__", [["__ru__"]] * 2),
    ("madlad", "<2ru>", None),
])
def test_target_signal(family, source_token, prefix, tiny_models, cache, monkeypatch):
    backend = ct2(tiny_models[family], cache, Decoding(beams=1, max_new_tokens=4))
    calls = spy_translate(monkeypatch, backend)
    backend.translate_batch(KAZAKH[:2], "kk", "ru")
    (call,) = calls
    assert [tokens[0] for tokens in call["source"]] == [source_token] * 2
    assert all(tokens[-1] == "</s>" for tokens in call["source"])
    assert call["prefix"] == prefix
    assert call["options"]["max_decoding_length"] == 4 and call["options"]["beam_size"] == 1


def test_marian_target_token_leads_the_input_and_pad_is_not_suppressed(tiny_models, cache, monkeypatch):
    backend = ct2(tiny_models["marian-multi"], cache, Decoding(beams=1, max_new_tokens=4))
    calls = spy_translate(monkeypatch, backend)
    backend.translate_batch(ENGLISH[:1], "en", "kk")
    assert calls[0]["source"][0][0] == ">>kaz_Cyrl<<" and calls[0]["prefix"] is None
    assert calls[0]["options"]["suppress_sequences"] is None  # CTranslate2 drops Marian's <pad> itself


@pytest.mark.parametrize("family", FAMILIES)
def test_a_shuffled_batch_gives_each_segment_its_own_translation(family, tiny_models, cache):
    backend = ct2(tiny_models[family], cache)
    source, target = DIRECTIONS[family][0]
    texts = texts_for(source)
    alone = [backend.translate_batch([text], source, target)[0] for text in texts]
    order = list(range(len(texts)))
    random.Random(3).shuffle(order)
    batched = backend.translate_batch([texts[i] for i in order], source, target)
    for position, index in enumerate(order):
        assert (batched[position].text, batched[position].meta) == (alone[index].text, alone[index].meta)


#: Pairs a mixed batch may hold (each model takes those it supports).
MIXED_PAIRS = [("kk", "ru"), ("kk", "en"), ("en", "kk"), ("en", "ru"), ("ru", "kk")]


@pytest.mark.parametrize("restrict", [False, True], ids=["full-vocabulary", "vocabulary-map"])
@pytest.mark.parametrize("family", FAMILIES)
def test_mixed_batches_give_the_per_pair_outputs(family, restrict, tiny_models, cache):
    """Segments of several pairs decoded together (shuffled, as the scheduler groups them) come back
    exactly as in per-pair batches: text, budgets, truncation flags, in order."""
    backend = ct2(tiny_models[family], cache, Decoding(beams=1, max_length_ratio=0.5), restrict_vocabulary=restrict)
    pairs = [pair for pair in MIXED_PAIRS if backend.supports(*pair)]
    if restrict and family in ("nllb", "m2m100"):
        # CTranslate2 4.8 fails with the map on en → ru already per pair (vector::_M_range_check on the
        # forced code) on these tiny models; that is no question of mixing, so it is left out here.
        pairs.remove(("en", "ru"))
    assert len(pairs) >= 2
    long = " ".join(ENGLISH * 20)  # over the input limit: cut and flagged
    items = [(text, s, t) for s, t in pairs for text in texts_for(s)[:3] + [long]]
    per_pair = {(s, t): backend.translate_batch([text for text, s2, t2 in items if (s2, t2) == (s, t)], s, t)
                for s, t in pairs}
    expected = {}
    for (s, t), outputs in per_pair.items():
        for (text, _, _), output in zip([i for i in items if i[1:] == (s, t)], outputs, strict=True):
            expected[text, s, t] = output
    random.Random(5).shuffle(items)
    groups: dict = {}
    for item in items:
        groups.setdefault(backend.batch_group(*item[1:]), []).append(item)
    assert len(groups) == (1 if not restrict else len({backend.batch_group(s, t) for s, t in pairs}))
    assert any(len({i[1:] for i in group}) > 1 for group in groups.values())  # some batch really mixes pairs
    for group in groups.values():
        for item, got in zip(group, backend.translate_mixed(group), strict=True):
            want = expected[item]
            assert (got.text, got.truncated, got.meta) == (want.text, want.truncated, want.meta), item[1:]
    assert any(output.meta.get("input_truncated") for output in expected.values())


def test_a_mixed_batch_is_one_call_with_each_rows_languages(tiny_models, cache, monkeypatch):
    backend = ct2(tiny_models["nllb"], cache, Decoding(beams=1, max_new_tokens=3))
    assert isinstance(backend, MixedBatchBackend)
    calls = spy_translate(monkeypatch, backend)
    backend.translate_mixed([(KAZAKH[0], "kk", "ru"), (ENGLISH[0], "en", "kk"), (KAZAKH[1], "kk", "en")])
    (call,) = calls
    assert [tokens[0] for tokens in call["source"]] == ["kaz_Cyrl", "eng_Latn", "kaz_Cyrl"]
    assert call["prefix"] == [["rus_Cyrl"], ["kaz_Cyrl"], ["eng_Latn"]]


def test_the_vocabulary_map_keeps_batches_within_its_key(tiny_models, cache):
    free = ct2(tiny_models["madlad"], cache)
    assert free.batch_group("kk", "ru") == free.batch_group("en", "kk")  # mixes freely
    madlad = ct2(tiny_models["madlad"], cache, restrict_vocabulary=True)  # keyed on the target prefix
    assert madlad.batch_group("kk", "ru") == madlad.batch_group("en", "ru") != madlad.batch_group("kk", "en")
    nllb = ct2(tiny_models["nllb"], cache, restrict_vocabulary=True)  # keyed on the source code
    assert nllb.batch_group("kk", "ru") == nllb.batch_group("kk", "en") != nllb.batch_group("en", "kk")
    # why: one batch is restricted to the union of its rows' entries, so crossing keys changes outputs
    items = [(text, "kk", target) for target in ("ru", "en") for text in KAZAKH[:3]]
    per_pair = [r.text for target in ("ru", "en") for r in madlad.translate_batch(KAZAKH[:3], "kk", target)]
    assert [r.text for r in madlad.translate_mixed(items)] != per_pair


def test_a_segment_is_held_to_its_own_budget_in_a_batch(tiny_models, cache):
    decoding = Decoding(beams=1, max_length_ratio=0.5)
    backend = ct2(tiny_models["m2m100"], cache, decoding)
    short, long = "Қар.", " ".join(KAZAKH)
    results = backend.translate_batch([short, long], "kk", "ru")
    for text, result in zip([short, long], results):
        n = backend.count_tokens(text, "kk")
        assert result.meta == {"input_tokens": n, "output_tokens": decoding.output_budget(n, 10_000)}
        assert result.truncated


def test_output_ending_in_eos_is_not_truncated(tiny_models, cache, tmp_path):
    import torch
    from transformers import MarianMTModel

    stopping = tmp_path / "stopping"
    shutil.copytree(tiny_models["marian-multi"], stopping)
    model = MarianMTModel.from_pretrained(stopping)
    with torch.no_grad():
        model.final_logits_bias[0, model.config.eos_token_id] = 1e4  # end-of-sentence wins at once
    model.save_pretrained(stopping)
    for decoding in (GREEDY, Decoding(beams=2)):
        results = ct2(stopping, cache, decoding).translate_batch(ENGLISH[:2], "en", "kk")
        assert [(r.text, r.truncated, r.meta["output_tokens"]) for r in results] == [("", False, 0)] * 2


def test_input_over_the_limit_is_cut_and_flagged(tiny_models, cache):
    backend = ct2(tiny_models["marian-multi"], cache, Decoding(beams=1, max_new_tokens=3))
    long = " ".join(ENGLISH * 20)
    assert backend.count_tokens(long, "en") > backend.max_input_tokens == 256
    short, cut = backend.translate_batch([ENGLISH[0], long], "en", "kk")
    assert cut.truncated and cut.meta["input_truncated"] and "input_truncated" not in short.meta


def test_directions_are_checked(tiny_models, cache):
    backend = ct2(tiny_models["nllb"], cache)
    assert backend.supports("kk", "en") and not backend.supports("kk", "kk") and not backend.supports("kk", "de")
    with pytest.raises(UsageError, match="does not translate"):
        backend.translate_batch(["x"], "kk", "de")


def test_with_decoding_shares_the_translator(tiny_models, cache):
    backend = ct2(tiny_models["nllb"], cache, Decoding(beams=1, max_new_tokens=3))
    longer = backend.with_decoding(Decoding(beams=1, max_new_tokens=6))
    assert longer._load() is backend._load()
    assert longer.translate_batch(KAZAKH[:1], "kk", "ru")[0].meta["output_tokens"] == 6
    assert backend.translate_batch(KAZAKH[:1], "kk", "ru")[0].meta["output_tokens"] == 3


# -- conversion: cached once, converted directories, missing weights -----------------------------

def test_a_model_is_converted_once_and_the_copy_reused(tiny_models, tmp_path, monkeypatch):
    conversions: list[Path] = []
    real = ct2_module.convert_checkpoint

    def counting(*args, **kwargs):
        conversions.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(ct2_module, "convert_checkpoint", counting)
    monkeypatch.setattr(ct2_module, "_LOADED", {})
    monkeypatch.setenv("KZTRANSLATE_CT2_CACHE", str(tmp_path / "cache"))
    first = CTranslate2Backend(tiny_models["madlad"], decoding=GREEDY)
    first.translate_batch(KAZAKH[:1], "kk", "ru")
    (converted,) = conversions
    assert converted == first.ct2_dir and converted.parent == tmp_path / "cache"
    assert converted.name.startswith("madlad-") and converted.name.endswith("-int8") and "@local-" in converted.name
    stamp = (converted / "model.bin").stat().st_mtime_ns
    assert {"model.bin", "config.json", "tokenizer.json", "tokenizer_config.json", "vmap.txt", "kztranslate.json"} <= {
        p.name for p in converted.iterdir()
    }
    monkeypatch.setattr(ct2_module, "_LOADED", {})  # as a new process would
    second = CTranslate2Backend(tiny_models["madlad"], decoding=GREEDY)
    assert second.translate_batch(KAZAKH[:1], "kk", "ru")[0].text == first.translate_batch(KAZAKH[:1], "kk", "ru")[0].text
    assert len(conversions) == 1 and (converted / "model.bin").stat().st_mtime_ns == stamp
    # int8_float16 stores the same int8 weights: the same conversion
    assert CTranslate2Backend(tiny_models["madlad"], compute_type="int8_float16", device="cpu").ct2_dir == converted


def test_a_converted_directory_loads_directly(tiny_models, cache, tmp_path, monkeypatch):
    out = tmp_path / "nllb-ct2"
    assert main(["models", "convert", str(tiny_models["nllb"]), "--quantization", "float32", "--output", str(out)]) == 0
    monkeypatch.setattr(ct2_module, "convert_checkpoint", lambda *a, **k: pytest.fail("reconverted"))
    direct = CTranslate2Backend(out, decoding=GREEDY, compute_type="float32")
    assert direct.family.name == "nllb" and direct.ct2_dir == out.resolve()
    assert direct.signature().to_dict()["model"] == str(out.resolve())
    expected = ct2(tiny_models["nllb"], cache).translate_batch(KAZAKH, "kk", "en")
    assert [r.text for r in direct.translate_batch(KAZAKH, "kk", "en")] == [r.text for r in expected]
    with pytest.raises(UsageError, match="revision"):
        CTranslate2Backend(out, revision="main")


def test_a_conversion_made_elsewhere_is_recognized_by_its_tokenizer(tiny_models, tmp_path):
    out = tmp_path / "foreign"
    assert main(["models", "convert", str(tiny_models["marian-multi"]), "--output", str(out)]) == 0
    (out / "kztranslate.json").unlink()  # as ct2-transformers-converter --copy_files leaves it
    backend = CTranslate2Backend(out, decoding=Decoding(beams=1, max_new_tokens=3))
    assert backend.family.name == "marian-multi"
    assert backend.translate_batch(ENGLISH[:1], "en", "kk")[0].meta["output_tokens"] == 3


def test_missing_default_model_offline_fails_fast_like_transformers(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError) as caught:
        CTranslate2Backend(cache_dir=tmp_path / "cache")
    assert time.monotonic() - started < 5
    with pytest.raises(ModelUnavailableError) as reference:
        TransformersBackend()
    assert str(caught.value) == str(reference.value) and caught.value.exit_code == 4
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text(json.dumps({"model_type": "marian"}))
    with pytest.raises(ModelUnavailableError, match="no model weights"):
        CTranslate2Backend(empty, cache_dir=tmp_path / "cache")


def test_a_preset_in_the_hugging_face_cache_is_converted_under_its_hub_id_and_commit(tiny_models, tmp_path, monkeypatch):
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--facebook--m2m100_418M"
    shutil.copytree(tiny_models["m2m100"], repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    backend = CTranslate2Backend("m2m100_418M", decoding=Decoding(beams=1, max_new_tokens=4), cache_dir=tmp_path / "c")
    assert backend.ct2_dir == tmp_path / "c" / f"facebook--m2m100_418M@{commit}-int8"
    assert backend.signature().to_dict()["model"] == "facebook/m2m100_418M" and backend.signature().to_dict()["model_revision"] == commit
    assert backend.translate_batch(KAZAKH[:1], "kk", "en")[0].meta["output_tokens"] == 4


# -- the models convert command -----------------------------------------------------------------

def test_models_convert_command(tiny_models, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["models", "convert", str(tiny_models["m2m100"]), "--output", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["family"] == "m2m100" and report["quantization"] == "int8" and report["output"] == str(out)
    names = {p.name for p in out.iterdir()}
    assert {"model.bin", "config.json", "shared_vocabulary.json", "vocab.json", "sentencepiece.bpe.model",
            "tokenizer_config.json", "vmap.txt", "kztranslate.json"} <= names
    assert not any(p.name.startswith(".out.") for p in tmp_path.iterdir())  # no leftover work directory
    vocabulary = json.loads((out / "shared_vocabulary.json").read_text())
    assert "__kk__" in vocabulary and "__ru__" in vocabulary  # the language tokens transformers 5 hides
    stamp = (out / "model.bin").stat().st_mtime_ns
    assert main(["models", "convert", str(tiny_models["m2m100"]), "--output", str(out)]) == 0
    assert (out / "model.bin").stat().st_mtime_ns == stamp  # already converted: kept
    assert main(["models", "convert", str(tiny_models["m2m100"]), "--output", str(out), "--force",
                 "--quantization", "float32"]) == 0
    assert json.loads((out / "kztranslate.json").read_text())["quantization"] == "float32"
    with pytest.raises(SystemExit) as bad:
        main(["models", "convert", str(tiny_models["m2m100"]), "--quantization", "int3"])
    assert bad.value.code == 2
    assert main(["models", "convert", str(tmp_path / "nowhere"), "--output", str(tmp_path / "x")]) == 4
    stderr = capsys.readouterr().err
    assert "no such directory" in stderr and "--help" not in stderr


# -- devices, compute types, threads -------------------------------------------------------------

def test_threads_and_compute_type_options(tiny_models, cache, monkeypatch):
    import ctranslate2

    backend = ct2(tiny_models["nllb"], cache)
    assert (backend.inter_threads, backend.intra_threads) == (1, physical_cores())
    assert 1 <= physical_cores() <= (len(__import__("os").sched_getaffinity(0)))
    created: list[dict] = []
    real = ctranslate2.Translator

    def recording(path, **options):
        created.append(options)
        return real(path, **options)

    monkeypatch.setattr(ctranslate2, "Translator", recording)
    monkeypatch.setattr(ct2_module, "_LOADED", {})
    tuned = ct2(tiny_models["nllb"], cache, inter_threads=2, intra_threads=1)
    assert tuned.translate_batch(KAZAKH[:1], "kk", "ru")
    assert created == [{"device": "cpu", "device_index": 0, "compute_type": "float32", "inter_threads": 2,
                        "intra_threads": 1}]
    for bad in ({"inter_threads": 0}, {"intra_threads": -1}, {"intra_threads": 1.5}, {"compute_type": "int3"},
                {"device": "tpu"}):
        with pytest.raises(UsageError):
            CTranslate2Backend(tiny_models["nllb"], cache_dir=cache, **bad)


# -- the vocabulary restriction ------------------------------------------------------------------

@pytest.mark.parametrize("backend_class", ["transformers", "ctranslate2"])
def test_restricting_the_vocabulary_changes_only_outputs_that_leave_the_target_script(backend_class, tiny_models,
                                                                                      cache):
    """Greedy decoding over a subset picks the same token wherever the free choice lies in the subset:
    outputs whose every piece is allowed must not change; the others must change into allowed pieces."""
    untouched = touched = 0
    for family in ["nllb", "m2m100", "madlad", "marian-multi"]:
        for source, target in DIRECTIONS[family]:
            make = (lambda **o: TransformersBackend(tiny_models[family], decoding=Decoding(beams=1, max_new_tokens=6),
                                                     **o)) if backend_class == "transformers" else (
                lambda **o: ct2(tiny_models[family], cache, Decoding(beams=1, max_new_tokens=6), **o))
            free, restricted = make(), make(restrict_vocabulary=True)
            loaded = restricted._load()
            text = loaded.text
            size = (loaded.model.get_output_embeddings().weight.shape[0] if backend_class == "transformers"
                    else len(loaded.vocabulary))
            if backend_class == "ctranslate2" and family in ("nllb", "m2m100"):
                # the map is keyed on the source code: every target reachable from the source
                targets = [t for t in ("kk", "ru", "en") if t != source]
            else:
                targets = [target]
            allowed = text.target_vocabulary(targets, size)
            assert restricted.signature().to_dict()["vocabulary"] == "target script" and "vocabulary" not in free.signature().to_dict()
            for sentence in texts_for(source)[:3]:
                free_ids = _output_ids(free, sentence, source, target)
                restricted_ids = _output_ids(restricted, sentence, source, target)
                assert set(restricted_ids) <= allowed, text.tokenizer.convert_ids_to_tokens(restricted_ids)
                if set(free_ids) <= allowed:
                    untouched += 1
                    assert restricted_ids == free_ids
                    a, b = (backend.translate_batch([sentence], source, target)[0] for backend in (free, restricted))
                    assert (b.text, b.meta) == (a.text, a.meta)
                else:
                    touched += 1
                    assert restricted_ids != free_ids
    assert untouched >= 3 and touched >= 3, (untouched, touched)  # both cases were exercised


def _output_ids(backend, sentence: str, source: str, target: str) -> list[int]:
    """The generated ids of one segment, without the forced target code, via each backend's runtime."""
    loaded = backend._load()
    if isinstance(backend, TransformersBackend):
        import torch

        with loaded.lock:
            prepared = loaded.text.prepare([sentence], source, target)
            encoded = loaded.tokenizer(prepared, return_tensors="pt")
        options = backend._generate_options(loaded, target, 6)
        with torch.inference_mode():
            row = loaded.model.generate(**encoded, **options)[0].tolist()[1:]
    else:
        with loaded.lock:
            prepared = loaded.text.prepare([sentence], source, target)
            tokens = loaded.tokenizer.convert_ids_to_tokens(loaded.tokenizer(prepared)["input_ids"][0])
        code = loaded.text.target_token_id(target)
        prefix = [[loaded.tokenizer.convert_ids_to_tokens(code)]] if code is not None else None
        hypothesis = loaded.translator.translate_batch([tokens], prefix, **backend._options(loaded, 6))[0].hypotheses[0]
        row = loaded.tokenizer.convert_tokens_to_ids(hypothesis)
    code = loaded.text.target_token_id(target)
    return [i for i in row if i != code]


def test_prefix_families_restrict_exactly_like_transformers(tiny_models, cache):
    for family, source, target in [("madlad", "kk", "en"), ("madlad", "kk", "ru"), ("marian-multi", "en", "ru")]:
        decoding = Decoding(beams=1, max_new_tokens=6)
        a = TransformersBackend(tiny_models[family], decoding=decoding, restrict_vocabulary=True)
        b = ct2(tiny_models[family], cache, decoding, restrict_vocabulary=True)
        texts = texts_for(source)
        assert [r.text for r in b.translate_batch(texts, source, target)] == [
            r.text for r in a.translate_batch(texts, source, target)
        ]


def test_target_scripts_of_pieces():
    assert piece_scripts("▁Қала") == {"CYRILLIC"} and piece_scripts("▁The") == {"LATIN"}
    assert piece_scripts("▁2019,") == frozenset() and piece_scripts("[[1]]") == frozenset()
    assert piece_scripts("kaz_Cyrl") == {"LATIN"}  # why language tokens are excluded by id, not by script


def test_restriction_needs_a_multilingual_model(tiny_models, cache, tmp_path):
    one_way = tmp_path / "one-way"
    shutil.copytree(tiny_models["marian-multi"], one_way)
    vocab = json.loads((one_way / "vocab.json").read_text())
    renamed = {("x" + t.strip(">") if t.startswith(">>") else t): i for t, i in vocab.items()}
    (one_way / "vocab.json").write_text(json.dumps(renamed, ensure_ascii=False))
    for make in (TransformersBackend, lambda m, **o: CTranslate2Backend(m, cache_dir=cache, **o)):
        with pytest.raises(UsageError, match="multilingual"):
            make(one_way, restrict_vocabulary=True)
