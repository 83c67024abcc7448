"""Verification: the hash chain, the log's own rules, and the projection against a rebuild.

``verify_chain`` walks the log and its links side by side and reports, by position:
missing events or links, links that do not match (any change to an event's bytes, its
position, or the rows before it), rows of a type or topic the ledger never writes,
undecodable state, recording times that go backwards, and aggregate versions that do not
run 1, 2, 3... It never raises on a damaged row and always terminates (it pages by the
positions it has seen).

``verify_projection`` rebuilds the timeline in a scratch database up to the projection's
own tracking position and compares every row of every table, whatever its positions.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from ledger.chain import GENESIS, link_hash
from ledger.integrity.errors import LogDamagedError
from ledger.integrity.topics import check_stored_event


@dataclass(frozen=True)
class ChainProblem:
    position: int | None
    message: str


@dataclass
class ChainReport:
    events: int = 0
    head_position: int = 0
    head_hash: str = GENESIS
    problems: list[ChainProblem] = field(default_factory=list)


def _merged(recorder: Any, page: int) -> Iterator[tuple[int, Any, Any]]:
    """Events and links side by side by position: (position, notification or None, hash or None)."""
    after_events = after_links = 0
    events: deque[Any] = deque()
    links: deque[tuple[Any, Any]] = deque()
    done_events = done_links = False
    while True:
        if not events and not done_events:
            events = deque(recorder.select_notifications(after_events, page, inclusive_of_start=False))
            done_events = not events
            if events:
                after_events = events[-1].id
        if not links and not done_links:
            links = deque(recorder.select_chain(after_links, page))
            done_links = not links
            if links:
                after_links = links[-1][0]
        if not events and not links:
            return
        next_event = events[0].id if events else None
        next_link = links[0][0] if links else None
        position = min(p for p in (next_event, next_link) if p is not None)
        event = events.popleft() if next_event == position else None
        link = links.popleft()[1] if next_link == position else None
        yield position, event, link


def _positions_are_integers(recorder: Any) -> list[ChainProblem]:
    """SQLite keeps any type in any column: a position stored as text sorts after every number."""
    datastore = getattr(recorder, "datastore", None)
    if datastore is None or type(recorder).__name__ != "SQLiteChainedRecorder":
        return []
    with datastore.transaction(commit=False) as c:
        c.execute(f"SELECT notification_id, typeof(notification_id), typeof(hash) FROM {recorder.chain_table_name} "
                  "WHERE typeof(notification_id) != 'integer' OR typeof(hash) != 'text'")
        return [ChainProblem(None, f"a link is stored with position {row[0]!r} ({row[1]}) and hash of type {row[2]}")
                for row in c.fetchall()]


def verify_chain(recorder: Any, mapper: Any = None, page: int = 5000, max_problems: int = 20) -> ChainReport:
    """Recompute the chain and check the log's rules; report problems in log order.

    With ``mapper`` (the application's :class:`~ledger.integrity.topics.LedgerMapper`) each
    event is also decoded: its recording time must not precede the one before it in the
    log, and each aggregate's versions must run without gaps from 1.
    """
    report = ChainReport()
    report.problems += _positions_are_integers(recorder)
    previous = GENESIS
    last_time: dt.datetime | None = None
    versions: dict[UUID, int] = {}
    for position, event, link in _merged(recorder, page):
        if type(position) is not int:
            report.problems.append(ChainProblem(None, f"a position is stored as {type(position).__name__}"))
            break
        if event is None:
            report.problems.append(ChainProblem(position, "an event is missing from the log (deleted?)"))
            previous = link if isinstance(link, str) else previous
        elif link is None:
            report.events += 1
            report.problems.append(ChainProblem(position, "an event has no hash: it was not written by the ledger"))
        else:
            report.events += 1
            try:
                check_stored_event(event, topics=mapper is not None)
                expected = link_hash(previous, position, event)
            except LogDamagedError as e:
                report.problems.append(ChainProblem(position, f"the row is mistyped or foreign: {e.detail}"))
                expected = None
            if expected is not None and expected != link:
                report.problems.append(ChainProblem(
                    position, "the hash does not match the event and the link before it "
                              "(event, position or hash altered, or an event before it removed)"
                ))
            elif expected is not None and mapper is not None:
                last_time = _check_rules(report, position, event, mapper, last_time, versions)
            previous = link if isinstance(link, str) else previous
            report.head_position, report.head_hash = position, previous
        if len(report.problems) >= max_problems:
            break
    return report


def _check_rules(report: ChainReport, position: int, stored: Any, mapper: Any, last_time: dt.datetime | None,
                 versions: dict[UUID, int]) -> dt.datetime | None:
    try:
        event = mapper.to_domain_event(stored)
    except LogDamagedError as e:
        report.problems.append(ChainProblem(position, f"the event cannot be read: {e.detail}"))
        return last_time
    timestamp = getattr(event, "timestamp", None)
    if not isinstance(timestamp, dt.datetime) or timestamp.tzinfo is None:
        report.problems.append(ChainProblem(position, "the event has no valid recording time"))
        return last_time
    if last_time is not None and timestamp < last_time:
        report.problems.append(ChainProblem(
            position, f"recorded at {timestamp.isoformat()}, before the event preceding it in the log "
                      f"({last_time.isoformat()}): recording times must follow the log order"
        ))
    expected_version = versions.get(event.originator_id, 0) + 1
    if event.originator_version != expected_version:
        report.problems.append(ChainProblem(
            position, f"aggregate {event.originator_id} jumps to version {event.originator_version}, "
                      f"expected {expected_version}"
        ))
    versions[event.originator_id] = max(event.originator_version, versions.get(event.originator_id, 0))
    return max(timestamp, last_time) if last_time is not None else timestamp


# --- the projection ------------------------------------------------------------------------


@dataclass
class ProjectionReport:
    tracked: int  # the projection's own tracking position: what it claims to reflect
    log_head: int  # the last position in the log
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def lag(self) -> int:
        """Events in the log after the projection's tracking position (not tampering)."""
        return max(0, self.log_head - self.tracked)


def verify_projection(ledger: Any) -> ProjectionReport:
    """Rebuild the timeline from the events up to the projection's tracking position in a
    scratch database and compare every row of every table (all positions, even forged ones)."""
    from eventsourcing.persistence import InfrastructureFactory

    from ledger.projections.timeline import SQLiteTimelineView

    tracked = ledger.view.max_tracking_id(ledger.app.name) or 0
    report = ProjectionReport(tracked=tracked, log_head=ledger.app.recorder.max_notification_id() or 0)
    if type(tracked) is not int:
        report.problems.append({"table": "tracking", "position": None,
                                "message": f"the tracking position is stored as {type(tracked).__name__}"})
        return report
    if tracked > report.log_head:
        report.problems.append({"table": "tracking", "position": tracked, "message": (
            f"the projection claims to reflect position {tracked}, beyond the end of the log "
            f"({report.log_head}): events were removed, or the tracking was forged")})
    with tempfile.TemporaryDirectory(prefix="ledger-verify-") as folder:
        factory = InfrastructureFactory.construct(
            {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": f"{folder}/rebuild.db"}
        )
        try:
            scratch = factory.tracking_recorder(SQLiteTimelineView)
            try:
                ledger.catch_up_view(scratch, stop=tracked)
            except LogDamagedError as e:
                report.problems.append({"table": "events", "position": e.position,
                                        "message": f"the projection cannot be rebuilt: {e}"})
                return report
            for table in scratch.sql.tables:
                difference = _compare_table(table, scratch, ledger.view)
                if difference:
                    report.problems.append(difference)
                    break
        finally:
            factory.close()
    return report


def _compare_table(table: str, expected_view: Any, actual_view: Any) -> dict[str, Any] | None:
    """Compare the whole table, whatever the positions; rows sorted in Python (collations differ)."""
    sql = f"SELECT * FROM {{{table}}}"
    expected = sorted(expected_view.query(sql, {}), key=_row_key)
    actual = sorted(actual_view.query(sql, {}), key=_row_key)
    if expected != actual:
        return _first_difference(table, expected, actual)
    return None


def _row_key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in row.values())


def _first_difference(table: str, expected: list[dict], actual: list[dict]) -> dict[str, Any]:
    keys = [c for c in ("matter_id", "statement_id", "category", "position") if expected and c in expected[0]
            or actual and c in actual[0]]

    def identity(row: dict) -> tuple:
        return tuple(str(row.get(k)) for k in keys)

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
