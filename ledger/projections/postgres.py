"""The PostgreSQL views (tracking recorders that own their tables).

Kept apart from :mod:`ledger.projections.views` and :mod:`ledger.projections.timeline`
so that a SQLite ledger never imports psycopg.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any, ClassVar

from eventsourcing.postgres import PostgresTrackingRecorder
import psycopg
from psycopg import RawCursor
from psycopg.pq import TransactionStatus

from ledger.projections.timeline import TimelineSQL
from ledger.projections.views import NAMED_PARAMETER, Reading, _row_getter, _ViewMixin


COPY_MIN_ROWS = 50  # below this, executemany is as fast as COPY


def _numbered(text: str) -> tuple[str, tuple[str, ...]]:
    """``:name`` parameters as PostgreSQL's ``$1, $2, ...`` (a name used twice keeps its
    number) and the names in number order."""
    names: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${names.setdefault(match.group(1), len(names) + 1)}"
    return NAMED_PARAMETER.sub(number, text), tuple(names)


def array_text(values: list[Any]) -> str:
    """A list of strings, integers, booleans or None as PostgreSQL's array text
    (``{"a","b \\"c\\""}``, ``{1,2}``, ``{true,NULL}``): every string quoted, its quotes and
    backslashes escaped."""
    def element(value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "{" + ",".join(map(element, values)) + "}"


def _end_failed(conn: Any, pipeline: ExitStack) -> None:
    """After an error in a pipelined read: leave the pipeline (if it is not left yet), then end
    the transaction if it is still open (the error may have come from the connection itself:
    then there is nothing to do, and the pool discards the connection)."""
    try:
        pipeline.close()
        if conn.info.transaction_status != TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
    except psycopg.Error:
        pass


class PostgresView(_ViewMixin, PostgresTrackingRecorder):
    placeholder_style = "pyformat"
    execute_options: ClassVar[dict[str, Any]] = {"prepare": True}
    # One generic plan per prepared query, planned once: the lookups are index range scans
    # whatever the day, and re-planning a status query each time cost more than running it.
    reading_setup = ("SET LOCAL plan_cache_mode = force_generic_plan",)
    commit_reads = True
    # One snapshot for every query of a reading (READ COMMITTED would take one per statement).
    begin_reading = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    @contextmanager
    def reading(self) -> Iterator[Reading]:
        """A read transaction (one snapshot: REPEATABLE READ) in pipeline mode: BEGIN and the
        settings go with the first query, :meth:`Reading.many` sends its queries in one round
        trip, and the COMMIT goes with the last of them (``many(..., last=True)``) or alone."""
        with self.datastore.get_connection() as conn:
            pipeline = ExitStack()
            pipeline.enter_context(conn.pipeline())
            cursor = RawCursor(conn)
            cursor.execute(self.begin_reading)
            for statement in self.reading_setup:
                cursor.execute(statement)

            def finish() -> None:  # queue the end, then Sync: every result comes back
                cursor.execute("COMMIT" if self.commit_reads else "ROLLBACK")
                pipeline.close()

            reading = Reading(self, cursor, lambda: RawCursor(conn), finish)
            try:
                yield reading
                if not reading.finished:
                    reading.finished = True
                    finish()
            except BaseException:
                _end_failed(conn, pipeline)
                raise

    # Reads run on psycopg's RawCursor, their ``:name`` parameters rendered once as ``$n``:
    # psycopg converts ``%(name)s`` text on every execution, and caches the conversion only
    # for statements under 4,096 bytes (a status's candidate statement is longer): a tenth
    # of a status's time went there (py-spy).
    # The text is kept encoded, and lists go as PostgreSQL's array text, which the statements
    # cast to their type (``CAST(:cats AS text[])``): psycopg's list dumper works out the
    # elements' type on every call (a tenth of a status again).
    def _read_statement(self, text: str, params: dict[str, Any] | None) -> tuple[Any, Any]:
        cache = self.__dict__.setdefault("_raw_rendered", {})
        rendered = cache.get(text)
        if rendered is None:
            sql, names = _numbered(text.format(**self._table_names()))
            rendered = cache[text] = (sql.encode(), names)
        sql_bytes, names = rendered
        if not names:
            return sql_bytes, None
        assert params is not None, f"parameters missing for {sql_bytes[:60]!r}"
        return sql_bytes, [array_text(value) if isinstance(value, list) else value
                           for value in (params[name] for name in names)]

    @staticmethod
    def _read_cursor(cursor: Any) -> Any:
        return RawCursor(cursor.connection)

    @staticmethod
    def _rows(fetched: list[Any]) -> list[dict[str, Any]]:
        return fetched  # dict_row already made each row a dict of its own

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

    def _bulk_insert(self, c: Any, name: str, rows: list[dict[str, Any]]) -> None:
        """A plain INSERT of many rows: ``COPY`` when there are enough rows to pay for it."""
        if len(rows) < COPY_MIN_ROWS:
            super()._bulk_insert(c, name, rows)
            return
        copy_sql, getter, literals = self._copy_parts(name)
        with c.copy(copy_sql) as copy:
            write = copy.write_row
            for values in map(getter, rows):
                write(values + literals if literals else values)

    def _copy_parts(self, name: str) -> tuple[str, Any, tuple[int, ...]]:
        """``COPY`` of an INSERT ... VALUES: its SQL (named columns first, then those given as
        integer literals), the getter of the named values in a row, and the literals."""
        cache = self.__dict__.setdefault("_copy_cache", {})
        if name not in cache:
            text = " ".join(self.sql.statements[name].format(**self._table_names()).split())
            match = re.fullmatch(r"INSERT INTO (\S+) \((.*?)\) VALUES \((.*)\)", text)
            assert match, f"not a plain INSERT ... VALUES: {name}"
            columns = [x.strip() for x in match.group(2).split(",")]
            values = [x.strip() for x in match.group(3).split(",")]
            assert len(columns) == len(values) and all(v.startswith(":") or v.isdigit() for v in values), name
            named = [(col, v[1:]) for col, v in zip(columns, values, strict=True) if v.startswith(":")]
            literal = [(col, int(v)) for col, v in zip(columns, values, strict=True) if not v.startswith(":")]
            order = ", ".join(col for col, _ in named + literal)
            cache[name] = (f"COPY {match.group(1)} ({order}) FROM STDIN", _row_getter([n for _, n in named]),
                           tuple(v for _, v in literal))
        return cache[name]

    INDEX_SESSIONS = 2  # secondary indexes built at once after a load, each in a session of its own

    def create_deferred_indexes(self) -> None:
        """As for SQLite, but ``INDEX_SESSIONS`` indexes at a time: an index build is one server
        process, so one at a time leaves the other cores idle (builds on one table share its lock).
        Each index commits on its own: a rebuild interrupted here gets the rest on the next open."""
        if not self.indexes_deferred:
            return

        def build(statement: str) -> None:
            with self.datastore.transaction(commit=True) as c:
                c.execute(statement)

        with ThreadPoolExecutor(self.INDEX_SESSIONS, thread_name_prefix="ledger-index") as sessions:
            list(sessions.map(build, self._index_ddl()))
        self.indexes_deferred = False

    def refresh_statistics(self) -> None:
        """``ANALYZE`` the projection's tables, so that the planner knows their sizes after a
        bulk load (a role that does not own them gets PostgreSQL's warning and nothing else).
        One table per session, ``INDEX_SESSIONS`` at once, the biggest first: ``ANALYZE`` of
        several tables runs them one after the other in one server process (0.80 s of a
        7.0 s rebuild of 100k statements, 0.47 s this way)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relname = ANY(%s) "
                      "ORDER BY pg_relation_size(oid) DESC, relname",
                      (f'"{self.datastore.schema}"', list(self.sql.tables)))
            names = [row["relname"] for row in c.fetchall()]

        def analyze(name: str) -> None:
            with self.datastore.transaction(commit=True) as c:
                c.execute("ANALYZE " + self._qualified(name))

        with ThreadPoolExecutor(self.INDEX_SESSIONS, thread_name_prefix="ledger-statistics") as sessions:
            list(sessions.map(analyze, names))

    def _qualified(self, name: str) -> str:
        return f'"{self.datastore.schema}"."{name}"'


class PostgresTimelineView(PostgresView):
    sql = TimelineSQL
