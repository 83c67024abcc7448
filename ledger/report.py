"""A self-contained HTML report of a matter as of a date, for an auditor's memo.

One file, nothing loaded from the network: inline CSS, the charts as inline SVG (drawn
by ``ledger.plot``), and links only to the sources' own pages. It holds the status
table, derived figures and discrepancies as of the date, the timeline of
discrepancies, every asserted figure, and every statement with its quote, citations,
corrections and retraction. Rendered with Jinja2 with autoescaping on: every text
taken from a statement or a matter is escaped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ledger import __version__, queries
from ledger.domain.dates import PartialDate
from ledger.domain.policies import SUMMARIES
from ledger.export import figure_rows
from ledger.readmodel import Snapshot, TimelineReadModel
from ledger.readmodel.evidence import quote_parts
from ledger.present import no_figure_text

View = Any

TEMPLATE = "report.html.j2"
_FIGURE_PREFIX = {"exact": "", "at_least": ">=", "at_most": "<=", "approx": "~"}


def figure_text(raw: Any) -> str:
    from ledger.domain.figures import Figure

    return str(Figure.from_input(raw))


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What a correction changed, field by field (figures by category)."""
    changes = []
    old, new = before.get("figures", {}), after.get("figures", {})
    for category in list(old) + [c for c in new if c not in old]:
        if category not in new:
            changes.append(f"figure {category}: {figure_text(old[category])} removed")
        elif category not in old:
            changes.append(f"figure {category}: {figure_text(new[category])} added")
        elif figure_text(old[category]) != figure_text(new[category]):
            changes.append(f"figure {category}: {figure_text(old[category])} → {figure_text(new[category])}")
    keys = list(before) + [k for k in after if k not in before]
    for key in [k for k in keys if k not in ("figures", "id")]:
        old_value, new_value = before.get(key), after.get(key)
        if old_value == new_value:
            continue
        short = all(isinstance(v, str | int | None) and len(str(v)) <= 60 for v in (old_value, new_value))
        if short:
            changes.append(f"{key}: {old_value or '(none)'} → {new_value or '(none)'}")
        else:
            changes.append(f"{key} changed")
    return changes


def report_data(view: View, matter_id: str | None, as_of: dt.date, known_at: str | None = None,
                charts: bool = True, command: str | None = None, policy: str = "latest",
                window_days: int = 0, head: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the report shows, as plain data (the status replayed under ``policy``).
    ``head`` (:func:`ledger.integrity.head.view_head`) names the log position and chain hash
    the report was computed at."""
    matter = queries.matter_document(view, matter_id)
    day = as_of.isoformat()
    status = queries.status(view, matter["id"], as_of, known_at, policy=policy, window_days=window_days)
    chart_svg = None
    if charts:
        from ledger import plot

        data = plot.chart_data(view, matter["id"], None, as_of, known_at, policy, window_days)
        found = data["discrepancies"]
        chart_svg = plot.svg_text(plot.draw(data))
    else:
        found = queries.check(view, matter["id"], as_of, known_at, policy=policy, window_days=window_days)
    standing = {(f["statement"], f.get("category") or c) for c, f in status["figures"].items() if f}

    statements = []
    for statement_id, held in TimelineReadModel(view).show_matter(matter["id"], Snapshot(known_at=known_at)).items():
        document = held["statement"]
        stated = PartialDate.parse(document["stated_on"])
        if stated.known and stated.end().isoformat() > day:  # type: ignore[union-attr]
            continue  # not yet stated on the report's date
        trail = []
        previous = None
        for version in held["trail"]:
            entry = {k: version[k] for k in ("event", "position", "recorded_at", "recorded_by", "reason")}
            entry["changes"] = (_changes(previous, version["document"])
                                if version["event"] == "corrected" and previous is not None else [])
            trail.append(entry)
            previous = version["document"]
        statements.append({
            "id": statement_id,
            "document": document,
            "status": held["status"],
            "stated_end": stated.end().isoformat() if stated.known else None,  # type: ignore[union-attr]
            "source": _source(document["source"]),
            "figures": [{"category": c, "text": figure_text(raw),
                         "stands": (statement_id, c) in standing and held["status"] != "retracted"}
                        for c, raw in document.get("figures", {}).items()],
            "citations": [{"outlet": c["outlet"], "published_on": c.get("published_on"), "url": c.get("url"),
                           "link": c.get("url") if _is_web(c.get("url")) else None}
                          for c in document.get("citations", [])],
            "trail": trail,
            "quote_parts": quote_parts(document["quote"], held.get("spans") or {}),  # numbers in <mark>
            "links": held.get("links"),
        })
    statements.sort(key=lambda s: (s["stated_end"] is None, s["stated_end"] or "", s["id"]))

    return {
        "matter": matter,
        "as_of": day,
        "known_at": known_at,
        "policy": status["policy"],
        "window_days": status["window_days"],
        "policy_summary": SUMMARIES[status["policy"]],
        "status": status,
        "status_rows": [
            {"category": c, "kind": matter["categories"][c]["kind"],
             "description": matter["categories"][c].get("description"), "figure": f,
             "text": _status_text(f) if f else None,
             "estimate": estimate_cells(f or status["derived"].get(c)),
             "source": _source(f["source"]) if f else None,
             "no_figure": no_figure_text(status["no_figure"].get(c)) if not f else None}
            for c, f in status["figures"].items()
        ],
        "check": found,
        "figures": figure_rows(view, matter["id"], as_of, known_at, policy=policy, window_days=window_days),
        "statements": statements,
        "statement_ids": {s["id"] for s in statements},
        "chart_svg": chart_svg,
        "charts": charts,
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "version": __version__,
        "command": command,
        "head": head,
    }


def estimate_cells(figure: dict[str, Any] | None) -> dict[str, str] | None:
    """The ``low``/``best``/``high`` cells of a status or derived figure, or None when they say no
    more than its value (an exact figure). An unbounded high is ``∞``, an unknown best ``—``."""
    if figure is None:
        return None
    value, low, best, high = figure.get("value"), figure.get("low"), figure.get("best"), figure.get("high")
    if value is not None and low in (None, value) and high in (None, value) and best in (None, value) \
            and (low is None) == (high is None):
        return None
    return {"low": "—" if low is None else str(low), "best": "—" if best is None else str(best),
            "high": "∞" if high is None else str(high)}


def _status_text(figure: dict[str, Any]) -> str:
    if figure["qualifier"] == "range":
        return f"{figure['low']}–{figure['high']}"
    return _FIGURE_PREFIX[figure["qualifier"]] + str(figure["value"])


def _source(source: dict[str, Any]) -> str:
    person = source.get("person")
    return f"{source['organization']} ({person})" if person else source["organization"]


def _is_web(url: str | None) -> bool:
    return bool(url) and url.lower().startswith(("https://", "http://"))  # type: ignore[union-attr]


def render(data: dict[str, Any]) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    env = Environment(loader=PackageLoader("ledger", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    svg = Markup(data["chart_svg"]) if data["chart_svg"] else None  # our own drawing, comments stripped
    return env.get_template(TEMPLATE).render(**{**data, "chart_svg": svg})

