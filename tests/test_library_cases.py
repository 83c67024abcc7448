"""eventsourcing's own recorder test cases, run against the recorders and views the ledger defines.

* ``ApplicationRecorderTestCase`` against :class:`SQLiteChainedRecorder` and
  :class:`PostgresChainedRecorder` (the hash chain, the append-only triggers and, on
  PostgreSQL, the write lock taken through ``<events>_lock()``);
* ``TrackingRecorderTestCase`` against the timeline views (:class:`SQLiteTimelineView`,
  :class:`PostgresTimelineView`).

PostgreSQL cases run in a throwaway database per test (never the library's default
``eventsourcing`` database); without a server they are skipped, except under CI=true.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import ApplicationRecorderTestCase, TrackingRecorderTestCase

from ledger.chain import SQLiteChainedRecorder
from ledger.chain_postgres import PostgresChainedRecorder
from ledger.integrity.verify import verify_chain
from ledger.projections.postgres import PostgresTimelineView
from ledger.projections.timeline import SQLiteTimelineView
from tests.conftest import create_pg_database, drop_pg_database


class SQLiteCase:
    def setUp(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="ledger-lib-")
        self.datastore = SQLiteDatastore(str(Path(self._folder.name) / "lib.db"))
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        self.datastore.close()
        self._folder.cleanup()


class PostgresCase:
    def setUp(self) -> None:
        self.dbname = create_pg_database()  # skips without a server, fails under CI=true
        self.datastore = PostgresDatastore(self.dbname, "127.0.0.1", "5432", "postgres", "",
                                           pool_size=4, max_overflow=4)
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        self.datastore.close()
        drop_pg_database(self.dbname)


class _ChainChecks:
    """After each library test, the events it wrote still form an unbroken chain."""

    recorders: list[Any]

    def create_recorder(self) -> Any:
        recorder = self.recorder_class(self.datastore, events_table_name="stored_events")  # type: ignore[attr-defined]
        recorder.create_table()
        self.recorders = [*getattr(self, "recorders", []), recorder]
        return recorder

    def tearDown(self) -> None:
        for recorder in getattr(self, "recorders", [])[:1]:
            report = verify_chain(recorder)
            assert report.problems == [], report.problems
        super().tearDown()  # type: ignore[misc]


class TestSQLiteChainedRecorder(_ChainChecks, SQLiteCase, ApplicationRecorderTestCase):
    recorder_class = SQLiteChainedRecorder
    # SQLite gives rowids in commit order: no gaps unless a transaction fails.
    EXPECT_CONTIGUOUS_NOTIFICATION_IDS = True


@pytest.mark.postgres
class TestPostgresChainedRecorder(_ChainChecks, PostgresCase, ApplicationRecorderTestCase):
    recorder_class = PostgresChainedRecorder
    # A bigserial sequence: a failed transaction (the library's conflict tests) leaves a gap.
    EXPECT_CONTIGUOUS_NOTIFICATION_IDS = False


class TestSQLiteTimelineView(SQLiteCase, TrackingRecorderTestCase):
    def create_recorder(self) -> SQLiteTimelineView:
        view = SQLiteTimelineView(self.datastore)
        view.create_table()
        return view


@pytest.mark.postgres
class TestPostgresTimelineView(PostgresCase, TrackingRecorderTestCase):
    def create_recorder(self) -> PostgresTimelineView:
        view = PostgresTimelineView(self.datastore, tracking_table_name="timeline_tracking")
        view.create_table()
        return view
