"""The job worker: takes persisted jobs, translates their articles, records results exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import uuid
from typing import Any

from ..errors import KZTranslateError
from ..formats import get_format
from .articles import ApiError, api_error_for, render_variants
from .batcher import MicroBatcher
from .metrics import ServiceMetrics
from .settings import ServiceSettings
from .store import JobRecord, Store

__all__ = ["JobWorker"]

log = logging.getLogger("kztranslate.service")


class JobWorker:
    """Runs jobs one at a time, ``settings.job_chunk_size`` articles per step, under a renewed lease.

    Each step's results are committed before the next starts, so after a crash the job resumes
    with the articles that have no result yet.
    """

    def __init__(self, store: Store, batcher: MicroBatcher, settings: ServiceSettings, metrics: ServiceMetrics) -> None:
        self.store = store
        self.batcher = batcher
        self.settings = settings
        self.metrics = metrics
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.wake = asyncio.Event()
        self._current: str | None = None

    async def run(self) -> None:
        """Claim and run jobs until cancelled; a cancelled job is handed back for the next worker."""
        try:
            while True:
                job = await asyncio.to_thread(self.store.claim_job, self.owner, self.settings.job_lease_seconds)
                if job is None:
                    self.wake.clear()
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), self.settings.job_poll_seconds)
                    continue
                self._current = job.id
                self.metrics.jobs.labels("started" if job.attempts == 1 else "resumed").inc()
                try:
                    await self._run_job(job)
                except Exception:
                    log.exception("job %s stopped; it is resumed when its lease runs out", job.id)
                    await asyncio.sleep(self.settings.job_poll_seconds)
                self._current = None
        finally:
            if self._current is not None:
                self.store.release_job(self._current, self.owner)

    async def _run_job(self, job: JobRecord) -> None:
        lease_lost = asyncio.Event()
        heartbeat = asyncio.create_task(self._heartbeat(job.id, lease_lost))
        try:
            pending = await asyncio.to_thread(self.store.pending_articles, job.id)
            size = max(1, self.settings.job_chunk_size)
            for start in range(0, len(pending), size):
                if lease_lost.is_set():
                    return
                chunk = pending[start:start + size]
                if self.settings.job_article_delay:
                    await asyncio.sleep(self.settings.job_article_delay * len(chunk))
                results = await asyncio.gather(*(self._article(job, *row) for row in chunk))
                if not await asyncio.to_thread(self.store.save_results, job.id, self.owner, job.attempts, results):
                    return
            if await asyncio.to_thread(self.store.finish_job, job.id, self.owner):
                self.metrics.jobs.labels("done").inc()
        finally:
            heartbeat.cancel()

    async def _article(self, job: JobRecord, index: int, format_name: str, document: str) -> tuple[int, bool, Any]:
        try:
            article = get_format("json").read(document, source=f"job {job.id} article {index}")
            variants = await self.batcher.translate(article, job.targets, job.source, time_budget_s=math.inf)
            return index, True, render_variants(variants, format_name)
        except KZTranslateError as exc:
            error = api_error_for(exc)
        except ApiError as exc:
            error = exc
        except Exception as exc:
            log.exception("job %s article %d failed", job.id, index)
            error = ApiError(500, "internal_error", f"{type(exc).__name__}: {exc}")
        self.metrics.errors.labels(error.code).inc()
        return index, False, {"code": error.code, "message": error.message}

    async def _heartbeat(self, job_id: str, lost: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self.settings.job_lease_seconds / 3)
            if not await asyncio.to_thread(self.store.renew_lease, job_id, self.owner, self.settings.job_lease_seconds):
                lost.set()
                return
