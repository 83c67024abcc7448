"""Auditors' commands: audit, trace, log, verify (its logic is the integrity module's)."""

from __future__ import annotations

import datetime as dt
import sys

import click

from ledger.cli.base import cli, read_model
from ledger.cli.base import open_ledger as _open
from ledger.cli.errors import EXIT_FINDINGS, handle_errors
from ledger.cli.options import as_of_option, format_option, known_at_option, matter_option, output_options, replay_options
from ledger.present import clip as _clip
from ledger.present import Indented as _Indented
from ledger.present import citations_text, replay_note, safe
from ledger.present import source_text as _source_text


@cli.command()
@click.option("--source", "source", metavar="ID",
              help="A source id as `ledger sources` lists it (matched exactly).")
@click.option("--search", "search", metavar="TEXT",
              help="Part of an organization's or person's name (case-insensitive).")
@click.option("--outlet", "outlet", metavar="NAME",
              help="Only statements cited by this outlet (its whole name, case-insensitive).")
@as_of_option
@known_at_option
@replay_options
@format_option
@click.pass_context
@handle_errors
def audit(ctx: click.Context, source: str | None, search: str | None, outlet: str | None,
          as_of: dt.date | None, known_at: str | None, policy: str, window_days: int, fmt: str) -> None:
    """Every figure a source asserted, with dates, quotes, citations and what became of it.

    Give a source id (--source, exact; see `ledger sources`), a name to search for
    (--search, substring), a citation outlet (--outlet), or several (all must match).
    Each figure is marked: stands (it is in the status as of the date, under --policy
    and --window), outranked (by which statement, and why), corrected, retracted,
    undated or not yet stated.

    \b
    Examples:
      ledger audit --search "External Affairs"
      ledger audit --search Jaiswal --as-of 2025-11-30 --format csv
      ledger audit --outlet ANI
    """
    from ledger.errors import UsageProblem
    from ledger.readmodel import Snapshot
    from ledger.present import table, write_csv, write_json

    if source is None and search is None and outlet is None:
        raise UsageProblem("give --source ID, --search TEXT or --outlet NAME (see `ledger sources` for ids)")
    model = read_model(ctx)
    snapshot = Snapshot(as_of or dt.date.today(), known_at, policy, window_days)
    label = " ".join(f"{k} {v}" for k, v in (("source", source), ("search", search), ("outlet", outlet)) if v)
    if source is None and outlet is None:
        report = model.audit(search, snapshot)
    else:
        report = model.audit(label, snapshot, model.statements_by(snapshot, source=source, search=search,
                                                                   outlet=outlet))
    source = label if (source or outlet) else search
    if fmt == "json":
        write_json(report)
        return
    columns = ["statement", "stated_on", "category", "value", "as_of", "recorded_at", "outcome", "why"]
    rows = [[e["statement"], e["stated_on"], f["category"], f["text"], f["as_of"], f["recorded_at"],
             f["outcome"], f["why"]] for e in report["statements"] for f in e["figures"]]
    rows += [[e["statement"], e["stated_on"], None, None, e["as_of"], e["trail"][0]["recorded_at"],
              e["status"], "no figures"] for e in report["statements"] if not e["figures"]]
    if fmt == "csv":
        write_csv(columns + ["source", "quote", "citations"], [
            r + [_source_text(e["source"]), e["quote"], citations_text(e["citations"])]
            for e in report["statements"] for r in rows if r[0] == e["statement"]])
        return
    if not report["statements"]:
        click.echo(f"No statement by a source matching {safe(repr(source))}.")
        return
    click.echo(f"Figures asserted by sources matching {safe(repr(source))}, as of {report['as_of']}"
               + (f", known at {known_at}" if known_at else "") + replay_note(policy, window_days) + "\n")
    for entry in report["statements"]:
        click.echo(f"{entry['statement']}  ({safe(_source_text(entry['source']))}, stated {entry['stated_on']}"
                   + (f", {safe(entry['venue'])}" if entry.get("venue") else "") + f"; {entry['status']})")
        click.echo(f"  \"{safe(_clip(entry['quote'], 200))}\"")
        for citation in entry["citations"]:
            click.echo("  cited by " + safe(citations_text([citation])))
        for version in entry["trail"][1:]:
            click.echo(f"  {version['event']} {version['recorded_at']} by {safe(version['recorded_by'])}: "
                       f"{safe(version['reason'])}")
        if entry["figures"]:
            table(["category", "value", "as_of", "outcome", "why"],
                  [[f["category"], f["text"], f["as_of"], f["outcome"], f["why"]] for f in entry["figures"]],
                  out=_Indented())
        else:
            click.echo("  no figures")
        click.echo()




@cli.command()
@click.argument("category")
@matter_option
@as_of_option
@known_at_option
@replay_options
@format_option
@click.pass_context
@handle_errors
def trace(ctx: click.Context, category: str, matter: str | None, as_of: dt.date | None,
          known_at: str | None, policy: str, window_days: int, fmt: str) -> None:
    """Why the status shows this figure for CATEGORY, and what it outranked.

    Shows the statement behind the figure, its quote and citations, when and by whom
    it was recorded, each correction, and every other figure of the category's
    timeline (its same_as synonyms included, each under the word its source used)
    with the reason it does not stand, under --policy and --window. A derived figure
    shows its relation and each input with its statement, source and quote.

    \b
    Examples:
      ledger trace remaining --as-of 2025-11-30
      ledger trace dead --known-at 2026-01-01 --format json
      ledger trace unaccounted --as-of 2025-08-01   # a derived figure: relation and inputs
    """
    from ledger.readmodel import Snapshot
    from ledger.present import table, write_csv, write_json

    report = read_model(ctx).trace(matter, category, Snapshot(as_of or dt.date.today(), known_at, policy,
                                                              window_days))
    columns = ["statement", "category", "value", "as_of", "stated_on", "source", "recorded_at", "outcome", "why"]
    entries = ([report["figure"]] if report["figure"] else []) + report["others"]
    if fmt == "json":
        write_json(report)
        return
    if fmt == "csv":
        write_csv(columns, [[e["text"] if c == "value" else _source_text(e["source"]) if c == "source" else e[c]
                             for c in columns] for e in entries])
        return
    click.echo(f"{category} in {report['matter']} as of {report['as_of']}"
               + (f", known at {known_at}" if known_at else "") + replay_note(policy, window_days))
    words = {e["category"] for e in entries} | {category}
    if report["timeline"] != category or len(words) > 1:
        click.echo(f"timeline {report['timeline']}: the figures of {', '.join(sorted(words))} (same_as)")
    figure, statement = report["figure"], report["statement"]
    derived = report.get("derived")
    if figure is None and derived is not None:
        under = "" if derived["under"] == "matter" else f" (under {derived['under']})"
        click.echo(f"derived: {derived['text']} from {derived['relation']}{under}")
        quoted: set[str] = set()
        for item in derived["inputs"]:
            if item["statement"] is None:
                click.echo(f"  {item['category']} = {item['text']} (itself derived)")
                continue
            click.echo(f"  {item['category']} = {item['text']}, as of {item['as_of']}, statement {item['statement']}, "
                       f"stated {item['stated_on']} by {_source_text(item['source'])}")
            if item["statement"] not in quoted:
                quoted.add(item["statement"])
                click.echo(f"    quote: \"{_clip(item['quote'], 300)}\"")
    elif figure is None:
        click.echo("no figure stands for this category at that date.")
    else:
        word = "" if figure["category"] == category else f" as {figure['category']}"
        click.echo(f"stands: {figure['text']} ({figure['qualifier']}){word}, as of {figure['as_of']}, "
                   f"stated {figure['stated_on']} by {safe(_source_text(figure['source']))}")
        click.echo(f"statement: {statement['id']}"
                   + (f", {safe(statement['venue'])}" if statement.get("venue") else ""))
        from ledger.readmodel.evidence import span_context

        click.echo(f"quote ({statement['attribution']}): \"{safe(_clip(statement['quote'], 400))}\"")
        entry = (statement.get("spans") or {}).get(figure["category"])
        click.echo(f"{figure['category']} in the quote: " + safe(span_context(statement["quote"], entry))
                   + (f" ({entry['status']})" if entry and entry["status"] not in ("found", "given") else ""))
        links = statement.get("links") or {}
        for e in links.get("outgoing", []):
            click.echo(f"link: {statement['id']} {e['type']} {e['statement']}")
        for e in links.get("incoming", []):
            click.echo(f"link: {e['statement']} {e['type']} {statement['id']}")
        for citation in statement["citations"]:
            click.echo("cited by: " + safe(citations_text([citation])))
        click.echo("trail:")
        for version in report["trail"]:
            click.echo(f"  {version['event']:<10} {version['recorded_at']} by {safe(version['recorded_by'])} "
                       f"(log position {version['position']})"
                       + (f": {safe(version['reason'])}" if version["reason"] else ""))
    if report["others"]:
        shown = ["statement"] + (["category"] if len(words) > 1 else []) + ["value", "as_of", "stated_on",
                                                                             "outcome", "why"]
        click.echo("\nother figures for this " + ("timeline:" if len(words) > 1 else "category:"))
        table(shown, [[e["text"] if c == "value" else e[c] for c in shown] for e in report["others"]])


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
    from ledger.present import table, write_csv, write_json

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
@output_options(("table", "json"))
@click.pass_context
@handle_errors
def verify(ctx: click.Context, fmt: str) -> None:
    """Check the hash chain of the event log and rebuild the projections to compare them.

    Reports, each with its log position: broken links (an event altered, moved, deleted
    or inserted outside the ledger), rows that are mistyped, undecodable or of a foreign
    type, recording times going backwards, aggregate versions with gaps, and the first
    projection row (any position) that the events do not produce. The projection is
    compared up to its own tracking position; a lag is reported, not counted as
    tampering. Exit code 1 when anything fails. Note the head (position and hash): a
    later verify showing a different hash at that position means history was rewritten.
    See docs/integrity.md.

    \b
    Examples:
      ledger verify
      ledger --db postgresql://postgres@127.0.0.1:5432/ledger verify --format json
    """
    from ledger.cli.base import catch_up
    from ledger.integrity.errors import LogDamagedError
    from ledger.integrity.verify import verify_chain, verify_projection
    from ledger.present import write_json

    ledger = _open(ctx, catch_up=False)
    try:
        if ctx.obj.get("catch_up", True):
            catch_up(ledger)
    except LogDamagedError:
        pass  # the chain check below names the damaged position; the projection is compared as it stands
    chain = verify_chain(ledger.app.recorder, ledger.app.mapper)
    projection = verify_projection(ledger)
    ok = not chain.problems and not projection.problems
    if fmt == "json":
        write_json({
            "ok": ok, "events": chain.events, "head_position": chain.head_position, "head_hash": chain.head_hash,
            "chain_problems": [vars(p) for p in chain.problems],
            "projection_problems": projection.problems,
            "projection_position": projection.tracked, "projection_lag": projection.lag,
        })
    else:
        for problem in chain.problems:
            where = f"position {problem.position}" if problem.position is not None else "position unknown"
            click.echo(f"chain: {where}: {safe(problem.message)}")
        for found in projection.problems:
            click.echo(f"projection: position {found['position']}: {safe(found['message'])}")
        click.echo(f"{chain.events} event(s) checked; head at position {chain.head_position}, "
                   f"hash {chain.head_hash}")
        if projection.lag:
            click.echo(f"projection compared up to position {projection.tracked}; "
                       f"{projection.lag} event(s) not yet projected (lag, not tampering)")
        click.echo("verify: OK" if ok else "verify: FAILED")
    if not ok:
        sys.exit(EXIT_FINDINGS)
