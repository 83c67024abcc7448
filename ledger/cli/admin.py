"""Database administration: follow, lag, rebuild, db roles."""

from __future__ import annotations

import sys
from typing import Any

import click

from ledger.cli.base import catch_up as _catch_up
from ledger.cli.base import cli
from ledger.cli.base import open_ledger as _open
from ledger.cli.errors import EXIT_DATABASE, handle_errors
from ledger.cli.options import output_options

from ledger.present import err as _err


@cli.command()
@click.option("--poll", type=click.FloatRange(min=0.01), default=0.5, show_default=True, metavar="SECONDS",
              help="SQLite only: how often to look for new events.")
@click.option("--once", is_flag=True, help="Catch up with the log, then exit (for cron jobs and scripts).")
@click.option("--report-every", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              metavar="SECONDS", help="How often to report the view's position on standard error.")
@click.pass_context
@handle_errors
def follow(ctx: click.Context, poll: float, once: bool, report_every: float) -> None:
    """Keep the projections current in this process until stopped (Ctrl-C or SIGTERM).

    On PostgreSQL this runs eventsourcing's ProjectionRunner, which is woken by each
    commit (LISTEN/NOTIFY); on SQLite it polls. Run one follower per projection beside
    the writers, and point readers at the database (or a read replica) with
    --no-catch-up, so that queries never wait on catch-up. A follower that is stopped
    or killed resumes where its tracking records say, applying each event once.

    \b
    Examples:
      ledger --db postgresql://ledger@db:5432/ledger follow
      ledger --db postgresql://ledger@replica:5432/ledger --no-catch-up status
      ledger follow --once
    """
    import signal
    import threading

    from ledger.follow import follow as run_follower
    from ledger.follow import lag

    ledger = _open(ctx, catch_up=False)
    if once:
        _catch_up(ledger)
        now = lag(ledger)
        click.echo(f"caught up: view at event {now.view_position} of {now.log_position}")
        return
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    how = "subscribed (LISTEN/NOTIFY)" if ledger.database.backend == "postgres" else f"polling every {poll}s"
    _err(f"following {ledger.database.display}: {how}; stop with Ctrl-C or SIGTERM")

    def report(now: Any) -> None:
        _err(f"view at event {now.view_position} of {now.log_position} (lag {now.events} events)")

    run_follower(ledger, stop, poll=poll, report=report, report_every=report_every)
    report(lag(ledger))
    _err("stopped")


@cli.command()
@output_options(("table", "json"))
@click.pass_context
@handle_errors
def lag(ctx: click.Context, fmt: str) -> None:
    """How far the projections are behind the event log (events not yet applied).

    \b
    Examples:
      ledger --no-catch-up lag
      ledger lag --format json
    """
    from ledger.follow import lag as measure
    from ledger.present import write_json

    ledger = _open(ctx, catch_up=False)
    now = measure(ledger)
    if fmt == "json":
        write_json({"log_position": now.log_position, "view_position": now.view_position, "lag": now.events})
    else:
        click.echo(f"event log at {now.log_position}, timeline view at {now.view_position}: "
                   f"{now.events} event(s) behind")




@cli.command()
@click.pass_context
@handle_errors
def rebuild(ctx: click.Context) -> None:
    """Drop the projection tables and rebuild them from the event log.

    The tables and their tracking position are dropped and created again in one
    transaction, then every event is applied in pages (progress on a terminal). If
    the rebuild is interrupted, the next command resumes it where the tracking says.
    On PostgreSQL it needs the tables' owner (the writer role cannot drop tables).

    \b
    Examples:
      ledger rebuild
      ledger --db postgresql://postgres@127.0.0.1:5432/ledger rebuild
    """
    ledger = _open(ctx, catch_up=False)
    ledger.reset_projection()
    processed = _catch_up(ledger, label="Rebuilding projections")
    click.echo(f"rebuilt the timeline projection from {processed} event(s)")


@cli.group()
def db() -> None:
    """Database administration (PostgreSQL roles).

    \b
    Examples:
      ledger --db postgresql://postgres@127.0.0.1:5432/ledger db roles
      ledger db roles --help
    """


@db.command()
@click.option("--writer", default="ledger_writer", show_default=True, metavar="NAME",
              help="Role the application runs as: appends and reads events, keeps projections.")
@click.option("--auditor", default="ledger_auditor", show_default=True, metavar="NAME",
              help="Read-only role.")
@click.option("--writer-password", metavar="TEXT", default=None, envvar="LEDGER_WRITER_PASSWORD",
              help="Password for the writer role (default: none set).")
@click.option("--auditor-password", metavar="TEXT", default=None, envvar="LEDGER_AUDITOR_PASSWORD",
              help="Password for the auditor role (default: none set).")
@click.option("--apply", "apply_", is_flag=True,
              help="Create the ledger's tables if needed and run the SQL (as the --db user, the owner).")
@click.pass_context
@handle_errors
def roles(ctx: click.Context, writer: str, auditor: str, writer_password: str | None,
          auditor_password: str | None, apply_: bool) -> None:
    """Print (or with --apply run) the SQL creating a writer and a read-only auditor role.

    The writer only reads the event tables and appends through the append function
    (EXECUTE on ledger_events_append and the write-lock function; no INSERT): it cannot
    write an event without its link, choose a position or squat chain ids, and the
    append-only triggers refuse UPDATE, DELETE and TRUNCATE to everyone. It reads and
    writes the projection tables. The auditor reads everything and writes nothing.
    See docs/integrity.md. PostgreSQL only. Roles are cluster-wide: rerunning
    updates them and grants their rights on this database.

    \b
    Examples:
      ledger --db postgresql://postgres@127.0.0.1:5432/ledger db roles
      ledger --db postgresql://postgres@127.0.0.1:5432/ledger db roles --apply --writer-password s3cret
      ledger --db postgresql://ledger_writer:s3cret@127.0.0.1:5432/ledger record examples/
    """
    import psycopg

    from ledger import roles as pgroles
    from ledger.storage import parse_url

    database = parse_url(ctx.obj["db"])
    if database.backend != "postgres":
        raise click.UsageError("roles are a PostgreSQL feature; a SQLite ledger is protected by the "
                               "file's permissions (and its append-only triggers)")
    try:
        names = pgroles.RoleNames(writer, auditor)
    except pgroles.RoleError as e:
        raise click.UsageError(str(e)) from None
    statements = pgroles.roles_sql(database, names, writer_password, auditor_password)
    if not apply_:
        click.echo(f"-- Claims Ledger roles for {database.display}; run as the owner of the ledger's tables,")
        click.echo("-- after a first ledger command (as the owner) has created them.")
        for statement in statements:
            click.echo(statement + ";")
        return
    _open(ctx, catch_up=False)  # creates the tables if needed
    try:
        pgroles.apply_roles(database, statements)
    except psycopg.Error as e:
        _err(f"error: database failure: {str(e).strip().splitlines()[0]}")
        _err("no role was created or changed.")
        sys.exit(EXIT_DATABASE)
    click.echo(f"roles ready on {database.display}: writer {writer}, auditor {auditor}")
