"""`ledger rebuild` drops the projection and rebuilds it; the result equals incremental processing."""

from __future__ import annotations

from pathlib import Path

from ledger.application import Ledger
from ledger.projections.timeline import TimelineSQL
from tests.conftest import EXAMPLES, run, statement, write_yaml
from tests.test_verify import Raw


def projection_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every projection table, and the tracking position, in a comparable form."""
    with Ledger(url) as ledger:
        rows = {table: sorted(tuple("" if v is None else str(v) for v in row.values())
                              for row in ledger.view.query(f"SELECT * FROM {{{table}}}"))
                for table in TimelineSQL.tables}
        rows["tracking"] = [(ledger.view.max_tracking_id(ledger.app.name),)]
    return rows


def test_rebuild_equals_incremental_processing(db_url: str, tmp_path: Path) -> None:
    # Incremental: each command below catches the projection up with what it wrote.
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    for i in range(3):
        path = write_yaml(tmp_path, f"s{i}.yaml", statement(f"extra-{i}", figures={"dead": 20 + i}))
        assert run(db_url, "record", str(path)).exit_code == 0
    fixed = write_yaml(tmp_path, "fixed.yaml", statement("extra-1", figures={"dead": 31}))
    assert run(db_url, "correct", "extra-1", str(fixed), "--reason", "typo").exit_code == 0
    assert run(db_url, "retract", "extra-2", "--reason", "withdrawn").exit_code == 0
    incremental = projection_rows(db_url)
    assert len(incremental["ledger_figures"]) >= 10 and incremental["tracking"] == [(11,)]  # 6 + 3 + 2

    # Damage the projection, so that a rebuild that kept old rows would show.
    raw = Raw(db_url)
    try:
        raw("UPDATE ledger_figures SET value = 99")
        raw("DELETE FROM ledger_statements WHERE statement_id = 'extra-0'")
    finally:
        raw.close()
    assert projection_rows(db_url) != incremental

    result = run(db_url, "rebuild")
    assert result.exit_code == 0, result.output
    assert "rebuilt the timeline projection from 11 event(s)" in result.stdout
    assert projection_rows(db_url) == incremental
    assert run(db_url, "verify").exit_code == 0

    # Rebuilding again changes nothing.
    assert run(db_url, "rebuild").exit_code == 0
    assert projection_rows(db_url) == incremental
