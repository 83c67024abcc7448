"""Exports for analysts: one row per asserted figure, for pandas and spreadsheets.

Each row carries the figure, every date (the text the source gave, with its precision,
and ISO start and end days that any tool parses), the source, the statement, its
attribution, quote and citations, and whether the figure stands in the replay as of the
export date. The rows are answered from the timeline projection with two queries (the
figures, and the statement versions they belong to); the standing figure of each
category is the status query's.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from typing import Any, TextIO

from ledger.readmodel import Snapshot, TimelineReadModel
from ledger.text import csv_safe

FORMATS = ("csv", "json", "jsonl")

# The columns, in order, with their meaning: the README's table is generated from this.
COLUMNS: dict[str, str] = {
    "matter": "matter id",
    "category": "category of the matter",
    "value": "the count (empty for a range)",
    "qualifier": "exact, at_least, at_most, approx, or range",
    "low": "lower bound of a range (else empty)",
    "best": "best estimate of an estimate {low, best, high} or of a derived figure (else empty)",
    "high": "upper bound of a range (else empty)",
    "figure_text": "the figure as the ledger prints it: 12, >=12, <=12, ~40, 35-50",
    "as_of": "the date the figure describes, as the source gave it (YYYY, YYYY-MM, YYYY-MM-DD or unknown)",
    "as_of_precision": "day, month, year or unknown",
    "as_of_start": "first day of that period (ISO date; empty when unknown)",
    "as_of_end": "last day of that period (ISO date; empty when unknown)",
    "stated_on": "when the source said it, as given",
    "stated_precision": "day, month, year or unknown",
    "stated_start": "first day of that period (ISO date; empty when unknown)",
    "stated_end": "last day of that period (ISO date; empty when unknown): the day replays count it from",
    "recorded_at": "when the ledger recorded this version (ISO 8601, UTC)",
    "recorded_by": "who recorded it",
    "stands": "true when this figure is the one the status shows for its category as of the export date",
    "statement": "statement id",
    "statement_status": "recorded, or corrected (this is the corrected version); derived (with --derived)",
    "organization": "source organization",
    "person": "source person (may be empty)",
    "role": "the person's role (may be empty)",
    "venue": "where it was said (may be empty)",
    "attribution": "direct_quote, paraphrase or second_hand",
    "quote_language": "language tag of the quote (may be empty)",
    "quote": "the source's words",
    "citations": "CSV: 'outlet, published_on, url' joined by ' | '; JSON: a list of objects",
    "notes": "the recorder's notes (may be empty)",
}

# For readers: ``pd.read_csv(path, **PANDAS_READ_CSV)`` gives typed columns.
DATE_COLUMNS = ["as_of_start", "as_of_end", "stated_start", "stated_end"]
_NOT_TEXT = {"value", "low", "best", "high", "stands", "recorded_at", *DATE_COLUMNS}
_TEXT_COLUMNS = [c for c in COLUMNS if c not in _NOT_TEXT]
PANDAS_READ_CSV: dict[str, Any] = {
    "dtype": {"value": "Int64", "low": "Int64", "best": "Int64", "high": "Int64", "stands": "bool",
              **{c: "string" for c in _TEXT_COLUMNS}},
    "parse_dates": DATE_COLUMNS + ["recorded_at"],
}


def figure_rows(view: Any, matter_id: str | None = None, as_of: dt.date | None = None,
                known_at: str | None = None, derived: bool = False, policy: str = "latest",
                window_days: int = 0) -> list[dict[str, Any]]:
    """See :meth:`ledger.readmodel.TimelineReadModel.export_rows` (``stands`` under ``policy``)."""
    return TimelineReadModel(view).export_rows(matter_id, Snapshot(as_of, known_at, policy, window_days), derived)


def citations_text(citations: Iterable[dict[str, Any]]) -> str:
    return " | ".join(", ".join(str(c[k]) for k in ("outlet", "published_on", "url") if c.get(k))
                      for c in citations)


def write(rows: list[dict[str, Any]], fmt: str, out: TextIO) -> None:
    """CSV (a header row, empty cells for nulls, true/false, text made safe for terminals and
    spreadsheets: :func:`ledger.text.csv_safe`), a JSON array, or JSON Lines (verbatim)."""
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_csv_cell(k, row[k]) for k in COLUMNS])
    elif fmt == "json":
        json.dump(rows, out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        raise ValueError(f"unknown export format {fmt!r}")


def _csv_cell(column: str, value: Any) -> Any:
    """As :func:`ledger.present.csv_cell`: text safe for terminals and spreadsheets."""
    if column == "citations":
        return csv_safe(citations_text(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else csv_safe(value)
