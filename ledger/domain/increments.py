"""Increments: figures stated as a change since the previous one (``dead: {change: 2}``,
"two more Indians killed").

Input rule (:func:`change_problems`, called by ingest with the statement's matter): a
cumulative category takes only non-negative changes; current and derived ones take any.

Replay rule (:func:`replay_increments`), after the ordering has picked the standing total
(the *base*) of a timeline at day ``D``. The changes considered are the dated,
non-deprecated change figures of the timeline stated by ``D``:

- with a base, the changes whose described period starts after the base's ends
  (``as_of_start > base.as_of_end``) are added to it, in date order; changes whose period
  ends before the base's starts are already counted in it and are ignored; a change whose
  period overlaps the base's cannot be placed before or after it: it is not added and an
  ``ambiguous_order`` discrepancy names both;
- with no base (no total stated by ``D``), the figure is ``at_least`` the sum of all the
  changes (never below 0).

The result says ``base + changes`` (e.g. ``12 + 2 + 1``) and lists every statement
involved, the base's first.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.domain.intervals import Interval
from ledger.domain.ordering import Candidate, date_key, order_key


def change_problems(figures: Mapping[str, Any], categories: Mapping[str, Mapping[str, Any]],
                    matter_id: str) -> list[tuple[tuple[Any, ...], str]]:
    """(path, message) for each negative change of a cumulative category. ``figures`` is a
    statement's figures (input models or dicts), ``categories`` its matter's categories."""
    problems = []
    for name, raw in figures.items():
        change = raw.get("change") if isinstance(raw, dict) else getattr(raw, "change", None)
        declared = categories.get(name)
        if change is None or declared is None or change >= 0:
            continue
        if declared.get("kind") == "cumulative":
            problems.append((("figures", name, "change"), (
                f"{name} is cumulative in matter {matter_id!r}: its count can only grow, so a change "
                f"cannot be negative (got {change}); state the new total instead if it was corrected down")))
    return problems


@dataclass(frozen=True)
class Increments:
    """A total built from a base and the changes stated after it."""

    base: Candidate | None
    changes: tuple[Candidate, ...]
    interval: Interval
    qualifier: str  # the base's, or at_least without a base
    discrepancies: tuple[dict[str, Any], ...] = ()

    @property
    def text(self) -> str:
        parts = [str(self.base.figure)] if self.base is not None else []
        for change in self.changes:
            value = change.figure.change
            assert value is not None
            if parts:
                parts.append(f"{'-' if value < 0 else '+'} {abs(value)}")
            else:
                parts.append(str(value))
        text = " ".join(parts)
        return text if self.base is not None else f">= {text}"

    @property
    def statements(self) -> list[str]:
        every = ([self.base] if self.base is not None else []) + list(self.changes)
        return list(dict.fromkeys(c.statement for c in every))


def replay_increments(base: Candidate | None, candidates: Iterable[Candidate], day: dt.date,
                      base_interval: Interval | None = None) -> Increments | None:
    """The base plus the changes after it at ``day`` (see the module), or None when no change
    applies and none is ambiguous (the base stands as it is). ``base_interval`` replaces the
    base's own interval (the ``conservative`` or ``estimate`` policy's numbers)."""
    changes = sorted((c for c in candidates if c.dated and c.figure.is_change and c.rank != "deprecated"
                      and c.stated_end <= day), key=lambda c: (date_key(c), order_key(c)))
    if base is None:
        if not changes:
            return None
        total = sum(c.figure.change or 0 for c in changes)
        floor = max(total, 0)
        return Increments(None, tuple(changes), Interval(floor, math.inf, floor), "at_least")
    after = [c for c in changes if c.as_of_start > base.as_of_end]
    overlapping = [c for c in changes if c.as_of_end >= base.as_of_start and c.as_of_start <= base.as_of_end]
    discrepancies = tuple({
        "kind": "ambiguous_order",
        "message": (f"{base.category}: the change {c.figure} as of {c.as_of} ({c.statement}) cannot be placed "
                    f"before or after the total {base.figure} as of {base.as_of} ({base.statement}); "
                    f"it is not added"),
        "categories": sorted({base.category, c.category}),
        "statements": [base.statement, c.statement],
        "numbers": {base.statement: str(base.figure), c.statement: str(c.figure)},
    } for c in overlapping)
    if not after and not discrepancies:
        return None
    interval = base.interval if base_interval is None else base_interval
    for change in after:
        interval = interval + change.interval
    clamped = interval.clamp_non_negative() or Interval(0, 0, 0)
    return Increments(base, tuple(after), clamped, base.figure.qualifier, discrepancies)
