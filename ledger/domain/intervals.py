"""Figures as intervals of possible counts, so that qualifiers survive arithmetic.

``exact 12`` is [12, 12]; ``at_least 12`` is [12, inf); ``at_most 12`` is [0, 12];
``approx 40`` is [36, 44] (plus or minus 10%, widened to whole numbers); a range
``{low: 10, high: 14}`` is [10, 14]. A check fails only when intervals cannot meet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

APPROX_MARGIN = 0.10


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError(f"empty interval [{self.lo}, {self.hi}]")

    @classmethod
    def exact(cls, value: int) -> Interval:
        return cls(value, value)

    @classmethod
    def of_figure(cls, qualifier: str, value: int | None, low: int | None = None,
                  high: int | None = None) -> Interval:
        if qualifier == "range":
            assert low is not None and high is not None
            return cls(low, high)
        assert value is not None
        if qualifier == "exact":
            return cls(value, value)
        if qualifier == "at_least":
            return cls(value, math.inf)
        if qualifier == "at_most":
            return cls(0, value)
        if qualifier == "approx":
            return cls(math.floor(value * (1 - APPROX_MARGIN)), math.ceil(value * (1 + APPROX_MARGIN)))
        raise ValueError(f"unknown qualifier {qualifier!r}")

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __sub__(self, other: Interval) -> Interval:
        return self + (-other)

    def scale(self, factor: int) -> Interval:
        a, b = self.lo * factor, self.hi * factor
        return Interval(min(a, b), max(a, b))

    def contains(self, value: float) -> bool:
        return self.lo <= value <= self.hi

    def overlaps(self, other: Interval) -> bool:
        return self.lo <= other.hi and other.lo <= self.hi

    def clamp_non_negative(self) -> Interval | None:
        """The part of the interval a count can take, or None when it is wholly negative."""
        if self.hi < 0:
            return None
        return Interval(max(self.lo, 0), self.hi)

    @property
    def is_exact(self) -> bool:
        return self.lo == self.hi

    def as_dict(self) -> dict[str, int | None]:
        """``value`` when exact, else ``low``/``high`` (``high`` null when unbounded)."""
        if self.is_exact:
            return {"value": int(self.lo), "low": None, "high": None}
        return {"value": None, "low": _int(self.lo), "high": _int(self.hi)}

    def __str__(self) -> str:
        if self.is_exact:
            return str(_int(self.lo))
        if self.hi == math.inf:
            return f">={_int(self.lo)}"
        if self.lo == -math.inf:
            return f"<={_int(self.hi)}"
        return f"{_int(self.lo)}-{_int(self.hi)}"


def _int(x: float) -> int | None:
    return None if math.isinf(x) else int(x)
