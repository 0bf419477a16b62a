"""Translation engines: the backend protocol, the registry of backends, the scheduler.

Backends are registered by name → ``"module:Class"`` and imported only when asked for, so
``import kztranslate`` never pays for torch or CTranslate2. Third-party backends register
through the ``kztranslate.backends`` entry-point group.
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
from collections.abc import Mapping
from typing import Any

from .._registry import load_class, registered
from ..errors import UsageError
from .base import Backend, BackendSignature, Decoding, Translation

__all__ = ["Backend", "BackendSignature", "Decoding", "Translation", "BACKENDS", "available_backends", "load_backend",
           "default_backend_name", "backend_options", "check_options"]

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
    (``model``, ``revision``, ``decoding``, ``device``, …); an option the backend does not take is a
    :class:`~kztranslate.errors.UsageError` naming the ones it does."""
    name = name or default_backend_name()
    cls = load_class("backend", name, registered(BACKENDS, "kztranslate.backends"))
    check_options(name, cls, options)
    return cls(**options)


def backend_options(cls: type) -> list[str] | None:
    """The keyword options backend class ``cls`` takes (its constructor's parameters); None when it
    takes any (a ``**kwargs`` constructor, as a plugin may have)."""
    parameters = inspect.signature(cls).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return [p.name for p in parameters
            if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]


def check_options(name: str, cls: type, options: Mapping[str, Any]) -> None:
    """A :class:`~kztranslate.errors.UsageError` if backend ``name`` (class ``cls``) takes none of some ``options``."""
    valid = backend_options(cls)
    unknown = [key for key in options if valid is not None and key not in valid]
    if not unknown or valid is None:
        return
    hints = [f"{key!r} (did you mean {close[0]!r}?)" if (close := difflib.get_close_matches(key, valid, 1))
             else repr(key)
             for key in unknown]
    raise UsageError(
        f"backend {name!r} has no option {', '.join(hints)}; its options: {', '.join(valid) or 'none'}"
    )
