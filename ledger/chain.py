"""Tamper evidence: a hash chain over the global event log, written by the append path only.

Each stored event gets a link hash covering the link before it, its position
(notification id), type (topic), identity (originator id), version and state. The links
live in a side table (``<events table>_chain``) keyed by position and are written in the
transaction that appends the events, while the write lock is held, so concurrent writers
still leave one unbroken chain (PostgreSQL: by the ``<events>_append`` function, see
:mod:`ledger.chain_postgres`). The append path also keeps recording times in commit order
(:func:`clamp_times`). Verification lives in :mod:`ledger.integrity.verify`; see
docs/integrity.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

GENESIS = "0" * 64


def link_hash(previous: str, position: int, event: StoredEvent) -> str:
    """The link of the event at ``position``: covers the link before it, its position, topic,
    aggregate, version and state (so moving, reordering, altering or removing is found)."""
    originator_id = event.originator_id.hex if isinstance(event.originator_id, UUID) else str(event.originator_id)
    # each part followed by a unit separator, then the state's digest: hashed as one string
    text = f"{previous}\x1f{position}\x1f{event.topic}\x1f{originator_id}\x1f{event.originator_version}\x1f"
    return hashlib.sha256(text.encode() + hashlib.sha256(bytes(event.state)).digest()).hexdigest()


def chain_hashes(previous: str, ids: Sequence[int], events: Sequence[StoredEvent]) -> list[str]:
    hashes = []
    for position, event in zip(ids, events, strict=True):
        previous = link_hash(previous, position, event)
        hashes.append(previous)
    return hashes


_TIME_PREFIX = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'


def _stored_time(state: bytes) -> str | None:
    """The recording time in a stored state (fast path: the mapper writes it first)."""
    if state.startswith(_TIME_PREFIX):
        end = state.find(b'"', len(_TIME_PREFIX))
        if end > 0:
            return state[len(_TIME_PREFIX):end].decode()
    try:
        value = json.loads(state)["timestamp"]
        return value["_data_"] if isinstance(value, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


def clamp_times(previous_state: bytes | None, events: Sequence[StoredEvent]) -> list[StoredEvent]:
    """Recording times in commit order: an event stamped earlier than the one before it in the
    log (a slow writer, a skewed client clock) takes that event's time instead.

    Called by the append path while it holds the write lock, so "the one before" is final.
    """
    latest = _stored_time(previous_state) if previous_state is not None else None
    latest_time = dt.datetime.fromisoformat(latest) if latest else None
    clamped = []
    for event in events:
        text = _stored_time(bytes(event.state))
        if text is None:  # not a ledger event (the library's own test cases): leave it as it is
            clamped.append(event)
            continue
        moment = dt.datetime.fromisoformat(text)
        if latest_time is not None and moment < latest_time:
            state = json.loads(event.state)
            state["timestamp"]["_data_"] = latest
            event = StoredEvent(originator_id=event.originator_id, originator_version=event.originator_version,
                                topic=event.topic, state=json.dumps(state, separators=(",", ":"),
                                                                    ensure_ascii=False).encode())
        else:
            latest, latest_time = text, moment
        clamped.append(event)
    return clamped


def sqlite_append_only_triggers(table: str, key: str) -> list[str]:
    """Triggers that make ``table`` append-only: UPDATE and DELETE abort the statement, and so
    does an INSERT whose ``key`` exists already (``INSERT OR REPLACE`` deletes the old row
    without firing the DELETE trigger; this one fires first)."""
    match = " AND ".join(f"{column} = NEW.{column}" for column in key.split(","))
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
        for op in ("UPDATE", "DELETE")
    ] + [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {match}) "
        f"BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: {table} is append-only: REPLACE refused'); END"
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
        ] + sqlite_append_only_triggers(self.events_table_name, "originator_id,originator_version") \
          + sqlite_append_only_triggers(self.chain_table_name, "notification_id")

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The append path: one call per batch, all in the caller's transaction.

        1. take SQLite's write lock first (a write statement that changes nothing), so that
           the log's last event and link read next are final;
        2. clamp recording times to commit order (:func:`clamp_times`);
        3. insert the events (the library's statement, one ``executemany`` for the batch) and
           their links; the new notification ids are read back (those after the last event read
           in step 1: no other writer can insert while the lock is held).
        """
        if not stored_events:
            return super()._insert_events(c, stored_events, **kwargs)
        c.execute(f"DELETE FROM {self.chain_table_name} WHERE 0")
        c.execute(f"SELECT rowid, state FROM {self.events_table_name} ORDER BY rowid DESC LIMIT 1")
        row = c.fetchone()
        last = row[0] if row else 0
        stored_events = clamp_times(row[1] if row else None, stored_events)
        c.executemany(self.insert_events_statement, [
            (e.originator_id.hex if isinstance(e.originator_id, UUID) else e.originator_id,
             e.originator_version, e.topic, e.state) for e in stored_events])
        c.execute(f"SELECT rowid FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid", (last,))
        ids = [r[0] for r in c.fetchall()]
        assert len(ids) == len(stored_events)
        c.execute(f"SELECT hash FROM {self.chain_table_name} ORDER BY notification_id DESC LIMIT 1")
        row = c.fetchone()
        hashes = chain_hashes(row[0] if row else GENESIS, ids, stored_events)
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

    def refresh_statistics(self) -> None:
        """Nothing on SQLite: its planner serves these lookups by their indexes alone."""

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
    return triggers, [f"{events_table_name}_append_only", f"{events_table_name}_lock", f"{events_table_name}_append",
                      f"{events_table_name}_append_staged"]
