"""Load on ``ledger serve``: concurrent clients on loopback asking status at random dates.

Usage::

    python scripts/bench_web.py --db sqlite:///big.db                  # 50 clients, 30 s
    python scripts/bench_web.py --db postgresql://postgres@127.0.0.1:5432/big --clients 50 \
        --seconds 30 --workers 2 --json out.json

Starts ``ledger --no-catch-up serve`` on a free 127.0.0.1 port as a subprocess (after
one catch-up), then runs ``--clients`` threads, each with its own keep-alive connection,
asking ``/api/matters/{matter}/status?as_of=DATE`` for random matters and dates, until
``--seconds`` have passed or ``--max-requests`` were sent (bounded in time and count;
only the loopback address is ever contacted). Reports throughput, p50, p90, p99 and
max latency, and errors. The server is stopped at the end.

The client threads share the 2 cores with the server; the figures are an upper bound of
the server's latency under that load, not of the network.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    ledger = [sys.executable, "-m", "ledger", "--db", db]
    subprocess.run([*ledger, "lag"], check=True, capture_output=True)  # one catch-up before serving
    process = subprocess.Popen([*ledger, "--no-catch-up", "serve", "--port", str(port), "--workers", str(workers)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/log/head", timeout=5).read()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("ledger serve exited: " + process.stderr.read().decode()[-2000:]) from None
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("ledger serve did not start in 120 s") from None
            time.sleep(0.2)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_load(port: int, matters: list[str], first: dt.date, last: dt.date, clients: int, seconds: float,
             max_requests: int, seed: int) -> dict[str, Any]:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[list[str]] = [[] for _ in range(clients)]
    sent = [0]
    lock = threading.Lock()
    span = (last - first).days
    start_gate = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(i: int) -> None:
        rng = random.Random(seed + i)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start_gate.wait()
        while time.monotonic() < stop_at[0]:
            with lock:
                if sent[0] >= max_requests:
                    break
                sent[0] += 1
            day = first + dt.timedelta(days=rng.randint(0, span))
            path = f"/api/matters/{rng.choice(matters)}/status?as_of={day.isoformat()}"
            began = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - began
                if response.status != 200:
                    errors[i].append(f"{response.status} {body[:200]!r}")
                else:
                    latencies[i].append(elapsed)
            except (OSError, http.client.HTTPException) as e:
                errors[i].append(f"{type(e).__name__}: {e}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    began = time.monotonic()
    start_gate.wait()
    for t in threads:
        t.join(seconds + 60)
    wall = time.monotonic() - began
    done = [x for per in latencies for x in per]
    failed = [x for per in errors for x in per]
    ms = [x * 1000 for x in done]
    return {
        "clients": clients, "seconds": round(wall, 2), "requests": len(done), "errors": len(failed),
        "first_errors": failed[:5], "throughput_per_s": round(len(done) / wall, 1),
        "p50_ms": round(percentile(ms, 50), 2) if ms else None,
        "p90_ms": round(percentile(ms, 90), 2) if ms else None,
        "p99_ms": round(percentile(ms, 99), 2) if ms else None,
        "max_ms": round(max(ms), 2) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
    }


def measure(db: str, clients: int = 50, seconds: float = 30.0, workers: int = 1, max_requests: int = 200_000,
            first: str = "2015-01-01", last: str = "2026-06-30", seed: int = 7) -> dict[str, Any]:
    """Serve ``db`` and load it (the web run of scripts/bench.py); the result as a dict."""
    port = free_port()
    server = start_server(db, port, workers)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/matters", timeout=60) as response:
            matters = [m["matter"] for m in json.load(response)]
        if not matters:
            raise SystemExit("the ledger holds no matter: record some first (scripts/generate.py)")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/log/head", timeout=10) as response:
            head = json.load(response)
        load_before = os.getloadavg()[0]
        result = run_load(port, matters, dt.date.fromisoformat(first), dt.date.fromisoformat(last),
                          clients, seconds, max_requests, seed)
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    result.update({"db": db.split("@")[-1], "workers": workers, "matters": len(matters),
                   "events": head["log_position"], "cpus": os.cpu_count(),
                   "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)]})
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="ledger database URL (recorded beforehand)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after this many (default 200,000)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--from", dest="first", default="2015-01-01", help="earliest random date")
    parser.add_argument("--to", dest="last", default="2026-06-30", help="latest random date")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="write the result here as well")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.seconds > 600 or args.max_requests < 1:
        parser.error("--clients >= 1, 0 < --seconds <= 600, --max-requests >= 1")
    result = measure(args.db, args.clients, args.seconds, args.workers, args.max_requests, args.first, args.last,
                     args.seed)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
