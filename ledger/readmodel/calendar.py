"""The days a matter's timeline moves on: when its statements were made (a date slider's
stops) and when they were recorded (a known-at selector's stops). Both under the one
snapshot rule of :mod:`ledger.readmodel.snapshot`."""

from __future__ import annotations

from typing import Any

from ledger.readmodel.snapshot import Snapshot


def statement_dates(view: Any, matter_id: str, snapshot: Snapshot) -> list[str]:
    """The distinct days (ISO) on which the matter's statements in force at ``known_at`` were made."""
    rows = view.query(
        "SELECT DISTINCT stated_end FROM {ledger_statements} WHERE matter_id = :m "
        f"AND stated_end IS NOT NULL AND {snapshot.in_force()}",
        {"m": matter_id, **snapshot.params()})
    return sorted(r["stated_end"] for r in rows)


def recording_days(view: Any, matter_id: str) -> list[str]:
    """The distinct days (ISO, UTC) on which the matter's statements were recorded."""
    rows = view.query(
        "SELECT DISTINCT substr(recorded_at, 1, 10) AS day FROM {ledger_statements} WHERE matter_id = :m",
        {"m": matter_id})
    return sorted(r["day"] for r in rows)
