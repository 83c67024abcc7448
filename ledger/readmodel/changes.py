"""What changed: ``diff`` between two replays and ``series`` of replays (issue 11).

Both are built on :meth:`TimelineReadModel.status <ledger.readmodel.timeline.TimelineReadModel.status>`
so that they show exactly what ``status`` shows at each snapshot (the same ordering,
policy, derived figures and discrepancies); nothing here decides which figure stands.
``series`` asks :meth:`~ledger.readmodel.status.StatusQueries.statuses` (the matter read
once, each day answered in memory).

* :func:`diff`: two snapshots of one matter, either two days (``--from``/``--to``, same
  knowledge) or one day at two moments of knowledge (``--known-at``/``--known-at-to``):
  per category the standing or derived figure on each side with the statements behind
  it, whether it changed, and the discrepancies opened and closed between the sides.
* :func:`series`: the replay at each step of :func:`ledger.domain.steps.steps`, one row
  per (date, category). The picture of a day depends only on which statements were made
  and which dates they describe by then, so the replay is run once per *change date*
  (a statement's date or a described date inside the span) and filled forward to the
  steps: a year by day on a ledger with ten statement dates is about ten replays, not
  365 (``scripts/bench.py`` measures both; a test checks they agree).
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

from ledger.domain.intervals import Interval
from ledger.domain.steps import steps
from ledger.readmodel.audit import source_label
from ledger.readmodel.snapshot import Snapshot

Row = dict[str, Any]

SERIES_COLUMNS = ("date", "category", "value", "low", "best", "high", "qualifier", "statement", "source",
                  "derived")
"""Columns of a series row (CSV header order). ``pandas.read_csv(..., parse_dates=["date"])``
gives: date datetime64, category/qualifier/statement/source text (str; object in pandas 2), value/low/best/high
float64 (NaN when absent or unbounded), derived bool."""


def discrepancy_key(item: Row) -> tuple[Any, ...]:
    """The identity of a discrepancy across replays (as ``check`` follows them)."""
    return (item["kind"], tuple(item["categories"]), tuple(item["statements"]), item.get("relation"))


def _side(report: Row, category: str) -> Row:
    figure = report["figures"].get(category)
    derived = report["derived"].get(category)
    if figure is not None:
        statements = list(figure.get("statements") or [figure["statement"]])  # a policy's window: all of them
    elif derived is not None:
        statements = list(derived["statements"])
    else:
        statements = []
    return {"figure": figure, "derived": derived, "no_figure": report["no_figure"].get(category),
            "statements": statements}


def _numbers(side: Row) -> Any:
    """What a side says, for comparison (recording times and wording aside)."""
    if side["figure"] is not None:
        f = side["figure"]
        return ("figure", f["statement"], f["value"], f["qualifier"], f.get("low"), f.get("best"), f.get("high"),
                f["as_of"])
    if side["derived"] is not None:
        d = side["derived"]
        return ("derived", d["value"], d["low"], d.get("best"), d["high"], tuple(d["statements"]))
    return ("none", side["no_figure"])


def compare(before: Row, after: Row, mode: str) -> Row:
    """The diff of two status results of one matter."""
    categories = []
    for name in after["figures"]:
        old, new = _side(before, name), _side(after, name)
        categories.append({"category": name, "changed": _numbers(old) != _numbers(new), "from": old, "to": new})
    was = {discrepancy_key(d): d for d in before["discrepancies"]}
    now = {discrepancy_key(d): d for d in after["discrepancies"]}
    return {
        "matter": after["matter"], "title": after["title"], "mode": mode,
        "from": {"as_of": before["as_of"], "known_at": before["known_at"]},
        "to": {"as_of": after["as_of"], "known_at": after["known_at"]},
        "categories": categories,
        "opened": [d for k, d in now.items() if k not in was],
        "closed": [d for k, d in was.items() if k not in now],
    }


def diff(model: Any, matter_id: str | None, start: Snapshot, end: Snapshot,
         stale_days: int | None = None) -> Row:
    """``ledger diff``: the status at ``start`` against the status at ``end``.

    ``mode`` is ``dates`` when the sides differ in day (same knowledge) and ``knowledge``
    when they share a day and differ in ``known_at`` (what the ledger learned)."""
    before = model.status(matter_id, start, stale_days)
    after = model.status(before["matter"], end, stale_days)
    mode = "knowledge" if start.day == end.day and start.known_at != end.known_at else "dates"
    return {**compare(before, after, mode), "policy": end.policy, "window_days": end.window_days}


def figure_numbers(figure: Row | None, derived: Row | None) -> dict[str, int | None]:
    """low/best/high of a standing or derived figure (``best`` null when unknown): a status
    figure's are the policy's numbers (an ``estimate`` spans its window), as ``status`` gives them."""
    if figure is not None:
        if "best" in figure:
            return {"low": figure["low"], "best": figure["best"], "high": figure["high"]}
        interval = Interval.of_figure(figure["qualifier"], figure["value"], figure.get("low"), figure.get("high"))
        return interval.estimate()
    if derived is not None:
        if derived["value"] is not None:
            return {"low": derived["value"], "best": derived["value"], "high": derived["value"]}
        return {"low": derived["low"], "best": derived.get("best"), "high": derived["high"]}
    return {"low": None, "best": None, "high": None}


def series_rows(report: Row, day: str, category: str | None = None) -> list[Row]:
    """The rows of one replayed status (one per category, or only ``category``)."""
    rows = []
    for name, figure in report["figures"].items():
        if category is not None and name != category:
            continue
        derived = None if figure is not None else report["derived"].get(name)
        numbers = figure_numbers(figure, derived)
        if figure is not None:
            row = {"value": figure["value"], "qualifier": figure["qualifier"], "statement": figure["statement"],
                   "source": source_label(figure["source"]), "derived": False}
        elif derived is not None:
            row = {"value": derived["value"], "qualifier": "derived", "statement": " ".join(derived["statements"]),
                   "source": None, "derived": True}
        else:
            row = {"value": None, "qualifier": None, "statement": None, "source": None, "derived": False}
        rows.append({"date": day, "category": name, **row, **numbers})
    return [{c: r[c] for c in SERIES_COLUMNS} for r in rows]


def change_dates(model: Any, matter_id: str, start: dt.date, end: dt.date, snapshot: Snapshot) -> list[str]:
    """Days after ``start`` and up to ``end`` on which the picture can change: a statement's
    date, or a date a figure describes (start and end of its period)."""
    rows = model.view.query(
        "SELECT DISTINCT stated_end AS d FROM {ledger_statements} WHERE matter_id = :m "
        f"AND stated_end > :a AND stated_end <= :b AND {snapshot.recorded()} "
        "UNION SELECT DISTINCT as_of_end AS d FROM {ledger_figures} WHERE matter_id = :m "
        f"AND as_of_end > :a AND as_of_end <= :b AND {snapshot.recorded()}",
        {"m": matter_id, "a": start.isoformat(), "b": end.isoformat(), **snapshot.params()})
    return sorted({r["d"] for r in rows if r["d"] is not None})


def series(model: Any, matter_id: str | None, start: dt.date, end: dt.date, every: str, snapshot: Snapshot,
           category: str | None = None, every_step: bool = False) -> Row:
    """``ledger series``: the replayed status at each step, one row per (date, category).

    Replays once per change date and fills forward (see the module docstring);
    ``every_step`` replays at every step instead (for tests and benchmarks)."""
    days = list(steps(start, end, every))  # ValueError names the problem
    if category is not None:
        model._category(matter_id, category, snapshot.on(end))
    matter = model.matter(matter_id, snapshot.on(end))
    changes = change_dates(model, matter["id"], start, end, snapshot)
    keys = []
    for day in days:
        if every_step:
            keys.append(day.isoformat())
        else:  # the latest change date on or before the day, else the start
            i = bisect.bisect_right(changes, day.isoformat())
            keys.append(changes[i - 1] if i else start.isoformat())
    replays = dict(model.statuses(matter["id"], snapshot, sorted(set(keys))))
    rows: list[Row] = []
    for day, key in zip(days, keys, strict=True):
        rows += series_rows(replays[key], day.isoformat(), category)
    return {"matter": matter["id"], "from": start.isoformat(), "to": end.isoformat(), "every": every,
            "category": category, "known_at": snapshot.known_at, "policy": snapshot.policy,
            "window_days": snapshot.window_days,
            "replays": len(replays), "rows": rows}
