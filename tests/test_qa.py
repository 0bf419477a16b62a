"""QA checks on translated segments (kztranslate.qa) and the QA policies of the pipeline."""

from __future__ import annotations

import importlib
import json

import pytest

from kztranslate.errors import QualityError, UsageError
from kztranslate.qa import LENGTH_RATIO, Finding, check_segment, summarize


def codes(findings: list[Finding]) -> dict[str, str]:
    return {f.code: f.severity for f in findings}


# -- numbers, dates, times, money -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "output", "src", "tgt"),
    [
        ("Залда 3 457 адам болды.", "There were 3457 people in the hall.", "kk", "en"),
        ("Залда 3 457 адам болды.", "There were 3,457 people in the hall.", "kk", "en"),
        ("Залда 3457 адам болды.", "В зале было 3 457 человек.", "kk", "ru"),
        ("Ол 2019 ж. басталды.", "Это началось в 2019 г.", "kk", "ru"),
        ("Ол 2019 ж. басталды.", "It began in 2019.", "kk", "en"),
        ("Өсім 3,5 пайызды құрады.", "Growth was 3.5 percent.", "kk", "en"),
        ("Бағасы 1 250 000 теңге.", "It costs 1,250,000 tenge.", "kk", "en"),
        ("Бағасы $5,2 млн.", "Стоимость составила 5,2 млн долларов.", "kk", "ru"),
        ("Кездесу 10:03-те басталды.", "The meeting began at 10:03.", "kk", "en"),
        ("Шара 27 қарашада өтті.", "The event took place on November 27.", "kk", "en"),
        ("Шара 27.11.2019 өтті.", "The event took place on 27 November 2019.", "kk", "en"),
        ("Мероприятие прошло 27 ноября 2019 года.", "Шара 2019 жылғы 27 қарашада өтті.", "ru", "kk"),
    ],
)
def test_numbers_compare_by_value_across_locales(source, output, src, tgt):
    assert "number-mismatch" not in codes(check_segment(source, output, src, tgt))


@pytest.mark.parametrize(
    ("source", "output", "missing"),
    [
        ("Залда 3 457 адам болды.", "There were 3,547 people in the hall.", ["3457"]),
        ("Залда 3 457 адам болды.", "There were many people in the hall.", ["3457"]),
        ("Өсім 3,5 пайызды құрады.", "Growth was 5.3 percent.", ["3.5"]),
        ("Кездесу 10:03-те басталды.", "The meeting began at 10:30.", ["10:03"]),
        ("Шара 27 қарашада өтті.", "The event took place on December 27.", ["11"]),
    ],
)
def test_changed_or_dropped_number_is_an_error(source, output, missing):
    [finding] = [f for f in check_segment(source, output, "kk", "en") if f.code == "number-mismatch"]
    assert finding.severity == "error"
    assert finding.meta["missing"] == missing


def test_invented_number_is_a_warning():
    [finding] = [
        f for f in check_segment("Ол ертең келеді.", "He arrives on the 5th tomorrow.", "kk", "en")
        if f.code == "number-mismatch"
    ]
    assert finding.severity == "warning"
    assert finding.meta["extra"] == ["5"]


def test_numbers_inside_placeholders_and_urls_are_not_numbers():
    source = "<1>Толығырақ</1> https://baq.kz/news/123 сайтында."
    output = "<1>More</1> at https://baq.kz/news/123."
    assert "number-mismatch" not in codes(check_segment(source, output, "kk", "en", placeholders=["<1>", "</1>"]))


# -- terms, placeholders ------------------------------------------------------------------------------

def test_missing_glossary_term_and_protected_span():
    source = "Мәжіліс депутаттары жиналды."
    found = check_segment(source, "Deputies of the parliament met.", "kk", "en", expected_terms=["Mazhilis"])
    assert codes(found) == {"term-missing": "warning"}
    assert found[0].meta["terms"] == ["Mazhilis"]
    assert not check_segment(source, "Deputies of the mazhilis met.", "kk", "en", expected_terms=["Mazhilis"])


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        ("The <1>president</1> arrived.", None),
        ("The president arrived.", "lost"),
        ("The <1>president</1> <1>arrived.", "duplicated"),
        ("The </1>president<1> arrived.", "before"),
    ],
)
def test_inline_codes_balanced(output, problem):
    found = check_segment("<1>Президент</1> келді.", output, "kk", "en", placeholders=["<1>", "</1>"])
    messages = [f.message for f in found if f.code == "placeholder-mismatch"]
    if problem is None:
        assert not messages
    else:
        assert len(messages) == 1 and problem in messages[0]
        assert codes(found)["placeholder-mismatch"] == "error"


# -- untranslated, script ----------------------------------------------------------------------------

def test_output_equal_to_source_is_untranslated():
    text = "Әкім ата-аналарға алғыс айтты."
    assert codes(check_segment(text, text, "kk", "ru"))["untranslated"] == "error"
    assert codes(check_segment("Kaspi Gold", "Kaspi Gold", "kk", "en")) == {}  # a brand stays as it is


def test_output_still_in_source_language_is_untranslated():
    source = "Әкім ата-аналарға үлкен алғыс айтты."
    still_kazakh = "Әкім барлық ата-аналарға алғыс айтты."
    assert codes(check_segment(source, still_kazakh, "kk", "ru"))["untranslated"] == "warning"
    assert "untranslated" not in codes(check_segment(source, "Аким поблагодарил родителей.", "kk", "ru"))


def test_kazakh_output_in_arabic_script_is_wrong():
    found = check_segment("The akim thanked the parents.", "اكىم اتا-انالارعا العىس ايتتى.", "en", "kk")
    assert codes(found)["wrong-script"] == "error"


def test_script_of_each_target():
    assert codes(check_segment("Аким поблагодарил родителей.", "Akim ata-analarğa alğys aitty.", "ru", "kk"))[
        "wrong-script"] == "error"
    assert codes(check_segment("Әкім алғыс айтты.", "Әкім алғыс айтты!", "kk", "kk-Latn"))["wrong-script"] == "error"
    assert codes(check_segment("Әкім алғыс айтты.", "The akim thanked Тоқаев.", "kk", "en"))["wrong-script"] == "warning"
    assert "wrong-script" not in codes(check_segment("Әкім алғыс айтты.", "Äkım alğys aitty.", "kk", "kk-Latn"))


def test_latin_brand_names_and_urls_allowed_in_cyrillic_output():
    source = "Kaspi.kz и Halyk Bank запустили сервис на сайте https://kaspi.kz."
    output = "Kaspi.kz және Halyk Bank https://kaspi.kz сайтында қызметті іске қосты."
    assert "wrong-script" not in codes(check_segment(source, output, "ru", "kk"))


# -- repetition, length, truncation -------------------------------------------------------------------

def test_phrase_repeated_back_to_back():
    found = check_segment(
        "Ғимараттың құрылысына екі жыл кетті.",
        "Construction took two years, two years, two years.", "kk", "en",
    )
    [rep] = [f for f in found if f.code == "repetition"]
    assert rep.severity == "error" and rep.meta == {"phrase": "two years", "times": 3}


def test_phrase_repeated_apart_unless_the_source_repeats_too():
    source = "Ол келді, көрді және кетті; ол қайта келді."
    output = "The new school opened. Then the new school closed, and the new school opened again."
    assert codes(check_segment(source, output, "kk", "en"))["repetition"] == "warning"
    repeating_source = "Жаңа мектеп ашылды. Жаңа мектеп жабылды, жаңа мектеп қайта ашылды."
    assert "repetition" not in codes(check_segment(repeating_source, output, "kk", "en"))


def test_a_clean_translation_has_no_findings():
    source = "Елордалық Достық үйінде жобаның қорытындысы бойынша кездесу өтті."
    output = "A meeting on the results of the project was held at the House of Friendship in the capital."
    assert check_segment(source, output, "kk", "en") == []


@pytest.mark.parametrize(
    ("output", "side"),
    [
        ("Meeting.", "shorter"),
        ("A meeting on the results of the project was held at the House of Friendship in the capital, "
         "and the participants discussed many other topics at great length for several hours afterwards, "
         "including the weather, the harvest and the upcoming football season.", "longer"),
    ],
)
def test_length_far_outside_the_band(output, side):
    source = "Елордалық Достық үйінде жобаның қорытындысы бойынша кездесу өтті."
    [finding] = [f for f in check_segment(source, output, "kk", "en") if f.code == "length-ratio"]
    assert side in finding.message and finding.meta["expected"] == LENGTH_RATIO[("kk", "en")]


def test_truncated():
    found = check_segment("Әкім алғыс айтты.", "The akim thanked", "kk", "en", truncated=True, block=3, segment=1)
    [finding] = [f for f in found if f.code == "truncated"]
    assert (finding.severity, finding.block, finding.segment) == ("error", 3, 1)


def test_summary_and_dict_round_trip():
    findings = [
        Finding("number-mismatch", "error", 1, 0, "x"),
        Finding("repetition", "warning", 1, 1, "y", {"phrase": "a b", "times": 3}),
        Finding("repetition", "error", 2, 0, "z"),
    ]
    assert Finding.from_dict(findings[1].to_dict()) == findings[1]
    summary = summarize(findings)
    assert summary == summarize([Finding.from_dict(f.to_dict()) for f in findings])
    assert summary == {
        "findings": 3, "segments": 3, "worst": "error",
        "by_severity": {"warning": 1, "error": 2},
        "by_code": {"number-mismatch": 1, "repetition": 2},
    }
    assert summarize([])["worst"] is None


# -- the pipeline's QA policies (run once the language layer is merged) ---------------------------

@pytest.fixture
def pipeline():
    for module in ("segmentation", "localize", "names", "latin"):
        importlib.import_module(f"kztranslate.{module}")
    from kztranslate import pipeline

    return pipeline


def test_done_when_report_names_exactly_the_three_flawed_segments(pipeline):
    from fake_outputs import FLAWED_SEGMENTS, FakeBackend, done_when_article

    variant = pipeline.Translator(FakeBackend()).translate(done_when_article(), "en")["en"]
    assert {(f.block, f.segment) for f in variant.qa} == FLAWED_SEGMENTS
    by_segment = {(f.block, f.segment): f.code for f in variant.qa if f.code != "wrong-script"}
    assert by_segment == {(1, 0): "number-mismatch", (1, 1): "repetition", (2, 0): "untranslated"}
    summary = variant.provenance.to_dict()["qa"]
    assert summary["policy"] == "flag" and summary["segments"] == 3 and summary["worst"] == "error"
    assert variant.to_dict()["qa"] == [f.to_dict() for f in variant.qa]


def test_fail_policy_raises_quality_error_after_translating(pipeline):
    from fake_outputs import FLAWED_SEGMENTS, FakeBackend, done_when_article

    backend = FakeBackend()
    with pytest.raises(QualityError) as caught:
        pipeline.Translator(backend, qa="fail").translate(done_when_article(), "en")
    assert caught.value.exit_code == 6
    assert {(f.block, f.segment) for f in caught.value.findings} == FLAWED_SEGMENTS
    assert sum(len(texts) for texts, *_ in backend.calls) == 5  # everything was translated first


def test_fail_policy_in_a_batch_fails_only_the_bad_article(pipeline):
    from fake_outputs import DONE_WHEN_OUTPUTS, FakeBackend, done_when_article
    from kztranslate.document import Article, Block

    good = Article("kk", [Block("headline", "Астанада жаңа мектеп ашылды")])
    results = list(pipeline.Translator(FakeBackend(DONE_WHEN_OUTPUTS), qa="fail").pipe([done_when_article(), good], "en"))
    assert isinstance(results[0], QualityError)
    assert results[1]["en"].headline == "A new school opened in Astana"


def test_retry_policy_redecodes_flagged_segments_with_stronger_settings(pipeline):
    from fake_outputs import FakeBackend, done_when_article

    backend = FakeBackend(strict=False)
    variant = pipeline.Translator(backend, qa="retry").translate(done_when_article(), "en")["en"]
    assert variant.blocks[1].text == "The school has many pupils. Construction of the building took two years."
    assert {(f.block, f.segment) for f in variant.qa} == {(1, 0), (2, 0)}
    stronger = {d for *_, d in backend.calls[1:]}
    assert stronger and all(
        d.beams >= 4 and d.repetition_penalty == 1.2 and d.no_repeat_ngram_size == 3 for d in stronger
    )
    retried = [texts for texts, *_ in backend.calls[1:]]
    assert "Астанада жаңа мектеп ашылды" not in {t for batch in retried for t in batch}  # clean: not retried
    qa_summary = variant.provenance.meta["qa"]
    assert (qa_summary["policy"], qa_summary["retried"], qa_summary["improved"]) == ("retry", 3, 1)


def test_retry_keeps_the_original_when_nothing_is_better(pipeline):
    from fake_outputs import FakeBackend, done_when_article

    variant = pipeline.Translator(FakeBackend(retry={}, strict=False), qa="retry").translate(
        done_when_article(), "en"
    )["en"]
    assert "two years two years" in variant.blocks[1].text
    assert variant.provenance.meta["qa"]["improved"] == 0


def test_truncated_output_is_reported_at_its_position(pipeline):
    from fake_outputs import FakeBackend, done_when_article

    backend = FakeBackend(truncated=["Сабақтар 1 қыркүйекте басталады."])
    variant = pipeline.Translator(backend).translate(done_when_article(), "en")["en"]
    assert {(f.block, f.segment) for f in variant.qa if f.code == "truncated"} == {(2, 1)}


def test_unknown_qa_policy_lists_the_choices(pipeline):
    from fake_outputs import FakeBackend

    with pytest.raises(UsageError, match="flag, retry, fail"):
        pipeline.Translator(FakeBackend(), qa="strict")


def test_pseudo_backend_with_decoding_shares_itself_but_not_settings():
    from kztranslate.engine.base import Decoding, Redecodable
    from kztranslate.engine.pseudo import PseudoBackend

    backend = PseudoBackend()
    assert isinstance(backend, Redecodable)
    stronger = backend.with_decoding(Decoding(beams=4, repetition_penalty=1.2, no_repeat_ngram_size=3))
    assert stronger.signature().to_dict()["decoding"]["beams"] == 4
    assert backend.signature().to_dict()["decoding"]["beams"] == 1
    assert stronger.translate_batch(["Сәлем"], "kk", "en")[0].text == backend.translate_batch(["Сәлем"], "kk", "en")[0].text


def test_cli_qa_fail_exits_6(pipeline, tmp_path, monkeypatch, capsys):
    from kztranslate.cli import COMMANDS, main

    for name in COMMANDS:  # the dispatcher loads every subcommand
        importlib.import_module(f"kztranslate.cli.{name}")
    from fake_outputs import FakeBackend, done_when_article
    from kztranslate import engine

    monkeypatch.setitem(engine.BACKENDS, "fake", f"fake_outputs:{FakeBackend.__name__}")
    source = tmp_path / "school.kk.json"
    source.write_text(json.dumps(done_when_article().to_dict(), ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["translate", str(source), "--to", "en", "--backend", "fake", "--out-dir", str(out)]
    assert main([*argv, "--qa", "fail"]) == 6
    assert "number-mismatch" in capsys.readouterr().err
    assert main(argv) == 0
    summary = capsys.readouterr().err  # names the segments, not only the counts
    assert "block 1 segment 0: number-mismatch; block 1 segment 1: repetition; block 2 segment 0: untranslated" in summary
    assert main([*argv, "--qa", "flag"]) == 0
    written = json.loads((out / "school.en.json").read_text(encoding="utf-8"))
    assert {(f["block"], f["segment"]) for f in written["qa"]} == {(1, 0), (1, 1), (2, 0)}


def test_retry_never_redecodes_memory_hits(pipeline, tmp_path):
    from fake_outputs import FakeBackend, done_when_article

    memory = tmp_path / "memory.sqlite"
    pipeline.Translator(FakeBackend(), memory=str(memory)).translate(done_when_article(), "en")
    backend = FakeBackend()
    variant = pipeline.Translator(backend, qa="retry", memory=str(memory)).translate(done_when_article(), "en")["en"]
    assert backend.calls == []  # all from memory, and nothing re-decoded
    assert {(f.block, f.segment) for f in variant.qa} == {(1, 0), (1, 1), (2, 0)}  # still reported
    assert variant.provenance.meta["qa"]["retried"] == 0


def test_retry_splits_at_clauses_never_into_word_fragments(pipeline):
    from fake_outputs import FakeBackend
    from kztranslate.document import Article, Block

    one_clause = "Мектепте 1 200 оқушы оқиды."
    two_clauses = "Әкім сөз сөйледі, ата-аналар 300 гүл әкелді."
    outputs = {one_clause: "The school has many pupils.", two_clauses: "The akim spoke, the parents brought flowers."}
    backend = FakeBackend(outputs, retry={}, strict=False)
    article = Article("kk", [Block("paragraph", one_clause), Block("paragraph", two_clauses)])
    pipeline.Translator(backend, qa="retry").translate(article, "en")
    retried = {text for texts, *_ in backend.calls[1:] for text in texts}
    assert retried == {one_clause, two_clauses, "Әкім сөз сөйледі,", "ата-аналар 300 гүл әкелді."}
