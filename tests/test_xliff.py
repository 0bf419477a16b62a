"""XLIFF 2.1 export → post-edit → import, and every way a file can fail to match its article."""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path

import pytest
from lxml import etree

from _format_variants import fake_variant
from kztranslate.document import Article, Block
from kztranslate.errors import FormatError, MergeError
from kztranslate.formats.markdown import MarkdownFormat
from kztranslate.formats.xliff import XLIFF_NS, export, import_

FIXTURES = Path(__file__).parent / "fixtures"
NS = {"x": XLIFF_NS, "mda": "urn:oasis:names:tc:xliff:metadata:2.0"}


@pytest.fixture()
def pair() -> tuple[Article, Article]:
    source = MarkdownFormat().read((FIXTURES / "markdown" / "article.kk.md").read_text(encoding="utf-8"))
    return source, fake_variant(source)


def test_export_structure(pair):
    source, variant = pair
    text = export(source, variant)
    root = etree.fromstring(text.encode("utf-8"))
    assert root.tag == f"{{{XLIFF_NS}}}xliff" and root.get("version") == "2.1"
    assert (root.get("srcLang"), root.get("trgLang")) == ("kk", "ru")
    units = root.findall(".//x:unit", NS)
    translatable = [i for i, b in enumerate(source.blocks) if b.translatable]
    assert [u.get("id") for u in units] == [f"b{i}" for i in translatable]
    assert [u.find("x:notes/x:note[@category='role']", NS).text for u in units] == \
        [source.blocks[i].role for i in translatable]
    checksum = root.find(".//mda:meta[@type='source_sha256']", NS)
    assert checksum.text == source.checksum()
    paragraph = root.find(".//x:unit[@id='b6']", NS)
    pcs = paragraph.findall("x:segment/x:source/x:pc", NS)
    assert [p.text for p in pcs] == ["Астана", "жаңа мектеп"]
    data = {d.get("id"): d.text for d in paragraph.findall("x:originalData/x:data", NS)}
    assert data[pcs[1].get("dataRefEnd")] == '](https://example.kz/мектеп "Мектеп туралы")'
    code = root.find(".//x:unit[@id='b9']/x:segment/x:target/x:ph", NS)
    data_ids = {d.get("id") for d in root.findall(".//x:unit[@id='b9']//x:data", NS)}
    assert code is not None and code.get("dataRef") in data_ids


def test_unedited_import_changes_nothing(pair):
    source, variant = pair
    merged = import_(export(source, variant), source, variant)
    assert merged.to_dict() == variant.to_dict()


def test_edit_one_target_changes_exactly_that_block(pair):
    source, variant = pair
    text = export(source, variant)
    edited = text.replace("<target>RU БҮГІН <pc", "<target>Сегодня <pc", 1)
    assert edited != text
    merged = import_(edited, source, variant)
    changed = [i for i, (a, b) in enumerate(zip(variant.blocks, merged.blocks)) if a.to_dict() != b.to_dict()]
    assert changed == [6]
    block = merged.blocks[6]
    assert block.text.startswith("Сегодня АСТАНА") and block.meta["post_edited"] is True
    assert [(c.tag, block.text[c.start:c.end], c.attrs) for c in block.inline] == [
        ("strong", "АСТАНА", {}),
        ("a", "ЖАҢА МЕКТЕП", {"href": "https://example.kz/мектеп", "title": "Мектеп туралы"}),
    ]
    assert merged.provenance.meta["post_edited_blocks"] == [6]
    assert variant.blocks[6].text.startswith("RU БҮГІН")  # the input variant is untouched
    out = MarkdownFormat().write(merged)
    assert "Сегодня **АСТАНА** ҚАЛАСЫНДА [ЖАҢА МЕКТЕП](https://example.kz/мектеп" in out


def test_post_editor_may_move_codes(pair):
    source, variant = pair
    text = export(source, variant)
    unit = re.search(r'<unit id="b7">.*?</unit>', text, re.S).group(0)
    target = re.search(r"<target>.*?</target>", unit, re.S).group(0)
    moved = '<target>Это <pc id="1" dataRefStart="d1s" dataRefEnd="d1e">наше</pc> общее достижение.</target>'
    merged = import_(text.replace(unit, unit.replace(target, moved)), source, variant)
    block = merged.blocks[7]
    assert block.text == "Это наше общее достижение."
    assert [(c.tag, block.text[c.start:c.end]) for c in block.inline] == [("em", "наше")]


def _mutations(text: str) -> dict[str, str]:
    first_unit = re.search(r'\s*<unit id="b0">.*?</unit>', text, re.S).group(0)
    return {
        "missing unit": text.replace(first_unit, ""),
        "extra unit": text.replace(first_unit, first_unit + first_unit.replace('id="b0"', 'id="b99"')),
        "repeated unit": text.replace(first_unit, first_unit + first_unit),
        "source text changed": text.replace("<source>Астанада жаңа мектеп ашылды</source>",
                                            "<source>Басқа мәтін</source>", 1),
        "checksum": re.sub(r'(type="source_sha256">)\w+', r"\g<1>" + "0" * 64, text),
        "language": text.replace('trgLang="ru"', 'trgLang="en"'),
        "unknown code": text.replace('<target>RU БҰЛ – <pc id="1"', '<target>RU БҰЛ – <pc id="7"'),
        "missing target": re.sub(r"<target>RU АСТАНАДА[^<]*</target>", "", text, count=1),
    }


@pytest.mark.parametrize("case", [
    "missing unit", "extra unit", "repeated unit", "source text changed", "checksum", "language", "unknown code",
    "missing target",
])
def test_mismatched_file_is_refused_and_nothing_merged(pair, case):
    source, variant = pair
    text = export(source, variant).replace("<target>RU БҮГІН <pc", "<target>Сегодня <pc", 1)  # a valid edit too
    before = variant.to_dict()
    with pytest.raises(MergeError) as err:
        import_(_mutations(text)[case], source, variant)
    assert err.value.exit_code == 3 and len(str(err.value)) > 40  # says what is wrong and what to do
    assert variant.to_dict() == before


def test_changed_source_article_is_refused(pair):
    source, variant = pair
    text = export(source, variant)
    source.blocks[6].text += " Қосымша."
    with pytest.raises(MergeError, match="source_sha256"):
        import_(text, source, variant)


def test_malformed_xliff_reports_position(pair):
    source, variant = pair
    broken = export(source, variant).replace("</segment>", "</segmnt>", 1)
    with pytest.raises(FormatError) as err:
        import_(broken, source, variant, name="edit.xlf")
    assert err.value.line is not None and err.value.line > 1 and "edit.xlf" in str(err.value)
    with pytest.raises(FormatError):
        import_('<?xml version="1.0"?><xliff version="1.2"/>', source, variant)


def test_sentence_segments_when_the_variant_keeps_them():
    source = Article("kk", [Block("paragraph", "Бір сөйлем. Екінші сөйлем.",
                                  meta={"segments": ["Бір сөйлем. ", "Екінші сөйлем."]})])
    variant = source.copy()
    variant.language = "ru"
    variant.blocks[0].text = "Одно предложение. Второе предложение."
    variant.blocks[0].meta["segments"] = ["Одно предложение. ", "Второе предложение."]
    text = export(source, variant)
    root = etree.fromstring(text.encode("utf-8"))
    assert [s.get("id") for s in root.findall(".//x:segment", NS)] == ["b0s0", "b0s1"]
    merged = import_(text.replace("Второе предложение.", "Второе, исправленное."), source, variant)
    assert merged.blocks[0].text == "Одно предложение. Второе, исправленное."


def test_cli_export_edit_import(tmp_path, pair):
    importlib.import_module("kztranslate.formats.text")  # format detection lists every registered format
    from kztranslate.cli import xliff as cli

    src_path, var_path = tmp_path / "a.kk.md", tmp_path / "a.ru.md"
    source, variant = pair
    fmt = MarkdownFormat()
    src_path.write_text(fmt.write(source), encoding="utf-8")
    var_path.write_text(fmt.write(variant), encoding="utf-8")
    xlf, out = tmp_path / "a.xlf", tmp_path / "a.edited.ru.md"

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["xliff", "export", str(src_path), str(var_path), "-o", str(xlf)])
    assert args.func(args) == 0
    xlf.write_text(xlf.read_text(encoding="utf-8").replace("<target>RU ЖАҢА МЕКТЕП</target>", "<target>x</target>")
                   .replace("<target>RU БІРІНШІ ҚАБАТТА", "<target>На первом этаже", 1), encoding="utf-8")
    args = parser.parse_args(["xliff", "import", str(xlf), str(src_path), str(var_path), "-o", str(out)])
    assert args.func(args) == 0
    before, after = var_path.read_text(encoding="utf-8").splitlines(), out.read_text(encoding="utf-8").splitlines()
    assert [(a, b) for a, b in zip(before, after) if a != b] == [
        ("- RU БІРІНШІ ҚАБАТТА КІТАПХАНА БАР;", "- На первом этаже КІТАПХАНА БАР;")
    ]

    xlf.write_text("<xliff", encoding="utf-8")
    bad_out = tmp_path / "never.md"
    args = parser.parse_args(["xliff", "import", str(xlf), str(src_path), str(var_path), "-o", str(bad_out)])
    with pytest.raises(FormatError) as err:
        args.func(args)
    assert err.value.exit_code == 3 and not bad_out.exists()


def test_cli_main_exit_code_for_bad_xliff(tmp_path, capsys):
    for name in ("translate", "inspect", "models"):
        importlib.import_module(f"kztranslate.cli.{name}")
    from kztranslate.cli import main

    fmt = MarkdownFormat()
    source = fmt.read((FIXTURES / "markdown" / "article.kk.md").read_text(encoding="utf-8"))
    (tmp_path / "a.kk.md").write_text(fmt.write(source), encoding="utf-8")
    (tmp_path / "a.ru.md").write_text(fmt.write(fake_variant(source)), encoding="utf-8")
    (tmp_path / "a.xlf").write_text("<xliff><unit>", encoding="utf-8")
    code = main(["xliff", "import", str(tmp_path / "a.xlf"), str(tmp_path / "a.kk.md"), str(tmp_path / "a.ru.md"),
                 "-o", str(tmp_path / "out.md")])
    assert code == 3 and not (tmp_path / "out.md").exists()
    assert "line" in capsys.readouterr().err


# -- XLIFF files of other tools --------------------------------------------------------------------------
XLIFF2_WITH_RANGES = """<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="kk">
  <file id="f1">
    <unit id="u1">
      <segment><source>Астанада <sm id="m1" translate="no"/>Kaspi Bank<em startRef="m1"/> жаңа <pc id="1">мектеп</pc> ашты.</source></segment>
    </unit>
    <unit id="u2" translate="no">
      <segment><source>Аударылмайды.</source></segment>
    </unit>
  </file>
</xliff>
"""  # noqa: E501


def test_a_translate_no_range_and_unit_are_kept_and_the_rest_translated():
    from lxml import etree

    from kztranslate import Translator
    from kztranslate.formats.xliff import XliffFormat

    fmt = XliffFormat()
    article = fmt.read(XLIFF2_WITH_RANGES)
    assert article.language == "kk"
    assert [b.text for b in article.blocks] == ["Астанада  жаңа мектеп ашты.", "Аударылмайды."]
    assert [b.translatable for b in article.blocks] == [True, False]
    variant = Translator("pseudo", memory=None).translate(article, ["ru"])["ru"]
    root = etree.fromstring(fmt.write(variant).encode("utf-8"))
    ns = {"x": "urn:oasis:names:tc:xliff:document:2.0"}
    target = root.find(".//x:unit[@id='u1']/x:segment/x:target", ns)
    assert "Kaspi Bank" in "".join(target.itertext()) and target.find("x:pc", ns).get("id") == "1"
    assert [e.tag.split("}")[1] for e in target] == ["sm", "em", "pc"]
    assert root.find(".//x:unit[@id='u2']/x:segment/x:target", ns) is None
    assert root.get("trgLang") == "ru" and root.find(".//x:unit[@id='u1']/x:segment", ns).get("state") == "translated"


def test_batch_refuses_an_xliff_file_for_another_language_and_goes_on(tmp_path):
    from kztranslate.batch import run_batch

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.xlf").write_text(XLIFF2_WITH_RANGES, encoding="utf-8")
    (tmp_path / "in" / "german.xlf").write_text(XLIFF2_WITH_RANGES.replace('srcLang="kk"', 'srcLang="kk" trgLang="de"'),
                                                encoding="utf-8")
    summary = run_batch(tmp_path / "in", tmp_path / "out", ["ru"], backend="pseudo", progress=False)
    assert (summary.translated, summary.failed) == (1, 1)
    assert "trgLang is 'de'" in summary.failures["german.xlf"]
    assert (tmp_path / "out" / "good.ru.xlf").exists() and not (tmp_path / "out" / "german.ru.xlf").exists()
