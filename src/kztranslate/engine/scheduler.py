"""Schedule segments onto a backend: dedupe, sort by length, batch, restore order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .base import Backend, Translation

__all__ = ["SegmentRequest", "Scheduler"]


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


class Scheduler:
    """Collects segments of all articles and targets of a call and runs them in few, full batches."""

    def __init__(
        self,
        backend: Backend,
        *,
        max_batch_tokens: int = 2048,
        max_batch_size: int = 32,
    ) -> None:
        self.backend = backend
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_size = max_batch_size

    def translate(
        self,
        requests: Sequence[SegmentRequest],
        progress: Callable[[int], None] | None = None,
    ) -> list[Translation]:
        """Translate every request; the result list is in request order."""
        results: list[Translation | None] = [None] * len(requests)
        # Identical segments of the same pair are translated once.
        groups: dict[tuple[str, str], dict[str, list[int]]] = {}
        for index, request in enumerate(requests):
            pair = groups.setdefault((request.source, request.target), {})
            pair.setdefault(request.text, []).append(index)
        for (source, target), by_text in groups.items():
            texts = list(by_text)
            lengths = {t: self.backend.count_tokens(t, source) for t in texts}
            texts.sort(key=lambda t: lengths[t], reverse=True)
            for batch in self._batches(texts, lengths):
                outputs = self.backend.translate_batch(batch, source, target)
                for text, output in zip(batch, outputs, strict=True):
                    for index in by_text[text]:
                        results[index] = output
                if progress:
                    progress(sum(len(by_text[t]) for t in batch))
        missing = results.count(None)
        if missing:
            raise RuntimeError(f"backend returned no output for {missing} segment(s)")
        return results  # type: ignore[return-value]

    def _batches(self, texts: list[str], lengths: dict[str, int]):
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

