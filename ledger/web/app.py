"""The HTTP application: the JSON API under ``/api/`` and the pages (see :mod:`ledger.web.pages`).

Read-only: every route is a GET over :class:`ledger.reads.Reader`, the one adapter between
the interfaces and the read model. Answers are the JSON the CLI prints for the same
question. Bad parameters give 422 naming the field (FastAPI's own shape), unknown ids 404,
and a database that cannot be reached 503 with ``Retry-After``; the reader is opened on
the first request that can reach the database, and each request tries again, so the
server keeps serving once the database is back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson
from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from ledger import __version__
from ledger.domain.policies import MAX_WINDOW_DAYS, POLICIES
from ledger.readmodel import results as r
from ledger.readmodel.log_results import LogEntry, LogHead
from ledger.reads import BadParameter, NotFoundError, Reader, parse_date, parse_known_at, snapshot

RETRY_AFTER_SECONDS = 5


class JSON(JSONResponse):
    """JSON rendered by orjson (a JSONResponse, so OpenAPI shows the result models)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class DatabaseUnavailable(Exception):
    """The database could not be reached or failed: 503, try again later."""


def database_failures() -> tuple[type[BaseException], ...]:
    """What a database that is down, unreachable or failing raises (answered with 503)."""
    import sqlite3

    import psycopg
    from eventsourcing.persistence import PersistenceError

    return (PersistenceError, psycopg.Error, sqlite3.Error, ConnectionError, DatabaseUnavailable)


class Readers:
    """The reader of this process, opened on first use (again after a failed opening)."""

    def __init__(self, url: str | None, catch_up: bool) -> None:
        self.url, self.catch_up = url, catch_up
        self._reader: Reader | None = None
        self._lock = threading.Lock()

    def get(self) -> Reader:
        reader = self._reader
        if reader is not None:
            return reader
        with self._lock:
            if self._reader is None:
                self._reader = Reader(self.url, catch_up=self.catch_up)
            return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def create_app(url: str | None = None, catch_up: bool = True) -> FastAPI:
    """The application for the ledger at ``url`` (default: $LEDGER_DB, else sqlite:///ledger.db)."""
    from contextlib import asynccontextmanager

    readers = Readers(url, catch_up)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        # Routes are plain functions run on worker threads. At most THREADS at once: each
        # holds one pooled connection, so the pools (SQLite keeps 5, the PostgreSQL pool
        # reuses its own) are never exceeded and no request opens a connection of its own;
        # more threads than that only contend for the two cores.
        from anyio import to_thread

        to_thread.current_default_thread_limiter().total_tokens = web_threads()
        yield
        readers.close()

    app = FastAPI(
        title="Claims Ledger", version=__version__, lifespan=lifespan, default_response_class=JSON,
        description="Read-only API over the ledger: the same answers as the CLI's `--format json`. "
                    "Dates: YYYY, YYYY-MM or YYYY-MM-DD (a month or year counts from its end); "
                    "known_at: YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM] (a bare date is the end of that day).",
    )
    app.state.readers = readers
    _error_handlers(app)
    _api_routes(app, readers.get)
    from ledger.web.pages import page_routes

    page_routes(app, readers.get)
    return app


def web_threads() -> int:
    """Requests answered at once by one worker process ($LEDGER_WEB_THREADS, default 4)."""
    try:
        return max(1, min(64, int(os.environ.get("LEDGER_WEB_THREADS", "4"))))
    except ValueError:
        return 4


def app_from_environment() -> FastAPI:
    """For uvicorn's workers (``ledger serve --workers N``): settings from the environment."""
    catch_up = os.environ.get("LEDGER_CATCH_UP", "1").lower() not in ("0", "false", "no", "off")
    return create_app(os.environ.get("LEDGER_DB"), catch_up)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/openapi", "/docs"))


def _error_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError

    def unprocessable(request: Request, field: str, message: str, place: str = "query") -> Response:
        if wants_html(request):
            from ledger.web.pages import error_page

            return error_page(422, f"{field}: {message}")
        return JSON({"detail": [{"loc": [place, field], "msg": message, "type": "value_error"}]}, 422)

    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, error: BadParameter) -> Response:
        place = "path" if error.field in request.path_params else "query"
        return unprocessable(request, error.field, error.message, place)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        if wants_html(request):
            first = error.errors()[0]
            return unprocessable(request, str(first["loc"][-1]), first["msg"])
        return JSON({"detail": [{k: v for k, v in e.items() if k in ("loc", "msg", "type")}
                                for e in error.errors()]}, 422)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, error: NotFoundError) -> Response:
        if wants_html(request):
            from ledger.web.pages import error_page

            return error_page(404, str(error.args[0]))
        return JSON({"detail": str(error.args[0])}, 404)

    async def failure(request: Request, error: Exception) -> Response:
        detail = (str(error).strip().splitlines() or [type(error).__name__])[0]
        message = f"database unavailable: {detail}; try again in {RETRY_AFTER_SECONDS} s"
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if wants_html(request):
            from ledger.web.pages import error_page

            response = error_page(503, message)
            response.headers.update(headers)
            return response
        return JSON({"detail": message, "retry_after": RETRY_AFTER_SECONDS}, 503, headers=headers)

    for kind in database_failures():
        app.add_exception_handler(kind, failure)


# --- the JSON API (these paths are the contract of issue 16) ------------------------------------

AS_OF = Query(None, description="Replay statements made by this date (default today).")
KNOWN_AT = Query(None, description="Only what the ledger had recorded by then (default now).")
POLICY = Query(None, description=f"Replay policy: {', '.join(POLICIES)} (default latest).")
WINDOW = Query(None, ge=0, le=MAX_WINDOW_DAYS, description="Widen the replay window by this many days "
               "(as --window DAYS; default 0).")
# The read model's result models (one model, one shape: what --format json prints), named for
# OpenAPI. Fields a result leaves out (e.g. low/high of an exact figure) stay out. The routes
# return the read model's data as the CLI prints it (orjson), not validated again per request:
# tests validate every command's JSON against these models and compare the API's with the CLI's.
SHAPE: dict[str, Any] = {"response_model_exclude_unset": True, "response_class": JSON}


def _api_routes(app: FastAPI, reader: Callable[[], Reader]) -> None:
    @app.get("/api/matters", tags=["matters"], summary="The matters with their categories",
             response_model=list[r.MatterSummary], **SHAPE)
    def matters() -> Any:
        return JSON(reader().matters())

    @app.get("/api/matters/{matter}/status", tags=["matters"],
             summary="The official picture as of a date (as `ledger status --format json`)",
             response_model=r.StatusResult, **SHAPE)
    def status(matter: str, as_of: str | None = AS_OF, known_at: str | None = KNOWN_AT,
               policy: str | None = POLICY, window: int | None = WINDOW,
               stale_days: int | None = Query(None, ge=0, description="Staleness limit in days.")) -> Any:
        return JSON(reader().status(matter, snapshot(as_of, known_at, policy, window), stale_days))

    @app.get("/api/matters/{matter}/history/{category}", tags=["matters"],
             summary="Every figure asserted for a category (as `ledger history`)",
             response_model=r.HistoryResult, **SHAPE)
    def history(matter: str, category: str, as_of: str | None = Query(None, description="Only statements "
                "made by this date (default: all; the figure standing today is marked)."),
                known_at: str | None = KNOWN_AT, policy: str | None = POLICY, window: int | None = WINDOW) -> Any:
        snap = snapshot(as_of, known_at, policy, window)
        return JSON(reader().history(matter, category, snap if as_of else replace(snap, as_of=None)))

    @app.get("/api/matters/{matter}/trace/{category}", tags=["matters"],
             summary="Why the status shows a figure, and every other figure of its timeline (as `ledger trace`)",
             response_model=r.TraceResult, **SHAPE)
    def trace(matter: str, category: str, as_of: str | None = AS_OF, known_at: str | None = KNOWN_AT,
              policy: str | None = POLICY, window: int | None = WINDOW) -> Any:
        return JSON(reader().trace(matter, category, snapshot(as_of, known_at, policy, window)))

    @app.get("/api/matters/{matter}/series", tags=["matters"],
             summary="The status replayed at each step between two dates")
    def series(matter: str, from_: str = Query(..., alias="from", description="First date."),
               to: str = Query(..., description="Last date."),
               every: str = Query("month", description="day, week, month or year."),
               category: str | None = Query(None), known_at: str | None = KNOWN_AT,
               policy: str | None = POLICY, window: int | None = WINDOW) -> Any:
        start, end = parse_date(from_, "from"), parse_date(to, "to")
        snap = snapshot(end, known_at, policy, window)
        return JSON(reader().series(matter, start, end, every, snap, category))

    @app.get("/api/matters/{matter}/diff", tags=["matters"],
             summary="What changed in the status between two dates")
    def diff(matter: str, from_: str = Query(..., alias="from", description="Earlier date."),
             to: str = Query(..., description="Later date."), known_at: str | None = KNOWN_AT,
             known_at_to: str | None = Query(None, description="Audit diff: the day `to` as known at "
                                             "`known_at` against as known at this moment."),
             policy: str | None = POLICY, window: int | None = WINDOW) -> Any:
        start, end = parse_date(from_, "from"), parse_date(to, "to")
        later = parse_known_at(known_at_to, "known_at_to")
        return JSON(reader().diff(matter, start, end, snapshot(end, known_at, policy, window), later))

    @app.get("/api/matters/{matter}/check", tags=["matters"],
             summary="Discrepancies over the whole timeline (as `ledger check --format json`)",
             response_model=list[r.CheckItem], **SHAPE)
    def check(matter: str, as_of: str | None = AS_OF, known_at: str | None = KNOWN_AT,
              policy: str | None = POLICY, window: int | None = WINDOW,
              stale_days: int | None = Query(None, ge=0)) -> Any:
        return JSON(reader().check(matter, snapshot(as_of, known_at, policy, window), stale_days))

    @app.get("/api/statements/{statement_id}", tags=["statements"],
             summary="One statement with its trail (as `ledger show --format json`)",
             response_model=r.ShowResult, **SHAPE)
    def statement(statement_id: str = Path(...), known_at: str | None = KNOWN_AT) -> Any:
        return JSON(reader().statement(statement_id, snapshot(None, known_at).known_at))

    @app.get("/api/sources", tags=["sources"], summary="Who asserted what (as `ledger sources`)",
             response_model=list[r.SourceEntity], **SHAPE)
    def sources(matter: str | None = Query(None), known_at: str | None = KNOWN_AT) -> Any:
        return JSON(reader().sources(matter, snapshot(None, known_at).known_at))

    @app.get("/api/audit", tags=["audit"], summary="The event log (as `ledger log --format json`)",
             response_model=list[LogEntry], **SHAPE)
    def audit(since: int = Query(0, ge=0, description="Only events after this position."),
              limit: int = Query(100, ge=1, le=10_000)) -> Any:
        return JSON(reader().log(since, limit))

    @app.get("/api/log/head", tags=["audit"],
             summary="The log position and chain hash the answers are computed at",
             response_model=LogHead, **SHAPE)
    def head() -> Any:
        return JSON(reader().head())
