"""kztranslate: Kazakh news articles into faithful Russian and English editions, and back.

>>> import kztranslate as kzt
>>> article = kzt.read("article.kk.txt")                          # doctest: +SKIP
>>> variants = kzt.translate(article, to=["ru", "en"])            # doctest: +SKIP
>>> kzt.write(variants["ru"], "article.ru.txt")                   # doctest: +SKIP

Heavy libraries (torch, transformers, CTranslate2) are imported only when a backend needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .document import Article, Block, InlineCode, Provenance
from .engine import Backend, BackendSignature, Decoding, Translation, available_backends, load_backend
from .errors import (
    BackendError,
    BatchError,
    FormatError,
    InputError,
    KZTranslateError,
    MergeError,
    ModelUnavailableError,
    QualityError,
    UsageError,
)
from .formats import available_formats
from .formats import read_article as read
from .formats import write_article as write
from .languages import LANGUAGES

if TYPE_CHECKING:  # resolved lazily at run time by __getattr__ below; visible to type checkers here
    from .pipeline import Translator, translate

__all__ = [
    "__version__",
    # documents
    "Article",
    "Block",
    "InlineCode",
    "Provenance",
    "read",
    "write",
    "available_formats",
    # translation
    "Translator",
    "translate",
    "Backend",
    "BackendSignature",
    "Decoding",
    "Translation",
    "available_backends",
    "load_backend",
    "LANGUAGES",
    # errors
    "KZTranslateError",
    "UsageError",
    "InputError",
    "FormatError",
    "MergeError",
    "ModelUnavailableError",
    "BackendError",
    "QualityError",
    "BatchError",
]


def __getattr__(name: str) -> Any:
    # The pipeline pulls in the language layer (babel); import it on first use.
    if name in ("Translator", "translate"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'kztranslate' has no attribute {name!r}")
