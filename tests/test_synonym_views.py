"""Issue 11, synonyms in every view: a ``same_as`` category shares its timeline in ``trace``,
``plot`` and ``check``'s ``undated_conflict``, on both backends, with hand-worked cases.

The matter (tests/test_replay_wired.py): ``returned`` is ``same_as: discharged``. The story:
the ministry says 90 discharged as of 2025-07-01; a month later it says 96 *returned* (the
same people, another word) as of 2025-08-01. From 2025-08-01 the timeline ``discharged`` stands
on 96, stated as ``returned``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ledger.readmodel import results as r
from tests.conftest import run, run_json
from tests.test_replay_wired import MATTER, ledger, said

JULY = said("discharged-90", "2025-07-01", {"discharged": 90})
AUGUST = said("returned-96", "2025-08-01", {"returned": 96})


def trace(db_url: str, category: str, day: str, *options: str) -> dict:
    report = run_json(db_url, "trace", category, "--matter", MATTER, "--as-of", day, *options)
    r.TraceResult.model_validate(report)
    return report


def test_trace_lists_every_row_of_the_timeline_with_the_word_the_source_used(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path, JULY, AUGUST)
    for asked in ("discharged", "returned"):  # either word: one timeline, one answer
        report = trace(db_url, asked, "2025-08-31")
        assert (report["category"], report["timeline"]) == (asked, "discharged")
        figure = report["figure"]
        assert (figure["statement"], figure["category"], figure["value"]) == ("returned-96", "returned", 96)
        assert [(o["statement"], o["category"], o["outcome"]) for o in report["others"]] == [
            ("discharged-90", "discharged", "outranked")]
        assert report["others"][0]["why"] == "describes an earlier date (2025-07-01) than returned-96 (2025-08-01)"
    # a month earlier the July figure stands and August's is not yet stated
    july = trace(db_url, "returned", "2025-07-31")
    assert (july["figure"]["statement"], july["figure"]["category"]) == ("discharged-90", "discharged")
    assert [(o["statement"], o["category"], o["outcome"]) for o in july["others"]] == [
        ("returned-96", "returned", "not yet stated")]
    table = run(db_url, "trace", "discharged", "--matter", MATTER, "--as-of", "2025-08-31").stdout
    assert "timeline discharged: the figures of discharged, returned (same_as)" in table
    assert "stands: 96 (exact) as returned, as of 2025-08-01" in table
    assert "other figures for this timeline:" in table
    [other] = [line for line in table.splitlines() if line.startswith("discharged-90")]
    assert other.split()[:3] == ["discharged-90", "discharged", "90"]
    rows = list(csv.DictReader(io.StringIO(
        run(db_url, "trace", "discharged", "--matter", MATTER, "--as-of", "2025-08-31", "--format", "csv").stdout)))
    assert [(row["statement"], row["category"], row["outcome"]) for row in rows] == [
        ("returned-96", "returned", "stands"), ("discharged-90", "discharged", "outranked")]


def test_trace_of_a_category_without_synonyms_keeps_its_table(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path, said("dead-10", "2025-11-01", {"dead": 10}), said("dead-12", "2025-11-02", {"dead": 12}))
    report = trace(db_url, "dead", "2025-11-30")
    assert report["timeline"] == "dead" and [o["category"] for o in report["others"]] == ["dead"]
    table = run(db_url, "trace", "dead", "--matter", MATTER, "--as-of", "2025-11-30").stdout
    assert "timeline" not in table and "other figures for this category:" in table
    assert "statement  value  as_of" in table  # no category column


def test_plot_panel_of_either_word_draws_the_timeline_step(db_url: str, tmp_path: Path) -> None:
    import datetime as dt

    from ledger.application import Ledger
    from ledger.plot import chart_data

    ledger(db_url, tmp_path, JULY, AUGUST)
    with Ledger(db_url) as held:
        held.catch_up()
        alone = chart_data(held.view, MATTER, ["returned"], dt.date(2025, 12, 31))
        both = chart_data(held.view, MATTER, ["discharged", "returned"], dt.date(2025, 12, 31))
    # the step changes on 07-01 (90 discharged) and 08-01 (96 returned), whichever panels are drawn
    expected = [(dt.date(2025, 7, 1), 90), (dt.date(2025, 8, 1), 96), (dt.date(2025, 12, 31), 96)]
    [returned] = alone["panels"]
    assert (returned["category"], returned["timeline"]) == ("returned", "discharged")
    assert [(s["day"], s["low"]) for s in returned["steps"]] == expected
    assert [(p["statement"], p["value"]) for p in returned["points"]] == [("returned-96", 96)]  # its own word's
    for panel in both["panels"]:
        assert [(s["day"], s["low"], s["high"]) for s in panel["steps"]] == [(d, v, v) for d, v in expected]
    # 2025-12-31 is 152 days after 2025-08-01 (threshold 90): the timeline's stale figure shades both panels
    for panel in (returned, *both["panels"]):
        assert [d["kind"] for d in panel["discrepancies"]] == ["stale_figure"]


def undated_items(db_url: str, day: str) -> list[dict]:
    import json

    result = run(db_url, "check", "--matter", MATTER, "--as-of", day, "--format", "json")
    assert result.exit_code in (0, 1), result.output + result.stderr
    items = [i for i in json.loads(result.stdout) if i["kind"] == "undated_conflict"]
    for item in items:
        r.CheckItem.model_validate(item)
    return items


def test_undated_figures_are_compared_with_their_whole_timeline(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path, JULY, AUGUST,
           said("undated-returned-90", "unknown", {"returned": 90}),      # matches discharged-90 (another word)
           said("undated-discharged-96", "unknown", {"discharged": 96}),  # matches returned-96
           said("undated-returned-50", "unknown", {"returned": 50}))      # matches neither 90 nor 96
    [item] = undated_items(db_url, "2025-12-31")
    assert (item["statements"], item["categories"], item["first_seen"]) == (
        ["undated-returned-50"], ["discharged"], "2025-08-01")  # the latest of 2025-07-01 and 2025-08-01
    assert item["message"] == (
        "undated-returned-50 (undated) gives returned (timeline discharged) 50, which no dated figure matches: "
        "90 (discharged-90, discharged, as of 2025-07-01), 96 (returned-96, as of 2025-08-01)")
    # before August only the July figure is dated: 96 matches nothing, 90 matches July's, 50 matches nothing
    assert sorted(i["statements"][0] for i in undated_items(db_url, "2025-07-31")) == [
        "undated-discharged-96", "undated-returned-50"]


def test_changes_are_not_compared_with_totals(db_url: str, tmp_path: Path) -> None:
    ledger(db_url, tmp_path,
           said("dead-10", "2025-11-01", {"dead": 10}),
           said("two-more", "2025-11-05", {"dead": {"change": 2}}),
           said("undated-five-more", "unknown", {"dead": {"change": 5}}),  # a change: nothing to compare it with
           said("undated-10", "unknown", {"dead": 10}),   # matches dead-10 (not the change of 2)
           said("undated-2", "unknown", {"dead": 2}))     # a total of 2: the change of 2 is no total, so a conflict
    [item] = undated_items(db_url, "2025-11-30")
    assert (item["statements"], item["categories"]) == (["undated-2"], ["dead"])
    assert item["message"].endswith("gives dead 2, which no dated figure matches: 10 (dead-10, as of 2025-11-01)")
