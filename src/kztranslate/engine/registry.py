"""Model families and presets for the transformers backend.

A *family* knows how a kind of model is driven: its language codes, how the target language is
signalled, its tokenizer and its input limit. A *preset* is one published checkpoint of a family
with its size, directions and license. :func:`resolve_model` turns what the user typed
(``--model``) into a :class:`ResolvedModel`: a preset by name or Hub id, or a local directory whose
family is detected from its ``config.json`` and tokenizer files.

Nothing here imports torch or transformers, so ``kztranslate models`` stays fast.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from itertools import permutations
from pathlib import Path
from typing import Any, Literal

from ..errors import ModelUnavailableError, UsageError

__all__ = [
    "TargetSignal",
    "ModelFamily",
    "ModelPreset",
    "ResolvedModel",
    "FAMILIES",
    "PRESETS",
    "DEFAULT_MODEL",
    "resolve_model",
    "describe_directory",
    "detect_family",
]

TargetSignal = Literal["forced_bos", "prefix", "marian_prefix", "fixed"]

_BASE_LANGUAGES = ("kk", "ru", "en")
_ALL_PAIRS: tuple[tuple[str, str], ...] = tuple(permutations(_BASE_LANGUAGES, 2))


@dataclass(slots=True)
class ModelFamily:
    """How one kind of translation model is driven."""

    name: str
    """Registry name (``nllb``, ``m2m100``, ``madlad``, ``marian``, ``marian-multi``, ``t5``)."""
    architectures: tuple[str, ...]
    """``model_type`` values of ``config.json`` this family runs on (used for detection)."""
    language_codes: dict[str, str]
    """Our language tag (``kk``/``ru``/``en``) → the model's own code; empty for one-direction models."""
    target_signal: TargetSignal
    """How the target language is chosen: ``forced_bos`` (first decoder token is the target code;
    the source code is set on the tokenizer), ``prefix`` (``"<2ru> "`` before the text),
    ``marian_prefix`` (``">>rus<< "`` before the text) or ``fixed`` (one direction, nothing to signal)."""
    tokenizer_class: str
    """The transformers tokenizer class this family's checkpoints use."""
    max_input_tokens: int
    """Longest input segment in tokens the family translates well; longer segments are split."""
    language_token_pattern: str | None = None
    """Regex matching every language token of the vocabulary; such tokens are removed from outputs."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Anything else worth knowing about the family."""

    def target_prefix(self, target: str) -> str:
        """Text put before each source segment to select ``target`` (empty unless a prefix family)."""
        if self.target_signal == "prefix":
            return f"{self.language_codes[target]} "
        if self.target_signal == "marian_prefix":
            return f">>{self.language_codes[target]}<< "
        return ""


@dataclass(slots=True)
class ModelPreset:
    """One published checkpoint, selectable by name with ``--model``."""

    name: str
    """Short name used on the command line (``nllb-200-distilled-600M``)."""
    hub_id: str
    """Hugging Face Hub repository id."""
    family: str
    """Name of its :class:`ModelFamily`."""
    parameters: str
    """Parameter count, rounded (``600M``)."""
    download_size: str
    """Approximate size of the weights to download."""
    language_pairs: tuple[tuple[str, str], ...]
    """Directions it translates, as ``(source, target)`` tags."""
    license: str
    """SPDX identifier of the weights' license."""
    revision: str | None = None
    """Hub revision (commit) pinned by default; None = the repository's default branch."""
    default: bool = False
    """Whether this is the model used when none is named."""
    note: str = ""
    """Caveats shown next to the preset (gated access, license notes)."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Anything else worth knowing about the checkpoint."""
    trim_target: tuple[str, ...] = ()
    """Target languages the ctranslate2 backend trims the output vocabulary to when it converts this
    preset (:mod:`kztranslate.engine.trim`); empty = the full vocabulary."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hub_id": self.hub_id,
            "family": self.family,
            "parameters": self.parameters,
            "download_size": self.download_size,
            "language_pairs": [f"{s}-{t}" for s, t in self.language_pairs],
            "license": self.license,
            "revision": self.revision,
            "default": self.default,
            "note": self.note,
            "trim_target": list(self.trim_target),
        }


@dataclass(slots=True)
class ResolvedModel:
    """What ``--model`` named: a preset, another Hub repository, or a local directory."""

    family: ModelFamily | None
    """How to drive it; None for a Hub repository that is not a preset until its files are found."""
    preset: ModelPreset | None = None
    """The preset, when a preset name or its Hub id was given."""
    hub_id: str | None = None
    """The Hub repository, fetched through the Hugging Face cache (presets and other Hub ids)."""
    path: Path | None = None
    """The local model directory, when a path was given."""
    language_pairs: tuple[tuple[str, str], ...] | None = None
    """Directions it translates; None = unknown (a one-direction model that is not a preset): trust the caller."""

    @property
    def name(self) -> str:
        """How the model is named in provenance: the Hub id or the directory."""
        return self.hub_id or str(self.path)


_NLLB_CODES = {"kk": "kaz_Cyrl", "ru": "rus_Cyrl", "en": "eng_Latn"}

#: Families by name.
FAMILIES: dict[str, ModelFamily] = {
    family.name: family
    for family in (
        ModelFamily(
            name="nllb",
            architectures=("m2m_100",),
            language_codes=_NLLB_CODES,
            target_signal="forced_bos",
            tokenizer_class="NllbTokenizer",
            max_input_tokens=512,
            language_token_pattern=r"[a-z]{3}_[A-Z][a-z]{3}",
        ),
        ModelFamily(
            name="m2m100",
            architectures=("m2m_100",),
            language_codes={"kk": "kk", "ru": "ru", "en": "en"},
            target_signal="forced_bos",
            tokenizer_class="M2M100Tokenizer",
            max_input_tokens=512,
            language_token_pattern=r"__[a-z]{2,3}__",
        ),
        ModelFamily(
            name="madlad",
            architectures=("t5", "mt5"),
            language_codes={"kk": "<2kk>", "ru": "<2ru>", "en": "<2en>"},
            target_signal="prefix",
            tokenizer_class="T5Tokenizer",
            max_input_tokens=512,
            language_token_pattern=r"<2[A-Za-z_-]+>",
        ),
        ModelFamily(
            name="marian-multi",
            architectures=("marian",),
            language_codes={"kk": "kaz_Cyrl", "ru": "rus", "en": "eng"},
            target_signal="marian_prefix",
            tokenizer_class="MarianTokenizer",
            max_input_tokens=512,
            language_token_pattern=r">>[A-Za-z_]+<<",
        ),
        ModelFamily(
            name="marian",
            architectures=("marian",),
            language_codes={},
            target_signal="fixed",
            tokenizer_class="MarianTokenizer",
            max_input_tokens=512,
        ),
        ModelFamily(
            name="t5",
            architectures=("t5", "mt5"),
            language_codes={},
            target_signal="fixed",
            tokenizer_class="T5Tokenizer",
            max_input_tokens=512,
        ),
    )
}

_NLLB_NC = "CC-BY-NC-4.0"

#: Presets by name, in the order ``kztranslate models`` lists them.
PRESETS: dict[str, ModelPreset] = {
    preset.name: preset
    for preset in (
        ModelPreset("nllb-200-distilled-600M", "facebook/nllb-200-distilled-600M", "nllb", "600M", "2.5 GB",
                    _ALL_PAIRS, _NLLB_NC, default=True, note="non-commercial use only"),
        ModelPreset("nllb-200-distilled-600M-kk-ru-en", "facebook/nllb-200-distilled-600M", "nllb", "600M",
                    "2.5 GB", _ALL_PAIRS, _NLLB_NC, trim_target=("kk", "ru", "en"),
                    note="non-commercial use only; ctranslate2 backend: target vocabulary trimmed to kk, ru, en "
                         "(smaller, faster; the transformers backend runs it whole)"),
        ModelPreset("nllb-200-distilled-1.3B", "facebook/nllb-200-distilled-1.3B", "nllb", "1.3B", "5.5 GB",
                    _ALL_PAIRS, _NLLB_NC, note="non-commercial use only"),
        ModelPreset("nllb-200-3.3B", "facebook/nllb-200-3.3B", "nllb", "3.3B", "17.6 GB",
                    _ALL_PAIRS, _NLLB_NC, note="non-commercial use only"),
        ModelPreset("tilmash", "issai/tilmash", "nllb", "1.3B", "5.5 GB", _ALL_PAIRS, _NLLB_NC,
                    note="gated: accept its conditions on the Hub and log in to download; fine-tuned from "
                         "NLLB-200-distilled-1.3B, whose non-commercial license applies (the card names none)"),
        ModelPreset("m2m100_418M", "facebook/m2m100_418M", "m2m100", "418M", "1.9 GB", _ALL_PAIRS, "MIT"),
        ModelPreset("m2m100_1.2B", "facebook/m2m100_1.2B", "m2m100", "1.2B", "5.0 GB", _ALL_PAIRS, "MIT"),
        ModelPreset("madlad400-3b-mt", "google/madlad400-3b-mt", "madlad", "3B", "11.8 GB", _ALL_PAIRS,
                    "Apache-2.0"),
        ModelPreset("opus-mt-trk-en", "Helsinki-NLP/opus-mt-trk-en", "marian", "77M", "0.3 GB",
                    (("kk", "en"),), "CC-BY-4.0"),
        ModelPreset("opus-mt-en-trk", "Helsinki-NLP/opus-mt-en-trk", "marian-multi", "77M", "0.3 GB",
                    (("en", "kk"),), "CC-BY-4.0"),
        ModelPreset("kazrush-kk-ru", "deepvk/kazRush-kk-ru", "t5", "197M", "0.8 GB", (("kk", "ru"),),
                    "Apache-2.0"),
        ModelPreset("kazrush-ru-kk", "deepvk/kazRush-ru-kk", "t5", "197M", "0.8 GB", (("ru", "kk"),),
                    "Apache-2.0"),
    )
}

#: The preset used when no model is named.
DEFAULT_MODEL: str = next(name for name, preset in PRESETS.items() if preset.default)


def resolve_model(name_or_path: str | os.PathLike[str] | None = None) -> ResolvedModel:
    """Resolve a preset name, a Hub id or a local model directory (default: :data:`DEFAULT_MODEL`).

    Raises :class:`UsageError` listing the presets for a name that is none of these, and
    :class:`ModelUnavailableError` for a path that is no directory or a directory that holds no model.
    """
    text = os.fspath(name_or_path) if name_or_path is not None else DEFAULT_MODEL
    preset = _find_preset(text)
    if preset is not None:
        return ResolvedModel(
            FAMILIES[preset.family], preset=preset, hub_id=preset.hub_id, language_pairs=preset.language_pairs
        )
    path = Path(text).expanduser()
    if path.is_dir():
        return describe_directory(path)
    if path.exists() or _looks_like_path(text):
        what = "not a directory" if path.exists() else "no such directory"
        raise ModelUnavailableError(
            f"model directory {path}: {what}; pass --model PATH to a downloaded model directory, "
            "or a preset name (see `kztranslate models`)"
        )
    if _HUB_ID.fullmatch(text):
        return ResolvedModel(None, hub_id=text)
    raise UsageError(
        f"unknown model {text!r}: not a preset, a Hub id (owner/name) or a directory; choose a preset "
        f"({', '.join(PRESETS)}) or pass --model PATH to a downloaded model directory "
        "(see `kztranslate models`)"
    )


def describe_directory(path: Path, hub_id: str | None = None) -> ResolvedModel:
    """The model in directory ``path`` (a local copy, or the cache snapshot of Hub repository ``hub_id``)."""
    family = detect_family(path)
    pairs = None if family.target_signal == "fixed" else tuple(permutations(family.language_codes, 2))
    return ResolvedModel(family, hub_id=hub_id, path=None if hub_id else path.resolve(), language_pairs=pairs)


_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


def _looks_like_path(text: str) -> bool:
    """Whether ``--model`` names a file-system path rather than a preset or a Hub id (``owner/name``):
    absolute, home- or dot-relative, or with more separators than a Hub id has."""
    if text.startswith(("~", "./", "../", ".\\", "..\\")) or Path(text).is_absolute():
        return True
    return text.count("/") + text.count("\\") > 1


def _find_preset(text: str) -> ModelPreset | None:
    key = text.strip().lower()
    for preset in PRESETS.values():
        if key in (preset.name.lower(), preset.hub_id.lower()):
            return preset
    return None


def detect_family(path: str | Path) -> ModelFamily:
    """The family of the model in directory ``path``, from ``config.json`` and its tokenizer files."""
    path = Path(path)
    config_file = path / "config.json"
    if not config_file.is_file():
        raise ModelUnavailableError(
            f"{path} holds no model: config.json is missing; pass --model PATH to a directory made by "
            "`save_pretrained` or downloaded from the Hugging Face Hub"
        )
    model_type = str(_read_json(config_file).get("model_type", ""))
    tokenizer_class = str(_read_json(path / "tokenizer_config.json").get("tokenizer_class") or "")
    tokens = _vocabulary(path)
    if model_type == "m2m_100":
        if tokenizer_class.startswith("Nllb") or "kaz_Cyrl" in tokens:
            return FAMILIES["nllb"]
        if tokenizer_class.startswith("M2M100") or "__kk__" in tokens:
            return FAMILIES["m2m100"]
    elif model_type in ("t5", "mt5"):
        madlad = FAMILIES["madlad"]
        return madlad if set(madlad.language_codes.values()) <= tokens else FAMILIES["t5"]
    elif model_type == "marian":
        return FAMILIES["marian-multi"] if any(_MARIAN_TOKEN.fullmatch(t) for t in tokens) else FAMILIES["marian"]
    supported = sorted({arch for family in FAMILIES.values() for arch in family.architectures})
    raise UsageError(
        f"cannot tell which model family {path} belongs to (model_type {model_type or 'missing'!r}, "
        f"tokenizer {tokenizer_class or 'unknown'!r}); supported: model types {', '.join(supported)} "
        f"with the tokenizers of the families {', '.join(FAMILIES)}"
    )


_MARIAN_TOKEN = re.compile(FAMILIES["marian-multi"].language_token_pattern or "")


def _read_json(file: Path) -> dict[str, Any]:
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(f"cannot read {file}: {exc}; the model directory looks damaged") from exc
    return data if isinstance(data, dict) else {}


def _vocabulary(path: Path) -> set[str]:
    """Every token string the directory's tokenizer files name (no tokenizer is instantiated)."""
    tokens: set[str] = set()
    tokenizer = _read_json(path / "tokenizer.json")
    vocab = tokenizer.get("model", {}).get("vocab") or {}
    tokens.update(vocab if isinstance(vocab, dict) else (entry[0] for entry in vocab))
    tokens.update(added.get("content", "") for added in tokenizer.get("added_tokens", []))
    tokens.update(_read_json(path / "vocab.json"))
    config = _read_json(path / "tokenizer_config.json")
    tokens.update(added.get("content", "") for added in config.get("added_tokens_decoder", {}).values())
    for key in ("additional_special_tokens", "extra_special_tokens"):
        listed = config.get(key) or []
        tokens.update(str(t) for t in (listed.values() if isinstance(listed, dict) else listed))
    if not vocab:
        tokens.update(_sentencepiece_pieces(path))
    return tokens


def _sentencepiece_pieces(path: Path) -> set[str]:
    models = sorted(path.glob("*.model"))
    if not models:
        return set()
    import sentencepiece  # a dependency; small, imported only for directories without tokenizer.json

    processor = sentencepiece.SentencePieceProcessor(model_file=str(models[0]))
    return {processor.id_to_piece(i) for i in range(processor.get_piece_size())}
