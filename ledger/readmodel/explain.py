"""``trace`` of a derived figure: the relation it comes from and each input with the
statement, source and quote behind it (issue 11).

The derived figure itself is the status's (:meth:`TimelineReadModel.status
<ledger.readmodel.timeline.TimelineReadModel.status>`, through the one relation rule of
:mod:`ledger.domain.relations` and :func:`ledger.reconcile.reconcile`); this module only
looks up the words behind its inputs.
"""

from __future__ import annotations

from typing import Any

from ledger.readmodel.audit import source_of
from ledger.readmodel.snapshot import Snapshot

Row = dict[str, Any]


def explain_derived(model: Any, matter_id: str, category: str, snapshot: Snapshot,
                    report: Row | None = None) -> Row | None:
    """The derivation of ``category`` in the status at ``snapshot`` (None when not derived)."""
    report = report or model.status(matter_id, snapshot)
    derived = report["derived"].get(category)
    if derived is None:
        return None
    documents: dict[str, Row] = {}
    inputs = []
    for item in derived["inputs"]:
        entry = {**item, "stated_on": None, "source": None, "quote": None, "attribution": None}
        statement_id = item["statement"]
        if statement_id is not None:
            if statement_id not in documents:
                documents[statement_id] = model.versions(statement_id, snapshot)[-1]["document"]
            document = documents[statement_id]
            entry.update(stated_on=document["stated_on"], source=source_of(document["source"]),
                         quote=document["quote"], attribution=document.get("attribution"))
        inputs.append(entry)
    return {key: derived[key] for key in ("value", "low", "high", "text", "relation", "under", "statements")} | {
        "best": derived.get("best"), "inputs": inputs}
