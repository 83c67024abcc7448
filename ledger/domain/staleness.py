"""Staleness of a single standing figure.

A figure stands until a later one replaces it; when none comes, it may describe a date
long past. At replay day ``D`` a standing figure is *stale* when ``D`` is more than
``stale_after_days`` days after the *last* day of the period it describes (``as_of_end``:
a figure "as of July 2025" is counted from 31 July, so only figures certainly that old
are flagged). The threshold is the matter's ``stale_after_days``, else
:data:`DEFAULT_STALE_DAYS`. A forward-looking figure (describing a date after ``D``) is
never stale. The discrepancy is ``stale_figure``; it is shown by status and reported by
check, and fails ``check`` only under ``--strict``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

DEFAULT_STALE_DAYS = 90


def stale_threshold(matter: dict[str, Any], override: int | None = None) -> int:
    """The threshold in days: the query's, else the matter's ``stale_after_days``, else 90."""
    if override is not None:
        return override
    configured = matter.get("stale_after_days")
    return DEFAULT_STALE_DAYS if configured is None else configured


def stale_from(as_of_end: dt.date, threshold_days: int) -> dt.date | None:
    """The first day on which a figure describing up to ``as_of_end`` is stale (None: never,
    past the end of the calendar)."""
    try:
        return as_of_end + dt.timedelta(days=threshold_days + 1)
    except OverflowError:
        return None


def stale_figure(category: str, statement: str, as_of: str, as_of_end: dt.date, day: dt.date,
                 threshold_days: int) -> dict[str, Any] | None:
    """The ``stale_figure`` discrepancy of a standing figure at ``day``, or None."""
    age = (day - as_of_end).days
    if age <= threshold_days:
        return None
    return {
        "kind": "stale_figure",
        "message": (f"{category} still stands on a figure as of {as_of} ({statement}), {age} days before "
                    f"{day.isoformat()}: older than {threshold_days} days and nothing newer"),
        "categories": [category], "statements": [statement],
        "age_days": age, "threshold_days": threshold_days,
    }
