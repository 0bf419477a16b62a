"""Per-key rate limiting: a token bucket per API key, in the memory of one server process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["TokenBucket"]


@dataclass(slots=True)
class TokenBucket:
    """``rate`` requests per second on average, up to ``burst`` at once."""

    rate: float
    """Tokens added per second."""
    burst: int
    """Bucket size: requests allowed back to back after a quiet spell."""
    tokens: float = field(default=-1.0)
    """Tokens left (starts full)."""
    stamp: float = field(default_factory=time.monotonic)
    """When ``tokens`` was last brought up to date."""

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = float(self.burst)

    def take(self, now: float | None = None) -> float:
        """Spend one token: 0.0 when allowed, else the seconds until a token is available."""
        now = time.monotonic() if now is None else now
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate if self.rate > 0 else float("inf")
