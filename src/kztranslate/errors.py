"""Every error kztranslate raises on purpose.

Hierarchy (exit code of the command line in brackets)::

    KZTranslateError                      base class; catch this to catch them all
    ├── UsageError             [2]        bad option or argument: unknown language, format, backend or preset
    ├── InputError             [3]        the input cannot be read: missing, empty, binary, wrong encoding
    │   ├── FormatError        [3]        malformed content in a known format (carries a position)
    │   └── MergeError         [3]        a post-edited file (XLIFF) does not match the article
    ├── ModelUnavailableError  [4]        weights not found offline, or a model that cannot be loaded
    ├── BackendError           [4]        the backend failed while translating
    ├── QualityError           [6]        ``--qa fail``: a QA check failed on a variant
    ├── BatchError             [5]        some items of a batch failed (the others were written)
    └── OutputError            [7]        an output cannot be written: disk full, file name too long,
                                          no permission

Backend libraries' own exceptions are mapped onto these with ``raise ... from exc`` so the
original traceback stays available. :func:`from_exception` maps the standard library's
(``OSError``, ``sqlite3.Error``, ``UnicodeError``, ``RecursionError``, ``MemoryError``) for the
faces: the command line, the batch runner and the service.
"""

from __future__ import annotations

__all__ = [
    "KZTranslateError",
    "UsageError",
    "InputError",
    "FormatError",
    "MergeError",
    "ModelUnavailableError",
    "BackendError",
    "QualityError",
    "BatchError",
    "OutputError",
    "from_exception",
]

import errno as _errno


class KZTranslateError(Exception):
    """Base class of kztranslate's errors."""

    exit_code = 1
    detail: str | None = None
    """Technical detail behind the message (a library's raw error text); the faces show it only
    when asked (``--verbose``), so the message itself stays one or two short lines."""


class UsageError(KZTranslateError, ValueError):
    """An option or argument is not valid; the message lists the valid choices."""

    exit_code = 2


class InputError(KZTranslateError):
    """The input cannot be read (missing, empty, binary, not UTF-8)."""

    exit_code = 3

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class FormatError(InputError):
    """Malformed content in a known format; ``line``/``column`` point at the problem when known."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.line = line
        self.column = column
        where = ""
        if line is not None:
            where = f"line {line}" + (f", column {column}" if column is not None else "") + ": "
        super().__init__(where + message, source=source)


class MergeError(InputError):
    """A post-edited file does not match the article it claims to edit; nothing was merged."""


class ModelUnavailableError(KZTranslateError):
    """A model's weights cannot be found or loaded; the message says where it looked and how to fix it."""

    exit_code = 4

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


class BackendError(KZTranslateError):
    """The translation backend failed at run time."""

    exit_code = 4


class QualityError(KZTranslateError):
    """A quality check failed under the ``fail`` policy."""

    exit_code = 6

    def __init__(self, message: str, findings: list | None = None) -> None:
        self.findings = list(findings or [])
        super().__init__(message)


class BatchError(KZTranslateError):
    """Some items of a batch failed; ``failures`` maps item names to their errors."""

    exit_code = 5

    def __init__(self, message: str, failures: dict | None = None) -> None:
        self.failures = dict(failures or {})
        super().__init__(message)


class OutputError(KZTranslateError):
    """An output cannot be written (no space left, a file name too long, no permission); ``target``
    names the file."""

    exit_code = 7

    def __init__(self, message: str, *, target: str | None = None) -> None:
        self.target = target
        super().__init__(f"{target}: {message}" if target else message)


# errno values that say the output side is at fault, with the fix to suggest.
_OUTPUT_ERRNOS: dict[int, str] = {
    _errno.ENOSPC: "no space left on the device; free some space or write to another directory, then run again",
    _errno.EDQUOT: "disk quota exceeded; free some space or write to another directory, then run again",
    _errno.EFBIG: "the file is larger than this system allows (file size limit); write somewhere without the "
                  "limit (see `ulimit -f`), then run again",
    _errno.ENAMETOOLONG: "the file name is too long for the file system (most allow 255 bytes per name); "
                         "shorten the input's name or the --out/--out-dir path",
    _errno.EROFS: "the file system is read-only; write to another directory",
}


def from_exception(exc: BaseException, *, source: str | None = None, writing: bool = False) -> KZTranslateError:
    """The :class:`KZTranslateError` to report for ``exc`` (returned as is when it already is one).

    ``source`` names the file or item being worked on when ``exc`` does not; ``writing`` says an
    output was being written (an unknown ``OSError`` then is an :class:`OutputError`). The
    result's ``__cause__`` is ``exc``, so a traceback stays available (``--verbose``).
    """
    if isinstance(exc, KZTranslateError):
        return exc
    mapped = _map(exc, source, writing)
    mapped.__cause__ = exc
    return mapped


def _map(exc: BaseException, source: str | None, writing: bool) -> KZTranslateError:
    import sqlite3

    if isinstance(exc, OSError):
        # writing goes through a temporary file: name the output the user asked for
        where = source if writing and source else exc.filename if exc.filename is not None else source
        where = None if where is None else str(where)
        reason = exc.strerror or str(exc) or type(exc).__name__
        if exc.errno == _errno.ENAMETOOLONG and where:
            name = where.rsplit("/", 1)[-1]
            size = len(name.encode("utf-8", "surrogatepass"))
            return OutputError(f"{reason} ({size} bytes): {_OUTPUT_ERRNOS[_errno.ENAMETOOLONG]}", target=where)
        if exc.errno in _OUTPUT_ERRNOS:
            return OutputError(f"{reason}: {_OUTPUT_ERRNOS[exc.errno]}", target=where)
        if isinstance(exc, FileNotFoundError) and not writing:
            return InputError("no such file (was it moved or deleted while kztranslate ran?)", source=where)
        if writing:
            return OutputError(f"cannot write: {reason}; check the directory exists and is writable", target=where)
        return InputError(f"cannot read: {reason}; check the path and its permissions", source=where)
    if isinstance(exc, sqlite3.Error):
        from ._sqlite import map_error

        return map_error(exc, database=source)
    if isinstance(exc, UnicodeEncodeError):
        return InputError(f"text that cannot be written as UTF-8 at character {exc.start} ({exc.reason}, "
                          f"{exc.object[exc.start:exc.end]!r}); remove it from the input", source=source)
    if isinstance(exc, UnicodeError):
        return InputError(f"text that is not valid UTF-8 ({exc}); re-save the file as UTF-8", source=source)
    if isinstance(exc, RecursionError):
        return InputError("the input is nested too deeply to process; flatten it (fewer nested elements)",
                          source=source)
    if isinstance(exc, MemoryError):
        return InputError("the input is too large to process in the memory available; split it into smaller "
                          "files", source=source)
    unexpected = KZTranslateError(f"{source + ': ' if source else ''}unexpected {type(exc).__name__}: {exc}")
    unexpected.internal = True  # type: ignore[attr-defined] - a bug, not bad input: the faces say so
    return unexpected
