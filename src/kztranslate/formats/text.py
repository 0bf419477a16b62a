"""The newsroom plain-text layout: what a news page looks like when copied as text.

::

    Headline - «Ақ жол» газеті          ← headline; a site's name after a dash or a bar is site furniture

    27 Қараша 2019, 10:03 3457          ← dateline, optionally the view count (and the share trailer)

    Paragraph …                         ← one block per line; blank lines between them are layout

    Нұргүл Қалиева                      ← byline: 1–3 capitalized words per name, near the end
    Бөлісу:                             ← share trailer (and other site furniture from the table)

What real pages print, and what the reader makes of it (``_classify``):

* **Page header** — everything above the first paragraph: rubric, dateline, counter, share widget,
  language switch (``РУ``), menus, breadcrumbs (``Main Page >``), labels (``Weather:``), currency and
  weather lines, TV schedules and advertisements stand in any order around the headline, which is the
  first line there that reads like a title (``other`` blocks; a channel's name such as ``AstanaTV``
  under the headline is kept verbatim, ``meta["furniture"] = "brand"``; a reading time ``18 мин`` /
  ``оқу үшін`` is an ``other`` block). A line repeating the
  headline is a second ``headline`` block (``meta["repeat"]``); a site's name after the headline
  (``… - «Сайт атауы» ақпарат агенттігі``, ``… | Tengrinews.kz``) is an ``other`` block with
  ``meta["furniture"] = "site"``, kept out of the model and localized by
  :func:`kztranslate.localize.localize_site_name`.
* **Datelines** — any date :func:`kztranslate.localize.parse_dateline` reads, with a bullet or a
  pipe before it (``• 14 Наурыз, 2018``, ``| 14 Наурыз, 2018``), a rubric, a weekday or a label
  (``Қоғам • …``, ``Сәрсенбі, …``, ``Elorda 26 Qyrküiek, 2025``), a rubric with the view and comment
  counts (``Билік 2745 3 пікір 4 Мамыр, 2022 сағат 13:31``); relative ones (``Бүгін, 09:40``,
  ``Кеше 18:40``, ``Сегодня в 09:05``; ``meta["relative"]``). The article's ``published`` is the first
  dateline with a time of day (a page may print today's date above the article's), else the first.
* **View counters** — after the date on its line (``… 10:03 3457``, ``… | 3457``, ``… 👁 3457``,
  ``… • 597 просмотров``), or on a line of their own in the header in every shape
  :func:`kztranslate.localize.split_counter` reads (``1024``, ``Қаралды: 1024``, ``👁 312``,
  ``views312``, ``12 345 просмотров``), the counter word possibly on the next line
  (``1024`` / ``оқылды``, ``4236 рет`` / ``көрсетілді``): one ``counter`` block with ``meta["views"]``.
* **Bylines** — person names (1–3 names of 1–3 capitalized words; initials and surnames in capitals
  allowed; a final ``.`` or ``,`` stays layout) at the end of the text, under the headline or above the
  dateline (there at least two words per name), after an ``Author:`` line, or after a label on their
  line (``Авторлар: …``: the label is a block of its own). ``meta["names"]`` holds each person once in
  normal case (``Ерлан ТӨЛЕУОВ`` → ``Ерлан Төлеуов``; ``meta["printed"]`` keeps the printed form). A
  byline printed twice on one line (``Айгүл Серікова Айгүл Серікова``) is two blocks, the second with
  ``meta["repeat"]``, which a variant does not print. A role word after the name (``Корреспондент``)
  is site furniture.
* **Site lines** — furniture from :data:`kztranslate.localize.FURNITURE` (share, read also, related,
  ``Comments are closed`` …) is an ``other`` block with ``meta["furniture"]``, localized from the table
  or kept verbatim, never sent to the model; so are contact lines (``Телефон: …``, ``Эл. почта: …``:
  the label is localized, the value kept), copyright lines (``©…``) and language switches. Photo
  credits (``Фото: …``, ``Сурет: …``, ``Images | …``) are ``caption`` blocks, tag lists (``Тегтер: …``,
  ``#тег #тег``) ``tags`` blocks, subscription prompts (``Telegram-арнамызға жазылыңыз``) ``other``
  blocks with ``meta["site"] = "subscribe"`` (translated).

Every line becomes a block (a line the reader cannot classify is a paragraph, never dropped); everything
between block texts — line breaks, blank lines, trailing spaces, indentation, a BOM — is kept
in ``block.meta["layout"]["after"]`` (and ``article.meta["layout"]["before"]`` for what precedes
the first block), so reading and writing gives the input back byte for byte, and a variant
keeps the source's layout. Every pattern here runs in linear time in the length of its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from ..document import Article, Block
from ..langid import detect_language
from ..languages import normalize_language
from ..localize import (
    is_furniture,
    is_weekday,
    parse_count,
    parse_dateline,
    split_counter,
    split_site_label,
    split_site_suffix,
)

__all__ = ["TextFormat"]

_LINE = re.compile(r"[^\r\n]+")
_WORD_SPAN = re.compile(r"\S+")
# What may stand before a date on its line: a bullet, or a short rubric, a weekday or a label
# ("Қоғам •", "Сәрсенбі,", "Жарияланды:") and a separator.
_DATE_PREFIX = re.compile(r"(?:(?P<rubric>[^\d\s•·|—–/,:-][^\d•·|—–/,:]{0,39}?)\s*)?[•·|—–/,:-]\s*")
# A prefix with no separator: rubric words, then possibly the view count and a comment count
# ("Elorda ", "Билік 2745 3 пікір ").
_BARE_PREFIX = re.compile(
    r"(?P<rubric>[^\d\s]+(?: [^\d\s]+){0,3})"
    r"(?: (?P<views>\d{1,9})(?: (?P<comments>\d{1,9} [^\W\d_]{1,20}))?)? ?"
)
# What may stand between the date and the view count: "… 10:03 | 3457", "… 10:03 👁 3457".
_COUNT_PREFIX = re.compile(r"\s+(?:(?:[|•·]|👁\ufe0f?)\s*)?")
_NAME_SEPARATOR = re.compile(r"(?<!\s)\s*(?:,|&|\s(?:және|и|and)\s)\s*")
_NAME_WORD = re.compile(r"[^\W\d_]\.|[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# A relative dateline: "Бүгін, 14:25", "Кеше 18:40", "Сегодня в 09:05", "Yesterday at 18:40".
_RELATIVE_DATE = re.compile(
    r"(?<![\w.])(?P<day>[^\W\d_]+)(?:,[ \t]*|[ \t]+(?:в[ \t]+|at[ \t]+)?)\d{1,2}:\d{2}(?![\w:])", re.IGNORECASE
)
# Reading time under the counter: "24 мин", "5 min read".
_READING_TIME = re.compile(r"\d{1,3} ?(?:мин|min|минут)\.?(?: (?:оқу үшін|read|чтения))?", re.IGNORECASE)
# A brand name in one word with an inner capital: "AstanaTV", "KazTAG".
_BRAND = re.compile(r"[A-Z][a-z]{1,20}[A-Z][A-Za-z]{0,20}")
_TIME_FIRST = re.compile(r"\d{1,2}:\d{2} ")
_HASHTAGS = re.compile(r"#[^\W_][\w-]*(?:[ ,]+#[^\W_][\w-]*)*")
# Words of a subscription prompt, and what it asks to follow.
_SUBSCRIBE = re.compile(r"жазылыңыз|жазылу|подпис|subscribe|follow us|қосылыңыз", re.IGNORECASE)
_CHANNELS = re.compile(
    r"telegram|instagram|facebook|youtube|whatsapp|tiktok|арна|канал|channel|рассылк|newsletter|feed", re.IGNORECASE)
_LANGUAGE_SWITCH = frozenset(
    {"ру", "рус", "қаз", "қз", "каз", "kz", "ru", "en", "eng", "qaz", "qz", "中文", "ўз", "uz", "ق", "ز", "kaz", "kk"}
)
# What may stand above the headline and the first paragraph: rubric, dateline, counter, share widget.
_HEADER_ROLES = frozenset({"headline", "dateline", "counter", "share", "other", "byline"})
# A byline or a header line is short; longer lines are never names.
_MAX_BYLINE_CHARS = 120
# A dateline line (rubric, counts, date, counter, share trailer) is short; so is a counter line.
_MAX_DATELINE_CHARS = 200
# No headline is longer than this (a longer first line is a paragraph).
_MAX_TITLE_CHARS = 400
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
        dated = [b for b in blocks if "published" in b.meta]
        dateline = next((b for b in dated if "T" in b.meta["published"]), dated[0] if dated else None)
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
        """The article as text. In a variant (an article with provenance) a byline's second printing
        on the same line (``meta["repeat"]``) is left out, with the layout around it."""
        layout = article.meta.get("layout") or {}
        newline = layout.get("newline", "\n")
        parts = [layout.get("before", "")]
        blocks = article.blocks
        variant = article.provenance is not None
        for index, block in enumerate(blocks):
            after = (block.meta.get("layout") or {}).get("after")
            if after is None:
                following = blocks[index + 1] if index + 1 < len(blocks) else None
                after = _default_after(block, following, newline)
            if variant and block.role == "byline" and block.meta.get("repeat") and len(parts) > 1:
                parts[-1] = after  # the previous block's layout gives way to this one's
                continue
            parts.append(block.text)
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

    Above the first paragraph (the page's header) the rubric, dateline, view counter, share widget
    and bylines may stand in any order around the headline, the first line there that reads like a
    title (or, when none does, the first other line)."""
    offset = 1 if text.startswith("\ufeff") else 0
    pieces: list[_Piece] = []
    headline: _Piece | None = None
    for match in _LINE.finditer(text, offset):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            continue
        start = match.start() + len(line) - len(line.lstrip())
        end = start + len(stripped)
        previous = pieces[-1] if pieces else None
        in_header = all(p.role in _HEADER_ROLES for p in pieces)
        if dateline := _dateline_pieces(stripped, start):
            pieces.extend(dateline)
        elif previous is not None and in_header and (counter := _counter_pieces(stripped, start)):
            pieces.extend(counter)
        elif previous is not None and _is_counter_word_line(text, previous, stripped, start):
            previous.end = end
        elif in_header and headline is None and _reads_like_title(stripped, previous, text):
            found = _headline_pieces(stripped, start)
            headline = found[0]
            pieces.extend(found)
        elif in_header and headline is not None and _same_headline(text, headline, stripped):
            found = _headline_pieces(stripped, start)
            found[0].meta["repeat"] = True
            pieces.extend(found)
        elif in_header and (header_line := _header_piece(stripped, start, end, headline is None)) is not None:
            pieces.append(header_line)
        elif in_header and headline is not None and (byline := _byline_pieces(stripped, start, min_words=2)):
            pieces.extend(byline)
        else:
            pieces.extend(_plain_pieces(stripped, start, end, previous, text))
        if headline is None and not all(p.role in _HEADER_ROLES for p in pieces):
            headline = _promote_headline(pieces)
    if headline is None:
        _promote_headline(pieces)
    for piece in pieces:
        piece.meta.pop("_title", None)
    _mark_bylines(text, pieces)
    return pieces


def _reads_like_title(line: str, previous: _Piece | None, text: str) -> bool:
    """Whether a header line may be the headline: not furniture, a label, a breadcrumb, a menu, a
    language switch, a contact or subscription line, a TV schedule line, a weekday or mostly figures."""
    if len(line) > _MAX_TITLE_CHARS:
        return False
    if is_furniture(line) or _is_language_switch(line) or line.endswith((":", ",")) or _ends_with_crumb(line):
        return False
    if previous is not None and _ends_with_crumb(text[previous.start:previous.end].rstrip()):
        return False  # the last step of a breadcrumb
    if "@" in line or " » " in line or " > " in line or line.startswith("©") or _TIME_FIRST.match(line):
        return False
    words = line.split()
    if is_weekday(words[0]) or _is_menu(words) or (_SUBSCRIBE.search(line) and _CHANNELS.search(line)):
        return False
    label = split_site_label(line) or _contact_label(line)
    if label is not None and len(label[0].split()) <= 2 and label[1].lstrip()[:1].isdigit():
        return False  # "Updated: 2 hours ago"
    if _mostly_figures(line) or _READING_TIME.fullmatch(line):
        return False
    if len(words) == 1:
        return not (len(line) > 1 and line.isupper()) and (
            previous is None or previous.role not in ("dateline", "counter", "other"))
    return True


def _ends_with_crumb(line: str) -> bool:
    """``Main Page  >``, ``Басты бет »``: a breadcrumb step."""
    return len(line) > 1 and line[-1] in ">»›" and line[-2].isspace()


def _mostly_figures(line: str) -> bool:
    """Currency rates, weather, phone numbers: fewer than 60% of the characters are letters."""
    return sum(ch.isalpha() for ch in line) * 5 < len(line.replace(" ", "")) * 3


def _is_menu(words: list[str]) -> bool:
    """A site menu or pager copied as one line: five or more capitalized words, no punctuation."""
    return len(words) >= 5 and all(w[0].isupper() or w.isdigit() for w in words) \
        and not any(ch in ",.:;!?«»\"" for w in words for ch in w)


def _promote_headline(pieces: list[_Piece]) -> _Piece | None:
    """The first header line set aside as a possible headline becomes the headline when no line
    read like a title."""
    for piece in pieces:
        if piece.meta.pop("_title", False):
            piece.role = "headline"
            return piece
    return None


def _same_headline(text: str, headline: _Piece, line: str) -> bool:
    first = " ".join(text[headline.start:headline.end].split()).casefold()
    found = split_site_suffix(line)
    return " ".join((found[0] if found else line).split()).casefold() == first


def _headline_pieces(line: str, at: int) -> list[_Piece]:
    """The headline, and the site's name after it as site furniture."""
    found = split_site_suffix(line)
    if found is None:
        return [_Piece("headline", at, at + len(line))]
    title, separator, site = found
    site_at = at + len(title) + len(separator)
    return [_Piece("headline", at, at + len(title.rstrip())), _Piece("other", site_at, site_at + len(site),
                                                                      {"furniture": "site"})]


def _header_piece(line: str, start: int, end: int, before_headline: bool) -> _Piece | None:
    """A header line that is no title and no text: furniture, a language switch, a label, a
    breadcrumb, a reading time, a copyright; the first line that might still be the headline is
    marked so (``_promote_headline``)."""
    concept = is_furniture(line)
    if concept == "share":
        return _Piece("share", start, end)
    if concept is not None:
        return _Piece("other", start, end, {"furniture": concept})
    if _is_language_switch(line):
        return _Piece("other", start, end, {"furniture": "languages"})
    if line.startswith("©"):
        return _Piece("other", start, end, {"furniture": "copyright"})
    if _READING_TIME.fullmatch(line):
        return _Piece("other", start, end)
    if not before_headline and _BRAND.fullmatch(line):
        return _Piece("other", start, end, {"furniture": "brand"})  # the channel or agency: "AstanaTV"
    if not before_headline and len(line) <= 40 and line.isalpha() and line[0].isupper() and not line.isupper():
        return _Piece("other", start, end)  # a rubric or tag under the headline: "Сұқбат"
    if not before_headline or split_site_label(line) is not None or _contact_piece(line, start, end) is not None:
        return None
    if len(line) > _MAX_TITLE_CHARS:
        return None  # a paragraph: the text has no headline
    if len(line.split()) == 1 and len(line) <= 40 and not _mostly_figures(line):
        return _Piece("other", start, end, {"_title": True})
    return _Piece("other", start, end)  # above the headline: a menu, a schedule, an advertisement


def _is_language_switch(line: str) -> bool:
    words = line.replace("•", " ").replace("|", " ").split()
    return bool(words) and len(words) <= 8 and all(w.casefold() in _LANGUAGE_SWITCH for w in words)


def _dateline_pieces(line: str, at: int) -> list[_Piece]:
    """A line that is a dateline: [bullet, rubric, counts] date [view count] [share trailer]."""
    if len(line) > _MAX_DATELINE_CHARS:
        return []
    date = _find_date(line)
    if date is None:
        return []
    date_start, date_end, meta = date
    pieces: list[_Piece] = []
    if date_start:
        prefix = _prefix_pieces(line[:date_start], at)
        if prefix is None:
            return []
        pieces.extend(prefix)
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


def _prefix_pieces(prefix: str, at: int) -> list[_Piece] | None:
    """What stands before the date: a bullet, a rubric and a separator, or a rubric with the view
    count and a comment count ("Билік 2745 3 пікір"); None when it is anything else (a sentence)."""
    found = _DATE_PREFIX.fullmatch(prefix)
    if found is not None:
        return [_Piece("other", at, at + found.end("rubric"))] if found["rubric"] else []
    if len(prefix) > 80:
        return None
    bare = _BARE_PREFIX.fullmatch(prefix)
    # the first word that opens with a letter is capitalized ("Билік", "⟦en⟧ Power")
    first_letter = next((w[0] for w in bare["rubric"].split() if w[0].isalpha()), "") if bare else ""
    if bare is None or not prefix.endswith(" ") or not first_letter.isupper():
        return None
    pieces = [_Piece("other", at, at + bare.end("rubric"))]
    if bare["views"]:
        pieces.append(_Piece("counter", at + bare.start("views"), at + bare.end("views"),
                             {"views": int(bare["views"])}))
    if bare["comments"]:
        word = bare["comments"].split()[1]
        if is_furniture(word) != "comments":
            return None
        pieces.append(_Piece("other", at + bare.start("comments"), at + bare.end("comments"),
                             {"furniture": "comments"}))
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
    """``3457``, ``3457 рет``, ``Просмотров: 3457``, ``👁 312``, ``views312``, each optionally
    followed by a share trailer; or the share trailer alone."""
    if len(text) > _MAX_DATELINE_CHARS:
        return []
    last = text.rsplit(None, 1)
    pieces: list[_Piece] = []
    counter_text = text
    if last and is_furniture(last[-1]) == "share":
        share_at = len(text) - len(last[-1])
        counter_text = text[:share_at].rstrip()
        pieces.append(_Piece("share", at + share_at, at + len(text)))
    if not counter_text:
        return pieces
    parts = split_counter(counter_text)
    if parts is None:
        return []
    views = parse_count(parts[2])
    return [_Piece("counter", at, at + len(counter_text), {"views": views}), *pieces]


def _is_counter_word_line(text: str, previous: _Piece, line: str, start: int) -> bool:
    """A counter word printed on the line under a count ("3457" / "рет", "4236 рет" / "көрсетілді")."""
    if previous.role != "counter" or is_furniture(line) not in ("views", "read"):
        return False
    parts = split_counter(text[previous.start:previous.end])
    gap = text[previous.end:start]
    return parts is not None and not parts[0] and gap.strip(" \t") in ("\n", "\r\n", "\r") \
        and "\n" not in text[previous.start:previous.end] and "\r" not in text[previous.start:previous.end]


def _plain_pieces(line: str, start: int, end: int, previous: _Piece | None, text: str) -> list[_Piece]:
    """A line of the body or the page's foot: furniture, a labelled line, a site line, or a paragraph."""
    concept = is_furniture(line)
    if concept == "share":
        return [_Piece("share", start, end)]
    if concept is not None:
        return [_Piece("other", start, end, {"furniture": concept})]
    if line.startswith("©"):
        return [_Piece("other", start, end, {"furniture": "copyright"})]
    if (contact := _contact_piece(line, start, end)) is not None:
        return [contact]
    label = split_site_label(line)
    if label is not None:
        labelled = is_furniture(label[0])
        if labelled == "photo":
            return [_Piece("caption", start, end)]
        if labelled == "tags":
            return [_Piece("tags", start, end)]
        if labelled == "author" and (byline := _byline_pieces(label[1], start + len(label[0]))):
            return [_Piece("other", start, start + len(label[0].rstrip()), {"furniture": "author"}), *byline]
    if " | " in line and is_furniture(line.split(" | ", 1)[0]) == "photo":
        return [_Piece("caption", start, end)]  # "Images | Depositphotos"
    if _HASHTAGS.fullmatch(line):
        return [_Piece("tags", start, end)]
    if len(line) <= 200 and _SUBSCRIBE.search(line) and _CHANNELS.search(line):
        return [_Piece("other", start, end, {"site": "subscribe"})]
    if previous is not None and previous.meta.get("furniture") == "author" and previous.role == "other" \
            and (byline := _byline_pieces(line, start)):
        return byline
    return [_Piece("paragraph", start, end)]


def _contact_piece(line: str, start: int, end: int) -> _Piece | None:
    label = split_site_label(line) or _contact_label(line)
    if label is None:
        return None
    concept = is_furniture(label[0])
    if concept in ("phone", "email"):
        return _Piece("other", start, end, {"furniture": concept})
    return None


def _contact_label(line: str) -> tuple[str, str] | None:
    head, colon, rest = line.partition(":")
    if not colon or len(head) > 40 or not rest.strip():
        return None
    return head + colon, rest


_FOOT_MARKERS = frozenset({"related", "popular", "comments", "comments_closed", "read_also", "advertising"})


def _mark_bylines(text: str, pieces: list[_Piece]) -> None:
    """The last paragraph line(s) before the closing furniture, when they are person names
    (a byline may be printed twice, or followed by the reporter's title or city); when the page's
    foot (related news, comments …) holds other lines, the search starts above it."""
    paragraphs = sum(p.role == "paragraph" for p in pieces)
    starts = [len(pieces) - 1] + [i - 1 for i in range(len(pieces) - 1, 0, -1)
                                   if pieces[i].meta.get("furniture") in _FOOT_MARKERS]
    for start in starts:
        if _mark_bylines_from(text, pieces, start, paragraphs):
            return


def _mark_bylines_from(text: str, pieces: list[_Piece], index: int, paragraphs: int) -> bool:
    found = 0
    skipped_place = False
    while index >= 0:
        piece = pieces[index]
        if piece.role in ("share", "tags") or "furniture" in piece.meta or "site" in piece.meta:
            index -= 1
            continue
        if piece.role != "paragraph" or found == 2 or paragraphs - found < 2:
            break
        line = text[piece.start:piece.end]
        byline = _byline_pieces(line, piece.start, min_words=2)
        if byline is None and found == 0 and index > 0 and pieces[index - 1].role == "paragraph":
            above = text[pieces[index - 1].start:pieces[index - 1].end]
            if above.endswith(",") and _byline_pieces(above, pieces[index - 1].start, min_words=2):
                index -= 1  # "Асылбек Саттаров," over the reporter's title
                continue
            if not skipped_place and _is_place_line(line):
                skipped_place = True  # "Názıra JÁRIMBETOVA." over "Qostanaı."
                index -= 1
                continue
        if byline is None:
            break
        pieces[index:index + 1] = byline
        found += 1
        index -= 1
    return found > 0


def _is_place_line(line: str) -> bool:
    word = line.rstrip(".")
    return len(word.split()) == 1 and word[:1].isupper() and word.replace("-", "").isalpha() and len(word) <= 30


def _byline_pieces(line: str, at: int, *, min_words: int = 1) -> list[_Piece] | None:
    """The byline pieces of ``line`` when it is person names and nothing else: the names (once in
    normal case in ``meta["names"]``), a second printing on the same line, a role word after them."""
    core = line[:-1] if line.endswith((".", ",")) and not line.endswith("..") else line
    if len(core) > _MAX_BYLINE_CHARS or not core.strip():
        return None
    spans = [(m.start(), m.end()) for m in _WORD_SPAN.finditer(core)]
    words = [core[s:e] for s, e in spans]
    pieces: list[_Piece] = []
    role_word = words and len(words) > 1 and is_furniture(words[-1]) == "correspondent"
    if role_word:
        pieces.append(_Piece("other", at + spans[-1][0], at + spans[-1][1], {"furniture": "correspondent"}))
        spans, words = spans[:-1], words[:-1]
    half = len(words) // 2
    halves = [(0, len(words))]
    if len(words) >= 4 and len(words) % 2 == 0 and words[:half] == words[half:]:
        halves = [(0, half), (half, len(words))]
    found: list[_Piece] = []
    for first, last in halves:
        span_text = core[spans[first][0]:spans[last - 1][1]]
        names = _byline_names(span_text, min_words=min_words)
        if names is None:
            return None
        meta: dict[str, Any] = {"names": [_normal_case(n) for n in names]}
        if meta["names"] != names:
            meta["printed"] = names
        if first:
            meta["repeat"] = True
        found.append(_Piece("byline", at + spans[first][0], at + spans[last - 1][1], meta))
    return found + pieces


def _normal_case(name: str) -> str:
    """``Ерлан ТӨЛЕУОВ`` → ``Ерлан Төлеуов``: a word printed in capitals gets the normal case."""
    return " ".join(w.title().replace("i\u0307", "i") if len(w) > 1 and w.isupper() else w for w in name.split(" "))


def _byline_names(line: str, *, min_words: int = 1) -> list[str] | None:
    """Person names when ``line`` is nothing else: up to three names of 1–3 capitalized words
    (initials and a surname in capitals allowed; at least ``min_words`` words each), no sentence
    punctuation."""
    if len(line) > _MAX_BYLINE_CHARS:
        return None
    names = _NAME_SEPARATOR.split(line)
    if len(names) > 3:
        return None
    for name in names:
        words = name.split(" ")
        if not max(1, min_words) <= len(words) <= 3 or not any(len(w) > 2 for w in words):
            return None
        if not all(_NAME_WORD.fullmatch(w) and w[0].isupper() for w in words):
            return None
        if any(is_furniture(w) for w in words):
            return None
    return names
