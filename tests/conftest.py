"""Shared fixtures. Helpers append their own below; keep each fixture's build cost session-wide."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny random-weight models of every family (``nllb``, ``m2m100``, ``madlad``, ``marian-multi``),
    built once per session by :func:`kztranslate.testing.build_tiny_model`: family name → directory."""
    from kztranslate.testing import TINY_FAMILIES, build_tiny_model

    root = tmp_path_factory.mktemp("tiny-models")
    return {family: build_tiny_model(family, root / family) for family in TINY_FAMILIES}
