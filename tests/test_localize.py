"""Datelines, view counts and site furniture (kztranslate.localize)."""

from __future__ import annotations

from datetime import datetime

import pytest

from kztranslate.latin import to_latin
from kztranslate.localize import (
    FURNITURE,
    HOUSE_SURNAME_CAPS,
    format_count,
    house_case,
    is_furniture,
    is_site_name,
    is_weekday,
    localize_furniture,
    localize_site_name,
    parse_count,
    parse_dateline,
    render_dateline,
    split_counter,
    split_site_label,
    split_site_suffix,
)

MOMENT = datetime(2019, 11, 27, 10, 3)


# -- parse_dateline ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "published", "has_time", "language", "case"),
    [
        ("27 Қараша 2019, 10:03", MOMENT, True, "kk", "capitalized"),
        ("27 қараша 2019 10:03", MOMENT, True, "kk", "lower"),
        ("27 ҚАРАША 2019, 10:03", MOMENT, True, "kk", "upper"),
        ("27 ноября 2019, 10:03", MOMENT, True, "ru", "lower"),
        ("27 НОЯБРЯ 2019 г., 10:03", MOMENT, True, "ru", "upper"),
        ("27 November 2019, 10:03", MOMENT, True, "en", "capitalized"),
        ("November 27, 2019, 10:03", MOMENT, True, "en", "capitalized"),
        ("Nov. 27 2019", datetime(2019, 11, 27), False, "en", "capitalized"),
        ("5 мамыр 2024", datetime(2024, 5, 5), False, "kk", "lower"),
        ("5 май 2024, 08:00", datetime(2024, 5, 5, 8), True, "ru", "lower"),
        ("1 қаң. 2020, 23:59", datetime(2020, 1, 1, 23, 59), True, "kk", "lower"),
        ("14 Шілде, 2021", datetime(2021, 7, 14), False, "kk", "capitalized"),
    ],
)
def test_month_word_datelines(text, published, has_time, language, case):
    found = parse_dateline(text)
    assert found is not None
    assert found.published == published
    assert found.has_time is has_time
    assert not found.style.numeric
    assert found.style.month_language == language
    assert found.style.month_case == case
    assert (found.start, found.end) == (0, len(text))


@pytest.mark.parametrize(
    ("text", "published", "has_time", "separator"),
    [
        ("06.07.2021", datetime(2021, 7, 6), False, "."),
        ("06/07/2021", datetime(2021, 7, 6), False, "/"),
        ("20.03.2026, 20:50", datetime(2026, 3, 20, 20, 50), True, "."),
        ("20.03.2026 20:50", datetime(2026, 3, 20, 20, 50), True, "."),
        ("2021-07-06 10:03", datetime(2021, 7, 6, 10, 3), True, "-"),
    ],
)
def test_numeric_datelines(text, published, has_time, separator):
    found = parse_dateline(text)
    assert found is not None and found.style.numeric
    assert (found.published, found.has_time, found.style.separator) == (published, has_time, separator)
    assert found.end == len(text)


@pytest.mark.parametrize("text", ["November 27, 2019", "November 27 2019", "27 Қараша, 2019", "27 Қараша 2019"])
def test_a_comma_before_the_year_is_part_of_the_date(text):
    found = parse_dateline(text)
    assert found is not None and found.published == datetime(2019, 11, 27)
    assert (found.start, found.end) == (0, len(text))


def test_end_leaves_room_for_a_counter_and_a_prefix():
    text = "Саясат • 27 Қараша 2019, 10:03 3457"
    found = parse_dateline(text)
    assert text[found.start:found.end] == "27 Қараша 2019, 10:03"
    assert text[found.end:] == " 3457"


@pytest.mark.parametrize(
    "text",
    ["", "Бүгін ауа райы жақсы", "27 адам 2019 жылы келді", "31.02.2020", "27 Қараша 2019, 25:03",
     "32 қараша 2019", "27 қараша 20190", "127 қараша 2019", "1234", "06.07.21"],
)
def test_not_datelines(text):
    assert parse_dateline(text) is None


def test_date_inside_a_sentence_ends_before_the_sentence_goes_on():
    text = "27 қараша 2019 жылы Астанада форум өтті."
    found = parse_dateline(text)
    assert found.published == datetime(2019, 11, 27) and text[found.end:].startswith(" жылы")


def test_kazakh_latin_month_names():
    for text in ("27 Қараша 2019, 10:03", "5 мамыр 2024", "14 ШІЛДЕ 2021", "1 қыркүйек 2022"):
        cyrillic = parse_dateline(text)
        found = parse_dateline(to_latin(text))
        assert found is not None, to_latin(text)
        assert found.published == cyrillic.published
        assert found.style.month_language == "kk-Latn"


# -- render_dateline -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("kk", "27 қараша 2019, 10:03"),
        ("ru", "27 ноября 2019, 10:03"),
        ("en", "November 27, 2019, 10:03"),
        ("kk-Latn", "27 қараша 2019, 10:03"),
    ],
)
def test_house_style(language, expected):
    assert render_dateline(MOMENT, language) == expected


def test_like_source_capitalization_time_and_numeric():
    like = "27 Қараша 2019, 10:03"
    assert render_dateline(MOMENT, "kk", like=like) == "27 Қараша 2019, 10:03"
    assert render_dateline(MOMENT, "ru", like=like) == "27 ноября 2019, 10:03"
    assert render_dateline(MOMENT, "en", like=like) == "November 27, 2019, 10:03"
    assert render_dateline(MOMENT, "ru", like="27 ҚАРАША 2019, 10:03") == "27 НОЯБРЯ 2019, 10:03"
    assert render_dateline(MOMENT, "kk", like="27 Ноября 2019, 10:03") == "27 Қараша 2019, 10:03"
    # an English month is capitalized by grammar, not by the site's style
    assert render_dateline(MOMENT, "kk", like="November 27, 2019, 10:03") == "27 қараша 2019, 10:03"
    assert render_dateline(MOMENT, "kk", like="NOVEMBER 27, 2019, 10:03") == "27 ҚАРАША 2019, 10:03"
    assert render_dateline(datetime(2019, 11, 27), "ru", like="27 Қараша 2019") == "27 ноября 2019"
    assert render_dateline(datetime(2019, 11, 27), "en", like="27 Қараша 2019") == "November 27, 2019"
    assert render_dateline(datetime(2021, 7, 6), "en", like="06.07.2021") == "06.07.2021"
    moment = datetime(2026, 3, 20, 20, 50)
    assert render_dateline(moment, "en", like="20.03.2026, 20:50") == "20.03.2026, 20:50"
    assert render_dateline(moment, "ru", like=parse_dateline("20.03.2026, 20:50")) == "20.03.2026, 20:50"


def test_pattern_overrides_house_style_and_loses_time_when_source_has_none():
    assert render_dateline(MOMENT, "ru", "d MMMM y 'г.', HH:mm") == "27 ноября 2019 г., 10:03"
    assert render_dateline(MOMENT, "en", "MMMM d, y 'at' HH:mm", like="27 қараша 2019") == "November 27, 2019"
    assert render_dateline(MOMENT, "en", "HH:mm, d MMM y", like="27 қараша 2019") == "27 Nov 2019"


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize("like", ["27 Қараша 2019, 10:03", "27 қараша 2019", "20.03.2026, 20:50", "06/07/2021"])
def test_rendered_dateline_reads_back_to_the_same_moment(language, like):
    moment = datetime(2023, 2, 9, 7, 5)
    source = parse_dateline(like)
    found = parse_dateline(render_dateline(moment, language, like=like))
    expected = moment if source.has_time else moment.replace(hour=0, minute=0)
    assert found.published == expected
    assert found.has_time is source.has_time
    assert found.style.numeric is source.style.numeric


# -- counts --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "value"),
    [("3457", 3457), ("3 457", 3457), ("3\u00a0457", 3457), ("3\u202f457", 3457), ("3,457", 3457),
     ("1,234,567", 1234567), (" 12 ", 12), ("12.3K", None), ("12 34", None), ("1,234.567", None), ("", None),
     ("3457 рет", None)],
)
def test_parse_count(text, value):
    assert parse_count(text) == value


@pytest.mark.parametrize(
    ("n", "language", "like", "expected"),
    [
        (3457, "en", "3457", "3457"),
        (3457, "ru", "3457", "3457"),
        (12345, "en", "12 345", "12,345"),
        (12345, "ru", "12,345", "12\u00a0345"),
        (12345, "kk", None, "12\u00a0345"),
        (3457, "ru", "3457 рет", "3457 просмотров"),
        (3457, "en", "3457 рет", "3457 views"),
        (3457, "kk", "Просмотров: 3457", "Рет: 3457"),
        (3457, "en", "3457\nоқылды", "3457\nread"),
        (3457, "kk-Latn", "3457 views", "3457 рет"),
    ],
)
def test_format_count(n, language, like, expected):
    assert format_count(n, language, like=like) == expected


def test_split_counter_only_accepts_counter_words():
    assert split_counter("3457 рет") == ("", "", "3457", " ", "рет")
    assert split_counter("Просмотров: 3 457") == ("Просмотров", ": ", "3 457", "", "")
    assert split_counter("3457views") == ("", "", "3457", "", "views")
    assert split_counter("3457 адам") is None
    assert split_counter("2019 жылы") is None


# -- furniture -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "source", "target", "expected"),
    [
        ("Бөлісу:", "kk", "ru", "Поделиться:"),
        ("Бөлісу:", "kk", "en", "Share:"),
        ("Поделиться:", "ru", "kk", "Бөлісу:"),
        ("Share:", "en", "ru", "Поделиться:"),
        ("БӨЛІСУ", "kk", "en", "SHARE"),
        ("бөлісу :", "kk", "ru", "поделиться :"),
        ("Тағы оқыңыз:", "kk", "en", "Read also:"),
        ("Читайте также:", "ru", "kk", "Тағы оқыңыз:"),
        ("Тегтер:", "kk", "ru", "Теги:"),
        ("Сурет:", "kk", "en", "Photo:"),
        ("рет", "kk", "ru", "просмотров"),
        ("оқылды", "kk", "en", "read"),
        ("Бөлісу:", "kk", "kk-Latn", "Бөлісу:"),
        ("Download the App for Android", "en", "kk", "Қосымшаны Android-қа жүктеп алу"),
        ("Бүгін ауа райы жақсы.", "kk", "ru", None),
        ("Бөлісу: Facebook", "kk", "ru", None),
        ("", "kk", "ru", None),
    ],
)
def test_localize_furniture(text, source, target, expected):
    assert localize_furniture(text, source, target) == expected


def test_furniture_round_trips_through_every_language():
    for concept, forms in FURNITURE.items():
        for source in ("kk", "ru", "en"):
            printed = forms[source][0]
            assert is_furniture(printed) == concept
            for target in ("kk", "ru", "en"):
                assert localize_furniture(printed, source, target) == forms[target][0]


def test_is_furniture():
    assert is_furniture("Бөлісу:") == "share"
    assert is_furniture("ПОДЕЛИТЬСЯ") == "share"
    assert is_furniture("Теги:") == "tags"
    assert is_furniture("Нұргүл Қалиева") is None


def test_kazakh_latin_furniture():
    assert is_furniture(to_latin("Бөлісу:")) == "share"
    assert is_furniture(to_latin("ТАҒЫ ОҚЫҢЫЗ")) == "read_also"
    assert localize_furniture(to_latin("Бөлісу:"), "kk-Latn", "ru") == "Поделиться:"


@pytest.mark.parametrize("printed", ["06/07/2021", "06/07/2021, 20:50", "06.07.2021", "2021-07-06 10:03", "2021-07-06"])
def test_numeric_datelines_keep_their_layout_in_every_language(printed):
    dateline = parse_dateline(printed)
    for language in ("kk", "ru", "en", "kk-Latn"):
        assert render_dateline(dateline.published, language, like=printed) == printed


@pytest.mark.parametrize(("printed", "expected", "has_time"), [
    ("10:03, 27 қараша 2019", datetime(2019, 11, 27, 10, 3), True),       # time first
    ("10:03 27 Қараша 2019", datetime(2019, 11, 27, 10, 3), True),
    ("2019 жылғы 27 қараша, 10:03", datetime(2019, 11, 27, 10, 3), True),  # Kazakh year first
    ("2019 жылы 27 қарашада", datetime(2019, 11, 27), False),              # with a case ending on the month
    ("27-қараша, 2019", datetime(2019, 11, 27), False),                    # hyphen after the day
])
def test_more_kazakh_dateline_shapes(printed, expected, has_time):
    dateline = parse_dateline(printed)
    assert dateline is not None and dateline.published == expected and dateline.has_time is has_time
    assert (dateline.start, dateline.end) == (0, len(printed))
    rendered = render_dateline(dateline.published, "ru", like=printed)
    assert rendered == ("27 ноября 2019, 10:03" if has_time else "27 ноября 2019")


# -- counters as real pages print them ----------------------------------------------------------

@pytest.mark.parametrize(
    ("printed", "parts"),
    [
        ("1024", ("", "", "1024", "", "")),
        ("1024 оқылды", ("", "", "1024", " ", "оқылды")),
        ("views312", ("views", "", "312", "", "")),
        ("312views", ("", "", "312", "", "views")),
        ("Views: 312", ("Views", ": ", "312", "", "")),
        ("👁 312", ("👁", " ", "312", "", "")),
        ("👁️312", ("👁\ufe0f", "", "312", "", "")),
        ("Қаралды: 1 024", ("Қаралды", ": ", "1 024", "", "")),
        ("Қаралды 1024", ("Қаралды", " ", "1024", "", "")),
        ("4236 рет көрсетілді", ("", "", "4236", " ", "рет көрсетілді")),
        ("12 345 просмотров", ("", "", "12 345", " ", "просмотров")),
        ("71 ret", ("", "", "71", " ", "ret")),
    ],
)
def test_counters_in_every_shape(printed, parts):
    assert split_counter(printed) == parts
    assert "".join(parts) == printed
    assert parse_count(parts[2]) == int(parts[2].replace(" ", ""))


@pytest.mark.parametrize("text", ["3457 адам", "2019 жылы", "+7 701 000 00 00", "6.68", "12.3K", "24 мин",
                                  "Қаралды: көп", "1" * 40, "views 3 адам"])
def test_not_counters(text):
    assert split_counter(text) is None


def test_counts_too_long_to_be_exact_are_refused_not_raised():
    assert parse_count("9" * 5000) is None and split_counter("9" * 5000 + " рет") is None


def test_counter_words_are_localized_in_place():
    assert format_count(312, "ru", like="views312") == "просмотров312"
    assert format_count(1024, "en", like="Қаралды: 1024") == "Views: 1024"
    assert format_count(312, "kk", like="👁 312") == "👁 312"


# -- site names, contact lines, counted furniture ----------------------------------------------

@pytest.mark.parametrize(
    ("headline", "title", "separator", "site"),
    [
        ("Жаңа мектеп ашылды - «Ақ жол» газеті", "Жаңа мектеп ашылды", " - ", "«Ақ жол» газеті"),
        ("Жаңа мектеп ашылды - «Сайт атауы» ақпарат агенттігі", "Жаңа мектеп ашылды", " - ",
         "«Сайт атауы» ақпарат агенттігі"),
        ("Открылась школа | Tengrinews.kz", "Открылась школа", " | ", "Tengrinews.kz"),
        ("Открылась школа — Новости Казахстана", "Открылась школа", " — ", "Новости Казахстана"),
        ("School opens - Example News agency", None, None, None),
        ("Форум, паводки и грипп — главное за неделю в стране", None, None, None),
        ("Бір - екі - үш", None, None, None),
    ],
)
def test_site_suffix_of_a_headline(headline, title, separator, site):
    found = split_site_suffix(headline)
    assert found == (None if title is None else (title, separator, site))


@pytest.mark.parametrize(
    ("site", "target", "expected"),
    [
        ("«Ақ жол» газеті", "ru", "Газета «Ақ жол»"),
        ("«Ақ жол» газеті", "en", "«Ақ жол» newspaper"),
        ("«Сайт атауы» ақпарат агенттігі", "ru", "Информационное агентство «Сайт атауы»"),
        ("«Сайт атауы» халықаралық ақпарат агенттігі", "en", "«Сайт атауы» international news agency"),
        ("Информационное агентство «Казинформ»", "kk", "«Казинформ» ақпарат агенттігі"),
        ("Новости Казахстана", "kk", "Қазақстан жаңалықтары"),
        ("Tengrinews.kz", "en", "Tengrinews.kz"),
    ],
)
def test_site_names_are_localized_as_furniture(site, target, expected):
    assert is_site_name(site)
    assert localize_site_name(site, target) == expected
    assert localize_furniture(site, None, target) == expected


def test_contact_lines_keep_their_value():
    assert localize_furniture("Телефон: +7 727 250 00 00", "kk", "en") == "Phone: +7 727 250 00 00"
    assert localize_furniture("Эл. почта: info@example.kz", "kk", "en") == "Email: info@example.kz"
    assert localize_furniture("E-mail:  info@example.kz", "en", "ru") == "Эл. почта:  info@example.kz"
    assert localize_furniture("Телефон арқылы хабарласыңыз", "kk", "en") is None


def test_counted_furniture_keeps_the_count():
    assert localize_furniture("3 пікір", "kk", "en") == "3 comments"
    assert localize_furniture("0 комментариев", "ru", "en") == "0 comments"
    assert localize_furniture("3 адам", "kk", "ru") is None


def test_site_labels_are_found_in_linear_time_and_need_a_space_after_the_colon():
    assert split_site_label("Фото: Ақорда") == ("Фото: ", "Ақорда")
    assert split_site_label("Эл. почта: info@example.kz") is None  # a contact line is no label of text
    assert split_site_label("Фото:Ақорда") is None
    assert split_site_label("Тегтер:") is None
    assert split_site_label("қ" * 50 + ": x") is None


def test_weekdays_from_cldr():
    assert all(is_weekday(w) for w in ("Сенбі", "жұма", "Воскресенье", "Fri", "Wednesday,"))
    assert not any(is_weekday(w) for w in ("Қоғам", "Сегодня", "Today"))


def test_house_case_keeps_capitals_only_where_the_house_style_does(monkeypatch):
    assert house_case("Erlan Toleuov", "Ерлан ТӨЛЕУОВ", "en") == "Erlan Toleuov"
    monkeypatch.setitem(HOUSE_SURNAME_CAPS, "en", True)
    assert house_case("Erlan Toleuov", "Ерлан ТӨЛЕУОВ", "en") == "Erlan TOLEUOV"
    assert house_case("Erlan Toleuov", "Ерлан Төлеуов", "en") == "Erlan Toleuov"


@pytest.mark.parametrize(
    ("printed", "published"),
    [
        ("4 Мамыр, 2022 сағат 13:31", datetime(2022, 5, 4, 13, 31)),
        ("27 ноября 2019 в 10:03", MOMENT),
        ("14 Наурыз, 2018", datetime(2018, 3, 14)),
        ("04.05.2022ж. 20:00", datetime(2022, 5, 4, 20)),
        ("9 июля 2021г.", datetime(2021, 7, 9)),
    ],
)
def test_dateline_shapes_of_real_pages(printed, published):
    found = parse_dateline(printed)
    assert found is not None and found.published == published and found.end == len(printed)
