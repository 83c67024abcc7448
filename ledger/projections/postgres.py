"""The PostgreSQL views (tracking recorders that own their tables).

Kept apart from :mod:`ledger.projections.views` and :mod:`ledger.projections.timeline`
so that a SQLite ledger never imports psycopg.
"""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.postgres import PostgresTrackingRecorder

from ledger.projections.timeline import TimelineSQL
from ledger.projections.views import _ViewMixin


class PostgresView(_ViewMixin, PostgresTrackingRecorder):
    placeholder_style = "pyformat"
    execute_options: ClassVar[dict[str, Any]] = {"prepare": True}
    # One generic plan per prepared query, planned once: the lookups are index range scans
    # whatever the day, and re-planning a status query each time cost more than running it.
    reading_setup = ("SET LOCAL plan_cache_mode = force_generic_plan",)
    commit_reads = True

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        from psycopg.sql import SQL

        super().__init__(datastore, **kwargs)
        self._lock_tracking_statement = (
            f"UPDATE {self._qualified(self.tracking_table_name)} "
            "SET notification_id = notification_id WHERE application_name = %s"
        )
        self._delete_tracking_statement = (
            f"DELETE FROM {self._qualified(self.tracking_table_name)} WHERE application_name = %s"
        )
        self.sql_create_statements.extend(SQL(s) for s in self._view_ddl())  # type: ignore[arg-type]

    @staticmethod
    def _lock_params(application_name: str) -> tuple[str]:
        return (application_name,)

    def _qualified(self, name: str) -> str:
        return f'"{self.datastore.schema}"."{name}"'


class PostgresTimelineView(PostgresView):
    sql = TimelineSQL
