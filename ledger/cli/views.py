"""Analyst views written to files: export, plot, report."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from ledger.cli.base import cli, read_model
from ledger.cli.base import open_ledger as _open
from ledger.cli.errors import handle_errors
from ledger.errors import OutputFileError
from ledger.cli.options import DateParam, as_of_option, known_at_option, matter_option, output_options, replay_options
from ledger.present import err as _err


# --- analyst views: export, plot, report (issue 7) -------------------------------------------


def _output_stream(output: str | None) -> Any:
    """A text file to write (created or replaced; newlines as written), or None for stdout."""
    if output is None or output == "-":
        return None
    try:
        return open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by the caller
    except OSError as e:
        raise OutputFileError(f"cannot write {output}: {e.strerror or e}") from None


@cli.command()
@click.option("--matter", "-m", metavar="MATTER", help="Matter id (default: every matter).")
@click.option("--as-of", type=DateParam(), default=None,
              help="Only statements made by this date; 'stands' is judged as of it (default today).")
@known_at_option
@output_options(("csv", "json", "jsonl", "prov"), output=True,
                help="CSV for spreadsheets and pandas, a JSON array, JSON Lines, or "
                     "prov: the lineage as W3C PROV-O JSON-LD (docs/evidence.md).")
@click.option("--derived", is_flag=True,
              help="Also a row per figure derived from the relations in the status as of the date.")
@replay_options
@click.pass_context
@handle_errors
def export(ctx: click.Context, matter: str | None, as_of: dt.date | None, known_at: str | None,
           fmt: str, output: str | None, derived: bool, policy: str, window_days: int) -> None:
    """One row per asserted figure: value, every date, source, statement, quote, citations.

    Dates come as the text the source gave (2025-07) and as ISO start and end days
    (2025-07-01, 2025-07-31). The columns are listed in the README.

    \b
    Examples:
      ledger export --output figures.csv
      ledger export --matter indians-in-russian-army --as-of 2025-08-15 --format jsonl
      ledger export --as-of 2025-08-15 --derived      # with the derived figures (qualifier: derived)
      ledger export --format prov --output lineage.jsonld
      python -c "import pandas as pd; print(pd.read_csv('figures.csv', parse_dates=['as_of_end']))"
    """
    from ledger import export as exporting

    from ledger.readmodel import Snapshot

    if fmt == "prov":  # statements, figures, sources, citations and links (ledger/domain/prov.py)
        from ledger.present import write_json

        graph = read_model(ctx).prov(Snapshot(as_of, known_at, policy, window_days))
        stream = _output_stream(output)
        write_json(graph, stream or sys.stdout)
        if stream is not None:
            stream.close()
            _err(f"wrote {len(graph['@graph'])} node(s) to {output}")
        return
    rows = read_model(ctx).export_rows(matter, Snapshot(as_of, known_at, policy, window_days), derived)
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
@replay_options
@click.pass_context
@handle_errors
def plot(ctx: click.Context, matter: str | None, categories: tuple[str, ...], as_of: dt.date | None,
         known_at: str | None, output: str | None, policy: str, window_days: int) -> None:
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
    data = plotting.chart_data(ledger.view, matter, names, as_of, known_at, policy, window_days)
    target = output or f"{data['matter']}.png"
    try:
        plotting.save(plotting.draw(data), target)
    except OSError as e:
        raise OutputFileError(f"cannot write {target}: {e.strerror or e}") from None
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
@replay_options
@click.pass_context
@handle_errors
def report(ctx: click.Context, matter: str | None, as_of: dt.date | None, known_at: str | None, output: str,
           charts: bool, policy: str, window_days: int) -> None:
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
                       + ([f"--known-at {known_at}"] if known_at else []) + ([] if charts else ["--no-charts"])
                       + ([f"--policy {policy}"] if policy != "latest" else [])
                       + ([f"--window {window_days}"] if window_days else []))
    from ledger.integrity.head import view_head

    data = reporting.report_data(ledger.view, matter, day, known_at, charts=charts, command=command,
                                 policy=policy, window_days=window_days, head=view_head(ledger).as_dict())
    html = reporting.render(data)
    stream = _output_stream(output)
    if stream is None:
        click.echo(html, nl=False)
    else:
        with stream:
            stream.write(html)
    _err(f"wrote {output}: status of {len(data['status_rows'])} categories as of {data['as_of']}, "
         f"{len(data['figures'])} figure(s), {len(data['statements'])} statement(s), "
         f"{len(data['check'])} discrepancy(ies)")
