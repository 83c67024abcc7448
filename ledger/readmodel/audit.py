"""Auditors' questions of the timeline: why a figure stands (trace) and what became of
everything a source asserted (audit). Mixed into :class:`~ledger.readmodel.TimelineReadModel`."""

from __future__ import annotations

from typing import Any

from ledger.domain.figures import Figure
from ledger.domain.synonyms import timeline_members
from ledger.readmodel.ranking import rank_sql, why_outranked
from ledger.readmodel.evidence import evidence_why, statement_spans
from ledger.readmodel.snapshot import Snapshot
from ledger.readmodel.sql import ALL_FIGURE_COLUMNS

Row = dict[str, Any]


def figure_text(row: Row) -> str:
    """12, >=12, <=12, ~40, 35-50 (the domain's own text of a figure)."""
    return str(Figure(row["value"], row["qualifier"], row.get("low"), row.get("high")))


def source_of(row: Row) -> dict[str, Any]:
    """``source`` in every result, one shape: organization, person, role (null when not given).
    ``row`` is a projection row or a statement's ``source``."""
    return {"organization": row["organization"], "person": row.get("person"), "role": row.get("role")}


def source_label(row: Row) -> str:
    return f"{row['organization']} ({row['person']})" if row.get("person") else row["organization"]


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


def outcome(row: Row, replayed: Any, snapshot: Snapshot) -> tuple[str, str]:
    """What became of one figure row (recorded by ``known_at``) in the replay as of the day;
    ``replayed`` is its timeline's :class:`~ledger.readmodel.replay.Replayed` (the ONE rule)."""
    day = snapshot.day
    if snapshot.superseded(row["superseded_at"]):
        if row["superseded_by"] == "retraction":
            return "retracted", f"the statement was retracted at {row['superseded_at']}"
        return "corrected", f"replaced by a corrected version recorded {row['superseded_at']}"
    if row["stated_end"] is None or row.get("as_of_start") is None:
        return "undated", "the statement's date is unknown, so no dated replay uses it"
    if row["stated_end"] > day:
        return "not yet stated", f"stated {row['stated_on']}, after {day}"
    if row.get("rank") == "deprecated":
        return "deprecated", "ranked deprecated: it never stands (see ledger rank)"
    return why_outranked(row, replayed)


class AuditQueries:
    """trace and audit (uses ``matter``, ``standing_figure`` and ``versions`` of the read model)."""

    view: Any

    def trace(self, matter_id: str | None, category: str, snapshot: Snapshot) -> dict[str, Any]:
        """Why the status shows this figure: its statement, trail, and every figure it outranked.

        The rows are those of the category's whole timeline (the category and its synonyms,
        :mod:`ledger.domain.synonyms`), each with the word its source used (``category``)."""
        matter = self._category(matter_id, category, snapshot)  # type: ignore[attr-defined]
        [replayed] = self.replayed(matter["id"], snapshot, only=category).values()  # type: ignore[attr-defined]
        winner = replayed.standing
        members = timeline_members(matter["categories"], replayed.timeline)
        words = {f"c{i}": c for i, c in enumerate(members)}
        rows = self.view.query(
            f"SELECT {ALL_FIGURE_COLUMNS}, {rank_sql(snapshot)} AS rank FROM {{ledger_figures}} f "
            f"WHERE f.matter_id = :m AND f.category IN ({', '.join(':' + k for k in words)}) "
            f"AND {snapshot.recorded('f')} ORDER BY f.position, f.category",
            {"m": matter["id"], **words, **snapshot.params()},
        )
        result: dict[str, Any] = {
            "matter": matter["id"], "category": category, "timeline": replayed.timeline, "as_of": snapshot.day,
            "known_at": snapshot.known_at, "policy": snapshot.policy, "window_days": snapshot.window_days,
            "figure": None, "statement": None, "trail": [], "others": [], "derived": None,
        }
        disputed = self.disputed_statements(matter["id"], snapshot)  # type: ignore[attr-defined]
        restated = self.restatements(snapshot)  # type: ignore[attr-defined]
        for row in rows:
            fate, why = outcome(row, replayed, snapshot)
            if fate == "outranked" and winner is not None:
                why = evidence_why(row, winner, why, disputed, restated)
            entry = {
                "statement": row["statement_id"], "category": row["category"], "value": row["value"],
                "qualifier": row["qualifier"],
                "low": row["low"], "high": row["high"], "text": figure_text(row),
                "as_of": row["as_of"], "stated_on": row["stated_on"], "source": source_of(row),
                "recorded_at": row["recorded_at"], "position": row["position"],
                "outcome": fate, "why": why,
            }
            if row["statement_id"] in disputed:
                entry["disputed_by"] = disputed[row["statement_id"]]
            mine = (row["statement_id"], row["category"], row["position"])
            if fate == "stands" and winner is not None and \
                    mine == (winner["statement_id"], winner["category"], winner["position"]):
                result["figure"] = entry
            else:
                result["others"].append(entry)
        if winner is not None:
            versions = self.versions(winner["statement_id"], snapshot)  # type: ignore[attr-defined]
            standing = next(v for v in versions if v["position"] == winner["position"])
            document = standing["document"]
            result["statement"] = {
                "id": document["id"], "source": source_of(document["source"]), "venue": document.get("venue"),
                "stated_on": document["stated_on"], "as_of": document.get("as_of", document["stated_on"]),
                "quote": document["quote"], "attribution": document.get("attribution"),
                "citations": document.get("citations", []),
                "recorded_at": standing["recorded_at"], "recorded_by": standing["recorded_by"],
                "spans": statement_spans(document),
                "links": self.links(document["id"], snapshot),  # type: ignore[attr-defined]
            }
            result["trail"] = [_trail_entry(version) for version in versions]
        else:  # a derived figure explains itself by its relation and inputs (issue 11)
            result["derived"] = self.explain_derived(matter["id"], category, snapshot)
        return result

    def explain_derived(self, matter_id: str, category: str, snapshot: Snapshot) -> dict[str, Any] | None:
        """The derivation of ``category`` in the status at ``snapshot`` (None when not derived):
        the relation and each input with the statement, source and quote behind it. The
        derived figure is the status's (the one relation rule, :func:`ledger.reconcile.reconcile`)."""
        derived = self.status(matter_id, snapshot)["derived"].get(category)  # type: ignore[attr-defined]
        if derived is None:
            return None
        documents: dict[str, Row] = {}
        inputs = []
        for item in derived["inputs"]:
            entry = {**item, "stated_on": None, "source": None, "quote": None, "attribution": None}
            if item["statement"] is not None:
                if item["statement"] not in documents:
                    versions = self.versions(item["statement"], snapshot)  # type: ignore[attr-defined]
                    documents[item["statement"]] = versions[-1]["document"]
                document = documents[item["statement"]]
                entry.update(stated_on=document["stated_on"], source=source_of(document["source"]),
                             quote=document["quote"], attribution=document.get("attribution"))
            inputs.append(entry)
        kept = ("value", "low", "high", "text", "relation", "under", "statements")
        return {**{key: derived[key] for key in kept}, "best": derived.get("best"), "inputs": inputs}

    def audit(self, source: str, snapshot: Snapshot, statement_ids: list[str] | None = None) -> dict[str, Any]:
        """Every figure a source (organization or person, by substring) asserted, and its fate.
        ``statement_ids``: audit these statements instead (``audit --source ID``, ``--outlet``:
        :meth:`~ledger.readmodel.evidence.EvidenceQueries.statements_by`); ``source`` is then the label."""
        if statement_ids is not None:
            return self._audit(source, snapshot, statement_ids)
        statements = self.view.query(
            "SELECT DISTINCT statement_id FROM {ledger_statements} "
            "WHERE (LOWER(organization) LIKE :p ESCAPE '\\' OR LOWER(COALESCE(person, '')) LIKE :p ESCAPE '\\') "
            f"AND {snapshot.recorded()}",
            {"p": _like(source), **snapshot.params()},
        )
        return self._audit(source, snapshot, [s["statement_id"] for s in statements])

    def _audit(self, source: str, snapshot: Snapshot, statement_ids: list[str]) -> dict[str, Any]:
        winners: dict[tuple[str, str], Any] = {}
        entries = []
        for statement_id in sorted(statement_ids):
            versions = self.versions(statement_id, snapshot)  # type: ignore[attr-defined]
            current = versions[-1]
            document = current["document"]
            figures = []
            rows = self.view.query(
                f"SELECT {ALL_FIGURE_COLUMNS}, {rank_sql(snapshot)} AS rank FROM {{ledger_figures}} f "
                "WHERE f.statement_id = :s "
                f"AND {snapshot.recorded('f')} ORDER BY f.position, f.category",
                {"s": statement_id, **snapshot.params()},
            )
            for row in rows:
                key = (row["matter_id"], row["category"])
                if key not in winners:
                    [winners[key]] = self.replayed(  # type: ignore[attr-defined]
                        row["matter_id"], snapshot, only=row["category"]).values()
                fate, why = outcome(row, winners[key], snapshot)
                if fate == "outranked" and winners[key].standing is not None:
                    winner = winners[key].standing
                    why = evidence_why(row, winner, why,
                                       self.disputed_statements(None, snapshot),  # type: ignore[attr-defined]
                                       self.restatements(snapshot))  # type: ignore[attr-defined]
                    why = (f"outranked by {winner['statement_id']} ({source_label(winner)}): "
                           f"{figure_text(winner)} as of {winner['as_of']}; {why}")
                figures.append({
                    "category": row["category"], "value": row["value"], "qualifier": row["qualifier"],
                    "low": row["low"], "high": row["high"], "text": figure_text(row),
                    "as_of": row["as_of"], "stated_on": row["stated_on"], "recorded_at": row["recorded_at"],
                    "position": row["position"], "outcome": fate, "why": why,
                })
            entries.append({
                "statement": statement_id,
                "matter": document["matter"],
                "source": source_of(document["source"]),
                "stated_on": document["stated_on"],
                "as_of": document.get("as_of", document["stated_on"]),
                "venue": document.get("venue"),
                "quote": document["quote"],
                "attribution": document.get("attribution"),
                "citations": document.get("citations", []),
                "status": current["event"],
                "trail": [_trail_entry(version) for version in versions],
                "figures": figures,
            })
        return {"source": source, "as_of": snapshot.day, "known_at": snapshot.known_at, "policy": snapshot.policy,
                "window_days": snapshot.window_days, "statements": entries}


def _trail_entry(version: Row) -> dict[str, Any]:
    return {k: version[k] for k in ("position", "event", "recorded_at", "recorded_by", "reason")}


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
