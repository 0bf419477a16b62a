"""The invariants every format keeps on any input, for the fuzz tests (tests/test_fuzz_formats.py).

A reader either reads a document or refuses it with a :class:`KZTranslateError` (a clear error);
what it read, written and read again, has the same block texts; a pseudo-translation keeps every
block, and its variant can be written. Anything else — another exception, a lost text, a lost
block — is a crash.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from kztranslate import formats
from kztranslate.errors import KZTranslateError

ROOT = Path(__file__).resolve().parent
CRASHERS = ROOT / "fuzz_crashers"

#: Seed documents per format: the test fixtures.
SEEDS: dict[str, list[Path]] = {}
for _path in sorted((ROOT / "fixtures").rglob("*")) + [ROOT.parent / "examples" / "article.kk.txt"]:
    if _path.is_file() and _path.suffix in (".txt", ".html", ".md", ".json", ".jsonld", ".ninjs"):
        _text = _path.read_text(encoding="utf-8")
        try:
            _name = formats.detect_format(_path, _text)
        except KZTranslateError:
            continue
        SEEDS.setdefault(_name, []).append(_path)

FORMATS = sorted(SEEDS)
EXTENSION = {"text": ".txt", "html": ".html", "markdown": ".md", "ninjs": ".json", "jsonld": ".jsonld", "json": ".json"}


@lru_cache(maxsize=1)
def pseudo():
    from kztranslate.pipeline import Translator

    return Translator("pseudo")


def check_document(format_name: str, text: str) -> str:
    """Raise AssertionError (or the unexpected exception) when ``text`` breaks an invariant; else say
    what happened: ``refused`` (a clear error), ``read`` (read, written, read back) or ``translated``."""
    fmt = formats.get_format(format_name)
    try:
        article = fmt.read(text, source="fuzz", language="kk")
    except KZTranslateError:
        return "refused"
    written = fmt.write(article)
    again = fmt.read(written, source="fuzz (written)", language="kk")
    assert [b.text for b in again.blocks] == [b.text for b in article.blocks], "read → write → read changed the text"
    if not any(b.translatable and b.text.strip() for b in article.blocks):
        return "read"
    try:
        variant = pseudo().translate(article, ["ru"])["ru"]
    except KZTranslateError:
        return "read"
    assert len(variant.blocks) == len(article.blocks), "translation lost or added blocks"
    fmt.write(variant)
    return "translated"


def save_crasher(format_name: str, text: str) -> Path:
    """Keep a failing input in tests/fuzz_crashers/<format>/ (replayed by the default test run)."""
    folder = CRASHERS / format_name
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    path = folder / f"{digest}{EXTENSION.get(format_name, '.txt')}"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path
