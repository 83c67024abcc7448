"""Shared fixtures: every storage test runs against SQLite and PostgreSQL.

PostgreSQL tests use a throwaway database each. Without a server they are skipped,
except under CI=true, where a missing server is a failure.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from click.testing import CliRunner, Result

from ledger.application import Ledger
from ledger.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "indians-in-russian-army"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
MATTER_ID = "indians-in-russian-army"


def _postgres_available() -> str | None:
    try:
        psycopg.connect(PG_ADMIN).close()
    except psycopg.Error as e:
        return str(e)
    return None


def require_postgres() -> None:
    problem = _postgres_available()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL is required under CI=true and is not reachable: {problem}")
    pytest.skip(f"PostgreSQL not reachable: {problem}")


def create_pg_database() -> str:
    require_postgres()
    name = "ledger_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _make_url(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'ledger.db'}"
        return
    name = create_pg_database()
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        drop_pg_database(name)


BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty ledger on each backend."""
    yield from _make_url(request.param, tmp_path)


@pytest.fixture(params=BACKENDS, scope="module")
def seeded_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ledger holding the bundled example, shared by the tests of one module (read-only use)."""
    for url in _make_url(request.param, tmp_path_factory.mktemp("seeded")):
        result = run(url, "record", str(EXAMPLES))
        assert result.exit_code == 0, result.output
        yield url


def run(db_url: str, *args: str, input: str | None = None) -> Result:
    """Run the CLI in-process against a database."""
    return CliRunner().invoke(cli, ["--db", db_url, *args], input=input, catch_exceptions=False)


def run_json(db_url: str, *args: str) -> object:
    result = run(db_url, *args, "--format", "json")
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def event_count(db_url: str) -> int:
    """How many events the store holds: the measure of 'nothing written'."""
    with Ledger(db_url) as ledger:
        return len(ledger.app.recorder.select_notifications(0, 10**9, inclusive_of_start=False))


def write_yaml(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def statement(id: str, **overrides: object) -> dict:
    """A valid statement of the example matter, with fields overridden."""
    doc = {
        "id": id,
        "matter": MATTER_ID,
        "stated_on": "2025-09-01",
        "source": {"organization": "Test Ministry"},
        "figures": {},
        "quote": f"Words of {id}.",
    }
    doc.update(overrides)
    return doc


def run_processes(target: Callable[..., None], arguments: list[tuple[Any, ...]], timeout: float = 240) -> list[int | None]:
    """Run ``target`` in forked processes at once (each gets a shared barrier as its last
    argument, to start together); return their exit codes, killing any still running."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(arguments))
    workers = [context.Process(target=target, args=(*args, barrier)) for args in arguments]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout)
    for worker in workers:
        if worker.exitcode is None:
            worker.kill()
    return [worker.exitcode for worker in workers]
