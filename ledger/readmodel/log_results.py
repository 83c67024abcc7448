"""The shapes of the event log's results (``ledger log --format json``, ``/api/audit``) and
of the log head (``/api/log/head``); see :mod:`ledger.readmodel.results` for the rest."""

from __future__ import annotations

from ledger.readmodel.results import Result


class LogEntry(Result):
    position: int
    type: str
    id: str | None
    aggregate: str
    version: int
    recorded_at: str
    recorded_by: str | None
    reason: str | None
    hash: str | None


class LogHead(Result):
    """What an answer is computed at: the projection's position and its chain hash, and the log's end."""

    position: int
    hash: str | None
    log_position: int
    lag: int
