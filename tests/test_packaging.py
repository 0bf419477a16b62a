"""What a bare install needs and what the engine says when a model cannot be had.

The dependencies declared in pyproject.toml cover every import; the CTranslate2 path translates
with torch absent; backends refuse options they do not take; model errors are short, name the
Hugging Face variable that decided, and keep the library's raw text for ``--verbose``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from kztranslate.cli import main
from kztranslate.engine import load_backend
from kztranslate.engine.ctranslate2_backend import (
    CTranslate2Backend,
    convert_checkpoint,
)
from kztranslate.engine.registry import FAMILIES
from kztranslate.engine.transformers_backend import TransformersBackend
from kztranslate.errors import ModelUnavailableError, UsageError

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
EXAMPLE = ROOT / "examples" / "article.kk.txt"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _names(requirements: list[str]) -> set[str]:
    return {_normalize(Requirement(r).name) for r in requirements}


def _normalize(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


CORE = _names(PYPROJECT["dependencies"])
EXTRAS = {extra: _names(reqs) for extra, reqs in PYPROJECT["optional-dependencies"].items()}


def _third_party_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name != "kztranslate"}


# -- the declared dependencies ----------------------------------------------------------------------

def test_every_import_of_the_package_is_a_declared_dependency():
    declared = CORE.union(*EXTRAS.values())
    distributions = packages_distributions()
    missing = {}
    for module in sorted(SRC.rglob("*.py")):
        for name in _third_party_imports(module):
            owners = {_normalize(d) for d in distributions.get(name, [name])}
            if not owners & declared:
                missing.setdefault(name, []).append(str(module.relative_to(SRC)))
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_the_core_is_lean_and_the_extras_are_where_the_readme_says():
    assert {"ctranslate2", "transformers", "huggingface-hub", "lingua-language-detector", "sentencepiece"} <= CORE
    assert not CORE & {"torch", "ray", "pandas", "pyarrow", "sacrebleu", "fastapi"}
    assert EXTRAS["torch"] == {"torch"} and EXTRAS["ray"] == {"ray"} and EXTRAS["eval"] == {"sacrebleu"}
    everything = {r for r in PYPROJECT["optional-dependencies"]["all"]}
    assert "ray" not in str(everything) and "torch" in str(everything)
    assert "sacremoses" in CORE  # never imported by us: transformers' Marian tokenizer normalizes punctuation with it
    ct2 = next(Requirement(r) for r in PYPROJECT["dependencies"] if r.startswith("ctranslate2"))
    assert not ct2.specifier.contains("5.0")  # a private converter table is patched: stay below 5
    build = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    assert any(Requirement(r).specifier.contains("77") and not Requirement(r).specifier.contains("76") for r in build)


# -- the CTranslate2 path without torch ------------------------------------------------------------

@pytest.fixture(scope="module")
def converted(tiny_models, tmp_path_factory) -> Path:
    """The tiny NLLB model converted to CTranslate2 (conversion itself needs torch, present here)."""
    output = tmp_path_factory.mktemp("ct2") / "tiny-nllb-ct2"
    return convert_checkpoint(tiny_models["nllb"], FAMILIES["nllb"], output, "int8")


# Runs the command line with torch made unimportable: ``sys.modules["torch"] = None`` makes
# ``import torch`` raise ImportError and ``importlib.util.find_spec("torch")`` answer None, as when
# it is not installed.
_WITHOUT_TORCH = textwrap.dedent("""
    import sys
    for name in ("torch", "torchvision", "torchaudio"):
        sys.modules[name] = None
    from kztranslate.cli import main
    code = main(sys.argv[1:])
    assert not any(m == "torch" or m.startswith("torch.") for m in sys.modules if sys.modules[m] is not None)
    sys.exit(code)
""")


def _without_torch(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", _WITHOUT_TORCH, *args], check=False, capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_a_converted_model_translates_without_torch(converted, tmp_path):
    out = tmp_path / "out"
    result = _without_torch("translate", str(EXAMPLE), "--to", "ru,en", "--backend", "ctranslate2",
                            "--model", str(converted), "--out-dir", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    source_lines = [line for line in EXAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    for language in ("ru", "en"):
        variant = out / f"article.{language}.txt"
        lines = [line for line in variant.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert len(lines) == len(source_lines), language  # every block came back
        assert lines != source_lines


def test_the_transformers_backend_and_conversion_say_how_to_get_torch(tiny_models, tmp_path):
    result = _without_torch("translate", str(EXAMPLE), "--to", "ru", "--backend", "transformers",
                            "--model", str(tiny_models["nllb"]), "--out-dir", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "kztranslate[torch]" in result.stderr and "Traceback" not in result.stderr
    result = _without_torch("models", "convert", str(tiny_models["nllb"]), "--output", str(tmp_path / "ct2"),
                            cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "kztranslate[torch]" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "ct2").exists() and not (tmp_path / "out").exists()


def test_without_lingua_an_undecided_text_is_a_clear_error(tmp_path):
    # Cyrillic without Kazakh-only letters: the letters cannot decide, lingua must.
    article = tmp_path / "article.txt"
    article.write_text("Сегодня в городе открылась новая школа для детей.\n\nРаботы начались рано утром.\n",
                       encoding="utf-8")
    script = "import sys; sys.modules['lingua'] = None; from kztranslate.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", script, "translate", str(article), "--to", "en", "--backend",
                             "pseudo", "--out-dir", str(tmp_path / "out")], check=False,
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "lingua-language-detector" in result.stderr and "--from" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


# -- backend options ---------------------------------------------------------------------------------

def test_backends_refuse_options_they_do_not_take(tiny_models):
    with pytest.raises(UsageError, match=r"backend 'pseudo' has no option 'beems'; its options: model, decoding"):
        load_backend("pseudo", beems=7)
    with pytest.raises(UsageError, match=r"'compute_typ' \(did you mean 'compute_type'\?\).*intra_threads"):
        load_backend("ctranslate2", model=str(tiny_models["nllb"]), compute_typ="int8")
    with pytest.raises(UsageError, match=r"'dtpye' \(did you mean 'dtype'\?\)"):
        load_backend("transformers", model=str(tiny_models["nllb"]), dtpye="float32")
    with pytest.raises(TypeError):
        CTranslate2Backend(tiny_models["nllb"], beams=4)  # type: ignore[call-arg]
    assert load_backend("pseudo", model=None).signature().backend == "pseudo"


def test_a_plugin_backend_taking_any_keyword_gets_every_option(monkeypatch):
    from kztranslate import engine
    from kztranslate.engine.pseudo import PseudoBackend

    class Flexible(PseudoBackend):
        def __init__(self, **options):
            super().__init__()
            self.options = options

    monkeypatch.setitem(engine.BACKENDS, "flexible", f"{__name__}:_FLEXIBLE")
    monkeypatch.setitem(globals(), "_FLEXIBLE", Flexible)
    assert load_backend("flexible", anything=1).options == {"anything": 1}


# -- model errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["ctranslate2", "transformers"])
def test_a_missing_model_directory_is_exit_4_no_such_directory(backend, tmp_path, capsys):
    code = main(["translate", str(EXAMPLE), "--to", "ru", "--backend", backend,
                 "--model", str(tmp_path / "no/such/dir"), "--out-dir", str(tmp_path / "out")])
    stderr = capsys.readouterr().err
    assert code == 4, stderr
    assert "no such directory" in stderr and str(tmp_path / "no/such/dir") in stderr
    assert len(stderr.strip().splitlines()) <= 2 and not (tmp_path / "out").exists()


@pytest.mark.parametrize("variable", ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "HF_HOME"])
def test_every_cache_variable_is_honoured_and_named(variable, tiny_models, tmp_path, monkeypatch):
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "elsewhere"))  # the weaker variable, set to somewhere empty
    monkeypatch.setenv(variable, str(tmp_path / "cache"))
    hub = tmp_path / "cache" / "hub" if variable == "HF_HOME" else tmp_path / "cache"
    with pytest.raises(ModelUnavailableError) as caught:
        TransformersBackend("m2m100_418M")
    message = str(caught.value)
    assert str(hub / "models--facebook--m2m100_418M") in message and f"({variable})" in message
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = hub / "models--facebook--m2m100_418M"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    (repo / "snapshots").mkdir()
    (repo / "snapshots" / commit).symlink_to(tiny_models["m2m100"], target_is_directory=True)
    assert TransformersBackend("m2m100_418M").model_dir == repo / "snapshots" / commit


@pytest.mark.parametrize(("hf_hub_offline", "transformers_offline", "named"), [
    (None, "1", "TRANSFORMERS_OFFLINE"),
    ("1", None, "HF_HUB_OFFLINE"),
    ("1", "1", "HF_HUB_OFFLINE"),
])
def test_the_offline_variable_actually_set_is_named(hf_hub_offline, transformers_offline, named, tmp_path,
                                                    monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    for name, value in (("HF_HUB_OFFLINE", hf_hub_offline), ("TRANSFORMERS_OFFLINE", transformers_offline)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    with pytest.raises(ModelUnavailableError) as caught:
        TransformersBackend("m2m100_418M")
    first_line = str(caught.value).splitlines()[0]
    assert f"{named} forbids downloading" in first_line
    other = ({"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"} - {named}).pop()
    assert other not in first_line


def test_a_failed_download_is_two_short_lines_with_the_raw_text_behind_verbose(tmp_path, monkeypatch, capsys):
    import huggingface_hub

    raw = "Cannot reach https://huggingface.co/api/models/facebook/m2m100_418M:\nconnection refused\n\nSee the docs."

    def unreachable(*args, **kwargs):
        raise OSError(raw)

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    argv = ["translate", str(EXAMPLE), "--to", "ru", "--backend", "transformers", "--model", "m2m100_418M",
            "--out-dir", str(tmp_path / "out")]
    assert main(argv) == 4
    quiet = capsys.readouterr().err
    assert len(quiet.strip().splitlines()) == 2 and "connection refused" not in quiet
    assert "downloading failed" in quiet and "hf download facebook/m2m100_418M" in quiet
    assert main(["--verbose", *argv]) == 4
    verbose = capsys.readouterr().err
    assert "connection refused" in verbose and "See the docs." in verbose


# -- a real bare install ---------------------------------------------------------------------------

@pytest.mark.slow
def test_pip_install_without_extras_translates_with_a_converted_model(converted, tmp_path):
    """``pip install .`` into a fresh virtualenv (no extras): torch is absent and a converted model
    translates. Installs from the package index pip is configured for (minutes; hence slow)."""
    import shutil

    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "venv", "__pycache__", "*.egg-info",
                                                                 "build", "dist", "out", ".hypothesis",
                                                                 ".pytest_cache"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["HF_HUB_OFFLINE"] = "1"
    python = venv / "bin" / "python"

    def run(*args: str | Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(a) for a in args], check=False, capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=timeout)

    installed = run(python, "-m", "pip", "install", source, timeout=3600)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    no_torch = run(python, "-c", "import torch")
    assert no_torch.returncode != 0 and "No module named 'torch'" in no_torch.stderr
    out = tmp_path / "out"
    result = run(venv / "bin" / "kztranslate", "translate", EXAMPLE, "--to", "ru,en", "--backend", "ctranslate2",
                 "--model", converted, "--out-dir", out)
    assert result.returncode == 0, result.stderr
    for language in ("ru", "en"):
        assert (out / f"article.{language}.txt").read_text(encoding="utf-8").strip()
    found = run(python, "-c", "import kztranslate, sys; print(kztranslate.__file__)")
    assert str(venv) in found.stdout  # the installed copy ran, not the checkout
