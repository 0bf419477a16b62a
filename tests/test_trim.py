"""Trimmed target vocabularies (CTranslate2): exact scores and greedy outputs on the tiny models of
every multilingual family, what the kept list holds, how it is recorded, the CLI and the memory key."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2", reason="trimming converts with CTranslate2 (a core dependency)")
pytest.importorskip("transformers")

import numpy as np

from kztranslate.cli import main
from kztranslate.engine import Decoding
from kztranslate.engine.ctranslate2_backend import CTranslate2Backend, convert_checkpoint
from kztranslate.engine.hf_model import ModelText
from kztranslate.engine.memory import memory_signature
from kztranslate.engine.registry import FAMILIES, PRESETS
from kztranslate.engine.trim import (
    SourceTrim,
    TargetTrim,
    alphabet,
    kept_source_ids,
    kept_target_ids,
    parse_languages,
    respell,
    restrict_bpe_tokenizer,
)
from kztranslate.errors import UsageError
from samples import CORPUS, ENGLISH, KAZAKH

DIRECTIONS = {
    "nllb": [("kk", "ru"), ("kk", "en")],
    "m2m100": [("kk", "ru"), ("kk", "en")],
    "madlad": [("kk", "ru"), ("kk", "en")],
    "marian-multi": [("en", "kk"), ("en", "ru")],
}


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def texts_for(source: str) -> list[str]:
    return ENGLISH if source == "en" else KAZAKH


def default_trim(model: Path, family: str) -> TargetTrim:
    config = json.loads((model / "config.json").read_text())
    text = ModelText.load(FAMILIES[family], model, family)
    return kept_target_ids(text, ["kk", "ru", "en"], config["vocab_size"], config.get("decoder_start_token_id"))


def halved(trim: TargetTrim, model: Path, family: str) -> TargetTrim:
    """``trim`` with a random half of its word pieces dropped (special tokens and codes kept), so
    that outputs of the tiny models often need a piece the trimmed model no longer has."""
    text = ModelText.load(FAMILIES[family], model, family)
    tokenizer = text.tokenizer
    needed = {tokenizer.eos_token_id, tokenizer.unk_token_id, tokenizer.pad_token_id, tokenizer.bos_token_id}
    needed |= {i for t in ("kk", "ru", "en") if (i := text.target_token_id(t)) is not None}
    needed |= {tokenizer.convert_tokens_to_ids(FAMILIES[family].target_prefix(t).strip()) for t in ("kk", "ru", "en")
               if FAMILIES[family].target_signal != "forced_bos"}
    config = json.loads((model / "config.json").read_text())
    needed.add(config.get("decoder_start_token_id"))
    rng = random.Random(7)
    kept = {i for i in trim.ids if i in needed or rng.random() < 0.5}
    return TargetTrim(trim.languages, tuple(sorted(kept)), trim.full_size, ())


@pytest.fixture(scope="module")
def conversions(tiny_models, tmp_path_factory) -> dict[str, dict[str, object]]:
    """Per family: float32 conversions (full, trimmed by the default list, trimmed to half of it)."""
    root = tmp_path_factory.mktemp("trim")
    made: dict[str, dict[str, object]] = {}
    for family in DIRECTIONS:
        model = tiny_models[family]
        trim = default_trim(model, family)
        half = halved(trim, model, family)
        entry: dict[str, object] = {"trim": trim, "half": half}
        for name, kept in (("full", None), ("trimmed", trim), ("halved", half)):
            entry[name] = convert_checkpoint(model, FAMILIES[family], root / f"{family}-{name}", "float32",
                                             source_name=family, trim=kept)
        for name in ("trimmed", "halved"):  # what the conversion kept (Marian's <pad> never is)
            marker = json.loads((Path(entry[name]) / "kztranslate.json").read_text())["target_vocabulary"]
            entry["trim" if name == "trimmed" else "half"] = TargetTrim.from_marker(marker)
        made[family] = entry
    return made


def translator(directory: Path):
    import ctranslate2

    return ctranslate2.Translator(str(directory), device="cpu", compute_type="float32")


def source_tokens(model: Path, family: str, sentence: str, source: str, target: str) -> tuple[list[str], list[str]]:
    text = ModelText.load(FAMILIES[family], model, family)
    prepared = text.prepare([sentence], source, target)
    tokens = text.tokenizer.convert_ids_to_tokens(text.tokenizer(prepared)["input_ids"][0])
    code = text.target_token_id(target)
    return tokens, ([text.tokenizer.convert_ids_to_tokens(code)] if code is not None else [])


# -- exactness ---------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["trimmed", "halved"])
@pytest.mark.parametrize("family", list(DIRECTIONS))
def test_trimmed_scores_are_the_full_models_scores_of_the_kept_pieces(family, variant, tiny_models, conversions):
    """At every step of the trimmed model's greedy output, its logits equal the full model's logits
    (same prefix forced) at the kept ids; hence also the probabilities renormalized over them."""
    entry = conversions[family]
    kept = list((entry["trim"] if variant == "trimmed" else entry["half"]).ids)
    full, trimmed = translator(entry["full"]), translator(entry[variant])
    options = {"beam_size": 1, "max_decoding_length": 6, "return_logits_vocab": True, "max_input_length": 0}
    steps = 0
    for source, target in DIRECTIONS[family]:
        for sentence in texts_for(source):
            tokens, prefix = source_tokens(tiny_models[family], family, sentence, source, target)
            small = trimmed.translate_batch([tokens], [prefix] if prefix else None, **options)[0]
            path = small.hypotheses[0]
            whole = full.translate_batch([tokens], [path], **options)[0]
            assert whole.hypotheses[0][:len(path)] == path
            for a, b in zip(small.logits[0], whole.logits[0], strict=False):
                a, b = np.asarray(a), np.asarray(b)
                assert a.shape == (len(kept),) and b.shape[0] == entry["trim"].full_size
                assert variant == "trimmed" or len(kept) < entry["trim"].full_size
                np.testing.assert_allclose(a, b[kept], rtol=1e-5, atol=1e-5)
                finite = a > -1e30  # CTranslate2 masks some ids (e.g. </s> under min length) with -inf
                log_a = a[finite] - np.logaddexp.reduce(a[finite])
                log_b = b[kept][finite] - np.logaddexp.reduce(b[kept][finite])
                np.testing.assert_allclose(log_a, log_b, atol=1e-5)
                steps += 1
    assert steps >= 20


def test_greedy_output_is_the_full_models_whenever_it_uses_only_kept_pieces(tiny_models, conversions):
    untouched = touched = 0
    decoding = Decoding(beams=1, max_new_tokens=5)
    for family, directions in DIRECTIONS.items():
        entry = conversions[family]
        for variant in ("trimmed", "halved"):
            kept = set((entry["trim"] if variant == "trimmed" else entry["half"]).ids)
            full = CTranslate2Backend(entry["full"], decoding=decoding, compute_type="float32")
            small = CTranslate2Backend(entry[variant], decoding=decoding, compute_type="float32")
            loaded = full._load()
            for source, target in directions:
                texts = texts_for(source)
                expected = full.translate_batch(texts, source, target)
                got = small.translate_batch(texts, source, target)
                for sentence, a, b in zip(texts, expected, got, strict=True):
                    tokens, prefix = source_tokens(tiny_models[family], family, sentence, source, target)
                    path = loaded.translator.translate_batch([tokens], [prefix] if prefix else None,
                                                             **full._options(loaded, 5))[0].hypotheses[0]
                    ids = {loaded.token_ids[t] for t in path}
                    if ids <= kept:
                        untouched += 1
                        assert (b.text, b.truncated, b.meta) == (a.text, a.truncated, a.meta)
                    else:
                        touched += 1
                        assert b.text != a.text
    assert untouched >= 10 and touched >= 5, (untouched, touched)  # both cases were exercised


def test_the_encoder_keeps_the_full_source_vocabulary(tiny_models, conversions):
    for entry in conversions.values():
        trimmed = Path(entry["halved"])
        full_vocabulary = json.loads((Path(entry["full"]) / "shared_vocabulary.json").read_text())
        assert json.loads((trimmed / "source_vocabulary.json").read_text()) == full_vocabulary
        target = json.loads((trimmed / "target_vocabulary.json").read_text())
        assert target == [full_vocabulary[i] for i in entry["half"].ids]


# -- what the kept list holds ----------------------------------------------------------------------

@pytest.mark.parametrize("family", list(DIRECTIONS))
def test_the_kept_list_holds_alphabets_markers_specials_and_target_codes(family, tiny_models, conversions):
    trim: TargetTrim = conversions[family]["trim"]
    kept = set(trim.ids)
    text = ModelText.load(FAMILIES[family], tiny_models[family], family)
    tokenizer = text.tokenizer
    characters = alphabet(["kk", "ru", "en"])
    assert set("әғқңөұүһіӘҒҚҢӨҰҮҺІёЁ" "äğñöūüşİı" "0123456789" "«»—№%") <= set(characters)
    for character in characters:
        for piece in (character, "▁" + character):
            token_id = tokenizer.convert_tokens_to_ids(piece)
            if isinstance(token_id, int) and token_id != tokenizer.unk_token_id:
                assert token_id in kept, piece
    for sample in ("Жиналыс [[12]] басталады <1>сөз</1> <2/> &lt;", "NURGÜL QALİEVA 2019 jyly", "Қыста «Алматы»"):
        assert set(tokenizer(sample, add_special_tokens=False)["input_ids"]) <= kept, sample
    specials = [tokenizer.eos_token_id, tokenizer.unk_token_id]
    if family != "marian-multi":  # CTranslate2 drops Marian's <pad> (its decoder starts from zeros)
        specials.append(tokenizer.pad_token_id)
    assert set(specials) <= kept
    codes = {i for t in ("kk", "ru", "en") if (i := text.target_token_id(t)) is not None}
    assert codes <= kept
    others = set(text.language_token_ids) - codes - {
        tokenizer.convert_tokens_to_ids(FAMILIES[family].target_prefix(t).strip()) for t in ("kk", "ru", "en")}
    assert not (others & kept), "another language's code was kept"
    assert others or family != "m2m100"  # M2M100's tokenizer knows 100 languages: 97 codes dropped
    babel = next(c["name"] for c in trim.corpus if c["name"].startswith("babel"))
    assert [c["name"] for c in trim.corpus][:2] == ["kztranslate.testing.SAMPLE_TEXT", babel]
    assert all(c["lines"] > 0 and len(c["sha256"]) == 64 for c in trim.corpus)


def test_fewer_languages_keep_fewer_pieces_and_refuse_the_others(tiny_models, tmp_path):
    model = tiny_models["m2m100"]
    backend = CTranslate2Backend(model, decoding=Decoding(beams=1, max_new_tokens=4), cache_dir=tmp_path,
                                 trim_target="en,kk")
    assert backend.trim_target == ("kk", "en")
    assert backend.supports("kk", "en") and not backend.supports("kk", "ru")
    with pytest.raises(UsageError, match="kk → ru"):
        backend.translate_batch(KAZAKH[:1], "kk", "ru")
    assert backend.translate_batch(KAZAKH[:1], "kk", "en")[0].meta["output_tokens"] == 4
    full = default_trim(model, "m2m100")
    assert len(backend.target_trim().ids) < len(full.ids)
    assert backend.ct2_dir.name.endswith("-int8-trim-kk.en")
    for bad in ("de", "", "kk,xx"):
        with pytest.raises(UsageError, match="--trim-target"):
            parse_languages(bad)


def test_a_corpus_adds_its_pieces_and_is_recorded(tiny_models, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.kk.txt").write_text("# a comment line is skipped\nҚазақстан Республикасы\n", encoding="utf-8")
    (corpus / "b.tsv").write_text("бір\tone\t0.9\n", encoding="utf-8")
    model = tiny_models["nllb"]
    config = json.loads((model / "config.json").read_text())
    text = ModelText.load(FAMILIES["nllb"], model, "nllb")
    trim = kept_target_ids(text, ["kk", "ru", "en"], config["vocab_size"], 2, [corpus])
    names = [c["name"] for c in trim.corpus]
    assert str((corpus / "a.kk.txt").resolve()) in names and str((corpus / "b.tsv").resolve()) in names
    assert set(text.tokenizer("Қазақстан Республикасы", add_special_tokens=False)["input_ids"]) <= set(trim.ids)
    with pytest.raises(UsageError, match="cannot read"):
        (corpus / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
        kept_target_ids(text, ["kk"], config["vocab_size"], 2, [corpus])


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared news corpus is not on this machine")
def test_the_shared_news_corpus_is_covered(tiny_models):
    model = tiny_models["nllb"]
    config = json.loads((model / "config.json").read_text())
    text = ModelText.load(FAMILIES["nllb"], model, "nllb")
    trim = kept_target_ids(text, ["kk", "ru", "en"], config["vocab_size"], 2, [CORPUS])
    seed = (CORPUS / "seed-baq.kk.txt").read_text(encoding="utf-8")
    assert set(text.tokenizer(seed, add_special_tokens=False)["input_ids"]) <= set(trim.ids)


# -- recorded: marker, signature, translation memory, CLI, preset -------------------------------------

def test_the_kept_list_is_recorded_and_keys_the_memory(tiny_models, conversions, tmp_path):
    entry = conversions["nllb"]
    marker = json.loads((Path(entry["trimmed"]) / "kztranslate.json").read_text())
    record = marker["target_vocabulary"]
    assert record["ids"] == list(entry["trim"].ids) and record["languages"] == ["kk", "ru", "en"]
    assert record["size"] == len(record["ids"]) and record["sha256"] == entry["trim"].digest
    assert json.loads((Path(entry["full"]) / "kztranslate.json").read_text())["target_vocabulary"] is None
    decoding = Decoding(beams=1, max_new_tokens=4)
    full = CTranslate2Backend(entry["full"], decoding=decoding, compute_type="float32")
    trimmed = CTranslate2Backend(entry["trimmed"], decoding=decoding, compute_type="float32")
    halved_backend = CTranslate2Backend(entry["halved"], decoding=decoding, compute_type="float32")
    signature = trimmed.signature().to_dict()
    assert signature["target_vocabulary"]["sha256"] == entry["trim"].digest
    assert "target_vocabulary" not in full.signature().to_dict()
    keys = {json.dumps(memory_signature(b.signature().to_dict()), sort_keys=True)
            for b in (full, trimmed, halved_backend)}
    assert len(keys) == 3  # a trimmed model never reads what the full one (or another list) wrote


def test_models_convert_trim_target_command(tiny_models, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["models", "convert", str(tiny_models["nllb"]), "--output", str(out), "--trim-target", "kk,ru,en",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["target_vocabulary"]["languages"] == ["kk", "ru", "en"]
    assert report["target_vocabulary"]["size"] == len(json.loads((out / "target_vocabulary.json").read_text()))
    backend = CTranslate2Backend(out, decoding=Decoding(beams=1, max_new_tokens=3))
    assert backend.translate_batch(KAZAKH[:2], "kk", "ru")[1].meta["output_tokens"] == 3
    plain = convert_checkpoint(tiny_models["nllb"], FAMILIES["nllb"], tmp_path / "plain")
    with pytest.raises(UsageError, match="not trimmed"):
        CTranslate2Backend(plain, trim_target="kk,ru,en")
    assert main(["models", "convert", str(tiny_models["nllb"]), "--output", str(tmp_path / "x"),
                 "--trim-target", "de"]) == 2
    assert "choose among kk, ru, en" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_preset_may_ask_for_a_trimmed_target(tiny_models, tmp_path, monkeypatch):
    trimmed = PRESETS["nllb-200-distilled-600M-kk-ru-en"]
    assert trimmed.trim_target == ("kk", "ru", "en") and trimmed.to_dict()["trim_target"] == ["kk", "ru", "en"]
    assert not PRESETS["nllb-200-distilled-600M"].trim_target  # opt-in: the default model stays whole
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--facebook--nllb-200-distilled-600M"
    shutil.copytree(tiny_models["nllb"], repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    decoding = Decoding(beams=1, max_new_tokens=3)
    backend = CTranslate2Backend(trimmed.name, decoding=decoding, cache_dir=tmp_path / "c")
    whole = CTranslate2Backend("nllb-200-distilled-600M", decoding=decoding, cache_dir=tmp_path / "c")
    assert backend.ct2_dir.name == f"facebook--nllb-200-distilled-600M@{commit}-int8-trim-kk.ru.en"
    assert whole.ct2_dir.name == f"facebook--nllb-200-distilled-600M@{commit}-int8"
    assert backend.translate_batch(KAZAKH[:1], "kk", "en")[0].meta["output_tokens"] == 3
    assert backend.signature().to_dict()["target_vocabulary"]["languages"] == ["kk", "ru", "en"]


# -- trimmed on the source side too ------------------------------------------------------------------

def halved_source(trim: SourceTrim, model: Path, family: str) -> SourceTrim:
    """``trim`` with a random half of its longer pieces dropped (one-character pieces, specials and
    codes kept), so that most inputs hold a piece the encoder must spell with kept ones."""
    text = ModelText.load(FAMILIES[family], model, family)
    tokenizer = text.tokenizer
    pieces = tokenizer.convert_ids_to_tokens(list(trim.ids))
    needed = set(tokenizer.all_special_ids) | set(text.language_token_ids)
    rng = random.Random(11)
    kept = {i for i, piece in zip(trim.ids, pieces, strict=True)
            if i in needed or len(piece.removeprefix("▁")) <= 1 or rng.random() < 0.5}
    return SourceTrim(tuple(sorted(kept)), trim.full_size)


@pytest.fixture(scope="module")
def source_conversions(tiny_models, conversions, tmp_path_factory) -> dict[str, dict[str, object]]:
    """Per family: float32 conversions trimmed on both sides (the default source list, and half of it)."""
    root = tmp_path_factory.mktemp("trim-source")
    made: dict[str, dict[str, object]] = {}
    for family in DIRECTIONS:
        model = tiny_models[family]
        trim: TargetTrim = conversions[family]["trim"]
        text = ModelText.load(FAMILIES[family], model, family)
        source = kept_source_ids(text, trim)
        entry: dict[str, object] = {"source": source, "half": halved_source(source, model, family)}
        for name in ("both", "both-halved"):
            entry[name] = convert_checkpoint(model, FAMILIES[family], root / f"{family}-{name}", "float32",
                                             source_name=family, trim=trim,
                                             source_trim=entry["source" if name == "both" else "half"])
        made[family] = entry
    return made


def test_respell_spells_a_piece_with_the_longest_kept_pieces():
    kept = {"▁", "▁қа", "за", "қ", "с", "тан", "а", "з", "т", "н"}
    assert respell("▁қазақстан", kept, 3, "<unk>") == ["▁қа", "за", "қ", "с", "тан"]
    assert respell("▁қазақ", {"▁", "а"}, 2, "<unk>") == ["▁", "<unk>", "а", "<unk>", "а", "<unk>"]
    assert respell("", kept, 3, "<unk>") == []


@pytest.mark.parametrize("family", list(DIRECTIONS))
def test_a_source_trimmed_encoder_reads_kept_pieces_exactly_and_spells_the_rest(family, tiny_models, conversions,
                                                                               source_conversions):
    """Inputs whose pieces the encoder kept translate exactly as with the target-only trim; the
    others are spelled with kept pieces (never <unk> for a character the vocabulary has) and translate."""
    entry = source_conversions[family]
    decoding = Decoding(beams=1, max_new_tokens=5)
    target_only = CTranslate2Backend(conversions[family]["trimmed"], decoding=decoding, compute_type="float32")
    exact = spelled = 0
    for name, source_trim in (("both", entry["source"]), ("both-halved", entry["half"])):
        both = CTranslate2Backend(entry[name], decoding=decoding, compute_type="float32")
        loaded = both._load()
        assert loaded.source_pieces is not None and len(loaded.source_pieces) == len(source_trim.ids)
        for source, target in DIRECTIONS[family]:
            texts = texts_for(source)
            expected = target_only.translate_batch(texts, source, target)
            got = both.translate_batch(texts, source, target)
            for sentence, a, b in zip(texts, expected, got, strict=True):
                tokens, _ = source_tokens(tiny_models[family], family, sentence, source, target)
                read = both._encoder_pieces(loaded, tokens)
                assert set(read) <= loaded.source_pieces
                assert read.count(loaded.tokenizer.unk_token) == tokens.count(loaded.tokenizer.unk_token)
                if read == tokens:
                    exact += 1
                    assert (b.text, b.truncated, b.meta) == (a.text, a.truncated, a.meta)
                else:
                    spelled += 1
                    assert "".join(read) == "".join(tokens)
                    assert b.meta["output_tokens"] >= 1
    assert exact >= 3 and spelled >= 3, (exact, spelled)


def test_the_source_trim_is_smaller_recorded_and_keys_the_memory(tiny_models, conversions, source_conversions):
    entry = source_conversions["nllb"]
    directory = Path(entry["both"])
    marker = json.loads((directory / "kztranslate.json").read_text())
    source: SourceTrim = entry["source"]
    assert marker["source_vocabulary"]["ids"] == list(source.ids)
    assert marker["source_vocabulary"]["sha256"] == source.digest
    assert json.loads((Path(conversions["nllb"]["trimmed"]) / "kztranslate.json").read_text())[
        "source_vocabulary"] is None
    full_vocabulary = json.loads((Path(conversions["nllb"]["full"]) / "shared_vocabulary.json").read_text())
    name = next(n for n in ("source_vocabulary.json", "shared_vocabulary.json") if (directory / n).is_file())
    assert json.loads((directory / name).read_text()) == [full_vocabulary[i] for i in source.ids]
    assert len(source.ids) < len(full_vocabulary)
    single = {i for i, piece in enumerate(full_vocabulary) if len(piece.removeprefix("▁")) == 1}
    assert single <= set(source.ids)  # any character the vocabulary has still reads
    target_only_bytes = (Path(conversions["nllb"]["trimmed"]) / "model.bin").stat().st_size
    assert (directory / "model.bin").stat().st_size < target_only_bytes
    decoding = Decoding(beams=1, max_new_tokens=4)
    both = CTranslate2Backend(directory, decoding=decoding, compute_type="float32")
    target_only = CTranslate2Backend(conversions["nllb"]["trimmed"], decoding=decoding, compute_type="float32")
    assert both.trim_source and both.signature().to_dict()["source_vocabulary"]["sha256"] == source.digest
    assert "source_vocabulary" not in target_only.signature().to_dict()
    assert memory_signature(both.signature().to_dict()) != memory_signature(target_only.signature().to_dict())


def test_models_convert_trim_source_command(tiny_models, tmp_path, capsys):
    out = tmp_path / "both"
    assert main(["models", "convert", str(tiny_models["nllb"]), "-o", str(out), "--trim-target", "kk,ru",
                 "--trim-source", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    name = next(n for n in ("source_vocabulary.json", "shared_vocabulary.json") if (out / n).is_file())
    assert report["source_vocabulary"]["size"] == len(json.loads((out / name).read_text()))
    backend = CTranslate2Backend(out, decoding=Decoding(beams=1, max_new_tokens=3))
    assert backend.supports("kk", "ru") and not backend.supports("en", "ru")  # en's code is not kept
    assert backend.translate_batch(KAZAKH[:2], "kk", "ru")[1].meta["output_tokens"] == 3
    assert main(["models", "convert", str(tiny_models["nllb"]), "-o", str(tmp_path / "x"), "--trim-source"]) == 2
    assert "--trim-source only applies with --trim-target" in capsys.readouterr().err
    with pytest.raises(UsageError, match="needs --trim-target"):
        CTranslate2Backend(tiny_models["nllb"], trim_source=True, cache_dir=tmp_path / "c")
    cached = CTranslate2Backend(tiny_models["nllb"], trim_target="kk,ru", trim_source=True, cache_dir=tmp_path / "c")
    assert cached.ct2_dir.name.endswith("-trim-kk.ru-source") and not cached.ct2_dir.exists()
    assert cached.signature().to_dict()["source_vocabulary"]["sha256"] == report["source_vocabulary"]["sha256"]


def test_the_source_list_keeps_byte_fallback_pieces(tiny_models, conversions):
    """A byte-fallback vocabulary (T5/MADLAD) spells rare characters with <0xNN> pieces: they are kept
    like one-character pieces, so respelling never splits them into their letters."""
    text = ModelText.load(FAMILIES["nllb"], tiny_models["nllb"], "nllb")  # the tiny MADLAD keeps every piece
    tokenizer = text.tokenizer
    trim: TargetTrim = conversions["nllb"]["trim"]
    unused = max(set(range(trim.full_size)) - set(kept_source_ids(text, trim).ids))

    class WithBytePiece:  # the tiny vocabulary has none: one unused id reads as a byte piece
        def __getattr__(self, name):
            return getattr(tokenizer, name)

        def __call__(self, *args, **kwargs):
            return tokenizer(*args, **kwargs)

        def convert_ids_to_tokens(self, ids):
            tokens = tokenizer.convert_ids_to_tokens(ids)
            return [("<0xE2>" if i == unused else t) for i, t in zip(ids, tokens, strict=True)]

    text.tokenizer = WithBytePiece()
    assert unused in kept_source_ids(text, trim).ids


# -- the restricted tokenizer of a conversion trimmed on both sides ------------------------------------

def bpe_tokenizer(lines: list[str], size: int):
    """A byte-pair-encoding tokenizer trained on ``lines``, SentencePiece-style (▁ marks a word start)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=size, special_tokens=["<unk>"],
                                                             show_progress=False))
    return tokenizer


def test_a_restricted_bpe_tokenizer_cuts_kept_text_as_the_full_one_does():
    """For random kept lists: any text whose full tokenization uses only kept pieces gets the same ids
    from the restricted tokenizer; any other text gets kept pieces that spell the same characters."""
    from tokenizers import Tokenizer

    from kztranslate.testing import SAMPLE_TEXT

    lines = [line for line in SAMPLE_TEXT.splitlines() if line.strip()] + KAZAKH + ENGLISH
    full = bpe_tokenizer(lines, 600)
    data = json.loads(full.to_str())
    vocabulary = data["model"]["vocab"]
    words = sorted({word for line in lines for word in line.split()})
    letters = {i for piece, i in vocabulary.items() if len(piece.removeprefix("▁")) <= 1}  # kept, as in use
    rng = random.Random(3)
    same = other = 0
    for round_index in range(6):
        ids = letters | {i for i in vocabulary.values() if rng.random() < (0.9 if round_index % 2 else 0.5)}
        restricted_data = restrict_bpe_tokenizer(data, ids)
        assert restricted_data is not None
        restricted = Tokenizer.from_str(json.dumps(restricted_data))
        kept = set(restricted_data["model"]["vocab"].values())
        assert ids <= kept < set(vocabulary.values()) or ids <= kept == set(vocabulary.values())
        assert all(vocabulary[piece] == i for piece, i in restricted_data["model"]["vocab"].items())
        for text in words + lines[:20]:
            expected, got = full.encode(text), restricted.encode(text)
            if set(expected.ids) <= ids:
                same += 1
                assert got.ids == expected.ids, text
            else:
                other += 1
                assert set(got.ids) <= kept and "".join(got.tokens) == "".join(expected.tokens)
    assert same > 100 and other > 100, (same, other)


def test_only_plain_bpe_tokenizers_are_restricted():
    data = json.loads(bpe_tokenizer(KAZAKH, 200).to_str())
    assert restrict_bpe_tokenizer({**data, "model": {**data["model"], "type": "Unigram"}}, {1}) is None
    suffixed = {**data, "model": {**data["model"], "continuing_subword_prefix": "##"}}
    assert restrict_bpe_tokenizer(suffixed, {1}) is None


def test_a_source_trimmed_nllb_conversion_carries_a_restricted_tokenizer(tiny_models, conversions,
                                                                         source_conversions, tmp_path):
    """NLLB's tokenizer.json is cut to the pieces both sides keep (ids unchanged, recorded, keyed); the
    SentencePiece-only and unigram tokenizers of the other families stay whole."""
    full = json.loads((Path(conversions["nllb"]["full"]) / "tokenizer.json").read_text())["model"]["vocab"]
    halves = convert_checkpoint(tiny_models["nllb"], FAMILIES["nllb"], tmp_path / "halves", "float32",
                                source_name="nllb", trim=conversions["nllb"]["half"],
                                source_trim=source_conversions["nllb"]["half"])
    for directory, trims in ((source_conversions["nllb"]["both"], ("source", "trim")),
                             (source_conversions["nllb"]["both-halved"], ("half", "trim")),
                             (halves, ("half", "half"))):
        vocabulary = json.loads((Path(directory) / "tokenizer.json").read_text())["model"]["vocab"]
        kept = set(source_conversions["nllb"][trims[0]].ids) | set(conversions["nllb"][trims[1]].ids)
        assert kept & set(full.values()) <= set(vocabulary.values())  # language codes are added tokens
        assert all(full[piece] == i for piece, i in vocabulary.items())
        marker = json.loads((Path(directory) / "kztranslate.json").read_text())["source_vocabulary"]
        assert marker["restricted_tokenizer"] is True
        signature = CTranslate2Backend(directory).signature().to_dict()["source_vocabulary"]
        assert signature["restricted_tokenizer"] is True
    assert len(vocabulary) < len(full)  # halves on both sides (the tiny model's default lists keep every piece)
    both = CTranslate2Backend(halves, decoding=Decoding(beams=1, max_new_tokens=4), compute_type="float32")
    loaded = both._load()
    for sentence, output in zip(KAZAKH, both.translate_batch(KAZAKH, "kk", "ru"), strict=True):
        whole, _ = source_tokens(tiny_models["nllb"], "nllb", sentence, "kk", "ru")
        restricted, _ = source_tokens(Path(halves), "nllb", sentence, "kk", "ru")
        read = both._encoder_pieces(loaded, restricted)
        assert set(read) <= loaded.source_pieces and "".join(read) == "".join(whole)
        assert output.meta["output_tokens"] == 4
    for family in ("m2m100", "madlad", "marian-multi"):
        marker = json.loads((Path(source_conversions[family]["both"]) / "kztranslate.json").read_text())
        assert marker["source_vocabulary"]["restricted_tokenizer"] is False
        assert "restricted_tokenizer" not in SourceTrim.from_marker(marker["source_vocabulary"]).signature()
