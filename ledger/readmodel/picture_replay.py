"""Replaying a matter's timeline in memory: the status picture at each date, incrementally.

``check`` asks for the discrepancies at every date on which a statement was made. Asking
``TimelineReadModel.status`` once per date costs a few queries per category per date (230 s for a
100k-statement ledger). Here the matter's visible figures are read once, sorted by the
date they were stated, and the picture is maintained as the dates advance: for each
category, the figures stated so far, kept sorted by the status order key
``(as_of_end, stated_end, position)``.

The picture is the same as ``sql.status_sql`` gives: the standing figure of a
category at day D is the one with the greatest key among the figures stated by D (the
two branches of ``status_sql`` together select exactly the figures with
``stated_end <= D``). ``previous`` (cumulative categories) is the greatest key describing
an earlier date than the standing figure; ``same_date`` the other figures describing the
standing figure's date whose interval cannot meet it, ordered by position and capped like
the SQL (:mod:`ledger.readmodel.same_date`). A date whose inputs to ``reconcile`` did not change
since the previous date is not reconciled again.

The replay itself is pure; :func:`replay_inputs` fetches its rows (one query for the
figures, one for the relations).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Iterator
from typing import Any

from ledger.readmodel.same_date import SAME_DATE_CAP
from ledger.readmodel.snapshot import Snapshot
from ledger.readmodel.sql import FIGURE_COLUMNS
from ledger.reconcile import figure_interval, reconcile

Row = dict[str, Any]


def replay_discrepancies(matter: dict[str, Any], figures: Iterable[Row], relations: dict[str, list[str]],
                         dates: Iterable[str], stale_days: int | None = None,
                         same_date_cap: int = SAME_DATE_CAP) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield ``(day, discrepancies)`` for each day of ``dates`` (ISO days, ascending).

    ``figures``: the matter's visible figure rows (the columns of ``sql.FIGURE_COLUMNS``)
    with a non-null ``stated_end``; ``relations``: statement id -> its own relations, for the
    visible statements that declare some.
    """
    for day, _picture, reconciled in replay_pictures(matter, figures, relations, dates, stale_days, same_date_cap):
        yield day, reconciled["discrepancies"]


def replay_pictures(matter: dict[str, Any], figures: Iterable[Row], relations: dict[str, list[str]],
                    dates: Iterable[str], stale_days: int | None = None, same_date_cap: int = SAME_DATE_CAP,
                    ) -> Iterator[tuple[str, dict[str, Row | None], dict[str, Any]]]:
    """Yield ``(day, picture, reconciled)`` for each day of ``dates`` (ISO days, ascending):
    the standing figure row of each category (or None) and ``reconcile``'s result (derived
    figures and discrepancies), as ``TimelineReadModel.status`` would give them at that day. Arguments
    as for ``replay_discrepancies``. Consecutive days with the same inputs share one result."""
    categories = list(matter["categories"])
    cumulative = {c for c in categories if matter["categories"][c]["kind"] == "cumulative"}
    pending = sorted((r for r in figures if r["category"] in matter["categories"]),
                     key=lambda r: r["stated_end"])
    # per category: sorted keys (as_of_end, stated_end, position) and the rows by key
    keys: dict[str, list[tuple[str, str, int]]] = {c: [] for c in categories}
    rows: dict[tuple[str, str, int, str], Row] = {}
    intervals: dict[tuple[str, str, int, str], Any] = {}  # each row's interval, computed once
    taken = 0
    last_signature: Any = None
    last: tuple[dict[str, Row | None], dict[str, Any]] = ({}, {})
    for day in dates:
        while taken < len(pending) and pending[taken]["stated_end"] <= day:
            row = pending[taken]
            key = (row["as_of_end"], row["stated_end"], row["position"])
            bisect.insort(keys[row["category"]], key)
            rows[(*key, row["category"])] = row
            intervals[(*key, row["category"])] = figure_interval(row)
            taken += 1
        picture: dict[str, Row | None] = dict.fromkeys(categories)
        previous: dict[str, Row | None] = {}
        same_date: dict[str, list[Row]] = {}
        signature = []
        for c in categories:
            ordered = keys[c]
            if not ordered:
                continue
            standing = rows[(*ordered[-1], c)]
            picture[c] = standing
            first_same = bisect.bisect_left(ordered, (standing["as_of_end"],))
            before = None
            if c in cumulative and first_same > 0:
                before = rows[(*ordered[first_same - 1], c)]
                previous[c] = before
            interval = intervals[(*ordered[-1], c)]
            conflicting = sorted((rows[(*k, c)] for k in ordered[first_same:-1]
                                  if rows[(*k, c)]["statement_id"] != standing["statement_id"]
                                  and not intervals[(*k, c)].overlaps(interval)),
                                 key=lambda r: r["position"])[:same_date_cap]
            same_date[c] = conflicting
            signature.append((c, standing["position"], before["position"] if before else None,
                              tuple(r["position"] for r in conflicting)))
        signature_t = tuple(signature)
        if signature_t != last_signature:
            own = {row["statement_id"]: relations[row["statement_id"]]
                   for row in picture.values() if row is not None and row["statement_id"] in relations}
            last = (picture, reconcile(matter, picture, own, stale_days, previous, same_date))
            last_signature = signature_t
        yield day, last[0], last[1]


def replay_inputs(view: Any, matter_id: str, snapshot: Snapshot) -> tuple[list[Row], dict[str, list[str]]]:
    """What the replay needs for a matter up to the snapshot's day: its figure rows in force
    and stated by then, and the own relations of its statements in force (two queries)."""
    params = {"m": matter_id, **snapshot.params()}
    figure_rows = view.query(
        f"SELECT {FIGURE_COLUMNS} FROM {{ledger_figures}} WHERE matter_id = :m AND stated_end <= :day "
        f"AND {snapshot.in_force()}", params)
    relations = view.query(
        "SELECT statement_id, relations FROM {ledger_statements} WHERE matter_id = :m AND relations IS NOT NULL "
        f"AND retracted = 0 AND stated_end <= :day AND {snapshot.in_force()}", params)
    return figure_rows, {row["statement_id"]: json.loads(row["relations"]) for row in relations}
