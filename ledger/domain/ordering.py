"""The replay order: which figure of one timeline stands at a replay day. ONE rule.

A *candidate* is a figure of one (matter, timeline) — a category and its synonyms — with
the period it describes (``as_of``, a year, a month or a day), the period of its
statement (``stated_on``), its attribution, qualifier, rank, statement id and recording
position. At replay day ``D``:

1. **Eligible**: the statement was certainly made by ``D`` (``stated_end <= D``), both
   dates are known, the rank is not ``deprecated``, and it is a total (not a change).
2. **Date order, precision-aware**: described periods are calendar years, months and
   days, so two of them are either identical, disjoint or nested.

   - disjoint: the later period is later;
   - nested (one contains the other): the *more precise* one is later. A "2025" figure
     does not outrank a figure as of 2025-12-18: the year may describe any day of 2025.
     When the containing period extends past the end of the precise one (so it may
     describe a later date) and the two figures differ, the order is genuinely
     ambiguous: the precise one still wins and :func:`ambiguous_order` names both;
   - identical: a tie, settled by step 4.

   This is the sort key ``(as_of_start DESC, as_of_end ASC)`` (:func:`date_key`); the
   *head* is the eligible candidate first in that order.
3. **Window**: the eligible candidates whose described period overlaps the head's,
   widened by ``window_days`` (default 0): ``as_of_end >= head.as_of_start - window_days``
   (no eligible candidate starts after the head, so that is the whole test).
4. **Winner** within the window, by in turn: rank ``preferred`` before ``normal``; the
   date order of step 2; attribution (``direct_quote`` > ``paraphrase`` >
   ``second_hand``); qualifier (``exact`` > ``range`` > ``at_least``/``at_most`` >
   ``approx``); the later statement (``stated_on`` by the same precision-aware order);
   the later recording (``position``). See :func:`order_key`.

What the read model must fetch for this to be exact (per timeline, at ``D`` and known-at
``T``), i.e. :func:`needed` says ``True`` for exactly these rows:

    every figure row of the timeline's categories (the category and its synonyms) that is
    visible at ``T``, is a total, has ``stated_end <= D``, is not deprecated at ``T``,
    and has ``as_of_end >= H - window_days``, where ``H`` is the greatest ``as_of_start``
    among the rows satisfying the same conditions.

That is two index range scans: ``H`` from an index on (matter, category, as_of_start):
the first row passing the filters scanning ``as_of_start <= D`` descending, and the
greatest among the rare forward-looking rows (``as_of_start > D`` and ``stated_end <= D``,
the partial index ``ledger_figures_start_forward``), so that a replay at an early day
does not walk every later row; then the window from an index on (matter, category,
as_of_end) ``>= H - window_days``. The result is
small (the figures about the head's period and the periods containing it). Nothing
earlier can change the winner, the window, the ``ambiguous_order`` discrepancies or the
policies of :mod:`ledger.domain.policies`. (The cumulative-decrease check still needs the
figure that stood before the head's period: replay at ``head.as_of_start - 1 day`` with
``as_of_end < head.as_of_start``.)
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.domain.dates import PartialDate
from ledger.domain.figures import Figure
from ledger.domain.intervals import Interval

ATTRIBUTIONS = ("second_hand", "paraphrase", "direct_quote")  # weakest first
QUALIFIERS = ("approx", "at_most", "at_least", "range", "exact")  # weakest first; at_least = at_most
RANKS = ("deprecated", "normal", "preferred")
_QUALIFIER_ORDER = {"approx": 0, "at_least": 1, "at_most": 1, "range": 2, "exact": 3, "change": 3}
_ATTRIBUTION_ORDER = {name: i for i, name in enumerate(ATTRIBUTIONS)}


@dataclass(frozen=True)
class Candidate:
    """One figure of a timeline as replay sees it."""

    statement: str
    category: str  # the word the source used (a synonym keeps its own name)
    as_of: PartialDate
    stated_on: PartialDate
    figure: Figure
    position: int
    attribution: str = "direct_quote"
    rank: str = "normal"

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Candidate:
        """From a figure row of the read model: ``statement_id, category, as_of, stated_on,
        value, qualifier, low, high, position`` and, when the model has them, ``best``,
        ``change``, ``attribution``, ``rank``."""
        figure = Figure(value=row.get("value"), qualifier=row["qualifier"], low=row.get("low"),
                        high=row.get("high"), best=row.get("best"), change=row.get("change"))
        return cls(statement=row["statement_id"], category=row["category"],
                   as_of=PartialDate.parse(row["as_of"]), stated_on=PartialDate.parse(row["stated_on"]),
                   figure=figure, position=int(row["position"]),
                   attribution=row.get("attribution") or "direct_quote", rank=row.get("rank") or "normal")

    def __post_init__(self) -> None:
        # A replay orders the same candidates many times: the dates and keys are computed once.
        start, end, stated = self.as_of.start(), self.as_of.end(), self.stated_on.end()
        object.__setattr__(self, "_dates", (start, end, stated))
        dated = start is not None and end is not None and stated is not None
        object.__setattr__(self, "_keys", None if not dated else _keys(self, start, end))

    @property
    def as_of_start(self) -> dt.date:
        return _known(self._dates[0], self, "as_of")  # type: ignore[attr-defined]

    @property
    def as_of_end(self) -> dt.date:
        return _known(self._dates[1], self, "as_of")  # type: ignore[attr-defined]

    @property
    def stated_end(self) -> dt.date:
        return _known(self._dates[2], self, "stated_on")  # type: ignore[attr-defined]

    @property
    def dated(self) -> bool:
        return self.as_of.known and self.stated_on.known

    @functools.cached_property
    def interval(self) -> Interval:
        """The figure as an interval (kept: a replay compares it many times)."""
        f = self.figure
        if f.is_change:
            assert f.change is not None
            return Interval.exact(f.change)
        return Interval.of_figure(f.qualifier, f.value, f.low, f.high, f.best)

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        return self.as_of_start, self.as_of_end

    @property
    def date_key(self) -> tuple[int, int]:
        """See :func:`date_key`."""
        return self._known_keys()[0]

    @property
    def order_key(self) -> tuple[int, ...]:
        """See :func:`order_key`."""
        return self._known_keys()[1]

    def _known_keys(self) -> tuple[tuple[int, int], tuple[int, ...]]:
        keys = self._keys  # type: ignore[attr-defined]
        if keys is None:
            self.as_of_start, self.as_of_end, self.stated_end  # noqa: B018 - raises, naming the unknown date
            raise AssertionError("unreachable")
        return keys

    def label(self) -> str:
        return f"{self.category} {self.figure} as of {self.as_of} ({self.statement})"


def _keys(c: Candidate, start: dt.date, end: dt.date) -> tuple[tuple[int, int], tuple[int, ...]]:
    date = (start.toordinal(), -end.toordinal())
    stated_start, stated_end = c.stated_on.start(), c.stated_on.end()
    assert stated_start is not None and stated_end is not None
    return date, (int(c.rank == "preferred"), *date, _ATTRIBUTION_ORDER[c.attribution],
                  _QUALIFIER_ORDER[c.figure.qualifier], stated_start.toordinal(), -stated_end.toordinal(),
                  c.position)


def _known(value: dt.date | None, candidate: Candidate, field: str) -> dt.date:
    if value is None:
        raise ValueError(f"{candidate.statement}: {field} is unknown; undated figures take no part in replay")
    return value


def date_key(c: Candidate) -> tuple[int, int]:
    """Greater is later: later start first, then the shorter (more precise) period."""
    return c.date_key


def order_key(c: Candidate) -> tuple[int, ...]:
    """Greater wins, within a window (step 4 of the module's rule)."""
    return c.order_key


def eligible(candidates: Iterable[Candidate], day: dt.date) -> list[Candidate]:
    """Step 1: dated totals, stated by ``day``, not deprecated."""
    return [c for c in candidates
            if c.dated and not c.figure.is_change and c.rank != "deprecated" and c.stated_end <= day]


def window_floor(head_start: dt.date, window_days: int) -> dt.date:
    """``head_start - window_days``: the earliest ``as_of_end`` in the window (the calendar's
    first day when the window reaches before it)."""
    if window_days >= (head_start - dt.date.min).days:
        return dt.date.min
    return head_start - dt.timedelta(days=window_days)


def window(candidates: list[Candidate], window_days: int = 0) -> tuple[Candidate | None, list[Candidate]]:
    """Steps 2-3 over eligible candidates: the head and the window around it."""
    if not candidates:
        return None, []
    head = max(candidates, key=date_key)
    floor = window_floor(head.as_of_start, window_days)
    return head, [c for c in candidates if c.as_of_end >= floor]


def needed(candidate: Candidate, day: dt.date, head_start: dt.date, window_days: int = 0) -> bool:
    """Whether the read model must fetch this candidate (see the module docstring):
    ``head_start`` is the greatest ``as_of_start`` among the eligible candidates."""
    return bool(eligible([candidate], day)) and candidate.as_of_end >= window_floor(head_start, window_days)


@dataclass(frozen=True)
class Pick:
    """What the ordering decides at a day: the standing figure (or None), the window it was
    chosen from, and any ``ambiguous_order`` discrepancies."""

    standing: Candidate | None
    head: Candidate | None
    window: tuple[Candidate, ...]
    discrepancies: tuple[dict[str, Any], ...] = ()


def stands(candidates: Iterable[Candidate], day: dt.date, window_days: int = 0) -> Pick:
    """The figure that stands at ``day`` among the candidates of ONE timeline."""
    head, members = window(eligible(candidates, day), window_days)
    if head is None:
        return Pick(None, None, ())
    winner = max(members, key=order_key)
    return Pick(winner, head, tuple(sorted(members, key=order_key, reverse=True)),
                tuple(ambiguous_order(winner, members)))


def ambiguous_order(winner: Candidate, members: Iterable[Candidate]) -> list[dict[str, Any]]:
    """An ``ambiguous_order`` discrepancy for each candidate the winner beat only because it is
    more precise, though that candidate may describe a later date and says something else:
    its described period contains the winner's and ends after it, the rank did not decide,
    and the two figures differ (as intervals)."""
    found = []
    preferred, (start, end), interval = winner.rank == "preferred", winner.period, winner.interval
    for other in members:
        if other is winner or other.statement == winner.statement and other.category == winner.category:
            continue
        if (other.rank == "preferred") != preferred:
            continue
        contains = other.as_of_start <= start and other.as_of_end > end
        if not contains or _same(other.interval, interval):
            continue
        found.append({
            "kind": "ambiguous_order",
            "message": (f"{winner.category}: {other.category} {other.figure} as of {other.as_of} ({other.statement}) "
                        f"may describe a date after {winner.as_of} ({winner.statement}: {winner.figure}); "
                        f"the more precise figure stands"),
            "categories": sorted({winner.category, other.category}),
            "statements": [winner.statement, other.statement],
            "numbers": {winner.statement: str(winner.interval), other.statement: str(other.interval)},
        })
    return found


def _same(a: Interval, b: Interval) -> bool:
    return a == b and a.best == b.best
