"""PostgreSQL going away mid-command: a clear error, nothing partial written, and the next command works.

The server is shared with other tests, so it is never stopped: a TCP proxy in front of
it plays the server going away (connections refused, open ones dropped), and
``pg_terminate_backend`` cuts a connection from the server side.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from ledger.chain_postgres import PostgresChainedRecorder
from tests.conftest import EXAMPLES, create_pg_database, drop_pg_database, event_count, run
from tests.pgproxy import Proxy

pytestmark = pytest.mark.postgres


@pytest.fixture
def outage() -> Iterator[dict[str, Any]]:
    name = create_pg_database()
    proxy = Proxy().start()
    try:
        yield {
            "proxy": proxy,
            # through the proxy; connect_timeout=1 keeps the library's retries short
            "url": f"postgresql://postgres@127.0.0.1:{proxy.port}/{name}?connect_timeout=1",
            "direct": f"postgresql://postgres@127.0.0.1:5432/{name}",
        }
    finally:
        proxy.stop()
        drop_pg_database(name)


def after_insert(monkeypatch: pytest.MonkeyPatch, action: Any) -> list[list[int]]:
    """Run ``action(cursor)`` inside the write transaction, after the events are inserted, before commit."""
    original = PostgresChainedRecorder._fetch_ids_after_insert_events
    calls: list[list[int]] = []

    def hooked(self: Any, curs: Any, stored_events: Any, **kwargs: Any) -> Any:
        ids = original(self, curs, stored_events, **kwargs)
        calls.append(list(ids))
        action(curs, len(calls))
        return ids

    monkeypatch.setattr(PostgresChainedRecorder, "_fetch_ids_after_insert_events", hooked)
    return calls


def assert_clear_database_error(result: Any) -> None:
    assert result.exit_code == 5, result.output
    assert "error: database failure:" in result.stderr
    assert "may be down or unreachable" in result.stderr
    assert "Traceback" not in result.output


def test_server_unreachable_then_back(outage: dict[str, Any]) -> None:
    assert run(outage["url"], "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    outage["proxy"].stop()
    for args in (("status",), ("record", str(EXAMPLES)), ("verify",)):
        result = run(outage["url"], *args)
        assert_clear_database_error(result)
        assert "Connection refused" in result.stderr
    assert event_count(outage["direct"]) == 1
    outage["proxy"].start()
    result = run(outage["url"], "record", str(EXAMPLES))
    assert result.exit_code == 0, result.output
    assert "recorded 5 statement(s)" in result.stdout
    assert run(outage["url"], "verify").exit_code == 0


def test_server_goes_away_in_the_middle_of_recording(outage: dict[str, Any],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The events are inserted but not committed when the server goes: none of them is kept."""
    calls = after_insert(monkeypatch, lambda curs, n: outage["proxy"].stop())
    result = run(outage["url"], "record", str(EXAMPLES))
    assert calls and calls[0] == [1, 2, 3, 4, 5, 6]  # the batch was in the database, uncommitted
    assert_clear_database_error(result)
    assert "nothing was recorded" in result.stderr
    assert event_count(outage["direct"]) == 0
    with psycopg.connect(outage["direct"]) as conn:
        assert conn.execute("SELECT COUNT(*) FROM ledger_events_chain").fetchone() == (0,)

    monkeypatch.undo()
    outage["proxy"].start()
    result = run(outage["url"], "record", str(EXAMPLES))
    assert result.exit_code == 0, result.output
    assert "recorded 5 statement(s)" in result.stdout
    assert event_count(outage["direct"]) == 6
    assert run(outage["url"], "verify").exit_code == 0


def test_connection_cut_for_good_mid_write(outage: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attempt loses its connection (killed by the server) before committing: clear error, nothing kept."""
    after_insert(monkeypatch, lambda curs, n: curs.execute("SELECT pg_terminate_backend(pg_backend_pid())"))
    result = run(outage["url"], "record", str(EXAMPLES))
    assert_clear_database_error(result)
    assert event_count(outage["direct"]) == 0
    monkeypatch.undo()
    assert run(outage["url"], "record", str(EXAMPLES)).exit_code == 0
    assert event_count(outage["direct"]) == 6


def test_connection_cut_once_mid_write_is_retried_exactly_once(outage: dict[str, Any],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection dropped once mid-write: the server rolls the transaction back, the library
    retries it on a new connection, and the batch is written exactly once."""
    calls = after_insert(monkeypatch, lambda curs, n: outage["proxy"].cut() if n == 1 else None)
    result = run(outage["url"], "record", str(EXAMPLES))
    assert result.exit_code == 0, result.output
    assert len(calls) == 2 and calls[0] != calls[1]  # two attempts; the first one's ids were lost
    assert event_count(outage["direct"]) == 6
    assert run(outage["url"], "verify").exit_code == 0
