"""Replace the visible text of a saved web page with our own text of the same shape.

Most news pages may not be redistributed, but their *skeleton* (every tag, attribute, script, style,
comment, meta and charset declaration as published) is what a translator must survive. This tool
keeps the page byte for byte except for:

* text between tags (outside ``script``/``style``), including ``<title>``;
* the values of text-bearing attributes (``alt``, ``title``, ``aria-label``, ``placeholder``) and the
  ``content`` of text-bearing ``<meta>`` (description, keywords, og:/twitter: title and description);
* string values of text keys in ``application/ld+json`` scripts (``headline``, ``description``,
  ``articleBody``, ``alternativeHeadline``, ``caption``, ``keywords``).

Each word becomes a word of the same length class and capitalization from our own word list
(``--language en|ru|kk``); digits, punctuation, whitespace and character references stay, and
month names are kept (or given in the target language), so datelines keep their shape.
``--set-language CODE`` also rewrites the ``<html lang>``/``xml:lang`` and ``og:locale`` values (for a
page whose text we give in another language; SOURCES says so).

Usage: python reskin.py SOURCE.html OUT.html --language ru [--set-language ru]
"""

from __future__ import annotations

import argparse
import itertools
import re
from html.parser import HTMLParser

WORDS = {
    "en": """a an as at by in of on to up we us it is be do go he me my no or so the and are but can for
    had has her his its new not now one our out she two was who why all any day few how may old own say
    see set way yet also area back city come even feel give help here home keep know last left like live
    long made make many more most much must need next open over part plan road said same seen show side
    some such take than that them then they this time town used very want well went were what when will
    with work year about after again along began board built clear could early every field first front
    given great group heard house large later learn local might money night north often order other place
    plant point power rapid ready right river rural small south spoke start state still story study
    table their there these thing think third those three today under until water where which while white
    whole women world would write winter market bridge center change county course decide during effect
    either family farmer future garden ground health island leader letter little member middle minute
    moment nation office people person public record region report school season second should spring
    summer system though toward valley village weather already another because between brought council
    country evening example general history however hundred meeting million morning nothing opening
    outside perhaps program project provide railway reading several station student teacher through
    tonight village visitors yourself building business children district education festival hospital
    included industry interest national possible received research schedule southern students
    thousand together tomorrow""",
    "ru": """а в и к о с у во да же за из на не но об от по со то уж мы он вы ты бы ли ещё все год дом для
    его как мой над нас она они под при раз там тот уже чем час был шаг ряд вид лес мир сад край один
    один пока река путь свет себя утро хлеб цель было быть если есть жить идти куда люди мост новый поле
    после почти район ровно снова среди также тогда улица хотя школа город берег весна ветер вечер время
    много место можно народ новые озеро осень парк поезд право работа рынок север совет тепло центр
    вокзал деревня дорога другой жители зимой неделя область погода поселок решение сегодня сельский
    строить учитель участок большой весенний каждый который молодой недавно светлый теперь работник
    площадка прогноз праздник библиотека население собрание строители культура продолжить обсуждение
    школьники фермеры мастерская руководитель""",
    "kk": """а ал бар біз бір ең ол сол осы жыл күн жол көл тау қала ауыл бала үй су ел жер мен мен әр
    жаңа мұнда енді бүгін ертең кеше жақсы үлкен кіші биыл қазір әрбір түрлі кейін бірге бойынша
    аудан өзен көпір мектеп мұғалім оқушы егінші жиналыс кітапхана ауа райы көктем жаз күз қыс таң
    кеш сағат апта айлық жұмыс құрылыс тұрғын мереке алаң жиын жоспар шешім кеңес өңір орталық
    даланы қызмет бастады жалғасты талқылады көрсетті айтты келді жасады ашылды өтті бөлінді
    мамандар тұрғындар балалар жастар ақпарат мәдениет денсаулық білім""",
}

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
           "октября", "ноября", "декабря"],
    "kk": ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек",
           "қазан", "қараша", "желтоқсан"],
}
_MONTH_INDEX = {name.lower(): n for n, name in enumerate(MONTHS["en"])}
_MONTH_INDEX.update({name[:3].lower(): n for n, name in enumerate(MONTHS["en"]) if len(name) > 3})
_MONTH_INDEX.update({"sept": 8})

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?|[A-Za-z][\w+.-]*://\S+|www\.\S+|\S+@\S+\.\w+")
_TEXT_ATTRS = ("alt", "title", "aria-label", "placeholder")
_TEXT_META = re.compile(r"^(?:description|keywords|og:title|og:description|twitter:title|twitter:description|"
                        r"og:image:alt|twitter:image:alt|sailthru\.title|sailthru\.description|title|"
                        r"dc\.title|dc\.description|author|article:author|parsely-title|news_keywords)$", re.I)
_LD_KEYS = ("headline", "description", "articleBody", "alternativeHeadline", "caption", "keywords", "name")


class Reskinner:
    def __init__(self, language: str) -> None:
        self.language = language
        by_length: dict[int, list[str]] = {}
        for word in WORDS[language].split():
            by_length.setdefault(min(len(word), 9), []).append(word)
        self.cycles = {n: itertools.cycle(words) for n, words in by_length.items()}

    def word(self, original: str) -> str:
        month = _MONTH_INDEX.get(original.lower().rstrip("."))
        if month is not None and (len(original) > 3 or original[:1].isupper()):
            name = MONTHS[self.language][month]
            name = name if len(original) > 4 or self.language != "en" else name[:3]
        else:
            length = min(len(original), 9)
            while length not in self.cycles:
                length = length - 1 if length > 1 else 9
            name = next(self.cycles[length])
        if original.isupper() and len(original) > 1:
            return name.upper()
        if original[:1].isupper():
            return name[:1].upper() + name[1:]
        return name

    def text(self, raw: str) -> str:
        """Words replaced; character references, URLs, e-mail addresses, digits, punctuation and spacing kept."""
        out, last = [], 0
        for entity in _ENTITY.finditer(raw):
            out.append(_WORD.sub(lambda m: self.word(m.group()), raw[last:entity.start()]))
            out.append(entity.group())
            last = entity.end()
        out.append(_WORD.sub(lambda m: self.word(m.group()), raw[last:]))
        return "".join(out)

    def ld_json(self, raw: str) -> str:
        def value(match: re.Match[str]) -> str:
            pieces = re.split(r"(\\u[0-9a-fA-F]{4}|\\.)", match.group(3))
            return match.group(1) + match.group(2) + "".join(
                p if p.startswith("\\") else self.text(p) for p in pieces) + '"'
        keys = "|".join(_LD_KEYS)
        return re.sub(r'("(?:' + keys + r')"\s*:\s*)(")((?:[^"\\]|\\.)*)"', value, raw)


class _Parser(HTMLParser):
    def __init__(self, source: str, skin: Reskinner, set_language: str | None) -> None:
        super().__init__(convert_charrefs=False)
        self.source, self.skin, self.set_language = source, skin, set_language
        self.lines = [0]
        for match in re.finditer("\n", source):
            self.lines.append(match.end())
        self.edits: list[tuple[int, int, str]] = []
        self.cdata_kind: str | None = None

    def at(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        raw = self.get_starttag_text() or ""
        start = self.at()
        if self.source[start:start + len(raw)] != raw:
            return
        values = dict((k, v or "") for k, v in attrs)
        new = raw
        names = list(_TEXT_ATTRS)
        meta_name = values.get("name") or values.get("property") or values.get("itemprop") or ""
        if tag == "meta" and _TEXT_META.match(meta_name):
            names.append("content")
        for name in names:
            new = re.sub(r'(\s' + re.escape(name) + r'\s*=\s*)("[^"]*"|\'[^\']*\')',
                         lambda m: m.group(1) + m.group(2)[0] + self.skin.text(m.group(2)[1:-1]) + m.group(2)[0],
                         new, flags=re.I)
        if self.set_language:
            if tag == "html":
                new = re.sub(r'(\s(?:xml:)?lang\s*=\s*)(["\'])[^"\']*\2',
                             lambda m: m.group(1) + m.group(2) + self.set_language + m.group(2), new)
            if tag == "meta" and (values.get("property") or "").lower() == "og:locale":
                region = {"ru": "ru_RU", "kk": "kk_KZ"}.get(self.set_language, self.set_language)
                new = re.sub(r'(\scontent\s*=\s*)(["\'])[^"\']*\2',
                             lambda m: m.group(1) + m.group(2) + region + m.group(2), new)
        if new != raw:
            self.edits.append((start, start + len(raw), new))
        self.cdata_kind = None
        if tag == "script":
            self.cdata_kind = "ld" if "ld+json" in (values.get("type") or "").lower() else "script"
        elif tag == "style":
            self.cdata_kind = "style"

    def handle_endtag(self, tag):
        self.cdata_kind = None

    def handle_data(self, data):
        start = self.at()
        if self.source[start:start + len(data)] != data:
            return
        if self.cdata_kind == "ld":
            new = self.skin.ld_json(data)
        elif self.cdata_kind in ("script", "style"):
            return
        else:
            new = self.skin.text(data)
        if new != data:
            self.edits.append((start, start + len(data), new))


def reskin(source: str, language: str, set_language: str | None = None) -> str:
    parser = _Parser(source, Reskinner(language), set_language)
    parser.feed(source)
    parser.close()
    out, last = [], 0
    for start, end, new in sorted(parser.edits):
        if start < last:
            continue
        out.append(source[last:start])
        out.append(new)
        last = end
    out.append(source[last:])
    return "".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--language", choices=sorted(WORDS), default="en")
    ap.add_argument("--set-language")
    args = ap.parse_args()
    with open(args.source, encoding="utf-8", newline="") as f:
        text = f.read()
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        f.write(reskin(text, args.language, args.set_language))


if __name__ == "__main__":
    main()
