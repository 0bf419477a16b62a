"""The vocabulary of languages: tags, scripts, letters, model pairs, targets and file-name suffixes."""

import re
import unicodedata

import pytest

from kztranslate.errors import UsageError
from kztranslate.languages import (
    CYRILLIC_LETTERS,
    CYRILLIC_LOWER,
    CYRILLIC_SCRIPT,
    CYRILLIC_UPPER,
    KAZAKH_LETTER,
    KAZAKH_LETTERS,
    LANGUAGES,
    base_language,
    language_pairs,
    needs_model,
    normalize_language,
    parse_targets,
    script_of,
    split_language_suffix,
    strip_language_suffix,
)
from kztranslate.latin import CYRILLIC_TO_LATIN, to_latin

KAZAKH_ONLY = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"
RUSSIAN_ALPHABET = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
ALL_CHARACTERS = [chr(c) for c in range(0x20, 0x2FFF)]


def _matched(pattern: str) -> set[str]:
    compiled = re.compile(pattern)
    return {ch for ch in ALL_CHARACTERS if compiled.fullmatch(ch)}


# -- letters -----------------------------------------------------------------------------------

def test_kazakh_letter_is_the_nine_letters_russian_lacks_in_both_cases():
    assert _matched(KAZAKH_LETTER.pattern) == set(KAZAKH_ONLY) == set(KAZAKH_LETTERS)
    assert not any(KAZAKH_LETTER.search(ch) for ch in RUSSIAN_ALPHABET + RUSSIAN_ALPHABET.upper())
    assert KAZAKH_LETTER.search("Қазақстан") and not KAZAKH_LETTER.search("Казахстан")


def test_cyrillic_letters_are_the_kazakh_alphabet_which_holds_the_russian_one():
    kazakh_alphabet = set(CYRILLIC_TO_LATIN) | {ch.upper() for ch in CYRILLIC_TO_LATIN}
    assert _matched(f"[{CYRILLIC_LETTERS}]") == kazakh_alphabet
    assert set(RUSSIAN_ALPHABET) | set(RUSSIAN_ALPHABET.upper()) < kazakh_alphabet
    lower, upper = _matched(f"[{CYRILLIC_LOWER}]"), _matched(f"[{CYRILLIC_UPPER}]")
    assert lower | upper == kazakh_alphabet and not lower & upper
    assert all(ch.islower() for ch in lower) and all(ch.isupper() for ch in upper)
    assert {ch.upper() for ch in lower} == upper


def test_cyrillic_script_is_any_cyrillic_character_and_no_latin_one():
    matched = _matched(CYRILLIC_SCRIPT.pattern)
    assert _matched(f"[{CYRILLIC_LETTERS}]") < matched
    assert {"ї", "є", "ў", "ђ", "Ԁ"} <= matched  # other Cyrillic alphabets are Cyrillic script too
    assert not matched & set("ABCabcäğqñöūüışİ")
    assert all("CYRILLIC" in unicodedata.name(ch, "CYRILLIC") for ch in matched)


# -- tags and scripts --------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "tag"), [
    ("kk", "kk"), ("KK", "kk"), ("kaz", "kk"), ("kk-Cyrl", "kk"), ("kk_KZ", "kk"), ("kazakh", "kk"),
    ("ru", "ru"), ("rus_Cyrl", "ru"), ("en-GB", "en"), ("eng_Latn", "en"),
    ("kk-Latn", "kk-Latn"), ("kk_latn", "kk-Latn"), ("KAZ_LATN", "kk-Latn"),
])
def test_normalize_language_knows_the_spellings(given, tag):
    assert normalize_language(given) == tag


@pytest.mark.parametrize("bad", ["de", "", "kk-Arab", "ruu"])
def test_an_unknown_language_is_our_usage_error_naming_the_choices(bad):
    with pytest.raises(UsageError) as caught:
        normalize_language(bad)
    assert all(tag in str(caught.value) for tag in LANGUAGES)


def test_script_of_every_language_and_alias():
    assert {tag: script_of(tag) for tag in LANGUAGES} == {"kk": "Cyrl", "ru": "Cyrl", "en": "Latn", "kk-Latn": "Latn"}
    assert script_of("kaz_Latn") == "Latn" and script_of("KK") == "Cyrl"
    with pytest.raises(UsageError):
        script_of("de")


def test_script_of_agrees_with_the_letters_of_real_text():
    kazakh = "Қазақстан Республикасының Президенті Астанада сөз сөйледі."
    for tag, text in {"kk": kazakh, "kk-Latn": to_latin(kazakh), "ru": "Президент выступил в Астане.",
                      "en": "The President spoke in Astana."}.items():
        cyrillic = len(CYRILLIC_SCRIPT.findall(text))
        assert (script_of(tag) == "Cyrl") == (cyrillic > len(text) / 2), tag


# -- pairs -------------------------------------------------------------------------------------

def test_needs_model_only_between_two_languages():
    assert not needs_model("kk", "kk-Latn") and not needs_model("kk-Latn", "kk")  # transliteration
    assert not needs_model("kk_latn", "KAZ")
    for source in LANGUAGES:
        for target in LANGUAGES:
            assert needs_model(source, target) == (base_language(source) != base_language(target))
    assert needs_model("kk", "ru") and needs_model("ru", "en") and needs_model("kk-Latn", "en")
    with pytest.raises(UsageError):
        needs_model("kk", "de")


def test_language_pairs_asks_the_backend_only_about_model_pairs():
    asked: list[tuple[str, str]] = []

    def supports(source, target):
        asked.append((source, target))
        return (source, target) == ("kk", "ru")

    pairs = language_pairs(supports)
    assert set(pairs) == {("kk", "kk-Latn"), ("kk-Latn", "kk"), ("kk", "ru"), ("kk-Latn", "ru")}
    assert all(s in ("kk", "ru", "en") and t in ("kk", "ru", "en") and s != t for s, t in asked)
    everything = language_pairs(lambda s, t: True)
    assert len(everything) == len(LANGUAGES) * (len(LANGUAGES) - 1) and len(set(everything)) == len(everything)
    assert language_pairs(lambda s, t: False) == [("kk", "kk-Latn"), ("kk-Latn", "kk")]


# -- targets -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("to", "targets"), [
    ("ru,en", ["ru", "en"]),
    (" RU , en,ru ", ["ru", "en"]),
    ("kk_latn,kk-Latn,en", ["kk-Latn", "en"]),
    (["en", "rus", "ru"], ["en", "ru"]),
    (("kk-Latn",), ["kk-Latn"]),
    ("ru,,en,", ["ru", "en"]),
])
def test_parse_targets_canonical_deduplicated_in_order(to, targets):
    assert parse_targets(to) == targets


@pytest.mark.parametrize("to", ["", " , ", [], ["", " "]])
def test_no_target_is_a_usage_error_saying_how_to_give_one(to):
    with pytest.raises(UsageError, match="no target language given; use e.g. --to ru,en"):
        parse_targets(to)
    assert parse_targets(to, required=False) == []


@pytest.mark.parametrize("to", ["ru,de", ["en", "fr"], "kk-Arab"])
def test_a_bad_target_is_a_usage_error_naming_it(to):
    with pytest.raises(UsageError) as caught:
        parse_targets(to, required=False)
    assert any(repr(bad) in str(caught.value) for bad in ("de", "fr", "kk-Arab"))
    assert "kk-Latn" in str(caught.value)


# -- file-name suffixes ------------------------------------------------------------------------

@pytest.mark.parametrize(("stem", "split"), [
    ("index.ru", ("index", "ru")),
    ("index.kk-Latn", ("index", "kk-Latn")),
    ("index.kk_latn", ("index", "kk-Latn")),
    ("Жаңалықтар.KK", ("Жаңалықтар", "kk")),
    ("a.b.en", ("a.b", "en")),
    ("report.final", ("report.final", None)),
    ("report", ("report", None)),
    (".ru", (".ru", None)),
    ("ru", ("ru", None)),
    ("index.ru.", ("index.ru.", None)),
])
def test_language_suffix(stem, split):
    assert split_language_suffix(stem) == split
    assert strip_language_suffix(stem) == split[0]


def test_strip_then_add_a_suffix_never_stacks_languages():
    for stem in ("news", "news.kk", "news.kk-Latn", "news.v2", "2025.10.ru"):
        for language in LANGUAGES:
            renamed = f"{strip_language_suffix(stem)}.{language}"
            assert split_language_suffix(renamed) == (strip_language_suffix(stem), language)
            assert strip_language_suffix(renamed) == strip_language_suffix(stem)
