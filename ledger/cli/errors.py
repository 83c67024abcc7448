"""Exit codes, decided in one place from the kind of failure.

| code | meaning |
|---|---|
| 0 | success |
| 1 | findings (``verify``, ``check``) |
| 2 | usage error (bad option, date, database URL, blank reason) |
| 3 | invalid input: nothing was written |
| 4 | not found (matter, category, statement) |
| 5 | database unavailable or failing |
| 6 | refused by the ledger's state (retracting twice, correcting a retracted statement) |
| 70 | internal error |
| 73 | an output file could not be written (``--output``) |
| 74 | another input/output error of the operating system |
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INPUT, EXIT_NOT_FOUND, EXIT_DATABASE = 0, 1, 2, 3, 4, 5
EXIT_STATE = 6
EXIT_INTERNAL = 70
EXIT_OUTPUT_FILE = 73
EXIT_IO = 74


def _err(message: str) -> None:
    from ledger.text import terminal_safe

    click.echo(terminal_safe(message), err=True)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _database_error(error: BaseException) -> tuple[bool, bool]:
    """(is a database failure, the server looks unreachable), judged when the error is seen:
    psycopg may have been imported only during the command (a fresh process)."""
    from eventsourcing.persistence import InterfaceError, OperationalError, PersistenceError

    import sqlite3

    psycopg = sys.modules.get("psycopg")
    database = (PersistenceError, sqlite3.Error) + ((psycopg.Error,) if psycopg else ())
    unreachable = (OperationalError, InterfaceError) + ((psycopg.OperationalError,) if psycopg else ())
    return isinstance(error, database), isinstance(error, unreachable)


def exit_code_for(error: BaseException) -> int:
    """The exit code of a failure (the one table above)."""
    from ledger.errors import InputError, NotFoundError, OutputFileError, StateError, UsageProblem
    from ledger.integrity.errors import LogDamagedError, WritePathError
    from ledger.storage import DatabaseURLError, SchemaLockTimeout

    for kinds, code in (((InputError,), EXIT_INPUT), ((NotFoundError,), EXIT_NOT_FOUND),
                        ((DatabaseURLError, UsageProblem), EXIT_USAGE), ((StateError,), EXIT_STATE),
                        ((OutputFileError,), EXIT_OUTPUT_FILE),
                        ((LogDamagedError, WritePathError, SchemaLockTimeout), EXIT_DATABASE)):
        if isinstance(error, kinds):
            return code
    if _database_error(error)[0]:
        return EXIT_DATABASE
    if isinstance(error, OSError):
        return EXIT_IO
    return EXIT_INTERNAL


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn known failures into a clear message and a stable exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except BrokenPipeError:
            # the reader went away (``ledger log | head``): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except KeyboardInterrupt:
            _err("interrupted")
            sys.exit(130)
        except Exception as e:  # noqa: BLE001 - the user gets a message, not a traceback
            code = exit_code_for(e)
            if code == EXIT_INTERNAL and os.environ.get("LEDGER_DEBUG"):
                raise
            _report(e, code, func.__name__)
            sys.exit(code)

    return wrapper


def _report(e: BaseException, code: int, command: str) -> None:
    if code == EXIT_INPUT:
        problems = e.problems  # type: ignore[attr-defined]
        for problem in problems:
            _err(f"error: {problem}")
        if getattr(e, "partial", False):  # --batch-commit stopped after committing earlier batches
            _err(f"{e.count} problem(s) found; the batches before the failed one stay recorded.")  # type: ignore[attr-defined]
        else:
            _err(f"{e.count} problem(s) found; nothing was recorded.")  # type: ignore[attr-defined]
    elif code == EXIT_USAGE and type(e).__name__ == "DatabaseURLError":
        _err(f"error: bad database URL {e}")
    elif code == EXIT_DATABASE and type(e).__name__ == "LogDamagedError":
        _err(f"error: {e}")
        _err("the event log has been changed outside the ledger; run `ledger verify` for the full account.")
    elif code == EXIT_DATABASE and type(e).__name__ in ("WritePathError", "SchemaLockTimeout"):
        _err(f"error: {e}")
    elif code == EXIT_DATABASE:
        _err(f"error: database failure: {_first_line(e)}")
        if _database_error(e)[1]:
            _err("the database may be down or unreachable; the command can be run again once it is back.")
        if command == "record":
            _err(_record_failure_note(e))
    elif code == EXIT_IO:
        _err(f"error: {_first_line(e)}")
    elif code == EXIT_INTERNAL:
        _err(f"internal error: {type(e).__name__}: {e} (set LEDGER_DEBUG=1 for a traceback)")
    else:
        _err(f"error: {e.args[0] if e.args else e}")


def _record_failure_note(error: BaseException) -> str:
    """What a failed `record` left behind: nothing, whole batches, or everything but the projection."""
    recorded = getattr(error, "ledger_recorded", None)
    if recorded is None:
        return "nothing was recorded by this command."
    batches, statements, complete = recorded
    if complete:
        return (f"all {statements} new statement(s) were recorded; updating the projections failed "
                "(the next command catches them up).")
    if batches == 0:
        return "nothing was recorded by this command."
    return (f"{batches} batch(es) with {statements} new statement(s) were recorded before the failure; "
            "run the same command again to record the rest (recorded statements are skipped).")
