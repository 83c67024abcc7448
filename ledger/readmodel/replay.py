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

One statement per timeline on SQLite; on PostgreSQL one for all the timelines of a picture,
its categories as array parameters (:func:`candidates_sql_postgres`). Deprecated rows of the
window come back with their rank and are dropped by the domain rule; :func:`admissible` is
the single place where the candidate list can be filtered further (e.g. disputed figures,
``--include-disputed``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.domain.intervals import Interval
from ledger.domain.ordering import Candidate
from ledger.domain.replay import TimelineFigure, settle, stale_on
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
    """One timeline replayed: the rule's answer (settled: :func:`ledger.domain.replay.settle`),
    the rows it was chosen from, the row of the standing figure (the total the policy chose),
    if any, and its ``stale_figure`` discrepancy on the day asked, if any."""

    timeline: str
    figure: TimelineFigure
    rows: tuple[Row, ...] = field(default=())
    stale: dict[str, Any] | None = None

    @property
    def discrepancies(self) -> tuple[dict[str, Any], ...]:
        """The ordering's and increments' discrepancies, and ``stale_figure``."""
        return self.figure.discrepancies + ((self.stale,) if self.stale else ())

    @functools.cached_property
    def _by_key(self) -> dict[tuple[str, str, int], Row]:
        return {row_key(r): r for r in self.rows}

    @functools.cached_property
    def standing(self) -> Row | None:
        chosen = self.figure.standing
        return None if chosen is None else self.row_of(chosen)

    def row_of(self, candidate: Candidate) -> Row:
        return self._by_key[(candidate.statement, candidate.category, candidate.position)]


def _minus_days(expression: str, days: str, postgres: bool) -> str:
    """SQL: the day ``days`` days before the date text ``expression``, floored at the start of
    the calendar (both backends give the same answer: :func:`minus_days` in Python)."""
    if postgres:
        day = f"CAST({expression} AS date)"
        return (f"to_char({day} - LEAST(CAST({days} AS integer), {day} - DATE '0001-01-01'), 'YYYY-MM-DD')")
    return f"COALESCE(date({expression}, '-' || CAST({days} AS integer) || ' days'), '0000-00-00')"


@functools.lru_cache(maxsize=65536)
def minus_days(day: str, days: int) -> str:
    """``day`` (ISO text) less ``days`` days, floored at the start of the calendar."""
    try:
        return (dt.date.fromisoformat(day) - dt.timedelta(days=days)).isoformat()
    except OverflowError:
        return "0000-00-00"


def _visible_sql(snapshot: Snapshot, skip: str) -> str:
    """SQL: figure rows ``f`` of the matter in force at known-at, stated by the day, not of a
    skipped (disputed) statement (``skip``: the SQL of that test, or "")."""
    return f"f.matter_id = :matter AND {snapshot.in_force('f')} AND f.stated_end <= :day{skip}"


def _start_sql(category: str, visible: str, snapshot: Snapshot) -> list[str]:
    """The two selects of a category's head start ``H`` (each its first row of an index scan):
    downward from the day, and among the forward-looking rows."""
    total = f"f.qualifier <> 'change' AND {not_deprecated_sql(snapshot)}"
    where = f"FROM {{ledger_figures}} f WHERE {visible} AND f.category = {category}"
    return [f"SELECT f.as_of_start AS s {where} AND f.as_of_start <= :day AND {total} "
            "ORDER BY f.as_of_start DESC LIMIT 1",
            f"SELECT f.as_of_start AS s {where} AND f.as_of_start > f.stated_end AND f.as_of_start > :day "
            f"AND {total} ORDER BY f.as_of_start DESC LIMIT 1"]


def _bounds_sql(postgres: bool) -> str:
    """SQL: the columns of a timeline's bounds from its head start ``h``."""
    return (f"h, {_minus_days('h', ':wdays', postgres)} AS lowest, "
            "SUBSTR(h, 1, 7) || '-01' AS month_start, SUBSTR(h, 1, 4) || '-01-01' AS year_start, "
            f"COALESCE({_minus_days('h', ':wdays + 366', postgres)}, '0000-00-00') AS change_floor")


def _window_conditions(b: str) -> list[str]:
    """The four kinds of candidate rows, as conditions on ``f`` and the bounds ``b``: the
    totals ending in the window, those of ``H``'s month or year ending after ``H``, the changes."""
    return [f"f.qualifier <> 'change' AND f.as_of_end >= {b}.lowest AND f.as_of_end <= {b}.h",
            f"f.qualifier <> 'change' AND f.as_of_start = {b}.month_start AND f.as_of_end > {b}.h",
            f"f.qualifier <> 'change' AND f.as_of_start = {b}.year_start "
            f"AND {b}.year_start <> {b}.month_start AND f.as_of_end > {b}.h",
            f"f.qualifier = 'change' AND f.as_of_end >= {b}.change_floor"]


def _timeline_sql(t: int, members: int, snapshot: Snapshot, skipped: int) -> tuple[str, list[str]]:
    """The CTEs (head and bounds) and the candidate branches of timeline ``t`` of ``members``
    categories (``:t{t}c0``, ``:t{t}c1``, ...)."""
    skip = f" AND f.statement_id NOT IN ({', '.join(f':x{i}' for i in range(skipped))})" if skipped else ""
    visible = _visible_sql(snapshot, skip)
    starts = [f"SELECT * FROM ({part}) AS {kind}{t}_{i}" for i in range(members)
              for kind, part in zip("ab", _start_sql(f":t{t}c{i}", visible, snapshot), strict=True)]
    ctes = [f"head{t} AS (SELECT MAX(s) AS h FROM ({' UNION ALL '.join(starts)}) AS starts{t})",
            f"bounds{t} AS (SELECT {_bounds_sql(False)} FROM head{t})"]
    columns = f"{t} AS timeline_index, {CANDIDATE_COLUMNS}, {rank_sql(snapshot)} AS rank"
    parts = [f"SELECT {columns} FROM {{ledger_figures}} f, bounds{t} b WHERE {visible} "
             f"AND f.category = :t{t}c{i} AND {condition}"
             for i in range(members) for condition in _window_conditions("b")]
    return ", ".join(ctes), parts


@functools.lru_cache(maxsize=256)
def candidates_sql(shape: tuple[int, ...], with_known_at: bool, skipped: int = 0) -> str:
    """The candidate rows of several timelines in one statement (SQLite; asked one timeline at a time):
    timeline ``t`` has ``shape[t]`` categories (``:t{t}c0``, ...); every row says its
    ``timeline_index``. The ``skipped`` statements ``:x0``, ``:x1``, ... (disputed) are left
    out (they never head the window either)."""
    snapshot = Snapshot(known_at="(bound)" if with_known_at else None)
    ctes, parts = [], []
    for t, members in enumerate(shape):
        cte, branches = _timeline_sql(t, members, snapshot, skipped)
        ctes.append(cte)
        parts += branches
    return f"WITH {', '.join(ctes)}\n" + "\nUNION ALL\n".join(parts)


@functools.lru_cache(maxsize=4)
def candidates_sql_postgres(with_known_at: bool) -> str:
    """The candidate rows of every timeline asked, in ONE statement whatever the matter's shape
    (PostgreSQL): the categories come as arrays (``:cats``, and ``:tls`` their timeline's
    index), the skipped statements as ``:skip``; each branch is planned once and run per
    category (LATERAL), where the unrolled statement of :func:`candidates_sql` made a plan of
    hundreds of nodes whose start-up cost as much as running it."""
    snapshot = Snapshot(known_at="(bound)" if with_known_at else None)
    visible = _visible_sql(snapshot, " AND f.statement_id <> ALL(CAST(:skip AS text[]))")
    heads = " UNION ALL ".join(f"SELECT * FROM ({part}) AS {kind}"
                               for kind, part in zip("ab", _start_sql("c.category", visible, snapshot), strict=True))
    branches = " UNION ALL ".join(
        f"SELECT {CANDIDATE_COLUMNS}, {rank_sql(snapshot)} AS rank FROM {{ledger_figures}} f "
        f"WHERE {visible} AND f.category = c.category AND {condition}" for condition in _window_conditions("b"))
    return ("WITH cats AS (SELECT * FROM unnest(CAST(:cats AS text[]), CAST(:tls AS integer[])) "
            "AS c(category, timeline_index)), "
            "heads AS (SELECT c.timeline_index, MAX(s.s) AS h FROM cats c "
            f"LEFT JOIN LATERAL ({heads}) AS s ON true GROUP BY c.timeline_index), "
            f"bounds AS (SELECT timeline_index, {_bounds_sql(True)} FROM heads) "
            "SELECT c.timeline_index, x.* FROM cats c JOIN bounds b ON b.timeline_index = c.timeline_index "
            f"CROSS JOIN LATERAL ({branches}) AS x")


def _previous_sql(category: str, before: str, visible: str, snapshot: Snapshot) -> str:
    """The total that stood before ``before`` in ``category``: the latest-ending non-deprecated
    total ending before it."""
    return (f"SELECT {CANDIDATE_COLUMNS} FROM {{ledger_figures}} f WHERE {visible} AND f.category = {category} "
            f"AND f.as_of_end < {before} AND f.qualifier <> 'change' AND {not_deprecated_sql(snapshot)} "
            "ORDER BY f.as_of_end DESC, f.stated_end DESC, f.position DESC LIMIT 1")


@functools.lru_cache(maxsize=256)
def previous_sql(shape: tuple[int, ...], with_known_at: bool, skipped: int = 0) -> str:
    """For the cumulative-decrease check: per timeline ``t``, the total that stood before
    ``:before{t}`` (the head's start), per category (the caller takes the latest of the timeline)."""
    snapshot = Snapshot(known_at="(bound)" if with_known_at else None)
    skip = f" AND f.statement_id NOT IN ({', '.join(f':x{i}' for i in range(skipped))})" if skipped else ""
    visible = _visible_sql(snapshot, skip)
    parts = [f"SELECT {t} AS timeline_index, p{t}_{i}.* FROM "
             f"({_previous_sql(f':t{t}c{i}', f':before{t}', visible, snapshot)}) AS p{t}_{i}"
             for t, members in enumerate(shape) for i in range(members)]
    return "\nUNION ALL\n".join(parts)


@functools.lru_cache(maxsize=4)
def previous_sql_postgres(with_known_at: bool) -> str:
    """:func:`previous_sql` in one plan whatever the shape (PostgreSQL, as
    :func:`candidates_sql_postgres`): ``:cats``, ``:tls`` and ``:befores`` per category."""
    snapshot = Snapshot(known_at="(bound)" if with_known_at else None)
    visible = _visible_sql(snapshot, " AND f.statement_id <> ALL(CAST(:skip AS text[]))")
    return ("SELECT c.timeline_index, p.* FROM unnest(CAST(:cats AS text[]), CAST(:tls AS integer[]), "
            "CAST(:befores AS text[])) AS c(category, timeline_index, before) "
            f"CROSS JOIN LATERAL ({_previous_sql('c.category', 'c.before', visible, snapshot)}) AS p")


def row_key(row: Row) -> tuple[str, str, int]:
    return row["statement_id"], row["category"], int(row["position"])


def admissible(rows: list[Row], snapshot: Snapshot) -> list[Row]:
    """The one place where candidate rows are filtered before the rule sees them (disputed
    statements, ``snapshot.skip``, are already left out by the fetch): duplicates go, the
    order is made canonical (the rule must not depend on the order a database returns rows
    in), and a restatement gives way when the statement it restates is a candidate too (it
    is not independent: the original stands for both; docs/evidence.md)."""
    rows = sorted({row_key(r): r for r in rows}.values(), key=row_key)
    if not snapshot.restates:
        return rows
    ids = {row["statement_id"] for row in rows}
    restating = {a for a, b in snapshot.restates if b in ids}
    return [row for row in rows if row["statement_id"] not in restating]


def _shape_params(matter: dict[str, Any], keys: list[str], snapshot: Snapshot) -> tuple[tuple[int, ...], dict[str, Any]]:
    members = [timeline_members(matter["categories"], key) for key in keys]
    skipped = sorted(snapshot.skip)
    params = {"matter": matter["id"], "wdays": snapshot.window_days, **snapshot.params(),
              **{f"t{t}c{i}": c for t, names in enumerate(members) for i, c in enumerate(names)},
              **{f"x{i}": s for i, s in enumerate(skipped)}}
    return tuple(len(m) for m in members), params


def candidate_rows(query: Query, postgres: bool, matter: dict[str, Any], keys: list[str],
                   snapshot: Snapshot) -> dict[str, TimelineRows]:
    """The candidate rows of the timelines ``keys`` (see the module docstring): on PostgreSQL
    one statement for them all (one round trip); on SQLite one per timeline (its planner runs
    the joined statement ten times slower than its parts, measured: scripts/bench.py status)."""
    if not postgres and len(keys) > 1:
        return {key: candidate_rows(query, postgres, matter, [key], snapshot)[key] for key in keys}
    if postgres:
        rows = query(candidates_sql_postgres(snapshot.known_at is not None), _array_params(matter, keys, snapshot))
    else:
        shape, params = _shape_params(matter, keys, snapshot)
        rows = query(candidates_sql(shape, snapshot.known_at is not None, len(snapshot.skip)), params)
    grouped: dict[str, list[Row]] = {key: [] for key in keys}
    for row in rows:
        grouped[keys[row.pop("timeline_index")]].append(row)
    return {key: TimelineRows.of(admissible(found, snapshot)) for key, found in grouped.items()}


def _array_params(matter: dict[str, Any], keys: list[str], snapshot: Snapshot) -> dict[str, Any]:
    """The parameters of :func:`candidates_sql_postgres` and :func:`previous_sql_postgres`."""
    members = [timeline_members(matter["categories"], key) for key in keys]
    return {"matter": matter["id"], "wdays": snapshot.window_days, **snapshot.params(),
            "cats": [c for names in members for c in names],
            "tls": [t for t, names in enumerate(members) for _ in names], "skip": sorted(snapshot.skip)}


def previous_query(matter: dict[str, Any], before: dict[str, str], snapshot: Snapshot,
                   postgres: bool = False) -> tuple[str, dict[str, Any]] | None:
    """The query of the total that stood before the given day, per timeline of ``before``
    (None when there is none to ask); :func:`previous_from` reads its rows."""
    keys = list(before)
    if not keys:
        return None
    if postgres:
        params = _array_params(matter, keys, snapshot)
        params["befores"] = [before[keys[t]] for t in params["tls"]]
        return previous_sql_postgres(snapshot.known_at is not None), params
    shape, params = _shape_params(matter, keys, snapshot)
    params.update({f"before{t}": before[key] for t, key in enumerate(keys)})
    return previous_sql(shape, snapshot.known_at is not None, len(snapshot.skip)), params


def previous_from(before: dict[str, str], rows: list[Row]) -> dict[str, Row | None]:
    keys = list(before)
    found: dict[str, Row | None] = dict.fromkeys(keys)
    for row in rows:
        key = keys[row.pop("timeline_index")]
        if found[key] is None or previous_order(row) > previous_order(found[key]):
            found[key] = row
    return found


def previous_order(row: Row) -> tuple[str, str, int]:
    """The order in which "the total that stood before" is the greatest."""
    return row["as_of_end"], row["stated_end"], int(row["position"])


@dataclass
class ReplayMemo:
    """What a replay of one matter at many days keeps, with one snapshot's knowledge, policy
    and window (:class:`~ledger.readmodel.picture_rows.PreloadedRows`): each row's candidate,
    each timeline settled (:func:`ledger.domain.replay.settle`) per set of candidate rows, and
    what reconciliation made of each picture (:mod:`ledger.readmodel.status`)."""

    candidates: dict[tuple[str, str, int], Candidate] = field(default_factory=dict)
    settled: dict[int, tuple[TimelineRows, Replayed]] = field(default_factory=dict)  # by id of the rows
    pictures: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    parts: dict[int, tuple[TimelineFigure, Row | None, str | None]] = field(default_factory=dict)  # by id of a figure


@dataclass(frozen=True)
class TimelineRows:
    """A timeline's candidate rows (canonical order, see :func:`admissible`) and their keys."""

    rows: tuple[Row, ...]
    keys: tuple[tuple[str, str, int], ...]

    @classmethod
    def of(cls, rows: Iterable[Row]) -> TimelineRows:
        rows = tuple(rows)
        return cls(rows, tuple(row_key(r) for r in rows))


def replay_timeline_rows(matter: dict[str, Any], timeline: str, fetched: TimelineRows, snapshot: Snapshot,
                         stale_days: int | None = None, memo: ReplayMemo | None = None) -> Replayed:
    """The rule over fetched rows: settled (once per set of rows, with a ``memo``), then on the day."""
    day = snapshot.as_of or dt.date.fromisoformat(snapshot.day)
    # The memo holds the rows object it was made from, so its id stays its own; a source that
    # finds the same candidates again gives the same object (PreloadedRows does).
    found = memo.settled.get(id(fetched), (None, None))[1] if memo is not None else None
    if found is None:
        cache = memo.candidates if memo is not None else {}
        candidates = [cache.get(k) or cache.setdefault(k, Candidate.from_row(r))
                      for k, r in zip(fetched.keys, fetched.rows, strict=True) if r.get("as_of_start")]
        found = Replayed(timeline, settle(timeline, candidates, day, snapshot.policy, snapshot.window_days,
                                          stale_threshold(matter, stale_days)), fetched.rows)
        if memo is not None:
            memo.settled[id(fetched)] = (fetched, found)
    stale = stale_on(found.figure, day)
    if stale is None:
        return found
    on_day = Replayed(timeline, found.figure, found.rows, stale)  # the settled one's lookups, shared:
    on_day.__dict__.update({k: found.__dict__[k] for k in ("_by_key", "standing") if k in found.__dict__})
    return on_day


def picture_parts(replayed: Replayed, cumulative: bool, memo: ReplayMemo | None = None) -> tuple[Row | None, str | None]:
    """What the picture takes from a replayed timeline: its :func:`picture_row` and, for a
    cumulative timeline with a standing total, the start of the earliest total it rests on
    (the day before which the previous figure is asked). Neither depends on the day: kept in
    the ``memo`` per settled figure."""
    figure = replayed.figure
    cached = memo.parts.get(id(figure)) if memo is not None else None
    if cached is not None:
        return cached[1], cached[2]
    row = picture_row(replayed)
    before = None
    if cumulative and figure.standing is not None:
        before = min(c.as_of_start for c in figure.used if not c.figure.is_change).isoformat()
    if memo is not None:
        memo.parts[id(figure)] = (figure, row, before)  # the figure kept alive: its id stays its own
    return row, before


def replay_matter(query: Query, postgres: bool, matter: dict[str, Any], snapshot: Snapshot,
                 stale_days: int | None = None, only: str | None = None) -> dict[str, Replayed]:
    """Every timeline of a matter (or only the one ``only`` belongs to), replayed."""
    keys = [timeline_key(matter["categories"], only)] if only else timelines(matter["categories"])
    fetched = candidate_rows(query, postgres, matter, keys, snapshot)
    return {key: replay_timeline_rows(matter, key, fetched[key], snapshot, stale_days) for key in keys}


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
    assert figure.standing is not None
    own = figure.standing.interval
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
