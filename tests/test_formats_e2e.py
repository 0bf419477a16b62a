"""Issue 3's "done when", checked as a user would: the real CLI on one realistic file per format.

`kztranslate translate FILE --to ru,en --backend pseudo --out-dir D` must give variants that keep every
tag, attribute, link target and front-matter/ninjs field of the source, in order, that are linked to the
original, and in which URLs, e-mails, hashtags, @handles, numbers and Latin brand names survive (the
pseudo backend accents Latin vowels, so a brand name that reached it unprotected would come back changed).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "e2e"
TARGETS = ("ru", "en")
# Survivors: these source strings must appear in every variant as often as in the source.
SURVIVORS = re.compile(
    r"https?://[^\s\"'<>)]+[^\s\"'<>).,]|[\w.+-]+@[\w-]+\.[\w.]+[a-z]|(?<![\w@])@\w+|#\w+"
    r"|\b(?:Kaspi\.kz|Air Astana|Qarmet|Onay|Green City|park_v2|Tech Hub)\b"
)


def kzt(*args: str, memory: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}
    memory_args = ["--memory", str(memory)] if memory else []
    return subprocess.run([sys.executable, "-m", "kztranslate", *args, *memory_args],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def translated(tmp_path_factory) -> Path:
    """Every fixture translated to ru and en by one CLI run (the same outputs as one run per file)."""
    out = tmp_path_factory.mktemp("e2e")
    result = kzt("translate", *(str(FIXTURES / name) for name in CASES), "--to", ",".join(TARGETS),
                 "--backend", "pseudo", "--no-memory", "--out-dir", str(out))
    assert result.returncode == 0, result.stderr
    return out


def output(out: Path, source: Path, lang: str) -> Path:
    return out / f"{source.name.split('.')[0]}.{lang}{source.suffix}"


# -- structure of each format -----------------------------------------------------------------------
def html_elements(text: str) -> list[tuple[str, dict[str, str]]]:
    """Every element in document order with its attributes (``lang`` aside: variants set it)."""
    import lxml.html

    if re.match(r"\s*<(!doctype|html)", text, re.I):
        root = lxml.html.document_fromstring(text)
    else:
        root = lxml.html.fragment_fromstring(text, create_parent="div")
    return [(e.tag, {k: TRANSLATED if (e.tag == "meta" and k == "content" and _translated_meta(e))
                     or k in ("alt", "title", "aria-label") else v
                     for k, v in e.attrib.items() if k != "lang"})
            for e in root.iter() if isinstance(e.tag, str)]


TRANSLATED = "<translated>"


def _translated_meta(element: Any) -> bool:
    return (element.get("property") or element.get("name")) in ("og:title", "description", "author")


def html_languages(text: str) -> set[str]:
    import lxml.html

    if re.match(r"\s*<(!doctype|html)", text, re.I):
        return {lxml.html.document_fromstring(text).get("lang")}
    root = lxml.html.fragment_fromstring(text, create_parent="div")
    return {child.get("lang") for child in root if child.tag not in ("code", "pre")}


def html_alternates(text: str) -> dict[str, str]:
    import lxml.html

    root = lxml.html.document_fromstring(text)
    return {link.get("hreflang"): link.get("href") for link in root.iter("link")
            if link.get("rel") == "alternate" and link.get("hreflang")}


def check_html(source: str, variant: str, lang: str) -> None:
    expected = html_elements(source)
    got = html_elements(variant)
    if re.match(r"\s*<(!doctype|html)", source, re.I):
        # a page links back to its original: its canonical link becomes the hreflang link to it
        canonical = next(a["href"] for t, a in expected if t == "link" and a.get("rel") == "canonical")
        assert html_alternates(variant) == {"kk": canonical}
        expected = [(t, {**a, "rel": "alternate", "hreflang": "kk"} if a.get("rel") == "canonical" else a)
                    for t, a in expected]
    assert got == expected
    assert html_languages(variant) == {lang}


def markdown_structure(text: str) -> tuple[dict[str, Any], list[tuple]]:
    from markdown_it import MarkdownIt

    front, body = {}, text
    if text.startswith("---\n"):
        head, body = text[4:].split("\n---\n", 1)
        front = yaml.safe_load(head)
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.normalizeLink = lambda url: url
    shape = []
    for token in md.parse(body):
        verbatim = token.content if token.type in ("fence", "code_block") else None
        shape.append((token.type, token.tag, token.info, verbatim))
        for child in token.children or []:
            if child.type not in ("text", "softbreak"):
                shape.append((child.type, child.tag, dict(child.attrs),
                              child.content if child.type in ("code_inline", "html_inline")
                              else bool(child.content) if child.type == "image" else None))  # alt text kept
    return front, shape


def check_markdown(source: str, variant: str, lang: str) -> None:
    src_front, src_body = markdown_structure(source)
    var_front, var_body = markdown_structure(variant)
    assert var_body == src_body
    assert list(var_front) == list(src_front) + ["lang", "translationKey"]
    assert var_front["lang"] == lang and var_front["translationKey"] == src_front["slug"]
    for key in ("date", "slug", "weight", "draft", "images"):
        assert var_front[key] == src_front[key]
    for key in ("title", "description"):
        assert var_front[key] != src_front[key]
    assert [len(var_front[k]) for k in ("tags", "categories")] == [len(src_front[k]) for k in ("tags", "categories")]
    if lang == "en":
        assert re.fullmatch(r"[A-Za-z ]+", var_front["author"])
    else:
        assert var_front["author"] != src_front["author"]


def check_ninjs(source: str, variant: str, lang: str) -> None:
    src, var = json.loads(source), json.loads(variant)
    version3 = src["standard"]["version"].startswith("3")
    links = [] if version3 else ["translated_from", "translation_id"]
    assert list(var) == list(src) + links
    assert var["language"] == lang and var["uri"] != src["uri"]
    texts = {"headlines", "descriptions", "bodies", "by", "located", "language", "uri", "altIds", "associations"}
    for key in src:
        if key not in texts:
            assert var[key] == src[key], key
    for key in ("headlines", "descriptions", "bodies"):
        counts = ("charcount", "charCount", "wordcount", "wordCount")
        assert [{k: v for k, v in item.items() if k not in ("value", *counts)} for item in var[key]] == \
               [{k: v for k, v in item.items() if k not in ("value", *counts)} for item in src[key]]
        for item in var[key]:  # a count is recounted or removed, never stale
            assert all(item[k] == len(item["value"]) for k in ("charcount", "charCount") if k in item)
        for src_item, var_item in zip(src[key], var[key]):
            if "html" in str(src_item.get("contenttype") or src_item.get("contentType")):
                check_html(src_item["value"], var_item["value"], lang)
            else:
                assert var_item["value"] != src_item["value"]
    if version3:
        assert var["altIds"] == src["altIds"] + [{"role": "translated-from", "value": src["uri"]}]
        assert var["associations"][:-1] == src["associations"]
        assert var["associations"][-1] == {"name": "original", "uri": src["uri"], "language": "kk"}
    else:
        assert var["translated_from"] == var["translation_id"] == src["uri"]


def check_jsonld(source: str, variant: str, lang: str) -> None:
    src, var = json.loads(source), json.loads(variant)
    page_keys = ("url", "mainEntityOfPage")  # name the original's page; set once the variant is published
    assert list(var) == [k for k in src if k not in page_keys] + ["translationOfWork"]
    assert var["translationOfWork"] == {"@id": src["@id"]} and var["@id"] == f"{src['@id']}#{lang}"
    assert var["inLanguage"] == lang
    for key in ("@context", "@type", "datePublished", "dateModified", "publisher", "image", "keywords"):
        assert var[key] == src[key], key
    assert [{k: v for k, v in a.items() if k != "name"} for a in var["author"]] == \
           [{k: v for k, v in a.items() if k != "name"} for a in src["author"]]
    assert var["articleBody"].count("\n\n") == src["articleBody"].count("\n\n")


def check_document(source: str, variant: str, lang: str) -> None:
    from kztranslate.document import Article

    src, var = json.loads(source), json.loads(variant)
    assert var["language"] == lang
    assert [b["role"] for b in var["blocks"]] == [b["role"] for b in src["blocks"]]
    for s, v in zip(src["blocks"], var["blocks"]):
        assert [(c["tag"], c.get("attrs")) for c in v.get("inline", [])] == \
               [(c["tag"], c.get("attrs")) for c in s.get("inline", [])]
    assert var["meta"] == src["meta"] and var["source"] == src["source"]
    assert (var["published"], var["views"]) == (src["published"], src["views"])
    provenance = var["provenance"]
    assert provenance["source_language"] == "kk" and provenance["target_language"] == lang
    assert provenance["source_sha256"] == Article.from_dict(src).checksum()


CASES = {
    "page.kk.html": check_html,
    "fragment.kk.html": check_html,
    "story.kk.md": check_markdown,
    "wire.kk.ninjs": check_ninjs,
    "wire3.kk.json": check_ninjs,
    "article.kk.jsonld": check_jsonld,
    "digest.kk.json": check_document,
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_format_keeps_its_structure_and_links_the_variants(translated, name):
    source_path = FIXTURES / name
    source = source_path.read_text(encoding="utf-8")
    for lang in TARGETS:
        variant = output(translated, source_path, lang).read_text(encoding="utf-8")
        CASES[name](source, variant, lang)
        assert f"⟦{lang}⟧" in variant  # translated, not copied
        source_text, variant_text = content(source_path), content(output(translated, source_path, lang))
        for survivor in set(SURVIVORS.findall(source_text)):
            assert variant_text.count(survivor) == source_text.count(survivor), (lang, survivor)
        assert Counter(re.findall(r"\d+", variant_text)) == Counter(re.findall(r"\d+", source_text)), lang


def content(path: Path) -> str:
    """The article's text as kztranslate reads it back: every block, and the attributes of its markup."""
    from kztranslate.formats import read_article

    article = read_article(path)
    return "\n".join(b.text + " " + " ".join(v for c in b.inline for v in c.attrs.values()) for b in article.blocks)


# -- XLIFF: export → edit → import -------------------------------------------------------------------
XLIFF = "{urn:oasis:names:tc:xliff:document:2.0}"
EDIT = "Правка редактора. "


def edit_units(xlf: Path, pick) -> list[int]:
    """Prefix the target of the units ``pick(units)`` chooses with EDIT; their block indexes."""
    from lxml import etree

    tree = etree.parse(str(xlf))
    units = tree.getroot().findall(f".//{XLIFF}unit")
    chosen = pick(units)
    for unit in chosen:
        target = unit.find(f"{XLIFF}segment/{XLIFF}target")
        target.text = EDIT + (target.text or "")
    tree.write(str(xlf), xml_declaration=True, encoding="UTF-8")
    return [int(u.get("id")[1:]) for u in chosen]


@pytest.mark.parametrize("name", list(CASES))
def test_xliff_round_trip_changes_exactly_the_edited_segments(translated, tmp_path, name):
    from kztranslate.formats import read_article

    source = FIXTURES / name
    variant = output(translated, source, "ru")
    xlf, merged = tmp_path / "edit.xlf", tmp_path / f"merged{source.suffix}"
    assert kzt("xliff", "export", str(source), str(variant), "-o", str(xlf)).returncode == 0
    # the first unit, and the first one with inline markup (when there is one)
    edited = edit_units(
        xlf, lambda units: [units[0]] + [u for u in units[1:] if u.find(f"{XLIFF}originalData") is not None][:1])
    result = kzt("xliff", "import", str(xlf), str(source), str(variant), "-o", str(merged),
                 memory=tmp_path / "tm.sqlite")
    assert result.returncode == 0, result.stderr

    before, after = read_article(variant), read_article(merged)
    assert len(after.blocks) == len(before.blocks)
    for index, (old, new) in enumerate(zip(before.blocks, after.blocks)):
        if index in edited:
            assert new.text == EDIT + old.text
            assert [(c.tag, c.attrs, c.start - len(EDIT), c.end - len(EDIT)) for c in new.inline] == \
                   [(c.tag, c.attrs, c.start, c.end) for c in old.inline]
        else:
            assert (new.role, new.text, new.inline) == (old.role, old.text, old.inline), index
    if name != "digest.kk.json":  # document JSON also records the post-edit in the blocks' meta
        assert merged.read_text(encoding="utf-8").replace(EDIT, "") == variant.read_text(encoding="utf-8")
        assert merged.read_text(encoding="utf-8").count(EDIT) == len(edited)


def test_xliff_post_edits_go_to_the_memory_and_win_when_translating_again(tmp_path):
    """Issue 4: human post-edits (from XLIFF import) are stored and win over machine output."""
    from lxml import etree

    from kztranslate.formats import read_article

    source, memory = FIXTURES / "page.kk.html", tmp_path / "tm.sqlite"
    first, again = tmp_path / "first", tmp_path / "again"
    assert kzt("translate", str(source), "--to", "ru", "--backend", "pseudo", "--out-dir", str(first),
               memory=memory).returncode == 0
    xlf = tmp_path / "page.xlf"
    assert kzt("xliff", "export", str(source), str(first / "page.ru.html"), "-o", str(xlf)).returncode == 0
    tree = etree.parse(str(xlf))
    unit = next(u for u in tree.getroot().iter(f"{XLIFF}unit") if u.find(f"{XLIFF}originalData") is not None)
    target = unit.find(f"{XLIFF}segment/{XLIFF}target")
    # a real post-edit: the editor rewrites both sentences, keeping the markup and the e-mail address
    pcs = list(target)
    target.text = "В Шымкенте открылся парк площадью "
    pcs[0].text, pcs[0].tail = "12 гектаров", ". Подробности "
    pcs[1].text, pcs[1].tail = "на сайте акимата", "."
    pcs[2].tail = "Вопросы присылайте на "
    pcs[3].tail = "."
    tree.write(str(xlf), xml_declaration=True, encoding="UTF-8")
    edited_path = tmp_path / "page.ru.html"
    result = kzt("xliff", "import", str(xlf), str(source), str(first / "page.ru.html"), "-o", str(edited_path),
                 memory=memory)
    assert result.returncode == 0, result.stderr
    assert "2 post-edited sentence(s) of 1 block(s) stored" in result.stderr

    result = kzt("translate", str(source), "--to", "ru", "--backend", "pseudo", "--out-dir", str(again), memory=memory)
    assert result.returncode == 0, result.stderr
    index = int(unit.get("id")[1:])
    edited, retranslated = read_article(edited_path).blocks[index], read_article(again / "page.ru.html").blocks[index]
    assert retranslated.text == edited.text == ("В Шымкенте открылся парк площадью 12 гектаров. Подробности на сайте "
                                                "акимата.Вопросы присылайте на info@shymkent.gov.kz.")
    assert [c.to_dict() for c in retranslated.inline] == [c.to_dict() for c in edited.inline]
    # the other blocks still come from the model (through the memory)
    assert read_article(again / "page.ru.html").blocks[index + 1].text.startswith("⟦ru⟧")

    # --no-memory merges without storing
    other = tmp_path / "other.sqlite"
    result = kzt("xliff", "import", str(xlf), str(source), str(first / "page.ru.html"), "-o", str(edited_path),
                 "--no-memory", memory=other)
    assert result.returncode == 0 and "stored" not in result.stderr and not other.exists()


# -- bad input: a clear error with the position, exit code 3, no output ----------------------------
BAD = {
    "quote.kk.html": ('<p>Бірінші абзац.</p>\n<p>Екінші <a href="https://example.kz>сілтеме</a> мәтін.</p>\n'
                      '<p>Үшінші абзац.</p>\n', "line 2, column 11", "quote"),
    "swallowed.kk.html": ('<!DOCTYPE html>\n<html lang="kk"><body>\n<p>Бірінші.</p>\n'
                          '<p>Екінші <a href="https://example.kz>сілтеме</a> мәтін.</p>\n<p title="x">Үшінші.</p>\n'
                          '</body></html>\n', "line 4, column 14", "never closed"),
    "cut.kk.html": ('<p>Бірінші абзац.</p>\n<p class="lead">Екінші <a href="/x"', "line 2, column 24", "never closed"),
    "front.kk.md": ('---\ntitle: "Тақырып\ndate: 2024-01-01\n---\n\nМәтін.\n', "scalar that starts at line 2, column 8",
                    "front matter"),
    "unclosed.kk.md": ("---\ntitle: Тақырып\n\nМәтін.\n", "line 1", "never closed"),
    "wire.kk.ninjs": ('{\n  "uri": "urn:x",\n  "headline": "Тақырып",\n  "language": "kk",\n}\n', "line 5, column 1",
                      "invalid JSON"),
    "article.kk.jsonld": ('{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Тақырып" "x": 1}',
                          "line 1, column 82", "invalid JSON"),
    "doc.kk.json": ('{"language": "kk", "blocks": [{"role": "paragraph", "text": "Мәтін"}', "line 1", "invalid JSON"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_named_with_its_position_exits_3_and_writes_nothing(tmp_path, name):
    content, position, words = BAD[name]
    bad = tmp_path / "in" / name
    bad.parent.mkdir()
    bad.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    result = kzt("translate", str(bad), "--to", "ru,en", "--backend", "pseudo", "--no-memory", "--out-dir", str(out))
    assert result.returncode == 3, result.stderr
    assert name in result.stderr and position in result.stderr and words in result.stderr, result.stderr
    assert not out.exists()


def test_several_files_the_bad_ones_get_no_output_the_good_ones_do(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("quote.kk.html", "front.kk.md", "wire.kk.ninjs"):
        (inputs / name).write_text(BAD[name][0], encoding="utf-8")
    good = inputs / "page.kk.html"
    good.write_bytes((FIXTURES / "page.kk.html").read_bytes())
    out = tmp_path / "out"
    result = kzt("translate", *sorted(map(str, inputs.iterdir())), "--to", "ru,en", "--backend", "pseudo",
                 "--no-memory", "--out-dir", str(out))
    assert result.returncode == 5, result.stderr  # some items failed, the others were written (README)
    assert sorted(p.name for p in out.iterdir()) == ["page.en.html", "page.ru.html"]  # no temporary files either
    for name in ("quote.kk.html", "front.kk.md", "wire.kk.ninjs"):
        assert f"{name}: line " in result.stderr and BAD[name][1] in result.stderr, result.stderr


def test_a_huge_input_is_refused_with_the_documented_limit(tmp_path):
    from kztranslate.formats import MAX_INPUT_BYTES

    huge = tmp_path / "huge.kk.html"
    paragraph = "<p>Шымкентте жаңа саябақ ашылды.</p>\n".encode()
    huge.write_bytes(paragraph * (MAX_INPUT_BYTES // len(paragraph) + 1))
    out = tmp_path / "out"
    result = kzt("translate", str(huge), "--to", "ru", "--backend", "pseudo", "--no-memory", "--out-dir", str(out))
    assert result.returncode == 3
    assert f"over the limit of {MAX_INPUT_BYTES} bytes" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("damage, words", [
    (lambda x: x.replace("</unit>", "", 1), "line"),                        # malformed XML: position
    (lambda x: x.replace('<unit id="b1">', '<unit id="b99">', 1), "b99"),    # a unit the article does not have
    (lambda x: x.replace("<target>", "<target><ph id=\"77\" dataRef=\"d77s\"/>", 1), "77"),  # an invented code
])
def test_a_bad_xliff_file_merges_nothing(translated, tmp_path, damage, words):
    source, variant = FIXTURES / "page.kk.html", output(translated, FIXTURES / "page.kk.html", "ru")
    xlf = tmp_path / "page.xlf"
    assert kzt("xliff", "export", str(source), str(variant), "-o", str(xlf)).returncode == 0
    text = xlf.read_text(encoding="utf-8")
    # an edit elsewhere in the file: it must not be merged either
    xlf.write_text(damage(text.replace("<target>⟦ru⟧", "<target>Правка ", 3)), encoding="utf-8")
    merged, memory = tmp_path / "merged.html", tmp_path / "tm.sqlite"
    result = kzt("xliff", "import", str(xlf), str(source), str(variant), "-o", str(merged), memory=memory)
    assert result.returncode == 3 and words in result.stderr, result.stderr
    assert not merged.exists() and not memory.exists()


# -- glossary and protected spans through the CLI --------------------------------------------------
def test_glossary_through_the_cli_suffixes_case_do_not_translate_and_provenance(tmp_path):
    import hashlib

    source, glossary, memory = FIXTURES / "terms.kk.html", FIXTURES / "glossary.tsv", tmp_path / "tm.sqlite"
    result = kzt("translate", str(source), "--to", "ru,en", "--backend", "pseudo", "--glossary", str(glossary),
                 "--out-dir", str(tmp_path), memory=memory)
    assert result.returncode == 0, result.stderr
    en = (tmp_path / "terms.en.html").read_text(encoding="utf-8")
    ru = (tmp_path / "terms.ru.html").read_text(encoding="utf-8")
    # Kazakh endings matched and dropped (Астанада, Шымкенттің, Шымкенттен, Астананың), case followed (ШЫМКЕНТ)
    assert "SHYMKENT: Astana Shymkent 3" in en and "Shymkent келген" in en
    assert '<a href="https://astana.example.kz/kk">Astana</a>' in en
    assert "ШЫМКЕНТ: Астана Шымкент 3" in ru and '<a href="https://astana.example.kz/kk">Астана</a>' in ru
    # protected spans and numbers come back exactly, in both variants
    for kept in ("2024-05-14", "15:30", "1 500 000 ₸", "12,5%", "info@astana.example.kz", "@astana_news",
                 "#Шымкент2024", "https://shymkent.example.kz/news?id=5"):
        assert kept in en and kept in ru, kept
    # the model never saw the glossary terms, the do-not-translate one included: the memory holds what it was sent
    export = tmp_path / "tm.jsonl"
    assert kzt("tm", "export", str(export), memory=memory).returncode == 0
    sent = [json.loads(line)["source_text"] for line in export.read_text(encoding="utf-8").splitlines()]
    assert sent and not any(term in text for text in sent for term in ("Шымкент", "ШЫМКЕНТ", "Астана", "Нұр Отан"))
    assert any(text.startswith("[[1]] ардагерлері") for text in sent)  # Нұр Отан travelled as a placeholder
    assert "Нұр Отан ардагерлері" in en and "Нұр Отан ардагерлері" in ru

    # provenance names the glossary and its checksum
    result = kzt("translate", str(source), "--to", "en", "--backend", "pseudo", "--no-memory", "--glossary",
                 str(glossary), "--format", "json", "--out-dir", str(tmp_path / "json"))
    assert result.returncode == 0, result.stderr
    provenance = json.loads((tmp_path / "json" / "terms.en.json").read_text(encoding="utf-8"))["provenance"]
    assert provenance["glossary"] == {"name": "glossary.tsv", "entries": 3,
                                      "sha256": hashlib.sha256(glossary.read_bytes()).hexdigest()}
