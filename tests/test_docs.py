"""The documentation stays true to the code: exit codes, QA codes, the pages docstrings cite."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from kztranslate import errors

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "kztranslate"
DOCUMENT_JSON = ROOT / "docs" / "document-json.md"


def _error_classes() -> list[type[errors.KZTranslateError]]:
    return [getattr(errors, name) for name in errors.__all__
            if isinstance(getattr(errors, name), type) and issubclass(getattr(errors, name), errors.KZTranslateError)]


def _exit_codes_line(text: str) -> str:
    start = text.index("- Exit codes")
    end = text.find("\n- ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def test_docs_list_every_exit_code_of_the_error_tree():
    documented = {int(n) for n in re.findall(r"(?<![\w.])(\d) ", _exit_codes_line(DOCUMENT_JSON.read_text()))}
    assert documented == {0} | {cls.exit_code for cls in _error_classes()}


def test_readme_exit_code_table_lists_every_exit_code_of_the_error_tree():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| exit code | meaning |"):]
    table = table[: table.index("\n\n")]
    documented = {int(n) for n in re.findall(r"^\| (\d) \|", table, re.M)}
    assert documented == {0} | {cls.exit_code for cls in _error_classes()}


def test_errors_docstring_gives_each_class_its_exit_code():
    doc = errors.__doc__ or ""
    for cls in _error_classes()[1:]:
        assert re.search(rf"\b{cls.__name__}\s+\[{cls.exit_code}\]", doc), cls.__name__


def _string_constants() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_every_documented_qa_code_exists_in_the_code():
    text = DOCUMENT_JSON.read_text()
    section = text[text.index("### QA findings"):text.index("## Command line")]
    codes = re.findall(r"^\| `([a-z-]+)` \|", section, re.M)
    assert len(codes) >= 10
    assert len(set(codes)) == len(codes)
    missing = set(codes) - _string_constants()
    assert not missing, f"documented QA codes that no code writes: {sorted(missing)}"


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_docs_pages_cited_by_the_code_exist(path):
    for cited in re.findall(r"\bdocs/[\w./-]+\.md\b", path.read_text(encoding="utf-8")):
        assert (ROOT / cited).is_file(), f"{path.name} cites {cited}, which does not exist"
