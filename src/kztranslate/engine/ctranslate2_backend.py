"""The CTranslate2 backend: the same checkpoints as the transformers backend, quantized and fast.

``--model`` names a preset, a Hub id or a local transformers directory, which is converted once
(on first use, with :class:`ctranslate2.converters.TransformersConverter`, the tokenizer files
copied beside) into ``user_cache_dir("kztranslate")/ct2/<model-id>@<revision>-<quantization>``
(``$KZTRANSLATE_CT2_CACHE`` or ``cache_dir=`` moves it) and reused from then on; or a directory
already converted (``model.bin`` + ``config.json`` + the tokenizer files), loaded as it is.
Translating never imports torch (a bare install runs converted models); converting does, through
the converter (``kztranslate[torch]``).

Tokenization, target signal, language-token handling and the ``truncated`` flag come from
:mod:`kztranslate.engine.hf_model`, shared with the transformers backend, so at float32 greedy
both give the same outputs. int8 on CPU by default, int8_float16 on CUDA.

``restrict_vocabulary=True`` decodes with CTranslate2's vocabulary map (``vmap.txt``, written at
conversion for multilingual families): the output projection covers only the pieces of the target
script, plus pieces without letters. The map is keyed on source tokens, so prefix families
(MADLAD ``<2ru>``, OPUS-MT ``>>rus<<``) get exactly their target's script; NLLB/M2M100 carry the
target only in the decoder prefix, which the map cannot key on, so they get the scripts of every
target reachable from the source language (kk → Cyrillic and Latin).

Every example carries its own languages (source code and forced target code per row, or the
target prefix on the input), so the backend is a :class:`~kztranslate.engine.base.MixedBatchBackend`:
the scheduler batches an article's Russian and English segments together.

``trim_target="kk,ru,en"`` (or ``kztranslate models convert --trim-target``, or a preset's
``trim_target``) converts with a trimmed *target* vocabulary (:mod:`kztranslate.engine.trim`): the
decoder embeddings, output projection and target vocabulary keep only the pieces those languages
need, the encoder keeps the full source vocabulary. The kept ids and the corpus they came from are
recorded in the conversion's ``kztranslate.json`` and in :meth:`CTranslate2Backend.signature`
(provenance, translation-memory key). Greedy outputs equal the full model's whenever those use only
kept pieces.

The encoder pass is not shared across target languages: ``ctranslate2.Translator`` has no call
that returns encoder states or accepts them (only ``Encoder``/``Generator``/``Whisper`` models
expose ``forward_batch``), so each target language re-encodes its segments.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from ..errors import BackendError, ModelUnavailableError, UsageError
from .base import Decoding, Translation
from .hf_model import HFBackendBase, ModelText, checked_decoding, one_line, require_torch, short_reason
from .registry import FAMILIES, ModelFamily, ResolvedModel
from .trim import (
    SourceTrim,
    TargetTrim,
    kept_source_ids,
    kept_target_ids,
    parse_languages,
    respell,
    restrict_bpe_tokenizer,
)

__all__ = ["CTranslate2Backend", "COMPUTE_TYPES", "convert_checkpoint", "default_cache_dir", "physical_cores"]

#: Compute types CTranslate2 accepts (the names double as conversion quantizations).
COMPUTE_TYPES = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16", "float32")
#: Weights stored on disk for each compute type (the int8 variants share one int8 conversion).
_STORED = {"int8_float32": "int8", "int8_float16": "int8", "int8_bfloat16": "int8"}
CACHE_ENV = "KZTRANSLATE_CT2_CACHE"
#: Written beside every conversion we make: what it was converted from.
MARKER = "kztranslate.json"
_VMAP = "vmap.txt"
_CT2_FILES = ("model.bin", "config.json")


@dataclass(slots=True)
class _Loaded:
    """A CTranslate2 translator and its tokenizer, loaded once per process and shared."""

    translator: Any
    """The ``ctranslate2.Translator``."""
    text: ModelText
    """The family's tokenizer and its language handling."""
    vocabulary: list[str]
    """The converted model's target vocabulary (all of the checkpoint's, or the kept pieces of a trimmed one)."""
    token_ids: dict[str, int]
    """Token → the checkpoint's id (position in the full vocabulary; M2M100's filler words have no tokenizer id)."""
    lock: threading.Lock
    """Held while the tokenizer's source language is set and used (it is shared state)."""
    source_pieces: frozenset[str] | None = None
    """The encoder's pieces of a conversion trimmed on the source side (None: the full vocabulary)."""
    longest_source_piece: int = 0
    """Characters in the longest of ``source_pieces``."""

    @property
    def tokenizer(self) -> Any:
        return self.text.tokenizer


_LOADED: dict[tuple[Any, ...], _Loaded] = {}
_LOADED_LOCK = threading.Lock()
_CONVERT_LOCK = threading.Lock()


class CTranslate2Backend(HFBackendBase):
    """Translate with a CTranslate2 conversion of a Hugging Face checkpoint (NLLB, M2M100, MADLAD, OPUS-MT, T5).

    >>> backend = CTranslate2Backend("nllb-200-distilled-600M", decoding=Decoding(beams=4))  # doctest: +SKIP
    >>> backend.translate_batch(["Сәлем, әлем!"], "kk", "ru")[0].text                          # doctest: +SKIP
    """

    name: ClassVar[str] = "ctranslate2"

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        revision: str | None = None,
        decoding: Decoding | None = None,
        device: str | None = None,
        compute_type: str | None = None,
        inter_threads: int | None = None,
        intra_threads: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        restrict_vocabulary: bool = False,
        trim_target: str | Sequence[str] | None = None,
        trim_corpus: Sequence[str | os.PathLike[str]] | None = None,
        trim_source: bool = False,
    ) -> None:
        self.decoding = checked_decoding(decoding or Decoding())
        self.device, self.device_index = _parse_device(device)
        if compute_type is not None and compute_type not in COMPUTE_TYPES:
            raise UsageError(f"unknown compute type {compute_type!r}; choose one of: {', '.join(COMPUTE_TYPES)}")
        self.compute_type = compute_type or ("int8_float16" if self.device == "cuda" else "int8")
        self.inter_threads = _threads("inter_threads", inter_threads, 1)
        self.intra_threads = _threads("intra_threads", intra_threads, physical_cores())
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        self.restrict_vocabulary = bool(restrict_vocabulary)
        self.trim_corpus = tuple(str(Path(p).expanduser().resolve()) for p in (trim_corpus or ()))
        self._trim: TargetTrim | None = None
        self._source_trim: SourceTrim | None = None
        self.trim_source = bool(trim_source)
        converted = _converted_directory(model)
        if converted is not None:
            if revision is not None:
                raise UsageError(f"--revision applies to Hub models, not to the converted directory {converted}")
            self._init_converted(converted)
            self._read_trims(converted)
            self.trim_source = self._source_trim is not None
            wanted = parse_languages(trim_target) if trim_target else None
            if wanted is not None and (self._trim is None or self._trim.languages != wanted):
                raise UsageError(
                    f"{converted} is a CTranslate2 conversion whose target vocabulary is "
                    f"{'trimmed to ' + ','.join(self._trim.languages) if self._trim else 'not trimmed'}; convert "
                    f"the original checkpoint with `kztranslate models convert --trim-target {','.join(wanted)}`"
                )
            self.trim_target = self._trim.languages if self._trim else None
        else:
            self._init_checkpoint(model, revision)
            preset = self.resolved.preset
            if trim_target is None and preset is not None and preset.trim_target:
                trim_target = preset.trim_target
            self.trim_target = parse_languages(trim_target) if trim_target else None
            if self.trim_target is not None and self.family.target_signal == "fixed":
                raise UsageError(
                    f"--trim-target needs a multilingual model; {self.resolved.name!r} ({self.family.name}) writes "
                    "one language only"
                )
            if self.trim_source and self.trim_target is None:
                raise UsageError("--trim-source needs --trim-target LANGS (e.g. --trim-target kk,ru,en)")
            self.ct2_dir = self.cache_dir / self._cache_name()
        self._check_restriction()

    def _init_converted(self, path: Path) -> None:
        marker = _read_marker(path)
        family = FAMILIES.get(str(marker.get("family"))) or _family_of_converted(path)
        pairs = None if family.target_signal == "fixed" else tuple(
            (s, t) for s in family.language_codes for t in family.language_codes if s != t
        )
        self.resolved = ResolvedModel(family, path=path.resolve(), language_pairs=pairs)
        self.revision = None
        self.model_dir = self.ct2_dir = path.resolve()
        self.family = family
        self._set_limits(marker.get("max_position_embeddings"))

    @property
    def quantization(self) -> str:
        """The weights stored by the conversion this backend uses."""
        return _STORED.get(self.compute_type, self.compute_type)

    def _signature_extra(self) -> dict[str, Any]:
        extra = {**super()._signature_extra(), "compute_type": self.compute_type}
        trim = self.target_trim()
        if trim is not None:  # it changes outputs, so it keys the translation memory too
            extra["target_vocabulary"] = trim.signature()
        source_trim = self.source_trim()
        if source_trim is not None:
            extra["source_vocabulary"] = source_trim.signature()
        return extra

    def target_trim(self) -> TargetTrim | None:
        """The kept target pieces of a trimmed conversion (converting first if need be); None if not trimmed."""
        if self.trim_target is not None and self._trim is None:
            self._read_trims(self.convert())
        return self._trim

    def source_trim(self) -> SourceTrim | None:
        """The kept source pieces of a conversion trimmed on both sides (converting first if need be)."""
        if self.trim_source and self._source_trim is None:
            self._read_trims(self.convert())
        return self._source_trim

    def _read_trims(self, directory: Path) -> None:
        marker = _read_marker(directory)
        self._trim, self._source_trim = _marker_trim(marker), _marker_source_trim(marker)

    def supports(self, source: str, target: str) -> bool:
        if self.trim_target is not None and target not in self.trim_target:
            return False  # its decoder can no longer write that language
        if self.trim_source and self.trim_target is not None and source not in self.trim_target:
            return False  # its encoder kept the codes of the trimmed languages only
        return super().supports(source, target)

    # -- the Backend protocol (supports, with_decoding, max_input_tokens: HFBackendBase) ------------
    def count_tokens(self, text: str, language: str) -> int:
        return self._load().text.count_tokens(text)

    def translate_batch(self, texts: Sequence[str], source: str, target: str) -> list[Translation]:
        return self.translate_mixed([(text, source, target) for text in texts])

    # -- MixedBatchBackend: every example carries its own languages -----------------------------
    def batch_group(self, source: str, target: str) -> Hashable:
        # The vocabulary map restricts a whole batch to the union of its examples' entries, keyed on
        # the source code (forced-BOS families) or the target prefix (the others): mix only within a key.
        if not self.restrict_vocabulary:
            return None
        return source if self.family.target_signal == "forced_bos" else target

    def translate_mixed(self, items: Sequence[tuple[str, str, str]]) -> list[Translation]:
        if not items:
            return []
        pairs: dict[tuple[str, str], list[int]] = {}
        for position, (_, source, target) in enumerate(items):
            pairs.setdefault((source, target), []).append(position)
        for source, target in pairs:
            self._check_direction(source, target)
        loaded = self._load()
        tokenizer = loaded.tokenizer
        source_tokens: list[list[str]] = [[] for _ in items]
        prefixes: list[list[str]] = [[] for _ in items]
        lengths = [0] * len(items)
        for (source, target), positions in pairs.items():
            with loaded.lock:  # the tokenizer's source language is per pair
                prepared = loaded.text.prepare([items[p][0] for p in positions], source, target)
                full = tokenizer(prepared)["input_ids"]
                cut = list(full)
                long = [i for i, ids in enumerate(full) if len(ids) > self.max_input_tokens]
                if long:  # rare: cut by the tokenizer itself, which keeps its special tokens
                    shortened = tokenizer([prepared[i] for i in long], truncation=True,
                                          max_length=self.max_input_tokens)["input_ids"]
                    for i, ids in zip(long, shortened, strict=True):
                        cut[i] = ids
            target_id = loaded.text.target_token_id(target)
            prefix = [tokenizer.convert_ids_to_tokens(target_id)] if target_id is not None else []
            for position, ids, kept in zip(positions, full, cut, strict=True):
                lengths[position] = len(ids)
                source_tokens[position] = self._encoder_pieces(loaded, tokenizer.convert_ids_to_tokens(kept))
                prefixes[position] = prefix
        budgets = [self.decoding.output_budget(min(n, self.max_input_tokens), self._output_limit) for n in lengths]
        try:
            results = loaded.translator.translate_batch(
                source_tokens, prefixes if any(prefixes) else None, **self._options(loaded, max(budgets))
            )
        except (RuntimeError, ValueError) as exc:  # CTranslate2 raises these for bad inputs and out-of-memory
            directions = ", ".join(f"{source} → {target}" for source, target in pairs)
            raise BackendError(
                f"model {self.resolved.name!r} failed on a batch of {len(items)} segment(s) {directions}: "
                f"{exc}; check the decoding settings ({self.decoding.to_dict()}) and the device's free memory"
            ) from exc
        ends = {tokenizer.eos_token_id}
        return [
            loaded.text.finish([loaded.token_ids[t] for t in result.hypotheses[0]], ends, budget, n,
                               self.max_input_tokens)
            for result, budget, n in zip(results, budgets, lengths, strict=True)
        ]

    def _encoder_pieces(self, loaded: _Loaded, tokens: list[str]) -> list[str]:
        """``tokens`` as the encoder reads them: on a source-trimmed conversion a piece outside its
        list is spelled with kept ones, and the result is cut again to the length limit."""
        kept = loaded.source_pieces
        if kept is None or all(token in kept for token in tokens):
            return tokens
        unknown = str(loaded.tokenizer.unk_token)
        spelled = [piece for token in tokens for piece in (
            [token] if token in kept else respell(token, kept, loaded.longest_source_piece, unknown))]
        if len(spelled) > self.max_input_tokens:  # keep the closing special token, as the tokenizer's cut does
            spelled = spelled[:self.max_input_tokens - 1] + spelled[-1:]
        return spelled

    def _options(self, loaded: _Loaded, max_new_tokens: int) -> dict[str, Any]:
        d = self.decoding
        pad = loaded.tokenizer.pad_token
        return {
            "beam_size": d.beams,
            "num_hypotheses": 1,
            # Both count the forced target code, like transformers' max_new_tokens/min_new_tokens.
            "max_decoding_length": max_new_tokens,
            "min_decoding_length": min(d.min_new_tokens, max_new_tokens),
            "repetition_penalty": d.repetition_penalty,
            "no_repeat_ngram_size": d.no_repeat_ngram_size,
            "length_penalty": d.length_penalty,
            "max_input_length": 0,  # inputs are already cut to max_input_tokens, special tokens kept
            "return_end_token": True,  # an output ending in </s> finished; one without it was truncated
            # Padding is never a word; CTranslate2 drops Marian's <pad> from the vocabulary altogether.
            "suppress_sequences": [[pad]] if pad in loaded.vocabulary else None,
            "use_vmap": self.restrict_vocabulary,
        }

    # -- converting and loading ----------------------------------------------------------------
    def _cache_name(self) -> str:
        if self.resolved.hub_id:
            model_id = self.resolved.hub_id.replace("/", "--")
            revision = self.model_dir.name  # the snapshot's commit
        else:
            model_id = f"{self.model_dir.name}-{hashlib.sha1(str(self.model_dir).encode()).hexdigest()[:8]}"
            weights = sorted(p for p in self.model_dir.iterdir() if p.suffix in (".safetensors", ".bin"))
            stamp = "".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns};" for p in weights)
            revision = "local-" + hashlib.sha1(stamp.encode()).hexdigest()[:10]
        name = f"{model_id}@{revision}-{self.quantization}"
        if self.trim_target is not None:
            stamp = "".join(f"{p}:{_stamp(Path(p))};" for p in self.trim_corpus)
            name += f"-trim-{'.'.join(self.trim_target)}" + (
                f"-{hashlib.sha1(stamp.encode()).hexdigest()[:8]}" if stamp else "")
            if self.trim_source:
                name += "-source"
        return name

    def convert(self, output: str | os.PathLike[str] | None = None, *, force: bool = False) -> Path:
        """The converted model directory: ``output`` (default: the cache entry), converted now unless
        it already holds a conversion (or ``force``)."""
        target = Path(output).expanduser() if output is not None else self.ct2_dir
        if self.ct2_dir == self.model_dir:  # a converted directory was given
            if output is not None:
                raise UsageError(f"{self.model_dir} is already a CTranslate2 model; convert the original checkpoint")
            return target
        with _CONVERT_LOCK:
            if force or not _is_converted(target):
                convert_checkpoint(self.model_dir, self.family, target, self.quantization,
                                   source_name=self.resolved.name, revision=self.snapshot_revision, force=force,
                                   trim_target=self.trim_target, trim_corpus=self.trim_corpus,
                                   trim_source=self.trim_source)
        return target

    def _load(self) -> _Loaded:
        key = (str(self.ct2_dir), self.device, self.device_index, self.compute_type, self.inter_threads,
               self.intra_threads)
        with _LOADED_LOCK:
            loaded = _LOADED.get(key)
            if loaded is None:
                loaded = _LOADED[key] = self._load_uncached()
        if self.restrict_vocabulary and not (self.ct2_dir / _VMAP).is_file():
            raise UsageError(
                f"{self.ct2_dir} has no vocabulary map ({_VMAP}); convert the model with "
                "`kztranslate models convert` to write one, or leave restrict_vocabulary off"
            )
        return loaded

    def _load_uncached(self) -> _Loaded:
        import ctranslate2  # type: ignore[import-untyped]  # ships no type information

        directory = self.convert()
        text = ModelText.load(self.family, directory, self.resolved.name)
        try:
            translator = ctranslate2.Translator(
                str(directory), device=self.device, device_index=self.device_index, compute_type=self.compute_type,
                inter_threads=self.inter_threads, intra_threads=self.intra_threads,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelUnavailableError(
                f"cannot load the CTranslate2 model {self.resolved.name!r} from {directory} on {self.device} "
                f"({self.compute_type}): {short_reason(exc)}\n"
                "check it is a complete conversion (model.bin, config.json, tokenizer files; `kztranslate models "
                f"convert` remakes one), or choose another --device or --compute-type ({', '.join(COMPUTE_TYPES)})",
                detail=one_line(exc),
            ) from exc
        vocabulary = _target_vocabulary(directory)
        marker = _read_marker(directory)
        trim = _marker_trim(marker)
        ids = trim.ids if trim is not None else range(len(vocabulary))
        if len(ids) != len(vocabulary):
            raise ModelUnavailableError(
                f"{directory}: the target vocabulary has {len(vocabulary)} pieces but {MARKER} records {len(ids)} "
                "kept ids; reconvert it with `kztranslate models convert --force`"
            )
        source_pieces = None
        if _marker_source_trim(marker) is not None:
            source_pieces = frozenset(_vocabulary(directory, "source_vocabulary"))
        return _Loaded(translator, text, vocabulary, dict(zip(vocabulary, ids)), threading.Lock(), source_pieces,
                       max(map(len, source_pieces), default=0) if source_pieces else 0)


def convert_checkpoint(source: Path, family: ModelFamily, output: Path, quantization: str = "int8", *,
                       source_name: str | None = None, revision: str | None = None, force: bool = False,
                       trim_target: Sequence[str] | None = None, trim_corpus: Sequence[str | os.PathLike[str]] = (),
                       trim: TargetTrim | None = None, trim_source: bool = False,
                       source_trim: SourceTrim | None = None) -> Path:
    """Convert the transformers checkpoint in ``source`` to a CTranslate2 model in ``output``.

    The tokenizer files are copied beside the weights, a vocabulary map (``vmap.txt``) is written for
    multilingual families, and :data:`MARKER` records the source. The conversion is built in a
    temporary directory and renamed into place, so a crash never leaves half a model behind.

    ``trim_target`` (languages, with ``trim_corpus`` text files added to the shipped corpus) or an
    explicit ``trim`` keeps only those target pieces (:mod:`kztranslate.engine.trim`); the encoder
    keeps the full source vocabulary unless ``trim_source`` (or an explicit ``source_trim``) trims it too.
    """
    if quantization not in COMPUTE_TYPES:
        raise UsageError(f"unknown quantization {quantization!r}; choose one of: {', '.join(COMPUTE_TYPES)}")
    require_torch(f"converting {source_name or source} to CTranslate2")
    from ctranslate2.converters import TransformersConverter  # type: ignore[import-untyped]
    if output.exists() and not force and any(output.iterdir()):
        raise UsageError(f"{output} exists and is not empty; choose another --output or pass --force")
    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        tokenizer_files = [p.name for p in sorted(source.iterdir()) if _is_tokenizer_file(p)]
        config = json.loads((source / "config.json").read_text(encoding="utf-8"))
        text = None  # one tokenizer load for both lists (a 256 k-piece one takes seconds and 100 MB)
        if (trim is None and trim_target) or (source_trim is None and trim_source):
            text = ModelText.load(family, source, source_name or str(source))
        if trim is None and trim_target:
            trim = kept_target_ids(text, trim_target, int(config["vocab_size"]),
                                   config.get("decoder_start_token_id"), [os.fspath(p) for p in trim_corpus])
        if source_trim is None and trim_source:
            if trim is None:
                raise UsageError("--trim-source needs --trim-target LANGS (e.g. --trim-target kk,ru,en)")
            source_trim = kept_source_ids(text, trim, [os.fspath(p) for p in trim_corpus])
        converter = _trimming_converter(TransformersConverter)(str(source), copy_files=tokenizer_files, trim=trim,
                                                               source_trim=source_trim)
        with _M2M100VocabularyFix():
            converter.convert(str(work), quantization=quantization, force=True)
        trim, source_trim = converter._trim, converter._source_trim
        has_vmap = family.target_signal != "fixed"
        if has_vmap:
            _write_vocabulary_map(work, family, source_name or str(source), trim)
        if source_trim is not None and trim is not None:
            source_trim = _restrict_tokenizer(work, source_trim, trim)
        marker = {
            "family": family.name, "source": source_name or str(source), "revision": revision,
            "quantization": quantization, "max_position_embeddings": config.get("max_position_embeddings"),
            "vocabulary_map": has_vmap, "target_vocabulary": trim.to_marker() if trim is not None else None,
            "source_vocabulary": source_trim.to_marker() if source_trim is not None else None,
        }
        (work / MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")
        if force and output.exists():
            shutil.rmtree(output)
        try:
            work.rename(output)
        except OSError:
            if not _is_converted(output):  # another process finished first: its copy is as good as ours
                raise
    except Exception as exc:
        shutil.rmtree(work, ignore_errors=True)
        if isinstance(exc, (UsageError, ModelUnavailableError)):
            raise
        raise ModelUnavailableError(
            f"cannot convert {source_name or source} to CTranslate2 ({quantization}): {short_reason(exc)}\n"
            "check the directory holds a complete transformers checkpoint with its tokenizer files",
            detail=one_line(exc),
        ) from exc
    return output


def default_cache_dir() -> Path:
    """Where conversions are cached: ``$KZTRANSLATE_CT2_CACHE``, else ``user_cache_dir("kztranslate")/ct2``."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("kztranslate")) / "ct2"


def physical_cores() -> int:
    """Physical cores this process may run on (hyper-threads do not speed up GEMMs)."""
    logical = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return logical
    cores, physical = set(), "0"
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "physical id":
            physical = value.strip()
        elif key.strip() == "core id":
            cores.add((physical, value.strip()))
    return max(1, min(logical, len(cores) or logical))


def _parse_device(device: str | None) -> tuple[str, int]:
    if device in (None, "auto"):
        import ctranslate2  # type: ignore[import-untyped]  # ships no type information

        return ("cuda", 0) if ctranslate2.get_cuda_device_count() > 0 else ("cpu", 0)
    kind, _, index = str(device).partition(":")
    if kind in ("cpu", "cuda") and (not index or index.isdigit()):
        return kind, int(index or 0)
    raise UsageError(f"unknown device {device!r} for CTranslate2; use cpu, cuda, cuda:N or auto")


def _threads(name: str, value: int | None, default: int) -> int:
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UsageError(f"{name} must be a whole number ≥ 1, not {value!r}")
    return value


def _converted_directory(model: str | os.PathLike[str] | None) -> Path | None:
    if model is None:
        return None
    path = Path(model).expanduser()
    return path if _is_converted(path) else None


def _is_converted(path: Path) -> bool:
    return all((path / name).is_file() for name in _CT2_FILES)


def _is_tokenizer_file(path: Path) -> bool:
    if path.name in ("config.json", "generation_config.json") or path.name.startswith("model."):
        return False
    return path.suffix in (".json", ".model", ".spm", ".txt") and not path.name.endswith(".index.json")


def _read_marker(path: Path) -> dict[str, Any]:
    try:
        data = json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _family_of_converted(path: Path) -> ModelFamily:
    """The family of a conversion made elsewhere, from the tokenizer files copied beside it."""
    try:
        config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    tokenizer_class = str(config.get("tokenizer_class") or "")
    tokens = set(_target_vocabulary(path))
    if tokenizer_class.startswith("Nllb"):
        return FAMILIES["nllb"]
    if tokenizer_class.startswith("M2M100"):
        return FAMILIES["m2m100"]
    if tokenizer_class.startswith("Marian"):
        return (FAMILIES["marian-multi"] if any(t.startswith(">>") and t.endswith("<<") for t in tokens)
                else FAMILIES["marian"])
    if tokenizer_class.startswith("T5"):
        madlad = FAMILIES["madlad"]
        return madlad if set(madlad.language_codes.values()) <= tokens else FAMILIES["t5"]
    raise UsageError(
        f"cannot tell which model family the CTranslate2 model in {path} belongs to (tokenizer "
        f"{tokenizer_class or 'unknown'!r}); convert with `kztranslate models convert`, or copy the tokenizer "
        "files (tokenizer_config.json and the vocabulary) of the original checkpoint beside model.bin"
    )


def _target_vocabulary(path: Path) -> list[str]:
    return _vocabulary(path, "target_vocabulary")


def _vocabulary(path: Path, side: str) -> list[str]:
    """The conversion's ``side`` (source_vocabulary or target_vocabulary) list, shared or not."""
    for name in ("shared_vocabulary", side):
        if (path / f"{name}.json").is_file():
            return json.loads((path / f"{name}.json").read_text(encoding="utf-8"))
        if (path / f"{name}.txt").is_file():
            return (path / f"{name}.txt").read_text(encoding="utf-8").split("\n")[:-1]
    raise ModelUnavailableError(f"{path} has no vocabulary file (shared_vocabulary.json); reconvert the model")


def _write_vocabulary_map(directory: Path, family: ModelFamily, model_name: str, trim: TargetTrim | None) -> None:
    """``vmap.txt``: per language token of the source side, the pieces the decoder may emit."""
    text = ModelText.load(family, directory, model_name)
    pieces_of = dict(zip(trim.ids, _target_vocabulary(directory))) if trim is not None else dict(
        enumerate(_target_vocabulary(directory)))
    size = trim.full_size if trim is not None else len(pieces_of)
    lines = []
    for language in family.language_codes:
        if family.target_signal == "forced_bos":  # keyed on the source code: every target reachable from it
            key = text.tokenizer.convert_ids_to_tokens(text.target_token_id(language))
            targets = [t for t in family.language_codes if t != language]
        else:  # keyed on the target prefix token
            key, targets = family.target_prefix(language).strip(), [language]
        if trim is not None:
            targets = [t for t in targets if t in trim.languages]
            if not targets:
                continue
        allowed = text.target_vocabulary(targets, size)
        pieces = [pieces_of[i] for i in sorted(allowed)
                  if pieces_of.get(i) and not any(c.isspace() for c in pieces_of[i])]
        lines.append(f"{key}\t{' '.join(pieces)}\n")
    (directory / _VMAP).write_text("".join(lines), encoding="utf-8")


def _marker_trim(marker: dict[str, Any]) -> TargetTrim | None:
    record = marker.get("target_vocabulary")
    return TargetTrim.from_marker(record) if isinstance(record, dict) else None


def _restrict_tokenizer(directory: Path, source_trim: SourceTrim, trim: TargetTrim) -> SourceTrim:
    """Cut the conversion's ``tokenizer.json`` down to the pieces both trimmed sides keep, where it is a
    BPE one (:func:`~kztranslate.engine.trim.restrict_bpe_tokenizer`): a 256 k-piece tokenizer takes
    about 100 MB of memory, a quarter of the int8 model trimmed on both sides."""
    path = directory / "tokenizer.json"
    if not path.is_file():
        return source_trim  # a SentencePiece-only tokenizer (M2M100, OPUS-MT): kept whole
    restricted = restrict_bpe_tokenizer(json.loads(path.read_text(encoding="utf-8")),
                                        set(source_trim.ids) | set(trim.ids))
    if restricted is None:
        return source_trim
    path.write_text(json.dumps(restricted, ensure_ascii=False), encoding="utf-8")
    return replace(source_trim, restricted_tokenizer=True)


def _marker_source_trim(marker: dict[str, Any]) -> SourceTrim | None:
    record = marker.get("source_vocabulary")
    return SourceTrim.from_marker(record) if isinstance(record, dict) else None


def _stamp(path: Path) -> str:
    """Size and modification time of a file, or of every file under a directory."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return ",".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files if p.exists())


def _trimming_converter(base: type) -> type:
    """``base`` (CTranslate2's TransformersConverter) that keeps only ``trim``'s pieces on the target
    side: rows of the decoder embeddings and output projection (and its bias), target vocabulary;
    and ``source_trim``'s on the source side: rows of the encoder embeddings, source vocabulary."""

    class TrimmingConverter(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, trim: TargetTrim | None = None, source_trim: SourceTrim | None = None,
                     **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._trim = trim
            self._source_trim = source_trim

        def _load(self) -> Any:
            spec = super()._load()
            if self._trim is not None:
                self._trim = _trim_spec(spec, self._trim)
            if self._source_trim is not None:
                self._source_trim = _trim_source_spec(spec, self._source_trim)
            return spec

    return TrimmingConverter


def _trim_spec(spec: Any, trim: TargetTrim) -> TargetTrim:
    """Cut ``spec``'s target side down to ``trim``'s ids; the trim actually applied (CTranslate2
    drops Marian's trailing <pad> from the vocabulary, so that id is never kept)."""
    vocabularies = spec._vocabularies["target"]  # the converter registered the full list
    tokens = vocabularies[0] if len(vocabularies) == 1 else []
    if not trim.full_size - 1 <= len(tokens) <= trim.full_size:
        raise UsageError(
            f"cannot trim: the checkpoint's target vocabulary has {len(tokens)} pieces, the kept list was made "
            f"for {trim.full_size}; make the list from this checkpoint's tokenizer"
        )
    rows = [i for i in trim.ids if i < len(tokens)]

    decoder = spec.decoder
    decoder.embeddings.weight = _rows(decoder.embeddings.weight, rows)
    decoder.projection.weight = _rows(decoder.projection.weight, rows)
    if decoder.projection.has_bias():
        decoder.projection.bias = _rows(decoder.projection.bias, rows)
    spec._vocabularies["target"] = [[tokens[i] for i in rows]]
    return TargetTrim(trim.languages, tuple(rows), len(tokens), trim.corpus)


def _trim_source_spec(spec: Any, trim: SourceTrim) -> SourceTrim:
    """Cut ``spec``'s source side down to ``trim``'s ids (encoder embeddings, source vocabulary)."""
    vocabularies = spec._vocabularies["source"]
    tokens = vocabularies[0] if len(vocabularies) == 1 else []
    embeddings = spec.encoder.embeddings
    if not trim.full_size - 1 <= len(tokens) <= trim.full_size or not isinstance(embeddings, list):
        raise UsageError(
            f"cannot trim the source side: the checkpoint's source vocabulary has {len(tokens)} pieces, the kept "
            f"list was made for {trim.full_size}; make the list from this checkpoint's tokenizer"
        )
    rows = [i for i in trim.ids if i < len(tokens)]
    embeddings[0].weight = _rows(embeddings[0].weight, rows)
    spec._vocabularies["source"] = [[tokens[i] for i in rows]]
    return SourceTrim(tuple(rows), len(tokens))


def _rows(value: Any, rows: list[int]) -> Any:
    """The ``rows`` of a weight (a torch tensor or an array), as a new contiguous one."""
    import numpy as np

    if hasattr(value, "index_select"):  # a torch tensor
        import torch

        return value.detach().index_select(0, torch.tensor(rows, dtype=torch.long)).contiguous()
    return np.ascontiguousarray(np.asarray(value)[rows])


class _M2M100VocabularyFix:
    """CTranslate2 4.8 builds M2M100 vocabularies from ``get_vocab()``, which in transformers 5
    lacks the language tokens; take every id of the tokenizer instead (filler words past its end)."""

    def __enter__(self) -> None:
        from ctranslate2.converters import transformers as converters  # type: ignore[import-untyped]

        self._loaders = converters._MODEL_LOADERS
        self._original = self._loaders["M2M100Config"]

        class Loader(type(self._original)):  # type: ignore[misc]
            def get_vocabulary(self, model: Any, tokenizer: Any) -> list[str]:
                tokens: list[str] = []
                seen: set[str] = set()
                for token in tokenizer.convert_ids_to_tokens(list(range(model.config.vocab_size))):
                    if token is None or token in seen:  # ids past the tokenizer all read as <unk>
                        token = f"madeupword{len(tokens)}"
                    seen.add(token)
                    tokens.append(token)
                return tokens

        self._loaders["M2M100Config"] = Loader()

    def __exit__(self, *exc: object) -> None:
        self._loaders["M2M100Config"] = self._original
