"""The conformance corpus: real third-party files (see ``SOURCES`` in each folder) and what is shared by
the invariant tests run over them.

``corpus_files(fmt)`` lists a folder's files; ``cli_variants`` runs the real command line
(``python -m kztranslate translate FILE --to A,B --backend pseudo``) once per file and session and
gives the written variants as bytes; ``model_inputs`` translates in-process with a backend that records
every text that reaches the model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent
SUPPORTED = ("kk", "ru", "en")


def corpus_files(fmt: str, *patterns: str) -> list[Path]:
    folder = CORPUS / fmt
    found: set[Path] = set()
    for pattern in patterns or ("*",):
        found.update(p for p in folder.glob(pattern) if p.is_file() and p.name != "SOURCES")
    return sorted(found)


def file_ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def plan(path: Path) -> tuple[str | None, list[str]]:
    """``(--from, targets)`` for a file: the two supported languages other than its own. An item in a
    language kztranslate does not translate (German, Swedish, Norwegian in the IPTC examples) is given
    ``--from en``: the pseudo backend does not care, and every field of the item is exercised."""
    import kztranslate as kzt

    language = kzt.read(path).language
    source = language if language in SUPPORTED else None
    targets = [t for t in SUPPORTED if t != (source or "en")]
    return (None if source else "en"), targets


@dataclass
class CliRun:
    returncode: int
    stderr: str
    variants: dict[str, bytes]
    source_language: str | None


@pytest.fixture(scope="session")
def cli_variants(tmp_path_factory: pytest.TempPathFactory):
    cache: dict[Path, CliRun] = {}
    root = tmp_path_factory.mktemp("conformance-cli")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KZTRANSLATE_TM": str(root / "tm.sqlite")}
    src = Path(__file__).resolve().parents[2] / "src"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))

    def run(path: Path) -> CliRun:
        if path not in cache:
            source, targets = plan(path)
            out = root / path.name
            command = [sys.executable, "-m", "kztranslate", "translate", str(path), "--to", ",".join(targets),
                       "--backend", "pseudo", "--out-dir", str(out), "--no-memory"]
            if source:
                command += ["--from", source]
            done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
            variants = {}
            for target in targets:
                written = list(out.glob(f"*.{target}{path.suffix}")) if out.exists() else []
                if len(written) == 1:
                    variants[target] = written[0].read_bytes()
            cache[path] = CliRun(done.returncode, done.stderr, variants, source)
        run = cache[path]
        if set(run.variants) != set(plan(path)[1]):
            pytest.fail(f"the command line did not write every variant (exit {run.returncode}): {run.stderr[-2000:]}")
        return run

    return run


@pytest.fixture(scope="session")
def model_inputs():
    """``model_inputs(path)`` → (article, {target: variant}, texts sent to the model), translated in-process
    with a recording backend (``tests/doubles.CountingBackend``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import kztranslate as kzt
    from doubles import CountingBackend

    cache: dict[Path, tuple] = {}

    def run(path: Path):
        if path not in cache:
            source, targets = plan(path)
            article = kzt.read(path, language=source)
            backend = CountingBackend()
            variants = kzt.Translator(backend, memory=None).translate(article, to=targets)
            cache[path] = (article, variants, backend.sent)
        return cache[path]

    return run
