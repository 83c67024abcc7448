"""``check`` in worker processes finds exactly what it finds in one process, in the same
order, on both backends (:mod:`ledger.checking`), and reports progress in statements."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.checking import biggest_first, check_matters
from ledger.readmodel import Snapshot, TimelineReadModel
from scripts.generate import write_workload
from tests.conftest import run


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], scope="module")
def many_matters(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.conftest import _make_url

    folder = tmp_path_factory.mktemp("many")
    urls = _make_url(request.param, folder)
    url = next(urls)
    write_workload(folder / "work", matters=12, statements=300, seed=7)
    result = run(url, "record", str(folder / "work" / "record"))
    assert result.exit_code == 0, result.output
    yield url
    next(urls, None)


def test_workers_find_what_one_process_finds(many_matters: str) -> None:
    snapshot = Snapshot(dt.date(2026, 1, 1), policy="conservative", window_days=30)
    with Ledger(many_matters) as ledger:
        ledger.catch_up()
        model = TimelineReadModel(ledger.view)
        alone = model.check(None, snapshot, 200)
        seen: list[tuple[int, int]] = []
        shared = check_matters(many_matters, model, None, snapshot, 200, progress=lambda d, t: seen.append((d, t)),
                               jobs=2)
        statements = sum(m["statements"] for m in model.matters(snapshot))
    assert len({d["matter"] for d in alone}) > 5 and len({d["kind"] for d in alone}) > 2
    assert shared == alone
    assert [t for _, t in seen] == [statements] * len(seen) and seen[-1] == (statements, statements)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 2


def test_cli_jobs_do_not_change_the_output(many_matters: str) -> None:
    one = run(many_matters, "check", "--jobs", "1", "--format", "json", "--as-of", "2026-01-01")
    two = run(many_matters, "check", "--jobs", "2", "--format", "json", "--as-of", "2026-01-01")
    assert one.exit_code == two.exit_code == 1  # open discrepancies
    assert json.loads(two.output) == json.loads(one.output) and json.loads(one.output)
    table = run(many_matters, "check", "--jobs", "2", "--as-of", "2026-01-01")
    assert table.output == run(many_matters, "check", "--as-of", "2026-01-01").output


def test_one_matter_and_small_ledgers_stay_in_this_process(many_matters: str, monkeypatch: Any) -> None:
    import ledger.checking as checking

    def no_pool(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no worker processes expected")

    monkeypatch.setattr(checking, "ProcessPoolExecutor", no_pool)
    with Ledger(many_matters) as ledger:
        model = TimelineReadModel(ledger.view)
        matter = model.matters()[0]["matter"]
        snapshot = Snapshot(dt.date(2026, 1, 1))
        assert check_matters(many_matters, model, matter, snapshot, jobs=2) == model.check(matter, snapshot)
        assert check_matters(many_matters, model, None, snapshot) == model.check(None, snapshot)  # 300 < 5,000


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    result = run(f"sqlite:///{tmp_path / 'x.db'}", "check", "--jobs", "0")
    assert result.exit_code == 2 and "--jobs" in result.output


def test_chunks_hand_out_the_biggest_matters_first_and_keep_every_matter_once() -> None:
    sizes = {"a": 5, "b": 900, "c": 40, "d": 1000, "e": 3, "f": 60}
    chunks = biggest_first(list(sizes) + ["no-statements"], sizes, 4)
    assert sorted(m for chunk in chunks for m in chunk) == sorted([*sizes, "no-statements"])
    assert chunks[0] == ["d"] and chunks[1] == ["b"]  # each as big as a chunk's share alone
    assert chunks[-1][-1] == "no-statements"  # the smallest last
    weights = [sum(sizes.get(m, 0) for m in chunk) for chunk in chunks]
    assert weights == sorted(weights, reverse=True)
