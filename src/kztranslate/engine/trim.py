"""Target-vocabulary trimming: the pieces a decoder needs to write only Kazakh, Russian and English.

A multilingual model's output layer scores every piece of every language at every decoding step;
NLLB-200's is 256,206 × 1024 (43 % of its 615 M parameters, about 60 % of a CPU decoding step).
kztranslate writes kk, ru and en only, so a conversion may keep, on the *target* side (decoder
embeddings, output projection, target vocabulary), only the pieces those languages need — the
vocabulary trimming of Ushio et al. (2023) — while the encoder keeps the full source vocabulary,
so any input still reads.

:func:`kept_target_ids` decides which pieces stay:

- every piece that tokenizing a kk/ru/en corpus produces — the text shipped in installed packages
  (:data:`kztranslate.testing.SAMPLE_TEXT`; CLDR display names, months, days, units and time-zone
  cities of the ``kk``, ``ru`` and ``en`` locales from babel) plus any text files given, each line
  as written, in upper case and with words capitalized (headlines, names);
- every single character of the alphabets (Kazakh and Russian Cyrillic, Latin with the kk-Latn
  letters), digits and punctuation, alone and word-initial;
- the pieces of our placeholders (``[[12]]``) and inline markers (``<1>``, ``</1>``, ``<2/>``, ``&lt;``);
- the special tokens (start, end, unknown, padding, the decoder's start token) and the target
  language codes of the kept languages (never another language's code).

Greedy decoding with the trimmed model is exact: its logits are the full model's logits of the
kept pieces (the same rows of the same matrix), so its argmax equals the full model's whenever
that lies among the kept pieces. Probabilities are renormalized over the kept pieces, so beam
search may rank hypotheses differently from the full model once pieces outside the list matter.

A conversion may also trim its *source* side (:func:`kept_source_ids`, ``--trim-source``): the
encoder embeddings keep the same corpus pieces, the source codes of the kept languages, every
piece of one character and the byte pieces of byte-fallback vocabularies, so that NLLB's
256,206 × 1024 encoder matrix (a third of the int8 model) shrinks too. Such a model reads only the
kept languages; a source piece outside the list is spelled with the longest kept pieces
(:func:`respell`), so any input still reads, and a sentence whose pieces are all kept is encoded
exactly as by the full model. Where the tokenizer is a byte-pair-encoding ``tokenizer.json`` (NLLB),
the conversion's copy keeps only the kept pieces of both sides and the merges that build them
(:func:`restrict_bpe_tokenizer`): the same ids, the same pieces for any text whose pieces are all kept,
and a quarter of the memory.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError

__all__ = ["TRIM_LANGUAGES", "SourceTrim", "TargetTrim", "alphabet", "corpus_sources", "kept_source_ids",
           "kept_target_ids", "parse_languages", "respell", "restrict_bpe_tokenizer"]

#: Languages a trimmed target vocabulary can be made for.
TRIM_LANGUAGES: tuple[str, ...] = ("kk", "ru", "en")
#: Punctuation and symbols of news text beyond ASCII.
_EXTRA_PUNCTUATION = "«»„“”‘’‚‹›—–‑…№§°•·‰‱€£¥₸₽¢©®™±×÷′″\u00a0"
#: A byte-fallback piece of SentencePiece vocabularies (T5/MADLAD): one byte of UTF-8.
_BYTE_PIECE = re.compile(r"<0x[0-9A-F]{2}>")
#: Strings of our placeholders and inline markers, as the pipeline hands them to the model.
_MARKUP_SAMPLES = (
    "[[1]] [[2]] [[3]] [[9]] [[10]] [[12]] [[99]] [[123]] [[ 1 ]]",
    "<1>текст</1> <2/> <3>text</3> <10>сөз</10> <11/> &lt; &gt; &amp;",
)


@dataclass(frozen=True, slots=True)
class TargetTrim:
    """Which target pieces a trimmed conversion keeps, and where the list came from."""

    languages: tuple[str, ...]
    """The target languages the model may still write."""
    ids: tuple[int, ...]
    """Kept ids of the checkpoint's vocabulary, ascending (the trimmed vocabulary's order)."""
    full_size: int
    """Size of the checkpoint's target vocabulary."""
    corpus: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    """The texts tokenized: name, sha256 and line count of each source."""

    @property
    def digest(self) -> str:
        """sha256 of the kept ids: what the translation memory and the conversion cache key on."""
        return _digest(self.ids)

    def to_marker(self) -> dict[str, Any]:
        """The record written into a conversion's ``kztranslate.json``."""
        return {"languages": list(self.languages), "size": len(self.ids), "full_size": self.full_size,
                "sha256": self.digest, "corpus": list(self.corpus), "ids": list(self.ids)}

    @classmethod
    def from_marker(cls, record: dict[str, Any]) -> TargetTrim:
        return cls(tuple(record["languages"]), tuple(int(i) for i in record["ids"]), int(record["full_size"]),
                   tuple(record.get("corpus") or ()))

    def signature(self) -> dict[str, Any]:
        """The part of a backend signature (provenance, memory key) that names this list."""
        return {"languages": list(self.languages), "size": len(self.ids), "sha256": self.digest,
                "corpus": [source["name"] for source in self.corpus]}


@dataclass(frozen=True, slots=True)
class SourceTrim:
    """Which source pieces a conversion trimmed on both sides keeps (the encoder's embedding rows)."""

    ids: tuple[int, ...]
    """Kept ids of the checkpoint's vocabulary, ascending (the trimmed source vocabulary's order)."""
    full_size: int
    """Size of the checkpoint's source vocabulary."""
    restricted_tokenizer: bool = False
    """The conversion's tokenizer holds only the kept pieces (:func:`restrict_bpe_tokenizer`); text with
    pieces outside the list is then cut into smaller pieces by the tokenizer itself before respelling."""

    @property
    def digest(self) -> str:
        """sha256 of the kept ids: what the translation memory and the conversion cache key on."""
        return _digest(self.ids)

    def to_marker(self) -> dict[str, Any]:
        """The record written into a conversion's ``kztranslate.json``."""
        return {"size": len(self.ids), "full_size": self.full_size, "sha256": self.digest,
                "restricted_tokenizer": self.restricted_tokenizer, "ids": list(self.ids)}

    @classmethod
    def from_marker(cls, record: dict[str, Any]) -> SourceTrim:
        return cls(tuple(int(i) for i in record["ids"]), int(record["full_size"]),
                   bool(record.get("restricted_tokenizer", False)))

    def signature(self) -> dict[str, Any]:
        """The part of a backend signature (provenance, memory key) that names this list."""
        signature: dict[str, Any] = {"size": len(self.ids), "sha256": self.digest}
        if self.restricted_tokenizer:  # other spellings of unlisted pieces: other outputs, another memory key
            signature["restricted_tokenizer"] = True
        return signature


def _digest(ids: Sequence[int]) -> str:
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


def parse_languages(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"kk,ru,en"`` (or a sequence) → ``("kk", "ru", "en")``, checked and in a fixed order."""
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else [str(v).strip() for v in value]
    items = [v for v in items if v]
    unknown = [v for v in items if v not in TRIM_LANGUAGES]
    if unknown or not items:
        raise UsageError(
            f"cannot trim the target vocabulary to {', '.join(unknown) or 'no language'}: choose among "
            f"{', '.join(TRIM_LANGUAGES)} (e.g. --trim-target kk,ru,en)"
        )
    return tuple(language for language in TRIM_LANGUAGES if language in items)


def alphabet(languages: Sequence[str]) -> str:
    """Every single character the kept languages are written with: letters, digits, punctuation."""
    from ..languages import KAZAKH_LETTERS
    from ..latin import CYRILLIC_TO_LATIN

    letters = set(string.ascii_letters)  # English, and the Latin words of Kazakh and Russian news
    cyrillic = "".join(chr(c) for c in range(ord("А"), ord("я") + 1)) + "Ёё"
    if "kk" in languages or "ru" in languages:
        letters |= set(cyrillic)
    if "kk" in languages:
        letters |= set(KAZAKH_LETTERS)
        kk_latin = "".join(CYRILLIC_TO_LATIN.values())
        letters |= set(kk_latin) | set(kk_latin.upper()) | set("İı")
    characters = letters | set(string.digits) | set(string.punctuation) | set(_EXTRA_PUNCTUATION)
    return "".join(sorted(c for c in characters if not c.isspace() or c == "\u00a0"))


def corpus_sources(
    languages: Sequence[str], files: Sequence[str | Path] = ()
) -> list[tuple[dict[str, Any], list[str]]]:
    """The texts to tokenize: ``(record, lines)`` for each source, the shipped ones first."""
    from ..testing import SAMPLE_TEXT

    sources = [("kztranslate.testing.SAMPLE_TEXT", SAMPLE_TEXT.splitlines())]
    sources.append(_cldr_source(languages))
    sources.append(("kztranslate placeholders and inline markers", list(_MARKUP_SAMPLES)))
    for file in files:
        path = Path(file).expanduser()
        paths = (sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".txt", ".tsv"))
                 if path.is_dir() else [path])
        for item in paths:
            try:
                text = item.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"cannot read the trimming corpus file {item}: {exc}; pass UTF-8 text files") from exc
            lines = [cell for line in text.splitlines() if not line.startswith("#") for cell in line.split("\t")]
            sources.append((str(item.resolve()), lines))
    return [({"name": name, "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest(), "lines": len(lines)},
             lines) for name, lines in sources]


def _cldr_source(languages: Sequence[str]) -> tuple[str, list[str]]:
    import babel
    from babel import Locale

    lines: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            lines.append(value)
        elif hasattr(value, "items"):
            for _key, item in value.items():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    for language in languages:
        locale = Locale.parse(language)
        for attribute in ("languages", "territories", "scripts", "variants", "currencies", "months", "days",
                          "quarters", "eras", "time_zones", "unit_display_names", "list_patterns",
                          "measurement_systems", "meta_zones", "character_order"):
            walk(getattr(locale, attribute, None))
    return f"babel {babel.__version__} CLDR locale data ({', '.join(languages)})", lines


def kept_target_ids(text: Any, languages: Sequence[str], vocabulary_size: int, decoder_start_id: int | None,
                    corpus_files: Sequence[str | Path] = ()) -> TargetTrim:
    """The pieces a decoder writing ``languages`` keeps (see the module docstring), for the model
    whose tokenizer ``text`` (a :class:`~kztranslate.engine.hf_model.ModelText`) drives."""
    languages = parse_languages(languages)
    sources = corpus_sources(languages, corpus_files)
    kept = _corpus_ids(text, languages, [lines for _, lines in sources])
    kept |= _language_code_ids(text, languages)
    if decoder_start_id is not None:
        kept.add(decoder_start_id)
    ids = tuple(sorted(i for i in kept if 0 <= i < vocabulary_size))
    return TargetTrim(languages, ids, vocabulary_size, tuple(record for record, _ in sources))


def kept_source_ids(text: Any, trim: TargetTrim, corpus_files: Sequence[str | Path] = ()) -> SourceTrim:
    """The pieces an encoder reading ``trim``'s languages keeps: those of the same corpus, their
    source codes and the special tokens, every piece of one character (alone or word-initial) and
    every byte piece, so that :func:`respell` can spell any piece outside the list."""
    tokenizer = text.tokenizer
    sources = corpus_sources(trim.languages, corpus_files)
    kept = _corpus_ids(text, trim.languages, [lines for _, lines in sources])
    kept |= _language_code_ids(text, trim.languages)
    pieces = tokenizer.convert_ids_to_tokens(list(range(trim.full_size)))
    # one-character pieces spell any piece; byte pieces (<0xE2>) are how byte-fallback vocabularies spell the rest
    kept |= {i for i, piece in enumerate(pieces)
             if piece and (len(piece.removeprefix("▁")) <= 1 or _BYTE_PIECE.fullmatch(piece))}
    kept -= set(text.language_token_ids) - _language_code_ids(text, trim.languages)
    return SourceTrim(tuple(sorted(i for i in kept if 0 <= i < trim.full_size)), trim.full_size)


def respell(piece: str, kept: frozenset[str] | set[str], longest: int, unknown: str) -> list[str]:
    """``piece`` as the longest kept pieces that spell it, left to right; a character no kept piece
    holds (never one of the checkpoint's own pieces) becomes ``unknown``."""
    spelled: list[str] = []
    start = 0
    while start < len(piece):
        for end in range(min(len(piece), start + longest), start, -1):
            if piece[start:end] in kept:
                spelled.append(piece[start:end])
                start = end
                break
        else:
            spelled.append(unknown)
            start += 1
    return spelled


def restrict_bpe_tokenizer(data: dict[str, Any], ids: Iterable[int]) -> dict[str, Any] | None:
    """``data`` (a parsed ``tokenizer.json``) with its byte-pair-encoding vocabulary cut down to the
    pieces of ``ids``, the pieces the merges pass through on the way to them, and the merges among
    those; every id stays as it was. None where the model is not plain BPE (a unigram vocabulary's ids
    are positions, so it cannot lose rows; sub-word prefixes and suffixes are not handled).

    Text whose full tokenization uses only kept pieces is tokenized identically: BPE merges inside a
    final piece never depend on the text around it, so the merges that build each kept piece from its
    characters are exactly the ones replayed here, and every merge the full tokenizer applies to such
    text is kept, while the kept merges are a subset of its own. Other text stops merging earlier and
    comes out in smaller pieces of the cut vocabulary. Added tokens (special tokens, language codes) stay.
    """
    model = data.get("model") or {}
    if (model.get("type") != "BPE" or model.get("dropout") or model.get("continuing_subword_prefix")
            or model.get("end_of_word_suffix") or not isinstance(model.get("vocab"), dict)):
        return None
    vocab: dict[str, int] = model["vocab"]
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model.get("merges") or []]
    rank = {pair: index for index, pair in enumerate(merges)}
    piece_of = {token_id: piece for piece, token_id in vocab.items()}
    keep = {piece_of[i] for i in ids if i in piece_of}
    keep |= {token["content"] for token in data.get("added_tokens") or [] if token.get("content") in vocab}
    if model.get("unk_token") in vocab:
        keep.add(model["unk_token"])
    for piece in list(keep):
        keep.update(_bpe_steps(piece, rank))
    keep &= vocab.keys()
    restricted = dict(data)
    restricted["model"] = dict(model, vocab={piece: i for piece, i in vocab.items() if piece in keep}, merges=[
        list(pair) for pair in merges if pair[0] in keep and pair[1] in keep and pair[0] + pair[1] in keep])
    return restricted


def _bpe_steps(piece: str, rank: dict[tuple[str, ...], int]) -> set[str]:
    """Every piece that byte-pair encoding of ``piece`` alone passes through: its characters, then the
    result of each merge, lowest rank first and leftmost among equals (as ``tokenizers`` applies them)."""
    parts = list(piece)
    seen = set(parts)
    while len(parts) > 1:
        best = min(range(len(parts) - 1), key=lambda i: rank.get((parts[i], parts[i + 1]), len(rank)))
        if (parts[best], parts[best + 1]) not in rank:
            break
        parts[best:best + 2] = [parts[best] + parts[best + 1]]
        seen.add(parts[best])
    return seen


def _corpus_ids(text: Any, languages: Sequence[str], corpora: Iterable[list[str]]) -> set[int]:
    """Ids of every piece that tokenizing the corpora (as written, upper case, capitalized words) and
    the alphabets of ``languages`` produces, plus the special tokens (no language code)."""
    tokenizer = text.tokenizer
    kept: set[int] = set()

    def add(strings: list[str]) -> None:
        for start in range(0, len(strings), 512):
            for ids in tokenizer(strings[start:start + 512], add_special_tokens=False)["input_ids"]:
                kept.update(ids)

    for lines in corpora:
        lines = [line.strip() for line in lines if line.strip()]
        add(lines)
        add([line.upper() for line in lines])
        add([" ".join(word[:1].upper() + word[1:] for word in line.split()) for line in lines])
    characters = alphabet(languages)
    add(list(characters))
    add([f"a {c}" for c in characters])  # word-initial forms ("▁x")
    for character in characters:
        for piece in (character, "▁" + character):
            token_id = tokenizer.convert_tokens_to_ids(piece)
            if isinstance(token_id, int) and token_id != tokenizer.unk_token_id:
                kept.add(token_id)
    kept -= set(text.language_token_ids)  # no language code is a word
    kept -= set(tokenizer.all_special_ids)  # added back below: only the ones a model needs
    kept |= {token_id for token_id in (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id,
                                       tokenizer.pad_token_id) if token_id is not None}
    return kept


def _language_code_ids(text: Any, languages: Sequence[str]) -> set[int]:
    """Ids of the language codes (or target prefixes) of ``languages``."""
    tokenizer = text.tokenizer
    family = text.family
    ids: set[int] = set()
    for language in languages:
        code_id = text.target_token_id(language)
        if code_id is None and family.target_signal in ("prefix", "marian_prefix"):
            code_id = tokenizer.convert_tokens_to_ids(family.target_prefix(language).strip())
        if code_id is not None and code_id != tokenizer.unk_token_id:
            ids.add(code_id)
    return ids
