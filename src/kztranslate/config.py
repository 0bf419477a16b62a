"""One configuration of a translation, shared by every face: the library, ``translate``, ``batch``,
``serve``, ``eval``, the service and the Ray actors.

:class:`TranslatorConfig` holds every option a :class:`~kztranslate.pipeline.Translator` is made
from and declares its own command-line flags (the pattern of CTranslate2's converters), so each
option has one name, one default and one help text wherever it is set::

    parser = argparse.ArgumentParser()
    TranslatorConfig.add_arguments(parser)
    config = TranslatorConfig.from_args(parser.parse_args())     # flags over KZTRANSLATE_* variables
    translator = Translator.from_config(config)

An option not given on the command line comes from the environment (``KZTRANSLATE_MODEL``,
``KZTRANSLATE_BEAMS``, … see :meth:`TranslatorConfig.from_env`), else from the field's default.
Backends get only the options that were set, under their own names, so a backend never sees an
option it was not asked for.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine.base import Decoding
from .errors import UsageError
from .languages import normalize_language

if TYPE_CHECKING:
    from .engine import Backend
    from .engine.memory import TranslationMemory

__all__ = ["ENV_PREFIX", "MAX_BATCH_TOKENS", "QA_POLICIES", "TranslatorConfig"]

#: What the QA findings of a variant lead to: record them on the variant (``flag``), re-decode
#: flagged segments with stronger settings and keep the better output (``retry``), or raise
#: :class:`~kztranslate.errors.QualityError` when a variant has an error-level finding (``fail``).
QA_POLICIES: tuple[str, ...] = ("flag", "retry", "fail")

#: Tokens of source text in one model batch (the scheduler fills batches up to it).
MAX_BATCH_TOKENS = 2048

#: Prefix of the environment variables :meth:`TranslatorConfig.from_env` reads.
ENV_PREFIX = "KZTRANSLATE_"

#: Backends whose output is not worth remembering: they read the user's translation memory (its
#: post-edits) but never write to it.
_UNREMEMBERED_BACKENDS = frozenset({"pseudo"})

#: Option names a backend spells its own way (``--compute-type`` is the transformers backend's ``dtype``).
_BACKEND_SPELLINGS: dict[str, dict[str, str]] = {
    "ctranslate2": {"threads": "intra_threads"},
    "transformers": {"compute_type": "dtype"},
}

#: Help of each decoding setting (the flags are made from :class:`Decoding`'s fields).
_DECODING_HELP: dict[str, tuple[str, str]] = {
    "beams": ("N", "beam size; 1 = greedy"),
    "max_new_tokens": ("N", "cap on output tokens per segment (default: a multiple of the input's length)"),
    "max_length_ratio": ("X", "output budget per input token when --max-new-tokens is not given"),
    "min_new_tokens": ("N", "force at least this many output tokens (benchmarks)"),
    "repetition_penalty": ("X", "above 1 discourages repeated tokens"),
    "no_repeat_ngram_size": ("N", "forbid repeating n-grams of this size; 0 = off"),
    "length_penalty": ("X", "beam-search length penalty"),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class TranslatorConfig:
    """Every option of a translation; immutable, picklable (Ray actors get a copy), comparable.

    Paths are kept as strings; ``dateline_patterns`` and ``backend_options`` as sorted tuples of
    pairs (a dict is accepted and converted), so the object stays hashable.
    """

    backend: str | None = None
    """Backend name (``ctranslate2``, ``transformers``, ``pseudo`` or a plugin's); None = ctranslate2 where
    installed, else transformers."""
    model: str | None = None
    """Preset name, Hugging Face Hub id or local model directory; None = the default preset."""
    revision: str | None = None
    """Hub revision (commit) to pin."""
    device: str | None = None
    """``cpu``, ``cuda``, ``cuda:N`` or ``auto``; None = the backend's choice (a GPU when there is one)."""
    compute_type: str | None = None
    """Weight and compute type (``int8``, ``int8_float16``, ``float16``, ``bfloat16``, ``float32``, …); None =
    the backend's choice for the device."""
    threads: int | None = None
    """CPU threads per translation (CTranslate2's ``intra_threads``); None = the physical cores."""
    inter_threads: int | None = None
    """Batches a CTranslate2 model decodes in parallel; None = 1."""
    restrict_vocabulary: bool = False
    """Decode only with the target language's pieces (models whose vocabulary map allows it)."""
    decoding: Decoding | None = None
    """Decoding settings; None = the backend's own (beam size 4; the pseudo backend: 1)."""
    max_batch_tokens: int = MAX_BATCH_TOKENS
    """Tokens of source text in one model batch."""
    memory: str | None = None
    """Translation-memory file (``:memory:`` for a private one in RAM); None = none."""
    glossary: str | None = None
    """Glossary file (TSV, CSV or YAML): forced terms and do-not-translate entries."""
    names: str | None = None
    """Names table (TSV, CSV or YAML) overriding the transliteration of person names."""
    dateline_patterns: tuple[tuple[str, str], ...] = ()
    """House-style CLDR pattern of the dateline per target language, e.g. ``(("en", "d MMMM y, HH:mm"),)``."""
    qa: str = "flag"
    """QA policy, one of :data:`QA_POLICIES`."""
    label: bool = False
    """Add a localized machine-translation label to each variant."""
    backend_options: tuple[tuple[str, Any], ...] = ()
    """Further keyword options for the backend (``cache_dir``, ``trim_target``, …), passed as they are."""

    def __post_init__(self) -> None:
        def set_(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        for name in ("model", "memory", "glossary", "names"):
            value = getattr(self, name)
            if isinstance(value, os.PathLike):
                set_(name, os.fspath(value))
        if isinstance(self.dateline_patterns, Mapping):
            set_("dateline_patterns", tuple(self.dateline_patterns.items()))
        set_("dateline_patterns", tuple(sorted((normalize_language(lang), str(pattern))
                                               for lang, pattern in self.dateline_patterns)))
        if isinstance(self.backend_options, Mapping):
            set_("backend_options", tuple(self.backend_options.items()))
        set_("backend_options", tuple(sorted(self.backend_options)))
        own = {f.name for f in fields(self)}
        clash = sorted(own.intersection(name for name, _ in self.backend_options))
        if clash:
            raise UsageError(f"backend option {clash[0]!r} is an option of its own; set it as "
                             f"--{clash[0].replace('_', '-')}, not as a backend option")
        if self.qa not in QA_POLICIES:
            raise UsageError(f"unknown QA policy {self.qa!r}; choose one of: {', '.join(QA_POLICIES)}")
        for name in ("threads", "inter_threads", "max_batch_tokens"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise UsageError(f"--{name.replace('_', '-')} must be a whole number of at least 1, not {value!r}")
        if self.decoding is not None and not isinstance(self.decoding, Decoding):
            raise UsageError(f"decoding must be a Decoding, not {type(self.decoding).__name__}")

    # -- the pieces a translator is made of ----------------------------------------------------------
    @property
    def backend_name(self) -> str:
        """The backend that will run: :attr:`backend`, else the default one."""
        if self.backend:
            return self.backend
        from .engine import default_backend_name

        return default_backend_name()

    def backend_kwargs(self) -> dict[str, Any]:
        """Keyword options for :func:`~kztranslate.engine.load_backend`: only the options that were set,
        under the backend's own names."""
        spelled = _BACKEND_SPELLINGS.get(self.backend_name, {})
        options: dict[str, Any] = {}
        for name in ("model", "revision", "decoding", "device", "compute_type", "threads", "inter_threads"):
            value = getattr(self, name)
            if value is not None:
                options[spelled.get(name, name)] = value
        if self.restrict_vocabulary:
            options["restrict_vocabulary"] = True
        options.update(self.backend_options)
        return options

    def load_backend(self) -> Backend:
        """The backend these options describe (the model loads on first use)."""
        from .engine import load_backend

        return load_backend(self.backend_name, **self.backend_kwargs())

    def open_memory(self) -> TranslationMemory | None:
        """The translation memory; read-only for a backend whose output is not worth remembering
        (``pseudo``) when it is the user's own memory (``$KZTRANSLATE_TM`` or the user cache)."""
        if self.memory is None:
            return None
        from .engine.memory import ReadOnlyMemory, TranslationMemory, default_memory_path

        path = Path(self.memory).expanduser()
        if self.backend_name in _UNREMEMBERED_BACKENDS and self.memory != ":memory:" and \
                path.resolve() == default_memory_path().expanduser().resolve():
            return ReadOnlyMemory(path) if path.is_file() else None
        return TranslationMemory(self.memory)

    def translator_kwargs(self) -> dict[str, Any]:
        """Keyword options of :class:`~kztranslate.pipeline.Translator` other than the backend."""
        name_table = None
        if self.names:
            from .names import NameTable

            name_table = NameTable.load(self.names)
        return {
            "name_table": name_table,
            "glossary": self.glossary,
            "dateline_pattern": dict(self.dateline_patterns) or None,
            "max_batch_tokens": self.max_batch_tokens,
            "memory": self.open_memory(),
            "qa": self.qa,
            "label": self.label,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every field, the decoding settings as a dict (None = the backend's own)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "decoding":
                value = value.to_dict() if value is not None else None
            elif f.name in ("dateline_patterns", "backend_options"):
                value = dict(value)
            out[f.name] = value
        return out

    # -- the environment -------------------------------------------------------------------------
    @classmethod
    def from_env(cls, prefix: str = ENV_PREFIX, *, base: TranslatorConfig | None = None,
                 environ: Mapping[str, str] | None = None) -> TranslatorConfig:
        """``base`` (default: the field defaults) with the options set in the environment.

        Each field is ``<prefix><FIELD>`` (``KZTRANSLATE_MODEL``, ``KZTRANSLATE_COMPUTE_TYPE``,
        ``KZTRANSLATE_LABEL=1``), each decoding setting ``<prefix><SETTING>`` (``KZTRANSLATE_BEAMS``);
        ``KZTRANSLATE_DATELINE_PATTERNS`` holds ``LANG=PATTERN`` entries separated by ``;`` and
        ``KZTRANSLATE_BACKEND_OPTIONS`` a JSON object. An empty variable counts as unset.
        ``KZTRANSLATE_TM`` stays what it was: where the user's own memory lives.
        """
        env = os.environ if environ is None else environ
        base = base or cls()
        changes: dict[str, Any] = {}
        decoding: dict[str, Any] = {}
        for spec in _flag_specs():
            raw = env.get(prefix + spec.name.upper(), "")
            if not raw.strip():
                continue
            variable = prefix + spec.name.upper()
            value = spec.parse_env(raw, variable)
            if spec.decoding:
                decoding[spec.name] = value
            else:
                changes[spec.name] = value
        if decoding:
            changes["decoding"] = replace(base.decoding or Decoding(), **decoding)
        return replace(base, **changes) if changes else base

    # -- the command line ------------------------------------------------------------------------
    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser, *, remember: bool = False,
                      sections: Iterable[str] = ("model", "decoding", "translation")) -> None:
        """Add the flags of every option to ``parser``, in groups ``model``, ``decoding`` and
        ``translation`` (``sections`` picks some). With ``remember``, ``--memory`` defaults to the
        user's own memory (``$KZTRANSLATE_TM``, else ``memory.sqlite`` in the user cache directory)
        rather than to none. Flags left out keep their value from the environment or the defaults."""
        wanted = set(sections)
        groups = {
            "model": parser.add_argument_group("model"),
            "decoding": parser.add_argument_group("decoding (default: the backend's own settings)"),
            "translation": parser.add_argument_group("translation"),
        }
        for spec in _flag_specs(remember=remember):
            if spec.section in wanted:
                spec.add_to(groups[spec.section])
        parser.set_defaults(_remember_memory=remember and "translation" in wanted)

    @classmethod
    def from_args(cls, args: argparse.Namespace, *, base: TranslatorConfig | None = None) -> TranslatorConfig:
        """The options given on the command line over the environment's (:meth:`from_env`) over ``base``."""
        given = vars(args)
        config = cls.from_env(base=base)
        if given.get("_remember_memory") and "memory" not in given and config.memory is None \
                and not os.environ.get(ENV_PREFIX + "MEMORY"):
            from .engine.memory import default_memory_path

            config = replace(config, memory=str(default_memory_path()))
        changes: dict[str, Any] = {}
        decoding: dict[str, Any] = {}
        for spec in _flag_specs():
            if spec.name not in given:
                continue
            value = given[spec.name]
            if spec.decoding:
                decoding[spec.name] = value
            elif spec.name in ("dateline_patterns", "backend_options"):
                changes[spec.name] = dict(value)
            else:
                changes[spec.name] = value
        if decoding:
            changes["decoding"] = replace(config.decoding or Decoding(), **decoding)
        return replace(config, **changes) if changes else config


# -- the flags -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Flag:
    """One command-line flag of a config field (or of a decoding setting)."""

    name: str
    section: str
    help: str
    kind: Callable[[str], Any] = str
    metavar: str | None = None
    decoding: bool = False
    boolean: bool = False
    repeated: bool = False
    choices: tuple[str, ...] | None = None
    spelling: str | None = None

    @property
    def option(self) -> str:
        """``--compute-type``; a repeatable flag names one item (``--dateline-pattern``)."""
        return "--" + (self.spelling or self.name).replace("_", "-")

    def add_to(self, group: Any) -> None:
        names = [self.option]
        if self.boolean:
            group.add_argument(*names, dest=self.name, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=self.help)
        elif self.repeated:
            group.add_argument(*names, dest=self.name, action=_Pairs, type=self.kind, metavar=self.metavar,
                               default=argparse.SUPPRESS, help=self.help)
        else:
            group.add_argument(*names, dest=self.name, type=self.kind, metavar=self.metavar, choices=self.choices,
                               default=argparse.SUPPRESS, help=self.help)
        if self.name == "memory":
            group.add_argument("--no-memory", dest="memory", action="store_const", const=None,
                               default=argparse.SUPPRESS, help="neither read nor write a translation memory")

    def parse_env(self, raw: str, variable: str) -> Any:
        try:
            if self.boolean:
                word = raw.strip().lower()
                if word not in _TRUE | _FALSE:
                    raise ValueError(f"not one of {', '.join(sorted(_TRUE | _FALSE))}")
                return word in _TRUE
            if self.repeated:
                if self.name == "backend_options":
                    value = json.loads(raw)
                    if not isinstance(value, dict):
                        raise ValueError("not a JSON object")
                    return value
                return dict(self.kind(part) for part in raw.split(";") if part.strip())
            value = self.kind(raw.strip())
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"{variable}={raw!r}: {exc}") from exc
        except ValueError as exc:
            wanted = {int: "a whole number", _positive: "a whole number", float: "a number"}.get(self.kind)
            raise UsageError(f"{variable}={raw!r}: {f'not {wanted}' if wanted else exc}") from exc
        if self.choices and value not in self.choices:
            raise UsageError(f"{variable}={raw!r}: choose one of: {', '.join(self.choices)}")
        return value


class _Pairs(argparse.Action):
    """A repeatable ``KEY=VALUE`` flag collected into a dict."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any, option: str | None = None) -> None:
        pairs = dict(getattr(namespace, self.dest, None) or {})
        key, value = values
        pairs[key] = value
        setattr(namespace, self.dest, pairs)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _dateline_pattern(text: str) -> tuple[str, str]:
    lang, sep, pattern = text.partition("=")
    if not sep or not pattern.strip():
        raise argparse.ArgumentTypeError(f"takes LANG=PATTERN, got {text!r}")
    try:
        return normalize_language(lang), pattern
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _backend_option(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"takes KEY=VALUE, got {text!r}")
    try:
        parsed: Any = json.loads(value)  # numbers, true/false, lists; anything else is a string
    except ValueError:
        parsed = value
    return key.strip().replace("-", "_"), parsed


@lru_cache(maxsize=2)
def _flag_specs(remember: bool = False) -> tuple[_Flag, ...]:
    from .engine import available_backends

    memory_default = ("$KZTRANSLATE_TM, else memory.sqlite in the user cache directory; the pseudo backend only "
                      "reads it" if remember else "none")
    flags = [
        _Flag("backend", "model", f"translation backend ({', '.join(available_backends())}; default: ctranslate2 "
              "if installed, else transformers)", metavar="NAME"),
        _Flag("model", "model", "model preset (see `kztranslate models`), Hugging Face Hub id or local directory "
              "(default: the default preset)", metavar="NAME|PATH"),
        _Flag("revision", "model", "model revision (commit) to pin", metavar="REV"),
        _Flag("device", "model", "cpu, cuda, cuda:N or auto (default: the backend's: a GPU when there is one)",
              metavar="DEVICE"),
        _Flag("compute_type", "model", "weights and arithmetic: int8, int8_float16, float16, bfloat16, float32, … "
              "(default: int8 on CPU, int8_float16 on GPU for ctranslate2; the checkpoint's for transformers)",
              metavar="TYPE"),
        _Flag("threads", "model", "CPU threads per translation (default: the physical cores)", _positive, "N"),
        _Flag("inter_threads", "model", "batches a ctranslate2 model decodes in parallel (default: 1)", _positive, "N"),
        _Flag("restrict_vocabulary", "model", "decode with the target language's pieces only", boolean=True),
        _Flag("backend_options", "model", "further backend option, e.g. cache_dir=/data/ct2 (repeatable)",
              _backend_option, "KEY=VALUE", repeated=True, spelling="backend_option"),
    ]
    defaults = Decoding()
    for spec in fields(Decoding):
        metavar, text = _DECODING_HELP[spec.name]
        default = getattr(defaults, spec.name)
        kind: Callable[[str], Any] = float if isinstance(spec.default, float) else int
        suffix = "" if default is None else f" (default: {default})"
        flags.append(_Flag(spec.name, "decoding", text + suffix, kind, metavar, decoding=True))
    flags += [
        _Flag("max_batch_tokens", "translation", f"source tokens in one model batch (default: {MAX_BATCH_TOKENS}); "
              "fewer use less memory (NLLB-600M on a CPU: about 140 MB per 1,000; 1280 kept a model "
              "trimmed on both sides under 0.8 GB at full speed); too few make CPU decoding slower", _positive, "N"),
        _Flag("memory", "translation", f"translation-memory file (default: {memory_default})", metavar="PATH"),
        _Flag("glossary", "translation", "glossary (TSV/CSV/YAML): forced terms and do-not-translate entries, "
              "Kazakh endings aware", metavar="FILE"),
        _Flag("names", "translation", "names table (TSV/CSV/YAML) overriding name transliteration", metavar="TABLE"),
        _Flag("dateline_patterns", "translation", "house-style CLDR pattern of a language's dateline, e.g. "
              "en='d MMMM y, HH:mm' (repeatable)", _dateline_pattern, "LANG=PATTERN", repeated=True,
              spelling="dateline_pattern"),
        _Flag("qa", "translation", "QA findings: record them (flag, default), re-decode flagged segments with "
              "stronger settings (retry), or fail the variant with an error-level finding (fail; exit code 6)",
              choices=QA_POLICIES),
        _Flag("label", "translation", "add a localized machine-translation label (\"Machine-translated from "
              "Kazakh\") to each variant", boolean=True),
    ]
    missing = [f.name for f in fields(TranslatorConfig) if f.name != "decoding"
               and f.name not in {flag.name for flag in flags}]
    assert not missing, f"options without a flag: {missing}"  # a new field needs its flag here
    return tuple(flags)

