"""Bulk ingest on both backends: streaming, batches, resume, concurrent writers, a crash.

The reference in each test is what recording the same statements one by one gives:
the same statements, the same documents, the same figures.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.audit import verify_projection
from ledger.errors import InputError
from ledger.integrity.verify import verify_chain
from ledger.inputs import iter_inputs
from tests.conftest import EXAMPLES, MATTER_ID, ROOT, event_count, run, run_processes, statement

CATEGORIES = ["recruited", "discharged", "remaining", "missing", "dead"]


def make_statements(count: int, prefix: str = "s", start: int = 0) -> list[dict]:
    """Deterministic statements of the example matter, spread over 2024-2025."""
    docs = []
    for n in range(start, start + count):
        figures = {CATEGORIES[(n + k) % 5]: (n * 7 + k) % 200 for k in range(1 + n % 4)}
        if n % 9 == 0:
            figures[CATEGORIES[(n + 4) % 5]] = {"low": n % 50, "high": n % 50 + 5}
        docs.append(statement(f"{prefix}-{n:05d}", stated_on=f"{2024 + n % 2}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                              figures=figures, quote=f"Statement number {n}: " + "words " * (n % 20)))
    return docs


def write_jsonl(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def content(url: str) -> dict:
    """What the ledger holds, without positions and timestamps: statements and figures."""
    with Ledger(url) as ledger:
        ledger.catch_up()
        statements = ledger.view.query(
            "SELECT statement_id, matter_id, document, retracted FROM {ledger_statements} "
            "WHERE superseded_at IS NULL")
        figures = ledger.view.query(
            "SELECT statement_id, category, value, qualifier, low, high, as_of_end, stated_end "
            "FROM {ledger_figures} WHERE superseded_at IS NULL")
    return {
        "statements": sorted((r["statement_id"], r["matter_id"], json.dumps(json.loads(r["document"]), sort_keys=True),
                              r["retracted"]) for r in statements),
        "figures": sorted(tuple(str(v) for v in r.values()) for r in figures),
    }


def recorded_events(url: str) -> dict[str, int]:
    """How many events each statement has in the store (exactly once means 1)."""
    with Ledger(url) as ledger:
        counts: dict[str, int] = {}
        for n in ledger.app.recorder.select_notifications(0, 10**9, inclusive_of_start=False):
            if n.topic.endswith("Statement.Recorded"):
                doc = json.loads(n.state)["document"]
                counts[doc["id"]] = counts.get(doc["id"], 0) + 1
        return counts


def assert_sound(url: str) -> None:
    with Ledger(url) as ledger:
        ledger.catch_up()
        assert verify_chain(ledger.app.recorder).problems == []
        assert verify_projection(ledger).problems == []


@pytest.fixture(params=["sqlite", "postgres"])
def two_ledgers(request: pytest.FixtureRequest, tmp_path: Path):
    """Two empty ledgers on the same backend: one filled one by one, one in bulk."""
    from tests.conftest import _make_url

    first = _make_url(request.param, tmp_path / "a")
    second = _make_url(request.param, tmp_path / "b")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    urls = (next(first), next(second))
    yield urls
    for generator in (first, second):
        for _ in generator:
            pass


def test_bulk_batches_and_stdin_record_what_one_by_one_records(two_ledgers, tmp_path: Path) -> None:
    one_by_one, bulk = two_ledgers
    docs = make_statements(40)
    for url in (one_by_one, bulk):
        assert run(url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    for doc in docs:
        assert run(one_by_one, "record", str(write_jsonl(tmp_path / "one.jsonl", [doc]))).exit_code == 0
    # half from a file in batches of 7, half from standard input
    write_jsonl(tmp_path / "first-half.jsonl", docs[:20])
    result = run(bulk, "record", str(tmp_path / "first-half.jsonl"), "--batch-size", "7", "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["batches"] == 3 and len(summary["recorded"]) == 20
    stdin = "".join(json.dumps(d) + "\n" for d in docs[20:])
    result = run(bulk, "record", "-", "--batch-size", "7", input=stdin)
    assert result.exit_code == 0 and "recorded 20 statement(s)" in result.stdout
    assert content(bulk) == content(one_by_one)
    assert recorded_events(bulk) == {d["id"]: 1 for d in docs}
    assert_sound(bulk)


@pytest.mark.parametrize("memory", ["in memory", "in the file"])
def test_a_call_spooled_in_memory_or_in_the_file_records_the_same(db_url: str, tmp_path: Path, memory: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The spool holds a call's first statements in memory, the rest in its file: either way
    the same statements are recorded, a repeat is skipped and a clash across batches refused."""
    if memory == "in the file":
        monkeypatch.setattr("ledger.spool.MEMORY_BYTES", 0)
        monkeypatch.setattr("ledger.spool.MEMORY_IDS", 0)
    with Ledger(db_url) as ledger:
        ledger.record(iter_inputs([str(EXAMPLES / "matter.yaml")]), recorded_by="test")
        docs = make_statements(30)
        clash = dict(docs[3], quote="Another quote entirely.")
        path = write_jsonl(tmp_path / "clash.jsonl", docs + [clash])
        before = event_count(db_url)
        with pytest.raises(InputError) as caught:
            ledger.record(iter_inputs([str(path)]), recorded_by="test", batch_size=7)
        assert str(caught.value) == (f"{path}:31: id: statement id 's-00003' is used twice in this call with "
                                     f"different content (first in {path}:4)")
        assert event_count(db_url) == before
        result = ledger.record(iter_inputs([str(write_jsonl(tmp_path / "ok.jsonl", docs + docs[:5]))]),
                               recorded_by="test", batch_size=7)
        assert (result.recorded_count, result.unchanged_count, result.batches) == (30, 0, 5)
    assert recorded_events(db_url) == {d["id"]: 1 for d in docs}
    assert_sound(db_url)


def test_bad_input_anywhere_writes_nothing(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    docs = make_statements(50)
    docs[37]["figures"] = {"dead": -1}
    path = write_jsonl(tmp_path / "bad.jsonl", docs)
    before = event_count(db_url)
    result = run(db_url, "record", str(path), "--batch-size", "10")
    assert result.exit_code == 3
    assert f"{path}:38: figures.dead" in result.stderr and "nothing was recorded" in result.stderr
    assert event_count(db_url) == before


def test_batch_commit_stops_at_the_bad_batch_and_a_rerun_completes(two_ledgers, tmp_path: Path) -> None:
    reference, resumed = two_ledgers
    docs = make_statements(50)
    for url in (reference, resumed):
        assert run(url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    assert run(reference, "record", str(write_jsonl(tmp_path / "good.jsonl", docs))).exit_code == 0

    broken = [dict(d) for d in docs]
    broken[25] = {**broken[25], "stated_on": "2025-02-30"}
    path = write_jsonl(tmp_path / "input.jsonl", broken)
    result = run(resumed, "record", str(path), "--batch-size", "10", "--batch-commit")
    assert result.exit_code == 3
    assert f"{path}:26: stated_on" in result.stderr
    assert f"this batch (from {path}:21)" in result.stderr and "2 earlier batch(es) with 20" in result.stderr
    assert "the batches before the failed one stay recorded" in result.stderr
    assert "nothing was recorded" not in result.stderr
    assert sorted(recorded_events(resumed)) == [d["id"] for d in docs[:20]]  # whole batches only

    write_jsonl(path, docs)  # fixed
    result = run(resumed, "record", str(path), "--batch-size", "10", "--batch-commit")
    assert result.exit_code == 0
    assert "recorded 30 statement(s); 20 already recorded with the same content, skipped" in result.stdout
    assert content(resumed) == content(reference)
    assert_sound(resumed)


def test_statements_before_their_matter_in_one_call(db_url: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a-statements.jsonl", make_statements(5))
    result = run(db_url, "record", str(path), str(EXAMPLES / "matter.yaml"), "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert sorted(recorded_events(db_url)) == [f"s-{n:05d}" for n in range(5)]
    # an unknown matter is still an error with the statement's own line, after the whole input is read
    orphan = statement("orphan", matter="no-such-matter")
    path = write_jsonl(tmp_path / "orphan.jsonl", make_statements(3, "x") + [orphan])
    result = run(db_url, "record", str(path))
    assert result.exit_code == 3 and f"{path}:4: matter: unknown matter 'no-such-matter'" in result.stderr


def test_problems_are_counted_beyond_those_listed(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    path = tmp_path / "junk.jsonl"
    path.write_text("{not json}\n" * 250)
    result = run(db_url, "record", str(path))
    assert result.exit_code == 3
    assert result.stderr.count("invalid JSON") == 200
    assert "... and 50 more problem(s) not listed" in result.stderr


def test_reading_is_streamed(tmp_path: Path) -> None:
    """iter_inputs yields the first statement of a JSON Lines file before reading the rest."""
    path = write_jsonl(tmp_path / "many.jsonl", make_statements(3))
    with path.open("a") as stream:
        stream.write("{broken\n")
    items = iter_inputs([str(path)])
    first = next(items)
    assert first.document.id == "s-00000"


# --- several writers at once ------------------------------------------------------------------


def _writer(url: str, docs: list[dict], name: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    from ledger.domain.documents import Statement as StatementDocument
    from ledger.inputs import Located

    with Ledger(url) as ledger:
        barrier.wait(timeout=60)
        located = (Located("generated", (), None, n + 1, StatementDocument.model_validate(d))
                   for n, d in enumerate(docs))
        ledger.record(located, recorded_by=name, batch_size=50)


def test_four_writers_record_every_statement_exactly_once(db_url: str) -> None:
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    # 4 x 500, each writer sharing 100 statements with the next one
    shares = [make_statements(500, start=400 * w) for w in range(4)]
    exit_codes = run_processes(_writer, [(db_url, docs, f"writer{w}") for w, docs in enumerate(shares)])
    assert exit_codes == [0, 0, 0, 0]
    expected = {d["id"] for docs in shares for d in docs}
    assert len(expected) == 4 * 500 - 3 * 100
    assert recorded_events(db_url) == {i: 1 for i in expected}
    assert_sound(db_url)


# --- a crash in the middle ------------------------------------------------------------------


def test_sigkill_leaves_whole_batches_and_a_rerun_completes(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    docs = make_statements(6000)
    path = write_jsonl(tmp_path / "big.jsonl", docs)
    command = [sys.executable, "-m", "ledger", "--db", db_url, "record", str(path), "--batch-size", "100"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while event_count(db_url) < 1 + 300 and time.monotonic() < deadline:  # a few batches are in
            assert process.poll() is None, "the command ended before it could be killed"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    recorded = recorded_events(db_url)
    assert 300 <= len(recorded) < 6000, "the kill did not land in the middle"
    assert len(recorded) % 100 == 0  # whole batches only
    assert sorted(recorded) == [d["id"] for d in docs[:len(recorded)]]
    assert run(db_url, "verify").exit_code == 0
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"recorded {6000 - len(recorded)} statement(s); {len(recorded)} already recorded" in rerun.stdout
    assert recorded_events(db_url) == {d["id"]: 1 for d in docs}
    assert run(db_url, "verify").exit_code == 0
    assert run(db_url, "status", "--matter", MATTER_ID).exit_code == 0


def test_progress_only_when_asked_or_on_a_terminal(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    path = write_jsonl(tmp_path / "some.jsonl", make_statements(30))
    quiet = run(db_url, "record", str(path))  # CliRunner's stderr is not a terminal
    assert "Checking" not in quiet.stderr and "Recording" not in quiet.stderr
    shown = run(db_url, "record", str(write_jsonl(tmp_path / "more.jsonl", make_statements(30, "p"))),
                "--progress", "--batch-size", "10")
    assert shown.exit_code == 0
    assert "Checking: 30 documents" in shown.stderr and "Recording" in shown.stderr
