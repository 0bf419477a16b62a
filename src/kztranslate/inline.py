"""The marker codec: a block's inline codes out to the model as numbered markers, balanced markup back.

A block's inline markup (:class:`~kztranslate.document.InlineCode`) travels through the model as
numbered XML-like markers: ``<1>…</1>`` around marked text, ``<2/>`` for an empty element such
as ``br``. Marker numbers are positions in the block's code list (1-based), never tags or
attributes, so nothing of the markup itself reaches the model. Literal ``<``, ``>`` (and ``&``
when it starts one of our escapes) are written ``&lt;``, ``&gt;``, ``&amp;``, so text can never
be read back as a marker.

:func:`decode` reads the model's output back and always returns every source code exactly once,
with its tag, attributes and parent as in the source: markers the model dropped, duplicated,
reordered or crossed are repaired and reported; markers it invented are dropped; any other
markup it wrote (``<script>``) is plain text, which writers escape. It works in named steps over
a :class:`Proposal` (what the markers say, then how each code was placed), all iterative, so
markup nested thousands deep is read back like any other.

Which code encloses which is the markup tree's business (:mod:`kztranslate.markup`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from .document import Finding, InlineCode
from .markup import Span, children_of, is_void, parents, set_parents, tree

__all__ = [
    "MARKER",
    "TOKEN",
    "Claim",
    "Fault",
    "Mark",
    "Marks",
    "Proposal",
    "Repair",
    "decode",
    "encode",
    "encode_pieces",
    "escape",
    "propose",
    "unescape",
]

#: A marker as the model may write it back (spaces tolerated: ``< 1 >``, ``</ 1>``, ``<1 />``).
MARKER = re.compile(r"<\s*(/)?\s*(\d{1,4})\s*(/)?\s*>")
_ESCAPE = re.compile(r"&(lt|gt|amp);")
#: Anything of ours in encoded text: a marker or an escape (other layers leave these alone).
TOKEN = re.compile(f"{MARKER.pattern}|{_ESCAPE.pattern}")
_UNESCAPED = {"lt": "<", "gt": ">", "amp": "&"}
_NEEDS_ESCAPE = re.compile(r"[<>]|&(?=(?:lt|gt|amp);)")
_WORD = re.compile(r"\S+")
_CLOSING_PUNCTUATION = frozenset(".,;:!?…»\"')]")


def escape(text: str) -> str:
    """Escape text so that no part of it reads as a marker."""
    return _NEEDS_ESCAPE.sub(lambda m: {"<": "&lt;", ">": "&gt;"}.get(m.group(), "&amp;"), text)


def unescape(text: str) -> str:
    """Inverse of :func:`escape` (one pass, so ``&amp;lt;`` gives ``&lt;``)."""
    return _ESCAPE.sub(lambda m: _UNESCAPED[m.group(1)], text)


# -- encoding -------------------------------------------------------------------------------
def _render(nodes: Iterable[str | Span]) -> Iterable[str]:
    for is_text, piece in _flatten(nodes):
        yield escape(piece) if is_text else piece


def _flatten(nodes: Iterable[str | Span]) -> Iterable[tuple[bool, str]]:
    """``(is_text, piece)`` of a tree in document order: text, or a marker. Iterative, like :func:`tree`."""
    stack: list[tuple[Iterator[str | Span], str | None]] = [(iter(nodes), None)]
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
@dataclass(frozen=True, slots=True)
class Mark:
    """One marker the model wrote."""

    at: int
    """Offset in the plain text (markers and escapes read out)."""
    order: int
    """Rank among the markers and escapes of the model's output."""


@dataclass(slots=True)
class Marks:
    """The markers the model wrote for one source code, in the order it wrote them."""

    opens: list[Mark] = field(default_factory=list)
    closes: list[Mark] = field(default_factory=list)
    empties: list[Mark] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Claim:
    """Where the markers put one code: ``None`` for an end the model left out."""

    start: Mark | None
    end: Mark | None

    def span(self, lo: int, hi: int) -> tuple[int, int] | None:
        """The claimed ``(start, end)`` when both ends are there, in order and within ``lo..hi``."""
        if self.start is None or self.end is None or not lo <= self.start.at <= self.end.at <= hi:
            return None
        return self.start.at, self.end.at


#: What was wrong with a code's markers, and so how it was placed.
Fault = Literal[
    "duplicated-empty", "duplicated-span", "reordered", "crossed", "lost-end", "lost-start",
    "dropped", "dropped-around-nested", "dropped-around-all",
]

_HOW: dict[Fault, str] = {
    "duplicated-empty": "duplicated by the model; kept the first",
    "duplicated-span": "duplicated by the model; merged into one span",
    "reordered": "the model changed the order of inline markup (word order may legitimately change; "
                 "check the links and emphasis)",
    "crossed": "crossed other markup; kept inside its parent",
    "lost-end": "lost its end; closed after as many words as in the source",
    "lost-start": "lost its start; opened as many words before as in the source",
    "dropped": "dropped by the model; put back at the same relative place as in the source",
    "dropped-around-nested": "dropped by the model; put back around its nested markup",
    "dropped-around-all": "dropped by the model; put back around the whole text, as in the source",
}


@dataclass(frozen=True, slots=True)
class Repair:
    """One thing done to the model's markers: ``index`` is the code (for ``reordered``, the first
    code of the model's order)."""

    index: int
    fault: Fault


@dataclass(frozen=True, slots=True)
class _Room:
    """Where a parent's children go: its span in the output and, for guesses, in the source."""

    lo: int
    hi: int
    source_lo: int
    source_hi: int


@dataclass(slots=True)
class Proposal:
    """What the model's output proposes for a block's inline codes, and how it was made whole.

    :func:`propose` fills it step by step: the plain text and the markers found where
    (:func:`_read_markers`), each code's claimed span (:func:`_claim`), then the codes placed
    parent by parent (:class:`_Placer`), with every repair recorded in the order made.
    """

    codes: list[InlineCode]
    """The source codes (marker ``n`` is ``codes[n - 1]``)."""
    text: str
    """The model's text with markers removed and escapes read back."""
    marks: list[Marks]
    """Per source code, the markers found for it."""
    invented: list[str]
    """Markers naming no source code, as the model wrote them (dropped)."""
    claims: list[Claim] = field(default_factory=list)
    """Per source code, the span its markers give."""
    repairs: list[Repair] = field(default_factory=list)
    """What was duplicated, reordered, crossed or dropped, and how each was placed."""
    placed: list[tuple[int, int, int]] = field(default_factory=list)
    """``(index, start, end)`` of every code, in the output's document order."""

    def decoded_codes(self) -> list[InlineCode]:
        """Copies of the source codes at their new offsets, with the source's parents."""
        up = parents(self.codes)
        position = {k: i for i, (k, _, _) in enumerate(self.placed)}
        out = []
        for k, start, end in self.placed:
            code = self.codes[k]
            meta = {key: value for key, value in code.meta.items() if key != "parent"}
            out.append(InlineCode(code.id, code.tag, start, end, dict(code.attrs), meta))
        wanted: list[int | None] = []
        for k, _, _ in self.placed:
            parent = up[k]
            wanted.append(position[parent] if parent is not None else None)
        set_parents(out, wanted)
        return out

    def problems(self) -> list[Finding]:
        """The invented markers and the repairs as findings with no block or segment yet; the number
        of the marker concerned is in ``meta["marker"]`` (none for an invented one)."""
        found = [
            Finding("inline-invented", "warning",
                    message=f"the model wrote a marker {marker!r} that is not in the source; dropped")
            for marker in self.invented
        ]
        for repair in self.repairs:
            if repair.fault == "reordered":
                found.append(Finding("inline-reordered", "info", message=_HOW[repair.fault],
                                     meta={"marker": repair.index + 1}))
            else:
                tag = self.codes[repair.index].tag
                found.append(Finding("inline-repaired", "warning",
                                     message=f"marker {repair.index + 1} (<{tag}>): {_HOW[repair.fault]}",
                                     meta={"marker": repair.index + 1}))
        return found


def _read_markers(model_text: str, count: int) -> tuple[str, list[Marks], list[str]]:
    """The plain text, the markers found for each of ``count`` codes, and the invented ones."""
    plain: list[str] = []
    length = 0
    marks = [Marks() for _ in range(count)]
    invented: list[str] = []
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
            invented.append(m.group())
            continue
        found = marks[k]
        kind = found.closes if m.group(1) else found.empties if m.group(3) else found.opens
        kind.append(Mark(length, order))
    plain.append(model_text[last:])
    return "".join(plain), marks, invented


def _by_order(marks: list[Mark]) -> list[Mark]:
    return sorted(marks, key=lambda mark: mark.order)


def _claim(code: InlineCode, marks: Marks) -> tuple[Claim, Fault | None]:
    """The span one code's markers give, and whether the model wrote too many of them.

    An empty code is where its first marker is. A span opens at its first opening (or empty)
    marker and closes at the last closing marker after that; ``<1/>`` alone is an empty span.
    """
    if is_void(code):
        first = _by_order(marks.empties + marks.opens)
        duplicated = len(first) > 1 or bool(marks.closes)
        start = first[0] if first else None
        return Claim(start, start), "duplicated-empty" if duplicated else None
    first = _by_order(marks.opens + marks.empties)
    start = first[0] if first else None
    closes = [mark for mark in marks.closes if start is None or mark.order > start.order]
    if start is not None and start in marks.empties and not closes:
        closes = [start]
    duplicated = len(first) > 1 or len(marks.closes) > 1
    return Claim(start, closes[-1] if closes else None), "duplicated-span" if duplicated else None


def _hulls(claims: list[Claim], up: list[int | None]) -> list[tuple[int, int] | None]:
    """Per code, the smallest range holding every marker claimed by the codes nested in it.

    A child always comes after its parent in document order, so one backward pass suffices.
    """
    hull: list[tuple[int, int] | None] = [None] * len(claims)
    for k in range(len(claims) - 1, -1, -1):
        parent = up[k]
        if parent is None:
            continue
        points = [mark.at for mark in (claims[k].start, claims[k].end) if mark is not None]
        inner = hull[k]
        if inner is not None:
            points += inner
        outer = hull[parent]
        if outer is not None:
            points += outer
        if points:
            hull[parent] = (min(points), max(points))
    return hull


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
    """Start of the ``words``-th word back from ``pos``, at least ``limit``."""
    starts = [m.start() for m in _WORD.finditer(text, limit, pos)]
    return starts[-words] if 0 < words <= len(starts) else (starts[0] if starts and words else pos)


def _relative_spot(text: str, code: InlineCode, room: _Room, gap: tuple[int, int], void: bool) -> int:
    """Where a dropped code goes: its relative place in the parent, at a word edge, inside the gap."""
    gap_lo, gap_hi = gap
    width = room.source_hi - room.source_lo
    ratio = (code.start - room.source_lo) / width if width > 0 else 0.0
    guess = room.lo + round(ratio * (room.hi - room.lo))
    edges = [m.end() if void else m.start() for m in _WORD.finditer(text, gap_lo, gap_hi)]
    edges = [x for x in edges if (x <= guess if void else x >= guess)]
    spot = (max(edges) if void else min(edges)) if edges else guess
    return min(max(spot, gap_lo), gap_hi)


class _Placer:
    """Places the codes of one :class:`Proposal`, parent by parent (the steps of :func:`propose`)."""

    def __init__(self, proposal: Proposal, source_text: str | None) -> None:
        self.proposal = proposal
        self.source_text = source_text
        self.up = parents(proposal.codes)
        self.kids = children_of(self.up)
        self.hulls = _hulls(proposal.claims, self.up)

    def source_words(self, k: int) -> int:
        """How many words code ``k`` spans in the source (at least one)."""
        code = self.proposal.codes[k]
        text = self.source_text if self.source_text is not None else self.proposal.text
        return max(1, len(_WORD.findall(text[code.start : code.end])))

    def place_all(self) -> None:
        """Every code, depth first in the output's document order, without recursion."""
        codes = self.proposal.codes
        source_end = (len(self.source_text) if self.source_text is not None
                      else max((c.end for c in codes), default=0))
        pending = self.place_children(None, _Room(0, len(self.proposal.text), 0, source_end))[::-1]
        while pending:
            k, start, end = pending.pop()
            self.proposal.placed.append((k, start, end))
            if not is_void(codes[k]):
                room = _Room(start, end, codes[k].start, codes[k].end)
                pending.extend(self.place_children(k, room)[::-1])

    def place_children(self, parent: int | None, room: _Room) -> list[tuple[int, int, int]]:
        """The children of ``parent`` placed inside ``room``, in output order: first those the
        model gave whole and in order, then each of the rest repaired into the gap where the
        source order puts it."""
        siblings = self.kids[parent]
        accepted = self.accept_in_order(siblings, room)
        if accepted and [k for k in siblings if k in accepted] != list(accepted):
            self.proposal.repairs.append(Repair(next(iter(accepted)), "reordered"))
        # the output order as a linked list: after[k] is the code placed after k (None: the first)
        after: dict[int | None, int | None] = {None: None}
        previous: int | None = None
        for k in accepted:
            after[previous], previous = k, k
        after[previous] = None
        spots = dict(accepted)
        previous = None
        for k in siblings:
            if k not in spots:
                following = after[previous]
                gap = (spots[previous][1] if previous is not None else room.lo,
                       spots[following][0] if following is not None else room.hi)
                spots[k] = self.repair(k, room, gap)
                after[previous], after[k] = k, following
            previous = k
        placed = []
        k_next = after[None]
        while k_next is not None:
            placed.append((k_next, *spots[k_next]))
            k_next = after[k_next]
        return placed

    def accept_in_order(self, siblings: list[int], room: _Room) -> dict[int, tuple[int, int]]:
        """Siblings whose claimed span is whole and inside ``room``, kept greedily left to right
        so that none overlaps the one before (in the model's order)."""
        claims = self.proposal.claims
        whole: list[tuple[int, int, tuple[int, int]]] = []  # (code, rank of its opening marker, span)
        for k in siblings:
            claim = claims[k]
            span = claim.span(room.lo, room.hi)
            if span is not None and claim.start is not None:
                whole.append((k, claim.start.order, span))
        whole.sort(key=lambda item: (item[2][0], item[1]))
        accepted: dict[int, tuple[int, int]] = {}
        cursor = room.lo
        for k, _, span in whole:
            if span[0] >= cursor:
                accepted[k] = span
                cursor = span[1]
        return accepted

    def repair(self, k: int, room: _Room, gap: tuple[int, int]) -> tuple[int, int]:
        """Place code ``k``, which the model did not give whole and in order, inside ``gap``
        (between its placed neighbours), and record how."""
        code = self.proposal.codes[k]
        claim = self.proposal.claims[k]
        text = self.proposal.text
        gap_lo, gap_hi = gap
        start = claim.start.at if claim.start is not None and gap_lo <= claim.start.at <= gap_hi else None
        end = claim.end.at if claim.end is not None and gap_lo <= claim.end.at <= gap_hi else None
        fault: Fault
        if is_void(code):
            if start is None:
                start, fault = _relative_spot(text, code, room, gap, void=True), "dropped"
            else:
                fault = "crossed"
            end = start
        elif start is not None and end is not None and start <= end:
            fault = "crossed"
        elif start is not None:
            end, fault = _words_forward(text, start, self.source_words(k), gap_hi), "lost-end"
        elif end is not None:
            start, fault = _words_back(text, end, self.source_words(k), gap_lo), "lost-start"
        else:
            around = self.hulls[k]
            if around is not None and gap_lo <= around[0] <= around[1] <= gap_hi:
                (start, end), fault = around, "dropped-around-nested"
            elif code.start <= room.source_lo and code.end >= room.source_hi:
                (start, end), fault = gap, "dropped-around-all"
            else:
                start, fault = _relative_spot(text, code, room, gap, void=False), "dropped"
                end = start if code.start == code.end else _words_forward(text, start, self.source_words(k), gap_hi)
        self.proposal.repairs.append(Repair(k, fault))
        return start, end


def propose(model_text: str, codes: list[InlineCode], source_text: str | None = None) -> Proposal:
    """Read the model's output for a block encoded with :func:`encode` into a whole :class:`Proposal`:
    markers read, spans claimed, duplicates noted, every code placed (see :func:`decode`)."""
    text, marks, invented = _read_markers(model_text, len(codes))
    proposal = Proposal(codes, text, marks, invented)
    for code, found in zip(codes, marks):
        claim, fault = _claim(code, found)
        proposal.claims.append(claim)
        if fault is not None:
            proposal.repairs.append(Repair(len(proposal.claims) - 1, fault))
    _Placer(proposal, source_text).place_all()
    return proposal


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
    proposal = propose(model_text, codes, source_text)
    return proposal.text, proposal.decoded_codes(), proposal.problems()
