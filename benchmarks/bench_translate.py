"""Time one newsroom workload five ways on random-weight models of real shapes (no downloads).

    python benchmarks/bench_translate.py            # the full run (NLLB-600M and OPUS-MT shapes)
    python benchmarks/bench_translate.py --quick    # fewer articles and tokens: a few minutes on 2 cores

Models: random weights with the exact dimensions of NLLB-200-distilled-600M (M2M100: d_model 1024,
12+12 layers, FFN 4096, 16 heads, vocabulary 256,206) and of an OPUS-MT model (Marian: d_model 512,
6+6 layers, FFN 2048, 8 heads, vocabulary 58,101), with a real SentencePiece tokenizer from
:mod:`kztranslate.testing` whose vocabulary is padded to that size. Random weights never emit
end-of-sentence on cue, so every arm decodes exactly ``--tokens`` target tokens per sentence
(min = max new tokens; ``min_decoding_length`` = ``max_decoding_length``), greedy.

Workload: synthetic Kazakh articles shaped like the seed article (headline + 4 paragraphs of
3 sentences), each translated kk → ru and kk → en (NLLB shape) or kk → en (OPUS-MT shape, one
direction), through:

(a) the naive way: a paragraph at a time through ``generate`` (the steps of transformers'
    ``pipeline("translation")``, which transformers 5 removed), float32;
(b) a hand-written CTranslate2 int8 loop, a sentence per ``translate_batch`` call, as its NLLB example shows;
(b2) the careful CTranslate2 user: every sentence of every article and target in ONE
    ``translate_batch`` call (``max_batch_size`` tuned: ``--b2-batch``; int8, intra_threads = all cores);
(c) kztranslate, transformers backend (float32), every article in one ``Translator.pipe`` call;
(d) kztranslate, ctranslate2 backend (defaults: int8, intra_threads = physical cores), the same;
(d-trimmed) the same on a conversion whose target vocabulary is trimmed to kk, ru, en
    (``--trim-target kk,ru,en``; the corpus: the shipped text plus ``/work/shared/corpus`` if present);
(d-trimmed-source) (d-trimmed) on a conversion trimmed on the source side too (``--trim-source``),
    its source list padded with random other pieces to ``--source-trim-size`` (a real tokenizer's size),
    its tokenizer restricted to the kept pieces;
(d-trimmed-padded-source) (d-trimmed-source) with the target list of (d-trimmed-padded) too: both lists
    as long as a real tokenizer's;
(d+vmap) (d) with ``restrict_vocabulary=True`` (CTranslate2's vocabulary map);
(e) kztranslate + translation memory: the first translation, then again after an edit of one
    sentence of one paragraph (e1) and after rewriting a whole paragraph (e2), each against the
    same edited sentences translated alone (an article of just them, no memory);
(shares) where a decoding step's time goes (NLLB shape): encoder, decoder layers, output projection.

Each arm runs in its own subprocess, so its peak RSS (``ru_maxrss``) is its own; model loading is
timed apart from translating, after one short warm-up call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SHAPES: dict[str, dict[str, Any]] = {
    "nllb-600M": {
        "family": "nllb", "vocab": 256_206, "d_model": 1024, "layers": 12, "ffn": 4096, "heads": 16,
        "targets": ["ru", "en"], "codes": {"kk": "kaz_Cyrl", "ru": "rus_Cyrl", "en": "eng_Latn"},
    },
    "opus-mt": {
        "family": "marian", "vocab": 58_101, "d_model": 512, "layers": 6, "ffn": 2048, "heads": 8,
        "targets": ["en"], "codes": {},
    },
}
#: Scripts of the filler pieces that pad the tiny tokenizer to the real vocabulary size, with their
#: share. NLLB's real mix is not available offline; this guess (Latin and Cyrillic about half, as
#: for a 200-language vocabulary where most languages are written in Latin) only matters to d+vmap.
FILLER_SCRIPTS: list[tuple[str, int, float]] = [
    ("LATIN", 0x61, 0.40), ("CYRILLIC", 0x430, 0.10), ("CJK", 0x4E00, 0.12), ("ARABIC", 0x628, 0.07),
    ("DEVANAGARI", 0x915, 0.05), ("GREEK", 0x3B1, 0.02), ("ARMENIAN", 0x561, 0.02), ("GEORGIAN", 0x10D0, 0.02),
    ("HEBREW", 0x5D0, 0.02), ("THAI", 0xE01, 0.03), ("ETHIOPIC", 0x1200, 0.03), ("HANGUL", 0xAC00, 0.05),
    ("BENGALI", 0x995, 0.03), ("TAMIL", 0xB95, 0.02), ("TELUGU", 0xC15, 0.02),
]
ARMS = ["a", "b", "b2", "c", "d", "d-trimmed", "d-trimmed-padded", "d-trimmed-source", "d-trimmed-padded-source",
        "d+vmap", "e", "shares"]
#: Arms on a trimmed conversion: none for a one-direction model (no target language to trim to).
TRIMMED_ARMS = ("d+vmap", "d-trimmed", "d-trimmed-padded", "d-trimmed-source", "d-trimmed-padded-source", "shares")
#: Extra text the trimmed conversion tokenizes besides the shipped corpus (used when present).
SHARED_CORPUS = Path("/work/shared/corpus")


# -- the workload ---------------------------------------------------------------------------------

def model_segments(translator: Any, article: Any, targets: list[str]) -> int:
    """Translate one article; how many segments went to the model (not answered by the memory)."""
    passes: list[Any] = []
    list(translator.pipe([article], to=targets, raise_errors=True, on_stats=passes.append))
    return sum(stats.model_segments for stats in passes)


def make_articles(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """Synthetic Kazakh articles (words of kztranslate.testing's sample text, sentences all distinct)."""
    from kztranslate.testing import SAMPLE_TEXT

    lines = SAMPLE_TEXT.splitlines()
    kazakh = lines[:lines.index(next(l for l in lines if l.startswith("В Астане")))]
    words = sorted({w.strip(".,").lower() for line in kazakh for w in line.split() if w.strip(".,").isalpha()})
    rng = random.Random(seed)

    def sentence(n: int) -> str:
        picked = [rng.choice(words) for _ in range(n)]
        return picked[0].capitalize() + " " + " ".join(picked[1:])

    return [
        {"headline": sentence(7), "paragraphs": [[sentence(rng.randint(9, 13)) + "." for _ in range(3)] for _ in range(4)]}
        for _ in range(count)
    ]


def sentences_of(article: dict[str, Any]) -> list[str]:
    return [article["headline"]] + [s for paragraph in article["paragraphs"] for s in paragraph]


def to_article(article: dict[str, Any]):
    from kztranslate.document import Article, Block

    blocks = [Block("headline", article["headline"])] if article.get("headline") else []
    blocks += [Block("paragraph", " ".join(paragraph)) for paragraph in article["paragraphs"]]
    return Article(language="kk", blocks=blocks)


def edited(article: dict[str, Any], whole_paragraph: bool, seed: int) -> dict[str, Any]:
    """The article with sentence 2 of paragraph 2 (or all of paragraph 2) rewritten."""
    fresh = make_articles(1, seed=seed)[0]["paragraphs"][0]
    paragraphs = [list(p) for p in article["paragraphs"]]
    if whole_paragraph:
        paragraphs[1] = fresh
    else:
        paragraphs[1][1] = fresh[0]
    return {"headline": article["headline"], "paragraphs": paragraphs}


# -- building the models --------------------------------------------------------------------------

def filler_pieces(count: int, taken: set[str]) -> list[str]:
    pieces: list[str] = []
    for script, start, share in FILLER_SCRIPTS:
        alphabet = [chr(start + i) for i in range(24)]
        want = round(count * share) if script != FILLER_SCRIPTS[-1][0] else count - len(pieces)
        made = 0
        length = 2
        while made < want:
            for index in range(len(alphabet) ** length):
                if made == want:
                    break
                digits, n = [], index
                for _ in range(length):
                    n, d = divmod(n, len(alphabet))
                    digits.append(alphabet[d])
                piece = ("▁" if index % 3 == 0 else "") + "".join(digits)
                if piece not in taken:
                    taken.add(piece)
                    pieces.append(piece)
                    made += 1
            length += 1
    return pieces


def build(shape_name: str, outdir: Path) -> dict[str, Any]:
    import torch

    from kztranslate.testing import _train_sentencepiece

    shape = SHAPES[shape_name]
    outdir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    started = time.perf_counter()
    if shape["family"] == "nllb":
        from tokenizers.models import BPE
        from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer
        from transformers.convert_slow_tokenizer import SentencePieceExtractor

        spm = outdir / "sentencepiece.bpe.model"
        spm.write_bytes(_train_sentencepiece("bpe", bos_id=0, pad_id=1, eos_id=2, unk_id=3))
        extracted = SentencePieceExtractor(str(spm)).extract(BPE)
        spm.unlink()
        vocab = dict(extracted["vocab"])
        codes = list(shape["codes"].values())

        def tokenizer_of(vocab: dict[str, int]) -> NllbTokenizer:
            return NllbTokenizer(vocab=vocab, merges=extracted["merges"], additional_special_tokens=codes,
                                 src_lang="kaz_Cyrl")

        added = len(tokenizer_of(vocab)) - len(vocab)  # the language codes and <mask>
        for piece in filler_pieces(shape["vocab"] - len(vocab) - added, set(vocab) | set(codes) | {"<mask>"}):
            vocab[piece] = len(vocab)
        tokenizer = tokenizer_of(vocab)
        config = M2M100Config(
            vocab_size=len(tokenizer), d_model=shape["d_model"], encoder_layers=shape["layers"],
            decoder_layers=shape["layers"], encoder_attention_heads=shape["heads"],
            decoder_attention_heads=shape["heads"], encoder_ffn_dim=shape["ffn"], decoder_ffn_dim=shape["ffn"],
            max_position_embeddings=1024, scale_embedding=True, activation_function="relu",
            pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2,
        )
        model = M2M100ForConditionalGeneration(config)
    else:
        import sentencepiece
        from transformers import MarianConfig, MarianMTModel, MarianTokenizer

        spm_bytes = _train_sentencepiece("unigram", unk_id=0, bos_id=-1, eos_id=-1)
        for name in ("source.spm", "target.spm"):
            (outdir / name).write_bytes(spm_bytes)
        processor = sentencepiece.SentencePieceProcessor(model_file=str(outdir / "source.spm"))
        pieces = [processor.id_to_piece(i) for i in range(1, processor.get_piece_size())]
        tokens = ["</s>", "<unk>", *pieces]
        tokens += filler_pieces(shape["vocab"] - len(tokens) - 1, set(tokens))
        tokens.append("<pad>")
        (outdir / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}, ensure_ascii=False))
        tokenizer = MarianTokenizer(source_spm=str(outdir / "source.spm"), target_spm=str(outdir / "target.spm"),
                                    vocab=str(outdir / "vocab.json"))
        config = MarianConfig(
            vocab_size=len(tokens), d_model=shape["d_model"], encoder_layers=shape["layers"],
            decoder_layers=shape["layers"], encoder_attention_heads=shape["heads"],
            decoder_attention_heads=shape["heads"], encoder_ffn_dim=shape["ffn"], decoder_ffn_dim=shape["ffn"],
            max_position_embeddings=512, scale_embedding=True, activation_function="swish",
            pad_token_id=len(tokens) - 1, decoder_start_token_id=len(tokens) - 1, eos_token_id=0,
        )
        model = MarianMTModel(config)
    model.eval()
    assert len(tokenizer) == shape["vocab"] == model.config.vocab_size, (len(tokenizer), shape["vocab"])
    parameters = sum(p.numel() for p in model.parameters())
    model.save_pretrained(outdir)
    tokenizer.save_pretrained(outdir)
    built = time.perf_counter() - started
    del model
    # The one conversion every CTranslate2 arm uses (kztranslate's cache entry; (b) loads it too).
    from kztranslate.engine.ctranslate2_backend import CTranslate2Backend

    started = time.perf_counter()
    backend = CTranslate2Backend(outdir, cache_dir=outdir.parent / "ct2-cache")
    converted = backend.convert()
    info = {"parameters": parameters, "vocab": len(tokenizer), "build_s": built,
            "convert_s": time.perf_counter() - started, "ct2_dir": str(converted),
            "ct2_bytes": (converted / "model.bin").stat().st_size}
    if shape["family"] != "marian":
        started = time.perf_counter()
        trimmed = CTranslate2Backend(outdir, cache_dir=outdir.parent / "ct2-cache", trim_target="kk,ru,en",
                                     trim_corpus=[str(SHARED_CORPUS)] if SHARED_CORPUS.is_dir() else None)
        trimmed_dir = trimmed.convert()
        trim = trimmed.target_trim()
        info.update({
            "trim_convert_s": time.perf_counter() - started, "trimmed_dir": str(trimmed_dir),
            "trimmed_bytes": (trimmed_dir / "model.bin").stat().st_size, "kept_pieces": len(trim.ids),
            "trim_corpus": [c["name"] for c in trim.corpus],
            # encoder embeddings stay whole; decoder embeddings and projection (tied) keep the kept rows
            "trimmed_parameters": parameters + shape["d_model"] * len(trim.ids),
        })
    return info


def build_padded_trim(model_dir: Path, trimmed_dir: Path, size: int) -> dict[str, Any]:
    """A second trimmed conversion whose kept list is the real one plus random other pieces, up to
    ``size`` pieces: what a trimmed model costs when the kept list is as long as a real NLLB
    tokenizer's would be (this benchmark's tokenizer is tiny, so its own list is short)."""
    from kztranslate.engine.ctranslate2_backend import convert_checkpoint
    from kztranslate.engine.registry import FAMILIES
    from kztranslate.engine.trim import TargetTrim

    record = json.loads((trimmed_dir / "kztranslate.json").read_text())["target_vocabulary"]
    trim = TargetTrim.from_marker(record)
    rng = random.Random(size)
    others = sorted(set(range(trim.full_size)) - set(trim.ids))
    padded = TargetTrim(trim.languages, tuple(sorted(set(trim.ids) | set(rng.sample(others, size - len(trim.ids))))),
                        trim.full_size, trim.corpus)
    output = trimmed_dir.parent / f"{trimmed_dir.name}-padded-{size}"
    started = time.perf_counter()
    if not output.is_dir():
        convert_checkpoint(model_dir, FAMILIES["nllb"], output, "int8", trim=padded)
    return {"dir": str(output), "kept": size, "convert_s": time.perf_counter() - started,
            "bytes": (output / "model.bin").stat().st_size}


def build_source_trim(model_dir: Path, trimmed_dir: Path, size: int) -> dict[str, Any]:
    """A conversion trimmed on both sides: (d-trimmed)'s target list, and on the source side the
    real kept list (``kept_source_ids``) plus random other pieces up to ``size`` — about what a real
    NLLB tokenizer keeps (its single-character pieces alone are thousands; this benchmark's
    tokenizer is tiny, so its own list is short)."""
    from kztranslate.engine.ctranslate2_backend import convert_checkpoint
    from kztranslate.engine.hf_model import ModelText
    from kztranslate.engine.registry import FAMILIES
    from kztranslate.engine.trim import SourceTrim, TargetTrim, kept_source_ids

    trim = TargetTrim.from_marker(json.loads((trimmed_dir / "kztranslate.json").read_text())["target_vocabulary"])
    real = kept_source_ids(ModelText.load(FAMILIES["nllb"], model_dir, "nllb"), trim)
    rng = random.Random(size)
    others = sorted(set(range(real.full_size)) - set(real.ids))
    padded = SourceTrim(tuple(sorted(set(real.ids) | set(rng.sample(others, max(0, size - len(real.ids)))))),
                        real.full_size)
    output = trimmed_dir.parent / f"{trimmed_dir.name}-source-{size}"
    started = time.perf_counter()
    if not output.is_dir():
        convert_checkpoint(model_dir, FAMILIES["nllb"], output, "int8", trim=trim, source_trim=padded)
    pieces = len(json.loads((output / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"])
    return {"dir": str(output), "kept": len(padded.ids), "real_kept": len(real.ids), "tokenizer_pieces": pieces,
            "convert_s": time.perf_counter() - started, "bytes": (output / "model.bin").stat().st_size}


def trimmed_on_both_sides(made: dict[str, Any]) -> str:
    """What :func:`build_source_trim` made, in words."""
    return (f"trimmed on both sides: {made['kept']:,} source pieces kept ({made['real_kept']:,} of the real list + "
            f"random others), tokenizer restricted to {made['tokenizer_pieces']:,} pieces")


# -- the arms -------------------------------------------------------------------------------------

def run_arm(arm: str, cfg: dict[str, Any]) -> dict[str, Any]:
    shape = SHAPES[cfg["shape"]]
    articles, tokens, targets = cfg["articles"], cfg["tokens"], shape["targets"]
    model_dir, codes = cfg["model_dir"], shape["codes"]
    started = time.perf_counter()
    decoded = 0  # target tokens the arm decoded
    label = arm
    arm, _, batch_tokens = arm.partition("@")  # "d-trimmed@1024": a kztranslate arm with max_batch_tokens=1024

    if arm == "a":
        import torch
        import transformers

        tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
        model = transformers.AutoModelForSeq2SeqLM.from_pretrained(model_dir).eval()

        def translate_paragraph(text: str, target: str, n: int) -> str:
            if codes:
                tokenizer.src_lang = codes["kk"]
            inputs = tokenizer(text, return_tensors="pt")
            forced = tokenizer.convert_tokens_to_ids(codes[target]) if codes else None
            with torch.inference_mode():
                out = model.generate(**inputs, forced_bos_token_id=forced, max_new_tokens=n, min_new_tokens=n,
                                     num_beams=1, do_sample=False)
            return tokenizer.decode(out[0], skip_special_tokens=True)

        translate_paragraph(articles[0]["headline"], targets[0], 2)
        loaded, loaded_cpu = time.perf_counter(), time.process_time()
        for article in articles:
            for target in targets:
                translate_paragraph(article["headline"], target, tokens)
                decoded += tokens
                for paragraph in article["paragraphs"]:
                    translate_paragraph(" ".join(paragraph), target, tokens * len(paragraph))
                    decoded += tokens * len(paragraph)
    elif arm == "b":
        import ctranslate2
        import transformers

        translator = ctranslate2.Translator(cfg["ct2_dir"], device="cpu", compute_type="int8")
        tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)

        def translate_sentence(text: str, target: str, n: int) -> str:
            if codes:
                tokenizer.src_lang = codes["kk"]
            source = tokenizer.convert_ids_to_tokens(tokenizer.encode(text))
            prefix = [[codes[target]]] if codes else None
            result = translator.translate_batch([source], target_prefix=prefix, beam_size=1,
                                                max_decoding_length=n, min_decoding_length=n)
            hypothesis = result[0].hypotheses[0][1 if codes else 0:]
            return tokenizer.decode(tokenizer.convert_tokens_to_ids(hypothesis))

        translate_sentence(articles[0]["headline"], targets[0], 2)
        loaded, loaded_cpu = time.perf_counter(), time.process_time()
        for article in articles:
            for target in targets:
                for sentence in sentences_of(article):
                    translate_sentence(sentence, target, tokens)
                    decoded += tokens
    elif arm == "b2":
        import ctranslate2
        import transformers

        translator = ctranslate2.Translator(cfg["ct2_dir"], device="cpu", compute_type="int8", inter_threads=1,
                                            intra_threads=os.cpu_count() or 1)
        tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)

        def translate_all(sentences: list[str], n: int) -> list[str]:
            if codes:
                tokenizer.src_lang = codes["kk"]
            encoded = [tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(sentences)["input_ids"]]
            sources = [tokens for tokens in encoded for _ in targets]
            prefixes = [[codes[target]] for _ in encoded for target in targets] if codes else None
            results = translator.translate_batch(sources, target_prefix=prefixes, beam_size=1,
                                                 max_batch_size=cfg["b2_batch"], max_decoding_length=n,
                                                 min_decoding_length=n)
            return [tokenizer.decode(tokenizer.convert_tokens_to_ids(r.hypotheses[0][1 if codes else 0:]))
                    for r in results]

        translate_all([articles[0]["headline"]], 2)
        loaded, loaded_cpu = time.perf_counter(), time.process_time()
        outputs = translate_all([s for article in articles for s in sentences_of(article)], tokens)
        decoded += tokens * len(outputs)
    elif arm == "shares":
        return time_shares(cfg)
    else:
        from kztranslate.engine import Decoding
        from kztranslate.engine.memory import TranslationMemory
        from kztranslate.pipeline import Translator

        backend = "transformers" if arm == "c" else "ctranslate2"
        options: dict[str, Any] = {"cache_dir": str(Path(cfg["ct2_dir"]).parent)} if backend == "ctranslate2" else {}
        model = model_dir
        if arm == "d+vmap":
            options["restrict_vocabulary"] = True
        if arm == "d-trimmed":
            model, options = cfg["trimmed_dir"], {}  # the trimmed conversion, loaded as it is
        if arm == "d-trimmed-padded":
            model, options = cfg["padded_dir"], {}
        if arm == "d-trimmed-source":
            model, options = cfg["source_trim_dir"], {}
        if arm == "d-trimmed-padded-source":
            model, options = cfg["padded_source_dir"], {}
        memory = TranslationMemory(Path(cfg["workdir"]) / "memory.sqlite") if arm == "e" else None
        decoding = Decoding(beams=1, max_new_tokens=tokens, min_new_tokens=tokens)
        limits = {"max_batch_tokens": int(batch_tokens)} if batch_tokens else {}
        translator = Translator(backend, model=model, memory=memory, decoding=decoding, **limits, **options)
        alone = Translator(backend, model=model, decoding=decoding, **options) if arm == "e" else None
        warm = {"headline": "Жаңа мектеп ашылды", "paragraphs": []}
        translator.translate(to_article(warm), to=targets)
        if alone is not None:
            alone.translate(to_article(warm), to=targets)
        loaded, loaded_cpu = time.perf_counter(), time.process_time()
        per_article: list[dict[str, float]] = []
        if arm != "e":  # every article of the workload in one pass, as (b2) sends everything in one call
            passes: list[Any] = []
            list(translator.pipe([to_article(article) for article in articles], to=targets, on_stats=passes.append))
            decoded += sum(stats.model_segments for stats in passes) * tokens
        for index, article in enumerate(articles if arm == "e" else []):
            t0, c0 = time.perf_counter(), time.process_time()
            sent = model_segments(translator, to_article(article), targets)
            first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
            decoded += sent * tokens
            if arm == "e":
                one_edit = edited(article, False, seed=100 + index)
                t1, c1 = time.perf_counter(), time.process_time()
                sent_one = model_segments(translator, to_article(one_edit), targets)
                one, one_cpu = time.perf_counter() - t1, time.process_time() - c1
                paragraph_edit = edited(article, True, seed=200 + index)
                t2 = time.perf_counter()
                sent_whole = model_segments(translator, to_article(paragraph_edit), targets)
                whole = time.perf_counter() - t2
                # The same edited sentences translated alone: what the edit costs without any overhead.
                t3, c3 = time.perf_counter(), time.process_time()
                alone.translate(to_article({"paragraphs": [[one_edit["paragraphs"][1][1]]]}), to=targets)
                one_alone, one_alone_cpu = time.perf_counter() - t3, time.process_time() - c3
                t4 = time.perf_counter()
                alone.translate(to_article({"paragraphs": [paragraph_edit["paragraphs"][1]]}), to=targets)
                whole_alone = time.perf_counter() - t4
                per_article.append({"first": first, "sentence_edit": one, "paragraph_edit": whole,
                                    "sentence_alone": one_alone, "paragraph_alone": whole_alone,
                                    "sentence_alone_cpu": one_alone_cpu,
                                    "first_cpu": first_cpu, "sentence_edit_cpu": one_cpu,
                                    "model_segments_sentence_edit": sent_one,
                                    "model_segments_paragraph_edit": sent_whole})
        if arm == "e":
            done = time.perf_counter()
            return {
                "arm": label, "load_s": loaded - started, "articles": len(articles),
                "first_s": sum(p["first"] for p in per_article),
                "sentence_edit_s": sum(p["sentence_edit"] for p in per_article),
                "paragraph_edit_s": sum(p["paragraph_edit"] for p in per_article),
                "sentence_alone_s": sum(p["sentence_alone"] for p in per_article),
                "sentence_alone_cpu_s": sum(p["sentence_alone_cpu"] for p in per_article),
                "paragraph_alone_s": sum(p["paragraph_alone"] for p in per_article),
                "first_cpu_s": sum(p["first_cpu"] for p in per_article),
                "sentence_edit_cpu_s": sum(p["sentence_edit_cpu"] for p in per_article),
                "per_article": per_article, "tokens": decoded, "seconds": done - loaded,
                "cpu_s": time.process_time() - loaded_cpu,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
    done = time.perf_counter()
    return {
        "arm": label, "load_s": loaded - started, "seconds": done - loaded, "tokens": decoded,
        "cpu_s": time.process_time() - loaded_cpu,
        "articles": len(articles), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def time_shares(cfg: dict[str, Any]) -> dict[str, Any]:
    """Where the time of one batched translation goes, from three timings of the same batch (all
    sentences of the first article → every target, int8, one ``translate_batch``), alternated
    ``rounds`` times: the full model decoding ``tokens`` steps and 2 steps, the trimmed model
    decoding ``tokens`` steps. A step costs (T(tokens) − T(2)) ÷ (tokens − 2); the encoder is
    T(2) − 2 steps; the output projection is the time trimming saved, scaled to the whole
    vocabulary (saved ÷ (1 − kept/vocabulary)); decoder layers (and the rest) are what remains."""
    import ctranslate2
    import transformers

    shape = SHAPES[cfg["shape"]]
    codes, targets, n = shape["codes"], shape["targets"], cfg["tokens"]
    threads = os.cpu_count() or 1
    full = ctranslate2.Translator(cfg["ct2_dir"], device="cpu", compute_type="int8", intra_threads=threads)
    trimmed = ctranslate2.Translator(cfg["trimmed_dir"], device="cpu", compute_type="int8", intra_threads=threads)
    tokenizer = transformers.AutoTokenizer.from_pretrained(cfg["model_dir"])
    tokenizer.src_lang = codes["kk"]
    encoded = [tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(sentences_of(cfg["articles"][0]))["input_ids"]]
    sources = [tokens for tokens in encoded for _ in targets]
    prefixes = [[codes[target]] for _ in encoded for target in targets]

    def timed(translator: Any, steps: int) -> float:
        started = time.perf_counter()
        translator.translate_batch(sources, target_prefix=prefixes, beam_size=1, max_decoding_length=steps,
                                   min_decoding_length=steps)
        return time.perf_counter() - started

    timed(full, 2), timed(trimmed, 2)
    runs: dict[str, list[float]] = {"full": [], "two_steps": [], "trimmed": []}
    for _ in range(cfg.get("rounds", 3)):
        runs["full"].append(timed(full, n))
        runs["two_steps"].append(timed(full, 2))
        runs["trimmed"].append(timed(trimmed, n))
    best = {key: min(values) for key, values in runs.items()}
    kept = len(json.loads((Path(cfg["trimmed_dir"]) / "kztranslate.json").read_text())["target_vocabulary"]["ids"])
    vocabulary = shape["vocab"]
    step = (best["full"] - best["two_steps"]) / (n - 2)
    encoder = max(0.0, best["two_steps"] - 2 * step)
    projection = (best["full"] - best["trimmed"]) / (1 - kept / vocabulary)
    return {"arm": "shares", "runs": runs, "best": best, "rows": len(sources), "steps": n, "kept": kept,
            "encoder_share": encoder / best["full"], "projection_share": projection / best["full"],
            "decoder_share": 1 - (encoder + projection) / best["full"],
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# -- orchestration --------------------------------------------------------------------------------

def child(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run ``kind`` (build or an arm) in a fresh interpreter; its last stdout line is JSON."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, __file__, "--child", kind, json.dumps(payload)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> str:
    def run(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout
        except OSError:
            return ""

    model = next((l.split(":", 1)[1].strip() for l in run(["lscpu"]).splitlines() if l.startswith("Model name")), "?")
    memory = next((l.split()[1] for l in run(["free", "-g"]).splitlines() if l.startswith("Mem:")), "?")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    import ctranslate2
    import torch
    import transformers

    return (f"{model}, {os.cpu_count()} CPUs (nproc {run(['nproc']).strip()}), {memory} GiB RAM, "
            f"Python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}, "
            f"ctranslate2 {ctranslate2.__version__}; load average at start {load:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 article, 8 tokens per sentence (a few minutes)")
    parser.add_argument("--articles", type=int, help="articles in the workload (default 2, quick 1)")
    parser.add_argument("--tokens", type=int, help="target tokens per sentence (default 16, quick 8)")
    parser.add_argument("--shapes", default=",".join(SHAPES), help=f"model shapes ({', '.join(SHAPES)})")
    parser.add_argument("--arms", default=",".join(ARMS), help=f"arms to run ({', '.join(ARMS)}); a kztranslate arm "
                        "may end in @N for max_batch_tokens=N (e.g. d-trimmed-source@1024)")
    parser.add_argument("--b2-batch", default="32", help="max_batch_size values for arm (b2), comma-separated: "
                        "each runs as (b2@N), the fastest is reported as (b2) (0 = one batch)")
    parser.add_argument("--trim-size", type=int, default=32_000,
                        help="kept pieces of the padded trimmed conversion of arm (d-trimmed-padded) (default 32000)")
    parser.add_argument("--source-trim-size", type=int, default=64_000,
                        help="kept source pieces of the conversion of arm (d-trimmed-source) (default 64000)")
    parser.add_argument("--workdir", metavar="DIR", help="build the models here and reuse them on later runs "
                        "(default: a temporary directory, removed at the end)")
    parser.add_argument("--repeat", type=int, default=1, help="run the arms this many times, interleaved")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, payload = args.child[0], json.loads(args.child[1])
        if kind == "build":
            result = build(payload["shape"], Path(payload["model_dir"]))
        elif kind == "build-padded":
            result = build_padded_trim(Path(payload["model_dir"]), Path(payload["trimmed_dir"]), payload["size"])
        elif kind == "build-source":
            result = build_source_trim(Path(payload["model_dir"]), Path(payload["trimmed_dir"]), payload["size"])
        else:
            result = run_arm(kind, payload)
        print(json.dumps(result))
        return 0
    count = args.articles or (1 if args.quick else 2)
    tokens = args.tokens or (8 if args.quick else 16)
    articles = make_articles(count)
    description = machine()
    print(description, flush=True)
    print(f"workload: {count} article(s) × 13 sentences (headline + 4 × 3), {tokens} target tokens per sentence, "
          "greedy\n", flush=True)
    report: dict[str, Any] = {"machine": description, "articles": count, "tokens": tokens, "shapes": {}}
    with tempfile.TemporaryDirectory(prefix="kztranslate-bench-") as tmp:
        for shape in args.shapes.split(","):
            workdir = Path(args.workdir or tmp) / shape
            model_dir = workdir / "model"
            built = workdir / "build.json"
            if built.is_file():
                info = json.loads(built.read_text())
            else:
                info = child("build", {"shape": shape, "model_dir": str(model_dir)})
                built.write_text(json.dumps(info))
            (workdir / "memory.sqlite").unlink(missing_ok=True)
            print(f"{shape}: {info['parameters'] / 1e6:.0f}M parameters, vocabulary {info['vocab']:,}; built in "
                  f"{info['build_s']:.0f} s, converted to CTranslate2 int8 in {info['convert_s']:.0f} s "
                  f"(model.bin {info['ct2_bytes'] / 1e6:.0f} MB)", flush=True)
            if "trimmed_dir" in info:
                print(f"  trimmed to kk,ru,en: {info['kept_pieces']:,} of {info['vocab']:,} target pieces kept, "
                      f"{info['trimmed_parameters'] / 1e6:.0f}M parameters, model.bin {info['trimmed_bytes'] / 1e6:.0f} MB, "
                      f"converted in {info['trim_convert_s']:.0f} s; corpus: {'; '.join(info['trim_corpus'])}", flush=True)
            cfg = {"shape": shape, "model_dir": str(model_dir), "ct2_dir": info["ct2_dir"], "workdir": str(workdir),
                   "trimmed_dir": info.get("trimmed_dir"), "articles": articles, "tokens": tokens}
            bases = {arm.partition("@")[0] for arm in args.arms.split(",")}
            further = (  # arms needing it, builder, kept pieces, conversion it starts from, cfg key, info key, text
                (("d-trimmed-padded", "d-trimmed-padded-source"), "build-padded", args.trim_size, "trimmed_dir",
                 "padded_dir", "padded",
                 lambda r: f"padded trimmed conversion: {r['kept']:,} pieces kept (the real list + random others)"),
                (("d-trimmed-source",), "build-source", args.source_trim_size, "trimmed_dir", "source_trim_dir",
                 "source_trim", trimmed_on_both_sides),
                (("d-trimmed-padded-source",), "build-source", args.source_trim_size, "padded_dir", "padded_source_dir",
                 "padded_source", lambda r: f"padded target list, {trimmed_on_both_sides(r)}"))
            for arm_names, builder, size, start, key, record, describe in further:
                if bases & set(arm_names) and cfg.get(start):
                    made = child(builder, {"model_dir": str(model_dir), "trimmed_dir": cfg[start], "size": size})
                    cfg[key], info[record] = made["dir"], made
                    print(f"  {describe(made)}, model.bin {made['bytes'] / 1e6:.0f} MB", flush=True)
            runs: list[dict[str, dict[str, Any]]] = []
            for round_index in range(args.repeat):
                results = {}
                for arm in args.arms.split(","):
                    marian = SHAPES[shape]["family"] == "marian"
                    if marian and arm.partition("@")[0] in TRIMMED_ARMS:
                        continue  # one-direction model: no target language to restrict or trim to
                    for batch in (args.b2_batch.split(",") if arm == "b2" else [None]):
                        name = arm if batch is None else f"b2@{batch}"
                        results[name] = child(arm, {**cfg, "b2_batch": int(batch or 0)})
                        print(f"  ({name}) done: {results[name].get('seconds', 0):.1f} s", flush=True)
                b2 = [name for name in results if name.startswith("b2@")]
                if b2:
                    results["b2"] = min((results[name] for name in b2), key=lambda r: r["seconds"])
                runs.append(results)
                print_table(shape, results, round_index)
            report["shapes"][shape] = {"model": info, "runs": runs}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def print_table(shape: str, results: dict[str, dict[str, Any]], round_index: int = 0) -> None:
    names = {"a": "(a) naive transformers, per paragraph", "b": "(b) CTranslate2 int8, a sentence per call",
             "b2": "(b2) CTranslate2 int8, everything in one call", "c": "(c) kztranslate, transformers backend",
             "d": "(d) kztranslate, ctranslate2 backend", "d-trimmed": "(d-trimmed) … target vocabulary kk,ru,en",
             "d-trimmed-padded": "(d-trimmed-padded) … kept list padded to a real tokenizer's size",
             "d-trimmed-source": "(d-trimmed-source) … and the source side, padded to a real list's size",
             "d-trimmed-padded-source": "(d-trimmed-padded-source) … both lists padded to a real list's size",
             "d+vmap": "(d+vmap) … restrict_vocabulary=True", "e": "(e) kztranslate ct2 + memory, first pass"}
    names.update({arm: f"(b2) … max_batch_size={arm[3:]}" for arm in results if arm.startswith("b2@")})
    names.update({arm: f"{names[arm.partition('@')[0]]}, max_batch_tokens={arm.partition('@')[2]}"
                  for arm in results if "@" in arm and not arm.startswith("b2@")})
    print(f"\n{shape} (round {round_index + 1})")
    print("| arm | target tok/s | s/article | CPU s/article | peak RSS MB | load s |")
    print("|---|---:|---:|---:|---:|---:|")
    speed = {}
    for arm, r in results.items():
        if arm == "shares":
            continue
        seconds = r["first_s"] if arm == "e" else r["seconds"]
        speed[arm] = r["tokens"] / seconds if seconds else float("nan")
        cpu = r.get("first_cpu_s" if arm == "e" else "cpu_s")
        cpu_text = f"{cpu / r['articles']:.2f}" if cpu is not None else "–"
        print(f"| {names[arm]} | {speed[arm]:.1f} | {seconds / r['articles']:.2f} | {cpu_text} | {r['rss_mb']:.0f} | "
              f"{r['load_s']:.1f} |")
    if "e" in results:
        e = results["e"]
        for key, label in (("sentence_edit_s", "one sentence edited"), ("paragraph_edit_s", "one paragraph rewritten")):
            print(f"| (e) re-translation, {label} | – | {e[key] / e['articles']:.3f} | – | – | – |")
    print()
    tuned = [(f"{arm}/b2", arm, "b2") for arm in results if "@" in arm and not arm.startswith("b2@")]
    for label, top, bottom in (*tuned, ("d/b2", "d", "b2"), ("d-trimmed/b2", "d-trimmed", "b2"), ("d-trimmed/d", "d-trimmed", "d"),
                               ("d-trimmed-padded/b2", "d-trimmed-padded", "b2"),
                               ("d-trimmed-source/b2", "d-trimmed-source", "b2"),
                               ("d-trimmed-padded-source/b2", "d-trimmed-padded-source", "b2"),
                               ("d/a", "d", "a"), ("d/b", "d", "b"), ("d/c", "d", "c"), ("d+vmap/d", "d+vmap", "d")):
        if top in speed and bottom in speed:
            cpu = {arm: results[arm].get("first_cpu_s" if arm == "e" else "cpu_s") for arm in (top, bottom)}
            cpu_text = (f" (CPU time: {cpu[bottom] / cpu[top]:.2f}×)" if None not in cpu.values() else "")
            print(f"{label} speed: {speed[top] / speed[bottom]:.2f}×{cpu_text}")
    if "e" in results:
        e = results["e"]
        print(f"e: first translation / re-translation after a one-sentence edit: "
              f"{e['first_s'] / e['sentence_edit_s']:.1f}×; after rewriting one paragraph: "
              f"{e['first_s'] / e['paragraph_edit_s']:.1f}×; CPU time, one-sentence edit: "
              f"{e['first_cpu_s'] / e['sentence_edit_cpu_s']:.1f}× less")
        print(f"e: re-translation / the edited sentences alone: one sentence {e['sentence_edit_s']:.3f} s / "
              f"{e['sentence_alone_s']:.3f} s = {e['sentence_edit_s'] / e['sentence_alone_s']:.2f}×; one paragraph "
              f"{e['paragraph_edit_s']:.3f} s / {e['paragraph_alone_s']:.3f} s = "
              f"{e['paragraph_edit_s'] / e['paragraph_alone_s']:.2f}×; CPU time, one sentence "
              f"{e['sentence_edit_cpu_s']:.3f} s / {e['sentence_alone_cpu_s']:.3f} s = "
              f"{e['sentence_edit_cpu_s'] / e['sentence_alone_cpu_s']:.2f}×")
    if "shares" in results:
        sh = results["shares"]
        print(f"shares ({sh['rows']} rows × {sh['steps']} steps, best of {len(sh['runs']['full'])}; full "
              f"{sh['best']['full']:.2f} s, 2 steps {sh['best']['two_steps']:.2f} s, trimmed {sh['best']['trimmed']:.2f} s): "
              f"encoder {sh['encoder_share']:.0%}, decoder layers {sh['decoder_share']:.0%}, "
              f"output projection {sh['projection_share']:.0%}")
    print(flush=True)


if __name__ == "__main__":
    sys.exit(main())
