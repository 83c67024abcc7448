"""``ledger serve``: the web view and JSON API on uvicorn (read-only)."""

from __future__ import annotations

import os
import sys

import click


def _require_web() -> None:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise click.UsageError(
            "the web view needs FastAPI and uvicorn, an optional dependency: "
            "pip install 'claims-ledger[web]' "
            "(in this repository: .venv/bin/pip install -e '.[web]')") from None


@click.command()
@click.option("--db", "db_option", metavar="URL", default=None,
              help="Database URL (default: the global --db, $LEDGER_DB, else sqlite:///ledger.db).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (each opens its own connections; $LEDGER_WEB_THREADS requests at once "
                   "per worker, default 4).")
@click.pass_context
def serve(ctx: click.Context, db_option: str | None, host: str, port: int, workers: int) -> None:
    """Serve the web view and the read-only JSON API (FastAPI on uvicorn).

    Pages at / and /matters/MATTER (a date slider replays the status), the JSON API
    under /api/ (the same answers as --format json), OpenAPI at /docs. No endpoint
    writes to the event log. With the global --no-catch-up (a replica, the auditor role,
    or a `ledger follow` process beside it) the projections are read as they are;
    otherwise they are brought up to date at most once a second. A database outage
    gives 503 with Retry-After, and the server answers again once it is back.
    Needs the extra: pip install 'claims-ledger[web]'.

    \b
    Examples:
      ledger serve                                   # http://127.0.0.1:8000/ (until stopped; not run)
      ledger --no-catch-up serve --db postgresql://ledger_auditor@replica:5432/ledger --workers 2
      curl 'http://127.0.0.1:8000/api/matters/indians-in-russian-army/status?as_of=2025-08-15'
    """
    _require_web()
    import uvicorn

    from ledger.storage import DatabaseURLError, parse_url

    obj = ctx.obj or {}
    url = db_option or obj.get("db")
    try:
        database = parse_url(url)
    except DatabaseURLError as e:
        raise click.UsageError(f"bad database URL {e}") from None
    catch_up = obj.get("catch_up", True)
    # The workers build the application from the environment (uvicorn imports it by name).
    os.environ["LEDGER_DB"] = database.url
    os.environ["LEDGER_CATCH_UP"] = "1" if catch_up else "0"
    click.echo(f"serving {database.display} on http://{host}:{port}/ "
               f"({workers} worker(s), catch-up {'on' if catch_up else 'off'}); stop with Ctrl-C", err=True)
    uvicorn.run("ledger.web.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level=os.environ.get("LEDGER_LOG_LEVEL", "warning"), access_log=False)
    sys.exit(0)
