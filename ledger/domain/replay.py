"""One timeline replayed at a day: the single entry point the read model calls.

It chains the rules, each in its own module: the policy over the ordering
(:mod:`~ledger.domain.policies`, :mod:`~ledger.domain.ordering`), then the increments
after the standing total (:mod:`~ledger.domain.increments`), then the staleness of what
stands (:mod:`~ledger.domain.staleness`). Discrepancies of all three are gathered.

Candidates the read model passes for one timeline (the category and its synonyms, see
:mod:`~ledger.domain.synonyms`), at day ``D`` and known-at ``T``, all visible at ``T``,
stated by ``D`` (``stated_end <= D``), not deprecated at ``T``:

- totals with ``as_of_end >= H - window_days``, ``H`` the greatest ``as_of_start`` among
  such totals (see :mod:`~ledger.domain.ordering`);
- changes with ``as_of_end >= S``, ``S`` the ``as_of_start`` of the standing total — in
  practice ``>= H - window_days`` (the standing total's period contains or equals the
  head's, or lies in the widened window) — or every change when there is no total.

Passing more rows changes nothing; passing fewer may.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from ledger.domain.increments import Increments, replay_increments
from ledger.domain.intervals import Interval
from ledger.domain.ordering import Candidate
from ledger.domain.policies import DEFAULT_POLICY, apply_policy
from ledger.domain.staleness import DEFAULT_STALE_DAYS, stale_figure, stale_from


@dataclass(frozen=True)
class TimelineFigure:
    """What stands for one timeline at a day, under a policy."""

    timeline: str
    policy: str
    standing: Candidate | None  # the total the policy chose (None: only changes, or nothing)
    interval: Interval | None  # the numbers reported (total plus changes)
    qualifier: str | None
    increments: Increments | None
    used: tuple[Candidate, ...]  # every figure the answer rests on
    discrepancies: tuple[dict[str, Any], ...] = ()
    stale_from: dt.date | None = None  # the first day the answer counts as stale (nothing newer by then)
    stale_after_days: int = DEFAULT_STALE_DAYS

    @property
    def statements(self) -> list[str]:
        return list(dict.fromkeys(c.statement for c in self.used))

    def numbers(self) -> dict[str, int | None]:
        if self.interval is None:
            return {"low": None, "best": None, "high": None}
        return self.interval.estimate()


def replay_timeline(timeline: str, candidates: Iterable[Candidate], day: dt.date, policy: str = DEFAULT_POLICY,
                    window_days: int = 0, stale_after_days: int = DEFAULT_STALE_DAYS) -> TimelineFigure:
    """The figure of ``timeline`` at ``day``: policy, then increments (:func:`settle`), then
    staleness (:func:`on_day`)."""
    return on_day(settle(timeline, candidates, day, policy, window_days, stale_after_days), day)


def settle(timeline: str, candidates: Iterable[Candidate], day: dt.date, policy: str = DEFAULT_POLICY,
           window_days: int = 0, stale_after_days: int = DEFAULT_STALE_DAYS) -> TimelineFigure:
    """Policy, then increments: what stands at ``day`` before staleness is asked, and the day
    it turns stale. Given the same candidates (all stated by ``day``, as the read model passes
    them), the answer is the same on every later day: a replay of many days may keep it while
    the candidates stay."""
    candidates = list(candidates)
    chosen = apply_policy(policy, candidates, day, window_days)
    discrepancies = list(chosen.discrepancies)
    increments = replay_increments(chosen.standing, candidates, day, chosen.interval)
    interval, qualifier = chosen.interval, chosen.standing.figure.qualifier if chosen.standing else None
    used = list(chosen.used)
    if increments is not None:
        discrepancies += increments.discrepancies
        if increments.changes:
            interval, qualifier = increments.interval, increments.qualifier
            used += increments.changes
    if interval is None:
        return TimelineFigure(timeline, policy, None, None, None, None, (), tuple(discrepancies))
    newest = max(used, key=lambda c: c.as_of_end)
    return TimelineFigure(timeline, policy, chosen.standing, interval, qualifier, increments, tuple(used),
                          tuple(discrepancies), stale_from(newest.as_of_end, stale_after_days), stale_after_days)


def on_day(figure: TimelineFigure, day: dt.date) -> TimelineFigure:
    """A settled figure at ``day``: the same, or with its ``stale_figure`` discrepancy when the
    newest figure it rests on is too old by then."""
    stale = stale_on(figure, day)
    return figure if stale is None else replace(figure, discrepancies=figure.discrepancies + (stale,))


def stale_on(figure: TimelineFigure, day: dt.date) -> dict[str, Any] | None:
    """The ``stale_figure`` discrepancy of a settled figure at ``day``, or None."""
    if figure.stale_from is None or day < figure.stale_from:
        return None
    newest = max(figure.used, key=lambda c: c.as_of_end)
    return stale_figure(figure.timeline, newest.statement, str(newest.as_of), newest.as_of_end, day,
                        figure.stale_after_days)
