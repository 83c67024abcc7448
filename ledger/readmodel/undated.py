"""``undated_conflict`` (issue 11): a figure from a statement of unknown date stays out of
replay, but ``check`` compares it with the dated timeline it belongs to.

The rule: an undated figure conflicts when its interval overlaps the interval of no dated
figure of its timeline (its category and the category's ``same_as`` synonyms,
:mod:`ledger.domain.synonyms`; figures in force at ``known_at`` and stated by the check's
day): whenever it was made, no dated figure could have said the same. A timeline with no
dated figure gives nothing to compare, so no conflict. Changes (``{change: N}``) are not
totals and are compared with nothing, on either side. The item is reported once per undated
figure, under its timeline's category, its message naming the word the source used;
``first_seen`` is the latest date of the dated figures it was compared with.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.synonyms import timeline_key
from ledger.readmodel.audit import figure_text
from ledger.readmodel.snapshot import Snapshot
from ledger.readmodel.sql import FIGURE_COLUMNS
from ledger.reconcile import figure_interval

Row = dict[str, Any]


def undated_statement_query(matter_id: str, snapshot: Snapshot) -> tuple[str, dict[str, Any]]:
    """The query whose one row says the matter has an undated statement in force (none: no row)."""
    return (f"SELECT 1 AS one FROM {{ledger_statements}} WHERE matter_id = :m AND stated_end IS NULL "
            f"AND {snapshot.in_force()} LIMIT 1", {"m": matter_id, **snapshot.params()})


def undated_conflicts(model: Any, matter: dict[str, Any], snapshot: Snapshot) -> list[Row]:
    """The check items of the undated figures of ``matter`` (as known at ``snapshot``, with an
    undated statement: :func:`undated_statement_query`) that no dated figure can match."""
    matter_id, categories = matter["id"], matter["categories"]
    rows = model.view.query(
        f"SELECT {FIGURE_COLUMNS} FROM {{ledger_figures}} WHERE matter_id = :m AND {snapshot.in_force()} "
        "AND qualifier <> 'change' AND (stated_end IS NULL OR stated_end <= :day) ORDER BY category, position",
        {"m": matter_id, **snapshot.params()})
    dated: dict[str, list[Row]] = {}
    for row in rows:
        if row["stated_end"] is not None:
            dated.setdefault(timeline_key(categories, row["category"]), []).append(row)
    found = []
    for row in (r for r in rows if r["stated_end"] is None):
        timeline = timeline_key(categories, row["category"])
        others = dated.get(timeline)
        if not others:
            continue
        interval = figure_interval(row)
        if any(interval.overlaps(figure_interval(other)) for other in others):
            continue
        shown = ", ".join(sorted({f"{figure_text(o)} ({o['statement_id']}"
                                  + (f", {o['category']}" if o["category"] != row["category"] else "")
                                  + f", as of {o['as_of']})" for o in others}))
        word = row["category"] if timeline == row["category"] else f"{row['category']} (timeline {timeline})"
        found.append({
            "matter": matter_id, "kind": "undated_conflict",
            "message": f"{row['statement_id']} (undated) gives {word} {figure_text(row)}, "
                       f"which no dated figure matches: {shown}",
            "categories": [timeline], "statements": [row["statement_id"]],
            "first_seen": max(o["stated_end"] for o in others), "resolved_on": None, "open": True, "ended": None,
        })
    return found
