"""Tamper evidence on both backends: verify finds altered, deleted and inserted rows."""

from __future__ import annotations

import multiprocessing
import sqlite3
import uuid
from collections.abc import Callable
from urllib.parse import urlparse

import psycopg
import pytest

from ledger.application import Ledger
from ledger.integrity.verify import verify_chain
from ledger.domain.documents import Statement as StatementDocument
from ledger.inputs import Located
from tests.conftest import EXAMPLES, run, run_processes, statement


class Raw:
    """Raw SQL on the ledger's database, as an intruder with database access would use it."""

    def __init__(self, url: str):
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.conn: object = sqlite3.connect(url[len("sqlite:///"):])
            self.events, self.pos, self.chain = "stored_events", "rowid", "stored_events_chain"
        else:
            self.conn = psycopg.connect(host="127.0.0.1", user="postgres", dbname=urlparse(url).path[1:])
            self.events, self.pos, self.chain = "ledger_events", "notification_id", "ledger_events_chain"

    def __call__(self, sql: str, *params: object) -> list[tuple]:
        sql = sql.format(events=self.events, pos=self.pos, chain=self.chain)
        if not self.sqlite:
            sql = sql.replace("?", "%s")
        cursor = self.conn.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
        self.conn.commit()
        return rows

    def disable_guards(self) -> None:
        """What an intruder with the owner's rights does first: switch the append-only triggers off."""
        if self.sqlite:
            for table in (self.events, self.chain):
                for op in ("update", "delete"):
                    self(f"DROP TRIGGER {table}_no_{op}")
        else:
            for table in (self.events, self.chain):
                self(f"ALTER TABLE {table} DISABLE TRIGGER USER")

    def close(self) -> None:
        self.conn.close()


def alter_event_state(raw: Raw) -> None:
    [(state,)] = raw("SELECT state FROM {events} WHERE {pos} = 4")
    raw("UPDATE {events} SET state = ? WHERE {pos} = 4", bytes(state).replace(b"127", b"128"))


def delete_event(raw: Raw) -> None:
    raw("DELETE FROM {events} WHERE {pos} = 3")


def insert_event(raw: Raw) -> None:
    [(topic, state)] = raw("SELECT topic, state FROM {events} WHERE {pos} = 3")
    forged = uuid.uuid4()
    raw("INSERT INTO {events} (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
        forged.hex if raw.sqlite else forged, topic, bytes(state).replace(b"12 Indian", b"99 Indian"))


def alter_chain(raw: Raw) -> None:
    raw("UPDATE {chain} SET hash = ? WHERE notification_id = 2", "0" * 64)


def alter_projection(raw: Raw) -> None:
    raw("UPDATE ledger_figures SET value = 99 WHERE statement_id = 'rajya-sabha-2025-07' AND category = 'recruited'")


def delete_projection_row(raw: Raw) -> None:
    raw("DELETE FROM ledger_figures WHERE statement_id = 'mea-2025-01-killed'")


TAMPERING: list[tuple[Callable[[Raw], None], str]] = [
    (alter_event_state, "chain: position 4: the hash does not match"),
    (delete_event, "chain: position 3: an event is missing"),
    (insert_event, "chain: position 7: an event has no hash"),
    (alter_chain, "chain: position 2: the hash does not match"),
    (alter_projection, "projection: position 4: ledger_figures: row (matter_id=indians-in-russian-army, "
                       "statement_id=rajya-sabha-2025-07, category=recruited, position=4): value is 99, "
                       "the events give 127"),
    (delete_projection_row, "projection: position 3: ledger_figures: row"),
]


def test_verify_passes_on_an_untouched_ledger(db_url: str) -> None:
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    result = run(db_url, "verify")
    assert result.exit_code == 0, result.stdout
    assert "6 event(s) checked" in result.stdout and "verify: OK" in result.stdout


@pytest.mark.parametrize(("tamper", "expected"), TAMPERING, ids=[t[0].__name__ for t in TAMPERING])
def test_verify_finds_tampering(db_url: str, tamper: Callable[[Raw], None], expected: str) -> None:
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    assert run(db_url, "status").exit_code == 0  # the projection is caught up before tampering
    raw = Raw(db_url)
    try:
        raw.disable_guards()
        tamper(raw)
    finally:
        raw.close()
    result = run(db_url, "verify")
    assert result.exit_code == 1
    assert expected in result.stdout, result.stdout
    assert "verify: FAILED" in result.stdout


GUARDED_WRITES = [
    "UPDATE {events} SET topic = topic",
    "DELETE FROM {events} WHERE {pos} = 3",
    "DELETE FROM {events}",
    "UPDATE {chain} SET hash = ? WHERE notification_id = 2",
    "DELETE FROM {chain}",
]


def test_event_tables_refuse_update_and_delete(db_url: str) -> None:
    """Append-only in the database: even the owner's raw UPDATE, DELETE (and TRUNCATE) fail."""
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    raw = Raw(db_url)
    try:
        writes = list(GUARDED_WRITES)
        if not raw.sqlite:
            writes += ["TRUNCATE {events}", "TRUNCATE {chain}"]
        for sql in writes:
            params = ("0" * 64,) if "?" in sql else ()
            with pytest.raises((sqlite3.IntegrityError, psycopg.errors.InsufficientPrivilege),
                               match="append-only"):
                raw(sql, *params)
            raw.conn.rollback()
        assert raw("SELECT COUNT(*) FROM {events}") == [(6,)]
        assert raw("SELECT COUNT(*) FROM {chain}") == [(6,)]
    finally:
        raw.close()
    result = run(db_url, "verify")
    assert result.exit_code == 0 and "verify: OK" in result.stdout


def _record_many(url: str, prefix: str, count: int, barrier: multiprocessing.synchronize.Barrier) -> None:
    with Ledger(url) as ledger:
        barrier.wait(timeout=60)  # a worker that died breaks the barrier instead of hanging the rest
        for i in range(count):
            doc = StatementDocument.model_validate(statement(f"{prefix}-{i}", figures={"dead": i}))
            ledger.record([Located("generated", (), None, None, doc)], recorded_by=prefix)


def test_concurrent_writers_leave_a_valid_chain(db_url: str) -> None:
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    assert run_processes(_record_many, [(db_url, f"writer{n}", 40) for n in range(3)], timeout=120) == [0, 0, 0]
    with Ledger(db_url) as ledger:
        report = verify_chain(ledger.app.recorder)
        assert report.problems == [] and report.events == 1 + 3 * 40
        # the writers really interleaved: recorded_by changes more than twice along the log
        entries = run(db_url, "log", "--format", "csv").stdout.splitlines()[2:]
        writers = [line.split(",")[5] for line in entries]
        assert sum(1 for a, b in zip(writers, writers[1:], strict=False) if a != b) > 2
    assert run(db_url, "verify").exit_code == 0
