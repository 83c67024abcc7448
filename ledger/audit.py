"""Questions auditors ask: what a source asserted and what became of it, why a figure
stands, the raw event log, and whether anything was changed behind the ledger's back."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from typing import Any

from ledger.queries import NotFoundError, View, matter_document, status_figure

_ALL_FIGURE_COLUMNS = (
    "f.statement_id, f.category, f.position, f.matter_id, f.value, f.qualifier, f.low, f.high, "
    "f.as_of, f.as_of_end, f.stated_on, f.stated_end, f.organization, f.person, f.recorded_at, "
    "f.superseded_at, f.superseded_by"
)


def parse_timestamp(text: str) -> str:
    """``--known-at``: an ISO date or date-time (UTC unless an offset is given) as timestamp text.

    A bare date means the end of that day, so ``--known-at 2025-11-30`` includes all of it.
    """
    from ledger.projections.timeline import timestamp_text

    value = text.strip().replace(" ", "T", 1)
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
        else:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError):
        raise ValueError(
            f"{text!r} is not a timestamp: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]"
        ) from None
    try:
        return timestamp_text(moment.astimezone(dt.UTC))
    except OverflowError:
        raise ValueError(f"{text!r} is out of range (years 0001 to 9999, in UTC)") from None


def _figure_text(row: dict[str, Any]) -> str:
    if row["qualifier"] == "range":
        return f"{row['low']}-{row['high']}"
    prefix = {"exact": "", "at_least": ">=", "at_most": "<=", "approx": "~"}[row["qualifier"]]
    return f"{prefix}{row['value']}"


def _source(row: dict[str, Any]) -> str:
    return f"{row['organization']} ({row['person']})" if row.get("person") else row["organization"]


def _outcome(row: dict[str, Any], winner: dict[str, Any] | None, day: str,
             known_at: str | None) -> tuple[str, str]:
    """What became of one figure row (recorded by ``known_at``) in the replay as of ``day``."""
    if row["superseded_at"] is not None and (known_at is None or row["superseded_at"] <= known_at):
        if row["superseded_by"] == "retraction":
            return "retracted", f"the statement was retracted at {row['superseded_at']}"
        return "corrected", f"replaced by a corrected version recorded {row['superseded_at']}"
    if row["stated_end"] is None:
        return "undated", "the statement's date is unknown, so no dated replay uses it"
    if row["stated_end"] > day:
        return "not yet stated", f"stated {row['stated_on']}, after {day}"
    if winner is None:
        return "stands", "the only figure"
    key = (row["as_of_end"], row["stated_end"], row["position"])
    best = (winner["as_of_end"], winner["stated_end"], winner["position"])
    if key == best and row["statement_id"] == winner["statement_id"]:
        return "stands", "describes the latest date among the statements made by then"
    if row["as_of_end"] != winner["as_of_end"]:
        why = f"describes an earlier date ({row['as_of']}) than {winner['statement_id']} ({winner['as_of']})"
    elif row["stated_end"] != winner["stated_end"]:
        why = (f"describes the same date as {winner['statement_id']} but was stated earlier "
               f"({row['stated_on']} against {winner['stated_on']})")
    else:
        why = f"same dates as {winner['statement_id']}, recorded earlier (position {row['position']})"
    return "outranked", why


def trace(view: View, matter_id: str | None, category: str, as_of: dt.date,
          known_at: str | None = None) -> dict[str, Any]:
    """Why the status shows this figure: its statement, trail, and every figure it outranked."""
    matter = matter_document(view, matter_id)
    if category not in matter["categories"]:
        raise NotFoundError(f"matter {matter['id']!r} has no category {category!r} "
                            f"(categories: {', '.join(matter['categories'])})")
    day = as_of.isoformat()
    winner = status_figure(view, matter["id"], category, as_of, known_at)
    rows = view.query(
        f"SELECT {_ALL_FIGURE_COLUMNS} FROM {{ledger_figures}} f "
        "WHERE f.matter_id = :m AND f.category = :c "
        + ("AND f.recorded_at <= :k " if known_at else "") + "ORDER BY f.position",
        {"m": matter["id"], "c": category, "k": known_at},
    )
    result: dict[str, Any] = {
        "matter": matter["id"], "category": category, "as_of": day, "known_at": known_at,
        "figure": None, "statement": None, "trail": [], "others": [],
    }
    for row in rows:
        outcome, why = _outcome(row, winner, day, known_at)
        entry = {
            "statement": row["statement_id"], "value": row["value"], "qualifier": row["qualifier"],
            "low": row["low"], "high": row["high"], "text": _figure_text(row),
            "as_of": row["as_of"], "stated_on": row["stated_on"], "source": _source(row),
            "recorded_at": row["recorded_at"], "position": row["position"],
            "outcome": outcome, "why": why,
        }
        if outcome == "stands":
            result["figure"] = entry
        else:
            result["others"].append(entry)
    if winner is not None:
        versions = _versions(view, winner["statement_id"], known_at)
        standing = next(v for v in versions if v["position"] == winner["position"])
        document = standing["document"]
        result["statement"] = {
            "id": document["id"], "source": document["source"], "venue": document.get("venue"),
            "stated_on": document["stated_on"], "as_of": document.get("as_of", document["stated_on"]),
            "quote": document["quote"], "attribution": document.get("attribution"),
            "citations": document.get("citations", []),
            "recorded_at": standing["recorded_at"], "recorded_by": standing["recorded_by"],
        }
        result["trail"] = [{k: v for k, v in version.items() if k != "document"} for version in versions]
    return result


def _versions(view: View, statement_id: str, known_at: str | None) -> list[dict[str, Any]]:
    rows = view.query(
        "SELECT position, event, recorded_at, recorded_by, reason, document FROM {ledger_statements} "
        "WHERE statement_id = :s " + ("AND recorded_at <= :k " if known_at else "") + "ORDER BY position",
        {"s": statement_id, "k": known_at},
    )
    for row in rows:
        row["document"] = json.loads(row["document"])
    return rows


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def audit(view: View, source: str, as_of: dt.date, known_at: str | None = None) -> dict[str, Any]:
    """Every figure a source (organization or person, by substring) asserted, and its fate."""
    day = as_of.isoformat()
    statements = view.query(
        "SELECT DISTINCT statement_id FROM {ledger_statements} "
        "WHERE (LOWER(organization) LIKE :p ESCAPE '\\' OR LOWER(COALESCE(person, '')) LIKE :p ESCAPE '\\') "
        + ("AND recorded_at <= :k " if known_at else ""),
        {"p": _like(source), "k": known_at},
    )
    winners: dict[tuple[str, str], dict[str, Any] | None] = {}
    entries = []
    for statement_id in sorted(s["statement_id"] for s in statements):
        versions = _versions(view, statement_id, known_at)
        current = versions[-1]
        document = current["document"]
        figures = []
        rows = view.query(
            f"SELECT {_ALL_FIGURE_COLUMNS} FROM {{ledger_figures}} f WHERE f.statement_id = :s "
            + ("AND f.recorded_at <= :k " if known_at else "") + "ORDER BY f.position, f.category",
            {"s": statement_id, "k": known_at},
        )
        for row in rows:
            key = (row["matter_id"], row["category"])
            if key not in winners:
                winners[key] = status_figure(view, row["matter_id"], row["category"], as_of, known_at)
            outcome, why = _outcome(row, winners[key], day, known_at)
            if outcome == "outranked":
                winner = winners[key]
                why = (f"outranked by {winner['statement_id']} ({_source(winner)}): "
                       f"{_figure_text(winner)} as of {winner['as_of']}; {why}")
            figures.append({
                "category": row["category"], "value": row["value"], "qualifier": row["qualifier"],
                "low": row["low"], "high": row["high"], "text": _figure_text(row),
                "as_of": row["as_of"], "stated_on": row["stated_on"], "recorded_at": row["recorded_at"],
                "position": row["position"], "outcome": outcome, "why": why,
            })
        entries.append({
            "statement": statement_id,
            "matter": document["matter"],
            "source": document["source"],
            "stated_on": document["stated_on"],
            "as_of": document.get("as_of", document["stated_on"]),
            "venue": document.get("venue"),
            "quote": document["quote"],
            "attribution": document.get("attribution"),
            "citations": document.get("citations", []),
            "status": current["event"] if current["event"] != "recorded" else "recorded",
            "trail": [{k: v for k, v in version.items() if k != "document"} for version in versions],
            "figures": figures,
        })
    return {"source": source, "as_of": day, "known_at": known_at, "statements": entries}


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
