"""Result shapes of ``ledger diff`` and ``ledger series`` (and their web API twins), in
the manner of :mod:`ledger.readmodel.results` (frozen, unknown fields forbidden)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ledger.readmodel.results import DerivedFigure, Discrepancy, Figure, NoFigure, Result


class DiffSide(Result):
    """One category on one side of a diff: the standing figure, else the derived one, else why none."""

    figure: Figure | None
    derived: DerivedFigure | None
    no_figure: NoFigure | None
    statements: list[str]


class DiffCategory(Result):
    category: str
    changed: bool
    from_: DiffSide = Field(alias="from")
    to: DiffSide


class DiffPoint(Result):
    as_of: str
    known_at: str | None


class DiffResult(Result):
    matter: str
    title: str
    mode: Literal["dates", "knowledge"]
    policy: str
    window_days: int
    from_: DiffPoint = Field(alias="from")
    to: DiffPoint
    categories: list[DiffCategory]
    opened: list[Discrepancy]
    closed: list[Discrepancy]


class SeriesRow(Result):
    date: str
    category: str
    value: int | None
    low: int | None
    best: int | None
    high: int | None
    qualifier: str | None
    statement: str | None
    source: str | None
    derived: bool


class SeriesResult(Result):
    matter: str
    category: str | None
    policy: str
    window_days: int
    known_at: str | None
    every: Literal["day", "week", "month", "year"]
    from_: str = Field(alias="from")
    to: str
    replays: int
    rows: list[SeriesRow]
