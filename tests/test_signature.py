"""BackendSignature: the memory key stays what it was, the JSON form round-trips, the stamp reads back."""

import hashlib
import json
from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kztranslate import BackendSignature, Decoding, __version__
from kztranslate.document import Provenance
from kztranslate.engine.base import VOLATILE_SIGNATURE_KEYS
from kztranslate.engine.memory import TranslationMemory
from kztranslate.engine.pseudo import PseudoBackend
from kztranslate.engine.scheduler import Scheduler, SegmentRequest

NLLB = BackendSignature(
    "ctranslate2", "facebook/nllb-200-distilled-600M", "f8d333a098d19b4fd9a8b18f94170487ad3f821d", Decoding(),
    {"compute_type": "int8", "threads": 4,
     "target_vocabulary": {"languages": ["kk", "ru", "en"], "size": 3, "sha256": "ab" * 32, "corpus": ["news"]}},
)
TINY = BackendSignature("transformers", "/models/tiny", None,
                        Decoding(beams=1, max_new_tokens=32, repetition_penalty=1.2), {"vocabulary": "target script"})


def dict_key(signature: dict) -> str:
    """The memory key as computed from the signature dict backends returned before the type:
    sha256 of the sorted, compact JSON without the volatile settings (at any depth)."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE_SIGNATURE_KEYS}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value

    canonical = json.dumps(strip(signature), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# -- the memory key ----------------------------------------------------------------------------

def test_fingerprint_is_the_key_existing_memories_were_written_with():
    # Keys that the dict-based memory code computed for these settings: a change here orphans
    # every translation memory users have.
    assert NLLB.fingerprint() == "c76c9367bd975d68a2717dd198ae2cfbf90826c3b55a7852b653d48e48071565"
    assert TINY.fingerprint() == "0fddafe6d3fbab73a32e3a9c752094f00f6e9d5f24079bcdbe4867701a6b6c1e"


json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
extras = st.dictionaries(
    st.sampled_from(["compute_type", "vocabulary", "threads", "device", "target_vocabulary", "quantization"]),
    json_scalars | st.dictionaries(st.sampled_from(["size", "threads", "languages"]), json_scalars, max_size=3),
    max_size=4,
)
decodings = st.builds(
    Decoding, beams=st.integers(1, 8), max_new_tokens=st.none() | st.integers(1, 512),
    repetition_penalty=st.floats(1.0, 2.0), no_repeat_ngram_size=st.integers(0, 4),
)


@given(st.sampled_from(["transformers", "ctranslate2", "pseudo"]), st.none() | st.text(min_size=1, max_size=12),
       st.none() | st.text(alphabet="0123456789abcdef", min_size=7, max_size=40), decodings, extras)
def test_fingerprint_equals_the_dict_key_for_any_settings(backend, model, revision, decoding, extra):
    signature = BackendSignature(backend, model, revision, decoding, extra)
    old_dict = {"backend": backend, "model": model, "model_revision": revision, "decoding": decoding.to_dict(), **extra}
    assert signature.to_dict() == old_dict
    assert signature.fingerprint() == dict_key(old_dict)
    assert BackendSignature.from_dict(old_dict) == signature


def test_volatile_settings_never_split_the_key_and_output_settings_always_do():
    base = NLLB.fingerprint()
    for key in sorted(VOLATILE_SIGNATURE_KEYS):
        moved = BackendSignature(NLLB.backend, NLLB.model, NLLB.revision, NLLB.decoding, {**NLLB.extra, key: 99})
        assert moved.fingerprint() == base, key
    changed = [
        BackendSignature("transformers", NLLB.model, NLLB.revision, NLLB.decoding, NLLB.extra),
        BackendSignature(NLLB.backend, "other", NLLB.revision, NLLB.decoding, NLLB.extra),
        BackendSignature(NLLB.backend, NLLB.model, None, NLLB.decoding, NLLB.extra),
        BackendSignature(NLLB.backend, NLLB.model, NLLB.revision, Decoding(beams=5), NLLB.extra),
        BackendSignature(NLLB.backend, NLLB.model, NLLB.revision, NLLB.decoding, {**NLLB.extra, "compute_type": "float16"}),
    ]
    assert len({s.fingerprint() for s in changed} | {base}) == len(changed) + 1


def test_a_memory_written_with_the_dict_signature_is_hit_through_the_typed_one(tmp_path):
    backend = PseudoBackend()
    written_before = {"backend": "pseudo", "model": f"pseudo-{__version__}", "model_revision": None,
                      "decoding": Decoding(beams=1).to_dict()}
    texts = ["Астанада жаңа мектеп ашылды.", "Оқушылар қуанышты."]
    memory = TranslationMemory(tmp_path / "tm.sqlite")
    memory.store_many(texts, ["remembered one", "remembered two"], "kk", "ru", written_before)
    results = Scheduler(backend, memory=memory).translate([SegmentRequest(t, "kk", "ru") for t in texts])
    assert [r.text for r in results] == ["remembered one", "remembered two"]
    assert all(r.meta["origin"] == "memory" for r in results)
    memory.close()


# -- forms -------------------------------------------------------------------------------------

def test_of_reads_a_backend_that_still_answers_with_a_dict():
    class DictBackend:
        name = "plugin"

        def signature(self):
            return {"model": "m", "model_revision": "r", "decoding": {"beams": 2}, "threads": 3}

    found = BackendSignature.of(DictBackend())  # type: ignore[arg-type]
    assert found == BackendSignature("plugin", "m", "r", Decoding(beams=2), {"threads": 3})
    assert BackendSignature.of(PseudoBackend()) == PseudoBackend().signature()


def test_extra_cannot_hide_a_field():
    with pytest.raises(ValueError, match="decoding"):
        BackendSignature("pseudo", extra={"decoding": {}})


def test_signatures_are_values():
    assert BackendSignature("pseudo", "m") == BackendSignature("pseudo", "m")
    assert hash(BackendSignature("pseudo", "m", decoding=Decoding(beams=2))) == hash(
        BackendSignature("pseudo", "m", decoding=Decoding(beams=2)))
    assert PseudoBackend().with_decoding(Decoding(beams=3)).signature().decoding.beams == 3


# -- the stamp ---------------------------------------------------------------------------------

def parse_stamp(stamp: str) -> dict[str, str]:
    pairs = [item.split(":", 1) for item in stamp.split("|")]
    assert all(len(pair) == 2 for pair in pairs), stamp
    names = [name for name, _ in pairs]
    assert len(set(names)) == len(names), stamp
    return dict(pairs)  # type: ignore[arg-type]


@pytest.mark.parametrize("signature", [NLLB, TINY, PseudoBackend().signature()])
def test_format_reads_back_as_the_signature(signature):
    stamp = parse_stamp(signature.format())
    assert list(stamp)[:3] == ["backend", "model", "revision"] and list(stamp)[-1] == "version"
    assert stamp["backend"] == signature.backend and stamp["version"] == __version__
    assert stamp["model"] == (signature.model or "none") and stamp["revision"] == (signature.revision or "none")
    for setting in fields(Decoding):
        value = getattr(signature.decoding, setting.name)
        assert stamp[setting.name] == ("none" if value is None else str(value))
    for key, value in signature.extra.items():
        if key in VOLATILE_SIGNATURE_KEYS:
            assert key not in stamp
        elif isinstance(value, dict):
            assert stamp[key].startswith("sha256:") and len(stamp[key]) == len("sha256:") + 12
        else:
            assert stamp[key] == str(value)
    assert str(signature) == signature.format()


def test_format_short_names_and_context_before_the_version():
    long = parse_stamp(NLLB.format(pair="kk-ru", n=500))
    short = parse_stamp(NLLB.format(short=True, pair="kk-ru", n=500))
    assert list(long)[-3:] == ["pair", "n", "version"] and list(short)[-1] == "v"
    assert list(long.values()) == list(short.values())
    assert short["b"] == "ctranslate2" and short["beam"] == "4" and short["rev"] == NLLB.revision
    assert len(NLLB.format(short=True)) < len(NLLB.format())
    nested = dict(NLLB.extra["target_vocabulary"], size=4)
    other = BackendSignature(NLLB.backend, NLLB.model, NLLB.revision, NLLB.decoding, {**NLLB.extra, "target_vocabulary": nested})
    assert parse_stamp(other.format())["target_vocabulary"] != long["target_vocabulary"]


# -- provenance --------------------------------------------------------------------------------

def test_provenance_is_built_from_the_signature_and_gives_it_back():
    provenance = Provenance.from_signature(TINY, "kk", "ru", source_sha256="abc", meta={"qa": {"policy": "flag"}})
    assert (provenance.backend, provenance.model, provenance.model_revision) == ("transformers", "/models/tiny", None)
    assert provenance.decoding == TINY.decoding.to_dict()
    assert provenance.kztranslate_version == __version__ and provenance.created.endswith("+00:00")
    assert provenance.meta == {"signature": TINY.format(), "qa": {"policy": "flag"}}
    back = Provenance.from_dict(json.loads(json.dumps(provenance.to_dict()))).backend_signature()
    assert back == BackendSignature(TINY.backend, TINY.model, TINY.revision, TINY.decoding)  # extras are not recorded


def test_every_variant_carries_its_backend_stamp():
    from kztranslate import Article, Block, Translator

    article = Article(language="kk", blocks=[Block(role="paragraph", text="Астанада жаңа мектеп ашылды.")])
    translator = Translator("pseudo", memory=None)
    variants = translator.translate(article, to="ru,kk-Latn")
    for variant in variants.values():
        record = variant.provenance.to_dict()
        assert record["signature"] == translator.backend.signature().format()
        assert Provenance.from_dict(record).backend_signature().format() == record["signature"]
