"""Registries of name → lazily imported class: built-ins as ``"module:Class"`` strings plus the
classes third-party packages register under an entry-point group (sacrebleu/CTranslate2 style)."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from .errors import UsageError

__all__ = ["registered", "load_class"]


def registered(builtins: dict[str, str], group: str) -> dict[str, Any]:
    """Every registered name → its ``"module:Class"`` or entry point (built-ins win a name clash)."""
    found: dict[str, Any] = dict(builtins)
    for ep in entry_points(group=group):
        found.setdefault(ep.name, ep)
    return found


def load_class(kind: str, name: str, names: dict[str, Any]) -> type:
    """Import the class registered as ``name``; an unknown name is a :class:`UsageError` listing the choices."""
    target = names.get(name)
    if target is None:
        raise UsageError(f"unknown {kind} {name!r}; choose one of: {', '.join(sorted(names))}")
    if isinstance(target, str):
        module_name, _, class_name = target.partition(":")
        return getattr(importlib.import_module(module_name), class_name)
    return target.load()
