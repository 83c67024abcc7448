"""Problems with input, kept light so that reporting them costs no import of YAML or pydantic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputProblem:
    file: str
    path: str  # place inside the document, e.g. "statements[2].figures.missing"; "" for the file
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class InputError(Exception):
    """Bad input: one or more problems, nothing written."""

    def __init__(self, problems: list[InputProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class LedgerError(Exception):
    """A failure the ledger explains to its user; the interfaces map each kind to an exit code."""


class NotFoundError(LookupError, LedgerError):
    """An unknown matter, category or statement."""


class StateError(LedgerError):
    """An operation the ledger's history does not allow (retracting a statement twice,
    correcting a retracted one): the request is well formed, the ledger's state refuses it."""


class UsageProblem(LedgerError):
    """A request that is badly formed beyond what option parsing can see (a blank --reason)."""


class OutputFileError(LedgerError):
    """A result could not be written to the file asked for (--output)."""
