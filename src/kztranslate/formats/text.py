"""The newsroom plain-text layout: what a news page looks like when copied as text.

::

    Headline line

    27 Қараша 2019, 10:03 3457          ← dateline, optionally the view count (and the share trailer)

    Paragraph …                         ← one block per line; blank lines between them are layout

    Нұргүл Қалиева                      ← byline: 1–3 capitalized words per name, near the end
    Бөлісу:                             ← share trailer (and other site furniture from the table)

Real pages also print the rubric, dateline, counter and share widget above the headline, a weekday
or a relative day ("Бүгін, 14:25") in the dateline, and site labels ("Фото: …"); see ``_classify``.

Every line becomes a block (a line the reader cannot classify is a paragraph); everything
between block texts — line breaks, blank lines, trailing spaces, indentation, a BOM — is kept
in ``block.meta["layout"]["after"]`` (and ``article.meta["layout"]["before"]`` for what precedes
the first block), so reading and writing gives the input back byte for byte, and a variant
keeps the source's layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from ..document import Article, Block
from ..langid import detect_language
from ..languages import normalize_language
from ..localize import is_furniture, parse_count, parse_dateline, split_counter

__all__ = ["TextFormat"]

_LINE = re.compile(r"[^\r\n]+")
# What may stand before a date on its line: a bullet, or a short rubric, a weekday or a label
# ("Қоғам •", "Сәрсенбі,", "Жарияланды:") and a separator.
_DATE_PREFIX = re.compile(r"(?:(?P<rubric>[^\d\s•·|—–/,:-][^\d•·|—–/,:]{0,39}?)\s*)?[•·|—–/,:-]\s*")
# What may stand between the date and the view count: "… 10:03 | 3457", "… 10:03 👁 3457".
_COUNT_PREFIX = re.compile(r"\s+(?:(?:[|•·]|👁\ufe0f?)\s*)?")
_NAME_SEPARATOR = re.compile(r"\s*(?:,|&|\s(?:және|и|and)\s)\s*")
_NAME_WORD = re.compile(r"[^\W\d_]\.|[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# A relative dateline: "Бүгін, 14:25", "Кеше 18:40", "Сегодня в 09:05", "Yesterday at 18:40".
_RELATIVE_DATE = re.compile(
    r"(?<![\w.])(?P<day>[^\W\d_]+)(?:,\s*|\s+(?:в\s+|at\s+)?)\d{1,2}:\d{2}(?![\w:])", re.IGNORECASE
)
# What may stand above the headline and the first paragraph: rubric, dateline, counter, share widget.
_HEADER_ROLES = frozenset({"headline", "dateline", "counter", "share", "other"})
_SAME_LINE = " "


@dataclass(slots=True)
class _Piece:
    """A block found in the text, by its span."""

    role: str
    start: int
    end: int
    meta: dict[str, Any] = field(default_factory=dict)


class TextFormat:
    """Reader/writer of newsroom plain text (the layout of ``shared/corpus/seed-baq.kk.txt``)."""

    name: ClassVar[str] = "text"
    extensions: ClassVar[tuple[str, ...]] = (".txt",)

    def sniff(self, text: str) -> bool:
        lines = [m for m in _LINE.finditer(text) if m.group().strip()][:6]
        return any(_dateline_pieces(m.group().strip(), 0) for m in lines)

    def read(self, text: str, *, source: str | None = None, language: str | None = None) -> Article:
        pieces = _classify(text)
        blocks: list[Block] = []
        for index, piece in enumerate(pieces):
            following = pieces[index + 1].start if index + 1 < len(pieces) else len(text)
            meta = dict(piece.meta)
            meta["layout"] = {"after": text[piece.end:following]}
            blocks.append(Block(piece.role, text[piece.start:piece.end], meta=meta))
        layout: dict[str, str] = {}
        before = text[: pieces[0].start] if pieces else text
        if before:
            layout["before"] = before
        if text.count("\r\n") * 2 > text.count("\n"):
            layout["newline"] = "\r\n"
        article = Article(language="", blocks=blocks, meta={"layout": layout} if layout else {})
        dateline = next((b for b in blocks if "published" in b.meta), None)
        if dateline is not None:
            article.published = datetime.fromisoformat(dateline.meta["published"])
        counter = next((b for b in blocks if b.role == "counter"), None)
        if counter is not None:
            article.views = counter.meta["views"]
        if language:
            article.language = normalize_language(language)
        else:
            body = "\n".join(b.text for b in blocks if b.translatable)
            article.language = detect_language(body) or detect_language(text) or ""
        return article

    def write(self, article: Article) -> str:
        layout = article.meta.get("layout") or {}
        newline = layout.get("newline", "\n")
        parts = [layout.get("before", "")]
        blocks = article.blocks
        for index, block in enumerate(blocks):
            parts.append(block.text)
            after = (block.meta.get("layout") or {}).get("after")
            if after is None:
                following = blocks[index + 1] if index + 1 < len(blocks) else None
                after = _default_after(block, following, newline)
            parts.append(after)
        return "".join(parts)


def _default_after(block: Block, following: Block | None, newline: str) -> str:
    """Layout for blocks built by code: a blank line between blocks, the counter (and a share
    trailer) on the dateline's line, a final newline."""
    if following is None:
        return newline
    if (block.role, following.role) in (("dateline", "counter"), ("counter", "share")):
        return _SAME_LINE
    return newline * 2


# -- classification -------------------------------------------------------------------------------

def _classify(text: str) -> list[_Piece]:
    """Every non-blank line as one or more pieces (a dateline line may hold several), in order.

    Above the first paragraph (the page's header) the rubric, dateline, view counter and share
    widget may stand in any order around the headline, which is the first other line there."""
    offset = 1 if text.startswith("\ufeff") else 0
    pieces: list[_Piece] = []
    for match in _LINE.finditer(text, offset):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            continue
        start = match.start() + len(line) - len(line.lstrip())
        end = start + len(stripped)
        previous = pieces[-1] if pieces else None
        in_header = all(p.role in _HEADER_ROLES for p in pieces)
        dateline = _dateline_pieces(stripped, start)
        if dateline:
            pieces.extend(dateline)
        elif previous is not None and in_header and (counter := _counter_pieces(stripped, start)):
            pieces.extend(counter)
        elif previous is not None and _is_counter_word_line(text, previous, stripped, start):
            previous.end = end
        elif in_header and not is_furniture(stripped) and all(p.role != "headline" for p in pieces):
            pieces.append(_Piece("headline", start, end))
        else:
            pieces.append(_plain_piece(stripped, start, end))
    _mark_bylines(text, pieces)
    return pieces


def _dateline_pieces(line: str, at: int) -> list[_Piece]:
    """A line that is a dateline: [bullet or rubric] date [view count] [share trailer]."""
    date = _find_date(line)
    if date is None:
        return []
    date_start, date_end, meta = date
    pieces: list[_Piece] = []
    if date_start:
        prefix = _DATE_PREFIX.fullmatch(line[:date_start])
        if prefix is None:
            return []
        if prefix["rubric"]:
            pieces.append(_Piece("other", at, at + prefix.end("rubric")))
    pieces.append(_Piece("dateline", at + date_start, at + date_end, meta))
    tail = line[date_end:]
    if tail and not tail[0].isspace():
        return []
    if tail.strip():
        gap = _COUNT_PREFIX.match(tail)
        rest = _counter_pieces(tail.strip(), at + date_end + len(tail) - len(tail.lstrip())) if gap is None \
            else _counter_pieces(tail[gap.end():].rstrip(), at + date_end + gap.end())
        if not rest:
            return []
        pieces.extend(rest)
    return pieces


def _find_date(line: str) -> tuple[int, int, dict[str, Any]] | None:
    """Where the date of a dateline stands in ``line``, and its block meta: ``published`` for a
    date, ``relative`` (``today``/``yesterday``) for "Бүгін, 14:25", whose day is unknown."""
    found = parse_dateline(line)
    if found is not None:
        published = found.published.isoformat() if found.has_time else found.published.date().isoformat()
        return found.start, found.end, {"published": published}
    relative = _RELATIVE_DATE.search(line)
    if relative is not None and (day := is_furniture(relative["day"])) in ("today", "yesterday"):
        return relative.start(), relative.end(), {"relative": day}
    return None


def _counter_pieces(text: str, at: int) -> list[_Piece]:
    """``3457``, ``3457 рет``, ``Просмотров: 3457``, each optionally followed by a share trailer;
    or the share trailer alone."""
    share = re.search(r"\S+$", text)
    pieces: list[_Piece] = []
    counter_text = text
    if share and is_furniture(share.group()) == "share":
        counter_text = text[: share.start()].rstrip()
        pieces.append(_Piece("share", at + share.start(), at + len(text)))
    if not counter_text:
        return pieces
    parts = split_counter(counter_text)
    if parts is None:
        return []
    views = parse_count(parts[2])
    return [_Piece("counter", at, at + len(counter_text), {"views": views}), *pieces]


def _is_counter_word_line(text: str, previous: _Piece, line: str, start: int) -> bool:
    """A counter word printed on the line under a bare count ("3457" / "рет")."""
    if previous.role != "counter" or is_furniture(line) not in ("views", "read"):
        return False
    parts = split_counter(text[previous.start:previous.end])
    gap = text[previous.end:start]
    return parts is not None and not parts[0] and not parts[4] and gap.strip(" \t") in ("\n", "\r\n", "\r")


def _plain_piece(line: str, start: int, end: int) -> _Piece:
    concept = is_furniture(line)
    if concept == "share":
        return _Piece("share", start, end)
    if concept is not None:
        return _Piece("other", start, end, {"furniture": concept})
    head, colon, rest = line.partition(":")
    if colon and rest.strip():
        labelled = is_furniture(head)
        if labelled == "photo":
            return _Piece("caption", start, end)
        if labelled == "tags":
            return _Piece("tags", start, end)
    return _Piece("paragraph", start, end)


def _mark_bylines(text: str, pieces: list[_Piece]) -> None:
    """The last paragraph line(s) before the closing furniture, when they are person names
    (a byline may be printed twice)."""
    paragraphs = [p for p in pieces if p.role == "paragraph"]
    found = 0
    for piece in reversed(pieces):
        if piece.role in ("share", "tags") or "furniture" in piece.meta:
            continue
        if piece.role != "paragraph" or found == 2 or len(paragraphs) - found < 2:
            break
        names = _byline_names(text[piece.start:piece.end])
        if names is None:
            break
        piece.role = "byline"
        piece.meta["names"] = names
        found += 1


def _byline_names(line: str) -> list[str] | None:
    """Person names when ``line`` is nothing else: up to three names of 1–3 capitalized words
    (initials and a surname in capitals allowed), no sentence punctuation."""
    names = _NAME_SEPARATOR.split(line)
    if len(names) > 3:
        return None
    for name in names:
        words = name.split(" ")
        if not 1 <= len(words) <= 3 or not any(len(w) > 2 for w in words):
            return None
        if not all(_NAME_WORD.fullmatch(w) and w[0].isupper() for w in words):
            return None
    return names
