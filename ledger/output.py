"""Rendering results: aligned text tables for people, JSON and CSV for machines."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from ledger.text import terminal_safe

FORMATS = ("table", "json", "csv")


def cell(value: Any) -> str:
    """A value as one line of a table cell, safe for a terminal (see :mod:`ledger.text`)."""
    if value is None:
        return "-"
    return terminal_safe(str(value).replace("\n", " "), keep_layout=False)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None,
          max_width: int | None = None) -> None:
    """An aligned plain-text table; the widest column is clipped to fit the terminal."""
    out = out or sys.stdout
    texts = [[cell(v).replace("\n", " ") for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in texts]) for i, c in enumerate(columns)]
    limit = max_width or shutil.get_terminal_size((160, 24)).columns
    while sum(widths) + 2 * (len(widths) - 1) > limit and max(widths) > 12:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    line = "  ".join(_clip(c, w).ljust(w) for c, w in zip(columns, widths, strict=True))
    out.write(line.rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in texts:
        out.write("  ".join(_clip(v, w).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


def write_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
