"""End-to-end pipeline tests with the pseudo backend (no weights needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

import kztranslate as kzt
from kztranslate.engine.pseudo import PseudoBackend
from kztranslate.formats import get_format

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "article.kk.txt"


class RecordingPseudo(PseudoBackend):
    """Pseudo backend that records every batch it is sent and can pretend to have a small input limit."""

    def __init__(self, limit: int = 512, truncate: bool = False) -> None:
        super().__init__()
        self.batches: list[tuple[str, str, list[str]]] = []
        self.limit = limit
        self.truncate = truncate

    @property
    def max_input_tokens(self) -> int:
        return self.limit

    def translate_batch(self, texts, source, target):
        self.batches.append((source, target, list(texts)))
        out = super().translate_batch(texts, source, target)
        if self.truncate:
            for t in out:
                t.truncated = True
        return out


def seed() -> kzt.Article:
    path = CORPUS / "seed-baq.kk.txt"
    if not path.exists():
        pytest.skip("shared corpus not available")
    return kzt.read(path)


def test_seed_variants_keep_every_block_in_place():
    article = seed()
    variants = kzt.translate(article, to=["ru", "en"], backend="pseudo")
    assert set(variants) == {"ru", "en"}
    for lang, variant in variants.items():
        assert variant.language == lang
        assert [b.role for b in variant.blocks] == [b.role for b in article.blocks]
        assert variant.views == 3457 and variant.published == article.published
        paragraphs = variant.blocks_with_role("paragraph")
        assert len(paragraphs) == 4
        assert all(p.text.startswith(f"⟦{lang}⟧ ") for p in paragraphs)
        assert variant.headline.startswith(f"⟦{lang}⟧ ")
        assert variant.blocks_with_role("counter")[0].text == "3457"
        prov = variant.provenance
        assert prov.source_language == "kk" and prov.target_language == lang
        assert prov.backend == "pseudo" and prov.machine_translated
        assert prov.source_sha256 == article.checksum()
        assert prov.kztranslate_version == kzt.__version__
        assert prov.decoding["beams"] == 1
    ru, en = variants["ru"], variants["en"]
    assert ru.dateline.startswith("27 ноября 2019") and "10:03" in ru.dateline
    assert "November 27, 2019" in en.dateline and "10:03" in en.dateline
    assert ru.byline == ["Нургуль Калиева"] and en.byline == ["Nurgul Kaliyeva"]
    assert ru.blocks[-1].text == "Поделиться:" and en.blocks[-1].text == "Share:"


def test_source_article_is_not_modified():
    article = seed()
    before = article.to_dict()
    kzt.translate(article, to="ru", backend="pseudo")
    assert article.to_dict() == before


def test_variants_render_and_read_back_in_the_text_format():
    article = seed()
    fmt = get_format("text")
    for lang, variant in kzt.translate(article, to=["ru", "en", "kk-Latn"], backend="pseudo").items():
        again = fmt.read(fmt.write(variant))
        assert [b.role for b in again.blocks] == [b.role for b in article.blocks], lang
        assert again.views == 3457 and again.published == article.published


def test_all_segments_of_all_articles_and_targets_go_to_the_model_together():
    backend = RecordingPseudo()
    translator = kzt.Translator(backend)
    first = kzt.read(EXAMPLE)
    second = first.copy()
    second.blocks[0].text = "Астанада жаңа саябақ ашылды"
    results = list(translator.pipe([first, second], to=["ru", "en"]))
    assert len(results) == 2 and all(set(r) == {"ru", "en"} for r in results)
    # one batch per language pair holds segments of both articles (the shared ones only once)
    pairs = [(s, t) for s, t, _ in backend.batches]
    assert sorted(set(pairs)) == [("kk", "en"), ("kk", "ru")]
    sent = [text for s, t, texts in backend.batches if t == "ru" for text in texts]
    assert "Астанада жаңа саябақ ашылды" in sent and "Алматыда жаңа қалалық кітапхана ашылды" in sent
    assert len(sent) == len(set(sent))
    assert results[1]["ru"].headline == "⟦ru⟧ Астанада жаңа саябақ ашылды"


def test_one_bad_article_does_not_sink_the_batch():
    good = kzt.read(EXAMPLE)
    bad = good.copy()
    bad.language = "xx"
    outcomes = list(kzt.Translator("pseudo").pipe([(good, "a"), (bad, "b")], to=["ru"], as_tuples=True))
    assert outcomes[0][1] == "a" and "ru" in outcomes[0][0]
    assert outcomes[1][1] == "b" and isinstance(outcomes[1][0], kzt.UsageError)
    assert "choose one of" in str(outcomes[1][0])


def test_long_sentence_is_split_to_fit_and_nothing_is_lost():
    backend = RecordingPseudo(limit=6)
    article = kzt.Article("kk", [kzt.Block("paragraph", "Бір екі үш, төрт бес алты, жеті сегіз тоғыз, он он бір он екі.")])
    variant = kzt.Translator(backend).translate(article, to="ru")["ru"]
    sent = [t for _, _, texts in backend.batches for t in texts]
    assert len(sent) > 1 and all(backend.count_tokens(t, "kk") <= 6 for t in sent)
    assert variant.blocks[0].text.replace("⟦ru⟧ ", "") == article.blocks[0].text


def test_truncated_output_is_flagged_not_hidden():
    article = kzt.Article("kk", [kzt.Block("paragraph", "Бүгін Астанада жиын өтті.")])
    variant = kzt.Translator(RecordingPseudo(truncate=True)).translate(article, to="en")["en"]
    # (pseudo output is no translation, so QA also reports it as untranslated / wrong script)
    truncated = [f for f in variant.qa if f.code == "truncated"]
    assert [(f.block, f.segment, f.severity) for f in truncated] == [(0, 0, "error")]


def test_kazakh_latin_target_needs_no_model():
    backend = RecordingPseudo()
    article = kzt.Article("kk", [kzt.Block("headline", "Қазақстан және Ақмола"), kzt.Block("byline", "Нұргүл Қалиева", meta={"names": ["Нұргүл Қалиева"]})])
    variant = kzt.Translator(backend).translate(article, to="kk-Latn")["kk-Latn"]
    assert backend.batches == []
    assert variant.headline == "Qazaqstan jäne Aqmola"
    assert variant.byline == ["Nūrgül Qalieva"]
    assert variant.provenance.machine_translated is False


def test_unknown_target_language_lists_the_choices():
    with pytest.raises(kzt.UsageError, match="choose one of: kk, ru, en, kk-Latn"):
        kzt.translate(kzt.read(EXAMPLE), to="de", backend="pseudo")


def test_pseudo_translation_is_not_reported_as_untranslated_but_other_checks_run():
    article = seed()
    variants = kzt.translate(article, to=["ru", "en"], backend="pseudo", qa="fail")  # would raise on an error finding
    for variant in variants.values():
        assert not [f for f in variant.qa if f.code in ("untranslated", "wrong-script")]
        assert variant.provenance.to_dict()["qa"]["policy"] == "fail"

    class NumberDropping(RecordingPseudo):
        def translate_batch(self, texts, source, target):
            return [kzt.Translation(t.text.replace("100", "10")) for t in super().translate_batch(texts, source, target)]

    variant = kzt.Translator(NumberDropping()).translate(article, to="en")["en"]
    assert [f.code for f in variant.qa] == ["number-mismatch"]


def test_site_labels_are_localized_and_only_the_rest_goes_to_the_model():
    text = ("Бүгін, 14:25\nАлматыда жаңа мектеп ашылды\n\nФото: Ақорда баспасөз қызметі\n\n"
            "Қалада мектеп ашылды.\n\nТегтер: білім, мектеп\n\nЧитайте также: Новости дня\n")
    fmt = get_format("text")
    article = fmt.read(text)
    backend = RecordingPseudo()
    variants = kzt.Translator(backend).translate(article, to=["ru", "en"])
    sent = [t for _, _, texts in backend.batches for t in texts]
    assert not any(label in t for t in sent for label in ("Фото", "Тегтер", "Читайте"))
    en = variants["en"]
    assert en.blocks[0].text == "Today, 14:25"
    assert en.blocks[2].text == "Photo: ⟦en⟧ Ақорда баспасөз қызметі"
    assert en.blocks[4].text == "Tags: ⟦en⟧ білім, мектеп"
    assert en.blocks[5].text.startswith("Read also: ⟦en⟧ ")
    ru = variants["ru"]
    assert ru.blocks[0].text == "Сегодня, 14:25"
    assert ru.blocks[5].text == "Читайте также: Новости дня"  # Russian widget text stays as it is in ru
    for variant in variants.values():
        assert [b.role for b in fmt.read(fmt.write(variant)).blocks] == [b.role for b in article.blocks]


@pytest.mark.parametrize(("line", "source", "expected"), [
    ("Сегодня в 09:05", "ru", {"en": "Today, 09:05", "kk": "Бүгін, 09:05", "kk-Latn": "Bügın, 09:05"}),
    ("Yesterday at 18:40", "en", {"ru": "Вчера, 18:40", "kk": "Кеше, 18:40"}),
    ("Кеше 18:40", "kk", {"ru": "Вчера 18:40", "en": "Yesterday 18:40"}),
])
def test_relative_datelines_in_every_language(line, source, expected):
    fmt = get_format("text")
    body = {"ru": "Встреча прошла в Астане.", "en": "The meeting was held in Astana.", "kk": "Жиын Астанада өтті."}
    article = fmt.read(f"{line}\n{body[source]}\n\n{body[source]}\n", language=source)
    variants = kzt.Translator("pseudo").translate(article, to=list(expected))
    for language, text in expected.items():
        assert variants[language].blocks[0].text == text
        assert fmt.read(fmt.write(variants[language])).blocks[0].meta["relative"] == article.blocks[0].meta["relative"]


def test_the_articles_own_language_is_left_out_of_several_targets():
    article = kzt.read(EXAMPLE)
    variants = kzt.translate(article, to=["kk", "ru", "en"], backend="pseudo")
    assert sorted(variants) == ["en", "ru"]
    with pytest.raises(kzt.UsageError, match="already in 'kk'"):
        kzt.translate(article, to=["kk"], backend="pseudo")
