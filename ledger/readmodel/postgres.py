"""PostgreSQL's form of the status lookups: one statement for the picture and one for its
context, whatever the number of categories, as LATERAL joins over arrays of categories
(one text, so one prepared plan). SQLite runs the lookups one by one instead."""

from __future__ import annotations

import functools

from ledger.readmodel.snapshot import Snapshot
from ledger.readmodel.same_date import same_date_lateral_sql
from ledger.readmodel.sql import status_sql


def _shape(with_known_at: bool) -> Snapshot:
    return Snapshot(known_at="(bound as :known_at)" if with_known_at else None)


@functools.lru_cache(maxsize=4)
def picture_sql(with_known_at: bool) -> str:
    """The standing figure of each category in :cats."""
    snapshot = _shape(with_known_at)
    return (f"SELECT f.* FROM unnest(:cats::text[]) AS x(name) "
            f"CROSS JOIN LATERAL ({status_sql(snapshot, '', 'x.name')}) AS f")


@functools.lru_cache(maxsize=4)
def context_sql(with_known_at: bool) -> str:
    """For each standing figure: the figure before it (cumulative categories) and the other
    figures describing the same date, for conflicting sources."""
    snapshot = _shape(with_known_at)
    return (
        "SELECT 'previous' AS part, p.* FROM unnest(:previous_categories::text[], :previous_before::text[]) "
        f"AS x(name, before_end) CROSS JOIN LATERAL ({status_sql(snapshot, 'AND as_of_end < x.before_end', 'x.name')}) "
        "AS p\nUNION ALL\n" + same_date_lateral_sql(snapshot)
    )
