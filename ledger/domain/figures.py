"""A figure as the ledger uses it once validated: no pydantic here (it is read on every
replay and by queries, which should not pay for loading the input models)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    """A figure normalised from either form: an exact/qualified value or a range."""

    value: int | None
    qualifier: str  # exact | at_least | at_most | approx | range
    low: int | None = None
    high: int | None = None

    @classmethod
    def from_input(cls, raw: Any) -> Figure:
        """From a validated short form (``12``), long form (``{value, qualifier}``) or range
        (``{low, high}``), as a dict or as the input model."""
        if isinstance(raw, int):
            return cls(value=raw, qualifier="exact")
        get = raw.get if isinstance(raw, dict) else (lambda key: getattr(raw, key, None))
        if get("value") is not None:
            return cls(value=get("value"), qualifier=get("qualifier") or "exact")
        return cls(value=None, qualifier="range", low=get("low"), high=get("high"))

    def __str__(self) -> str:
        if self.qualifier == "range":
            return f"{self.low}-{self.high}"
        prefix = {"exact": "", "at_least": ">=", "at_most": "<=", "approx": "~"}[self.qualifier]
        return f"{prefix}{self.value}"
