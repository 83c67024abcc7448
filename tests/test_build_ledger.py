"""scripts/build_ledger.py: a big ledger built file by file is the ledger one call records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ledger.application import Ledger
from ledger.inputs import iter_inputs
from ledger.readmodel import Snapshot, TimelineReadModel
from scripts.build_ledger import build
from scripts.generate import write_workload


def test_a_ledger_built_file_by_file_equals_one_recorded_in_one_call(db_url: str, tmp_path: Path) -> None:
    summary = build(db_url, 600, tmp_path / "work", matters=12, seed=5, files=3)
    assert summary["statements"] == 600 and summary["events_projected"] == 612  # 12 matters declared
    assert sorted(p.name for p in (tmp_path / "work" / "record").iterdir()) == ["matters.yaml"]  # files recorded

    write_workload(tmp_path / "again", matters=12, statements=600, seed=5, fmt="jsonl")
    one_call = f"sqlite:///{tmp_path / 'one.db'}"
    with Ledger(one_call) as ledger:
        ledger.record(iter_inputs([str(tmp_path / "again" / "record")]), recorded_by="bench")
        ledger.catch_up()
        expected = TimelineReadModel(ledger.view)
        matters = expected.matters()
        pictures = [_unrecorded(expected.status(m["matter"], _snapshot())) for m in matters]
    with Ledger(db_url) as ledger:
        built = TimelineReadModel(ledger.view)
        assert built.matters() == matters
        assert [_unrecorded(built.status(m["matter"], _snapshot())) for m in matters] == pictures


def _unrecorded(value: object) -> object:
    """``value`` without the recording times (the two ledgers were recorded at other moments)."""
    if isinstance(value, dict):
        return {k: _unrecorded(v) for k, v in value.items() if k != "recorded_at"}
    if isinstance(value, list):
        return [_unrecorded(v) for v in value]
    return value


def _snapshot() -> Snapshot:
    return Snapshot(date(2030, 1, 1))


def test_a_resumed_build_records_only_what_is_left(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'built.db'}"
    first = build(url, 300, tmp_path / "work", matters=5, seed=3, files=3, keep_workload=True)
    assert first["statements"] == 300
    again = build(url, 300, tmp_path / "work", matters=5, seed=3, resume=True)  # every file left: all known
    assert again["statements"] == 0 and again["events_projected"] == 0
    with Ledger(url) as ledger:
        assert sum(m["statements"] for m in TimelineReadModel(ledger.view).matters()) == 300
