"""Pseudo-translation: a deterministic stand-in for a real model, as localization tools ship.

Each segment comes back as ``⟦ru⟧ text`` with Latin vowels accented, so a CMS integration can
see which text was translated (and in which pass) without any model weights. Digits,
placeholders, URLs and markup codes pass through unchanged.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import ClassVar

from .._version import __version__
from .base import BackendSignature, Decoding, Translation

__all__ = ["PseudoBackend"]

_ACCENTS = str.maketrans("aeiouyAEIOUY", "áéíóúýÁÉÍÓÚÝ")
# Runs that must come back exactly: placeholders/inline codes, URLs, e-mail, @handles, #tags.
_KEEP = re.compile(r"(<[^<>]*>|\[\[[^\[\]]*\]\]|https?://\S+|www\.\S+|\S+@\S+|[@#]\w+)")


class PseudoBackend:
    """Pseudo-localization backend (a product feature for integration testing)."""

    name: ClassVar[str] = "pseudo"
    #: Output keeps the source language on purpose: QA skips its language and script checks.
    pseudo_translation: ClassVar[bool] = True

    def __init__(self, model: str | None = None, decoding: Decoding | None = None) -> None:
        # ``model`` is accepted and ignored: every face may name one, pseudo has no weights.
        self.decoding = decoding or Decoding(beams=1)

    def signature(self) -> BackendSignature:
        return BackendSignature(self.name, f"pseudo-{__version__}", None, self.decoding)

    def with_decoding(self, decoding: Decoding) -> PseudoBackend:
        clone = copy.copy(self)
        clone.decoding = decoding
        return clone

    def supports(self, source: str, target: str) -> bool:
        return source != target

    @property
    def max_input_tokens(self) -> int:
        return 512

    def count_tokens(self, text: str, language: str) -> int:
        return len(text.split())

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[Translation]:
        return [Translation(self._pseudo(text, target)) for text in texts]

    @staticmethod
    def _pseudo(text: str, target: str) -> str:
        parts = _KEEP.split(text)
        body = "".join(p if i % 2 else p.translate(_ACCENTS) for i, p in enumerate(parts))
        return f"⟦{target}⟧ {body}"
