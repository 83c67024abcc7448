"""Replaying and reconciling a matter: status, check."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from ledger.cli.base import cli, read_model
from ledger.cli.errors import EXIT_FINDINGS
from ledger.cli.options import progress_option, reconciliation_command
from ledger.present import missing_text, no_figure_notes, replay_note, replayed_text, safe
from ledger.present import source_text as _source_text

include_disputed_option = click.option(
    "--include-disputed", is_flag=True,
    help="Let figures another statement denies stand (they are skipped by default; docs/evidence.md).")


@cli.command()
@reconciliation_command
@include_disputed_option
def status(ctx: click.Context, matter: str | None, as_of: dt.date | None, known_at: str | None,
           stale_days: int | None, policy: str, window_days: int, fmt: str, include_disputed: bool) -> None:
    """The official picture as of a date: per category, the figure that stands then.

    Among statements made by DATE the figure describing the latest period wins; a period
    containing a more precise one does not outrank it ("2025" does not outrank
    2025-12-18). Ties go to rank, attribution, qualifier, the later statement, the later
    recording; --policy conservative or estimate report the window's lowest figure or
    low/best/high; changes ({change: N}) add to the total before them (docs/replay.md).
    Statements with an unknown date are left out and counted. Below the figures: figures
    derived from the matter's relations, and discrepancies.

    \b
    Examples:
      ledger status --as-of 2025-08-15
      ledger status --matter indians-in-russian-army --format json
      ledger status --as-of 2025-11-30 --known-at 2026-01-01T00:00Z   # as the ledger stood then
      ledger status --as-of 2025-12-31 --policy estimate --window 30
    """
    from ledger.readmodel import Snapshot
    from ledger.present import table, write_csv, write_json

    report = read_model(ctx).status(matter, Snapshot(as_of or dt.date.today(), known_at, policy, window_days),
                                    stale_days, include_disputed=include_disputed)
    if fmt == "json":
        write_json(report)
        return
    columns = ["category", "value", "qualifier", "as_of", "stated_on", "source", "statement"]
    if fmt == "csv":
        write_csv(
            ["matter", "status_as_of", "category", "value", "qualifier", "low", "high",
             "figure_as_of", "stated_on", "statement", "organization", "person", "recorded_at",
             "derived", "no_figure"],
            [[report["matter"], report["as_of"], category]
             + ([f["value"], f["qualifier"], f.get("low"), f.get("high"), f["as_of"], f["stated_on"],
                 f["statement"], f["source"]["organization"], f["source"]["person"], f["recorded_at"]]
                if f else [None] * 10)
             + [report["derived"][category]["text"] if category in report["derived"] else None,
                report["no_figure"].get(category)]
             for category, f in report["figures"].items()],
        )
        return
    click.echo(f"{safe(report['title'])} ({report['matter']})")
    click.echo(f"Official picture as of {report['as_of']}"
               + (f", as known to the ledger at {known_at}" if known_at else "")
               + replay_note(policy, window_days))
    click.echo()
    table(columns, [
        [category, replayed_text(f), f["qualifier"], f["as_of"], f["stated_on"],
         _source_text(f["source"]), f["statement"]] if f else [category, missing_text(report, category),
                                                                "", "", "", "", ""]
        for category, f in report["figures"].items()
    ])
    for note in no_figure_notes(report):
        click.echo(note)
    for category, f in report["figures"].items():
        if f and f.get("disputed"):
            click.echo(f"{category}: disputed: {f['statement']} is denied by {', '.join(f['disputed_by'])}")
    if report["derived"]:
        click.echo("\nDerived from relations:")
        table(["category", "value", "relation", "from statements"],
              [[c, d["text"], d["relation"] + ("" if d["under"] == "matter" else f" (under {d['under']})"),
                " ".join(d["statements"])] for c, d in report["derived"].items()])
    if report["discrepancies"]:
        click.echo(f"\nDiscrepancies ({len(report['discrepancies'])}):")
        for item in report["discrepancies"]:
            click.echo(f"  [{item['kind']}] {safe(item['message'])}")
    if report["undated_statements_excluded"]:
        click.echo(f"\n{report['undated_statements_excluded']} statement(s) with an unknown date "
                   "left out of this replay (see `ledger sources`).")




NOT_FAILING = frozenset({"stale_figure"})  # shown; fail the check only with --strict
CHECK_COLUMNS = ["matter", "kind", "first_seen", "resolved_on", "open", "message", "ended", "statements"]


class MatterProgress:
    """A bar on standard error while ``check`` replays many matters (on a terminal, or --progress)."""

    def __init__(self, enabled: bool | None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar: Any = None

    def __enter__(self) -> MatterProgress | None:
        return self if self.enabled else None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            # done and total count statements (the matters' share of the work), so the bar
            # shows a percentage, not a position
            self.bar = click.progressbar(length=total, label="Checking matters", file=sys.stderr,
                                         show_percent=True, show_eta=True)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.command()
@reconciliation_command
@progress_option
@click.option("--strict", is_flag=True, help="Open stale_figure discrepancies fail the check too.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes checking matters side by side (default: one per CPU on a ledger of "
                   "5,000+ statements; 1: in this process). The findings do not depend on it.")
@include_disputed_option
def check(ctx: click.Context, matter: str | None, as_of: dt.date | None, known_at: str | None,
          stale_days: int | None, policy: str, window_days: int, fmt: str, show_progress: bool | None,
          strict: bool, jobs: int | None, include_disputed: bool) -> None:
    """List discrepancies over the whole timeline; exit code 1 when any is open.

    A figure left standing longer than the threshold (stale_figure) is listed but fails
    the check only with --strict.

    Replays every matter (or --matter) at each date a statement was made, up to DATE,
    and reports each discrepancy with the date it first appeared and the date it ended,
    if it did: resolved, or superseded when another discrepancy about the same relation
    (or category) took its place that day. It looks for relations that cannot hold, cumulative counts that fall,
    sources that disagree on the same date, derived figures mixing stale inputs, and
    statements whose own figures do not add up.

    \b
    Examples:
      ledger check
      ledger check --as-of 2025-08-15 --stale-days 365
      ledger check --format json | jq '.[] | select(.open)'
      ledger check --jobs 4 --progress
    """
    from ledger.checking import check_matters
    from ledger.present import write_csv, write_json
    from ledger.readmodel import Snapshot

    model = read_model(ctx)
    until = (as_of or dt.date.today()).isoformat()
    if not model.matters():
        if fmt == "json":
            write_json([])
        elif fmt == "csv":
            write_csv(CHECK_COLUMNS, [])
        else:
            click.echo(f"the ledger is empty: nothing to check up to {until} (record a matter file first)")
        return
    with MatterProgress(show_progress) as progress:
        found = check_matters(ctx.obj["db"], model, matter, Snapshot(as_of, known_at, policy, window_days),
                              stale_days, progress=progress, include_disputed=include_disputed, jobs=jobs)
    if fmt == "json":
        write_json(found)
    elif fmt == "csv":
        write_csv(CHECK_COLUMNS, [[d[c] for c in CHECK_COLUMNS[:-1]] + [" ".join(d["statements"])] for d in found])
    else:
        for item in found:
            state = ("warning" if item.get("severity") == "warning" else "open" if item["open"]
                     else f"{item['ended'] or 'resolved'} {item['resolved_on']}")
            click.echo(f"{item['matter']}: {item['first_seen']}: [{item['kind']}] ({state}) {safe(item['message'])}")
        still = sum(1 for d in found if d["open"] and d.get("severity") != "warning")
        if not found:
            click.echo(f"no discrepancies up to {until}")
        else:
            click.echo(f"{len(found)} discrepanc{'y' if len(found) == 1 else 'ies'} up to {until}, {still} open")
    if any(d["open"] and d.get("severity") != "warning" and (strict or d["kind"] not in NOT_FAILING)
           for d in found):  # warnings (not_in_quote) and, unless --strict, stale figures never fail
        sys.exit(EXIT_FINDINGS)
