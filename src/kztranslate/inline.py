"""Inline codes between a block and the model: numbered markers out, balanced markup back.

A block's inline markup (:class:`~kztranslate.document.InlineCode`) travels through the model as
numbered XML-like markers: ``<1>…</1>`` around marked text, ``<2/>`` for an empty element such
as ``br``. Marker numbers are positions in the block's code list (1-based), never tags or
attributes, so nothing of the markup itself reaches the model. Literal ``<``, ``>`` (and ``&``
when it starts one of our escapes) are written ``&lt;``, ``&gt;``, ``&amp;``, so text can never
be read back as a marker.

:func:`decode` reads the model's output back and always returns every source code exactly once,
with its tag, attributes and parent as in the source: markers the model dropped, duplicated,
reordered or crossed are repaired and reported; markers it invented are dropped; any other
markup it wrote (``<script>``) is plain text, which writers escape.

Nesting: codes are listed in document order of their start. Which code encloses which follows
from the offsets, except for an empty code at the very end of a span (``<b>x<br></b>`` and
``<b>x</b><br>`` have the same offsets): that one counts as outside unless its ``meta["parent"]``
names the enclosing code's id. :func:`set_parents` writes that key where it is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .document import Finding, InlineCode

__all__ = [
    "VOID_TAGS",
    "MARKER",
    "TOKEN",
    "Span",
    "is_void",
    "parents",
    "set_parents",
    "tree",
    "escape",
    "unescape",
    "encode",
    "encode_pieces",
    "decode",
]

#: Tags that are empty elements unless ``meta["void"]`` says otherwise.
VOID_TAGS: frozenset[str] = frozenset({"br", "wbr", "img", "hr"})

#: A marker as the model may write it back (spaces tolerated: ``< 1 >``, ``</ 1>``, ``<1 />``).
MARKER = re.compile(r"<\s*(/)?\s*(\d{1,4})\s*(/)?\s*>")
_ESCAPE = re.compile(r"&(lt|gt|amp);")
#: Anything of ours in encoded text: a marker or an escape (other layers leave these alone).
TOKEN = re.compile(f"{MARKER.pattern}|{_ESCAPE.pattern}")
_UNESCAPED = {"lt": "<", "gt": ">", "amp": "&"}
_NEEDS_ESCAPE = re.compile(r"[<>]|&(?=(?:lt|gt|amp);)")
_WORD = re.compile(r"\S+")
_CLOSING_PUNCTUATION = frozenset(".,;:!?…»\"')]")


def is_void(code: InlineCode) -> bool:
    """Whether ``code`` is an empty element (``br``) rather than a span around text."""
    return bool(code.meta.get("void", code.tag in VOID_TAGS))


def escape(text: str) -> str:
    """Escape text so that no part of it reads as a marker."""
    return _NEEDS_ESCAPE.sub(lambda m: {"<": "&lt;", ">": "&gt;"}.get(m.group(), "&amp;"), text)


def unescape(text: str) -> str:
    """Inverse of :func:`escape` (one pass, so ``&amp;lt;`` gives ``&lt;``)."""
    return _ESCAPE.sub(lambda m: _UNESCAPED[m.group(1)], text)


# -- nesting ------------------------------------------------------------------------------
def _encloses(outer: InlineCode, inner: InlineCode) -> bool:
    if is_void(outer) or not (outer.start <= inner.start and inner.end <= outer.end):
        return False
    # An empty code at the end of a span counts as outside it (see the module docstring).
    return not (inner.start == inner.end == outer.end)


def parents(codes: list[InlineCode]) -> list[int | None]:
    """Index of each code's enclosing code (None at top level), codes in document order."""
    found: list[int | None] = []
    stack: list[int] = []
    by_id = {c.id: k for k, c in enumerate(codes)}
    for k, code in enumerate(codes):
        named = by_id.get(code.meta.get("parent"), -1)
        if "parent" in code.meta and code.meta["parent"] is None:
            stack.clear()
        elif named in stack:
            del stack[stack.index(named) + 1 :]
        else:
            while stack and not _encloses(codes[stack[-1]], code):
                stack.pop()
        found.append(stack[-1] if stack else None)
        if not is_void(code):
            stack.append(k)
    return found


def set_parents(codes: list[InlineCode], wanted: list[int | None]) -> None:
    """Write ``meta["parent"]`` (an id, or None for top level) where the offsets alone would give
    another parent than ``wanted`` (indexes into ``codes``); remove it elsewhere."""
    for code in codes:
        code.meta.pop("parent", None)
    for k, code in enumerate(codes):
        if parents(codes[: k + 1])[k] != wanted[k]:
            code.meta["parent"] = codes[wanted[k]].id if wanted[k] is not None else None


@dataclass(slots=True)
class Span:
    """A code with what it encloses, for writers that rebuild markup."""

    code: InlineCode
    """The inline code (tag, attributes, meta)."""
    children: list[str | Span] = field(default_factory=list)
    """Text and nested spans inside it, in order (empty for void codes)."""
    index: int = 0
    """Position of the code in the block's code list (marker number − 1)."""


def tree(text: str, codes: list[InlineCode]) -> list[str | Span]:
    """The block's content as nested text and spans (offsets clamped so it is always well formed)."""
    up = parents(codes)
    children: dict[int | None, list[int]] = {None: []}
    for k, parent in enumerate(up):
        children.setdefault(parent, []).append(k)
        children.setdefault(k, [])
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


# -- encoding -------------------------------------------------------------------------------
def _render(nodes: Iterable[str | Span]) -> Iterable[str]:
    for is_text, piece in _flatten(nodes):
        yield escape(piece) if is_text else piece


def _flatten(nodes: Iterable[str | Span]) -> Iterable[tuple[bool, str]]:
    """``(is_text, piece)`` of a tree in document order: text, or a marker. Iterative, like :func:`tree`."""
    stack: list[tuple[Any, str | None]] = [(iter(nodes), None)]
    while stack:
        children, closing = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            if closing is not None:
                yield False, closing
        elif isinstance(node, str):
            yield True, node
        elif is_void(node.code):
            yield False, f"<{node.index + 1}/>"
        else:
            yield False, f"<{node.index + 1}>"
            stack.append((iter(node.children), f"</{node.index + 1}>"))


def encode(text: str, codes: list[InlineCode]) -> str:
    """``text`` with its codes as numbered markers and ``<``/``>`` escaped: what the model sees."""
    return "".join(_render(tree(text, codes)))


def encode_pieces(text: str, codes: list[InlineCode], pieces: list[str]) -> list[str]:
    """Cut ``encode(text, codes)`` where ``pieces`` (plain text, concatenating to ``text``) are cut.

    Sentence splitting runs on the plain text, so markers never make or hide a sentence break.
    At a cut, closing markers stay with the sentence before and opening/empty ones go with the
    sentence after; a span across a cut has its open marker in one piece and its close in a later one.
    """
    if "".join(pieces) != text:
        raise ValueError("pieces must concatenate to the block's text")
    cuts = []
    offset = 0
    for piece in pieces[:-1]:
        offset += len(piece)
        cuts.append(offset)
    out: list[str] = []
    current: list[str] = []
    pos = 0  # offset in plain text

    def advance(chunk: str) -> None:
        nonlocal pos
        # a cut is made when text after it arrives, so markers at the cut are already in `current`
        while cuts and cuts[0] < pos + len(chunk):
            take = cuts.pop(0) - pos
            current.append(escape(chunk[:take]))
            out.append("".join(current))
            current.clear()
            chunk, pos = chunk[take:], pos + take
        current.append(escape(chunk))
        pos += len(chunk)

    for is_text, piece in _flatten(tree(text, codes)):
        if is_text:
            advance(piece)
        else:
            current.append(piece)
    for _ in cuts:  # cuts at the very end (empty last pieces)
        out.append("".join(current))
        current.clear()
    out.append("".join(current))
    # an open/empty marker that ended a piece belongs to the next one
    for i in range(len(out) - 1):
        m = re.search(r"(?:<\d+/?>)+$", out[i])
        if m:
            out[i], out[i + 1] = out[i][: m.start()], m.group() + out[i + 1]
    return out


# -- decoding -------------------------------------------------------------------------------
@dataclass(slots=True)
class _Seen:
    opens: list[tuple[int, int]] = field(default_factory=list)  # (plain offset, token order)
    closes: list[tuple[int, int]] = field(default_factory=list)
    empties: list[tuple[int, int]] = field(default_factory=list)


def _parse(model_text: str, count: int) -> tuple[str, list[_Seen], list[str]]:
    plain: list[str] = []
    length = 0
    seen = [_Seen() for _ in range(count)]
    notes: list[str] = []
    last = 0
    for order, m in enumerate(TOKEN.finditer(model_text)):
        raw = model_text[last : m.start()]
        plain.append(raw)
        length += len(raw)
        last = m.end()
        if m.group(4):
            plain.append(_UNESCAPED[m.group(4)])
            length += 1
            continue
        k = int(m.group(2)) - 1
        if not 0 <= k < count:
            notes.append(f"the model wrote a marker {m.group()!r} that is not in the source; dropped")
            continue
        target = seen[k].closes if m.group(1) else seen[k].empties if m.group(3) else seen[k].opens
        target.append((length, order))
    plain.append(model_text[last:])
    return "".join(plain), seen, notes


def _words_forward(text: str, pos: int, words: int, limit: int) -> int:
    """End of the ``words``-th word from ``pos`` (before its closing punctuation), at most ``limit``."""
    end = start = pos
    for m in _WORD.finditer(text, pos, limit):
        if words <= 0:
            break
        start, end, words = m.start(), m.end(), words - 1
    while end > start + 1 and text[end - 1] in _CLOSING_PUNCTUATION:
        end -= 1
    return end


def _words_back(text: str, pos: int, words: int, limit: int) -> int:
    starts = [m.start() for m in _WORD.finditer(text, limit, pos)]
    return starts[-words] if 0 < words <= len(starts) else (starts[0] if starts and words else pos)


def decode(
    model_text: str, codes: list[InlineCode], source_text: str | None = None
) -> tuple[str, list[InlineCode], list[Finding]]:
    """Read the model's output for a block encoded with :func:`encode`.

    ``source_text`` (the block's source text) helps place a code the model dropped: a span keeps
    as many words as it had in the source. Returns the plain text, every code of ``codes``
    exactly once with its source tag, attributes, meta and parent at its new offsets (document
    order), and the problems found as findings with no block or segment yet, the number of the
    marker concerned in ``meta["marker"]`` (none for an invented one).
    """
    text, seen, notes = _parse(model_text, len(codes))
    problems = [Finding("inline-invented", "warning", message=n) for n in notes]
    up = parents(codes)
    kids: dict[int | None, list[int]] = {None: []}
    for k, parent in enumerate(up):
        kids.setdefault(parent, []).append(k)
        kids.setdefault(k, [])

    def report(k: int, code: str, severity: str, message: str) -> None:
        c = codes[k]
        problems.append(Finding(code, severity, message=f"marker {k + 1} (<{c.tag}>): {message}",
                                meta={"marker": k + 1}))

    # What the model said about each code: (start, end, order) with None for what it left out.
    proposal: dict[int, tuple[int | None, int | None, int]] = {}
    for k, c in enumerate(codes):
        s = seen[k]
        if is_void(c):
            marks = sorted(s.empties + s.opens, key=lambda x: x[1])
            if len(marks) > 1 or s.closes:
                report(k, "inline-repaired", "warning", "duplicated by the model; kept the first")
            proposal[k] = (marks[0][0], marks[0][0], marks[0][1]) if marks else (None, None, 10**9 + k)
            continue
        opens = sorted(s.opens + s.empties, key=lambda x: x[1])
        start = opens[0] if opens else None
        closes = [x for x in s.closes if start is None or x[1] > start[1]]
        if start is not None and start in s.empties and not closes:
            closes = [start]
        end = closes[-1] if closes else None
        if len(s.opens) + len(s.empties) > 1 or len(s.closes) > 1:
            report(k, "inline-repaired", "warning", "duplicated by the model; merged into one span")
        proposal[k] = (start[0] if start else None, end[0] if end else None, start[1] if start else 10**9 + k)

    placed: dict[int, tuple[int, int]] = {}
    order: list[int] = []

    def hull(k: int) -> tuple[int, int] | None:
        points = [p for d in descendants(k) for p in proposal[d][:2] if p is not None]
        return (min(points), max(points)) if points else None

    def descendants(k: int) -> list[int]:
        out = []
        for ch in kids[k]:
            out.append(ch)
            out.extend(descendants(ch))
        return out

    def guess(k: int, lo: int, hi: int, src_lo: int, src_hi: int, gap_lo: int, gap_hi: int, void: bool) -> int:
        """Where a dropped code goes: its relative place in the parent, at a word edge, inside the gap."""
        ratio = (codes[k].start - src_lo) / (src_hi - src_lo) if src_hi > src_lo else 0.0
        guess = lo + round(ratio * (hi - lo))
        edges = [m.end() if void else m.start() for m in _WORD.finditer(text, gap_lo, gap_hi)]
        edges = [x for x in edges if (x <= guess if void else x >= guess)]
        spot = (max(edges) if void else min(edges)) if edges else guess
        return min(max(spot, gap_lo), gap_hi)

    def fit(parent: int | None, lo: int, hi: int, src_lo: int, src_hi: int) -> None:
        sibs = kids[parent]
        complete = [k for k in sibs
                    if proposal[k][0] is not None and proposal[k][1] is not None
                    and lo <= proposal[k][0] <= proposal[k][1] <= hi]
        complete.sort(key=lambda k: (proposal[k][0], proposal[k][2]))
        accepted: list[int] = []
        cursor = lo
        for k in complete:
            if proposal[k][0] >= cursor:
                accepted.append(k)
                cursor = proposal[k][1]
        if [k for k in sibs if k in accepted] != accepted:
            problems.append(Finding("inline-reordered", "info",
                                    message="the model changed the order of inline markup (word order may "
                                            "legitimately change; check the links and emphasis)",
                                    meta={"marker": accepted[0] + 1}))
        spots = {k: proposal[k][:2] for k in accepted}
        sequence = list(accepted)
        for k in sibs:
            if k in spots:
                continue
            before = [j for j in sibs[: sibs.index(k)] if j in sequence]
            at = sequence.index(before[-1]) + 1 if before else 0
            gap_lo = spots[sequence[at - 1]][1] if at else lo
            gap_hi = spots[sequence[at]][0] if at < len(sequence) else hi
            s, e, _ = proposal[k]
            s = None if s is None or not gap_lo <= s <= gap_hi else s
            e = None if e is None or not gap_lo <= e <= gap_hi else e
            if is_void(codes[k]):
                if s is None:
                    s = guess(k, lo, hi, src_lo, src_hi, gap_lo, gap_hi, void=True)
                    how = "dropped by the model; put back at the same relative place as in the source"
                else:
                    how = "crossed other markup; kept inside its parent"
                e = s
            elif s is not None and e is not None and s <= e:
                how = "crossed other markup; kept inside its parent"
            elif s is not None:
                e = _words_forward(text, s, source_words[k], gap_hi)
                how = "lost its end; closed after as many words as in the source"
            elif e is not None:
                s = _words_back(text, e, source_words[k], gap_lo)
                how = "lost its start; opened as many words before as in the source"
            else:
                around = hull(k)
                if around and gap_lo <= around[0] <= around[1] <= gap_hi:
                    s, e = around
                    how = "dropped by the model; put back around its nested markup"
                elif codes[k].start <= src_lo and codes[k].end >= src_hi:
                    s, e = gap_lo, gap_hi
                    how = "dropped by the model; put back around the whole text, as in the source"
                else:
                    s = guess(k, lo, hi, src_lo, src_hi, gap_lo, gap_hi, void=False)
                    e = s if codes[k].start == codes[k].end else _words_forward(text, s, source_words[k], gap_hi)
                    how = "dropped by the model; put back at the same relative place as in the source"
            report(k, "inline-repaired", "warning", how)
            spots[k] = (s, e)
            sequence.insert(at, k)
        for k in sequence:
            s, e = spots[k]
            placed[k] = (s, e)
            order.append(k)
            if not is_void(codes[k]):
                fit(k, s, e, codes[k].start, codes[k].end)

    source_end = len(source_text) if source_text is not None else max((c.end for c in codes), default=0)
    source_words = {
        k: max(1, len(_WORD.findall(source_text[c.start : c.end])) if source_text is not None
               else len(_WORD.findall(text[c.start : c.end])))
        for k, c in enumerate(codes)
    }
    fit(None, 0, len(text), 0, source_end)
    out = [
        InlineCode(codes[k].id, codes[k].tag, placed[k][0], placed[k][1], dict(codes[k].attrs),
                   {key: v for key, v in codes[k].meta.items() if key != "parent"})
        for k in order
    ]
    position = {k: i for i, k in enumerate(order)}
    set_parents(out, [position[up[k]] if up[k] is not None else None for k in order])
    return text, out, problems
