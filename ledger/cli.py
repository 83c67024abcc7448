"""The ``ledger`` command line.

Exit codes: 0 success; 1 findings (reserved for checks); 2 usage error; 3 invalid input
(nothing written); 4 not found; 5 database unavailable or failing; 70 internal error.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from ledger import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INPUT, EXIT_NOT_FOUND, EXIT_DATABASE = 0, 1, 2, 3, 4, 5
EXIT_INTERNAL = 70


def _err(message: str) -> None:
    click.echo(message, err=True)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn known failures into a clear message and a stable exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from eventsourcing.persistence import PersistenceError

        from ledger.inputs import InputError
        from ledger.queries import NotFoundError
        from ledger.storage import DatabaseURLError

        try:
            return func(*args, **kwargs)
        except InputError as e:
            for problem in e.problems:
                _err(f"error: {problem}")
            _err(f"{len(e.problems)} problem(s) found; nothing was recorded.")
            sys.exit(EXIT_INPUT)
        except NotFoundError as e:
            _err(f"error: {e.args[0]}")
            sys.exit(EXIT_NOT_FOUND)
        except DatabaseURLError as e:
            _err(f"error: bad database URL {e}")
            sys.exit(EXIT_USAGE)
        except (PersistenceError, OSError) as e:
            detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            _err(f"error: database failure: {detail}")
            _err("nothing was recorded by this command." if func.__name__ == "record" else "")
            sys.exit(EXIT_DATABASE)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            _err("interrupted")
            sys.exit(130)
        except Exception as e:  # noqa: BLE001 - the user gets a message, not a traceback
            if os.environ.get("LEDGER_DEBUG"):
                raise
            _err(f"internal error: {type(e).__name__}: {e} (set LEDGER_DEBUG=1 for a traceback)")
            sys.exit(EXIT_INTERNAL)

    return wrapper


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


format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
    show_default=True, help="Output for people (table) or programs (json, csv).",
)
matter_option = click.option(
    "--matter", "-m", metavar="MATTER", help="Matter id; optional when the ledger holds one matter."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ledger")
@click.option(
    "--db", metavar="URL", envvar="LEDGER_DB", default=None, show_envvar=True,
    help="sqlite:///FILE (default sqlite:///ledger.db) or postgresql://USER@HOST:PORT/DB.",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Claims Ledger: official statements as immutable events, replayed to any date.

    \b
    Examples:
      ledger record examples/                 # record a matter and its statements
      ledger status --as-of 2025-08-15        # the official picture on a date
      ledger history missing                  # every figure asserted for a category
      ledger sources                          # who asserted what
      ledger --db postgresql://postgres@127.0.0.1:5432/ledger status
    """
    ctx.obj = {"db": db}


def _open(ctx: click.Context, catch_up: bool = True) -> Any:
    from ledger.application import Ledger

    ledger = Ledger(ctx.obj["db"])
    ctx.call_on_close(ledger.close)
    if catch_up:
        _catch_up(ledger)
    return ledger


def _catch_up(ledger: Any) -> None:
    """Bring the projection up to date, with a progress bar on a terminal for long work."""
    if not sys.stderr.isatty():
        ledger.catch_up()
        return
    bar = None

    def progress(position: int, end: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=end, label="Updating projections", file=sys.stderr)
            bar.__enter__()
        bar.update(position - bar.pos)

    try:
        ledger.catch_up(progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--by", metavar="NAME", help="Who records (default: $LEDGER_USER or the login name).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Summary for people or programs.")
@click.pass_context
@handle_errors
def record(ctx: click.Context, files: tuple[str, ...], by: str | None, fmt: str) -> None:
    """Validate FILES (YAML, JSON, JSON Lines or folders) and record them as events.

    All documents of one call are recorded, or none: on any problem the errors are
    listed with file, line and field, the exit code is 3, and nothing is written.
    A statement already recorded with the same content is skipped.

    \b
    Examples:
      ledger record examples/matter.yaml examples/statements.yaml
      ledger record examples/ --by "A. Analyst"
    """
    from ledger.inputs import load_files
    from ledger.output import write_json

    documents = load_files(files)
    ledger = _open(ctx, catch_up=False)
    result = ledger.record(documents, recorded_by=by)
    _catch_up(ledger)
    if fmt == "json":
        write_json(vars(result))
        return
    for label, items in (("declared matter", result.matters_declared),
                         ("revised matter", result.matters_revised),
                         ("matter already recorded", result.matters_unchanged)):
        for item in items:
            click.echo(f"{label}: {item}")
    click.echo(f"recorded {len(result.recorded)} statement(s)"
               + (f"; {len(result.unchanged)} already recorded with the same content, skipped"
                  if result.unchanged else ""))


@cli.command()
@matter_option
@click.option("--as-of", type=DateParam(), default=None,
              help="Replay statements made by this date (YYYY[-MM[-DD]]; default today).")
@format_option
@click.pass_context
@handle_errors
def status(ctx: click.Context, matter: str | None, as_of: dt.date | None, fmt: str) -> None:
    """The official picture as of a date: per category, the latest figure stated by then.

    For each category the figure describing the latest date wins among statements made
    by DATE (ties: the later statement). A date given as a month or year counts from
    the end of that period. Statements with an unknown date are left out and counted.

    \b
    Examples:
      ledger status --as-of 2025-08-15
      ledger status --matter indians-in-russian-army --format json
    """
    from ledger import queries
    from ledger.output import table, write_csv, write_json

    ledger = _open(ctx)
    report = queries.status(ledger.view, matter, as_of or dt.date.today())
    if fmt == "json":
        write_json(report)
        return
    columns = ["category", "value", "qualifier", "as_of", "stated_on", "source", "statement"]
    if fmt == "csv":
        write_csv(
            ["matter", "status_as_of", "category", "value", "qualifier", "low", "high",
             "figure_as_of", "stated_on", "statement", "organization", "person", "recorded_at"],
            [[report["matter"], report["as_of"], category]
             + ([f["value"], f["qualifier"], f.get("low"), f.get("high"), f["as_of"], f["stated_on"],
                 f["statement"], f["source"]["organization"], f["source"]["person"], f["recorded_at"]]
                if f else [None] * 10)
             for category, f in report["figures"].items()],
        )
        return
    click.echo(f"{report['title']} ({report['matter']})")
    click.echo(f"Official picture as of {report['as_of']}")
    click.echo()
    table(columns, [
        [category, _figure_text(f), f["qualifier"], f["as_of"], f["stated_on"],
         _source_text(f["source"]), f["statement"]] if f else [category, "no figure yet", "", "", "", "", ""]
        for category, f in report["figures"].items()
    ])
    if report["undated_statements_excluded"]:
        click.echo(f"\n{report['undated_statements_excluded']} statement(s) with an unknown date "
                   "left out of this replay (see `ledger sources`).")


def _figure_text(figure: dict[str, Any]) -> str:
    if figure["qualifier"] == "range":
        return f"{figure['low']}-{figure['high']}"
    return str(figure["value"])


def _source_text(source: dict[str, Any]) -> str:
    return f"{source['organization']} ({source['person']})" if source.get("person") else source["organization"]


@cli.command()
@click.argument("category")
@matter_option
@format_option
@click.pass_context
@handle_errors
def history(ctx: click.Context, category: str, matter: str | None, fmt: str) -> None:
    """Every figure ever asserted for CATEGORY, oldest described date first.

    \b
    Examples:
      ledger history remaining
      ledger history dead --format csv
    """
    from ledger import queries
    from ledger.output import table, write_csv, write_json

    ledger = _open(ctx)
    report = queries.history(ledger.view, matter, category)
    if fmt == "json":
        write_json(report)
        return
    rows = report["figures"]
    if fmt == "csv":
        write_csv(["matter", "category", "value", "qualifier", "low", "high", "as_of", "stated_on",
                   "statement", "organization", "person", "recorded_at"],
                  [[report["matter"], category, f["value"], f["qualifier"], f.get("low"), f.get("high"),
                    f["as_of"], f["stated_on"], f["statement"], f["source"]["organization"],
                    f["source"]["person"], f["recorded_at"]] for f in rows])
        return
    click.echo(f"History of '{category}' in {report['matter']}: {len(rows)} figure(s)\n")
    table(["as_of", "stated_on", "value", "qualifier", "source", "statement"],
          [[f["as_of"], f["stated_on"], _figure_text(f), f["qualifier"], _source_text(f["source"]),
            f["statement"]] for f in rows])


@cli.command()
@matter_option
@format_option
@click.pass_context
@handle_errors
def sources(ctx: click.Context, matter: str | None, fmt: str) -> None:
    """Who asserted what: each source with its statements, figures and dates.

    \b
    Examples:
      ledger sources
      ledger sources --format json
    """
    from ledger import queries
    from ledger.output import table, write_csv, write_json

    ledger = _open(ctx)
    rows = queries.sources(ledger.view, matter)
    if fmt == "json":
        write_json(rows)
        return
    columns = ["organization", "person", "role", "statements", "figures", "undated",
               "first_stated_on", "last_stated_on"]
    values = [[r[c] for c in columns] for r in rows]
    if fmt == "csv":
        write_csv(columns + ["statement_ids"],
                  [v + [" ".join(r["statement_ids"])] for v, r in zip(values, rows, strict=True)])
        return
    table(["organization", "person", "role", "stmts", "figures", "undated", "first", "last"], values)


@cli.command()
@click.argument("statement_id")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "yaml"]), default="table",
              show_default=True)
@click.pass_context
@handle_errors
def show(ctx: click.Context, statement_id: str, fmt: str) -> None:
    """One statement in full: source, dates, figures, quote, citations, recording.

    \b
    Examples:
      ledger show rajya-sabha-2025-07
      ledger show rajya-sabha-2025-07 --format yaml > copy.yaml
    """
    import yaml

    from ledger import queries
    from ledger.output import write_json

    ledger = _open(ctx)
    data = queries.statement(ledger.view, statement_id)
    if fmt == "json":
        write_json(data)
        return
    if fmt == "yaml":
        click.echo(yaml.safe_dump(data["statement"], sort_keys=False, allow_unicode=True), nl=False)
        return
    s = data["statement"]
    fields = [
        ("statement", s["id"]), ("matter", s["matter"]), ("stated on", s["stated_on"]),
        ("as of", s.get("as_of", s["stated_on"])), ("source", _source_text(s["source"])),
        ("role", s["source"].get("role")), ("venue", s.get("venue")),
        ("attribution", s.get("attribution")), ("language", s.get("quote_language")),
    ]
    for name, value in fields:
        if value:
            click.echo(f"{name + ':':<13}{value}")
    figures = s.get("figures", {})
    click.echo("figures:     " + (", ".join(f"{k} {_raw_figure_text(v)}" for k, v in figures.items())
                                  or "none"))
    click.echo("quote:")
    for line in s["quote"].splitlines() or [""]:
        click.echo(f"  {line}")
    for citation in s.get("citations", []):
        parts = [citation["outlet"], citation.get("published_on"), citation.get("url")]
        click.echo("cited by:    " + ", ".join(p for p in parts if p))
    if s.get("notes"):
        click.echo(f"notes:       {s['notes']}")
    click.echo(f"recorded:    {data['recorded_at']} by {data['recorded_by']} (log position {data['position']})")


def _raw_figure_text(raw: Any) -> str:
    from ledger.domain.documents import Figure

    return str(Figure.from_input(raw))


@cli.command()
@format_option
@click.pass_context
@handle_errors
def matters(ctx: click.Context, fmt: str) -> None:
    """The matters in the ledger, with their categories."""
    from ledger import queries
    from ledger.output import table, write_csv, write_json

    ledger = _open(ctx)
    rows = queries.matters(ledger.view)
    if fmt == "json":
        write_json(rows)
        return
    values = [[r["matter"], r["title"], r["statements"], " ".join(r["categories"])] for r in rows]
    (write_csv if fmt == "csv" else table)(["matter", "title", "statements", "categories"], values)


def main() -> None:
    cli(prog_name="ledger")
