"""The HTTP service for CMS plugins (``kztranslate serve``; needs the ``serve`` extra: FastAPI, uvicorn).

>>> from kztranslate.service import ServiceSettings, create_app
>>> from kztranslate.config import TranslatorConfig
>>> settings = ServiceSettings(translation=TranslatorConfig("pseudo"), db_path="service.sqlite")
>>> app = create_app(settings)   # doctest: +SKIP

FastAPI is imported only when :func:`create_app` is asked for, so ``kztranslate keys`` (which
needs only the database) works without the extra.
"""

from __future__ import annotations

from typing import Any

from .settings import ServiceSettings, default_db_path
from .store import ApiKey, Store

__all__ = ["create_app", "ServiceSettings", "default_db_path", "Store", "ApiKey"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'kztranslate.service' has no attribute {name!r}")
