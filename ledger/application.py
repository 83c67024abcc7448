"""The ledger application: recording statements as events and keeping projections current.

:class:`LedgerApp` is a plain eventsourcing ``Application`` (event store, notification
log); :class:`Ledger` puts it together with the timeline view and is what the CLI
(and any other caller) uses.
"""

from __future__ import annotations

import getpass
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (InfrastructureFactory, IntegrityError, Mapper, OperationalError, StoredEvent,
                                      Tracking)
from eventsourcing.utils import Environment, EnvType

from ledger.chain import postgres_guards
from ledger.collector import collector_paused
from ledger.domain.aggregates import Matter, Statement, matter_uuid, rank_problem, statement_uuid
from ledger.domain.ordering import RANKS
from ledger.errors import InputError, InputProblem, NotFoundError, StateError, UsageProblem
from ledger.integrity.settings import application_settings, check_write_path
from ledger.integrity.topics import LedgerMapper, event_state
from ledger.projections.timeline import SQLiteTimelineView, TimelineProjection, TimelineSQL
from ledger.projections.views import StalePositionError
from ledger.storage import Database, parse_url

if TYPE_CHECKING:
    from ledger.domain.documents import Statement as StatementDocument
    from ledger.ingest import Progress, RecordResult
    from ledger.inputs import Located

CATCH_UP_PAGE = 2000
REBUILD_PAGE = 2500  # a view loading after ``reset_projection``: written while the next is built


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise UsageProblem("a reason is required (--reason TEXT)")
    if len(text) > 10_000:
        raise UsageProblem("the reason is longer than 10,000 characters")
    return text


def _run_now(function: Callable[..., None], *args: Any) -> Future[None]:
    """``function(*args)`` run here, as a finished future (a page written without the writer thread)."""
    done: Future[None] = Future()
    try:
        done.set_result(function(*args))
    except Exception as e:  # noqa: BLE001 - handed over with the future, as the writer thread's would be
        done.set_exception(e)
    return done


def postgres_schema_complete(conn: Any, schema: str) -> bool:
    """Whether every table, trigger and function of the ledger exists in ``schema``."""
    events = f"{LedgerApp.name.lower()}_events"
    tables = [events, f"{events}_chain", f"{TimelineProjection.name}_tracking", *TimelineSQL.tables]
    # the view's secondary indexes too: one left out by an interrupted rebuild, or new in this version
    indexes = [re.search(r"EXISTS (\w+)", index).group(1) for index in TimelineSQL.indexes]  # type: ignore[union-attr]
    triggers, functions = postgres_guards(events)
    row = conn.execute(
        "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "        WHERE n.nspname = %(schema)s AND (c.relname = ANY(%(tables)s) AND c.relkind = 'r' "
        "        OR c.relname = ANY(%(indexes)s) AND c.relkind = 'i')), "
        "       (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "        JOIN pg_namespace n ON n.oid = c.relnamespace "
        "        WHERE n.nspname = %(schema)s AND t.tgname = ANY(%(triggers)s)), "
        "       (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "        WHERE n.nspname = %(schema)s AND p.proname = ANY(%(functions)s))",
        {"schema": schema, "tables": tables, "indexes": indexes, "triggers": triggers, "functions": functions},
    ).fetchone()
    return tuple(row) == (len(tables) + len(indexes), len(triggers), len(functions))


# A catch-up that applied this many events (a rebuild, a bulk record) has the planner's
# statistics refreshed: with none, PostgreSQL guessed 5,000 rows per statement id and scanned
# a million-row table for a status (13 ms instead of 0.1 ms), where autovacuum is off or late.
STATISTICS_AFTER_EVENTS = 10_000


class LedgerApp(Application[UUID]):
    """The event store of the ledger: every matter and statement as immutable events."""

    name = "Ledger"
    # The event store's statistics are refreshed when this process has appended
    # STATISTICS_AFTER_EVENTS events, then each time it has doubled what it appended.
    _appended = 0
    _statistics_at = STATISTICS_AFTER_EVENTS

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Only the given settings: nothing from ``os.environ`` (see :mod:`ledger.integrity.settings`)."""
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's mapper restricted to the ledger's own event topics."""
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=LedgerMapper)

    def append(self, events: Sequence[Any], stored: Sequence[StoredEvent] = ()) -> Sequence[int] | None:
        """Store new events (and events already mapped by :class:`LedgerMapper`, after them)
        in one transaction of the chaining recorder (lock, time clamping, links): what ``save``
        does for the ledger's aggregates, which have no snapshots, cache or subscribers to
        notify, without its per-object protocol checks (bulk recording)."""
        ids = self.recorder.insert_events([self.mapper.to_stored_event(e) for e in events] + list(stored))
        self._appended += len(events) + len(stored)
        if self._appended >= self._statistics_at:
            self._statistics_at = 2 * self._appended
            self.recorder.refresh_statistics()
        return ids


def default_recorder() -> str:
    """Who records: ``--by``, else ``LEDGER_USER``, else the login name."""
    return os.environ.get("LEDGER_USER") or getpass.getuser()


class Ledger:
    """The application and its projection, on one database."""

    def __init__(self, url: str | None = None):
        self.database: Database = parse_url(url)
        self._create_tables = True
        with self.database.schema_lock(postgres_schema_complete) as complete:
            # Nothing to create when the schema is complete: skip the DDL, which needs
            # privileges the writer and auditor roles do not have (see ``ledger db roles``).
            self._create_tables = not complete
            env = application_settings(self.database.settings, LedgerApp.name, self.database.backend,
                                       self._create_tables)
            self.app = LedgerApp(env=env)
            try:
                check_write_path(self.app, self.database.backend)
                self.projection = TimelineProjection(view=self._construct_view(TimelineProjection.name))
            except BaseException:
                self.app.close()
                raise

    def view_env(self, name: str) -> dict[str, str]:
        """Settings of the view called ``name`` (no DDL when the schema is complete)."""
        env = self.database.env_for(name)
        if not self._create_tables:
            env["CREATE_TABLE"] = env[f"{name.upper()}_CREATE_TABLE"] = "false"
        return env

    def _construct_view(self, name: str) -> Any:
        factory = InfrastructureFactory.construct(Environment(name, self.view_env(name)))
        if self.database.backend == "sqlite":
            view_class: type = SQLiteTimelineView
        else:
            from ledger.projections.postgres import PostgresTimelineView as view_class
        self._view_factory = factory
        try:
            return factory.tracking_recorder(view_class)
        except IntegrityError:
            # Two processes created a fresh SQLite ledger at the same moment: eventsourcing's
            # tracking table inserts its one migration row on creation, and the second insert
            # fails. The table now exists; constructing again finds it and inserts nothing.
            return factory.tracking_recorder(view_class)

    @property
    def view(self) -> Any:
        return self.projection.view

    def close(self) -> None:
        self.app.close()
        self._view_factory.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- projections -------------------------------------------------------------------

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Bring the timeline projection up to the end of the event log."""
        processed = self.catch_up_view(self.view, progress)
        self.view.create_deferred_indexes()  # after reset_projection: once every row is in
        if processed >= STATISTICS_AFTER_EVENTS:
            self.view.refresh_statistics()
        return processed

    def catch_up_view(self, view: Any, progress: Callable[[int, int], None] | None = None,
                      stop: int | None = None) -> int:
        """Apply every event after the view's tracking position (up to ``stop``); returns events processed.

        Pages of events are applied in one transaction each, tracked by the position of
        their last event; a concurrent catch-up by another process is detected and the
        page re-read, so each event is applied exactly once.

        A view loading after ``reset_projection`` (``indexes_deferred``) takes larger pages, and
        each is written by a thread while this one reads the next and turns it into rows (the
        database's work and the Python overlap). Pages still commit one after the other, each
        expecting the position the one before leaves: when one fails, the page built meanwhile
        is dropped and the position read again.
        """
        bulk = bool(getattr(view, "indexes_deferred", False))
        processed = attempts = 0
        end = None
        position = view.max_tracking_id(self.app.name)  # what the next page expects
        pending: tuple[Future[None], int, int] | None = None  # a page being written: its last position, events

        def settled() -> bool:
            """Wait for the page being written; False when it failed and the log must be read again."""
            nonlocal pending, processed, attempts, position
            assert pending is not None
            (write, last, count), pending = pending, None
            try:
                write.result()
            except (StalePositionError, IntegrityError, OperationalError):
                attempts += 1
                if attempts > 50:
                    raise
                time.sleep(0.01 * attempts)
                position = view.max_tracking_id(self.app.name)
                return False
            processed += count
            if progress is not None:
                progress(last, max(end or 0, last))
            return True

        with collector_paused(), ThreadPoolExecutor(1, thread_name_prefix="ledger-view") as writer:
            while True:
                if pending is not None and not bulk and not settled():
                    continue
                notifications = [] if stop is not None and (position or 0) >= stop else \
                    self.app.recorder.select_notifications(position or 0, REBUILD_PAGE if bulk else CATCH_UP_PAGE,
                                                           stop=stop, inclusive_of_start=False)
                changes = self._changes(notifications)
                if pending is not None and not settled():
                    continue  # the page just built expected a position that was not reached
                if not notifications:
                    return processed
                if progress is not None and end is None:
                    end = self.app.recorder.max_notification_id() or 0
                last = notifications[-1].id
                tracking = Tracking(self.app.name, last)
                write = writer.submit if bulk else _run_now
                pending = (write(view.apply, changes, tracking, position), last, len(notifications))
                position = last

    def _changes(self, notifications: list[Any]) -> list[Any]:
        """The projection's changes for a page of stored events: each decoded straight from its
        state where that is faithful (``event_state``), else through the mapper; the same rules
        either way (``ledger.projections.timeline.RULES``)."""
        projection, mapper = self.projection, self.app.mapper
        changes: list[Any] = []
        for notification in notifications:
            state = event_state(notification)
            if state is None:
                changes += projection.changes(mapper.to_domain_event(notification), notification.id)
            else:
                changes += projection.changes_from_state(notification.topic, state, notification.id)
        return changes

    def reset_projection(self) -> None:
        """Drop the projection's tables and tracking (one transaction); catch_up rebuilds them.

        On PostgreSQL the grants other roles hold on those tables (``ledger db roles``) are
        read first and given again to the new tables. The secondary indexes are left out until
        that catch-up has applied every event (a bulk load is faster without them); it then
        creates them.
        """
        grants = self._projection_grants() if self.database.backend == "postgres" else []
        self.view.reset(self.app.name, defer_indexes=True)
        if grants:
            import psycopg

            with psycopg.connect(**self.database.psycopg_conninfo()) as conn:
                for statement in grants:
                    conn.execute(statement.encode())

    def _projection_grants(self) -> list[str]:
        """GRANT statements that restore what roles other than the owner hold on the projection tables."""
        import psycopg

        tables = [*TimelineSQL.tables, f"{TimelineProjection.name}_tracking"]
        with psycopg.connect(**self.database.psycopg_conninfo()) as conn:
            rows = conn.execute(
                "SELECT c.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, "
                "a.privilege_type FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
                "WHERE n.nspname = %s AND c.relname = ANY(%s) AND a.grantee <> c.relowner",
                (self.database.schema, tables),
            ).fetchall()
        schema = '"' + self.database.schema.replace('"', '""') + '"'
        return [f'GRANT {privilege} ON {schema}."{table}" TO {grantee}' for table, grantee, privilege in rows]

    # --- recording ---------------------------------------------------------------------

    def record(self, documents: Iterable[Located | InputProblem], recorded_by: str | None = None, *,
               batch_size: int = 1000, batch_commit: bool = False,
               progress: Progress | None = None) -> RecordResult:
        """Check every document against the ledger and append them, all or nothing.

        ``documents`` may be a stream (see :func:`ledger.inputs.iter_inputs`); problems
        found while reading it are reported with the rest. See :mod:`ledger.ingest`.
        """
        from ledger.ingest import Ingest

        ingest = Ingest(self, recorded_by or default_recorder(), batch_size, batch_commit, progress)
        return ingest.run(documents)

    def correct(self, statement_id: str, item: Located, reason: str,
                recorded_by: str | None = None) -> None:
        """Record a corrected document for a statement (a recording error fixed)."""
        document_model: StatementDocument = item.document  # type: ignore[assignment]
        if document_model.id not in (None, statement_id):
            raise InputError([item.problem(("id",), (
                f"the corrected document has id {document_model.id!r}, "
                f"but it corrects {statement_id!r}; leave id out or make them equal"
            ))])
        document = document_model.model_copy(update={"id": statement_id}).document()
        existing = self._get_statement(statement_id)
        if existing.retracted:
            raise InputError([item.problem((), (
                f"statement {statement_id!r} is retracted; record a new statement instead"
            ))])
        if existing.document == document:
            raise InputError([item.problem((), "the document is the same as recorded: nothing to correct")])
        matter = self._get(Matter, matter_uuid(document["matter"]))
        if matter is None:
            raise InputError([item.problem(("matter",), f"unknown matter {document['matter']!r}")])
        from ledger.ingest import (statement_against_matter, statement_events_spans,
                                   statement_evidence_problems)

        problems = statement_against_matter(item, document_model, matter.document)
        problems += statement_evidence_problems(item, document_model)
        problems += self._link_problems(item, statement_id, document_model)
        if problems:
            raise InputError(problems)
        existing.correct(document=document, recorded_by=recorded_by or default_recorder(),
                         reason=_reason(reason), spans=statement_events_spans(document))
        self.app.save(existing)

    def link(self, statement_id: str, link_type: str, target: str, reason: str,
             recorded_by: str | None = None) -> None:
        """Record that ``statement_id`` (A) ``link_type`` ``target`` (B): a ``Linked`` event on
        A (``ledger link A denies B --reason TEXT``). B must be in the ledger; an ``updates``
        link may not close a cycle."""
        from ledger.domain.links import LinkError, cycle_message

        existing = self._get_statement(statement_id)
        self._get_statement(target)  # NotFoundError if unknown
        if link_type == "updates":
            path = self._updates_path(target, statement_id)
            if path:
                raise StateError(cycle_message([statement_id, *path]))
        try:
            existing.link(link_type, target, reason=_reason(reason),
                          recorded_by=recorded_by or default_recorder())
        except LinkError as e:
            raise StateError(str(e)) from None
        self.app.save(existing)

    def unlink(self, statement_id: str, link_type: str, target: str, reason: str,
               recorded_by: str | None = None) -> None:
        """Record that a standing link no longer holds: an ``Unlinked`` event on A."""
        from ledger.domain.links import LinkError

        existing = self._get_statement(statement_id)
        try:
            existing.unlink(link_type, target, reason=_reason(reason),
                          recorded_by=recorded_by or default_recorder())
        except LinkError as e:
            raise StateError(str(e)) from None
        self.app.save(existing)

    def _link_problems(self, item: Located, statement_id: str,
                       document: StatementDocument) -> list[InputProblem]:
        """A corrected document's links: targets in the ledger, no cycle of updates (found by
        following the targets' own updates links, statement by statement)."""
        from ledger.domain.links import cycle_message, unknown_targets

        links = [(link.type, link.statement) for link in document.links]
        problems = [item.problem(path, message) for path, message in unknown_targets(
            links, lambda target: self._get(Statement, statement_uuid(target)) is not None)]
        for index, (link_type, target) in enumerate(links):
            if link_type != "updates" or problems:
                continue
            path = self._updates_path(target, statement_id)
            if path:
                problems.append(item.problem(("links", index, "statement"),
                                             cycle_message([statement_id, *path])))
        return problems

    def _updates_path(self, start: str, goal: str) -> list[str] | None:
        """The chain of updates links from ``start`` to ``goal`` in the ledger, if any."""
        seen: set[str] = set()
        stack = [[start]]
        while stack:
            path = stack.pop()
            if path[-1] == goal:
                return path
            if path[-1] in seen:
                continue
            seen.add(path[-1])
            aggregate = self._get(Statement, statement_uuid(path[-1]))
            if aggregate is not None:
                stack += [path + [target] for link_type, target in aggregate.links if link_type == "updates"]
        return None

    def retract(self, statement_id: str, reason: str, recorded_by: str | None = None) -> None:
        """Record that a statement no longer counts (recorded in error or withdrawn)."""
        existing = self._get_statement(statement_id)
        if existing.retracted:
            raise StateError(f"statement {statement_id!r} is already retracted")
        existing.retract(statement_id=statement_id, recorded_by=recorded_by or default_recorder(),
                         reason=_reason(reason))
        self.app.save(existing)

    def rank(self, statement_id: str, rank: str, reason: str, recorded_by: str | None = None) -> None:
        """Rank a statement, as in Wikidata (``preferred``, ``normal``, ``deprecated``): an event,
        so known-at replays the ranking of the time (docs/replay.md)."""
        existing = self._get_statement(statement_id)
        problem = rank_problem(rank, reason or "", existing.rank, existing.retracted)
        if problem is not None:
            error = UsageProblem if rank not in RANKS or not (reason or "").strip() else StateError
            raise error(f"statement {statement_id!r}: {problem}")
        existing.set_rank(rank, _reason(reason), recorded_by or default_recorder())
        self.app.save(existing)

    def _get_statement(self, statement_id: str) -> Statement:
        existing = self._get(Statement, statement_uuid(statement_id))
        if existing is None:
            raise NotFoundError(f"no statement {statement_id!r} in the ledger")
        return existing

    def find(self, cls: type[Any], aggregate_id: UUID) -> Any:
        """The aggregate with this id as recorded (of class ``cls``), or None."""
        try:
            aggregate = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(aggregate, cls)
        return aggregate

    _get = find  # the former private name
