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

from ledger.domain.figures import Figure
from ledger.errors import NotFoundError
from ledger.readmodel import replay as rp
from ledger.readmodel.audit import AuditQueries, source_of
from ledger.readmodel.evidence import EvidenceQueries, independent_same_date, mark_disputed, statement_spans
from ledger.readmodel.exports import ExportQueries
from ledger.readmodel.snapshot import Snapshot
from ledger.readmodel.sql import FIGURE_COLUMNS
from ledger.reconcile import check_statement, reconcile

Row = dict[str, Any]
Progress = Callable[[int, int], None]


def figure_result(row: Row) -> dict[str, Any]:
    """A figure row as results give it: numbers as numbers, one shape of ``source``."""
    figure: dict[str, Any] = {"value": row["value"], "qualifier": row["qualifier"]}
    if row["qualifier"] == "range":
        figure["low"], figure["high"] = row["low"], row["high"]
    if row.get("change") is not None:
        figure["change"] = row["change"]
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

    def replayed(self, matter_id: str | None, snapshot: Snapshot, stale_days: int | None = None,
                 only: str | None = None, query: Any = None,
                 include_disputed: bool = False) -> dict[str, rp.Replayed]:
        """Each timeline of a matter (or only the one of category ``only``) replayed under the ONE
        rule (:mod:`ledger.readmodel.replay`), disputed figures and restatements giving way
        (:meth:`evidence_rule`)."""
        matter = self.matter(matter_id, snapshot)

        def run(reading: Any) -> dict[str, rp.Replayed]:
            rule = self.evidence_rule(reading, matter["id"], snapshot, include_disputed)
            return rp.replay_matter(reading, self.one_statement, matter, rule, stale_days, only)

        if query is not None:
            return run(query)
        with self.view.reading() as reading:
            return run(reading)

    def evidence_rule(self, query: Any, matter_id: str, snapshot: Snapshot, include_disputed: bool = False,
                      disputed: dict[str, list[str]] | None = None) -> Snapshot:
        """The snapshot the replay applies: statements whose figures are disputed are skipped
        (unless ``include_disputed``), and a restatement gives way to the statement it restates
        when both are candidates (docs/evidence.md; :func:`ledger.readmodel.replay.admissible`).
        ``disputed``: already read by the caller (status marks figures with it too)."""
        if disputed is None:
            disputed = self.disputed_statements(matter_id, snapshot, query)  # type: ignore[attr-defined]
        skipped = {} if include_disputed else disputed
        restated = self.restatements(snapshot, query)  # type: ignore[attr-defined]
        if not skipped and not restated:
            return snapshot
        return replace(snapshot, skip=frozenset(skipped), restates=frozenset(restated.items()))

    def standing_figure(self, matter_id: str, category: str, snapshot: Snapshot,
                        include_disputed: bool = False) -> Row | None:
        """The raw row of the figure that stands for a category's timeline, or None."""
        [replayed] = self.replayed(matter_id, snapshot, only=category, include_disputed=include_disputed).values()
        return replayed.standing

    def status(self, matter_id: str | None, snapshot: Snapshot, stale_days: int | None = None,
               include_disputed: bool = False) -> dict[str, Any]:
        """The official picture as of a day: per timeline (a category and its synonyms) the
        figure the policy picks (:mod:`ledger.domain.replay`); then what the figures imply
        together (derived) and where they disagree. Disputed figures give way unless
        ``include_disputed``; they are marked either way (docs/evidence.md).

        One candidate statement per timeline, in one read transaction (see
        :mod:`ledger.readmodel.replay`), plus the figure before each cumulative one.
        """
        matter = self.matter(matter_id, snapshot)
        base = {"matter": matter["id"], **snapshot.params()}
        with self.view.reading() as query:
            disputed = self.disputed_statements(matter["id"], snapshot, query)  # type: ignore[attr-defined]
            rule = self.evidence_rule(query, matter["id"], snapshot, include_disputed, disputed)
            restated = dict(rule.restates)
            replayed = rp.replay_matter(query, self.one_statement, matter, rule, stale_days)
            picture: dict[str, Row | None] = {key: rp.picture_row(r) for key, r in replayed.items()}
            previous: dict[str, Row | None] = {}
            for key, r in replayed.items():
                head = r.figure.standing
                if head is not None and matter["categories"][key]["kind"] == "cumulative":
                    start = min(c.as_of_start for c in r.figure.used if not c.figure.is_change)
                    previous[key] = rp.previous_row(query, matter, key, start.isoformat(), snapshot)
            undated = query(
                "SELECT COUNT(*) AS n FROM {ledger_statements} WHERE matter_id = :matter "
                f"AND stated_end IS NULL AND retracted = 0 AND {snapshot.in_force()}", base)
            relations = self._statement_relations(query, picture, snapshot)
            retracted = self._retracted_categories(query, [c for c, row in picture.items() if row is None],
                                                   snapshot, base)
        same_date = {key: [row for row in r.rows if r.standing is not None and row["qualifier"] != "change"
                           and (row["as_of_start"], row["as_of_end"]) ==
                           (r.standing["as_of_start"], r.standing["as_of_end"])
                           and row["statement_id"] != r.standing["statement_id"]
                           and row.get("rank") != "deprecated"]
                     for key, r in replayed.items()}
        same_date = independent_same_date(same_date, picture, restated)
        reconciled = reconcile(matter, picture, relations, stale_days, previous, same_date)
        discrepancies = [d for r in replayed.values() for d in r.figure.discrepancies] + reconciled["discrepancies"]
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
            "policy": snapshot.policy,
            "window_days": snapshot.window_days,
            "figures": mark_disputed({c: rp.status_figure(replayed[c], figure_result(replayed[c].standing or row))
                                      if row else None for c, row in picture.items()}, disputed),
            "derived": reconciled["derived"],
            "discrepancies": discrepancies,
            "no_figure": no_figure,
            "undated_statements_excluded": undated[0]["n"] if undated else 0,
        }

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
        from ledger.readmodel.undated import undated_conflicts

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
            found += self._replay_discrepancies(matter, sorted({row["stated_end"] for row in statements}),
                                                snapshot, stale_days, include_disputed)
            found += undated_conflicts(self, mid, snapshot)
            found += self.evidence_check(mid, snapshot)  # misquoted, not_in_quote (readmodel/evidence.py)
            if progress is not None:
                progress(done + 1, len(matter_ids))
        found.sort(key=lambda d: (d["matter"], d["first_seen"], d["kind"]))
        return found

    def _replay_discrepancies(self, matter: dict[str, Any], dates: list[str], snapshot: Snapshot,
                              stale_days: int | None, include_disputed: bool = False) -> list[dict[str, Any]]:
        """The status replayed at every date a statement was made (one rule: what ``status``
        answers is what ``check`` follows)."""
        import datetime as dt

        matter_id = matter["id"]
        found: list[dict[str, Any]] = []
        active: dict[tuple[Any, ...], dict[str, Any]] = {}
        days = sorted(set(dates) | {snapshot.day})
        pictures = ((when, self.status(matter_id, snapshot.on(dt.date.fromisoformat(when)),
                                       stale_days, include_disputed)["discrepancies"]) for when in days)
        for when, discrepancies in pictures:
            seen = set()
            for item in discrepancies:
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
