"""The LibreTranslate- and DeepL-compatible routes, driven by the real clients against a real
`kztranslate serve` (uvicorn in a subprocess): the official `deepl` SDK, `libretranslatepy`, and the
request shapes of the newsroom tools that speak these APIs, read from their source code and replayed
with httpx:

* Mastodon — mastodon/mastodon app/lib/translation_service/libre_translate.rb (commit 0486db9f) and
  app/lib/translation_service/deepl.rb (commit 03e681d2)
* Weblate — WeblateOrg/weblate weblate/machinery/libretranslate.py (commit 037eee0b) and
  weblate/machinery/deepl.py (commit 01c5add9)
* wagtail-localize — wagtail/wagtail-localize wagtail_localize/machine_translators/libretranslate.py
  (commit 2c4ea31c)
* Discourse translator — discourse/discourse-translator services/discourse_translator/libretranslate.rb
  (commit 43edb2d5)
* SearXNG — searxng/searxng searx/engines/libretranslate.py (commit 36a1ef12)
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from urllib.parse import urlencode

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from kztranslate.config import TranslatorConfig  # noqa: E402
from test_service import Server, _cli  # noqa: E402  (the real-server helpers)

KK = "Астанада халықаралық жиын өтті. Оған 45 елден қонақ келді."
RU = "В Астане прошло международное собрание, приехали гости из многих стран."
EN = "An international meeting took place in Astana."


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A real server (pseudo backend) with keys: generous, one with a 60-character quota, one slow."""
    db = tmp_path_factory.mktemp("compat") / "service.sqlite"
    keys = {}
    for name, extra in (("cms", ["--rate", "1000", "--burst", "1000"]),
                        ("quota", ["--character-limit", "60", "--rate", "1000", "--burst", "1000"]),
                        ("slow", ["--rate", "0.1", "--burst", "2"]),
                        ("small", ["--max-request-bytes", "400", "--rate", "1000", "--burst", "1000"])):
        created = _cli("keys", "--db", str(db), "create", name, *extra)
        assert created.returncode == 0, created.stderr
        keys[name] = created.stdout.strip()
    server = Server(db, "--batch-window-ms", "30").start()
    yield server, keys
    server.stop()


def pseudo(text: str, language: str) -> bool:
    """Whether ``text`` is a pseudo translation into ``language`` (the pseudo backend marks each sentence)."""
    return f"⟦{language}⟧" in text


# -- the DeepL SDK --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def deepl_client(live):
    deepl = pytest.importorskip("deepl")
    server, keys = live
    client = deepl.DeepLClient(keys["cms"], server_url=server.url)
    yield client
    client.close()


def test_deepl_sdk_translate_text_and_languages(deepl_client):
    result = deepl_client.translate_text(KK, source_lang="KK", target_lang="EN-GB")
    assert pseudo(result.text, "en") and result.text.count("⟦en⟧") == 2  # two sentences
    assert "45" in result.text and result.detected_source_lang == "KK" and result.billed_characters == len(KK)
    many = deepl_client.translate_text([KK, RU, EN], target_lang="RU")
    assert [r.detected_source_lang for r in many] == ["KK", "RU", "EN"]
    assert pseudo(many[0].text, "ru") and many[1].text == RU and pseudo(many[2].text, "ru")
    latin = deepl_client.translate_text(KK, source_lang="KK", target_lang="KK-LATN")
    assert latin.text.isascii() is False and not re.search("[а-яәғқңөұүһі]", latin.text.lower())
    sources = {language.code for language in deepl_client.get_source_languages()}
    targets = {language.code: language for language in deepl_client.get_target_languages()}
    assert {"KK", "RU", "EN"} <= sources and {"KK", "RU", "EN-GB", "EN-US"} <= set(targets)
    assert targets["RU"].supports_formality is False


def test_deepl_sdk_html_and_xml(deepl_client):
    html = '<p>Астанада <b>жиын</b> өтті.</p><p class="date">27 Қараша 2019</p><p translate="no">Аударма жоқ.</p>'
    result = deepl_client.translate_text(html, source_lang="KK", target_lang="RU", tag_handling="html")
    assert result.text.startswith("<p>") and "lang=" not in result.text and "<html" not in result.text
    assert "<b>" in result.text and '<p translate="no">Аударма жоқ.</p>' in result.text
    assert pseudo(result.text.split("</p>")[1], "ru")  # the date-looking paragraph is text
    kept = '<p>Жиын <span class="name" data-id="7">Әділ Тоқаев</span> өтті.</p><aside>Жарнама мәтіні.</aside>'
    result = deepl_client.translate_text(kept, source_lang="KK", target_lang="RU", tag_handling="html",
                                         ignore_tags=["span", "aside"])
    assert '<span class="name" data-id="7">Әділ Тоқаев</span>' in result.text and "translate=" not in result.text
    assert result.text.endswith("<aside>Жарнама мәтіні.</aside>") and pseudo(result.text, "ru")
    xml = 'Жиын <x id="0"></x> сағат <b>онда</b> басталды.'
    result = deepl_client.translate_text(xml, source_lang="KK", target_lang="EN-US", tag_handling="xml",
                                         ignore_tags=["x"], non_splitting_tags="b")
    assert '<x id="0"></x>' in result.text and "<b>" in result.text and pseudo(result.text, "en")


def test_deepl_sdk_glossaries_v2(deepl_client):
    deepl = pytest.importorskip("deepl")
    info = deepl_client.create_glossary("newsroom", "KK", "EN", {"Астана": "Astana City", "жиын": "assembly"})
    assert (info.source_lang, info.target_lang, info.entry_count, info.ready) == ("KK", "EN", 2, True)
    assert deepl_client.get_glossary(info.glossary_id).name == "newsroom"
    assert info.glossary_id in {g.glossary_id for g in deepl_client.list_glossaries()}
    assert deepl_client.get_glossary_entries(info) == {"Астана": "Astana City", "жиын": "assembly"}
    with_terms = deepl_client.translate_text(KK, source_lang="KK", target_lang="EN-US", glossary=info)
    without = deepl_client.translate_text(KK, source_lang="KK", target_lang="EN-US")
    # "Астанада" and "жиын" (with a Kazakh ending) become the target terms only with the glossary
    assert "Astana City" in with_terms.text and "assembly" in with_terms.text
    assert "Astana City" not in without.text
    html = deepl_client.translate_text("<p>Астанада <i>жиын</i> өтті.</p>", source_lang="KK", target_lang="EN-US",
                                       glossary=info, tag_handling="html")
    assert "Astana City" in html.text and "<i>assembly</i>" in html.text
    with pytest.raises(deepl.DeepLException):  # a glossary needs its own language pair
        deepl_client.translate_text(KK, source_lang="KK", target_lang="RU", glossary=info.glossary_id)
    deepl_client.delete_glossary(info)
    with pytest.raises(deepl.GlossaryNotFoundException):
        deepl_client.get_glossary(info.glossary_id)


def test_deepl_sdk_multilingual_glossaries_v3(deepl_client):
    deepl = pytest.importorskip("deepl")
    entries = deepl.api_data.MultilingualGlossaryDictionaryEntries
    info = deepl_client.create_multilingual_glossary("two-way", [
        entries("KK", "RU", {"Астана": "город Астана"}), entries("KK", "EN", {"Астана": "Astana City"})])
    assert {(d.source_lang, d.target_lang, d.entry_count) for d in info.dictionaries} == {("KK", "RU", 1),
                                                                                          ("KK", "EN", 1)}
    found = deepl_client.get_multilingual_glossary_entries(info, "KK", "RU").dictionaries[0]
    assert "Астана\tгород Астана" in found.entries
    into_ru = deepl_client.translate_text(KK, source_lang="KK", target_lang="RU", glossary=info)
    into_en = deepl_client.translate_text(KK, source_lang="KK", target_lang="EN-GB", glossary=info)
    assert "город Астана" in into_ru.text and "Astana City" in into_en.text
    merged = deepl_client.update_multilingual_glossary_dictionary(info, entries("KK", "RU", {"жиын": "собрание"}))
    assert {(d.source_lang, d.target_lang): d.entry_count for d in merged.dictionaries}[("KK", "RU")] == 2
    assert "собрание" in deepl_client.translate_text(KK, source_lang="KK", target_lang="RU", glossary=info).text
    replaced = deepl_client.replace_multilingual_glossary_dictionary(info, entries("KK", "RU", {"жиын": "съезд"}))
    assert replaced.entry_count == 1
    ru_entries = deepl_client.get_multilingual_glossary_entries(info, "KK", "RU").dictionaries[0].entries
    assert ru_entries == "жиын\tсъезд"
    deepl_client.delete_multilingual_glossary_dictionary(info, source_lang="KK", target_lang="RU")
    assert [(d.source_lang, d.target_lang) for d in deepl_client.get_multilingual_glossary(info.glossary_id)
            .dictionaries] == [("KK", "EN")]
    renamed = deepl_client.update_multilingual_glossary_name(info, "renamed")
    assert renamed.name == "renamed" and info.glossary_id in {g.glossary_id for g in
                                                              deepl_client.list_multilingual_glossaries()}
    deepl_client.delete_multilingual_glossary(info)
    with pytest.raises(deepl.GlossaryNotFoundException):
        deepl_client.get_multilingual_glossary(info.glossary_id)


def test_deepl_sdk_usage_quota_and_auth(live):
    deepl = pytest.importorskip("deepl")
    server, keys = live
    client = deepl.DeepLClient(keys["quota"], server_url=server.url)
    try:
        before = client.get_usage().character
        assert (before.count, before.limit) == (0, 60) and not before.limit_reached
        client.translate_text("Жиын өтті.", source_lang="KK", target_lang="RU")
        assert client.get_usage().character.count == len("Жиын өтті.")
        with pytest.raises(deepl.QuotaExceededException):  # 456: the key's characters are used up
            client.translate_text(KK * 2, source_lang="KK", target_lang="RU")
        assert client.get_usage().character.count == len("Жиын өтті.")  # a refused request costs nothing
        listed = [json.loads(line) for line in _cli("keys", "--db", str(server.db), "list").stdout.splitlines()]
        assert {(k["name"], k["characters"], k["character_limit"]) for k in listed} >= {("quota", 10, 60)}
    finally:
        client.close()
    stranger = deepl.DeepLClient("kzt_00000000_wrong", server_url=server.url)
    with pytest.raises(deepl.AuthorizationException):
        stranger.translate_text("Жиын", target_lang="RU")
    stranger.close()


def test_deepl_refusals_and_unhonoured_options(live):
    server, keys = live
    auth = {"Authorization": f"DeepL-Auth-Key {keys['cms']}"}
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.post("/v2/translate", json={"text": [KK], "target_lang": "RU", "formality": "more", "context": "x"},
                   headers=auth)
        assert r.status_code == 200
        reported = r.headers["x-kztranslate-not-honoured"]
        assert "formality=more" in reported and "context" in reported
        assert r.json()["kztranslate"]["not_honoured"] and pseudo(r.json()["translations"][0]["text"], "ru")
        cases = [
            ({"text": [KK]}, 400), ({"target_lang": "RU"}, 400), ({"text": [KK], "target_lang": "DE"}, 400),
            ({"text": [KK], "target_lang": "RU", "source_lang": "XX"}, 400),
            ({"text": [KK], "target_lang": "RU", "tag_handling": "markdown"}, 400),
            ({"text": ["<b>x"], "target_lang": "RU", "source_lang": "KK", "tag_handling": "xml"}, 400),
            ({"text": [KK], "target_lang": "RU", "glossary_id": "nope"}, 400),  # needs source_lang
            ({"text": [KK], "target_lang": "RU", "source_lang": "KK", "glossary_id": "nope"}, 404),
        ]
        for body, status in cases:
            r = c.post("/v2/translate", json=body, headers=auth)
            assert r.status_code == status, (body, r.text)
            assert set(r.json()) == {"message"} and r.json()["message"]
        assert c.post("/v2/translate", json={"text": [KK], "target_lang": "RU"}).status_code == 403
        r = c.post("/v2/translate", data={"text": KK, "target_lang": "RU", "auth_key": keys["cms"]})
        assert r.status_code == 403 and "Authorization" in r.json()["message"]  # keys go in the header
        r = c.post("/v2/translate", json={"text": [KK * 10], "target_lang": "RU"},
                   headers={"Authorization": f"DeepL-Auth-Key {keys['small']}"})
        assert r.status_code == 413
        r = c.get("/v2/languages", params={"type": "both"}, headers=auth)
        assert r.status_code == 400
        # a glossary belongs to the key that made it
        made = c.post("/v2/glossaries", headers=auth, json={"name": "mine", "source_lang": "kk", "target_lang": "ru",
                                                            "entries": "Астана\tАстана", "entries_format": "tsv"})
        assert made.status_code == 201
        other = {"Authorization": f"DeepL-Auth-Key {keys['quota']}"}
        assert c.get(f"/v2/glossaries/{made.json()['glossary_id']}", headers=other).status_code == 404
        assert made.json()["glossary_id"] not in str(c.get("/v2/glossaries", headers=other).json())
        r = c.post("/v2/translate", headers=other, json={"text": ["Жиын"], "source_lang": "KK", "target_lang": "RU",
                                                         "glossary_id": made.json()["glossary_id"]})
        assert r.status_code == 404
        for entries, fmt in (("Астана", "tsv"), ("a\tb\na\tc", "tsv"), ("a,b,kk,en", "csv"), ("a\tb", "xlsx")):
            bad = c.post("/v2/glossaries", headers=auth, json={"name": "x", "source_lang": "kk", "target_lang": "ru",
                                                               "entries": entries, "entries_format": fmt})
            assert bad.status_code == 400 and bad.json()["message"], (entries, fmt)


# -- libretranslatepy --------------------------------------------------------------------------------------
def test_libretranslatepy_translate_detect_languages(live):
    libre = pytest.importorskip("libretranslatepy")
    server, keys = live
    api = libre.LibreTranslateAPI(server.url, api_key=keys["cms"])
    translated = api.translate(KK, "kk", "en")
    assert pseudo(translated, "en") and translated.count("⟦en⟧") == 2
    assert pseudo(api.translate(KK, "auto", "ru"), "ru")
    detected = api.detect(RU)
    assert detected[0]["language"] == "ru" and 0 < detected[0]["confidence"] <= 100
    languages = {entry["code"]: entry for entry in api.languages()}
    assert {"kk", "ru", "en"} <= set(languages) and {"ru", "en"} <= set(languages["kk"]["targets"])
    assert languages["kk"]["name"] == "Kazakh"
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as caught:
        libre.LibreTranslateAPI(server.url, api_key="kzt_00000000_wrong").translate(KK, "kk", "en")
    assert caught.value.code == 403 and "error" in json.loads(caught.value.read())


def test_libretranslate_errors_have_its_shape_and_codes(live):
    server, keys = live
    with httpx.Client(base_url=server.url, timeout=30) as c:
        cases = [
            ({"source": "kk", "target": "en", "api_key": keys["cms"]}, 400),  # no q
            ({"q": KK, "target": "en", "api_key": keys["cms"]}, 400),  # no source
            ({"q": KK, "source": "kk", "target": "de", "api_key": keys["cms"]}, 400),
            ({"q": KK, "source": "kk", "target": "en", "format": "markdown", "api_key": keys["cms"]}, 400),
            ({"q": KK, "source": "kk", "target": "en"}, 400),  # no key: LibreTranslate asks for one with 400
            ({"q": KK, "source": "kk", "target": "en", "api_key": "kzt_00000000_wrong"}, 403),
            ({"q": KK * 20, "source": "kk", "target": "en", "api_key": keys["small"]}, 400),  # over the limit
        ]
        for body, status in cases:
            r = c.post("/translate", json=body)
            assert r.status_code == status, (body, r.text)
            assert set(r.json()) == {"error"} and r.json()["error"]
        statuses = [c.post("/translate", json={"q": "Жиын", "source": "kk", "target": "en",
                                                "api_key": keys["slow"]}) for _ in range(3)]
        assert [s.status_code for s in statuses] == [200, 200, 429]
        assert statuses[2].json()["error"].startswith("Slowdown:") and int(statuses[2].headers["Retry-After"]) >= 1
        r = c.post("/translate", json={"q": KK * 2, "source": "kk", "target": "en", "api_key": keys["quota"]})
        assert r.status_code == 403  # quota used up (Mastodon reads 403 as QuotaExceededError)
        r = c.post("/translate", content=b'{"q": ', headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and "error" in r.json()


# -- recorded request shapes of newsroom tools -------------------------------------------------------------
def test_mastodon_libretranslate_request(live):
    # libre_translate.rb: JSON body {q, source: lang or "auto", target, format: "html", api_key}
    server, keys = live
    status_html = '<p>Астанада жиын өтті. <a href="https://mastodon.example/@aigul" class="u-url mention">' \
                  '@<span>aigul</span></a> <a href="https://mastodon.example/tags/Астана">#Астана</a></p>'
    for source in ("kk", "auto"):
        body = json.dumps({"q": status_html, "source": source, "target": "en", "format": "html",
                           "api_key": keys["cms"]})
        r = httpx.post(f"{server.url}/translate", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text
        text = r.json()["translatedText"]
        assert isinstance(text, str) and pseudo(text, "en") and text.startswith("<p>")
        assert 'href="https://mastodon.example/@aigul" class="u-url mention"' in text
        assert 'href="https://mastodon.example/tags/Астана"' in text
        assert ("detectedLanguage" in r.json()) == (source == "auto")


def test_mastodon_deepl_request(live):
    # deepl.rb: form {text: [...], source_lang, target_lang, tag_handling: "html"}, DeepL-Auth-Key header;
    # GET /v2/languages?type=source|target. (Mastodon's DeepL URL is fixed to deepl.com: the shape is
    # replayed here, pointing Mastodon at kztranslate goes through LIBRE_TRANSLATE_ENDPOINT.)
    server, keys = live
    auth = {"Authorization": f"DeepL-Auth-Key {keys['cms']}"}
    for repeated in ("text", "text[]"):
        form = urlencode([(repeated, "<p>Жиын өтті.</p>"), (repeated, "<p>Соңы.</p>"), ("source_lang", "KK"),
                          ("target_lang", "en"), ("tag_handling", "html")])
        r = httpx.post(f"{server.url}/v2/translate", content=form, headers={
            **auth, "Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 200, r.text
        translations = r.json()["translations"]
        assert len(translations) == 2 and all(pseudo(t["text"], "en") for t in translations)
        assert translations[0]["detected_source_language"].lower() == "kk"
    for kind in ("source", "target"):
        r = httpx.get(f"{server.url}/v2/languages?type={kind}", headers=auth)
        assert r.status_code == 200 and all("language" in entry for entry in r.json())


def test_weblate_libretranslate_request(live):
    # weblate/machinery/libretranslate.py: form data {api_key, q, source, target}; GET /languages → codes
    server, keys = live
    codes = [x["code"] for x in httpx.get(f"{server.url}/languages").json()]
    assert {"kk", "ru", "en"} <= set(codes)
    r = httpx.post(f"{server.url}/translate", data={"api_key": keys["cms"], "q": "Жаңа жоба %s іске қосылды.",
                                                    "source": "kk", "target": "ru"})
    assert r.status_code == 200 and pseudo(r.json()["translatedText"], "ru") and "%s" in r.json()["translatedText"]


def test_weblate_deepl_requests(live):
    # weblate/machinery/deepl.py: languages by type; translate JSON with tag_handling xml, ignore_tags ["x"],
    # formality "default" and <x id="N"></x> placeholders; glossary-language-pairs; glossaries as TSV.
    server, keys = live
    auth = {"Authorization": f"DeepL-Auth-Key {keys['cms']}"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as c:
        sources = {x["language"] for x in c.get("/v2/languages", params={"type": "source"}).json()}
        targets = {x["language"].upper() for x in c.get("/v2/languages", params={"type": "target"}).json()}
        assert "KK" in sources and "RU" in targets
        pairs = {(p["source_lang"].upper(), p["target_lang"].upper())
                 for p in c.get("/v2/glossary-language-pairs").json()["supported_languages"]}
        assert ("KK", "RU") in pairs
        c.post("/v2/glossaries", json={"name": "weblate:1:KK:RU", "source_lang": "KK", "target_lang": "RU",
                                       "entries": "Жоба\tПроект\nнұсқа\tверсия", "entries_format": "tsv"})
        glossaries = {g["name"]: g["glossary_id"] for g in c.get("/v2/glossaries").json()["glossaries"]}
        texts = ['Жоба <x id="5"></x> нұсқасы шықты.', 'Файл <x id="0"></x> сақталды.']
        r = c.post("/v2/translate", json={
            "text": texts, "source_lang": "KK", "target_lang": "RU", "formality": "default",
            "tag_handling": "xml", "ignore_tags": ["x"], "glossary_id": glossaries["weblate:1:KK:RU"]})
        assert r.status_code == 200, r.text
        out = [t["text"] for t in r.json()["translations"]]
        assert '<x id="5"></x>' in out[0] and '<x id="0"></x>' in out[1] and "Проект" in out[0]
        assert "x-kztranslate-not-honoured" not in r.headers  # formality "default" asks for nothing
        deleted = c.delete(f"/v2/glossaries/{glossaries['weblate:1:KK:RU']}")
        assert deleted.status_code == 204 and c.delete(f"/v2/glossaries/{glossaries['weblate:1:KK:RU']}"
                                                       ).status_code == 404


def test_wagtail_localize_libretranslate_request(live):
    # libretranslate.py: data=json.dumps({q: [strings], source, target, api_key, format: "html"})
    server, keys = live
    strings = ["Астанада жиын өтті.", '<a id="a1">Толығырақ</a> оқыңыз.', "Бөлісу:"]
    r = httpx.post(f"{server.url}/translate", headers={"Content-Type": "application/json"}, timeout=30,
                   content=json.dumps({"q": strings, "source": "kk", "target": "ru", "api_key": keys["cms"],
                                       "format": "html"}))
    assert r.status_code == 200, r.text
    out = r.json()["translatedText"]
    assert isinstance(out, list) and len(out) == 3 and all(pseudo(t, "ru") for t in out)
    assert '<a id="a1">' in out[1] and out[1].count("</a>") == 1


def test_discourse_libretranslate_requests(live):
    # libretranslate.rb: POST /detect and /translate form-encoded with api_key; GET /languages without a key
    server, keys = live
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = httpx.post(f"{server.url}/detect", content=urlencode({"q": KK, "api_key": keys["cms"]}), headers=form)
    assert r.status_code == 200 and r.json()[0]["language"] == "kk"
    languages = httpx.get(f"{server.url}/languages").json()
    assert any(obj["code"] == "kk" for obj in languages) and any(obj["code"] == "en" for obj in languages)
    r = httpx.post(f"{server.url}/translate", headers=form, content=urlencode(
        {"q": "<p>Жиын өтті.</p>", "source": "kk", "target": "en", "format": "html", "api_key": keys["cms"]}))
    assert r.status_code == 200 and r.json()["translatedText"].startswith("<p>⟦en⟧")


def test_searxng_libretranslate_request(live):
    # searx/engines/libretranslate.py: JSON {q, source, target, alternatives: 3, api_key}; reads alternatives
    server, keys = live
    r = httpx.post(f"{server.url}/translate", headers={"Content-Type": "application/json"}, content=json.dumps(
        {"q": "жиын", "source": "kk", "target": "en", "alternatives": 3, "api_key": keys["cms"]}))
    assert r.status_code == 200 and pseudo(r.json()["translatedText"], "en")
    assert r.json()["alternatives"] == []  # one translation, and no pretending otherwise


# -- the service around them --------------------------------------------------------------------------------
def test_concurrent_compat_requests_share_model_passes(live):
    server, keys = live
    count = 24

    async def go():
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
            libre = [c.post("/translate", json={"q": f"Жиын №{n} өтті.", "source": "kk", "target": "ru",
                                                 "api_key": keys["cms"]}) for n in range(count // 2)]
            deepl = [c.post("/v2/translate", json={"text": [f"Жиын №{n} өтті."], "target_lang": "RU"},
                            headers={"Authorization": f"DeepL-Auth-Key {keys['cms']}"}) for n in range(count // 2)]
            return await asyncio.gather(*libre, *deepl)

    before = _metric(server, "kztranslate_batch_articles_count")
    responses = asyncio.run(go())
    assert [r.status_code for r in responses] == [200] * count
    texts = [r.json()["translatedText"] for r in responses[: count // 2]]
    texts += [r.json()["translations"][0]["text"] for r in responses[count // 2:]]
    assert [f"№{n % (count // 2)} " in t for n, t in enumerate(texts)] == [True] * count
    assert _metric(server, "kztranslate_batch_articles_count") - before < count  # shared passes
    metrics = httpx.get(server.url + "/metrics").text
    assert 'route="/translate",status="200"' in metrics and 'route="/v2/translate",status="200"' in metrics


def _metric(server, name: str) -> float:
    text = httpx.get(server.url + "/metrics").text
    return next(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


def test_openapi_lists_the_compatible_routes_and_validates(live):
    server, _ = live
    spec = httpx.get(server.url + "/openapi.json").json()
    for path in ("/translate", "/detect", "/languages", "/frontend/settings", "/v2/translate", "/v2/languages",
                 "/v2/usage", "/v2/glossaries", "/v2/glossaries/{glossary_id}/entries", "/v3/glossaries"):
        assert path in spec["paths"], path
    body = spec["paths"]["/translate"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(body)
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)


# -- a tiny real model (random weights: what matters is what survives the trip through it) ------------------
@pytest.fixture
def tiny_model_server(tmp_path, tiny_models):
    """A real HTTP server (uvicorn, in a thread of this process so the decoding can be kept short) with a tiny
    random-weight NLLB model on the transformers backend."""
    pytest.importorskip("transformers")
    import socket
    import threading

    import uvicorn

    from kztranslate.engine import Decoding
    from kztranslate.service import ServiceSettings, create_app
    model = tiny_models["nllb"]  # built once per test session (conftest.py)
    settings = ServiceSettings(translation=TranslatorConfig("transformers", model=str(model),
                                                           decoding=Decoding(beams=1, max_new_tokens=12)),
                               db_path=tmp_path / "s.sqlite")
    app = create_app(settings)
    key, _ = app.state.service.store.create_key("cms")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    until = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < until and thread.is_alive(), "the tiny-model server did not become ready"
        time.sleep(0.1)
    yield url, key
    server.should_exit = True
    thread.join(timeout=30)


def test_clients_against_a_tiny_real_model(tiny_model_server, monkeypatch):
    deepl = pytest.importorskip("deepl")
    libre = pytest.importorskip("libretranslatepy")
    url, key = tiny_model_server
    monkeypatch.setattr(deepl.http_client, "min_connection_timeout", 120.0)
    client = deepl.DeepLClient(key, server_url=url)
    try:
        xml = ['Жиын <x id="0"></x> сағат онда <b>басталды</b>.', "Толығы: https://kaz.example/жаңалық сайтында."]
        tagged, linked = client.translate_text(xml, source_lang="KK", target_lang="RU", tag_handling="xml",
                                               ignore_tags="x")
        # markup and protected spans come back whatever the model does with their markers
        assert tagged.text.count('<x id="0"></x>') == 1 and tagged.text.count("<b>") == tagged.text.count("</b>") == 1
        assert "https://kaz.example/жаңалық" in linked.text and tagged.detected_source_lang == "KK"
        html = client.translate_text('<p class="lead">Жиын <a href="/kk/news?id=7">өтті</a>.</p>', source_lang="KK",
                                     target_lang="EN-GB", tag_handling="html").text
        assert html.startswith('<p class="lead">') and html.count('<a href="/kk/news?id=7">') == 1
        assert html.endswith("</p>") and "lang=" not in html
    finally:
        client.close()
    translated = libre.LibreTranslateAPI(url, api_key=key).translate("Жиын өтті. Хабарласу: info@kaz.example", "kk",
                                                                      "en")
    assert isinstance(translated, str) and "info@kaz.example" in translated


def test_a_failing_model_answers_each_api_shape_and_costs_no_quota(tmp_path, caplog):
    from fastapi.testclient import TestClient

    from kztranslate.service import ServiceSettings, create_app

    class Broken:
        backend = None

        def pipe(self, *args, **kwargs):
            raise RuntimeError("a bug")

    app = create_app(ServiceSettings(db_path=tmp_path / "s.sqlite"), translator=Broken())
    store = app.state.service.store
    key, record = store.create_key("cms")
    store.set_character_limit(record.id, 1000)
    with TestClient(app, raise_server_exceptions=False) as c:
        until = time.monotonic() + 10
        while app.state.service.batcher is None:
            assert time.monotonic() < until
            time.sleep(0.05)
        r = c.post("/translate", json={"q": KK, "source": "kk", "target": "en", "api_key": key})
        assert r.status_code == 500 and set(r.json()) == {"error"}
        r = c.post("/v2/translate", json={"text": [KK], "target_lang": "RU"},
                   headers={"Authorization": f"DeepL-Auth-Key {key}"})
        assert r.status_code == 500 and set(r.json()) == {"message"}
        assert "a bug" not in r.text and "its log has the details" in r.text  # the details stay in the log
        assert store.character_usage(record.id) == (0, 1000)  # the failed translations were given back
    logged = [record for record in caplog.records if record.exc_info and "a bug" in str(record.exc_info[1])]
    assert {record.getMessage() for record in logged} >= {"/translate failed", "/v2/translate failed"}


def test_a_model_that_cannot_load_is_reported_in_each_api_shape(tmp_path):
    from fastapi.testclient import TestClient

    from kztranslate.service import ServiceSettings, create_app

    app = create_app(ServiceSettings(translation=TranslatorConfig("no-such-backend"), db_path=tmp_path / "s.sqlite",
                                     require_keys=False))
    with TestClient(app) as c:
        until = time.monotonic() + 10
        while app.state.service.load_error is None:
            assert time.monotonic() < until
            time.sleep(0.05)
        for method, path, body, status, field in (
                ("POST", "/translate", {"q": KK, "source": "kk", "target": "en"}, 500, "error"),
                ("GET", "/languages", None, 500, "error"),
                ("POST", "/v2/translate", {"text": [KK], "target_lang": "RU"}, 503, "message"),
                ("GET", "/v2/languages", None, 503, "message")):
            r = c.request(method, path, json=body)
            assert r.status_code == status and "no-such-backend" in r.json()[field], (path, r.text)
            assert "retry-after" not in r.headers  # a failed load does not pass by waiting
