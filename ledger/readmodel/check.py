"""``check``: every discrepancy over the whole timeline of each matter, like ``bean-check``.

Mixed into :class:`~ledger.readmodel.TimelineReadModel` as :class:`CheckQueries`. The
picture is replayed at every date on which a statement was made (the only days it can
change) and on each day a standing figure turns stale before the next of those (so
``stale_figure`` is first seen on the day it became stale, not on the next statement's
date); what ``status`` answers is what ``check`` follows (:meth:`StatusQueries.pictures
<ledger.readmodel.status.StatusQueries.pictures>`: the same computation, the matter's rows
read once). Each discrepancy is reported once, with the date it first appeared and, when it
no longer shows, the date it ended and whether it was ``resolved`` or ``superseded``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from ledger.domain.figures import Figure
from ledger.domain.relations import own_relations
from ledger.readmodel.changes import discrepancy_key
from ledger.readmodel.snapshot import Snapshot
from ledger.reconcile import check_statement

Progress = Callable[[int, int], None]
Item = dict[str, Any]


def progress_weight(statements: int) -> int:
    """A matter's share of a check's progress: its statements (at least 1). The time a matter
    takes grows with them (a median matter of 45 statements takes milliseconds, the biggest of
    6,466 a second), so a count of matters would crawl through the big ones and race at the end."""
    return max(1, statements)


class CheckQueries:
    """check (uses ``matters``, ``matter``, ``pictures``, ``evidence_check`` of the read model)."""

    view: Any

    def check(self, matter_id: str | None, snapshot: Snapshot, stale_days: int | None = None,
              progress: Progress | None = None, include_disputed: bool = False) -> list[Item]:
        """Discrepancies over the whole timeline up to ``as_of`` (see the module docstring),
        of one matter or of all; ``progress(done, total)`` after each matter, in statements
        (:func:`progress_weight`)."""
        if matter_id:
            weights = {matter_id: 1}
        else:
            weights = {m["matter"]: progress_weight(m["statements"]) for m in self.matters(snapshot)}  # type: ignore[attr-defined]
        found: list[Item] = []
        done, total = 0, sum(weights.values())
        for mid, items in zip(weights, self.check_each(list(weights), snapshot, stale_days, include_disputed),
                              strict=True):
            found += items
            done += weights[mid]
            if progress is not None:
                progress(done, total)
        found.sort(key=check_order)
        return found

    def check_each(self, matter_ids: list[str], snapshot: Snapshot, stale_days: int | None = None,
                   include_disputed: bool = False) -> Iterator[list[Item]]:
        """The findings of each matter in turn, unsorted (what :meth:`check` sorts); what all
        matters share (the restatements) is read once."""
        from ledger.readmodel.undated import undated_conflicts, undated_statement_query

        restated = self.restatements(snapshot)  # type: ignore[attr-defined]
        for mid in matter_ids:
            with self.view.reading() as query:  # one read transaction per matter
                versions, rows, undated = query.many([  # independent: one round trip on PostgreSQL
                    self.matter_query(mid),  # type: ignore[attr-defined]
                    ("SELECT statement_id, stated_end, document, relations FROM {ledger_statements} "
                     f"WHERE matter_id = :m AND stated_end <= :day AND retracted = 0 AND {snapshot.in_force()}",
                     {"m": mid, **snapshot.params()}),
                    undated_statement_query(mid, snapshot),
                ])
                matter = self.matter_from(mid, versions, snapshot)  # type: ignore[attr-defined]
                at = self.pictures(mid, snapshot, snapshot.day, stale_days, include_disputed,  # type: ignore[attr-defined]
                                   figures=False, matter=matter, query=query)
            statements = [{**row, "document": orjson.loads(row["document"])} for row in rows]
            found = _inconsistent_statements(matter, statements)
            found += _replay_discrepancies(mid, at, sorted({row["stated_end"] for row in statements}), snapshot.day)
            if undated:  # most matters: nothing to compare
                found += undated_conflicts(self, matter, snapshot)
            found += self.evidence_check(mid, statements, restated)  # type: ignore[attr-defined]
            yield found


def _replay_discrepancies(matter_id: str, at: Callable[[str], tuple[dict[str, Any], dict[str, Any]]],
                          dates: list[str], last: str) -> list[Item]:
    """The discrepancies of the pictures ``at`` gives (:meth:`StatusQueries.pictures
    <ledger.readmodel.status.StatusQueries.pictures>`) at every statement date and staleness
    day up to ``last``."""
    found: list[Item] = []
    active: dict[tuple[Any, ...], Item] = {}
    days = sorted(set(dates) | {last})
    heapq.heapify(days)
    seen_days: set[str] = set()
    keys: dict[int, tuple[Item, tuple[Any, ...]]] = {}  # by id of an item (kept alive here)
    while days:
        when = heapq.heappop(days)
        if when in seen_days:
            continue
        seen_days.add(when)
        status, replayed = at(when)
        seen = set()
        for item in status["discrepancies"]:
            known = keys.get(id(item))
            if known is None:
                known = keys[id(item)] = (item, discrepancy_key(item))
            key = known[1]
            seen.add(key)
            if key not in active:
                active[key] = {"matter": matter_id, **item, "first_seen": when, "resolved_on": None,
                               "open": True, "ended": None}
                found.append(active[key])
            else:
                active[key].update(item)  # the latest wording, and the fields that go with it (age_days)
        new = [k for k in seen if active[k]["first_seen"] == when]
        for key in [k for k in active if k not in seen]:
            active.pop(key).update(resolved_on=when, open=False,
                                   ended="superseded" if any(_succeeds(n, key) for n in new) else "resolved")
        following = days[0] if days else None
        for r in replayed.values():  # the picture does not change until `following`, but may go stale
            if r.figure.stale_from is None:
                continue
            stale = r.figure.stale_from.isoformat()
            if when < stale <= last and (following is None or stale < following):
                heapq.heappush(days, stale)
    return found


def check_order(item: Item) -> tuple[str, str, str]:
    """The order of ``check``'s findings: by matter, then the day first seen, then kind (a
    stable sort: findings alike keep the order they were found in)."""
    return item["matter"], item["first_seen"], item["kind"]


def _inconsistent_statements(matter: dict[str, Any], statements: list[dict[str, Any]]) -> list[Item]:
    """``inconsistent_statement``: a statement whose own figures break a relation."""
    found = []
    for row in statements:
        document = row["document"]
        figures = {c: vars(Figure.from_input(raw)) for c, raw in document.get("figures", {}).items()}
        relations = own_relations(row["statement_id"], figures, orjson.loads(row["relations"] or "[]"),
                                  matter.get("relations", []))
        for problem in check_statement(figures, relations):
            found.append({
                "matter": matter["id"], "kind": "inconsistent_statement",
                "message": f"{row['statement_id']}: {problem}",
                "categories": sorted(figures), "statements": [row["statement_id"]],
                "first_seen": row["stated_end"], "resolved_on": None, "open": True, "ended": None,
            })
    return found


def _succeeds(new: tuple[Any, ...], old: tuple[Any, ...]) -> bool:
    """Whether a discrepancy that appeared took the place of one that ended the same day:
    about the same relation, or (without one) about a category in common."""
    if old[3] is not None:
        return new[3] == old[3]
    return bool(set(new[1]) & set(old[1]))
