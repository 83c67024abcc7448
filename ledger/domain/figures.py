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
        if isinstance(raw, int):
            return cls(value=raw, qualifier="exact", best=raw)
        get = raw.get if isinstance(raw, dict) else (lambda key: getattr(raw, key, None))
        if get("change") is not None:
            return cls(value=None, qualifier="change", change=get("change"))
        low, best, high = get("low"), get("best"), get("high")
        if get("value") is not None:
            return cls(value=get("value"), qualifier=get("qualifier") or "exact",
                       best=get("value") if best is None else best)
        if low is None and high is None:  # best alone, with qualifier approx
            return cls(value=best, qualifier=get("qualifier") or "approx", best=best)
        if high is None:
            return cls(value=low, qualifier="at_least", best=best)
        if low is None:
            return cls(value=high, qualifier="at_most", best=best)
        return cls(value=None, qualifier="range", low=low, high=high, best=best)

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
