"""What every backend of Hugging Face translation checkpoints shares, whatever runs the weights.

:class:`HFBackendBase` finds a checkpoint (a preset or Hub id through the Hugging Face cache:
``HF_HUB_CACHE``/``HUGGINGFACE_HUB_CACHE``/``TRANSFORMERS_CACHE``/``HF_HOME``, ``HF_HUB_OFFLINE``/
``TRANSFORMERS_OFFLINE``, a pinned revision; or a local directory), knows
its family and limits, and implements the parts of the Backend protocol that do not depend on the
runtime (``signature``, ``supports``, ``with_decoding``, ``max_input_tokens``). :class:`ModelText`
drives the family's tokenizer: source language, target signal, language tokens, the tokens allowed
in each target language, and turning output ids into a :class:`Translation`.

The transformers and CTranslate2 backends build on both, so a model gives the same tokens, the
same target signal and the same ``truncated`` flag through either runtime. Nothing here imports
torch; transformers only inside :meth:`ModelText.load`.
"""

from __future__ import annotations

import copy
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..errors import ModelUnavailableError, UsageError
from .base import BackendSignature, Decoding, Translation
from .registry import ModelFamily, ResolvedModel, describe_directory, resolve_model

__all__ = ["HFBackendBase", "ModelText", "checked_decoding", "has_weights", "one_line", "require_torch", "short_reason",
           "TARGET_SCRIPTS"]

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json",
                "pytorch_model.bin", "pytorch_model.bin.index.json")
_HUB_FILES = ["*.json", "*.model", "*.spm", "*.txt"]
# T5 has relative positions and no architectural output limit; cap it like NLLB's positions.
DEFAULT_OUTPUT_LIMIT = 1024
#: Texts whose token count :meth:`ModelText.count_tokens` remembers.
_COUNT_CACHE_SIZE = 100_000

#: Unicode scripts (first word of a letter's Unicode name) each target language is written in; a
#: restricted output vocabulary keeps the pieces whose letters are all of these scripts, and the
#: pieces without letters (punctuation, digits, the ``[[1]]`` placeholders, inline markers).
TARGET_SCRIPTS: dict[str, frozenset[str]] = {
    "kk": frozenset({"CYRILLIC"}),
    "ru": frozenset({"CYRILLIC"}),
    "en": frozenset({"LATIN"}),
}


class HFBackendBase:
    """The runtime-independent half of a backend for a Hugging Face translation checkpoint.

    Subclasses set :attr:`name`, call :meth:`_init_checkpoint` (or set the same attributes for a
    model they find otherwise) and implement ``count_tokens`` and ``translate_batch``.
    """

    name: ClassVar[str]
    resolved: ResolvedModel
    revision: str | None
    decoding: Decoding
    model_dir: Path
    family: ModelFamily
    _max_input_tokens: int
    _output_limit: int
    restrict_vocabulary: bool = False
    """Whether outputs are restricted to the pieces of the target language's script."""

    def _init_checkpoint(self, model: str | os.PathLike[str] | None, revision: str | None) -> None:
        """Resolve ``model``, find (or download) its files and read its limits."""
        self.resolved = resolve_model(model)
        if revision is not None and self.resolved.path is not None:
            raise UsageError(f"--revision applies to Hub models, not to the local directory {self.resolved.path}")
        preset = self.resolved.preset
        self.revision = revision if revision is not None else (preset.revision if preset else None)
        self.model_dir = self._locate()
        if self.resolved.family is None:  # a Hub id that is no preset: its files tell the family
            self.resolved = describe_directory(self.model_dir, hub_id=self.resolved.hub_id)
        self.family = self.resolved.family  # type: ignore[assignment]  # known once located
        config = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
        self._set_limits(config.get("max_position_embeddings"))

    def _set_limits(self, positions: int | None) -> None:
        self._max_input_tokens = min(self.family.max_input_tokens, positions or self.family.max_input_tokens)
        self._output_limit = positions or DEFAULT_OUTPUT_LIMIT

    # -- the Backend protocol ------------------------------------------------------------------
    def signature(self) -> BackendSignature:
        extra = self._signature_extra()
        return BackendSignature(self.name, self.resolved.name, self.snapshot_revision, self.decoding, extra)

    def _signature_extra(self) -> dict[str, Any]:
        """Settings beyond model and decoding that change the output (so they key the memory too)."""
        return {"vocabulary": "target script"} if self.restrict_vocabulary else {}

    @property
    def snapshot_revision(self) -> str | None:
        """The Hub commit of the checkpoint (its snapshot directory's name); None for a local directory."""
        return self.model_dir.name if self.resolved.hub_id else None

    def with_decoding(self, decoding: Decoding) -> Any:
        """The same model (shared, not reloaded) decoding with ``decoding`` (the ``Redecodable`` extension)."""
        twin = copy.copy(self)
        twin.decoding = checked_decoding(decoding)
        return twin

    def supports(self, source: str, target: str) -> bool:
        if source == target:
            return False
        pairs = self.resolved.language_pairs
        return pairs is None or (source, target) in pairs

    @property
    def max_input_tokens(self) -> int:
        return self._max_input_tokens

    def _check_restriction(self) -> None:
        if self.restrict_vocabulary and self.family.target_signal == "fixed":
            raise UsageError(
                f"restrict_vocabulary needs a multilingual model; {self.resolved.name!r} ({self.family.name}) "
                "translates one direction only, so it has no target language to restrict to"
            )

    def _check_direction(self, source: str, target: str) -> None:
        if not self.supports(source, target):
            raise UsageError(
                f"model {self.resolved.name!r} does not translate {source} → {target}; it translates "
                f"{_pairs_text(self.resolved.language_pairs)} (see `kztranslate models`)"
            )

    # -- finding the checkpoint ----------------------------------------------------------------
    def _locate(self) -> Path:
        """The directory holding the model's files, downloading into the Hugging Face cache if allowed."""
        if self.resolved.path is not None:
            if not has_weights(self.resolved.path):
                raise ModelUnavailableError(
                    f"no model weights in {self.resolved.path} (looked for {', '.join(WEIGHT_FILES)}); "
                    "pass --model PATH to a directory made by `save_pretrained` or downloaded from the Hub"
                )
            return self.resolved.path
        hub_id = self.resolved.hub_id
        assert hub_id is not None  # not a directory → a Hub repository
        cache, chosen_by = _hub_cache_dir()
        snapshot = _cached_snapshot(hub_id, self.revision, cache)
        if snapshot is not None:
            return snapshot
        offline = _offline_variable()
        if offline is not None:
            raise ModelUnavailableError(self._missing_message(cache, chosen_by, f"{offline} forbids downloading"))
        return self._download(hub_id, cache, chosen_by)

    def _download(self, hub_id: str, cache: Path, chosen_by: str) -> Path:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import GatedRepoError

        try:
            # Safetensors when the repository has them, else the PyTorch pickles; never both.
            folder = Path(snapshot_download(
                hub_id, revision=self.revision, cache_dir=cache, allow_patterns=[*_HUB_FILES, "*.safetensors"]
            ))
            if not has_weights(folder):
                folder = Path(snapshot_download(
                    hub_id, revision=self.revision, cache_dir=cache, allow_patterns=[*_HUB_FILES, "pytorch_model*.bin"]
                ))
        except GatedRepoError as exc:
            raise ModelUnavailableError(
                f"{hub_id} is gated: accept its conditions at https://huggingface.co/{hub_id} and log in\n"
                "(`hf auth login`, or set HF_TOKEN) to download it, or pass --model PATH to a downloaded copy",
                detail=one_line(exc),
            ) from exc
        except Exception as exc:  # network, HTTP and file errors all mean: not available
            raise ModelUnavailableError(
                self._missing_message(cache, chosen_by, f"downloading failed ({type(exc).__name__})"),
                detail=one_line(exc),
            ) from exc
        if not has_weights(folder):
            raise ModelUnavailableError(
                self._missing_message(cache, chosen_by, f"the repository at {folder} has no weights"))
        return folder

    def _missing_message(self, cache: Path, chosen_by: str, reason: str) -> str:
        """Two lines: what is missing where and why, then how to provide it."""
        hub_id = self.resolved.hub_id
        assert hub_id is not None
        preset = self.resolved.preset
        named = f"model {preset.name!r} ({hub_id})" if preset else f"model {hub_id}"
        revision = f" at revision {self.revision}" if self.revision else ""
        repo_dir = cache / f"models--{hub_id.replace('/', '--')}"
        return (
            f"{named}{revision} is not in the Hugging Face cache {repo_dir} ({chosen_by}) and {reason}\n"
            f"to fix: `hf download {hub_id} --local-dir PATH` on a connected machine, copy PATH here and pass "
            "--model PATH (or copy that machine's cache and point HF_HOME at it)"
        )


def require_torch(what: str) -> None:
    """A :class:`UsageError` saying how to install PyTorch, unless it is installed (without importing it)."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise UsageError(
            f"{what} needs PyTorch, which is not installed: pip install 'kztranslate[torch]'; without it, "
            "translate with --backend ctranslate2 --model DIR, a model already converted (`kztranslate models convert`)"
        )


def one_line(exc: BaseException) -> str:
    """An exception's whole text as one line (the Hub's errors span several): an error's ``detail``."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def short_reason(exc: BaseException, limit: int = 100) -> str:
    """The start of an exception's first line, for a message that must stay short."""
    lines = str(exc).strip().splitlines()
    first = " ".join(lines[0].split()) if lines else ""
    if not first:
        return type(exc).__name__
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


@dataclass(slots=True)
class ModelText:
    """A family's tokenizer and what it means: input preparation, target signal, output decoding."""

    family: ModelFamily
    """The model's family."""
    tokenizer: Any
    """The transformers tokenizer of the checkpoint (shared state: callers serialize its use)."""
    model_name: str
    """How errors name the model."""
    language_token_ids: frozenset[int]
    """Ids of every language token of the vocabulary (dropped from outputs)."""
    token_counts: dict[str, int] = field(default_factory=dict)
    """Token counts of texts already counted (bounded: cleared when full)."""

    @classmethod
    def load(cls, family: ModelFamily, directory: Path, model_name: str) -> ModelText:
        """The tokenizer of the checkpoint in ``directory`` (a :class:`ModelUnavailableError` if it cannot load)."""
        import transformers

        try:
            tokenizer = getattr(transformers, family.tokenizer_class).from_pretrained(directory)
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            raise ModelUnavailableError(
                f"cannot load the tokenizer of model {model_name!r} from {directory} ({short_reason(exc)})\n"
                f"check the directory holds the tokenizer files of family {family.name!r} ({family.tokenizer_class})",
                detail=one_line(exc),
            ) from exc
        pattern = re.compile(family.language_token_pattern) if family.language_token_pattern else None
        language_ids = frozenset(
            token_id for token, token_id in tokenizer.get_vocab().items() if pattern and pattern.fullmatch(token)
        )
        if hasattr(tokenizer, "lang_token_to_id"):  # M2M100 keeps its language tokens outside get_vocab()
            language_ids |= frozenset(tokenizer.lang_token_to_id.values())
        return cls(family, tokenizer, model_name, language_ids)

    def prepare(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """``texts`` with the target prefix of prefix families; sets the tokenizer's source language."""
        tokenizer = self.tokenizer
        if self.family.target_signal == "forced_bos":
            tokenizer.src_lang = self.family.language_codes[source]
        elif self.family.target_signal in ("prefix", "marian_prefix"):
            # A prefix the vocabulary lacks would be split into pieces and translated as text.
            token = self.family.target_prefix(target).strip()
            if tokenizer.convert_tokens_to_ids(token) == tokenizer.unk_token_id:
                raise UsageError(f"model {self.model_name!r} has no language token {token!r} for {target}")
        return [self.family.target_prefix(target) + text for text in texts]

    def count_tokens(self, text: str) -> int:
        # Remembered: the pipeline counts every sentence of an article again on each re-translation.
        count = self.token_counts.get(text)
        if count is None:
            prefix_tokens = 1 if self.family.target_signal in ("prefix", "marian_prefix") else 0
            count = len(self.tokenizer(text)["input_ids"]) + prefix_tokens
            if len(self.token_counts) >= _COUNT_CACHE_SIZE:
                self.token_counts.clear()
            self.token_counts[text] = count
        return count

    def target_token_id(self, target: str) -> int | None:
        """The first decoder token of forced-BOS families (the target code); None for the others."""
        if self.family.target_signal != "forced_bos":
            return None
        tokenizer = self.tokenizer
        code = self.family.language_codes[target]
        token_id = (tokenizer.get_lang_id(code) if hasattr(tokenizer, "get_lang_id")
                    else tokenizer.convert_tokens_to_ids(code))
        if token_id is None or token_id == tokenizer.unk_token_id:
            raise UsageError(f"model {self.model_name!r} has no language token {code!r} for {target}")
        return token_id

    def target_vocabulary(self, targets: Iterable[str], vocabulary_size: int) -> frozenset[int]:
        """Ids a restricted decoder may emit for any of ``targets``: pieces written in their scripts,
        pieces without letters, end/unknown tokens and the forced target codes; never other languages' codes."""
        scripts = frozenset().union(*(TARGET_SCRIPTS[t] for t in targets))
        tokenizer = self.tokenizer
        pieces = tokenizer.convert_ids_to_tokens(list(range(vocabulary_size)))
        allowed = {
            i for i, piece in enumerate(pieces)
            if piece is not None and i not in self.language_token_ids and piece_scripts(piece) <= scripts
        }
        allowed -= set(tokenizer.all_special_ids)  # "<unk>", "</s>": letters, but no script
        allowed |= {t for t in (tokenizer.eos_token_id, tokenizer.unk_token_id) if t is not None}
        allowed |= {i for t in targets if (i := self.target_token_id(t)) is not None}
        allowed.discard(tokenizer.pad_token_id)
        return frozenset(allowed)

    def finish(self, generated: Sequence[int], end_ids: set[int], budget: int, input_tokens: int,
               max_input_tokens: int) -> Translation:
        """The :class:`Translation` of output ids ``generated`` (decoder start excluded)."""
        stop = next((i for i, token in enumerate(generated) if token in end_ids), None)
        # A batch decodes to the largest budget; hold each segment to its own.
        finished = stop is not None and stop < budget
        content = generated[:stop] if finished else generated[:budget]
        pad = self.tokenizer.pad_token_id
        words = [t for t in content if t not in self.language_token_ids and t != pad]
        text = self.tokenizer.decode(words, skip_special_tokens=True).strip()
        meta: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": len(content)}
        input_cut = input_tokens > max_input_tokens
        if input_cut:
            meta["input_truncated"] = True
        return Translation(text, truncated=not finished or input_cut, meta=meta)


def piece_scripts(piece: str) -> frozenset[str]:
    """Unicode scripts of the letters of a vocabulary piece (empty for punctuation, digits, ``▁``)."""
    return frozenset(unicodedata.name(c, "UNKNOWN").split(" ", 1)[0] for c in piece if c.isalpha())


def checked_decoding(decoding: Decoding) -> Decoding:
    """``decoding``, if a backend can run it; a :class:`UsageError` naming the bad setting otherwise."""
    d = decoding
    rules = {
        "beams": isinstance(d.beams, int) and d.beams >= 1,
        "max_new_tokens": d.max_new_tokens is None or (isinstance(d.max_new_tokens, int) and d.max_new_tokens >= 1),
        "max_length_ratio": isinstance(d.max_length_ratio, (int, float)) and d.max_length_ratio > 0,
        "min_new_tokens": isinstance(d.min_new_tokens, int) and d.min_new_tokens >= 0,
        "repetition_penalty": isinstance(d.repetition_penalty, (int, float)) and d.repetition_penalty > 0,
        "no_repeat_ngram_size": isinstance(d.no_repeat_ngram_size, int) and d.no_repeat_ngram_size >= 0,
        "length_penalty": isinstance(d.length_penalty, (int, float)),
    }
    bad = [f"{name}={getattr(d, name)!r}" for name, ok in rules.items() if not ok]
    if bad:
        raise UsageError(
            f"invalid decoding settings: {', '.join(bad)}; beams ≥ 1, max_new_tokens ≥ 1 (or unset), "
            "min_new_tokens ≥ 0, max_length_ratio > 0, repetition_penalty > 0, no_repeat_ngram_size ≥ 0"
        )
    return decoding


def _pairs_text(pairs: Sequence[tuple[str, str]] | None) -> str:
    return ", ".join(f"{s} → {t}" for s, t in pairs) if pairs else "any direction"


_TRUE = {"1", "ON", "YES", "TRUE"}
#: Variables that name the Hugging Face hub cache, strongest first: huggingface_hub's two, then the
#: one transformers 4 read (transformers 5 ignores it; a cache made under it is still found).
_CACHE_VARIABLES = ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE")


def _offline_variable() -> str | None:
    """The variable that forbids downloads (``HF_HUB_OFFLINE``, else ``TRANSFORMERS_OFFLINE``), or None.

    Read at call time (huggingface_hub reads them once, at import); like huggingface_hub, a set
    ``HF_HUB_OFFLINE`` decides alone, ``TRANSFORMERS_OFFLINE`` only counts when it is unset."""
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        value = os.environ.get(variable)
        if value:
            return variable if value.upper() in _TRUE else None
    return None


def _hub_cache_dir() -> tuple[Path, str]:
    """The Hugging Face hub cache from the environment of now, and what chose it (a variable's name,
    or a description of the default)."""
    for variable in _CACHE_VARIABLES:
        if os.environ.get(variable):
            return _expand(os.environ[variable]), variable
    if os.environ.get("HF_HOME"):
        return _expand(os.environ["HF_HOME"]) / "hub", "HF_HOME"
    if os.environ.get("XDG_CACHE_HOME"):
        return _expand(os.environ["XDG_CACHE_HOME"]) / "huggingface" / "hub", "XDG_CACHE_HOME (HF_HOME unset)"
    return Path("~/.cache/huggingface/hub").expanduser(), "the default: HF_HOME unset"


def _expand(value: str) -> Path:
    return Path(os.path.expandvars(value)).expanduser()


def _cached_snapshot(hub_id: str, revision: str | None, cache: Path) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    config = try_to_load_from_cache(hub_id, "config.json", cache_dir=cache, revision=revision)
    if not isinstance(config, str):
        return None
    snapshot = Path(config).parent
    return snapshot if has_weights(snapshot) else None


def has_weights(folder: Path) -> bool:
    """Whether ``folder`` holds complete transformers weights (every shard of a sharded checkpoint)."""
    for name in WEIGHT_FILES:
        file = folder / name
        if not file.is_file():
            continue
        if not name.endswith(".index.json"):
            return True
        shards = set(json.loads(file.read_text(encoding="utf-8")).get("weight_map", {}).values())
        return bool(shards) and all((folder / shard).is_file() for shard in shards)
    return False
