"""Figures as intervals of possible counts, so that qualifiers survive arithmetic.

``exact 12`` is [12, 12]; ``at_least 12`` is [12, inf); ``at_most 12`` is [0, 12];
``approx 40`` is [36, 44] (plus or minus 10%, widened to whole numbers); a range
``{low: 10, high: 14}`` is [10, 14]. A check fails only when intervals cannot meet.

An interval may also carry a ``best`` estimate (UCDP's low/best/high): the point the
source gave (``value`` of an exact, approximate, at-least or at-most figure, or an
explicit ``best``). A range without ``best`` has none. Arithmetic carries bests
along: the best of a sum is the sum of the bests, and it is None as soon as one input
has none. ``best`` takes no part in equality, so bounds compare as before.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from fractions import Fraction

APPROX_MARGIN = 0.10
_MARGIN = Fraction(APPROX_MARGIN).limit_denominator(1000)  # exact: 200 gives [180, 220]


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float
    best: float | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError(f"empty interval [{self.lo}, {self.hi}]")
        if self.best is not None and not self.lo <= self.best <= self.hi:
            raise ValueError(f"best {self.best} outside [{self.lo}, {self.hi}]")

    @classmethod
    def exact(cls, value: int) -> Interval:
        return cls(value, value, value)

    @classmethod
    def of_figure(cls, qualifier: str, value: int | None, low: int | None = None,
                  high: int | None = None, best: int | None = None) -> Interval:
        """The interval of a stored figure. A range may lack one bound when it has a best
        (``{low, best}`` has no upper bound, ``{best, high}`` a lower bound of 0). Intervals are
        immutable, so the same figure gives the same object (a replay asks for it often)."""
        return _of_figure(cls, qualifier, value, low, high, best)

    @classmethod
    def _of_figure(cls, qualifier: str, value: int | None, low: int | None,
                   high: int | None, best: int | None) -> Interval:
        if qualifier == "range":
            assert low is not None or high is not None
            return cls(0 if low is None else low, math.inf if high is None else high, best)
        assert value is not None
        point = value if best is None else best
        if qualifier == "exact":
            return cls(value, value, value)
        if qualifier == "at_least":
            return cls(value, math.inf, max(point, value))
        if qualifier == "at_most":
            return cls(0, value, min(point, value))
        if qualifier == "approx":
            lo, hi = math.floor(value * (1 - _MARGIN)), math.ceil(value * (1 + _MARGIN))
            return cls(lo, hi, min(max(point, lo), hi))
        raise ValueError(f"unknown qualifier {qualifier!r}")

    def __add__(self, other: Interval) -> Interval:
        best = None if self.best is None or other.best is None else self.best + other.best
        return Interval(self.lo + other.lo, self.hi + other.hi, best)

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo, None if self.best is None else -self.best)

    def __sub__(self, other: Interval) -> Interval:
        return self + (-other)

    def scale(self, factor: int) -> Interval:
        if factor == 0:
            return Interval(0, 0, 0)  # 0 * inf is no number
        a, b = self.lo * factor, self.hi * factor
        return Interval(min(a, b), max(a, b), None if self.best is None else self.best * factor)

    def contains(self, value: float) -> bool:
        return self.lo <= value <= self.hi

    def overlaps(self, other: Interval) -> bool:
        return self.lo <= other.hi and other.lo <= self.hi

    def clamp_non_negative(self) -> Interval | None:
        """The part of the interval a count can take, or None when it is wholly negative."""
        if self.hi < 0:
            return None
        lo = max(self.lo, 0)
        return Interval(lo, self.hi, None if self.best is None else max(self.best, lo))

    @property
    def is_exact(self) -> bool:
        return self.lo == self.hi

    def as_dict(self) -> dict[str, int | None]:
        """``value`` when exact, else ``low``/``high`` (``high`` null when unbounded)."""
        if self.is_exact:
            return {"value": int(self.lo), "low": None, "high": None}
        return {"value": None, "low": _int(self.lo), "high": _int(self.hi)}

    def estimate(self) -> dict[str, int | None]:
        """``low``/``best``/``high`` (``high`` null when unbounded, ``best`` null when unknown)."""
        return {"low": _int(self.lo), "best": None if self.best is None else _int(self.best),
                "high": _int(self.hi)}

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


@functools.lru_cache(maxsize=65536)
def _of_figure(cls: type[Interval], qualifier: str, value: int | None, low: int | None, high: int | None,
               best: int | None) -> Interval:
    return cls._of_figure(qualifier, value, low, high, best)
