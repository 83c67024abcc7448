"""Recording commands: record, correct, retract."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from ledger.cli.base import catch_up as _catch_up
from ledger.cli.base import cli
from ledger.cli.base import open_ledger as _open
from ledger.cli.errors import handle_errors
from ledger.cli.options import by_option, output_options, reason_option
from ledger.present import err as _err


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--by", metavar="NAME", help="Who records (default: $LEDGER_USER or the login name).")
@click.option("--batch-size", type=click.IntRange(min=1, max=100_000), default=1000, show_default=True,
              help="Statements appended per transaction.")
@click.option("--batch-commit", is_flag=True,
              help="Commit batch by batch: a bad document stops the call at its batch, the batches "
                   "before it stay recorded (rerun the command after fixing: recorded statements are skipped).")
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Progress bar on standard error (default: when it is a terminal).")
@output_options(("table", "json"), help="Summary for people (table) or programs (json).")
@click.pass_context
@handle_errors
def record(ctx: click.Context, files: tuple[str, ...], by: str | None, batch_size: int, batch_commit: bool,
           show_progress: bool | None, fmt: str) -> None:
    """Validate FILES (YAML, JSON, JSON Lines, folders, or - for JSON Lines on standard input)
    and record them as events.

    All documents of one call are recorded, or none: every document is checked before
    anything is written; on any problem the errors are listed with file, line and field,
    the exit code is 3, and nothing is written. Input is streamed and appended in batches
    (one transaction each), so memory stays flat for millions of statements; a crash
    leaves whole batches, and running the same command again completes the call. A
    statement already recorded with the same content is skipped.

    \b
    Examples:
      ledger record examples/indians-in-russian-army/matter.yaml examples/indians-in-russian-army/statements.yaml
      ledger record examples/ --by "A. Analyst"
      zcat statements.jsonl.gz | ledger record - --batch-size 5000
      ledger record examples/ --batch-commit
    """
    from ledger.inputs import iter_inputs
    from ledger.present import write_json

    ledger = _open(ctx, catch_up=False)
    with _Progress(show_progress) as progress:
        result = ledger.record(iter_inputs(files), recorded_by=by, batch_size=batch_size,
                               batch_commit=batch_commit, progress=progress)
    if ctx.obj.get("catch_up", True):
        try:
            _catch_up(ledger, show_progress)
        except Exception as e:
            e.ledger_recorded = (result.batches, result.recorded_count, True)  # type: ignore[attr-defined]
            raise
    for warning in result.warnings[:50]:
        _err(f"warning: {warning} (recorded)")
    if result.warnings_count > 50:
        _err(f"... and {result.warnings_count - 50} more warning(s)")
    if fmt == "json":
        write_json(vars(result))
        return
    for label, items in (("declared matter", result.matters_declared),
                         ("revised matter", result.matters_revised),
                         ("matter already recorded", result.matters_unchanged)):
        for item in items:
            click.echo(f"{label}: {item}")
    click.echo(f"recorded {result.recorded_count} statement(s)"
               + (f"; {result.unchanged_count} already recorded with the same content, skipped"
                  if result.unchanged_count else ""))


class _Progress:
    """Progress on standard error while recording: a counter while checking (the total
    is not known until the input has been read), then a bar with rate and ETA."""

    def __init__(self, enabled: bool | None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar: Any = None
        self.stage = ""
        self.started = time.monotonic()

    def __enter__(self) -> _Progress | None:
        return self if self.enabled else None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if total is None:
            rate = done / max(time.monotonic() - self.started, 1e-6)
            click.echo(f"\rChecking: {done:,} documents ({rate:,.0f}/s)", nl=False, err=True)
            return
        if self.bar is None or self.stage != stage:
            self._close_bar()
            click.echo("", err=True)
            self.stage = stage
            self.stage_started = time.monotonic()
            self.bar = click.progressbar(length=total, label="Recording", file=sys.stderr,
                                         show_pos=True, show_eta=True, item_show_func=self._rate, width=24)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos, current_item=done)

    def _rate(self, done: int | None) -> str | None:
        if not done:
            return None
        return f"{done / max(time.monotonic() - self.stage_started, 1e-6):,.0f} statements/s"

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._close_bar()
            click.echo("", err=True)





@cli.command()
@click.argument("statement_id")
@click.argument("file", type=click.Path(dir_okay=False))
@reason_option
@by_option
@click.pass_context
@handle_errors
def correct(ctx: click.Context, statement_id: str, file: str, reason: str, by: str | None) -> None:
    """Fix a recording error in STATEMENT_ID with the corrected document in FILE.

    The correction is a new event: the original stays in the trail, and replays with
    --known-at before the correction still show it. FILE holds one statement (its id
    may be left out). A source revising its own figures is not a correction: record
    its new statement instead.

    \b
    Examples:
      ledger show rajya-sabha-2025-07 --format yaml | sed 's/remaining: 13/remaining: 14/' > fixed.yaml
      ledger correct rajya-sabha-2025-07 fixed.yaml --reason "drill: pretend 14 was typed as 13"
    """
    from ledger.domain.documents import Statement as StatementDocument
    from ledger.inputs import InputError, InputProblem, load_files

    documents = [d for d in load_files([file])]
    statements = [d for d in documents if isinstance(d.document, StatementDocument)]
    if len(statements) != 1 or len(documents) != 1:
        raise InputError([InputProblem(file, "", None, "a correction file holds exactly one statement")])
    ledger = _open(ctx, catch_up=False)
    ledger.correct(statement_id, statements[0], reason, recorded_by=by)
    _catch_up(ledger)
    click.echo(f"corrected {statement_id}")


@cli.command()
@click.argument("statement_id")
@reason_option
@by_option
@click.pass_context
@handle_errors
def retract(ctx: click.Context, statement_id: str, reason: str, by: str | None) -> None:
    """Retract STATEMENT_ID: it no longer counts from now on, but stays in the trail.

    \b
    Examples:
      ledger retract mea-2025-01-killed --reason "recorded from a misquoted report"
    """
    ledger = _open(ctx, catch_up=False)
    ledger.retract(statement_id, reason, recorded_by=by)
    _catch_up(ledger)
    click.echo(f"retracted {statement_id}")
