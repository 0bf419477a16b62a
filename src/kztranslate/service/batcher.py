"""Micro-batching: articles of concurrent requests share one model pass.

Requests put their article on a queue; a collector task waits a few milliseconds for more,
then runs them all through one :meth:`Translator.pipe` call in the model thread (the event
loop stays free). While the model is busy, new requests pile up and form the next batch.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..document import Article
from ..errors import KZTranslateError
from .metrics import ServiceMetrics

__all__ = ["MicroBatcher"]


@dataclass(slots=True)
class _Pending:
    article: Article
    targets: tuple[str, ...]
    source: str | None
    future: asyncio.Future


class MicroBatcher:
    """Gathers articles for ``window_s`` (at most ``max_articles``) and translates them together."""

    def __init__(self, translator: Any, metrics: ServiceMetrics, *, window_s: float, max_articles: int) -> None:
        self.translator = translator
        self.metrics = metrics
        self.window_s = window_s
        self.max_articles = max_articles
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        # One model thread: the model is loaded once and used by one pass at a time.
        self._model_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kztranslate-model")
        self._counted_stats: Any = None

    async def translate(self, article: Article, targets: list[str], source: str | None) -> dict[str, Article]:
        """Translate one article (together with whatever else is waiting); raises its KZTranslateError."""
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(article, tuple(targets), source, future))
        return await future

    async def run(self) -> None:
        """The collector loop; runs until cancelled."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                batch = [await self._queue.get()]
                deadline = loop.time() + self.window_s
                while len(batch) < self.max_articles:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    try:
                        batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                    except asyncio.TimeoutError:
                        break
                self.metrics.batch_articles.observe(len(batch))
                groups: dict[tuple[tuple[str, ...], str | None], list[_Pending]] = {}
                for item in batch:
                    groups.setdefault((item.targets, item.source), []).append(item)
                for (targets, source), items in groups.items():
                    outcomes = await loop.run_in_executor(self._model_thread, self._pass, items, targets, source)
                    for item, outcome in zip(items, outcomes):
                        if item.future.done():  # the client went away
                            continue
                        if isinstance(outcome, BaseException):
                            item.future.set_exception(outcome)
                        else:
                            item.future.set_result(outcome)
        finally:
            self._model_thread.shutdown(wait=False, cancel_futures=True)

    def _count_segments(self, finished: int, _total: int) -> None:
        # The pipeline's ``progress(finished, total)``: ``finished`` segments have just been translated.
        self.metrics.segments.inc(finished)

    def _count_cache_hits(self) -> None:
        # A scheduler with a translation memory reports each call's ``last_stats``; a pass that
        # sent nothing to the scheduler leaves the previous pass's stats there, counted already.
        stats = getattr(getattr(self.translator, "scheduler", None), "last_stats", None)
        if stats is None or stats is self._counted_stats:
            return
        self._counted_stats = stats
        self.metrics.cache_hits.labels("memory").inc(getattr(stats, "memory_hits", 0))
        self.metrics.cache_hits.labels("post_edit").inc(getattr(stats, "post_edits", 0))

    def _pass(self, items: list[_Pending], targets: tuple[str, ...], source: str | None) -> list[Any]:
        """One model pass over ``items``; per-item outcomes (variants or the exception)."""
        try:
            outcomes = [o for o, _ in self.translator.pipe(
                [(item.article, None) for item in items], list(targets), source=source, as_tuples=True,
                progress=self._count_segments,
            )]
        except Exception as exc:  # noqa: BLE001 - a whole-pass failure; find the article that caused it
            if len(items) == 1:
                return [exc]
            return [self._pass([item], targets, source)[0] for item in items]
        self._count_cache_hits()
        for item, outcome in zip(items, outcomes):
            if not isinstance(outcome, KZTranslateError):
                chars = sum(len(b.text) for b in item.article.blocks if b.translatable)
                self.metrics.articles.inc(len(outcome))
                self.metrics.characters.inc(chars * len(outcome))
        return outcomes
