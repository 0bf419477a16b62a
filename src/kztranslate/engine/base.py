"""The backend protocol: translate a batch of segments from one language to another."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Protocol, runtime_checkable

from .._version import __version__

__all__ = [
    "Decoding", "BackendSignature", "Translation", "Backend", "Redecodable", "MixedBatchBackend",
    "VOLATILE_SIGNATURE_KEYS", "memory_signature",
]


@dataclass(frozen=True, slots=True)
class Decoding:
    """Decoding settings, always passed explicitly to the model and recorded in provenance."""

    beams: int = 4
    """Beam size (1 = greedy)."""
    max_new_tokens: int | None = None
    """Hard cap on output tokens; None = ``max_length_ratio`` × input tokens + 10, within the model's limit."""
    max_length_ratio: float = 2.5
    """Output budget relative to the input length when ``max_new_tokens`` is None."""
    min_new_tokens: int = 0
    """Force at least this many output tokens (benchmarks use min = max for equal work)."""
    repetition_penalty: float = 1.0
    """>1 discourages repeated tokens."""
    no_repeat_ngram_size: int = 0
    """Forbid repeating n-grams of this size (0 = off)."""
    length_penalty: float = 1.0
    """Beam-search length penalty."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decoding:
        """Settings from :meth:`to_dict`'s form; a setting left out takes its default, an unknown one is ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def output_budget(self, input_tokens: int, model_limit: int) -> int:
        """Maximum new tokens for an input of ``input_tokens`` tokens."""
        if self.max_new_tokens is not None:
            return min(self.max_new_tokens, model_limit)
        return max(1, min(model_limit, int(self.max_length_ratio * input_tokens) + 10))


#: Signature keys (at any depth) that change how fast a backend runs, not what it outputs.
VOLATILE_SIGNATURE_KEYS = frozenset({
    "device", "device_index", "threads", "num_threads", "intra_threads", "inter_threads",
    "batch_size", "max_batch_size", "max_batch_tokens", "load_seconds",
})


def memory_signature(signature: Mapping[str, Any]) -> dict[str, Any]:
    """``signature`` (the :meth:`BackendSignature.to_dict` form) without
    :data:`VOLATILE_SIGNATURE_KEYS` (at any depth): what keys the translation memory."""

    def strip(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE_SIGNATURE_KEYS}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value

    return strip(signature)


def canonical_json(value: Any) -> str:
    """One spelling of ``value`` as JSON (sorted keys, no spaces): equal values, equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def fingerprint_of(signature: Mapping[str, Any]) -> tuple[str, str]:
    """``(sha256, canonical JSON)`` of a signature's output-changing part (see :func:`memory_signature`)."""
    canonical = canonical_json(memory_signature(signature))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest(), canonical


# Keys of the dict form that are fields of their own; every other key is an extra.
_SIGNATURE_FIELDS = ("backend", "model", "model_revision", "decoding")
# Names of the decoding settings in :meth:`BackendSignature.format`, long and short (sacrebleu's style).
_FORMAT_NAMES = {
    "backend": "b", "model": "m", "revision": "rev", "beams": "beam", "max_new_tokens": "max",
    "max_length_ratio": "ratio", "min_new_tokens": "min", "repetition_penalty": "rep",
    "no_repeat_ngram_size": "norep", "length_penalty": "lp", "version": "v",
}


@dataclass(frozen=True, slots=True)
class BackendSignature:
    """What a backend's output depends on: backend, model, revision, decoding settings and any
    other setting that changes the output (``extra``: compute type, a restricted vocabulary, …).

    It keys the translation memory (:meth:`fingerprint`), is recorded in each variant's
    provenance and stamps evaluation results (:meth:`format`)."""

    backend: str
    """Backend name (``transformers``, ``ctranslate2``, ``pseudo``, …)."""
    model: str | None = None
    """Model id or local path."""
    revision: str | None = None
    """Pinned revision (commit) of the model, when known."""
    decoding: Decoding = field(default_factory=Decoding)
    """Decoding settings exactly as used."""
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """Further settings, JSON values; those in :data:`VOLATILE_SIGNATURE_KEYS` (threads, device, …)
    are recorded but never key the memory."""

    def __post_init__(self) -> None:
        clash = sorted(set(self.extra) & set(_SIGNATURE_FIELDS))
        if clash:
            raise ValueError(f"extra settings {clash} would hide the signature's own fields")

    @classmethod
    def of(cls, backend: Backend) -> BackendSignature:
        """``backend.signature()``; a backend still answering with the dict form (a plugin written
        before this type) is read through :meth:`from_dict`, its ``name`` the default backend."""
        found: Any = backend.signature()
        if isinstance(found, BackendSignature):
            return found
        return cls.from_dict(found, backend=getattr(backend, "name", ""))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], backend: str = "") -> BackendSignature:
        """The inverse of :meth:`to_dict` (a decoding setting left out takes its default)."""
        return cls(
            backend=str(data.get("backend") or backend),
            model=data.get("model"),
            revision=data.get("model_revision"),
            decoding=Decoding.from_dict(data.get("decoding") or {}),
            extra={k: copy.deepcopy(v) for k, v in data.items() if k not in _SIGNATURE_FIELDS},
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"backend", "model", "model_revision", "decoding", **extra}``: the JSON form."""
        return {
            "backend": self.backend,
            "model": self.model,
            "model_revision": self.revision,
            "decoding": self.decoding.to_dict(),
            **copy.deepcopy(dict(self.extra)),
        }

    def fingerprint(self) -> str:
        """The translation-memory key: sha256 of the canonical JSON of :meth:`to_dict` without
        the volatile settings (equal for equal outputs, whatever the thread count or device)."""
        return fingerprint_of(self.to_dict())[0]

    def format(self, short: bool = False, **context: Any) -> str:
        """A one-line stamp in sacrebleu's style, version last:
        ``backend:ctranslate2|model:…|revision:none|beams:4|max_new_tokens:none|…|version:0.1.0``.

        ``context`` adds items before the version (``pair="kk-ru", n=500``); ``short`` abbreviates
        the names (``b:ctranslate2|m:…|rev:none|beam:4|…|v:0.1.0``). Volatile settings are left
        out; a nested setting is given as the start of its sha256."""
        items: dict[str, Any] = {"backend": self.backend, "model": self.model, "revision": self.revision}
        items.update(self.decoding.to_dict())
        items.update((k, v) for k, v in sorted(self.extra.items()) if k not in VOLATILE_SIGNATURE_KEYS)
        items.update(context)
        items["version"] = __version__
        parts = [f"{_FORMAT_NAMES.get(k, k) if short else k}:{_format_value(v)}" for k, v in items.items()]
        return "|".join(parts)

    def __str__(self) -> str:
        return self.format()


def _format_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (Mapping, list, tuple)):
        return "sha256:" + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:12]
    return str(value)


@dataclass(slots=True)
class Translation:
    """One translated segment."""

    text: str
    """The model's output, detokenized."""
    truncated: bool = False
    """True when decoding stopped at the length limit instead of at end-of-sentence."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Facts about this segment: ``origin`` (``model``, ``memory`` or ``post_edit``, set by the
    scheduler), ``input_truncated``, token counts, …"""


@runtime_checkable
class Backend(Protocol):
    """What the pipeline needs from a translation engine.

    Language arguments are canonical tags of the base languages (``kk``, ``ru``, ``en``); the
    pipeline handles ``kk-Latn`` itself by transliteration.
    """

    name: ClassVar[str]

    def signature(self) -> BackendSignature:
        """What this backend's output depends on, for provenance and the translation memory."""
        ...

    def supports(self, source: str, target: str) -> bool:
        """Whether this backend/model translates ``source`` → ``target``."""
        ...

    @property
    def max_input_tokens(self) -> int:
        """Longest input segment, in model tokens; the pipeline splits longer ones."""
        ...

    def count_tokens(self, text: str, language: str) -> int:
        """Length of ``text`` in model tokens (for splitting and batching)."""
        ...

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[Translation]:
        """Translate ``texts`` (in order) from ``source`` to ``target``."""
        ...


@runtime_checkable
class Redecodable(Protocol):
    """Optional extension of :class:`Backend`: the same loaded model with other decoding settings.

    The QA ``retry`` policy re-decodes flagged segments with stronger settings through it; a
    backend without it is retried with its own settings.
    """

    def with_decoding(self, decoding: Decoding) -> Backend:
        """A backend sharing this one's loaded model (no reload) that decodes with ``decoding``."""
        ...


@runtime_checkable
class MixedBatchBackend(Protocol):
    """Optional extension of :class:`Backend`: one decoding pass over segments of several language pairs.

    Models that carry the languages in each example (a source code and a forced target code per
    row, or a ``<2ru>``/``>>rus<<`` prefix on the input) can decode an article's Russian and
    English segments together; the scheduler then fills its batches across pairs instead of
    running one batch stream per pair. Each output must equal what :meth:`Backend.translate_batch`
    gives for that segment's own pair.
    """

    def batch_group(self, source: str, target: str) -> Hashable:
        """Segments of pairs with equal groups may share one :meth:`translate_mixed` call (a backend
        whose batch-wide state depends on the languages, such as a vocabulary map, says so here)."""
        ...

    def translate_mixed(self, items: Sequence[tuple[str, str, str]]) -> list[Translation]:
        """Translate ``(text, source, target)`` items, outputs in item order."""
        ...
