"""The document model: an article is a flat, ordered stream of typed blocks plus metadata.

Readers produce an :class:`Article`, the pipeline produces variant articles of the same shape,
writers render them. Every field a format cannot map to a typed field goes to a ``meta`` dict
and is kept verbatim, so nothing of the source is lost on the way through.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # engine stays out of the document model's imports at run time
    from .engine.base import BackendSignature

__all__ = ["ROLES", "TRANSLATED_ROLES", "InlineCode", "Block", "Provenance", "Finding", "Article"]

#: Block roles, in the vocabulary of ``docs/document-json.md``.
ROLES: tuple[str, ...] = (
    "headline",
    "subheadline",
    "dateline",
    "counter",
    "paragraph",
    "heading",
    "quote",
    "list_item",
    "caption",
    "byline",
    "share",
    "tags",
    "other",
)

#: Roles whose text goes to the translation model (the others are localized by rule).
TRANSLATED_ROLES: frozenset[str] = frozenset(
    {"headline", "subheadline", "paragraph", "heading", "quote", "list_item", "caption", "other"}
)


@dataclass(slots=True)
class InlineCode:
    """One piece of inline markup inside a block (a link, emphasis, a line break).

    The markup itself never goes to the model; only its position in the text travels.
    """

    id: int
    """Number of the code, unique inside its block and stable across translation."""
    tag: str
    """Element name as in the source (``a``, ``strong``, ``br``, ``span``, …)."""
    start: int
    """Offset in :attr:`Block.text` where the marked text begins."""
    end: int
    """Offset where the marked text ends; equal to ``start`` for empty elements such as ``br``."""
    attrs: dict[str, str] = field(default_factory=dict)
    """Attributes exactly as in the source, in source order."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Format-specific details a writer needs to give the markup back exactly."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "tag": self.tag, "start": self.start, "end": self.end}
        if self.attrs:
            out["attrs"] = dict(self.attrs)
        if self.meta:
            out["meta"] = copy.deepcopy(self.meta)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InlineCode:
        return cls(
            id=int(data["id"]),
            tag=str(data["tag"]),
            start=int(data["start"]),
            end=int(data["end"]),
            attrs=dict(data.get("attrs") or {}),
            meta=dict(data.get("meta") or {}),
        )


@dataclass(slots=True)
class Block:
    """One block of an article: a headline, a paragraph, the dateline, the share trailer, …"""

    role: str
    """What the block is (one of :data:`ROLES`); decides how it is translated or localized."""
    text: str
    """The block's text as printed, without markup."""
    inline: list[InlineCode] = field(default_factory=list)
    """Inline markup over :attr:`text`, in source order."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Role-specific values (``published`` of a dateline, ``views`` of a counter, ``names`` of a
    byline), format layout, QA findings, and any unknown field, kept verbatim. In JSON these are
    the block object's keys besides ``role``, ``text`` and ``inline``."""

    @property
    def translatable(self) -> bool:
        """Whether this block's text goes to the model (``meta["translate"] = False`` opts out)."""
        return self.role in TRANSLATED_ROLES and self.meta.get("translate", True) is not False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "text": self.text}
        if self.inline:
            out["inline"] = [code.to_dict() for code in self.inline]
        for key, value in self.meta.items():
            if key not in out:
                out[key] = copy.deepcopy(value)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Block:
        meta = {k: copy.deepcopy(v) for k, v in data.items() if k not in ("role", "text", "inline")}
        return cls(
            role=str(data.get("role", "paragraph")),
            text=str(data.get("text", "")),
            inline=[InlineCode.from_dict(c) for c in data.get("inline") or []],
            meta=meta,
        )


@dataclass(slots=True)
class Provenance:
    """How a variant was produced (sacrebleu-style signature of the run)."""

    source_language: str
    """Language of the article the variant was translated from."""
    target_language: str
    """Language of the variant."""
    backend: str
    """Backend name (``transformers``, ``ctranslate2``, ``pseudo``, …)."""
    model: str | None = None
    """Model id or local path."""
    model_revision: str | None = None
    """Pinned revision (commit) of the model, when known."""
    decoding: dict[str, Any] = field(default_factory=dict)
    """Decoding settings exactly as used (beams, length limits, repetition controls)."""
    kztranslate_version: str = ""
    """Version of kztranslate that produced the variant."""
    created: str = ""
    """When the variant was made (ISO 8601, UTC)."""
    source_sha256: str = ""
    """Checksum of the source article (see :meth:`Article.checksum`)."""
    machine_translated: bool = True
    """Whether any text of the variant came from a machine-translation model."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Further facts: glossary in use, QA summary, translation-memory hits, …"""

    @classmethod
    def from_signature(
        cls,
        signature: BackendSignature,
        source_language: str,
        target_language: str,
        *,
        source_sha256: str = "",
        machine_translated: bool = True,
        created: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Provenance:
        """The provenance of a variant made now by this version with the backend ``signature``
        (its one-line :meth:`~kztranslate.engine.base.BackendSignature.format` in ``meta["signature"]``)."""
        return cls(
            source_language=source_language,
            target_language=target_language,
            backend=signature.backend,
            model=signature.model,
            model_revision=signature.revision,
            decoding=signature.decoding.to_dict(),
            kztranslate_version=__version__,
            created=created or datetime.now(UTC).isoformat(timespec="seconds"),
            source_sha256=source_sha256,
            machine_translated=machine_translated,
            meta={"signature": signature.format(), **(meta or {})},
        )

    def backend_signature(self) -> BackendSignature:
        """The backend, model, revision and decoding settings recorded here (settings beyond
        these, such as a compute type, are not recorded in provenance)."""
        from .engine.base import BackendSignature, Decoding

        return BackendSignature(self.backend, self.model, self.model_revision, Decoding.from_dict(self.decoding))

    def to_dict(self) -> dict[str, Any]:
        out = {
            "source_language": self.source_language,
            "target_language": self.target_language,
            "backend": self.backend,
            "model": self.model,
            "model_revision": self.model_revision,
            "decoding": copy.deepcopy(self.decoding),
            "kztranslate_version": self.kztranslate_version,
            "created": self.created,
            "source_sha256": self.source_sha256,
            "machine_translated": self.machine_translated,
        }
        for key, value in self.meta.items():
            out.setdefault(key, copy.deepcopy(value))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        known = {
            "source_language", "target_language", "backend", "model", "model_revision", "decoding",
            "kztranslate_version", "created", "source_sha256", "machine_translated",
        }
        return cls(
            source_language=data.get("source_language", ""),
            target_language=data.get("target_language", ""),
            backend=data.get("backend", ""),
            model=data.get("model"),
            model_revision=data.get("model_revision"),
            decoding=dict(data.get("decoding") or {}),
            kztranslate_version=data.get("kztranslate_version", ""),
            created=data.get("created", ""),
            source_sha256=data.get("source_sha256", ""),
            machine_translated=bool(data.get("machine_translated", True)),
            meta={k: copy.deepcopy(v) for k, v in data.items() if k not in known},
        )


#: Keys of a finding's JSON form (docs/document-json.md); any other key is kept in Finding.extra.
_FINDING_KEYS = frozenset({"code", "severity", "block", "segment", "message", "meta"})


@dataclass(slots=True)
class Finding:
    """One thing an editor should look at in a variant: a QA check's result, a placeholder or
    inline code the model lost, a source that reads as another language (codes: :mod:`kztranslate.qa`)."""

    code: str
    """Stable machine-readable kind (``number-mismatch``, ``placeholder-lost``, …)."""
    severity: str
    """``info``, ``warning`` or ``error``."""
    block: int | None = None
    """Index of the block in the variant (None when it concerns no one block)."""
    segment: int | None = None
    """Index of the segment within the block."""
    message: str = ""
    """What is wrong, for a person."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Evidence: the missing numbers, the repeated phrase, the measured ratio, …"""
    extra: dict[str, Any] = field(default_factory=dict)
    """Keys of the JSON form that are not ours (another tool's), kept and written back."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``code``, ``severity``, ``block``, ``segment``, ``message``, and ``meta``
        when there is evidence."""
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "block": self.block,
            "segment": self.segment,
            "message": self.message,
        }
        if self.meta:
            out["meta"] = copy.deepcopy(self.meta)
        for key, value in self.extra.items():
            out.setdefault(key, copy.deepcopy(value))
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Finding:
        """A finding from its JSON form; ``TypeError`` naming what is wrong when it is not one."""
        if not isinstance(data, dict):
            raise TypeError(f"a QA finding is an object with \"code\" and \"severity\", not {type(data).__name__}")
        missing = [key for key in ("code", "severity") if not isinstance(data.get(key), str)]
        if missing:
            raise TypeError(f"a QA finding needs {' and '.join(repr(k) for k in missing)} (a string): {data!r:.200}")
        for key in ("block", "segment"):
            value = data.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise TypeError(f"a QA finding's {key!r} is a number or null, not {value!r:.60}")
        meta = data.get("meta")
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f"a QA finding's \"meta\" is an object, not {type(meta).__name__}")
        return cls(
            code=data["code"],
            severity=data["severity"],
            block=data.get("block"),
            segment=data.get("segment"),
            message=str(data.get("message", "")),
            meta=copy.deepcopy(meta or {}),
            extra={k: copy.deepcopy(v) for k, v in data.items() if k not in _FINDING_KEYS},
        )


# Top-level keys of the JSON form (docs/document-json.md); any other key is kept in Article.extra.
_ARTICLE_KEYS = frozenset(
    {"language", "headline", "dateline", "published", "views", "byline", "source", "blocks", "meta", "provenance", "qa"}
)


@dataclass(slots=True)
class Article:
    """A news article (or a translated variant of one)."""

    language: str
    """BCP 47 tag of the text: ``kk``, ``ru``, ``en`` or ``kk-Latn``."""
    blocks: list[Block] = field(default_factory=list)
    """Every block in document order; nothing of the source is left out."""
    published: datetime | None = None
    """Publication date and time (timezone-aware when the source says so)."""
    views: int | None = None
    """View counter shown on the page."""
    source: str | None = None
    """URL or id of the original, when known."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Format-specific and unknown fields, kept verbatim (front matter, ninjs fields, layout)."""
    provenance: Provenance | None = None
    """Set on variants only: how this variant was produced."""
    qa: list[Finding] = field(default_factory=list)
    """QA findings on a variant."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Top-level fields of the JSON form that are not ours (a CMS's ``id``, ``category``), kept
    verbatim and written back at the top level."""

    # Derived views used by the JSON form and the API.
    @property
    def headline(self) -> str:
        """Text of the first headline block ('' when there is none)."""
        return next((b.text for b in self.blocks if b.role == "headline"), "")

    @property
    def dateline(self) -> str | None:
        """The dateline as printed, or None."""
        return next((b.text for b in self.blocks if b.role == "dateline"), None)

    @property
    def byline(self) -> list[str]:
        """Author names as printed in this article, each once (pages may print the byline twice)."""
        names: list[str] = []
        for block in self.blocks:
            if block.role == "byline":
                names.extend(block.meta.get("names") or [block.text])
        return list(dict.fromkeys(names))

    def blocks_with_role(self, role: str) -> list[Block]:
        return [b for b in self.blocks if b.role == role]

    def copy(self) -> Article:
        """A deep copy (variants start as one)."""
        return copy.deepcopy(self)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``docs/document-json.md``."""
        out: dict[str, Any] = {
            "language": self.language,
            "headline": self.headline,
            "dateline": self.dateline,
            "published": self.published.isoformat() if self.published else None,
            "views": self.views,
            "byline": self.byline,
            "source": self.source,
            "blocks": [b.to_dict() for b in self.blocks],
            "meta": copy.deepcopy(self.meta),
        }
        if self.provenance is not None:  # a variant: its QA findings are always listed, even none
            out["provenance"] = self.provenance.to_dict()
            out["qa"] = [f.to_dict() for f in self.qa]
        elif self.qa:
            out["qa"] = [f.to_dict() for f in self.qa]
        for key, value in self.extra.items():
            out.setdefault(key, copy.deepcopy(value))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Build an article from its JSON form; ``headline``/``dateline``/``byline`` are derived
        from the blocks, and only used to create blocks when ``blocks`` is absent."""
        if not isinstance(data, dict):
            raise TypeError("an article's JSON form is an object")
        blocks = [Block.from_dict(b) for b in data.get("blocks") or []]
        if not blocks:
            if data.get("headline"):
                blocks.append(Block("headline", str(data["headline"])))
            if data.get("dateline"):
                blocks.append(Block("dateline", str(data["dateline"])))
            for name in data.get("byline") or []:
                blocks.append(Block("byline", str(name), meta={"names": [str(name)]}))
        published = data.get("published")
        provenance = data.get("provenance")
        return cls(
            language=str(data.get("language") or ""),
            blocks=blocks,
            published=datetime.fromisoformat(published) if published else None,
            views=int(data["views"]) if data.get("views") is not None else None,
            source=data.get("source"),
            meta=copy.deepcopy(data.get("meta") or {}),
            provenance=Provenance.from_dict(provenance) if provenance else None,
            qa=[Finding.from_dict(f) for f in _list_of(data.get("qa"), "qa")],
            extra={k: copy.deepcopy(v) for k, v in data.items() if k not in _ARTICLE_KEYS},
        )

    def checksum(self) -> str:
        """SHA-256 of the article's content (its JSON form without provenance and QA)."""
        data = self.to_dict()
        data.pop("provenance", None)
        data.pop("qa", None)
        raw = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _list_of(value: Any, name: str) -> list[Any]:
    if not value:
        return []
    if not isinstance(value, list):
        raise TypeError(f"{name!r} is a list, not {type(value).__name__}")
    return value
