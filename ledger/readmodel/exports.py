"""The rows of ``ledger export``, from the timeline. Mixed into
:class:`~ledger.readmodel.TimelineReadModel`; columns and file formats live in :mod:`ledger.export`."""

from __future__ import annotations

import json
from typing import Any

from ledger.domain.dates import PartialDate
from ledger.readmodel.audit import figure_text
from ledger.readmodel.snapshot import Snapshot
from ledger.readmodel.sql import FIGURE_COLUMNS

Row = dict[str, Any]


def _dates(text: str) -> dict[str, Any]:
    date = PartialDate.parse(text)
    start, end = date.start(), date.end()
    return {"text": str(date), "precision": date.precision,
            "start": start.isoformat() if start else None, "end": end.isoformat() if end else None}


class ExportQueries:
    view: Any

    def export_rows(self, matter_id: str | None, snapshot: Snapshot, derived: bool = False) -> list[dict[str, Any]]:
        """Every figure the ledger holds (at ``known_at``) for a matter, or for every matter,
        stated by ``as_of`` if given; oldest described date first, undated last.

        Corrected statements appear in their corrected version; retracted ones are left out
        (``ledger audit`` and ``ledger trace`` show both). With ``derived``, each matter's
        figures derived from its relations in the status as of the day follow its asserted
        figures (``qualifier`` and ``statement_status`` ``derived``, no statement).
        """
        ids = ([self.matter(matter_id, snapshot)["id"]] if matter_id  # type: ignore[attr-defined]
               else [m["matter"] for m in self.matters(snapshot)])  # type: ignore[attr-defined]
        rows: list[dict[str, Any]] = []
        for mid in ids:
            matter = self.matter(mid, snapshot)  # type: ignore[attr-defined]
            params = {"m": mid, **snapshot.params()}
            stated = "AND stated_end <= :day" if snapshot.as_of else ""
            figures = self.view.query(
                f"SELECT {FIGURE_COLUMNS} FROM {{ledger_figures}} "
                f"WHERE matter_id = :m AND {snapshot.in_force()} {stated}", params)
            versions = {
                (r["statement_id"], r["position"]): r for r in self.view.query(
                    "SELECT statement_id, position, role, venue, attribution, document, recorded_by, event "
                    f"FROM {{ledger_statements}} WHERE matter_id = :m AND {snapshot.in_force()}", params)
            }
            standing = {}
            for replayed in self.replayed(mid, snapshot).values():  # type: ignore[attr-defined]
                row = replayed.standing
                if row is not None:
                    standing[row["category"]] = (row["statement_id"], row["position"])
            order = list(matter["categories"])
            figures.sort(key=lambda f: (f["as_of_end"] is None, f["as_of_end"] or "", f["stated_end"] is None,
                                        f["stated_end"] or "", f["position"], order.index(f["category"])
                                        if f["category"] in order else len(order)))
            for figure in figures:
                version = versions[(figure["statement_id"], figure["position"])]
                rows.append(_row(mid, figure, version, standing.get(figure["category"])))
            if derived:
                status = self.status(mid, snapshot)  # type: ignore[attr-defined]
                rows += [_derived_row(mid, c, d, snapshot.day) for c, d in status["derived"].items()]
        return rows


def _row(matter_id: str, figure: Row, version: Row, standing: tuple[str, int] | None) -> dict[str, Any]:
    document = json.loads(version["document"])
    as_of, stated = _dates(figure["as_of"]), _dates(figure["stated_on"])
    return {
        "matter": matter_id,
        "category": figure["category"],
        "value": figure["value"],
        "qualifier": figure["qualifier"],
        "low": figure["low"],
        "best": figure.get("best"),
        "high": figure["high"],
        "figure_text": figure_text(figure),
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


def _derived_row(matter_id: str, category: str, derived: dict[str, Any], day: str) -> dict[str, Any]:
    """A figure derived from the relations in the status as of ``day`` (no statement behind it)."""
    as_of_text = max(i["as_of"] for i in derived["inputs"])
    as_of, stated = _dates(as_of_text), _dates(day)
    return {
        "matter": matter_id, "category": category, "value": derived["value"], "qualifier": "derived",
        "low": derived["low"], "best": derived.get("best"), "high": derived["high"], "figure_text": derived["text"],
        "as_of": as_of["text"], "as_of_precision": as_of["precision"],
        "as_of_start": as_of["start"], "as_of_end": as_of["end"],
        "stated_on": stated["text"], "stated_precision": stated["precision"],
        "stated_start": stated["start"], "stated_end": stated["end"],
        "recorded_at": None, "recorded_by": None, "stands": True, "statement": None,
        "statement_status": "derived", "organization": None, "person": None, "role": None, "venue": None,
        "attribution": None, "quote_language": None, "quote": None, "citations": [],
        "notes": (f"derived from '{derived['relation']}' (under {derived['under']}) and statements "
                  + ", ".join(derived["statements"])),
    }
