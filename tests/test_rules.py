"""The pipeline's rule chains (block rules, QA checks), its per-call statistics, and the one
Finding type with its JSON form."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

import kztranslate as kzt
from fake_outputs import FLAWED_SEGMENTS, FakeBackend, done_when_article
from kztranslate import plan, qa
from kztranslate.document import Finding
from kztranslate.engine.scheduler import ScheduleStats
from kztranslate.errors import FormatError, UsageError
from kztranslate.formats import get_format
from kztranslate.ruler import Ruler

# -- the Ruler itself -------------------------------------------------------------------------------

def test_a_ruler_lists_enables_disables_and_orders_its_rules():
    rules: Ruler[str] = Ruler([("a", "A"), ("c", "C")])
    rules.after("a", "b", "B")
    rules.before("a", "first", "F")
    assert rules.get_all_rules() == ["first", "a", "b", "c"]
    assert rules.disable(["a", "c"]) == ["a", "c"]
    assert rules.get_active_rules() == ["first", "b"] and rules.get_rules() == ["F", "B"]
    rules.enable("a")
    assert rules.get_rules() == ["F", "A", "B"]
    rules.enable_only("c")
    assert rules.get_rules() == ["C"]
    rules.at("c", "C2")
    assert rules.get_rules() == ["C2"] and rules.get_all_rules() == ["first", "a", "b", "c"]


def test_a_ruler_names_its_rules_when_asked_for_an_unknown_one():
    rules: Ruler[str] = Ruler([("dateline", "d"), ("counter", "c")])
    with pytest.raises(UsageError, match="no rule named 'caption'; the rules are: dateline, counter"):
        rules.disable("caption")
    assert rules.disable(["caption", "counter"], ignore_invalid=True) == ["counter"]
    with pytest.raises(UsageError, match="already"):
        rules.push("counter", "again")


def test_a_copy_is_independent():
    original: Ruler[str] = Ruler([("a", "A"), ("b", "B")])
    twin = original.copy()
    twin.disable("a")
    assert original.get_active_rules() == ["a", "b"] and twin.get_active_rules() == ["b"]


# -- the translator's block rules -------------------------------------------------------------------

def _article() -> kzt.Article:
    return kzt.Article("kk", [
        kzt.Block("headline", "Астанада жаңа мектеп ашылды"),
        kzt.Block("dateline", "27 қараша 2019, 10:03", meta={"published": "2019-11-27T10:03:00"}),
        kzt.Block("counter", "3457", meta={"views": 3457}),
        kzt.Block("paragraph", "Мектепте 1 200 оқушы оқиды."),
        kzt.Block("share", "Бөлісу:"),
    ], published=datetime(2019, 11, 27, 10, 3))


def test_the_translator_lists_its_block_rules_and_a_disabled_one_leaves_its_blocks_as_printed():
    translator = kzt.Translator("pseudo")
    assert translator.rules.get_all_rules() == ["furniture", "translate", "dateline", "counter", "byline"]
    article = _article()
    before = kzt.Translator("pseudo").translate(article, "en")["en"]
    assert before.blocks[1].text != article.blocks[1].text  # the dateline is rendered in English

    translator.rules.disable("dateline")
    after = translator.translate(article, "en")["en"]
    assert after.blocks[1].text == article.blocks[1].text
    # the other rules still run
    assert ([b.text for i, b in enumerate(after.blocks) if i != 1]
            == [b.text for i, b in enumerate(before.blocks) if i != 1])
    # one translator's rules are its own
    assert kzt.Translator("pseudo").rules.get_active_rules() == plan.BLOCK_RULES.get_all_rules()


def test_without_the_translate_rule_nothing_goes_to_the_model():
    translator = kzt.Translator("pseudo")
    translator.rules.disable("translate")
    article = _article()
    variant = translator.translate(article, "en")["en"]
    assert [b.text for b in variant.blocks if b.translatable] == [b.text for b in article.blocks if b.translatable]
    assert variant.provenance.machine_translated is False


def test_a_rule_of_ones_own_runs_before_the_built_in_ones():
    seen: list[str] = []

    def keep_headlines(step: plan.BlockStep) -> bool:
        seen.append(step.block.role)
        return step.block.role == "headline"  # taken: kept as it is

    translator = kzt.Translator("pseudo")
    translator.rules.before("translate", "keep-headlines", keep_headlines)
    article = _article()
    variant = translator.translate(article, "en")["en"]
    assert variant.blocks[0].text == article.blocks[0].text
    assert variant.blocks[3].text != article.blocks[3].text
    assert "share" not in seen  # the furniture rule took it first


def test_the_plan_lives_in_the_job_not_on_the_document():
    article = _article()
    variant = kzt.Translator("pseudo").translate(article, "en")["en"]
    assert all(not key.startswith("_") for block in variant.blocks for key in block.meta)
    written = json.loads(get_format("json").write(variant))
    assert all(not key.startswith("_") for block in written["blocks"] for key in block)


# -- the translator's QA checks ---------------------------------------------------------------------

def test_the_checks_are_named_by_their_codes_and_a_disabled_one_reports_nothing():
    translator = kzt.Translator(FakeBackend())
    assert translator.checks.get_all_rules() == [
        "truncated", "number-mismatch", "term-missing", "placeholder-mismatch", "untranslated", "wrong-script",
        "repetition", "length-ratio",
    ]
    flagged = translator.translate(done_when_article(), "en")["en"]
    assert {(f.block, f.segment) for f in flagged.qa} == FLAWED_SEGMENTS
    assert "repetition" in {f.code for f in flagged.qa}

    translator.checks.disable("repetition")
    quieter = translator.translate(done_when_article(), "en")["en"]
    assert "repetition" not in {f.code for f in quieter.qa}
    assert {f.code for f in quieter.qa} == {f.code for f in flagged.qa} - {"repetition"}
    assert "repetition" in qa.CHECKS.get_active_rules()  # the module's chain is untouched


def test_check_segment_runs_the_chain_it_is_given():
    checks = qa.default_checks()
    source, output = "Мектепте 1 200 оқушы оқиды.", "The school has many pupils many pupils many pupils."
    every = {f.code for f in qa.check_segment(source, output, "kk", "en")}
    assert {"number-mismatch", "repetition"} <= every
    checks.enable_only("number-mismatch")
    assert {f.code for f in qa.check_segment(source, output, "kk", "en", checks=checks)} == {"number-mismatch"}


# -- statistics per call ----------------------------------------------------------------------------

def test_each_pass_reports_its_own_statistics(tmp_path):
    translator = kzt.Translator("pseudo", memory=str(tmp_path / "tm.sqlite"))
    article = done_when_article()
    passes: list[ScheduleStats] = []
    list(translator.pipe([article], to="en", on_stats=passes.append))
    list(translator.pipe([article], to="en", on_stats=passes.append))
    first, second = passes
    assert (first.segments, first.model_segments, first.memory_hits) == (5, 5, 0)
    assert (second.segments, second.model_segments, second.memory_hits) == (5, 0, 5)
    assert not hasattr(translator.scheduler, "last_stats")


def test_a_pass_with_nothing_for_the_model_reports_nothing():
    passes: list[ScheduleStats] = []
    article = kzt.Article("kk", [kzt.Block("counter", "3457", meta={"views": 3457})])
    list(kzt.Translator("pseudo").pipe([article], to="en", on_stats=passes.append))
    assert passes == []


# -- one Finding type, a dict only in the JSON form --------------------------------------------------

def test_every_layers_findings_are_findings_and_json_has_the_documented_keys():
    variant = kzt.Translator(FakeBackend()).translate(done_when_article(), "en")["en"]
    assert variant.qa and all(isinstance(f, Finding) for f in variant.qa)
    written = json.loads(get_format("json").write(variant))
    for finding in written["qa"]:
        assert list(finding)[:5] == ["code", "severity", "block", "segment", "message"]
        assert set(finding) <= {"code", "severity", "block", "segment", "message", "meta"}
    again = get_format("json").read(get_format("json").write(variant))
    assert again.qa == variant.qa


def test_a_findings_unknown_keys_are_kept_and_a_malformed_one_is_a_format_error():
    finding = {"code": "x-check", "severity": "info", "block": 1, "segment": None, "message": "m",
               "reviewer": "A. Editor"}
    document = {"language": "en", "blocks": [{"role": "paragraph", "text": "Hi."}], "qa": [finding]}
    article = get_format("json").read(json.dumps(document))
    assert article.qa == [Finding("x-check", "info", 1, None, "m", extra={"reviewer": "A. Editor"})]
    assert article.to_dict()["qa"] == [finding]
    for bad in ({"severity": "info"}, "finding", {"code": "x", "severity": "info", "block": "2"}):
        with pytest.raises(FormatError, match="QA finding"):
            get_format("json").read(json.dumps({**document, "qa": [bad]}))


def test_placeholder_and_inline_findings_carry_their_segment_not_the_layers_bookkeeping():
    from kztranslate import inline, protect

    _, problems = protect.restore("More on this site.", protect.protect("Толығырақ https://a.kz сайтында.", "kk")[1])
    assert [p.code for p in problems] == ["placeholder-lost"]
    assert (problems[0].block, problems[0].segment) == (None, None)
    codes = [kzt.InlineCode("1", "a", 0, 4)]
    _, _, found = inline.decode("<1>Astana</1> <9>x</9>", codes, "Астана")
    assert {f.code for f in found} == {"inline-invented"}

    from kztranslate.assemble import place

    marked = Finding("inline-repaired", "warning", message="m", meta={"marker": 2})
    placed = place(marked, 3, 1)
    assert (placed.block, placed.segment, placed.meta) == (3, 1, {})
    assert marked.meta == {"marker": 2}


def test_planning_leaves_the_variants_blocks_as_they_were_read():
    article = _article()
    job = plan.plan_job(kzt.Translator("pseudo"), article, "kk", "en")
    assert sorted(job.plans) == [0, 3]  # the headline and the paragraph await the model
    assert job.plans[3].slots == [None] and job.plans[3].languages == ["kk"]
    assert [b.meta for b in job.variant.blocks] == [b.meta for b in article.blocks]


# -- post-edits ---------------------------------------------------------------------------------------

def test_post_edits_remembered_come_back_when_the_article_is_translated_again(tmp_path):
    from kztranslate.engine.memory import TranslationMemory
    from kztranslate.postedit import remember_post_edits

    memory = TranslationMemory(tmp_path / "tm.sqlite")
    article = kzt.Article("kk", [
        kzt.Block("headline", "Астанада жаңа мектеп ашылды"),
        kzt.Block("paragraph", "Мектепте 1 200 оқушы оқиды. Ғимараттың құрылысына екі жыл кетті."),
    ])
    translator = kzt.Translator("pseudo", memory=memory)
    variant = translator.translate(article, "en")["en"]
    edited = variant.copy()
    edited.blocks[1].text = "The school has 1,200 pupils. Building it took two years."
    report = remember_post_edits(article, variant, edited, memory)
    assert (report.edited, report.stored, report.skipped) == ([1], 2, [])

    passes: list[ScheduleStats] = []
    (again,) = translator.pipe([article], to="en", on_stats=passes.append)
    assert again["en"].blocks[1].text == edited.blocks[1].text
    assert (passes[0].post_edits, passes[0].memory_hits) == (2, 1)

    merged = edited.copy()
    merged.blocks[1].text = "The school has 1,200 pupils, and building it took two years."  # two sentences made one
    assert remember_post_edits(article, variant, merged, memory).skipped == [1]
