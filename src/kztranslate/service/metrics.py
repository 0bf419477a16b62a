"""Prometheus metrics of one service instance (its own registry, so several apps can live in one process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["ServiceMetrics"]


@dataclass(slots=True)
class ServiceMetrics:
    """The counters ``/metrics`` exposes."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    requests: Counter = field(init=False)
    latency: Histogram = field(init=False)
    errors: Counter = field(init=False)
    articles: Counter = field(init=False)
    segments: Counter = field(init=False)
    characters: Counter = field(init=False)
    batch_articles: Histogram = field(init=False)
    cache_hits: Counter = field(init=False)
    jobs: Counter = field(init=False)
    model_ready: Gauge = field(init=False)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("kztranslate_requests_total", "HTTP requests", ["route", "method", "status"],
                                registry=r)
        self.latency = Histogram(
            "kztranslate_request_seconds", "HTTP request latency", ["route"], registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self.errors = Counter("kztranslate_errors_total", "Error answers and failed articles, by code", ["code"],
                              registry=r)
        self.articles = Counter("kztranslate_articles_total", "Articles translated (per target language)", registry=r)
        self.segments = Counter("kztranslate_segments_total", "Segments sent to the model", registry=r)
        self.characters = Counter(
            "kztranslate_characters_total", "Source characters translated (per target language)", registry=r
        )
        self.batch_articles = Histogram(
            "kztranslate_batch_articles", "Articles per model pass (micro-batching)", registry=r,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
        )
        self.cache_hits = Counter(
            "kztranslate_cache_hits_total", "Segments served from the translation memory instead of the model",
            ["origin"], registry=r,
        )
        self.jobs = Counter("kztranslate_jobs_total", "Jobs by event", ["event"], registry=r)
        self.model_ready = Gauge("kztranslate_model_ready", "1 when the model is loaded", registry=r)
