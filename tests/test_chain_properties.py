"""Property: any change to any stored byte, position or row set of the log is found by verify.

The rows are read once from a real ledger on each backend; hypothesis then changes them
in memory (bytes of state, topic, aggregate, version, positions, links; rows deleted,
swapped, moved, duplicated) and the verification of a recorder serving the changed rows
must report a problem. Removing the tail (event and link) is the one change the chain
alone cannot see: it is found by the projection's tracking and the head (test_integrity).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from eventsourcing.persistence import Notification
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.integrity.verify import verify_chain


class MemoryLog:
    """A recorder serving rows from memory (what select_notifications/select_chain return)."""

    def __init__(self, events: list[Notification], links: list[tuple[int, str]]):
        self.events = sorted(events, key=lambda e: e.id)
        self.links = sorted(links)

    def select_notifications(self, start: int, limit: int, inclusive_of_start: bool = True, **_: Any) -> list:
        return [e for e in self.events if e.id > start][:limit]

    def select_chain(self, after: int, limit: int) -> list[tuple[int, str]]:
        return [link for link in self.links if link[0] > after][:limit]


@pytest.fixture(scope="module")
def stored(seeded_url: str) -> tuple[list[Notification], list[tuple[int, str]], Any]:
    with Ledger(seeded_url) as ledger:
        events = list(ledger.app.recorder.select_notifications(0, 100, inclusive_of_start=False))
        links = ledger.app.recorder.select_chain(0, 100)
        return events, links, ledger.app.mapper


def _flip(data: bytes, index: int, bit: int) -> bytes:
    index %= len(data)
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1:]


CHANGES = st.one_of(
    st.tuples(st.just("state"), st.integers(0, 10**6), st.integers(0, 7)),
    st.tuples(st.just("topic"), st.integers(0, 10**6), st.integers(0, 6)),
    st.tuples(st.just("originator"), st.integers(0, 10**6), st.integers(0, 7)),
    st.tuples(st.just("version"), st.integers(1, 5)),
    st.tuples(st.just("link"), st.integers(0, 63), st.integers(0, 3)),
    st.tuples(st.just("move"), st.integers(1, 2**63 - 10)),
    st.tuples(st.just("delete_both")),
    st.tuples(st.just("delete_event")),
    st.tuples(st.just("delete_link")),
    st.tuples(st.just("swap"), st.integers(0, 100)),
    st.tuples(st.just("duplicate")),
)


def change(events: list[Notification], links: list[tuple[int, str]], row: int,
           how: tuple) -> tuple[list[Notification], list[tuple[int, str]]] | None:
    """The log with one change applied at ``row`` (None: the change would be a no-op or tail cut)."""
    events, links = list(events), list(links)
    event, (position, link) = events[row], links[row]
    kind = how[0]
    if kind == "state":
        events[row] = replace(event, state=_flip(event.state, how[1], how[2]))
    elif kind == "topic":
        events[row] = replace(event, topic=_flip(event.topic.encode(), how[1], how[2]).decode("latin-1"))
    elif kind == "originator":
        import uuid

        raw = _flip(event.originator_id.bytes, how[1], how[2])
        events[row] = replace(event, originator_id=uuid.UUID(bytes=raw))
    elif kind == "version":
        events[row] = replace(event, originator_version=event.originator_version + how[1])
    elif kind == "link":
        digits = list(link)
        digits[how[1]] = format(int(digits[how[1]], 16) ^ (1 << how[2]), "x")
        links[row] = (position, "".join(digits))
    elif kind == "move":
        target = how[1]
        if target in {e.id for e in events}:
            return None
        events[row] = replace(event, id=target)
        links[row] = (target, link)
    elif kind == "delete_both":
        if row == len(events) - 1:
            return None  # the tail: found by the projection and the head, not by the chain
        del events[row], links[row]
    elif kind == "delete_event":
        del events[row]
    elif kind == "delete_link":
        del links[row]
    elif kind == "swap":
        other = how[1] % len(events)
        if other == row:
            return None
        a, b = events[row], events[other]
        events[row], events[other] = replace(b, id=a.id), replace(a, id=b.id)
        links[row], links[other] = (links[row][0], links[other][1]), (links[other][0], links[row][1])
    elif kind == "duplicate":
        last = events[-1].id
        events.append(replace(event, id=last + 1))
        links.append((last + 1, link))
    return events, links


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(0, 4), how=CHANGES)
def test_any_change_is_found(stored: tuple, row: int, how: tuple) -> None:
    events, links, mapper = stored
    assert verify_chain(MemoryLog(events, links), mapper).problems == []
    changed = change(events, links, row, how)
    if changed is None:
        return
    report = verify_chain(MemoryLog(*changed), mapper)
    assert report.problems, how
