"""Server-rendered pages (Jinja2, autoescaped; no build step, nothing loaded from elsewhere).

Each page is computed for one snapshot given in its URL (``as_of``, ``known_at``,
``policy``, ``window``), so its address is its permalink, and it names the log head it was computed
at. The matter page's slider and known-at selector work through plain links and a GET
form; with script on, ``/static/matter.js`` replays the status in place from the JSON API.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from ledger.reads import Reader, Snapshot, parse_date, snapshot, url_params

# As the report, plus our own script and fetches to our own API (no inline script).
CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
STATIC = {"ledger.css": "text/css; charset=utf-8", "matter.js": "text/javascript; charset=utf-8"}
_PREFIX = {"exact": "", "at_least": "≥", "at_most": "≤", "approx": "~"}


def figure_text(figure: dict[str, Any] | None) -> str:
    """How the pages print a standing figure (static/matter.js prints it the same way)."""
    if not figure:
        return "no figure yet"
    if figure["qualifier"] == "range":
        return f"{figure['low']}–{figure['high']}"
    return _PREFIX[figure["qualifier"]] + str(figure["value"])


def raw_figure_text(raw: Any) -> str:
    """A figure as the statement's document gives it (``ledger show`` prints it the same)."""
    from ledger.domain.figures import Figure

    return str(Figure.from_input(raw))


def source_text(source: dict[str, Any]) -> str:
    person = source.get("person")
    return f"{source['organization']} ({person})" if person else source["organization"]


@functools.cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("ledger.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["figure"] = figure_text
    env.filters["source"] = source_text
    env.filters["raw_figure"] = raw_figure_text
    env.filters["query"] = lambda params: urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return env


def html(template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    from ledger import __version__

    text = _environment().get_template(template).render(version=__version__, **data)
    return HTMLResponse(text, status_code, headers={"Content-Security-Policy": CSP,
                                                    "X-Content-Type-Options": "nosniff",
                                                    "Referrer-Policy": "no-referrer"})


def error_page(status_code: int, message: str) -> HTMLResponse:
    titles = {404: "Not found", 422: "Bad parameter", 503: "Database unavailable"}
    return html("error.html.j2", status_code, title=titles.get(status_code, "Error"), message=message,
                code=status_code)


@functools.lru_cache(maxsize=64)
def _chart(reader: Reader, matter: str, categories: tuple[str, ...] | None, snap: Snapshot,
           position: int) -> str | None:
    """The report's chart, drawn once per matter, snapshot and log position (a second or so)."""
    return reader.chart_svg(matter, list(categories) if categories else None, snap)


@functools.lru_cache(maxsize=64)
def _recording_days(reader: Reader, matter: str, position: int) -> list[str]:
    return reader.recording_days(matter)


@functools.lru_cache(maxsize=64)
def _slider_dates(reader: Reader, matter: str, known_at: str | None, position: int) -> list[str]:
    return reader.statement_dates(matter, known_at)


@functools.cache
def _charts_available() -> bool:
    from ledger import plot

    try:
        plot.require_matplotlib()
    except plot.PlotUnavailableError:
        return False
    return True


def _markup(svg: str | None) -> Any:
    from markupsafe import Markup

    return Markup(svg) if svg else None  # our own drawing (ledger.plot strips comments)


def _common(reader: Reader, request: Request, snap: Snapshot | None) -> dict[str, Any]:
    head = reader.head()
    return {"head": head, "snap": snap, "params": url_params(snap) if snap else {},
            "permalink": _permalink(request, snap), "path": request.url.path}


def _permalink(request: Request, snap: Snapshot | None) -> str:
    """This page's address with the snapshot spelled out (today's date made explicit)."""
    params = dict(request.query_params)
    if snap is not None:
        params.update(url_params(snap))
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return request.url.path + (f"?{query}" if query else "")


def page_routes(app: FastAPI, reader: Callable[[], Reader]) -> None:
    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in STATIC:
            from ledger.reads import NotFoundError

            raise NotFoundError(f"no file {name!r}")
        body = resources.files("ledger.web").joinpath("static", name).read_bytes()
        return Response(body, media_type=STATIC[name], headers={"Cache-Control": "max-age=300",
                                                                 "X-Content-Type-Options": "nosniff"})

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> HTMLResponse:
        r = reader()
        return html("index.html.j2", title="Claims Ledger", matters=r.matters(), **_common(r, request, None))

    @app.get("/matters/{matter}", include_in_schema=False)
    def matter_page(request: Request, matter: str, as_of: str | None = None, known_at: str | None = None,
                    policy: str | None = None, window: str | None = None) -> HTMLResponse:
        r = reader()
        snap = snapshot(as_of, known_at, policy, window)
        common = _common(r, request, snap)
        status = r.status(matter, snap)
        document = r.matter(status["matter"])
        position = common["head"]["position"]
        dates = _slider_dates(r, status["matter"], snap.known_at, position)
        day = snap.as_of.isoformat()
        stop = max([i for i, d in enumerate(dates) if d <= day], default=0)
        recorded = _recording_days(r, status["matter"], position)
        rows = [{"category": c, "kind": document["categories"][c]["kind"],
                 "description": document["categories"][c].get("description"), "figure": f,
                 "derived": status["derived"].get(c)} for c, f in status["figures"].items()]
        return html("matter.html.j2", title=f"{status['title']} as of {day}", status=status, rows=rows,
                    dates=dates, stop=stop, recorded=recorded, document=document,
                    charts=_charts_available(), **common)

    @app.get("/matters/{matter}/chart.svg", include_in_schema=False)
    def matter_chart(matter: str, as_of: str | None = None, known_at: str | None = None,
                     policy: str | None = None, window: str | None = None) -> Response:
        """The matter's timelines as of the snapshot (the matter page's chart; its script
        asks again for the slider's date, so the chart follows the slider)."""
        r = reader()
        snap = snapshot(as_of, known_at, policy, window)
        document = r.matter(matter)
        svg = _chart(r, document["id"], None, snap, r.head()["position"])
        if svg is None:
            from ledger.reads import NotFoundError

            raise NotFoundError("charts need matplotlib: pip install 'claims-ledger[web]'")
        # svg_text strips the namespaces (it is made to be inlined); a document needs them
        svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" '
                                   'xmlns:xlink="http://www.w3.org/1999/xlink" ', 1)
        return Response(svg, media_type="image/svg+xml", headers={
            "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=60"})

    @app.get("/matters/{matter}/history/{category}", include_in_schema=False)
    def history_page(request: Request, matter: str, category: str, as_of: str | None = None,
                     known_at: str | None = None, policy: str | None = None,
                     window: str | None = None) -> HTMLResponse:
        r = reader()
        snap = snapshot(as_of, known_at, policy, window)
        common = _common(r, request, snap)
        history = r.history(matter, category, snap)
        chart = _chart(r, history["matter"], (category,), snap, common["head"]["position"])
        return html("history.html.j2", title=f"{category} in {history['matter']}", history=history,
                    chart_svg=_markup(chart), **common)

    @app.get("/matters/{matter}/diff", include_in_schema=False)
    def diff_page(request: Request, matter: str, from_: str | None = Query(None, alias="from"),
                  to: str | None = None, known_at: str | None = None,
                  policy: str | None = None, window: str | None = None) -> HTMLResponse:
        r = reader()
        end = parse_date(to, "to") if to else dt.date.today()
        start = parse_date(from_, "from") if from_ else end - dt.timedelta(days=90)
        snap = snapshot(end, known_at, policy, window)
        common = _common(r, request, snap)
        common["params"] = {k: v for k, v in url_params(snap).items() if k != "as_of"}
        common["permalink"] = request.url.path + "?" + urlencode(
            {"from": start.isoformat(), "to": end.isoformat(), **common["params"]})
        return html("diff.html.j2", title=f"What changed in {matter}", diff=r.diff(matter, start, end, snap),
                    **common)

    @app.get("/statements/{statement_id}", include_in_schema=False)
    def statement_page(request: Request, statement_id: str, known_at: str | None = None,
                       as_of: str | None = None, policy: str | None = None,
                       window: str | None = None) -> HTMLResponse:
        r = reader()
        snap = snapshot(as_of, known_at, policy, window)
        held = r.statement(statement_id, snap.known_at)
        return html("statement.html.j2", title=f"Statement {statement_id}", held=held,
                    s=held["statement"], **_common(r, request, snap))

    @app.get("/sources", include_in_schema=False)
    def sources_page(request: Request, known_at: str | None = None,
                     matter: str | None = None) -> HTMLResponse:
        r = reader()
        snap = snapshot(None, known_at)
        return html("sources.html.j2", title="Sources", sources=r.sources(matter, snap.known_at),
                    **_common(r, request, snap))

    @app.get("/sources/{name}", include_in_schema=False)
    def source_page(request: Request, name: str, as_of: str | None = None, known_at: str | None = None,
                    policy: str | None = None, window: str | None = None) -> HTMLResponse:
        r = reader()
        snap = snapshot(as_of, known_at, policy, window)
        report = r.audit_source(name, snap)
        if not report["statements"]:
            from ledger.reads import NotFoundError

            raise NotFoundError(f"no statement by a source matching {name!r}")
        return html("source.html.j2", title=f"Source: {name}", report=report, name=name,
                    **_common(r, request, snap))

    @app.get("/audit", include_in_schema=False)
    def audit_page(request: Request, since: int = Query(0, ge=0),
                   limit: int = Query(100, ge=1, le=1000)) -> HTMLResponse:
        r = reader()
        entries = r.log(since, limit)
        return html("audit.html.j2", title="Event log", entries=entries, since=since, limit=limit,
                    **_common(r, request, None))

