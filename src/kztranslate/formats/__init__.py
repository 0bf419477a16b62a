"""Formats: a registry of readers/writers, input decoding, detection and safe output.

Built-in formats are registered by name → ``"module:Class"`` and imported on first use;
a newsroom can add its own through the ``kztranslate.formats`` entry-point group.
"""

from __future__ import annotations

import codecs
import os
import secrets
from pathlib import Path
from typing import Any

from .._registry import load_class, registered
from ..document import Article
from ..errors import InputError, UsageError
from .base import Format

__all__ = [
    "Format",
    "FORMATS",
    "MAX_INPUT_BYTES",
    "available_formats",
    "get_format",
    "detect_format",
    "format_for_path",
    "decode_input",
    "load_text",
    "read_article",
    "write_article",
    "write_atomic",
]

#: Built-in formats, name → "module:Class" (imported lazily).
FORMATS: dict[str, str] = {
    "text": "kztranslate.formats.text:TextFormat",
    "json": "kztranslate.formats.json:JsonFormat",
    "xliff": "kztranslate.formats.xliff:XliffFormat",  # before html: an XLIFF file is markup too
    "html": "kztranslate.formats.html:HtmlFormat",
    "markdown": "kztranslate.formats.markdown:MarkdownFormat",
    "ninjs": "kztranslate.formats.ninjs:NinjsFormat",
    "jsonld": "kztranslate.formats.jsonld:JsonLdFormat",
}

#: Inputs larger than this are refused (an article is a few KB; 20 MB is an archive, not an article).
MAX_INPUT_BYTES = 20 * 1024 * 1024

_instances: dict[str, Format] = {}

# Byte-order marks of the encodings we refuse by name (UTF-32 first: its LE mark starts like UTF-16's).
_OTHER_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
               (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def _registry() -> dict[str, Any]:
    return registered(FORMATS, "kztranslate.formats")


def available_formats() -> list[str]:
    """Names of every format, built-in and from plugins."""
    return sorted(_registry())


def get_format(name: str) -> Format:
    """The format called ``name``; raises :class:`UsageError` listing the valid names."""
    if name in _instances:
        return _instances[name]
    _instances[name] = instance = load_class("format", name, _registry())()
    return instance


def detect_format(path: str | os.PathLike[str] | None, text: str) -> str:
    """Pick a format by the file's extension, then by sniffing its content; plain text otherwise."""
    names = _registry()
    if path is not None:
        suffix = Path(path).suffix.lower()
        matches = [n for n in names if suffix and suffix in get_format(n).extensions]
        if len(matches) == 1:
            return matches[0]
        for name in matches:
            if get_format(name).sniff(text):
                return name
        if matches:
            return matches[0]
    for name in names:
        if name != "text" and get_format(name).sniff(text):
            return name
    return "text"


def format_for_path(path: str | os.PathLike[str]) -> str:
    """The format a file name asks for by its extension; raises :class:`UsageError` when none does."""
    suffix = Path(path).suffix.lower()
    for name in _registry():
        if suffix in get_format(name).extensions:
            return name
    raise UsageError(f"no format writes {suffix or 'files without an extension'!r}; pass format= one of: "
                     f"{', '.join(available_formats())}")


def decode_input(data: bytes, source: str | None = None) -> str:
    """Bytes → text, refusing what is not an article: empty, binary, not UTF-8, too large.

    Line endings and a byte-order mark are kept, so a reader can give them back exactly.
    """
    if len(data) > MAX_INPUT_BYTES:
        raise _too_large(len(data), source)
    if not data.strip():
        raise InputError("input is empty; give a file with an article in it", source=source)
    for bom, encoding in _OTHER_BOMS:
        if data.startswith(bom):
            raise InputError(f"input is {encoding} (it starts with a {encoding} byte-order mark); re-save the file "
                             "as UTF-8", source=source)
    if b"\x00" in data[:8192]:
        raise InputError("input looks binary (it contains NUL bytes); give a text file", source=source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not valid UTF-8 at byte {exc.start} (line {line}); re-save the file as UTF-8",
            source=source,
        ) from exc


def _too_large(size: int, source: str | None) -> InputError:
    return InputError(
        f"input is {size} bytes, over the limit of {MAX_INPUT_BYTES} bytes per article "
        "(kztranslate.formats.MAX_INPUT_BYTES); split the archive into articles (e.g. JSONL for `kztranslate batch`)",
        source=source,
    )


def load_text(path: str | os.PathLike[str]) -> str:
    """Read and decode an input file (see :func:`decode_input`); every failure is an :class:`InputError`."""
    name = os.fspath(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_INPUT_BYTES:  # refused before it is read into memory
            raise _too_large(size, name)
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise InputError("no such file", source=name) from exc
    except IsADirectoryError as exc:
        raise InputError("is a directory, not a file", source=name) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=name) from exc
    return decode_input(data, source=name)


def read_article(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    language: str | None = None,
) -> Article:
    """Read the article in the file at ``path`` (format detected unless given)."""
    text = load_text(path)
    return get_format(format or detect_format(path, text)).read(text, source=os.fspath(path), language=language)


def write_article(article: Article, path: str | os.PathLike[str] | None = None, *, format: str | None = None) -> str:
    """Render ``article`` in ``format`` (default: chosen by ``path``'s extension, else document
    JSON); write it to ``path`` atomically when given. Returns the rendered text."""
    if format is None:
        format = format_for_path(path) if path is not None else "json"
    text = get_format(format).write(article)
    if path is not None:
        write_atomic(path, text)
    return text


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename: never a partial file. A new
    file gets the permissions a plain ``open()`` gives (the umask), not a temporary file's
    owner-only mode, so a web server can still read it; a replaced file keeps its own mode."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        # the temporary name must fit wherever the final name fits: keep it no longer than that name
        # (file systems allow 255 bytes), shortening the visible part of the name when needed
        tag = f".{secrets.token_hex(4)}.tmp"
        room = 255 - len(tag.encode()) - 1
        stem = target.name.encode()[:room].decode("utf-8", "ignore")
        tmp = target.parent / f".{stem}{tag}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
