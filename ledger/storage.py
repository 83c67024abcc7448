"""Where the ledger lives: database URLs turned into eventsourcing settings.

``sqlite:///ledger.db`` (the embedded default) or
``postgresql://user:password@host:port/dbname[?schema=name]``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

DEFAULT_URL = "sqlite:///ledger.db"
SCHEMA_LOCK_KEY = 0x4C454447  # "LEDG": advisory lock key for creating tables


class DatabaseURLError(ValueError):
    pass


class SchemaLockTimeout(RuntimeError):
    """Creating the tables waited too long for the schema lock (another session holds it)."""


@dataclass(frozen=True)
class Database:
    url: str
    backend: str  # "sqlite" | "postgres"
    settings: dict[str, str]  # eventsourcing environment keys, unprefixed

    def env_for(self, name: str) -> dict[str, str]:
        """Settings for one eventsourcing application or view called ``name``.

        Prefixed keys are given as well, so that stray ``<NAME>_*`` variables in the
        process environment cannot redirect the ledger to another database.
        """
        env = dict(self.settings)
        env.update({f"{name.upper()}_{key}": value for key, value in self.settings.items()})
        return env

    def psycopg_conninfo(self) -> dict[str, str]:
        """Keyword arguments for ``psycopg.connect`` (PostgreSQL only)."""
        s = self.settings
        return {
            "dbname": s["POSTGRES_DBNAME"], "host": s["POSTGRES_HOST"], "port": s["POSTGRES_PORT"],
            "user": s["POSTGRES_USER"], "password": s["POSTGRES_PASSWORD"],
            "connect_timeout": s["POSTGRES_CONNECT_TIMEOUT"],
        }

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding the ledger's tables."""
        return self.settings.get("POSTGRES_SCHEMA", "public")

    @contextmanager
    def schema_lock(self, complete: Callable[[Any, str], bool] | None = None) -> Iterator[bool]:
        """Serialise table creation between processes starting at the same time.

        eventsourcing creates its tables with ``CREATE ... IF NOT EXISTS`` when an
        application starts; on PostgreSQL two processes doing that at once can fail
        with "tuple concurrently updated". When ``complete(conn, schema)`` says the schema
        exists already (the normal case), no lock is taken at all, so no other role holding
        the advisory key can hold the ledger up; otherwise a session advisory lock is held on
        a side connection while the ledger starts, waited for at most
        ``LEDGER_SCHEMA_LOCK_TIMEOUT`` seconds (default 30; :class:`SchemaLockTimeout`).

        Yields whether the schema is complete (always False on SQLite, which needs no lock).
        """
        if self.backend != "postgres":
            yield False
            return
        import psycopg

        with psycopg.connect(autocommit=True, **self.psycopg_conninfo()) as conn:
            if complete is not None and complete(conn, self.schema):
                yield True
                return
            timeout = float(os.environ.get("LEDGER_SCHEMA_LOCK_TIMEOUT", "30"))
            conn.execute(f"SET lock_timeout = {int(timeout * 1000)}")
            try:
                conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
            except psycopg.errors.LockNotAvailable:
                raise SchemaLockTimeout(
                    f"another session has held the ledger's schema lock (advisory key {SCHEMA_LOCK_KEY}) for "
                    f"{timeout:g}s while the tables are not all created; if no ledger is starting, find it with "
                    "SELECT pid, usename FROM pg_locks JOIN pg_stat_activity USING (pid) WHERE locktype = 'advisory'"
                ) from None
            try:
                yield complete(conn, self.schema) if complete is not None else False
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))

    @property
    def display(self) -> str:
        parsed = urlparse(self.url)
        if parsed.password:
            return self.url.replace(f":{parsed.password}@", ":***@")
        return self.url


def parse_url(url: str | None) -> Database:
    url = url or os.environ.get("LEDGER_DB") or DEFAULT_URL
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        if parsed.netloc:
            raise DatabaseURLError(
                f"{url!r}: a SQLite URL has three slashes: sqlite:///relative.db or sqlite:////abs/path.db"
            )
        path = unquote(parsed.path[1:])  # sqlite:///x.db -> x.db ; sqlite:////tmp/x.db -> /tmp/x.db
        if not path:
            raise DatabaseURLError(f"{url!r}: no database file given")
        if path != ":memory:":
            folder = Path(path).resolve().parent
            if not folder.is_dir():
                raise DatabaseURLError(f"{url!r}: the folder {folder} does not exist")
        return Database(
            url,
            "sqlite",
            {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": path,
                "SQLITE_LOCK_TIMEOUT": os.environ.get("LEDGER_SQLITE_LOCK_TIMEOUT", "30"),
            },
        )
    if parsed.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        dbname = unquote(parsed.path.lstrip("/"))
        if not dbname:
            raise DatabaseURLError(f"{url!r}: no database name given")
        query = parse_qs(parsed.query)
        settings = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": unquote(parsed.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": query.get("connect_timeout", ["5"])[0],
            "POSTGRES_POOL_SIZE": "2",
        }
        if "schema" in query:
            settings["POSTGRES_SCHEMA"] = query["schema"][0]
        return Database(url, "postgres", settings)
    raise DatabaseURLError(
        f"{url!r}: unsupported database URL; use sqlite:///FILE or postgresql://USER@HOST:PORT/DB"
    )
