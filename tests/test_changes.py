"""Issue 11: ``diff``, ``series``, ``trace`` of a derived figure and ``undated_conflict``,
on the bundled example, with values worked out by hand, on both backends.

The example (examples/indians-in-russian-army): mea-2025-01-killed (stated 2025-01, so from
2025-01-31): dead 12. rajya-sabha-2025-07 (from 2025-07-31): recruited 127, discharged 98,
remaining 13, missing 12. mea-briefing-2025-11-08: remaining 44. The matter's relation
recruited = discharged + remaining + dead + unaccounted derives unaccounted = 127 - 98 - 13
- 12 = 4 from 2025-07-31; from 2025-11-08 it cannot hold (98 + 44 + 12 = 154 > 127 by 27).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.readmodel import Snapshot, TimelineReadModel
from ledger.readmodel import change_results as cr
from ledger.readmodel import results as r
from ledger.readmodel.changes import series
from tests.conftest import EXAMPLES, event_count, run, run_json, statement, write_yaml

RAJYA, BRIEFING, KILLED = "rajya-sabha-2025-07", "mea-briefing-2025-11-08", "mea-2025-01-killed"


def by_category(report: dict) -> dict:
    return {c["category"]: c for c in report["categories"]}


def test_diff_between_two_days(seeded_url: str) -> None:
    report = run_json(seeded_url, "diff", "--from", "2025-08-01", "--to", "2025-12-01")
    cr.DiffResult.model_validate(report)
    assert report["mode"] == "dates" and report["policy"] == "latest"
    assert (report["from"]["as_of"], report["to"]["as_of"]) == ("2025-08-01", "2025-12-01")
    cats = by_category(report)
    assert [c for c, item in cats.items() if item["changed"]] == ["remaining", "unaccounted"]
    remaining = cats["remaining"]
    assert (remaining["from"]["figure"]["value"], remaining["from"]["statements"]) == (13, [RAJYA])
    assert (remaining["to"]["figure"]["value"], remaining["to"]["statements"]) == (44, [BRIEFING])
    unaccounted = cats["unaccounted"]
    assert unaccounted["from"]["figure"] is None
    assert unaccounted["from"]["derived"]["value"] == 4
    assert unaccounted["from"]["statements"] == [RAJYA, KILLED]
    assert unaccounted["to"] == {"figure": None, "derived": None, "no_figure": "not_derivable", "statements": []}
    assert cats["recruited"]["to"]["figure"]["value"] == 127 and not cats["recruited"]["changed"]
    opened = {(d["kind"], d.get("relation")) for d in report["opened"]}
    assert opened == {("relation_violated", "recruited = discharged + remaining + dead + unaccounted"),
                      ("stale_inputs", "recruited = discharged + remaining + dead + unaccounted"),
                      ("stale_inputs", "missing <= remaining"), ("stale_figure", None)}
    # July's figures pass 90 days without a newer one; January's dead was already stale on 2025-08-01
    assert sorted(d["categories"][0] for d in report["opened"] if d["kind"] == "stale_figure") == [
        "discharged", "missing", "recruited"]
    violated = next(d for d in report["opened"] if d["kind"] == "relation_violated")
    assert violated["numbers"]["shortfall"] == 27
    assert [(d["kind"], d.get("gap_days")) for d in report["closed"]] == [("stale_inputs", 181)]  # Jan 31 - Jul 31


def test_diff_table_and_csv(seeded_url: str) -> None:
    table = run(seeded_url, "diff", "--from", "2025-01-31", "--to", "2025-08-01")
    assert table.exit_code == 0, table.output
    assert "2025-01-31 -> 2025-08-01" in table.stdout and "4 (derived)" in table.stdout
    csv_out = run(seeded_url, "diff", "--from", "2025-01-31", "--to", "2025-08-01", "--format", "csv")
    import csv

    rows = {row["category"]: row for row in csv.DictReader(io.StringIO(csv_out.stdout))}
    assert rows["dead"]["changed"] == "false" and rows["dead"]["to_value"] == "12"
    assert rows["remaining"]["from_value"] == "" and rows["remaining"]["to_value"] == "13"
    assert rows["unaccounted"]["to_qualifier"] == "derived" and rows["unaccounted"]["to_derived"] == "4"


def test_diff_of_knowledge_at_one_day(seeded_url: str) -> None:
    report = run_json(seeded_url, "diff", "--as-of", "2025-12-01", "--known-at", "2020-01-01",
                      "--known-at-to", "2100-01-01")
    cr.DiffResult.model_validate(report)
    assert report["mode"] == "knowledge"
    assert report["from"]["as_of"] == report["to"]["as_of"] == "2025-12-01"
    assert report["from"]["known_at"].startswith("2020-01-01") and report["to"]["known_at"].startswith("2100-01-01")
    cats = by_category(report)
    assert all(c["from"]["figure"] is None for c in cats.values())
    assert cats["remaining"]["to"]["figure"]["value"] == 44 and cats["remaining"]["changed"]


@pytest.mark.parametrize("args", [
    ["diff"],  # neither --from nor --known-at-to
    ["diff", "--from", "2025-01-01", "--known-at-to", "2100-01-01"],
    ["diff", "--from", "2025-01-01", "--as-of", "2025-02-01"],
])
def test_diff_usage_errors(seeded_url: str, args: list[str]) -> None:
    result = run(seeded_url, *args)
    assert result.exit_code == 2 and "error" in result.stderr.lower(), result.output


def test_series_by_month(seeded_url: str) -> None:
    report = run_json(seeded_url, "series", "--category", "remaining", "--from", "2025-01-01", "--to", "2025-12-01",
                      "--every", "month")
    cr.SeriesResult.model_validate(report)
    values = [(row["date"], row["value"], row["statement"]) for row in report["rows"]]
    assert values == [(f"2025-{m:02d}-01", None, None) for m in range(1, 8)] + [
        (f"2025-{m:02d}-01", 13, RAJYA) for m in range(8, 12)] + [("2025-12-01", 44, BRIEFING)]
    last = report["rows"][-1]
    assert (last["low"], last["best"], last["high"], last["qualifier"], last["derived"]) == (44, 44, 44, "exact", False)
    assert last["source"] == "Ministry of External Affairs (India) (Randhir Jaiswal)"


def test_series_rows_of_a_derived_figure(seeded_url: str) -> None:
    report = run_json(seeded_url, "series", "--from", "2025-08-01", "--to", "2025-08-01", "--every", "day")
    rows = {row["category"]: row for row in report["rows"]}
    assert list(rows) == ["recruited", "discharged", "remaining", "missing", "dead", "unaccounted"]
    assert rows["unaccounted"] == {"date": "2025-08-01", "category": "unaccounted", "value": 4, "low": 4, "best": 4,
                                   "high": 4, "qualifier": "derived", "statement": f"{RAJYA} {KILLED}",
                                   "source": None, "derived": True}


def test_series_csv_reads_into_pandas_with_the_documented_dtypes(seeded_url: str) -> None:
    pandas = pytest.importorskip("pandas")
    result = run(seeded_url, "series", "--from", "2025-01-01", "--to", "2025-12-31", "--every", "week",
                 "--format", "csv")
    assert result.exit_code == 0, result.output
    frame = pandas.read_csv(io.StringIO(result.stdout), parse_dates=["date"])
    # text columns are "str" (pandas 3) or "object" (pandas 2): both read as text
    dtypes = {c: "str" if pandas.api.types.is_string_dtype(t) else str(t) for c, t in frame.dtypes.items()}
    assert dtypes.pop("date").startswith("datetime64")
    assert dtypes == {"category": "str", "value": "float64", "low": "float64", "best": "float64",
                      "high": "float64", "qualifier": "str", "statement": "str", "source": "str",
                      "derived": "bool"}
    december = frame[(frame["date"] == "2025-12-31") & (frame["category"] == "remaining")].iloc[0]
    assert december["value"] == 44.0 and december["statement"] == BRIEFING


def test_series_replays_once_per_change_date_and_agrees_with_every_step(seeded_url: str) -> None:
    with Ledger(seeded_url) as ledger:
        model = TimelineReadModel(ledger.view)
        cheap = series(model, None, dt.date(2025, 1, 1), dt.date(2025, 12, 31), "day", Snapshot())
        full = series(model, None, dt.date(2025, 1, 1), dt.date(2025, 12, 31), "day", Snapshot(), every_step=True)
    assert cheap["rows"] == full["rows"] and len(cheap["rows"]) == 365 * 6
    # the start, then 2025-01-31, 2025-07-31 and 2025-11-08 (statement dates in the span)
    assert (cheap["replays"], full["replays"]) == (4, 365)


def test_series_bad_steps_are_usage_errors(seeded_url: str) -> None:
    result = run(seeded_url, "series", "--from", "2025-03-01", "--to", "2025-02-01", "--every", "day")
    assert result.exit_code == 2 and "before it starts" in result.stderr
    result = run(seeded_url, "series", "--category", "wounded", "--from", "2025-01-01", "--to", "2025-02-01",
                 "--every", "day")
    assert result.exit_code == 4 and "no category 'wounded'" in result.stderr


def test_trace_explains_a_derived_figure(seeded_url: str) -> None:
    report = run_json(seeded_url, "trace", "unaccounted", "--as-of", "2025-08-01")
    r.TraceResult.model_validate(report)
    assert report["figure"] is None
    derived = report["derived"]
    assert (derived["value"], derived["relation"], derived["under"]) == (
        4, "recruited = discharged + remaining + dead + unaccounted", "matter")
    inputs = {i["category"]: i for i in derived["inputs"]}
    assert {c: (i["value"], i["statement"]) for c, i in inputs.items()} == {
        "recruited": (127, RAJYA), "discharged": (98, RAJYA), "remaining": (13, RAJYA), "dead": (12, KILLED)}
    assert inputs["recruited"]["source"]["person"] == "Kirti Vardhan Singh"
    assert "127 Indian nationals" in inputs["recruited"]["quote"]
    assert "12 Indian\nnationals" in inputs["dead"]["quote"] or "12 Indian nationals" in inputs["dead"]["quote"]
    table = run(seeded_url, "trace", "unaccounted", "--as-of", "2025-08-01").stdout
    assert "derived: 4 from recruited = discharged + remaining + dead + unaccounted" in table
    assert f"dead = 12, as of 2025-01, statement {KILLED}" in table
    # once the relation cannot hold, nothing is derived to explain
    assert run_json(seeded_url, "trace", "unaccounted", "--as-of", "2025-12-01")["derived"] is None


def test_undated_figures_that_no_dated_figure_matches(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    write_yaml(tmp_path, "undated.yaml", {"statements": [
        statement("undated-500", stated_on="unknown", figures={"dead": 500}),
        statement("undated-12", stated_on="unknown", figures={"dead": {"value": 10, "qualifier": "at_least"}}),
        statement("undated-wounded", stated_on="unknown", figures={"missing": {"low": 11, "high": 20}}),
    ]})
    assert run(db_url, "record", str(tmp_path / "undated.yaml")).exit_code == 0
    before = event_count(db_url)
    result = run(db_url, "check", "--as-of", "2025-12-31", "--format", "json")
    assert result.exit_code == 1
    import json

    items = [i for i in json.loads(result.stdout) if i["kind"] == "undated_conflict"]
    for item in items:
        r.CheckItem.model_validate(item)
    assert [(i["statements"], i["categories"], i["first_seen"]) for i in items] == [
        (["undated-500"], ["dead"], "2025-01-31")]
    assert "gives dead 500, which no dated figure matches: 12 (mea-2025-01-killed, as of 2025-01)" in items[0]["message"]
    assert "[undated_conflict]" in run(db_url, "check", "--as-of", "2025-12-31").stdout
    assert event_count(db_url) == before  # check writes nothing
