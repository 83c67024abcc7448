"""Issue 11 wired: the replay rule (docs/replay.md) as status, trace, history, check and
export see it, on both backends, with hand-worked cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.conftest import event_count, run, run_json, write_yaml

MATTER = "replay-cases"


def matter(**extra: object) -> dict:
    return {"matter": {
        "id": MATTER, "title": "Replay cases",
        "categories": {
            "recruited": {"kind": "cumulative"},
            "discharged": {"kind": "cumulative"},
            "returned": {"kind": "cumulative", "same_as": "discharged"},
            "missing": {"kind": "current"},
            "dead": {"kind": "cumulative"},
        },
        **extra,
    }}


def said(id: str, stated_on: str, figures: dict, **overrides: object) -> dict:
    doc = {"id": id, "matter": MATTER, "stated_on": stated_on, "source": {"organization": "Ministry"},
           "figures": figures, "quote": f"Words of {id}."}
    doc.update(overrides)
    return doc


def ledger(db_url: str, tmp_path: Path, *docs: dict, **matter_extra: object) -> None:
    files = [write_yaml(tmp_path, "matter.yaml", matter(**matter_extra))]
    files += [write_yaml(tmp_path, f"s{n:02d}-{doc['id']}.yaml", doc) for n, doc in enumerate(docs)]
    result = run(db_url, "record", *map(str, files))
    assert result.exit_code == 0, result.output + result.stderr


def status(db_url: str, day: str, *options: str) -> dict:
    return run_json(db_url, "status", "--matter", MATTER, "--as-of", day, *options)


def kinds(report: dict) -> list[str]:
    return sorted(d["kind"] for d in report["discrepancies"])


def test_a_year_does_not_outrank_a_day_inside_it(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path,
           said("day-202", "2025-12-18", {"recruited": 202}),
           said("year-127", "2025", {"recruited": 127}))  # dated only "2025", recorded later
    report = status(db_url, "2025-12-31")
    recruited = report["figures"]["recruited"]
    assert (recruited["value"], recruited["statement"]) == (202, "day-202")
    # the year may describe a later day than 12-18 and says something else: flagged, not a decrease
    assert kinds(report) == ["ambiguous_order"]
    [ambiguous] = report["discrepancies"]
    assert ambiguous["statements"] == ["day-202", "year-127"]
    assert report["policy"] == "latest" and report["window_days"] == 0
    trace = run_json(db_url, "trace", "recruited", "--matter", MATTER, "--as-of", "2025-12-31")
    assert trace["figure"]["statement"] == "day-202"
    [other] = trace["others"]
    assert other["outcome"] == "outranked" and "contains the more precise day-202" in other["why"]
    history = run_json(db_url, "history", "recruited", "--matter", MATTER, "--as-of", "2025-12-31")
    assert [(f["statement"], f["stands"]) for f in history["figures"]] == [("day-202", True), ("year-127", False)]


def test_same_day_tie_goes_to_the_direct_quote(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path,
           said("quote-16", "2025-03-10", {"missing": 16}, attribution="direct_quote"),
           said("headline-17", "2025-03-10", {"missing": 17}, attribution="second_hand"))
    missing = status(db_url, "2025-03-31")["figures"]["missing"]
    assert (missing["value"], missing["statement"]) == (16, "quote-16")  # recorded first, still wins
    trace = run_json(db_url, "trace", "missing", "--matter", MATTER, "--as-of", "2025-03-31")
    assert "weaker attribution (second_hand)" in trace["others"][0]["why"]


def test_ranks_are_events_and_known_at_replays_them(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path,
           said("dead-10", "2025-11-01", {"dead": 10}),
           said("dead-12", "2025-11-02", {"dead": 12}))
    assert status(db_url, "2025-11-30")["figures"]["dead"]["statement"] == "dead-12"
    before = dt.datetime.now(dt.UTC).isoformat()
    events = event_count(db_url)
    result = run(db_url, "rank", "dead-12", "--deprecated", "--reason", "duplicate of a wire report", "--by", "ana")
    assert result.exit_code == 0 and "ranked dead-12 deprecated" in result.stdout
    assert event_count(db_url) == events + 1
    assert status(db_url, "2025-11-30")["figures"]["dead"]["statement"] == "dead-10"
    assert status(db_url, "2025-11-30", "--known-at", before)["figures"]["dead"]["statement"] == "dead-12"
    trace = run_json(db_url, "trace", "dead", "--matter", MATTER, "--as-of", "2025-11-30")
    assert {o["statement"]: o["outcome"] for o in trace["others"]} == {"dead-12": "deprecated"}
    # preferred wins only within its window: widen it by a day to take in dead-10
    assert run(db_url, "rank", "dead-12", "--normal", "--reason", "not a duplicate").exit_code == 0
    assert run(db_url, "rank", "dead-10", "--preferred", "--reason", "the ministry's count").exit_code == 0
    assert status(db_url, "2025-11-30")["figures"]["dead"]["statement"] == "dead-12"
    assert status(db_url, "2025-11-30", "--window", "1")["figures"]["dead"]["statement"] == "dead-10"


def test_rank_refusals_write_nothing(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path, said("dead-10", "2025-11-01", {"dead": 10}))
    events = event_count(db_url)
    same = run(db_url, "rank", "dead-10", "--normal", "--reason", "x")
    assert same.exit_code == 6 and "already ranked normal" in same.stderr
    unknown = run(db_url, "rank", "nope", "--preferred", "--reason", "x")
    assert unknown.exit_code == 4 and "no statement 'nope'" in unknown.stderr
    none = run(db_url, "rank", "dead-10", "--reason", "x")
    assert none.exit_code == 2 and "choose a rank" in none.stderr
    assert event_count(db_url) == events


def test_latest_conservative_and_estimate_on_one_window(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path,
           said("dec-10", "2025-12-10", {"recruited": 140}),
           said("year", "2025-12-20", {"recruited": {"low": 150, "high": 260}}, as_of="2025"),
           said("month", "2025-12-20", {"recruited": {"low": 180, "high": 250}}, as_of="2025-12"),
           said("day", "2025-12-20", {"recruited": {"value": 202, "qualifier": "approx"}}, as_of="2025-12-18"))
    latest = status(db_url, "2025-12-31")["figures"]["recruited"]
    # approx 202 is [181, 223] (10%, rounded outwards), best 202
    assert (latest["statement"], latest["low"], latest["best"], latest["high"]) == ("day", 181, 202, 223)
    conservative = status(db_url, "2025-12-31", "--policy", "conservative")
    assert conservative["policy"] == "conservative"
    figure = conservative["figures"]["recruited"]
    assert (figure["statement"], figure["low"], figure["high"]) == ("year", 150, 260)
    estimate = status(db_url, "2025-12-31", "--policy", "estimate")["figures"]["recruited"]
    assert (estimate["statement"], estimate["low"], estimate["best"], estimate["high"]) == ("day", 150, 202, 260)
    assert estimate["statements"] == ["day", "month", "year"]
    # a window of 10 days takes in December 10th's 140
    wide = status(db_url, "2025-12-31", "--policy", "conservative", "--window", "10")["figures"]["recruited"]
    assert (wide["statement"], wide["low"]) == ("dec-10", 140)
    table = run(db_url, "status", "--matter", MATTER, "--as-of", "2025-12-31", "--policy", "estimate").stdout
    assert "(policy estimate)" in table and "150-260 (best 202)" in table


def test_increments_with_and_without_a_base(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path,
           said("more-2", "2025-10-20", {"missing": {"change": 2}}),
           said("dead-10", "2025-11-01", {"dead": 10}),
           said("two-more", "2025-11-05", {"dead": {"change": 2}, "missing": {"change": 1}}),
           said("one-more", "2025-11-07", {"dead": {"change": 1}}))
    report = status(db_url, "2025-11-30")
    dead = report["figures"]["dead"]
    assert (dead["value"], dead["qualifier"], dead["low"], dead["high"]) == (13, "exact", 13, 13)
    assert dead["increments"] == {"text": "10 + 2 + 1", "statements": ["dead-10", "two-more", "one-more"]}
    missing = report["figures"]["missing"]  # no total: at least the sum of the changes
    assert (missing["qualifier"], missing["low"], missing["high"]) == ("at_least", 3, None)
    assert missing["increments"]["text"] == ">= 2 + 1"
    # before the changes, the total alone
    assert status(db_url, "2025-11-02")["figures"]["dead"].get("increments") is None
    table = run(db_url, "status", "--matter", MATTER, "--as-of", "2025-11-30").stdout
    assert "10 + 2 + 1 = 13" in table


def test_negative_change_of_a_cumulative_category_is_refused(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path, said("dead-10", "2025-11-01", {"dead": 10}))
    events = event_count(db_url)
    path = write_yaml(tmp_path, "minus.yaml", said("minus", "2025-11-03", {"dead": {"change": -1}}))
    result = run(db_url, "record", str(path))
    assert result.exit_code == 3 and "minus.yaml" in result.stderr and "cannot be negative" in result.stderr
    assert event_count(db_url) == events


def test_synonyms_share_a_timeline_and_keep_the_source_word(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path,
           said("discharged-90", "2025-07-01", {"discharged": 90}),
           said("returned-96", "2025-08-01", {"returned": 96}))
    report = status(db_url, "2025-08-31")
    assert "returned" not in report["figures"]
    figure = report["figures"]["discharged"]
    assert (figure["value"], figure["category"], figure["statement"]) == (96, "returned", "returned-96")
    assert report["figures"]["discharged"] and kinds(report) == []
    assert status(db_url, "2025-07-31")["figures"]["discharged"]["category"] == "discharged"
    history = run_json(db_url, "history", "returned", "--matter", MATTER)
    assert [(f["statement"], f["stands"]) for f in history["figures"]] == [("returned-96", True)]


def test_a_stale_single_figure_is_flagged_but_fails_check_only_when_strict(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path, said("dead-old", "2025-01-15", {"dead": 20}, as_of="2025-01"),
           stale_after_days=30)
    assert kinds(status(db_url, "2025-03-02")) == []  # 30 days after 2025-01-31
    report = status(db_url, "2025-03-03")
    [stale] = report["discrepancies"]
    assert (stale["kind"], stale["age_days"], stale["threshold_days"]) == ("stale_figure", 31, 30)
    check = run(db_url, "check", "--matter", MATTER, "--as-of", "2025-06-30")
    assert check.exit_code == 0 and "[stale_figure] (open)" in check.stdout
    assert run(db_url, "check", "--matter", MATTER, "--as-of", "2025-06-30", "--strict").exit_code == 1


def test_a_stale_figure_seen_on_many_days_keeps_its_age_and_wording_together(db_url: str, tmp_path: Path) -> None:
    """check replays on every statement date: a figure stale on several of them is reported once,
    first seen the day it turned stale, and its age is the one its message states (the last day seen)."""
    ledger(db_url, tmp_path, said("dead-old", "2025-01-15", {"dead": 20}, as_of="2025-01"),
           said("missing-apr", "2025-04-10", {"missing": 5}), said("missing-may", "2025-05-20", {"missing": 6}),
           stale_after_days=30)
    found = run_json(db_url, "check", "--matter", MATTER, "--as-of", "2025-05-31")
    [stale] = [d for d in found if d["kind"] == "stale_figure" and d["categories"] == ["dead"]]
    assert stale["first_seen"] == "2025-03-03" and stale["open"]
    # the last replayed day is the as-of day, 120 days after 2025-01-31
    assert stale["age_days"] == 120
    assert "120 days before 2025-05-31" in stale["message"]
