"""Plain text through the pipeline: Translator.translate_text, kztranslate.plaintext and
`kztranslate translate --text` / stdin — translated sentence by sentence, never read as an article."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from doubles import CountingBackend
from kztranslate.document import Article, Block
from kztranslate.engine.memory import TranslationMemory
from kztranslate.errors import FormatError, UsageError
from kztranslate.pipeline import Translator
from kztranslate.plaintext import prepare_texts, translate_texts
from kztranslate.segmentation import split_sentences

SRC = Path(__file__).resolve().parents[1] / "src"

# Lines an article reader would take for a dateline, a view counter, site furniture, a site
# label and a machine-translation label; as plain text each is text for the model.
ARTICLE_LOOKING = [
    "27 Қараша 2019, 10:03",
    "3457",
    "Бөлісу:",
    "Фото: Ақорда баспасөз қызметі",
    "Машинный перевод с казахского",
]


def counting() -> tuple[Translator, CountingBackend]:
    backend = CountingBackend()
    return Translator(backend), backend


def test_lines_that_look_like_article_furniture_are_text_for_the_model():
    translator, backend = counting()
    out = translator.translate_text(ARTICLE_LOOKING, to="en", source="kk")
    assert isinstance(out, list) and len(out) == len(ARTICLE_LOOKING)
    for text, translated in zip(ARTICLE_LOOKING, out):
        if re.search(r"[^\W\d_]", text):  # every line with a letter went to the model whole
            assert text in backend.sent
            assert translated == backend.expected(text, "en").text
        else:  # a number alone is never sent, and comes back as it was
            assert translated == text and text not in backend.sent


def test_one_string_gives_a_string_and_a_list_gives_a_list():
    translator, _ = counting()
    assert isinstance(translator.translate_text("Жиын өтті.", to="ru", source="kk"), str)
    assert translator.translate_text([], to="ru", source="kk") == []
    assert translator.translate_text(("Жиын өтті.",), to="ru", source="kk") == \
        [translator.translate_text("Жиын өтті.", to="ru", source="kk")]


def test_sentences_are_segmented_and_layout_kept_exactly():
    text = "  Астанада жиын өтті. Оған 45 адам қатысты!\r\n\r\n\tҚ. Жанұзақов сөз сөйледі.  \nСоңы"
    translator, backend = counting()
    out = translator.translate_text(text, to="en", source="kk")
    lines_in = re.split(r"(\r\n|\n)", text)
    lines_out = re.split(r"(\r\n|\n)", out)
    assert len(lines_in) == len(lines_out)
    for a, b in zip(lines_in, lines_out):
        if not a.strip():
            assert a == b  # line ends and blank lines exactly
        else:
            assert re.match(r"\s*", a).group() == re.match(r"\s*", b).group()  # leading space
            assert re.search(r"\s*\Z", a).group() == re.search(r"\s*\Z", b).group()  # trailing space
    # the model saw each sentence on its own, with the splitter's abbreviation rules (Қ. Жанұзақов)
    expected = [s.strip() for line in text.splitlines() for s in split_sentences(line, "kk") if s.strip()]
    assert sorted(backend.sent) == sorted(expected)  # (the scheduler orders batches by length)


def test_split_modes_nonewlines_and_none():
    text = "Бірінші сөйлем. Екінші сөйлем.\nҮшінші сөйлем."
    translator, backend = counting()
    translate_texts(translator, [text], "en", source="kk", split="nonewlines")
    assert sorted(backend.sent) == sorted(s.strip() for s in split_sentences(text, "kk"))  # one block, not lines
    backend.calls.clear()
    translate_texts(translator, [text], "en", source="kk", split="none")
    assert backend.sent == [text]  # one segment, no sentence splitting


def test_protected_spans_and_glossary_apply_to_text():
    translator, backend = counting()
    glossary = {"name": "terms", "rows": [{"kk": "Астана", "en": "Astana City"}]}
    [result] = translate_texts(translator, ["Астанада https://kaz.example/жаңалық сайтында жиын өтті."], "en",
                               source="kk", glossary=glossary)
    assert "https://kaz.example/жаңалық" in result.text and "Astana City" in result.text
    assert "https://" not in backend.sent[0] and "Астана" not in backend.sent[0]  # placeholders went to the model
    assert result.provenance.meta["glossary"]["name"] == "terms"


def test_html_fragment_comes_back_a_fragment():
    fragment = ('<p>Астанада <b class="x">жиын</b> өтті.</p>\n<p class="date">27 Қараша 2019</p>'
                '<ul><li>Бөлісу:</li></ul><p translate="no">Сақталады.</p>')
    translator, backend = counting()
    out = translator.translate_text(fragment, to="en", source="kk", markup="html")
    assert "<!DOCTYPE" not in out.upper() and "<html" not in out and "<body" not in out and "lang=" not in out
    assert out.startswith("<p>") and '<b class="x">' in out and "\n" in out
    assert '<p translate="no">Сақталады.</p>' in out and "Сақталады." not in " ".join(backend.sent)
    assert "Бөлісу:" in backend.sent and "27 Қараша 2019" in backend.sent  # text, not furniture/dateline
    from lxml import html

    tree = html.fragment_fromstring(out, create_parent="div")
    assert [e.tag for e in tree] == ["p", "p", "ul", "p"]


def test_whole_html_page_stays_a_page_with_its_language():
    page = "<!DOCTYPE html><html lang=\"kk\"><body><p>Жиын өтті.</p></body></html>"
    translator, _ = counting()
    out = translator.translate_text(page, to="ru", source="kk", markup="html")
    assert out.lstrip().upper().startswith("<!DOCTYPE HTML") and 'lang="ru"' in out


def test_xml_ignored_tags_are_kept_and_never_sent():
    text = 'Жиын <x id="0"></x> сағат <b>онда</b> басталды. <keep>Аударылмайды</keep> <!-- ескерту -->Соңы.'
    translator, backend = counting()
    [result] = translate_texts(translator, [text], "en", source="kk", markup="xml", ignore_tags=["x", "keep"])
    assert '<x id="0"></x>' in result.text and "<keep>Аударылмайды</keep>" in result.text
    assert "<!-- ескерту -->" in result.text and "<b>" in result.text and "</b>" in result.text
    assert not any("Аударылмайды" in s or "ескерту" in s for s in backend.sent)
    with pytest.raises(FormatError, match="not well-formed XML"):
        prepare_texts(["Жиын <b>өтті"], "en", source="kk", markup="xml")


def test_source_detected_per_text_and_target_language_text_unchanged():
    translator, backend = counting()
    texts = ["Астанада жиын өтті, оған көп адам қатысты.", "В Астане прошло собрание, пришло много людей.",
             "The meeting took place in Astana."]
    results = translate_texts(translator, texts, "en")
    assert [r.source_language for r in results] == ["kk", "ru", "en"] and all(r.detected for r in results)
    assert results[2].text == texts[2] and texts[2] not in backend.sent  # already English
    assert {(s, t) for _, s, t in backend.calls} == {("kk", "en"), ("ru", "en")}
    with pytest.raises(UsageError, match="unknown language"):
        translator.translate_text("Жиын", to="de")


def test_article_translation_fills_the_memory_translate_text_reads(tmp_path):
    memory = TranslationMemory(tmp_path / "tm.sqlite")
    sentence = "Қала әкімі жаңа мектеп туралы айтты."
    article = Article(language="kk", blocks=[Block("headline", "Жаңалық"), Block("paragraph", sentence)])
    first_backend = CountingBackend()
    Translator(first_backend, memory=memory).translate(article, to="ru")
    assert sentence in first_backend.sent
    second_backend = CountingBackend()
    second = Translator(second_backend, memory=memory)
    [result] = translate_texts(second, [sentence], "ru", source="kk")
    assert second_backend.sent == []  # a memory hit: nothing went to the model
    assert result.provenance.meta["memory"] == {"segments": 1, "hits": 1, "post_edits": 0}
    assert result.text == first_backend.expected(sentence, "ru").text


# -- the command line ------------------------------------------------------------------------------
def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "kztranslate", "translate", *args, "--backend", "pseudo"],
                          input=stdin, env=env, capture_output=True, timeout=60)


def test_cli_text_and_stdin():
    done = _cli("--text", "Бөлісу:", "--text", "Жиын өтті. Соңы.", "--to", "en", "--from", "kk")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 2 and lines[0].startswith("⟦en⟧") and lines[1].count("⟦en⟧") == 2
    piped = "27 Қараша 2019, 10:03\nБөлісу:\n".encode()
    done = _cli("-", "--to", "ru", stdin=piped)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().count("⟦ru⟧") == 2 and done.stdout.decode().endswith(":\n")
    done = _cli("-", "--to", "ru,en", "--json", stdin=piped)
    answer = json.loads(done.stdout)
    assert set(answer) == {"ru", "en"} and answer["en"][0]["source_language"] == "kk"
    assert _cli("-", "--to", "ru", stdin=b"").returncode == 3
    assert _cli("-", "--to", "ru", stdin=b"\xff\xfe\x00").returncode == 3
    assert _cli("--text", "x", "examples/article.kk.txt", "--to", "ru").returncode == 2
    assert _cli("--text", "Жиын", "--to", "ru,en").returncode == 2


def test_translate_text_fills_the_memory_article_translation_reads(tmp_path):
    memory = TranslationMemory(tmp_path / "tm.sqlite")
    sentence = "Жиналыс сағат онда басталады."
    first_backend = CountingBackend()
    Translator(first_backend, memory=memory).translate_text(sentence, to="en", source="kk")
    second_backend = CountingBackend()
    article = Article(language="kk", blocks=[Block("paragraph", sentence)])
    variant = Translator(second_backend, memory=memory).translate(article, to="en")["en"]
    assert second_backend.sent == [] and variant.provenance.meta["memory"]["hits"] == 1
    assert variant.blocks[0].text == first_backend.expected(sentence, "en").text


@pytest.mark.parametrize("markup", ["text", "html", "xml"])
def test_no_machine_translation_label_goes_into_a_string(markup):
    translator = Translator(CountingBackend(), label=True)
    text = {"text": "Жиын өтті.", "html": "<p>Жиын өтті.</p>", "xml": "Жиын <b>өтті</b>."}[markup]
    out = translator.translate_text(text, to="ru", source="kk", markup=markup)
    assert out == Translator(CountingBackend()).translate_text(text, to="ru", source="kk", markup=markup)
    assert "Машинный перевод" not in out and "machine-translation" not in out


def test_an_article_brings_its_own_glossary_and_a_malformed_one_is_refused():
    from kztranslate.formats import get_format

    document = {"language": "kk", "blocks": [{"role": "paragraph", "text": "Астанада жиын өтті."}],
                "meta": {"glossary": {"name": "desk", "rows": [{"kk": "Астана", "ru": "Нур-Султан"}]}}}
    article = get_format("json").read(json.dumps(document, ensure_ascii=False), source="a.json")
    translator, backend = counting()
    variant = translator.translate(article, to="ru")["ru"]
    assert "Нур-Султан" in variant.blocks[0].text and "Астана" not in backend.sent[0]
    assert variant.provenance.meta["glossary"]["name"] == "desk"
    document["meta"]["glossary"] = "see the desk's list"
    broken = get_format("json").read(json.dumps(document, ensure_ascii=False), source="a.json")
    with pytest.raises(FormatError, match=r"meta\.glossary"):
        translator.translate(broken, to="ru")


def test_html_ignored_tags_are_kept_and_never_sent():
    fragment = '<p>Жиын <em data-x="1">Әділ Тоқаев</em> өтті.</p>\n<div class="ad">Жарнама.</div><p>Соңы.</p>'
    translator, backend = counting()
    [result] = translate_texts(translator, [fragment], "en", source="kk", markup="html", ignore_tags=["em", "div"])
    assert '<em data-x="1">Әділ Тоқаев</em>' in result.text and '<div class="ad">Жарнама.</div>' in result.text
    assert "translate=" not in result.text and "kztranslate" not in result.text
    assert not any("Тоқаев" in s or "Жарнама" in s for s in backend.sent) and "Соңы." in backend.sent
