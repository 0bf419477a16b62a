"""Hostile and malformed input for the HTML and JSON formats: each is our input error (exit 3, file and
position named, no output) or is handled without loss — never a traceback, never a silent drop. Also the
regressions of pages and items that lost their charset, URLs, attributes or dates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kztranslate as kzt
from kztranslate.errors import FormatError
from kztranslate.formats import get_format
from kztranslate.formats._jsontext import MAX_DEPTH, dump_json, load_json, parse_json

HTML = get_format("html")
SRC = Path(__file__).resolve().parents[1] / "src"


def cli(path: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "kztranslate", "translate", str(path), "--to", "ru",
                           "--backend", "pseudo", "--out-dir", str(out), "--no-memory", *extra],
                          capture_output=True, text=True, env=env, timeout=300)


def refused(tmp_path: Path, name: str, content: str, *words: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    done = cli(path, tmp_path / "out")
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert str(path) in done.stderr and "line" in done.stderr and "column" in done.stderr
    assert all(w in done.stderr for w in words), done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    return done.stderr


# -- HTML ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("markup", [
    '<p title="бір\x01екі">Мәтін</p>',        # control character in an attribute value
    '<p data-a\x02b="1">Мәтін</p>',            # … in an attribute name
    "<p>Мәтін <b\x03x>қалың</b\x03x></p>",     # … in a tag name
])
def test_control_characters_inside_a_tag_are_an_input_error(tmp_path, markup):
    page = f'<html><head><meta charset="utf-8"></head><body>{markup}<p>Екінші абзац.</p></body></html>'
    refused(tmp_path, "page.html", page, "control character")


def test_a_malformed_tag_name_is_kept_exactly():
    page = "<html><body><p>Алдымен <b.Бірінші>сөз</b.Бірінші> келеді.</p></body></html>"
    article = HTML.read(page)
    assert HTML.write(article) == page
    variant = kzt.Translator("pseudo").translate(article, to=["ru"])["ru"]
    assert "<b.Бірінші>" in HTML.write(variant)


def test_an_invalid_time_datetime_falls_back_to_the_text():
    page = ('<html><body><article><p><time datetime="2024-05-14T09;30:00+05:00">14 мамыр 2024</time></p>'
            "<p>Мәтін мұнда.</p></article></body></html>")
    article = HTML.read(page)
    assert article.published is not None and article.published.date().isoformat() == "2024-05-14"
    out = HTML.write(kzt.Translator("pseudo").translate(article, to=["ru"])["ru"])
    assert "14 мая 2024" in out and 'datetime="2024-05-14T09;30:00+05:00"' in out


def test_nesting_deeper_than_the_limit_is_refused_and_below_it_kept(tmp_path):
    from kztranslate.formats.html import MAX_DEPTH as HTML_DEPTH

    def page(depth):
        return "<html><body>" + "<div>" * depth + "<p>Терең мәтін.</p>" + "</div>" * depth + "</body></html>"

    kept = HTML.read(page(300))  # past libxml2's default limit (256), which would drop the paragraph
    assert [b.text for b in kept.blocks] == ["Терең мәтін."]
    refused(tmp_path, "deep.html", page(HTML_DEPTH + 10), f"deeper than {HTML_DEPTH}")


def test_huge_attribute_and_meta_content_survive():
    blob = "a" * (11 * 1024 * 1024)
    page = f'<html><body><p data-blob="{blob}">Мәтін мұнда.</p></body></html>'
    variant = kzt.Translator("pseudo").translate(HTML.read(page), to=["ru"])["ru"]
    assert f'data-blob="{blob}"' in HTML.write(variant)
    description = "Сипаттама " * 1_700_000  # 17 MB of <meta content>
    page = f'<html><head><meta name="description" content="{description}"></head><body><p>Мәтін.</p></body></html>'
    article = HTML.read(page)
    assert any(b.text == description for b in article.blocks)
    assert HTML.write(article) == page


def test_charset_declarations_and_url_bytes_survive_a_translation():
    page = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>Тақырып</title>'
            '</head><body><p>Оқыңыз: <a href="/кк/жаңалықтар/1 " title="Жаңалық">сілтеме</a> және '
            '<a href="a b?x=1&amp;y=ә#c">екінші</a>.</p><img src="/сурет 1.jpg" alt="Мектеп ғимараты"></body></html>')
    variant = kzt.Translator("pseudo").translate(HTML.read(page), to=["ru"])["ru"]
    out = HTML.write(variant)
    assert '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">' in out
    assert 'href="/кк/жаңалықтар/1 "' in out and 'href="a b?x=1&amp;y=ә#c"' in out and 'src="/сурет 1.jpg"' in out
    assert 'alt="⟦ru⟧ Мектеп ғимараты"' in out and 'title="⟦ru⟧ Жаңалық"' in out


def test_a_page_without_a_charset_declaration_gets_one_in_its_variants():
    page = "<html><head><title>Тақырып</title></head><body><p>Мәтін мұнда.</p></body></html>"
    out = HTML.write(kzt.Translator("pseudo").translate(HTML.read(page), to=["ru"])["ru"])
    assert '<head><meta charset="utf-8">' in out


@pytest.mark.parametrize("where", [
    '<p class="date">27 қараша 2019, 10:03</p>',
    '<p><time datetime="2019-11-27T10:03:00+05:00">27 қараша 2019, 10:03</time></p>',
    '<meta property="article:published_time" content="2019-11-27T10:03:00+05:00">',
    '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", '
    '"headline": "Жаңа мектеп", "datePublished": "2019-11-27T10:03:00+05:00"}</script>',
])
def test_the_publication_date_is_found_wherever_the_page_states_it(where):
    page = (f"<html><head><title>Жаңа мектеп</title></head><body>{where}"
            "<p>Елордада жаңа мектеп ашылды.</p></body></html>")
    article = HTML.read(page)
    assert article.published is not None
    assert (article.published.year, article.published.month, article.published.day) == (2019, 11, 27)
    sent = []

    class Recording:
        def __init__(self):
            sys.path.insert(0, str(Path(__file__).parent))
            from doubles import CountingBackend
            self.backend = CountingBackend()

    recording = Recording()
    kzt.Translator(recording.backend, memory=None).translate(article, to=["ru"])
    sent = "\n".join(recording.backend.sent)
    assert "27 қараша 2019" not in sent and "2019-11-27" not in sent


# -- JSON: ninjs, JSON-LD, document JSON --------------------------------------------------------------
DEEP = "[" * 5000 + "]" * 5000
JSON_DOCUMENTS = {
    "item.ninjs": '{"uri": "urn:x", "headline": "Жаңа мектеп", "language": "kk", "extra": %s}',
    "page.jsonld": '{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Жаңа мектеп", '
                   '"inLanguage": "kk", "extra": %s}',
    "article.json": '{"language": "kk", "blocks": [{"role": "paragraph", "text": "Мәтін", "extra": %s}]}',
}


@pytest.mark.parametrize("name", sorted(JSON_DOCUMENTS))
def test_json_nested_5000_deep_is_an_input_error(tmp_path, name):
    refused(tmp_path, name, JSON_DOCUMENTS[name] % DEEP, f"deeper than {MAX_DEPTH}")


@pytest.mark.parametrize("name", sorted(JSON_DOCUMENTS))
def test_a_lone_surrogate_escape_is_an_input_error(tmp_path, name):
    refused(tmp_path, name, JSON_DOCUMENTS[name] % '"бір \\ud800 екі"', "surrogate")


def test_jsonld_authors_without_a_name_round_trip_exactly():
    text = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Жаңа мектеп",
                       "author": [{"@type": "Person", "url": "https://baq.kz/a/1"}, {"@id": "#editor"},
                                  "Нұргүл Қалиева", {"@type": "Person", "name": "Асқар Нұрланұлы"}],
                       "creator": [{"url": "https://baq.kz"}]}, ensure_ascii=False, indent=2)
    jsonld = get_format("jsonld")
    article = jsonld.read(text)
    assert jsonld.write(article) == text
    variant = kzt.Translator("pseudo").translate(article, to=["en"])["en"]
    authors = json.loads(jsonld.write(variant))["author"]
    assert authors[:2] == [{"@type": "Person", "url": "https://baq.kz/a/1"}, {"@id": "#editor"}]
    assert [a if isinstance(a, str) else a["name"] for a in authors[2:]] == ["Nurgul Kaliyeva", "Askar Nurlanuly"]


def test_jsonld_article_inside_a_graph_is_written_back_in_place():
    text = ('{"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "BAQ"}, '
            '{"@type": "NewsArticle", "headline": "Жаңа мектеп", "inLanguage": "kk"}]}\n')
    jsonld = get_format("jsonld")
    article = jsonld.read(text)
    assert jsonld.write(article) == text
    variant = json.loads(jsonld.write(kzt.Translator("pseudo").translate(article, to=["ru"])["ru"]))
    assert variant["@graph"][0] == {"@type": "WebSite", "name": "BAQ"}
    assert variant["@graph"][1]["headline"].startswith("⟦ru⟧") and "@context" not in variant["@graph"][1]


# -- the JSON splicer ---------------------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text("abcәқ \"\\/\n", max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text("abkә", max_size=4), children,
                                                                        max_size=4),
    max_leaves=12)
LAYOUTS = st.sampled_from([dict(indent=2), dict(indent=4, separators=(",", " : ")), dict(separators=(",", ":")),
                           dict(indent="\t", ensure_ascii=True)])


@given(old=JSON_VALUES, new=JSON_VALUES, layout=LAYOUTS)
def test_splicing_writes_exactly_the_new_value_and_keeps_an_unchanged_one(old, new, layout):
    text = json.dumps({"item": old, "keep": [1, "два"]}, **layout)
    data, remembered = load_json(text, None)
    assert dump_json(data, remembered) == text
    # only the changed value's bytes change
    _, spans = parse_json(text)
    start, end = spans.value[("item",)]
    out = dump_json({"item": new, "keep": [1, "два"]}, remembered)
    assert json.loads(out) == {"item": new, "keep": [1, "два"]}
    assert out.startswith(text[:start]) and out.endswith(text[end:])
    # members added and removed
    changed = {"added": {"x": [new]}, "keep": [1, "два"]}
    assert json.loads(dump_json(changed, remembered)) == changed


def test_splicing_keeps_the_odd_layout_of_untouched_members():
    text = '{\n    "a" : 1,\n\n    "b":"x"  ,  "c" : {"d": [1,2 , 3]}\n}\n'
    data, layout = load_json(text, None)
    data["b"] = "y"
    assert dump_json(data, layout) == '{\n    "a" : 1,\n\n    "b":"y"  ,  "c" : {"d": [1,2 , 3]}\n}\n'
    data["e"] = [1]
    assert json.loads(dump_json(data, layout)) == data


def test_invalid_json_names_line_and_column():
    with pytest.raises(FormatError) as error:
        load_json('{\n  "a": [1, 2,,]\n}', "x.json")
    assert error.value.line == 2 and error.value.column == 14  # the second comma


@pytest.mark.parametrize("fmt", ["ninjs", "jsonld", "json"])
def test_a_property_named_twice_is_refused_with_both_places(fmt):
    text = '{\n  "language": "kk",\n  "headline": "Бірінші",\n  "headline": "Екінші"\n}\n'
    with pytest.raises(FormatError) as caught:
        get_format(fmt).read(text, source="item.json")
    message = str(caught.value)
    assert "item.json" in message and "line 4" in message and "line 3" in message and "twice" in message


def test_html_elements_lxml_cannot_rebuild_survive_translation():
    page = ('<html><body><p>Бүгін <strқ< class="x">қалада</strқ<> жаңа <a href="/a" a:b:c="1">мектеп</a> ашылды.</p>'
            '</body></html>')
    html = get_format("html")
    article = html.read(page, language="kk")
    variant = kzt.Translator("pseudo", memory=None).translate(article, ["ru"])["ru"]
    out = html.write(variant)
    assert "қалада" in out and 'href="/a"' in out and html.read(out).blocks[0].text == variant.blocks[0].text


def test_yaml_front_matter_surrogate_escapes():
    md = get_format("markdown")
    pair = '---\ntitle: "Күлкі \\ud83d\\ude00"\n---\n\nМәтін.\n'
    assert md.write(md.read(pair)) == pair
    with pytest.raises(FormatError) as caught:
        md.read('---\ntitle: "Күлкі"\ntags: ["\\ud800"]\n---\n\nМәтін.\n', source="page.md")
    assert "page.md" in str(caught.value) and "line 3" in str(caught.value)
