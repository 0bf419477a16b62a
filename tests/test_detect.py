"""Format detection by extension and content, and third-party formats through entry points."""

from __future__ import annotations

import importlib
import json
import textwrap
from pathlib import Path

import pytest

importlib.import_module("kztranslate.formats.text")  # detection consults every registered format

from kztranslate import formats  # noqa: E402
from kztranslate.document import Article, Block  # noqa: E402
from kztranslate.errors import FormatError  # noqa: E402
from kztranslate.formats import (  # noqa: E402
    available_formats,
    detect_format,
    read_article,
    write_article,
)

FIXTURES = Path(__file__).parent / "fixtures"
DOCUMENT_JSON = json.dumps(Article("kk", [Block("headline", "Жаңалық")]).to_dict(), ensure_ascii=False)


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(("path", "text", "expected"), [
    ("a.md", "Жай мәтін.\n", "markdown"),
    ("a.markdown", "---\ntitle: x\n---\n", "markdown"),
    ("a.json", _fixture("ninjs/superdesk.kk.json"), "ninjs"),
    ("a.json", _fixture("ninjs/ninjs3.kk.json"), "ninjs"),
    ("a.json", DOCUMENT_JSON, "json"),
    ("a.json", _fixture("jsonld/article.kk.jsonld"), "jsonld"),
    ("a.jsonld", _fixture("jsonld/article.kk.jsonld"), "jsonld"),
    ("a.ninjs", _fixture("ninjs/superdesk.kk.json"), "ninjs"),
])
def test_detect_by_extension_and_content(path, text, expected):
    assert detect_format(path, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("---\ntitle: Жаңалық\n---\n\nАбзац [сілтеме](https://example.kz).\n", "markdown"),
    ("# Тақырып\n\nАбзац.\n", "markdown"),
    (_fixture("ninjs/ninjs3.kk.json"), "ninjs"),
    (_fixture("jsonld/article.kk.jsonld"), "jsonld"),
    (DOCUMENT_JSON, "json"),
])
def test_detect_by_content_alone(text, expected):
    assert detect_format(None, text) == expected


def test_read_article_dispatches_json_by_content(tmp_path):
    (tmp_path / "item.json").write_text(_fixture("ninjs/superdesk.kk.json"), encoding="utf-8")
    (tmp_path / "page.json").write_text(_fixture("jsonld/article.kk.jsonld"), encoding="utf-8")
    assert "ninjs" in read_article(tmp_path / "item.json").meta
    assert "jsonld" in read_article(tmp_path / "page.json").meta
    (tmp_path / "bad.json").write_text('{"uri": "x", "headline": }', encoding="utf-8")
    with pytest.raises(FormatError) as err:
        read_article(tmp_path / "bad.json")
    assert err.value.line == 1 and err.value.column is not None


PLUGIN = '''
from typing import ClassVar
from kztranslate.document import Article, Block

class CmsFormat:
    """A newsroom's own export: 'TITLE: ...' then one paragraph per line."""
    name: ClassVar[str] = "cms"
    extensions: ClassVar[tuple[str, ...]] = (".cms",)

    def sniff(self, text):
        return text.startswith("TITLE: ")

    def read(self, text, *, source=None, language=None):
        title, *lines = text.splitlines()
        blocks = [Block("headline", title[len("TITLE: "):])] + [Block("paragraph", l) for l in lines if l]
        return Article(language or "kk", blocks)

    def write(self, article):
        return "TITLE: " + article.headline + "\\n" + "".join(
            b.text + "\\n" for b in article.blocks if b.role == "paragraph")
'''


def test_third_party_format_through_entry_points(tmp_path, monkeypatch):
    (tmp_path / "kz_cms_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = tmp_path / "kz_cms_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kz-cms-plugin\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[kztranslate.formats]\ncms = kz_cms_plugin:CmsFormat\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(formats, "_instances", {})
    importlib.invalidate_caches()

    assert "cms" in available_formats()
    text = "TITLE: Астанада жаңа мектеп\nБүгін мектеп ашылды.\n"
    assert detect_format("story.cms", text) == "cms"
    assert detect_format(None, text) == "cms"
    (tmp_path / "story.cms").write_text(text, encoding="utf-8")
    article = read_article(tmp_path / "story.cms")
    assert article.headline == "Астанада жаңа мектеп" and article.blocks[1].text == "Бүгін мектеп ашылды."
    article.blocks[1].text = "Сегодня открылась школа."
    written = write_article(article, tmp_path / "story.ru.cms")
    assert written == "TITLE: Астанада жаңа мектеп\nСегодня открылась школа.\n"
    assert (tmp_path / "story.ru.cms").read_text(encoding="utf-8").endswith("школа.\n")


def test_written_files_get_the_usual_permissions(tmp_path):
    """Outputs are published by web servers: not the owner-only mode of a temporary file."""
    import os

    umask = os.umask(0o022)
    try:
        target = tmp_path / "a.ru.txt"
        formats.write_atomic(target, "Жаңалық\n")
        assert target.stat().st_mode & 0o777 == 0o644
        target.chmod(0o640)
        formats.write_atomic(target, "Жаңалық екі\n")
        assert target.stat().st_mode & 0o777 == 0o640
        assert target.read_text(encoding="utf-8") == "Жаңалық екі\n"
        assert [p.name for p in tmp_path.iterdir()] == ["a.ru.txt"]
    finally:
        os.umask(umask)
