"""Reconciliation on both backends: derived figures, each kind of discrepancy, `check`."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import EXAMPLES, event_count, run, run_json, statement, write_yaml


def kinds(report: dict) -> list[str]:
    return sorted(d["kind"] for d in report["discrepancies"])


def only(report: dict, kind: str) -> dict:
    found = [d for d in report["discrepancies"] if d["kind"] == kind]
    assert len(found) == 1, report["discrepancies"]
    return found[0]


# --- the seed ------------------------------------------------------------------------------


def test_seed_derives_unaccounted_as_of_august(seeded_url: str) -> None:
    report = run_json(seeded_url, "status", "--as-of", "2025-08-15")
    unaccounted = report["derived"]["unaccounted"]
    assert unaccounted["value"] == 127 - 98 - 13 - 12 == 4
    assert unaccounted["qualifier"] == "derived" and unaccounted["under"] == "matter"
    assert unaccounted["relation"] == "recruited = discharged + remaining + dead + unaccounted"
    assert {(i["category"], i["statement"]) for i in unaccounted["inputs"]} == {
        ("recruited", "rajya-sabha-2025-07"), ("discharged", "rajya-sabha-2025-07"),
        ("remaining", "rajya-sabha-2025-07"), ("dead", "mea-2025-01-killed")}
    assert unaccounted["statements"] == ["rajya-sabha-2025-07", "mea-2025-01-killed"]
    # January's death toll combined with July's counts: stale inputs, with the gap in days
    stale = only(report, "stale_inputs")
    assert stale["gap_days"] == (31 + 28 + 31 + 30 + 31 + 30) == 181  # 2025-01-31 .. 2025-07-31
    assert stale["threshold_days"] == 90 and "derived unaccounted" in stale["message"]
    # January's death toll still standing in August is itself a stale figure (issue 11)
    assert kinds(report) == ["stale_figure", "stale_inputs"]


def test_seed_contradiction_as_of_november(seeded_url: str) -> None:
    report = run_json(seeded_url, "status", "--as-of", "2025-11-30")
    assert "unaccounted" not in report["derived"]  # it would be negative
    violated = only(report, "relation_violated")
    assert violated["numbers"] == {"parts": "154", "total": "127", "shortfall": 98 + 44 + 12 - 127}
    assert "at least 27 are missing from the record" in violated["message"]
    assert violated["statements"] == ["rajya-sabha-2025-07", "mea-briefing-2025-11-08", "mea-2025-01-killed"]


def test_seed_tables_show_derived_and_discrepancies(seeded_url: str) -> None:
    august = run(seeded_url, "status", "--as-of", "2025-08-15").stdout
    assert "Derived from relations" in august
    assert "unaccounted" in august.split("Derived from relations")[1]
    assert "[stale_inputs]" in august
    november = run(seeded_url, "status", "--as-of", "2025-11-30").stdout
    assert "[relation_violated]" in november and "at least 27" in november


def test_stale_threshold_is_configurable(seeded_url: str) -> None:
    relaxed = run_json(seeded_url, "status", "--as-of", "2025-08-15", "--stale-days", "181")
    # the death toll as of January (ends 2025-01-31) is 196 days old on 2025-08-15: still a stale figure
    assert kinds(relaxed) == ["stale_figure"] and relaxed["derived"]["unaccounted"]["value"] == 4
    assert kinds(run_json(seeded_url, "status", "--as-of", "2025-08-15", "--stale-days", "196")) == []
    strict = run_json(seeded_url, "status", "--as-of", "2025-08-15", "--stale-days", "180")
    assert only(strict, "stale_inputs")["threshold_days"] == 180


def test_check_over_the_seed_timeline(seeded_url: str) -> None:
    result = run(seeded_url, "check", "--format", "json")
    assert result.exit_code == 1  # open discrepancies, like bean-check
    import json

    found = json.loads(result.stdout)
    violated = [d for d in found if d["kind"] == "relation_violated"]
    assert len(violated) == 1 and violated[0]["first_seen"] == "2025-11-08" and violated[0]["open"]
    # the stale derivation of August is replaced once November's figure arrives
    august_stale = [d for d in found if d["kind"] == "stale_inputs" and d["first_seen"] == "2025-07-31"]
    assert len(august_stale) == 1 and august_stale[0]["resolved_on"] == "2025-11-08"
    # nothing was wrong before July
    assert run(seeded_url, "check", "--as-of", "2025-06-30").exit_code == 0
    early = run(seeded_url, "check", "--as-of", "2025-06-30").stdout
    # ... but January's death toll, still standing in June, is a stale figure (issue 11): listed,
    # and failing the check only with --strict
    assert "[stale_figure] (open) dead still stands on a figure as of 2025-01" in early
    assert "1 discrepancy up to 2025-06-30, 1 open" in early
    assert run(seeded_url, "check", "--as-of", "2025-06-30", "--strict").exit_code == 1
    # a reader's threshold makes the July picture clean
    assert run(seeded_url, "check", "--as-of", "2025-08-15", "--stale-days", "365").exit_code == 0
    table = run(seeded_url, "check").stdout
    assert "(open)" in table and "(superseded 2025-11-08)" in table  # the violation took its place


# --- each kind of discrepancy, on a fresh ledger -------------------------------------------


def record(db_url: str, tmp_path: Path, *docs: dict) -> str:
    files = [write_yaml(tmp_path, f"s{n}-{doc['id']}.yaml", doc) for n, doc in enumerate(docs)]
    result = run(db_url, "record", *map(str, files))
    assert result.exit_code == 0, result.output
    return result.output


def seeded(db_url: str) -> None:
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0


def test_cumulative_decrease(db_url: str, tmp_path: Path) -> None:
    seeded(db_url)
    record(db_url, tmp_path, statement("dead-later", stated_on="2025-03-10", figures={"dead": 10}))
    report = run_json(db_url, "status", "--as-of", "2025-04-01")
    assert report["figures"]["dead"]["value"] == 10
    decrease = only(report, "cumulative_decrease")
    assert decrease["numbers"] == {"before": "12", "after": "10"}
    assert decrease["statements"] == ["mea-2025-01-killed", "dead-later"]
    # a current category may fall: remaining 13 -> 5 is no discrepancy of this kind
    record(db_url, tmp_path, statement("fewer-remaining", stated_on="2025-08-10", as_of="2025-08-10",
                                       figures={"remaining": 5}))
    assert "cumulative_decrease" not in kinds(run_json(db_url, "status", "--as-of", "2025-02-01"))
    august = run_json(db_url, "status", "--as-of", "2025-08-15")
    assert [d["categories"] for d in august["discrepancies"] if d["kind"] == "cumulative_decrease"] == [["dead"]]


def test_conflicting_sources_on_the_same_date(db_url: str, tmp_path: Path) -> None:
    seeded(db_url)
    record(db_url, tmp_path,
           statement("embassy-count", stated_on="2025-07-20", as_of="2025-07",
                     source={"organization": "Embassy of India, Moscow"}, figures={"missing": 9}))
    report = run_json(db_url, "status", "--as-of", "2025-08-15")
    conflict = only(report, "conflicting_sources")
    assert conflict["statements"] == ["embassy-count", "rajya-sabha-2025-07"]
    assert conflict["numbers"] == {"embassy-count": "9", "rajya-sabha-2025-07": "12"}
    assert "Embassy of India, Moscow" in conflict["message"]


def test_ranges_that_overlap_do_not_conflict_and_derive_ranges(db_url: str, tmp_path: Path) -> None:
    seeded(db_url)
    record(db_url, tmp_path,
           statement("embassy-range", stated_on="2025-07-20", as_of="2025-07",
                     figures={"missing": {"low": 10, "high": 14}}))
    report = run_json(db_url, "status", "--as-of", "2025-08-15")
    assert "conflicting_sources" not in kinds(report)
    record(db_url, tmp_path,
           statement("approx-recruited", stated_on="2025-08-01", as_of="2025-08-01",
                     figures={"recruited": {"value": 130, "qualifier": "approx"}}))
    report = run_json(db_url, "status", "--as-of", "2025-08-15")
    unaccounted = report["derived"]["unaccounted"]
    # recruited 117..143 (130 +-10%) - 98 - 13 - 12: a range, clamped at zero
    assert (unaccounted["value"], unaccounted["low"], unaccounted["high"]) == (None, 0, 143 - 123)


def test_inconsistent_statement_is_recorded_with_a_warning(db_url: str, tmp_path: Path) -> None:
    seeded(db_url)
    before = event_count(db_url)
    doc = statement("parts-exceed", stated_on="2025-09-01",
                    figures={"recruited": 100, "discharged": 96, "remaining": 18, "dead": 12})
    doc["relations"] = ["recruited >= discharged + remaining + dead"]
    path = write_yaml(tmp_path, "bad-sum.yaml", doc)
    result = run(db_url, "record", str(path))
    assert result.exit_code == 0
    assert f"warning: {path}" in result.stderr and "parts-exceed" in result.stderr
    assert "recruited = 100, discharged + remaining + dead = 126" in result.stderr
    assert event_count(db_url) == before + 1  # recorded, not rejected
    check = run(db_url, "check", "--format", "json")
    import json

    inconsistent = [d for d in json.loads(check.stdout) if d["kind"] == "inconsistent_statement"]
    assert [d["statements"] for d in inconsistent] == [["parts-exceed"]]


def test_statement_that_adds_up_gets_no_warning(db_url: str, tmp_path: Path) -> None:
    seeded(db_url)
    doc = statement("parts-add-up", stated_on="2025-01-15", as_of="2025-01",
                    figures={"recruited": 126, "discharged": 96, "remaining": 18, "dead": 12})
    doc["relations"] = ["recruited = discharged + remaining + dead"]
    result = run(db_url, "record", str(write_yaml(tmp_path, "ok.yaml", doc)))
    assert result.exit_code == 0 and "warning" not in result.stderr


def test_statement_relations_take_precedence_for_its_own_figures(db_url: str, tmp_path: Path) -> None:
    """Missing inside remaining (the matter) or beside it (a statement that lists them apart)."""
    seeded(db_url)
    apart = statement("missing-apart", stated_on="2025-12-01", as_of="2025-12-01",
                      figures={"recruited": 170, "discharged": 96, "remaining": 50, "missing": 7, "dead": 12})
    apart["relations"] = ["recruited = discharged + remaining + missing + dead + unaccounted"]
    record(db_url, tmp_path, apart)
    report = run_json(db_url, "status", "--as-of", "2025-12-15")
    unaccounted = report["derived"]["unaccounted"]
    assert unaccounted["value"] == 170 - 96 - 50 - 7 - 12 == 5
    assert unaccounted["under"] == "statement missing-apart"
    assert unaccounted["relation"] == "recruited = discharged + remaining + missing + dead + unaccounted"
    # the same figures under the matter's relation (missing counted inside remaining) give 12
    inside = statement("missing-inside", stated_on="2025-12-20", as_of="2025-12-20",
                       figures={"recruited": 170, "discharged": 96, "remaining": 50, "missing": 7, "dead": 12})
    record(db_url, tmp_path, inside)
    later = run_json(db_url, "status", "--as-of", "2025-12-31")
    assert later["derived"]["unaccounted"]["value"] == 170 - 96 - 50 - 12 == 12
    assert later["derived"]["unaccounted"]["under"] == "matter"


def test_a_resolved_discrepancy_is_not_open(db_url: str, tmp_path: Path) -> None:
    seeded(db_url)
    # a later statement gives figures that square the picture again
    record(db_url, tmp_path,
           statement("squares-it", stated_on="2025-12-01", as_of="2025-12-01",
                     figures={"recruited": 170, "discharged": 98, "remaining": 44, "missing": 12, "dead": 12}))
    result = run(db_url, "check", "--stale-days", "400", "--format", "json")
    import json

    found = json.loads(result.stdout)
    violated = [d for d in found if d["kind"] == "relation_violated"]
    assert [(d["first_seen"], d["resolved_on"], d["open"]) for d in violated] == [
        ("2025-11-08", "2025-12-01", False)]
    assert result.exit_code == 0
