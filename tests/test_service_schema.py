"""schemathesis against the service's own OpenAPI document, on a real server: whatever a client
generated from the schema sends, the answer is never a 5xx and always matches the schema (status
code, content type, body). ``positive_data_acceptance`` is left out: the schema cannot say that
``to`` must name a known language or that exactly one of ``article``/``content`` is given, so
schema-valid requests are rightly refused with a 4xx.

The default run sends a bounded number of examples per operation; ``-m fuzz`` sends
``KZTRANSLATE_SCHEMATHESIS_EXAMPLES`` (default 500) and runs the stateful phase too."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("schemathesis")

from test_service_hardening import ENV, Server

ST = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")


def _run(server: Server, examples: int, phases: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # in the server's directory: schemathesis keeps a cache where it runs
        [ST, "run", server.url + "/openapi.json", "--max-examples", str(examples), "--checks", "all",
         "--exclude-checks", "positive_data_acceptance", "--phases", phases, "--seed", "1"],
        env=ENV, capture_output=True, text=True, timeout=1200, cwd=server.log.parent,
    )


@pytest.fixture
def server(tmp_path):
    live = Server(tmp_path, "--rate", "100000", "--burst", "100000")
    yield live
    live.stop()


@pytest.mark.skipif(ST is None, reason="schemathesis' st command is not installed")
def test_schemathesis_finds_no_server_error_and_no_schema_violation(server):
    done = _run(server, 10, "examples,coverage,fuzzing")
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout and "failures" not in done.stdout.split("SUMMARY")[-1].lower()


@pytest.mark.fuzz
@pytest.mark.skipif(ST is None, reason="schemathesis' st command is not installed")
def test_schemathesis_long_run(server):
    examples = int(os.environ.get("KZTRANSLATE_SCHEMATHESIS_EXAMPLES", "500"))
    done = _run(server, examples, "examples,coverage,fuzzing,stateful")
    assert done.returncode == 0, done.stdout[-4000:]
