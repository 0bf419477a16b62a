"""Superdesk macro: translate the open item into Russian and English with kztranslate, and link each
translation to it the way Superdesk's own "Translate" action does.

Install: copy this file into your Superdesk server's ``macros/`` folder. With ``KZTRANSLATE_URL``
(and ``KZTRANSLATE_API_KEY``) set it calls the kztranslate service; without, it translates
in-process with the library (``pip install kztranslate`` on the Superdesk server).

Linking, as Superdesk's ``archive/translate``: the original's ``translation_id`` names the
translation group (its own ``guid`` the first time); each translation is a new item with
``translated_from`` = the original's ``guid``, the same ``translation_id`` and its own
``language``, and the original lists the new items' ids in ``translations``.
The item travels as ninjs (Superdesk's publishing format), so ``body_html`` keeps its markup.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from typing import Any

name = "kztranslate_ru_en"
label = "Translate to Russian and English (kztranslate)"
access_type = "frontend"
action_type = "direct"

TARGETS = [t for t in os.environ.get("KZTRANSLATE_TARGETS", "ru,en").split(",") if t]

# Superdesk item fields ↔ ninjs fields that carry text to translate.
_TEXT_FIELDS = {"headline": "headline", "body_html": "body_html", "abstract": "description_html",
                "byline": "byline"}
# Fields a translation does not inherit from its original.
_NOT_COPIED = {"_id", "guid", "unique_id", "unique_name", "_etag", "_created", "_updated", "translations",
               "translated_from", "translation_id", "state", "version", "_current_version", "lock_user",
               "lock_session", "lock_time", "lock_action", "family_id", "rewritten_by", "rewrite_of"}


def to_ninjs(item: dict[str, Any]) -> dict[str, Any]:
    ninjs = {"guid": item["guid"], "type": item.get("type", "text"), "language": item.get("language") or "kk"}
    for field, ninjs_field in _TEXT_FIELDS.items():
        if item.get(field):
            ninjs[ninjs_field] = item[field]
    return ninjs


def from_ninjs(ninjs: dict[str, Any]) -> dict[str, Any]:
    return {field: ninjs[ninjs_field] for field, ninjs_field in _TEXT_FIELDS.items() if ninjs.get(ninjs_field)}


def translate_fields(item: dict[str, Any], targets: list[str]) -> dict[str, dict[str, Any]]:
    """``{language: translated Superdesk fields}`` via the service or the library."""
    ninjs = to_ninjs(item)
    url = os.environ.get("KZTRANSLATE_URL")
    if url:
        import httpx

        response = httpx.post(
            url.rstrip("/") + "/v1/translate",
            headers={"Authorization": f"Bearer {os.environ.get('KZTRANSLATE_API_KEY', '')}"},
            json={"article": ninjs, "format": "ninjs", "to": targets},
            timeout=120,
        )
        if response.is_error:
            try:
                error = response.json()["error"]
            except (ValueError, KeyError, TypeError):  # e.g. a proxy's HTML error page
                error = {"code": f"http_{response.status_code}", "message": response.text[:200]}
            raise RuntimeError(f"kztranslate: {error.get('code')}: {error.get('message')}")
        variants = {lang: json.loads(v["content"]) for lang, v in response.json()["variants"].items()}
    else:
        from kztranslate.config import TranslatorConfig
        from kztranslate.formats import get_format
        from kztranslate.pipeline import Translator

        ninjs_format = get_format("ninjs")
        article = ninjs_format.read(json.dumps(ninjs, ensure_ascii=False), source=item["guid"])
        # every option from the environment: KZTRANSLATE_BACKEND, KZTRANSLATE_MODEL, KZTRANSLATE_GLOSSARY, …
        translator = Translator.from_config(TranslatorConfig.from_env())
        translated = translator.translate(article, to=targets)
        variants = {lang: json.loads(ninjs_format.write(v)) for lang, v in translated.items()}
    return {lang: from_ninjs(v) for lang, v in variants.items()}


def linked_translation(original: dict[str, Any], language: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A new item for ``language`` linked to ``original`` (which is updated in place)."""
    group = original.get("translation_id") or original["guid"]
    original["translation_id"] = group
    new_id = f"urn:newsml:kztranslate:{uuid.uuid4()}"
    item = {k: copy.deepcopy(v) for k, v in original.items() if k not in _NOT_COPIED}
    item.update(fields)
    item.update({"_id": new_id, "guid": new_id, "language": language, "state": "draft",
                 "translated_from": original["guid"], "translation_id": group})
    original.setdefault("translations", []).append(new_id)
    return item


def callback(item: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """The macro: create one linked, translated draft per target language; returns the original."""
    translations = [linked_translation(item, lang, fields) for lang, fields in translate_fields(item, TARGETS).items()]
    from superdesk import get_resource_service  # only inside Superdesk

    get_resource_service("archive").post(translations)
    get_resource_service("archive").system_update(
        item["_id"], {"translation_id": item["translation_id"], "translations": item["translations"]}, item
    )
    return item
