"""A figure as the ledger uses it once validated: no pydantic here (it is read on every
replay and by queries, which should not pay for loading the input models)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    """A figure normalised from any input form.

    ``value``/``qualifier``/``low``/``high`` keep their meaning for every reader of the
    timeline; ``best`` is the point estimate, ``change`` marks an increment:

    ============================  =========  =========  ===  ====  ====  ======
    input                         qualifier  value      low  high  best  change
    ============================  =========  =========  ===  ====  ====  ======
    ``12``                        exact      12                  12
    ``{value: 44, at_least}``     at_least   44                  44
    ``{value: 40, approx}``       approx     40                  40
    ``{best: 40, approx}``        approx     40                  40
    ``{low: 10, high: 14}``       range                 10   14
    ``{low, best, high}``         range                 low  high  best
    ``{low: 180, best: 202}``     at_least   180                 202
    ``{best: 202, high: 250}``    at_most    250                 202
    ``{change: 2}``               change                             2
    ============================  =========  =========  ===  ====  ====  ======
    """

    value: int | None
    qualifier: str  # exact | at_least | at_most | approx | range | change
    low: int | None = None
    high: int | None = None
    best: int | None = None
    change: int | None = None

    @classmethod
    def from_input(cls, raw: Any) -> Figure:
        """From a validated short form (``12``), long form (``{value, qualifier}``), estimate
        (``{low, best, high}``, any two, or ``best`` with ``approx``), range (``{low, high}``)
        or change (``{change}``), as a dict or as the input model."""
        return cls(*figure_columns(raw))

    @property
    def is_change(self) -> bool:
        return self.qualifier == "change"

    def __str__(self) -> str:
        if self.qualifier == "change":
            return f"{self.change:+d}"
        if self.qualifier == "range":
            text = f"{self.low}-{self.high}"
        else:
            prefix = {"exact": "", "at_least": ">=", "at_most": "<=", "approx": "~"}[self.qualifier]
            text = f"{prefix}{self.value}"
        if self.best is not None and self.best != self.value:
            text += f" (best {self.best})"
        return text


Columns = tuple[int | None, str, int | None, int | None, int | None, int | None]


def figure_columns(raw: Any) -> Columns:
    """``value, qualifier, low, high, best, change`` of a validated input figure, as in the table
    of :class:`Figure` (the one rule; the projection takes the tuple, with no object per figure)."""
    if isinstance(raw, int):
        return raw, "exact", None, None, raw, None
    get = raw.get if isinstance(raw, dict) else (lambda key: getattr(raw, key, None))
    if get("change") is not None:
        return None, "change", None, None, None, get("change")
    low, best, high = get("low"), get("best"), get("high")
    value = get("value")
    if value is not None:
        return value, get("qualifier") or "exact", None, None, value if best is None else best, None
    if low is None and high is None:  # best alone, with qualifier approx
        return best, get("qualifier") or "approx", None, None, best, None
    if high is None:
        return low, "at_least", None, None, best, None
    if low is None:
        return high, "at_most", None, None, best, None
    return None, "range", low, high, best, None
