"""Schedule segments onto a backend: memory first, dedupe, sort by length, batch by tokens, restore order."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from .base import Backend, Translation
from .memory import TranslationMemory

__all__ = ["SegmentRequest", "Scheduler", "ScheduleStats"]


@dataclass(slots=True)
class SegmentRequest:
    """One segment to translate, with the context it came from (spaCy's ``as_tuples`` idea)."""

    text: str
    """Source text of the segment, placeholders included."""
    source: str
    """Source language tag."""
    target: str
    """Target language tag."""
    context: Any = None
    """Opaque to the scheduler: where the segment goes back to (article, block, segment index)."""


@dataclass(slots=True)
class ScheduleStats:
    """What one :meth:`Scheduler.translate` call did (for provenance and metrics)."""

    segments: int = 0
    """Requests received."""
    unique: int = 0
    """Distinct (pair, text) among them."""
    memory_hits: int = 0
    """Unique segments served from machine output stored in the memory."""
    post_edits: int = 0
    """Unique segments served from human post-edits."""
    model_segments: int = 0
    """Unique segments sent to the backend."""
    batches: int = 0
    """Backend calls."""
    truncated: int = 0
    """Unique segments whose output hit the length limit (from the model or the memory)."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Further facts (``padded_tokens``: Σ longest × count over the batches)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "segments": self.segments, "unique": self.unique, "memory_hits": self.memory_hits,
            "post_edits": self.post_edits, "model_segments": self.model_segments, "batches": self.batches,
            "truncated": self.truncated, **self.meta,
        }


class Scheduler:
    """Collects segments of all articles and targets of a call and runs them in few, full batches.

    ``memory``: a :class:`TranslationMemory`, or a path for one (``":memory:"`` for a private one);
    exact matches never reach the backend and new outputs are stored. ``max_batch_tokens`` bounds a
    batch's padded size (longest segment × segments, in model tokens); ``max_batch_size`` its count.
    The backend stays loaded for the scheduler's life: it is never reloaded between calls.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        memory: TranslationMemory | str | os.PathLike[str] | None = None,
        max_batch_tokens: int = 2048,
        max_batch_size: int = 32,
    ) -> None:
        self.backend = backend
        self.memory = memory if memory is None or isinstance(memory, TranslationMemory) else TranslationMemory(memory)
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_size = max_batch_size
        self.last_stats = ScheduleStats()
        """Stats of the latest :meth:`translate` call."""

    def translate(
        self,
        requests: Sequence[SegmentRequest],
        progress: Callable[[int], None] | None = None,
    ) -> list[Translation]:
        """Translate every request; the result list is in request order. Each result's
        ``meta["origin"]`` says where it came from: ``"model"``, ``"memory"`` or ``"post_edit"``."""
        stats = ScheduleStats(segments=len(requests))
        self.last_stats = stats
        results: list[Translation | None] = [None] * len(requests)
        # Identical segments of the same pair are translated once.
        groups: dict[tuple[str, str], dict[str, list[int]]] = {}
        for index, request in enumerate(requests):
            pair = groups.setdefault((request.source, request.target), {})
            pair.setdefault(request.text, []).append(index)
        signature = self.backend.signature() if self.memory is not None else {}

        def deliver(text: str, output: Translation, by_text: dict[str, list[int]]) -> None:
            for index in by_text[text]:
                results[index] = output
            stats.truncated += output.truncated

        for (source, target), by_text in groups.items():
            stats.unique += len(by_text)
            texts = list(by_text)
            if self.memory is not None:
                stored = self.memory.lookup_many(texts, source, target, signature)
                for text, hit in zip(texts, stored, strict=True):
                    if hit is not None:
                        deliver(text, hit, by_text)
                        stats.memory_hits += hit.meta["origin"] == "memory"
                        stats.post_edits += hit.meta["origin"] == "post_edit"
                texts = [text for text, hit in zip(texts, stored) if hit is None]
                if progress and len(texts) < len(by_text):
                    progress(sum(len(by_text[t]) for t, hit in zip(by_text, stored) if hit is not None))
            lengths = {t: self.backend.count_tokens(t, source) for t in texts}
            texts.sort(key=lambda t: lengths[t], reverse=True)
            for batch in self._batches(texts, lengths):
                outputs = self.backend.translate_batch(batch, source, target)
                stats.batches += 1
                stats.model_segments += len(batch)
                stats.meta["padded_tokens"] = stats.meta.get("padded_tokens", 0) + lengths[batch[0]] * len(batch)
                for text, output in zip(batch, outputs, strict=True):
                    output.meta["origin"] = "model"
                    deliver(text, output, by_text)
                if self.memory is not None:
                    # Stored per batch, so an interrupted run keeps what it finished. Truncated
                    # outputs are stored flagged and come back flagged (QA reports them again): the
                    # key holds the decoding settings, so rerunning would cut them the same way,
                    # while a larger length limit is a new key and gets the model again.
                    self.memory.store_many(batch, outputs, source, target, signature)
                if progress:
                    progress(sum(len(by_text[t]) for t in batch))
        missing = results.count(None)
        if missing:
            raise RuntimeError(f"backend returned no output for {missing} segment(s)")
        return results  # type: ignore[return-value]

    def _batches(self, texts: list[str], lengths: dict[str, int]) -> Iterator[list[str]]:
        """Cut ``texts`` (longest first) into batches whose padded cost, longest × count, stays within
        ``max_batch_tokens``; a single segment longer than that goes alone."""
        batch: list[str] = []
        longest = 0
        for text in texts:
            longest_if_added = max(longest, lengths[text])
            if batch and (
                len(batch) >= self.max_batch_size
                or longest_if_added * (len(batch) + 1) > self.max_batch_tokens
            ):
                yield batch
                batch, longest_if_added = [], lengths[text]
            batch.append(text)
            longest = longest_if_added
        if batch:
            yield batch
