"""Glossary: loading tables and YAML, Kazakh endings, case, do-not-translate, signature."""

from __future__ import annotations

import hashlib

import pytest

from kztranslate.errors import FormatError
from kztranslate.glossary import Glossary, GlossaryEntry
from kztranslate.protect import restore

TSV = ("kk\tru\ten\tkeep\tnote\n"
       "Астана\tАстана\tAstana\t\tcapital\n"
       "әкім\tаким\takim\t\t\n"
       "ҚР\tРК\tRK\t\t\n"
       "Kaspi.kz\t\t\tyes\tbrand\n")


@pytest.fixture()
def glossary(tmp_path):
    path = tmp_path / "terms.tsv"
    path.write_text(TSV, encoding="utf-8")
    return Glossary.load(path)


def run(glossary, text, source="kk", target="en"):
    encoded, spans = glossary.apply(text, source, target)
    return encoded, spans, restore(encoded, spans)[0]


@pytest.mark.parametrize(
    "word", ["Астана", "Астанада", "Астананың", "Астанаға", "Астанадағы", "Астанадан", "Астанамен"]
)
def test_kazakh_endings_match_the_stem(glossary, word):
    encoded, spans, restored = run(glossary, f"Ол {word} болды.")
    assert encoded == "Ол [[1]] болды."
    assert restored == "Ол Astana болды."
    assert spans[0].meta.get("suffix", "") == word[len("Астана"):]


def test_front_vowel_endings_and_capitals(glossary):
    _, _, restored = run(glossary, "Әкім әкімдерге ӘКІМНІҢ сөзі", target="ru")
    assert restored == "Аким аким АКИМ сөзі"


def test_capitalized_term_does_not_match_lower_case_and_words_do_not_match_inside_others(glossary):
    assert run(glossary, "астана Астанай Жаңаастана")[1] == []


def test_short_terms_take_endings_only_after_a_hyphen(glossary):
    _encoded, _, restored = run(glossary, "ҚР-да ҚРда", target="ru")
    assert restored == "РК ҚРда"


def test_do_not_translate_keeps_the_source_term(glossary):
    assert run(glossary, "Kaspi.kz-те төлем", target="ru")[2] == "Kaspi.kz төлем"


def test_pairs_without_a_target_term_are_skipped(glossary):
    assert run(glossary, "Астана", source="ru", target="kk")[2] == "Астана"
    assert Glossary([GlossaryEntry({"kk": "Астана", "en": "Astana"})]).apply("Астана", "kk", "ru") == ("Астана", [])


def test_markers_and_placeholders_are_left_alone(glossary):
    encoded, _spans = glossary.apply("<1>Астанада</1> [[1]]", "kk", "en", first=2)
    assert encoded == "<1>[[2]]</1> [[1]]"


def test_target_terms_are_escaped_for_the_inline_layer():
    g = Glossary([GlossaryEntry({"kk": "теңсіздік", "en": "a<b"})])
    assert g.apply("теңсіздік", "kk", "en")[1][0].output == "a&lt;b"


def test_csv_source_target_and_yaml(tmp_path):
    csv_file = tmp_path / "pair.csv"
    csv_file.write_text("source,target,source_language,target_language\nМәжіліс,Mazhilis,kk,en\n", encoding="utf-8")
    g = Glossary.load(csv_file)
    assert g.apply("Мәжілісте", "kk", "en")[1][0].output == "Mazhilis"
    assert g.apply("Мәжілісте", "kk", "ru") == ("Мәжілісте", [])
    yaml_file = tmp_path / "terms.yaml"
    yaml_file.write_text("entries:\n  - {kk: Ақорда, ru: Акорда, en: Akorda}\n  - {kk: BAQ.KZ, translate: no}\n",
                         encoding="utf-8")
    y = Glossary.load(yaml_file)
    assert restore(*y.apply("Ақордада BAQ.KZ", "kk", "ru"))[0] == "Акорда BAQ.KZ"


def test_signature_names_the_file_and_its_checksum(glossary, tmp_path):
    sig = glossary.signature()
    assert sig == {"name": "terms.tsv", "sha256": hashlib.sha256(TSV.encode()).hexdigest(), "entries": 4}


def test_bad_files_say_where(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("entries:\n  - {kk: [\n", encoding="utf-8")
    with pytest.raises(FormatError, match="line"):
        Glossary.load(bad)
    none = tmp_path / "none.csv"
    none.write_text("word,meaning\nАстана,capital\n", encoding="utf-8")
    with pytest.raises(FormatError, match="no term columns"):
        Glossary.load(none)
