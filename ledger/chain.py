"""Tamper evidence: a hash chain over the global event log.

Each stored event gets a hash covering its type (topic), identity (originator id),
version, state and the hash of the event before it in the log. The hashes live in a
side table (``<events table>_chain``) keyed by notification id and are written by the
application recorder in the same transaction as the events, after the write lock is
held, so concurrent writers still leave one unbroken chain. ``verify_chain`` recomputes
it and reports the first broken link.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

GENESIS = "0" * 64


def link_hash(previous: str, event: StoredEvent) -> str:
    originator_id = event.originator_id.hex if isinstance(event.originator_id, UUID) else str(event.originator_id)
    digest = hashlib.sha256()
    for part in (previous, event.topic, originator_id, str(event.originator_version)):
        digest.update(part.encode())
        digest.update(b"\x1f")
    digest.update(hashlib.sha256(bytes(event.state)).digest())
    return digest.hexdigest()


def chain_hashes(previous: str, events: Sequence[StoredEvent]) -> list[str]:
    hashes = []
    for event in events:
        previous = link_hash(previous, event)
        hashes.append(previous)
    return hashes


def sqlite_append_only_triggers(table: str) -> list[str]:
    """Triggers that make ``table`` append-only: UPDATE and DELETE abort the statement."""
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
        for op in ("UPDATE", "DELETE")
    ]


class SQLiteChainedRecorder(SQLiteApplicationRecorder):
    """SQLite application recorder that also writes each event's chain hash.

    The events table and the chain table are append-only: triggers abort any UPDATE
    or DELETE (the library itself never updates or deletes an event).
    """

    def __init__(self, datastore: Any, events_table_name: str = "stored_events"):
        self.chain_table_name = f"{events_table_name}_chain"
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + [
            f"CREATE TABLE IF NOT EXISTS {self.chain_table_name} "
            "(notification_id INTEGER PRIMARY KEY, hash TEXT NOT NULL)"
        ] + sqlite_append_only_triggers(self.events_table_name) + sqlite_append_only_triggers(self.chain_table_name)

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        # The inserts above took SQLite's write lock, so the last link read here is current.
        ids = super()._insert_events(c, stored_events, **kwargs)
        if stored_events and ids:
            c.execute(
                f"SELECT hash FROM {self.chain_table_name} WHERE notification_id < ? "
                "ORDER BY notification_id DESC LIMIT 1",
                (ids[0],),
            )
            row = c.fetchone()
            hashes = chain_hashes(row[0] if row else GENESIS, stored_events)
            c.executemany(
                f"INSERT INTO {self.chain_table_name} (notification_id, hash) VALUES (?, ?)",
                list(zip(ids, hashes, strict=True)),
            )
        return ids

    def existing_originators(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of ``ids`` have events already: one query for a whole batch."""
        found: set[UUID] = set()
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(ids), 500):
                chunk = [i.hex for i in ids[start:start + 500]]
                c.execute(
                    f"SELECT DISTINCT originator_id FROM {self.events_table_name} "
                    f"WHERE originator_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                found.update(UUID(row[0]) for row in c.fetchall())
        return found

    def select_chain(self, after: int, limit: int) -> list[tuple[int, str]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT notification_id, hash FROM {self.chain_table_name} "
                "WHERE notification_id > ? ORDER BY notification_id LIMIT ?",
                (after, limit),
            )
            return [(row[0], row[1]) for row in c.fetchall()]


def postgres_guards(events_table_name: str) -> tuple[list[str], list[str]]:
    """Names of the triggers and functions :class:`PostgresChainedRecorder` creates."""
    chain = f"{events_table_name}_chain"
    triggers = [f"{t}_{suffix}" for t in (events_table_name, chain) for suffix in ("no_change", "no_truncate")]
    return triggers, [f"{events_table_name}_append_only", f"{events_table_name}_lock"]


def __getattr__(name: str) -> Any:
    """``PostgresChainedRecorder`` lives in :mod:`ledger.chain_postgres`, imported only when
    asked for, so that a SQLite ledger never loads psycopg (start-up time)."""
    if name == "PostgresChainedRecorder":
        from ledger.chain_postgres import PostgresChainedRecorder

        return PostgresChainedRecorder
    raise AttributeError(name)


@dataclass(frozen=True)
class ChainProblem:
    position: int
    message: str


@dataclass
class ChainReport:
    events: int = 0
    head_position: int = 0
    head_hash: str = GENESIS
    problems: list[ChainProblem] | None = None


def _merged(recorder: Any, page: int) -> Iterator[tuple[int, Any, str | None]]:
    """Events and links side by side by position: (position, notification or None, hash or None)."""
    after_events = after_links = 0
    events: deque[Any] = deque()
    links: deque[tuple[int, str]] = deque()
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


def verify_chain(recorder: Any, page: int = 5000, max_problems: int = 20) -> ChainReport:
    """Recompute the chain from the stored events; report broken links in log order."""
    report = ChainReport(problems=[])
    previous = GENESIS
    for position, event, link in _merged(recorder, page):
        if event is None:
            report.problems.append(ChainProblem(position, "an event is missing from the log (deleted?)"))
            previous = link or previous
        elif link is None:
            report.problems.append(ChainProblem(position, "an event has no hash: it was not written by the ledger"))
            report.events += 1
        else:
            report.events += 1
            expected = link_hash(previous, event)
            if expected != link:
                report.problems.append(ChainProblem(
                    position, "the hash does not match the event and the link before it (event or hash altered)"
                ))
            previous = link
            report.head_position, report.head_hash = position, link
        if len(report.problems) >= max_problems:
            break
    return report
