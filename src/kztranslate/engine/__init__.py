"""Translation engines: the backend protocol, the registry of backends, the scheduler.

Backends are registered by name → ``"module:Class"`` and imported only when asked for, so
``import kztranslate`` never pays for torch or CTranslate2. Third-party backends register
through the ``kztranslate.backends`` entry-point group.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from .._registry import load_class, registered
from .base import Backend, BackendSignature, Decoding, Translation

__all__ = ["Backend", "BackendSignature", "Decoding", "Translation", "BACKENDS", "available_backends", "load_backend", "default_backend_name"]

#: Built-in backends, name → "module:Class" (imported lazily).
BACKENDS: dict[str, str] = {
    "transformers": "kztranslate.engine.transformers_backend:TransformersBackend",
    "ctranslate2": "kztranslate.engine.ctranslate2_backend:CTranslate2Backend",
    "pseudo": "kztranslate.engine.pseudo:PseudoBackend",
}


def available_backends() -> list[str]:
    """Names of every backend, built-in and from plugins."""
    return sorted(registered(BACKENDS, "kztranslate.backends"))


def default_backend_name() -> str:
    """``ctranslate2`` where it is installed (the fast path), else ``transformers``."""
    return "ctranslate2" if importlib.util.find_spec("ctranslate2") else "transformers"


def load_backend(name: str | None = None, **options: Any) -> Backend:
    """Create the backend called ``name`` (default: :func:`default_backend_name`) with ``options``
    (``model``, ``revision``, ``decoding``, ``device``, …)."""
    cls = load_class("backend", name or default_backend_name(), registered(BACKENDS, "kztranslate.backends"))
    return cls(**options)
