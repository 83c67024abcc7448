"""The read model's side of replay (issue 11): fetch the few candidate rows of a timeline and
hand them to the ONE rule, :func:`ledger.domain.replay.replay_timeline`.

Every view that asks which figure stands (status, trace, audit, export, report, plots, the
web API, check) comes through :func:`replay_timelines`, so they cannot disagree.

What is fetched, per timeline (a category and its synonyms), at day ``D``, known-at ``T``
(rows in force at ``T``, stated by ``D``; see :mod:`ledger.domain.ordering`):

- ``H``, the head's start: the greatest ``as_of_start`` among non-deprecated totals. Two
  index scans per category, each stopping at its first row: downward from ``D`` on
  ``ledger_figures_start`` and among the rare forward-looking rows (partial index
  ``ledger_figures_start_forward``);
- the window: totals with ``as_of_end`` in ``[H - window, H]`` (a range scan on
  ``ledger_figures_replay``) plus those whose period contains ``H`` and ends after it, which
  (periods being calendar days, months and years) start on the first day of ``H``'s month
  or year (two equality probes on ``ledger_figures_start``);
- the changes (increments) ending on or after ``H - window - 366`` days (no period is longer
  than a year, so this includes every change the standing total may need), all of them when
  there is no total; a partial index (``ledger_figures_changes``) holds only change rows.

One statement per timeline. Deprecated rows of the window come back with their rank and are
dropped by the domain rule; :func:`admissible` is the single place where the candidate list
can be filtered further (e.g. disputed figures, ``--include-disputed``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.domain.intervals import Interval
from ledger.domain.ordering import Candidate
from ledger.domain.replay import TimelineFigure, replay_timeline
from ledger.domain.staleness import stale_threshold
from ledger.domain.synonyms import timeline_key, timeline_members, timelines
from ledger.readmodel.ranking import not_deprecated_sql, rank_sql
from ledger.readmodel.snapshot import Snapshot
from ledger.readmodel.sql import FIGURE_COLUMNS

Row = dict[str, Any]
Query = Callable[[str, "dict[str, Any] | None"], list[Row]]

CANDIDATE_COLUMNS = ", ".join(f"f.{c.strip()}" for c in FIGURE_COLUMNS.split(",")) + \
    ", f.as_of_start, f.attribution"


@dataclass(frozen=True)
class Replayed:
    """One timeline replayed: the rule's answer, the rows it was chosen from, and the row of
    the standing figure (the total the policy chose), if any."""

    timeline: str
    figure: TimelineFigure
    rows: tuple[Row, ...] = field(default=())

    @property
    def standing(self) -> Row | None:
        chosen = self.figure.standing
        return None if chosen is None else self.row_of(chosen)

    def row_of(self, candidate: Candidate) -> Row:
        return next(r for r in self.rows if r["statement_id"] == candidate.statement
                    and r["category"] == candidate.category and int(r["position"]) == candidate.position)


def _minus_days(expression: str, days: str, postgres: bool) -> str:
    if postgres:
        return f"to_char(CAST({expression} AS date) - CAST({days} AS integer), 'YYYY-MM-DD')"
    return f"date({expression}, '-' || CAST({days} AS integer) || ' days')"


@functools.lru_cache(maxsize=64)
def candidates_sql(members: int, with_known_at: bool, postgres: bool, skipped: int = 0) -> str:
    """The candidate rows of one timeline of ``members`` categories (``:c0``, ``:c1``, ...),
    leaving out the ``skipped`` statements ``:x0``, ``:x1``, ... (disputed: they never head
    the window either)."""
    snapshot = Snapshot(known_at="(bound)" if with_known_at else None)
    visible = f"f.matter_id = :matter AND {snapshot.in_force('f')} AND f.stated_end <= :day"
    if skipped:
        visible += f" AND f.statement_id NOT IN ({', '.join(f':x{i}' for i in range(skipped))})"
    total = f"f.qualifier <> 'change' AND {not_deprecated_sql(snapshot)}"
    starts = []
    for i in range(members):
        starts.append(f"SELECT * FROM (SELECT f.as_of_start AS s FROM {{ledger_figures}} f WHERE {visible} "
                      f"AND f.category = :c{i} AND f.as_of_start <= :day AND {total} "
                      f"ORDER BY f.as_of_start DESC LIMIT 1) AS a{i}")
        starts.append(f"SELECT * FROM (SELECT f.as_of_start AS s FROM {{ledger_figures}} f WHERE {visible} "
                      f"AND f.category = :c{i} AND f.as_of_start > f.stated_end AND f.as_of_start > :day "
                      f"AND {total} ORDER BY f.as_of_start DESC LIMIT 1) AS b{i}")
    head = f"SELECT MAX(s) AS h FROM ({' UNION ALL '.join(starts)}) AS starts"
    bounds = (f"SELECT h, {_minus_days('h', ':wdays', postgres)} AS lowest, "
              f"SUBSTR(h, 1, 7) || '-01' AS month_start, SUBSTR(h, 1, 4) || '-01-01' AS year_start, "
              f"COALESCE({_minus_days('h', ':wdays + 366', postgres)}, '0000-00-00') AS change_floor FROM head")
    columns = f"{CANDIDATE_COLUMNS}, {rank_sql(snapshot)} AS rank"
    parts = []
    for i in range(members):
        where = f"FROM {{ledger_figures}} f, bounds b WHERE {visible} AND f.category = :c{i}"
        parts += [
            f"SELECT {columns} {where} AND f.qualifier <> 'change' AND f.as_of_end >= b.lowest AND f.as_of_end <= b.h",
            f"SELECT {columns} {where} AND f.qualifier <> 'change' AND f.as_of_start = b.month_start "
            "AND f.as_of_end > b.h",
            f"SELECT {columns} {where} AND f.qualifier <> 'change' AND f.as_of_start = b.year_start "
            "AND b.year_start <> b.month_start AND f.as_of_end > b.h",
            f"SELECT {columns} {where} AND f.qualifier = 'change' AND f.as_of_end >= b.change_floor",
        ]
    return f"WITH head AS ({head}), bounds AS ({bounds})\n" + "\nUNION ALL\n".join(parts)


def previous_sql(members: int, with_known_at: bool) -> str:
    """For the cumulative-decrease check: the total that stood before ``:before`` (the head's
    start), i.e. the latest-ending non-deprecated total ending before it."""
    snapshot = Snapshot(known_at="(bound)" if with_known_at else None)
    parts = [f"SELECT * FROM (SELECT {CANDIDATE_COLUMNS} FROM {{ledger_figures}} f WHERE f.matter_id = :matter "
             f"AND f.category = :c{i} AND {snapshot.in_force('f')} AND f.stated_end <= :day "
             f"AND f.as_of_end < :before AND f.qualifier <> 'change' AND {not_deprecated_sql(snapshot)} "
             f"ORDER BY f.as_of_end DESC, f.stated_end DESC, f.position DESC LIMIT 1) AS p{i}"
             for i in range(members)]
    return "\nUNION ALL\n".join(parts)


def admissible(rows: list[Row], snapshot: Snapshot) -> list[Row]:
    """The one place where candidate rows are filtered before the rule sees them (disputed
    statements, ``snapshot.skip``, are already left out by the SQL): a restatement gives way
    when the statement it restates is a candidate too (it is not independent: the original
    stands for both; docs/evidence.md)."""
    if not snapshot.restates:
        return rows
    ids = {row["statement_id"] for row in rows}
    restating = {a for a, b in snapshot.restates if b in ids}
    return [row for row in rows if row["statement_id"] not in restating]


def replay_rows(query: Query, postgres: bool, matter: dict[str, Any], timeline: str,
                snapshot: Snapshot) -> list[Row]:
    """The candidate rows of one timeline (see the module docstring)."""
    members = timeline_members(matter["categories"], timeline)
    skipped = sorted(snapshot.skip)
    params = {"matter": matter["id"], "wdays": snapshot.window_days, **snapshot.params(),
              **{f"c{i}": c for i, c in enumerate(members)}, **{f"x{i}": s for i, s in enumerate(skipped)}}
    rows = query(candidates_sql(len(members), snapshot.known_at is not None, postgres, len(skipped)), params)
    unique = {(r["statement_id"], r["category"], r["position"]): r for r in rows}
    return admissible(list(unique.values()), snapshot)


def replay_timeline_rows(matter: dict[str, Any], timeline: str, rows: Iterable[Row], snapshot: Snapshot,
                         stale_days: int | None = None) -> Replayed:
    """The rule over fetched rows."""
    rows = tuple(rows)
    day = dt.date.fromisoformat(snapshot.day)
    figure = replay_timeline(timeline, [Candidate.from_row(r) for r in rows if r.get("as_of_start")], day,
                             snapshot.policy, snapshot.window_days, stale_threshold(matter, stale_days))
    return Replayed(timeline, figure, rows)


def replay_matter(query: Query, postgres: bool, matter: dict[str, Any], snapshot: Snapshot,
                  stale_days: int | None = None, only: str | None = None) -> dict[str, Replayed]:
    """Every timeline of a matter (or only the one ``only`` belongs to), replayed."""
    keys = [timeline_key(matter["categories"], only)] if only else timelines(matter["categories"])
    return {key: replay_timeline_rows(matter, key, replay_rows(query, postgres, matter, key, snapshot),
                                      snapshot, stale_days) for key in keys}


def previous_row(query: Query, matter: dict[str, Any], timeline: str, before: str, snapshot: Snapshot) -> Row | None:
    members = timeline_members(matter["categories"], timeline)
    rows = query(previous_sql(len(members), snapshot.known_at is not None),
                 {"matter": matter["id"], "before": before, **snapshot.params(),
                  **{f"c{i}": c for i, c in enumerate(members)}})
    return max(rows, key=lambda r: (r["as_of_end"], r["stated_end"], r["position"]), default=None)


def interval_fields(interval: Interval) -> dict[str, Any]:
    """A replayed interval as the columns of a figure row (for reconciliation)."""
    numbers = interval.estimate()
    if numbers["low"] == numbers["high"]:
        return {"qualifier": "exact", "value": numbers["low"], "low": None, "high": None, "best": numbers["low"]}
    if numbers["high"] is None:
        return {"qualifier": "at_least", "value": numbers["low"], "low": None, "high": None, "best": numbers["best"]}
    return {"qualifier": "range", "value": None, **numbers}


def picture_row(replayed: Replayed) -> Row | None:
    """The row reconciliation sees for a timeline: the standing row, with the numbers the
    policy and the increments reported when they differ from the row's own."""
    row, figure = replayed.standing, replayed.figure
    if figure.interval is None:
        return None
    if row is None:  # changes only
        newest = max(figure.used, key=lambda c: c.as_of_end)
        row = replayed.row_of(newest)
        return {**row, **interval_fields(figure.interval)}
    own = Candidate.from_row(row).interval
    if own == figure.interval and own.best == figure.interval.best:
        return row
    return {**row, **interval_fields(figure.interval)}


def status_figure(replayed: Replayed, base: Row) -> dict[str, Any]:
    """What ``status`` shows for a timeline: the standing figure (``base``, as results print a
    figure row) with the category the source used, the policy's low/best/high, the
    statements it rests on and, with increments, ``base + changes``."""
    figure = replayed.figure
    out = {**base, **figure.numbers(), "category": replayed.standing["category"] if replayed.standing
           else figure.used[-1].category, "statements": figure.statements}
    increments = figure.increments
    standing = figure.standing
    if increments is not None and increments.changes:
        out["qualifier"] = figure.qualifier
        out["value"] = out["best"] if out["best"] is not None else out["low"]
        out["increments"] = {"text": increments.text, "statements": increments.statements}
        out["text"] = f"{increments.text} = {figure.interval}"
    elif standing is not None and figure.interval == standing.interval and figure.interval is not None \
            and figure.interval.best == standing.interval.best:
        out["text"] = str(standing.figure)
    else:
        interval = figure.interval
        assert interval is not None
        best = "" if interval.best is None or interval.is_exact else f" (best {out['best']})"
        out["text"] = f"{interval}{best}"
    return out
