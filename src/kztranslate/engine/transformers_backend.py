"""The transformers backend: sequence-to-sequence translation models on PyTorch.

The model is a preset of :mod:`kztranslate.engine.registry` (fetched through the Hugging Face
cache: ``HF_HOME``/``HF_HUB_CACHE``, ``HF_HUB_OFFLINE``, a pinned revision) or a local directory.
The cache is checked before anything touches the network, so missing weights offline fail in
well under a second with a message saying where we looked and how to provide them.

Decoding settings are passed to ``generate`` explicitly, every one of them, so a checkpoint's
``generation_config`` (beam size, ``max_length``, forced EOS, …) never changes the output behind
the caller's back; :meth:`TransformersBackend.signature` records them for provenance.

torch and transformers are imported only when a model is loaded.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Sequence

from ..errors import BackendError, ModelUnavailableError, UsageError
from .base import Decoding, Translation
from .registry import ModelFamily, ResolvedModel, describe_directory, resolve_model

__all__ = ["TransformersBackend"]

#: Accepted ``dtype`` names → torch dtype attribute.
DTYPES: dict[str, str] = {
    "float32": "float32", "fp32": "float32",
    "float16": "float16", "fp16": "float16",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
}
_WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
_HUB_FILES = ["*.json", "*.model", "*.spm", "*.txt"]
# T5 has relative positions and no architectural output limit; cap it like NLLB's positions.
_DEFAULT_OUTPUT_LIMIT = 1024


@dataclass(slots=True)
class _Loaded:
    """A model and tokenizer loaded once per process and shared by every backend that asks for it."""

    model: Any
    """The ``AutoModelForSeq2SeqLM`` instance, in eval mode on its device."""
    tokenizer: Any
    """The family's tokenizer."""
    language_token_ids: frozenset[int]
    """Ids of every language token of the vocabulary (dropped from outputs)."""
    lock: threading.Lock
    """Held while the tokenizer's source language is set and used (it is shared state)."""


_LOADED: dict[tuple[str, str, str], _Loaded] = {}
_LOADED_LOCK = threading.Lock()


class TransformersBackend:
    """Translate with a Hugging Face sequence-to-sequence model (NLLB, M2M100, MADLAD, OPUS-MT, T5).

    >>> backend = TransformersBackend("m2m100_418M", decoding=Decoding(beams=4))   # doctest: +SKIP
    >>> backend.translate_batch(["Сәлем, әлем!"], "kk", "ru")[0].text              # doctest: +SKIP
    """

    name: ClassVar[str] = "transformers"

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        revision: str | None = None,
        decoding: Decoding | None = None,
        device: str | None = None,
        dtype: str | None = None,
        **_options: Any,
    ) -> None:
        self.resolved: ResolvedModel = resolve_model(model)
        if revision is not None and self.resolved.path is not None:
            raise UsageError(f"--revision applies to Hub models, not to the local directory {self.resolved.path}")
        preset = self.resolved.preset
        self.revision = revision if revision is not None else (preset.revision if preset else None)
        self.decoding = _checked(decoding or Decoding())
        self.device = device
        if dtype is not None and str(dtype) not in DTYPES:
            raise UsageError(f"unknown dtype {dtype!r}; choose one of: {', '.join(DTYPES)}")
        self.dtype = dtype
        self.model_dir: Path = self._locate()
        if self.resolved.family is None:  # a Hub id that is no preset: its files tell the family
            self.resolved = describe_directory(self.model_dir, hub_id=self.resolved.hub_id)
        self.family: ModelFamily = self.resolved.family  # type: ignore[assignment]  # known once located
        config = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
        positions = config.get("max_position_embeddings")
        self._max_input_tokens = min(self.family.max_input_tokens, positions or self.family.max_input_tokens)
        self._output_limit: int = positions or _DEFAULT_OUTPUT_LIMIT

    # -- the Backend protocol ------------------------------------------------------------------
    def signature(self) -> dict[str, Any]:
        revision = self.model_dir.name if self.resolved.hub_id else None  # a Hub snapshot is named by its commit
        return {
            "backend": self.name,
            "model": self.resolved.name,
            "model_revision": revision,
            "decoding": self.decoding.to_dict(),
        }

    def with_decoding(self, decoding: Decoding) -> TransformersBackend:
        """The same model (shared, not reloaded) decoding with ``decoding`` (the ``Redecodable`` extension)."""
        twin = copy.copy(self)
        twin.decoding = _checked(decoding)
        return twin

    def supports(self, source: str, target: str) -> bool:
        if source == target:
            return False
        pairs = self.resolved.language_pairs
        return pairs is None or (source, target) in pairs

    @property
    def max_input_tokens(self) -> int:
        return self._max_input_tokens

    def count_tokens(self, text: str, language: str) -> int:
        tokenizer = self._load().tokenizer
        prefix_tokens = 1 if self.family.target_signal in ("prefix", "marian_prefix") else 0
        return len(tokenizer(text)["input_ids"]) + prefix_tokens

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[Translation]:
        if not texts:
            return []
        if not self.supports(source, target):
            raise UsageError(
                f"model {self.resolved.name!r} does not translate {source} → {target}; it translates "
                f"{_pairs_text(self.resolved.language_pairs)} (see `kztranslate models`)"
            )
        import torch

        loaded = self._load()
        prepared = [self.family.target_prefix(target) + text for text in texts]
        with loaded.lock:
            self._set_languages(loaded.tokenizer, source, target)
            lengths = [len(ids) for ids in loaded.tokenizer(prepared)["input_ids"]]
            encoded = loaded.tokenizer(
                prepared, return_tensors="pt", padding=True, truncation=True, max_length=self.max_input_tokens
            )
        budgets = [self.decoding.output_budget(min(n, self.max_input_tokens), self._output_limit) for n in lengths]
        options = self._generate_options(loaded, target, max(budgets))
        try:
            with torch.inference_mode():
                output = loaded.model.generate(**encoded.to(loaded.model.device), **options)
        except (RuntimeError, ValueError, TypeError, IndexError) as exc:  # torch and generate() raise these
            raise BackendError(
                f"model {self.resolved.name!r} failed on a batch of {len(texts)} segment(s) {source} → {target}: "
                f"{exc}; check the decoding settings ({self.decoding.to_dict()}) and the device's free memory"
            ) from exc
        return [
            self._finish(loaded, row, budget, n)
            for row, budget, n in zip(output.tolist(), budgets, lengths, strict=True)
        ]

    # -- decoding ------------------------------------------------------------------------------
    def _generate_options(self, loaded: _Loaded, target: str, max_new_tokens: int) -> dict[str, Any]:
        d = self.decoding
        tokenizer = loaded.tokenizer
        return {
            "num_beams": d.beams,
            "max_new_tokens": max_new_tokens,
            "min_new_tokens": min(d.min_new_tokens, max_new_tokens),
            "repetition_penalty": d.repetition_penalty,
            "no_repeat_ngram_size": d.no_repeat_ngram_size,
            "length_penalty": d.length_penalty,
            "do_sample": False,
            "num_return_sequences": 1,
            "early_stopping": False,
            # Checkpoints set these in generation_config; each would change outputs unseen.
            "max_length": None,
            "forced_bos_token_id": self._forced_bos(tokenizer, target),
            "forced_eos_token_id": None,
            "bad_words_ids": None,
            "begin_suppress_tokens": None,
            "suppress_tokens": [tokenizer.pad_token_id],  # padding is never a word (Marian's decoder start)
        }

    def _forced_bos(self, tokenizer: Any, target: str) -> int | None:
        if self.family.target_signal != "forced_bos":
            return None
        code = self.family.language_codes[target]
        token_id = tokenizer.get_lang_id(code) if hasattr(tokenizer, "get_lang_id") else tokenizer.convert_tokens_to_ids(code)
        if token_id is None or token_id == tokenizer.unk_token_id:
            raise UsageError(f"model {self.resolved.name!r} has no language token {code!r} for {target}")
        return token_id

    def _set_languages(self, tokenizer: Any, source: str, target: str) -> None:
        """Set the source language on the tokenizer (forced-BOS families) or check the target prefix token."""
        if self.family.target_signal == "forced_bos":
            tokenizer.src_lang = self.family.language_codes[source]
        elif self.family.target_signal in ("prefix", "marian_prefix"):
            # A prefix the vocabulary lacks would be split into pieces and translated as text.
            token = self.family.target_prefix(target).strip()
            if tokenizer.convert_tokens_to_ids(token) == tokenizer.unk_token_id:
                raise UsageError(f"model {self.resolved.name!r} has no language token {token!r} for {target}")

    def _finish(self, loaded: _Loaded, row: list[int], budget: int, input_tokens: int) -> Translation:
        generated = row[1:]  # row[0] is the decoder start token
        eos = loaded.model.config.eos_token_id
        ends = set(eos) if isinstance(eos, list) else {eos}
        stop = next((i for i, token in enumerate(generated) if token in ends), None)
        # A batch decodes to the largest budget; hold each segment to its own.
        finished = stop is not None and stop < budget
        content = generated[:stop] if finished else generated[:budget]
        pad = loaded.tokenizer.pad_token_id
        words = [t for t in content if t not in loaded.language_token_ids and t != pad]
        text = loaded.tokenizer.decode(words, skip_special_tokens=True).strip()
        meta: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": len(content)}
        input_cut = input_tokens > self.max_input_tokens
        if input_cut:
            meta["input_truncated"] = True
        return Translation(text, truncated=not finished or input_cut, meta=meta)

    # -- finding and loading the model -----------------------------------------------------------
    def _locate(self) -> Path:
        """The directory holding the model's files, downloading into the Hugging Face cache if allowed."""
        if self.resolved.path is not None:
            if not _has_weights(self.resolved.path):
                raise ModelUnavailableError(
                    f"no model weights in {self.resolved.path} (looked for {', '.join(_WEIGHT_FILES)}); "
                    "pass --model PATH to a directory made by `save_pretrained` or downloaded from the Hub"
                )
            return self.resolved.path
        hub_id = self.resolved.hub_id
        assert hub_id is not None  # not a directory → a Hub repository
        cache = _hub_cache_dir()
        snapshot = _cached_snapshot(hub_id, self.revision, cache)
        if snapshot is not None:
            return snapshot
        if _offline():
            raise ModelUnavailableError(self._missing_message(cache, "HF_HUB_OFFLINE is set, so nothing is downloaded"))
        return self._download(hub_id, cache)

    def _download(self, hub_id: str, cache: Path) -> Path:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import GatedRepoError

        try:
            # Safetensors when the repository has them, else the PyTorch pickles; never both.
            folder = Path(snapshot_download(
                hub_id, revision=self.revision, cache_dir=cache, allow_patterns=[*_HUB_FILES, "*.safetensors"]
            ))
            if not _has_weights(folder):
                folder = Path(snapshot_download(
                    hub_id, revision=self.revision, cache_dir=cache, allow_patterns=[*_HUB_FILES, "pytorch_model*.bin"]
                ))
        except GatedRepoError as exc:
            raise ModelUnavailableError(
                f"{hub_id} is gated: accept its conditions at https://huggingface.co/{hub_id} and log in "
                "(`hf auth login`, or set HF_TOKEN) before downloading; or pass --model PATH to a downloaded copy"
            ) from exc
        except Exception as exc:  # network, HTTP and file errors all mean: not available
            reason = " ".join(str(exc).split()).rstrip(".")  # the hub's multi-line advice, as one clause
            raise ModelUnavailableError(self._missing_message(cache, f"downloading failed: {reason}")) from exc
        if not _has_weights(folder):
            raise ModelUnavailableError(self._missing_message(cache, f"the repository at {folder} has no weights"))
        return folder

    def _missing_message(self, cache: Path, reason: str) -> str:
        hub_id = self.resolved.hub_id
        assert hub_id is not None
        preset = self.resolved.preset
        named = f"model {preset.name!r} ({hub_id}" if preset else f"model ({hub_id}"
        revision = f" at revision {self.revision}" if self.revision else ""
        repo_dir = cache / f"models--{hub_id.replace('/', '--')}"
        home = os.environ.get("HF_HOME") or "unset, so ~/.cache/huggingface"
        return (
            f"{named}{revision}) is not available: it is not in the Hugging Face cache (looked in {repo_dir}) "
            f"and {reason}. To fix: pass --model PATH to a downloaded model directory (on a connected machine: "
            f"`hf download {hub_id} --local-dir PATH`, or `huggingface-cli download` with older huggingface_hub, "
            f"then copy PATH here); or download it there into the cache (`hf download {hub_id}`), copy that "
            f"machine's Hugging Face cache here and set HF_HOME to the copy (HF_HOME is {home})"
        )

    def _load(self) -> _Loaded:
        device = _resolve_device(self.device)
        dtype = _resolve_dtype(self.dtype, device)
        key = (str(self.model_dir), device, dtype)
        with _LOADED_LOCK:
            loaded = _LOADED.get(key)
            if loaded is None:
                loaded = _LOADED[key] = self._load_uncached(device, dtype)
        return loaded

    def _load_uncached(self, device: str, dtype: str) -> _Loaded:
        import torch
        import transformers

        tokenizer_class = getattr(transformers, self.family.tokenizer_class)
        try:
            tokenizer = tokenizer_class.from_pretrained(self.model_dir)
            model = transformers.AutoModelForSeq2SeqLM.from_pretrained(self.model_dir, dtype=getattr(torch, dtype))
            model.to(device).eval()
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            raise ModelUnavailableError(
                f"cannot load model {self.resolved.name!r} from {self.model_dir} on {device} ({dtype}): {exc}; "
                "check the directory holds a complete model (config, weights, tokenizer files) of family "
                f"{self.family.name!r}, or choose another --device/--dtype"
            ) from exc
        pattern = re.compile(self.family.language_token_pattern) if self.family.language_token_pattern else None
        language_ids = frozenset(
            token_id for token, token_id in tokenizer.get_vocab().items() if pattern and pattern.fullmatch(token)
        )
        if hasattr(tokenizer, "lang_token_to_id"):  # M2M100 keeps its language tokens outside get_vocab()
            language_ids |= frozenset(tokenizer.lang_token_to_id.values())
        return _Loaded(model, tokenizer, language_ids, threading.Lock())


def _checked(decoding: Decoding) -> Decoding:
    """``decoding``, if ``generate`` can run it; a :class:`UsageError` naming the bad setting otherwise."""
    d = decoding
    rules = {
        "beams": isinstance(d.beams, int) and d.beams >= 1,
        "max_new_tokens": d.max_new_tokens is None or (isinstance(d.max_new_tokens, int) and d.max_new_tokens >= 1),
        "max_length_ratio": isinstance(d.max_length_ratio, (int, float)) and d.max_length_ratio > 0,
        "min_new_tokens": isinstance(d.min_new_tokens, int) and d.min_new_tokens >= 0,
        "repetition_penalty": isinstance(d.repetition_penalty, (int, float)) and d.repetition_penalty > 0,
        "no_repeat_ngram_size": isinstance(d.no_repeat_ngram_size, int) and d.no_repeat_ngram_size >= 0,
        "length_penalty": isinstance(d.length_penalty, (int, float)),
    }
    bad = [f"{name}={getattr(d, name)!r}" for name, ok in rules.items() if not ok]
    if bad:
        raise UsageError(
            f"invalid decoding settings: {', '.join(bad)}; beams ≥ 1, max_new_tokens ≥ 1 (or unset), "
            "min_new_tokens ≥ 0, max_length_ratio > 0, repetition_penalty > 0, no_repeat_ngram_size ≥ 0"
        )
    return decoding


def _pairs_text(pairs: Sequence[tuple[str, str]] | None) -> str:
    return ", ".join(f"{s} → {t}" for s, t in pairs) if pairs else "any direction"


def _offline() -> bool:
    # Read at call time (huggingface_hub reads it once, at import).
    return any(os.environ.get(v, "").upper() in {"1", "ON", "YES", "TRUE"} for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _hub_cache_dir() -> Path:
    """The Hugging Face hub cache, as huggingface_hub computes it, from the environment of now."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    return Path(home).expanduser() / "hub"


def _cached_snapshot(hub_id: str, revision: str | None, cache: Path) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    config = try_to_load_from_cache(hub_id, "config.json", cache_dir=cache, revision=revision)
    if not isinstance(config, str):
        return None
    snapshot = Path(config).parent
    return snapshot if _has_weights(snapshot) else None


def _has_weights(folder: Path) -> bool:
    for name in _WEIGHT_FILES:
        file = folder / name
        if not file.is_file():
            continue
        if not name.endswith(".index.json"):
            return True
        shards = set(json.loads(file.read_text(encoding="utf-8")).get("weight_map", {}).values())
        return bool(shards) and all((folder / shard).is_file() for shard in shards)
    return False


def _resolve_device(device: str | None) -> str:
    import torch

    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        return str(torch.device(device))
    except (RuntimeError, TypeError) as exc:
        raise UsageError(f"unknown device {device!r}; use cpu, cuda, cuda:N, mps or auto") from exc


def _resolve_dtype(dtype: str | None, device: str) -> str:
    if dtype is not None:
        return DTYPES[str(dtype)]
    import torch

    # bfloat16 halves memory on GPUs that have it; float16 overflows in T5-family models, so no default.
    if device.startswith("cuda") and torch.cuda.is_bf16_supported():
        return "bfloat16"
    return "float32"
