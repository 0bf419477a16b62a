"""The markup tree of a block: which inline code encloses which, and the block as nested spans.

A block keeps its inline markup flat (:attr:`Block.inline <kztranslate.document.Block.inline>`, a
list of :class:`~kztranslate.document.InlineCode` with offsets into the text). Writers that rebuild
markup (HTML, XLIFF, the plain-text XML fragment) and the marker codec
(:mod:`kztranslate.inline`) need it as a tree: :func:`parents` gives each code's enclosing code and
:func:`tree` the block as nested text and :class:`Span` nodes.

Nesting: codes are listed in document order of their start. Which code encloses which follows
from the offsets, except for an empty code at the very end of a span (``<b>x<br></b>`` and
``<b>x</b><br>`` have the same offsets): that one counts as outside unless its ``meta["parent"]``
names the enclosing code's id. :func:`set_parents` writes that key where it is needed.

Every walk here is iterative, so markup nested thousands deep never reaches the recursion limit.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from .document import InlineCode

__all__ = ["VOID_TAGS", "Span", "children_of", "is_void", "parents", "set_parents", "tree"]

#: Tags that are empty elements unless ``meta["void"]`` says otherwise.
VOID_TAGS: frozenset[str] = frozenset({"br", "wbr", "img", "hr"})


def is_void(code: InlineCode) -> bool:
    """Whether ``code`` is an empty element (``br``) rather than a span around text."""
    return bool(code.meta.get("void", code.tag in VOID_TAGS))


def _encloses(outer: InlineCode, inner: InlineCode) -> bool:
    if is_void(outer) or not (outer.start <= inner.start and inner.end <= outer.end):
        return False
    # An empty code at the end of a span counts as outside it (see the module docstring).
    return not (inner.start == inner.end == outer.end)


def _kept(codes: list[InlineCode], k: int, open_codes: list[int], by_id: dict[int, int]) -> int:
    """How many of ``open_codes`` (indexes of the codes open before ``codes[k]``, outermost first)
    still enclose ``codes[k]``: the last of those is its parent."""
    code = codes[k]
    if "parent" in code.meta and code.meta["parent"] is None:
        return 0
    parent_id = code.meta.get("parent")
    named = by_id.get(parent_id, -1) if parent_id is not None else -1
    at = bisect_left(open_codes, named)  # open codes are pushed in document order: sorted
    if at < len(open_codes) and open_codes[at] == named:
        return at + 1
    kept = len(open_codes)
    while kept and not _encloses(codes[open_codes[kept - 1]], code):
        kept -= 1
    return kept


def parents(codes: list[InlineCode]) -> list[int | None]:
    """Index of each code's enclosing code (None at top level), codes in document order."""
    found: list[int | None] = []
    stack: list[int] = []
    by_id = {c.id: k for k, c in enumerate(codes)}
    for k, code in enumerate(codes):
        del stack[_kept(codes, k, stack, by_id) :]
        found.append(stack[-1] if stack else None)
        if not is_void(code):
            stack.append(k)
    return found


def set_parents(codes: list[InlineCode], wanted: list[int | None]) -> None:
    """Write ``meta["parent"]`` (an id, or None for top level) where the offsets alone would give
    another parent than ``wanted`` (indexes into ``codes``); remove it elsewhere.

    One pass: a code's parent depends only on the codes before it, so each code is placed once
    without the key and, where that gives another parent, written the key and placed with it.
    """
    for code in codes:
        code.meta.pop("parent", None)
    stack: list[int] = []
    by_id: dict[int, int] = {}  # the ids up to this code, as parents() of that prefix sees them
    for k, code in enumerate(codes):
        by_id[code.id] = k
        kept = _kept(codes, k, stack, by_id)
        target = wanted[k]
        if (stack[kept - 1] if kept else None) != target:
            code.meta["parent"] = codes[target].id if target is not None else None
            kept = _kept(codes, k, stack, by_id)
        del stack[kept:]
        if not is_void(code):
            stack.append(k)


@dataclass(slots=True)
class Span:
    """A code with what it encloses, for writers that rebuild markup."""

    code: InlineCode
    """The inline code (tag, attributes, meta)."""
    children: list[str | Span] = field(default_factory=list)
    """Text and nested spans inside it, in order (empty for void codes)."""
    index: int = 0
    """Position of the code in the block's code list (marker number − 1)."""


def children_of(up: list[int | None]) -> dict[int | None, list[int]]:
    """Each code's children (and the top level's, under None) from :func:`parents`, in order."""
    kids: dict[int | None, list[int]] = {None: []}
    for k, parent in enumerate(up):
        kids.setdefault(parent, []).append(k)
        kids.setdefault(k, [])
    return kids


def tree(text: str, codes: list[InlineCode]) -> list[str | Span]:
    """The block's content as nested text and spans (offsets clamped so it is always well formed)."""
    children = children_of(parents(codes))
    # Depth first with an explicit stack, so markup nested thousands deep ("*" × 3000) cannot
    # exhaust the recursion limit. A frame: (where its nodes go, its codes still to place, its end).
    pos = 0
    top: list[str | Span] = []
    stack: list[tuple[list[str | Span], list[int], int]] = [(top, children[None][::-1], len(text))]
    while stack:
        out, kids, end = stack[-1]
        if not kids:
            stack.pop()
            if end > pos:
                out.append(text[pos:end])
                pos = end
            continue
        k = kids.pop()
        code = codes[k]
        start = min(max(pos, code.start), end)
        if start > pos:
            out.append(text[pos:start])
        pos = start
        span = Span(code, [], k)
        out.append(span)
        if not is_void(code):
            stack.append((span.children, children[k][::-1], min(max(pos, code.end), end)))
    return top
