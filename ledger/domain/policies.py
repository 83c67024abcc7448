"""Policies: which number a replay reports for a timeline, chosen at query time.

All three work on the same window (:mod:`ledger.domain.ordering`): the eligible
(non-deprecated, stated by the replay day) totals whose described period overlaps the
head's (the latest candidate's), widened by ``window_days`` (default 0).

``latest`` (default)
    The figure :func:`ledger.domain.ordering.stands` picks; its own interval and best.
``conservative`` (ACLED's rule)
    The figure of the window with the lowest lower bound; among equal lower bounds, the
    one ``latest`` orders first. Ranks other than ``deprecated`` play no part.
``estimate`` (UCDP-style low/best/high)
    low = the lowest lower bound in the window, high = the highest upper bound (None when
    one is unbounded), best = the best of the figure ``latest`` picks (None when it has
    none, e.g. a range without ``best``). The standing figure is ``latest``'s.

A :class:`PolicyResult` names the policy, the standing figure, the numbers and every
figure it used (the whole window for ``conservative`` and ``estimate``, the one figure for
``latest``), plus the ordering's discrepancies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ledger.domain.intervals import Interval
from ledger.domain.ordering import Candidate, order_key, stands

POLICIES = ("latest", "conservative", "estimate")
DEFAULT_POLICY = "latest"
MAX_WINDOW_DAYS = 366_000  # about a thousand years: every calendar day a source can give, and SQL-safe
# What each policy reports, in a sentence (the report and the web pages print it).
SUMMARIES = {
    "latest": "the figure that describes the latest date among the statements made by then (a more precise "
              "period first; ties: rank, attribution, qualifier, the later statement, the later recording)",
    "conservative": "among the figures of the latest window, the one with the lowest lower bound (ACLED's rule)",
    "estimate": "over the latest window, low = the lowest lower bound and high = the highest upper bound; "
                "best = the best of the latest figure (UCDP-style)",
}


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    standing: Candidate | None
    interval: Interval | None  # lo/hi/best reported under the policy
    used: tuple[Candidate, ...]
    discrepancies: tuple[dict[str, Any], ...] = ()

    def numbers(self) -> dict[str, int | None]:
        """``low``/``best``/``high`` as JSON-ready numbers (all None with no figure)."""
        if self.interval is None:
            return {"low": None, "best": None, "high": None}
        return self.interval.estimate()

    @property
    def statements(self) -> list[str]:
        return list(dict.fromkeys(c.statement for c in self.used))


def apply_policy(policy: str, candidates: Iterable[Candidate], day: dt.date,
                 window_days: int = 0) -> PolicyResult:
    """The figure of one timeline at ``day`` under ``policy``."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r} (policies: {', '.join(POLICIES)})")
    if not 0 <= window_days <= MAX_WINDOW_DAYS:
        raise ValueError(f"the window is 0 to {MAX_WINDOW_DAYS} days, not {window_days}")
    pick = stands(candidates, day, window_days)
    if pick.standing is None:
        return PolicyResult(policy, None, None, ())
    if policy == "latest":
        return PolicyResult(policy, pick.standing, pick.standing.interval, (pick.standing,), pick.discrepancies)
    members = pick.window
    if policy == "conservative":
        chosen = min(members, key=lambda c: (c.interval.lo, tuple(-k for k in order_key(c))))
        return PolicyResult(policy, chosen, chosen.interval, members, pick.discrepancies)
    low = min(c.interval.lo for c in members)
    high = max(c.interval.hi for c in members)
    best = pick.standing.interval.best
    interval = Interval(low, high, best)
    return PolicyResult(policy, pick.standing, interval, members, pick.discrepancies)
