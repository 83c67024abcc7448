"""Event-sourced aggregates: a matter and a statement, each a stream of immutable events.

Events carry the validated document as plain JSON-able data, so the library's
default JSON transcoder stores them without custom transcodings, and a reader of
the raw database sees the document as it was recorded.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ledger.domain.ordering import RANKS

_NAMESPACE = uuid5(NAMESPACE_URL, "https://claims-ledger.invalid/")


def matter_uuid(matter_id: str) -> UUID:
    return uuid5(_NAMESPACE, f"matter:{matter_id}")


def statement_uuid(statement_id: str) -> UUID:
    return uuid5(_NAMESPACE, f"statement:{statement_id}")


class Matter(Aggregate):
    """A matter's declaration: its categories (and later relations)."""

    @staticmethod
    def create_id(document: dict[str, Any], recorded_by: str) -> UUID:
        return matter_uuid(document["id"])

    @event("Declared")
    def __init__(self, document: dict[str, Any], recorded_by: str) -> None:
        self.document = document
        self.recorded_by = recorded_by

    @event("Revised")
    def revise(self, document: dict[str, Any], recorded_by: str) -> None:
        self.document = document
        self.recorded_by = recorded_by

    @property
    def categories(self) -> dict[str, Any]:
        return self.document["categories"]


class Statement(Aggregate):
    """One official statement as recorded: never edited, only followed by new events."""

    @staticmethod
    def create_id(document: dict[str, Any], recorded_by: str) -> UUID:
        return statement_uuid(document["id"])

    @event("Recorded")
    def __init__(self, document: dict[str, Any], recorded_by: str) -> None:
        self.document = document
        self.recorded_by = recorded_by
        self.retracted = False
        self.rank = "normal"

    @property
    def statement_id(self) -> str:
        return self.document["id"]

    @event("Corrected")
    def correct(self, document: dict[str, Any], recorded_by: str, reason: str) -> None:
        """A recording error fixed: the corrected document replaces the recorded one."""
        self.document = document
        self.recorded_by = recorded_by

    @event("Retracted")
    def retract(self, statement_id: str, recorded_by: str, reason: str) -> None:
        """Recorded in error or withdrawn by its source: it no longer counts from now on."""
        self.retracted = True
        self.recorded_by = recorded_by

    @event("Ranked")
    def set_rank(self, rank: str, reason: str, recorded_by: str) -> None:
        """An analyst's judgement, as in Wikidata: ``preferred``, ``normal`` or ``deprecated``
        (see docs/replay.md). A later ranking replaces it from then on; known-at replays the
        ranking of the time. The caller checks the rank (:func:`rank_problem`)."""
        self.rank = rank
        self.recorded_by = recorded_by



def rank_problem(rank: str, reason: str, current: str, retracted: bool) -> str | None:
    """Why a ranking cannot be recorded, or None."""
    if rank not in RANKS:
        return f"unknown rank {rank!r} (ranks: {', '.join(RANKS)})"
    if not reason.strip():
        return "a ranking needs a reason"
    if retracted:
        return "a retracted statement takes no rank"
    if rank == current:
        return f"the statement is already ranked {rank}"
    return None
