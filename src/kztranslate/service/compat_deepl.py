"""DeepL-compatible routes: ``POST /v2/translate``, ``/v2/languages``, ``/v2/usage``,
``/v2/glossary-language-pairs`` and the glossaries of API v2 and v3 — so the official DeepL SDKs
(``deepl.DeepLClient(key, server_url=...)``, deepl-node ``serverUrl``) and Weblate's DeepL service
with its API URL set can use ``kztranslate serve``.

Language codes are DeepL's: ``KK``, ``RU``, ``EN`` (targets also ``EN-GB``/``EN-US``, both plain
English here) and ``KK-LATN`` for Kazakh in the Latin alphabet. Keys come as ``Authorization:
DeepL-Auth-Key …`` (or our ``Bearer``/``X-API-Key``); errors are ``{"message": "…"}`` with DeepL's
codes: 400, 403 (key), 404 (glossary), 413 (body), 429 (rate), 456 (a key's character quota is
used up), 500, 503 (model not loaded yet). Glossaries live in the service database, per key, and are
applied with kztranslate's Kazakh-ending-aware glossary. Options the model cannot honour
(``formality``, ``context``, a regional English, outline detection, …) are accepted and named in
the ``X-KZTranslate-Not-Honoured`` header and the answer's ``kztranslate.not_honoured`` field.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..languages import LANGUAGES, base_language
from .compat import (
    Caller,
    Params,
    Refusal,
    admit,
    count_error,
    model_pairs,
    prepare,
    read_body,
    read_params,
    server_failure,
    translate_texts,
)

__all__ = ["deepl_router", "SOURCE_CODES", "TARGET_CODES"]

#: DeepL source codes → our language tags.
SOURCE_CODES: dict[str, str] = {"KK": "kk", "RU": "ru", "EN": "en", "KK-LATN": "kk-Latn"}
#: DeepL target codes → our language tags (``EN`` is deprecated at DeepL but still taken).
TARGET_CODES: dict[str, str] = {"KK": "kk", "RU": "ru", "EN": "en", "EN-GB": "en", "EN-US": "en",
                                "KK-LATN": "kk-Latn"}
_LISTED_TARGETS = ("KK", "RU", "EN-GB", "EN-US", "KK-LATN")
_DEEPL_CODE = {"kk": "KK", "ru": "RU", "en": "EN", "kk-Latn": "KK-LATN"}
_NAMES = {"EN-GB": "English (British)", "EN-US": "English (American)"}
#: What /v2/usage reports as the limit of a key without one (DeepL's figure for "no limit").
UNLIMITED = 1_000_000_000_000

_STATUS = {"bad_request": 400, "missing_key": 403, "invalid_key": 403, "not_found": 404, "too_large": 413,
           "rate_limited": 429, "quota": 456, "failed": 500, "unavailable": 503}

_TRANSLATE_BODY = {
    "type": "object",
    "properties": {
        # a JSON list, or in a form body one or more "text" fields
        "text": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
        "source_lang": {"type": "string", "enum": list(SOURCE_CODES)},
        "target_lang": {"type": "string", "enum": list(TARGET_CODES)},
        "tag_handling": {"type": "string", "enum": ["html", "xml"]},
        "split_sentences": {"type": "string", "enum": ["0", "1", "nonewlines"]},
        "preserve_formatting": {"oneOf": [{"type": "boolean"},
                                          {"type": "string", "enum": ["0", "1", "true", "false"]}]},
        "ignore_tags": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},  # form: a,b
        "non_splitting_tags": {
            "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},  # form: a,b
        "glossary_id": {"type": "string"},
        "formality": {"type": "string", "description": "Accepted, not honoured (reported)"},
    },
    "required": ["text", "target_lang"],
}
_JSON_TYPES: dict[str, Any] = {"string": str, "boolean": bool, "array": list, "object": dict}


def _check_types(params: Any, schema: dict[str, Any]) -> None:
    """Refuse a parameter whose JSON type the schema does not allow (a form's values are all strings)."""
    for name, spec in schema["properties"].items():
        for value in params.values.get(name, []):
            if not any(_fits(value, option) for option in spec.get("oneOf", [spec])):
                raise Refusal("bad_request", f"Value for '{name}' not supported: {value!r}")


def _fits(value: Any, spec: dict[str, Any]) -> bool:
    kind = _JSON_TYPES.get(spec.get("type", ""))
    if kind is None:
        return True
    if not isinstance(value, kind) or (isinstance(value, bool) and spec["type"] != "boolean"):
        return False
    if "enum" in spec and str(value).casefold() not in {str(e).casefold() for e in spec["enum"]}:
        return False  # DeepL reads codes in any case ("en" as "EN")
    return not isinstance(value, list) or all(_fits(item, spec.get("items", {})) for item in value)


_GLOSSARY_BODY = {"type": "object", "properties": {
    "name": {"type": "string"}, "source_lang": {"type": "string"}, "target_lang": {"type": "string"},
    "entries": {"type": "string"}, "entries_format": {"type": "string", "enum": ["tsv", "csv"]},
    "dictionaries": {"type": "array", "items": {"type": "object"}}}, "required": ["name"]}
_MESSAGE = {"type": "object", "properties": {"message": {"type": "string"}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema}, "application/x-www-form-urlencoded": {"schema": schema}}}}


def _answers(description: str, ok: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    error = {"content": {"application/json": {"schema": _MESSAGE}}}
    found: dict[int | str, dict[str, Any]] = {
        200: {"description": description, "content": {"application/json": {"schema": ok or {"type": "object"}}}}}
    for status, what in ((400, "Bad request"), (403, "Authorization failed"), (404, "Not found"),
                         (413, "Request too large"), (429, "Too many requests"), (456, "Quota exceeded"),
                         (503, "Model not loaded yet")):
        found[status] = {"description": what, **error}
    return found


def deepl_router(service: Any) -> APIRouter:
    """The routes, bound to the app's service (its batcher, store, metrics and settings)."""
    router = APIRouter(tags=["DeepL-compatible"])

    def refused(exc: Refusal) -> JSONResponse:
        count_error(service, f"deepl_{exc.kind}")
        return JSONResponse({"message": exc.message}, status_code=_STATUS.get(exc.kind, 400), headers=exc.headers)

    async def start(request: Request) -> tuple[Params, Caller]:
        body = await read_body(request)
        params = await read_params(request, body)
        if params.one("auth_key"):
            raise Refusal("invalid_key", "send the key as 'Authorization: DeepL-Auth-Key <key>', not in the body")
        return params, await admit(service, request, _header_key(request), len(body))

    # -- translation -------------------------------------------------------------------------
    @router.post("/v2/translate", name="deepl_translate", summary="Translate text (DeepL API)",
                 openapi_extra=_body(_TRANSLATE_BODY), responses=_answers("Translations", {
                     "type": "object", "properties": {"translations": {"type": "array", "items": {
                         "type": "object", "properties": {"detected_source_language": {"type": "string"},
                                                          "text": {"type": "string"},
                                                          "billed_characters": {"type": "integer"}}}}}}))
    async def translate(request: Request) -> Response:
        try:
            params, caller = await start(request)
            _check_types(params, _TRANSLATE_BODY)
            texts = params.many("text")
            if not texts:
                raise Refusal("bad_request", "Parameter 'text' not specified.")
            if not all(isinstance(t, str) for t in texts):
                raise Refusal("bad_request", "Parameter 'text' must be a list of strings.")
            target_code = str(params.one("target_lang") or "").upper()
            if not target_code:
                raise Refusal("bad_request", "Parameter 'target_lang' not specified.")
            if target_code not in TARGET_CODES:
                raise Refusal("bad_request", f"Value for 'target_lang' not supported: {target_code}; choose one of "
                              f"{', '.join(TARGET_CODES)}")
            source_code = str(params.one("source_lang") or "").upper() or None
            if source_code is not None and source_code not in SOURCE_CODES:
                raise Refusal("bad_request", f"Value for 'source_lang' not supported: {source_code}; choose one of "
                              f"{', '.join(SOURCE_CODES)}")
            target = TARGET_CODES[target_code]
            source = SOURCE_CODES[source_code] if source_code else None
            tag_handling = str(params.one("tag_handling") or "").lower() or None
            if tag_handling not in (None, "html", "xml"):
                raise Refusal("bad_request", f"Value for 'tag_handling' not supported: {tag_handling}; use html or xml")
            split_value = str(params.one("split_sentences") or ("nonewlines" if tag_handling else "1"))
            split = {"1": "newlines", "0": "none", "nonewlines": "nonewlines"}.get(split_value)
            if split is None:
                raise Refusal("bad_request", f"Value for 'split_sentences' not supported: {split_value}; "
                              "use 0, 1 or nonewlines")
            preserve = params.one("preserve_formatting")
            if preserve is not None and not isinstance(preserve, bool) and \
                    str(preserve).lower() not in ("", "0", "1", "true", "false"):
                raise Refusal("bad_request", f"Value for 'preserve_formatting' not supported: {preserve}; "
                              "use true/false or 1/0")
            ignore_tags = _tags(params.many("ignore_tags"))
            not_honoured = _not_honoured(params, target_code, tag_handling)
            glossary_ids = [g for g in [params.one("glossary_id"), *params.many("glossary_ids")] if g]
            glossary = None
            if glossary_ids:
                if source is None:
                    raise Refusal("bad_request", "Parameter 'source_lang' is required when using a glossary.")
                glossary = await _glossary_rows(service, caller, glossary_ids, source, target)
            prepared = await prepare(texts, target, source, markup=tag_handling or "text", split=split,
                               ignore_tags=ignore_tags, glossary=glossary)
            results = await translate_texts(service, caller, prepared)
        except Refusal as exc:
            return refused(exc)
        except Exception:  # noqa: BLE001 (a bug: server_failure logs it; this API answers its own 500)
            return refused(server_failure(request))
        body: dict[str, Any] = {"translations": [
            {"detected_source_language": _DEEPL_CODE[r.source_language], "text": r.text,
             "billed_characters": len(t)} for t, r in zip(texts, results)]}
        headers = {}
        if not_honoured:
            body["kztranslate"] = {"not_honoured": not_honoured}
            headers["X-KZTranslate-Not-Honoured"] = _header_value("; ".join(not_honoured))
        return JSONResponse(body, headers=headers)

    # -- languages and usage -------------------------------------------------------------------
    async def languages(request: Request) -> Response:
        try:
            params, _ = await start(request)
            kind = str(params.one("type") or "source").lower()
            if kind not in ("source", "target"):
                raise Refusal("bad_request", f"Value for 'type' not supported: {kind}; use source or target")
            pairs = model_pairs(service)
        except Refusal as exc:
            return refused(exc)
        if kind == "source":
            return JSONResponse([{"language": code, "name": LANGUAGES[tag]} for code, tag in SOURCE_CODES.items()
                                 if any(s == tag for s, _ in pairs)])
        return JSONResponse([{"language": code, "name": _NAMES.get(code, LANGUAGES[TARGET_CODES[code]]),
                              "supports_formality": False}
                             for code in _LISTED_TARGETS if any(t == TARGET_CODES[code] for _, t in pairs)])

    async def usage(request: Request) -> Response:
        try:
            _, caller = await start(request)
        except Refusal as exc:
            return refused(exc)
        used, limit = await asyncio.to_thread(service.store.character_usage, caller.owner)
        return JSONResponse({"character_count": used, "character_limit": UNLIMITED if limit is None else limit})

    language_answers = _answers("Languages", {"type": "array", "items": {"type": "object"}})
    router.add_api_route("/v2/languages", languages, methods=["GET"], name="deepl_languages",
                         summary="Supported languages (DeepL API); type=source|target", responses=language_answers)
    router.add_api_route("/v2/languages", languages, methods=["POST"], name="deepl_languages_post",
                         summary="Supported languages (DeepL API), as POST", responses=language_answers)
    usage_answers = _answers("Characters translated and the key's limit", {"type": "object", "properties": {
        "character_count": {"type": "integer"}, "character_limit": {"type": "integer"}}})
    router.add_api_route("/v2/usage", usage, methods=["GET"], name="deepl_usage", summary="Usage (DeepL API)",
                         responses=usage_answers)
    router.add_api_route("/v2/usage", usage, methods=["POST"], name="deepl_usage_post",
                         summary="Usage (DeepL API), as POST", responses=usage_answers)

    @router.get("/v2/glossary-language-pairs", name="deepl_glossary_language_pairs",
                summary="Language pairs glossaries serve (DeepL API)", responses=_answers("Pairs"))
    async def glossary_language_pairs(request: Request) -> Response:
        try:
            await start(request)
            pairs = model_pairs(service)
        except Refusal as exc:
            return refused(exc)
        bases = [(s, t) for s, t in pairs if "-" not in s and "-" not in t]
        return JSONResponse({"supported_languages": [{"source_lang": s, "target_lang": t} for s, t in bases]})

    # -- glossaries, API v2 (one language pair) and v3 (several dictionaries) --------------------
    @router.post("/v2/glossaries", name="deepl_create_glossary", status_code=201,
                 summary="Create a glossary (DeepL API v2)", openapi_extra=_body(_GLOSSARY_BODY),
                 responses=_answers("The glossary"))
    async def create_glossary(request: Request) -> Response:
        try:
            params, caller = await start(request)
            name = _name(params)
            dictionary = _dictionary(params.one("source_lang"), params.one("target_lang"),
                                     params.one("entries"), params.one("entries_format"))
            record = await asyncio.to_thread(service.store.create_glossary, caller.owner, name, [dictionary])
        except Refusal as exc:
            return refused(exc)
        return JSONResponse(_info_v2(record), status_code=201)

    @router.get("/v2/glossaries", name="deepl_list_glossaries", summary="List glossaries (DeepL API v2)",
                responses=_answers("Glossaries"))
    async def list_glossaries(request: Request) -> Response:
        try:
            _, caller = await start(request)
        except Refusal as exc:
            return refused(exc)
        records = await asyncio.to_thread(service.store.list_glossaries, caller.owner)
        return JSONResponse({"glossaries": [_info_v2(r) for r in records if len(r["dictionaries"]) == 1]})

    @router.get("/v2/glossaries/{glossary_id}", name="deepl_get_glossary", summary="A glossary (DeepL API v2)",
                responses=_answers("The glossary"))
    async def get_glossary(glossary_id: str, request: Request) -> Response:
        try:
            _, caller = await start(request)
            record = await _find_v2(service, caller, glossary_id)
        except Refusal as exc:
            return refused(exc)
        return JSONResponse(_info_v2(record))

    @router.get("/v2/glossaries/{glossary_id}/entries", name="deepl_glossary_entries",
                summary="A glossary's entries as TSV (DeepL API v2)",
                responses={200: {"description": "Entries", "content": {"text/tab-separated-values": {
                    "schema": {"type": "string"}}}}, 404: {"description": "No such glossary",
                                                          "content": {"application/json": {"schema": _MESSAGE}}}})
    async def glossary_entries(glossary_id: str, request: Request) -> Response:
        try:
            _, caller = await start(request)
            record = await _find_v2(service, caller, glossary_id)
        except Refusal as exc:
            return refused(exc)
        return Response(_tsv(record["dictionaries"][0]["entries"]), media_type="text/tab-separated-values")

    async def delete_glossary(glossary_id: str, request: Request) -> Response:
        try:
            _, caller = await start(request)
            if not await asyncio.to_thread(service.store.delete_glossary, caller.owner, glossary_id):
                raise Refusal("not_found", "Glossary not found")
        except Refusal as exc:
            return refused(exc)
        return Response(status_code=204)

    for version in ("v2", "v3"):
        router.add_api_route(f"/{version}/glossaries/{{glossary_id}}", delete_glossary, methods=["DELETE"],
                             name=f"deepl_delete_glossary_{version}", status_code=204,
                             summary=f"Delete a glossary (DeepL API {version})",
                             responses={204: {"description": "Deleted"}, 404: {
                                 "description": "No such glossary",
                                 "content": {"application/json": {"schema": _MESSAGE}}}})

    @router.post("/v3/glossaries", name="deepl_create_multilingual_glossary", status_code=201,
                 summary="Create a glossary of one or more dictionaries (DeepL API v3)",
                 openapi_extra=_body(_GLOSSARY_BODY), responses=_answers("The glossary"))
    async def create_multilingual_glossary(request: Request) -> Response:
        try:
            params, caller = await start(request)
            name = _name(params)
            dictionaries = _dictionaries(params.one("dictionaries"))
            record = await asyncio.to_thread(service.store.create_glossary, caller.owner, name, dictionaries)
        except Refusal as exc:
            return refused(exc)
        return JSONResponse(_info_v3(record), status_code=201)

    @router.get("/v3/glossaries", name="deepl_list_multilingual_glossaries",
                summary="List glossaries (DeepL API v3)", responses=_answers("Glossaries"))
    async def list_multilingual_glossaries(request: Request) -> Response:
        try:
            _, caller = await start(request)
        except Refusal as exc:
            return refused(exc)
        records = await asyncio.to_thread(service.store.list_glossaries, caller.owner)
        return JSONResponse({"glossaries": [_info_v3(r) for r in records]})

    @router.get("/v3/glossaries/{glossary_id}", name="deepl_get_multilingual_glossary",
                summary="A glossary (DeepL API v3)", responses=_answers("The glossary"))
    async def get_multilingual_glossary(glossary_id: str, request: Request) -> Response:
        try:
            _, caller = await start(request)
            record = await _find(service, caller, glossary_id)
        except Refusal as exc:
            return refused(exc)
        return JSONResponse(_info_v3(record))

    @router.get("/v3/glossaries/{glossary_id}/entries", name="deepl_multilingual_glossary_entries",
                summary="A dictionary's entries (DeepL API v3; source_lang and target_lang in the query)",
                responses=_answers("Entries"))
    async def multilingual_glossary_entries(glossary_id: str, request: Request) -> Response:
        try:
            params, caller = await start(request)
            record = await _find(service, caller, glossary_id)
            source = _glossary_language(params.one("source_lang"), "source_lang")
            target = _glossary_language(params.one("target_lang"), "target_lang")
            found = [d for d in record["dictionaries"] if (d["source_lang"], d["target_lang"]) == (source, target)]
            if not found:
                raise Refusal("not_found", f"the glossary has no {source}→{target} dictionary")
        except Refusal as exc:
            return refused(exc)
        return JSONResponse({"dictionaries": [{"source_lang": source, "target_lang": target,
                                               "entries": _tsv(found[0]["entries"]), "entries_format": "tsv"}]})

    @router.patch("/v3/glossaries/{glossary_id}", name="deepl_update_multilingual_glossary",
                  summary="Rename a glossary, or merge dictionaries into it (DeepL API v3)",
                  openapi_extra=_body(_GLOSSARY_BODY), responses=_answers("The glossary"))
    async def update_multilingual_glossary(glossary_id: str, request: Request) -> Response:
        try:
            params, caller = await start(request)
            record = await _find(service, caller, glossary_id)
            name = params.one("name")
            dictionaries = None
            if params.one("dictionaries") is not None:
                merged = {(d["source_lang"], d["target_lang"]): d for d in record["dictionaries"]}
                for new in _dictionaries(params.one("dictionaries")):
                    old = merged.get((new["source_lang"], new["target_lang"]))
                    if old is not None:  # entries are merged; a new translation of a term wins
                        terms = dict(old["entries"])
                        terms.update(dict(new["entries"]))
                        new = {**new, "entries": [list(kv) for kv in terms.items()]}
                    merged[(new["source_lang"], new["target_lang"])] = new
                dictionaries = list(merged.values())
            record = await asyncio.to_thread(service.store.update_glossary, caller.owner, glossary_id,
                                             name=str(name) if name else None, dictionaries=dictionaries)
        except Refusal as exc:
            return refused(exc)
        return JSONResponse(_info_v3(record))

    @router.put("/v3/glossaries/{glossary_id}/dictionaries", name="deepl_replace_glossary_dictionary",
                summary="Replace (or add) one dictionary of a glossary (DeepL API v3)",
                openapi_extra=_body(_GLOSSARY_BODY), responses=_answers("The dictionary"))
    async def replace_glossary_dictionary(glossary_id: str, request: Request) -> Response:
        try:
            params, caller = await start(request)
            record = await _find(service, caller, glossary_id)
            new = _dictionary(params.one("source_lang"), params.one("target_lang"), params.one("entries"),
                              params.one("entries_format"))
            pair = (new["source_lang"], new["target_lang"])
            kept = [d for d in record["dictionaries"] if (d["source_lang"], d["target_lang"]) != pair]
            await asyncio.to_thread(service.store.update_glossary, caller.owner, glossary_id,
                                    dictionaries=[*kept, new])
        except Refusal as exc:
            return refused(exc)
        return JSONResponse({"source_lang": pair[0], "target_lang": pair[1], "entry_count": len(new["entries"])})

    @router.delete("/v3/glossaries/{glossary_id}/dictionaries", name="deepl_delete_glossary_dictionary",
                   status_code=204, summary="Delete one dictionary of a glossary (DeepL API v3)",
                   responses={204: {"description": "Deleted"}, 404: {
                       "description": "No such glossary or dictionary",
                       "content": {"application/json": {"schema": _MESSAGE}}}})
    async def delete_glossary_dictionary(glossary_id: str, request: Request) -> Response:
        try:
            params, caller = await start(request)
            record = await _find(service, caller, glossary_id)
            pair = (_glossary_language(params.one("source_lang"), "source_lang"),
                    _glossary_language(params.one("target_lang"), "target_lang"))
            kept = [d for d in record["dictionaries"] if (d["source_lang"], d["target_lang"]) != pair]
            if len(kept) == len(record["dictionaries"]):
                raise Refusal("not_found", f"the glossary has no {pair[0]}→{pair[1]} dictionary")
            if not kept:
                raise Refusal("bad_request", "a glossary keeps at least one dictionary; delete the glossary instead")
            await asyncio.to_thread(service.store.update_glossary, caller.owner, glossary_id, dictionaries=kept)
        except Refusal as exc:
            return refused(exc)
        return Response(status_code=204)

    return router


# -- helpers -------------------------------------------------------------------------------------------
def _header_key(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("deepl-auth-key", "bearer") and credentials.strip():
        return credentials.strip()
    return request.headers.get("x-api-key")


def _header_value(text: str) -> str:
    """``text`` as a header value: printable ASCII, anything else as a Python escape."""
    escaped = text.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(ch if " " <= ch <= "~" else "?" for ch in escaped)


def _tags(values: list[Any]) -> list[str]:
    return [tag.strip() for value in values for tag in str(value).split(",") if tag.strip()]


def _not_honoured(params: Params, target_code: str, tag_handling: str | None) -> list[str]:
    """Options given that the model does not carry out, each with why."""
    found = []
    formality = params.one("formality")
    if formality not in (None, "", "default"):
        found.append(f"formality={formality} (the model has no formality control)")
    if target_code in ("EN-GB", "EN-US"):
        found.append(f"target_lang={target_code} (English without a regional variant)")
    for name, why in (("context", "not used by the model"), ("model_type", "one model"),
                      ("splitting_tags", "elements do not split sentences"),
                      ("outline_detection", "no outline detection"), ("style_id", "no style rules"),
                      ("translation_memory_id", "kztranslate's own memory is used"),
                      ("custom_instructions", "not used by the model"), ("tag_handling_version", "one version")):
        if params.one(name) not in (None, "", []):
            found.append(f"{name} ({why})")
    if tag_handling == "html" and params.many("non_splitting_tags"):
        found.append("non_splitting_tags with tag_handling=html (HTML elements are read by their HTML meaning)")
    return found


def _glossary_language(code: Any, name: str) -> str:
    value = str(code or "").strip().lower()
    if not value:
        raise Refusal("bad_request", f"Parameter '{name}' not specified.")
    if value.upper() not in SOURCE_CODES or "-" in value:
        raise Refusal("bad_request", f"Value for '{name}' not supported for glossaries: {code}; use kk, ru or en")
    return value


def _name(params: Params) -> str:
    name = params.one("name")
    if not name or not str(name).strip():
        raise Refusal("bad_request", "Parameter 'name' not specified.")
    return str(name)


def _dictionary(source: Any, target: Any, entries: Any, entries_format: Any) -> dict[str, Any]:
    """One language pair's entries, checked: ``{"source_lang", "target_lang", "entries": [[s, t], ...]}``."""
    source_lang = _glossary_language(source, "source_lang")
    target_lang = _glossary_language(target, "target_lang")
    if source_lang == target_lang:
        raise Refusal("bad_request", "source_lang and target_lang of a glossary must differ")
    if not isinstance(entries, str) or not entries.strip():
        raise Refusal("bad_request", "Parameter 'entries' not specified.")
    kind = str(entries_format or "tsv").lower()
    if kind not in ("tsv", "csv"):
        raise Refusal("bad_request", f"Value for 'entries_format' not supported: {kind}; use tsv or csv")
    rows = csv.reader(io.StringIO(entries), delimiter="\t" if kind == "tsv" else ",")
    pairs: dict[str, str] = {}
    for line, row in enumerate(rows, start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise Refusal("bad_request", f"Invalid glossary entries: line {line} needs a source and a target term")
        if kind == "csv" and len(row) >= 4 and (row[2].strip().lower(), row[3].strip().lower()) != (
                source_lang, target_lang):
            raise Refusal("bad_request", f"Invalid glossary entries: line {line} is for {row[2]}→{row[3]}, "
                          f"not {source_lang}→{target_lang}")
        term = row[0].strip()
        if term in pairs:
            raise Refusal("bad_request", f"Invalid glossary entries: line {line} repeats the source term {term!r}")
        pairs[term] = row[1].strip()
    if not pairs:
        raise Refusal("bad_request", "Invalid glossary entries: no entries")
    return {"source_lang": source_lang, "target_lang": target_lang, "entries": [list(kv) for kv in pairs.items()]}


def _dictionaries(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value or not all(isinstance(d, dict) for d in value):
        raise Refusal("bad_request", "Parameter 'dictionaries' must be a non-empty list of "
                      "{source_lang, target_lang, entries, entries_format}")
    found = [_dictionary(d.get("source_lang"), d.get("target_lang"), d.get("entries"), d.get("entries_format"))
             for d in value]
    if len({(d["source_lang"], d["target_lang"]) for d in found}) != len(found):
        raise Refusal("bad_request", "two dictionaries for the same language pair")
    return found


def _tsv(entries: list[list[str]]) -> str:
    return "\n".join(f"{source}\t{target}" for source, target in entries)


def _time(stamp: float) -> str:
    moment = datetime.fromtimestamp(stamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"


def _info_v2(record: dict[str, Any]) -> dict[str, Any]:
    dictionary = record["dictionaries"][0]
    return {"glossary_id": record["id"], "name": record["name"], "ready": True,
            "source_lang": dictionary["source_lang"], "target_lang": dictionary["target_lang"],
            "creation_time": _time(record["created"]), "entry_count": len(dictionary["entries"])}


def _info_v3(record: dict[str, Any]) -> dict[str, Any]:
    return {"glossary_id": record["id"], "name": record["name"], "creation_time": _time(record["created"]),
            "dictionaries": [{"source_lang": d["source_lang"], "target_lang": d["target_lang"],
                              "entry_count": len(d["entries"])} for d in record["dictionaries"]]}


async def _find(service: Any, caller: Caller, glossary_id: str) -> dict[str, Any]:
    record = await asyncio.to_thread(service.store.get_glossary, caller.owner, glossary_id)
    if record is None:
        raise Refusal("not_found", "Glossary not found")
    return record


async def _find_v2(service: Any, caller: Caller, glossary_id: str) -> dict[str, Any]:
    """A glossary the v2 API can show: one language pair, one dictionary."""
    record = await _find(service, caller, glossary_id)
    if len(record["dictionaries"]) != 1:
        raise Refusal("bad_request", "this glossary has several dictionaries; read it with /v3/glossaries")
    return record


async def _glossary_rows(service: Any, caller: Caller, ids: list[str], source: str, target: str) -> dict[str, Any]:
    """The glossaries' entries for ``source`` → ``target``, as rows of an article's own glossary."""
    rows: list[dict[str, str]] = []
    names = []
    pair = (base_language(source), base_language(target))
    for glossary_id in ids:
        record = await _find(service, caller, str(glossary_id))
        matching = [d for d in record["dictionaries"] if (d["source_lang"], d["target_lang"]) == pair]
        if not matching:
            have = ", ".join(f"{d['source_lang']}→{d['target_lang']}" for d in record["dictionaries"])
            raise Refusal("bad_request",
                          f"glossary {glossary_id} has no {pair[0]}→{pair[1]} dictionary (it has {have})")
        names.append(record["name"])
        rows += [{"source": s, "target": t, "source_language": pair[0], "target_language": pair[1]}
                 for s, t in matching[0]["entries"]]
    return {"name": "deepl:" + ",".join(names), "rows": rows}
