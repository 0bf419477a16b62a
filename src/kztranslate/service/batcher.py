"""Micro-batching: articles of concurrent requests share one model pass.

Requests put their article on a queue; a collector task waits a few milliseconds for more,
then runs them all through one :meth:`Translator.pipe` call in a model thread (the event
loop stays free). While the model is busy, new requests pile up and form the next batch.

There are two lanes, each with its queue, collector and thread: articles over ``heavy_chars``
translatable characters go to the heavy lane, so a huge article does not hold up the small ones
queued behind it. In threads the lanes share one loaded model; its calls are serialized batch by
batch (a lock around the backend), so a heavy pass and small passes interleave between model
batches. The heavy lane can instead run in a worker process with its own copy of the model
(:func:`heavy_lane_kind` decides, :func:`heavy_worker` starts it), so its Python work never holds
the interpreter lock the small requests need. A request waits at most ``time_budget_s`` for its
result, then gets a 503.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..config import TranslatorConfig
from ..document import Article
from ..engine.scheduler import ScheduleStats
from ..errors import KZTranslateError
from .articles import ApiError
from .metrics import ServiceMetrics
from .settings import HEAVY_LANES

__all__ = ["HEAVY_LANES", "SWITCH_INTERVAL_S", "MicroBatcher", "heavy_lane_kind", "heavy_worker"]

log = logging.getLogger("kztranslate.service")

#: The interpreter's thread switch interval while a service runs (see MicroBatcher).
SWITCH_INTERVAL_S = 0.0005
#: Longest the heavy lane waits for small work at one model call.
YIELD_S = 0.05


@dataclass(slots=True)
class _Pending:
    article: Article
    targets: tuple[str, ...]
    source: str | None
    future: asyncio.Future


class _Lane:
    """One queue of articles, its collector task and its model thread (or worker process)."""

    def __init__(self, name: str, process: Any = None, start_process: Callable[[], Any] | None = None) -> None:
        self.name = name
        self.queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self.process = process  # a ProcessPoolExecutor holding its own Translator, or None
        self.start_process = start_process  # starts that pool when the lane's first article comes
        self.busy = False  # a pass is running in the worker process
        self._starting = asyncio.Lock()
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"kztranslate-model-{name}")

    async def ensure_process(self) -> None:
        """Start the worker process if the lane has one to start; if it fails, the lane stays in its thread."""
        if self.start_process is None:
            return
        async with self._starting:
            start, self.start_process = self.start_process, None
            if start is None:  # started meanwhile
                return
            await self._start(start)

    async def _start(self, start: Callable[[], Any]) -> None:
        try:
            self.process = await asyncio.to_thread(start)
            log.info("heavy articles are translated in a worker process")
        except Exception as exc:  # noqa: BLE001 - serve heavy articles in a thread rather than not at all
            log.error("the heavy-article worker process did not start (%s); heavy articles use a thread", exc)

    def shutdown(self) -> None:
        self.thread.shutdown(wait=False, cancel_futures=True)
        if self.process is None:
            return
        workers = list(getattr(self.process, "_processes", {}).values())
        if self.busy:  # a heavy pass in progress is not waited for
            for worker in workers:
                worker.terminate()
        # an idle pool shuts down cleanly and at once (its queues released: no leaked semaphores)
        self.process.shutdown(wait=True, cancel_futures=True)


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def heavy_lane_kind(setting: str, device: str | None = None) -> str:
    """Where heavy articles go: ``thread`` or ``process``. ``auto`` means a worker process when it can
    help — at least two usable cores, so the worker and the small requests run side by side, and a
    model on the CPU (a GPU model's calls leave the interpreter lock free anyway, and a second copy
    would take GPU memory) — else a thread."""
    if setting not in HEAVY_LANES:
        raise ValueError(f"unknown heavy lane {setting!r}; choose one of: {', '.join(HEAVY_LANES)}")
    if setting != "auto":
        return setting
    on_cpu = (device or "cpu").lower().startswith("cpu")
    return "process" if usable_cores() >= 2 and on_cpu else "thread"


# -- the heavy lane in a worker process: its own interpreter, so its Python work takes no GIL time
# from the small requests (at the price of a second copy of the model in memory) ------------------
_WORKER_TRANSLATOR: Any = None


def _start_worker(config: TranslatorConfig, parent: int) -> None:
    global _WORKER_TRANSLATOR
    import os
    import time

    from ..pipeline import Translator

    def watch() -> None:  # the server is gone (killed, not shut down): so is its worker
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="kztranslate-parent-watch").start()
    _WORKER_TRANSLATOR = Translator.from_config(config)


def _worker_pass(articles: list[Article], targets: tuple[str, ...], source: str | None) -> list[Any]:
    outcomes: list[Any] = []
    try:
        outcomes = [o for o, _ in _WORKER_TRANSLATOR.pipe(
            [(a, None) for a in articles], list(targets), source=source, as_tuples=True)]
    except (Exception, RecursionError, MemoryError) as exc:  # noqa: BLE001 - find the article that caused it
        if len(articles) == 1:
            return [KZTranslateError(f"{type(exc).__name__}: {exc}")]
        return [_worker_pass([a], targets, source)[0] for a in articles]
    return outcomes


def _worker_read(item: Any, source: str | None) -> tuple[Any, ...]:
    """:func:`~kztranslate.service.articles.read_input` in the worker; an ApiError comes back as its
    fields (its constructor takes more than the message, so it does not pickle)."""
    from .articles import read_input

    try:
        return ("read", *read_input(item, source))
    except ApiError as exc:
        return ("error", exc.status, exc.code, exc.message, exc.headers, exc.details)


def heavy_worker(config: TranslatorConfig) -> Any:
    """A one-process pool whose process holds its own Translator, for ``MicroBatcher(heavy_process=...)``."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(config, os.getpid()))
    pool.submit(int).result()  # start it now: the model loads before the service reports ready
    return pool


class _SharedBackend:
    """The translator's backend, used by both lanes' threads: every model call (and tokenizer use)
    holds one lock, so calls never overlap and the lanes interleave batch by batch."""

    def __init__(self, backend: Any, lock: threading.RLock, gate: Any = None) -> None:
        self._backend = backend
        self._lock = lock
        self._gate = gate  # called before each model call: the heavy lane gives way there

    def __getattr__(self, name: str) -> Any:
        # Optional methods (translate_mixed, with_decoding) exist here exactly when the backend has
        # them, so the pipeline's protocol checks see the backend's own capabilities.
        found = getattr(self._backend, name)
        if name in ("translate_batch", "translate_mixed", "count_tokens"):
            def locked(*args: Any, **kwargs: Any) -> Any:
                if self._gate is not None:
                    self._gate()
                with self._lock:
                    return found(*args, **kwargs)
            return locked
        if name == "with_decoding":
            return lambda *args, **kwargs: _SharedBackend(found(*args, **kwargs), self._lock, self._gate)
        return found


def _share(translator: Any, gate: Any = None) -> None:
    """Put the translator's backend behind :class:`_SharedBackend` (once)."""
    backend = getattr(translator, "backend", None)
    if backend is None or isinstance(backend, _SharedBackend):
        return
    shared = _SharedBackend(backend, threading.RLock(), gate)
    translator.backend = shared
    scheduler = getattr(translator, "scheduler", None)
    if scheduler is not None and getattr(scheduler, "backend", None) is backend:
        scheduler.backend = shared


class MicroBatcher:
    """Gathers articles for ``window_s`` (at most ``max_articles``) and translates them together."""

    def __init__(self, translator: Any, metrics: ServiceMetrics, *, window_s: float, max_articles: int,
                 time_budget_s: float = math.inf, heavy_chars: int = 20_000, heavy_process: Any = None,
                 start_heavy_process: Callable[[], Any] | None = None) -> None:
        """``heavy_process``: a running worker pool (:func:`heavy_worker`) for the heavy lane;
        ``start_heavy_process``: a function that starts one, called when the first heavy article
        comes (the lane uses its thread if it fails); neither: the heavy lane is a thread."""
        self.translator = translator
        self.metrics = metrics
        self.window_s = window_s
        self.max_articles = max_articles
        self.time_budget_s = time_budget_s
        self.heavy_chars = heavy_chars
        # The heavy lane gives way to small articles: before each of its model calls (one per sentence
        # while planning, one per batch while decoding) it waits while small work is pending, at most
        # YIELD_S at a time, so it is slowed down, never starved.
        self._small_pending = 0
        self._small_idle = threading.Event()
        self._small_idle.set()
        _share(translator, self._give_way)
        self._lanes = {"small": _Lane("small"),
                       "heavy": _Lane("heavy", heavy_process, None if heavy_process else start_heavy_process)}
        # A small request passes between the event loop and its lane's thread many times; while the
        # heavy lane computes, each pass waits for the GIL up to the switch interval (5 ms by default).
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))

    async def start_heavy_lane(self) -> None:
        """Start the heavy lane's worker process now rather than at the first heavy article (if it does
        not start, heavy articles use a thread and the log says why)."""
        await self._lanes["heavy"].ensure_process()

    async def translate(self, article: Article, targets: list[str], source: str | None, *,
                        time_budget_s: float | None = None) -> dict[str, Article]:
        """Translate one article (together with whatever else is waiting); raises its KZTranslateError,
        or an ApiError 503 when the time budget (default: the batcher's) runs out first."""
        budget = self.time_budget_s if time_budget_s is None else time_budget_s
        future = asyncio.get_running_loop().create_future()
        chars = sum(len(b.text) for b in article.blocks if b.translatable)
        lane = self._lanes["heavy" if chars > self.heavy_chars else "small"]
        if lane.name == "small":
            self._small_pending += 1
            self._small_idle.clear()
            future.add_done_callback(self._small_done)
        await lane.queue.put(_Pending(article, tuple(targets), source, future))
        if math.isinf(budget):
            return await future
        try:
            return await asyncio.wait_for(future, budget)
        except TimeoutError:
            self.metrics.errors.labels("time_budget_exceeded").inc()
            raise ApiError(503, "time_budget_exceeded",
                           f"the translation took longer than this server's budget of {budget:g} s "
                           "per request; send a shorter article, or use POST /v1/jobs for long ones",
                           headers={"Retry-After": "30"}) from None

    async def read(self, item: Any, source: str | None) -> tuple[Article, str]:
        """A request's article read off the event loop (``articles.read_input``): in the heavy lane's
        worker process when the text alone is over the heavy size and the lane has one, so reading a
        huge article takes no interpreter time from the small requests either; else in a thread."""
        from .articles import read_input

        lane = self._lanes["heavy"]
        if len(getattr(item, "content", None) or "") > self.heavy_chars:
            await lane.ensure_process()
            if lane.process is not None:
                loop = asyncio.get_running_loop()
                try:
                    answer = await loop.run_in_executor(lane.process, _worker_read, item, source)
                except Exception:  # noqa: BLE001 - the worker died: read it here
                    return await asyncio.to_thread(read_input, item, source)
                if answer[0] == "error":
                    status, code, message, headers, details = answer[1:]
                    raise ApiError(status, code, message, headers=headers, details=details)
                return answer[1], answer[2]
        return await asyncio.to_thread(read_input, item, source)

    def _small_done(self, _future: asyncio.Future) -> None:
        self._small_pending -= 1
        if self._small_pending <= 0:
            self._small_pending = 0
            self._small_idle.set()

    def _give_way(self) -> None:
        if threading.current_thread().name.startswith("kztranslate-model-heavy"):
            self._small_idle.wait(YIELD_S)

    async def run(self) -> None:
        """The collector loops of both lanes; run until cancelled."""
        try:
            await asyncio.gather(*(self._collect(lane) for lane in self._lanes.values()))
        finally:
            for lane in self._lanes.values():
                lane.shutdown()

    async def _collect(self, lane: _Lane) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await lane.queue.get()]
            await lane.ensure_process()
            deadline = loop.time() + self.window_s
            while len(batch) < self.max_articles:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(lane.queue.get(), remaining))
                except TimeoutError:
                    break
            batch = [item for item in batch if not item.future.done()]  # the client gave up meanwhile
            if not batch:
                continue
            self.metrics.batch_articles.observe(len(batch))
            groups: dict[tuple[tuple[str, ...], str | None], list[_Pending]] = {}
            for item in batch:
                groups.setdefault((item.targets, item.source), []).append(item)
            for (targets, source), items in groups.items():
                if lane.process is not None:
                    outcomes = await self._process_pass(lane, items, targets, source)
                else:
                    outcomes = await loop.run_in_executor(lane.thread, self._pass, items, targets, source)
                for item, outcome in zip(items, outcomes):
                    if item.future.done():  # the client went away
                        continue
                    if isinstance(outcome, BaseException):
                        item.future.set_exception(outcome)
                    else:
                        item.future.set_result(outcome)

    async def _process_pass(self, lane: _Lane, items: list[_Pending], targets: tuple[str, ...],
                            source: str | None) -> list[Any]:
        loop = asyncio.get_running_loop()
        lane.busy = True  # stays set if the server stops meanwhile: shutdown then ends the worker
        try:
            outcomes = await loop.run_in_executor(lane.process, _worker_pass, [i.article for i in items],
                                                  targets, source)
        except Exception as exc:  # noqa: BLE001 - the worker process died: these articles fail, the lane goes on
            from ..errors import BackendError

            lane.busy = False
            return [BackendError(f"the heavy-article worker failed ({type(exc).__name__}: {exc})")] * len(items)
        lane.busy = False
        for _item, outcome in zip(items, outcomes):
            if not isinstance(outcome, BaseException):
                self.metrics.articles.inc(len(outcome))
        return outcomes

    def _count_segments(self, finished: int, _total: int) -> None:
        # The pipeline's ``progress(finished, total)``: ``finished`` segments have just been translated.
        self.metrics.segments.inc(finished)

    def _count_cache_hits(self, stats: list[ScheduleStats]) -> None:
        # What the translation memory answered in a pass's scheduler call (none when nothing was sent).
        for one in stats:
            self.metrics.cache_hits.labels("memory").inc(one.memory_hits)
            self.metrics.cache_hits.labels("post_edit").inc(one.post_edits)

    def _pass(self, items: list[_Pending], targets: tuple[str, ...], source: str | None) -> list[Any]:
        """One model pass over ``items``; per-item outcomes (variants or the exception)."""
        stats: list[ScheduleStats] = []
        try:
            outcomes = [o for o, _ in self.translator.pipe(
                [(item.article, None) for item in items], list(targets), source=source, as_tuples=True,
                progress=self._count_segments, on_stats=stats.append,
            )]
        except (Exception, RecursionError, MemoryError) as exc:  # noqa: BLE001 - find the article that caused it
            if len(items) == 1:
                return [exc]
            return [self._pass([item], targets, source)[0] for item in items]
        self._count_cache_hits(stats)
        for item, outcome in zip(items, outcomes):
            if not isinstance(outcome, KZTranslateError):
                chars = sum(len(b.text) for b in item.article.blocks if b.translatable)
                self.metrics.articles.inc(len(outcome))
                self.metrics.characters.inc(chars * len(outcome))
        return outcomes
