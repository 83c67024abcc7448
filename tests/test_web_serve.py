"""``ledger serve --workers 2`` as a subprocess on a free loopback port, on both backends:
two worker processes start, answer concurrent requests with the CLI's JSON, and stop
with the server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import MATTER_ID, run_json
from tests.test_web_browser import free_port

DATES = ["2024-06-01", "2025-02-15", "2025-08-15", "2025-11-30", "2025-12-31"]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def workers(pid: int) -> list[int]:
    """The children of ``pid`` started by multiprocessing's spawn (uvicorn's workers)."""
    found = []
    for child in children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command and b"resource_tracker" not in command:
            found.append(child)
    return found


def get(base: str, path: str) -> object:
    with urllib.request.urlopen(base + path, timeout=60) as response:
        assert response.status == 200
        return json.load(response)


def test_two_workers_answer_as_the_cli(seeded_url: str, tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "ledger", "--db", seeded_url, "serve", "--port", str(port),
                                "--workers", "2"], stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
                               env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                get(base, "/api/log/head")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, \
                    (tmp_path / "serve.log").read_text()[-2000:]
                time.sleep(0.2)
        while len(workers(process.pid)) != 2:  # uvicorn's supervisor spawns two worker processes
            assert time.monotonic() < deadline, children(process.pid)
            time.sleep(0.2)
        expected = {day: run_json(seeded_url, "status", "--matter", MATTER_ID, "--as-of", day) for day in DATES}
        paths = [f"/api/matters/{MATTER_ID}/status?as_of={day}" for day in DATES] * 4
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda p: get(base, p), paths))
        for path, answer in zip(paths, answers, strict=True):
            assert answer == expected[path.rsplit("=", 1)[1]], path
        heads = {json.dumps(get(base, "/api/log/head")) for _ in range(6)}
        assert len(heads) == 1  # every worker computes at the same head
        assert process.poll() is None
    finally:
        process.terminate()
        try:
            assert process.wait(30) is not None
        finally:
            if process.poll() is None:
                process.kill()
            log.close()
    assert process.returncode in (0, -15), (tmp_path / "serve.log").read_text()[-2000:]
