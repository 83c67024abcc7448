"""Typed links between statements: their meaning and the rules on them.

Pure functions over plain data; the read model and the record path call them. A link
goes *from* the statement that makes it (A) *to* the statement it is about (B):
``A restates B``, ``A updates B``, ``A denies B``.

Where links come from: the ``links:`` of a statement document (known from when the
statement is recorded, until a correction drops them) and the ``Linked`` / ``Unlinked``
events of ``ledger link`` / ``ledger unlink`` (see :class:`ledger.domain.aggregates.Statement`).
A :class:`LinkRecord` is one link with the interval of record time it was known in, so
that ``--known-at`` reproduces the graph of the time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

RESTATES = "restates"
UPDATES = "updates"
CONTRADICTS = "contradicts"
DENIES = "denies"
CITES = "cites"

LINK_TYPES = (RESTATES, UPDATES, CONTRADICTS, DENIES, CITES)
LINK_MEANINGS = {
    RESTATES: (
        "A gives the same figures as B, from a second outlet or speaker. A restatement is never "
        "independent confirmation of B; a restated number that differs from B's is a discrepancy "
        "(misquoted)."
    ),
    UPDATES: (
        "A's source replaces its own earlier figure in B; B stays in history. The updates links "
        "may form no cycle."
    ),
    CONTRADICTS: "A gives figures that disagree with B's, without saying B is wrong. Recorded and shown.",
    DENIES: (
        "A's source denies B's figures: B's figures are disputed (and skipped by --policy rules "
        "unless --include-disputed). Unlike correct (our recording error) and retract (we withdraw "
        "a statement), a denial is something a source said, and B still counts as said."
    ),
    CITES: "A refers to B (e.g. 'as the ministry said in July'). Recorded and shown.",
}


class LinkError(ValueError):
    """A link the rules do not allow (linking a statement to itself, twice, or unlinking
    a link that is not there)."""


@dataclass(frozen=True)
class LinkRecord:
    """One link as known in record time: from ``known_from`` until ``known_until``
    (``None``: still standing). Times are comparable values (ISO text or datetimes)."""

    source: str  # the statement making the link (A)
    type: str
    target: str  # the statement it is about (B)
    known_from: Any = None
    known_until: Any = None
    reason: str | None = None
    recorded_by: str | None = None

    def known_at(self, when: Any) -> bool:
        """Whether the link was in the ledger at ``when`` (``None``: now)."""
        if when is None:
            return self.known_until is None
        started = self.known_from is None or self.known_from <= when
        return started and (self.known_until is None or when < self.known_until)


def links_of(document: dict[str, Any]) -> list[tuple[str, str]]:
    """The ``(type, target)`` pairs of a statement document's ``links:``."""
    return [(link["type"], link["statement"]) for link in document.get("links", [])]


# --- record-time rules: each returns (path, message) pairs --------------------------------


def link_shape_problems(statement_id: str, links: list[tuple[str, str]]) -> list[tuple[tuple[Any, ...], str]]:
    """A statement may not link to itself, nor give the same link twice."""
    problems = []
    seen: set[tuple[str, str]] = set()
    for index, (link_type, target) in enumerate(links):
        if target == statement_id:
            problems.append((("links", index, "statement"), f"statement {statement_id!r} {link_type} itself"))
        elif (link_type, target) in seen:
            problems.append((("links", index), f"the link '{link_type} {target}' is given twice"))
        seen.add((link_type, target))
    return problems


def unknown_targets(links: list[tuple[str, str]], known: Callable[[str], bool] | Collection[str]
                    ) -> list[tuple[tuple[Any, ...], str]]:
    """Links to statements that are neither in the call nor in the ledger (``known``: a set
    of ids or a predicate)."""
    is_known = known if callable(known) else known.__contains__
    return [(("links", index, "statement"), (
        f"unknown statement {target!r}: a link must point to a statement in the ledger or in the same call"
    )) for index, (_, target) in enumerate(links) if not is_known(target)]


def updates_cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Cycles among ``updates`` links, each as the statement ids around it (first repeated
    last), found by depth-first search; ``edges`` are (A, B) for 'A updates B'."""
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if state.get(root):
            continue
        path: list[str] = []
        stack: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(graph.get(root, []))))]
        state[root] = 1
        path.append(root)
        while stack:
            node, children = stack[-1]
            child = next(children, None)  # type: ignore[call-overload]
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                cycles.append(path[path.index(child):] + [child])
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, [])))))
    return cycles


def cycle_message(cycle: list[str]) -> str:
    return "a cycle of updates links: " + " updates ".join(repr(s) for s in cycle)


# --- what links mean for figures --------------------------------------------------------------


def _numbers(raw: Any) -> dict[str, int]:
    """The numeric parts of a figure (a count, or a dict of the long forms), without the qualifier."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return {"value": raw}
    items = raw.items() if isinstance(raw, dict) else vars(raw).items()
    return {k: v for k, v in items if isinstance(v, int) and not isinstance(v, bool)}


def _qualifier(raw: Any) -> str | None:
    if isinstance(raw, dict):
        return raw.get("qualifier") or ("exact" if "value" in raw else None)
    return getattr(raw, "qualifier", None) or "exact"


@dataclass(frozen=True)
class RestatementFinding:
    """What a restatement changed in a restated figure.

    ``kind``: ``misquoted`` (a number differs) or ``requalified`` (same numbers, another
    qualifier, e.g. 'at least 44' for an exact 44: shown, not an error).
    """

    kind: str
    category: str
    restated: dict[str, int]  # B's numbers
    restating: dict[str, int]  # A's numbers
    restated_qualifier: str | None = None
    restating_qualifier: str | None = None

    def __str__(self) -> str:
        if self.kind == "misquoted":
            return (f"misquoted: {self.category} restated as {_show(self.restating)}, "
                    f"but the restated statement gives {_show(self.restated)}")
        return (f"requalified: {self.category} restated as {self.restating_qualifier} "
                f"{_show(self.restating)}, the restated statement says {self.restated_qualifier}")


def _show(numbers: dict[str, int]) -> str:
    if set(numbers) == {"value"}:
        return str(numbers["value"])
    return ", ".join(f"{k} {v}" for k, v in numbers.items())


def restatement_findings(restating: dict[str, Any], restated: dict[str, Any]) -> list[RestatementFinding]:
    """Compare A's figures with those of the statement A restates (two figure dicts, in the
    input forms). Only categories both give are compared: a restatement may repeat part."""
    findings = []
    for category in sorted(set(restating) & set(restated)):
        a, b = _numbers(restating[category]), _numbers(restated[category])
        qa, qb = _qualifier(restating[category]), _qualifier(restated[category])
        if a != b:
            findings.append(RestatementFinding("misquoted", category, b, a, qb, qa))
        elif qa != qb:
            findings.append(RestatementFinding("requalified", category, b, a, qb, qa))
    return findings


def misquotes(restating: dict[str, Any], restated: dict[str, Any]) -> list[RestatementFinding]:
    """Only the ``misquoted`` findings (numbers that differ)."""
    return [f for f in restatement_findings(restating, restated) if f.kind == "misquoted"]


def disputed(links: Iterable[LinkRecord], known_at: Any = None,
             withdrawn: Collection[str] = frozenset()) -> dict[str, list[str]]:
    """Statements whose figures are disputed at ``known_at``: target -> the statements
    denying it (sorted). A denial by a statement in ``withdrawn`` (retracted as of then)
    no longer counts."""
    result: dict[str, set[str]] = {}
    for link in links:
        if link.type == DENIES and link.source not in withdrawn and link.known_at(known_at):
            result.setdefault(link.target, set()).add(link.source)
    return {target: sorted(by) for target, by in sorted(result.items())}


def not_independent(links: Iterable[LinkRecord], known_at: Any = None) -> dict[str, str]:
    """Restatements at ``known_at``: restating statement -> the statement it restates.
    Conflict detection and ``check`` count a restated figure once, under the original."""
    return {link.source: link.target for link in links if link.type == RESTATES and link.known_at(known_at)}


def original_of(statement: str, restatements: dict[str, str]) -> str:
    """Follow ``restates`` links to the statement first giving the figures (A restates B
    restates C: C). ``restatements`` as from :func:`not_independent`; a loop stops where
    it closes."""
    seen = {statement}
    while statement in restatements and restatements[statement] not in seen:
        statement = restatements[statement]
        seen.add(statement)
    return statement


def independent(statements: Iterable[str], restatements: dict[str, str]) -> list[str]:
    """The statements that count as independent sources of a figure: each restatement is
    replaced by its original, and each original counted once (in first-seen order)."""
    return list(dict.fromkeys(original_of(s, restatements) for s in statements))


# --- the graph over record time, from a statement stream's events ------------------------------


def link_history(events: Iterable[tuple[str, str, Any, Any]]) -> list[LinkRecord]:
    """Every link with the interval of record time it stood in, from events in log order:
    ``(statement_id, kind, payload, at)`` where ``kind`` is ``recorded`` / ``corrected``
    (payload: the document), ``linked`` / ``unlinked`` (payload: a dict with ``link_type``,
    ``target``, ``reason``, ``recorded_by``) or ``retracted`` (payload ignored: a retracted
    statement's links end). ``at`` is the event's record time."""
    open_links: dict[tuple[str, str, str], LinkRecord] = {}
    closed: list[LinkRecord] = []

    def close(key: tuple[str, str, str], at: Any) -> None:
        closed.append(LinkRecord(**{**vars(open_links.pop(key)), "known_until": at}))

    for statement, kind, payload, at in events:
        mine = [key for key in open_links if key[0] == statement]
        if kind in ("recorded", "corrected"):
            wanted = {(statement, t, target) for t, target in links_of(payload)}
            document_keys = [k for k in mine if open_links[k].reason is None]
            for key in document_keys:
                if key not in wanted:
                    close(key, at)
            for key in sorted(wanted):
                if key not in open_links:
                    open_links[key] = LinkRecord(*key, known_from=at)
        elif kind == "linked":
            key = (statement, payload["link_type"], payload["target"])
            if key not in open_links:
                open_links[key] = LinkRecord(*key, known_from=at, reason=payload.get("reason"),
                                             recorded_by=payload.get("recorded_by"))
        elif kind == "unlinked":
            key = (statement, payload["link_type"], payload["target"])
            if key in open_links:
                close(key, at)
        elif kind == "retracted":
            for key in mine:
                close(key, at)
    return closed + list(open_links.values())
