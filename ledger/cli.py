"""The ``ledger`` command line.

Exit codes: 0 success; 1 findings (reserved for checks); 2 usage error; 3 invalid input
(nothing written); 4 not found; 5 database unavailable or failing; 70 internal error.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
import time
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
        from eventsourcing.persistence import InterfaceError, OperationalError, PersistenceError

        from ledger.errors import InputError
        from ledger.queries import NotFoundError
        from ledger.storage import DatabaseURLError

        # psycopg is loaded only by a PostgreSQL ledger; a SQLite one cannot raise its errors
        psycopg = sys.modules.get("psycopg")
        psycopg_errors: tuple[type[BaseException], ...] = (psycopg.Error,) if psycopg else ()
        unreachable = (OperationalError, InterfaceError) + ((psycopg.OperationalError,) if psycopg else ())

        try:
            return func(*args, **kwargs)
        except InputError as e:
            for problem in e.problems:
                _err(f"error: {problem}")
            if getattr(e, "partial", False):  # --batch-commit stopped after committing earlier batches
                _err(f"{len(e.problems) - 1} problem(s) found; the batches before the failed one stay recorded.")
            else:
                _err(f"{len(e.problems)} problem(s) found; nothing was recorded.")
            sys.exit(EXIT_INPUT)
        except NotFoundError as e:
            _err(f"error: {e.args[0]}")
            sys.exit(EXIT_NOT_FOUND)
        except DatabaseURLError as e:
            _err(f"error: bad database URL {e}")
            sys.exit(EXIT_USAGE)
        except BrokenPipeError:
            # the reader went away (``ledger log | head``): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except (PersistenceError, OSError, *psycopg_errors) as e:
            detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            _err(f"error: database failure: {detail}")
            if isinstance(e, unreachable):
                _err("the database may be down or unreachable; the command can be run again once it is back.")
            if func.__name__ == "record":
                _err(_record_failure_note(e))
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
        from ledger.audit import parse_timestamp

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


def _open(ctx: click.Context, catch_up: bool = True) -> Any:
    from ledger.application import Ledger

    ledger = Ledger(ctx.obj["db"])
    ctx.call_on_close(ledger.close)
    if catch_up and ctx.obj.get("catch_up", True):
        _catch_up(ledger)
    return ledger


def _catch_up(ledger: Any, show_progress: bool | None = None, label: str = "Updating projections") -> int:
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
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Summary for people or programs.")
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
      ledger record examples/matter.yaml examples/statements.yaml
      ledger record examples/ --by "A. Analyst"
      zcat statements.jsonl.gz | ledger record - --batch-size 5000
      ledger record big-folder/ --batch-commit
    """
    from ledger.inputs import iter_inputs
    from ledger.output import write_json

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


stale_option = click.option(
    "--stale-days", type=click.IntRange(min=0), default=None, metavar="DAYS",
    help="Flag derived figures and checks mixing figures further apart than this "
         "(default: the matter's stale_after_days, else 90).",
)


def reconciliation_command(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of the commands that replay and reconcile a matter (status, check)."""
    for decorate in reversed((matter_option, as_of_option, known_at_option, stale_option, format_option,
                              click.pass_context, handle_errors)):
        func = decorate(func)
    return func


@cli.command()
@reconciliation_command
def status(ctx: click.Context, matter: str | None, as_of: dt.date | None, known_at: str | None,
           stale_days: int | None, fmt: str) -> None:
    """The official picture as of a date: per category, the latest figure stated by then.

    For each category the figure describing the latest date wins among statements made
    by DATE (ties: the later statement). A date given as a month or year counts from
    the end of that period. Statements with an unknown date are left out and counted.
    Below the figures: figures derived from the matter's relations, and discrepancies.

    \b
    Examples:
      ledger status --as-of 2025-08-15
      ledger status --matter indians-in-russian-army --format json
      ledger status --as-of 2025-11-30 --known-at 2026-01-01T00:00Z   # as the ledger stood then
    """
    from ledger import queries
    from ledger.output import table, write_csv, write_json

    ledger = _open(ctx)
    report = queries.status(ledger.view, matter, as_of or dt.date.today(), known_at, stale_days)
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
    click.echo(f"Official picture as of {report['as_of']}"
               + (f", as known to the ledger at {known_at}" if known_at else ""))
    click.echo()
    table(columns, [
        [category, _figure_text(f), f["qualifier"], f["as_of"], f["stated_on"],
         _source_text(f["source"]), f["statement"]] if f else [category, _missing_text(report, category),
                                                                "", "", "", "", ""]
        for category, f in report["figures"].items()
    ])
    if report["derived"]:
        click.echo("\nDerived from relations:")
        table(["category", "value", "relation", "from statements"],
              [[c, d["text"], d["relation"] + ("" if d["under"] == "matter" else f" (under {d['under']})"),
                " ".join(d["statements"])] for c, d in report["derived"].items()])
    if report["discrepancies"]:
        click.echo(f"\nDiscrepancies ({len(report['discrepancies'])}):")
        for item in report["discrepancies"]:
            click.echo(f"  [{item['kind']}] {item['message']}")
    if report["undated_statements_excluded"]:
        click.echo(f"\n{report['undated_statements_excluded']} statement(s) with an unknown date "
                   "left out of this replay (see `ledger sources`).")


def _missing_text(report: dict[str, Any], category: str) -> str:
    derived = report["derived"].get(category)
    return f"{derived['text']} (derived)" if derived else "no figure yet"


def _figure_text(figure: dict[str, Any]) -> str:
    if figure["qualifier"] == "range":
        return f"{figure['low']}-{figure['high']}"
    return str(figure["value"])


def _source_text(source: dict[str, Any]) -> str:
    return f"{source['organization']} ({source['person']})" if source.get("person") else source["organization"]


@cli.command()
@click.argument("category")
@matter_option
@click.option("--as-of", type=DateParam(), default=None, help="Only statements made by this date.")
@known_at_option
@format_option
@click.pass_context
@handle_errors
def history(ctx: click.Context, category: str, matter: str | None, as_of: dt.date | None,
            known_at: str | None, fmt: str) -> None:
    """Every figure ever asserted for CATEGORY, oldest described date first.

    \b
    Examples:
      ledger history remaining
      ledger history dead --format csv
    """
    from ledger import queries
    from ledger.output import table, write_csv, write_json

    ledger = _open(ctx)
    report = queries.history(ledger.view, matter, category, as_of, known_at)
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
@known_at_option
@format_option
@click.pass_context
@handle_errors
def sources(ctx: click.Context, matter: str | None, known_at: str | None, fmt: str) -> None:
    """Who asserted what: each source with its statements, figures and dates.

    \b
    Examples:
      ledger sources
      ledger sources --format json
    """
    from ledger import queries
    from ledger.output import table, write_csv, write_json

    ledger = _open(ctx)
    rows = queries.sources(ledger.view, matter, known_at)
    if fmt == "json":
        write_json(rows)
        return
    columns = ["organization", "person", "role", "statements", "figures", "undated", "retracted",
               "first_stated_on", "last_stated_on"]
    values = [[r[c] for c in columns] for r in rows]
    if fmt == "csv":
        write_csv(columns + ["statement_ids"],
                  [v + [" ".join(r["statement_ids"])] for v, r in zip(values, rows, strict=True)])
        return
    table(["organization", "person", "role", "stmts", "figures", "undated", "retracted", "first", "last"],
          values)


@cli.command()
@click.argument("statement_id")
@known_at_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "yaml"]), default="table",
              show_default=True)
@click.pass_context
@handle_errors
def show(ctx: click.Context, statement_id: str, known_at: str | None, fmt: str) -> None:
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
    data = queries.statement(ledger.view, statement_id, known_at)
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
    click.echo(f"status:      {data['status']}")
    click.echo("trail:")
    for version in data["trail"]:
        line = f"{version['event']:<12} {version['recorded_at']} by {version['recorded_by']} " \
               f"(log position {version['position']})"
        click.echo(f"  {line}" + (f": {version['reason']}" if version["reason"] else ""))


def _raw_figure_text(raw: Any) -> str:
    from ledger.domain.figures import Figure

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

reason_option = click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the trail).")
by_option = click.option("--by", metavar="NAME", help="Who records (default: $LEDGER_USER or the login name).")


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
      ledger show rajya-sabha-2025-07 --format yaml > fixed.yaml   # edit the mistyped figure
      ledger correct rajya-sabha-2025-07 fixed.yaml --reason "98 was typed as 89"
    """
    from ledger.application import StateError
    from ledger.domain.documents import Statement as StatementDocument
    from ledger.inputs import InputError, InputProblem, load_files

    documents = [d for d in load_files([file])]
    statements = [d for d in documents if isinstance(d.document, StatementDocument)]
    if len(statements) != 1 or len(documents) != 1:
        raise InputError([InputProblem(file, "", None, "a correction file holds exactly one statement")])
    ledger = _open(ctx, catch_up=False)
    try:
        ledger.correct(statement_id, statements[0], reason, recorded_by=by)
    except StateError as e:
        raise click.UsageError(str(e)) from None
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
    from ledger.application import StateError

    ledger = _open(ctx, catch_up=False)
    try:
        ledger.retract(statement_id, reason, recorded_by=by)
    except StateError as e:
        raise click.UsageError(str(e)) from None
    _catch_up(ledger)
    click.echo(f"retracted {statement_id}")


@cli.command()
@click.option("--source", "source", required=True, metavar="TEXT",
              help="Part of an organization's or person's name (case-insensitive).")
@as_of_option
@known_at_option
@format_option
@click.pass_context
@handle_errors
def audit(ctx: click.Context, source: str, as_of: dt.date | None, known_at: str | None, fmt: str) -> None:
    """Every figure a source asserted, with dates, quotes, citations and what became of it.

    Each figure is marked: stands (it is in the status as of the date), outranked (by
    which statement, and why), corrected, retracted, undated or not yet stated.

    \b
    Examples:
      ledger audit --source "External Affairs"
      ledger audit --source Jaiswal --as-of 2025-11-30 --format csv
    """
    from ledger import audit as auditing
    from ledger.output import table, write_csv, write_json

    ledger = _open(ctx)
    report = auditing.audit(ledger.view, source, as_of or dt.date.today(), known_at)
    if fmt == "json":
        write_json(report)
        return
    columns = ["statement", "stated_on", "category", "value", "as_of", "recorded_at", "outcome", "why"]
    rows = [[e["statement"], e["stated_on"], f["category"], f["text"], f["as_of"], f["recorded_at"],
             f["outcome"], f["why"]] for e in report["statements"] for f in e["figures"]]
    rows += [[e["statement"], e["stated_on"], "-", "-", e["as_of"], e["trail"][0]["recorded_at"],
              e["status"], "no figures"] for e in report["statements"] if not e["figures"]]
    if fmt == "csv":
        write_csv(columns + ["source", "quote", "citations"], [
            r + [_source_text(e["source"]), e["quote"],
                 " | ".join(", ".join(str(c[k]) for k in ("outlet", "published_on", "url") if c.get(k))
                            for c in e["citations"])]
            for e in report["statements"] for r in rows if r[0] == e["statement"]])
        return
    if not report["statements"]:
        click.echo(f"No statement by a source matching {source!r}.")
        return
    click.echo(f"Figures asserted by sources matching {source!r}, as of {report['as_of']}"
               + (f", known at {known_at}" if known_at else "") + "\n")
    for entry in report["statements"]:
        click.echo(f"{entry['statement']}  ({_source_text(entry['source'])}, stated {entry['stated_on']}"
                   + (f", {entry['venue']}" if entry.get("venue") else "") + f"; {entry['status']})")
        click.echo(f"  \"{_clip(entry['quote'], 200)}\"")
        for citation in entry["citations"]:
            click.echo("  cited by " + ", ".join(str(citation[k]) for k in ("outlet", "published_on", "url")
                                                 if citation.get(k)))
        for version in entry["trail"][1:]:
            click.echo(f"  {version['event']} {version['recorded_at']} by {version['recorded_by']}: "
                       f"{version['reason']}")
        if entry["figures"]:
            table(["category", "value", "as_of", "outcome", "why"],
                  [[f["category"], f["text"], f["as_of"], f["outcome"], f["why"]] for f in entry["figures"]],
                  out=_Indented())
        else:
            click.echo("  no figures")
        click.echo()


class _Indented:
    def write(self, text: str) -> None:
        click.echo("  " + text, nl=False)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@cli.command()
@click.argument("category")
@matter_option
@as_of_option
@known_at_option
@format_option
@click.pass_context
@handle_errors
def trace(ctx: click.Context, category: str, matter: str | None, as_of: dt.date | None,
          known_at: str | None, fmt: str) -> None:
    """Why the status shows this figure for CATEGORY, and what it outranked.

    Shows the statement behind the figure, its quote and citations, when and by whom
    it was recorded, each correction, and every other figure for the category with
    the reason it does not stand.

    \b
    Examples:
      ledger trace remaining --as-of 2025-11-30
      ledger trace dead --known-at 2026-01-01 --format json
    """
    from ledger import audit as auditing
    from ledger.output import table, write_csv, write_json

    ledger = _open(ctx)
    report = auditing.trace(ledger.view, matter, category, as_of or dt.date.today(), known_at)
    columns = ["statement", "value", "as_of", "stated_on", "source", "recorded_at", "outcome", "why"]
    entries = ([report["figure"]] if report["figure"] else []) + report["others"]
    if fmt == "json":
        write_json(report)
        return
    if fmt == "csv":
        write_csv(columns, [[e[c] if c != "value" else e["text"] for c in columns] for e in entries])
        return
    click.echo(f"{category} in {report['matter']} as of {report['as_of']}"
               + (f", known at {known_at}" if known_at else ""))
    figure, statement = report["figure"], report["statement"]
    if figure is None:
        click.echo("no figure stands for this category at that date.")
    else:
        click.echo(f"stands: {figure['text']} ({figure['qualifier']}), as of {figure['as_of']}, "
                   f"stated {figure['stated_on']} by {figure['source']}")
        click.echo(f"statement: {statement['id']}" + (f", {statement['venue']}" if statement.get("venue") else ""))
        click.echo(f"quote ({statement['attribution']}): \"{_clip(statement['quote'], 400)}\"")
        for citation in statement["citations"]:
            click.echo("cited by: " + ", ".join(str(citation[k]) for k in ("outlet", "published_on", "url")
                                                if citation.get(k)))
        click.echo("trail:")
        for version in report["trail"]:
            click.echo(f"  {version['event']:<10} {version['recorded_at']} by {version['recorded_by']} "
                       f"(log position {version['position']})"
                       + (f": {version['reason']}" if version["reason"] else ""))
    if report["others"]:
        click.echo("\nother figures for this category:")
        table(["statement", "value", "as_of", "stated_on", "outcome", "why"],
              [[e["statement"], e["text"], e["as_of"], e["stated_on"], e["outcome"], e["why"]]
               for e in report["others"]])


@cli.command(name="log")
@click.option("--since", type=click.IntRange(min=0), default=0, show_default=True, metavar="POSITION",
              help="Only events after this log position.")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True)
@format_option
@click.pass_context
@handle_errors
def log_command(ctx: click.Context, since: int, limit: int, fmt: str) -> None:
    """The event log in global order: position, type, id, when, who, why, chain hash.

    \b
    Examples:
      ledger log
      ledger log --since 4 --format json
    """
    from ledger import audit as auditing
    from ledger.output import table, write_csv, write_json

    ledger = _open(ctx, catch_up=False)
    entries = auditing.log(ledger, since, limit)
    if fmt == "json":
        write_json(entries)
        return
    columns = ["position", "type", "id", "version", "recorded_at", "recorded_by", "reason", "hash"]
    rows = [[e[c] for c in columns] for e in entries]
    if fmt == "csv":
        write_csv(columns, rows)
        return
    table(columns[:-1] + ["hash"], [r[:-1] + [(r[-1] or "-")[:16]] for r in rows])


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
@handle_errors
def verify(ctx: click.Context, fmt: str) -> None:
    """Check the hash chain of the event log and rebuild the projections to compare them.

    Reports the first broken link (an event altered, deleted or inserted outside the
    ledger) and the first projection row that the events do not produce, each with its
    log position. Exit code 1 when anything fails. Note the head hash printed: a later
    verify that shows a different hash at that position means history was rewritten.

    \b
    Examples:
      ledger verify
      ledger --db postgresql://postgres@127.0.0.1:5432/ledger verify --format json
    """
    from ledger import audit as auditing
    from ledger.chain import verify_chain
    from ledger.output import write_json

    ledger = _open(ctx)
    chain = verify_chain(ledger.app.recorder)
    projection = auditing.verify_projection(ledger)
    ok = not chain.problems and not projection
    if fmt == "json":
        write_json({
            "ok": ok, "events": chain.events, "head_position": chain.head_position, "head_hash": chain.head_hash,
            "chain_problems": [vars(p) for p in chain.problems or []], "projection_problems": projection,
        })
    else:
        for problem in chain.problems or []:
            click.echo(f"chain: position {problem.position}: {problem.message}")
        for problem in projection:
            click.echo(f"projection: position {problem['position']}: {problem['message']}")
        click.echo(f"{chain.events} event(s) checked; head at position {chain.head_position}, "
                   f"hash {chain.head_hash}")
        click.echo("verify: OK" if ok else "verify: FAILED")
    if not ok:
        sys.exit(EXIT_FINDINGS)



@cli.command()
@reconciliation_command
def check(ctx: click.Context, matter: str | None, as_of: dt.date | None, known_at: str | None,
          stale_days: int | None, fmt: str) -> None:
    """List discrepancies over the whole timeline; exit code 1 when any is open.

    Replays every matter (or --matter) at each date a statement was made, up to DATE,
    and reports each discrepancy with the date it first appeared and the date it was
    resolved, if it was: relations that cannot hold, cumulative counts that fall,
    sources that disagree on the same date, derived figures mixing stale inputs, and
    statements whose own figures do not add up.

    \b
    Examples:
      ledger check
      ledger check --as-of 2025-08-15 --stale-days 365
      ledger check --format json | jq '.[] | select(.open)'
    """
    from ledger import queries
    from ledger.output import write_csv, write_json

    ledger = _open(ctx)
    found = queries.check(ledger.view, matter, as_of or dt.date.today(), known_at, stale_days)
    columns = ["matter", "kind", "first_seen", "resolved_on", "open", "message"]
    if fmt == "json":
        write_json(found)
    elif fmt == "csv":
        write_csv(columns + ["statements"], [[d[c] for c in columns] + [" ".join(d["statements"])] for d in found])
    else:
        for item in found:
            state = "open" if item["open"] else f"resolved {item['resolved_on']}"
            click.echo(f"{item['matter']}: {item['first_seen']}: [{item['kind']}] ({state}) {item['message']}")
        still = sum(1 for d in found if d["open"])
        until = (as_of or dt.date.today()).isoformat()
        if not found:
            click.echo(f"no discrepancies up to {until}")
        else:
            click.echo(f"{len(found)} discrepanc{'y' if len(found) == 1 else 'ies'} up to {until}, {still} open")
    if any(d["open"] for d in found):
        sys.exit(EXIT_FINDINGS)


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
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
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
    from ledger.output import write_json

    ledger = _open(ctx, catch_up=False)
    now = measure(ledger)
    if fmt == "json":
        write_json({"log_position": now.log_position, "view_position": now.view_position, "lag": now.events})
    else:
        click.echo(f"event log at {now.log_position}, timeline view at {now.view_position}: "
                   f"{now.events} event(s) behind")


# --- analyst views: export, plot, report (issue 7) -------------------------------------------


def _output_stream(output: str | None) -> Any:
    """A text file to write (created or replaced; newlines as written), or None for stdout."""
    if output is None or output == "-":
        return None
    return open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by the caller


@cli.command()
@click.option("--matter", "-m", metavar="MATTER", help="Matter id (default: every matter).")
@click.option("--as-of", type=DateParam(), default=None,
              help="Only statements made by this date; 'stands' is judged as of it (default today).")
@known_at_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]), default="csv",
              show_default=True, help="CSV for spreadsheets and pandas, a JSON array, or JSON Lines.")
@click.option("--output", "-o", metavar="FILE", default=None, help="Write to FILE instead of stdout.")
@click.pass_context
@handle_errors
def export(ctx: click.Context, matter: str | None, as_of: dt.date | None, known_at: str | None,
           fmt: str, output: str | None) -> None:
    """One row per asserted figure: value, every date, source, statement, quote, citations.

    Dates come as the text the source gave (2025-07) and as ISO start and end days
    (2025-07-01, 2025-07-31). The columns are listed in the README.

    \b
    Examples:
      ledger export --output figures.csv
      ledger export --matter indians-in-russian-army --as-of 2025-08-15 --format jsonl
      python -c "import pandas as pd; print(pd.read_csv('figures.csv', parse_dates=['as_of_end']))"
    """
    from ledger import export as exporting

    ledger = _open(ctx)
    rows = exporting.figure_rows(ledger.view, matter, as_of, known_at)
    stream = _output_stream(output)
    if stream is None:
        exporting.write(rows, fmt, sys.stdout)
        return
    with stream:
        exporting.write(rows, fmt, stream)
    _err(f"wrote {len(rows)} figure(s) to {output}")


@cli.command()
@matter_option
@click.option("--categories", "-c", multiple=True, metavar="NAMES",
              help="Categories to draw, comma-separated or repeated (default: all).")
@click.option("--as-of", type=DateParam(), default=None,
              help="Draw statements made by this date, and the status up to it (default today).")
@known_at_option
@click.option("--output", "-o", metavar="FILE.png|FILE.svg", default=None,
              help="Where to write the chart (default: MATTER.png).")
@click.pass_context
@handle_errors
def plot(ctx: click.Context, matter: str | None, categories: tuple[str, ...], as_of: dt.date | None,
         known_at: str | None, output: str | None) -> None:
    """Chart each category over time: every figure stated, the replayed status, discrepancies.

    Each figure is a point at the date it describes (a bar over a month or year given
    as such), coloured by source; ranges are vertical bars; the status replayed at each
    date is a step line; discrepancies (`ledger check`) shade the time they were open.
    Needs matplotlib: pip install 'claims-ledger[plot]'.

    \b
    Examples:
      ledger plot --as-of 2025-12-31 --output docs/chart.png
      ledger plot --categories remaining,missing --output remaining.svg
    """
    from ledger import plot as plotting

    if output is not None and not output.lower().endswith(plotting.SUFFIXES):
        raise click.BadParameter("the chart is written as .png or .svg", param_hint="--output")
    try:
        plotting.require_matplotlib()
    except plotting.PlotUnavailableError as e:
        raise click.UsageError(str(e)) from None
    names = [n.strip() for item in categories for n in item.split(",") if n.strip()] or None
    ledger = _open(ctx)
    data = plotting.chart_data(ledger.view, matter, names, as_of, known_at)
    target = output or f"{data['matter']}.png"
    plotting.save(plotting.draw(data), target)
    points = sum(len(p["points"]) for p in data["panels"])
    _err(f"wrote {target}: {len(data['panels'])} categor{'y' if len(data['panels']) == 1 else 'ies'}, "
         f"{points} figure(s), {len(data['discrepancies'])} discrepancy(ies)")


@cli.command()
@matter_option
@as_of_option
@known_at_option
@click.option("--output", "-o", metavar="FILE.html", required=True, help="Where to write the report.")
@click.option("--charts/--no-charts", default=True, show_default=True,
              help="Draw the charts (needs matplotlib: pip install 'claims-ledger[plot]').")
@click.pass_context
@handle_errors
def report(ctx: click.Context, matter: str | None, as_of: dt.date | None, known_at: str | None, output: str,
           charts: bool) -> None:
    """One self-contained HTML file for a memo: status, discrepancies, charts, every statement.

    The file loads nothing from the network (inline CSS, charts as inline SVG); each
    figure links to its statement, with the quote, citations (links to the sources),
    corrections and retraction. Every text from a statement is escaped.

    \b
    Examples:
      ledger report --as-of 2025-12-31 --output report.html
      ledger report --as-of 2025-11-30 --known-at 2026-01-01 --output then.html
    """
    from ledger import report as reporting

    if charts:
        from ledger import plot as plotting

        try:
            plotting.require_matplotlib()
        except plotting.PlotUnavailableError as e:
            raise click.UsageError(f"{e}; or leave the charts out with --no-charts") from None
    ledger = _open(ctx)
    day = as_of or dt.date.today()
    command = " ".join(["ledger", "report"] + ([f"--matter {matter}"] if matter else []) + [f"--as-of {day}"]
                       + ([f"--known-at {known_at}"] if known_at else []) + ([] if charts else ["--no-charts"]))
    data = reporting.report_data(ledger.view, matter, day, known_at, charts=charts, command=command)
    html = reporting.render(data)
    with open(output, "w", encoding="utf-8") as out:
        out.write(html)
    _err(f"wrote {output}: status of {len(data['status_rows'])} categories as of {data['as_of']}, "
         f"{len(data['figures'])} figure(s), {len(data['statements'])} statement(s), "
         f"{len(data['check'])} discrepancy(ies)")


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
    """Database administration (PostgreSQL roles)."""


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

    The writer may INSERT and SELECT on the event tables and nothing else (plus the
    write lock, through a function); the append-only triggers refuse UPDATE, DELETE and
    TRUNCATE to everyone. It reads and writes the projection tables. The auditor reads
    everything and writes nothing. PostgreSQL only. Roles are cluster-wide: rerunning
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


def _add_serve() -> None:
    """``ledger serve`` lives in :mod:`ledger.web.serve` (FastAPI loaded only when it runs)."""
    from ledger.web.serve import serve

    cli.add_command(serve)


_add_serve()


def main() -> None:
    cli(prog_name="ledger")
