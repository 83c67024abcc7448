"""``ledger serve`` in a real browser: the server runs as a subprocess on a free loopback
port, headless Chromium is driven over CDP (tests/browser.py). Moving the slider replays
the status to the CLI's figures for that date, a figure opens its statement, a permalink
reproduces the page, the console stays clean, hostile quotes stay inert. Screenshots go
to test-artifacts/."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.browser import Page, find_or_install_chromium
from tests.conftest import BACKENDS, EXAMPLES, MATTER_ID, ROOT, _make_url, run, run_json, write_yaml

ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=BACKENDS, scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    from tests.test_report import HOSTILE

    folder = tmp_path_factory.mktemp("serve")
    for url in _make_url(request.param, folder):
        assert run(url, "record", str(EXAMPLES)).exit_code == 0
        assert run(url, "record", str(write_yaml(folder, "hostile.yaml", HOSTILE))).exit_code == 0
        port = free_port()
        log = (folder / "serve.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger", "--db", url, "serve", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, cwd=folder, env={**os.environ, "LEDGER_DEBUG": "1"})
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "/api/log/head", timeout=2).read()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("ledger serve did not start: "
                                           + (folder / "serve.log").read_text()[-2000:]) from None
                    time.sleep(0.2)
            yield {"url": url, "base": base, "backend": request.param}
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            log.close()


@pytest.fixture(scope="module")
def chromium() -> str:
    return find_or_install_chromium()


FIGURES = "[...document.querySelectorAll('#status-table tr[data-category]')]" \
          ".map(r => [r.dataset.category, r.querySelector('.figure').dataset.value])"


def cli_values(url: str, as_of: str) -> list[list[str]]:
    figures = run_json(url, "status", "--matter", MATTER_ID, "--as-of", as_of)["figures"]
    return [[c, "" if f is None else (f"{f['low']}-{f['high']}" if f["qualifier"] == "range" else str(f["value"]))]
            for c, f in figures.items()]


def wait_for(page: Page, expression: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(expression)
        time.sleep(0.05)


def test_slider_statement_permalink(server: dict[str, str], chromium: str) -> None:
    base, url = server["base"], server["url"]
    with Page(chromium) as page:
        page.load(f"{base}/matters/{MATTER_ID}?as_of=2025-12-31")
        assert page.problems() == []
        assert all(r.startswith(base) or r.startswith("data:") for r in page.requests()), page.requests()
        assert page.evaluate(FIGURES) == cli_values(url, "2025-12-31")
        wait_for(page, "document.getElementById('chart-img').complete", timeout=60)
        assert page.evaluate("document.getElementById('chart-img').naturalWidth") > 0  # the timelines are drawn
        page.screenshot(ARTIFACTS / f"web-matter-{server['backend']}.png")
        dates = page.evaluate("document.getElementById('slider').dataset.dates.split(',')")
        assert len(dates) >= 3
        seen = set()
        for index in (0, len(dates) // 2, len(dates) - 2):
            day = dates[index]
            page.evaluate(f"(() => {{ const s = document.getElementById('slider'); s.value = '{index}'; "
                          "s.dispatchEvent(new Event('input')); })()")
            wait_for(page, f"document.body.dataset.asOf === '{day}' && !document.body.dataset.loading")
            values = page.evaluate(FIGURES)
            assert values == cli_values(url, day), day
            seen.add(json.dumps(values))
            assert page.evaluate("document.getElementById('as-of').textContent") == day
            assert page.evaluate("location.search").startswith(f"?as_of={day}")
            # the timelines were redrawn for the new date
            wait_for(page, f"document.getElementById('chart-img').dataset.asOf === '{day}'", timeout=60)
            assert page.evaluate("document.getElementById('chart-img').naturalWidth") > 0
        assert len(seen) > 1  # the figures did change with the date
        permalink = page.evaluate("document.getElementById('permalink').href")
        page.screenshot(ARTIFACTS / f"web-matter-slid-{server['backend']}.png")

        # open a statement from a figure
        link = page.evaluate("[...document.querySelectorAll('#status-table .figure a')].map(a => a.href)[0]")
        statement_id = link.split("/statements/")[1].split("?")[0]
        page.load(link)
        assert page.problems() == []
        assert page.evaluate("document.querySelector('#statement h1').textContent").startswith(statement_id)
        shown = run_json(url, "show", statement_id)
        assert page.evaluate("document.getElementById('quote').textContent") == shown["statement"]["quote"]

        # the permalink reproduces the replayed page, without script
        day = permalink.split("as_of=")[1].split("&")[0]
        page.load(permalink)
        assert page.problems() == []
        assert page.evaluate(FIGURES) == cli_values(url, day)
        assert page.evaluate("document.getElementById('as-of').textContent") == day


def test_hostile_quote_is_inert(server: dict[str, str], chromium: str) -> None:
    base = server["base"]
    with Page(chromium) as page:
        for path in ("/statements/hostile-2025-10", f"/matters/{MATTER_ID}?as_of=2025-10-15",
                     "/sources", "/sources/Fund"):
            page.load(base + path)
            assert page.problems() == [], path
            assert page.evaluate("window.__pwned === undefined"), path
            assert page.evaluate("document.title") != "pwned"
        page.load(base + "/statements/hostile-2025-10")
        assert "<script>" in page.evaluate("document.getElementById('quote').textContent")
        page.screenshot(ARTIFACTS / f"web-hostile-{server['backend']}.png")


def test_other_pages_render_cleanly(server: dict[str, str], chromium: str) -> None:
    base = server["base"]
    with Page(chromium) as page:
        for name, path in (("index", "/"), ("history", f"/matters/{MATTER_ID}/history/remaining"),
                           ("diff", f"/matters/{MATTER_ID}/diff?from=2025-02-15&to=2025-11-30"),
                           ("sources", "/sources"), ("audit", "/audit")):
            page.load(base + path)
            assert page.problems() == [], path
            assert all(r.startswith(base) or r.startswith("data:") for r in page.requests()), page.requests()
            if server["backend"] == "sqlite":
                page.screenshot(ARTIFACTS / f"web-{name}.png")
        page.load(base + f"/matters/{MATTER_ID}/diff?from=2025-02-15&to=2025-11-30")
        changed = page.evaluate("[...document.querySelectorAll('#diff tr.changed')].map(r => r.dataset.category)")
        assert "remaining" in changed and "dead" not in changed
