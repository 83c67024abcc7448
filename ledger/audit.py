"""Questions auditors ask: what a source asserted and what became of it, why a figure
stands, the raw event log, and whether anything was changed behind the ledger's back."""

from __future__ import annotations

import datetime as dt
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


from ledger.integrity.verify import verify_projection  # noqa: E402,F401 - moved to the integrity package
