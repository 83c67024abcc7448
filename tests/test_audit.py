"""Audit trail on both backends: corrections, retractions, --known-at, audit, trace, log."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES, event_count, run, run_json, write_yaml


def value(report: dict, category: str) -> int | None:
    figure = report["figures"][category]
    return figure["value"] if figure else None


@pytest.fixture
def audited(db_url: str, tmp_path: Path) -> dict:
    """The seed, then (later) a correction of the July answer and a retraction of the briefing."""
    assert run(db_url, "record", str(EXAMPLES), "--by", "alice").exit_code == 0
    seeded = run_json(db_url, "log")[-1]["recorded_at"]
    shown = yaml.safe_load(run(db_url, "show", "rajya-sabha-2025-07", "--format", "yaml").stdout)
    shown["figures"]["missing"] = 11
    fixed = write_yaml(tmp_path, "fixed.yaml", shown)
    result = run(db_url, "correct", "rajya-sabha-2025-07", str(fixed), "--reason", "12 was a typo for 11",
                 "--by", "bob")
    assert result.exit_code == 0, result.stderr
    corrected = run_json(db_url, "log")[-1]["recorded_at"]
    result = run(db_url, "retract", "mea-briefing-2025-11-08", "--reason", "withdrawn by the MEA", "--by", "carol")
    assert result.exit_code == 0, result.stderr
    retracted = run_json(db_url, "log")[-1]["recorded_at"]
    first = run_json(db_url, "log")[0]["recorded_at"]
    return {"url": db_url, "before": "2020-01-01T00:00:00Z", "first": first, "seeded": seeded,
            "corrected": corrected, "retracted": retracted}


GRID = [
    # known-at key, as-of, category, expected value
    ("before", "2025-11-30", "remaining", None),
    ("before", "2025-11-30", "dead", None),
    ("seeded", "2025-02-15", "dead", 12),
    ("seeded", "2025-08-15", "missing", 12),
    ("seeded", "2025-08-15", "remaining", 13),
    ("seeded", "2025-11-30", "remaining", 44),
    ("corrected", "2025-08-15", "missing", 11),
    ("corrected", "2025-11-30", "remaining", 44),
    ("corrected", "2025-02-15", "missing", None),
    # With the briefing retracted, ANI's restatement of it (at least 44, same date) is what
    # remains on the record for 8 November: it stands (a restatement yields to its original
    # only while the original stands).
    ("retracted", "2025-11-30", "remaining", 44),
    ("retracted", "2025-11-30", "missing", 11),
    (None, "2025-11-30", "remaining", 44),
    (None, "2025-08-15", "missing", 11),
    (None, "2025-02-15", "dead", 12),
]


def test_as_of_known_at_grid(audited: dict) -> None:
    for known_key, as_of, category, expected in GRID:
        args = ["status", "--as-of", as_of]
        if known_key:
            args += ["--known-at", audited[known_key]]
        report = run_json(audited["url"], *args)
        assert value(report, category) == expected, (known_key, as_of, category, report["figures"][category])


def test_known_at_reproduces_a_past_report_exactly(audited: dict) -> None:
    url = audited["url"]
    then = run_json(url, "status", "--as-of", "2025-11-30", "--known-at", audited["seeded"])
    # the same question asked of a fresh ledger holding only the seed gives the same figures
    assert value(then, "remaining") == 44 and value(then, "missing") == 12
    assert then["figures"]["remaining"]["statement"] == "mea-briefing-2025-11-08"
    assert then["known_at"] == audited["seeded"]
    history_then = run_json(url, "history", "remaining", "--known-at", audited["seeded"])
    # the briefing's 44 and ANI's restatement of it (at least 44), recorded after it
    assert [(f["value"], f["statement"]) for f in history_then["figures"]] == [
        (13, "rajya-sabha-2025-07"), (44, "mea-briefing-2025-11-08"), (44, "ani-2025-11-08-lead")]
    history_now = run_json(url, "history", "remaining")
    assert [(f["value"], f["statement"]) for f in history_now["figures"]] == [
        (13, "rajya-sabha-2025-07"), (44, "ani-2025-11-08-lead")]  # the briefing is retracted
    assert [f["value"] for f in run_json(url, "history", "remaining", "--as-of", "2025-08-15")["figures"]] == [13]


def test_show_keeps_the_original_in_the_trail(audited: dict) -> None:
    url = audited["url"]
    shown = run_json(url, "show", "rajya-sabha-2025-07")
    assert shown["status"] == "corrected"
    assert [v["event"] for v in shown["trail"]] == ["recorded", "corrected"]
    assert shown["trail"][0]["document"]["figures"]["missing"] == {"value": 12, "qualifier": "exact"}
    assert shown["trail"][1]["document"]["figures"]["missing"] == 11
    assert shown["trail"][1]["reason"] == "12 was a typo for 11"
    assert (shown["trail"][0]["recorded_by"], shown["trail"][1]["recorded_by"]) == ("alice", "bob")
    before = run_json(url, "show", "rajya-sabha-2025-07", "--known-at", audited["seeded"])
    assert before["status"] == "recorded" and before["statement"]["figures"]["missing"]["value"] == 12
    retracted = run_json(url, "show", "mea-briefing-2025-11-08")
    assert retracted["status"] == "retracted" and retracted["trail"][-1]["reason"] == "withdrawn by the MEA"
    table = run(url, "show", "mea-briefing-2025-11-08").stdout
    assert "retracted" in table and "withdrawn by the MEA" in table and "by carol" in table


def test_sources_count_retractions(audited: dict) -> None:
    jaiswal = next(s for s in run_json(audited["url"], "sources") if s["person"] == "Randhir Jaiswal")
    assert jaiswal["retracted"] == 1


def test_audit_by_source(audited: dict) -> None:
    url = audited["url"]
    report = run_json(url, "audit", "--search", "external affairs", "--as-of", "2025-11-30")
    by_id = {s["statement"]: s for s in report["statements"]}
    assert set(by_id) == {"mea-2025-01-killed", "rajya-sabha-2025-07", "mea-briefing-2025-11-08"}
    rajya = {(f["category"], f["value"]): f for f in by_id["rajya-sabha-2025-07"]["figures"]}
    assert rajya[("missing", 12)]["outcome"] == "corrected"
    assert rajya[("missing", 11)]["outcome"] == "stands"
    # the briefing was retracted; ANI's restatement of it (at least 44) still describes 8 November
    assert rajya[("remaining", 13)]["outcome"] == "outranked"
    assert "outranked by ani-2025-11-08-lead" in rajya[("remaining", 13)]["why"]
    assert by_id["mea-briefing-2025-11-08"]["figures"][0]["outcome"] == "retracted"
    assert by_id["rajya-sabha-2025-07"]["quote"].startswith("There were 127")
    assert by_id["rajya-sabha-2025-07"]["citations"][0]["outlet"] == "ANI"
    # before the retraction, July's remaining was outranked by the briefing
    then = run_json(url, "audit", "--search", "Kirti", "--as-of", "2025-11-30", "--known-at", audited["corrected"])
    old, remaining = [f for f in then["statements"][0]["figures"] if f["category"] == "remaining"]
    assert old["outcome"] == "corrected" and old["position"] < remaining["position"]
    assert remaining["outcome"] == "outranked"
    assert "outranked by mea-briefing-2025-11-08" in remaining["why"]
    rows = list(csv.DictReader(io.StringIO(run(url, "audit", "--search", "CBI", "--format", "csv").stdout)))
    assert rows == []  # "CBI" is not in the organization's name
    cbi = run_json(url, "audit", "--search", "central bureau")["statements"]
    assert cbi[0]["figures"] == [] and "no figures" in run(url, "audit", "--search", "central bureau").stdout


def test_trace_explains_the_figure(audited: dict) -> None:
    url = audited["url"]
    then = run_json(url, "trace", "remaining", "--as-of", "2025-11-30", "--known-at", audited["seeded"])
    assert then["figure"]["statement"] == "mea-briefing-2025-11-08" and then["figure"]["value"] == 44
    assert then["statement"]["quote"].startswith("As per our understanding, 44")
    assert then["statement"]["recorded_by"] == "alice"
    other, restatement = sorted(then["others"], key=lambda o: o["statement"], reverse=True)
    assert other["statement"] == "rajya-sabha-2025-07" and other["outcome"] == "outranked"
    assert "describes an earlier date (2025-07)" in other["why"]
    assert restatement["statement"] == "ani-2025-11-08-lead" and restatement["outcome"] == "outranked"
    assert restatement["why"].startswith("restates mea-briefing-2025-11-08: the original's figure stands")
    now = run_json(url, "trace", "missing", "--as-of", "2025-11-30")
    assert now["figure"]["value"] == 11
    assert [v["event"] for v in now["trail"]] == ["recorded", "corrected"]
    assert now["trail"][1]["reason"] == "12 was a typo for 11"
    assert {o["outcome"] for o in now["others"]} == {"corrected"}
    text = run(url, "trace", "remaining", "--as-of", "2025-11-30").stdout
    assert "stands: >=44 (at_least)" in text and "retracted" in text  # ANI's restatement, the briefing retracted
    early = run_json(url, "trace", "remaining", "--as-of", "2025-02-15")
    assert early["figure"] is None
    assert {o["outcome"] for o in early["others"]} >= {"not yet stated"}


def test_log_lists_events_in_order(audited: dict) -> None:
    entries = run_json(audited["url"], "log")
    assert [e["position"] for e in entries] == list(range(1, 9))  # a matter, 5 statements, 2 changes
    assert [e["type"] for e in entries][-2:] == ["Statement.Corrected", "Statement.Retracted"]
    assert entries[-1]["id"] == "mea-briefing-2025-11-08" and entries[-1]["recorded_by"] == "carol"
    assert all(len(e["hash"]) == 64 for e in entries)
    assert [e["position"] for e in run_json(audited["url"], "log", "--since", "5")] == [6, 7, 8]
    rows = list(csv.DictReader(io.StringIO(run(audited["url"], "log", "--format", "csv").stdout)))
    assert rows[0]["type"] == "Matter.Declared"


def test_bad_corrections_and_retractions_write_nothing(audited: dict, tmp_path: Path) -> None:
    url = audited["url"]
    before = event_count(url)
    result = run(url, "retract", "mea-briefing-2025-11-08", "--reason", "again")
    assert result.exit_code == 6 and "already retracted" in result.stderr  # a state error (exit 6)
    result = run(url, "retract", "nope", "--reason", "x")
    assert result.exit_code == 4 and "no statement 'nope'" in result.stderr
    result = run(url, "retract", "mea-2025-01-killed", "--reason", "  ")
    assert result.exit_code == 2 and "a reason is required" in result.stderr
    shown = yaml.safe_load(run(url, "show", "mea-2025-01-killed", "--format", "yaml").stdout)
    same = write_yaml(tmp_path, "same.yaml", shown)
    result = run(url, "correct", "mea-2025-01-killed", str(same), "--reason", "x")
    assert result.exit_code == 3 and "nothing to correct" in result.stderr
    other = write_yaml(tmp_path, "other.yaml", {**shown, "id": "someone-else"})
    result = run(url, "correct", "mea-2025-01-killed", str(other), "--reason", "x")
    assert result.exit_code == 3 and "other.yaml:" in result.stderr and "corrects 'mea-2025-01-killed'" in result.stderr
    bad = write_yaml(tmp_path, "bad.yaml", {**shown, "figures": {"wounded": 3}})
    result = run(url, "correct", "mea-2025-01-killed", str(bad), "--reason", "x")
    assert result.exit_code == 3 and "unknown category 'wounded'" in result.stderr
    bad_relation = write_yaml(tmp_path, "bad-relation.yaml", {**shown, "relations": ["dead <= wounded"]})
    result = run(url, "correct", "mea-2025-01-killed", str(bad_relation), "--reason", "x")
    assert result.exit_code == 3 and "bad-relation.yaml" in result.stderr and "unknown category 'wounded'" in result.stderr
    invalid = write_yaml(tmp_path, "invalid.yaml", {**shown, "stated_on": "2025-02-30"})
    result = run(url, "correct", "mea-2025-01-killed", str(invalid), "--reason", "x")
    assert result.exit_code == 3 and "invalid.yaml:" in result.stderr and "28 days" in result.stderr
    no_id = write_yaml(tmp_path, "no-id.yaml", {k: v for k, v in shown.items() if k != "id"})
    result = run(url, "correct", "mea-briefing-2025-11-08", str(no_id), "--reason", "x")
    assert result.exit_code == 3 and "is retracted" in result.stderr
    assert event_count(url) == before
