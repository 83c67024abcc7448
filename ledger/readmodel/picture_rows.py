"""Where the rows of a status picture come from: the database per question, or one matter
read once and answered in memory for many days.

A picture of one matter at one day (:mod:`ledger.readmodel.status`) needs: each
timeline's candidate rows (:func:`ledger.readmodel.replay.candidate_rows`), the total that
stood before each cumulative head (:func:`~ledger.readmodel.replay.previous_rows`), the
relations the standing statements declare, which categories lost every figure to a
retraction, and how many undated statements stay out.

:class:`QueryRows` asks the database, in the read transaction of one picture.
:class:`PreloadedRows` reads the matter's rows once, as known at one moment, and answers
the same questions for any day in memory: ``check``, ``series``, ``plot`` and the report
replay one matter at hundreds of days, and a statement per question and day is what made
them slow. Both give the same rows for the same question (``tests/test_picture_rows.py``
compares them day by day); which figure stands is decided by neither (the ONE rule,
:func:`ledger.domain.replay.replay_timeline`, sees the rows either gives).

The candidate rows of a timeline at day ``D`` (in SQL: :func:`~ledger.readmodel.replay.candidates_sql`):
with ``H`` the greatest ``as_of_start`` of the visible, non-deprecated totals (visible: in
force at known-at, ``stated_end <= D``, not a disputed statement), the totals ending in
``[H - window, H]``, the totals starting on the first day of ``H``'s month or year and
ending after ``H``, and the changes ending on or after ``H - window - 366`` (every change
when there is no total).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable
from typing import Any

from ledger.domain.synonyms import timeline_members
from ledger.readmodel import replay as rp
from ledger.readmodel.ranking import rank_sql
from ledger.readmodel.snapshot import Snapshot

Row = dict[str, Any]
Query = Callable[[str, "dict[str, Any] | None"], list[Row]]


class QueryRows:
    """The picture's rows from the database, in one read transaction (``query``)."""

    memo = None  # one question: nothing to keep

    def __init__(self, query: Query, postgres: bool, matter: dict[str, Any]):
        self.query, self.postgres, self.matter = query, postgres, matter

    def candidates(self, keys: list[str], snapshot: Snapshot) -> dict[str, rp.TimelineRows]:
        return rp.candidate_rows(self.query, self.postgres, self.matter, keys, snapshot)

    def context(self, before: dict[str, str], statement_ids: list[str], empty: list[str],
                snapshot: Snapshot) -> tuple[dict[str, Row | None], dict[str, list[str]], set[str], int]:
        """What the picture needs once its timelines are replayed, in one round trip: the total
        before each cumulative head (``before``: timeline -> day), the relations the standing
        statements declare, which of the ``empty`` categories lost their figures to a
        retraction, and the count of undated statements."""
        asked: list[tuple[str, dict[str, Any]]] = []
        previous = rp.previous_query(self.matter, before, snapshot, self.postgres)
        if previous is not None:
            asked.append(previous)
        ids = sorted(set(statement_ids))
        if ids:
            among, params = self._one_of("statement_id", "s", ids)
            asked.append(("SELECT statement_id, relations FROM {ledger_statements} WHERE relations IS NOT NULL "
                          f"AND {snapshot.in_force()} AND {among}", {**params, **snapshot.params()}))
        if empty:
            among, params = self._one_of("category", "r", empty)
            asked.append(("SELECT DISTINCT category FROM {ledger_figures} WHERE matter_id = :matter "
                          f"AND {among} AND stated_end <= :day AND {_retracted_sql(snapshot)}",
                          {"matter": self.matter["id"], **snapshot.params(), **params}))
        asked.append(undated_query(self.matter["id"], snapshot))
        answers = iter(self.query.many(asked, last=True))  # type: ignore[attr-defined]
        found_previous = rp.previous_from(before, next(answers)) if previous is not None else {}
        relations = {r["statement_id"]: json.loads(r["relations"]) for r in next(answers)} if ids else {}
        retracted = {r["category"] for r in next(answers)} if empty else set()
        undated = next(answers)
        return found_previous, relations, retracted, undated[0]["n"] if undated else 0

    def _one_of(self, column: str, name: str, values: list[str]) -> tuple[str, dict[str, Any]]:
        """SQL and parameters: ``column`` is one of ``values`` (PostgreSQL: one array parameter,
        so that one prepared statement serves any number of values)."""
        if self.postgres:
            return f"{column} = ANY(CAST(:{name} AS text[]))", {name: values}
        params = {f"{name}{i}": value for i, value in enumerate(values)}
        return f"{column} IN ({', '.join(':' + k for k in params)})", params


def undated_query(matter_id: str, snapshot: Snapshot) -> tuple[str, dict[str, Any]]:
    """How many statements of the matter have no known date (they stay out of replay)."""
    return ("SELECT COUNT(*) AS n FROM {ledger_statements} WHERE matter_id = :matter "
            f"AND stated_end IS NULL AND retracted = 0 AND {snapshot.in_force()}",
            {"matter": matter_id, **snapshot.params()})


def _retracted_sql(snapshot: Snapshot) -> str:
    closed = "" if snapshot.known_at is None else " AND superseded_at <= :known_at"
    return f"superseded_by = 'retraction' AND {snapshot.recorded()}{closed}"


class _Timeline:
    """One timeline's visible rows, grown day by day (days asked in increasing order cost
    one pass over the rows; a day before the last one starts again)."""

    def __init__(self, rows: list[Row], skip: frozenset[str]):
        self.pending = sorted((r for r in rows if r["statement_id"] not in skip),
                              key=lambda r: (r["stated_end"], rp.row_key(r)))
        self.totals_pending = sorted((r for r in self.pending if r["qualifier"] != "change"
                                      and r["rank"] != "deprecated"), key=lambda r: r["stated_end"])
        self.reset()

    def reset(self) -> None:
        self.next = 0
        self.day = ""
        self.head: str | None = None  # H: the greatest as_of_start of a visible non-deprecated total
        self.total_ends: list[tuple[str, tuple[str, str, int]]] = []  # (as_of_end, key), sorted
        self.totals: dict[tuple[str, str, int], Row] = {}
        self.by_start: dict[str, list[Row]] = {}
        self.change_ends: list[tuple[str, tuple[str, str, int]]] = []
        self.changes: dict[tuple[str, str, int], Row] = {}
        self.previous_keys: list[tuple[str, str, int]] = []  # previous_order of non-deprecated totals
        self.previous_rows: list[Row] = []
        self.previous_next = 0
        self.fetched: rp.TimelineRows | None = None  # the candidates, while no row is added
        self.last: rp.TimelineRows | None = None
        self.before: tuple[str, Row | None] | None = None  # the last previous() asked

    def advance(self, day: str) -> None:
        if day == self.day:
            return
        if day < self.day:
            self.reset()
        self.day = day
        if self.next < len(self.pending) and self.pending[self.next]["stated_end"] <= day:
            self.fetched = self.before = None  # the visible rows change: ask again
        while self.next < len(self.pending) and self.pending[self.next]["stated_end"] <= day:
            row = self.pending[self.next]
            self.next += 1
            key = rp.row_key(row)
            if row["qualifier"] == "change":
                bisect.insort(self.change_ends, (row["as_of_end"], key))
                self.changes[key] = row
                continue
            bisect.insort(self.total_ends, (row["as_of_end"], key))
            self.totals[key] = row
            self.by_start.setdefault(row["as_of_start"], []).append(row)
            if row["rank"] != "deprecated" and (self.head is None or row["as_of_start"] > self.head):
                self.head = row["as_of_start"]
        while self.previous_next < len(self.totals_pending) and \
                self.totals_pending[self.previous_next]["stated_end"] <= day:
            row = self.totals_pending[self.previous_next]
            self.previous_next += 1
            at = bisect.bisect(self.previous_keys, rp.previous_order(row))
            self.previous_keys.insert(at, rp.previous_order(row))
            self.previous_rows.insert(at, row)

    def candidates(self, snapshot: Snapshot) -> rp.TimelineRows:
        """The candidate rows (cached until more rows become visible)."""
        if self.fetched is None:
            rows = rp.TimelineRows.of(rp.admissible(self._candidates(snapshot.window_days), snapshot))
            self.fetched = rows if self.last is None or rows.keys != self.last.keys else self.last
            self.last = self.fetched
        return self.fetched

    def _candidates(self, window_days: int) -> list[Row]:
        head = self.head
        if head is None:
            return [self.changes[key] for _, key in self.change_ends]
        lowest = rp.minus_days(head, window_days)
        found = [self.totals[key] for _, key in
                 self.total_ends[bisect.bisect_left(self.total_ends, (lowest,)):
                                 bisect.bisect_right(self.total_ends, (head, ("\U0010ffff",)))]]
        month_start, year_start = head[:7] + "-01", head[:4] + "-01-01"
        found += [r for r in self.by_start.get(month_start, ()) if r["as_of_end"] > head]
        if year_start != month_start:
            found += [r for r in self.by_start.get(year_start, ()) if r["as_of_end"] > head]
        floor = rp.minus_days(head, window_days + 366)
        found += [self.changes[key] for _, key in self.change_ends[bisect.bisect_left(self.change_ends, (floor,)):]]
        return found

    def previous(self, before: str) -> Row | None:
        if self.before is None or self.before[0] != before:
            at = bisect.bisect_left(self.previous_keys, (before,))
            self.before = (before, self.previous_rows[at - 1] if at else None)
        return self.before[1]


class PreloadedRows:
    """A matter's rows as known at ``snapshot.known_at``, stated by ``last_day``, read once
    (see the module docstring); then every question in memory, for any day up to
    ``last_day``. The ranks are those in force at ``known_at``; ``snapshot.skip`` (the
    disputed statements) must be the same for every question."""

    def __init__(self, query: Query, matter: dict[str, Any], snapshot: Snapshot, last_day: str):
        self.matter = matter
        self.known_at = snapshot.known_at
        self.last_day = last_day
        base = {"matter": matter["id"], **snapshot.params(), "last": last_day}
        figures, undated, relations, retracted = query.many([  # type: ignore[attr-defined]  # one round trip on PG
            (f"SELECT {rp.CANDIDATE_COLUMNS}, {rank_sql(snapshot)} AS rank FROM {{ledger_figures}} f "
             f"WHERE f.matter_id = :matter AND {snapshot.in_force('f')} AND f.stated_end <= :last "
             "AND f.as_of_start IS NOT NULL AND f.as_of_end IS NOT NULL", base),
            undated_query(matter["id"], snapshot),
            ("SELECT statement_id, relations FROM {ledger_statements} WHERE matter_id = :matter "
             f"AND relations IS NOT NULL AND {snapshot.in_force()}", base),
            ("SELECT category, MIN(stated_end) AS first FROM {ledger_figures} WHERE matter_id = :matter "
             f"AND stated_end <= :last AND {_retracted_sql(snapshot)} GROUP BY category", base),
        ])
        self.figures: dict[str, list[Row]] = {}
        for row in figures:
            self.figures.setdefault(row["category"], []).append(row)
        self._undated = undated[0]["n"] if undated else 0
        self._relations = {r["statement_id"]: json.loads(r["relations"]) for r in relations}
        self._retracted: dict[str, str] = {r["category"]: r["first"] for r in retracted}  # category -> first day stated
        self._timelines: dict[tuple[str, frozenset[str]], _Timeline] = {}
        self.memo = rp.ReplayMemo()

    def _timeline(self, key: str, snapshot: Snapshot) -> _Timeline:
        cache_key = (key, snapshot.skip)
        if cache_key not in self._timelines:
            rows = [r for c in timeline_members(self.matter["categories"], key) for r in self.figures.get(c, ())]
            self._timelines[cache_key] = _Timeline(rows, snapshot.skip)
        timeline = self._timelines[cache_key]
        timeline.advance(snapshot.day)
        return timeline

    def _same_knowledge(self, snapshot: Snapshot) -> None:
        if snapshot.known_at != self.known_at or snapshot.day > self.last_day:
            raise ValueError(f"preloaded rows answer known-at {self.known_at} up to {self.last_day}, "
                             f"not known-at {snapshot.known_at} on {snapshot.day}")

    def candidates(self, keys: list[str], snapshot: Snapshot) -> dict[str, rp.TimelineRows]:
        self._same_knowledge(snapshot)
        return {key: self._timeline(key, snapshot).candidates(snapshot) for key in keys}

    def context(self, before: dict[str, str], statement_ids: list[str], empty: list[str],
                snapshot: Snapshot) -> tuple[dict[str, Row | None], dict[str, list[str]], set[str], int]:
        """As :meth:`QueryRows.context`, from the rows read once."""
        self._same_knowledge(snapshot)
        previous = {key: self._timeline(key, snapshot).previous(day) for key, day in before.items()}
        relations = {s: self._relations[s] for s in sorted(set(statement_ids)) if s in self._relations}
        retracted = {c for c in empty if c in self._retracted and self._retracted[c] <= snapshot.day}
        return previous, relations, retracted, self._undated
