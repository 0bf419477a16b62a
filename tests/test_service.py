"""The HTTP service: in-process checks with TestClient, and the real server (uvicorn in a subprocess)
for concurrency, restarts and bad requests."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from kztranslate.config import TranslatorConfig  # noqa: E402
from kztranslate.formats import get_format  # noqa: E402
from kztranslate.service import ServiceSettings, create_app  # noqa: E402
from samples import CORPUS  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"
ENV = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1"}


def article(n: int, language: str = "kk") -> dict:
    """A small document-JSON article whose text carries the number ``n``."""
    return {
        "language": language,
        "blocks": [
            {"role": "headline", "text": f"Астанада №{n} жиын өтті."},
            {"role": "paragraph", "text": f"Бүгін {n} адам қатысты. Жиын сағат 10-да басталды."},
            {"role": "byline", "text": "Айгүл Сәрсенова", "names": ["Айгүл Сәрсенова"]},
        ],
        "meta": {"id": f"a{n}"},
    }


# -- in-process -----------------------------------------------------------------------------------
@pytest.fixture
def client(tmp_path):
    app = create_app(ServiceSettings(translation=TranslatorConfig("pseudo"), db_path=tmp_path / "service.sqlite",
                                     cors_origins=["https://cms.example"]))
    key, _ = app.state.service.store.create_key("test")
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as c:
        _wait_ready(c)
        yield c


def _wait_ready(c, timeout=20.0):
    deadline = time.monotonic() + timeout
    while c.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "model never became ready"
        time.sleep(0.05)


def test_translate_document_json_gives_each_variant_with_provenance(client):
    r = client.post("/v1/translate", json={"article": article(7), "to": "ru,en"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["format"] == "json" and body["source_language"] == "kk"
    assert set(body["variants"]) == {"ru", "en"}
    for lang, variant in body["variants"].items():
        doc = variant["document"]
        assert doc["language"] == lang
        assert doc["provenance"]["backend"] == "pseudo" and doc["provenance"]["target_language"] == lang
        assert doc["blocks"][0]["text"].startswith(f"⟦{lang}⟧") and "№7" in doc["blocks"][0]["text"]
        assert doc["blocks"][2]["role"] == "byline"  # transliterated, not sent to the model
        assert "⟦" not in doc["blocks"][2]["text"]
        assert json.loads(variant["content"]) == doc  # content is the same variant rendered in the format


@pytest.mark.parametrize("format_name", ["text", "html", "ninjs"])
def test_seed_article_in_each_format(client, format_name):
    importlib.import_module(f"kztranslate.formats.{format_name}")
    seed = CORPUS / "seed-baq.kk.txt"
    if not seed.exists():
        pytest.skip("shared corpus not available")
    source = get_format("text").read(seed.read_text(encoding="utf-8"), language="kk")
    fmt = get_format(format_name)
    content = fmt.write(source)
    r = client.post("/v1/translate", json={"content": content, "format": format_name, "to": ["ru", "en"]})
    assert r.status_code == 200, r.text
    for lang, variant in r.json()["variants"].items():
        reread = fmt.read(variant["content"], language=lang)
        document = variant["document"]
        assert [b.role for b in reread.blocks] == [b["role"] for b in document["blocks"]]
        translated = [b for b in document["blocks"] if b["role"] in ("headline", "paragraph")]
        assert translated and all(f"⟦{lang}⟧" in b["text"] for b in translated)
        assert document["provenance"]["source_sha256"] == source.checksum() or format_name != "text"
        assert document["provenance"]["qa"]["policy"] == "flag" and isinstance(document["qa"], list)
        assert document["byline"] == {"ru": ["Нургуль Калиева"], "en": ["Nurgul Kaliyeva"]}[lang]
        if format_name != "ninjs":  # ninjs carries the date in firstcreated and has no share trailer
            assert document["dateline"] == {"ru": "27 ноября 2019, 10:03", "en": "November 27, 2019, 10:03"}[lang]
            assert document["views"] == 3457
            assert document["blocks"][-1]["text"] == {"ru": "Поделиться:", "en": "Share:"}[lang]


def test_job_in_process_and_models_health_metrics(client):
    r = client.post("/v1/jobs", json={"articles": [{"article": article(1)}, {"article": article(2)}], "to": ["ru"]})
    assert r.status_code == 202 and r.json()["status"] == "queued"
    job_id = r.json()["id"]
    deadline = time.monotonic() + 10
    while (status := client.get(f"/v1/jobs/{job_id}").json())["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert (status["total"], status["done"], status["failed"]) == (2, 2, 0)
    assert [x["index"] for x in status["results"]] == [0, 1]
    assert "№2" in status["results"][1]["variants"]["ru"]["document"]["headline"]

    models = client.get("/v1/models").json()
    assert models["models"][0]["backend"] == "pseudo"
    assert ["kk", "ru"] in models["models"][0]["pairs"] and "kk-Latn" in models["languages"]
    assert client.get("/healthz").json() == {"status": "ok", "detail": None}
    metrics = client.get("/metrics").text
    assert 'kztranslate_requests_total{method="POST",route="/v1/jobs",status="202"} 1.0' in metrics
    segments = next(float(line.split()[-1]) for line in metrics.splitlines()
                    if line.startswith("kztranslate_segments_total "))
    assert segments >= 6  # two articles × three model segments each


def test_cors_preflight_and_openapi_schema(client):
    r = client.options("/v1/translate", headers={"Origin": "https://cms.example",
                                                 "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "authorization,content-type"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://cms.example"
    assert "access-control-allow-origin" not in client.get("/healthz", headers={"Origin": "https://evil.example"}).headers
    spec = client.get("/openapi.json").json()
    request_schema = spec["components"]["schemas"]["TranslateRequest"]
    assert {"article", "content", "format", "to", "from"} <= set(request_schema["properties"])
    translate = spec["paths"]["/v1/translate"]["post"]
    assert translate["security"] and set(spec["components"]["securitySchemes"]) == {"bearerAuth", "apiKeyHeader"}
    for status in ("400", "401", "413", "422", "429"):
        schema = translate["responses"][status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/ErrorResponse")
    assert spec["paths"]["/v1/jobs/{job_id}"]["get"]["responses"]["200"]
    operations = {op["operationId"]: op for ops in spec["paths"].values() for op in ops.values()
                  if not op["operationId"].startswith(("libretranslate_", "deepl_"))}  # (test_compat_clients.py)
    assert {"translate", "submit_job", "job_status", "models", "healthz", "readyz", "metrics"} == set(operations)
    for op in operations.values():  # every answer has a schema a client generator can type
        assert all(response.get("content") for response in op["responses"].values()), op["operationId"]
    assert "text/plain" in operations["metrics"]["responses"]["200"]["content"]


def test_unexpected_failures_answer_json_and_refusals_count_under_their_route(tmp_path):
    class Broken:
        backend = None

        def pipe(self, *args, **kwargs):
            raise RuntimeError("a bug")

    app = create_app(ServiceSettings(db_path=tmp_path / "s.sqlite"), translator=Broken())
    key, _ = app.state.service.store.create_key("test")
    with TestClient(app, raise_server_exceptions=False) as c:
        deadline = time.monotonic() + 10
        while app.state.service.batcher is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        auth = {"Authorization": f"Bearer {key}"}
        r = c.post("/v1/translate", json={"article": article(1), "to": "ru"}, headers=auth)
        assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
        r = c.post("/v1/translate", json={"article": article(1), "format": "html", "to": "ru"}, headers=auth)
        assert r.status_code == 400 and r.json()["error"]["code"] == "format_needs_content"
        assert c.post("/v1/translate", json={"article": article(1), "to": "ru"}).status_code == 401
        metrics = c.get("/metrics").text
        assert 'route="/v1/translate",status="500"} 1.0' in metrics
        assert 'route="/v1/translate",status="401"} 1.0' in metrics


def test_model_that_cannot_load_is_not_ready(tmp_path):
    app = create_app(ServiceSettings(translation=TranslatorConfig("no-such-backend"), db_path=tmp_path / "s.sqlite",
                                     require_keys=False))
    with TestClient(app) as c:
        deadline = time.monotonic() + 10
        while (r := c.get("/readyz")).json()["error"]["code"] == "model_loading":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert r.status_code == 503 and r.json()["error"]["code"] == "model_unavailable"
        assert "no-such-backend" in r.json()["error"]["message"]
        t = c.post("/v1/translate", json={"article": article(1), "to": "ru"})
        assert t.status_code == 503 and t.json()["error"]["code"] == "model_unavailable"
        assert c.get("/healthz").status_code == 200


# -- the real server --------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kztranslate", *args], env=ENV, capture_output=True, text=True,
                          timeout=60)


class Server:
    def __init__(self, db: Path, *extra: str) -> None:
        self.db, self.extra = db, extra
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.start_timeout = 30.0  # seconds until /readyz answers 200 (a real model loads slower)

    def start(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kztranslate", "serve", "--backend", "pseudo", "--port", str(self.port),
             "--db", str(self.db), "--log-level", "warning", *self.extra],
            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + self.start_timeout
        while True:
            assert self.proc.poll() is None, self.proc.stderr.read().decode()
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.1)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A real server with three keys: a generous one, one with a small size limit, one with a small rate."""
    db = tmp_path_factory.mktemp("live") / "service.sqlite"
    generous = _cli("keys", "--db", str(db), "create", "cms", "--rate", "1000", "--burst", "1000")
    assert generous.returncode == 0, generous.stderr
    small = _cli("keys", "--db", str(db), "create", "small", "--max-request-bytes", "3000")
    slow = _cli("keys", "--db", str(db), "create", "slow", "--rate", "0.2", "--burst", "2")
    assert small.returncode == slow.returncode == 0, small.stderr + slow.stderr
    server = Server(db, "--batch-window-ms", "30").start()
    yield server, generous.stdout.strip(), small.stdout.strip(), slow.stdout.strip()
    server.stop()


def test_many_parallel_requests_are_all_answered_and_batched(live):
    server, key, _, _ = live
    count = 30

    async def go():
        async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {key}"},
                                     timeout=30) as c:
            return await asyncio.gather(*(
                c.post("/v1/translate", json={"article": article(n), "to": ["ru", "en"]}) for n in range(count)
            ))

    responses = asyncio.run(go())
    assert [r.status_code for r in responses] == [200] * count
    for n, r in enumerate(responses):
        variants = r.json()["variants"]
        for lang in ("ru", "en"):
            headline = variants[lang]["document"]["headline"]
            assert headline.startswith(f"⟦{lang}⟧") and f"№{n} " in headline, (n, headline)
    metrics = httpx.get(server.url + "/metrics").text
    passes = next(float(line.split()[-1]) for line in metrics.splitlines()
                  if line.startswith("kztranslate_batch_articles_count"))
    assert passes < count  # concurrent articles shared model passes


def test_bad_requests_get_precise_json_errors_never_500(live):
    server, key, small, slow = live
    auth = {"Authorization": f"Bearer {key}"}
    json_header = {**auth, "Content-Type": "application/json"}
    cases = [
        ("malformed JSON", dict(content=b'{"to": ["ru"], "article": {', headers=json_header), 400, "invalid_json"),
        ("empty body", dict(content=b"", headers=json_header), 400, "empty_body"),
        ("unknown language", dict(json={"article": article(1), "to": ["ru", "xx"]}, headers=auth), 400,
         "unknown_language"),
        ("unknown source language", dict(json={"article": article(1), "to": "ru", "from": "tt"}, headers=auth), 400,
         "unknown_language"),
        ("unknown format", dict(json={"content": "Сәлем.", "format": "docx", "to": "ru"}, headers=auth), 400,
         "unknown_format"),
        ("empty content", dict(json={"content": "  ", "to": "ru"}, headers=auth), 400, "empty_content"),
        ("both article and content", dict(json={"article": article(1), "content": "x", "to": "ru"}, headers=auth),
         422, "invalid_request"),
        ("no target", dict(json={"article": article(1)}, headers=auth), 422, "invalid_request"),
        ("unknown field", dict(json={"article": article(1), "to": "ru", "colour": 1}, headers=auth), 422,
         "invalid_request"),
        ("broken document", dict(json={"content": "{not json", "format": "json", "to": "ru"}, headers=auth), 422,
         "invalid_format_content"),
        ("same language", dict(json={"article": article(1), "to": "kk"}, headers=auth), 422, "cannot_translate"),
        ("no key", dict(json={"article": article(1), "to": "ru"}), 401, "missing_api_key"),
        ("wrong key", dict(json={"article": article(1), "to": "ru"},
                           headers={"Authorization": "Bearer kzt_00000000_nope"}), 401, "invalid_api_key"),
        ("oversized", dict(json={"content": "Сәлем. " * 400, "to": "ru"}, headers={"X-API-Key": small}), 413,
         "request_too_large"),
    ]
    with httpx.Client(base_url=server.url, timeout=30) as c:
        for name, kwargs, status, code in cases:
            r = c.post("/v1/translate", **kwargs)
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), (name, r.text)
            assert r.json()["error"]["message"], name
        r = c.post("/v1/translate", json={"article": article(1), "to": ["ru", "xx"]}, headers=auth)
        assert "kk, ru, en, kk-Latn" in r.json()["error"]["message"]
        r = c.post("/v1/translate", json={"content": "Сәлем.", "format": "docx", "to": "ru"}, headers=auth)
        assert "json" in r.json()["error"]["message"]  # lists the valid formats
        r = c.post("/v1/translate", json={"article": article(1)}, headers=auth)
        assert r.json()["error"]["details"][0]["field"] == "to"
        assert c.get("/v1/nothing-here", headers=auth).json()["error"]["code"] == "not_found"
        assert c.get("/v1/translate", headers=auth).json()["error"]["code"] == "method_not_allowed"
        assert c.get("/v1/jobs/unknown", headers=auth).json()["error"]["code"] == "job_not_found"
        r = c.post("/v1/jobs", json={"articles": [{"article": article(1)}, {"content": "x", "format": "docx"}],
                                     "to": "ru"}, headers=auth)
        assert r.status_code == 400 and r.json()["error"]["message"].startswith("articles[1]:")
        # the slow key: burst of 2, then 429 with Retry-After
        statuses = [c.get("/v1/models", headers={"X-API-Key": slow}) for _ in range(3)]
        assert [s.status_code for s in statuses[:2]] == [200, 200]
        assert statuses[2].status_code == 429 and statuses[2].json()["error"]["code"] == "rate_limited"
        assert int(statuses[2].headers["Retry-After"]) >= 1
    metrics = httpx.get(server.url + "/metrics").text
    assert 'status="500"' not in metrics
    assert 'kztranslate_errors_total{code="invalid_json"} 1.0' in metrics


def test_keys_revoke_locks_the_key_out(live, tmp_path):
    server, _, _, _ = live
    created = _cli("keys", "--db", str(server.db), "create", "temporary")
    key = created.stdout.strip()
    _, key_id, secret = key.split("_", 2)  # the secret itself may hold "_" (URL-safe base64)
    assert httpx.get(server.url + "/v1/models", headers={"X-API-Key": key}).status_code == 200
    listed = [json.loads(line) for line in _cli("keys", "--db", str(server.db), "list").stdout.splitlines()]
    assert {"cms", "small", "slow", "temporary"} <= {k["name"] for k in listed}
    assert all(secret not in json.dumps(k) for k in listed)  # the secret is never stored or shown
    assert _cli("keys", "--db", str(server.db), "revoke", key_id).returncode == 0
    r = httpx.get(server.url + "/v1/models", headers={"X-API-Key": key})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    again = _cli("keys", "--db", str(server.db), "revoke", key_id)
    assert again.returncode == 2 and "no active API key" in again.stderr


def test_job_survives_a_killed_server_and_finishes_exactly_once(tmp_path):
    db = tmp_path / "service.sqlite"
    created = _cli("keys", "--db", str(db), "create", "cms", "--rate", "1000", "--burst", "1000")
    key = created.stdout.strip()
    auth = {"Authorization": f"Bearer {key}"}
    total = 8
    first = Server(db, "--job-chunk-size", "1", "--job-article-delay", "0.4", "--job-lease", "1").start()
    try:
        r = httpx.post(first.url + "/v1/jobs", headers=auth, timeout=10,
                       json={"articles": [{"article": article(n)} for n in range(total)], "to": ["ru", "en"]})
        assert r.status_code == 202
        job_id = r.json()["id"]
        deadline = time.monotonic() + 20
        while httpx.get(f"{first.url}/v1/jobs/{job_id}", headers=auth).json()["done"] < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first.kill()
    finally:
        first.stop()

    def rows():
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT idx, attempt, created FROM job_results WHERE job_id = ? ORDER BY idx",
                                (job_id,)).fetchall()

    before = rows()
    assert 2 <= len(before) < total, "the server was not killed in the middle of the job"
    assert {attempt for _, attempt, _ in before} == {1}

    second = Server(db, "--job-chunk-size", "1", "--job-article-delay", "0.02", "--job-lease", "1").start()
    try:
        deadline = time.monotonic() + 30
        while (status := httpx.get(f"{second.url}/v1/jobs/{job_id}", headers=auth).json())["status"] != "done":
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
    finally:
        second.stop()
    after = rows()
    assert [idx for idx, _, _ in after] == list(range(total))  # every article once, none missing
    assert after[: len(before)] == before  # work done before the crash was kept, not redone
    assert {attempt for _, attempt, _ in after[len(before):]} == {2}
    assert (status["total"], status["done"], status["failed"]) == (total, total, 0)
    for n, result in enumerate(status["results"]):
        assert f"№{n} " in result["variants"]["en"]["document"]["headline"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT attempts, lease_owner FROM jobs WHERE id = ?", (job_id,)).fetchone() == (2, None)


# -- the plugin examples ------------------------------------------------------------------------------
def _example(name: str):
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cms_client_example_against_the_app(tmp_path):
    cms = _example("cms_client")
    app = create_app(ServiceSettings(translation=TranslatorConfig("pseudo"), db_path=tmp_path / "s.sqlite"))
    key, _ = app.state.service.store.create_key("cms")
    with TestClient(app) as http:
        _wait_ready(http)
        client = cms.KZTranslateClient("http://testserver", key, client=http)
        variants = client.translate(article=article(5), to=["en"])
        assert variants["en"]["document"]["headline"].startswith("⟦en⟧") and "№5" in variants["en"]["content"]
        job = client.wait_job(client.submit_job([{"article": article(n)} for n in range(3)], to=["ru"]), poll=0.05)
        assert [r["status"] for r in job["results"]] == ["ok"] * 3
        with pytest.raises(cms.ServiceError) as caught:
            client.translate(article=article(1), to=["xx"])
        assert (caught.value.status, caught.value.code) == (400, "unknown_language")


def test_superdesk_macro_links_translations_like_superdesk():
    macro = _example("superdesk_macro")
    original = {"_id": "urn:1", "guid": "urn:1", "language": "kk", "headline": "Жаңалық", "state": "in_progress",
                "slugline": "astana", "translations": []}
    first = macro.linked_translation(original, "ru", {"headline": "Новость"})
    second = macro.linked_translation(original, "en", {"headline": "News"})
    assert original["translation_id"] == "urn:1" and original["translations"] == [first["_id"], second["_id"]]
    for item, lang in ((first, "ru"), (second, "en")):
        assert (item["translated_from"], item["translation_id"], item["language"]) == ("urn:1", "urn:1", lang)
        assert item["slugline"] == "astana" and item["state"] == "draft" and "translations" not in item
    assert first["headline"] == "Новость"


def test_superdesk_macro_translates_through_the_library(monkeypatch):
    importlib.import_module("kztranslate.formats.ninjs")
    importlib.import_module("kztranslate.formats.html")  # ninjs reads body_html with it
    macro = _example("superdesk_macro")
    monkeypatch.delenv("KZTRANSLATE_URL", raising=False)
    monkeypatch.setenv("KZTRANSLATE_BACKEND", "pseudo")
    item = {"guid": "urn:2", "language": "kk", "headline": "Астанада жиын өтті.",
            "body_html": "<p>Бүгін <b>жүз</b> адам келді.</p>"}
    fields = macro.translate_fields(item, ["ru"])
    assert fields["ru"]["headline"].startswith("⟦ru⟧") and "<b>" in fields["ru"]["body_html"]


def test_translation_memory_hits_reach_the_metrics(tmp_path):
    from kztranslate.engine.memory import TranslationMemory
    from kztranslate.pipeline import Translator

    memory = TranslationMemory(tmp_path / "tm.sqlite")
    memory.store_post_edit("Бүгін 1 адам қатысты.", "Сегодня присутствовал 1 человек.", "kk", "ru")
    translator = Translator("pseudo", memory=memory)
    app = create_app(ServiceSettings(db_path=tmp_path / "s.sqlite", require_keys=False), translator=translator)
    with TestClient(app) as c:
        _wait_ready(c)
        # first pass: the post-edited sentence comes from the memory, the other two from the model
        assert c.post("/v1/translate", json={"article": article(1), "to": "ru"}).status_code == 200
        # second pass: the two machine-translated sentences are memory hits now
        again = c.post("/v1/translate", json={"article": article(1), "to": "ru"})
        assert again.status_code == 200
        blocks = again.json()["variants"]["ru"]["document"]["blocks"]
        assert blocks[1]["text"].startswith("Сегодня присутствовал 1 человек.")
        # an article with nothing for the model leaves the scheduler alone: nothing is counted twice
        empty = {"language": "kk", "blocks": [{"role": "paragraph", "text": "2019"}]}
        assert c.post("/v1/translate", json={"article": empty, "to": "ru"}).status_code == 200
        metrics = c.get("/metrics").text
    assert 'kztranslate_cache_hits_total{origin="memory"} 2.0' in metrics
    assert 'kztranslate_cache_hits_total{origin="post_edit"} 2.0' in metrics
