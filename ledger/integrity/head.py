"""The log head an answer is computed at: the position the projection has applied and
the chain hash of that event, read cheaply (one link row), with the log's own last
position beside it. :func:`ledger.integrity.verify.verify_chain` recomputes the same
head from the whole log; this only reads the stored link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LogHead:
    position: int  # the last event applied to the projection (what answers are computed at)
    hash: str | None  # its chain hash (None before the first event, or if its link is missing)
    log_position: int  # the last event in the log

    @property
    def lag(self) -> int:
        return max(self.log_position - self.position, 0)

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "hash": self.hash, "log_position": self.log_position, "lag": self.lag}


def chain_link(recorder: Any, position: int) -> str | None:
    """The stored chain hash of the event at ``position`` (None if there is none)."""
    if position <= 0:
        return None
    link = recorder.select_chain(position - 1, 1)
    return link[0][1] if link and link[0][0] == position else None


def log_head(recorder: Any, view: Any, application_name: str) -> LogHead:
    """The projection's position and its chain hash, and the log's last position."""
    position = view.max_tracking_id(application_name) or 0
    return LogHead(position, chain_link(recorder, position), recorder.max_notification_id() or 0)


def view_head(ledger: Any) -> LogHead:
    """The head of a :class:`ledger.application.Ledger`'s projection (see :func:`log_head`)."""
    return log_head(ledger.app.recorder, ledger.view, ledger.app.name)
