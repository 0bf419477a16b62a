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
    └── BatchError             [5]        some items of a batch failed (the others were written)

Backend libraries' own exceptions are mapped onto these with ``raise ... from exc`` so the
original traceback stays available.
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
]


class KZTranslateError(Exception):
    """Base class of kztranslate's errors."""

    exit_code = 1


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
