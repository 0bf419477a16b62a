"""A deterministic fake backend with scripted outputs, for the QA tests.

``FakeBackend`` answers each segment from a table (segment text → output) and, unless
``strict=False``, fails loudly on a segment it has no answer for, so a test cannot pass by accident. ``with_decoding`` gives the
same table with the ``retry`` overrides applied once the repetition penalty is raised, which is
how the QA retry path is exercised without a model.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, Sequence

from kztranslate.engine.base import Decoding, Translation
from kztranslate.document import Article, Block

# An article of our own: headline + two paragraphs, five sentences (block, segment) =
# (0, 0), (1, 0), (1, 1), (2, 0), (2, 1).
ARTICLE_BLOCKS = [
    ("headline", "Астанада жаңа мектеп ашылды"),
    ("paragraph", "Мектепте 1 200 оқушы оқиды. Ғимараттың құрылысына екі жыл кетті."),
    ("paragraph", "Әкім ата-аналарға алғыс айтты. Сабақтар 1 қыркүйекте басталады."),
]

# kk → en outputs: the second sentence drops its number, the third repeats a phrase, the fourth
# comes back untranslated; the others are fine.
DONE_WHEN_OUTPUTS = {
    "Астанада жаңа мектеп ашылды": "A new school opened in Astana",
    "Мектепте 1 200 оқушы оқиды.": "The school has many pupils.",
    "Ғимараттың құрылысына екі жыл кетті.": "Construction of the building took two years two years two years two years.",
    "Әкім ата-аналарға алғыс айтты.": "Әкім ата-аналарға алғыс айтты.",
    "Сабақтар 1 қыркүйекте басталады.": "Lessons start on September 1.",
}

#: The segments whose outputs are wrong, as (block, segment).
FLAWED_SEGMENTS = {(1, 0), (1, 1), (2, 0)}

# What stronger decoding (repetition penalty > 1) makes of the repeated sentence.
RETRY_OUTPUTS = {
    "Ғимараттың құрылысына екі жыл кетті.": "Construction of the building took two years.",
}


def done_when_article() -> Article:
    return Article("kk", [Block(role, text) for role, text in ARTICLE_BLOCKS])


class FakeBackend:
    """Backend protocol + ``with_decoding``; records every batch it was asked for."""

    name: ClassVar[str] = "fake"

    def __init__(
        self,
        outputs: dict[str, str] | None = None,
        retry: dict[str, str] | None = None,
        decoding: Decoding | None = None,
        truncated: Sequence[str] = (),
        strict: bool = True,
        **_: Any,
    ) -> None:
        self.outputs = dict(DONE_WHEN_OUTPUTS if outputs is None else outputs)
        self.retry = dict(RETRY_OUTPUTS if retry is None else retry)
        self.decoding = decoding or Decoding(beams=1)
        self.truncated = set(truncated)
        self.strict = strict
        self.calls: list[tuple[list[str], str, str, Decoding]] = []

    def signature(self) -> dict[str, Any]:
        return {"backend": self.name, "model": "fake-model", "model_revision": "abc123", "decoding": self.decoding.to_dict()}

    def supports(self, source: str, target: str) -> bool:
        return source != target

    @property
    def max_input_tokens(self) -> int:
        return 512

    def count_tokens(self, text: str, language: str) -> int:
        return len(text.split())

    def with_decoding(self, decoding: Decoding) -> FakeBackend:
        clone = copy.copy(self)
        clone.decoding = decoding
        return clone

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[Translation]:
        self.calls.append((list(texts), source, target, self.decoding))
        table = dict(self.outputs)
        if self.decoding.repetition_penalty > 1:
            table.update(self.retry)
        missing = [t for t in texts if t not in table]
        if missing and self.strict:
            raise AssertionError(f"FakeBackend has no output for {missing!r}")
        # not strict: an unscripted segment (a clause of a retry) comes back untranslated
        return [Translation(table.get(t, t), truncated=t in self.truncated) for t in texts]
