"""kztranslate.names: rule-based transliteration of person names and the user's names table."""

from __future__ import annotations

import pytest

import kztranslate.names as names_module
from kztranslate.errors import FormatError, InputError, UsageError
from kztranslate.names import NameTable, transliterate_name


@pytest.mark.parametrize(
    "kazakh, russian, english",
    [
        ("Нұргүл Қалиева", "Нургуль Калиева", "Nurgul Kaliyeva"),
        ("Әділ", "Адиль", "Adil"),
        ("Гүлнар", "Гульнар", "Gulnar"),
        ("Айгүл", "Айгуль", "Aigul"),
        ("Нұрсұлтан Назарбаев", "Нурсултан Назарбаев", "Nursultan Nazarbayev"),
        ("Ляззат Құсайынова", "Ляззат Кусаинова", "Lyazzat Kusainova"),
        ("Әлия Қадырәлиева", "Алия Кадыралиева", "Aliya Kadyraliyeva"),
        ("Ырза Тұрсынзада", "Ырза Турсынзада", "Yrza Tursynzada"),
        ("Мейрамбек Көбеев", "Мейрамбек Кобеев", "Meirambek Kobeyev"),
        ("Ерлан Ғаниұлы", "Ерлан Ганиулы", "Yerlan Ganiuly"),
        ("Өмірзақ Шәкен", "Омирзак Шакен", "Omirzak Shaken"),
        ("Ділназ Һарун", "Дильназ Харун", "Dilnaz Kharun"),
        ("Наталья Водянова", "Наталья Водянова", "Natalya Vodyanova"),
        ("НҰРГҮЛ ҚАЛИЕВА", "НУРГУЛЬ КАЛИЕВА", "NURGUL KALIYEVA"),
        ("Юрий Щербаков", "Юрий Щербаков", "Yuriy Shcherbakov"),
        ("Ксения Цой-Чернышёва", "Ксения Цой-Чернышёва", "Kseniya Tsoy-Chernyshyova"),
        # passport practice: intervocalic с before ы doubled, й before a consonant is i
        ("Асылбек Қасымов", "Асылбек Касымов", "Assylbek Kassymov"),
        ("Айдос Сейітов", "Айдос Сеитов", "Aidos Seitov"),
        ("Дүйсен", "Дюсен", "Dyusen"),
    ],
)
def test_kazakh_to_russian_and_english(kazakh, russian, english):
    assert transliterate_name(kazakh, "kk", "ru", gazetteer=False) == russian
    assert transliterate_name(kazakh, "kk", "en", gazetteer=False) == english
    assert transliterate_name(russian, "ru", "en", gazetteer=False) == english


@pytest.mark.parametrize(
    "english, russian",
    [
        ("Nurgul Kaliyeva", "Нургул Калиева"),
        ("Yerlan Tokayev", "Ерлан Токаев"),
        ("Yuriy Shcherbakov", "Юрий Щербаков"),
        ("Aigul Zhumabayeva", "Айгул Жумабаева"),
        ("Tsoy Chernyshova", "Цой Чернышова"),
        ("Assylbek Kassymov", "Асылбек Касымов"),
        ("KALIYEVA", "КАЛИЕВА"),
    ],
)
def test_romanized_kazakh_and_russian_names_read_back(english, russian):
    assert transliterate_name(english, "en", "ru", gazetteer=False) == russian


def test_english_to_kazakh_uses_qaf():
    assert transliterate_name("Qasym Kaliyeva", "en", "kk", gazetteer=False) == "Қасым Калиева"


def test_same_language_and_russian_to_kazakh_unchanged():
    for lang in ("kk", "ru", "en"):
        assert transliterate_name("Нұргүл Ivanova", lang, lang) == "Нұргүл Ivanova"
    assert transliterate_name("Нургуль Калиева", "ru", "kk") == "Нургуль Калиева"


def test_kazakh_latin():
    assert transliterate_name("Nūrgül Qalieva", "kk-Latn", "ru") == "Нургуль Калиева"
    assert transliterate_name("Nūrgül Qalieva", "kk-Latn", "en") == "Nurgul Kaliyeva"
    assert transliterate_name("Nūrgül Qalieva", "kk-Latn", "kk") == "Нұргүл Қалиева"
    assert transliterate_name("Нұргүл Қалиева", "kk", "kk-Latn") == "Нұргүл Қалиева"


def test_unknown_language():
    with pytest.raises(UsageError):
        transliterate_name("Нұргүл", "kk", "de")


def test_public_module():
    assert set(names_module.__all__) >= {"transliterate_name", "NameTable"}
    assert "Нургуль" in names_module.__doc__


# -- names table -----------------------------------------------------------------------------------
TOKAYEV = {"kk": "Қасым-Жомарт Тоқаев", "ru": "Касым-Жомарт Токаев", "en": "Kassym-Jomart Tokayev"}


def test_table_overrides_rules_full_name_then_words():
    table = NameTable([TOKAYEV, {"kk": "Нұргүл", "en": "Nurgul"}])
    assert transliterate_name("Қасым-Жомарт Тоқаев", "kk", "en", table) == "Kassym-Jomart Tokayev"
    assert transliterate_name("Қасым-Жомарт  Тоқаев", "kk", "ru", table) == "Касым-Жомарт Токаев"
    assert transliterate_name("Тоқаев", "kk", "en", table) == "Tokayev"
    assert transliterate_name("ТОҚАЕВ", "kk", "en", table) == "TOKAYEV"
    # word by word: known words from the table, the rest by rule
    assert transliterate_name("Нұргүл Тоқаева", "kk", "en", table) == "Nurgul Tokayeva"
    assert transliterate_name("Әділ Тоқаев", "kk", "en", table) == "Adil Tokayev"
    assert transliterate_name("Kassym-Jomart Tokayev", "en", "kk", table) == "Қасым-Жомарт Тоқаев"
    # a language the entry lacks falls back to the rules
    assert transliterate_name("Нұргүл", "kk", "ru", table) == "Нургуль"


@pytest.mark.parametrize("suffix, delimiter", [(".tsv", "\t"), (".csv", ",")])
def test_load_delimited(tmp_path, suffix, delimiter):
    path = tmp_path / f"names{suffix}"
    rows = ["# people of the outlet", delimiter.join(["kk", "ru", "en"]), "",
            delimiter.join(TOKAYEV.values()), delimiter.join(["Нұргүл Қалиева", "", "Nurgul Kaliyeva"])]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    table = NameTable.load(path)
    assert len(table.entries) == 2 and table.source == str(path)
    assert transliterate_name("Қасым-Жомарт Тоқаев", "kk", "en", table) == "Kassym-Jomart Tokayev"
    assert transliterate_name("Нұргүл Қалиева", "kk", "ru", table) == "Нургуль Калиева"  # empty cell: rules


def test_load_yaml(tmp_path):
    path = tmp_path / "names.yaml"
    path.write_text(
        "- kk: Қасым-Жомарт Тоқаев\n  ru: Касым-Жомарт Токаев\n  en: Kassym-Jomart Tokayev\n"
        "- {kk: Нұргүл Қалиева, en: Nurgul Kaliyeva, kk-Latn: Nūrgül Qalieva}\n",
        encoding="utf-8",
    )
    table = NameTable.load(path)
    assert transliterate_name("Касым-Жомарт Токаев", "ru", "en", table) == "Kassym-Jomart Tokayev"
    assert table.lookup("Nūrgül Qalieva", "kk-Latn", "en") == "Nurgul Kaliyeva"


@pytest.mark.parametrize(
    "name, content, line, message",
    [
        ("bad.tsv", "kk\tru\nҚасым\tКасым\tKassym\n", 2, "3 columns"),
        ("bad.csv", "kk,ru\nҚасым,Касым\nТоқаев,\n", 3, "at least two languages"),
        ("bad.csv", "kk,de\nҚасым,Kassim\n", 1, "unknown language 'de'"),
        ("bad.tsv", "kk\tkk\nҚасым\tҚасым\n", 1, "twice"),
        ("bad.yaml", "- kk: Қасым\n  ru: Касым\n- kk: [Тоқаев]\n  ru: Токаев\n", 3, "must be text"),
        ("bad.yaml", "- kk: Қасым\n  ru: Касым\n- Тоқаев\n", 3, "must map"),
        ("bad.yml", "- kk: Қасым\n  ru: [Касым\n", 3, "not valid YAML"),
        ("bad.yaml", "kk: Қасым\n", 1, "list of entries"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path, name, content, line, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match=message) as info:
        NameTable.load(path)
    assert isinstance(info.value, InputError)
    assert info.value.line == line
    assert str(path) in str(info.value) and f"line {line}" in str(info.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        NameTable.load(tmp_path / "missing.tsv")
    (tmp_path / "names.json").write_text("[]", encoding="utf-8")
    with pytest.raises(InputError, match=r"\.csv"):
        NameTable.load(tmp_path / "names.json")
    (tmp_path / "empty.csv").write_text("kk,ru\n", encoding="utf-8")
    with pytest.raises(InputError, match="no entries"):
        NameTable.load(tmp_path / "empty.csv")
    (tmp_path / "latin1.csv").write_bytes("kk,ru\nÄ,Ö\n".encode("latin-1"))
    with pytest.raises(InputError, match="cannot read"):
        NameTable.load(tmp_path / "latin1.csv")
