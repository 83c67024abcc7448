"""The Python API: the notebook example of docs/web.md runs, and answers equal the CLI's JSON
on both backends; pandas frames have the rows; bad input raises naming the field."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ledger
from ledger.errors import InputError
from ledger.reads import BadParameter, NotFoundError
from tests.conftest import EXAMPLES, MATTER_ID, ROOT, event_count, run_json, statement, write_yaml


@pytest.mark.parametrize(("document", "heading"), [("docs/web.md", "## Python API"),
                                                  ("README.md", "## Web view and Python API")])
def test_the_documented_example_runs(tmp_path: Path, document: str, heading: str) -> None:
    text = (ROOT / document).read_text()
    code = re.search(r"```python\n(.*?)```", text[text.index(heading):], re.S).group(1)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "13"
    assert "figures for dead" in lines[-1]


def test_answers_are_the_cli_json(db_url: str) -> None:
    with ledger.open(db_url) as lg:
        result = lg.record([str(EXAMPLES)])
        assert result["recorded_count"] == 5
        for day in ("2025-02-15", "2025-08-15", dt.date(2025, 11, 30)):
            status = lg.status(MATTER_ID, as_of=day)
            assert status == run_json(db_url, "status", "--as-of", str(day))
            frame = status.to_pandas()
            assert list(frame["category"]) == list(status["figures"])
        assert lg.history("dead", matter=MATTER_ID) == run_json(db_url, "history", "dead")
        assert lg.sources() == run_json(db_url, "sources")
        assert lg.matters() == run_json(db_url, "matters")
        known = lg.status(MATTER_ID, as_of="2025-12-31", known_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        assert all(f is None for f in known["figures"].values())
        series = lg.series(MATTER_ID, start="2025-06-30", end="2025-12-31", every="month", category="remaining")
        frame = series.to_pandas()
        assert list(frame.columns[:3]) == ["date", "category", "value"]
        assert frame.iloc[-1]["value"] == run_json(db_url, "status", "--as-of", "2025-12-31")["figures"][
            "remaining"]["value"]
        diff = lg.diff(MATTER_ID, start="2025-02-15", end="2025-11-30").to_pandas()
        assert set(diff[diff["changed"]]["category"]) >= {"remaining"}
        assert diff[diff["category"] == "remaining"].iloc[0]["to_value"] == 44


def test_bad_input_names_the_field_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    with ledger.open(db_url) as lg:
        lg.record([str(EXAMPLES)])
        with pytest.raises(BadParameter) as error:
            lg.status(MATTER_ID, as_of="2025-02-30")
        assert error.value.field == "as_of"
        with pytest.raises(BadParameter) as error:
            lg.status(MATTER_ID, policy="loudest")
        assert error.value.field == "policy"
        with pytest.raises(NotFoundError, match="no matter 'nope'"):
            lg.status("nope")
        before = event_count(db_url)
        good = write_yaml(tmp_path, "good.yaml", statement("good-2025-10"))
        bad = write_yaml(tmp_path, "bad.yaml", statement("bad-2025-10", stated_on="2025-02-30"))
        with pytest.raises(InputError) as failure:
            lg.record([str(good), str(bad)])
        assert "bad.yaml" in str(failure.value) and "stated_on" in str(failure.value)
        assert event_count(db_url) == before


def test_import_ledger_stays_cheap() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, ledger; print(sorted(m for m in sys.modules "
                           "if m.split('.')[0] in ('fastapi', 'pandas', 'eventsourcing', 'ledger')))"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "['ledger']"
