"""XLIFF 1.2 and 2.x files made by other tools (tests/conformance/xliff, see SOURCES), translated through
the command line with the pseudo backend: what must hold for every file.

Most files declare a target language kztranslate does not translate into (de-CH, fr, es-ES): the command
refuses them, naming it. To fill their targets too, each file is also translated as a copy whose
target-language attribute (``trgLang``, or ``target-language`` of every ``<file>``) says ``ru`` — that
attribute is the only change; each XLIFF 2.0 file has a second copy with ``version="2.1"`` as well.

Invariants, one test per file:
* reading and writing without translating gives the same bytes; the file is XLIFF by its content too;
* a target language kztranslate cannot produce is refused (exit 2) with a message naming it;
* every translatable segment gets a target (``--overwrite-targets``: even one that had a target), its
  state set; without the flag an existing target is kept byte for byte (as canonical XML);
* the inline elements of each target are those of its source, identical;
* ``translate="no"`` (file, group, unit; ``<mrk translate="no">``, 1.2 ``mtype="protected"``) respected;
* apart from targets, states and the target language, the output is the source (canonical XML);
* nothing inside a kept inline element reaches the model (a recording backend, in process).
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from _markdown_xliff_helpers import corpus, kzt, listed_in_sources
from kztranslate.formats import detect_format
from kztranslate.formats.xliff import XliffFormat

FILES = corpus("xliff")
FORMAT = XliffFormat()
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, strip_cdata=False)
STATE_ATTRIBUTES = ("state", "subState", "state-qualifier", "trgLang", "target-language")
SUPPORTED = {"ru", "kk", "en", "kk-latn", "en-us", "ru-ru", "kk-kz"}


def declared(path: Path) -> str | None:
    return FORMAT.read(path.read_text(encoding="utf-8")).meta["xliff"]["target_language"]


def is_20(path: Path) -> bool:
    return 'version="2.0"' in path.read_text(encoding="utf-8")


#: (corpus file, name of its prepared copy, the copy's text)
def prepared(path: Path, as21: bool = False) -> tuple[Path, str, str]:
    text = path.read_text(encoding="utf-8")
    if is_20(path):
        text = (re.sub(r'trgLang="[^"]*"', 'trgLang="ru"', text) if "trgLang=" in text
                else re.sub(r'(srcLang="[^"]*")', r'\1 trgLang="ru"', text, count=1))
    else:
        text = (re.sub(r'target-language="[^"]*"', 'target-language="ru"', text) if "target-language=" in text
                else re.sub(r'(source-language="[^"]*")', r'\1 target-language="ru"', text))
    name = path.name
    if as21:
        text = text.replace('version="2.0"', 'version="2.1"', 1)
        name = re.sub(r"(\.\w+)$", r"-as21\1", name)
    return path, name, text


COPIES = [prepared(p) for p in FILES] + [prepared(p, as21=True) for p in FILES if is_20(p)]
FOREIGN = [p for p in FILES if declared(p) and declared(p).lower() not in SUPPORTED]


def ids(value):
    return value[1] if isinstance(value, tuple) else value.name


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """The prepared copies translated into ru twice: keeping existing targets, and overwriting them."""
    ready = tmp_path_factory.mktemp("xliff-ready")
    for _, name, text in COPIES:
        (ready / name).write_text(text, encoding="utf-8")
    outs = {}
    for mode, extra in (("keep", []), ("all", ["--overwrite-targets"])):
        out = tmp_path_factory.mktemp(f"xliff-{mode}")
        run = kzt("translate", *sorted(map(str, ready.iterdir())), "--to", "ru", "--backend", "pseudo",
                  "--out-dir", str(out), *extra)
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
        outs[mode] = out
    outs["ready"] = ready
    return outs


def output(runs, mode: str, name: str) -> etree._Element:
    path = runs[mode] / re.sub(r"(\.\w+)$", r".ru\1", name)
    return etree.fromstring(path.read_bytes(), PARSER)


def source_root(copy) -> etree._Element:
    return etree.fromstring(copy[2].encode("utf-8"), PARSER)


def local(element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def segments(root) -> list:
    """Segments as the reader sees them: 2.x <segment>, 1.2 <trans-unit>, in document order."""
    version = "2" if root.tag.startswith("{urn:oasis:names:tc:xliff:document:2.0}") else "1.2"
    wanted = "segment" if version == "2" else "trans-unit"
    return [e for e in root.iter() if local(e) == wanted and any(local(c) == "source" for c in e)]


def child(element, name):
    return next((c for c in element if local(c) == name), None)


def canonical(element, *, tail: bool = False) -> tuple:
    """The XML infoset of ``element``: names, attributes (in any order), text, children. (lxml's C14N
    refuses the relative namespace URI of the OASIS test file, xmlns:my="myNamespace".)"""
    if not isinstance(element.tag, str):  # comment or processing instruction
        return ("node", etree.tostring(element, with_tail=False), element.tail if tail else None)
    return (element.tag, tuple(sorted(element.attrib.items())), element.text,
            tuple(canonical(c, tail=True) for c in element), element.tail if tail else None)


def inline_elements(side) -> Counter:
    """Every inline element of a source/target: empty ones whole, enclosing ones by tag and attributes."""
    found = Counter()
    for node in side.iter():
        if node is side or not isinstance(node.tag, str):
            continue
        if local(node) in ("pc", "g") or (local(node) == "mrk" and node.get("translate") != "no"
                                          and node.get("mtype") != "protected"):
            found[(node.tag, tuple(sorted(node.attrib.items())))] += 1
        elif not any(local(a) in ("mrk",) and (a.get("translate") == "no" or a.get("mtype") == "protected")
                     for a in node.iterancestors() if a is not side and side in a.iterancestors()):
            found[canonical(node)] += 1
    return found


def translatable(copy) -> list[tuple[int, bool]]:
    article = FORMAT.read(copy[2])
    return [(i, b.meta.get("xliff", {}).get("kept")) for i, b in enumerate(article.blocks)]


# -- the corpus ----------------------------------------------------------------------------------------
def test_every_file_has_a_source_and_license():
    assert {p.name for p in FILES} <= listed_in_sources("xliff")
    assert len(FILES) >= 6
    assert {is_20(p) for p in FILES} == {True, False}  # 1.2 and 2.0 (and 2.1 through the copies)


# -- per file ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", FILES, ids=ids)
def test_read_write_gives_the_same_bytes_and_the_content_says_xliff(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    assert FORMAT.write(FORMAT.read(text, source=str(path))) == text
    assert detect_format(path, text) == "xliff"
    assert detect_format(tmp_path / "messages.xml", text) == "xliff"
    assert detect_format(None, text) == "xliff"


@pytest.mark.parametrize("path", FOREIGN, ids=ids)
def test_a_target_language_kztranslate_cannot_produce_is_refused_by_name(path, tmp_path):
    run = kzt("translate", str(path), "--to", "ru", "--backend", "pseudo", "--out-dir", str(tmp_path))
    field = "trgLang" if is_20(path) else "target-language"
    assert run.returncode == 2
    assert f"{path}: the file's {field} is {declared(path)!r}, a language kztranslate cannot translate into" \
        in run.stderr
    assert not list(tmp_path.iterdir()) and "Traceback" not in run.stderr


@pytest.mark.parametrize("copy", COPIES, ids=ids)
def test_every_translatable_segment_gets_a_target_with_its_state(runs, copy):
    out = segments(output(runs, "all", copy[1]))
    src = segments(source_root(copy))
    assert len(out) == len(src)
    version2 = is_20(copy[0])
    filled = 0
    for (index, kept), segment in zip(translatable(copy), out):
        if kept in ("translate=no", "nothing to translate"):
            continue
        target = child(segment, "target")
        assert target is not None and "⟦ru⟧" in "".join(target.itertext()), f"segment {index}"
        assert (segment if version2 else target).get("state") == "translated"
        filled += 1
    assert filled or all(kept == "translate=no" for _, kept in translatable(copy))


@pytest.mark.parametrize("copy", COPIES, ids=ids)
def test_existing_targets_are_kept_unless_asked(runs, copy):
    out = segments(output(runs, "keep", copy[1]))
    for (index, kept), before, after in zip(translatable(copy), segments(source_root(copy)), out):
        if kept == "target":
            assert canonical(child(after, "target")) == canonical(child(before, "target")), f"segment {index}"
        elif kept is None:
            assert "⟦ru⟧" in "".join(child(after, "target").itertext()), f"segment {index}"


@pytest.mark.parametrize("copy", COPIES, ids=ids)
def test_inline_elements_of_each_target_are_those_of_its_source(runs, copy):
    for (index, kept), segment in zip(translatable(copy), segments(output(runs, "all", copy[1]))):
        if kept in (None, "target"):  # the targets kztranslate wrote
            assert inline_elements(child(segment, "target")) == inline_elements(child(segment, "source")), index


@pytest.mark.parametrize("copy", COPIES, ids=ids)
def test_translate_no_is_respected(runs, copy):
    for mode in ("keep", "all"):
        for (index, kept), before, after in zip(translatable(copy), segments(source_root(copy)),
                                                segments(output(runs, mode, copy[1]))):
            if kept == "translate=no":
                assert canonical(after) == canonical(before), f"{mode}: segment {index}"


@pytest.mark.parametrize("copy", COPIES, ids=ids)
def test_apart_from_targets_and_states_the_file_is_unchanged(runs, copy):
    def rest(root):
        for target in [e for e in root.iter() if local(e) == "target" and local(e.getparent()) in
                       ("segment", "trans-unit")]:
            target.getparent().remove(target)
        for element in root.iter():
            for name in STATE_ATTRIBUTES:
                element.attrib.pop(name, None)
        # whitespace between elements may move where a target is inserted
        for element in root.iter():
            if element.tail is not None and not element.tail.strip():
                element.tail = None
            if len(element) and element.text is not None and not element.text.strip():
                element.text = None
        return canonical(root)

    for mode in ("keep", "all"):
        assert rest(output(runs, mode, copy[1])) == rest(source_root(copy)), mode


@pytest.mark.parametrize("copy", COPIES, ids=ids)
def test_nothing_inside_a_kept_element_reaches_the_model(copy):
    import kztranslate as kzt_api
    from doubles import CountingBackend
    from kztranslate.formats.xliff import retranslate_targets

    article = FORMAT.read(copy[2])
    retranslate_targets(article)
    backend = CountingBackend()
    if any(b.translatable for b in article.blocks):
        kzt_api.Translator(backend, memory=None).translate(article, ["ru"], source="en")
    sent = "\n".join(backend.sent)
    kept = set()
    for segment in segments(source_root(copy)):
        for node in child(segment, "source").iter():
            if isinstance(node.tag, str) and local(node) not in ("source", "pc", "g") and not (
                    local(node) == "mrk" and node.get("translate") != "no" and node.get("mtype") != "protected"):
                kept |= {t.strip() for t in node.itertext() if len(t.strip()) > 2}
                kept |= {v for v in node.attrib.values() if len(v) > 2}
    assert not sorted(k for k in kept if k in sent)


# -- one behaviour each -------------------------------------------------------------------------------------
def test_a_file_for_another_supported_language_is_translated_only_into_it(tmp_path):
    _, _, text = prepared(next(p for p in FILES if p.name == "locize-note20.xliff"))
    path = tmp_path / "note.xlf"
    path.write_text(text, encoding="utf-8")
    run = kzt("translate", str(path), "--to", "en", "--from", "ru", "--backend", "pseudo", "--out-dir", str(tmp_path))
    assert run.returncode == 2
    assert f"{path}: the file's trgLang is 'ru'; translate it --to ru" in run.stderr


def test_an_xliff_file_is_recognized_by_its_content(tmp_path):
    source = next(p for p in FILES if p.name == "locize-angular12.xliff")
    path = tmp_path / "messages.xml"
    shutil.copy(source, path)
    run = kzt("translate", str(path), "--to", "ru", "--backend", "pseudo", "--out-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
    root = etree.fromstring((tmp_path / "messages.ru.xml").read_bytes(), PARSER)
    assert [child(s, "target") is not None for s in segments(root)] == [True, True]


def test_an_internal_entity_is_expanded_and_never_dropped(tmp_path):
    text = next(p for p in FILES if p.name == "locize-angular20.xliff").read_text(encoding="utf-8")
    text = '<!DOCTYPE xliff [<!ENTITY brand "Kazinform">]>\n' + text.replace("Welcome (", "Welcome to &brand; (")
    article = FORMAT.read(text)
    assert article.blocks[0].text.startswith("Welcome to Kazinform (")
    path = tmp_path / "entity.xlf"
    path.write_text(text, encoding="utf-8")
    run = kzt("translate", str(path), "--to", "ru", "--backend", "pseudo", "--out-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
    root = etree.fromstring((tmp_path / "entity.ru.xlf").read_bytes(), PARSER)
    assert "Kázínfórm" in "".join(child(segments(root)[0], "target").itertext())


def test_an_entity_in_a_post_edited_target_is_expanded_on_import(tmp_path):
    import kztranslate as kzt_api
    from kztranslate.formats.xliff import export, import_

    article = kzt_api.read(next(p for p in corpus("markdown") if p.name == "docusaurus-links.md"))
    variant = kzt_api.Translator("pseudo", memory=None).translate(article, ["ru"])["ru"]
    exported = export(article, variant)
    first = exported.index("<target>") + len("<target>")
    edited = exported[:first] + "&edit; " + exported[first:]
    edited = edited.replace("?>", '?>\n<!DOCTYPE xliff [<!ENTITY edit "Правка редактора">]>', 1)
    merged = import_(edited, article, variant)
    assert any(b.text.startswith("Правка редактора ") for b in merged.blocks)


@pytest.mark.parametrize("doctype,problem", [
    ('<!DOCTYPE xliff [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "Entity 'x'"),
    ('<!DOCTYPE xliff [<!ENTITY a0 "aaaaaaaaaa">'
     + "".join(f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 12)) + "]>",
     "amplification"),
])
def test_external_entities_and_entity_bombs_are_refused(tmp_path, doctype, problem):
    text = next(p for p in FILES if p.name == "locize-angular20.xliff").read_text(encoding="utf-8")
    entity = "&x;" if "SYSTEM" in doctype else "&a11;"
    path = tmp_path / "hostile.xlf"
    path.write_text(doctype + "\n" + text.replace("Welcome (", f"Welcome {entity} ("), encoding="utf-8")
    run = kzt("translate", str(path), "--to", "ru", "--backend", "pseudo", "--out-dir", str(tmp_path / "out"))
    assert run.returncode == 3
    assert f"{path}: line " in run.stderr and problem in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()
