"""Test doubles: one base for every fake backend of the tests, and an honest fake that records
every batch it receives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kztranslate.engine.base import Decoding, Translation


class BaseFakeBackend:
    """The backend protocol (:class:`kztranslate.engine.base.Backend`) for tests, over whitespace words.

    A fake says what each text becomes in :meth:`answer`; every batch is logged in ``calls`` as
    ``(texts, source, target)``. ``model``, ``revision`` and ``decoding`` make the signature (the
    translation memory's key); without a ``decoding`` the signature's is empty. The base has no
    ``with_decoding`` and no mixed batches: a fake that re-decodes or mixes pairs says so itself.
    """

    name: ClassVar[str] = "fake"
    max_input_tokens: ClassVar[int] = 512
    model: str | None = None
    revision: str | None = None
    decoding: Decoding | None = None

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def signature(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "model": self.model,
            "model_revision": self.revision,
            "decoding": self.decoding.to_dict() if self.decoding is not None else {},
        }

    def supports(self, source: str, target: str) -> bool:
        return source != target

    def count_tokens(self, text: str, language: str) -> int:
        return len(text.split())

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[Translation]:
        self.log(list(texts), source, target)
        return [self.answer(text, source, target) for text in texts]

    def log(self, texts: list[str], source: str, target: str) -> None:
        """Record one batch in ``calls``."""
        self.calls.append((texts, source, target))

    def answer(self, text: str, source: str, target: str) -> Translation:
        """What this backend answers for ``text`` from ``source`` into ``target``."""
        raise NotImplementedError

    @property
    def sent(self) -> list[str]:
        """Every text the backend was asked to translate, in call order."""
        return [text for texts, *_ in self.calls for text in texts]


@dataclass
class CountingBackend(BaseFakeBackend):
    """Deterministic backend: ``"<target>:" + reversed words``; ``calls`` logs every batch as
    ``(texts, source, target)``. Tokens are whitespace words. Outputs of inputs longer than
    ``truncate_over`` words come back flagged truncated (and cut to that many words)."""

    name: ClassVar[str] = "counting"
    model: str = "counting-model"
    revision: str | None = "r1"
    decoding: Decoding = field(default_factory=lambda: Decoding(beams=1))
    truncate_over: int | None = None
    threads: int = 1
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def signature(self) -> dict[str, Any]:
        return {**super().signature(), "threads": self.threads}  # threads are volatile: must not split the memory

    def answer(self, text: str, source: str, target: str) -> Translation:
        return self.expected(text, target)

    def expected(self, text: str, target: str) -> Translation:
        """What this backend answers for ``text`` (tests compare against it)."""
        words = text.split()[::-1]
        truncated = self.truncate_over is not None and len(words) > self.truncate_over
        if truncated:
            words = words[: self.truncate_over]
        return Translation(f"{target}:{' '.join(words)}", truncated)
