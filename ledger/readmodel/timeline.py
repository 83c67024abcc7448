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
from typing import Any

from ledger.domain.figures import Figure
from ledger.errors import NotFoundError
from ledger.readmodel import postgres as pg
from ledger.readmodel.audit import AuditQueries, source_of
from ledger.readmodel.evidence import EvidenceQueries, independent_same_date, mark_disputed, statement_spans
from ledger.readmodel.exports import ExportQueries
from ledger.readmodel.snapshot import Snapshot
from ledger.readmodel.sql import FIGURE_COLUMNS, status_sql
from ledger.reconcile import check_statement, reconcile

Row = dict[str, Any]
Progress = Callable[[int, int], None]


def figure_result(row: Row) -> dict[str, Any]:
    """A figure row as results give it: numbers as numbers, one shape of ``source``."""
    figure: dict[str, Any] = {"value": row["value"], "qualifier": row["qualifier"]}
    if row["qualifier"] == "range":
        figure["low"], figure["high"] = row["low"], row["high"]
    figure.update({
        "as_of": row["as_of"],
        "stated_on": row["stated_on"],
        "statement": row["statement_id"],
        "source": source_of(row),
        "recorded_at": row["recorded_at"],
    })
    return figure


class TimelineReadModel(AuditQueries, ExportQueries, EvidenceQueries):
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

    def matter(self, matter_id: str | None, snapshot: Snapshot | None = None) -> dict[str, Any]:
        """The matter's document as known at the snapshot; without a name, the only matter.

        Asked about a moment before the matter was declared, its first version answers
        (so a past picture is empty rather than unknown)."""
        snapshot = snapshot or Snapshot()
        if matter_id is None:
            ids = self.view.query("SELECT DISTINCT matter_id FROM {ledger_matters} LIMIT 2")
            if not ids:
                raise NotFoundError("the ledger holds no matter yet: record a matter file first")
            if len(ids) > 1:
                names = ", ".join(m["matter"] for m in self.matters())
                raise NotFoundError(f"the ledger holds several matters; choose one with --matter: {names}")
            matter_id = ids[0]["matter_id"]
        rows = self.view.query(
            "SELECT document, position, recorded_at, superseded_at FROM {ledger_matters} "
            "WHERE matter_id = :m ORDER BY position", {"m": matter_id})
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

    def standing_figure(self, matter_id: str, category: str, snapshot: Snapshot,
                        include_disputed: bool = False) -> Row | None:
        """The raw row of the figure that stands for a category, or None (disputed figures
        and restatements give way as in status: :meth:`evidence_picture`)."""
        base = {"matter": matter_id, **snapshot.params()}
        with self.view.reading() as query:
            found = query(status_sql(snapshot), {**base, "category": category})
            picture, _, _ = self.evidence_picture(query, {category: found[0] if found else None}, snapshot, base,
                                                  include_disputed)
        return picture[category]

    def status(self, matter_id: str | None, snapshot: Snapshot, stale_days: int | None = None,
               include_disputed: bool = False) -> dict[str, Any]:
        """The official picture as of a day: per category, the figure that describes the latest
        date; then what the figures imply together (derived) and where they disagree.

        A few statements in one read transaction: index lookups, one or two per category (see
        ``status_sql``); on PostgreSQL one round trip each (:mod:`ledger.readmodel.postgres`).
        """
        matter = self.matter(matter_id, snapshot)
        categories = list(matter["categories"])
        base = {"matter": matter["id"], **snapshot.params()}
        with self.view.reading() as query:
            if self.one_statement:
                rows = query(pg.picture_sql(snapshot.known_at is not None), {**base, "cats": categories})
            else:  # SQLite plans the UNION ALL of lookups worse than the lookups one by one
                single = status_sql(snapshot, "", ":c0")
                rows = [row for c in categories for row in query(single, {**base, "c0": c})]
            picture: dict[str, Row | None] = dict.fromkeys(categories)
            for row in rows:
                picture[row["category"]] = row
            # evidence (ledger/readmodel/evidence.py): disputed figures and restatements give way
            picture, disputed, restated = self.evidence_picture(query, picture, snapshot, base, include_disputed)
            previous, same_date = self._context(query, matter, picture, snapshot, base)
            same_date = independent_same_date(same_date, picture, restated)
            undated = query(
                "SELECT COUNT(*) AS n FROM {ledger_statements} WHERE matter_id = :matter "
                f"AND stated_end IS NULL AND retracted = 0 AND {snapshot.in_force()}", base)
            relations = self._statement_relations(query, picture, snapshot)
            retracted = self._retracted_categories(query, [c for c, row in picture.items() if row is None],
                                                   snapshot, base)
        reconciled = reconcile(matter, picture, relations, stale_days, previous, same_date)
        no_figure = {}
        for category in (c for c, row in picture.items() if row is None and c not in reconciled["derived"]):
            violated = any(d["kind"] == "relation_violated" and category in d["categories"]
                           for d in reconciled["discrepancies"])
            no_figure[category] = ("not_derivable" if violated else "retracted" if category in retracted
                                   else "never_stated")
        return {
            "matter": matter["id"],
            "title": matter["title"],
            "as_of": snapshot.day,
            "known_at": snapshot.known_at,
            "figures": mark_disputed({c: figure_result(row) if row else None for c, row in picture.items()},
                                     disputed),
            "derived": reconciled["derived"],
            "discrepancies": reconciled["discrepancies"],
            "no_figure": no_figure,
            "undated_statements_excluded": undated[0]["n"] if undated else 0,
        }

    def _context(self, query: Any, matter: dict[str, Any], picture: dict[str, Row | None],
                 snapshot: Snapshot, base: dict[str, Any]) -> tuple[dict[str, Row | None], dict[str, list[Row]]]:
        """The figure before each standing cumulative one, and the others about the same date."""
        previous: dict[str, Row | None] = {}
        same_date: dict[str, list[Row]] = {c: [] for c, row in picture.items() if row}
        standing = [(i, c, row) for i, (c, row) in enumerate(picture.items()) if row is not None]
        if not standing:
            return previous, same_date
        cumulative = [i for i, c, _ in standing if matter["categories"][c]["kind"] == "cumulative"]
        if self.one_statement:
            rows = query(pg.context_sql(snapshot.known_at is not None), {
                **base,
                "previous_categories": [c for i, c, _ in standing if i in cumulative],
                "previous_before": [row["as_of_end"] for i, _, row in standing if i in cumulative],
                "standing_categories": [c for _, c, _ in standing],
                "standing_ends": [row["as_of_end"] for _, _, row in standing],
                "standing_statements": [row["statement_id"] for _, _, row in standing],
            })
        else:
            params = {**base}
            for i, c, row in standing:
                params.update({f"c{i}": c, f"e{i}": row["as_of_end"], f"s{i}": row["statement_id"]})
            rows = []
            for i, _, _ in standing:
                if i in cumulative:
                    rows += [{**row, "part": "previous"} for row in
                             query(status_sql(snapshot, f"AND as_of_end < :e{i}", f":c{i}"), params)]
                rows += [{**row, "part": "same_date"} for row in query(
                    f"SELECT {FIGURE_COLUMNS} FROM {{ledger_figures}} WHERE matter_id = :matter "
                    f"AND category = :c{i} AND as_of_end = :e{i} AND stated_end <= :day "
                    f"AND {snapshot.in_force()} AND statement_id <> :s{i}", params)]
        for row in rows:
            if row.pop("part") == "previous":
                previous[row["category"]] = row
            else:
                same_date[row["category"]].append(row)
        return previous, same_date

    @staticmethod
    def _retracted_categories(query: Any, categories: list[str], snapshot: Snapshot,
                              base: dict[str, Any]) -> set[str]:
        """Of ``categories``, those whose figures stated by the day were all retracted by ``known_at``."""
        if not categories:
            return set()
        params = {**base, **{f"r{i}": c for i, c in enumerate(categories)}}
        closed = "" if snapshot.known_at is None else "AND superseded_at <= :known_at"
        rows = query(
            "SELECT DISTINCT category FROM {ledger_figures} WHERE matter_id = :matter "
            f"AND category IN ({', '.join(':r' + str(i) for i in range(len(categories)))}) "
            f"AND superseded_by = 'retraction' AND stated_end <= :day AND {snapshot.recorded()} {closed}",
            params)
        return {row["category"] for row in rows}

    @staticmethod
    def _statement_relations(query: Any, picture: dict[str, Row | None], snapshot: Snapshot) -> dict[str, list[str]]:
        """Relations declared by the statements whose figures are in the picture."""
        ids = sorted({row["statement_id"] for row in picture.values() if row})
        if not ids:
            return {}
        params = {f"s{i}": statement_id for i, statement_id in enumerate(ids)}
        rows = query(
            "SELECT statement_id, relations FROM {ledger_statements} WHERE relations IS NOT NULL "
            f"AND {snapshot.in_force()} AND statement_id IN ({', '.join(':' + k for k in params)})",
            {**params, **snapshot.params()},
        )
        return {row["statement_id"]: json.loads(row["relations"]) for row in rows}

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
        return {"matter": matter["id"], "category": category,
                "as_of": snapshot.as_of.isoformat() if snapshot.as_of else None, "known_at": snapshot.known_at,
                "figures": [figure_result(r) for r in rows]}

    def sources(self, matter_id: str | None, snapshot: Snapshot) -> list[dict[str, Any]]:
        """Who asserted what: one entry per source (organization, person, role)."""
        where, params = f"WHERE {snapshot.in_force()}", dict(snapshot.params())
        if matter_id is not None:
            self.matter(matter_id, snapshot)  # an unknown matter is an error, not an empty list
            where += " AND matter_id = :m"
            params["m"] = matter_id
        rows = self.view.query(
            "SELECT organization, person, role, statement_id, stated_on, stated_end, figure_count, retracted "
            f"FROM {{ledger_statements}} {where} ORDER BY (stated_end IS NULL), stated_end, position", params)
        grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
        for r in rows:
            key = (r["organization"], r["person"], r["role"])
            entry = grouped.setdefault(key, {
                "organization": r["organization"], "person": r["person"], "role": r["role"],
                "statements": 0, "figures": 0, "undated": 0, "retracted": 0,
                "first_stated_on": None, "last_stated_on": None, "statement_ids": [],
            })
            entry["statements"] += 1
            entry["figures"] += r["figure_count"]
            entry["statement_ids"].append(r["statement_id"])
            entry["retracted"] += r["retracted"]
            if r["stated_end"] is None:
                entry["undated"] += 1
            else:
                entry["first_stated_on"] = entry["first_stated_on"] or r["stated_on"]
                entry["last_stated_on"] = r["stated_on"]
        # Sorted here, not in SQL: text collation differs between SQLite and PostgreSQL.
        return [grouped[key] for key in sorted(grouped, key=lambda k: tuple(part or "" for part in k))]

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
            "links": self.links(statement_id, snapshot),
        }

    def statement_ids(self, matter_id: str, snapshot: Snapshot) -> list[str]:
        """The statements of a matter recorded by ``known_at`` (retracted ones included)."""
        rows = self.view.query(
            f"SELECT DISTINCT statement_id FROM {{ledger_statements}} WHERE matter_id = :m AND {snapshot.recorded()}",
            {"m": matter_id, **snapshot.params()})
        return [r["statement_id"] for r in rows]

    # --- check -----------------------------------------------------------------------------

    def check(self, matter_id: str | None, snapshot: Snapshot, stale_days: int | None = None,
              progress: Progress | None = None, include_disputed: bool = False) -> list[dict[str, Any]]:
        """Discrepancies over the whole timeline up to ``as_of``, like ``bean-check``.

        The picture is replayed at every date on which a statement was made; each
        discrepancy is reported once, with the date it first appeared and, when it no longer
        shows, the date it ended and whether it was ``resolved`` or ``superseded`` (a
        discrepancy of the same kind over the same categories took its place).
        """
        from ledger.domain.relations import own_relations

        matter_ids = [matter_id] if matter_id else [m["matter"] for m in self.matters(snapshot)]
        found: list[dict[str, Any]] = []
        for done, mid in enumerate(matter_ids):
            matter = self.matter(mid, snapshot)
            statements = self.view.query(
                "SELECT statement_id, stated_on, stated_end, document, relations FROM {ledger_statements} "
                f"WHERE matter_id = :m AND stated_end <= :day AND retracted = 0 AND {snapshot.in_force()}",
                {"m": mid, **snapshot.params()},
            )
            for row in statements:
                document = json.loads(row["document"])
                figures = {c: vars(Figure.from_input(raw)) for c, raw in document.get("figures", {}).items()}
                relations = own_relations(row["statement_id"], figures, json.loads(row["relations"] or "[]"),
                                          matter.get("relations", []))
                for problem in check_statement(figures, relations):
                    found.append({
                        "matter": mid, "kind": "inconsistent_statement",
                        "message": f"{row['statement_id']}: {problem}",
                        "categories": sorted(figures), "statements": [row["statement_id"]],
                        "first_seen": row["stated_end"], "resolved_on": None, "open": True, "ended": None,
                    })
            found += self._replay_discrepancies(mid, sorted({row["stated_end"] for row in statements}),
                                                snapshot, stale_days, include_disputed)
            found += self.evidence_check(mid, snapshot)  # misquoted, not_in_quote (readmodel/evidence.py)
            if progress is not None:
                progress(done + 1, len(matter_ids))
        found.sort(key=lambda d: (d["matter"], d["first_seen"], d["kind"]))
        return found

    def _replay_discrepancies(self, matter_id: str, dates: list[str], snapshot: Snapshot,
                              stale_days: int | None, include_disputed: bool = False) -> list[dict[str, Any]]:
        import datetime as dt

        found: list[dict[str, Any]] = []
        active: dict[tuple[Any, ...], dict[str, Any]] = {}
        for when in sorted(set(dates) | {snapshot.day}):
            report = self.status(matter_id, snapshot.on(dt.date.fromisoformat(when)), stale_days, include_disputed)
            seen = set()
            for item in report["discrepancies"]:
                key = (item["kind"], tuple(item["categories"]), tuple(item["statements"]), item.get("relation"))
                seen.add(key)
                if key not in active:
                    active[key] = {"matter": matter_id, **item, "first_seen": when, "resolved_on": None,
                                   "open": True, "ended": None}
                    found.append(active[key])
                else:
                    active[key]["message"] = item["message"]
            new = [k for k in seen if active[k]["first_seen"] == when]
            for key in [k for k in active if k not in seen]:
                active.pop(key).update(resolved_on=when, open=False,
                                       ended="superseded" if any(_succeeds(n, key) for n in new) else "resolved")
        return found


def _succeeds(new: tuple[Any, ...], old: tuple[Any, ...]) -> bool:
    """Whether a discrepancy that appeared took the place of one that ended the same day:
    about the same relation, or (without one) about a category in common."""
    if old[3] is not None:
        return new[3] == old[3]
    return bool(set(new[1]) & set(old[1]))
