"""Ranks as the read model sees them, and why a figure did not stand (trace, audit).

A statement's rank at known-at ``T`` is its ``ledger_ranks`` row in force at ``T``
(``normal`` when it has none): :func:`rank_sql`. :func:`why_outranked` explains, in the
words of the ONE ordering (:mod:`ledger.domain.ordering`), which step decided.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.ordering import Candidate, order_key
from ledger.readmodel.snapshot import Snapshot

Row = dict[str, Any]
_STEPS = ("rank", "described period", "described period", "attribution", "qualifier", "statement date",
          "statement date", "recording order")


def rank_sql(snapshot: Snapshot, alias: str = "f") -> str:
    """SQL: the rank at ``known_at`` of the statement of the figure row ``alias``."""
    return (f"COALESCE((SELECT r.rank FROM {{ledger_ranks}} r WHERE r.statement_id = {alias}.statement_id "
            f"AND {snapshot.in_force('r')}), 'normal')")


def not_deprecated_sql(snapshot: Snapshot, alias: str = "f") -> str:
    return (f"NOT EXISTS (SELECT 1 FROM {{ledger_ranks}} r WHERE r.statement_id = {alias}.statement_id "
            f"AND r.rank = 'deprecated' AND {snapshot.in_force('r')})")


def why_outranked(row: Row, replayed: Any) -> tuple[str, str]:
    """``(outcome, why)`` of a dated, eligible figure row against its timeline's replay."""
    figure = replayed.figure
    mine = (row["statement_id"], row["category"], int(row["position"]))
    standing = figure.standing
    if standing is not None and mine == (standing.statement, standing.category, standing.position):
        how = {"latest": "describes the latest date among the statements made by then",
               "conservative": "the lowest lower bound of the latest window (policy conservative)",
               "estimate": "it stands in the latest window; the policy reports the window's low/best/high"}
        return "stands", how[figure.policy]
    if figure.increments is not None and any(mine == (c.statement, c.category, c.position)
                                             for c in figure.increments.changes):
        return "stands", f"a change added to the standing total ({figure.increments.text})"
    if standing is None:
        return "outranked", "no total stands for this timeline"
    other = Candidate.from_row({**row, "rank": row.get("rank")})
    label = f"{standing.statement} ({standing.as_of})"
    if other.figure.is_change:
        return "outranked", f"a change stated before or during the standing total's period: {label}"
    if other.as_of_end < min(c.as_of_start for c in figure.used if not c.figure.is_change) and \
            other not in figure.used:
        return "outranked", f"describes an earlier date ({other.as_of}) than {label}"
    if figure.policy != "latest" and other in figure.used:
        return "outranked", f"in the window of policy {figure.policy}, which reports {label}"
    mine_key, winner_key = order_key(other), order_key(standing)
    step = next((i for i, (a, b) in enumerate(zip(mine_key, winner_key, strict=True)) if a != b), len(_STEPS) - 1)
    reason = _STEPS[min(step, len(_STEPS) - 1)]
    if reason == "described period" and other.as_of_start <= standing.as_of_start \
            and other.as_of_end >= standing.as_of_end:
        return "outranked", f"its period ({other.as_of}) contains the more precise {label}"
    if reason == "described period":
        return "outranked", f"describes an earlier date ({other.as_of}) than {label}"
    if reason == "rank":
        return "outranked", f"{label} is ranked preferred"
    if reason == "attribution":
        return "outranked", f"same period, weaker attribution ({other.attribution}) than {label}"
    if reason == "qualifier":
        return "outranked", f"same period, less exact ({other.figure.qualifier}) than {label}"
    if reason == "statement date":
        return "outranked", f"same period as {label}, stated earlier ({other.stated_on})"
    return "outranked", f"same dates as {label}, recorded earlier (position {other.position})"
