"""Charts: the data behind them on both backends, and the files `ledger plot` writes."""

from __future__ import annotations

import datetime as dt
import json
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.plot import _PALETTE, chart_data, pixel_size
from tests.conftest import EXAMPLES, run, statement, write_yaml


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def test_chart_data_follows_the_replay(seeded_url: str, tmp_path: Path) -> None:
    with Ledger(seeded_url) as ledger:
        ledger.catch_up()
        data = chart_data(ledger.view, None, ["remaining", "unaccounted", "dead"], dt.date(2025, 12, 31))
    panels = {p["category"]: p for p in data["panels"]}
    assert list(panels) == ["remaining", "unaccounted", "dead"]
    remaining = panels["remaining"]
    assert [(p["end"], p["value"], p["statement"]) for p in remaining["points"]] == [
        (dt.date(2025, 7, 31), 13, "rajya-sabha-2025-07"), (dt.date(2025, 11, 8), 44, "mea-briefing-2025-11-08"),
        (dt.date(2025, 11, 8), 44, "ani-2025-11-08-lead")]  # ANI restates the briefing: asserted, plotted, never standing alone
    assert remaining["points"][0]["start"] == dt.date(2025, 7, 1)  # a month: the bar spans it
    assert remaining["points"][1]["source"] == "Ministry of External Affairs (India) (Randhir Jaiswal)"

    def status_on(panel: dict, day: dt.date) -> float | None:
        return [s["low"] for s in panel["steps"] if s["day"] <= day][-1] if panel["steps"][0]["day"] <= day else None

    assert status_on(remaining, dt.date(2025, 2, 1)) is None
    assert status_on(remaining, dt.date(2025, 8, 15)) == 13 and status_on(remaining, dt.date(2025, 12, 1)) == 44
    assert status_on(panels["dead"], dt.date(2025, 2, 1)) == 12
    # unaccounted is derived (127 - 98 - 13 - 12 = 4) until November's 44 breaks the relation
    derived = panels["unaccounted"]
    assert status_on(derived, dt.date(2025, 8, 15)) == 4 and derived["points"] == []
    assert status_on(derived, dt.date(2025, 12, 1)) is None
    violated = [d for d in remaining["discrepancies"] if d["kind"] == "relation_violated"]
    assert [(d["first_seen"], d["resolved_on"], d["hard"]) for d in violated] == [(dt.date(2025, 11, 8), None, True)]
    stale = [d for d in panels["unaccounted"]["discrepancies"] if d["kind"] == "stale_inputs"]
    assert (stale[0]["first_seen"], stale[0]["resolved_on"]) == (dt.date(2025, 7, 31), dt.date(2025, 11, 8))
    assert data["sources"] == sorted({p["source"] for panel in data["panels"] for p in panel["points"]})


RANGED = statement("ngo-range", stated_on="2025-10-01", figures={"missing": {"low": 10, "high": 14}, "remaining": 40},
                   source={"organization": "A $5 fund"})  # a '$' is text, not mathtext


def test_chart_data_of_a_range(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES), str(write_yaml(tmp_path, "ranged.yaml", RANGED))).exit_code == 0
    with Ledger(db_url) as ledger:
        ledger.catch_up()
        [panel] = chart_data(ledger.view, None, ["missing"], dt.date(2025, 12, 31))["panels"]
    point = next(p for p in panel["points"] if p["statement"] == "ngo-range")
    assert (point["low"], point["high"], point["value"], point["qualifier"]) == (10, 14, None, "range")
    assert (point["start"], point["end"]) == (dt.date(2025, 10, 1),) * 2
    assert (panel["steps"][-1]["low"], panel["steps"][-1]["high"]) == (10, 14)


# Drawing does not depend on the backend (the data above is checked on both): SQLite only.
@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("plot")
    url = f"sqlite:///{folder / 'ledger.db'}"
    assert run(url, "record", str(EXAMPLES), str(write_yaml(folder, "ranged.yaml", RANGED))).exit_code == 0
    return url


def test_plot_writes_a_readable_png(sqlite_url: str, tmp_path: Path) -> None:
    from matplotlib.image import imread

    target = tmp_path / "chart.png"
    result = run(sqlite_url, "plot", "--as-of", "2025-12-31", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    found = json.loads(run(sqlite_url, "check", "--as-of", "2025-12-31", "--format", "json").stdout)
    assert f"6 categories, 9 figure(s), {len(found)} discrepancy(ies)" in result.stderr
    assert png_size(target) == pixel_size(6) == (1200, 940)
    image = imread(target)[:, :, :3]
    assert (image.min(axis=2) < 0.9).mean() > 0.03  # drawn, not blank
    # the points of each of the four sources, in their colours, and the discrepancy rings
    for colour in [*_PALETTE[:4], "#d62728"]:
        rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        assert (abs(image - rgb).max(axis=2) < 0.04).sum() > 30, colour


def test_plot_categories_svg_and_errors(sqlite_url: str, tmp_path: Path) -> None:
    target = tmp_path / "two.svg"
    result = run(sqlite_url, "plot", "--categories", "missing,remaining", "--as-of", "2025-12-31",
                 "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert "2 categories, 6 figure(s)" in result.stderr
    root = ElementTree.parse(target).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")
    assert len(root.findall(".//{http://www.w3.org/2000/svg}g")) > 50
    bad = run(sqlite_url, "plot", "-o", str(tmp_path / "chart.jpg"))
    assert bad.exit_code == 2 and ".png or .svg" in bad.stderr
    unknown = run(sqlite_url, "plot", "-c", "wounded", "-o", str(tmp_path / "x.png"))
    assert unknown.exit_code == 4 and "no category 'wounded'" in unknown.stderr


def test_clear_error_without_matplotlib(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    result = run(sqlite_url, "plot", "-o", str(tmp_path / "chart.png"))
    assert result.exit_code == 2 and "pip install 'claims-ledger[plot]'" in result.stderr
    result = run(sqlite_url, "report", "-o", str(tmp_path / "report.html"))
    assert result.exit_code == 2 and "--no-charts" in result.stderr
    result = run(sqlite_url, "report", "--no-charts", "-o", str(tmp_path / "report.html"))
    assert result.exit_code == 0 and (tmp_path / "report.html").stat().st_size > 1000
