"""Keeping projections current in a process of their own (``ledger follow``).

On PostgreSQL this is eventsourcing's :class:`~eventsourcing.projection.ProjectionRunner`:
it subscribes to the event store (LISTEN/NOTIFY), and its processing thread applies
each new event to the view, with the tracking record in the same transaction, so a
follower that is killed resumes where its tracking says. Before subscribing, the
backlog is applied in large pages (much faster than one event per transaction).

SQLite has no subscription in eventsourcing 9.5 (``subscribe()`` is not implemented),
so there the follower polls: a catch-up every ``poll`` seconds.

With a follower running, readers can skip their own catch-up (``--no-catch-up`` or
``LEDGER_CATCH_UP=0``) and never wait on it; they see the view as of its tracking
position, which ``ledger lag`` reports.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Tracking

from ledger.application import Ledger, LedgerApp
from ledger.projections.timeline import TimelineProjection
from ledger.projections.views import StalePositionError


class BatchingTimelineProjection(TimelineProjection):
    """The timeline projection for a long-running runner: events arriving together are
    applied together, in one transaction with the tracking record of the last one.

    ``ProjectionRunner`` hands over one event at a time; one transaction per event
    would cap a follower at a few hundred events a second on PostgreSQL. Events are
    buffered and flushed when ``max_batch`` are waiting or ``max_delay`` seconds have
    passed. Buffered events are not tracked until flushed, so a follower killed with a
    full buffer gets them again from its subscription on restart: still exactly once.
    """

    name = TimelineProjection.name  # the same view and tracking table as the timeline itself
    max_batch = 1000
    max_delay = 0.05

    def __init__(self, view: Any) -> None:
        super().__init__(view=view)
        self._lock = threading.Lock()
        self._buffer: list[tuple[Any, Tracking]] = []
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_periodically, daemon=True)
        self._flusher.start()
        self.error: BaseException | None = None

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if self.error is not None:
            raise self.error
        with self._lock:
            self._buffer.append((domain_event, tracking))
            if len(self._buffer) >= self.max_batch:
                self._flush()

    def _flush_periodically(self) -> None:
        while not self._stop.wait(self.max_delay):
            try:
                with self._lock:
                    self._flush()
            except BaseException as e:  # noqa: BLE001 - surfaced on the next event or at close
                self.error = e
                return

    def _flush(self) -> None:
        while self._buffer:
            name = self._buffer[0][1].application_name
            current = self.view.max_tracking_id(name) or 0
            pending = [(e, t) for e, t in self._buffer if t.notification_id > current]
            if not pending:  # another process applied them already
                self._buffer = []
                return
            changes = [c for e, t in pending for c in self.changes(e, t.notification_id)]
            try:
                self.view.apply(changes, pending[-1][1], expected=current or None)
            except StalePositionError:
                continue  # re-read the position and drop what the other process applied
            self._buffer = []

    def close(self) -> None:
        """Stop the flusher and apply what is buffered."""
        self._stop.set()
        self._flusher.join()
        with self._lock:
            self._flush()
        if self.error is not None:
            raise self.error


@dataclass(frozen=True)
class Lag:
    log_position: int  # the last event in the store
    view_position: int  # the last event the view has applied

    @property
    def events(self) -> int:
        return max(self.log_position - self.view_position, 0)


def lag(ledger: Ledger) -> Lag:
    return Lag(ledger.app.recorder.max_notification_id() or 0, ledger.view.max_tracking_id(ledger.app.name) or 0)


def follow(ledger: Ledger, stop: threading.Event, poll: float = 0.5,
           report: Callable[[Lag], None] | None = None, report_every: float = 10.0) -> None:
    """Apply new events to the projection until ``stop`` is set."""
    ledger.catch_up()  # the backlog, in pages
    if ledger.database.backend == "postgres":
        _follow_with_runner(ledger, stop, report, report_every)
    else:
        _follow_by_polling(ledger, stop, poll, report, report_every)


def _follow_by_polling(ledger: Ledger, stop: threading.Event, poll: float,
                       report: Callable[[Lag], None] | None, report_every: float) -> None:
    last_report = time.monotonic()
    while not stop.wait(poll):
        ledger.catch_up()
        if report is not None and time.monotonic() - last_report >= report_every:
            report(lag(ledger))
            last_report = time.monotonic()


def _follow_with_runner(ledger: Ledger, stop: threading.Event,
                        report: Callable[[Lag], None] | None, report_every: float) -> None:
    from eventsourcing.projection import ProjectionRunner

    # the application's settings (as the ledger made them) and the view's, in one mapping
    env: dict[str, Any] = {**ledger.app.env, **ledger.view_env(TimelineProjection.name)}
    from ledger.projections.postgres import PostgresTimelineView

    with ledger.database.schema_lock():
        runner: ProjectionRunner[Any, Any] = ProjectionRunner(
            application_class=LedgerApp, projection_class=BatchingTimelineProjection,
            view_class=PostgresTimelineView, env=env,
        )
    projection: BatchingTimelineProjection = runner.projection  # type: ignore[assignment]
    try:
        with runner:
            last_report = time.monotonic()
            while not stop.is_set():
                runner.run_forever(timeout=0.2)  # re-raises an error of the processing thread
                if projection.error is not None:
                    raise projection.error
                if runner.is_interrupted.is_set() and not stop.is_set():
                    raise RuntimeError("the projection runner stopped")
                if report is not None and time.monotonic() - last_report >= report_every:
                    report(lag(ledger))
                    last_report = time.monotonic()
    finally:
        projection.close()
