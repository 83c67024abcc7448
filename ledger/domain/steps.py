"""The replay days of a series (``ledger series --from D1 --to D2 --every ...``).

Steps start at ``D1`` and go forward by a day, a week (7 days), a month or a year, as long
as they are on or before ``D2`` (``D2`` itself is a step only when the stepping reaches it).
A month or year step keeps ``D1``'s day of the month, on the last day of shorter months:
from 2025-01-31 monthly gives 2025-02-28, 2025-03-31, 2025-04-30; from 2024-02-29 yearly
gives 2025-02-28, 2026-02-28, 2028-02-29.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator

EVERY = ("day", "week", "month", "year")
MAX_STEPS = 100_000


def _shift(start: dt.date, months: int) -> dt.date:
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def steps(start: dt.date, end: dt.date, every: str) -> Iterator[dt.date]:
    """The replay days from ``start`` to ``end`` (inclusive), ``every`` day|week|month|year."""
    if every not in EVERY:
        raise ValueError(f"unknown step {every!r} (steps: {', '.join(EVERY)})")
    if end < start:
        raise ValueError(f"the series ends ({end}) before it starts ({start})")
    span = {"day": (end - start).days, "week": (end - start).days // 7,
            "month": (end.year - start.year) * 12 + end.month - start.month,
            "year": end.year - start.year}[every] + 1
    if span > MAX_STEPS:
        raise ValueError(f"a series takes at most {MAX_STEPS} steps ({span} asked): "
                         "choose a longer step or a shorter span")
    for n in range(span):
        if every == "day":
            day = start + dt.timedelta(days=n)
        elif every == "week":
            day = start + dt.timedelta(weeks=n)
        else:
            day = _shift(start, n * (12 if every == "year" else 1))
        if day > end:
            return
        yield day
