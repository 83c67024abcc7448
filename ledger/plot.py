"""Timeline charts: every asserted figure, the replayed status, and where figures disagree.

``chart_data`` gathers what a chart shows from the query functions (no plotting
library needed); ``draw`` turns it into a matplotlib figure, one panel per category:

* each asserted figure is a point at the date it describes (the end of the period the
  source gave, with a horizontal bar over the whole period when it is a month or a
  year), coloured by source, shaped by qualifier; a range is a vertical error bar;
* the status replayed at every date on which it can change is a step line (a band
  where the standing figure or the derived one is an interval);
* discrepancies found by ``ledger check`` shade the panels of the categories they
  involve from the day they appear to the day they are resolved, and the figures of
  the statements involved are ringed in red.

matplotlib is an optional dependency (``pip install 'claims-ledger[plot]'``).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from typing import Any

from ledger import queries
from ledger.domain.dates import PartialDate
from ledger.domain.intervals import Interval
from ledger.domain.synonyms import timeline_key, timeline_members
View = Any  # a timeline view (see ledger.projections.views)

WIDTH_INCHES = 12.0
PANEL_HEIGHT_INCHES = 2.6
HEADER_INCHES = 1.6
COLUMNS = 2
DPI = 100
HARD_DISCREPANCIES = {
    "relation_violated", "conflicting_sources", "cumulative_decrease", "inconsistent_statement"}


class PlotUnavailableError(RuntimeError):
    """matplotlib is not installed."""


def require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlotUnavailableError(
            "charts need matplotlib, an optional dependency: pip install 'claims-ledger[plot]' "
            "(in this repository: .venv/bin/pip install -e '.[plot]')"
        ) from None


def _point_date(as_of: str, stated_on: str) -> tuple[dt.date, dt.date] | None:
    """The period a figure describes: (start, end); an unknown as_of means, at the latest, the
    day it was stated (as in the replay)."""
    date = PartialDate.parse(as_of)
    if not date.known:
        date = PartialDate.parse(stated_on)
        if not date.known:
            return None
        end = date.end()
        return end, end  # type: ignore[return-value]
    return date.start(), date.end()  # type: ignore[return-value]


def _interval(figure: dict[str, Any]) -> Interval:
    if figure.get("qualifier") == "derived":
        lo = figure["value"] if figure.get("value") is not None else figure.get("low")
        hi = figure["value"] if figure.get("value") is not None else figure.get("high")
        return Interval(lo if lo is not None else -math.inf, hi if hi is not None else math.inf)
    return Interval.of_figure(figure["qualifier"], figure.get("value"), figure.get("low"), figure.get("high"))


def source_label(source: dict[str, Any]) -> str:
    person = source.get("person")
    return f"{source['organization']} ({person})" if person else source["organization"]


def chart_data(view: View, matter_id: str | None = None, categories: list[str] | None = None,
               as_of: dt.date | None = None, known_at: str | None = None, policy: str = "latest",
               window_days: int = 0) -> dict[str, Any]:
    """Points, status steps (replayed under ``policy``) and discrepancies of the chosen
    categories (default: all)."""
    matter = queries.matter_document(view, matter_id)
    chosen = list(categories or matter["categories"])
    unknown = [c for c in chosen if c not in matter["categories"]]
    if unknown:
        raise queries.NotFoundError(
            f"matter {matter['id']!r} has no categor{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(map(repr, unknown))} (categories: {', '.join(matter['categories'])})")
    end = as_of or dt.date.today()
    panels: list[dict[str, Any]] = []
    change_days: set[dt.date] = set()
    undated = 0
    # A panel draws the figures stated under its own word, and the status step of the timeline it
    # belongs to (the category and its same_as synonyms): the step changes on the days of them all.
    keys = {category: timeline_key(matter["categories"], category) for category in chosen}
    for category in dict.fromkeys(m for key in keys.values() for m in timeline_members(matter["categories"], key)):
        if category in keys:
            continue
        for figure in queries.history(view, matter["id"], category, end, known_at)["figures"]:
            period = _point_date(figure["as_of"], figure["stated_on"])
            stated_end = PartialDate.parse(figure["stated_on"]).end()
            if period is not None:
                change_days.update(d for d in (period[1], stated_end) if d is not None and d <= end)
    for category in chosen:
        points = []
        for figure in queries.history(view, matter["id"], category, end, known_at)["figures"]:
            period = _point_date(figure["as_of"], figure["stated_on"])
            if period is None:
                undated += 1
                continue
            stated_end = PartialDate.parse(figure["stated_on"]).end()
            interval = _interval(figure)
            points.append({
                "start": period[0], "end": period[1], "value": figure.get("value"),
                "low": interval.lo, "high": interval.hi, "qualifier": figure["qualifier"],
                "text": str(interval) if figure["qualifier"] != "approx" else f"~{figure['value']}",
                "statement": figure["statement"], "source": source_label(figure["source"]),
                "as_of": figure["as_of"], "stated_on": figure["stated_on"],
            })
            change_days.update(d for d in (period[1], stated_end) if d is not None and d <= end)
        declared = matter["categories"][category]
        panels.append({"category": category, "timeline": keys[category], "kind": declared["kind"],
                       "description": declared.get("description"), "points": points, "steps": [],
                       "discrepancies": []})

    # The status can only change on a day some figure is stated or comes to describe the past.
    days = sorted(change_days | {end})
    replays = queries.statuses(view, matter["id"], [d.isoformat() for d in days], known_at, policy=policy,
                               window_days=window_days)
    for day, (_, report) in zip(days, replays, strict=True):
        for panel in panels:
            figure = report["figures"].get(panel["timeline"]) or report["derived"].get(panel["category"])
            if figure is None:
                panel["steps"].append({"day": day, "low": None, "high": None, "text": None})
                continue
            interval = _interval(figure if figure.get("qualifier") else {**figure, "qualifier": "derived"})
            panel["steps"].append({"day": day, "low": interval.lo, "high": interval.hi,
                                   "text": figure.get("text") or str(interval),
                                   "derived": figure.get("qualifier") == "derived"})

    found = queries.check(view, matter["id"], end, known_at, policy=policy, window_days=window_days)
    for item in found:
        for panel in panels:
            if panel["category"] in item["categories"] or panel["timeline"] in item["categories"]:
                panel["discrepancies"].append({
                    "kind": item["kind"], "first_seen": dt.date.fromisoformat(item["first_seen"]),
                    "resolved_on": (dt.date.fromisoformat(item["resolved_on"])
                                    if item["resolved_on"] else None),
                    "statements": item["statements"], "message": item["message"],
                    "hard": item["kind"] in HARD_DISCREPANCIES,
                })
    sources = sorted({p["source"] for panel in panels for p in panel["points"]})
    return {"matter": matter["id"], "title": matter["title"], "as_of": end, "known_at": known_at,
            "panels": panels, "sources": sources, "undated": undated, "discrepancies": found}


def figure_size(panels: int) -> tuple[float, float]:
    """Width and height in inches of a chart with this many category panels."""
    rows = max(1, math.ceil(panels / COLUMNS))
    return WIDTH_INCHES, HEADER_INCHES + rows * PANEL_HEIGHT_INCHES


def pixel_size(panels: int, dpi: int = DPI) -> tuple[int, int]:
    width, height = figure_size(panels)
    return round(width * dpi), round(height * dpi)


_QUALIFIER_MARKERS = {"exact": "o", "approx": "D", "at_least": "^", "at_most": "v", "range": "s"}
_QUALIFIER_LABELS = {"exact": "exact figure", "approx": "approximately", "at_least": "at least",
                     "at_most": "at most", "range": "range (bar: low to high)"}
_PALETTE = ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2", "#7f7f7f",
            "#bcbd22", "#393b79"]
_HARD, _SOFT, _STATUS = "#d62728", "#f2a541", "#333333"


def draw(data: dict[str, Any]) -> Any:
    """A matplotlib Figure of the chart data (not attached to pyplot).

    Text from the ledger is drawn as it is: no mathtext (a '$' in a name is a dollar).
    """
    require_matplotlib()
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        return _draw(data)


def _draw(data: dict[str, Any]) -> Any:
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    panels = data["panels"]
    rows = max(1, math.ceil(len(panels) / COLUMNS))
    columns = COLUMNS if len(panels) > 1 else 1
    fig = Figure(figsize=figure_size(len(panels)), dpi=DPI, layout="constrained")
    axes = fig.subplots(rows, columns, sharex=True, squeeze=False).ravel()
    colours = {s: _PALETTE[i % len(_PALETTE)] for i, s in enumerate(data["sources"])}
    end = data["as_of"]
    first = min([p["start"] for panel in panels for p in panel["points"]]
                + [s["day"] for panel in panels for s in panel["steps"] if s["low"] is not None] + [end])
    span = max((end - first).days, 30)
    pad = dt.timedelta(days=span * 0.04)  # clamped: --as-of 9999 must not overflow the calendar
    left = first - pad if first - dt.date.min > pad else dt.date.min
    right = end + pad if dt.date.max - end > pad else dt.date.max
    qualifiers_used: set[str] = set()
    kinds_used: set[bool] = set()

    for ax, panel in zip(axes, panels, strict=False):
        ax.set_xlim(left, right)
        _draw_spans(ax, panel["discrepancies"], right, kinds_used)
        _draw_steps(ax, panel, right)
        flagged = {s for item in panel["discrepancies"] if item["hard"] for s in item["statements"]}
        top = 0.0
        labelled = _labelled(panel["points"], DENSE_LABELS if len(panel["points"]) > DENSE_POINTS
                             else LABELLED_POINTS)
        if len(panel["points"]) > DENSE_POINTS:
            top = _draw_dense(ax, panel["points"], colours, flagged, qualifiers_used, labelled)
        else:
            top = _draw_points(ax, panel["points"], colours, flagged, qualifiers_used, labelled)
        for step in panel["steps"]:
            for bound in (step["low"], step["high"]):
                if bound is not None and math.isfinite(bound):
                    top = max(top, bound)
        ax.set_ylim(0, max(1.0, top) * 1.22)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        title = f"{panel['category']} ({panel['kind']})"
        if panel["description"]:
            title += f": {panel['description']}"
        ax.set_title(_shorten(title, 70), fontsize=10, loc="left")
        ax.set_ylabel("count")
        ax.grid(True, axis="y", alpha=0.3)
        if not panel["points"] and all(s["low"] is None for s in panel["steps"]):
            ax.text(0.5, 0.5, "no figure stated", transform=ax.transAxes, ha="center", va="center",
                    color="#888888")
        locator = _date_locator(left, right)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.tick_params(axis="x", labelbottom=True)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    for ax in axes[max(0, len(panels) - columns):len(panels)]:
        ax.set_xlabel("date the figure describes (points); replay date (status line)")

    handles: list[Any] = [Line2D([], [], color=colours[s], marker="o", ls="none", ms=7,
                                 label=_shorten(s, 60))
                          for s in data["sources"]]
    handles += [Line2D([], [], color="#555555", marker=_QUALIFIER_MARKERS[q], ls="none", ms=7,
                       label=_QUALIFIER_LABELS[q]) for q in _QUALIFIER_MARKERS if q in qualifiers_used]
    handles.append(Line2D([], [], color=_STATUS, lw=1.8, drawstyle="steps-post", label="status replayed"))
    if True in kinds_used:
        handles.append(Patch(color=_HARD, alpha=0.3, label="discrepancy (figures do not add up)"))
        handles.append(Line2D([], [], marker="o", ms=11, mfc="none", mec=_HARD, mew=2, ls="none",
                              label="figure involved in it"))
    if False in kinds_used:
        handles.append(Patch(color=_SOFT, alpha=0.35, label="stale inputs (figures far apart in time)"))
    if any(p["start"] != p["end"] for panel in panels for p in panel["points"]):
        handles.append(Line2D([], [], color="#555555", marker="|", ms=8, lw=1.2,
                              label="bar: the month or year the source gave"))
    if any(s.get("derived") for panel in panels for s in panel["steps"]):
        handles.append(Line2D([], [], color=_STATUS, lw=1.8, ls="--", label="derived from a relation"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)), fontsize=9,
               frameon=False)
    subtitle = f"figures as stated and the official picture replayed, up to {end.isoformat()}"
    if data["known_at"]:
        subtitle += f", as known to the ledger at {data['known_at']}"
    if data["undated"]:
        subtitle += f"; {data['undated']} figure(s) with no date not shown"
    fig.suptitle(f"{_shorten(data['title'], 90)}\n{subtitle}", fontsize=12)
    return fig


def _draw_spans(ax: Any, discrepancies: list[dict[str, Any]], right: dt.date, kinds_used: set[bool]) -> None:
    """Each discrepancy as a band from the day it appeared to the day it ended, full height;
    one collection per kind (hundreds of separate patches made a big matter's chart slow),
    overlapping bands still darkening where discrepancies pile up."""
    import matplotlib.dates as mdates

    for hard in (True, False):
        spans = [(mdates.date2num(d["first_seen"]), mdates.date2num(d["resolved_on"] or right))
                 for d in discrepancies if d["hard"] is hard]
        if not spans:
            continue
        kinds_used.add(hard)
        ax.broken_barh([(start, max(end - start, 0)) for start, end in spans], (0, 1),
                       transform=ax.get_xaxis_transform(), color=_HARD if hard else _SOFT,
                       alpha=0.13 if hard else 0.12, lw=0, zorder=0)


def _date_locator(left: dt.date, right: dt.date) -> Any:
    """About eight ticks on whole days, months or years (cheaper than AutoDateLocator, which
    matplotlib re-evaluates on every layout pass)."""
    import matplotlib.dates as mdates

    days = (right - left).days
    if days <= 70:
        return mdates.DayLocator(interval=max(1, math.ceil(days / 8)))
    months = days / 30.4
    if months <= 40:
        return mdates.MonthLocator(interval=max(1, math.ceil(months / 8)))
    return mdates.YearLocator(base=max(1, math.ceil(months / 12 / 8)))


DENSE_POINTS = 200  # more figures than this in a panel: drawn as a density of small marks
LABELLED_POINTS = 24  # at most this many figures of a panel carry their value as a label
DENSE_LABELS = 10  # ... and of a dense panel (its marks crowd: fewer labels stay readable)


def _labelled(points: list[dict[str, Any]], most: int = LABELLED_POINTS) -> set[int]:
    """The points that get a label: all of few; else about ``most`` spread evenly in time
    (labels of hundreds of points pile up into an unreadable block)."""
    if len(points) <= most:
        return {id(p) for p in points}
    ordered = sorted(points, key=lambda p: p["end"])
    step = len(ordered) / most
    return {id(ordered[min(len(ordered) - 1, int(i * step + step / 2))]) for i in range(most)}


def _draw_points(ax: Any, points: list[dict[str, Any]], colours: dict[str, str], flagged: set[str],
                 qualifiers_used: set[str], labelled: set[int]) -> float:
    """Figures as markers by source and qualifier, a range as a vertical bar (an approximate
    figure too: its ±10%), the month or year a source gave as a bar back to its start; figures
    involved in a discrepancy ringed. One errorbar per source and qualifier (a call per point
    made a chart of a thousand figures slow). Returns the highest value drawn."""
    import matplotlib.dates as mdates

    groups: dict[tuple[str, str], list[tuple[float, float, float, float, float]]] = {}
    ringed: tuple[list[float], list[float]] = ([], [])
    top = 0.0
    for point in points:
        lo, hi = point["low"], point["high"]
        y = point["value"] if point["value"] is not None else (lo + hi) / 2
        x = mdates.date2num(point["end"])
        bar = point["qualifier"] in ("range", "approx")
        groups.setdefault((point["source"], point["qualifier"]), []).append(
            (x, y, (point["end"] - point["start"]).days, y - lo if bar else 0.0, hi - y if bar else 0.0))
        if point["statement"] in flagged:
            ringed[0].append(x)
            ringed[1].append(y)
        if id(point) in labelled:
            ax.annotate(point["text"], (point["end"], y), xytext=(6, 5), textcoords="offset points",
                        fontsize=8, color=colours[point["source"]], zorder=6, in_layout=False)
        top = max(top, y, hi if math.isfinite(hi) else y)
    for (source, qualifier), rows in groups.items():
        qualifiers_used.add(qualifier)
        xs, ys, back, down, up = (list(column) for column in zip(*rows, strict=True))
        xerr = [back, [0.0] * len(back)] if any(back) else None
        yerr = [down, up] if any(down) or any(up) else None
        ax.errorbar(xs, ys, xerr=xerr, yerr=yerr, fmt=_QUALIFIER_MARKERS[qualifier], color=colours[source],
                    ms=7, capsize=3, elinewidth=1.4, zorder=4)
    if ringed[0]:
        ax.plot(*ringed, "o", ms=15, mfc="none", mec=_HARD, mew=2, zorder=5)
    return top


def _draw_dense(ax: Any, points: list[dict[str, Any]], colours: dict[str, str], flagged: set[str],
                qualifiers_used: set[str], labelled: set[int]) -> float:
    """Many figures: one scatter per source and qualifier of small translucent marks (where
    they crowd, the colour deepens), ranges as thin vertical lines, no period bars; figures
    involved in a discrepancy ringed. Returns the highest value drawn."""
    import matplotlib.dates as mdates
    from matplotlib.collections import LineCollection

    groups: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    ranges: dict[str, list[Any]] = {}
    ringed: tuple[list[float], list[float]] = ([], [])
    top = 0.0
    for point in points:
        lo, hi = point["low"], point["high"]
        y = point["value"] if point["value"] is not None else (lo + hi) / 2
        x = mdates.date2num(point["end"])
        xs, ys = groups.setdefault((point["source"], point["qualifier"]), ([], []))
        xs.append(x)
        ys.append(y)
        if point["qualifier"] == "range":
            ranges.setdefault(point["source"], []).append([(x, lo), (x, hi)])
        if point["statement"] in flagged:
            ringed[0].append(x)
            ringed[1].append(y)
        if id(point) in labelled:
            ax.annotate(point["text"], (point["end"], y), xytext=(4, 4), textcoords="offset points",
                        fontsize=7, color=colours[point["source"]], zorder=6, in_layout=False)
        top = max(top, y, hi if math.isfinite(hi) else y)
    for (source, qualifier), (xs, ys) in groups.items():
        qualifiers_used.add(qualifier)
        ax.scatter(xs, ys, s=10, marker=_QUALIFIER_MARKERS[qualifier], color=colours[source], alpha=0.35,
                   linewidths=0, zorder=4)
    for source, segments in ranges.items():
        ax.add_collection(LineCollection(segments, colors=colours[source], linewidths=0.6, alpha=0.35, zorder=4))
    if ringed[0]:
        ax.scatter(*ringed, s=40, facecolors="none", edgecolors=_HARD, linewidths=0.8, zorder=5)
    return top


def _step_line(low: float, high: float) -> float:
    """Where the status line runs for an interval: an exact figure or a range at its low end,
    "at least N" at N, and "at most N" ([0, N]) at its bound N, not at 0 (which would look
    like a fall to zero)."""
    if math.isnan(low):
        return low
    if low == 0 and math.isfinite(high) and high > 0:
        return high
    return low


def _draw_steps(ax: Any, panel: dict[str, Any], right: dt.date) -> None:
    steps = panel["steps"]
    if not steps or all(s["low"] is None for s in steps):
        return
    days = [s["day"] for s in steps] + [right]
    lows = [s["low"] if s["low"] is not None else math.nan for s in steps]
    highs = [s["high"] if s["high"] is not None and math.isfinite(s["high"]) else math.nan for s in steps]
    lows, highs = lows + lows[-1:], highs + highs[-1:]
    exact = all(lo == hi or math.isnan(hi) for lo, hi in zip(lows, highs, strict=True))
    derived = any(s.get("derived") for s in steps)
    style = {"color": _STATUS, "lw": 1.8, "ls": "--" if derived else "-", "zorder": 3}
    line = [_step_line(lo, hi) for lo, hi in zip(lows, highs, strict=True)]
    if exact:
        ax.step(days, line, where="post", **style)
    else:
        tops = [h if not math.isnan(h) else lo for h, lo in zip(highs, lows, strict=True)]
        ax.fill_between(days, lows, tops,
                        step="post", color=_STATUS, alpha=0.15, lw=0, zorder=2)
        ax.step(days, line, where="post", **style)
    lows = line
    index = next((i for i in range(len(steps) - 1, -1, -1) if steps[i]["text"]), None)
    if index is not None:
        # label the last stretch with a figure, at its right end
        x = days[index + 1] if index + 1 < len(steps) else right
        ax.annotate(("derived " if derived else "") + f"status {steps[index]['text']}", (x, lows[index]),
                    xytext=(-4, -12), textcoords="offset points", ha="right", fontsize=8, color=_STATUS,
                    in_layout=False)


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def save(fig: Any, path: str) -> None:
    """PNG or SVG, by the file's extension; metadata without dates, so output is reproducible."""
    fmt = path.rsplit(".", 1)[-1].lower()
    metadata = {"Software": "claims-ledger"} if fmt == "png" else {"Date": None, "Creator": "claims-ledger"}
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "claims-ledger"}):
        fig.savefig(path, format=fmt, dpi=DPI, metadata=metadata)


def svg_text(fig: Any) -> str:
    """The chart as an ``<svg>`` element to inline into HTML: no XML prolog, DOCTYPE,
    comments or metadata (matplotlib writes each text as a comment; text from statements
    must not reach the page unescaped). Text stays text (``<text>``, escaped by matplotlib,
    in the page's own sans-serif: no font is loaded): drawing every glyph as a path cost a
    third of a big matter's report and most of its chart's bytes."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "claims-ledger", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None,
                                                     "Type": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # Inline in HTML the parser supplies the SVG and xlink namespaces: leave no URL behind.
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text, count=2)


SUFFIXES = (".png", ".svg")
