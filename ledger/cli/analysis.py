"""What changed over time: diff (two replays) and series (a replay at each step)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ledger.cli.base import cli, read_model
from ledger.cli.errors import handle_errors
from ledger.cli.options import (DateParam, TimestampParam, format_option, known_at_option, matter_option,
                                replay_options, stale_option)
from ledger.domain.steps import EVERY


def _side_text(side: dict[str, Any]) -> str:
    from ledger.present import replayed_text

    if side["figure"] is not None:
        return f"{replayed_text(side['figure'])} ({side['figure']['as_of']})"
    if side["derived"] is not None:
        return f"{side['derived']['text']} (derived)"
    return f"none ({side['no_figure'].replace('_', ' ')})" if side["no_figure"] else "none"


@cli.command()
@matter_option
@click.option("--from", "start", type=DateParam(), default=None, help="First replay day (YYYY[-MM[-DD]]).")
@click.option("--to", "end", type=DateParam(), default=None, help="Second replay day (default: today).")
@click.option("--as-of", type=DateParam(), default=None,
              help="With --known-at-to: the one replay day of an audit diff (default today).")
@known_at_option
@click.option("--known-at-to", type=TimestampParam(), default=None,
              help="Audit diff: the same --as-of, as known at --known-at against as known at this moment.")
@replay_options
@stale_option
@format_option
@click.pass_context
@handle_errors
def diff(ctx: click.Context, matter: str | None, start: dt.date | None, end: dt.date | None,
         as_of: dt.date | None, known_at: str | None, known_at_to: str | None, policy: str,
         window_days: int, stale_days: int | None, fmt: str) -> None:
    """What changed between two replays: per category the figure standing (or derived) on
    each side with its statements, and the discrepancies opened and closed.

    Either two days (--from, --to) as known at --known-at (default now), or one day
    (--as-of) as known at --known-at against --known-at-to: what the ledger learned.

    \b
    Examples:
      ledger diff --from 2025-08-01 --to 2025-12-01
      ledger diff --from 2025-01-31 --to 2025-08-01 --format csv
      ledger diff --as-of 2025-12-01 --known-at 2020-01-01 --known-at-to 2100-01-01 --format json
    """
    from ledger.errors import UsageProblem
    from ledger.present import replay_note, source_text, table, write_csv, write_json
    from ledger.readmodel import Snapshot
    from ledger.readmodel.changes import diff as diff_of

    if known_at_to is not None:
        if start is not None or end is not None:
            raise UsageProblem("--known-at-to compares knowledge at one --as-of: leave out --from and --to")
        day = as_of or dt.date.today()
        first, second = (Snapshot(day, known_at, policy, window_days),
                         Snapshot(day, known_at_to, policy, window_days))
    else:
        if start is None:
            raise UsageProblem("give --from DAY (and --to DAY), or --as-of with --known-at and --known-at-to")
        if as_of is not None:
            raise UsageProblem("--as-of goes with --known-at-to; for two days use --from and --to")
        first = Snapshot(start, known_at, policy, window_days)
        second = first.on(end or dt.date.today())
    report = diff_of(read_model(ctx), matter, first, second, stale_days)
    if fmt == "json":
        write_json(report)
        return
    if fmt == "csv":
        columns = ["matter", "category", "changed"]
        for side in ("from", "to"):
            columns += [f"{side}_as_of", f"{side}_known_at", f"{side}_value", f"{side}_qualifier", f"{side}_low",
                        f"{side}_high", f"{side}_figure_as_of", f"{side}_derived", f"{side}_statements",
                        f"{side}_source"]
        rows = []
        for c in report["categories"]:
            row: list[Any] = [report["matter"], c["category"], c["changed"]]
            for side in ("from", "to"):
                s, point = c[side], report[side]
                f, d = s["figure"], s["derived"]
                shown = f or d or {}
                row += [point["as_of"], point["known_at"], shown.get("value"),
                        f["qualifier"] if f else ("derived" if d else None), shown.get("low"), shown.get("high"),
                        f["as_of"] if f else None, d["text"] if d else None, " ".join(s["statements"]),
                        source_text(f["source"]) if f else None]
            rows.append(row)
        write_csv(columns, rows)
        return
    a, b = report["from"], report["to"]
    if report["mode"] == "knowledge":
        click.echo(f"{report['title']} ({report['matter']}) as of {b['as_of']}: known at {a['known_at']} "
                   f"-> known at {b['known_at']}")
    else:
        click.echo(f"{report['title']} ({report['matter']}): {a['as_of']} -> {b['as_of']}"
                   + (f", as known at {b['known_at']}" if b["known_at"] else "")
                   + replay_note(policy, window_days))
    click.echo()
    table(["category", "", "from", "to", "statements (to)"],
          [[c["category"], "*" if c["changed"] else "", _side_text(c["from"]), _side_text(c["to"]),
            " ".join(c["to"]["statements"])] for c in report["categories"]])
    for title, items in (("Opened", report["opened"]), ("Closed", report["closed"])):
        if items:
            click.echo(f"\n{title} discrepancies ({len(items)}):")
            for item in items:
                click.echo(f"  [{item['kind']}] {item['message']}")
    if not report["opened"] and not report["closed"]:
        click.echo("\nNo discrepancy opened or closed.")


@cli.command()
@matter_option
@click.option("--category", "-c", metavar="CATEGORY", default=None, help="Only this category.")
@click.option("--from", "start", type=DateParam(), required=True, help="First step (YYYY[-MM[-DD]]).")
@click.option("--to", "end", type=DateParam(), required=True, help="Last day a step may fall on.")
@click.option("--every", type=click.Choice(list(EVERY)), required=True, help="Step length.")
@replay_options
@known_at_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="Output for people (table) or programs (json, csv: one row per date and category).")
@click.pass_context
@handle_errors
def series(ctx: click.Context, matter: str | None, category: str | None, start: dt.date, end: dt.date,
           every: str, policy: str, window_days: int, known_at: str | None, fmt: str) -> None:
    """The replayed status at each step from --from to --to: one row per (date, category)
    with value, low, best, high, qualifier, statement, source and whether it is derived.

    CSV columns and pandas dtypes (read_csv(..., parse_dates=["date"])): date datetime64;
    category, qualifier, statement, source text (str; object in pandas 2); value, low,
    best, high float64 (empty when absent or unbounded); derived bool.

    \b
    Examples:
      ledger series --from 2025-01-01 --to 2025-12-31 --every month
      ledger series --category remaining --from 2025-01-01 --to 2025-12-31 --every day --format csv
    """
    from ledger.errors import UsageProblem
    from ledger.present import table, write_csv, write_json
    from ledger.readmodel import Snapshot
    from ledger.readmodel.changes import SERIES_COLUMNS
    from ledger.readmodel.changes import series as series_of

    try:
        report = series_of(read_model(ctx), matter, start, end, every,
                           Snapshot(None, known_at, policy, window_days), category)
    except ValueError as e:
        raise UsageProblem(str(e)) from None
    if fmt == "json":
        write_json(report)
        return
    if fmt == "csv":
        write_csv(list(SERIES_COLUMNS), [[r[c] for c in SERIES_COLUMNS] for r in report["rows"]])
        return
    table(["date", "category", "value", "low", "best", "high", "qualifier", "statement"],
          [[r["date"], r["category"], r["value"], r["low"], r["best"], r["high"], r["qualifier"], r["statement"]]
           for r in report["rows"]])
