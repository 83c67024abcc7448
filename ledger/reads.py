"""The read side as the web view and the Python API see it: ONE adapter, so that moving
them onto the read model (issue 10's ``Snapshot`` and result models) is a change to this
file only.

Today every method calls the query functions of :mod:`ledger.queries` and
:mod:`ledger.audit` and returns what the CLI's ``--format json`` prints for the same
question (the same dicts), so CLI, web and Python answer alike. Methods marked
REPLACE-WITH-ISSUE-11 compute ``series`` and ``diff`` from replayed statuses until the
commands of issue 11 exist; their shapes will then be those commands' JSON.

Parameters arrive as text from URLs and notebooks; :func:`snapshot` checks them and
raises :class:`BadParameter` naming the field, which the web layer turns into a 422.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from ledger.queries import NotFoundError

__all__ = ["POLICIES", "BadParameter", "NotFoundError", "Reader", "Snapshot", "snapshot"]

# Replay policies this ledger can apply (issue 11 adds conservative and estimate).
POLICIES: tuple[str, ...] = ("latest",)
DEFAULT_POLICY = "latest"
STEPS = ("day", "week", "month", "year")
MAX_SERIES_POINTS = 400
_DRAWING = threading.Lock()  # matplotlib's rc_context changes global settings: one chart at a time


class BadParameter(ValueError):
    """A parameter that cannot be used; ``field`` names it (as in the URL or the keyword)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Snapshot:
    """What a replay is asked for: statements made by ``as_of``, as the ledger knew them at
    ``known_at`` (None: now), under ``policy``. Stand-in for the read model's Snapshot."""

    as_of: dt.date
    known_at: str | None = None
    policy: str = DEFAULT_POLICY

    def params(self) -> dict[str, str]:
        """The snapshot as URL parameters (a permalink reproduces the answer)."""
        out = {"as_of": self.as_of.isoformat(), "policy": self.policy}
        if self.known_at:
            out["known_at"] = self.known_at
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
    from ledger.audit import parse_timestamp

    if isinstance(value, dt.datetime):
        value = value.isoformat()
    elif isinstance(value, dt.date):
        value = value.isoformat()
    try:
        return parse_timestamp(str(value))
    except ValueError as e:
        raise BadParameter(field, str(e)) from None


def parse_policy(value: Any, field: str = "policy") -> str:
    policy = DEFAULT_POLICY if value in (None, "") else str(value)
    if policy not in POLICIES:
        raise BadParameter(field, f"unknown policy {policy!r} (available: {', '.join(POLICIES)})")
    return policy


def snapshot(as_of: Any = None, known_at: Any = None, policy: Any = None) -> Snapshot:
    """A checked snapshot from text or Python values; ``as_of`` defaults to today (as the CLI)."""
    day = dt.date.today() if as_of in (None, "") else parse_date(as_of, "as_of")
    return Snapshot(day, parse_known_at(known_at), parse_policy(policy))


def _figure_value(figure: dict[str, Any] | None) -> Any:
    if figure is None:
        return None
    return [figure["low"], figure["high"]] if figure["qualifier"] == "range" else figure["value"]


class Reader:
    """Answers read questions for one ledger; safe to share between threads.

    ``catch_up``: bring the projection up to date before answering (at most once a
    ``catch_up_every`` seconds), as the CLI does by default; off for a replica or with a
    ``ledger follow`` process, and for the read-only auditor role.
    """

    def __init__(self, url: str | None = None, catch_up: bool = True, catch_up_every: float = 1.0) -> None:
        from ledger.application import Ledger

        self.ledger = Ledger(url)
        self.catch_up = catch_up
        self.catch_up_every = catch_up_every
        self._caught_up_at = 0.0
        self._lock = threading.Lock()

    def close(self) -> None:
        self.ledger.close()

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
        from ledger import queries

        return queries.matters(self.view)

    def matter(self, matter: str | None) -> dict[str, Any]:
        """The matter's document (title, categories with kind and description, relations)."""
        from ledger import queries

        return queries.matter_document(self.view, matter)

    def status(self, matter: str | None, snap: Snapshot, stale_days: int | None = None) -> dict[str, Any]:
        """As ``ledger status --format json``."""
        from ledger import queries

        report = queries.status(self.view, matter, snap.as_of, snap.known_at, stale_days, policy=snap.policy)
        return report

    def check(self, matter: str | None, snap: Snapshot,
              stale_days: int | None = None) -> list[dict[str, Any]]:
        """As ``ledger check --format json``."""
        from ledger import queries

        return queries.check(self.view, matter, snap.as_of, snap.known_at, stale_days, policy=snap.policy)

    def history(self, matter: str | None, category: str, snap: Snapshot | None) -> dict[str, Any]:
        """As ``ledger history CATEGORY --format json`` (``snap`` None: every statement, known now)."""
        from ledger import queries

        if snap is None:
            return queries.history(self.view, matter, category)
        return queries.history(self.view, matter, category, snap.as_of, snap.known_at)

    def trace(self, matter: str | None, category: str, snap: Snapshot) -> dict[str, Any]:
        """As ``ledger trace CATEGORY --format json``."""
        from ledger import audit

        return audit.trace(self.view, matter, category, snap.as_of, snap.known_at)

    def series(self, matter: str | None, start: dt.date, end: dt.date, every: str, snap: Snapshot,
               category: str | None = None) -> dict[str, Any]:
        """REPLACE-WITH-ISSUE-11 (``ledger series``): the status replayed at each step from
        ``start`` to ``end``, one row per (date, category)."""
        if every not in STEPS:
            raise BadParameter("every", f"{every!r} is not one of {', '.join(STEPS)}")
        if end < start:
            raise BadParameter("to", f"{end} is before from={start}")
        days = _steps(start, end, every)
        if len(days) > MAX_SERIES_POINTS:
            raise BadParameter("every", f"{len(days)} steps from {start} to {end}; at most "
                                        f"{MAX_SERIES_POINTS}: use a longer step")
        document = self.matter(matter)
        if category is not None and category not in document["categories"]:
            raise NotFoundError(f"matter {document['id']!r} has no category {category!r} "
                                f"(categories: {', '.join(document['categories'])})")
        rows = []
        for day in days:
            report = self.status(document["id"], Snapshot(day, snap.known_at, snap.policy))
            for name, figure in report["figures"].items():
                if category is not None and name != category:
                    continue
                derived = report["derived"].get(name)
                rows.append({
                    "date": day.isoformat(), "category": name, "value": _figure_value(figure),
                    "qualifier": figure["qualifier"] if figure else None,
                    "low": figure.get("low") if figure else None,
                    "high": figure.get("high") if figure else None,
                    "figure_as_of": figure["as_of"] if figure else None,
                    "statement": figure["statement"] if figure else None,
                    "organization": figure["source"]["organization"] if figure else None,
                    "person": figure["source"]["person"] if figure else None,
                    "derived": derived["text"] if derived else None,
                })
        return {"matter": document["id"], "from": start.isoformat(), "to": end.isoformat(), "every": every,
                "known_at": snap.known_at, "policy": snap.policy, "rows": rows}

    def diff(self, matter: str | None, start: dt.date, end: dt.date, snap: Snapshot) -> dict[str, Any]:
        """REPLACE-WITH-ISSUE-11 (``ledger diff``): per category the standing figure at each
        date, and the discrepancies opened and closed between them."""
        document = self.matter(matter)
        before = self.status(document["id"], Snapshot(start, snap.known_at, snap.policy))
        after = self.status(document["id"], Snapshot(end, snap.known_at, snap.policy))
        categories = []
        for name in document["categories"]:
            old, new = before["figures"].get(name), after["figures"].get(name)
            changed = (old or {}).get("statement") != (new or {}).get("statement") or \
                _figure_value(old) != _figure_value(new)
            categories.append({"category": name, "from": old, "to": new, "changed": changed,
                               "derived_from": (before["derived"].get(name) or {}).get("text"),
                               "derived_to": (after["derived"].get(name) or {}).get("text")})

        def key(item: dict[str, Any]) -> tuple[Any, ...]:
            return (item["kind"], tuple(item["categories"]), tuple(item["statements"]), item.get("relation"))

        was = {key(d): d for d in before["discrepancies"]}
        now = {key(d): d for d in after["discrepancies"]}
        return {"matter": document["id"], "from": start.isoformat(), "to": end.isoformat(),
                "known_at": snap.known_at, "policy": snap.policy, "categories": categories,
                "opened": [d for k, d in now.items() if k not in was],
                "closed": [d for k, d in was.items() if k not in now]}

    def statement_dates(self, matter: str, known_at: str | None) -> list[str]:
        """The distinct days on which the matter's statements were made (the slider's stops)."""
        from ledger.readmodel import Snapshot as Rule

        rows = self.view.query(
            "SELECT DISTINCT stated_end FROM {ledger_statements} WHERE matter_id = :m "
            f"AND stated_end IS NOT NULL AND {Rule(known_at=known_at).in_force()}",
            {"m": matter, "known_at": known_at})
        return sorted(r["stated_end"] for r in rows)

    def recording_days(self, matter: str) -> list[str]:
        """The days on which the matter's statements were recorded (the known-at selector's stops)."""
        rows = self.view.query(
            "SELECT DISTINCT substr(recorded_at, 1, 10) AS day FROM {ledger_statements} WHERE matter_id = :m",
            {"m": matter})
        return sorted(r["day"] for r in rows)

    def chart_svg(self, matter: str, categories: list[str] | None, snap: Snapshot) -> str | None:
        """The report's chart (inline SVG) of the matter, or None without matplotlib."""
        from ledger import plot

        try:
            plot.require_matplotlib()
        except plot.PlotUnavailableError:
            return None
        data = plot.chart_data(self.view, matter, categories, snap.as_of, snap.known_at)
        with _DRAWING:
            return plot.svg_text(plot.draw(data))

    # --- statements, sources, the log --------------------------------------------------------

    def statement(self, statement_id: str, known_at: str | None = None) -> dict[str, Any]:
        """As ``ledger show ID --format json``; ``links`` and ``spans`` are filled once the
        evidence issue records them (empty lists until then)."""
        from ledger import queries

        held = queries.statement(self.view, statement_id, known_at)
        held.setdefault("links", [])
        held.setdefault("spans", [])
        return held

    def sources(self, matter: str | None = None, known_at: str | None = None) -> list[dict[str, Any]]:
        """As ``ledger sources --format json``."""
        from ledger import queries

        return queries.sources(self.view, matter, known_at)

    def audit_source(self, source: str, snap: Snapshot) -> dict[str, Any]:
        """As ``ledger audit --source TEXT --format json``."""
        from ledger import audit

        return audit.audit(self.view, source, snap.as_of, snap.known_at)

    def log(self, since: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """As ``ledger log --format json``."""
        from ledger import audit

        return audit.log(self.ledger, since, limit)

    def head(self) -> dict[str, Any]:
        """Where the answers come from: the last event applied to the view (position and
        chain hash), and the last event of the log (they differ while the view lags).

        REPLACE-WITH-INTEGRITY: the integrity module's log-head function."""
        self._fresh()
        recorder = self.ledger.app.recorder
        view_position = self.ledger.view.max_tracking_id(self.ledger.app.name) or 0
        log_position = recorder.max_notification_id() or 0
        link = recorder.select_chain(view_position - 1, 1) if view_position else []
        return {"position": view_position,
                "hash": link[0][1] if link and link[0][0] == view_position else None,
                "log_position": log_position, "lag": max(log_position - view_position, 0)}

    # --- writing (Python API only; the web is read-only) -------------------------------------

    def record(self, paths: list[str], recorded_by: str | None = None) -> dict[str, Any]:
        """As ``ledger record PATHS --format json``: all or nothing."""
        from ledger.inputs import iter_inputs

        result = self.ledger.record(iter_inputs(paths), recorded_by=recorded_by)
        if self.catch_up:
            self.ledger.catch_up()
            self._caught_up_at = time.monotonic()
        return dict(vars(result))


def _steps(start: dt.date, end: dt.date, every: str) -> list[dt.date]:
    """Dates from ``start`` to ``end`` (both included) every day, week, month or year; a
    month or year step keeps the day of the month where the month has it, else its last."""
    import calendar

    days: list[dt.date] = []
    i = 0
    while True:
        if every == "day":
            day = start + dt.timedelta(days=i)
        elif every == "week":
            day = start + dt.timedelta(weeks=i)
        else:
            months = i if every == "month" else 12 * i
            year, month = divmod(start.month - 1 + months, 12)
            year += start.year
            month += 1
            day = dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
        if day > end or len(days) > MAX_SERIES_POINTS:
            break
        days.append(day)
        i += 1
    if days and days[-1] != end and len(days) <= MAX_SERIES_POINTS:
        days.append(end)
    return days
