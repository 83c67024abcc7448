"""Analysts' questions as plain functions of a view: a thin front to the read model.

Kept for scripts and callers written against it; new code uses
:class:`ledger.readmodel.TimelineReadModel` with a :class:`ledger.readmodel.Snapshot`.
"""

from __future__ import annotations

from datetime import date
from collections.abc import Iterator
from typing import Any

from ledger.readmodel import NotFoundError, Snapshot, TimelineReadModel

__all__ = ["NotFoundError", "check", "history", "matter_document", "matters", "sources", "statement",
           "status", "status_figure", "statuses"]


def matters(view: Any) -> list[dict[str, Any]]:
    return TimelineReadModel(view).matters()


def matter_document(view: Any, matter_id: str | None, known_at: str | None = None) -> dict[str, Any]:
    return TimelineReadModel(view).matter(matter_id, Snapshot(known_at=known_at))


def status_figure(view: Any, matter_id: str, category: str, as_of: date,
                  known_at: str | None = None, policy: str = "latest", window_days: int = 0) -> dict[str, Any] | None:
    return TimelineReadModel(view).standing_figure(matter_id, category,
                                                   Snapshot(as_of, known_at, policy, window_days))


def status(view: Any, matter_id: str | None, as_of: date, known_at: str | None = None,
           stale_days: int | None = None, policy: str = "latest", window_days: int = 0) -> dict[str, Any]:
    return TimelineReadModel(view).status(matter_id, Snapshot(as_of, known_at, policy, window_days), stale_days)


def statuses(view: Any, matter_id: str | None, days: list[str], known_at: str | None = None,
             stale_days: int | None = None, policy: str = "latest",
             window_days: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(day, status)`` for each of ``days`` (ISO text): the matter read once."""
    return TimelineReadModel(view).statuses(matter_id, Snapshot(None, known_at, policy, window_days), days,
                                            stale_days)


def history(view: Any, matter_id: str | None, category: str, as_of: date | None = None,
            known_at: str | None = None) -> dict[str, Any]:
    return TimelineReadModel(view).history(matter_id, category, Snapshot(as_of, known_at))


def sources(view: Any, matter_id: str | None = None, known_at: str | None = None) -> list[dict[str, Any]]:
    return TimelineReadModel(view).source_entities(matter_id, Snapshot(known_at=known_at))  # one id per source


def statement(view: Any, statement_id: str, known_at: str | None = None) -> dict[str, Any]:
    return TimelineReadModel(view).show(statement_id, Snapshot(known_at=known_at))


def check(view: Any, matter_id: str | None, as_of: date, known_at: str | None = None,
          stale_days: int | None = None, policy: str = "latest", window_days: int = 0) -> list[dict[str, Any]]:
    return TimelineReadModel(view).check(matter_id, Snapshot(as_of, known_at, policy, window_days), stale_days)
