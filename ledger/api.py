"""The Python API for notebooks: ``lg = ledger.open("sqlite:///ledger.db")``.

Every method answers as the CLI's ``--format json`` does for the same question (through
:class:`ledger.reads.Reader`, the adapter the web view uses too), as a :class:`Result`:
the JSON data (a dict or list) with ``.to_pandas()`` where the answer is rows
(pandas is optional, imported only then).

    >>> lg = ledger.open("sqlite:///ledger.db")
    >>> lg.status("indians-in-russian-army", as_of="2025-08-15")["figures"]["dead"]["value"]
    >>> lg.series("indians-in-russian-army", start="2025-01", end="2025-12", every="month").to_pandas()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ledger.reads import NotFoundError, Reader, parse_date, snapshot

__all__ = ["Ledger", "NotFoundError", "Result", "open"]

DateLike = str | dt.date | None
Moment = str | dt.date | dt.datetime | None


class Result(dict):  # type: ignore[type-arg]
    """A JSON answer (a dict) that knows its rows; ``to_pandas()`` makes a DataFrame of them."""

    def __init__(self, data: dict[str, Any], rows: list[dict[str, Any]] | None = None) -> None:
        super().__init__(data)
        self._rows = rows

    @property
    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            raise TypeError("this answer has no rows to tabulate")
        return self._rows

    def to_pandas(self) -> Any:
        try:
            import pandas
        except ImportError:
            raise ImportError("to_pandas() needs pandas: pip install pandas") from None
        return pandas.DataFrame.from_records(self.rows)


class Rows(list):  # type: ignore[type-arg]
    """A JSON list answer (sources, check, log) with ``to_pandas()``."""

    def to_pandas(self) -> Any:
        return Result({}, [dict(r) for r in self]).to_pandas()


def _figure_row(category: str, figure: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    f = figure or {}
    source = f.get("source") or {}
    return {**extra, "category": category, "value": f.get("value"), "qualifier": f.get("qualifier"),
            "low": f.get("low"), "high": f.get("high"), "as_of": f.get("as_of"),
            "stated_on": f.get("stated_on"),
            "statement": f.get("statement"), "organization": source.get("organization"),
            "person": source.get("person"), "recorded_at": f.get("recorded_at")}


class Ledger:
    """A ledger opened for reading (and recording) from Python. Close it, or use ``with``."""

    def __init__(self, url: str | None = None, catch_up: bool = True) -> None:
        self._reader = Reader(url, catch_up=catch_up, catch_up_every=0.0)

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def matters(self) -> Rows:
        return Rows(self._reader.matters())

    def status(self, matter: str | None = None, as_of: DateLike = None, known_at: Moment = None,
               policy: str | None = None, stale_days: int | None = None, window: int | None = None) -> Result:
        """As ``ledger status --format json``; rows: one per category. ``window``: days, as ``--window``."""
        report = self._reader.status(matter, snapshot(as_of, known_at, policy, window), stale_days)
        return Result(report, [_figure_row(c, f, date=report["as_of"]) for c, f in report["figures"].items()])

    def history(self, category: str, matter: str | None = None, as_of: DateLike = None,
                known_at: Moment = None, policy: str | None = None, window: int | None = None) -> Result:
        """As ``ledger history CATEGORY --format json`` (``stands`` under ``policy`` and
        ``window``); rows: one per figure."""
        snap = snapshot(as_of, known_at, policy, window)
        report = self._reader.history(matter, category, snap if as_of is not None else replace(snap, as_of=None))
        return Result(report, [_figure_row(category, f) for f in report["figures"]])

    def trace(self, category: str, matter: str | None = None, as_of: DateLike = None,
              known_at: Moment = None, policy: str | None = None, window: int | None = None) -> Result:
        """As ``ledger trace CATEGORY --format json``; rows: the standing figure, then the others."""
        report = self._reader.trace(matter, category, snapshot(as_of, known_at, policy, window))
        figures = ([report["figure"]] if report["figure"] else []) + report["others"]
        return Result(report, [{k: v for k, v in f.items() if k != "source"} | {
            "organization": f["source"]["organization"], "person": f["source"]["person"]} for f in figures])

    def series(self, matter: str | None = None, start: DateLike = None, end: DateLike = None,
               every: str = "month", category: str | None = None, known_at: Moment = None,
               policy: str | None = None, window: int | None = None) -> Result:
        """The status replayed at each step from ``start`` to ``end`` (default: a year to
        today); rows: one per (date, category)."""
        last = parse_date(end, "end") if end is not None else dt.date.today()
        first = parse_date(start, "start") if start is not None else last - dt.timedelta(days=365)
        report = self._reader.series(matter, first, last, every, snapshot(last, known_at, policy, window), category)
        return Result(report, report["rows"])

    def diff(self, matter: str | None = None, start: DateLike = None, end: DateLike = None,
             known_at: Moment = None, policy: str | None = None, window: int | None = None) -> Result:
        """What changed in the status from ``start`` to ``end``; rows: one per category."""
        last = parse_date(end, "end") if end is not None else dt.date.today()
        if start is None:
            raise TypeError("diff() needs start=")
        report = self._reader.diff(matter, parse_date(start, "start"), last, snapshot(last, known_at, policy, window))
        rows = [{"category": c["category"], "changed": c["changed"],
                 **{f"{side}_{k}": (c[side]["figure"] or c[side]["derived"] or {}).get(k) for side in ("from", "to")
                    for k in ("value", "low", "high", "qualifier", "as_of")},
                 **{f"{side}_statements": " ".join(c[side]["statements"]) for side in ("from", "to")}}
                for c in report["categories"]]
        return Result(report, rows)

    def check(self, matter: str | None = None, as_of: DateLike = None, known_at: Moment = None,
              policy: str | None = None, stale_days: int | None = None, window: int | None = None) -> Rows:
        return Rows(self._reader.check(matter, snapshot(as_of, known_at, policy, window), stale_days))

    def statement(self, statement_id: str, known_at: Moment = None) -> Result:
        held = self._reader.statement(statement_id, snapshot(None, known_at).known_at)
        return Result(held, [{k: v for k, v in t.items() if k != "document"} for t in held["trail"]])

    def sources(self, matter: str | None = None, known_at: Moment = None) -> Rows:
        return Rows(self._reader.sources(matter, snapshot(None, known_at).known_at))

    def log(self, since: int = 0, limit: int = 1000) -> Rows:
        return Rows(self._reader.log(since, limit))

    def head(self) -> dict[str, Any]:
        return self._reader.head()

    def record(self, paths: str | Iterable[str], recorded_by: str | None = None) -> Result:
        """As ``ledger record PATHS``: every document checked first, all recorded or none
        (raises :class:`ledger.errors.InputError` listing the problems)."""
        names = [paths] if isinstance(paths, str) else [str(p) for p in paths]
        result = self._reader.record(names, recorded_by)
        return Result(result)


def open(url: str | None = None, catch_up: bool = True) -> Ledger:  # noqa: A001 - ledger.open is the contract
    """Open the ledger at ``url`` (sqlite:///FILE or postgresql://...; default $LEDGER_DB)."""
    return Ledger(url, catch_up=catch_up)
