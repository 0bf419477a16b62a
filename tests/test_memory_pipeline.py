"""End to end: re-translating an edited article sends only the edited text to the model."""

from __future__ import annotations

from doubles import CountingBackend
from kztranslate.document import Article, Block
from kztranslate.engine.memory import TranslationMemory
from kztranslate.pipeline import Translator
from kztranslate.segmentation import split_sentences

PARAGRAPHS = [
    "Астанада жаңа мектеп ашылды. Мектеп үш жүз оқушыға арналған.",
    "Салтанатты шараға қала әкімі қатысты. Ол мұғалімдерді құттықтады.",
    "Ғимарат екі жылда салынды. Құрылысқа бюджеттен қаржы бөлінді.",
    "Келесі жылы тағы екі мектеп салу жоспарланып отыр.",
]


def article(paragraphs: list[str]) -> Article:
    return Article(
        language="kk",
        blocks=[Block("headline", "Астанада жаңа мектеп ашылды"), *(Block("paragraph", p) for p in paragraphs)],
    )


def test_editing_one_paragraph_sends_only_that_paragraph_to_the_model(tmp_path):
    path = tmp_path / "memory.sqlite"
    backend = CountingBackend()
    first = Translator(backend, memory=str(path)).translate(article(PARAGRAPHS), to=["ru", "en"])
    assert backend.calls, "the first translation must use the model"
    assert first["ru"].provenance.meta["memory"]["hits"] == 0

    edited = list(PARAGRAPHS)
    edited[1] = "Салтанатты шараға облыс әкімі қатысты. Ол мұғалімдерді құттықтады."
    changed = {s.strip() for s in split_sentences(edited[1], "kk")} - {
        s.strip() for p in PARAGRAPHS for s in split_sentences(p, "kk")
    }
    assert changed  # the edit changed at least one sentence
    backend.calls.clear()
    # a new Translator, as a later process would make: only the memory file is shared
    second = Translator(backend, memory=TranslationMemory(path)).translate(article(edited), to=["ru", "en"])

    for target in ("ru", "en"):
        sent = [t for texts, _, tgt in backend.calls for t in texts if tgt == target]
        assert sorted(sent) == sorted(changed), target
        before, after = first[target].blocks, second[target].blocks
        assert [b.text for i, b in enumerate(after) if i != 2] == [b.text for i, b in enumerate(before) if i != 2]
        assert after[2].text != before[2].text
        memory = second[target].provenance.meta["memory"]
        assert memory["hits"] == memory["segments"] - len(changed) > 0
