"""Materialised views as eventsourcing tracking recorders, for SQLite and PostgreSQL.

A view is a :class:`~eventsourcing.persistence.TrackingRecorder` that also owns
the tables of its projection. Rows and the tracking record are written in one
transaction, which is what makes processing exactly-once. Projections describe
their writes as :class:`Change` objects; the view runs them with the SQL of its
backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, ClassVar, NamedTuple

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteTrackingRecorder


def _row_getter(names: Sequence[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The values of ``names`` in a row, as a tuple (C speed: rows are many in a rebuild)."""
    if len(names) == 1:
        return lambda row: (row[names[0]],)
    return itemgetter(*names)


# A ``:name`` parameter of the views' SQL (``::`` casts are not parameters).
NAMED_PARAMETER = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


class StalePositionError(Exception):
    """Another process advanced the view first: re-read and try again."""


class Change(NamedTuple):
    """One write of a projection: a named statement of the view and its parameters (a named
    tuple: a rebuild makes several per event, and a frozen dataclass is twice as slow to make)."""

    statement: str
    params: dict[str, Any]


class ViewSQL:
    """SQL of a view, written once with ``:name`` parameters and ``{table}`` names."""

    tables: ClassVar[dict[str, str]] = {}  # short name -> CREATE TABLE body (columns)
    indexes: ClassVar[list[str]] = []  # CREATE INDEX statements with {table} names
    statements: ClassVar[dict[str, str]] = {}  # named writes used by Change
    # plain INSERTs that read nothing: written by positional executemany (COPY on PostgreSQL)
    gatherable: ClassVar[frozenset[str]] = frozenset()


Query = Callable[[str, "dict[str, Any] | None"], list[dict[str, Any]]]


class Reading:
    """The queries of one read transaction: call it with a query and its parameters for the
    rows; :meth:`many` runs several independent queries (PostgreSQL sends them together, in
    one round trip, when the transaction is pipelined)."""

    def __init__(self, view: Any, cursor: Any, new_cursor: Callable[[], Any] | None = None,
                 finish: Callable[[], None] | None = None):
        self.view, self.cursor, self.new_cursor, self.finish = view, cursor, new_cursor, finish
        self.finished = False

    def __call__(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        self._check_open()
        self.cursor.execute(*self.view._read_statement(text, params), **self.view.execute_options)
        return self.view._rows(self.cursor.fetchall())

    def many(self, queries: Sequence[tuple[str, dict[str, Any] | None]],
             last: bool = False) -> list[list[dict[str, Any]]]:
        """The rows of each query. ``last``: nothing more will be asked in this transaction, so
        (pipelined) its end goes with these queries, in their round trip."""
        self._check_open()
        if self.new_cursor is None:
            answers = [self(text, params) for text, params in queries]
            self.finished = last
            return answers
        cursors = []
        for text, params in queries:  # all sent before the first result is read
            cursor = self.new_cursor()
            cursor.execute(*self.view._read_statement(text, params), **self.view.execute_options)
            cursors.append(cursor)
        if last:
            self.finished = True
            if self.finish is not None:
                self.finish()
        return [self.view._rows(cursor.fetchall()) for cursor in cursors]

    def _check_open(self) -> None:
        if self.finished:
            raise RuntimeError("this read transaction has ended (its last queries were asked with last=True)")


class _ViewMixin:
    """Backend-independent part of a view: DDL, applying changes, running queries."""

    sql: ClassVar[type[ViewSQL]]
    placeholder_style: ClassVar[str]  # "named" (sqlite) or "pyformat" (psycopg)
    # PostgreSQL: server-side prepared statements (planning a status query costs more than running it)
    execute_options: ClassVar[dict[str, Any]] = {}
    reading_setup: ClassVar[tuple[str, ...]] = ()  # run at the start of a read transaction
    # End read transactions with COMMIT rather than ROLLBACK: psycopg forgets its prepared
    # statements on a rollback. (Nothing is written either way.)
    commit_reads: ClassVar[bool] = False

    def _table_names(self) -> dict[str, str]:
        return {name: self._qualified(name) for name in self.sql.tables}

    def _qualified(self, name: str) -> str:
        return name

    def _render(self, text: str) -> str:
        cache = self.__dict__.setdefault("_rendered", {})
        if text not in cache:
            cache[text] = self._render_uncached(text)
        return cache[text]

    def _read_statement(self, text: str, params: dict[str, Any] | None) -> tuple[str, Any]:
        """A read query as the driver takes it: rendered text and parameters."""
        return self._render(text), params or {}

    @staticmethod
    def _rows(fetched: list[Any]) -> list[dict[str, Any]]:
        return [dict(row) for row in fetched]

    @staticmethod
    def _read_cursor(cursor: Any) -> Any:
        """The cursor reads run on (PostgreSQL: one taking :meth:`_read_statement`'s form)."""
        return cursor

    def _render_uncached(self, text: str) -> str:
        text = text.format(**self._table_names())
        if self.placeholder_style == "pyformat":
            text = NAMED_PARAMETER.sub(r"%(\1)s", text)
        return text

    def _view_ddl(self) -> list[str]:
        names = self._table_names()
        ddl = [f"CREATE TABLE IF NOT EXISTS {names[t]} ({body})" for t, body in self.sql.tables.items()]
        ddl += [self._render(index) for index in self.sql.indexes]
        return ddl

    def apply(self, changes: Sequence[Change], tracking: Tracking, expected: int | None) -> None:
        """Write ``changes`` and ``tracking`` atomically, if the view is still at ``expected``.

        The first statement takes the write lock on the tracking row, so the position
        read next is current; if another process has moved it, nothing is written.
        """
        with self._write_transaction() as c:
            c.execute(self._lock_tracking_statement, self._lock_params(tracking.application_name))
            current = self._max_tracking_id(tracking.application_name, c)  # type: ignore[attr-defined]
            if current != expected:
                raise StalePositionError(f"view at {current}, expected {expected}")
            for name, rows in self._batches(changes):
                if name in self.sql.gatherable:
                    self._bulk_insert(c, name, rows)
                else:
                    c.executemany(self._render(self.sql.statements[name]), rows)
            self._insert_tracking(c, tracking)  # type: ignore[attr-defined]

    def _write_transaction(self, loading: bool | None = None) -> Any:
        """A write transaction; ``loading`` (default: ``indexes_deferred``): part of a bulk load."""
        return self.datastore.transaction(commit=True)  # type: ignore[attr-defined]

    def _batches(self, changes: Sequence[Change]) -> list[tuple[str, list[dict[str, Any]]]]:
        """The changes as a few ``executemany`` batches, with the effect of running them in order.

        A change joins the latest batch that touches any of its tables when that batch runs the
        same statement: every batch after that one touches other tables, so the change commutes
        with them. (A page of recordings is then one batch per table, not one per event.)
        """
        tables = self._statement_tables()
        batches: list[tuple[str, list[dict[str, Any]]]] = []
        latest: dict[str, int] = {}  # table -> index of the last batch touching it
        for change in changes:
            name = change.statement
            if batches and batches[-1][0] == name:
                batches[-1][1].append(change.params)
                continue
            touched = tables[name]
            last = max([latest.get(t, -1) for t in touched])
            if last >= 0 and batches[last][0] == name:
                batches[last][1].append(change.params)
                continue
            batches.append((name, [change.params]))
            for t in touched:
                latest[t] = len(batches) - 1
        return batches

    def _statement_tables(self) -> dict[str, tuple[str, ...]]:
        """The tables each named statement reads or writes (its ``{table}`` names)."""
        cache = self.__dict__.get("_tables_cache")
        if cache is None:
            cache = self.__dict__["_tables_cache"] = {
                name: tuple(sorted(set(re.findall(r"\{(\w+)\}", text)))) for name, text in self.sql.statements.items()}
        return cache

    def _bulk_insert(self, c: Any, name: str, rows: list[dict[str, Any]]) -> None:
        """A plain INSERT of many rows: positional parameters (tuples bind faster than dicts)."""
        text, names = self._positional(name)
        c.executemany(text, list(map(_row_getter(names), rows)))

    def _positional(self, name: str) -> tuple[str, tuple[str, ...]]:
        """A named statement with positional placeholders, and its parameter names in order."""
        cache = self.__dict__.setdefault("_positional_cache", {})
        if name not in cache:
            text = self.sql.statements[name].format(**self._table_names())
            names = tuple(NAMED_PARAMETER.findall(text))
            mark = "?" if self.placeholder_style == "named" else "%s"
            cache[name] = (NAMED_PARAMETER.sub(mark, text), names)
        return cache[name]

    def reset(self, application_name: str, defer_indexes: bool = False) -> None:
        """Drop the view's tables and forget its position, then create them empty, in one transaction.

        Readers see the old rows until the commit; afterwards catching up rebuilds
        the view from the first event. ``defer_indexes``: create the tables without their
        secondary indexes (loading is faster without them); ``create_deferred_indexes``
        adds them once the rows are in (a ledger opened meanwhile creates them too).
        """
        with self._write_transaction(loading=defer_indexes) as c:
            for name in self._table_names().values():
                c.execute(f"DROP TABLE IF EXISTS {name}")
            c.execute(self._delete_tracking_statement, self._lock_params(application_name))
            indexes = set(self._index_ddl()) if defer_indexes else set()
            for statement in self._view_ddl():
                if statement not in indexes:
                    c.execute(statement)
        self.indexes_deferred = defer_indexes

    indexes_deferred = False

    def _index_ddl(self) -> list[str]:
        return [self._render(index) for index in self.sql.indexes]

    def refresh_statistics(self) -> None:
        """After a bulk load: the planner's statistics (PostgreSQL, ``ANALYZE``). SQLite plans
        these lookups by their indexes alone: nothing to do."""

    def create_deferred_indexes(self) -> None:
        """Create the secondary indexes left out by ``reset(defer_indexes=True)``."""
        if not self.indexes_deferred:
            return
        with self._write_transaction(loading=True) as c:
            for statement in self._index_ddl():
                c.execute(statement)
        self.indexes_deferred = False

    def query(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=self.commit_reads) as c:  # type: ignore[attr-defined]
            c = self._read_cursor(c)
            c.execute(*self._read_statement(text, params), **self.execute_options)
            return self._rows(c.fetchall())

    @contextmanager
    def reading(self) -> Iterator[Reading]:
        """Several queries in one read transaction (one connection, one snapshot)."""
        with self.datastore.transaction(commit=self.commit_reads) as c:  # type: ignore[attr-defined]
            for statement in self.reading_setup:
                c.execute(statement)
            yield Reading(self, self._read_cursor(c))

    def query_one(self, text: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        rows = self.query(text, params)
        return rows[0] if rows else None


class SQLiteView(_ViewMixin, SQLiteTrackingRecorder):
    placeholder_style = "named"
    _lock_tracking_statement = (
        "UPDATE tracking SET notification_id = notification_id WHERE application_name = ?"
    )
    _delete_tracking_statement = "DELETE FROM tracking WHERE application_name = ?"

    @staticmethod
    def _lock_params(application_name: str) -> tuple[str]:
        return (application_name,)

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + self._view_ddl()

    # While a reset view loads (from its reset to its indexes), its connection need not wait for the disk
    # at each commit: in WAL mode, NORMAL still syncs at every checkpoint, so the file cannot be
    # corrupted; a power cut may only lose the last pages, and their tracking with them (the
    # next catch-up applies them again). A larger page cache keeps the B-trees being filled in
    # memory. The write-ahead log is copied into the database every 10,000 pages (40 MB) instead
    # of every 1,000: pages written again and again by the load are copied once per checkpoint
    # (a rebuild of 100k statements 12.7 -> 11.9 s, BENCHMARKS.md Round 8); the log goes when the
    # ledger closes. All are set around each such transaction and put back after it.
    BULK_PRAGMAS: ClassVar[dict[str, str]] = {"synchronous": "NORMAL", "cache_size": "-65536",
                                              "wal_autocheckpoint": "10000"}

    @contextmanager
    def _write_transaction(self, loading: bool | None = None) -> Iterator[Any]:
        if not (self.indexes_deferred if loading is None else loading):
            with self.datastore.transaction(commit=True) as c:
                yield c
            return
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            saved = {}
            for name, value in self.BULK_PRAGMAS.items():
                cursor.execute(f"PRAGMA {name}")
                saved[name] = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA {name} = {value}")
            try:
                with conn.transaction(commit=True) as c:
                    yield c
            finally:
                for name, value in saved.items():
                    cursor.execute(f"PRAGMA {name} = {value}")
