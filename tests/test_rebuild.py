"""`ledger rebuild` drops the projection and rebuilds it; the result equals incremental processing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.projections.timeline import TimelineSQL
from tests.conftest import EXAMPLES, run, statement, write_yaml
from tests.test_verify import Raw


def projection_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every projection table, and the tracking position, in a comparable form."""
    with Ledger(url) as ledger:
        rows = {table: sorted(tuple("" if v is None else str(v) for v in row.values())
                              for row in ledger.view.query(f"SELECT * FROM {{{table}}}"))
                for table in TimelineSQL.tables}
        rows["tracking"] = [(ledger.view.max_tracking_id(ledger.app.name),)]
    return rows


def test_rebuild_equals_incremental_processing(db_url: str, tmp_path: Path) -> None:
    # Incremental: each command below catches the projection up with what it wrote.
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    for i in range(3):
        path = write_yaml(tmp_path, f"s{i}.yaml", statement(f"extra-{i}", figures={"dead": 20 + i}))
        assert run(db_url, "record", str(path)).exit_code == 0
    fixed = write_yaml(tmp_path, "fixed.yaml", statement("extra-1", figures={"dead": 31}))
    assert run(db_url, "correct", "extra-1", str(fixed), "--reason", "typo").exit_code == 0
    assert run(db_url, "retract", "extra-2", "--reason", "withdrawn").exit_code == 0
    incremental = projection_rows(db_url)
    assert len(incremental["ledger_figures"]) >= 10 and incremental["tracking"] == [(11,)]  # 6 + 3 + 2

    # Damage the projection, so that a rebuild that kept old rows would show.
    raw = Raw(db_url)
    try:
        raw("UPDATE ledger_figures SET value = 99")
        raw("DELETE FROM ledger_statements WHERE statement_id = 'extra-0'")
    finally:
        raw.close()
    assert projection_rows(db_url) != incremental

    result = run(db_url, "rebuild")
    assert result.exit_code == 0, result.output
    assert "rebuilt the timeline projection from 11 event(s)" in result.stdout
    assert projection_rows(db_url) == incremental
    assert run(db_url, "verify").exit_code == 0

    # Rebuilding again changes nothing.
    assert run(db_url, "rebuild").exit_code == 0
    assert projection_rows(db_url) == incremental


def _index_names(ledger: Ledger) -> set[str]:
    if ledger.database.backend == "sqlite":
        rows = ledger.view.query("SELECT name AS name FROM sqlite_master WHERE type = 'index'")
    else:
        rows = ledger.view.query("SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()")
    return {r["name"] for r in rows}


def test_fast_rebuild_equals_event_by_event_processing(db_url: str, tmp_path: Path) -> None:
    """The rebuild bulk-loads (positional executemany; COPY on PostgreSQL; indexes created after
    the load): its rows equal those of applying the events one at a time."""
    import json

    from eventsourcing.persistence import Tracking

    from ledger.inputs import iter_inputs
    from scripts.generate import write_workload

    write_workload(tmp_path / "w", matters=4, statements=600, seed=11)
    with Ledger(db_url) as ledger:
        ledger.record(iter_inputs([str(tmp_path / "w" / "record")]), recorded_by="test")
        some = [json.loads(line) for line in (tmp_path / "w" / "changes" / "corrections.jsonl").open()][:3]
    for change in some:
        path = write_yaml(tmp_path, f"{change['statement_id']}.yaml", change["document"])
        assert run(db_url, "correct", change["statement_id"], str(path), "--reason", "typo").exit_code == 0
    with Ledger(db_url) as ledger:
        ledger.retract("s-0000100", "withdrawn", recorded_by="test")
        ledger.reset_projection()
        ledger.view.create_deferred_indexes()
        for notification in ledger.app.recorder.select_notifications(0, 10**6, inclusive_of_start=False):
            ledger.projection.process_event(ledger.app.mapper.to_domain_event(notification),
                                            Tracking(ledger.app.name, notification.id))
    one_by_one = projection_rows(db_url)
    with Ledger(db_url) as ledger:
        indexes = _index_names(ledger)
    assert len(one_by_one["ledger_figures"]) > 1000
    assert {"ledger_figures_replay", "ledger_figures_start", "ledger_figures_start_forward", "ledger_statements_matter"} <= indexes

    with Ledger(db_url) as ledger:
        ledger.reset_projection()
        assert "ledger_figures_replay" not in _index_names(ledger)  # loaded without the secondary indexes
        assert ledger.catch_up() == one_by_one["tracking"][0][0]
        assert _index_names(ledger) == indexes
    assert projection_rows(db_url) == one_by_one

    # A rebuild interrupted before its indexes were made: the next opening of the ledger makes them.
    with Ledger(db_url) as ledger:
        ledger.reset_projection()
        assert "ledger_figures_replay" not in _index_names(ledger)
    with Ledger(db_url) as ledger:
        assert _index_names(ledger) == indexes
        ledger.catch_up()
    assert projection_rows(db_url) == one_by_one


def _every_kind_of_event(db_url: str, tmp_path: Path) -> None:
    """A ledger with each event the projection shows: a matter declared and revised, statements
    recorded (one with a link, one quoting a backslash-u, non-ASCII and '"_type_"'), corrected,
    retracted, ranked, linked and unlinked."""
    import yaml

    matter = yaml.safe_load((EXAMPLES / "matter.yaml").read_text())
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    matter["matter"]["categories"]["wounded"] = {"kind": "cumulative"}
    assert run(db_url, "record", str(write_yaml(tmp_path, "revised.yaml", matter))).exit_code == 0
    odd = statement("odd", figures={"dead": 3}, quote='C:\\users said "_type_" — déjà vu, “41”')
    for doc in (statement("plain", figures={"dead": 7, "missing": {"low": 1, "high": 4}}), odd):
        assert run(db_url, "record", str(write_yaml(tmp_path, f"{doc['id']}.yaml", doc))).exit_code == 0
    fixed = write_yaml(tmp_path, "fixed.yaml", statement("plain", figures={"dead": 8},
                                                         links=[{"type": "restates", "statement": "odd"}]))
    assert run(db_url, "correct", "plain", str(fixed), "--reason", "typo").exit_code == 0
    assert run(db_url, "rank", "odd", "--preferred", "--reason", "first hand").exit_code == 0
    assert run(db_url, "link", "odd", "denies", "plain", "--reason", "it says so").exit_code == 0
    assert run(db_url, "unlink", "odd", "denies", "plain", "--reason", "misread").exit_code == 0
    assert run(db_url, "retract", "odd", "--reason", "withdrawn").exit_code == 0


def test_rows_from_the_stored_state_equal_rows_from_the_domain_event(db_url: str, tmp_path: Path) -> None:
    """The rebuild decodes stored events straight from their JSON state (``event_state``); the
    same rules give the same changes as from the mapper's domain event, for every kind of event,
    and an event the fast decoding cannot vouch for goes through the mapper."""
    from ledger.integrity.topics import event_state
    from ledger.projections.timeline import RULES_BY_TOPIC

    _every_kind_of_event(db_url, tmp_path)
    with Ledger(db_url) as ledger:
        notifications = ledger.app.recorder.select_notifications(0, 1000, inclusive_of_start=False)
        fast = [n for n in notifications if event_state(n) is not None]
        assert {n.topic for n in fast} == set(RULES_BY_TOPIC)  # every kind goes the fast way ...
        assert len(fast) == len(notifications) - 1  # ... but the recording of the odd quote
        for n in notifications:
            from_event = ledger.projection.changes(ledger.app.mapper.to_domain_event(n), n.id)
            state = event_state(n)
            if state is not None:
                assert ledger.projection.changes_from_state(n.topic, state, n.id) == from_event, n.topic
            assert ledger._changes([n]) == from_event
    rows = projection_rows(db_url)
    assert run(db_url, "rebuild").exit_code == 0
    assert projection_rows(db_url) == rows
    assert run(db_url, "verify").exit_code == 0


def test_batches_keep_the_order_of_the_changes_of_each_table(db_url: str, tmp_path: Path) -> None:
    """``apply`` runs a page as a few executemany batches: within each table, the changes run in
    their order (changes of different tables commute)."""
    _every_kind_of_event(db_url, tmp_path)
    with Ledger(db_url) as ledger:
        notifications = ledger.app.recorder.select_notifications(0, 1000, inclusive_of_start=False)
        changes = ledger._changes(notifications)
        batches = ledger.view._batches(changes)
        tables = ledger.view._statement_tables()
    assert len(batches) < len(changes)
    flat = [(name, params) for name, rows in batches for params in rows]
    assert sorted(map(repr, flat)) == sorted(repr((c.statement, c.params)) for c in changes)
    for table in {t for names in tables.values() for t in names}:
        def of_table(items: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
            return [(name, params) for name, params in items if table in tables[name]]
        assert of_table(flat) == of_table([(c.statement, c.params) for c in changes]), table


def test_stored_timestamp_text_is_timestamp_text() -> None:
    from datetime import datetime, timedelta, timezone

    from ledger.projections.timeline import stored_timestamp_text, timestamp_text

    for moment in (datetime(2026, 12, 3, 9, 35, 10, 456822, tzinfo=timezone.utc),
                   datetime(2026, 12, 3, 9, 35, 10, tzinfo=timezone.utc),  # isoformat leaves out .000000
                   datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc),
                   datetime(2026, 1, 1, 1, 1, 1, 5, tzinfo=timezone(timedelta(hours=2)))):
        assert stored_timestamp_text(moment.isoformat()) == timestamp_text(moment)


def test_a_rebuild_racing_another_catch_up_applies_each_event_once(db_url: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A reset view is loaded by a writer thread while the next page is built; another process
    catching up meanwhile makes a page stale: it and the page built after it are read again."""
    import ledger.application as application
    from ledger.inputs import iter_inputs
    from scripts.generate import write_workload

    write_workload(tmp_path / "w", matters=3, statements=300, seed=5)
    with Ledger(db_url) as ledger:
        ledger.record(iter_inputs([str(tmp_path / "w" / "record")]), recorded_by="test")
        ledger.catch_up()
    expected = projection_rows(db_url)
    total = expected["tracking"][0][0]
    monkeypatch.setattr(application, "REBUILD_PAGE", 40)
    with Ledger(db_url) as ledger:
        ledger.reset_projection()
        original, expectations = ledger.view.apply, []

        def apply(changes: list, tracking: object, expected: int | None) -> None:
            expectations.append(expected)
            if len(expectations) == 3:  # another process catches up 25 events past this page's start
                with Ledger(db_url) as other:
                    assert other.catch_up_view(other.view, stop=expected + 25) == 25
            original(changes, tracking, expected)

        monkeypatch.setattr(ledger.view, "apply", apply)
        assert ledger.catch_up() == total - 25
    assert expectations[:4] == [None, 40, 80, 105]  # the stale page, then from where the other left
    assert projection_rows(db_url) == expected


def test_sqlite_loading_pragmas_are_put_back(tmp_path: Path) -> None:
    """While a reset SQLite view loads, its connection commits without waiting for the disk,
    with a larger cache and fewer checkpoints (``SQLiteView.BULK_PRAGMAS``); afterwards its
    settings are as before.
    (SQLite's connection settings: no PostgreSQL counterpart.)"""
    from ledger.projections.views import SQLiteView

    db_url = f"sqlite:///{tmp_path / 'pragmas.db'}"

    def read(cursor: object) -> tuple:
        values = []
        for name in SQLiteView.BULK_PRAGMAS:
            cursor.execute(f"PRAGMA {name}")
            values.append(cursor.fetchone()[0])
        return tuple(values)

    def settings(ledger: Ledger) -> tuple:
        with ledger.view.datastore.transaction(commit=False) as c:
            return read(c)

    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    with Ledger(db_url) as ledger:
        before = settings(ledger)
        seen = []
        original = ledger.view._write_transaction

        def spy(loading: bool | None = None) -> object:
            manager = original(loading)
            enter = manager.__enter__

            class Spy:
                def __enter__(self) -> object:
                    cursor = enter()
                    seen.append(read(cursor))
                    return cursor

                def __exit__(self, *exc: object) -> object:
                    return manager.__exit__(*exc)
            return Spy()

        ledger.view._write_transaction = spy
        ledger.reset_projection()
        ledger.catch_up()
        assert len(seen) == 3 and all(s == (1, -65536, 10000) for s in seen)  # reset, a page, the indexes
        assert settings(ledger) == before != (1, -65536, 10000)


@pytest.mark.postgres
def test_a_big_catch_up_refreshes_the_planners_statistics(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a catch-up of many events (a rebuild, a bulk record) the projection's tables are
    analysed: with no statistics PostgreSQL planned a status query as a scan of the table."""
    import ledger.application as application
    from tests.conftest import create_pg_database, drop_pg_database

    name = create_pg_database()
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        assert run(url, "--no-catch-up", "record", str(EXAMPLES)).exit_code == 0

        def analysed() -> set[str]:
            with Ledger(url) as ledger, ledger.view.datastore.transaction(commit=False) as c:
                c.execute("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
                return {row["relname"] for row in c.fetchall()}

        before = analysed()
        monkeypatch.setattr(application, "STATISTICS_AFTER_EVENTS", 10**9)
        with Ledger(url) as ledger:
            assert ledger.catch_up() > 0
        assert analysed() == before
        monkeypatch.setattr(application, "STATISTICS_AFTER_EVENTS", 1)
        with Ledger(url) as ledger:
            ledger.reset_projection()
            assert ledger.catch_up() > 0
        from ledger.projections.timeline import TimelineSQL

        assert set(TimelineSQL.tables) <= analysed() - before  # each table in a session of its own
    finally:
        drop_pg_database(name)


def test_a_big_append_refreshes_the_event_stores_statistics(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that has appended many events analyses the events and the chain, again each
    time it has doubled them: with no statistics PostgreSQL read an aggregate's events by a
    parallel scan of the whole table."""
    from ledger.application import LedgerApp
    from tests.conftest import create_pg_database, drop_pg_database

    name = create_pg_database()
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"

    def analyses() -> dict[str, int]:
        with Ledger(url) as ledger, ledger.view.datastore.transaction(commit=False) as c:
            c.execute("SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname LIKE 'ledger_events%'")
            return {row["relname"]: row["analyze_count"] for row in c.fetchall()}

    try:
        monkeypatch.setattr(LedgerApp, "_statistics_at", 10**9)
        assert run(url, "--no-catch-up", "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
        assert analyses() == {"ledger_events": 0, "ledger_events_chain": 0}  # below the threshold
        monkeypatch.setattr(LedgerApp, "_statistics_at", 2)
        assert run(url, "--no-catch-up", "record", str(EXAMPLES)).exit_code == 0  # the statements
        assert analyses() == {"ledger_events": 1, "ledger_events_chain": 1}
    finally:
        drop_pg_database(name)
