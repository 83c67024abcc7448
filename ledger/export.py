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

from ledger.domain.dates import PartialDate
from ledger.queries import _FIGURE_COLUMNS, View, matter_document, matters, status_figure, visible

FORMATS = ("csv", "json", "jsonl")

# The columns, in order, with their meaning: the README's table is generated from this.
COLUMNS: dict[str, str] = {
    "matter": "matter id",
    "category": "category of the matter",
    "value": "the count (empty for a range)",
    "qualifier": "exact, at_least, at_most, approx, or range",
    "low": "lower bound of a range (else empty)",
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
    "statement_status": "recorded, or corrected (this is the corrected version)",
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
_NOT_TEXT = {"value", "low", "high", "stands", "recorded_at", *DATE_COLUMNS}
_TEXT_COLUMNS = [c for c in COLUMNS if c not in _NOT_TEXT]
PANDAS_READ_CSV: dict[str, Any] = {
    "dtype": {"value": "Int64", "low": "Int64", "high": "Int64", "stands": "bool",
              **{c: "string" for c in _TEXT_COLUMNS}},
    "parse_dates": DATE_COLUMNS + ["recorded_at"],
}


_PREFIX = {"exact": "", "at_least": ">=", "at_most": "<=", "approx": "~"}


def _dates(text: str) -> dict[str, Any]:
    date = PartialDate.parse(text)
    start, end = date.start(), date.end()
    return {"text": str(date), "precision": date.precision,
            "start": start.isoformat() if start else None, "end": end.isoformat() if end else None}


def figure_rows(view: View, matter_id: str | None = None, as_of: dt.date | None = None,
                known_at: str | None = None) -> list[dict[str, Any]]:
    """Every figure the ledger holds (at ``known_at``) for a matter, or for every matter,
    stated by ``as_of`` if given; oldest described date first, undated last.

    Corrected statements appear in their corrected version; retracted ones are left out
    (``ledger audit`` and ``ledger trace`` show both).
    """
    ids = [matter_document(view, matter_id)["id"]] if matter_id else [m["matter"] for m in matters(view)]
    day = (as_of or dt.date.today()).isoformat()
    rows: list[dict[str, Any]] = []
    for mid in ids:
        matter = matter_document(view, mid)
        params = {"m": mid, "known_at": known_at, "day": day}
        stated = "AND stated_end <= :day" if as_of else ""
        figures = view.query(
            f"SELECT {_FIGURE_COLUMNS} FROM {{ledger_figures}} "
            f"WHERE matter_id = :m AND {visible(known_at)} {stated}", params)
        versions = {
            (r["statement_id"], r["position"]): r for r in view.query(
                "SELECT statement_id, position, role, venue, attribution, document, recorded_by, event "
                f"FROM {{ledger_statements}} WHERE matter_id = :m AND {visible(known_at)}", params)
        }
        standing = {}
        for category in matter["categories"]:
            row = status_figure(view, mid, category, dt.date.fromisoformat(day), known_at)
            if row is not None:
                standing[category] = (row["statement_id"], row["position"])
        order = list(matter["categories"])
        figures.sort(key=lambda f: (f["as_of_end"] is None, f["as_of_end"] or "", f["stated_end"] is None,
                                    f["stated_end"] or "", f["position"], order.index(f["category"])
                                    if f["category"] in order else len(order)))
        for figure in figures:
            version = versions[(figure["statement_id"], figure["position"])]
            rows.append(_row(mid, figure, version, standing.get(figure["category"])))
    return rows


def _row(matter_id: str, figure: dict[str, Any], version: dict[str, Any],
         standing: tuple[str, int] | None) -> dict[str, Any]:
    document = json.loads(version["document"])
    as_of, stated = _dates(figure["as_of"]), _dates(figure["stated_on"])
    qualifier = figure["qualifier"]
    if qualifier == "range":
        text = f"{figure['low']}-{figure['high']}"
    else:
        text = _PREFIX[qualifier] + str(figure["value"])
    return {
        "matter": matter_id,
        "category": figure["category"],
        "value": figure["value"],
        "qualifier": qualifier,
        "low": figure["low"],
        "high": figure["high"],
        "figure_text": text,
        "as_of": as_of["text"], "as_of_precision": as_of["precision"],
        "as_of_start": as_of["start"], "as_of_end": as_of["end"],
        "stated_on": stated["text"], "stated_precision": stated["precision"],
        "stated_start": stated["start"], "stated_end": stated["end"],
        "recorded_at": figure["recorded_at"],
        "recorded_by": version["recorded_by"],
        "stands": standing == (figure["statement_id"], figure["position"]),
        "statement": figure["statement_id"],
        "statement_status": version["event"],
        "organization": figure["organization"],
        "person": figure["person"],
        "role": version["role"],
        "venue": version["venue"],
        "attribution": version["attribution"],
        "quote_language": document.get("quote_language"),
        "quote": document["quote"],
        "citations": [
            {"outlet": c["outlet"], "published_on": c.get("published_on"), "url": c.get("url")}
            for c in document.get("citations", [])
        ],
        "notes": document.get("notes"),
    }


def citations_text(citations: Iterable[dict[str, Any]]) -> str:
    return " | ".join(", ".join(str(c[k]) for k in ("outlet", "published_on", "url") if c.get(k))
                      for c in citations)


def write(rows: list[dict[str, Any]], fmt: str, out: TextIO) -> None:
    """CSV (a header row, empty cells for nulls, true/false), a JSON array, or JSON Lines."""
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
    if column == "citations":
        return citations_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value
