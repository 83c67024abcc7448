"""The replay rules of issue 11 as pure functions, on hand-worked cases (no database):
ordering, policies, estimates, increments, synonyms, staleness. See docs/replay.md."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import pytest
from pydantic import ValidationError

from ledger.domain.dates import PartialDate
from ledger.domain.documents import Matter, Statement
from ledger.domain.figures import Figure
from ledger.domain.increments import change_problems, replay_increments
from ledger.domain.intervals import Interval
from ledger.domain.ordering import Candidate, eligible, needed, stands
from ledger.domain.policies import apply_policy
from ledger.domain.staleness import stale_figure, stale_threshold
from ledger.domain.synonyms import synonym_problems, timeline_key, timeline_members, timelines

D = dt.date.fromisoformat
_position = iter(range(1, 10_000))


def fig(statement: str, figure: Any, as_of: str, stated: str | None = None, *, category: str = "recruited",
        attribution: str = "direct_quote", rank: str = "normal", position: int | None = None) -> Candidate:
    return Candidate(statement=statement, category=category, as_of=PartialDate.parse(as_of),
                     stated_on=PartialDate.parse(stated or as_of), figure=Figure.from_input(figure),
                     position=next(_position) if position is None else position,
                     attribution=attribution, rank=rank)


# --- ordering -----------------------------------------------------------------------------


def test_a_year_does_not_outrank_a_later_day_inside_it() -> None:
    """'2025': 127 recruited (recorded later) vs 2025-12-18: 202 recruited, replayed at 2025-12-31."""
    day = fig("mea-2025-12-18", 202, "2025-12-18", position=1)
    year = fig("pib-2025", 127, "2025", position=2)
    pick = stands([day, year], D("2025-12-31"))
    assert pick.standing is day
    [ambiguous] = pick.discrepancies
    assert ambiguous["kind"] == "ambiguous_order"
    assert ambiguous["statements"] == ["mea-2025-12-18", "pib-2025"]
    assert ambiguous["message"] == ("recruited: recruited 127 as of 2025 (pib-2025) may describe a date after "
                                    "2025-12-18 (mea-2025-12-18: 202); the more precise figure stands")
    # before the year is over, the "2025" statement is not certainly made: the day stands alone
    assert stands([day, year], D("2025-12-20")).discrepancies == ()


def test_a_day_at_the_end_of_the_year_is_no_ambiguity() -> None:
    end = fig("end", 202, "2025-12-31")
    year = fig("year", 127, "2025")
    pick = stands([year, end], D("2026-01-10"))
    assert pick.standing is end and pick.discrepancies == ()


def test_same_figure_in_a_containing_period_is_no_ambiguity() -> None:
    month = fig("month", 44, "2025-11")
    day = fig("day", 44, "2025-11-08")
    pick = stands([month, day], D("2025-12-01"))
    assert pick.standing is day and pick.discrepancies == ()


def test_disjoint_periods_the_later_wins_whatever_its_precision() -> None:
    december = fig("december", 150, "2025-12")
    november_day = fig("nov-30", 140, "2025-11-30")
    assert stands([november_day, december], D("2026-01-01")).standing is december
    year_2026 = fig("y2026", 160, "2026")
    assert stands([december, year_2026], D("2026-12-31")).standing is year_2026


def test_attribution_tie_same_day() -> None:
    """'16 missing' direct quote, then a second-hand '17 missing' recorded after it, same day."""
    quote = fig("quote", 16, "2025-09-12", category="missing", attribution="direct_quote", position=10)
    headline = fig("headline", 17, "2025-09-12", category="missing", attribution="second_hand", position=11)
    assert stands([quote, headline], D("2025-09-30")).standing is quote
    paraphrase = fig("para", 16, "2025-09-12", category="missing", attribution="paraphrase", position=12)
    assert stands([headline, paraphrase], D("2025-09-30")).standing is paraphrase


def test_qualifier_tie_exact_beats_at_least() -> None:
    exact = fig("exact", 126, "2025-07-24", position=1)
    at_least = fig("at-least", {"value": 126, "qualifier": "at_least"}, "2025-07-24", position=2)
    approx = fig("approx", {"value": 130, "qualifier": "approx"}, "2025-07-24", position=3)
    ranged = fig("range", {"low": 120, "high": 130}, "2025-07-24", position=4)
    assert stands([approx, at_least, exact, ranged], D("2025-08-01")).standing is exact
    assert stands([approx, at_least, ranged], D("2025-08-01")).standing is ranged
    assert stands([approx, at_least], D("2025-08-01")).standing is at_least


def test_then_the_later_statement_then_the_later_recording() -> None:
    early = fig("early", 12, "2025-01", "2025-01-20", position=5)
    late = fig("late", 13, "2025-01", "2025-02-03", position=4)
    assert stands([early, late], D("2025-03-01")).standing is late
    first = fig("first", 12, "2025-01-20", position=6)
    second = fig("second", 13, "2025-01-20", position=7)
    assert stands([second, first], D("2025-03-01")).standing is second


def test_statements_not_yet_made_undated_and_changes_are_not_eligible() -> None:
    future = fig("future", 9, "2025-07", "2025-08-02")
    undated = fig("undated", 9, "unknown")
    change = fig("change", {"change": 2}, "2025-07-01")
    assert eligible([future, undated, change], D("2025-08-01")) == []
    assert stands([future, undated, change], D("2025-08-01")).standing is None


def test_deprecated_never_stands_and_preferred_wins_in_its_window() -> None:
    good = fig("good", 44, "2025-11-08")
    bad = fig("bad", 50, "2025-11-08", rank="deprecated", position=10_001)
    assert stands([good, bad], D("2025-11-30")).standing is good
    assert stands([bad], D("2025-11-30")).standing is None
    # preferred beats a more precise and a better-attributed figure of the same window
    preferred = fig("pref", 40, "2025-11", attribution="paraphrase", rank="preferred")
    pick = stands([good, preferred], D("2025-11-30"))
    assert pick.standing is preferred and pick.discrepancies == ()
    # but not a figure of a later window
    later = fig("later", 45, "2025-12-05")
    assert stands([good, preferred, later], D("2025-12-31")).standing is later
    # a window widened by 30 days takes the preferred one in again
    assert stands([good, preferred, later], D("2025-12-31"), window_days=30).standing is preferred


def test_the_candidate_set_the_read_model_fetches_gives_the_same_answer() -> None:
    """Fetching only what ``needed`` selects changes nothing, here and at every day."""
    everything = [
        fig("a", 10, "2024"), fig("b", 20, "2025-01-15"), fig("c", 30, "2025-03"),
        fig("d", 35, "2025-03-31"), fig("e", 33, "2025"), fig("f", 40, "2025-06-01", rank="deprecated"),
        fig("g", 41, "2025-06-01", "2025-05-20"), fig("h", 38, "2025-05", attribution="second_hand"),
        fig("i", 39, "2025-05-31", rank="preferred"), fig("j", {"change": 3}, "2025-07-02"),
    ]
    for offset in range(0, 800, 7):
        day = D("2024-06-01") + dt.timedelta(days=offset)
        for window_days in (0, 10, 60):
            full = stands(everything, day, window_days)
            if full.head is None:
                continue
            fetched = [c for c in everything if needed(c, day, full.head.as_of_start, window_days)]
            small = stands(fetched, day, window_days)
            assert (small.standing, small.window, small.discrepancies) == (
                full.standing, full.window, full.discrepancies), (day, window_days)
            for policy in ("latest", "conservative", "estimate"):
                assert apply_policy(policy, fetched, day, window_days) == apply_policy(
                    policy, everything, day, window_days)


# --- policies -----------------------------------------------------------------------------


def _one_window() -> list[Candidate]:
    return [
        fig("mea", 202, "2025-12-18", position=1),
        fig("pti", {"value": 200, "qualifier": "approx"}, "2025-12-18", attribution="second_hand", position=2),
        fig("mp", {"low": 190, "best": 205, "high": 230}, "2025-12-18", attribution="paraphrase", position=3),
        fig("old", 150, "2025-10-02", position=4),
    ]


def test_conservative_latest_and_estimate_on_one_window() -> None:
    day = D("2025-12-31")
    latest = apply_policy("latest", _one_window(), day)
    assert latest.standing.statement == "mea" and latest.numbers() == {"low": 202, "best": 202, "high": 202}
    assert latest.statements == ["mea"]
    conservative = apply_policy("conservative", _one_window(), day)
    # approx 200 is [180, 220]: the lowest lower bound of the window
    assert conservative.standing.statement == "pti"
    assert conservative.numbers() == {"low": 180, "best": 200, "high": 220}
    assert conservative.statements == ["mea", "mp", "pti"]
    estimate = apply_policy("estimate", _one_window(), day)
    assert estimate.standing.statement == "mea"
    assert estimate.numbers() == {"low": 180, "best": 202, "high": 230}
    assert estimate.statements == ["mea", "mp", "pti"]
    # the figure of October is outside the window, unless it is widened to reach it
    assert apply_policy("estimate", _one_window(), day, window_days=80).numbers() == {
        "low": 150, "best": 202, "high": 230}
    assert apply_policy("conservative", _one_window(), day, window_days=80).standing.statement == "old"


def test_a_window_reaching_before_the_calendar_and_its_limit() -> None:
    """Dates start in year 1000; a window of MAX_WINDOW_DAYS (366,000 days, about a thousand years)
    from there reaches before the calendar's first day (0001-01-01, 364,886 days before 1000-01-10): it takes
    in everything before the head, with no overflow. A wider window is refused."""
    from ledger.domain.ordering import window_floor
    from ledger.domain.policies import MAX_WINDOW_DAYS

    early, head = fig("early", 3, "1000-01-02"), fig("head", 5, "1000-01-10")
    assert window_floor(D("1000-01-10"), 8) == D("1000-01-02")
    assert window_floor(D("1000-01-10"), 364_885) == D("0001-01-02")  # 1000-01-10 - 0001-01-01 = 364,886 days
    assert window_floor(D("1000-01-10"), 364_886) == dt.date.min
    assert window_floor(D("1000-01-10"), MAX_WINDOW_DAYS) == dt.date.min
    widest = apply_policy("estimate", [early, head], D("1000-01-31"), window_days=MAX_WINDOW_DAYS)
    assert widest.numbers() == {"low": 3, "best": 5, "high": 5}
    assert apply_policy("estimate", [early, head], D("1000-01-31"), window_days=7).numbers() == {
        "low": 5, "best": 5, "high": 5}  # 1000-01-02 ends 8 days before the head's start
    assert needed(early, D("1000-01-31"), D("1000-01-10"), MAX_WINDOW_DAYS)
    with pytest.raises(ValueError, match="the window is 0 to 366000 days, not 366001"):
        apply_policy("latest", [head], D("1000-01-31"), window_days=MAX_WINDOW_DAYS + 1)


def test_estimate_with_an_unbounded_figure_and_no_figure() -> None:
    window = [fig("a", {"value": 44, "qualifier": "at_least"}, "2025-11-08"), fig("b", 40, "2025-11-08")]
    assert apply_policy("estimate", window, D("2025-11-30")).numbers() == {"low": 40, "best": 40, "high": None}
    empty = apply_policy("estimate", [], D("2025-11-30"))
    assert empty.standing is None and empty.numbers() == {"low": None, "best": None, "high": None}
    with pytest.raises(ValueError, match="unknown policy 'newest'"):
        apply_policy("newest", window, D("2025-11-30"))


# --- estimates: input and arithmetic --------------------------------------------------------

BASE = {"matter": "m", "stated_on": "2025-12-18", "source": {"organization": "MEA"}, "quote": "about 202"}


@pytest.mark.parametrize(("raw", "expected", "interval"), [
    ({"low": 180, "best": 202, "high": 230}, Figure(None, "range", 180, 230, 202), Interval(180, 230)),
    ({"low": 180, "best": 202}, Figure(180, "at_least", best=202), Interval(180, math.inf)),
    ({"best": 202, "high": 230}, Figure(230, "at_most", best=202), Interval(0, 230)),
    ({"best": 202, "qualifier": "approx"}, Figure(202, "approx", best=202), Interval(181, 223)),
    ({"low": 10, "high": 14}, Figure(None, "range", 10, 14), Interval(10, 14)),
    (12, Figure(12, "exact", best=12), Interval(12, 12)),
    ({"change": -3}, Figure(None, "change", change=-3), None),
])
def test_estimate_forms(raw: Any, expected: Figure, interval: Interval | None) -> None:
    statement = Statement.model_validate({**BASE, "figures": {"recruited": raw}})
    figure = statement.normalised_figures()["recruited"]
    assert figure == expected
    if interval is not None:
        got = Interval.of_figure(figure.qualifier, figure.value, figure.low, figure.high, figure.best)
        assert got == interval and got.best == (202 if "best" in str(raw) else figure.best)
    # the approx form with best alone is today's approx
    assert Figure.from_input({"best": 202, "qualifier": "approx"}) == Figure.from_input(
        {"value": 202, "qualifier": "approx"})


@pytest.mark.parametrize(("raw", "message"), [
    ({"best": 202}, "'best' alone needs 'qualifier: approx'"),
    ({"best": 202, "qualifier": "exact"}, "'best' alone needs 'qualifier: approx'"),
    ({"low": 14}, "a range needs both 'low' and 'high'"),
    ({"low": 210, "best": 202}, "'best' (202) is less than 'low' (210)"),
    ({"best": 240, "high": 230}, "'best' (240) is greater than 'high' (230)"),
    ({"low": 1, "best": 2, "high": 3, "qualifier": "approx"}, "a range takes no 'qualifier'"),
    ({"value": 2, "best": 2}, "give either 'value' or 'best', not both"),
    ({"change": 2, "value": 3}, "a change takes no other field (got 'value')"),
    ({"change": 2.5}, "valid integer"),
])
def test_bad_estimates_and_changes(raw: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        Statement.model_validate({**BASE, "figures": {"recruited": raw}})


def test_derived_best_is_computed_from_the_inputs() -> None:
    from ledger.domain.relations import parse_relation

    relation = parse_relation("recruited = discharged + remaining + dead + unaccounted")
    values = {"recruited": Interval.of_figure("range", None, 190, 230, 202),
              "discharged": Interval.exact(98), "remaining": Interval.of_figure("approx", 44),
              "dead": Interval.exact(12)}
    solved = relation.solve("unaccounted", values)
    assert solved is not None
    # low 190-98-49-12 = 31, high 230-98-39-12 = 81, best 202-98-44-12 = 48
    assert (solved.lo, solved.best, solved.hi) == (31, 48, 81)
    assert solved.estimate() == {"low": 31, "best": 48, "high": 81}
    # a range without best gives a derived figure without best
    values["recruited"] = Interval.of_figure("range", None, 190, 230)
    assert relation.solve("unaccounted", values).best is None


# --- increments ---------------------------------------------------------------------------


def test_increments_on_a_base() -> None:
    """12 killed (January), then 'two more' (March) and 'one more' (April): 12 + 2 + 1."""
    base = fig("mea-jan", 12, "2025-01-15", category="dead")
    two = fig("mea-mar", {"change": 2}, "2025-03-10", category="dead")
    one = fig("mea-apr", {"change": 1}, "2025-04-02", category="dead")
    before = fig("old-change", {"change": 5}, "2024-12-01", category="dead")  # already in the total
    candidates = [base, one, two, before]
    standing = stands(candidates, D("2025-04-30")).standing
    assert standing is base
    result = replay_increments(standing, candidates, D("2025-04-30"))
    assert result is not None
    assert (result.interval, result.interval.best, result.qualifier) == (Interval(15, 15), 15, "exact")
    assert result.text == "12 + 2 + 1"
    assert result.statements == ["mea-jan", "mea-mar", "mea-apr"]
    # at 2025-03-31 only the March change is stated
    assert replay_increments(standing, candidates, D("2025-03-31")).text == "12 + 2"
    # with nothing after the base, the base stands as it is
    assert replay_increments(standing, candidates, D("2025-02-01")) is None


def test_increments_without_a_base_are_at_least_their_sum() -> None:
    two = fig("a", {"change": 2}, "2025-03-10", category="dead")
    one = fig("b", {"change": 1}, "2025-04-02", category="dead")
    result = replay_increments(None, [two, one], D("2025-04-30"))
    assert result is not None
    assert (result.interval, result.qualifier, result.text) == (Interval(3, math.inf), "at_least", ">= 2 + 1")
    assert result.statements == ["a", "b"]
    assert replay_increments(None, [], D("2025-04-30")) is None


def test_a_change_in_the_period_of_the_base_is_ambiguous() -> None:
    base = fig("month", 12, "2025-01", category="dead")
    change = fig("same-month", {"change": 2}, "2025-01-20", category="dead")
    result = replay_increments(base, [base, change], D("2025-02-01"))
    assert result is not None and result.interval == Interval(12, 12) and result.changes == ()
    [ambiguous] = result.discrepancies
    assert ambiguous["kind"] == "ambiguous_order" and ambiguous["statements"] == ["month", "same-month"]


def test_increments_on_a_policy_interval_and_a_current_category() -> None:
    base = fig("b", {"low": 40, "best": 44, "high": 50}, "2025-11-08", category="remaining")
    fewer = fig("c", {"change": -3}, "2025-11-20", category="remaining")
    result = replay_increments(base, [base, fewer], D("2025-11-30"))
    assert (result.interval, result.interval.best, result.text) == (Interval(37, 47), 41, "40-50 (best 44) - 3")


def test_cumulative_categories_take_only_non_negative_changes() -> None:
    categories = {"dead": {"kind": "cumulative"}, "remaining": {"kind": "current"}}
    problems = change_problems({"dead": {"change": -2}, "remaining": {"change": -5}}, categories, "m")
    assert problems == [(("figures", "dead", "change"), (
        "dead is cumulative in matter 'm': its count can only grow, so a change cannot be negative (got -2); "
        "state the new total instead if it was corrected down"))]
    assert change_problems({"dead": {"change": 2}, "remaining": 3}, categories, "m") == []


# --- synonyms -----------------------------------------------------------------------------


def _matter(**categories: dict[str, Any]) -> Matter:
    return Matter.model_validate({"id": "m", "title": "t", "categories": categories})


def test_synonyms_share_a_timeline() -> None:
    matter = _matter(discharged={"kind": "cumulative"}, returned={"kind": "cumulative", "same_as": "discharged"},
                     dead={"kind": "cumulative"})
    assert matter.problems() == []
    categories = matter.document()["categories"]
    assert timeline_key(categories, "returned") == "discharged"
    assert timeline_key(categories, "discharged") == "discharged"
    assert timeline_members(categories, "discharged") == ["discharged", "returned"]
    assert timelines(categories) == ["discharged", "dead"]
    # one timeline: the figure under the synonym stands and keeps the source's word
    returned = fig("pib", 96, "2025-03-01", category="returned")
    discharged = fig("rs", 98, "2025-07-24", category="discharged")
    assert stands([returned], D("2025-04-01")).standing.category == "returned"
    assert stands([returned, discharged], D("2025-08-01")).standing is discharged


@pytest.mark.parametrize(("categories", "message"), [
    ({"returned": {"kind": "cumulative", "same_as": "discharged"}},
     "category 'returned' is the same as 'discharged', which matter 'm' does not declare"),
    ({"a": {"kind": "cumulative", "same_as": "a"}}, "category 'a' of matter 'm' cannot be the same as itself"),
    ({"a": {"kind": "cumulative", "same_as": "b"}, "b": {"kind": "cumulative", "same_as": "c"},
      "c": {"kind": "cumulative"}},
     "category 'a' is the same as 'b', which is itself the same as 'c': name the end of the chain, 'c'"),
    ({"a": {"kind": "cumulative", "same_as": "b"}, "b": {"kind": "cumulative", "same_as": "a"}},
     "category 'a' is the same as 'b', which is itself the same as 'a'"),
    ({"a": {"kind": "current", "same_as": "b"}, "b": {"kind": "cumulative"}},
     "category 'a' (current) cannot be the same as 'b' (cumulative): synonyms have the same kind"),
])
def test_bad_synonyms(categories: dict[str, Any], message: str) -> None:
    problems = _matter(**categories).problems()
    assert problems and problems[0][0][:2] == ("categories", next(iter(categories)))
    assert message in problems[0][1]
    kinds = {name: c["kind"] for name, c in categories.items()}
    same_as = {name: c["same_as"] for name, c in categories.items() if "same_as" in c}
    assert synonym_problems(kinds, same_as, "m") == problems


# --- staleness ----------------------------------------------------------------------------


def test_a_single_stale_figure_is_flagged() -> None:
    """'about 20' as of 2025-06 still stands at 2025-11-30: 153 days after 30 June."""
    found = stale_figure("missing", "mea-june", "2025-06", D("2025-06-30"), D("2025-11-30"), 90)
    assert found == {
        "kind": "stale_figure",
        "message": ("missing still stands on a figure as of 2025-06 (mea-june), 153 days before 2025-11-30: "
                    "older than 90 days and nothing newer"),
        "categories": ["missing"], "statements": ["mea-june"], "age_days": 153, "threshold_days": 90}
    assert stale_figure("missing", "s", "2025-06", D("2025-06-30"), D("2025-09-28"), 90) is None  # 90 days
    assert stale_figure("missing", "s", "2025-06", D("2025-06-30"), D("2025-09-29"), 90) is not None
    assert stale_figure("missing", "s", "2026", D("2026-12-31"), D("2025-09-29"), 90) is None  # forward
    assert stale_threshold({"stale_after_days": 30}) == 30
    assert stale_threshold({}) == 90 and stale_threshold({"stale_after_days": 30}, 7) == 7


# --- ranks as events ----------------------------------------------------------------------


def test_a_rank_is_an_event_on_the_statement() -> None:
    from ledger.domain.aggregates import Statement as StatementAggregate
    from ledger.domain.aggregates import rank_problem

    statement = StatementAggregate(document={"id": "s"}, recorded_by="me")
    assert statement.rank == "normal"
    statement.set_rank("deprecated", "duplicate of the PTI report", "analyst")
    [_, ranked] = statement.collect_events()
    assert type(ranked).__name__ == "Ranked" and (ranked.rank, ranked.reason) == ("deprecated",
                                                                                 "duplicate of the PTI report")
    assert statement.rank == "deprecated"
    assert rank_problem("deprecated", "again", statement.rank, False) == "the statement is already ranked deprecated"
    assert rank_problem("best", "x", "normal", False) == "unknown rank 'best' (ranks: deprecated, normal, preferred)"
    assert rank_problem("preferred", " ", "normal", False) == "a ranking needs a reason"
    assert rank_problem("preferred", "x", "normal", True) == "a retracted statement takes no rank"
    assert rank_problem("preferred", "x", "normal", False) is None


# --- one timeline, all rules chained --------------------------------------------------------


def test_replay_timeline_chains_policy_increments_and_staleness() -> None:
    from ledger.domain.replay import replay_timeline

    candidates = [
        fig("mea-jan", 12, "2025-01-15", category="dead"),
        fig("pti-jan", {"value": 10, "qualifier": "at_least"}, "2025-01-15", category="dead",
            attribution="second_hand"),
        fig("mea-mar", {"change": 2}, "2025-03-10", category="dead"),
    ]
    latest = replay_timeline("dead", candidates, D("2025-03-31"))
    assert (latest.interval, latest.qualifier, latest.increments.text) == (Interval(14, 14), "exact", "12 + 2")
    assert latest.statements == ["mea-jan", "mea-mar"] and latest.discrepancies == ()
    conservative = replay_timeline("dead", candidates, D("2025-03-31"), policy="conservative")
    assert conservative.standing.statement == "pti-jan"
    assert conservative.numbers() == {"low": 12, "best": 12, "high": None}  # >=10 plus 2
    estimate = replay_timeline("dead", candidates, D("2025-03-31"), policy="estimate")
    assert estimate.numbers() == {"low": 12, "best": 14, "high": None}  # [10, inf) + 2, best 12 + 2
    # five months later nothing newer: stale, counted from the latest piece (the March change)
    later = replay_timeline("dead", candidates, D("2025-08-31"), stale_after_days=90)
    [stale] = later.discrepancies
    assert stale["kind"] == "stale_figure" and stale["statements"] == ["mea-mar"] and stale["age_days"] == 174
    assert replay_timeline("dead", candidates, D("2024-12-31")).interval is None
    only_changes = replay_timeline("dead", candidates[2:], D("2025-03-31"))
    assert (only_changes.standing, only_changes.qualifier, only_changes.numbers()) == (
        None, "at_least", {"low": 2, "best": 2, "high": None})


# --- series steps -------------------------------------------------------------------------


def test_series_steps() -> None:
    from ledger.domain.steps import steps

    assert list(steps(D("2025-01-31"), D("2025-04-30"), "month")) == [
        D("2025-01-31"), D("2025-02-28"), D("2025-03-31"), D("2025-04-30")]
    assert list(steps(D("2024-02-29"), D("2028-03-01"), "year")) == [
        D("2024-02-29"), D("2025-02-28"), D("2026-02-28"), D("2027-02-28"), D("2028-02-29")]
    assert list(steps(D("2025-07-01"), D("2025-07-20"), "week")) == [D("2025-07-01"), D("2025-07-08"),
                                                                       D("2025-07-15")]
    assert list(steps(D("2025-07-01"), D("2025-07-01"), "day")) == [D("2025-07-01")]
    with pytest.raises(ValueError, match="ends \\(2025-06-30\\) before it starts"):
        list(steps(D("2025-07-01"), D("2025-06-30"), "day"))
    with pytest.raises(ValueError, match="at most 100000 steps \\(109938 asked\\)"):
        next(steps(D("1800-01-01"), D("2100-12-31"), "day"))
    with pytest.raises(ValueError, match="unknown step 'hour'"):
        list(steps(D("2025-07-01"), D("2025-07-02"), "hour"))


def test_reconcile_gives_derived_figures_a_best() -> None:
    from ledger.reconcile import reconcile

    matter = {"id": "m", "categories": {c: {"kind": "cumulative"} for c in ("recruited", "discharged", "dead")}
              | {"unaccounted": {"kind": "derived"}},
              "relations": ["recruited = discharged + dead + unaccounted"]}

    def row(statement: str, qualifier: str, value: int | None, low: int | None = None, high: int | None = None,
            best: int | None = None) -> dict[str, Any]:
        return {"statement_id": statement, "qualifier": qualifier, "value": value, "low": low, "high": high,
                "best": best, "as_of": "2025-12-18", "as_of_end": "2025-12-18"}

    picture = {"recruited": row("a", "range", None, 190, 230, 202), "discharged": row("b", "exact", 98),
               "dead": row("c", "approx", 12), "unaccounted": None}
    derived = reconcile(matter, picture, {})["derived"]["unaccounted"]
    # low 190-98-14 = 78, high 230-98-10 = 122 (approx 12 is [10, 14]), best 202-98-12 = 92
    assert (derived["low"], derived["best"], derived["high"]) == (78, 92, 122)
    picture["recruited"] = row("a", "range", None, 190, 230)  # no best: none derived
    assert reconcile(matter, picture, {})["derived"]["unaccounted"]["best"] is None
