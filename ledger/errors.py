"""Problems with input, kept light so that reporting them costs no import of YAML or pydantic."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.text import terminal_safe


@dataclass(frozen=True)
class InputProblem:
    file: str
    path: str  # place inside the document, e.g. "statements[2].figures.missing"; "" for the file
    line: int | None
    message: str

    def __str__(self) -> str:
        """``file:line: path: message``, safe to print (a file may name a field ESC[2J)."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return terminal_safe(text, keep_layout=False)


class InputError(Exception):
    """Bad input: one or more problems, nothing written.

    ``problems`` are the lines to print (possibly cut short, ending with a line such as
    "... and 5 more problem(s) not listed"); ``count`` is how many problems were found.
    """

    def __init__(self, problems: list[InputProblem], count: int | None = None):
        self.problems = problems
        self.count = len(problems) if count is None else count
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
