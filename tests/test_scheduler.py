"""Scheduler: dedupe, order restoration, token-budget batching, translation-memory use."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doubles import CountingBackend
from kztranslate.engine.base import Decoding, MixedBatchBackend
from kztranslate.engine.memory import TranslationMemory
from kztranslate.engine.scheduler import Scheduler, SegmentRequest

PARAGRAPH = [
    "Астанада жаңа мектеп ашылды.",
    "Мектеп үш жүз оқушыға арналған.",
    "Салтанатты шараға әкім қатысты.",
    "Ғимарат екі жылда салынды.",
    "Оқушылар қуанышты.",
]


def requests_for(texts, targets=("ru",), source="kk"):
    return [SegmentRequest(text, source, target, (target, i)) for target in targets for i, text in enumerate(texts)]


def test_dedupes_per_pair_and_restores_order():
    backend = CountingBackend()
    texts = ["Бөлісу:", PARAGRAPH[0], "Бөлісу:", PARAGRAPH[1], PARAGRAPH[0], "Бөлісу:"]
    requests = requests_for(texts, targets=("ru", "en"))
    scheduler = Scheduler(backend)

    schedule = scheduler.run(requests)
    results = schedule.outputs

    assert [r.text for r in results] == [backend.expected(q.text, q.target).text for q in requests]
    # each distinct text once per pair, never twice
    for target in ("ru", "en"):
        sent = [t for texts_, _, tgt in backend.calls for t in texts_ if tgt == target]
        assert sorted(sent) == sorted(set(texts))
    assert all(r.meta["origin"] == "model" for r in results)
    stats = schedule.stats
    assert (stats.segments, stats.unique, stats.model_segments, stats.memory_hits) == (12, 6, 6, 0)
    assert stats.batches == len(backend.calls)


def test_batches_are_sorted_longest_first_within_a_pair():
    backend = CountingBackend()
    texts = ["бір", "бір екі үш төрт бес", "бір екі", "бір екі үш"]
    Scheduler(backend, max_batch_tokens=1000).translate(requests_for(texts))
    (batch, _, _), = backend.calls
    assert [len(t.split()) for t in batch] == [5, 3, 2, 1]


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 40), min_size=1, max_size=60),
    budget=st.integers(40, 300),
    size=st.integers(1, 16),
)
def test_a_batch_never_exceeds_the_token_budget(lengths, budget, size):
    backend = CountingBackend()
    texts = [" ".join(f"сөз{i}_{k}" for k in range(n)) for i, n in enumerate(lengths)]
    scheduler = Scheduler(backend, max_batch_tokens=budget, max_batch_size=size)

    results = scheduler.translate(requests_for(texts))

    assert [r.text for r in results] == [backend.expected(t, "ru").text for t in texts]
    assert sorted(backend.sent) == sorted(texts)
    for batch, _, _ in backend.calls:
        counts = [len(t.split()) for t in batch]
        assert max(counts) * len(batch) <= budget
        assert len(batch) <= size
    # full batches: merging two neighbours would have broken a limit
    for (first, _, _), (second, _, _) in zip(backend.calls, backend.calls[1:]):
        longest = max(len(t.split()) for t in first + second[:1])
        assert len(first) == size or longest * (len(first) + 1) > budget


def test_a_segment_longer_than_the_budget_goes_alone():
    backend = CountingBackend()
    long = " ".join(["сөз"] * 50)
    Scheduler(backend, max_batch_tokens=20).translate(requests_for([long, "қысқа", "тағы қысқа"]))
    assert backend.calls[0][0] == [long]
    assert all(len(batch) * max(len(t.split()) for t in batch) <= 20 for batch, _, _ in backend.calls[1:])


def test_memory_hits_never_reach_the_backend():
    memory = TranslationMemory(":memory:")
    backend = CountingBackend()
    scheduler = Scheduler(backend, memory=memory)
    requests = requests_for(PARAGRAPH, targets=("ru", "en"))
    first = scheduler.translate(requests)
    assert len(backend.sent) == 10

    backend.calls.clear()
    schedule = scheduler.run(requests)
    second = schedule.outputs

    assert backend.calls == []
    assert [r.text for r in second] == [r.text for r in first]
    assert {r.meta["origin"] for r in second} == {"memory"}
    stats = schedule.stats
    assert (stats.memory_hits, stats.model_segments, stats.batches) == (10, 0, 0)


def test_an_edited_segment_alone_goes_to_the_model():
    backend = CountingBackend()
    scheduler = Scheduler(backend, memory=":memory:")
    scheduler.translate(requests_for(PARAGRAPH, targets=("ru", "en")))
    backend.calls.clear()
    edited = list(PARAGRAPH)
    edited[2] = "Салтанатты шараға облыс әкімі қатысты."

    results = scheduler.translate(requests_for(edited, targets=("ru", "en")))

    assert sorted(backend.calls) == sorted([([edited[2]], "kk", "en"), ([edited[2]], "kk", "ru")])
    assert [r.meta["origin"] for r in results[:5]] == ["memory", "memory", "model", "memory", "memory"]
    assert results[2].text == backend.expected(edited[2], "ru").text


def test_whitespace_and_unicode_variants_hit_the_same_entry():
    backend = CountingBackend()
    scheduler = Scheduler(backend, memory=":memory:")
    scheduler.translate(requests_for(["Мұнай бағасы — 80 доллар."]))
    backend.calls.clear()
    variant = unicodedata.normalize("NFD", "Мұнай  бағасы\u00a0— 80\nдоллар.")
    assert variant != "Мұнай бағасы — 80 доллар."

    results = scheduler.translate(requests_for([variant, "Мұнай бағасы өсті."]))

    assert results[0].meta["origin"] == "memory"
    assert backend.sent == ["Мұнай бағасы өсті."]


def test_post_edit_wins_over_machine_output_and_skips_the_model():
    memory = TranslationMemory(":memory:")
    backend = CountingBackend()
    scheduler = Scheduler(backend, memory=memory)
    scheduler.translate(requests_for(PARAGRAPH))
    memory.store_post_edit(PARAGRAPH[1], "Школа рассчитана на триста учеников.", "kk", "ru", backend.signature())
    backend.calls.clear()

    schedule = scheduler.run(requests_for(PARAGRAPH))
    results = schedule.outputs

    assert results[1].text == "Школа рассчитана на триста учеников."
    assert results[1].meta["origin"] == "post_edit"
    assert backend.calls == []
    assert schedule.stats.post_edits == 1 and schedule.stats.memory_hits == 4


def test_post_edit_applies_whatever_the_model():
    memory = TranslationMemory(":memory:")
    memory.store_post_edit(PARAGRAPH[0], "В Астане открылась новая школа.", "kk", "ru")
    other = CountingBackend(model="another-model", revision=None, decoding=Decoding(beams=5))
    results = Scheduler(other, memory=memory).translate(requests_for(PARAGRAPH[:2]))
    assert results[0].text == "В Астане открылась новая школа."
    assert other.sent == [PARAGRAPH[1]]
    # ...but only for its own pair
    english = Scheduler(other, memory=memory).translate(requests_for(PARAGRAPH[:1], targets=("en",)))
    assert english[0].meta["origin"] == "model"


@pytest.mark.parametrize(
    "change",
    [
        {"decoding": Decoding(beams=4)},
        {"decoding": Decoding(beams=1, max_new_tokens=64)},
        {"model": "other-model"},
        {"revision": "r2"},
    ],
    ids=["beam-size", "length-limit", "model", "revision"],
)
def test_decoding_model_and_revision_are_part_of_the_key(change):
    memory = TranslationMemory(":memory:")
    Scheduler(CountingBackend(), memory=memory).translate(requests_for(PARAGRAPH))
    changed = CountingBackend(**change)
    results = Scheduler(changed, memory=memory).translate(requests_for(PARAGRAPH))
    assert sorted(changed.sent) == sorted(PARAGRAPH)
    assert {r.meta["origin"] for r in results} == {"model"}


def test_the_pair_is_part_of_the_key():
    memory = TranslationMemory(":memory:")
    Scheduler(CountingBackend(), memory=memory).translate(requests_for(PARAGRAPH, targets=("ru",)))
    backend = CountingBackend()
    Scheduler(backend, memory=memory).translate(requests_for(PARAGRAPH, targets=("en",)))
    assert sorted(backend.sent) == sorted(PARAGRAPH)


def test_volatile_signature_parts_do_not_split_the_memory():
    memory = TranslationMemory(":memory:")
    Scheduler(CountingBackend(threads=1), memory=memory).translate(requests_for(PARAGRAPH))
    backend = CountingBackend(threads=8)
    Scheduler(backend, memory=memory).translate(requests_for(PARAGRAPH))
    assert backend.calls == []


def test_truncated_outputs_are_stored_flagged_and_come_back_flagged():
    memory = TranslationMemory(":memory:")
    backend = CountingBackend(truncate_over=3)
    scheduler = Scheduler(backend, memory=memory)
    first = scheduler.translate(requests_for(PARAGRAPH))
    assert [r.truncated for r in first] == [True, True, True, True, False]
    assert memory.stats()["truncated"] == 4
    backend.calls.clear()

    schedule = scheduler.run(requests_for(PARAGRAPH))
    again = schedule.outputs

    assert backend.calls == []
    assert [(r.text, r.truncated) for r in again] == [(r.text, r.truncated) for r in first]
    assert schedule.stats.truncated == 4
    # a longer output limit is another key: the model gets a second chance
    roomier = CountingBackend(decoding=Decoding(beams=1, max_new_tokens=256))
    Scheduler(roomier, memory=memory).translate(requests_for(PARAGRAPH))
    assert sorted(roomier.sent) == sorted(PARAGRAPH)


def test_progress_counts_every_request_including_memory_hits():
    backend = CountingBackend()
    scheduler = Scheduler(backend, memory=":memory:", max_batch_tokens=8)
    scheduler.translate(requests_for(PARAGRAPH[:3]))
    seen: list[int] = []
    requests = requests_for(PARAGRAPH + PARAGRAPH[:2], targets=("ru", "en"))
    scheduler.translate(requests, progress=seen.append)
    assert sum(seen) == len(requests)


def test_the_backend_object_is_reused_across_calls():
    backend = CountingBackend()
    scheduler = Scheduler(backend)
    for text in PARAGRAPH:
        scheduler.translate(requests_for([text]))
    assert scheduler.backend is backend
    assert len(backend.calls) == len(PARAGRAPH)


# -- batches across language pairs -----------------------------------------------------------------

class MixingBackend(CountingBackend):
    """A :class:`CountingBackend` that also decodes mixed batches; ``mixed_calls`` logs each one's items.
    ``groups`` maps a pair to its batch group (default: every pair mixes)."""

    def __init__(self, groups: dict[tuple[str, str], str] | None = None, **options) -> None:
        super().__init__(**options)
        self.groups = groups or {}
        self.mixed_calls: list[list[tuple[str, str, str]]] = []

    def batch_group(self, source: str, target: str) -> str | None:
        return self.groups.get((source, target))

    def translate_mixed(self, items):
        self.mixed_calls.append(list(items))
        return [self.expected(text, target) for text, _, target in items]


def test_a_mixing_backend_gets_one_batch_for_an_article_into_two_languages():
    backend = MixingBackend()
    assert isinstance(backend, MixedBatchBackend) and not isinstance(CountingBackend(), MixedBatchBackend)
    texts = PARAGRAPH + ["Бөлісу:", "Бөлісу:"]
    requests = requests_for(texts, targets=("ru", "en"))
    scheduler = Scheduler(backend)

    schedule = scheduler.run(requests)
    results, stats = schedule.outputs, schedule.stats

    assert [r.text for r in results] == [backend.expected(q.text, q.target).text for q in requests]
    assert backend.calls == []
    (batch,) = backend.mixed_calls
    assert sorted(batch) == sorted({(q.text, q.source, q.target) for q in requests})  # deduped per pair
    assert [len(text.split()) for text, _, _ in batch] == sorted((len(t.split()) for t, _, _ in batch), reverse=True)
    assert (stats.segments, stats.unique, stats.model_segments, stats.batches) == (14, 12, 12, 1)
    assert stats.meta["padded_tokens"] == 5 * 12  # longest segment × count, counted once


def test_a_backend_without_mixed_batches_gets_one_stream_per_pair():
    backend = CountingBackend()
    scheduler = Scheduler(backend)
    stats = scheduler.run(requests_for(PARAGRAPH, targets=("ru", "en"))).stats
    assert sorted((source, target, len(texts)) for texts, source, target in backend.calls) == [
        ("kk", "en", 5), ("kk", "ru", 5)]
    assert stats.batches == 2


def test_mixed_batches_keep_to_the_token_budget_and_the_backends_groups():
    backend = MixingBackend(groups={("kk", "ru"): "cyrillic", ("en", "ru"): "cyrillic", ("kk", "en"): "latin"})
    requests = requests_for(PARAGRAPH, targets=("ru", "en")) + requests_for(["The mayor spoke today."], source="en")
    results = Scheduler(backend, max_batch_tokens=15).translate(requests)

    assert [r.text for r in results] == [backend.expected(q.text, q.target).text for q in requests]
    for batch in backend.mixed_calls:
        assert len({backend.groups[source, target] for _, source, target in batch}) == 1
        assert max(len(text.split()) for text, _, _ in batch) * len(batch) <= 15
    assert any(len({(s, t) for _, s, t in batch}) > 1 for batch in backend.mixed_calls)
    assert sorted(item for batch in backend.mixed_calls for item in batch) == sorted(
        {(q.text, q.source, q.target) for q in requests})


def test_mixed_batches_use_and_fill_the_memory_per_pair():
    memory = TranslationMemory(":memory:")
    backend = MixingBackend()
    scheduler = Scheduler(backend, memory=memory)
    scheduler.translate(requests_for(PARAGRAPH[:2], targets=("ru",)))
    backend.mixed_calls.clear()

    results = scheduler.translate(requests_for(PARAGRAPH[:3], targets=("ru", "en")))

    (batch,) = backend.mixed_calls
    assert sorted(batch) == sorted([(t, "kk", "en") for t in PARAGRAPH[:3]] + [(PARAGRAPH[2], "kk", "ru")])
    assert [r.meta["origin"] for r in results] == ["memory", "memory", "model", "model", "model", "model"]
    backend.mixed_calls.clear()
    again = scheduler.translate(requests_for(PARAGRAPH[:3], targets=("ru", "en")))
    assert backend.mixed_calls == [] and [r.text for r in again] == [r.text for r in results]
