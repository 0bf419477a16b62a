"""The protocol every format implements: one reader and one writer."""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

from ..document import Article

__all__ = ["Format"]


@runtime_checkable
class Format(Protocol):
    """A document format. Readers keep everything they cannot type in ``meta``; writers
    render an :class:`Article` (source or variant) back to the same format."""

    name: ClassVar[str]
    """Registry name, used by ``--format``."""
    extensions: ClassVar[tuple[str, ...]]
    """File extensions (with the dot) that select this format."""

    def sniff(self, text: str) -> bool:
        """Whether ``text`` looks like this format (used when the extension is ambiguous)."""
        ...

    def read(self, text: str, *, source: str | None = None, language: str | None = None) -> Article:
        """Parse ``text``; ``source`` names the input in error messages; ``language`` overrides detection.
        Raises :class:`~kztranslate.errors.FormatError` with a position on malformed input."""
        ...

    def write(self, article: Article) -> str:
        """Render ``article``."""
        ...
