"""Exports on both backends: CSV read back with pandas (dtypes, dates), JSON, JSON Lines."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ledger.export import COLUMNS
from tests.conftest import BACKENDS, EXAMPLES, _make_url, run, run_json, statement, write_yaml

# The call the README documents for reading an export.
TEXT = {c: "string" for c in ("matter", "category", "qualifier", "figure_text", "as_of", "as_of_precision",
                              "stated_on", "stated_precision", "recorded_by", "statement", "statement_status",
                              "organization", "person", "role", "venue", "attribution", "quote_language",
                              "quote", "citations", "notes")}
READ_CSV = {
    "dtype": {"value": "Int64", "low": "Int64", "best": "Int64", "high": "Int64", "stands": "bool", **TEXT},
    "parse_dates": ["as_of_start", "as_of_end", "stated_start", "stated_end", "recorded_at"],
}

AWKWARD_QUOTE = 'He said, "between 35 and 50",\nand then: «ещё» — 100%; <b>bold</b>'


@pytest.fixture(params=BACKENDS, scope="module")
def ledger_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seed, a range stated for a whole year, an undated statement, a correction, a retraction
    (shared by the tests of this module, which only read)."""
    tmp_path = tmp_path_factory.mktemp("export")
    for db_url in _make_url(request.param, tmp_path):
        yield _fill(db_url, tmp_path)


def _fill(db_url: str, tmp_path: Path) -> str:
    assert run(db_url, "record", str(EXAMPLES), "--by", "alice").exit_code == 0
    extra = write_yaml(tmp_path, "extra.yaml", {"statements": [
        statement("ngo-2025-range", stated_on="2025-12-01", as_of="2025", figures={"missing": {"low": 35, "high": 50},
                                                                       "dead": {"low": 10, "best": 12, "high": 20}},
                  source={"organization": "Some NGO", "person": "A. Person", "role": "Director"},
                  quote=AWKWARD_QUOTE, attribution="second_hand", venue="Press conference",
                  citations=[{"outlet": "Paper", "url": "https://example.org/a?b=1&c=2", "published_on": "2025-12-02"},
                             {"outlet": "Radio"}],
                  notes="a note"),
        statement("undated-claim", stated_on="unknown", figures={"dead": {"value": 20, "qualifier": "at_least"}}),
        statement("withdrawn", stated_on="2025-09-01", figures={"recruited": 500}),
    ]})
    assert run(db_url, "record", str(extra), "--by", "alice").exit_code == 0
    shown = yaml.safe_load(run(db_url, "show", "rajya-sabha-2025-07", "--format", "yaml").stdout)
    shown["figures"]["discharged"] = 97
    fixed = write_yaml(tmp_path, "fixed.yaml", shown)
    assert run(db_url, "correct", "rajya-sabha-2025-07", str(fixed), "--reason", "test", "--by", "bob").exit_code == 0
    assert run(db_url, "retract", "withdrawn", "--reason", "test").exit_code == 0
    return db_url


def export_csv(url: str, tmp_path: Path, *args: str) -> pd.DataFrame:
    target = tmp_path / "figures.csv"
    result = run(url, "export", "--output", str(target), *args)
    assert result.exit_code == 0, result.stderr
    assert f"to {target}" in result.stderr
    return pd.read_csv(target, **READ_CSV)


def test_csv_reads_with_pandas_typed(ledger_url: str, tmp_path: Path) -> None:
    frame = export_csv(ledger_url, tmp_path, "--as-of", "2025-12-31")
    assert list(frame.columns) == list(COLUMNS)
    assert str(frame["value"].dtype) == "Int64" and str(frame["low"].dtype) == "Int64"
    for column in ("as_of_start", "as_of_end", "stated_start", "stated_end"):
        assert pd.api.types.is_datetime64_dtype(frame[column]), (column, frame[column].dtype)
    assert isinstance(frame["recorded_at"].dtype, pd.DatetimeTZDtype) and str(frame["recorded_at"].dt.tz) == "UTC"
    assert frame["stands"].dtype == bool

    by = {(r.statement, r.category): r for r in frame.itertuples()}
    # the undated statement is not stated by any date, and the retracted one is gone
    assert ("undated-claim", "dead") not in by and not (frame["statement"] == "withdrawn").any()
    recruited = by[("rajya-sabha-2025-07", "recruited")]
    assert recruited.value == 127 and recruited.as_of == "2025-07" and recruited.as_of_precision == "month"
    assert recruited.as_of_start == pd.Timestamp("2025-07-01") and recruited.as_of_end == pd.Timestamp("2025-07-31")
    assert recruited.role == "Minister of State for External Affairs" and recruited.venue == "Rajya Sabha"
    assert recruited.citations == "ANI, 2025-11-08" and recruited.quote.startswith("There were 127")
    # the correction shows as the corrected version, recorded by bob
    discharged = by[("rajya-sabha-2025-07", "discharged")]
    assert (discharged.value, discharged.statement_status, discharged.recorded_by) == (97, "corrected", "bob")
    # a range stated for a whole year: no value, bounds, the year's first and last day
    ranged = by[("ngo-2025-range", "missing")]
    assert pd.isna(ranged.value) and (ranged.low, ranged.high) == (35, 50) and ranged.figure_text == "35-50"
    assert ranged.as_of == "2025" and ranged.as_of_precision == "year"
    assert ranged.as_of_start == pd.Timestamp("2025-01-01") and ranged.as_of_end == pd.Timestamp("2025-12-31")
    assert ranged.stated_end == pd.Timestamp("2025-12-01") and ranged.stated_precision == "day"
    estimate = by[("ngo-2025-range", "dead")]  # an estimate {low, best, high} keeps its best
    assert (estimate.low, estimate.best, estimate.high) == (10, 12, 20)
    assert ranged.quote == AWKWARD_QUOTE  # commas, quotes, a newline and non-ASCII survive the round trip
    assert ranged.citations == "Paper, 2025-12-02, https://example.org/a?b=1&c=2 | Radio"
    assert (ranged.attribution, ranged.person, ranged.notes) == ("second_hand", "A. Person", "a note")
    assert pd.isna(by[("mea-2025-01-killed", "dead")].person)
    # 'stands' marks exactly the figures the status shows as of the export date
    status = run_json(ledger_url, "status", "--as-of", "2025-12-31")
    standing = {(f["statement"], c) for c, f in status["figures"].items() if f}
    assert {(r.statement, r.category) for r in frame.itertuples() if r.stands} == standing
    # a range for the whole year 2025 does not outrank a precise date inside it (issue 11: the
    # old rule ranked by the period's end, so the year stood on 2025-12-31)
    assert not by[("ngo-2025-range", "missing")].stands
    assert not by[("rajya-sabha-2025-07", "remaining")].stands  # outranked by the November briefing
    # oldest described date first
    assert frame["as_of_end"].is_monotonic_increasing


def test_json_and_jsonl_match_csv(ledger_url: str, tmp_path: Path) -> None:
    frame = export_csv(ledger_url, tmp_path)
    as_json = json.loads(run(ledger_url, "export", "--format", "json").stdout)
    lines = run(ledger_url, "export", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == as_json
    assert len(as_json) == len(frame) == 10  # 4 + 1 + 1 (rajya sabha), briefing, ANI, dead, range, estimate; undated last
    assert list(as_json[0]) == list(COLUMNS)
    undated = as_json[-1]
    assert undated["statement"] == "undated-claim" and undated["stated_on"] == "unknown"
    assert undated["stated_start"] is None and undated["as_of_precision"] == "unknown"
    assert undated["qualifier"] == "at_least" and undated["figure_text"] == ">=20" and undated["stands"] is False
    ranged = next(r for r in as_json if r["statement"] == "ngo-2025-range")
    assert ranged["citations"] == [
        {"outlet": "Paper", "published_on": "2025-12-02", "url": "https://example.org/a?b=1&c=2"},
        {"outlet": "Radio", "published_on": None, "url": None}]
    json_frame = pd.read_json(io.StringIO("\n".join(lines)), lines=True)
    assert json_frame["value"].dropna().astype(int).tolist() == frame["value"].dropna().astype(int).tolist()


def test_as_of_and_known_at_select_rows(ledger_url: str, tmp_path: Path) -> None:
    early = json.loads(run(ledger_url, "export", "--as-of", "2025-02-15", "--format", "json").stdout)
    assert [(r["statement"], r["category"], r["value"]) for r in early] == [("mea-2025-01-killed", "dead", 12)]
    first = run_json(ledger_url, "log")[1]["recorded_at"]  # only the first statement recorded by then
    before_correction = run_json(ledger_url, "log")[-3]["recorded_at"]
    known = json.loads(run(ledger_url, "export", "--known-at", first, "--format", "json").stdout)
    assert {r["statement"] for r in known} <= {"mea-2025-01-killed", "cbi-2024-trafficking-network"}
    then = json.loads(run(ledger_url, "export", "--known-at", before_correction, "--format", "json").stdout)
    discharged = next(r for r in then if r["category"] == "discharged")
    assert discharged["value"] == 98 and discharged["statement_status"] == "recorded"
    assert any(r["statement"] == "withdrawn" for r in then)  # not yet retracted then
    empty = run(ledger_url, "export", "--known-at", "2000-01-01")
    assert empty.exit_code == 0 and empty.stdout.strip() == ",".join(COLUMNS)
    missing = run(ledger_url, "export", "--matter", "nope")
    assert missing.exit_code == 4 and "no matter 'nope'" in missing.stderr


def test_status_csv_unchanged_and_read_by_pandas(ledger_url: str) -> None:
    out = run(ledger_url, "status", "--as-of", "2025-08-15", "--format", "csv").stdout
    frame = pd.read_csv(io.StringIO(out), dtype={"value": "Int64"})
    assert list(frame.columns) == ["matter", "status_as_of", "category", "value", "qualifier", "low", "high",
                                   "figure_as_of", "stated_on", "statement", "organization", "person",
                                   "recorded_at", "derived", "no_figure"]
    values = dict(zip(frame["category"], frame["value"], strict=True))
    assert values["recruited"] == 127 and values["discharged"] == 97 and values["missing"] == 12
    assert pd.isna(values["unaccounted"])  # no asserted figure: the derived one has its own column
    derived = dict(zip(frame["category"], frame["derived"], strict=True))
    parts = values["discharged"] + values["remaining"] + values["dead"]
    assert int(derived["unaccounted"]) == values["recruited"] - parts and pd.isna(derived["recruited"])


def test_readme_documents_every_column_in_order() -> None:
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Export"):readme.index("### Charts")]
    assert re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M) == list(COLUMNS)
    for name in ("value", "low", "high", "stands", *TEXT):  # the documented read_csv call is the tested one
        assert f'"{name}"' in section


def test_derived_figures_can_be_exported(ledger_url: str) -> None:
    rows = json.loads(run(ledger_url, "export", "--as-of", "2025-08-15", "--derived", "--format", "json").stdout)
    derived = [r for r in rows if r["qualifier"] == "derived"]
    status = run_json(ledger_url, "status", "--as-of", "2025-08-15")
    assert [(r["category"], r["value"], r["figure_text"]) for r in derived] == [
        (c, d["value"], d["text"]) for c, d in status["derived"].items()] != []
    assert all(r["statement"] is None and r["stands"] and r["statement_status"] == "derived" for r in derived)
    assert list(derived[0]) == list(COLUMNS)
    plain = json.loads(run(ledger_url, "export", "--as-of", "2025-08-15", "--format", "json").stdout)
    assert [r for r in rows if r["qualifier"] != "derived"] == plain
