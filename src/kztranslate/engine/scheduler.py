"""Schedule segments onto a backend: dedupe, memory first, sort by length, batch by tokens (across
language pairs where the backend decodes mixed batches), restore order."""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import Backend, BackendSignature, MixedBatchBackend, Translation
from .memory import TranslationMemory

__all__ = ["Schedule", "ScheduleStats", "Scheduler", "SegmentRequest"]

#: One unique segment to translate: (text, source, target).
_Item = tuple[str, str, str]


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


@dataclass(slots=True)
class Schedule:
    """The result of one :meth:`Scheduler.run` call."""

    outputs: list[Translation]
    """One output per request, in request order."""
    stats: ScheduleStats
    """What the call did."""


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

    def translate(
        self,
        requests: Sequence[SegmentRequest],
        progress: Callable[[int], None] | None = None,
    ) -> list[Translation]:
        """The outputs of :meth:`run`, without its statistics."""
        return self.run(requests, progress).outputs

    def run(
        self,
        requests: Sequence[SegmentRequest],
        progress: Callable[[int], None] | None = None,
    ) -> Schedule:
        """Translate every request: the outputs in request order, and what this call did (its
        :class:`ScheduleStats`). Each output's ``meta["origin"]`` says where it came from:
        ``"model"``, ``"memory"`` or ``"post_edit"``. ``progress(n)`` is called as ``n`` more
        requests are answered.

        A :class:`MixedBatchBackend` gets the segments of every pair sorted together and batched
        across pairs (within its :meth:`~MixedBatchBackend.batch_group`); any other backend gets one
        batch stream per (source, target) pair."""
        stats = ScheduleStats(segments=len(requests))
        results: list[Translation | None] = [None] * len(requests)
        # Identical segments of the same pair are translated once.
        where: dict[_Item, list[int]] = {}
        for index, request in enumerate(requests):
            where.setdefault((request.text, request.source, request.target), []).append(index)
        stats.unique = len(where)
        signature = BackendSignature.of(self.backend) if self.memory is not None else None

        def deliver(item: _Item, output: Translation) -> None:
            for index in where[item]:
                results[index] = output
            stats.truncated += output.truncated

        pending = list(where)
        if self.memory is not None and signature is not None:
            pending = []
            for (source, target), items in _by_pair(where).items():
                stored = self.memory.lookup_many([text for text, _, _ in items], source, target, signature)
                for item, hit in zip(items, stored, strict=True):
                    if hit is None:
                        pending.append(item)
                        continue
                    deliver(item, hit)
                    stats.memory_hits += hit.meta["origin"] == "memory"
                    stats.post_edits += hit.meta["origin"] == "post_edit"
            if progress and len(pending) < len(where):
                progress(len(requests) - sum(len(where[item]) for item in pending))

        mixed = self.backend if isinstance(self.backend, MixedBatchBackend) else None
        streams: dict[Hashable, list[_Item]] = {}
        for item in pending:
            key = mixed.batch_group(item[1], item[2]) if mixed is not None else item[1:]
            streams.setdefault(key, []).append(item)
        lengths = {item: self.backend.count_tokens(item[0], item[1]) for item in pending}
        for items in streams.values():
            items.sort(key=lengths.__getitem__, reverse=True)
            for batch in self._batches(items, lengths):
                if mixed is not None:
                    outputs = mixed.translate_mixed(batch)
                else:
                    outputs = self.backend.translate_batch([text for text, _, _ in batch], *batch[0][1:])
                stats.batches += 1
                stats.model_segments += len(batch)
                stats.meta["padded_tokens"] = stats.meta.get("padded_tokens", 0) + lengths[batch[0]] * len(batch)
                for item, output in zip(batch, outputs, strict=True):
                    output.meta["origin"] = "model"
                    deliver(item, output)
                if self.memory is not None and signature is not None:
                    # Stored per batch, so an interrupted run keeps what it finished. Truncated
                    # outputs are stored flagged and come back flagged (QA reports them again): the
                    # key holds the decoding settings, so rerunning would cut them the same way,
                    # while a larger length limit is a new key and gets the model again.
                    produced = dict(zip(batch, outputs, strict=True))
                    for (source, target), items_of_pair in _by_pair(produced).items():
                        self.memory.store_many([text for text, _, _ in items_of_pair],
                                               [produced[item] for item in items_of_pair], source, target, signature)
                if progress:
                    progress(sum(len(where[item]) for item in batch))
        outputs = [output for output in results if output is not None]
        if len(outputs) < len(results):
            raise RuntimeError(f"backend returned no output for {len(results) - len(outputs)} segment(s)")
        return Schedule(outputs, stats)

    def _batches(self, items: list[_Item], lengths: dict[_Item, int]) -> Iterator[list[_Item]]:
        """Cut ``items`` (longest first) into batches whose padded cost, longest × count, stays within
        ``max_batch_tokens``; a single segment longer than that goes alone."""
        batch: list[_Item] = []
        longest = 0
        for item in items:
            longest_if_added = max(longest, lengths[item])
            if batch and (
                len(batch) >= self.max_batch_size
                or longest_if_added * (len(batch) + 1) > self.max_batch_tokens
            ):
                yield batch
                batch, longest_if_added = [], lengths[item]
            batch.append(item)
            longest = longest_if_added
        if batch:
            yield batch


def _by_pair(items: Iterable[_Item]) -> dict[tuple[str, str], list[_Item]]:
    """``items`` grouped by (source, target), in first-seen order."""
    pairs: dict[tuple[str, str], list[_Item]] = {}
    for item in items:
        pairs.setdefault((item[1], item[2]), []).append(item)
    return pairs
