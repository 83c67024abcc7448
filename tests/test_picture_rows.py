"""The two sources of a picture's rows agree: ``statuses`` (a matter read once, every day
answered in memory: check, series, plot, the report) gives, day by day, exactly what
``status`` gives (the database asked per day), on both backends.

The ledger is random but seeded, and uses every feature the replay reads: day, month and
year precision, forward-looking figures, ranges, estimates, bounds and approximations,
attributions, increments, a synonym, relations, ranks (preferred and deprecated), a denial
and a restatement, a correction and a retraction; it is compared under every policy, with
and without a window, at two moments of knowledge, with and without disputed figures.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.readmodel import Snapshot, TimelineReadModel
from tests.conftest import run, write_yaml

MATTER = "mixed"
CATEGORIES = ["recruited", "returned", "discharged", "remaining", "dead"]


def _date(rng: random.Random, start: dt.date, span: int) -> str:
    day = start + dt.timedelta(days=rng.randint(0, span))
    precision = rng.choice(["day", "day", "month", "year"])
    return {"day": day.isoformat(), "month": day.isoformat()[:7], "year": day.isoformat()[:4]}[precision]


def _figure(rng: random.Random, category: str, base: int) -> Any:
    value = max(0, base + rng.randint(-5, 25))
    shape = rng.random()
    if category != "remaining" and shape < 0.1:
        return {"change": rng.randint(0, 4)}
    if shape < 0.5:
        return value
    if shape < 0.6:
        return {"value": value, "qualifier": rng.choice(["approx", "at_least", "at_most"])}
    if shape < 0.75:
        return {"low": value, "high": value + rng.randint(1, 30)}
    return {"low": value, "best": value + 3, "high": value + rng.randint(4, 30)}


def statements(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        stated = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 1800))
        stated_on = _date(rng, stated, 0)
        if rng.random() < 0.1:  # forward-looking: describes a date after it was said
            as_of = _date(rng, stated + dt.timedelta(days=30), 200)
        else:
            as_of = _date(rng, stated - dt.timedelta(days=rng.randint(0, 300)), 0)
        names = rng.sample(CATEGORIES, rng.randint(1, 3))
        if "returned" in names and "discharged" in names:
            names.remove("returned")
        doc = {"id": f"s{n:03d}", "matter": MATTER, "stated_on": stated_on, "as_of": as_of,
               "source": {"organization": rng.choice(["Ministry", "Agency", "Embassy"])},
               "figures": {c: _figure(rng, c, 10 * n // 3) for c in names},
               "attribution": rng.choice(["direct_quote", "paraphrase", "second_hand"]),
               "quote": f"Words of statement {n}."}
        out.append(doc)
    return out


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def mixed_ledger(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.conftest import _make_url

    folder = tmp_path_factory.mktemp("mixed")
    urls = _make_url(request.param, folder)
    url = next(urls)
    matter = {"matter": {"id": MATTER, "title": "Mixed", "stale_after_days": 120, "categories": {
        "recruited": {"kind": "cumulative"}, "discharged": {"kind": "cumulative"},
        "returned": {"kind": "cumulative", "same_as": "discharged"}, "remaining": {"kind": "current"},
        "dead": {"kind": "cumulative"}, "unaccounted": {"kind": "derived"}},
        "relations": ["recruited = discharged + remaining + dead + unaccounted"]}}
    docs = statements(11, 90)
    docs[40]["links"] = [{"type": "restates", "statement": "s039"}]
    files = [write_yaml(folder, "matter.yaml", matter)]
    files += [write_yaml(folder, f"{d['id']}.yaml", d) for d in docs]
    assert run(url, "record", *map(str, files)).exit_code == 0
    with Ledger(url) as ledger:
        ledger.catch_up()
        early = ledger.view.query_one("SELECT MAX(recorded_at) AS t FROM {ledger_figures}")["t"]
    for args in (["rank", "s010", "--preferred", "--reason", "the minister's own figure"],
                 *[["rank", s, "--deprecated", "--reason", "misreported"] for s in ("s020", "s071", "s085", "s088")],
                 ["link", "s031", "denies", "s030", "--reason", "the embassy denies it"],
                 ["retract", "s050", "--reason", "withdrawn"]):
        result = run(url, *args)
        assert result.exit_code == 0, result.output
    corrected = dict(docs[60], figures={"recruited": 999, "dead": {"change": 2}})
    assert run(url, "correct", "s060", str(write_yaml(folder, "fix.yaml", corrected)),
               "--reason", "typo").exit_code == 0
    yield url, early
    next(urls, None)


def days_to_ask(model: TimelineReadModel, rng: random.Random) -> list[str]:
    rows = model.view.query("SELECT DISTINCT stated_end AS d FROM {ledger_figures} WHERE stated_end IS NOT NULL "
                            "UNION SELECT DISTINCT as_of_start FROM {ledger_figures} WHERE as_of_start IS NOT NULL")
    marks = sorted({r["d"] for r in rows})
    days = {dt.date.fromisoformat(d) + dt.timedelta(days=k) for d in marks for k in (-1, 0, 1)}
    days |= {dt.date(2019, 6, 1) + dt.timedelta(days=rng.randint(0, 2700)) for _ in range(40)}
    return sorted(d.isoformat() for d in rng.sample(sorted(days), 70))


def test_statuses_equal_status_on_every_day(mixed_ledger: tuple[str, str]) -> None:
    url, early = mixed_ledger
    rng = random.Random(3)
    with Ledger(url) as ledger:
        model = TimelineReadModel(ledger.view)
        days = days_to_ask(model, rng)
        kinds: set[str] = set()
        for snapshot, include_disputed in [
            (Snapshot(), False), (Snapshot(policy="conservative", window_days=40), False),
            (Snapshot(policy="estimate"), True), (Snapshot(known_at=early), False),
            (Snapshot(policy="latest", window_days=400), False),
        ]:
            many = dict(model.statuses(MATTER, snapshot, days, include_disputed=include_disputed))
            for day in days:
                one = model.status(MATTER, snapshot.on_day(day), include_disputed=include_disputed)
                assert many[day] == one, (day, snapshot)
                kinds |= {d["kind"] for d in one["discrepancies"]}
                kinds |= {"increments"} if any(f and f.get("increments") for f in one["figures"].values()) else set()
        # the ledger exercises what the replay reads
        assert {"ambiguous_order", "stale_figure", "increments", "relation_violated", "cumulative_decrease"} <= kinds, kinds


def test_days_out_of_order_and_beyond_the_preload(mixed_ledger: tuple[str, str]) -> None:
    url, _ = mixed_ledger
    with Ledger(url) as ledger:
        model = TimelineReadModel(ledger.view)
        days = ["2023-05-01", "2021-02-03", "2024-12-31", "2021-02-03"]
        many = list(model.statuses(MATTER, Snapshot(), days))
        assert [d for d, _ in many] == days
        for day, report in many:
            assert report == model.status(MATTER, Snapshot().on_day(day))
        at = model.pictures(MATTER, Snapshot(), "2022-01-01")
        with pytest.raises(ValueError, match="up to 2022-01-01"):
            at("2022-01-02")


def test_show_matter_equals_show_of_each_statement(mixed_ledger: tuple[str, str]) -> None:
    """The report reads a matter's statements at once (``show_matter``): each is what ``show``
    gives (trail, spans, links standing and ended), now and at an earlier moment of knowledge."""
    url, early = mixed_ledger
    with Ledger(url) as ledger:
        model = TimelineReadModel(ledger.view)
        for snapshot in (Snapshot(), Snapshot(known_at=early)):
            shown = model.show_matter(MATTER, snapshot)
            assert sorted(shown) == sorted(model.statement_ids(MATTER, snapshot))
            for statement_id, held in shown.items():
                assert held == model.show(statement_id, snapshot), statement_id
        statuses = {held["status"] for held in model.show_matter(MATTER, Snapshot()).values()}
        assert statuses == {"recorded", "corrected", "retracted"}
        assert any(held["links"]["incoming"] or held["links"]["outgoing"]
                   for held in model.show_matter(MATTER, Snapshot()).values())
