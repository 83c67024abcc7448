"""The ``ledger`` command line, one module per group of commands.

* :mod:`~ledger.cli.base`: the group, global options (``--db``, before or after the command)
* :mod:`~ledger.cli.errors`: exit codes, decided in one place from typed errors
* :mod:`~ledger.cli.options`: options shared by commands
* :mod:`ledger.present` (outside the package, shared with report and plot): how figures,
  sources, tables, JSON and CSV are printed
* commands: :mod:`~ledger.cli.recording` (record, correct, retract), :mod:`~ledger.cli.queries`
  (history, sources, show, matters), :mod:`~ledger.cli.reconciliation` (status, check),
  :mod:`~ledger.cli.audit` (audit, trace, log, verify), :mod:`~ledger.cli.views` (export,
  plot, report), :mod:`~ledger.cli.admin` (follow, lag, rebuild, db roles), :mod:`~ledger.cli.web`
  (serve), :mod:`~ledger.cli.analysis` (diff, series), :mod:`~ledger.cli.ranks` (rank),
  :mod:`~ledger.cli.evidence` (link, unlink, links)
"""

from ledger.cli import admin, analysis, audit, evidence, queries, ranks, reconciliation, recording, views, web  # noqa: F401 - registers commands
from ledger.cli.base import cli, main
from ledger.cli.errors import (
    EXIT_DATABASE, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_IO, EXIT_NOT_FOUND, EXIT_OK, EXIT_OUTPUT_FILE,
    EXIT_STATE, EXIT_USAGE, handle_errors,
)

__all__ = ["EXIT_DATABASE", "EXIT_FINDINGS", "EXIT_INPUT", "EXIT_INTERNAL", "EXIT_IO", "EXIT_NOT_FOUND", "EXIT_OK",
           "EXIT_OUTPUT_FILE", "EXIT_STATE", "EXIT_USAGE", "cli", "handle_errors", "main"]
