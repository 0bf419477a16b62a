"""Machine-translation labels (kztranslate.labels), the label block and provenance of variants."""

from __future__ import annotations

import importlib
import pytest

from kztranslate.errors import UsageError
from kztranslate.labels import MACHINE_TRANSLATION, TRANSLITERATION, label_kind, machine_translation_label, parse_label


@pytest.mark.parametrize(
    ("source", "target", "label"),
    [
        ("kk", "ru", "Машинный перевод с казахского"),
        ("en", "ru", "Машинный перевод с английского"),
        ("kk", "en", "Machine-translated from Kazakh"),
        ("ru", "en", "Machine-translated from Russian"),
        ("ru", "kk", "Орыс тілінен машиналық аударма"),
        ("en", "kk", "Ағылшын тілінен машиналық аударма"),
        ("kk-Latn", "ru", "Машинный перевод с казахского"),
        ("kk-Latn", "en", "Machine-translated from Kazakh"),
        ("kk-Latn", "kk", "Кирилл әліпбиіне автоматты түрде көшірілген"),
    ],
)
def test_labels_are_localized_and_declined(source, target, label):
    assert machine_translation_label(source, target) == label


def test_russian_genitive_and_kazakh_ablative_come_from_babel_names():
    from babel import Locale

    # The nominative is babel's; only the ending changes.
    assert Locale("ru").languages["kk"] == "казахский"
    assert Locale("kk").languages["ru"] == "орыс тілі"
    assert machine_translation_label("ru", "kk").lower().startswith("орыс тілінен")


def test_same_language_is_no_translation():
    with pytest.raises(UsageError, match="two different languages"):
        machine_translation_label("kk", "KK")


def test_label_kind():
    assert label_kind("kk", "ru") == MACHINE_TRANSLATION
    assert label_kind("kk", "kk-Latn") == TRANSLITERATION


def test_kazakh_latin_labels_and_every_pair_reads_back():
    latin = importlib.import_module("kztranslate.latin")
    from kztranslate.languages import LANGUAGES

    assert machine_translation_label("ru", "kk-Latn") == latin.to_latin("Орыс тілінен машиналық аударма")
    pairs = [(s, t) for s in LANGUAGES for t in LANGUAGES if s != t]
    assert len(pairs) == 12
    for source, target in pairs:
        text = machine_translation_label(source, target)
        found = parse_label(f"  {text}\n")
        assert found is not None and machine_translation_label(*found) == text
    assert parse_label("Бөлісу:") is None


# -- the label block and provenance in the pipeline ------------------------------------------------

@pytest.fixture
def pipeline():
    for module in ("segmentation", "localize", "names", "latin"):
        importlib.import_module(f"kztranslate.{module}")
    from kztranslate import pipeline

    return pipeline


def test_label_block_goes_before_the_byline_and_share_trailer(pipeline):
    from fake_outputs import FakeBackend, done_when_article
    from kztranslate.document import Block

    article = done_when_article()
    article.blocks += [Block("byline", "Нұргүл Қалиева"), Block("share", "Бөлісу:")]
    variant = pipeline.Translator(FakeBackend(), label=True).translate(article, "en")["en"]
    label, byline, share = variant.blocks[-3:]
    assert (label.role, label.text, label.meta["label"]) == ("other", "Machine-translated from Kazakh", MACHINE_TRANSLATION)
    assert (byline.role, share.role) == ("byline", "share")
    assert not label.translatable
    # findings still point at their blocks
    assert all(variant.blocks[f.block].role in ("headline", "paragraph") for f in variant.qa)


def test_label_is_last_without_a_share_block_and_absent_by_default(pipeline):
    from fake_outputs import FakeBackend, done_when_article

    labelled = pipeline.Translator(FakeBackend(), label=True).translate(done_when_article(), "en")["en"]
    assert labelled.blocks[-1].meta == {"label": MACHINE_TRANSLATION, "translate": False}
    plain = pipeline.Translator(FakeBackend()).translate(done_when_article(), "en")["en"]
    assert not any("label" in b.meta for b in plain.blocks)


def test_provenance_records_model_revision_settings_and_qa(pipeline):
    from fake_outputs import FakeBackend, done_when_article

    variant = pipeline.Translator(FakeBackend()).translate(done_when_article(), "en")["en"]
    record = variant.provenance.to_dict()
    assert (record["backend"], record["model"], record["model_revision"]) == ("fake", "fake-model", "abc123")
    assert record["decoding"]["beams"] == 1
    assert record["qa"]["by_code"] == {"number-mismatch": 1, "repetition": 1, "untranslated": 1, "wrong-script": 1}


def test_translating_a_labelled_variant_replaces_its_label(pipeline):
    from fake_outputs import FakeBackend, done_when_article
    from kztranslate.document import Block

    article = done_when_article()
    # as the text reader gives back a variant's label line: a plain paragraph
    article.blocks.append(Block("paragraph", "Машинный перевод с английского"))
    backend = FakeBackend()  # strict: translating the old label would fail
    variant = pipeline.Translator(backend, label=True).translate(article, "en")["en"]
    assert [b.text for b in variant.blocks if "label" in b.meta] == ["Machine-translated from Kazakh"]
    assert len(variant.blocks) == len(article.blocks)


_LABELLED_SOURCES = {
    "text": "Астанада жаңа мектеп ашылды\n\nМектепте көп оқушы оқиды.\n\nНұргүл Қалиева\nБөлісу:\n",
    "html": "<article><h1>Астанада жаңа мектеп ашылды</h1>\n<p>Мектепте <b>көп</b> оқушы оқиды.</p>\n"
            "<p class=\"byline\">Нұргүл Қалиева</p>\n<p class=\"share\">Бөлісу:</p></article>\n",
    "markdown": "---\ntitle: Астанада жаңа мектеп ашылды\nauthor: Нұргүл Қалиева\n---\n\n"
                "Мектепте **көп** оқушы оқиды.\n",
}


@pytest.mark.parametrize("format_name", sorted(_LABELLED_SOURCES))
def test_label_is_written_by_the_format_and_reads_back(pipeline, format_name):
    from kztranslate.formats import get_format

    fmt = get_format(format_name)
    source = fmt.read(_LABELLED_SOURCES[format_name], language="kk")
    ru = pipeline.Translator("pseudo", label=True).translate(source, "ru")["ru"]
    written = fmt.write(ru)
    assert written.count("Машинный перевод с казахского") == 1
    back = fmt.read(written, language="ru")
    assert back.byline == ["Нургуль Калиева"]  # the label does not hide the byline
    assert [b.role for b in back.blocks if b.role in ("byline", "share")] == [b.role for b in source.blocks
                                                                          if b.role in ("byline", "share")]
    assert fmt.write(back) == written
    # translating the labelled variant again replaces its label, in the page too
    en = fmt.write(pipeline.Translator("pseudo", label=True).translate(back, "en")["en"])
    assert en.count("Machine-translated from Russian") == 1 and "Машинный перевод" not in en
