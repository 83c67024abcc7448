"""Reconciliation: what the figures of a picture imply together, and where they disagree.

Given the status picture of a matter (one standing figure per category) this derives
figures from the matter's relations, checks the relations that are fully known, and
flags figures that cannot be squared: a relation that cannot hold, a cumulative count
that falls, two statements giving different figures for the same date, and derived
figures or checks that mix figures far apart in time. Everything is pure: the caller
fetches the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.domain.intervals import Interval
from ledger.domain.relations import Relation, effective_relations, parse_relation
from ledger.domain.staleness import DEFAULT_STALE_DAYS, stale_threshold  # noqa: F401 - DEFAULT_STALE_DAYS re-exported


@dataclass
class Input:
    """A figure feeding a derivation or check: where it came from and what it says."""

    category: str
    interval: Interval
    statement: str | None  # None for a derived figure
    as_of: str
    as_of_end: str
    derived_from: list[Input] = field(default_factory=list)

    def leaves(self) -> list[Input]:
        """The asserted figures behind this one."""
        if not self.derived_from:
            return [self]
        return [leaf for part in self.derived_from for leaf in part.leaves()]

    def describe(self) -> dict[str, Any]:
        return {"category": self.category, **self.interval.as_dict(), "text": str(self.interval),
                "statement": self.statement, "as_of": self.as_of}


def figure_interval(row: dict[str, Any]) -> Interval:
    return Interval.of_figure(row["qualifier"], row["value"], row.get("low"), row.get("high"), row.get("best"))


def input_from_row(category: str, row: dict[str, Any]) -> Input:
    return Input(category, figure_interval(row), row["statement_id"], row["as_of"], row["as_of_end"])


def _days_apart(inputs: list[Input]) -> tuple[int, Input, Input]:
    leaves = sorted((leaf for i in inputs for leaf in i.leaves()), key=lambda leaf: leaf.as_of_end)
    first, last = leaves[0], leaves[-1]
    gap = (dt.date.fromisoformat(last.as_of_end) - dt.date.fromisoformat(first.as_of_end)).days
    return gap, first, last


def _side(relation: Relation, terms: tuple[tuple[int, str], ...], values: dict[str, Input],
          skip: str | None = None) -> tuple[str, Interval]:
    parts, total = [], Interval.exact(0)
    for sign, name in terms:
        if name == skip:
            continue
        parts.append(("- " if sign < 0 and parts else "-" if sign < 0 else "+ " if parts else "") + name)
        total = total + values[name].interval.scale(sign)
    return " ".join(parts) or "0", total


def _statements(inputs: list[Input]) -> list[str]:
    seen: list[str] = []
    for leaf in (leaf for i in inputs for leaf in i.leaves()):
        if leaf.statement and leaf.statement not in seen:
            seen.append(leaf.statement)
    return seen


def picture_relations(matter: dict[str, Any], picture: dict[str, dict[str, Any] | None],
                      statement_relations: dict[str, list[str]]) -> list[tuple[Relation, str]]:
    """The relations that apply to a status picture (see :func:`effective_relations`): a
    total's statement is the one whose figure stands for it."""
    suppliers = {category: (row["statement_id"], statement_relations.get(row["statement_id"], []))
                 for category, row in picture.items() if row is not None}
    return effective_relations(matter.get("relations", []), suppliers)


def reconcile(matter: dict[str, Any], picture: dict[str, dict[str, Any] | None],
              statement_relations: dict[str, list[str]], stale_days: int | None = None,
              previous: dict[str, dict[str, Any] | None] | None = None,
              same_date: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """Derived figures and discrepancies of one picture.

    ``previous``: for cumulative categories, the figure that stood before the standing one.
    ``same_date``: other figures describing the same date as the standing one.
    """
    stale = stale_threshold(matter, stale_days)
    values: dict[str, Input] = {c: input_from_row(c, row) for c, row in picture.items() if row is not None}
    derived: dict[str, dict[str, Any]] = {}
    discrepancies: list[dict[str, Any]] = []
    pending = picture_relations(matter, picture, statement_relations)

    progress = True
    while pending and progress:  # derived figures may feed further relations
        progress = False
        for relation, origin in list(pending):
            unknown = [c for c in relation.categories if c not in values]
            if len(unknown) > 1:
                continue
            pending.remove((relation, origin))
            progress = True
            inputs = [values[c] for c in relation.categories if c in values]
            result = None
            if unknown:
                result = _derive(relation, origin, unknown[0], values, inputs, discrepancies)
                if result is not None:
                    derived[unknown[0]] = result
            elif not relation.holds({c: values[c].interval for c in relation.categories}):
                discrepancies.append(_violation(relation, origin, values, inputs))
            gap, first, last = _days_apart(inputs) if inputs else (0, None, None)
            if inputs and gap > stale:
                what = f"derived {unknown[0]}" if result is not None else f"the check '{relation}'"
                discrepancies.append({
                    "kind": "stale_inputs",
                    "message": (f"{what} mixes figures {gap} days apart: {first.category} as of {first.as_of} "
                                f"({first.statement}) with {last.category} as of {last.as_of} ({last.statement})"),
                    "categories": relation.categories, "statements": _statements(inputs),
                    "relation": relation.text, "gap_days": gap, "threshold_days": stale,
                })

    for category, row in picture.items():
        if row is None:
            continue
        kind = matter["categories"][category]["kind"]
        before = (previous or {}).get(category)
        if kind == "cumulative" and before is not None:
            now, then = figure_interval(row), figure_interval(before)
            if now.hi < then.lo:
                discrepancies.append({
                    "kind": "cumulative_decrease",
                    "message": (f"{category} is cumulative but falls from {then} (as of {before['as_of']}, "
                                f"{before['statement_id']}) to {now} (as of {row['as_of']}, {row['statement_id']})"),
                    "categories": [category], "statements": [before["statement_id"], row["statement_id"]],
                    "numbers": {"before": str(then), "after": str(now)},
                })
        for other in (same_date or {}).get(category, []):
            if other["statement_id"] == row["statement_id"]:
                continue
            if not figure_interval(other).overlaps(figure_interval(row)):
                pair = sorted([other, row], key=lambda r: r["statement_id"])
                discrepancies.append({
                    "kind": "conflicting_sources",
                    "message": (f"{category} as of {row['as_of']}: {_who(pair[0])} says {figure_interval(pair[0])} "
                                f"({pair[0]['statement_id']}), {_who(pair[1])} says {figure_interval(pair[1])} "
                                f"({pair[1]['statement_id']})"),
                    "categories": [category], "statements": [r["statement_id"] for r in pair],
                    "numbers": {r["statement_id"]: str(figure_interval(r)) for r in pair},
                })
    return {"derived": derived, "discrepancies": discrepancies}


def _who(row: dict[str, Any]) -> str:
    return f"{row['organization']} ({row['person']})" if row.get("person") else row["organization"]


def _derive(relation: Relation, origin: str, unknown: str, values: dict[str, Input], inputs: list[Input],
            discrepancies: list[dict[str, Any]]) -> dict[str, Any] | None:
    solved = relation.solve(unknown, {c: v.interval for c, v in values.items()})
    if solved is None:
        return None
    count = solved.clamp_non_negative()
    if count is None:
        discrepancies.append(_violation(relation, origin, values, inputs, unknown=unknown, solved=solved))
        return None
    values[unknown] = Input(unknown, count, None, max(i.as_of for i in inputs), max(i.as_of_end for i in inputs),
                            derived_from=inputs)
    return {
        **count.as_dict(), "best": None if count.best is None else int(count.best),
        "qualifier": "derived", "text": str(count),
        "relation": relation.text, "under": origin,
        "inputs": [i.describe() for i in inputs], "statements": _statements(inputs),
    }


def _violation(relation: Relation, origin: str, values: dict[str, Input], inputs: list[Input],
               unknown: str | None = None, solved: Interval | None = None) -> dict[str, Any]:
    if unknown is not None and solved is not None:
        same_side = relation.right if any(n == unknown for _, n in relation.right) else relation.left
        other_side = relation.left if same_side is relation.right else relation.right
        same_text, same_total = _side(relation, same_side, values, skip=unknown)
        other_text, other_total = _side(relation, other_side, values)
        short = int(-solved.hi)
        message = (f"'{relation}' cannot hold: {same_text} = {same_total} exceeds {other_text} = {other_total} "
                   f"by at least {short}, and {unknown} cannot be negative: at least {short} are missing "
                   f"from the record, or the statements count differently")
        numbers = {"parts": str(same_total), "total": str(other_total), "shortfall": short}
    else:
        left_text, left_total = _side(relation, relation.left, values)
        right_text, right_total = _side(relation, relation.right, values)
        message = f"'{relation}' cannot hold: {left_text} = {left_total}, {right_text} = {right_total}"
        numbers = {"left": str(left_total), "right": str(right_total)}
    if origin != "matter":
        message += f" (under the relations of {origin})"
    return {"kind": "relation_violated", "message": message, "categories": relation.categories,
            "statements": _statements(inputs), "relation": relation.text, "numbers": numbers}


def check_statement(figures: dict[str, dict[str, Any]], relations: Sequence[Relation | str]) -> list[str]:
    """A statement's own consistency: the relations whose categories it all gives (the
    relations come from :func:`ledger.domain.relations.own_relations`)."""
    problems: list[str] = []
    totals = {c for c, f in figures.items() if f["qualifier"] != "change"}  # a change is no total
    checked = [relation for relation in (parse_relation(r) if isinstance(r, str) else r for r in relations)
               if all(c in totals for c in relation.categories)]
    if not checked:
        return problems
    values = {c: Interval.of_figure(f["qualifier"], f["value"], f.get("low"), f.get("high"), f.get("best"))
              for c, f in figures.items() if c in totals}
    for relation in checked:
        if not relation.holds(values):
            left = sum((values[n].scale(s) for s, n in relation.left), Interval.exact(0))
            right = sum((values[n].scale(s) for s, n in relation.right), Interval.exact(0))
            problems.append(f"its own figures break '{relation}': {relation.side_text('left')} = {left}, "
                            f"{relation.side_text('right')} = {right}")
    return problems
