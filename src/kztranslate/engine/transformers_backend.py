"""The transformers backend: sequence-to-sequence translation models on PyTorch.

The model is a preset of :mod:`kztranslate.engine.registry` (fetched through the Hugging Face
cache, see :mod:`kztranslate.engine.hf_model` for the variables honoured; a pinned revision) or a local directory.
The cache is checked before anything touches the network, so missing weights offline fail in
well under a second with a message saying where we looked and how to provide them.

Decoding settings are passed to ``generate`` explicitly, every one of them, so a checkpoint's
``generation_config`` (beam size, ``max_length``, forced EOS, …) never changes the output behind
the caller's back; :meth:`TransformersBackend.signature` records them for provenance. With
``restrict_vocabulary=True`` the decoder may only emit pieces of the target language's script
(a logits mask; see :meth:`kztranslate.engine.hf_model.ModelText.target_vocabulary`).

NLLB and M2M100 give the target language to the decoder (a forced first token), so the encoder
states of a segment are the same whatever the target: the backend is a
:class:`~kztranslate.engine.base.MixedBatchBackend` for them, and :meth:`TransformersBackend.translate_mixed`
encodes each distinct segment of a call once, then decodes it into every target it goes to from
those states (``generate(encoder_outputs=...)``). Families that put the target on the input
(MADLAD, OPUS-MT) have nothing to share and keep one batch per pair.

torch and transformers are imported only when a model is loaded; without torch installed the
constructor says how to install it (``kztranslate[torch]``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import BackendError, ModelUnavailableError, UsageError
from .base import Decoding, Translation
from .hf_model import HFBackendBase, ModelText, checked_decoding, one_line, require_torch, short_reason

__all__ = ["TransformersBackend"]

#: Accepted ``dtype`` names → torch dtype attribute.
DTYPES: dict[str, str] = {
    "float32": "float32", "fp32": "float32",
    "float16": "float16", "fp16": "float16",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
}


@dataclass(slots=True)
class _Loaded:
    """A model and tokenizer loaded once per process and shared by every backend that asks for it."""

    model: Any
    """The ``AutoModelForSeq2SeqLM`` instance, in eval mode on its device."""
    text: ModelText
    """The family's tokenizer and its language handling."""
    lock: threading.Lock
    """Held while the tokenizer's source language is set and used (it is shared state)."""
    suppressed: dict[str, list[int]] = field(default_factory=dict)
    """Per target language: the ids a restricted vocabulary masks (computed once)."""

    @property
    def tokenizer(self) -> Any:
        return self.text.tokenizer

    @property
    def language_token_ids(self) -> frozenset[int]:
        return self.text.language_token_ids


_LOADED: dict[tuple[str, str, str], _Loaded] = {}
_LOADED_LOCK = threading.Lock()


class TransformersBackend(HFBackendBase):
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
        restrict_vocabulary: bool = False,
    ) -> None:
        require_torch("the transformers backend")
        self.decoding = checked_decoding(decoding or Decoding())
        self.device = device
        if dtype is not None and str(dtype) not in DTYPES:
            raise UsageError(f"unknown dtype {dtype!r}; choose one of: {', '.join(DTYPES)}")
        self.dtype = dtype
        self.restrict_vocabulary = bool(restrict_vocabulary)
        self._init_checkpoint(model, revision)
        self._check_restriction()

    # -- the Backend protocol (signature, supports, with_decoding, max_input_tokens: HFBackendBase) --
    def count_tokens(self, text: str, language: str) -> int:
        return self._load().text.count_tokens(text)

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[Translation]:
        return self.translate_mixed([(text, source, target) for text in texts])

    # -- MixedBatchBackend: encoder states shared across targets ---------------------------------
    def batch_group(self, source: str, target: str) -> Hashable:
        # Forced-BOS families mix every pair of a call (the encoder input does not name the target);
        # prefix families encode a different input per target: one batch per pair, as before.
        return None if self.family.target_signal == "forced_bos" else (source, target)

    def translate_mixed(self, items: Sequence[tuple[str, str, str]]) -> list[Translation]:
        """Translate ``(text, source, target)`` items: each distinct (text, source) is encoded once
        (per call) and decoded into each of its targets from the same encoder states."""
        if not items:
            return []
        for source, target in {(s, t) for _, s, t in items}:
            self._check_direction(source, target)
        results: list[Translation | None] = [None] * len(items)
        shared = self.family.target_signal == "forced_bos"
        groups: dict[tuple[str, ...], list[int]] = {}
        for position, (_, source, target) in enumerate(items):
            groups.setdefault((source,) if shared else (source, target), []).append(position)
        for key, positions in groups.items():
            source = key[0]
            texts = list(dict.fromkeys(items[p][0] for p in positions))
            row_of = {text: row for row, text in enumerate(texts)}
            by_target: dict[str, list[int]] = {}
            for p in positions:
                by_target.setdefault(items[p][2], []).append(p)
            encoded = self._encode(texts, source, next(iter(by_target)))
            for target, targeted in by_target.items():
                outputs = self._decode(encoded, [row_of[items[p][0]] for p in targeted], source, target)
                for p, output in zip(targeted, outputs, strict=True):
                    results[p] = output
        return results  # type: ignore[return-value]

    def _encode(self, texts: list[str], source: str, target: str) -> dict[str, Any]:
        """Tokenize ``texts`` and run the encoder once: its states, mask and each text's length."""
        import torch

        loaded = self._load()
        with loaded.lock:
            prepared = loaded.text.prepare(texts, source, target)
            lengths = [len(ids) for ids in loaded.tokenizer(prepared)["input_ids"]]
            encoded = loaded.tokenizer(
                prepared, return_tensors="pt", padding=True, truncation=True, max_length=self.max_input_tokens
            ).to(loaded.model.device)
        try:
            with torch.inference_mode():
                states = loaded.model.get_encoder()(
                    input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"], return_dict=True
                )
        except (RuntimeError, ValueError, TypeError, IndexError) as exc:
            raise self._failure(len(texts), source, target, exc) from exc
        return {"states": states, "mask": encoded["attention_mask"], "lengths": lengths}

    def _decode(self, encoded: dict[str, Any], rows: list[int], source: str, target: str) -> list[Translation]:
        """Decode ``rows`` of ``encoded`` into ``target``."""
        import torch
        from transformers.modeling_outputs import BaseModelOutput

        loaded = self._load()
        lengths = [encoded["lengths"][r] for r in rows]
        budgets = [self.decoding.output_budget(min(n, self.max_input_tokens), self._output_limit) for n in lengths]
        options = self._generate_options(loaded, target, max(budgets))
        index = torch.tensor(rows, device=encoded["mask"].device)
        mask = encoded["mask"].index_select(0, index)
        width = int(mask.sum(dim=1).max()) if loaded.tokenizer.padding_side == "right" else mask.shape[1]
        mask = mask[:, :width]  # without the padding columns no row of this target needs
        states = BaseModelOutput(
            last_hidden_state=encoded["states"].last_hidden_state.index_select(0, index)[:, :width])
        try:
            with torch.inference_mode():
                output = loaded.model.generate(encoder_outputs=states, attention_mask=mask, **options)
        except (RuntimeError, ValueError, TypeError, IndexError) as exc:  # torch and generate() raise these
            raise self._failure(len(rows), source, target, exc) from exc
        eos = loaded.model.config.eos_token_id
        ends = set(eos) if isinstance(eos, list) else {eos}
        return [
            # row[0] is the decoder start token
            loaded.text.finish(row[1:], ends, budget, n, self.max_input_tokens)
            for row, budget, n in zip(output.tolist(), budgets, lengths, strict=True)
        ]

    def _failure(self, count: int, source: str, target: str, exc: Exception) -> BackendError:
        return BackendError(
            f"model {self.resolved.name!r} failed on a batch of {count} segment(s) {source} → {target}: "
            f"{exc}; check the decoding settings ({self.decoding.to_dict()}) and the device's free memory"
        )

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
            "forced_bos_token_id": loaded.text.target_token_id(target),
            "forced_eos_token_id": None,
            "bad_words_ids": None,
            "begin_suppress_tokens": None,
            # padding is never a word (Marian's decoder start); a restricted vocabulary masks the rest
            "suppress_tokens": [tokenizer.pad_token_id, *self._outside_vocabulary(loaded, target)],
        }

    def _outside_vocabulary(self, loaded: _Loaded, target: str) -> list[int]:
        """Ids masked for ``target`` when the output vocabulary is restricted to it (else none)."""
        if not self.restrict_vocabulary:
            return []
        if target not in loaded.suppressed:
            size = loaded.model.get_output_embeddings().weight.shape[0]
            allowed = loaded.text.target_vocabulary([target], size)
            loaded.suppressed[target] = [i for i in range(size) if i not in allowed]
        return loaded.suppressed[target]

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

        text = ModelText.load(self.family, self.model_dir, self.resolved.name)
        try:
            model = transformers.AutoModelForSeq2SeqLM.from_pretrained(self.model_dir, dtype=getattr(torch, dtype))
            model.to(device).eval()
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            raise ModelUnavailableError(
                f"cannot load model {self.resolved.name!r} from {self.model_dir} on {device} ({dtype}): "
                f"{short_reason(exc)}\ncheck the directory holds a complete model (config, weights, tokenizer "
                f"files) of family {self.family.name!r}, or choose another --device or --dtype",
                detail=one_line(exc),
            ) from exc
        return _Loaded(model, text, threading.Lock())


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
