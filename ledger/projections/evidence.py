"""The link rows of the timeline projection: typed links between statements, bitemporal.

One row per link for the interval of record time it stood in: ``recorded_at`` (when the
ledger learnt it: the statement's recording or correction giving it in ``links:``, or a
``Linked`` event) and ``superseded_at`` (a correction dropping it, an ``Unlinked`` event,
or the retraction of the linking statement). ``--known-at`` therefore reproduces the
graph of the time (the rule is the one :class:`ledger.readmodel.snapshot.Snapshot` applies
to every table). ``origin`` is ``document`` (from ``links:``) or ``event`` (``ledger link``).

Spans and source ids need no rows: both are pure functions of the stored document
(:func:`ledger.domain.spans.locate_figures`, :func:`ledger.domain.sources.source_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.domain.links import links_of
from ledger.projections.views import Change

LINK_TABLES = {
    "ledger_links": (
        "source_id TEXT NOT NULL, link_type TEXT NOT NULL, target_id TEXT NOT NULL, "
        "position BIGINT NOT NULL, origin TEXT NOT NULL, reason TEXT, recorded_by TEXT, "
        "recorded_at TEXT NOT NULL, superseded_at TEXT, superseded_by TEXT, ended_reason TEXT, "
        "ended_by TEXT, PRIMARY KEY (source_id, link_type, target_id, position)"
    ),
}
LINK_INDEXES = [
    "CREATE INDEX IF NOT EXISTS ledger_links_target ON {ledger_links} (target_id, link_type)",
]
_OPEN = "superseded_at IS NULL"
LINK_STATEMENTS = {
    # A link not standing yet (from a document or ``ledger link``) starts standing.
    "insert_link": (
        "INSERT INTO {ledger_links} (source_id, link_type, target_id, position, origin, reason, "
        "recorded_by, recorded_at) SELECT :source_id, :link_type, :target_id, :position, :origin, "
        ":reason, :recorded_by, :at WHERE NOT EXISTS (SELECT 1 FROM {ledger_links} "
        f"WHERE source_id = :source_id AND link_type = :link_type AND target_id = :target_id AND {_OPEN})"
    ),
    # A correction: the document's links are put aside, those the new document keeps are
    # put back (their interval goes on), the rest closed.
    "hold_document_links": (
        "UPDATE {ledger_links} SET superseded_at = :at, superseded_by = 'pending' "
        f"WHERE source_id = :source_id AND origin = 'document' AND {_OPEN}"
    ),
    "keep_document_link": (
        "UPDATE {ledger_links} SET superseded_at = NULL, superseded_by = NULL "
        "WHERE source_id = :source_id AND link_type = :link_type AND target_id = :target_id "
        "AND superseded_by = 'pending' AND superseded_at = :at"
    ),
    "close_held_links": (
        "UPDATE {ledger_links} SET superseded_by = 'correction' "
        "WHERE source_id = :source_id AND superseded_by = 'pending' AND superseded_at = :at"
    ),
    "close_link": (
        "UPDATE {ledger_links} SET superseded_at = :at, superseded_by = 'unlinked', "
        "ended_reason = :reason, ended_by = :recorded_by "
        f"WHERE source_id = :source_id AND link_type = :link_type AND target_id = :target_id AND {_OPEN}"
    ),
    "close_links": (
        "UPDATE {ledger_links} SET superseded_at = :at, superseded_by = 'retraction' "
        f"WHERE source_id = :source_id AND {_OPEN}"
    ),
}


def _link(statement_id: str, link_type: str, target: str, position: int, at: str, origin: str,
          reason: str | None = None, recorded_by: str | None = None) -> Change:
    return Change("insert_link", {
        "source_id": statement_id, "link_type": link_type, "target_id": target, "position": position,
        "origin": origin, "reason": reason, "recorded_by": recorded_by, "at": at})


def recorded_link_changes(document: dict[str, Any], position: int, at: str, recorded_by: str) -> list[Change]:
    return [_link(document["id"], t, target, position, at, "document", recorded_by=recorded_by)
            for t, target in links_of(document)]


def corrected_link_changes(document: dict[str, Any], position: int, at: str, recorded_by: str) -> list[Change]:
    key = {"source_id": document["id"], "at": at}
    return [
        Change("hold_document_links", key),
        *[Change("keep_document_link", {**key, "link_type": t, "target_id": target})
          for t, target in links_of(document)],
        Change("close_held_links", key),
        *recorded_link_changes(document, position, at, recorded_by),
    ]


def linked_changes(state: Mapping[str, Any], position: int, at: str) -> list[Change]:
    """A ``Linked`` event (its state: see ``ledger.projections.timeline.RULES``)."""
    return [_link(state["statement_id"], state["link_type"], state["target"], position, at, "event",
                  state["reason"], state["recorded_by"])]


def unlinked_changes(state: Mapping[str, Any], at: str) -> list[Change]:
    return [Change("close_link", {"source_id": state["statement_id"], "link_type": state["link_type"],
                                  "target_id": state["target"], "at": at, "reason": state["reason"],
                                  "recorded_by": state["recorded_by"]})]


def retracted_link_changes(statement_id: str, at: str) -> list[Change]:
    return [Change("close_links", {"source_id": statement_id, "at": at})]
