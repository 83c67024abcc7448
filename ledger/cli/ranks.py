"""Ranking statements, as in Wikidata: ``ledger rank``."""

from __future__ import annotations

import click

from ledger.cli.base import catch_up as _catch_up
from ledger.cli.base import cli
from ledger.cli.base import open_ledger as _open
from ledger.cli.errors import handle_errors
from ledger.cli.options import by_option, reason_option


@cli.command()
@click.argument("statement_id")
@click.option("--preferred", "rank", flag_value="preferred", help="Wins among the figures of its window.")
@click.option("--normal", "rank", flag_value="normal", help="Back to the ordinary order.")
@click.option("--deprecated", "rank", flag_value="deprecated",
              help="Never stands (still shown by history, show, audit, trace).")
@reason_option
@by_option
@click.pass_context
@handle_errors
def rank(ctx: click.Context, statement_id: str, rank: str | None, reason: str, by: str | None) -> None:
    """Rank STATEMENT_ID: --preferred, --normal or --deprecated, with a reason.

    A ranking is an event: it applies from when it is recorded, and --known-at replays the
    ranking of the time. A deprecated statement's figures never stand; a preferred one
    wins among the candidates of the same window (see docs/replay.md).

    \b
    Examples:
      ledger rank mea-2025-01-killed --preferred --reason "the ministry's own count"
      ledger rank mea-2025-01-killed --normal --reason "no longer preferred"
    """
    if rank is None:
        raise click.UsageError("choose a rank: --preferred, --normal or --deprecated")
    ledger = _open(ctx, catch_up=False)
    ledger.rank(statement_id, rank, reason, recorded_by=by)
    _catch_up(ledger)
    click.echo(f"ranked {statement_id} {rank}")
