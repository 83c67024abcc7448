"""Attacks on the audit trail, each kept in the suite and run on both backends (issue 12).

An intruder with file access (SQLite) or the owner's rights (PostgreSQL) who switches the
append-only triggers off can rewrite anything; ``verify`` must then name the position.
An intruder with only the writer's or the auditor's rights must be refused, or found.
Each test names the promise it backs in its ``PROMISE`` mark (counted in docs/integrity.md).
"""

from __future__ import annotations

import datetime as dt
import os
import json
import sqlite3
import sys
import uuid
from pathlib import Path
from collections.abc import Callable

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from ledger.application import Ledger
from ledger.chain import GENESIS, link_hash
from ledger.integrity.errors import WritePathError
from ledger.integrity.settings import check_write_path
from tests.conftest import EXAMPLES, run, run_json, statement, write_yaml
from tests.test_verify import Raw

FIGURES = "ledger_figures"


def recorded(db_url: str) -> None:
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    assert run(db_url, "status").exit_code == 0  # projection caught up before the attack


def attacked(db_url: str, attack: Callable[[Raw], None]) -> None:
    raw = Raw(db_url)
    try:
        raw.disable_guards()
        attack(raw)
    finally:
        raw.close()


def verify_fails(db_url: str, *expected: str) -> str:
    result = run(db_url, "verify")
    assert result.exit_code == 1, result.output
    assert "verify: FAILED" in result.stdout and "Traceback" not in result.output
    for text in expected:
        assert text in result.stdout, result.stdout
    return result.stdout


def rows(raw: Raw) -> list[tuple]:
    return raw("SELECT {pos}, originator_id, originator_version, topic, state FROM {events} ORDER BY {pos}")


def rechain(raw: Raw) -> None:
    """What an intruder who knows the algorithm does after a change: recompute every link."""
    raw("DELETE FROM {chain}")
    previous = GENESIS
    for position, originator_id, version, topic, state in rows(raw):
        event = StoredEvent(originator_id=originator_id, originator_version=version, topic=topic, state=bytes(state))
        previous = link_hash(previous, position, event)
        raw("INSERT INTO {chain} (notification_id, hash) VALUES (?, ?)", position, previous)


def set_state(raw: Raw, position: int, change: Callable[[dict], None]) -> None:
    [(state,)] = raw("SELECT state FROM {events} WHERE {pos} = ?", position)
    data = json.loads(bytes(state))
    change(data)
    raw("UPDATE {events} SET state = ? WHERE {pos} = ?", json.dumps(data).encode(), position)


# --- the chain's linking --------------------------------------------------------------------


def delete_with_link(raw: Raw) -> None:
    raw("DELETE FROM {events} WHERE {pos} = 3")
    raw("DELETE FROM {chain} WHERE notification_id = 3")


def reorder(raw: Raw) -> None:
    """Swap the contents of positions 2 and 3, links included."""
    (_, id2, v2, t2, s2), (_, id3, v3, t3, s3) = rows(raw)[1:3]
    [(h2,)] = raw("SELECT hash FROM {chain} WHERE notification_id = 2")
    [(h3,)] = raw("SELECT hash FROM {chain} WHERE notification_id = 3")
    raw("DELETE FROM {events} WHERE {pos} IN (2, 3)")
    raw("DELETE FROM {chain} WHERE notification_id IN (2, 3)")
    columns = "({pos}, originator_id, originator_version, topic, state)"
    for position, oid, version, topic, state, link in ((2, id3, v3, t3, s3, h3), (3, id2, v2, t2, s2, h2)):
        raw("INSERT INTO {events} " + columns + " VALUES (?, ?, ?, ?, ?)", position, oid, version, topic, state)
        raw("INSERT INTO {chain} VALUES (?, ?)", position, link)


def forge_with_own_hash(raw: Raw) -> None:
    """A new event at the end with a well-formed hash of its own (not linked to the log)."""
    (_, _, _, topic, state) = rows(raw)[2]
    forged = uuid.uuid4()
    raw("INSERT INTO {events} ({pos}, originator_id, originator_version, topic, state) VALUES (7, ?, 1, ?, ?)",
        forged.hex if raw.sqlite else forged, topic, state)
    event = StoredEvent(originator_id=forged, originator_version=1, topic=topic, state=bytes(state))
    raw("INSERT INTO {chain} VALUES (7, ?)", link_hash(GENESIS, 7, event))


def move_to_huge_position(raw: Raw) -> None:
    """The last event and its link moved to 2^63-1: later records would vanish from the projection."""
    huge = 2**63 - 1
    (_, oid, version, topic, state) = rows(raw)[-1]
    [(link,)] = raw("SELECT hash FROM {chain} WHERE notification_id = 6")
    raw("DELETE FROM {events} WHERE {pos} = 6")
    raw("DELETE FROM {chain} WHERE notification_id = 6")
    raw("INSERT INTO {events} ({pos}, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
        huge, oid, version, topic, state)
    raw("INSERT INTO {chain} VALUES (?, ?)", huge, link)


CHAIN_ATTACKS = [
    (delete_with_link, "chain: position 4: the hash does not match"),
    (reorder, "chain: position 2: the hash does not match"),
    (forge_with_own_hash, "chain: position 7: the hash does not match"),
    (move_to_huge_position, f"chain: position {2**63 - 1}: the hash does not match"),
]


@pytest.mark.parametrize(("attack", "expected"), CHAIN_ATTACKS, ids=[a[0].__name__ for a in CHAIN_ATTACKS])
def test_chain_linking_attacks_are_found(db_url: str, attack: Callable[[Raw], None], expected: str) -> None:
    recorded(db_url)
    attacked(db_url, attack)
    verify_fails(db_url, expected)


def test_truncated_tail_is_found_by_the_projection_and_the_head(db_url: str) -> None:
    recorded(db_url)
    before = run_json(db_url, "verify")
    attacked(db_url, lambda raw: (raw("DELETE FROM {events} WHERE {pos} = 6"),
                                  raw("DELETE FROM {chain} WHERE notification_id = 6")))
    out = verify_fails(db_url, "projection claims to reflect position 6, beyond the end of the log (5)")
    assert "head at position 5" in out and before["head_hash"] not in out  # a memo's head no longer matches


# --- the log's own rules, with a well-formed chain recomputed by the intruder ----------------


def backdate(raw: Raw) -> None:
    set_state(raw, 4, lambda d: d["timestamp"].update(_data_="2020-01-01T00:00:00+00:00"))
    rechain(raw)


def version_gap(raw: Raw) -> None:
    raw("UPDATE {events} SET originator_version = 3 WHERE {pos} = 5")
    rechain(raw)


def foreign_topic(raw: Raw) -> None:
    raw("UPDATE {events} SET topic = 'this:s' WHERE {pos} = 3")
    rechain(raw)


def foreign_aggregate_topic(raw: Raw) -> None:
    set_state(raw, 1, lambda d: d.update(originator_topic="this:s"))
    rechain(raw)


def not_json(raw: Raw) -> None:
    raw("UPDATE {events} SET state = ? WHERE {pos} = 3", b"\x00\xffnot json")
    rechain(raw)


RULE_ATTACKS = [
    (backdate, "chain: position 4: recorded at 2020-01-01T00:00:00+00:00, before the event preceding it"),
    (version_gap, "chain: position 5: aggregate"),
    (foreign_topic, "chain: position 3: the row is mistyped or foreign: topic 'this:s'"),
    (foreign_aggregate_topic, "chain: position 1: the event cannot be read: aggregate topic 'this:s'"),
    (not_json, "chain: position 3: the event cannot be read: the state cannot be decoded"),
]


@pytest.mark.parametrize(("attack", "expected"), RULE_ATTACKS, ids=[a[0].__name__ for a in RULE_ATTACKS])
def test_rechained_changes_break_the_log_rules(db_url: str, attack: Callable[[Raw], None], expected: str) -> None:
    recorded(db_url)
    sys.modules.pop("this", None)
    attacked(db_url, attack)
    verify_fails(db_url, expected)
    assert "this" not in sys.modules  # no reader imported the forged topic's module


@pytest.mark.parametrize("attack", [foreign_topic, not_json, foreign_aggregate_topic], ids=lambda a: a.__name__)
def test_other_commands_say_the_log_is_damaged(db_url: str, attack: Callable[[Raw], None]) -> None:
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    attacked(db_url, attack)
    run(db_url, "rebuild")  # the projection has to be read from the log again
    result = run(db_url, "status")
    assert result.exit_code == 5, result.output
    assert "the event log is damaged at position" in result.stderr and "ledger verify" in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.stderr


def test_mistyped_rows_are_tampering_not_crashes(db_url: str) -> None:
    recorded(db_url)
    raw = Raw(db_url)
    try:
        raw.disable_guards()
        if raw.sqlite:  # SQLite keeps any type in any column
            raw("UPDATE {events} SET state = CAST(state AS TEXT) WHERE {pos} = 3")
            raw(f"UPDATE {FIGURES} SET position = CAST(position AS TEXT) WHERE position = 4")
            expected = ["chain: position 3: the row is mistyped or foreign: state is stored as str"]
        else:  # PostgreSQL refuses the mistyped value itself
            with pytest.raises(psycopg.errors.DatatypeMismatch):
                raw("UPDATE {events} SET state = 'x'::text WHERE {pos} = 3")
            raw.conn.rollback()
            with pytest.raises(psycopg.errors.InvalidTextRepresentation):
                raw(f"UPDATE {FIGURES} SET position = 'four' WHERE position = 4")
            raw.conn.rollback()
            raw("UPDATE {events} SET originator_version = 2 WHERE {pos} = 3")
            expected = ["chain: position 3: the hash does not match"]
    finally:
        raw.close()
    verify_fails(db_url, *expected)


def test_mistyped_link_on_sqlite(tmp_path) -> None:
    """A link position is a rowid (SQLite refuses text there); a hash stored as a blob is found."""
    url = f"sqlite:///{tmp_path / 'l.db'}"
    recorded(url)
    with pytest.raises(sqlite3.Error, match="mismatch"):
        attacked(url, lambda raw: raw("UPDATE {chain} SET notification_id = 'three' WHERE notification_id = 3"))
    raw = Raw(url)
    try:
        raw("UPDATE {chain} SET hash = CAST(hash AS BLOB) WHERE notification_id = 3")
    finally:
        raw.close()
    verify_fails(url, "a link is stored with position 3 (integer) and hash of type blob")


# --- the projection -----------------------------------------------------------------------


def test_forged_projection_row_at_any_position_is_found(db_url: str) -> None:
    recorded(db_url)
    attacked(db_url, lambda raw: raw(
        f"INSERT INTO {FIGURES} (statement_id, category, position, matter_id, value, qualifier, low, high, as_of, "
        f"as_of_end, stated_on, stated_end, organization, person, role, recorded_at, superseded_at, superseded_by) "
        f"SELECT statement_id, category, -1, matter_id, 999, qualifier, low, high, as_of, "
        f"as_of_end, stated_on, stated_end, organization, person, role, recorded_at, superseded_at, superseded_by "
        f"FROM {FIGURES} WHERE position = 4 AND category = 'recruited'"))
    verify_fails(db_url, "projection: position -1: ledger_figures: row", "is not produced by any event")


def test_lagging_projection_is_lag_not_tampering(db_url: str) -> None:
    recorded(db_url)
    with Ledger(db_url) as ledger:  # appends without bringing the projection up to date
        ledger.retract("mea-2025-01-killed", "drill", recorded_by="test")
    result = run(db_url, "--no-catch-up", "verify")
    assert result.exit_code == 0, result.output
    assert "projection compared up to position 6; 1 event(s) not yet projected" in result.stdout
    data = run_json(db_url, "--no-catch-up", "verify")
    assert (data["ok"], data["projection_position"], data["projection_lag"], data["head_position"]) == \
        (True, 6, 1, 7)


# --- the write path -----------------------------------------------------------------------

STRAY_ENV = {
    "POSTGRES_ENABLE_DB_FUNCTIONS": "y", "LEDGER_POSTGRES_ENABLE_DB_FUNCTIONS": "y",
    "APPLICATION_RECORDER_TOPIC": "eventsourcing.sqlite:SQLiteApplicationRecorder",
    "LEDGER_APPLICATION_RECORDER_TOPIC": "eventsourcing.postgres:PostgresApplicationRecorder",
    "PERSISTENCE_MODULE": "eventsourcing.popo", "LEDGER_PERSISTENCE_MODULE": "eventsourcing.popo",
    "COMPRESSOR_TOPIC": "zlib", "MAPPER_TOPIC": "eventsourcing.persistence:Mapper",
    "CREATE_TABLE": "false", "LEDGER_SQLITE_DBNAME": "/tmp/elsewhere.db", "LEDGER_POSTGRES_DBNAME": "elsewhere",
}


def test_stray_environment_cannot_change_the_write_path(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in STRAY_ENV.items():
        monkeypatch.setenv(key, value)
    recorded(db_url)
    with Ledger(db_url) as ledger:
        check_write_path(ledger.app, ledger.database.backend)
        assert ledger.app.mapper.compressor is None
    result = run(db_url, "verify")
    assert result.exit_code == 0 and "6 event(s) checked" in result.stdout, result.output


def test_start_up_refuses_a_write_path_that_does_not_chain(db_url: str) -> None:
    from eventsourcing.application import Application

    with Ledger(db_url) as ledger:
        plain = Application(env={**ledger.database.env_for("Plain")})
        try:
            with pytest.raises(WritePathError, match="refusing to write events without hashes"):
                check_write_path(plain, ledger.database.backend)
        finally:
            plain.close()
        if ledger.database.backend == "postgres":
            ledger.app.recorder.datastore.enable_db_functions = True
            with pytest.raises(WritePathError, match="writes no hashes"):
                check_write_path(ledger.app, "postgres")
            ledger.app.recorder.datastore.enable_db_functions = False


def test_replace_and_upsert_cannot_bypass_the_triggers(db_url: str) -> None:
    recorded(db_url)
    raw = Raw(db_url)
    try:
        if raw.sqlite:
            attempts = ["INSERT OR REPLACE INTO {chain} (notification_id, hash) VALUES (2, 'x')",
                        "REPLACE INTO {events} (originator_id, originator_version, topic, state) "
                        "SELECT originator_id, originator_version, topic, X'7B7D' FROM {events} WHERE {pos} = 2"]
            errors: tuple = (sqlite3.IntegrityError,)
        else:
            attempts = ["INSERT INTO {chain} VALUES (2, 'x') ON CONFLICT (notification_id) DO UPDATE SET hash = 'x'",
                        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
                        "SELECT originator_id, originator_version, topic, '\\x7b7d' FROM {events} "
                        "WHERE {pos} = 2 ON CONFLICT (originator_id, originator_version) DO UPDATE SET state = "
                        "EXCLUDED.state"]
            errors = (psycopg.errors.InsufficientPrivilege,)
        for sql in attempts:
            with pytest.raises(errors, match="append-only"):
                raw(sql)
            raw.conn.rollback()
    finally:
        raw.close()
    assert run(db_url, "verify").exit_code == 0


# --- time -----------------------------------------------------------------------------------


def test_skewed_client_clock_cannot_record_before_the_log(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path) -> None:
    recorded(db_url)
    import eventsourcing.domain as domain

    skewed = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    monkeypatch.setattr(domain, "datetime_now_with_tzinfo", lambda: skewed)
    new = write_yaml(tmp_path, "late.yaml", statement("late-clock", figures={"dead": 1}))
    assert run(db_url, "record", str(new)).exit_code == 0
    monkeypatch.undo()
    entries = run_json(db_url, "log")
    times = [e["recorded_at"] for e in entries]
    assert times == sorted(times) and times[-1] == times[-2]  # clamped to its predecessor's time
    assert run(db_url, "verify").exit_code == 0


@pytest.mark.parametrize("known_at", ["0999-01-01", "0001-01-01T00:00Z", "1969-12-31"])
def test_known_at_before_the_ledger_is_an_empty_picture(db_url: str, known_at: str) -> None:
    recorded(db_url)
    everything = run_json(db_url, "status", "--as-of", "2025-11-30")
    assert everything["figures"]["recruited"] is not None
    data = run_json(db_url, "status", "--as-of", "2025-11-30", "--known-at", known_at)
    assert set(data["figures"]) == set(everything["figures"])
    assert all(figure is None for figure in data["figures"].values()), data
    assert data["known_at"][:4] == known_at[:4]  # zero-padded: text order is time order


def _record_skewed(url: str, prefix: str, skew_minutes: int, count: int, barrier: object) -> None:
    import eventsourcing.domain as domain

    from tests.test_verify import _record_many

    real = domain.datetime_now_with_tzinfo
    domain.datetime_now_with_tzinfo = lambda: real() + dt.timedelta(minutes=skew_minutes)  # this host's clock
    _record_many(url, prefix, count, barrier)


def test_concurrent_writers_with_skewed_clocks_record_in_commit_order(db_url: str) -> None:
    from tests.conftest import run_processes

    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    skews = [-90, 0, -5]
    assert run_processes(_record_skewed, [(db_url, f"w{n}", skew, 20) for n, skew in enumerate(skews)],
                         timeout=120) == [0, 0, 0]
    entries = run_json(db_url, "log", "--limit", "1000")
    assert len(entries) == 61
    times = [e["recorded_at"] for e in entries]
    assert times == sorted(times)  # recording times follow the log (commit) order
    writers = [e["recorded_by"] for e in entries[1:]]
    assert sum(1 for a, b in zip(writers, writers[1:], strict=False) if a != b) > 2  # they interleaved
    result = run(db_url, "verify")
    assert result.exit_code == 0 and "61 event(s) checked" in result.stdout, result.output


def test_a_stray_tzinfo_topic_imports_nothing(tmp_path: Path) -> None:
    """eventsourcing resolves TZINFO_TOPIC at import: the ledger drops it, so the topic's module is never imported."""
    import subprocess
    import sys

    marker = tmp_path / "imported"
    (tmp_path / "evil_tz.py").write_text(f"open({str(marker)!r}, 'w').close()\nimport datetime\nutc = datetime.timezone.utc\n")
    env = {**os.environ, "TZINFO_TOPIC": "evil_tz:utc", "PYTHONPATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "ledger", "--db", f"sqlite:///{tmp_path}/l.db", "matters"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
