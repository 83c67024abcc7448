"""Replaying the seed statements and the replay rules, on both backends."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, MATTER_ID, event_count, run, run_json, statement, write_yaml


def values(report: dict) -> dict:
    return {c: (f["value"] if f else None) for c, f in report["figures"].items()}


def test_seed_replays_at_three_dates(seeded_url: str) -> None:
    early = run_json(seeded_url, "status", "--as-of", "2025-02-15")
    assert values(early) == {"recruited": None, "discharged": None, "remaining": None,
                             "missing": None, "dead": 12, "unaccounted": None}
    july = run_json(seeded_url, "status", "--as-of", "2025-08-15")
    assert values(july) == {"recruited": 127, "discharged": 98, "remaining": 13, "missing": 12, "dead": 12,
                            "unaccounted": None}
    assert july["matter"] == MATTER_ID and july["as_of"] == "2025-08-15"
    assert july["figures"]["recruited"]["statement"] == "rajya-sabha-2025-07"
    assert july["figures"]["dead"]["statement"] == "mea-2025-01-killed"
    late = run_json(seeded_url, "status", "--as-of", "2025-11-30")
    assert late["figures"]["remaining"]["value"] == 44
    assert late["figures"]["remaining"]["statement"] == "mea-briefing-2025-11-08"
    assert late["figures"]["remaining"]["source"]["person"] == "Randhir Jaiswal"
    assert late["figures"]["recruited"]["value"] == 127


def test_status_json_shape(seeded_url: str) -> None:
    report = run_json(seeded_url, "status", "--as-of", "2025-08-15")
    figure = report["figures"]["missing"]
    for key in ("value", "qualifier", "as_of", "stated_on", "statement", "source"):
        assert key in figure
    assert figure["as_of"] == "2025-07" and figure["stated_on"] == "2025-07"  # precision kept


def test_month_precision_counts_from_the_end_of_the_month(seeded_url: str) -> None:
    assert values(run_json(seeded_url, "status", "--as-of", "2025-07-30"))["recruited"] is None
    assert values(run_json(seeded_url, "status", "--as-of", "2025-07-31"))["recruited"] == 127
    # a partial query date also means the end of its period
    assert values(run_json(seeded_url, "status", "--as-of", "2025-07"))["recruited"] == 127


def test_status_csv_and_table(seeded_url: str) -> None:
    result = run(seeded_url, "status", "--as-of", "2025-08-15", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["category"] for r in rows] == ["recruited", "discharged", "remaining", "missing", "dead",
                                             "unaccounted"]
    assert rows[0]["value"] == "127" and rows[0]["statement"] == "rajya-sabha-2025-07"
    table = run(seeded_url, "status", "--as-of", "2025-02-15").stdout
    assert "Official picture as of 2025-02-15" in table
    assert "no figure yet" in table and "mea-2025-01-killed" in table


def test_history_sources_show(seeded_url: str) -> None:
    history = run_json(seeded_url, "history", "remaining")
    assert [(f["value"], f["statement"]) for f in history["figures"]] == [
        (13, "rajya-sabha-2025-07"), (44, "mea-briefing-2025-11-08"), (44, "ani-2025-11-08-lead")]  # its restatement
    sources = run_json(seeded_url, "sources")
    cbi = next(s for s in sources if s["organization"].startswith("Central Bureau"))
    assert cbi["statements"] == 1 and cbi["figures"] == 0
    assert cbi["statement_ids"] == ["cbi-2024-trafficking-network"]
    shown = run_json(seeded_url, "show", "rajya-sabha-2025-07")
    assert shown["statement"]["figures"]["recruited"] == 127
    assert shown["statement"]["quote"].startswith("There were 127 Indian nationals")
    assert shown["recorded_by"]


def test_recording_again_is_a_no_op(seeded_url: str) -> None:
    before = event_count(seeded_url)
    result = run(seeded_url, "record", str(EXAMPLES))
    assert result.exit_code == 0
    assert "matter already recorded: indians-in-russian-army" in result.stdout
    assert "recorded 0 statement(s); 5 already recorded" in result.stdout
    assert event_count(seeded_url) == before


# --- replay rules on a fresh ledger -------------------------------------------------------


@pytest.fixture
def ledger_url(db_url: str) -> str:
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    return db_url


def record(url: str, folder: Path, *docs: dict) -> None:
    path = write_yaml(folder, f"batch-{docs[0]['id']}.yaml", {"statements": list(docs)})
    result = run(url, "record", str(path))
    assert result.exit_code == 0, result.stderr


def test_latest_described_date_wins_over_later_statement(ledger_url: str, tmp_path: Path) -> None:
    record(ledger_url, tmp_path,
           statement("a", stated_on="2025-10-01", as_of="2025-09-30", figures={"dead": 10}),
           statement("b", stated_on="2025-11-01", as_of="2025-08-31", figures={"dead": 20}))
    fig = run_json(ledger_url, "status", "--as-of", "2025-12-01")["figures"]["dead"]
    assert (fig["value"], fig["statement"]) == (10, "a")
    # before b was stated, a is the only one; before a, nothing
    assert run_json(ledger_url, "status", "--as-of", "2025-10-15")["figures"]["dead"]["value"] == 10
    assert run_json(ledger_url, "status", "--as-of", "2025-09-30")["figures"]["dead"] is None


def test_ties_on_described_date_go_to_the_later_statement(ledger_url: str, tmp_path: Path) -> None:
    record(ledger_url, tmp_path,
           statement("late", stated_on="2025-10-20", as_of="2025-10-01", figures={"missing": 7}),
           statement("early", stated_on="2025-10-05", as_of="2025-10-01", figures={"missing": 5}))
    assert run_json(ledger_url, "status", "--as-of", "2025-10-10")["figures"]["missing"]["value"] == 5
    assert run_json(ledger_url, "status", "--as-of", "2025-10-31")["figures"]["missing"]["value"] == 7


def test_full_tie_goes_to_the_later_recording(ledger_url: str, tmp_path: Path) -> None:
    record(ledger_url, tmp_path, statement("first", figures={"missing": 1}))
    record(ledger_url, tmp_path, statement("second", figures={"missing": 2}))
    assert run_json(ledger_url, "status", "--as-of", "2025-09-01")["figures"]["missing"]["statement"] == "second"


def test_year_precision_and_day_precision_tie(ledger_url: str, tmp_path: Path) -> None:
    record(ledger_url, tmp_path,
           statement("year", stated_on="2024", figures={"recruited": 100}),
           statement("day", stated_on="2024-12-31", figures={"recruited": 90}))
    assert run_json(ledger_url, "status", "--as-of", "2024-12-30")["figures"]["recruited"] is None
    # both describe 2024-12-31 and were stated by then: the year statement is "later" only
    # if stated later; they tie on both dates, so the later recording (day) wins
    assert run_json(ledger_url, "status", "--as-of", "2024-12-31")["figures"]["recruited"]["value"] == 90
    fig = run_json(ledger_url, "history", "recruited")["figures"]
    assert {f["stated_on"] for f in fig} == {"2024", "2024-12-31"}


def test_undated_statements_are_kept_but_not_replayed(ledger_url: str, tmp_path: Path) -> None:
    record(ledger_url, tmp_path, statement("undated", stated_on="unknown", figures={"dead": 99}))
    report = run_json(ledger_url, "status", "--as-of", "2030-01-01")
    assert report["figures"]["dead"] is None
    assert report["undated_statements_excluded"] == 1
    assert "1 statement(s) with an unknown date" in run(ledger_url, "status").stdout
    assert run_json(ledger_url, "history", "dead")["figures"][0]["stated_on"] == "unknown"
    assert run_json(ledger_url, "show", "undated")["statement"]["stated_on"] == "unknown"
    assert run_json(ledger_url, "sources")[0]["undated"] == 1


def test_ranges_and_qualifiers(ledger_url: str, tmp_path: Path) -> None:
    record(ledger_url, tmp_path, statement("r", figures={
        "remaining": {"low": 35, "high": 50}, "dead": {"value": 12, "qualifier": "at_least"}}))
    figures = run_json(ledger_url, "status", "--as-of", "2025-09-01")["figures"]
    assert (figures["remaining"]["low"], figures["remaining"]["high"]) == (35, 50)
    assert figures["remaining"]["qualifier"] == "range" and figures["remaining"]["value"] is None
    assert (figures["dead"]["value"], figures["dead"]["qualifier"]) == (12, "at_least")
    assert "35-50" in run(ledger_url, "status", "--as-of", "2025-09-01").stdout


def test_forward_looking_figure(ledger_url: str, tmp_path: Path) -> None:
    record(ledger_url, tmp_path,
           statement("past", stated_on="2025-09-01", as_of="2025-08-01", figures={"discharged": 90}),
           statement("plan", stated_on="2025-09-02", as_of="2025-12-31", figures={"discharged": 120}))
    assert run_json(ledger_url, "status", "--as-of", "2025-09-01")["figures"]["discharged"]["value"] == 90
    assert run_json(ledger_url, "status", "--as-of", "2025-09-05")["figures"]["discharged"]["value"] == 120


def test_statement_without_figures_is_recorded(ledger_url: str, tmp_path: Path) -> None:
    record(ledger_url, tmp_path, statement("words-only"))
    assert run_json(ledger_url, "show", "words-only")["statement"]["figures"] == {}
    assert all(f is None for f in run_json(ledger_url, "status")["figures"].values())


def test_statement_id_derived_from_content(ledger_url: str, tmp_path: Path) -> None:
    doc = statement("x", figures={"dead": 3})
    del doc["id"]
    record_path = write_yaml(tmp_path, "noid.yaml", doc)
    assert run(ledger_url, "record", str(record_path)).exit_code == 0
    [fig] = run_json(ledger_url, "history", "dead")["figures"]
    assert fig["statement"].startswith(f"{MATTER_ID}-2025-09-01-")
    again = run(ledger_url, "record", str(record_path))
    assert "1 already recorded" in again.stdout
