"""The timeline projection: matters (every version), statements and every asserted figure, indexed by date.

Status, history and sources are answered from these tables. A figure row is
bitemporal: ``as_of_end``/``stated_end`` place it on the calendar (the last day of
the period the source gave), ``recorded_at``/``superseded_at`` say when the
ledger knew it, so later corrections and retractions never rewrite a row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from ledger.canonical import json_bytes
from ledger.domain.aggregates import Matter, Statement
from ledger.domain.dates import PartialDate
from ledger.domain.figures import figure_columns
from ledger.projections import evidence
from ledger.projections.views import Change, SQLiteView, ViewSQL


def timestamp_text(moment: datetime) -> str:
    """UTC timestamps as fixed-width text, so that text order is time order on both backends."""
    return f"{moment.year:04d}" + moment.strftime("-%m-%dT%H:%M:%S.%fZ")  # %Y is not zero-padded before 1000


_STATEMENT_COLUMNS = (
    "statement_id, position, matter_id, stated_on, stated_end, as_of, as_of_end, organization, "
    "person, role, venue, attribution, figure_count, document, recorded_at, recorded_by, "
    "event, reason, retracted, relations"
)


class TimelineSQL(ViewSQL):
    tables = {
        # One row per version of a matter: declared, revised (closed like statements).
        "ledger_matters": (
            "matter_id TEXT NOT NULL, position BIGINT NOT NULL, title TEXT NOT NULL, document TEXT NOT NULL, "
            "recorded_at TEXT NOT NULL, superseded_at TEXT, PRIMARY KEY (matter_id, position)"
        ),
        # One row per version of a statement: recorded, corrected, retracted.
        "ledger_statements": (
            "statement_id TEXT NOT NULL, position BIGINT NOT NULL, matter_id TEXT NOT NULL, "
            "stated_on TEXT NOT NULL, stated_end TEXT, as_of TEXT NOT NULL, as_of_end TEXT, "
            "organization TEXT NOT NULL, person TEXT, role TEXT, venue TEXT, "
            "attribution TEXT NOT NULL, figure_count INTEGER NOT NULL, document TEXT NOT NULL, "
            "recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL, event TEXT NOT NULL, reason TEXT, "
            "retracted INTEGER NOT NULL, relations TEXT, superseded_at TEXT, superseded_by TEXT, "
            "PRIMARY KEY (statement_id, position)"
        ),
        # One row per figure of each version; a correction or retraction closes the rows.
        "ledger_figures": (
            "statement_id TEXT NOT NULL, category TEXT NOT NULL, position BIGINT NOT NULL, "
            "matter_id TEXT NOT NULL, value BIGINT, qualifier TEXT NOT NULL, low BIGINT, high BIGINT, "
            "as_of TEXT NOT NULL, as_of_end TEXT, stated_on TEXT NOT NULL, stated_end TEXT, "
            "organization TEXT NOT NULL, person TEXT, role TEXT, recorded_at TEXT NOT NULL, superseded_at TEXT, "
            "superseded_by TEXT, as_of_start TEXT, best BIGINT, change BIGINT, attribution TEXT, "
            "PRIMARY KEY (statement_id, category, position)"
        ),
        # One row per ranking of a statement (Statement.Ranked), closed by the next ranking:
        # known-at replays the ranking of the time. No row: the statement is ranked normal.
        "ledger_ranks": (
            "statement_id TEXT NOT NULL, position BIGINT NOT NULL, rank TEXT NOT NULL, reason TEXT NOT NULL, "
            "recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL, superseded_at TEXT, "
            "PRIMARY KEY (statement_id, position)"
        ),
        **evidence.LINK_TABLES,  # typed links between statements (ledger/projections/evidence.py)
    }
    indexes = [
        # Replay: the window, a range of described periods' ends (ledger/readmodel/replay.py).
        "CREATE INDEX IF NOT EXISTS ledger_figures_replay "
        "ON {ledger_figures} (matter_id, category, as_of_end, stated_end, position)",
        # Replay (issue 11): the head, the latest described period starting by D, scanned downward ...
        "CREATE INDEX IF NOT EXISTS ledger_figures_start "
        "ON {ledger_figures} (matter_id, category, as_of_start, stated_end)",
        # ... and the rare forward-looking figures (describing a period starting after they were stated).
        "CREATE INDEX IF NOT EXISTS ledger_figures_start_forward "
        "ON {ledger_figures} (matter_id, category, as_of_start) WHERE as_of_start > stated_end",
        # ... and the changes (increments), rare: only their rows.
        "CREATE INDEX IF NOT EXISTS ledger_figures_changes "
        "ON {ledger_figures} (matter_id, category, as_of_end) WHERE qualifier = 'change'",
        "CREATE INDEX IF NOT EXISTS ledger_ranks_statement ON {ledger_ranks} (statement_id, recorded_at)",
        "CREATE INDEX IF NOT EXISTS ledger_statements_matter "
        "ON {ledger_statements} (matter_id, stated_end)",
        *evidence.LINK_INDEXES,
    ]
    gatherable = frozenset({"insert_statement", "insert_figure"})
    statements = {
        "close_rank": (
            "UPDATE {ledger_ranks} SET superseded_at = :recorded_at "
            "WHERE statement_id = :statement_id AND superseded_at IS NULL"
        ),
        "insert_rank": (
            "INSERT INTO {ledger_ranks} (statement_id, position, rank, reason, recorded_at, recorded_by) "
            "VALUES (:statement_id, :position, :rank, :reason, :recorded_at, :recorded_by)"
        ),
        "close_matter": (
            "UPDATE {ledger_matters} SET superseded_at = :recorded_at "
            "WHERE matter_id = :matter_id AND superseded_at IS NULL"
        ),
        "insert_matter": (
            "INSERT INTO {ledger_matters} (matter_id, position, title, document, recorded_at) "
            "VALUES (:matter_id, :position, :title, :document, :recorded_at)"
        ),
        "insert_statement": (
            f"INSERT INTO {{ledger_statements}} ({_STATEMENT_COLUMNS}) VALUES (:statement_id, "
            ":position, :matter_id, :stated_on, :stated_end, :as_of, :as_of_end, :organization, "
            ":person, :role, :venue, :attribution, :figure_count, :document, :recorded_at, "
            ":recorded_by, :event, :reason, 0, :relations)"
        ),
        "insert_figure": (
            "INSERT INTO {ledger_figures} (statement_id, category, position, matter_id, value, "
            "qualifier, low, high, as_of, as_of_end, stated_on, stated_end, organization, person, "
            "role, recorded_at, as_of_start, best, change, attribution) VALUES (:statement_id, :category, "
            ":position, :matter_id, :value, :qualifier, :low, :high, :as_of, :as_of_end, :stated_on, "
            ":stated_end, :organization, :person, :role, :recorded_at, :as_of_start, :best, :change, "
            ":attribution)"
        ),
        "close_statement": (
            "UPDATE {ledger_statements} SET superseded_at = :at, superseded_by = :by "
            "WHERE statement_id = :statement_id AND superseded_at IS NULL"
        ),
        "close_figures": (
            "UPDATE {ledger_figures} SET superseded_at = :at, superseded_by = :by "
            "WHERE statement_id = :statement_id AND superseded_at IS NULL"
        ),
        # A retraction is a version too: the last document, marked retracted.
        "insert_retraction": (
            f"INSERT INTO {{ledger_statements}} ({_STATEMENT_COLUMNS}) "
            "SELECT statement_id, :position, matter_id, stated_on, stated_end, as_of, as_of_end, "
            "organization, person, role, venue, attribution, figure_count, document, :at, "
            ":recorded_by, 'retracted', :reason, 1, relations FROM {ledger_statements} "
            "WHERE statement_id = :statement_id AND superseded_at = :at AND superseded_by = 'retraction'"
        ),
        **evidence.LINK_STATEMENTS,
    }


class SQLiteTimelineView(SQLiteView):
    sql = TimelineSQL




def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@functools.lru_cache(maxsize=8192)
def _date_columns(text: str) -> tuple[str, str | None, str | None]:
    """A date as written (normalised), the ISO days its period starts and ends (cached: dates repeat a lot)."""
    parsed = PartialDate.parse(text)
    return str(parsed), _iso(parsed.start()), _iso(parsed.end())


def _json_text(value: Any) -> str:
    """A document (or its relations) as the projection stores it: compact JSON text, by orjson
    (the standard library's encoder was a seventh of a rebuild; :func:`ledger.canonical.json_bytes`)."""
    return json_bytes(value).decode()


def statement_rows(document: dict[str, Any], position: int, recorded_at: str, recorded_by: str,
                   event: str = "recorded", reason: str | None = None) -> list[Change]:
    """The rows one recorded statement adds: itself and each of its figures."""
    stated, _, stated_end = _date_columns(str(document["stated_on"]))
    as_of, as_of_start, as_of_end = _date_columns(str(document.get("as_of", document["stated_on"])))
    source = document["source"]
    attribution = document.get("attribution", "direct_quote")
    common = {
        "statement_id": document["id"],
        "matter_id": document["matter"],
        "stated_on": stated,
        "stated_end": stated_end,
        "as_of": as_of,
        # A figure whose own date is unknown describes, at the latest, the day it was stated.
        "as_of_end": as_of_end or stated_end,
        "organization": source["organization"],
        "person": source.get("person"),
        "role": source.get("role"),
        "attribution": attribution,
        "recorded_at": recorded_at,
        "position": position,
    }
    figures = document.get("figures", {})
    changes = [Change("insert_statement", {
        **common,
        "venue": document.get("venue"),
        "figure_count": len(figures),
        "document": _json_text(document),
        "recorded_by": recorded_by,
        "event": event,
        "reason": reason,
        "relations": _json_text(document["relations"]) if document.get("relations") else None,
    })]
    for category, raw in figures.items():
        value, qualifier, low, high, best, change = figure_columns(raw)
        changes.append(Change("insert_figure", {
            **common, "category": category, "value": value, "qualifier": qualifier, "low": low, "high": high,
            "as_of_start": as_of_start, "best": best, "change": change,
        }))
    return changes


# --- the rules: one per event class, over the event's state ---------------------------------
# ``state`` is the event's attributes (``vars`` of a domain event, or the stored JSON state
# decoded as plain data: see ``ledger.integrity.topics.event_state``); ``at`` its recording
# time as ``timestamp_text``. Both ways of reading an event go through these functions.

Rule = Callable[[Mapping[str, Any], str, int], list[Change]]


def _matter_declared(state: Mapping[str, Any], at: str, position: int) -> list[Change]:
    # The matter's first version: nothing to close (its aggregate id is its matter id).
    return [Change("insert_matter", _matter_version(state["document"], at, position))]


def _matter_revised(state: Mapping[str, Any], at: str, position: int) -> list[Change]:
    version = _matter_version(state["document"], at, position)
    return [Change("close_matter", version), Change("insert_matter", version)]


def _matter_version(document: dict[str, Any], at: str, position: int) -> dict[str, Any]:
    return {"matter_id": document["id"], "title": document["title"],
            "document": _json_text(document), "recorded_at": at, "position": position}


def _recorded(state: Mapping[str, Any], at: str, position: int) -> list[Change]:
    document, recorded_by = state["document"], state["recorded_by"]
    return (statement_rows(document, position, at, recorded_by)
            + evidence.recorded_link_changes(document, position, at, recorded_by))


def _corrected(state: Mapping[str, Any], at: str, position: int) -> list[Change]:
    document, recorded_by = state["document"], state["recorded_by"]
    closing = {"statement_id": document["id"], "at": at, "by": "correction"}
    return [
        Change("close_statement", closing),
        Change("close_figures", closing),
        *statement_rows(document, position, at, recorded_by, event="corrected", reason=state["reason"]),
        *evidence.corrected_link_changes(document, position, at, recorded_by),
    ]


def _retracted(state: Mapping[str, Any], at: str, position: int) -> list[Change]:
    closing = {"statement_id": state["statement_id"], "at": at, "by": "retraction"}
    return [
        Change("close_statement", closing),
        Change("close_figures", closing),
        Change("insert_retraction", {
            "statement_id": state["statement_id"], "at": at, "position": position,
            "recorded_by": state["recorded_by"], "reason": state["reason"],
        }),
        *evidence.retracted_link_changes(state["statement_id"], at),
    ]


def _ranked(state: Mapping[str, Any], at: str, position: int) -> list[Change]:
    row = {"statement_id": state["statement_id"], "position": position, "rank": state["rank"],
           "reason": state["reason"], "recorded_at": at, "recorded_by": state["recorded_by"]}
    return [Change("close_rank", row), Change("insert_rank", row)]


RULES: dict[type, Rule] = {
    Matter.Declared: _matter_declared,
    Matter.Revised: _matter_revised,
    Statement.Recorded: _recorded,
    Statement.Corrected: _corrected,
    Statement.Retracted: _retracted,
    Statement.Ranked: _ranked,
    Statement.Linked: lambda state, at, position: evidence.linked_changes(state, position, at),
    Statement.Unlinked: lambda state, at, position: evidence.unlinked_changes(state, at),
}
RULES_BY_TOPIC: dict[str, Rule] = {get_topic(cls): rule for cls, rule in RULES.items()}


def stored_timestamp_text(iso: str) -> str:
    """``timestamp_text`` of a stored event's ``datetime_iso`` text, without making the datetime
    (a rebuild reads every event): the ledger's UTC times with microseconds only need a slice."""
    if len(iso) == 32 and iso.endswith("+00:00") and iso[4:20:3] == "--T::.":
        return iso[:26] + "Z"
    return timestamp_text(datetime.fromisoformat(iso))


class TimelineProjection(Projection[Any]):
    """Turns ledger events into timeline rows (the rules above, whichever way an event is read)."""

    name = "timeline"

    def changes(self, domain_event: Any, position: int) -> list[Change]:
        """The rows of a domain event (``ProjectionRunner``, and events only the mapper can read)."""
        rule = RULES.get(type(domain_event))
        if rule is None:
            return []  # events this projection does not show
        return rule(vars(domain_event), timestamp_text(domain_event.timestamp), position)

    def changes_from_state(self, topic: str, state: Mapping[str, Any], position: int) -> list[Change]:
        """The rows of a stored event from its decoded state (``event_state``), no domain event made."""
        rule = RULES_BY_TOPIC.get(topic)
        if rule is None:
            return []
        return rule(state, stored_timestamp_text(state["timestamp"]["_data_"]), position)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """The eventsourcing entry point (used by ``ProjectionRunner``): one event, one transaction."""
        current = self.view.max_tracking_id(tracking.application_name)
        self.view.apply(self.changes(domain_event, tracking.notification_id), tracking, current)
