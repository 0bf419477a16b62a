"""Test doubles: an honest fake backend that records every batch it receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

from kztranslate.engine.base import Decoding, Translation


@dataclass
class CountingBackend:
    """Deterministic backend: ``"<target>:" + reversed words``; ``calls`` logs every batch as
    ``(texts, source, target)``. Tokens are whitespace words. Outputs of inputs longer than
    ``truncate_over`` words come back flagged truncated (and cut to that many words)."""

    name: ClassVar[str] = "counting"
    model: str = "counting-model"
    revision: str | None = "r1"
    decoding: Decoding = field(default_factory=lambda: Decoding(beams=1))
    truncate_over: int | None = None
    threads: int = 1
    calls: list[tuple[list[str], str, str]] = field(default_factory=list)

    def signature(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model,
            "model_revision": self.revision,
            "decoding": self.decoding.to_dict(),
            "threads": self.threads,  # volatile: must not split the memory
        }

    def supports(self, source: str, target: str) -> bool:
        return source != target

    @property
    def max_input_tokens(self) -> int:
        return 512

    def count_tokens(self, text: str, language: str) -> int:
        return len(text.split())

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[Translation]:
        self.calls.append((list(texts), source, target))
        return [self.expected(text, target) for text in texts]

    def expected(self, text: str, target: str) -> Translation:
        """What this backend answers for ``text`` (tests compare against it)."""
        words = text.split()[::-1]
        truncated = self.truncate_over is not None and len(words) > self.truncate_over
        if truncated:
            words = words[: self.truncate_over]
        return Translation(f"{target}:{' '.join(words)}", truncated)

    @property
    def sent(self) -> list[str]:
        """Every text the backend was asked to translate, in call order."""
        return [text for texts, _, _ in self.calls for text in texts]
