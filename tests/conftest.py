"""Shared fixtures. Helpers append their own below; keep each fixture's build cost session-wide."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests: no per-example deadline (the 2-core machines are often shared), and a fixed seed
# so a CI run is reproducible (the examples differ per test, not per run).
settings.register_profile("kztranslate", deadline=None, derandomize=True)
settings.load_profile("kztranslate")


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny random-weight models of every family (``nllb``, ``m2m100``, ``madlad``, ``marian-multi``),
    built once per session by :func:`kztranslate.testing.build_tiny_model`: family name → directory."""
    from kztranslate.testing import TINY_FAMILIES, build_tiny_model

    root = tmp_path_factory.mktemp("tiny-models")
    return {family: build_tiny_model(family, root / family) for family in TINY_FAMILIES}


@pytest.fixture(autouse=True)
def _private_translation_memory(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads or writes the user's translation memory: the CLI (translate, xliff import) keeps one
    by default. Tests that need a memory of their own still pass --memory or set KZTRANSLATE_TM."""
    monkeypatch.setenv("KZTRANSLATE_TM", str(tmp_path_factory.mktemp("tm") / "memory.sqlite"))
