"""Unit tests of the expression model and the interval arithmetic (no database)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.intervals import Interval
from ledger.domain.relations import RelationSyntaxError, parse_relation
from ledger.reconcile import check_statement

# --- the expression model -----------------------------------------------------------------


def test_parse_sum_of_categories() -> None:
    relation = parse_relation("recruited = discharged + remaining + dead + unaccounted")
    assert relation.op == "="
    assert relation.left == ((1, "recruited"),)
    assert relation.right == ((1, "discharged"), (1, "remaining"), (1, "dead"), (1, "unaccounted"))
    assert relation.categories == ["recruited", "discharged", "remaining", "dead", "unaccounted"]
    assert relation.coefficients() == {"recruited": 1, "discharged": -1, "remaining": -1, "dead": -1,
                                       "unaccounted": -1}


def test_parse_inequalities_minus_signs_and_constants() -> None:
    relation = parse_relation("  missing   <=remaining")
    assert (relation.op, relation.text) == ("<=", "missing <= remaining")
    relation = parse_relation("-a + 3 >= b - c - 2")
    assert relation.op == ">="
    assert relation.left == ((-1, "a"),) and relation.right == ((1, "b"), (-1, "c"))
    assert relation.constant == -2 - 3
    assert relation.coefficients() == {"a": -1, "b": -1, "c": 1}
    assert parse_relation("a == b").op == "="
    assert parse_relation("-a+3>=b-c - 2").text == "-a + 3 >= b - c - 2"


@pytest.mark.parametrize(("text", "message"), [
    ("recruited", "exactly one of =, <=, >="),
    ("a = b = c", "exactly one of =, <=, >="),
    ("a = ", "right side is empty"),
    ("= b", "left side is empty"),
    ("a + = b", "the left side ends with an operator"),
    ("a = + + b", "expected a category or a number at column 7"),
    ("a b = c", "expected + or - at column 3"),
    ("a = b +", "ends with an operator"),
    ("a * 2 = b", "unexpected '*' at column 3"),
    ("__import__('os').system('x') = a", "unexpected"),
    ("Recruited = a", "unexpected 'Recruited'"),
    ("1 = 2", "at least one category"),
])
def test_syntax_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(RelationSyntaxError) as caught:
        parse_relation(text)
    assert message in str(caught.value)


# --- intervals ----------------------------------------------------------------------------


def test_intervals_of_qualifiers() -> None:
    assert Interval.of_figure("exact", 12) == Interval(12, 12)
    assert Interval.of_figure("at_least", 44) == Interval(44, math.inf)
    assert Interval.of_figure("at_most", 7) == Interval(0, 7)
    assert Interval.of_figure("approx", 40) == Interval(36, 44)
    assert Interval.of_figure("approx", 15) == Interval(13, 17)  # widened to whole numbers
    assert Interval.of_figure("range", None, 10, 14) == Interval(10, 14)
    assert str(Interval(44, math.inf)) == ">=44" and str(Interval(10, 14)) == "10-14" and str(Interval(4, 4)) == "4"
    assert Interval(10, 14).as_dict() == {"value": None, "low": 10, "high": 14}
    assert Interval(44, math.inf).as_dict() == {"value": None, "low": 44, "high": None}
    assert Interval(-3, 2).clamp_non_negative() == Interval(0, 2)
    assert Interval(-3, -1).clamp_non_negative() is None
    with pytest.raises(ValueError):
        Interval(3, 2)


small = st.integers(min_value=0, max_value=30)


@st.composite
def intervals(draw: st.DrawFn) -> Interval:
    lo = draw(small)
    return Interval(lo, lo + draw(st.integers(min_value=0, max_value=6)))


def members(interval: Interval) -> range:
    return range(int(interval.lo), int(interval.hi) + 1)


@given(intervals(), intervals())
def test_sum_and_difference_are_exactly_the_possible_results(a: Interval, b: Interval) -> None:
    sums = {x + y for x in members(a) for y in members(b)}
    differences = {x - y for x in members(a) for y in members(b)}
    assert (a + b) == Interval(min(sums), max(sums))
    assert (a - b) == Interval(min(differences), max(differences))


@given(intervals(), st.integers(min_value=-3, max_value=3))
def test_scaling_by_a_coefficient(a: Interval, factor: int) -> None:
    products = {x * factor for x in members(a)}
    assert a.scale(factor) == Interval(min(products), max(products))


@given(intervals(), intervals())
def test_overlap_means_a_common_count(a: Interval, b: Interval) -> None:
    assert a.overlaps(b) == bool(set(members(a)) & set(members(b)))


@given(st.lists(intervals(), min_size=3, max_size=3), st.sampled_from(["=", "<=", ">="]))
def test_holds_iff_some_counts_within_the_intervals_satisfy_it(values: list[Interval], op: str) -> None:
    relation = parse_relation(f"a {op} b + c")
    named = dict(zip("abc", values, strict=True))
    compare = {"=": lambda x, y: x == y, "<=": lambda x, y: x <= y, ">=": lambda x, y: x >= y}[op]
    brute = any(compare(a, b + c) for a, b, c in itertools.product(*(members(v) for v in values)))
    assert relation.holds(named) == brute


@given(intervals(), intervals(), intervals())
def test_solve_gives_every_value_that_makes_the_relation_hold(a: Interval, b: Interval, c: Interval) -> None:
    relation = parse_relation("total = part + other + rest")
    known = {"total": a, "part": b, "other": c}
    solved = relation.solve("rest", known)
    assert solved is not None
    possible = {x - y - z for x in members(a) for y in members(b) for z in members(c)}
    assert solved == Interval(min(possible), max(possible))


def test_solve_refuses_what_it_cannot_isolate() -> None:
    assert parse_relation("a <= b + c").solve("c", {"a": Interval(1, 1), "b": Interval(1, 1)}) is None
    assert parse_relation("a = b + b").solve("b", {"a": Interval(4, 4)}) is None  # coefficient 2


# --- a statement's own consistency --------------------------------------------------------

FOUR_PARTS = ["recruited = discharged + remaining + dead + unaccounted"]


def figure(value: int, qualifier: str = "exact") -> dict:
    return {"value": value, "qualifier": qualifier, "low": None, "high": None}


def test_parts_that_add_up_pass() -> None:
    figures = {"recruited": figure(126), "discharged": figure(96), "dead": figure(12), "remaining": figure(18)}
    assert check_statement(figures, ["recruited = discharged + dead + remaining"]) == []
    # with a derived category missing from the statement, the relation is not checkable: no warning
    assert check_statement(figures, FOUR_PARTS) == []


def test_parts_exceeding_the_total_are_reported() -> None:
    figures = {"recruited": figure(100), "discharged": figure(96), "dead": figure(12), "remaining": figure(18)}
    problems = check_statement(figures, ["recruited >= discharged + dead + remaining"])
    assert problems == ["its own figures break 'recruited >= discharged + dead + remaining': "
                        "recruited = 100, discharged + dead + remaining = 126"]


def test_qualified_figures_fail_only_when_they_cannot_meet() -> None:
    relation = ["recruited >= discharged + remaining"]
    assert check_statement({"recruited": figure(100, "at_least"), "discharged": figure(96),
                            "remaining": figure(18)}, relation) == []
    assert check_statement({"recruited": figure(110, "approx"), "discharged": figure(96),
                            "remaining": figure(18)}, relation) == []  # 99..121 meets 114
    assert check_statement({"recruited": figure(100, "approx"), "discharged": figure(96),
                            "remaining": figure(18)}, relation) != []  # 90..110 cannot reach 114


# --- best estimates carried through the arithmetic -------------------------------------------


@st.composite
def estimates(draw: st.DrawFn) -> Interval:
    """An interval with a best inside it, or none (a range without best)."""
    interval = draw(intervals())
    best = draw(st.none() | st.integers(min_value=int(interval.lo), max_value=int(interval.hi)))
    return Interval(interval.lo, interval.hi, best)


@given(estimates(), estimates(), st.integers(min_value=-3, max_value=3))
def test_best_follows_the_arithmetic_and_stays_within_the_bounds(a: Interval, b: Interval, factor: int) -> None:
    for result, expected in [
        (a + b, None if a.best is None or b.best is None else a.best + b.best),
        (a - b, None if a.best is None or b.best is None else a.best - b.best),
        (a.scale(factor), 0 if factor == 0 else None if a.best is None else a.best * factor),
    ]:
        assert result.best == expected
        if result.best is not None:
            assert result.lo <= result.best <= result.hi


@given(estimates(), estimates(), estimates())
def test_solved_best_is_what_the_bests_imply(a: Interval, b: Interval, c: Interval) -> None:
    relation = parse_relation("total = part + other + rest")
    solved = relation.solve("rest", {"total": a, "part": b, "other": c})
    assert solved is not None
    if None in (a.best, b.best, c.best):
        assert solved.best is None
    else:
        assert solved.best == a.best - b.best - c.best
        clamped = solved.clamp_non_negative()
        if clamped is not None:  # the count the derived figure reports keeps its best within bounds
            assert clamped.lo <= clamped.best <= clamped.hi and clamped.best == max(solved.best, clamped.lo)


def test_bests_of_qualified_figures() -> None:
    assert Interval.of_figure("exact", 12).best == 12
    assert Interval.of_figure("approx", 202).best == 202 and Interval.of_figure("approx", 202) == Interval(181, 223)
    assert Interval.of_figure("approx", 200) == Interval(180, 220)  # exact margin, no float rounding up
    assert Interval.of_figure("at_least", 180, best=202).best == 202
    assert Interval.of_figure("range", None, 10, 14).best is None
    assert Interval.of_figure("range", None, 10, 14, 12).estimate() == {"low": 10, "best": 12, "high": 14}
    assert Interval(44, math.inf, 44).estimate() == {"low": 44, "best": 44, "high": None}
    assert Interval(1, 2, 2) == Interval(1, 2)  # best takes no part in equality
    with pytest.raises(ValueError, match="best 5 outside"):
        Interval(1, 2, 5)
