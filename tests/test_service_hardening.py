"""The real server (uvicorn in a subprocess) under hostile requests: bodies over the limit are refused
while they stream in, keys never travel in URLs nor reach the log, /healthz stays fast while a huge
article is translated, a request past its time budget gets a 503, and bad input is never a 500."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp: Path, *extra: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"server-{self.port}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kztranslate", "serve", "--backend", "pseudo", "--port", str(self.port),
                 "--db", str(tmp / "service.sqlite"), "--no-auth", "--log-level", "info", *extra],
                env=ENV, stdout=log, stderr=subprocess.STDOUT,  # uvicorn's access log: stdout
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.1)

    def stop(self) -> str:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = Server(tmp_path_factory.mktemp("hardened"), "--request-timeout", "60")
    yield live
    live.stop()


def huge_article(words: int) -> dict:
    return {"content": "Жаңалық\n\n" + "сөз " * words + "\n", "format": "text", "to": ["ru"], "from": "kk"}


def test_a_chunked_body_over_the_limit_is_refused_before_it_is_all_read(server):
    chunk = b"x" * 65536
    total = 12 * 1024 * 1024
    sent = 0
    with socket.socket() as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)  # what is "sent" is close to what was read
        conn.settimeout(30)
        conn.connect(("127.0.0.1", server.port))
        conn.sendall(b"POST /v1/translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        conn.settimeout(0.0)
        answer = b""
        try:
            while sent < total:
                try:
                    answer += conn.recv(65536)
                    if answer:
                        break
                except BlockingIOError:
                    pass
                try:
                    conn.setblocking(True)
                    conn.settimeout(5)
                    conn.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                    sent += len(chunk)
                finally:
                    conn.settimeout(0.0)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection after its answer
        conn.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                more = conn.recv(65536)
                if not more:
                    break
                answer += more
        except (TimeoutError, ConnectionResetError):
            pass
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:300]
    assert json.loads(body)["error"]["code"] == "request_too_large"
    # the limit is 2 MiB; the kernel's buffers on both sides hold a few MiB more than was read
    assert sent < total * 3 // 4, f"{sent} bytes were sent before the answer"


def test_an_api_key_in_the_url_is_refused_and_never_logged(tmp_path):
    live = Server(tmp_path)
    secret = "kzt_" + "Q" * 20 + "_secretvalue"
    try:
        for url in (f"/v1/models?api_key={secret}", f"/healthz?token={secret}&x=1", f"/v1/translate?key={secret}"):
            answer = httpx.post(live.url + url, json={}) if "translate" in url else httpx.get(live.url + url)
            assert answer.status_code == 400 and answer.json()["error"]["code"] == "api_key_in_url", answer.text
            assert secret not in answer.text
        assert httpx.get(live.url + "/healthz?lang=kk").status_code == 200
    finally:
        log = live.stop()
    assert secret not in log
    assert "api_key=[redacted]" in log and "lang=kk" in log  # the access log is on, only the secret is gone


def test_healthz_answers_at_once_while_a_huge_article_is_translated(server):
    idle = [_timed_healthz(server) for _ in range(10)]
    heavy: dict = {}

    def post() -> None:
        started = time.perf_counter()
        heavy["answer"] = httpx.post(server.url + "/v1/translate", json=huge_article(150_000), timeout=120)
        heavy["seconds"] = time.perf_counter() - started

    worker = threading.Thread(target=post)
    worker.start()
    time.sleep(0.5)  # the request is being read and parsed
    busy = []
    while worker.is_alive() and len(busy) < 40:
        busy.append(_timed_healthz(server))
        time.sleep(0.05)
    worker.join(150)
    assert heavy["answer"].status_code == 200, heavy["answer"].text[:300]
    assert len(busy) >= 5, f"the heavy request took only {heavy['seconds']:.1f} s: nothing measured meanwhile"
    assert statistics.median(busy) < max(0.25, 5 * statistics.median(idle)), (idle, busy)
    assert max(busy) < 2.0, busy


def _timed_healthz(server: Server) -> float:
    started = time.perf_counter()
    assert httpx.get(server.url + "/healthz", timeout=30).status_code == 200
    return time.perf_counter() - started


def test_a_request_past_its_time_budget_gets_a_503_and_the_server_goes_on(tmp_path):
    live = Server(tmp_path, "--request-timeout", "1")
    try:
        started = time.perf_counter()
        answer = httpx.post(live.url + "/v1/translate", json=huge_article(250_000), timeout=120)
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "time_budget_exceeded"
        assert answer.headers["retry-after"]
        assert time.perf_counter() - started < 30
        small = httpx.post(live.url + "/v1/translate", json={"content": "Сәлем, әлем!", "format": "text",
                                                             "to": ["ru"], "from": "kk"}, timeout=120)
        assert small.status_code in (200, 503)
        assert httpx.get(live.url + "/healthz").status_code == 200
    finally:
        live.stop()


HOSTILE_BODIES = {
    "nested-article": '{"article": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + ', "to": ["ru"]}',
    "lone-surrogate": '{"content": "\\ud800 Сәлем", "format": "text", "to": ["ru"], "from": "kk"}',
    "nul-and-controls": '{"content": "Сәлем\\u0000\\u0007\\u001b[31m әлем", "format": "html", "to": ["ru"], '
                        '"from": "kk"}',
    "long-line": json.dumps({"content": "a@" * 50_000, "format": "markdown", "to": ["ru"], "from": "kk"}),
    "nested-html": json.dumps({"content": "<div>" * 20000 + "Сәлем" + "</div>" * 20000, "format": "html",
                               "to": ["ru"], "from": "kk"}),
    "deep-ninjs": json.dumps({"content": '{"uri": "x", "body_text": ' + "[" * 3000 + "]" * 3000 + "}",
                              "format": "ninjs", "to": ["ru"], "from": "kk"}),
    "not-json": "{'to': ['ru']",
    "wrong-types": '{"content": 5, "to": {"ru": 1}}',
}


@pytest.mark.parametrize("name", HOSTILE_BODIES)
def test_bad_input_is_never_a_500(server, name):
    answer = httpx.post(server.url + "/v1/translate", content=HOSTILE_BODIES[name].encode("utf-8"),
                        headers={"Content-Type": "application/json"}, timeout=120)
    assert answer.status_code < 500, answer.text[:500]
    assert answer.status_code == 200 or "error" in answer.json()


def test_the_shared_backend_keeps_the_backends_capabilities_and_serializes_its_calls():
    from doubles import CountingBackend
    from kztranslate.engine.base import Backend, MixedBatchBackend, Redecodable
    from kztranslate.engine.pseudo import PseudoBackend
    from kztranslate.service.batcher import _SharedBackend

    for backend in (PseudoBackend(), CountingBackend()):
        lock = threading.RLock()
        shared = _SharedBackend(backend, lock)
        assert isinstance(shared, Backend)
        assert isinstance(shared, Redecodable) == isinstance(backend, Redecodable)
        assert isinstance(shared, MixedBatchBackend) == isinstance(backend, MixedBatchBackend)
        assert shared.translate_batch(["Сәлем"], "kk", "ru") == backend.translate_batch(["Сәлем"], "kk", "ru")
        seen = []
        worker = threading.Thread(target=lambda seen=seen, shared=shared: seen.append(
            shared.count_tokens("бір екі", "kk")))
        with lock:  # another lane holds the model: the call waits
            worker.start()
            worker.join(0.2)
            assert not seen
        worker.join(5)
        assert seen == [backend.count_tokens("бір екі", "kk")]


def test_heavy_articles_in_a_worker_process_and_no_process_left_behind(tmp_path):
    live = Server(tmp_path, "--heavy-lane", "process")
    try:
        heavy = httpx.post(live.url + "/v1/translate", json=huge_article(8_000), timeout=120)  # 32,000 characters
        small = httpx.post(live.url + "/v1/translate", json={"content": "Сәлем, әлем!", "format": "text",
                                                             "to": ["ru"], "from": "kk"}, timeout=60)
        assert heavy.status_code == 200 and small.status_code == 200, heavy.text[:300]
        assert heavy.json()["variants"]["ru"]["content"].count("⟦ru⟧") >= 1
        children = subprocess.run(["pgrep", "-P", str(live.proc.pid)], capture_output=True, text=True).stdout.split()
        assert children, "no worker process"
    finally:
        log = live.stop()
    assert "Traceback" not in log and "leaked" not in log, log
    deadline = time.monotonic() + 15
    while True:
        left = [pid for pid in children if _running(pid)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not left, f"worker processes left running: {left}"


def test_auto_heavy_lane_starts_its_worker_process_at_the_first_heavy_article(tmp_path, monkeypatch):
    from kztranslate.service import batcher

    monkeypatch.setattr(batcher, "usable_cores", lambda: 1)
    assert batcher.heavy_lane_kind("auto") == "thread"  # one core: a worker would only compete with the small requests
    monkeypatch.setattr(batcher, "usable_cores", lambda: 2)
    assert batcher.heavy_lane_kind("auto") == "process"
    assert batcher.heavy_lane_kind("auto", "cuda:0") == "thread"
    assert batcher.heavy_lane_kind("thread") == "thread" and batcher.heavy_lane_kind("process", "cuda") == "process"
    with pytest.raises(ValueError):
        batcher.heavy_lane_kind("fiber")
    monkeypatch.undo()

    expected = batcher.heavy_lane_kind("auto")
    live = Server(tmp_path)  # the default: --heavy-lane auto
    try:
        small = httpx.post(live.url + "/v1/translate", json={"content": "Сәлем, әлем!", "format": "text",
                                                             "to": ["ru"], "from": "kk"}, timeout=60)
        assert small.status_code == 200
        children = _children(live.proc.pid)
        assert not children, "a worker process before any heavy article"
        heavy = httpx.post(live.url + "/v1/translate", json=huge_article(8_000), timeout=120)
        assert heavy.status_code == 200, heavy.text[:300]
        assert heavy.json()["variants"]["ru"]["content"].count("⟦ru⟧") >= 1
        children = _children(live.proc.pid)
        assert bool(children) == (expected == "process")
        # a huge article is read where it is translated; a refusal there is the same clear answer
        refused = httpx.post(live.url + "/v1/translate", json={**huge_article(8_000), "format": "docx"}, timeout=120)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "unknown_format", refused.text[:300]
        assert httpx.post(live.url + "/v1/translate", json={**huge_article(8_000), "format": "html"},
                          timeout=120).status_code == 200
    finally:
        log = live.stop()
    assert "Traceback" not in log and "leaked" not in log, log


def _children(pid: int) -> list[str]:
    return subprocess.run(["pgrep", "-P", str(pid)], check=False, capture_output=True, text=True).stdout.split()


def _running(pid: str) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
