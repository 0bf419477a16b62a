"""Markdown pages of real Hugo, Jekyll and Docusaurus sites (tests/conformance/markdown, see SOURCES),
translated through the command line with the pseudo backend: what must hold for every file and variant.

Invariants, one test per file (× variant):
* reading and writing without translating gives the same bytes;
* each target asked for is written, or the command says in one line why not;
* shortcodes, Liquid/Go template tags, heading ids and task/alert markers are the same in every
  variant, none backslash-escaped; so are link and image URLs, code spans, code blocks, raw HTML blocks
  and the block structure (markdown-it's tokens);
* front matter (YAML or TOML): every key kept (a variant adds ``lang`` and ``translationKey``), values
  that are not text kept, ``title``/``description``/``summary`` translated;
* every paragraph, heading, list item and quote with words in it is translated;
* none of the protected syntax reaches the model (a recording backend, in process).
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from collections import Counter
from pathlib import Path

import pytest
import yaml

from _markdown_xliff_helpers import PSEUDO_MARK, corpus, kzt, listed_in_sources
from kztranslate.formats.markdown import MarkdownFormat
from kztranslate.langid import detect_language
from kztranslate.languages import base_language

FILES = corpus("markdown")
TARGETS = ("ru", "en", "kk")
FORMAT = MarkdownFormat()
LANGUAGE = {p.name: FORMAT.read(p.read_text(encoding="utf-8")).language for p in FILES}
VARIANTS = [(p, lang) for p in FILES for lang in TARGETS if lang != LANGUAGE[p.name]]

TEMPLATE = re.compile(r"\{\{[<%].*?[>%]\}\}|\{\{.*?\}\}|\{%.*?%\}")
HEADING_ID = re.compile(r"^#{1,6}[ \t].*?(\{[#.][^{}\n]*\})[ \t]*$", re.M)
TASK = re.compile(r"^[ \t>]*(?:[-+*]|\d{1,9}[.)])[ \t]+(\\?\[[ xX]\\?\])", re.M)
ALERT = re.compile(r"^[ \t]*>[ \t]?(\\?\[![A-Za-z]+\\?\])", re.M)
FRONT = re.compile(r"\A(---|\+\+\+)[ \t]*\r?\n(.*?)^(?:\1|\.\.\.)[ \t]*\r?\n", re.S | re.M)
#: front-matter keys whose values are text kztranslate translates (or transliterates)
TEXT_KEYS = {"title", "description", "summary", "author", "authors", "tags", "categories"}
ADDED_KEYS = {"lang", "translationKey"}


def ids(value):
    return value.name if isinstance(value, Path) else str(value)


def stem(source: Path) -> str:
    return re.sub(r"\.(?:kk|ru|en)$", "", source.name[: -len(".md")])


@pytest.fixture(scope="module")
def translated(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Command-line runs over the whole corpus, every file into ru, en and kk: one run per group of
    files whose outputs have different names (hugo-book-index.en.md and .ru.md are editions of one
    page). File name → (output directory, the run's stderr)."""
    groups: list[list[Path]] = []
    for path in FILES:
        group = next((g for g in groups if stem(path) not in {stem(p) for p in g}), None)
        if group is None:
            groups.append(group := [])
        group.append(path)
    found = {}
    for group in groups:
        out = tmp_path_factory.mktemp("markdown-variants")
        run = kzt("translate", *map(str, group), "--to", ",".join(TARGETS), "--backend", "pseudo",
                  "--out-dir", str(out))
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
        found.update({path.name: (out, run.stderr) for path in group})
    return found


def variant_path(out: Path, source: Path, lang: str) -> Path:
    return out / f"{stem(source)}.{lang}.md"


def variant_text(translated, source: Path, lang: str) -> str:
    out, _ = translated[source.name]
    return variant_path(out, source, lang).read_text(encoding="utf-8")


def split_front(text: str) -> tuple[dict, str, str]:
    match = FRONT.match(text)
    if not match:
        return {}, "", text
    kind = "toml" if match.group(1) == "+++" else "yaml"
    values = tomllib.loads(match.group(2)) if kind == "toml" else (yaml.safe_load(match.group(2)) or {})
    return values, kind, text[match.end():]


def tokens(body: str) -> list:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.normalizeLink = lambda url: url
    return md.parse(body)


def kept_syntax(body: str) -> dict[str, Counter]:
    """What must be identical in every variant, from markdown-it's reading of the body."""
    found: dict[str, Counter] = {key: Counter() for key in ("href", "src", "code", "fence", "html_block")}
    for token in tokens(body):
        if token.type == "fence" or token.type == "code_block":
            found["fence"][(token.info, token.content)] += 1
        elif token.type == "html_block":
            found["html_block"][token.content] += 1
        for child in token.children or []:
            if child.type == "link_open":
                found["href"][child.attrs.get("href")] += 1
            elif child.type == "image":
                found["src"][child.attrs.get("src")] += 1
            elif child.type == "code_inline":
                found["code"][child.content] += 1
    return found


def structure(body: str) -> list[tuple[str, str, int]]:
    return [(t.type, t.tag, t.level) for t in tokens(body) if t.type != "inline"]


# -- the corpus ----------------------------------------------------------------------------------------
def test_every_file_has_a_source_and_license():
    assert {p.name for p in FILES} <= listed_in_sources("markdown")
    assert len(FILES) >= 8


# -- per file ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", FILES, ids=ids)
def test_read_write_gives_the_same_bytes(path):
    text = path.read_text(encoding="utf-8")
    assert FORMAT.write(FORMAT.read(text, source=str(path))) == text


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_every_target_is_written_or_explained(translated, path):
    out, stderr = translated[path.name]
    for lang in TARGETS:
        if variant_path(out, path, lang).exists():
            continue
        said = [line for line in stderr.splitlines() if f"{path}: no {lang} edition written:" in line]
        assert len(said) == 1, f"{lang} neither written nor explained for {path.name}"


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_nothing_protected_reaches_the_model(path):
    import kztranslate as kzt_api
    from doubles import CountingBackend

    text = path.read_text(encoding="utf-8")
    article = FORMAT.read(text, source=str(path))
    backend = CountingBackend()
    target = "ru" if article.language != "ru" else "en"
    kzt_api.Translator(backend, memory=None).translate(article, [target])
    sent = "\n".join(backend.sent)
    _, _, body = split_front(text)
    protected = set(TEMPLATE.findall(body)) | set(HEADING_ID.findall(body))
    syntax = kept_syntax(body)
    protected |= {href for href in syntax["href"] if href and len(href) > 4}
    protected |= {src for src in syntax["src"] if src and len(src) > 4}
    # a code span that is just a word ("code", "include") may well be a word of the text too
    protected |= {code for code in syntax["code"] if len(code.strip()) > 3 and re.search(r"[^\w\s]|_", code)}
    protected |= {line.strip() for info, content in syntax["fence"] for line in content.splitlines()
                  if len(line.strip()) > 12}
    leaked = sorted(p for p in protected if p in sent)
    assert not leaked


# -- per variant -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path,lang", VARIANTS, ids=ids)
def test_site_syntax_is_identical_and_never_escaped(translated, path, lang):
    source = path.read_text(encoding="utf-8")
    variant = variant_text(translated, path, lang)
    for pattern in (TEMPLATE, HEADING_ID, TASK, ALERT):
        assert Counter(pattern.findall(variant)) == Counter(pattern.findall(source)), pattern.pattern
    assert not re.search(r"\\\[[ xX!]|\{\{\\<|\\\{\\\{", variant)


@pytest.mark.parametrize("path,lang", VARIANTS, ids=ids)
def test_urls_code_and_structure_are_identical(translated, path, lang):
    _, _, source_body = split_front(path.read_text(encoding="utf-8"))
    _, _, variant_body = split_front(variant_text(translated, path, lang))
    assert kept_syntax(variant_body) == kept_syntax(source_body)
    assert structure(variant_body) == structure(source_body)


@pytest.mark.parametrize("path,lang", VARIANTS, ids=ids)
def test_front_matter_keys_kept_and_text_translated(translated, path, lang):
    source, kind, _ = split_front(path.read_text(encoding="utf-8"))
    variant, variant_kind, _ = split_front(variant_text(translated, path, lang))
    if not kind:
        assert not variant_kind
        return
    assert variant_kind == kind
    assert list(variant) == list(source) + [k for k in ("lang", "translationKey") if k not in source]
    assert variant["lang"] == lang
    for key, value in source.items():
        if key not in TEXT_KEYS | ADDED_KEYS:
            assert variant[key] == value, key
    for key in ("title", "description", "summary"):
        if isinstance(source.get(key), str) and re.search(r"[^\W\d_]", source[key]):
            assert PSEUDO_MARK.match(variant[key]) and PSEUDO_MARK.match(variant[key]).group(1) == lang, key


@pytest.mark.parametrize("path,lang", VARIANTS, ids=ids)
def test_every_text_block_is_translated(translated, path, lang):
    article = FORMAT.read(path.read_text(encoding="utf-8"))
    variant = FORMAT.read(variant_text(translated, path, lang), language=lang)
    body = [b for b in article.blocks if "front_matter" not in b.meta]
    again = [b for b in variant.blocks if "front_matter" not in b.meta]
    assert [b.role for b in again] == [b.role for b in body]
    words = re.compile(r"[^\W\d_]{2,}")
    untranslated = [b.text for b, v in zip(body, again)
                    if b.role in ("paragraph", "heading", "headline", "list_item", "quote")
                    and words.search(b.text) and f"⟦{lang}⟧" not in v.text]
    # a sentence language identification reads as the target language is kept as it is, by design
    misread = [t for t in untranslated if base_language(detect_language(t) or "") == base_language(lang)]
    assert [t[:60] for t in untranslated if t not in misread] == []
    # ... and is written in the target's script (a Latin sentence kept in a Cyrillic edition is a misreading)
    cyrillic_target = lang in ("kk", "ru")
    for text in misread:
        letters = re.findall(r"[^\W\d_]", text)
        share = sum(1 for c in letters if "\u0400" <= c <= "\u04ff") / len(letters)
        assert (share > 0.5) == cyrillic_target, (lang, text[:60])


# -- one file, one behaviour -------------------------------------------------------------------------------
def test_toml_front_matter_is_edited_in_place(translated):
    path = next(p for p in FILES if p.name == "hugo-basic-markdown-syntax.md")
    source = FRONT.match(path.read_text(encoding="utf-8")).group(2).splitlines()
    variant = FRONT.match(variant_text(translated, path, "ru")).group(2).splitlines()
    untouched = [line for line in source if not re.match(r"(title|description|author) =|\s+\"", line)]
    assert [line for line in variant if line in untouched] == untouched
    assert variant[len(source):] == ['lang = "ru"', variant[-1]] and variant[-1].startswith("translationKey = ")


@pytest.mark.parametrize("front,where", [
    ("---\ntitle: Жаңалық\ndate: 2024-13-02\n---\n", "line 3, column 7"),
    ("+++\ntitle = \"Жаңалық\"\ndate = 2024-13-02\n+++\n", "line 3"),
])
def test_an_impossible_front_matter_date_is_an_input_error_with_its_position(tmp_path, front, where):
    page = tmp_path / "page.md"
    page.write_text(front + "\nАстанада жаңа мектеп ашылды.\n", encoding="utf-8")
    run = kzt("translate", str(page), "--to", "ru", "--backend", "pseudo", "--out-dir", str(tmp_path / "out"))
    assert run.returncode == 3
    assert f"{page}: {where}" in run.stderr and "front matter" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "out").exists()


def test_emphasis_nested_thousands_deep_is_no_recursion_error(tmp_path):
    page = tmp_path / "stars.md"
    page.write_text("Астанада жаңа мектеп ашылды.\n\nHello " + "*" * 3000 + "word" + "*" * 3000 + " end.\n",
                    encoding="utf-8")
    run = kzt("translate", str(page), "--to", "ru", "--from", "kk", "--backend", "pseudo", "--out-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
    variant = (tmp_path / "stars.ru.md").read_text(encoding="utf-8")
    assert variant.count("*") == 6000 and "⟦ru⟧" in variant


def test_a_page_bundle_is_a_batch_input_and_no_source_is_overwritten(tmp_path):
    bundle = tmp_path / "content" / "docs"
    bundle.mkdir(parents=True)
    for lang in ("en", "ru"):
        shutil.copy(next(p for p in FILES if p.name == f"hugo-book-index.{lang}.md"), bundle / f"index.{lang}.md")
    before = {p.name: p.read_bytes() for p in bundle.iterdir()}
    out = tmp_path / "out"
    run = kzt("batch", str(tmp_path / "content"), "--to", "ru,en,kk", "--out", str(out), "--backend", "pseudo",
              "--no-progress")
    assert run.returncode == 0, run.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md")) == ["docs/index.kk.md"]
    assert "docs/index.en.md → ru not written: docs/index.ru.md is the page's ru edition" in run.stderr
    assert "docs/index.ru.md → en not written: docs/index.en.md is the page's en edition" in run.stderr
    assert {p.name: p.read_bytes() for p in bundle.iterdir()} == before
    # the suffix gives the language: an English text named note.ru.md is read as Russian, so en is made
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(next(p for p in FILES if p.name == "docusaurus-links.md"), lone / "note.ru.md")
    run = kzt("batch", str(lone), "--to", "en", "--out", str(tmp_path / "lone-out"), "--backend", "pseudo",
              "--no-progress")
    assert run.returncode == 0, run.stderr
    assert "⟦en⟧" in (tmp_path / "lone-out" / "note.en.md").read_text(encoding="utf-8")
    # translate, writing next to the sources: the Russian source is an input, never overwritten
    run = kzt("translate", str(bundle / "index.en.md"), str(bundle / "index.ru.md"), "--to", "ru,kk",
              "--backend", "pseudo")
    assert run.returncode == 0, run.stderr
    assert f"{bundle / 'index.en.md'}: no ru edition written: {bundle / 'index.ru.md'} is an input file" in run.stderr
    assert {p.name: p.read_bytes() for p in bundle.iterdir() if p.name != "index.kk.md"} == before


def test_an_unsupported_language_names_file_and_field_and_a_batch_goes_on(tmp_path):
    german = tmp_path / "in" / "german.md"
    german.parent.mkdir()
    german.write_text("---\ntitle: Neue Schule in Astana\nlang: de\n---\n\nIn Astana wurde eine neue Schule "
                      "eröffnet.\n", encoding="utf-8")
    shutil.copy(next(p for p in FILES if p.name == "docusaurus-links.md"), german.parent / "links.md")
    run = kzt("translate", str(german), "--to", "ru", "--backend", "pseudo")
    assert run.returncode == 2
    assert f"{german}: the article is in 'de' (its front matter 'lang')" in run.stderr and "choose one of" in run.stderr
    run = kzt("batch", str(german.parent), "--to", "ru", "--out", str(tmp_path / "out"), "--backend", "pseudo",
              "--no-progress")
    assert run.returncode == 5
    assert (tmp_path / "out" / "links.ru.md").exists() and not (tmp_path / "out" / "german.ru.md").exists()
    errors = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert [(e["input"], e["error"]) for e in errors] == [("german.md", "UsageError")]
    assert "front matter 'lang'" in errors[0]["message"]


def test_the_sources_own_language_is_not_written_and_the_command_says_why(tmp_path):
    path = next(p for p in FILES if p.name == "docusaurus-links.md")
    run = kzt("translate", str(path), "--to", "ru,en", "--backend", "pseudo", "--out-dir", str(tmp_path))
    assert run.returncode == 0
    assert (tmp_path / "docusaurus-links.ru.md").exists() and not (tmp_path / "docusaurus-links.en.md").exists()
    said = [line for line in run.stderr.splitlines() if "no en edition written" in line]
    assert said == [f"kztranslate: {path}: no en edition written: the article is already in en"]


def test_from_against_the_texts_language_is_a_qa_warning(tmp_path):
    path = next(p for p in FILES if p.name == "docusaurus-links.md")
    run = kzt("translate", str(path), "--from", "kk", "--to", "ru", "--backend", "pseudo", "--format", "json",
              "--out-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
    variant = json.loads((tmp_path / "docusaurus-links.ru.json").read_text(encoding="utf-8"))
    assert variant["provenance"]["source_language"] == "kk"
    assert [f["code"] for f in variant["qa"] if f["code"] == "source-language-mismatch"] == ["source-language-mismatch"]
    assert "source-language-mismatch" in run.stderr
