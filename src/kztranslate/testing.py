"""Tiny real translation models, for tests and demos without downloading weights.

:func:`build_tiny_model` writes a directory that loads like a Hub checkpoint of one family:
the real transformers architecture (M2M100 for NLLB and M2M100, T5 for MADLAD, Marian) with
random weights (``d_model`` 32, one layer each side) and a real SentencePiece model trained on
the few Kazakh, Russian and English sentences below (written for this module). Its output is
gibberish, but it goes through exactly the code path a real model does.

The end-of-sentence row of the output projection is zero, so the end-of-sentence logit is always
0 while the best of the other random logits is positive: these models never stop on their own,
and every output runs to its token budget (which makes the ``truncated`` flag testable).

    python examples/make_tiny_model.py nllb /tmp/tiny-nllb
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

__all__ = ["TINY_FAMILIES", "SAMPLE_TEXT", "build_tiny_model"]

#: Families :func:`build_tiny_model` can build (registry family names).
TINY_FAMILIES: tuple[str, ...] = ("nllb", "m2m100", "madlad", "marian-multi")

#: Training text for the tiny tokenizers: short news sentences in Kazakh, Russian and English.
SAMPLE_TEXT: str = """\
Астанада жаңа мектеп ашылды.
Қала әкімі тұрғындармен кездесіп, жол құрылысы туралы айтты.
Биыл көктемде егін егу жұмыстары ерте басталды.
Оқушылар халықаралық олимпиадада үш алтын медаль жеңіп алды.
Бүгін ауа райы бұлтты болады, кешке жаңбыр жауады.
Үкімет отырысында экономика мәселелері талқыланды.
Ғалымдар Қазақстан тарихы туралы жаңа кітап шығарды.
Ауылдағы емхана жаңа құрал-жабдықпен қамтамасыз етілді.
Ұлттық құрама келесі ойынға дайындалып жатыр.
Мұражайда көне қолөнер бұйымдарының көрмесі өтті.
Қыста Алматыда қар көп жауды.
Министр өңірлерге сапар жасап, фермерлермен сөйлесті.
Кітапханаға мыңнан астам жаңа кітап келді.
Өзен жағасында саябақ салынып жатыр.
Шымкентте жаңа көпір пайдалануға берілді.
Әнші жаңа әнін көрермендерге ұсынды.
Жиналыс сағат онда басталады.
Көрме келесі аптаның соңына дейін жалғасады.
Нұргүл Қалиева 2019 жылғы 27 қарашада Астанаға келді.
Әә Ғғ Ққ Ңң Өө Ұұ Үү Һһ Іі
В Астане открылась новая школа.
Аким города встретился с жителями и рассказал о строительстве дорог.
В этом году весенние полевые работы начались рано.
Школьники завоевали три золотые медали на международной олимпиаде.
Сегодня будет облачно, вечером пойдёт дождь.
На заседании правительства обсудили вопросы экономики.
Учёные выпустили новую книгу об истории Казахстана.
Сельская поликлиника получила новое оборудование.
Национальная сборная готовится к следующему матчу.
В музее прошла выставка старинных изделий народных мастеров.
Зимой в Алматы выпало много снега.
Министр посетил регионы и побеседовал с фермерами.
В библиотеку поступило более тысячи новых книг.
На берегу реки строят парк.
В Шымкенте сдали в эксплуатацию новый мост.
Певица представила зрителям свою новую песню.
Собрание начнётся в десять часов.
Выставка продлится до конца следующей недели.
Нургуль Калиева приехала в Астану 27 ноября 2019 года.
Ёё Ъъ Ыы Ээ Щщ Юю Яя
A new school opened in Astana.
The city mayor met residents and talked about road construction.
This year the spring sowing started early.
Pupils won three gold medals at an international olympiad.
Today will be cloudy, and it will rain in the evening.
The government meeting discussed economic issues.
Scientists published a new book on the history of Kazakhstan.
The village clinic received new equipment.
The national team is preparing for the next match.
The museum held an exhibition of old handicrafts.
In winter a lot of snow fell in Almaty.
The minister visited the regions and talked with farmers.
The library received more than a thousand new books.
A park is being built on the river bank.
A new bridge was opened in Shymkent.
The singer presented her new song to the audience.
The meeting starts at ten o'clock.
The exhibition will run until the end of next week.
Nurgul Kaliyeva arrived in Astana on 27 November 2019.
Qq Ww Xx Zz Jj 0123456789 %,.:;!?()"'-
"""

_D_MODEL = 32
_LAYERS = 1
_HEADS = 2
_FFN = 64
_MAX_POSITIONS = 256
_VOCAB = 400
# With the usual 0.02 the decoder ignores its input and every sentence gets the same output; 1.0
# makes outputs depend on the input, so tests can tell segments apart.
_INIT_STD = 1.0


def build_tiny_model(family: str, outdir: str | Path, *, seed: int = 0) -> Path:
    """Write a tiny random-weight model of ``family`` (one of :data:`TINY_FAMILIES`) to ``outdir``."""
    builders = {
        "nllb": _build_nllb,
        "m2m100": _build_m2m100,
        "madlad": _build_madlad,
        "marian-multi": _build_marian,
    }
    if family not in builders:
        raise ValueError(f"unknown tiny model family {family!r}; choose one of: {', '.join(TINY_FAMILIES)}")
    import torch

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    model, tokenizer = builders[family](outdir)
    with torch.no_grad():
        model.get_output_embeddings().weight[model.config.eos_token_id].zero_()
    model.save_pretrained(outdir)
    tokenizer.save_pretrained(outdir)
    return outdir


def _train_sentencepiece(model_type: str, **options: Any) -> bytes:
    """A sentencepiece model trained on :data:`SAMPLE_TEXT`; ``options`` are trainer options (special ids,
    user-defined symbols)."""
    import sentencepiece

    buffer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(SAMPLE_TEXT.splitlines()),
        model_writer=buffer,
        model_type=model_type,
        vocab_size=_VOCAB,
        hard_vocab_limit=False,
        character_coverage=1.0,
        normalization_rule_name="identity",
        minloglevel=2,
        **options,
    )
    return buffer.getvalue()


def _extract(extractor: Any, model_type: Any) -> dict[str, Any]:
    """The tokenizer keywords (``vocab``, ``merges``, ``additional_special_tokens``) a
    ``SentencePieceExtractor`` gives: transformers 5 returns a dict although it annotates a tuple."""
    extracted: dict[str, Any] = extractor.extract(model_type)
    return extracted


def _m2m100_config(vocab_size: int):
    from transformers import M2M100Config

    return M2M100Config(
        vocab_size=vocab_size, d_model=_D_MODEL, encoder_layers=_LAYERS, decoder_layers=_LAYERS,
        encoder_attention_heads=_HEADS, decoder_attention_heads=_HEADS, encoder_ffn_dim=_FFN,
        decoder_ffn_dim=_FFN, max_position_embeddings=_MAX_POSITIONS,
        pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, init_std=_INIT_STD,
    )


def _build_nllb(outdir: Path):
    from tokenizers.models import BPE
    from transformers import M2M100ForConditionalGeneration, NllbTokenizer
    from transformers.convert_slow_tokenizer import SentencePieceExtractor

    # fairseq layout: <s>=0 <pad>=1 </s>=2 <unk>=3, as the real NLLB vocabulary.
    spm_file = outdir / "sentencepiece.bpe.model"
    spm_file.write_bytes(_train_sentencepiece("bpe", bos_id=0, pad_id=1, eos_id=2, unk_id=3))
    # transformers 5 NLLB tokenizers are tokenizers-backed BPE: give them the vocabulary and merges
    # (passing the .model as vocab_file maps every word to <unk>).
    extracted = _extract(SentencePieceExtractor(str(spm_file)), BPE)
    tokenizer = NllbTokenizer(
        vocab=extracted["vocab"],
        merges=extracted["merges"],
        additional_special_tokens=["kaz_Cyrl", "rus_Cyrl", "eng_Latn"],
        src_lang="kaz_Cyrl",
    )
    spm_file.unlink()  # tokenizer.json is the tokenizer; a stale .model would only mislead
    return M2M100ForConditionalGeneration(_m2m100_config(len(tokenizer))).eval(), tokenizer


def _build_m2m100(outdir: Path):
    import sentencepiece
    from transformers import M2M100ForConditionalGeneration, M2M100Tokenizer

    spm_file = outdir / "sentencepiece.bpe.model"
    spm_file.write_bytes(_train_sentencepiece("bpe", bos_id=0, pad_id=1, eos_id=2, unk_id=3))
    processor = sentencepiece.SentencePieceProcessor(model_file=str(spm_file))
    vocab = {processor.id_to_piece(i): i for i in range(processor.get_piece_size())}
    vocab_file = outdir / "vocab.json"
    vocab_file.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = M2M100Tokenizer(vocab_file=str(vocab_file), spm_file=str(spm_file), src_lang="kk")
    # Language tokens and "madeup words" sit after the vocabulary, beyond len(tokenizer).
    vocab_size = tokenizer.encoder_size + len(tokenizer.lang_token_to_id) + tokenizer.num_madeup_words
    return M2M100ForConditionalGeneration(_m2m100_config(vocab_size)).eval(), tokenizer


def _build_madlad(outdir: Path):
    from tokenizers.models import Unigram
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer
    from transformers.convert_slow_tokenizer import SentencePieceExtractor

    # T5 layout: <pad>=0 </s>=1 <unk>=2, no <s>; MADLAD's "<2xx>" language tokens are ordinary pieces.
    spm_file = outdir / "spiece.model"
    spm_file.write_bytes(_train_sentencepiece(
        "unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1, user_defined_symbols=["<2kk>", "<2ru>", "<2en>"]
    ))
    extracted = _extract(SentencePieceExtractor(str(spm_file)), Unigram)
    user_symbols = [t for t in extracted["additional_special_tokens"] if not t.special]
    tokenizer = T5Tokenizer(vocab=extracted["vocab"], extra_ids=0, additional_special_tokens=user_symbols)
    spm_file.unlink()
    # decoder_start_token_id is no declared field of T5Config: it reaches the base config as a keyword
    undeclared: dict[str, Any] = {"decoder_start_token_id": 0}
    config = T5Config(
        vocab_size=len(tokenizer), d_model=_D_MODEL, d_kv=_D_MODEL // _HEADS, d_ff=_FFN, num_layers=_LAYERS,
        num_decoder_layers=_LAYERS, num_heads=_HEADS, pad_token_id=0, eos_token_id=1, **undeclared,
    )
    return T5ForConditionalGeneration(config).eval(), tokenizer


def _build_marian(outdir: Path):
    import sentencepiece
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    spm_bytes = _train_sentencepiece("unigram", unk_id=0, bos_id=-1, eos_id=-1)
    for name in ("source.spm", "target.spm"):
        (outdir / name).write_bytes(spm_bytes)
    processor = sentencepiece.SentencePieceProcessor(model_file=str(outdir / "source.spm"))
    pieces = [processor.id_to_piece(i) for i in range(1, processor.get_piece_size())]
    # OPUS-MT layout: </s>=0 <unk>=1, the target-language tokens, the pieces, <pad> last.
    tokens = ["</s>", "<unk>", ">>kaz_Cyrl<<", ">>rus<<", ">>eng<<", *pieces, "<pad>"]
    vocab_file = outdir / "vocab.json"
    vocab_file.write_text(json.dumps({t: i for i, t in enumerate(tokens)}, ensure_ascii=False), encoding="utf-8")
    tokenizer = MarianTokenizer(
        source_spm=str(outdir / "source.spm"), target_spm=str(outdir / "target.spm"), vocab=str(vocab_file)
    )
    pad = len(tokens) - 1
    config = MarianConfig(
        vocab_size=len(tokens), d_model=_D_MODEL, encoder_layers=_LAYERS, decoder_layers=_LAYERS,
        encoder_attention_heads=_HEADS, decoder_attention_heads=_HEADS, encoder_ffn_dim=_FFN,
        decoder_ffn_dim=_FFN, max_position_embeddings=_MAX_POSITIONS,
        pad_token_id=pad, decoder_start_token_id=pad, eos_token_id=0, forced_eos_token_id=0, init_std=_INIT_STD,
    )
    return MarianMTModel(config).eval(), tokenizer
