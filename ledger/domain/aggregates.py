"""Event-sourced aggregates: a matter and a statement, each a stream of immutable events.

Events carry the validated document as plain JSON-able data, so the library's
default JSON transcoder stores them without custom transcodings, and a reader of
the raw database sees the document as it was recorded.
"""

from __future__ import annotations

from hashlib import sha1
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from ledger.domain.links import LINK_TYPES, LinkError, links_of
from ledger.domain.ordering import RANKS

_NAMESPACE = uuid5(NAMESPACE_URL, "https://claims-ledger.invalid/")


def matter_uuid(matter_id: str) -> UUID:
    return uuid5(_NAMESPACE, f"matter:{matter_id}")


def statement_uuid(statement_id: str) -> UUID:
    """``uuid5(_NAMESPACE, f"statement:{statement_id}")``, in half the time (twice a statement
    when recording): the same SHA-1, its version and variant bits set on the integer."""
    digest = sha1(_STATEMENT_PREFIX + statement_id.encode()).digest()
    return UUID(int=int.from_bytes(digest[:16]) & _UUID5_CLEAR | _UUID5_SET)


_STATEMENT_PREFIX = _NAMESPACE.bytes + b"statement:"
_UUID5_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)  # version and variant bits
_UUID5_SET = (5 << 76) | (0x8000 << 48)  # version 5, RFC 4122 variant


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
    def __init__(self, document: dict[str, Any], recorded_by: str,
                 spans: dict[str, Any] | None = None) -> None:
        """``spans``: where each figure's number stands in the quote, as found when recorded
        (shape in ledger/domain/spans.py; ``None`` in events recorded before spans existed)."""
        self.document = document
        self.recorded_by = recorded_by
        self.retracted = False
        self.spans = spans
        self.linked: list[list[str]] = []  # [type, target] added by Linked events, still standing
        self.unlinked: list[list[str]] = []  # [type, target] of the document removed by Unlinked
        self.rank = "normal"

    @property
    def links(self) -> list[tuple[str, str]]:
        """The links standing now: the document's (less those unlinked) and those linked since."""
        removed = {tuple(pair) for pair in self.unlinked}
        own = [pair for pair in links_of(self.document) if pair not in removed]
        return own + [(t, s) for t, s in self.linked if (t, s) not in own]

    @property
    def statement_id(self) -> str:
        return self.document["id"]

    @event("Corrected")
    def correct(self, document: dict[str, Any], recorded_by: str, reason: str,
                spans: dict[str, Any] | None = None) -> None:
        """A recording error fixed: the corrected document replaces the recorded one (its
        links replace the document's links; links added by ``link`` stay)."""
        self.document = document
        self.recorded_by = recorded_by
        self.spans = spans
        self.unlinked = []

    def link(self, link_type: str, target: str, reason: str, recorded_by: str) -> None:
        """Link this statement to ``target`` (``ledger link A TYPE B``). Whether the target
        exists and whether an ``updates`` cycle would form is the application's check."""
        if link_type not in LINK_TYPES:
            raise LinkError(f"unknown link type {link_type!r} (one of {', '.join(LINK_TYPES)})")
        if target == self.statement_id:
            raise LinkError(f"statement {target!r} cannot link to itself ({link_type})")
        if (link_type, target) in self.links:
            raise LinkError(f"{self.statement_id!r} already {link_type} {target!r}")
        self._linked(statement_id=self.statement_id, link_type=link_type, target=target, reason=reason,
                     recorded_by=recorded_by)

    @event("Linked")
    def _linked(self, statement_id: str, link_type: str, target: str, reason: str, recorded_by: str) -> None:
        if [link_type, target] in self.unlinked:
            self.unlinked.remove([link_type, target])
        else:
            self.linked.append([link_type, target])

    def unlink(self, link_type: str, target: str, reason: str, recorded_by: str) -> None:
        """Remove a standing link (from the document or from ``link``); history keeps it."""
        if (link_type, target) not in self.links:
            raise LinkError(f"{self.statement_id!r} has no link '{link_type} {target}'")
        self._unlinked(statement_id=self.statement_id, link_type=link_type, target=target, reason=reason,
                       recorded_by=recorded_by)

    @event("Unlinked")
    def _unlinked(self, statement_id: str, link_type: str, target: str, reason: str,
                  recorded_by: str) -> None:
        if [link_type, target] in self.linked:
            self.linked.remove([link_type, target])
        else:
            self.unlinked.append([link_type, target])

    @event("Retracted")
    def retract(self, statement_id: str, recorded_by: str, reason: str) -> None:
        """Recorded in error or withdrawn by its source: it no longer counts from now on."""
        self.retracted = True
        self.recorded_by = recorded_by

    def set_rank(self, rank: str, reason: str, recorded_by: str) -> None:
        """An analyst's judgement, as in Wikidata: ``preferred``, ``normal`` or ``deprecated``
        (see docs/replay.md). A later ranking replaces it from then on; known-at replays the
        ranking of the time. The caller checks the rank (:func:`rank_problem`)."""
        self._ranked(statement_id=self.statement_id, rank=rank, reason=reason, recorded_by=recorded_by)

    @event("Ranked")
    def _ranked(self, statement_id: str, rank: str, reason: str, recorded_by: str) -> None:
        self.rank = rank
        self.recorded_by = recorded_by


def recorded_event(document: dict[str, Any], recorded_by: str, spans: dict[str, Any] | None) -> Statement.Recorded:
    """The event ``Statement(document=..., recorded_by=..., spans=...)`` would have pending,
    built without the aggregate: bulk recording appends it without ever using the object
    (the same fields in the same order, so the same stored state; the time taken now)."""
    return Statement.Recorded(  # type: ignore[call-arg]
        originator_id=statement_uuid(document["id"]), originator_version=Statement.INITIAL_VERSION,
        timestamp=Statement.Recorded.create_timestamp(), originator_topic=_STATEMENT_TOPIC,
        document=document, recorded_by=recorded_by, spans=spans)


_STATEMENT_TOPIC = get_topic(Statement)


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
