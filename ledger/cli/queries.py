"""Analysts' questions: history, sources, show, matters."""

from __future__ import annotations

import datetime as dt

from typing import Any

import click

from ledger.cli.base import cli, read_model
from ledger.cli.errors import handle_errors
from ledger.cli.options import DateParam, format_option, known_at_option, matter_option, output_options, replay_options
from ledger.present import figure_text as _figure_text
from ledger.present import raw_figure_text, replay_note, safe
from ledger.present import source_text as _source_text


@cli.command()
@click.argument("category")
@matter_option
@click.option("--as-of", type=DateParam(), default=None, help="Only statements made by this date.")
@known_at_option
@replay_options
@format_option
@click.pass_context
@handle_errors
def history(ctx: click.Context, category: str, matter: str | None, as_of: dt.date | None,
            known_at: str | None, policy: str, window_days: int, fmt: str) -> None:
    """Every figure ever asserted for CATEGORY, oldest described date first.

    The figure that stands as of the date (default today), under --policy, is marked *.

    \b
    Examples:
      ledger history remaining
      ledger history dead --format csv
    """
    from ledger.readmodel import Snapshot
    from ledger.present import table, write_csv, write_json

    report = read_model(ctx).history(matter, category, Snapshot(as_of, known_at, policy, window_days))
    if fmt == "json":
        write_json(report)
        return
    rows = report["figures"]
    if fmt == "csv":
        write_csv(["matter", "category", "value", "qualifier", "low", "high", "as_of", "stated_on",
                   "statement", "organization", "person", "recorded_at", "stands"],
                  [[report["matter"], category, f["value"], f["qualifier"], f.get("low"), f.get("high"),
                    f["as_of"], f["stated_on"], f["statement"], f["source"]["organization"],
                    f["source"]["person"], f["recorded_at"], f.get("stands", False)] for f in rows])
        return
    click.echo(f"History of '{category}' in {report['matter']}: {len(rows)} figure(s)"
               + replay_note(policy, window_days) + "\n")
    table(["", "as_of", "stated_on", "value", "qualifier", "source", "statement"],
          [["*" if f.get("stands") else "", f["as_of"], f["stated_on"], _figure_text(f), f["qualifier"],
            _source_text(f["source"]), f["statement"]] for f in rows])


@cli.command()
@matter_option
@known_at_option
@format_option
@click.pass_context
@handle_errors
def sources(ctx: click.Context, matter: str | None, known_at: str | None, fmt: str) -> None:
    """Who asserted what: each source (a stable id per organization and person) with its
    type, roles, statements, figures, first and last statement.

    The id stays the same across corrections and role changes; `ledger audit --source ID`
    matches it exactly.

    \b
    Examples:
      ledger sources
      ledger sources --format json
    """
    from ledger.readmodel import Snapshot
    from ledger.present import table, write_csv, write_json

    rows = read_model(ctx).source_entities(matter, Snapshot(known_at=known_at))
    if fmt == "json":
        write_json(rows)
        return
    columns = ["id", "organization", "person", "type", "roles", "statements", "figures", "undated", "retracted",
               "first_statement", "first_stated_on", "last_statement", "last_stated_on"]
    values = [[" | ".join(r[c]) if c == "roles" else r[c] for c in columns] for r in rows]
    if fmt == "csv":
        write_csv(columns + ["statement_ids"],
                  [v + [" ".join(r["statement_ids"])] for v, r in zip(values, rows, strict=True)])
        return
    table(["id", "source", "type", "stmts", "figures", "first", "last"],
          [[r["id"], _source_text(r), r["type"], r["statements"], r["figures"], r["first_stated_on"],
            r["last_stated_on"]] for r in rows], max_width=1000)  # ids are never clipped


@cli.command()
@click.argument("statement_id")
@known_at_option
@output_options(("table", "json", "yaml"),
                help="For people (table), programs (json), or a file `record` and `correct` read (yaml).")
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

    from ledger.readmodel import Snapshot
    from ledger.present import write_json

    data = read_model(ctx).show(statement_id, Snapshot(known_at=known_at))
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
            click.echo(f"{name + ':':<13}{safe(value)}")
    figures = s.get("figures", {})
    click.echo("figures:     " + (", ".join(f"{k} {raw_figure_text(v)}" for k, v in figures.items())
                                  or "none"))
    click.echo("quote:")
    for line in s["quote"].splitlines() or [""]:
        click.echo(f"  {safe(line)}")
    for line in _evidence_lines(s["quote"], data["spans"], data["links"]):
        click.echo(safe(line))
    for citation in s.get("citations", []):
        parts = [citation["outlet"], citation.get("published_on"), citation.get("url")]
        click.echo("cited by:    " + safe(", ".join(p for p in parts if p)))
    if s.get("notes"):
        click.echo(f"notes:       {safe(s['notes'])}")
    click.echo(f"status:      {data['status']}")
    click.echo("trail:")
    for version in data["trail"]:
        line = f"{version['event']:<12} {version['recorded_at']} by {safe(version['recorded_by'])} " \
               f"(log position {version['position']})"
        click.echo(f"  {line}" + (f": {safe(version['reason'])}" if version["reason"] else ""))


@cli.command()
@format_option
@click.pass_context
@handle_errors
def matters(ctx: click.Context, fmt: str) -> None:
    """The matters in the ledger, with their categories.

    \b
    Examples:
      ledger matters
      ledger matters --format json
    """
    from ledger.present import table, write_csv, write_json

    rows = read_model(ctx).matters()
    if fmt == "json":
        write_json(rows)
        return
    values = [[r["matter"], r["title"], r["statements"], " ".join(r["categories"])] for r in rows]
    (write_csv if fmt == "csv" else table)(["matter", "title", "statements", "categories"], values)


def _evidence_lines(quote: str, spans: dict[str, Any], links: dict[str, Any]) -> list[str]:
    """Each figure's words in the quote, its number bracketed, and the standing links."""
    from ledger.readmodel.evidence import span_context

    lines = []
    for category, entry in spans.items():
        where = span_context(quote, entry)
        lines.append(f"{category + ':':<13}" + (f"[{entry['status']}] " if entry["status"] != "found" and
                                                  entry["status"] != "given" else "") + where)
    for e in links["outgoing"]:
        lines.append(f"links:       {e['type']} {e['statement']}")
    for e in links["incoming"]:
        lines.append(f"linked from: {e['statement']} {e['type']} this statement")
    return lines
