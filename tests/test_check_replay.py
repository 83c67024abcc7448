"""`check` replays each matter from its rows read once; it must find exactly what asking
`status` (one database question per day) at every statement date finds, on both backends,
except that a ``stale_figure`` is seen from the very day the figure turned stale (status
on that day has it, the day before does not), not from the next statement's date.

The workload is the skewed generator's (year-precision statements pile figures on 12-31,
so same-date conflicts, which `status` now filters in SQL, are plentiful), with a
correction and a retraction so that visibility and ``--known-at`` count.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger import queries
from ledger.application import Ledger
from ledger.readmodel import Snapshot, TimelineReadModel
from ledger.readmodel.check import _succeeds
from ledger.inputs import iter_inputs
from scripts.generate import write_workload
from tests.conftest import run, write_yaml


def check_by_status(view: Any, as_of: date, known_at: str | None = None) -> list[dict[str, Any]]:
    """The former `check`: `status` asked at every date on which a statement was made."""
    model = TimelineReadModel(view)
    snapshot = Snapshot(as_of, known_at)
    found: list[dict[str, Any]] = []
    for mid in [m["matter"] for m in model.matters(snapshot)]:
        rows = view.query(
            "SELECT stated_end FROM {ledger_statements} WHERE matter_id = :m AND stated_end <= :day "
            f"AND retracted = 0 AND {snapshot.in_force()}", {"m": mid, **snapshot.params()})
        active: dict[tuple[Any, ...], dict[str, Any]] = {}
        for when in sorted({r["stated_end"] for r in rows} | {as_of.isoformat()}):
            report = model.status(mid, snapshot.on(date.fromisoformat(when)))
            seen = set()
            for item in report["discrepancies"]:
                key = (item["kind"], tuple(item["categories"]), tuple(item["statements"]), item.get("relation"))
                seen.add(key)
                if key not in active:
                    active[key] = {"matter": mid, **item, "first_seen": when, "resolved_on": None, "open": True,
                                   "ended": None}
                    found.append(active[key])
                else:
                    active[key]["message"] = item["message"]
            new = [k for k in seen if active[k]["first_seen"] == when]
            for key in [k for k in active if k not in seen]:
                active.pop(key).update(resolved_on=when, open=False,
                                       ended="superseded" if any(_succeeds(n, key) for n in new) else "resolved")
    return found


# check items that come from the statements themselves, not from replaying status at each date
NOT_REPLAYED = {"inconsistent_statement", "not_in_quote", "not_in_span", "misquoted", "undated_conflict"}


def canonical(items: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(item, sort_keys=True) for item in items)


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("skewed")
    write_workload(folder, matters=6, statements=1200, seed=5, skewed=True)
    return folder / "record"


def test_check_replay_equals_status_at_every_date(db_url: str, workload: Path, tmp_path: Path) -> None:
    with Ledger(db_url) as ledger:
        ledger.record(iter_inputs([str(workload)]), recorded_by="test")
        ledger.catch_up()
        before_changes = ledger.view.query_one("SELECT MAX(recorded_at) AS t FROM {ledger_figures}")["t"]
        some = ledger.view.query("SELECT statement_id, document FROM {ledger_statements} ORDER BY position LIMIT 40")
    corrected = json.loads(some[30]["document"])
    corrected["figures"] = {c: 1 for c in corrected["figures"]}
    path = write_yaml(tmp_path, "fixed.yaml", corrected)
    assert run(db_url, "correct", corrected["id"], str(path), "--reason", "typo").exit_code == 0
    assert run(db_url, "retract", some[35]["statement_id"], "--reason", "withdrawn").exit_code == 0

    with Ledger(db_url) as ledger:
        ledger.catch_up()
        model = TimelineReadModel(ledger.view)
        for as_of, known_at in [(date(2030, 1, 1), None), (date(2019, 6, 30), None),
                                (date(2030, 1, 1), before_changes)]:
            expected = check_by_status(ledger.view, as_of, known_at)
            kinds = {item["kind"] for item in expected}
            assert {"conflicting_sources", "relation_violated", "stale_figure"} <= kinds, kinds
            found = queries.check(ledger.view, None, as_of, known_at)
            replayed = [item for item in found if item["kind"] not in NOT_REPLAYED]
            assert canonical([i for i in replayed if i["kind"] != "stale_figure"]) == \
                canonical([i for i in expected if i["kind"] != "stale_figure"])
            stale = {(i["matter"], *i["statements"], i["categories"][0]): i for i in replayed
                     if i["kind"] == "stale_figure"}
            oracle = {(i["matter"], *i["statements"], i["categories"][0]): i for i in expected
                      if i["kind"] == "stale_figure"}
            assert oracle.keys() < stale.keys()  # more: stale between two statements, replaced by the second
            earlier = 0
            for key, item in oracle.items():
                item = stale[key]
                assert item["first_seen"] <= oracle[key]["first_seen"]
                assert (item["resolved_on"], item["ended"]) == (oracle[key]["resolved_on"], oracle[key]["ended"])
                earlier += item["first_seen"] < oracle[key]["first_seen"]
            assert earlier > 10  # most figures turn stale between two statements
            for item in list(stale.values())[::9]:  # the very day: stale on it, not the day before
                day = date.fromisoformat(item["first_seen"])
                def has(on: date) -> bool:
                    report = model.status(item["matter"], Snapshot(on, known_at))
                    return any(d["kind"] == "stale_figure" and d["statements"] == item["statements"]
                               and d["categories"] == item["categories"] for d in report["discrepancies"])
                assert has(day) and not has(day - timedelta(days=1)), item


def test_check_reports_progress_per_matter_in_statements(db_url: str, workload: Path) -> None:
    with Ledger(db_url) as ledger:
        ledger.record(iter_inputs([str(workload)]), recorded_by="test")
        ledger.catch_up()
        calls: list[tuple[int, int]] = []
        model = TimelineReadModel(ledger.view)
        model.check(None, Snapshot(date(2030, 1, 1)), progress=lambda done, total: calls.append((done, total)))
        sizes = [max(1, m["statements"]) for m in model.matters()]
    assert len(sizes) == 6 and len(set(sizes)) > 1  # matters of different sizes
    assert calls == [(sum(sizes[:i]), sum(sizes)) for i in range(1, 7)]


def test_plot_steps_replayed_equal_status_at_each_day(db_url: str, workload: Path) -> None:
    pytest.importorskip("matplotlib")
    from ledger import plot

    with Ledger(db_url) as ledger:
        ledger.record(iter_inputs([str(workload)]), recorded_by="test")
        ledger.catch_up()
        matter = max(TimelineReadModel(ledger.view).matters(), key=lambda m: m["statements"])["matter"]
        data = plot.chart_data(ledger.view, matter, None, date(2030, 1, 1))
        steps = data["panels"][0]["steps"]
        assert len(steps) > 100
        for step in steps[::7]:
            report = TimelineReadModel(ledger.view).status(matter, Snapshot(step["day"]))
            category = data["panels"][0]["category"]
            figure = report["figures"].get(category) or report["derived"].get(category)
            if figure is None:
                assert step["low"] is None
                continue
            interval = plot._interval(figure if figure.get("qualifier") else {**figure, "qualifier": "derived"})
            assert (step["low"], step["high"]) == (interval.lo, interval.hi), step["day"]
