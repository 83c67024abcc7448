"""Read transactions of the views on both backends: one snapshot, ended with the last
queries asked (PostgreSQL: in their round trip), ended on an error; and the parameter
rendering of PostgreSQL reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.projections.postgres import _numbered
from tests.conftest import EXAMPLES, run, statement, write_yaml

COUNT = "SELECT COUNT(*) AS n FROM {ledger_statements}"


def test_a_reading_sees_one_snapshot_while_another_ledger_records(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    with Ledger(db_url) as ledger, ledger.view.reading() as query:
        before = query(COUNT)[0]["n"]
        recorded = run(db_url, "record", str(write_yaml(tmp_path, "late.yaml", statement("late-one"))))
        assert recorded.exit_code == 0, recorded.output
        during, = query.many([(COUNT, None)], last=True)
    assert during[0]["n"] == before
    with Ledger(db_url) as ledger:
        assert ledger.view.query(COUNT)[0]["n"] == before + 1


def test_the_last_queries_end_the_reading(seeded_url: str) -> None:
    with Ledger(seeded_url) as ledger:
        with ledger.view.reading() as query:
            counts, matters = query.many([(COUNT, None), ("SELECT matter_id FROM {ledger_matters}", None)],
                                         last=True)
            with pytest.raises(RuntimeError, match="this read transaction has ended"):
                query(COUNT)
        assert counts[0]["n"] > 0 and matters[0]["matter_id"] == "indians-in-russian-army"
        assert ledger.view.query(COUNT) == counts  # the connection went back in order


def test_a_failed_query_ends_its_reading_and_the_next_one_works(seeded_url: str) -> None:
    with Ledger(seeded_url) as ledger:
        expected = ledger.view.query(COUNT)
        for _ in range(3):  # more times than the pool has connections
            with pytest.raises(Exception, match="no_such_table"):
                with ledger.view.reading() as query:
                    query(COUNT)
                    query("SELECT * FROM no_such_table")
            with ledger.view.reading() as query:
                assert query(COUNT) == expected
            with pytest.raises(Exception, match="no_such_table"):  # failing with the transaction's end
                with ledger.view.reading() as query:
                    query.many([(COUNT, None), ("SELECT * FROM no_such_table", None)], last=True)
            with ledger.view.reading() as query:
                assert query.many([(COUNT, None)], last=True) == [expected]


def test_named_parameters_become_numbered_once_each() -> None:
    text = "a = :x AND b >= :y_2 OR c = :x AND d::text = 'e' AND f = CAST(:z AS text[])"
    assert _numbered(text) == ("a = $1 AND b >= $2 OR c = $1 AND d::text = 'e' AND f = CAST($3 AS text[])",
                               ("x", "y_2", "z"))


@pytest.mark.postgres
def test_list_parameters_reach_postgresql_whole() -> None:
    """Reads pass lists as PostgreSQL's array text (``array_text``): strings with quotes,
    backslashes, commas, braces, blanks, the word NULL and non-ASCII letters come back as sent."""
    from tests.conftest import create_pg_database, drop_pg_database, require_postgres

    require_postgres()
    name = create_pg_database()
    try:
        with Ledger(f"postgresql://postgres@127.0.0.1:5432/{name}") as ledger:
            texts = ["a", 'b "c"', "back\\slash", "comma, {brace}", "NULL", "", " spaced ", "ünï", None]
            with ledger.view.reading() as query:
                rows = query("SELECT CAST(:t AS text[]) AS t, CAST(:i AS integer[]) AS i, "
                             "CAST(:b AS boolean[]) AS b, CAST(:e AS text[]) AS e",
                             {"t": texts, "i": [3, -1, 0], "b": [True, False], "e": []})
        assert rows == [{"t": texts, "i": [3, -1, 0], "b": [True, False], "e": []}]
    finally:
        drop_pg_database(name)
