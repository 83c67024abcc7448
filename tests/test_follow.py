"""`ledger follow`: projections kept current by a process of their own, on both backends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.conftest import EXAMPLES, ROOT, run
from tests.test_ingest import make_statements, write_jsonl


def wait_for_no_lag(url: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        now = json.loads(run(url, "--no-catch-up", "lag", "--format", "json").stdout)
        if now["lag"] == 0 and now["log_position"] > 0:
            return now
        assert time.monotonic() < deadline, f"the follower did not catch up: {now}"
        time.sleep(0.05)


def test_follower_keeps_the_view_current_while_writers_skip_catch_up(db_url: str, tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    follower = subprocess.Popen(
        [sys.executable, "-m", "ledger", "--db", db_url, "follow", "--poll", "0.05", "--report-every", "0.2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert run(db_url, "--no-catch-up", "record", str(EXAMPLES)).exit_code == 0
        # without the follower's work, a reader that skips catch-up would see nothing
        first = wait_for_no_lag(db_url)
        status = json.loads(run(db_url, "--no-catch-up", "status", "--as-of", "2025-08-15",
                                "--format", "json").stdout)
        assert status["figures"]["recruited"]["value"] == 127
        path = write_jsonl(tmp_path / "more.jsonl", make_statements(300))
        assert run(db_url, "--no-catch-up", "record", str(path), "--batch-size", "50").exit_code == 0
        second = wait_for_no_lag(db_url)
        assert second["log_position"] == first["log_position"] + 300
        assert follower.poll() is None
    finally:
        follower.send_signal(signal.SIGTERM)
        out, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    assert "following" in err and "stopped" in err and "lag 0 events" in err
    assert run(db_url, "verify").exit_code == 0  # the follower's rows equal a rebuild


def test_follow_once_and_lag(db_url: str) -> None:
    assert run(db_url, "--no-catch-up", "record", str(EXAMPLES)).exit_code == 0
    behind = json.loads(run(db_url, "--no-catch-up", "lag", "--format", "json").stdout)
    assert behind["lag"] == behind["log_position"] > 0 and behind["view_position"] == 0
    result = run(db_url, "follow", "--once")
    assert result.exit_code == 0 and f"view at event {behind['log_position']}" in result.stdout
    assert "0 event(s) behind" in run(db_url, "--no-catch-up", "lag").stdout
