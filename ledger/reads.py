"""The read side as the web view and the Python API see it: one adapter over the read model.

Every method asks :class:`ledger.readmodel.TimelineReadModel` with a
:class:`ledger.readmodel.Snapshot`, exactly as the CLI's commands do, and returns the
data its ``--format json`` prints (shapes: :mod:`ledger.readmodel.results`), so CLI, web
and Python answer alike. The log head comes from the integrity package
(:func:`ledger.integrity.head.log_head`). ``series`` and ``diff`` call the read model's
:mod:`ledger.readmodel.changes` (issue 11), as ``ledger series``/``ledger diff`` do.

Parameters arrive as text from URLs and notebooks; :func:`snapshot` checks them and
raises :class:`BadParameter` naming the field, which the web layer turns into a 422.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from dataclasses import replace
from typing import Any

from ledger.domain.policies import DEFAULT_POLICY, MAX_WINDOW_DAYS, POLICIES
from ledger.errors import NotFoundError
from ledger.readmodel import Snapshot, TimelineReadModel

__all__ = ["POLICIES", "BadParameter", "NotFoundError", "Reader", "Snapshot", "parse_window", "snapshot",
           "url_params"]

STEPS = ("day", "week", "month", "year")
MAX_SERIES_POINTS = 400
_DRAWING = threading.Lock()  # matplotlib's rc_context changes global settings: one chart at a time


class BadParameter(ValueError):
    """A parameter that cannot be used; ``field`` names it (as in the URL or the keyword)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def url_params(snap: Snapshot) -> dict[str, str]:
    """The snapshot as URL parameters (a permalink reproduces the answer)."""
    out = {"as_of": snap.day, "policy": snap.policy}
    if snap.window_days:
        out["window"] = str(snap.window_days)
    if snap.known_at:
        out["known_at"] = snap.known_at
    return out


def parse_date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    from ledger.domain.dates import parse_day

    try:
        return parse_day(str(value).strip())
    except ValueError as e:
        raise BadParameter(field, f"{value!r} is not a date ({e}); use YYYY, YYYY-MM or YYYY-MM-DD") from None


def parse_known_at(value: Any, field: str = "known_at") -> str | None:
    if value is None or value == "":
        return None
    from ledger.readmodel import parse_timestamp

    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    try:
        return parse_timestamp(str(value))
    except ValueError as e:
        raise BadParameter(field, str(e)) from None


def parse_policy(value: Any, field: str = "policy") -> str:
    """One of :data:`ledger.domain.policies.POLICIES` (default ``latest``)."""
    policy = DEFAULT_POLICY if value in (None, "") else str(value)
    if policy not in POLICIES:
        raise BadParameter(field, f"unknown policy {policy!r} (available: {', '.join(POLICIES)})")
    return policy


def parse_window(value: Any, field: str = "window") -> int:
    """``window``: whole days, 0 or more (default 0), as ``--window DAYS``."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadParameter(field, f"{value!r} is not a number of days; use a whole number, 0 or more")
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]+", text):
        raise BadParameter(field, f"{value!r} is not a number of days; use a whole number, 0 or more")
    days = int(text)
    if days < 0:
        raise BadParameter(field, f"{days} is negative; the window is 0 days or more")
    if days > MAX_WINDOW_DAYS:
        raise BadParameter(field, f"{days} days is more than {MAX_WINDOW_DAYS} (about a thousand years)")
    return days


def snapshot(as_of: Any = None, known_at: Any = None, policy: Any = None, window: Any = None) -> Snapshot:
    """A checked snapshot from text or Python values; ``as_of`` defaults to today (as the CLI)."""
    day = dt.date.today() if as_of in (None, "") else parse_date(as_of, "as_of")
    return Snapshot(day, parse_known_at(known_at), parse_policy(policy), parse_window(window))


class Reader:
    """Answers read questions for one ledger; safe to share between threads. One per
    process: its ledger (and so its connection pool) and its read model are built once.

    ``catch_up``: bring the projection up to date before answering (at most once a
    ``catch_up_every`` seconds), as the CLI does by default; off for a replica or with a
    ``ledger follow`` process, and for the read-only auditor role.
    """

    def __init__(self, url: str | None = None, catch_up: bool = True, catch_up_every: float = 1.0) -> None:
        from ledger.application import Ledger

        self.ledger = Ledger(url)
        self._model = TimelineReadModel(self.ledger.view)
        self.catch_up = catch_up
        self.catch_up_every = catch_up_every
        self._caught_up_at = 0.0
        self._lock = threading.Lock()

    def close(self) -> None:
        self.ledger.close()

    @property
    def model(self) -> TimelineReadModel:
        """The read model, its projection brought up to date first (see ``catch_up``)."""
        self._fresh()
        return self._model

    @property
    def view(self) -> Any:
        self._fresh()
        return self.ledger.view

    def _fresh(self) -> None:
        if not self.catch_up:
            return
        now = time.monotonic()
        if now - self._caught_up_at < self.catch_up_every:
            return
        with self._lock:
            if time.monotonic() - self._caught_up_at >= self.catch_up_every:
                try:
                    self.ledger.catch_up()
                except Exception as e:
                    if getattr(getattr(e, "__cause__", None), "sqlstate", None) != "42501" and \
                            getattr(e, "sqlstate", None) != "42501":
                        raise
                    # A read-only role (``ledger db roles``' auditor) cannot write the projection:
                    # read it as it is, as with --no-catch-up, and say so once.
                    import sys

                    print("warning: this role cannot update the projections; reading them as they are "
                          "(as with --no-catch-up)", file=sys.stderr)
                    self.catch_up = False
                self._caught_up_at = time.monotonic()

    # --- replays (one Snapshot each) ---------------------------------------------------------

    def matters(self) -> list[dict[str, Any]]:
        """As ``ledger matters --format json``."""
        return self.model.matters()

    def matter(self, matter: str | None) -> dict[str, Any]:
        """The matter's document (title, categories with kind and description, relations)."""
        return self.model.matter(matter)

    def status(self, matter: str | None, snap: Snapshot, stale_days: int | None = None) -> dict[str, Any]:
        """As ``ledger status --format json``."""
        return self.model.status(matter, snap, stale_days)

    def check(self, matter: str | None, snap: Snapshot,
              stale_days: int | None = None) -> list[dict[str, Any]]:
        """As ``ledger check --format json``."""
        return self.model.check(matter, snap, stale_days)

    def history(self, matter: str | None, category: str, snap: Snapshot | None) -> dict[str, Any]:
        """As ``ledger history CATEGORY --format json`` (``snap`` None: every statement, known now)."""
        return self.model.history(matter, category, snap or Snapshot())

    def trace(self, matter: str | None, category: str, snap: Snapshot) -> dict[str, Any]:
        """As ``ledger trace CATEGORY --format json``."""
        return self.model.trace(matter, category, snap)

    def series(self, matter: str | None, start: dt.date, end: dt.date, every: str, snap: Snapshot,
               category: str | None = None) -> dict[str, Any]:
        """As ``ledger series --format json`` (:func:`ledger.readmodel.changes.series`), with
        at most ``MAX_SERIES_POINTS`` steps."""
        from ledger.domain.steps import steps
        from ledger.readmodel.changes import series

        if every not in STEPS:
            raise BadParameter("every", f"{every!r} is not one of {', '.join(STEPS)}")
        if end < start:
            raise BadParameter("to", f"{end} is before from={start}")
        count = sum(1 for _ in steps(start, end, every))
        if count > MAX_SERIES_POINTS:
            raise BadParameter("every", f"{count} steps from {start} to {end}; at most "
                                        f"{MAX_SERIES_POINTS}: use a longer step")
        return series(self.model, matter, start, end, every, replace(snap, as_of=None), category)

    def diff(self, matter: str | None, start: dt.date, end: dt.date, snap: Snapshot,
             known_at_to: str | None = None) -> dict[str, Any]:
        """As ``ledger diff --format json`` (:func:`ledger.readmodel.changes.diff`): from
        ``start`` to ``end`` as known at ``snap.known_at``; with ``known_at_to``, the day
        ``end`` as known at ``snap.known_at`` against as known at ``known_at_to``."""
        from ledger.readmodel.changes import diff

        if known_at_to is not None:
            return diff(self.model, matter, snap.on(end), replace(snap, as_of=end, known_at=known_at_to))
        return diff(self.model, matter, snap.on(start), snap.on(end))

    def statement_dates(self, matter: str, known_at: str | None) -> list[str]:
        """The distinct days on which the matter's statements were made (the slider's stops)."""
        from ledger.readmodel.calendar import statement_dates

        return statement_dates(self.view, matter, Snapshot(known_at=known_at))

    def recording_days(self, matter: str) -> list[str]:
        """The days on which the matter's statements were recorded (the known-at selector's stops)."""
        from ledger.readmodel.calendar import recording_days

        return recording_days(self.view, matter)

    def chart_svg(self, matter: str, categories: list[str] | None, snap: Snapshot) -> str | None:
        """The report's chart (inline SVG) of the matter, or None without matplotlib."""
        from ledger import plot

        try:
            plot.require_matplotlib()
        except plot.PlotUnavailableError:
            return None
        data = plot.chart_data(self.view, matter, categories, snap.as_of, snap.known_at, snap.policy,
                               snap.window_days)
        with _DRAWING:
            return plot.svg_text(plot.draw(data))

    # --- statements, sources, the log --------------------------------------------------------

    def statement(self, statement_id: str, known_at: str | None = None) -> dict[str, Any]:
        """As ``ledger show ID --format json`` (links and spans join once the read model has them)."""
        return self.model.show(statement_id, Snapshot(known_at=known_at))

    def sources(self, matter: str | None = None, known_at: str | None = None) -> list[dict[str, Any]]:
        """As ``ledger sources --format json``."""
        return self.model.source_entities(matter, Snapshot(known_at=known_at))

    def audit_source(self, source: str, snap: Snapshot) -> dict[str, Any]:
        """As ``ledger audit --source TEXT --format json``."""
        return self.model.audit(source, snap)

    def log(self, since: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """As ``ledger log --format json``."""
        from ledger import audit

        return audit.log(self.ledger, since, limit)

    def head(self) -> dict[str, Any]:
        """Where the answers come from: the last event applied to the view (position and
        chain hash, :func:`ledger.integrity.head.log_head`), and the last event of the log
        (they differ while the view lags)."""
        from ledger.integrity.head import log_head

        self._fresh()
        return log_head(self.ledger.app.recorder, self.ledger.view, self.ledger.app.name).as_dict()

    # --- writing (Python API only; the web is read-only) -------------------------------------

    def record(self, paths: list[str], recorded_by: str | None = None) -> dict[str, Any]:
        """As ``ledger record PATHS --format json``: all or nothing."""
        from ledger.inputs import iter_inputs

        result = self.ledger.record(iter_inputs(paths), recorded_by=recorded_by)
        if self.catch_up:
            self.ledger.catch_up()
            self._caught_up_at = time.monotonic()
        return dict(vars(result))
