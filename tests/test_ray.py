"""``--engine ray``: the same batch as a Ray Data pipeline on a local Ray instance."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from kztranslate.batch import ERRORS_NAME, MANIFEST_NAME, run_batch  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def local_ray():
    # Workers import kztranslate from this checkout; the driver stamps provenance (SOURCE_DATE_EPOCH).
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1"}})
    yield
    ray.shutdown()


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith(MANIFEST_NAME)
    }


def test_ray_run_matches_local_run_and_shares_its_manifest(local_ray, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1574848980")
    source = tmp_path / "in"
    for n in range(5):
        path = source / f"part{n % 2}" / f"item{n}.kk.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"language": "kk", "blocks": [
            {"role": "headline", "text": f"Жаңалық №{n}."},
            {"role": "paragraph", "text": f"Бүгін {n} адам келді. Бәрі жақсы өтті."},
        ]}, ensure_ascii=False), encoding="utf-8")
    (source / "broken.json").write_text("{", encoding="utf-8")

    by_ray = run_batch(source, tmp_path / "ray", ["ru", "en"], engine="ray", backend="pseudo", workers=1,
                       chunk_size=2, progress=False)
    assert (by_ray.total, by_ray.translated, by_ray.failed) == (6, 5, 1)
    errors = [json.loads(x) for x in (tmp_path / "ray" / ERRORS_NAME).read_text(encoding="utf-8").splitlines()]
    assert [(e["input"], e["error"]) for e in errors] == [("broken.json", "FormatError")]

    local = run_batch(source, tmp_path / "local", ["ru", "en"], backend="pseudo", progress=False)
    assert local.translated == 5
    assert _tree(tmp_path / "ray") == _tree(tmp_path / "local")
    assert len(_tree(tmp_path / "ray")) == 5 * 2 + 1

    # the manifests are interchangeable: a local rerun over the Ray output has nothing left to do
    rerun = run_batch(source, tmp_path / "ray", ["ru", "en"], backend="pseudo", progress=False)
    assert (rerun.translated, rerun.skipped) == (0, 5)
