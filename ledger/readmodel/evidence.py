"""The evidence questions of the timeline: typed links, disputed figures, restatements,
spans in quotes, sources as entities and the PROV-O export.

Mixed into :class:`~ledger.readmodel.TimelineReadModel` as :class:`EvidenceQueries`. The
meaning of each link type is the domain's (:mod:`ledger.domain.links`); which links a
question sees is the snapshot's rule applied to the ``ledger_links`` rows
(:mod:`ledger.projections.evidence`), so ``--known-at`` reproduces the graph of the time.
Spans are computed from the stored document (:func:`ledger.domain.spans.locate_figures`:
the same function the record path stores, so events recorded before spans read the same).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ledger.domain.links import DENIES, LINK_MEANINGS, RESTATES, misquotes, original_of, restatement_findings
from ledger.domain.sources import source_id
from ledger.domain.spans import locate_figures, span_warnings
from ledger.errors import NotFoundError
from ledger.readmodel.snapshot import Snapshot

Row = dict[str, Any]
Query = Callable[[str, "dict[str, Any] | None"], list[Row]]

_LINK_COLUMNS = ("source_id, link_type, target_id, origin, reason, recorded_by, recorded_at, "
                 "superseded_at, superseded_by, ended_reason, ended_by")


def link_entry(row: Row, other: str) -> dict[str, Any]:
    return {"type": row["link_type"], "statement": row[other], "origin": row["origin"],
            "reason": row["reason"], "recorded_by": row["recorded_by"], "recorded_at": row["recorded_at"]}


def highlight(quote: str, entry: dict[str, Any] | None, mark: tuple[str, str] = ("[", "]")) -> str:
    """The quote with the figure's number(s) (or its given span) between ``mark``; the
    text itself unchanged (one place decides how a span is shown)."""
    if not entry:
        return quote
    places = sorted({tuple(p) for p in entry.get("numbers", {}).values()})
    if not places and entry.get("span"):
        places = [tuple(entry["span"])]
    out, at = [], 0
    for start, end in places:
        if start < at:
            continue
        out += [quote[at:start], mark[0], quote[start:end], mark[1]]
        at = end
    return "".join(out) + quote[at:]


def quote_parts(quote: str, spans: dict[str, dict[str, Any]]) -> list[tuple[str, bool]]:
    """The quote cut into (text, marked) pieces: every figure's number marked (the report
    wraps marked pieces in ``<mark>``, escaping the text as usual)."""
    places = sorted({tuple(p) for entry in spans.values() for p in entry.get("numbers", {}).values()})
    parts, at = [], 0
    for start, end in places:
        if start < at:
            continue
        parts += [(quote[at:start], False), (quote[start:end], True)]
        at = end
    parts.append((quote[at:], False))
    return [p for p in parts if p[0]]


def span_context(quote: str, entry: dict[str, Any] | None, width: int = 40) -> str:
    """The words around a figure's number in its quote, the number bracketed (for tables);
    ``(not in the quote)`` when it is nowhere."""
    if not entry or not entry.get("numbers"):
        return "(not in the quote)"
    places = [tuple(p) for p in entry["numbers"].values()]
    start, end = min(p[0] for p in places), max(p[1] for p in places)
    if entry.get("span"):
        start, end = min(start, entry["span"][0]), max(end, entry["span"][1])
    lo, hi = max(0, start - width), min(len(quote), end + width)
    text = highlight(quote, entry)
    shift = 2 * sum(1 for p in places if p[0] < lo)  # brackets before the window (none: lo <= start)
    marked_hi = hi + 2 * len(set(places))
    return ("..." if lo > 0 else "") + " ".join(text[lo + shift:marked_hi].split()) + ("..." if hi < len(quote) else "")


def independent_same_date(same_date: dict[str, list[Row]], picture: dict[str, Row | None],
                          restated: dict[str, str]) -> dict[str, list[Row]]:
    """The other figures about the standing one's date, less those that are not independent
    of it (a restatement of it, or a statement it restates: same original), and with each
    original counted once among the rest (the original's own figure kept). A restated
    number that differs is ``misquoted`` in check, not a conflict between sources."""
    if not restated:
        return same_date
    result = {}
    for category, rows in same_date.items():
        standing = picture.get(category)
        origin = original_of(standing["statement_id"], restated) if standing else None
        kept: dict[str, Row] = {}  # one figure per original: restatements are counted once
        for row in rows:
            original = original_of(row["statement_id"], restated)
            if original != origin and (original not in kept or row["statement_id"] == original):
                kept[original] = row
        result[category] = list(kept.values())
    return result


def evidence_why(row: Row, winner: Row | None, why: str, disputed: dict[str, list[str]],
                 restated: dict[str, str]) -> str:
    """Why an outranked figure does not stand, when the reason is evidence: it is disputed,
    or it restates the standing figure's statement (never independent confirmation)."""
    statement = row["statement_id"]
    if statement in disputed:
        return f"disputed (denied by {', '.join(disputed[statement])}); {why}"
    if winner is not None and statement in restated and \
            original_of(statement, restated) == original_of(winner["statement_id"], restated):
        return f"restates {restated[statement]}: the original's figure stands (a restatement is not independent)"
    return why


def mark_disputed(figures: dict[str, Any], disputed: dict[str, list[str]]) -> dict[str, Any]:
    """Status post-processing: each figure gets ``disputed`` (and ``disputed_by``, the denying
    statements, when it is)."""
    for figure in figures.values():
        if figure is not None:
            by = disputed.get(figure["statement"], [])
            figure["disputed"] = bool(by)
            if by:
                figure["disputed_by"] = by
    return figures


def statement_spans(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Where each figure of a stored document stands in its quote (see the module docstring)."""
    return locate_figures(document)


def links_result(statement_id: str, rows: list[Row], snapshot: Snapshot) -> dict[str, Any]:
    """What ``ledger links`` shows of a statement, from the link rows recorded by ``known_at``
    in which it is the source or the target (:meth:`EvidenceQueries.links`)."""
    result: dict[str, Any] = {"statement": statement_id, "known_at": snapshot.known_at,
                              "outgoing": [], "incoming": [], "ended": []}
    for row in rows:
        outgoing = row["source_id"] == statement_id
        entry = link_entry(row, "target_id" if outgoing else "source_id")
        if snapshot.superseded(row["superseded_at"]):
            result["ended"].append({**entry, "direction": "outgoing" if outgoing else "incoming",
                                    "ended_at": row["superseded_at"], "ended_by": row["superseded_by"],
                                    "end_reason": row["ended_reason"]})
        else:
            entry["meaning"] = LINK_MEANINGS[row["link_type"]]
            result["outgoing" if outgoing else "incoming"].append(entry)
    return result


class EvidenceQueries:
    """links, disputed statements, restatements, spans, source entities, PROV-O."""

    view: Any

    # --- links -------------------------------------------------------------------------------

    def link_rows(self, snapshot: Snapshot, query: Query | None = None, *, history: bool = False,
                  statement_id: str | None = None) -> list[Row]:
        """Links standing at ``known_at`` (``history``: every link recorded by then)."""
        return (query or self.view.query)(*self.link_query(snapshot, history=history, statement_id=statement_id))

    @staticmethod
    def link_query(snapshot: Snapshot, *, history: bool = False,
                   statement_id: str | None = None) -> tuple[str, dict[str, Any]]:
        """The query of :meth:`link_rows`."""
        where = snapshot.recorded() if history else snapshot.in_force()
        params: dict[str, Any] = dict(snapshot.params())
        if statement_id is not None:
            where += " AND (source_id = :sid OR target_id = :sid)"
            params["sid"] = statement_id
        return (f"SELECT {_LINK_COLUMNS} FROM {{ledger_links}} WHERE {where} ORDER BY recorded_at, source_id, "
                "link_type, target_id", params)

    def links(self, statement_id: str, snapshot: Snapshot) -> dict[str, Any]:
        """``ledger links ID``: the links from and to a statement standing at ``known_at``, and
        the links of either direction that no longer stand (with when and why they ended)."""
        if not self.versions(statement_id, snapshot):  # type: ignore[attr-defined]
            raise NotFoundError(f"no statement {statement_id!r} in the ledger"
                                + (f" at {snapshot.known_at}" if snapshot.known_at else ""))
        return links_result(statement_id, self.link_rows(snapshot, history=True, statement_id=statement_id),
                            snapshot)

    def _typed(self, link_type: str, snapshot: Snapshot, query: Query | None = None) -> list[Row]:
        return [r for r in self.link_rows(snapshot, query) if r["link_type"] == link_type]

    def disputed_statements(self, matter: str | None, snapshot: Snapshot,
                            query: Query | None = None) -> dict[str, list[str]]:
        """Statements (of ``matter``, or all) whose figures are disputed at ``known_at``:
        statement -> the statements denying it (a retracted denier's links are closed). A
        statement restating a disputed one is disputed too (it repeats the denied figures).
        The one function policies use to skip disputed figures unless ``--include-disputed``."""
        return self.evidence(matter, snapshot, query)[0]

    def evidence(self, matter: str | None, snapshot: Snapshot, query: Query | None = None,
                 links: list[Row] | None = None) -> tuple[dict[str, list[str]], dict[str, str]]:
        """``(disputed, restated)`` at ``known_at`` from one read of the standing links (or the
        ``links`` already read): the disputed statements (:meth:`disputed_statements`) and
        :meth:`restatements`."""
        rows = self.link_rows(snapshot, query) if links is None else links
        restated = {r["source_id"]: r["target_id"] for r in rows if r["link_type"] == RESTATES}
        result: dict[str, list[str]] = {}
        for row in rows:
            if row["link_type"] == DENIES:
                result.setdefault(row["target_id"], []).append(row["source_id"])
        if result:  # a restatement of a disputed statement repeats disputed figures
            for restating in restated:
                original = original_of(restating, restated)
                for denied in (original, restated[restating]):
                    if denied in result and restating not in result:
                        result[restating] = result[denied]
        if matter is not None and result:
            ids = set(self._matter_statements(matter, snapshot, query))
            result = {k: v for k, v in result.items() if k in ids}
        return {k: sorted(set(v)) for k, v in sorted(result.items())}, restated

    def restatements(self, snapshot: Snapshot, query: Query | None = None) -> dict[str, str]:
        """Restating statement -> the statement it restates, at ``known_at``."""
        return {r["source_id"]: r["target_id"] for r in self._typed(RESTATES, snapshot, query)}

    def _matter_statements(self, matter: str, snapshot: Snapshot, query: Query | None = None) -> list[str]:
        rows = (query or self.view.query)(
            f"SELECT DISTINCT statement_id FROM {{ledger_statements}} WHERE matter_id = :m AND {snapshot.in_force()}",
            {"m": matter, **snapshot.params()})
        return [r["statement_id"] for r in rows]

    # --- check -------------------------------------------------------------------------------

    def evidence_check(self, matter_id: str, statements: list[Row], restatements: dict[str, str]) -> list[dict[str, Any]]:
        """Check items of the evidence: ``misquoted`` restatements (a restated number that
        differs) and ``not_in_quote`` / ``not_in_span`` warnings (a figure's number nowhere
        in its quote, or outside its span). ``statements``: the matter's statements in force,
        stated by the day and not retracted, their documents parsed (as ``check`` reads them);
        ``restatements``: :meth:`restatements` at the check's ``known_at``."""
        documents = {r["statement_id"]: (r["stated_end"], r["document"]) for r in statements}
        found: list[dict[str, Any]] = []
        for restating, restated in sorted(restatements.items()):
            if restating not in documents or restated not in documents:
                continue
            a, b = documents[restating][1], documents[restated][1]
            for finding in misquotes(a.get("figures", {}), b.get("figures", {})):
                found.append({
                    "matter": matter_id, "kind": "misquoted",
                    "message": f"{restating} restates {restated}: {finding}",
                    "categories": [finding.category], "statements": [restating, restated],
                    "numbers": {restating: _numbers_text(finding.restating),
                                restated: _numbers_text(finding.restated)},
                    "first_seen": max(documents[restating][0], documents[restated][0]),
                    "resolved_on": None, "open": True, "ended": None,
                })
        for statement, (stated_end, document) in sorted(documents.items()):
            for category, message in span_warnings(statement_spans(document)):
                found.append({
                    "matter": matter_id, "kind": message.split(":", 1)[0], "severity": "warning",
                    "message": f"{statement}: {message}", "categories": [category], "statements": [statement],
                    "first_seen": stated_end, "resolved_on": None, "open": True, "ended": None,
                })
        return found

    def restatement_notes(self, snapshot: Snapshot, statement_ids: list[str]) -> list[str]:
        """``requalified`` and ``misquoted`` notes for the given restating statements (show)."""
        notes = []
        restated = self.restatements(snapshot)
        for a in statement_ids:
            if a in restated:
                docs = [self.versions(s, snapshot) for s in (a, restated[a])]  # type: ignore[attr-defined]
                if all(docs):
                    notes += [f"{a} restates {restated[a]}: {f}" for f in restatement_findings(
                        docs[0][-1]["document"].get("figures", {}), docs[1][-1]["document"].get("figures", {}))]
        return notes

    # --- sources as entities -----------------------------------------------------------------

    def source_entities(self, matter_id: str | None, snapshot: Snapshot) -> list[dict[str, Any]]:
        """``ledger sources``: one entry per stable source id (organization, person), with
        its type and roles as stated, counts, first and last statement and statement ids."""
        where, params = f"WHERE {snapshot.in_force()}", dict(snapshot.params())
        if matter_id is not None:
            self.matter(matter_id, snapshot)  # type: ignore[attr-defined]
            where += " AND matter_id = :m"
            params["m"] = matter_id
        rows = self.view.query(
            "SELECT statement_id, organization, person, role, stated_on, stated_end, figure_count, retracted, "
            f"document FROM {{ledger_statements}} {where} ORDER BY (stated_end IS NULL), stated_end, position",
            params)
        grouped: dict[str, dict[str, Any]] = {}
        for r in rows:
            sid = source_id(r["organization"], r["person"])
            kind = json.loads(r["document"])["source"].get("type")
            entry = grouped.setdefault(sid, {
                "id": sid, "organization": r["organization"], "person": r["person"], "type": kind,
                "role": None, "roles": [], "statements": 0, "figures": 0, "undated": 0, "retracted": 0,
                "first_statement": None, "last_statement": None,
                "first_stated_on": None, "last_stated_on": None, "statement_ids": [],
            })
            entry["type"] = kind or entry["type"]
            if r["role"] and r["role"] not in entry["roles"]:
                entry["roles"].append(r["role"])
            entry["role"] = r["role"] or entry["role"]  # the latest role stated
            entry["statements"] += 1
            entry["figures"] += r["figure_count"]
            entry["retracted"] += r["retracted"]
            entry["statement_ids"].append(r["statement_id"])
            if r["stated_end"] is None:
                entry["undated"] += 1
            else:
                if entry["first_statement"] is None:
                    entry["first_statement"], entry["first_stated_on"] = r["statement_id"], r["stated_on"]
                entry["last_statement"], entry["last_stated_on"] = r["statement_id"], r["stated_on"]
        return [grouped[k] for k in sorted(grouped)]

    def statements_by(self, snapshot: Snapshot, *, source: str | None = None, search: str | None = None,
                      outlet: str | None = None) -> list[str]:
        """Statement ids recorded by ``known_at`` whose source has the id ``source`` (exactly),
        whose organization or person contains ``search`` (case-insensitive), and which a
        citation of outlet ``outlet`` (case-insensitive, whole name) reports; all that are given."""
        rows = self.view.query(
            "SELECT statement_id, organization, person, document, position FROM {ledger_statements} "
            f"WHERE {snapshot.recorded()} ORDER BY statement_id, position", snapshot.params())
        latest: dict[str, Row] = {}
        for row in rows:
            latest[row["statement_id"]] = row
        found = []
        for sid, row in sorted(latest.items()):
            versions = [r for r in rows if r["statement_id"] == sid]
            if source is not None and not any(source_id(r["organization"], r["person"]) == source
                                              for r in versions):
                continue
            if search is not None and not any(search.casefold() in (r["organization"] or "").casefold()
                                              or search.casefold() in (r["person"] or "").casefold()
                                              for r in versions):
                continue
            if outlet is not None:
                citations = json.loads(row["document"]).get("citations", [])
                if not any(str(c.get("outlet", "")).casefold() == outlet.casefold() for c in citations):
                    continue
            found.append(sid)
        return found

    # --- lineage -----------------------------------------------------------------------------

    def prov(self, snapshot: Snapshot) -> dict[str, Any]:
        """The ledger as W3C PROV-O JSON-LD (:func:`ledger.domain.prov.build_prov`) at ``known_at``."""
        from ledger.domain.prov import build_prov

        rows = self.view.query(
            "SELECT statement_id, position, document, recorded_at, recorded_by, retracted, superseded_at "
            f"FROM {{ledger_statements}} WHERE {snapshot.recorded()} ORDER BY statement_id, position",
            snapshot.params())
        by_id: dict[str, list[Row]] = {}
        for row in rows:
            by_id.setdefault(row["statement_id"], []).append(row)
        items = []
        for versions in by_id.values():
            current = versions[-1]
            document = json.loads(current["document"])
            corrections = sum(1 for v in versions[1:] if not v["retracted"])
            document = {k: v for k, v in document.items() if k != "links"}  # the standing links come below
            items.append({"document": document, "revision": 1 + corrections, "spans": statement_spans(document),
                          "recorded_at": versions[0]["recorded_at"], "recorded_by": versions[0]["recorded_by"],
                          "retracted": bool(current["retracted"])})
        links = [(r["source_id"], r["link_type"], r["target_id"]) for r in self.link_rows(snapshot)]
        return build_prov(items, links)


def _numbers_text(numbers: dict[str, int]) -> str:
    if set(numbers) == {"value"}:
        return str(numbers["value"])
    return ", ".join(f"{k} {v}" for k, v in numbers.items())
