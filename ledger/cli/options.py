"""Options shared by many commands (one place for each, like sqlite-utils' ``output_options``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import click

from ledger.cli.errors import handle_errors
from ledger.domain.policies import MAX_WINDOW_DAYS


class DateParam(click.ParamType):
    name = "DATE"

    def convert(self, value: Any, param: Any, ctx: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        from ledger.domain.dates import parse_day

        try:
            return parse_day(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


class TimestampParam(click.ParamType):
    name = "TIMESTAMP"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        from ledger.readmodel.snapshot import parse_timestamp

        try:
            return parse_timestamp(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


known_at_option = click.option(
    "--known-at", type=TimestampParam(), default=None,
    help="Only what the ledger had recorded by then (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], UTC "
         "by default; a bare date means the end of that day).",
)
as_of_option = click.option(
    "--as-of", type=DateParam(), default=None,
    help="Replay statements made by this date (YYYY[-MM[-DD]]; default today).",
)
matter_option = click.option(
    "--matter", "-m", metavar="MATTER", help="Matter id; optional when the ledger holds one matter."
)
reason_option = click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the trail).")
by_option = click.option("--by", metavar="NAME", help="Who records (default: $LEDGER_USER or the login name).")
stale_option = click.option(
    "--stale-days", type=click.IntRange(min=0), default=None, metavar="DAYS",
    help="Flag derived figures and checks mixing figures further apart than this "
         "(default: the matter's stale_after_days, else 90).",
)
policy_option = click.option(
    "--policy", type=click.Choice(["latest", "conservative", "estimate"]), default="latest", show_default=True,
    help="Which figure a replay reports (docs/replay.md): latest (the ordering), conservative (the lowest "
         "lower bound of the latest window), estimate (low/best/high over the window).",
)
window_option = click.option(
    "--window", "window_days", type=click.IntRange(min=0, max=MAX_WINDOW_DAYS), default=0, show_default=True,
    metavar="DAYS",
    help="Widen the replay window: figures whose described period ends up to DAYS before the latest one's start.",
)


def replay_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--policy`` and ``--window``, on every command that replays."""
    return policy_option(window_option(func))


progress_option = click.option(
    "--progress/--no-progress", "show_progress", default=None,
    help="Progress bar on standard error (default: when it is a terminal).",
)


def output_options(formats: tuple[str, ...] = ("table", "json", "csv"), default: str | None = None,
                   output: bool = False, help: str | None = None,
                   ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--format`` (and, with ``output``, ``--output FILE``) for a command: every command's
    ``--format`` comes from here (a command with other formats names them, and may say what
    they are in ``help``)."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if output:
            func = click.option("--output", "-o", metavar="FILE", default=None,
                                help="Write to FILE instead of stdout.")(func)
        return click.option(
            "--format", "fmt", type=click.Choice(list(formats)), default=default or formats[0],
            show_default=True,
            help=help or "Output for people (table) or programs (" + ", ".join(formats[1:]) + ").")(func)
    return decorate


format_option = output_options()  # --format table|json|csv, the common case


def reconciliation_command(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of the commands that replay and reconcile a matter (status, check)."""
    for decorate in reversed((matter_option, as_of_option, known_at_option, stale_option, replay_options,
                              format_option, click.pass_context, handle_errors)):
        func = decorate(func)
    return func
