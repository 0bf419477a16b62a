"""The backend protocol: translate a batch of segments from one language to another."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Hashable, Protocol, Sequence, runtime_checkable

__all__ = ["Decoding", "Translation", "Backend", "Redecodable", "MixedBatchBackend"]


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

    def output_budget(self, input_tokens: int, model_limit: int) -> int:
        """Maximum new tokens for an input of ``input_tokens`` tokens."""
        if self.max_new_tokens is not None:
            return min(self.max_new_tokens, model_limit)
        return max(1, min(model_limit, int(self.max_length_ratio * input_tokens) + 10))


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

    def signature(self) -> dict[str, Any]:
        """``{"backend", "model", "model_revision", "decoding"}`` for provenance and cache keys."""
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
