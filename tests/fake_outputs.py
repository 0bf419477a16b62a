"""A deterministic fake backend with scripted outputs, for the QA tests.

``FakeBackend`` answers each segment from a table (segment text → output) and, unless
``strict=False``, fails loudly on a segment it has no answer for, so a test cannot pass by accident.
``with_decoding`` gives the same table with the ``retry`` overrides applied once the repetition
penalty is raised, which is how the QA retry path is exercised without a model.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, ClassVar

from doubles import BaseFakeBackend
from kztranslate.document import Article, Block
from kztranslate.engine.base import Decoding, Translation

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
    "Ғимараттың құрылысына екі жыл кетті.":
        "Construction of the building took two years two years two years two years.",
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


class FakeBackend(BaseFakeBackend):
    """Backend protocol + ``with_decoding``; records every batch it was asked for, with the decoding
    it was decoded with: ``calls`` holds ``(texts, source, target, decoding)``."""

    name: ClassVar[str] = "fake"
    model = "fake-model"
    revision = "abc123"

    def __init__(
        self,
        outputs: dict[str, str] | None = None,
        retry: dict[str, str] | None = None,
        decoding: Decoding | None = None,
        truncated: Sequence[str] = (),
        strict: bool = True,
        **_: Any,
    ) -> None:
        super().__init__()
        self.outputs = dict(DONE_WHEN_OUTPUTS if outputs is None else outputs)
        self.retry = dict(RETRY_OUTPUTS if retry is None else retry)
        self.decoding: Decoding = decoding or Decoding(beams=1)
        self.truncated = set(truncated)
        self.strict = strict

    def with_decoding(self, decoding: Decoding) -> FakeBackend:
        clone = copy.copy(self)  # the clone logs into the same ``calls``
        clone.decoding = decoding
        return clone

    def log(self, texts: list[str], source: str, target: str) -> None:
        self.calls.append((texts, source, target, self.decoding))

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[Translation]:
        self.log(list(texts), source, target)
        table = self._table()
        missing = [t for t in texts if t not in table]
        if missing and self.strict:
            raise AssertionError(f"FakeBackend has no output for {missing!r}")
        return [self.answer(text, source, target) for text in texts]

    def answer(self, text: str, source: str, target: str) -> Translation:
        # not strict: an unscripted segment (a clause of a retry) comes back untranslated
        return Translation(self._table().get(text, text), truncated=text in self.truncated)

    def _table(self) -> dict[str, str]:
        table = dict(self.outputs)
        if self.decoding.repetition_penalty > 1:
            table.update(self.retry)
        return table
