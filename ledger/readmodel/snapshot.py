"""The one bitemporal rule: which rows of the projection a question sees.

A :class:`Snapshot` says *as of* which day the picture is replayed (statements made by
then) and *known at* which moment (what the ledger had recorded by then), and leaves room
for the ranking policy later issues add. Every query of the read model takes one and
asks it for the SQL condition; no other module writes that condition.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace

from ledger.projections.timeline import timestamp_text


@dataclass(frozen=True)
class Snapshot:
    """As of a day (``None``: today, or no limit where a query says so), known at a moment
    (timestamp text as the projection stores it; ``None``: now), under a replay policy
    (``latest``, ``conservative``, ``estimate``) over a window widened by ``window_days``."""

    as_of: dt.date | None = None
    known_at: str | None = None
    policy: str = "latest"
    window_days: int = 0  # --window DAYS: widens the replay window (see ledger.domain.policies)
    # evidence (docs/evidence.md), set by the read model, not by callers: statements whose figures
    # are disputed (skipped), and (restating, restated) pairs (a restatement gives way to its original)
    skip: frozenset[str] = frozenset()
    restates: frozenset[tuple[str, str]] = frozenset()

    @functools.cached_property
    def day(self) -> str:
        """The as-of day as ISO text (today when not given; kept once asked, replays ask it
        for every timeline)."""
        return (self.as_of or dt.date.today()).isoformat()

    def on(self, day: dt.date) -> Snapshot:
        """The same knowledge, replayed to another day."""
        return replace(self, as_of=day)

    def on_day(self, day: str) -> Snapshot:
        """:meth:`on` a day given as ISO text."""
        return replace(self, as_of=dt.date.fromisoformat(day))

    def in_force(self, alias: str = "") -> str:
        """SQL: versions in force at ``known_at`` (recorded by then, not yet superseded then).

        Uses the ``:known_at`` parameter (see :meth:`params`)."""
        p = f"{alias}." if alias else ""
        if self.known_at is None:
            return f"{p}superseded_at IS NULL"
        return f"{p}recorded_at <= :known_at AND ({p}superseded_at IS NULL OR {p}superseded_at > :known_at)"

    def recorded(self, alias: str = "") -> str:
        """SQL: every version recorded by ``known_at``, superseded or not (trails and audits)."""
        p = f"{alias}." if alias else ""
        return "1 = 1" if self.known_at is None else f"{p}recorded_at <= :known_at"

    def superseded(self, superseded_at: str | None) -> bool:
        """Whether a version closed at ``superseded_at`` was already closed at ``known_at``."""
        return superseded_at is not None and (self.known_at is None or superseded_at <= self.known_at)

    def params(self) -> dict[str, str | None]:
        return {"known_at": self.known_at, "day": self.day}


def parse_timestamp(text: str) -> str:
    """``--known-at``: an ISO date or date-time (UTC unless an offset is given) as timestamp text.

    A bare date means the end of that day, so ``--known-at 2025-11-30`` includes all of it.
    """
    value = text.strip().replace(" ", "T", 1)
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
        else:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError):
        raise ValueError(
            f"{text!r} is not a timestamp: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]"
        ) from None
    try:
        return timestamp_text(moment.astimezone(dt.UTC))
    except OverflowError:
        raise ValueError(f"{text!r} is out of range (years 0001 to 9999, in UTC)") from None
