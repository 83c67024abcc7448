"""The ``ledger`` group, its global options, and opening the ledger for a command."""

from __future__ import annotations

import sys
from typing import Any

import click

from ledger import __version__


class LedgerGroup(click.Group):
    """Accepts the global ``--db URL`` after the subcommand too (``ledger status --db URL``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_db(args, self))


def hoist_db(args: list[str], group: click.Group) -> list[str]:
    """Move ``--db URL`` / ``--db=URL`` given after the subcommand to before it."""
    for index, arg in enumerate(args):
        if arg == "--":
            return args
        if arg in group.commands:
            head, tail, moved = args[:index], [], []
            rest = args[index:]
            i = 0
            while i < len(rest):
                if rest[i] == "--":
                    tail += rest[i:]
                    break
                if rest[i] == "--db" and i + 1 < len(rest):
                    moved += rest[i:i + 2]
                    i += 2
                    continue
                if rest[i].startswith("--db="):
                    moved.append(rest[i])
                    i += 1
                    continue
                tail.append(rest[i])
                i += 1
            return head + moved + tail
    return args


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ledger")
@click.option(
    "--db", metavar="URL", envvar="LEDGER_DB", default=None, show_envvar=True,
    help="sqlite:///FILE (default sqlite:///ledger.db) or postgresql://USER@HOST:PORT/DB "
         "(before or after the command).",
)
@click.option(
    "--catch-up/--no-catch-up", "catch_up", envvar="LEDGER_CATCH_UP", default=True, show_envvar=True,
    help="Bring the projections up to date before answering (default). With a `ledger follow` "
         "process running, --no-catch-up reads them as they are and never waits.",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None, catch_up: bool) -> None:
    """Claims Ledger: official statements as immutable events, replayed to any date.

    \b
    Examples:
      ledger record examples/                 # record a matter and its statements
      ledger status --as-of 2025-08-15        # the official picture on a date
      ledger history missing                  # every figure asserted for a category
      ledger sources                          # who asserted what
      ledger --db postgresql://postgres@127.0.0.1:5432/ledger status
    """
    ctx.obj = {"db": db, "catch_up": catch_up}


def open_ledger(ctx: click.Context, catch_up: bool = True) -> Any:
    from ledger.application import Ledger

    ledger = Ledger(ctx.obj["db"])
    ctx.call_on_close(ledger.close)
    if catch_up and ctx.obj.get("catch_up", True):
        catch_up_view(ledger)
    return ledger


def read_model(ctx: click.Context) -> Any:
    """The read model of the ledger of this command (caught up unless --no-catch-up)."""
    from ledger.readmodel import TimelineReadModel

    return TimelineReadModel(open_ledger(ctx).view)


def catch_up(ledger: Any, show_progress: bool | None = None, label: str = "Updating projections") -> int:
    """Bring the projection up to date, with a progress bar on a terminal for long work."""
    if not (sys.stderr.isatty() if show_progress is None else show_progress):
        return ledger.catch_up()
    bar = None

    def progress(position: int, end: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=end, label=label, file=sys.stderr, show_pos=True, show_eta=True)
            bar.__enter__()
        bar.update(position - bar.pos)

    try:
        return ledger.catch_up(progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def main() -> None:
    cli(prog_name="ledger")


catch_up_view = catch_up
