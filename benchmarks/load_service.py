"""Load test of `kztranslate serve`: do heavy requests slow down the small ones?

Starts a real server (uvicorn, pseudo backend unless --backend/--model say otherwise), then
1. sends SMALL requests (one short article each) from --concurrency clients and records their
   latencies ("alone");
2. sends the same small load again while --heavy-clients clients keep posting huge articles
   (--heavy-kb of text each, hostile: one long run of letters without spaces and a long sentence) and
   records the small requests' latencies again ("mixed").
One heavy article is sent first, as a warm-up (with ``--heavy-lane auto`` it starts the heavy
lane's worker process: a one-time cost the steady state does not have). With ``--rounds N`` the
two runs alternate N times and the latencies of each kind are pooled. Prints p50/p95 of the small
requests in both runs and the ratio p95 mixed / p95 alone (target ≤ 2), with the date, the machine
and its load average before the run.

    python benchmarks/load_service.py [--small 300] [--concurrency 8] [--heavy-clients 2] [--heavy-kb 60]
                                      [--heavy-lane auto|thread|process] [--rounds 1] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]

SMALL = {"content": "Астанада жаңа мектеп ашылды.\n\nМектепке 1 200 оқушы барады, деді әкім.\n", "format": "text",
         "to": ["ru", "en"], "from": "kk"}


def heavy_article(kb: int) -> dict:
    half = kb * 1024 // 4  # Kazakh letters are two bytes in UTF-8
    body = "Қазақстан" * (half // 9) + "\n\n" + "Ол жаңа мектепке барды, " * (half // 24)
    return {"content": "Үлкен мақала\n\n" + body + "\n", "format": "text", "to": ["ru"], "from": "kk"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def small_load(url: str, total: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=300) as c:
            while not queue.empty():
                queue.get_nowait()
                started = time.perf_counter()
                answer = await c.post("/v1/translate", json=SMALL)
                answer.raise_for_status()
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies


async def heavy_load(url: str, clients: int, kb: int, stop: asyncio.Event, done: list[float]) -> None:
    body = heavy_article(kb)

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=600) as c:
            while not stop.is_set():
                started = time.perf_counter()
                answer = await c.post("/v1/translate", json=body)
                answer.raise_for_status()
                done.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(clients)))


async def measure(url: str, args: argparse.Namespace) -> dict:
    await small_load(url, 20, args.concurrency)  # warm-up
    async with httpx.AsyncClient(base_url=url, timeout=600) as c:
        (await c.post("/v1/translate", json=heavy_article(args.heavy_kb))).raise_for_status()
    alone: list[float] = []
    mixed: list[float] = []
    heavy_times: list[float] = []
    for _ in range(args.rounds):
        alone += await small_load(url, args.small, args.concurrency)
        stop = asyncio.Event()
        heavy = asyncio.create_task(heavy_load(url, args.heavy_clients, args.heavy_kb, stop, heavy_times))
        await asyncio.sleep(1.0)  # the heavy requests are being parsed and translated
        mixed += await small_load(url, args.small, args.concurrency)
        stop.set()
        await heavy
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
        "small_requests": args.small, "rounds": args.rounds, "concurrency": args.concurrency,
        "heavy_clients": args.heavy_clients,
        "heavy_kb": args.heavy_kb, "heavy_lane": args.heavy_lane, "heavy_requests_done": len(heavy_times),
        "heavy_seconds_median": round(statistics.median(heavy_times), 2) if heavy_times else None,
        "alone": {"p50_ms": round(percentile(alone, 50) * 1000, 1), "p95_ms": round(percentile(alone, 95) * 1000, 1)},
        "mixed": {"p50_ms": round(percentile(mixed, 50) * 1000, 1), "p95_ms": round(percentile(mixed, 95) * 1000, 1)},
    }
    result["p95_ratio"] = round(result["mixed"]["p95_ms"] / result["alone"]["p95_ms"], 2)
    return result


def machine() -> str:
    """This machine in a few words: host, cores, load average (1, 5, 15 min) when the run began."""
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return f"{platform.node()}, {os.cpu_count()} cores, load average {load} at start"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=300, help="small requests per run (default: 300)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent small clients (default: 8)")
    parser.add_argument("--heavy-clients", type=int, default=2, help="clients posting huge articles (default: 2)")
    parser.add_argument("--heavy-kb", type=int, default=60, help="size of a huge article in KB (default: 60)")
    parser.add_argument("--backend", default="pseudo")
    parser.add_argument("--model")
    parser.add_argument("--heavy-lane", choices=["auto", "thread", "process"], default="auto",
                        help="the server's --heavy-lane (default: auto, the server's default)")
    parser.add_argument("--rounds", type=int, default=1, help="alone/mixed runs, alternated and pooled (default: 1)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    started_on = machine()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "kztranslate", "serve", "--backend", args.backend, "--port", str(port),
                   "--db", str(Path(tmp) / "service.sqlite"), "--no-auth", "--log-level", "warning",
                   "--rate", "1000000", "--burst", "1000000", "--heavy-lane", args.heavy_lane] + (["--model", args.model] if args.model else [])
        server = subprocess.Popen(command, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    print("the server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            result = asyncio.run(measure(url, args))
            result["machine"] = started_on
        finally:
            server.terminate()
            server.wait(timeout=30)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['date']}, {result['machine']}, --heavy-lane {args.heavy_lane}, {args.rounds} round(s)")
        print(f"small requests alone: p50 {result['alone']['p50_ms']} ms, p95 {result['alone']['p95_ms']} ms")
        print(f"with {args.heavy_clients} clients posting {args.heavy_kb} KB articles "
              f"({result['heavy_requests_done']} done, median {result['heavy_seconds_median']} s): "
              f"p50 {result['mixed']['p50_ms']} ms, p95 {result['mixed']['p95_ms']} ms")
        print(f"p95 mixed / p95 alone = {result['p95_ratio']} (target ≤ 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
