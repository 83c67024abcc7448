"""Errors of the integrity layer, kept free of heavy imports so the CLI can map them cheaply."""

from __future__ import annotations


class LogDamagedError(Exception):
    """A stored event cannot be read back (undecodable, mistyped or of a foreign topic).

    Commands other than ``verify`` stop with this error (the CLI maps it to a message
    pointing to ``ledger verify``); ``verify`` reports it as tampering at ``position``.
    """

    def __init__(self, position: int | None, detail: str):
        self.position = position
        self.detail = detail
        where = f"at position {position}" if position is not None else "(position unknown)"
        super().__init__(f"the event log is damaged {where}: {detail}")


class WritePathError(RuntimeError):
    """The application was built on a write path that does not chain (refused at start-up)."""
