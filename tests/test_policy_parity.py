"""Issue 11: every replaying question asked with a non-default ``--policy`` and ``--window``
gives the same JSON from the CLI, the web API and the Python API, on both backends, and the
values are the ones worked out by hand below.

The ledger (matter ``replay-cases`` of tests/test_replay_wired.py), replayed at 2025-12-31:

    dec-10  recruited 140 exact       as of 2025-12-10, stated 2025-12-10
    year    recruited 150-260          as of 2025,       stated 2025-12-20
    month   recruited 180-250          as of 2025-12,    stated 2025-12-20
    day     recruited ~202 = [181,223] as of 2025-12-18, stated 2025-12-20

The head is ``day`` (the latest start, 2025-12-18). Window 0: every figure whose period
ends on or after 2025-12-18 (day, month, year). Window 10: also those ending on or after
2025-12-08, so dec-10 joins. Hence

    latest,        any window: day stands, [181, 223], best 202
    conservative,  window 0:   year (lowest lower bound 150)
    conservative,  window 10:  dec-10 (140)
    estimate,      window 10:  day stands; low 140, best 202, high 260

Before 2025-12-20 only dec-10 is stated: every policy gives 140. Synonyms for ``trace``:
discharged-90 (2025-07-01) and returned-96 (2025-08-01), ``returned`` same_as ``discharged``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.readmodel import change_results as cr
from ledger.readmodel import results as r
from tests.conftest import BACKENDS, _make_url, run
from tests.test_replay_wired import MATTER, ledger, said

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from fastapi.testclient import TestClient

from ledger.web.app import create_app

DOCS = [
    said("dec-10", "2025-12-10", {"recruited": 140}),
    said("year", "2025-12-20", {"recruited": {"low": 150, "high": 260}}, as_of="2025"),
    said("month", "2025-12-20", {"recruited": {"low": 180, "high": 250}}, as_of="2025-12"),
    said("day", "2025-12-20", {"recruited": {"value": 202, "qualifier": "approx"}}, as_of="2025-12-18"),
    said("discharged-90", "2025-07-01", {"discharged": 90}),
    said("returned-96", "2025-08-01", {"returned": 96}),
]


@pytest.fixture(params=BACKENDS, scope="module")
def cases(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("parity")
    for url in _make_url(request.param, folder):
        ledger(url, folder, *DOCS)
        with TestClient(create_app(url)) as client:
            import ledger as package

            with package.open(url) as python:
                yield {"url": url, "client": client, "python": python}


def cli_json(cases: dict, *args: str) -> Any:
    result = run(cases["url"], *args, "--format", "json")
    assert result.exit_code in (0, 1), result.output + result.stderr  # check: 1 = open discrepancies
    return json.loads(result.stdout)


def api_json(cases: dict, path: str, **params: str) -> Any:
    response = cases["client"].get(f"/api/matters/{MATTER}/{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_status(cases: dict) -> None:
    for policy, window, expected in [("conservative", "10", ("dec-10", 140, 140, 140)),
                                     ("conservative", "0", ("year", 150, None, 260)),
                                     ("estimate", "10", ("day", 140, 202, 260))]:
        cli = cli_json(cases, "status", "--matter", MATTER, "--as-of", "2025-12-31", "--policy", policy,
                       "--window", window)
        assert cli == api_json(cases, "status", as_of="2025-12-31", policy=policy, window=window)
        assert cli == cases["python"].status(MATTER, as_of="2025-12-31", policy=policy, window=int(window))
        r.StatusResult.model_validate(cli)
        figure = cli["figures"]["recruited"]
        assert (cli["policy"], cli["window_days"]) == (policy, int(window))
        assert (figure["statement"], figure["low"], figure["best"], figure["high"]) == expected


def test_history_stands_under_the_policy(cases: dict) -> None:
    # oldest described date first: dec-10 (ends 12-10), day (12-18), year and month (12-31, in recording order)
    for policy, window, standing in [("latest", "0", "day"), ("conservative", "0", "year"),
                                     ("conservative", "10", "dec-10"), ("estimate", "10", "day")]:
        for as_of in ("2025-12-31", None):  # without --as-of: every statement, the figure standing today
            args = ["history", "recruited", "--matter", MATTER, "--policy", policy, "--window", window]
            params = {"policy": policy, "window": window}
            if as_of:
                args, params = args + ["--as-of", as_of], {**params, "as_of": as_of}
            cli = cli_json(cases, *args)
            assert cli == api_json(cases, "history/recruited", **params)
            assert cli == cases["python"].history("recruited", MATTER, as_of=as_of, policy=policy,
                                                  window=int(window))
            r.HistoryResult.model_validate(cli)
            assert [(f["statement"], f["stands"]) for f in cli["figures"]] == [
                (s, s == standing) for s in ("dec-10", "day", "year", "month")], (policy, window, as_of)
            assert (cli["policy"], cli["window_days"]) == (policy, int(window))


def test_trace_follows_the_policy_and_the_timeline(cases: dict) -> None:
    cli = cli_json(cases, "trace", "recruited", "--matter", MATTER, "--as-of", "2025-12-31",
                   "--policy", "conservative", "--window", "10")
    assert cli == api_json(cases, "trace/recruited", as_of="2025-12-31", policy="conservative", window="10")
    assert cli == cases["python"].trace("recruited", MATTER, as_of="2025-12-31", policy="conservative", window=10)
    r.TraceResult.model_validate(cli)
    assert (cli["policy"], cli["window_days"], cli["figure"]["statement"]) == ("conservative", 10, "dec-10")
    assert {o["statement"]: o["why"] for o in cli["others"]} == {
        s: "in the window of policy conservative, which reports dec-10 (2025-12-10)" for s in ("day", "year", "month")}
    # without the window, dec-10 is outside it: it describes an earlier date than year, which stands
    narrow = api_json(cases, "trace/recruited", as_of="2025-12-31", policy="conservative")
    assert narrow == cli_json(cases, "trace", "recruited", "--matter", MATTER, "--as-of", "2025-12-31",
                              "--policy", "conservative")
    assert narrow["figure"]["statement"] == "year"
    assert {o["statement"]: o["why"] for o in narrow["others"]}["dec-10"] == \
        "describes an earlier date (2025-12-10) than year (2025)"
    # a synonym's trace: the whole timeline, each figure with its source's word
    synonym = api_json(cases, "trace/returned", as_of="2025-08-31", policy="estimate", window="40")
    assert synonym == cli_json(cases, "trace", "returned", "--matter", MATTER, "--as-of", "2025-08-31",
                               "--policy", "estimate", "--window", "40")
    assert (synonym["timeline"], synonym["figure"]["category"], synonym["figure"]["statement"]) == (
        "discharged", "returned", "returned-96")
    assert [(o["category"], o["statement"]) for o in synonym["others"]] == [("discharged", "discharged-90")]


def test_series(cases: dict) -> None:
    cli = cli_json(cases, "series", "--matter", MATTER, "--category", "recruited", "--from", "2025-12-15",
                   "--to", "2025-12-31", "--every", "week", "--policy", "estimate", "--window", "10")
    api = api_json(cases, "series", **{"from": "2025-12-15", "to": "2025-12-31", "every": "week",
                                       "category": "recruited", "policy": "estimate", "window": "10"})
    assert cli == api == dict(cases["python"].series(MATTER, start="2025-12-15", end="2025-12-31", every="week",
                                                     category="recruited", policy="estimate", window=10))
    cr.SeriesResult.model_validate(cli)
    assert (cli["policy"], cli["window_days"]) == ("estimate", 10)
    # steps 12-15, 12-22, 12-29 (12-31 is not reached by weeks); before 12-20 only dec-10 is stated
    assert [(x["date"], x["value"], x["low"], x["best"], x["high"], x["qualifier"], x["statement"])
            for x in cli["rows"]] == [
        ("2025-12-15", 140, 140, 140, 140, "exact", "dec-10"),
        ("2025-12-22", 202, 140, 202, 260, "approx", "day"),
        ("2025-12-29", 202, 140, 202, 260, "approx", "day")]


def test_diff(cases: dict) -> None:
    cli = cli_json(cases, "diff", "--matter", MATTER, "--from", "2025-12-15", "--to", "2025-12-31",
                   "--policy", "estimate", "--window", "10")
    api = api_json(cases, "diff", **{"from": "2025-12-15", "to": "2025-12-31", "policy": "estimate", "window": "10"})
    assert cli == api == dict(cases["python"].diff(MATTER, start="2025-12-15", end="2025-12-31",
                                                   policy="estimate", window=10))
    cr.DiffResult.model_validate(cli)
    assert (cli["policy"], cli["window_days"]) == ("estimate", 10)
    recruited = next(c for c in cli["categories"] if c["category"] == "recruited")
    assert recruited["changed"]
    before, after = recruited["from"], recruited["to"]
    assert (before["figure"]["statement"], before["figure"]["low"], before["statements"]) == ("dec-10", 140, ["dec-10"])
    assert (after["figure"]["low"], after["figure"]["best"], after["figure"]["high"]) == (140, 202, 260)
    assert after["statements"][0] == "day" and sorted(after["statements"]) == ["day", "dec-10", "month", "year"]
    table = run(cases["url"], "diff", "--matter", MATTER, "--from", "2025-12-15", "--to", "2025-12-31",
                "--policy", "estimate", "--window", "10").stdout
    assert "(policy estimate, window 10 days)" in table and "140-260 (best 202) (2025-12-18)" in table


def test_check(cases: dict) -> None:
    for policy, window in [("conservative", "10"), ("estimate", "10")]:
        cli = cli_json(cases, "check", "--matter", MATTER, "--as-of", "2025-12-31", "--policy", policy,
                       "--window", window)
        assert cli == api_json(cases, "check", as_of="2025-12-31", policy=policy, window=window)
        assert cli == list(cases["python"].check(MATTER, as_of="2025-12-31", policy=policy, window=int(window)))
        for item in cli:
            r.CheckItem.model_validate(item)
        assert cli  # something to compare: the year and the month may describe dates after 2025-12-18
        assert {"ambiguous_order"} <= {item["kind"] for item in cli}


@pytest.mark.parametrize("path", ["status", "history/recruited", "trace/recruited", "check", "series", "diff"])
@pytest.mark.parametrize("bad", ["-1", "ten", "1.5", "366001"])
def test_bad_window_is_422_naming_it(cases: dict, path: str, bad: str) -> None:
    params = {"window": bad, "from": "2025-12-01", "to": "2025-12-31"}
    response = cases["client"].get(f"/api/matters/{MATTER}/{path}", params=params)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["query", "window"]


def test_bad_window_elsewhere(cases: dict, tmp_path: Path) -> None:
    from ledger.reads import BadParameter

    for bad in (-1, "ten", "--5", "٣", 366_001, True):
        with pytest.raises(BadParameter) as raised:
            cases["python"].status(MATTER, as_of="2025-12-31", window=bad)
        assert raised.value.field == "window"
    page = cases["client"].get(f"/matters/{MATTER}", params={"window": "-3"})
    assert page.status_code == 422 and "window: -3 is negative" in page.text
    for args in (["status"], ["history", "recruited"], ["trace", "recruited"], ["check"],
                 ["series", "--from", "2025-12-01", "--to", "2025-12-31", "--every", "week"],
                 ["diff", "--from", "2025-12-01", "--to", "2025-12-31"]):
        result = run(cases["url"], *args, "--matter", MATTER, "--window", "-1")
        assert result.exit_code == 2 and "'--window'" in result.stderr, args


def test_pages_carry_the_window(cases: dict) -> None:
    page = cases["client"].get(f"/matters/{MATTER}", params={"as_of": "2025-12-31", "policy": "estimate",
                                                              "window": "10"})
    assert page.status_code == 200
    assert "policy estimate, window 10 days" in page.text and 'data-window="10"' in page.text
    assert "window=10" in page.text  # the permalink and the date links reproduce the answer
    history = cases["client"].get(f"/matters/{MATTER}/history/recruited",
                                  params={"as_of": "2025-12-31", "policy": "conservative", "window": "10"})
    assert history.status_code == 200 and "window 10 days" in history.text


def test_audit_marks_what_stands_under_the_policy(cases: dict) -> None:
    from ledger.readmodel.results import AuditResult

    def outcomes(*options: str) -> dict[str, str]:
        report = cli_json(cases, "audit", "--search", "Ministry", "--as-of", "2025-12-31", *options)
        AuditResult.model_validate(report)
        return {e["statement"]: f["outcome"] for e in report["statements"] for f in e["figures"]
                if f["category"] == "recruited"}

    assert outcomes() == {"day": "stands", "dec-10": "outranked", "month": "outranked", "year": "outranked"}
    assert outcomes("--policy", "conservative", "--window", "10") == {
        "day": "outranked", "dec-10": "stands", "month": "outranked", "year": "outranked"}
    page = cases["client"].get("/sources/Ministry", params={"as_of": "2025-12-31", "policy": "conservative",
                                                             "window": "10"})
    assert page.status_code == 200 and "window 10 days" in page.text


def test_tables_name_a_policy_that_is_not_the_default(cases: dict) -> None:
    for args in (["history", "recruited", "--matter", MATTER],
                 ["trace", "recruited", "--matter", MATTER, "--as-of", "2025-12-31"],
                 ["audit", "--search", "Ministry", "--as-of", "2025-12-31"]):
        shown = run(cases["url"], *args, "--policy", "conservative", "--window", "10")
        assert shown.exit_code == 0, shown.stderr
        assert "(policy conservative, window 10 days)" in shown.stdout.splitlines()[0], args
    history = run(cases["url"], "history", "recruited", "--matter", MATTER, "--policy", "conservative",
                  "--window", "10").stdout
    [marked] = [line for line in history.splitlines() if line.startswith("*")]
    assert marked.split()[-1] == "dec-10"
