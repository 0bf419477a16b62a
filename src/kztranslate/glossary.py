"""Glossaries: forced translations and do-not-translate terms, matched through Kazakh suffixes.

A glossary file is a table (TSV, CSV) or a YAML list of rows. Columns either name languages
(``kk``, ``ru``, ``en``, ``kk-Latn``: one row gives a term in several languages and serves every
pair among them) or are ``source``/``target`` (optionally with ``source_language`` and
``target_language``; without them a row serves every pair). A row is do-not-translate when its
``keep`` (or ``dnt``) column is true, its ``type`` is ``keep``/``dnt``, or its ``translate``
column is false; its source term then comes out as it is. ``note`` is kept for people.

Matching, in Kazakh source text, accepts the term followed by case, plural and possessive
endings in both vowel-harmony variants (``Астана`` matches ``Астанада``, ``Астананың``,
``Астанаға``, ``Астанадағы``, ``ҚР-да``); the ending is dropped, since the target term goes into
Russian or English text where the model cannot inflect a placeholder anyway. Consonant changes at
the stem's end (``кітап`` → ``кітабы``) are not modelled. Russian and English sources match the
term as written (no inflection), so a Kazakh target always gets the term bare. Case: a term
written with capitals matches as written or in all capitals; a lower-case term matches any case;
the output follows the occurrence (all capitals, or a capital first letter).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from .errors import FormatError, InputError, UsageError
from .inline import TOKEN, escape
from .languages import CYRILLIC_LETTERS, LANGUAGES, base_language, normalize_language
from .protect import PLACEHOLDER, ProtectedSpan, placeholder, relative_place

__all__ = ["GlossaryEntry", "Glossary", "KAZAKH_SUFFIXES"]

_LETTERS = "A-Za-z" + CYRILLIC_LETTERS


def _harmony(*back: str) -> list[str]:
    """Back-vowel suffixes with their front-vowel twins."""
    front = str.maketrans("аыұоғқ", "еіүөгк")
    return [form for suffix in back for form in (suffix, suffix.translate(front))]


#: Kazakh endings that may follow a glossary term, longest first (both vowel-harmony variants).
KAZAKH_SUFFIXES: tuple[str, ...] = tuple(sorted(set(_harmony(
    # plural
    "лар", "дар", "тар",
    # possessive
    "ым", "м", "ың", "ң", "ымыз", "мыз", "ыңыз", "ңыз", "сы", "ы",
    # case: genitive, dative, accusative, locative, ablative, instrumental
    "ның", "дың", "тың", "ға", "қа", "на", "а", "ны", "ды", "ты", "н",
    "да", "та", "нда", "дан", "тан", "нан", "ндан", "мен", "бен", "пен", "менен",
    # attributive locative ("in Astana" as an adjective)
    "дағы", "тағы", "ндағы",
)), key=lambda s: (-len(s), s)))

_SUFFIX_CHAIN = rf"(?:-?(?:{'|'.join(KAZAKH_SUFFIXES)}){{1,4}})?"
_TRUE = {"1", "yes", "y", "true", "x", "keep", "dnt", "do-not-translate", "иә"}
_FALSE = {"0", "no", "n", "false", "жоқ"}


@dataclass(slots=True)
class GlossaryEntry:
    """One row of a glossary."""

    terms: dict[str, str]
    """Term per language tag, or under ``source``/``target`` for a pair-less row."""
    keep: bool = False
    """Do-not-translate: the source term comes out unchanged."""
    pair: tuple[str, str] | None = None
    """``(source, target)`` languages of a ``source``/``target`` row, when the row says."""
    note: str = ""
    """Comment for people; not used in matching."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Other columns of the row, kept verbatim."""

    def for_pair(self, source: str, target: str) -> tuple[str, str] | None:
        """``(source term, output)`` for translating ``source`` → ``target``, or None."""
        if "source" in self.terms:
            if self.pair is not None and self.pair != (source, target):
                return None
            found = self.terms["source"]
            output = found if self.keep else self.terms.get("target", "")
        else:
            found = self.terms.get(source, "")
            output = found if self.keep else self.terms.get(target, "")
        return (found, output) if found and output else None


class Glossary:
    """Terms to force or keep, per language pair; apply it to a segment before the model."""

    def __init__(self, entries: Iterable[GlossaryEntry], *, name: str = "glossary", sha256: str | None = None) -> None:
        self.entries = list(entries)
        self.name = name
        if sha256 is None:
            rows = [(e.terms, e.keep, e.pair) for e in self.entries]
            sha256 = hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        self.sha256 = sha256

    # -- loading ------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Glossary:
        """Read a ``.tsv``, ``.csv``, ``.yaml``/``.yml`` glossary."""
        file = Path(path)
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the glossary: {exc.strerror}", source=str(file)) from exc
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError("the glossary is not UTF-8; re-save it as UTF-8", source=str(file)) from exc
        suffix = file.suffix.lower()
        if suffix in (".yaml", ".yml"):
            rows = _yaml_rows(text, str(file))
        elif suffix in (".tsv", ".tab", ".csv", ".txt"):
            delimiter = "," if suffix == ".csv" else "\t"
            rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
        else:
            raise UsageError(f"unknown glossary file type {suffix!r}; use .tsv, .csv, .yaml or .yml")
        entries = [_entry(row, str(file), number) for number, row in enumerate(rows, start=2)]
        return cls([e for e in entries if e is not None], name=file.name, sha256=hashlib.sha256(data).hexdigest())

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]], *, name: str = "glossary") -> Glossary:
        """A glossary from rows shaped like a file's (``{"kk": …, "en": …}`` or ``{"source", "target",
        "source_language", "target_language", "keep"}``)."""
        entries = [_entry(dict(row), name, number) for number, row in enumerate(rows, start=1)]
        return cls([e for e in entries if e is not None], name=name)

    def signature(self) -> dict[str, Any]:
        """What provenance records: ``{"name", "sha256", "entries"}``."""
        return {"name": self.name, "sha256": self.sha256, "entries": len(self.entries)}

    # -- applying -------------------------------------------------------------------------
    def apply(self, text: str, source: str, target: str, *, first: int = 1) -> tuple[str, list[ProtectedSpan]]:
        """Replace each glossary term in ``text`` by a placeholder whose output is the target term.

        Inline markers and existing placeholders are left alone; placeholders are numbered from
        ``first``. Restore them with :func:`kztranslate.protect.restore`.
        """
        source, target = base_language(source), base_language(target)
        matcher = self._matcher(source, target)
        if matcher is None:
            return text, []
        pattern, lookup = matcher
        spans: list[ProtectedSpan] = []
        out: list[str] = []
        last = 0
        for m in pattern.finditer(text):
            term = next((k for k, v in m.groupdict().items() if v is not None and k.startswith("t")), None)
            if term is None:  # a placeholder or an inline marker
                continue
            found, output = lookup[term]
            stem = m.group(term)
            out.append(text[last : m.start()])
            number = first + len(spans)
            span = ProtectedSpan("glossary", m.group(), escape(_cased(output, stem, found)), number,
                                 relative_place(text, m.start(), m.end()), {"term": found})
            if m.group() != stem:
                span.meta["suffix"] = m.group()[len(stem):]
            spans.append(span)
            out.append(placeholder(number))
            last = m.end()
        out.append(text[last:])
        return "".join(out), spans

    def _matcher(self, source: str, target: str) -> tuple[re.Pattern[str], dict[str, tuple[str, str]]] | None:
        return _build(tuple(p for e in self.entries if (p := e.for_pair(source, target))), source)


@lru_cache(maxsize=64)
def _build(pairs: tuple[tuple[str, str], ...], source: str):
    """One pattern for all terms (longest first); placeholders and inline tokens match first so
    they are skipped. Group ``tN`` holds the stem of term N, the rest of the match its ending."""
    if not pairs:
        return None
    chain = _SUFFIX_CHAIN if source == "kk" else ""
    alternatives = [PLACEHOLDER.pattern, TOKEN.pattern]
    lookup: dict[str, tuple[str, str]] = {}
    for n, (found, output) in enumerate(sorted(set(pairs), key=lambda p: (-len(p[0]), p))):
        if found != found.lower():  # written with capitals: as written, or all in capitals
            stem = f"{re.escape(found)}|{re.escape(found.upper())}"
        else:
            stem = f"(?i:{re.escape(found)})"
        # short terms (ҚР, ЖОО) take endings only after a hyphen, or "Ақ" would match "Ақша"
        ending = chain.replace("-?", "-") if sum(ch.isalpha() for ch in found) < 4 else chain
        alternatives.append(rf"(?<![{_LETTERS}0-9])(?P<t{n}>{stem})(?i:{ending})(?![{_LETTERS}0-9])")
        lookup[f"t{n}"] = (found, output)
    return re.compile("|".join(f"(?:{a})" for a in alternatives)), lookup


def _cased(output: str, occurrence: str, term: str) -> str:
    letters = [ch for ch in occurrence if ch.isalpha()]
    if len(letters) > 1 and all(ch.isupper() for ch in letters) and term != term.upper():
        return output.upper()
    if occurrence[:1].isupper() and term[:1].islower():
        return output[:1].upper() + output[1:]
    return output


def _yaml_rows(text: str, source: str) -> list[dict[str, Any]]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise FormatError(f"invalid YAML glossary: {getattr(exc, 'problem', exc)}", source=source,
                          line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None) from exc
    if isinstance(data, dict):
        data = data.get("entries")
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise FormatError("a YAML glossary is a list of rows (or a mapping with 'entries:' holding one), each like "
                          "{kk: Астана, en: Astana} or {source: ..., target: ..., keep: true}", source=source)
    return data


def _entry(row: dict[str, Any], source: str, number: int) -> GlossaryEntry | None:
    terms: dict[str, str] = {}
    meta: dict[str, Any] = {}
    keep = False
    note = ""
    pair: list[str | None] = [None, None]
    for raw_key, raw_value in row.items():
        if raw_key is None:
            raise FormatError("row has more cells than the header", source=source, line=number)
        key = str(raw_key).strip().lower()
        value = "" if raw_value is None else str(raw_value).strip()
        if key in ("source", "target"):
            terms[key] = value
        elif key in ("source_language", "target_language"):
            pair[key == "target_language"] = normalize_language(value) if value else None
        elif key in ("keep", "dnt"):
            keep = keep or value.lower() in _TRUE
        elif key == "type":
            keep = keep or value.lower() in _TRUE
        elif key == "translate":
            keep = keep or value.lower() in _FALSE
        elif key in ("note", "comment"):
            note = value
        elif _is_language(key):
            if value:
                terms[base_language(normalize_language(key))] = value
        else:
            meta[str(raw_key)] = raw_value
    if not terms:
        if meta:
            raise FormatError(
                f"no term columns; name them after languages ({', '.join(LANGUAGES)}) or source/target",
                source=source, line=number)
        return None
    both = pair[0] is not None and pair[1] is not None
    return GlossaryEntry(terms, keep, (base_language(pair[0]), base_language(pair[1])) if both else None, note, meta)


def _is_language(key: str) -> bool:
    try:
        normalize_language(key)
    except UsageError:
        return False
    return True
