"""Translation engines: the backend protocol, the registry of backends, the scheduler.

Backends are registered by name → ``"module:Class"`` and imported only when asked for, so
``import kztranslate`` never pays for torch or CTranslate2. Third-party backends register
through the ``kztranslate.backends`` entry-point group.
"""

from __future__ import annotations

import importlib
import importlib.util
from importlib.metadata import entry_points
from typing import Any

from ..errors import UsageError
from .base import Backend, Decoding, Translation

__all__ = ["Backend", "Decoding", "Translation", "BACKENDS", "available_backends", "load_backend", "default_backend_name"]

#: Built-in backends, name → "module:Class" (imported lazily).
BACKENDS: dict[str, str] = {
    "transformers": "kztranslate.engine.transformers_backend:TransformersBackend",
    "ctranslate2": "kztranslate.engine.ctranslate2_backend:CTranslate2Backend",
    "pseudo": "kztranslate.engine.pseudo:PseudoBackend",
}


def _registry() -> dict[str, Any]:
    found: dict[str, Any] = dict(BACKENDS)
    for ep in entry_points(group="kztranslate.backends"):
        found.setdefault(ep.name, ep)
    return found


def available_backends() -> list[str]:
    """Names of every backend, built-in and from plugins."""
    return sorted(_registry())


def default_backend_name() -> str:
    """``ctranslate2`` where it is installed (the fast path), else ``transformers``."""
    try:
        importlib.import_module("ctranslate2")
    except ImportError:
        return "transformers"
    return "ctranslate2" if importlib.util.find_spec("kztranslate.engine.ctranslate2_backend") else "transformers"


def load_backend(name: str | None = None, **options: Any) -> Backend:
    """Create the backend called ``name`` (default: :func:`default_backend_name`) with ``options``
    (``model``, ``revision``, ``decoding``, ``device``, …)."""
    name = name or default_backend_name()
    registry = _registry()
    target = registry.get(name)
    if target is None:
        raise UsageError(f"unknown backend {name!r}; choose one of: {', '.join(sorted(registry))}")
    if isinstance(target, str):
        module_name, _, class_name = target.partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
    else:
        cls = target.load()
    return cls(**options)
