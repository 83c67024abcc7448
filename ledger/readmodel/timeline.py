"""The read model of the timeline projection: every question asked of its tables.

:class:`TimelineReadModel` wraps a view (SQLite or PostgreSQL) and answers matters,
status, history, sources, show, check, trace, audit, export rows and report statements.
Each method takes one :class:`~ledger.readmodel.snapshot.Snapshot`; which rows it sees is
decided by the snapshot alone (statements, figures and matters alike). Results are plain
JSON-ready data; presentation is the CLI's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ledger.errors import NotFoundError
from ledger.readmodel import replay as rp
from ledger.readmodel.audit import AuditQueries, figure_result
from ledger.readmodel.check import CheckQueries
from ledger.readmodel.evidence import EvidenceQueries, links_result, statement_spans
from ledger.readmodel.exports import ExportQueries
from ledger.readmodel.snapshot import Snapshot
from ledger.readmodel.sql import FIGURE_COLUMNS
from ledger.readmodel.status import StatusQueries

Row = dict[str, Any]
Progress = Callable[[int, int], None]


class TimelineReadModel(StatusQueries, CheckQueries, AuditQueries, ExportQueries, EvidenceQueries):
    """Questions answered from the timeline projection's tables (see the module docstring)."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.one_statement = view.placeholder_style == "pyformat"  # PostgreSQL: save round trips

    # --- matters ---------------------------------------------------------------------------

    def matters(self, snapshot: Snapshot | None = None) -> list[dict[str, Any]]:
        """Each matter (as known at the snapshot) with its categories and statement count."""
        snapshot = snapshot or Snapshot()
        rows = self.view.query(
            "SELECT m.matter_id, m.title, m.document, "
            "(SELECT COUNT(*) FROM {ledger_statements} s WHERE s.matter_id = m.matter_id "
            f"AND {snapshot.recorded('s')}) AS statements "
            f"FROM {{ledger_matters}} m WHERE {snapshot.in_force('m')}", snapshot.params())
        rows.sort(key=lambda r: r["matter_id"])
        return [
            {"matter": r["matter_id"], "title": r["title"], "statements": r["statements"],
             "categories": list(json.loads(r["document"])["categories"])}
            for r in rows
        ]

    def matter(self, matter_id: str | None, snapshot: Snapshot | None = None, query: Any = None) -> dict[str, Any]:
        """The matter's document as known at the snapshot; without a name, the only matter.

        Asked about a moment before the matter was declared, its first version answers
        (so a past picture is empty rather than unknown). ``query``: a read transaction to use."""
        snapshot = snapshot or Snapshot()
        query = query or self.view.query
        matter_id = matter_id if matter_id is not None else self.only_matter(query)
        return self.matter_from(matter_id, query(*self.matter_query(matter_id)), snapshot)

    def only_matter(self, query: Any) -> str:
        """The id of the ledger's one matter (an error naming them when there are several)."""
        ids = query("SELECT DISTINCT matter_id FROM {ledger_matters} LIMIT 2", None)
        if not ids:
            raise NotFoundError("the ledger holds no matter yet: record a matter file first")
        if len(ids) > 1:
            names = ", ".join(m["matter"] for m in self.matters())
            raise NotFoundError(f"the ledger holds several matters; choose one with --matter: {names}")
        return ids[0]["matter_id"]

    @staticmethod
    def matter_query(matter_id: str) -> tuple[str, dict[str, Any]]:
        """The query of every version of a matter (for :meth:`matter_from`)."""
        return ("SELECT document, position, recorded_at, superseded_at FROM {ledger_matters} "
                "WHERE matter_id = :m ORDER BY position", {"m": matter_id})

    def matter_from(self, matter_id: str, rows: list[Row], snapshot: Snapshot) -> dict[str, Any]:
        """The version of the matter known at the snapshot, from :meth:`matter_query`'s rows."""
        if not rows:
            known = ", ".join(m["matter"] for m in self.matters()) or "none"
            raise NotFoundError(f"no matter {matter_id!r} in the ledger (known: {known})")
        chosen = rows[0]
        for row in rows:
            if snapshot.known_at is None or row["recorded_at"] <= snapshot.known_at:
                chosen = row
        return json.loads(chosen["document"])

    def _category(self, matter_id: str | None, category: str, snapshot: Snapshot) -> dict[str, Any]:
        matter = self.matter(matter_id, snapshot)
        if category not in matter["categories"]:
            raise NotFoundError(
                f"matter {matter['id']!r} has no category {category!r} "
                f"(categories: {', '.join(matter['categories'])})")
        return matter

    # --- status ----------------------------------------------------------------------------

    def replayed(self, matter_id: str | None, snapshot: Snapshot, stale_days: int | None = None,
                 only: str | None = None, query: Any = None,
                 include_disputed: bool = False) -> dict[str, rp.Replayed]:
        """Each timeline of a matter (or only the one of category ``only``) replayed under the ONE
        rule (:mod:`ledger.readmodel.replay`), disputed figures and restatements giving way
        (:meth:`evidence_rule`)."""
        matter = self.matter(matter_id, snapshot)

        def run(reading: Any) -> dict[str, rp.Replayed]:
            rule = self.evidence_rule(snapshot, *self.evidence(matter["id"], snapshot, reading), include_disputed)
            return rp.replay_matter(reading, self.one_statement, matter, rule, stale_days, only)

        if query is not None:
            return run(query)
        with self.view.reading() as reading:
            return run(reading)

    @staticmethod
    def evidence_rule(snapshot: Snapshot, disputed: dict[str, list[str]], restated: dict[str, str],
                      include_disputed: bool = False) -> Snapshot:
        """The snapshot the replay applies: statements whose figures are disputed are skipped
        (unless ``include_disputed``), and a restatement gives way to the statement it restates
        when both are candidates (docs/evidence.md; :func:`ledger.readmodel.replay.admissible`)."""
        skipped = {} if include_disputed else disputed
        if not skipped and not restated:
            return snapshot
        return replace(snapshot, skip=frozenset(skipped), restates=frozenset(restated.items()))

    def standing_figure(self, matter_id: str, category: str, snapshot: Snapshot,
                        include_disputed: bool = False) -> Row | None:
        """The raw row of the figure that stands for a category's timeline, or None."""
        [replayed] = self.replayed(matter_id, snapshot, only=category, include_disputed=include_disputed).values()
        return replayed.standing

    # --- history, sources, one statement ----------------------------------------------------

    def history(self, matter_id: str | None, category: str, snapshot: Snapshot) -> dict[str, Any]:
        """Every figure asserted for a category (stated by ``as_of`` if given, known at
        ``known_at``), oldest described date first, undated last."""
        matter = self._category(matter_id, category, snapshot)
        stated = "AND stated_end <= :day" if snapshot.as_of else ""
        rows = self.view.query(
            f"SELECT {FIGURE_COLUMNS} FROM {{ledger_figures}} "
            f"WHERE matter_id = :matter AND category = :category AND {snapshot.in_force()} {stated} "
            "ORDER BY (as_of_end IS NULL), as_of_end, (stated_end IS NULL), stated_end, position",
            {"matter": matter["id"], "category": category, **snapshot.params()},
        )
        [replayed] = self.replayed(matter["id"], snapshot, only=category).values()
        standing = replayed.standing
        mark = None if standing is None else (standing["statement_id"], standing["category"], standing["position"])
        return {"matter": matter["id"], "category": category,
                "as_of": snapshot.as_of.isoformat() if snapshot.as_of else None, "known_at": snapshot.known_at,
                "policy": snapshot.policy, "window_days": snapshot.window_days,
                "figures": [{**figure_result(r), "stands": (r["statement_id"], r["category"], r["position"]) == mark}
                            for r in rows]}

    def versions(self, statement_id: str, snapshot: Snapshot) -> list[Row]:
        """Every version of a statement recorded by ``known_at``, oldest first, documents parsed."""
        rows = self.view.query(
            "SELECT position, document, recorded_at, recorded_by, event, reason, retracted, "
            "superseded_at, superseded_by FROM {ledger_statements} "
            f"WHERE statement_id = :s AND {snapshot.recorded()} ORDER BY position",
            {"s": statement_id, **snapshot.params()})
        for row in rows:
            row["document"] = json.loads(row["document"])
        return rows

    def show(self, statement_id: str, snapshot: Snapshot) -> dict[str, Any]:
        """One statement as the ledger holds it (or held it at ``known_at``), with its trail."""
        rows = self.versions(statement_id, snapshot)
        if not rows:
            raise NotFoundError(f"no statement {statement_id!r} in the ledger"
                                + (f" at {snapshot.known_at}" if snapshot.known_at else ""))
        return _shown(statement_id, rows, self.link_rows(snapshot, history=True, statement_id=statement_id),
                      snapshot)

    def show_matter(self, matter_id: str, snapshot: Snapshot) -> dict[str, dict[str, Any]]:
        """:meth:`show` of every statement of a matter recorded by ``known_at``, by id, from
        two reads (the report shows them all: one read per statement cost seconds)."""
        versions: dict[str, list[Row]] = {}
        for row in self.view.query(
                "SELECT statement_id, position, document, recorded_at, recorded_by, event, reason, retracted, "
                "superseded_at, superseded_by FROM {ledger_statements} "
                f"WHERE matter_id = :m AND {snapshot.recorded()} ORDER BY statement_id, position",
                {"m": matter_id, **snapshot.params()}):
            row["document"] = json.loads(row["document"])
            versions.setdefault(row.pop("statement_id"), []).append(row)
        links: dict[str, list[Row]] = {}
        for row in self.link_rows(snapshot, history=True):
            for end in {row["source_id"], row["target_id"]} & versions.keys():
                links.setdefault(end, []).append(row)
        return {sid: _shown(sid, rows, links.get(sid, []), snapshot) for sid, rows in versions.items()}

    def statement_ids(self, matter_id: str, snapshot: Snapshot) -> list[str]:
        """The statements of a matter recorded by ``known_at`` (retracted ones included)."""
        rows = self.view.query(
            f"SELECT DISTINCT statement_id FROM {{ledger_statements}} WHERE matter_id = :m AND {snapshot.recorded()}",
            {"m": matter_id, **snapshot.params()})
        return [r["statement_id"] for r in rows]


def _shown(statement_id: str, rows: list[Row], link_rows: list[Row], snapshot: Snapshot) -> dict[str, Any]:
    """What ``show`` gives of a statement: its versions (``rows``, oldest first) and the link
    rows it takes part in."""
    current = rows[-1]
    trail = [{
        "event": r["event"], "position": r["position"], "recorded_at": r["recorded_at"],
        "recorded_by": r["recorded_by"], "reason": r["reason"], "document": r["document"],
    } for r in rows]
    return {
        "statement": current["document"],
        "status": "retracted" if current["retracted"] else ("corrected" if len(rows) > 1 else "recorded"),
        "recorded_at": rows[0]["recorded_at"],
        "recorded_by": rows[0]["recorded_by"],
        "position": rows[0]["position"],
        "trail": trail,
        "spans": statement_spans(current["document"]),
        "links": links_result(statement_id, link_rows, snapshot),
    }
