"""PostgreSQL roles: the writer appends and reads, the auditor reads; neither can rewrite history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import (EXAMPLES, PG_ADMIN, create_pg_database, drop_pg_database, event_count, run,
                            statement, write_yaml)

pytestmark = pytest.mark.postgres


@pytest.fixture
def roles_db() -> Iterator[dict[str, str]]:
    """A throwaway database with its own writer and auditor roles (roles are cluster-wide: dropped after)."""
    name = create_pg_database()
    info = {"db": name, "writer": f"w_{name}", "auditor": f"a_{name}"}
    info["owner_url"] = f"postgresql://postgres@127.0.0.1:5432/{name}"
    info["writer_url"] = f"postgresql://{info['writer']}@127.0.0.1:5432/{name}"
    info["auditor_url"] = f"postgresql://{info['auditor']}@127.0.0.1:5432/{name}"
    try:
        yield info
    finally:
        drop_pg_database(name)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            for role in (info["writer"], info["auditor"]):
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def connect(info: dict[str, str], role: str) -> psycopg.Connection:
    return psycopg.connect(host="127.0.0.1", port=5432, user=info[role], dbname=info["db"])


def refused(conn: psycopg.Connection, sql: str) -> str:
    """Run ``sql``, expect a refusal, roll back; return the error text."""
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as error:
        conn.execute(sql)
    conn.rollback()
    return str(error.value)


def allowed(conn: psycopg.Connection, sql: str) -> list[tuple]:
    cursor = conn.execute(sql)
    rows = cursor.fetchall() if cursor.description else []
    conn.rollback()  # show the right, write nothing
    return rows


def role_exists(name: str) -> bool:
    with psycopg.connect(PG_ADMIN) as conn:
        return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None


def test_roles_sql_is_printed_without_apply(roles_db: dict[str, str]) -> None:
    result = run(roles_db["owner_url"], "db", "roles", "--writer", roles_db["writer"],
                 "--auditor", roles_db["auditor"], "--writer-password", "s3cret")
    assert result.exit_code == 0, result.output
    writer = f'"{roles_db["writer"]}"'
    assert f"GRANT SELECT ON \"public\".\"ledger_events\", \"public\".\"ledger_events_chain\" TO {writer};" \
        in result.stdout
    assert f"ALTER ROLE {writer} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 's3cret';" in result.stdout
    assert not role_exists(roles_db["writer"]) and not role_exists(roles_db["auditor"])


def test_bad_role_names_and_sqlite_are_usage_errors(roles_db: dict[str, str], tmp_path: Path) -> None:
    result = run(roles_db["owner_url"], "db", "roles", "--writer", 'x"; DROP TABLE ledger_events; --')
    assert result.exit_code == 2 and "not a plain role name" in result.stderr
    result = run(f"sqlite:///{tmp_path}/l.db", "db", "roles")
    assert result.exit_code == 2 and "PostgreSQL feature" in result.stderr


def test_writer_and_auditor_rights(roles_db: dict[str, str], tmp_path: Path) -> None:
    result = run(roles_db["owner_url"], "db", "roles", "--apply", "--writer", roles_db["writer"],
                 "--auditor", roles_db["auditor"])
    assert result.exit_code == 0, result.output
    assert role_exists(roles_db["writer"]) and role_exists(roles_db["auditor"])
    assert run(roles_db["owner_url"], "db", "roles", "--apply", "--writer", roles_db["writer"],
               "--auditor", roles_db["auditor"]).exit_code == 0  # rerunning is harmless

    # The application works under the writer role: record, correct, query, verify.
    writer_url = roles_db["writer_url"]
    result = run(writer_url, "record", str(EXAMPLES), "--by", "writer")
    assert result.exit_code == 0, result.output
    result = run(writer_url, "retract", "mea-2025-01-killed", "--reason", "drill")
    assert result.exit_code == 0, result.output
    assert run(writer_url, "status", "--as-of", "2025-11-30").exit_code == 0
    assert run(writer_url, "verify").exit_code == 0
    assert event_count(roles_db["owner_url"]) == 7  # the matter, 5 statements, a retraction

    with connect(roles_db, "writer") as conn:
        for table in ("ledger_events", "ledger_events_chain"):
            assert allowed(conn, f"SELECT COUNT(*) FROM {table}") == [(7,)]
            for sql in (f"UPDATE {table} SET notification_id = notification_id",
                        f"DELETE FROM {table}", f"TRUNCATE {table}",
                        f"LOCK TABLE {table} IN EXCLUSIVE MODE"):
                assert "permission denied" in refused(conn, sql)
            assert "must be owner" in refused(conn, f"ALTER TABLE {table} DISABLE TRIGGER USER")
            assert "must be owner" in refused(conn, f"DROP TABLE {table}")
        # appending is its job, through the append function only: no event without its link
        assert "permission denied" in refused(conn, "INSERT INTO ledger_events_chain VALUES (1000, 'x')")
        assert "permission denied" in refused(
            conn, "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
                  "VALUES (gen_random_uuid(), 1, 't', '\\x7b7d')")
        allowed(conn, "SELECT ledger_events_lock()")  # the write lock, through the function only
        allowed(conn, "UPDATE ledger_figures SET value = value")  # the projection is derived data
        assert "permission denied" in refused(conn, "CREATE TABLE ledger_other (x int)")
    # Even with the writer's rights the triggers would refuse: the owner cannot update either.
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=roles_db["db"]) as conn:
        assert "append-only" in refused(conn, "UPDATE ledger_events SET topic = topic")

    # The auditor reads everything and writes nothing.
    with connect(roles_db, "auditor") as conn:
        for table in ("ledger_events", "ledger_events_chain", "ledger_figures", "timeline_tracking"):
            assert allowed(conn, f"SELECT COUNT(*) FROM {table}")[0][0] > 0
        assert "permission denied" in refused(conn, "INSERT INTO ledger_events_chain VALUES (1000, 'x')")
        assert "permission denied" in refused(conn, "UPDATE ledger_figures SET value = value")
        assert "permission denied" in refused(conn, "DELETE FROM timeline_tracking")
        assert "permission denied" in refused(conn, "SELECT ledger_events_lock()")
    auditor_url = roles_db["auditor_url"]
    result = run(auditor_url, "status", "--as-of", "2025-11-30", "--format", "json")
    assert result.exit_code == 0, result.output
    assert run(auditor_url, "verify").exit_code == 0
    new = write_yaml(tmp_path, "new.yaml", statement("auditor-tries", figures={"dead": 1}))
    for args in (("record", str(new)), ("retract", "rajya-sabha-2025-07", "--reason", "an auditor tries")):
        result = run(auditor_url, *args)
        assert result.exit_code == 5, result.output
        assert "database failure" in result.stderr and "permission denied" in result.stderr
        assert "Traceback" not in result.output
    assert event_count(roles_db["owner_url"]) == 7


def _apply_roles(info: dict[str, str]) -> None:
    result = run(info["owner_url"], "db", "roles", "--apply", "--writer", info["writer"], "--auditor", info["auditor"])
    assert result.exit_code == 0, result.output


def test_writer_rights_attacks_are_refused_or_found(roles_db: dict[str, str]) -> None:
    """With only the writer's rights: chain ids cannot be squatted, events cannot be written
    without their links, the advisory key and a forged projection row do not go unnoticed."""
    assert run(roles_db["owner_url"], "record", str(EXAMPLES)).exit_code == 0
    _apply_roles(roles_db)
    with connect(roles_db, "writer") as conn:
        for position in (8, 9, 2**63 - 1):  # squatting future (or huge) chain ids and positions
            assert "permission denied" in refused(conn, f"INSERT INTO ledger_events_chain VALUES ({position}, 'x')")
            assert "permission denied" in refused(
                conn, "INSERT INTO ledger_events (notification_id, originator_id, originator_version, topic, state) "
                      f"VALUES ({position}, gen_random_uuid(), 1, 'this:s', '\\x7b7d')")
        assert "permission denied" in refused(conn, "SELECT setval('ledger_events_notification_id_seq', 1000)")
    # every later record still works
    assert run(roles_db["writer_url"], "retract", "mea-2025-01-killed", "--reason", "drill").exit_code == 0
    # a projection row forged with the writer's own rights, at a position no window would look at
    with connect(roles_db, "writer") as conn:
        conn.execute("INSERT INTO ledger_figures SELECT statement_id, category, -1, matter_id, 999, qualifier, low, "
                     "high, as_of, as_of_end, stated_on, stated_end, organization, person, role, recorded_at, "
                     "superseded_at, superseded_by FROM ledger_figures WHERE position = 4 AND category = 'recruited'")
        conn.commit()
    result = run(roles_db["auditor_url"], "verify")
    assert result.exit_code == 1 and "projection: position -1: ledger_figures" in result.stdout, result.output


def test_auditor_holding_the_advisory_key_cannot_freeze_the_ledger(roles_db: dict[str, str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger.storage import SCHEMA_LOCK_KEY

    assert run(roles_db["owner_url"], "record", str(EXAMPLES)).exit_code == 0
    _apply_roles(roles_db)
    with connect(roles_db, "auditor") as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        result = run(roles_db["writer_url"], "retract", "mea-2025-01-killed", "--reason", "drill")
        assert result.exit_code == 0, result.output
        assert run(roles_db["auditor_url"], "verify").exit_code == 0
    # on a database whose tables are not created yet, the wait is bounded and explained
    empty = create_pg_database()
    try:
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname=empty) as other:
            other.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
            monkeypatch.setenv("LEDGER_SCHEMA_LOCK_TIMEOUT", "1")
            result = run(f"postgresql://postgres@127.0.0.1:5432/{empty}", "status")
            assert result.exit_code == 5, result.output
            assert "held the ledger's schema lock" in result.stderr and "Traceback" not in result.output
    finally:
        drop_pg_database(empty)


def test_rebuild_keeps_the_roles_grants(roles_db: dict[str, str]) -> None:
    assert run(roles_db["owner_url"], "record", str(EXAMPLES)).exit_code == 0
    _apply_roles(roles_db)
    assert run(roles_db["owner_url"], "rebuild").exit_code == 0
    assert run(roles_db["writer_url"], "retract", "mea-2025-01-killed", "--reason", "drill").exit_code == 0
    assert run(roles_db["auditor_url"], "status", "--as-of", "2025-11-30").exit_code == 0
    with connect(roles_db, "auditor") as conn:
        assert allowed(conn, "SELECT COUNT(*) FROM ledger_figures")[0][0] > 0
        assert "permission denied" in refused(conn, "DELETE FROM ledger_figures")
    assert run(roles_db["auditor_url"], "verify").exit_code == 0
