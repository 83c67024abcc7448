"""Presentation: how a figure, a source, a date and a result are printed, in one place
(the command line, the HTML report and the charts use it).

Tables for people, JSON and CSV for programs, driven by the read model's results. JSON
keeps numbers as numbers; CSV spells booleans ``true``/``false`` and leaves nulls empty.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import click
import orjson

from ledger.text import csv_safe, terminal_safe

FORMATS = ("table", "json", "csv")


def err(message: str) -> None:
    click.echo(terminal_safe(message), err=True)


def safe(value: Any) -> str:
    """Text a user or a file supplied (a reason, a name, a venue, a quote, a message quoting
    them), for one line of output: control characters, newlines and bidirectional controls
    are shown as escapes (:mod:`ledger.text`). Tables do this per cell (:func:`cell`)."""
    return terminal_safe("" if value is None else value, keep_layout=False)


# --- figures, sources, texts ------------------------------------------------------------------


def figure_text(figure: dict[str, Any]) -> str:
    """A figure of a result in a table: its value, or low-high for a range (the qualifier
    has its own column)."""
    if figure["qualifier"] == "range":
        return f"{figure['low']}-{figure['high']}"
    return str(figure["value"])


def replayed_text(figure: dict[str, Any]) -> str:
    """A status figure in a table: the replay's own text (``12 + 2 + 1 = 15``, ``~130``,
    ``117-143 (best 130)`` under ``--policy estimate``), else as :func:`figure_text`."""
    return figure.get("text") or figure_text(figure)


def replay_note(policy: str, window_days: int) -> str:
    """How a heading names a replay that is not the default: `` (policy estimate, window 30 days)``
    (empty under ``latest`` with no window)."""
    if policy == "latest" and not window_days:
        return ""
    return f" (policy {policy}" + (f", window {window_days} days)" if window_days else ")")


def raw_figure_text(raw: Any) -> str:
    """A figure as written in a statement: 12, >=12, <=12, ~40, 35-50."""
    from ledger.domain.figures import Figure

    return str(Figure.from_input(raw))


def source_text(source: dict[str, Any]) -> str:
    """A source as people read it: ``Organization (Person)``."""
    return f"{source['organization']} ({source['person']})" if source.get("person") else source["organization"]


def citations_text(citations: Sequence[dict[str, Any]]) -> str:
    return " | ".join(", ".join(str(c[k]) for k in ("outlet", "published_on", "url") if c.get(k))
                      for c in citations)


def clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# Why a category has no standing figure (``status``'s ``no_figure``): a short cell, a sentence.
NO_FIGURE = {
    "never_stated": ("no figure yet", "no figure yet: no statement made by then gives one"),
    "retracted": ("retracted", "no figure: every figure stated by then was retracted"),
    "not_derivable": ("not derivable", "no figure: cannot be derived, a relation is violated (see the discrepancies)"),
}


def no_figure_text(reason: str | None) -> str:
    """Why a category has no standing figure, as a sentence."""
    return NO_FIGURE.get(reason or "never_stated", NO_FIGURE["never_stated"])[1]


def missing_text(report: dict[str, Any], category: str) -> str:
    """The status table's cell for a category without a standing figure."""
    derived = report["derived"].get(category)
    if derived:
        return f"{derived['text']} (derived)"
    return NO_FIGURE.get(report.get("no_figure", {}).get(category) or "never_stated", NO_FIGURE["never_stated"])[0]


def no_figure_notes(report: dict[str, Any]) -> list[str]:
    """Lines under a status table explaining the categories without a figure (other than never stated)."""
    return [f"{category}: {no_figure_text(reason)}" for category, reason in report.get("no_figure", {}).items()
            if reason != "never_stated"]


class Indented:
    """A text stream that indents what is written to it by two spaces (tables in lists)."""

    def write(self, text: str) -> None:
        click.echo("  " + text, nl=False)


# --- tables, JSON, CSV ------------------------------------------------------------------------


def cell(value: Any) -> str:
    """A value as one line of a table cell, safe for a terminal (see :mod:`ledger.text`)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    return terminal_safe(str(value).replace("\n", " "), keep_layout=False)


def _clip_cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], out: Any = None,
          max_width: int | None = None) -> None:
    """An aligned plain-text table; the widest column is clipped to fit the terminal."""
    out = out or sys.stdout
    texts = [[cell(v).replace("\n", " ") for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in texts]) for i, c in enumerate(columns)]
    limit = max_width or shutil.get_terminal_size((160, 24)).columns
    while sum(widths) + 2 * (len(widths) - 1) > limit and max(widths) > 12:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    line = "  ".join(_clip_cell(c, w).ljust(w) for c, w in zip(columns, widths, strict=True))
    out.write(line.rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in texts:
        out.write("  ".join(_clip_cell(v, w).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


def write_json(data: Any, out: TextIO | None = None) -> None:
    """``data`` as indented JSON (UTF-8, not escaped), rendered by orjson as the web API renders
    it (the standard library's indented encoder is pure Python: 3 s of a 25 s ``check``);
    what orjson refuses (an integer past 64 bits) by the standard library, the same JSON."""
    out = out or sys.stdout
    try:
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    out.write(text)
    out.write("\n")


def csv_cell(value: Any) -> Any:
    """One spelling everywhere: empty for null, true/false for booleans; text is made safe
    for terminals and spreadsheets (:func:`ledger.text.csv_safe`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_safe(value)


def write_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
