"""The log head an answer is computed at: the last event the projection has applied, with
its chain link, so that a memo (the HTML report, a web answer) can be tied to the state
``ledger verify`` checks (verify prints the head of the log the same way)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Head:
    position: int  # the last log position the projection has applied (0: none)
    hash: str | None  # that event's chain link (None for an empty log, or a missing link: run verify)
    log_position: int  # the last position in the log

    @property
    def lag(self) -> int:
        """Events recorded after ``position`` and not yet in the answers."""
        return max(self.log_position - self.position, 0)

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "hash": self.hash, "log_position": self.log_position, "lag": self.lag}


def view_head(ledger: Any) -> Head:
    """Where the read model's answers come from (one read of the tracking, the chain and the log)."""
    recorder = ledger.app.recorder
    position = ledger.view.max_tracking_id(ledger.app.name) or 0
    link = recorder.select_chain(position - 1, 1) if position else []
    return Head(position=position, hash=link[0][1] if link and link[0][0] == position else None,
                log_position=recorder.max_notification_id() or 0)
