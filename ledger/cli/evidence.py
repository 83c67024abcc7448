"""Evidence commands: link, unlink, links (typed links between statements); the meaning
of each type is in docs/evidence.md and :mod:`ledger.domain.links`."""

from __future__ import annotations

import click

from ledger.cli.base import catch_up as _catch_up
from ledger.cli.base import cli, read_model
from ledger.cli.base import open_ledger as _open
from ledger.cli.errors import handle_errors
from ledger.cli.options import by_option, known_at_option, output_options, reason_option
from ledger.domain.links import LINK_TYPES

link_type_argument = click.argument("link_type", metavar="TYPE", type=click.Choice(LINK_TYPES))


@cli.command()
@click.argument("statement_id", metavar="A")
@link_type_argument
@click.argument("target", metavar="B")
@reason_option
@by_option
@click.pass_context
@handle_errors
def link(ctx: click.Context, statement_id: str, link_type: str, target: str, reason: str, by: str | None) -> None:
    """Record that statement A restates, updates, contradicts, denies or cites statement B.

    A `Linked` event on A; B must be in the ledger and `updates` links may form no cycle.
    `denies` marks B's figures disputed (status skips them unless --include-disputed);
    `restates` is never independent confirmation, and a changed number is `misquoted`
    in check. See docs/evidence.md.

    \b
    Examples:
      ledger link rajya-sabha-2025-07 cites mea-2025-01-killed --reason "the answer refers to the January figure"
      ledger links rajya-sabha-2025-07
    """
    ledger = _open(ctx, catch_up=False)
    ledger.link(statement_id, link_type, target, reason, recorded_by=by)
    _catch_up(ledger)
    click.echo(f"linked {statement_id} {link_type} {target}")


@cli.command()
@click.argument("statement_id", metavar="A")
@link_type_argument
@click.argument("target", metavar="B")
@reason_option
@by_option
@click.pass_context
@handle_errors
def unlink(ctx: click.Context, statement_id: str, link_type: str, target: str, reason: str,
           by: str | None) -> None:
    """Record that the link 'A TYPE B' no longer holds (an `Unlinked` event; history keeps it).

    \b
    Examples:
      ledger link rajya-sabha-2025-07 cites mea-2025-01-killed --reason "refers to it"
      ledger unlink rajya-sabha-2025-07 cites mea-2025-01-killed --reason "linked by mistake"
    """
    ledger = _open(ctx, catch_up=False)
    ledger.unlink(statement_id, link_type, target, reason, recorded_by=by)
    _catch_up(ledger)
    click.echo(f"unlinked {statement_id} {link_type} {target}")


@cli.command()
@click.argument("statement_id")
@known_at_option
@output_options(("table", "json"))
@click.pass_context
@handle_errors
def links(ctx: click.Context, statement_id: str, known_at: str | None, fmt: str) -> None:
    """The links from and to STATEMENT_ID standing (at --known-at), and those that ended.

    \b
    Examples:
      ledger links mea-briefing-2025-11-08
      ledger links ani-2025-11-08-lead --format json
    """
    from ledger.present import table, write_json
    from ledger.readmodel import Snapshot

    result = read_model(ctx).links(statement_id, Snapshot(known_at=known_at))
    if fmt == "json":
        write_json(result)
        return
    rows = [[statement_id, e["type"], e["statement"], e["origin"], e["recorded_at"], e["reason"] or ""]
            for e in result["outgoing"]]
    rows += [[e["statement"], e["type"], statement_id, e["origin"], e["recorded_at"], e["reason"] or ""]
             for e in result["incoming"]]
    if not rows:
        click.echo(f"no links from or to {statement_id}" + (f" at {known_at}" if known_at else ""))
    else:
        table(["A", "type", "B", "from", "recorded_at", "reason"], rows)
    if result["ended"]:
        click.echo("\nEnded:")
        table(["A", "type", "B", "recorded_at", "ended_at", "ended by", "why"], [
            [statement_id if e["direction"] == "outgoing" else e["statement"], e["type"],
             e["statement"] if e["direction"] == "outgoing" else statement_id, e["recorded_at"], e["ended_at"],
             e["ended_by"], e["end_reason"] or ""] for e in result["ended"]])
