"""Shared by the Markdown and XLIFF conformance tests: the corpus, and the command line run as users run it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
#: The pseudo backend marks every translated sentence with the target tag: ``⟦ru⟧ …``.
PSEUDO_MARK = re.compile(r"⟦([A-Za-z-]+)⟧")


def corpus(folder: str) -> list[Path]:
    """The third-party files of ``tests/conformance/<folder>`` (every file but SOURCES)."""
    return sorted(p for p in (HERE / folder).iterdir() if p.is_file() and p.name != "SOURCES")


def listed_in_sources(folder: str) -> set[str]:
    """File names that ``tests/conformance/<folder>/SOURCES`` gives a source and license for."""
    names = set()
    for line in (HERE / folder / "SOURCES").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            fields = [f.strip() for f in line.split("|")]
            if len(fields) == 5 and all(fields[i] for i in (0, 1, 4)):
                names.add(fields[0])
    return names


def kzt(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m kztranslate ARGS`` with this checkout's sources and a private translation memory."""
    memory = Path(tempfile.mkdtemp(prefix="kzt-conformance-")) / "memory.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1", "KZTRANSLATE_TM": str(memory)}
    return subprocess.run([sys.executable, "-m", "kztranslate", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=600)
