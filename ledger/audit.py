"""Questions auditors ask: what a source asserted and what became of it, why a figure
stands, the raw event log, and whether anything was changed behind the ledger's back."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any

from ledger.readmodel import Snapshot, TimelineReadModel

def parse_timestamp(text: str) -> str:
    """See :func:`ledger.readmodel.snapshot.parse_timestamp`."""
    from ledger.readmodel.snapshot import parse_timestamp as parse

    return parse(text)


def trace(view: Any, matter_id: str | None, category: str, as_of: dt.date,
          known_at: str | None = None) -> dict[str, Any]:
    """See :meth:`ledger.readmodel.TimelineReadModel.trace`."""
    return TimelineReadModel(view).trace(matter_id, category, Snapshot(as_of, known_at))


def audit(view: Any, source: str, as_of: dt.date, known_at: str | None = None) -> dict[str, Any]:
    """See :meth:`ledger.readmodel.TimelineReadModel.audit`."""
    return TimelineReadModel(view).audit(source, Snapshot(as_of, known_at))


# --- the event log and its verification ------------------------------------------------------


def describe_event(event: Any) -> dict[str, Any]:
    """Type, identity and who/why of a domain event, for the log."""
    kind = type(event).__qualname__
    state = event.__dict__
    document = state.get("document") or {}
    return {
        "type": kind,
        "id": document.get("id") or state.get("statement_id"),
        "aggregate": str(event.originator_id),
        "version": event.originator_version,
        "recorded_at": event.timestamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "recorded_by": state.get("recorded_by"),
        "reason": state.get("reason"),
    }


def log(ledger: Any, since: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    recorder = ledger.app.recorder
    notifications = recorder.select_notifications(since, limit, inclusive_of_start=False)
    hashes = dict(recorder.select_chain(since, limit)) if notifications else {}
    return [
        {"position": n.id, **describe_event(ledger.app.mapper.to_domain_event(n)), "hash": hashes.get(n.id)}
        for n in notifications
    ]


def verify_projection(ledger: Any, page: int = 20_000) -> list[dict[str, Any]]:
    """Rebuild the timeline from the events in a scratch database and compare every row."""
    from eventsourcing.persistence import InfrastructureFactory

    from ledger.projections.timeline import SQLiteTimelineView

    problems: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ledger-verify-") as folder:
        factory = InfrastructureFactory.construct(
            {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": f"{folder}/rebuild.db"}
        )
        try:
            scratch = factory.tracking_recorder(SQLiteTimelineView)
            ledger.catch_up_view(scratch)
            for table in scratch.sql.tables:
                problems += _compare_table(table, scratch, ledger.view, page)
                if problems:
                    break
        finally:
            factory.close()
    return problems


def _compare_table(table: str, expected_view: Any, actual_view: Any, page: int) -> list[dict[str, Any]]:
    """Compare a table in position windows; rows sorted in Python (collations differ)."""
    bounds = expected_view.query_one(f"SELECT MAX(position) AS hi FROM {{{table}}}") or {}
    actual_bounds = actual_view.query_one(f"SELECT MAX(position) AS hi FROM {{{table}}}") or {}
    high = max(bounds.get("hi") or 0, actual_bounds.get("hi") or 0)
    low = 0
    while low <= high:
        window = {"lo": low, "hi": low + page}
        sql = f"SELECT * FROM {{{table}}} WHERE position >= :lo AND position < :hi"
        expected = sorted(expected_view.query(sql, window), key=_row_key)
        actual = sorted(actual_view.query(sql, window), key=_row_key)
        if expected != actual:
            return [_first_difference(table, expected, actual)]
        low += page
    return []


def _row_key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in row.values())


def _first_difference(table: str, expected: list[dict], actual: list[dict]) -> dict[str, Any]:
    keys = [c for c in ("matter_id", "statement_id", "category", "position") if expected and c in expected[0]
            or actual and c in actual[0]]

    def identity(row: dict) -> tuple:
        return tuple(row.get(k) for k in keys)

    by_identity = {identity(r): r for r in actual}
    for row in expected:
        other = by_identity.pop(identity(row), None)
        where = ", ".join(f"{k}={row.get(k)}" for k in keys)
        if other is None:
            return {"table": table, "position": row.get("position"),
                    "message": f"{table}: row ({where}) is missing from the projection"}
        for column, value in row.items():
            if other.get(column) != value:
                return {"table": table, "position": row.get("position"),
                        "message": f"{table}: row ({where}): {column} is {other.get(column)!r}, "
                                   f"the events give {value!r}"}
    row = next(iter(by_identity.values()))
    where = ", ".join(f"{k}={row.get(k)}" for k in keys)
    return {"table": table, "position": row.get("position"),
            "message": f"{table}: row ({where}) is not produced by any event"}
