"""The shapes of the read model's results: what ``--format json`` prints and what a web API
returns. Frozen pydantic models that forbid unknown fields; ``tests/test_readmodel.py``
validates every command's JSON against them, so a result cannot change shape unnoticed.

Conventions: numbers are numbers (a count is an ``int``; an interval is ``value`` when
exact, else ``low``/``high``, ``high`` null when unbounded, with its ``text``); ``source``
is always :class:`Source`; dates are the text the source gave (``2025-07``), days are ISO.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(Result):
    organization: str
    person: str | None = None
    role: str | None = None


class Increments(Result):
    text: str  # "12 + 2 + 1", or ">= 2 + 1" without a base total
    statements: list[str]


class Figure(Result):
    """An asserted figure (status, history). In status: the figure the policy picked, with the
    word its source used (``category``), the policy's ``low``/``best``/``high`` (``high`` null
    when unbounded), every statement it rests on, and ``base + changes`` with increments."""

    value: int | None
    qualifier: Literal["exact", "at_least", "at_most", "approx", "range", "change"]
    low: int | None = None
    best: int | None = None
    high: int | None = None
    change: int | None = None
    as_of: str
    stated_on: str
    statement: str
    source: Source
    recorded_at: str
    category: str | None = None
    text: str | None = None
    statements: list[str] | None = None
    increments: Increments | None = None
    stands: bool | None = None  # history: the figure the status shows as of the date
    disputed: bool | None = None  # status: a statement denies this figure's statement (docs/evidence.md)
    disputed_by: list[str] | None = None


class DerivedInput(Result):
    category: str
    value: int | None
    low: int | None
    high: int | None
    text: str
    statement: str | None  # None: itself derived
    as_of: str


class DerivedFigure(Result):
    value: int | None
    low: int | None
    best: int | None = None
    high: int | None
    best: int | None = None  # the best computed from the inputs' bests, when they have one
    qualifier: Literal["derived"]
    best: int | None = None  # computed from the inputs' bests (reconcile._derive)
    text: str
    relation: str
    under: str  # "matter" or "statement ID"
    inputs: list[DerivedInput]
    statements: list[str]


class Discrepancy(Result):
    kind: Literal["relation_violated", "cumulative_decrease", "conflicting_sources", "stale_inputs",
                  "inconsistent_statement", "undated_conflict", "ambiguous_order", "stale_figure",
                  "misquoted", "not_in_quote", "not_in_span"]
    message: str
    categories: list[str]
    statements: list[str]
    relation: str | None = None
    numbers: dict[str, str | int] | None = None
    gap_days: int | None = None
    age_days: int | None = None
    threshold_days: int | None = None


NoFigure = Literal["never_stated", "retracted", "not_derivable"]


class StatusResult(Result):
    matter: str
    title: str
    as_of: str
    known_at: str | None
    policy: Literal["latest", "conservative", "estimate"]
    window_days: int
    figures: dict[str, Figure | None]
    derived: dict[str, DerivedFigure]
    discrepancies: list[Discrepancy]
    no_figure: dict[str, NoFigure]
    undated_statements_excluded: int


class CheckItem(Discrepancy):
    matter: str
    first_seen: str
    resolved_on: str | None
    open: bool
    ended: Literal["resolved", "superseded"] | None
    severity: Literal["warning"] | None = None  # a warning (not_in_quote) does not make check fail


class HistoryResult(Result):
    matter: str
    category: str
    as_of: str | None
    known_at: str | None
    policy: str = "latest"
    window_days: int = 0
    figures: list[Figure]


class MatterSummary(Result):
    matter: str
    title: str
    statements: int
    categories: list[str]


class SourceEntity(Result):
    """``ledger sources``: one stable source id (organization, person)."""

    id: str
    organization: str
    person: str | None
    type: str | None
    role: str | None  # the latest role stated (roles: every one, in order)
    roles: list[str]
    statements: int
    figures: int
    undated: int
    retracted: int
    first_statement: str | None
    last_statement: str | None
    first_stated_on: str | None
    last_stated_on: str | None
    statement_ids: list[str]


class LinkEntry(Result):
    type: str
    statement: str
    origin: Literal["document", "event"]
    reason: str | None
    recorded_by: str | None
    recorded_at: str
    meaning: str | None = None
    direction: Literal["outgoing", "incoming"] | None = None
    ended_at: str | None = None
    ended_by: str | None = None
    end_reason: str | None = None


class LinksResult(Result):
    """``ledger links ID``: both directions, as of ``known_at``."""

    statement: str
    known_at: str | None
    outgoing: list[LinkEntry]
    incoming: list[LinkEntry]
    ended: list[LinkEntry]


class TrailVersion(Result):
    position: int
    event: Literal["recorded", "corrected", "retracted"]
    recorded_at: str
    recorded_by: str
    reason: str | None


class ShownVersion(TrailVersion):
    document: dict[str, Any]


class ShowResult(Result):
    statement: dict[str, Any]  # the statement document (see schemas/)
    status: Literal["recorded", "corrected", "retracted"]
    recorded_at: str
    recorded_by: str
    position: int
    trail: list[ShownVersion]
    spans: dict[str, dict[str, Any]] | None = None  # where each figure stands in the quote
    links: dict[str, Any] | None = None  # as `ledger links ID`


Outcome = Literal["stands", "outranked", "deprecated", "corrected", "retracted", "undated", "not yet stated"]


class TracedFigure(Result):
    statement: str
    category: str  # the word its source used (a member of the timeline)
    value: int | None
    qualifier: str
    low: int | None
    high: int | None
    text: str
    as_of: str
    stated_on: str
    source: Source
    recorded_at: str
    position: int
    outcome: Outcome
    why: str
    disputed_by: list[str] | None = None


class TracedStatement(Result):
    id: str
    source: Source
    venue: str | None
    stated_on: str
    as_of: str
    quote: str
    attribution: str | None
    citations: list[dict[str, Any]]
    recorded_at: str
    recorded_by: str
    spans: dict[str, dict[str, Any]] | None = None  # code-point offsets in the quote (docs/evidence.md)
    links: dict[str, Any] | None = None  # as `ledger links ID`


class ExplainedInput(DerivedInput):
    """An input of a derived figure with the words behind it (null when itself derived)."""

    stated_on: str | None
    source: Source | None
    quote: str | None
    attribution: str | None


class ExplainedDerivation(Result):
    value: int | None
    low: int | None
    best: int | None
    high: int | None
    text: str
    relation: str
    under: str
    statements: list[str]
    inputs: list[ExplainedInput]


class TraceResult(Result):
    matter: str
    category: str
    timeline: str  # the timeline the category belongs to (its same_as target, or itself)
    as_of: str
    known_at: str | None
    policy: str = "latest"
    window_days: int = 0
    figure: TracedFigure | None
    statement: TracedStatement | None
    trail: list[TrailVersion]
    others: list[TracedFigure]
    derived: ExplainedDerivation | None = None  # when no figure stands and the category is derived


class AuditedFigure(Result):
    category: str
    value: int | None
    qualifier: str
    low: int | None
    high: int | None
    text: str
    as_of: str
    stated_on: str
    recorded_at: str
    position: int
    outcome: Outcome
    why: str


class AuditedStatement(Result):
    statement: str
    matter: str
    source: Source
    stated_on: str
    as_of: str
    venue: str | None
    quote: str
    attribution: str | None
    citations: list[dict[str, Any]]
    status: Literal["recorded", "corrected", "retracted"]
    trail: list[TrailVersion]
    figures: list[AuditedFigure]


class AuditResult(Result):
    source: str
    as_of: str
    known_at: str | None
    policy: str = "latest"
    window_days: int = 0
    statements: list[AuditedStatement]
