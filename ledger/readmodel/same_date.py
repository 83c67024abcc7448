"""Same-date figures for reconciliation (performance, issue 15).

On a day just after a period ends, hundreds of figures may describe the standing figure's
date; reconciliation only reports those whose interval cannot meet the standing one's
(``reconcile``: conflicting_sources). The SQL here drops the rows that surely overlap,
using an interval no wider than the figure's (an approximate figure counts as its bare
value), so it never drops a conflict; ``reconcile`` still decides with the exact
intervals. At most :data:`SAME_DATE_CAP` rows per category come back (the earliest
recorded). :mod:`ledger.readmodel.picture_replay` applies the same rule in memory.

Kept apart from the standing-figure lookup (``sql.status_sql``) on purpose: this module
only narrows the *other* figures of the standing figure's date.
"""

from __future__ import annotations

import math
from typing import Any

from ledger.readmodel.snapshot import Snapshot
from ledger.readmodel.sql import FIGURE_COLUMNS
from ledger.reconcile import figure_interval

SAME_DATE_CAP = 100
UNBOUNDED = 2**62  # stands for +infinity in the bigint comparisons below
MAY_NOT_OVERLAP = (
    "((CASE qualifier WHEN 'range' THEN low WHEN 'at_most' THEN 0 ELSE value END) > {hi} "
    f"OR (CASE qualifier WHEN 'range' THEN high WHEN 'at_least' THEN {UNBOUNDED} ELSE value END) < {{lo}})"
)


def bounds(row: dict[str, Any]) -> tuple[int, int]:
    """The standing figure's interval as two bigints (+infinity as :data:`UNBOUNDED`)."""
    interval = figure_interval(row)
    return int(interval.lo), (UNBOUNDED if interval.hi == math.inf else int(interval.hi))


def same_date_sql(i: int, snapshot: Snapshot) -> str:
    """SQLite: the figures of category ``:c{i}`` describing ``:e{i}`` that may conflict with
    statement ``:s{i}``'s figure (interval ``:lo{i}``..``:hi{i}``), capped."""
    return (f"SELECT {FIGURE_COLUMNS} FROM {{ledger_figures}} WHERE matter_id = :matter "
            f"AND category = :c{i} AND as_of_end = :e{i} AND stated_end <= :day "
            f"AND {snapshot.in_force()} AND statement_id <> :s{i} "
            f"AND {MAY_NOT_OVERLAP.format(lo=f':lo{i}', hi=f':hi{i}')} "
            f"ORDER BY position LIMIT {SAME_DATE_CAP}")


def same_date_lateral_sql(snapshot: Snapshot) -> str:
    """PostgreSQL: the same, for every standing figure at once (arrays of categories, ends,
    statements and bounds), one LATERAL lookup per category."""
    return (
        f"SELECT 'same_date' AS part, s.* FROM unnest(:standing_categories::text[], "
        ":standing_ends::text[], :standing_statements::text[], :standing_lo::bigint[], :standing_hi::bigint[]) "
        "AS y(name, day_end, standing_id, lo, hi) CROSS JOIN LATERAL ("
        f"SELECT {FIGURE_COLUMNS} FROM {{ledger_figures}} WHERE matter_id = :matter AND category = y.name "
        f"AND as_of_end = y.day_end AND stated_end <= :day AND {snapshot.in_force()} "
        f"AND statement_id <> y.standing_id AND {MAY_NOT_OVERLAP.format(lo='y.lo', hi='y.hi')} "
        f"ORDER BY position LIMIT {SAME_DATE_CAP}) AS s"
    )


def same_date_params(standing: list[tuple[int, str, dict[str, Any]]]) -> dict[str, Any]:
    """Bound values for both forms: ``lo{i}``/``hi{i}`` and the ``standing_lo``/``standing_hi`` arrays."""
    params: dict[str, Any] = {"standing_lo": [], "standing_hi": []}
    for i, _, row in standing:
        lo, hi = bounds(row)
        params[f"lo{i}"], params[f"hi{i}"] = lo, hi
        params["standing_lo"].append(lo)
        params["standing_hi"].append(hi)
    return params
