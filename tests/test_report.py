"""The HTML report on both backends: contents, escaping, self-containment, and rendering in
headless Chromium (console clean, status table and chart drawn, screenshot saved)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from ledger.plot import _PALETTE as PALETTE
from ledger.present import no_figure_text
from tests.conftest import BACKENDS, EXAMPLES, ROOT, _make_url, run, run_json, statement, write_yaml

ARTIFACTS = ROOT / "test-artifacts"
AS_OF = "2025-12-31"
HOSTILE_QUOTE = '<script>window.__pwned = 4; document.title = "pwned"</script> and <b>not bold</b> & "quoted"'
HOSTILE_URL = 'https://example.org/x"><script>window.__pwned=5</script>'
HOSTILE = statement(
    "hostile-2025-10", stated_on="2025-10-01", figures={"missing": {"low": 10, "high": 14}},
    source={"organization": "Fund of $5 </title><script>window.__pwned=1</script>",
            "person": "--><script>window.__pwned=2</script><!--"},
    venue='<img src=x onerror="window.__pwned=3">',
    quote=HOSTILE_QUOTE,
    notes="<iframe src='https://evil.example/'></iframe>",
    citations=[{"outlet": "<a href='https://evil.example'>Outlet</a>", "url": HOSTILE_URL,
                "published_on": "2025-10-02"}],
)


class Collector(HTMLParser):
    """Tags with their attributes, and the text of each table's rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.blockquotes: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._quote: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "table" and dict(attrs).get("id"):
            self._table = dict(attrs)["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "blockquote":
            self._quote = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "blockquote" and self._quote is not None:
            self.blockquotes.append("".join(self._quote))
            self._quote = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._quote is not None:
            self._quote.append(data)


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    return collector


@pytest.fixture(params=BACKENDS, scope="module")
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The seed, a hostile statement, a correction and a retraction; the report as of 2025-12-31."""
    folder = tmp_path_factory.mktemp("report")
    for url in _make_url(request.param, folder):
        assert run(url, "record", str(EXAMPLES), "--by", "alice").exit_code == 0
        extra = write_yaml(folder, "extra.yaml", {"statements": [
            HOSTILE, statement("withdrawn-2025-09", stated_on="2025-09-01", figures={"dead": 30})]})
        assert run(url, "record", str(extra)).exit_code == 0
        shown = yaml.safe_load(run(url, "show", "rajya-sabha-2025-07", "--format", "yaml").stdout)
        shown["figures"]["discharged"] = 97
        fixed = write_yaml(folder, "fixed.yaml", shown)
        assert run(url, "correct", "rajya-sabha-2025-07", str(fixed), "--reason", "98 was <b>mistyped</b>",
                   "--by", "bob").exit_code == 0
        assert run(url, "retract", "withdrawn-2025-09", "--reason", "withdrawn by its source").exit_code == 0
        target = folder / "report.html"
        result = run(url, "report", "--as-of", AS_OF, "--output", str(target))
        assert result.exit_code == 0, result.stderr
        assert f"wrote {target}" in result.stderr
        html = target.read_text(encoding="utf-8")
        yield {"url": url, "backend": request.param, "path": target, "html": html, "parsed": parse(html),
               "status": run_json(url, "status", "--as-of", AS_OF)}


def test_status_table_matches_the_status(report: dict) -> None:
    rows = report["parsed"].tables["status-table"][1:]
    figures = report["status"]["figures"]
    assert [r[0].split(" ")[0] for r in rows] == list(figures)
    for row, (category, figure) in zip(rows, figures.items(), strict=True):
        if figure is None:
            if category in report["status"]["derived"]:
                assert row[3] == "derived", row
            else:  # says why there is none, as status does
                assert row[-1] == no_figure_text(report["status"]["no_figure"][category]), row
                assert row[-1].startswith("no figure"), row
            continue
        text = f"{figure['low']}–{figure['high']}" if figure["qualifier"] == "range" else str(figure["value"])
        assert (row[2], row[3], row[7], row[8], row[10]) == (
            text, figure["qualifier"], figure["as_of"], figure["stated_on"], figure["statement"]), category
    by_category = {r[0].split(" ")[0]: r for r in rows}
    assert by_category["discharged"][2] == "97"  # the corrected figure
    assert by_category["remaining"][2] == "44" and by_category["missing"][2] == "10–14"


def test_discrepancies_figures_and_statements(report: dict) -> None:
    html, parsed = report["html"], report["parsed"]
    result = run(report["url"], "check", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 1  # open discrepancies
    check = json.loads(result.stdout)
    assert len(parsed.tables["check-table"]) - 1 == len(check) > 0
    assert any("relation_violated" in row for row in parsed.tables["check-table"])
    for item in report["status"]["discrepancies"]:
        assert item["message"].replace("'", "&#39;") in html
    # every asserted figure, each linking to its statement, which is on the page with its words
    exported = run_json(report["url"], "export", "--as-of", AS_OF)
    assert len(parsed.tables["figures-table"]) - 1 == len(exported)
    ids = {a.get("id") for tag, a in parsed.tags if tag == "article"}
    links = {a["href"] for tag, a in parsed.tags if tag == "a" and (a.get("href") or "").startswith("#s-")}
    assert {f"#s-{row['statement']}" for row in exported} <= links
    assert {link[1:] for link in links} <= ids
    assert "s-cbi-2024-trafficking-network" in ids  # a statement with no figure is still listed
    seed = yaml.safe_load((EXAMPLES / "statements.yaml").read_text())["statements"]
    for document in seed:
        assert " ".join(document["quote"].split()) in [" ".join(q.split()) for q in parsed.blockquotes]
    # the correction with what it changed and why; the retraction with its reason
    assert "figure discharged: 98 → 97" in html and "98 was &lt;b&gt;mistyped&lt;/b&gt;" in html
    article = html[html.index('id="s-withdrawn-2025-09"'):]
    assert "retracted" in article[:200] and "withdrawn by its source" in article


def test_text_from_statements_is_escaped(report: dict) -> None:
    html, parsed = report["html"], report["parsed"]
    assert HOSTILE_QUOTE in parsed.blockquotes  # shown as text, character for character
    assert "&lt;script&gt;window.__pwned = 4" in html
    assert html.count("<script") == 0 and "<img" not in html and "<iframe" not in html
    assert not any(name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    # the citation link keeps its address as one attribute value, nothing breaks out of it
    citation = [a for tag, a in parsed.tags if tag == "a" and (a.get("href") or "").startswith("https://example.org")]
    assert [a["href"] for a in citation] == [HOSTILE_URL]
    assert "&lt;a href=&#39;https://evil.example&#39;&gt;Outlet&lt;/a&gt;" in html


def test_report_is_self_contained(report: dict) -> None:
    html, parsed = report["html"], report["parsed"]
    cited = {"https://example.org/x\"><script>window.__pwned=5</script>"}
    loaders = {"script", "link", "img", "iframe", "object", "embed", "video", "audio", "source", "base", "form"}
    assert not [tag for tag, _ in parsed.tags if tag in loaders]
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            if name in ("src", "srcset", "action", "data", "poster", "xlink:href", "href") and value:
                assert value.startswith("#") or (tag == "a" and name == "href" and value in cited), (tag, name, value)
    assert "@import" not in html
    assert set(re.findall(r"url\(([^)]*)\)", html)) <= {f"#{m}" for m in re.findall(r"url\(#([^)]*)\)", html)}
    assert len(re.findall(r"<svg\b", html)) == 1 and "<?xml" not in html and "<!DOCTYPE svg" not in html
    # no URL other than the citation's anywhere in the file (not even an SVG namespace)
    assert set(re.findall(r"https?://[^\s\"'<>)&]+", html)) <= {"https://example.org/x", "https://evil.example/",
                                                              "https://evil.example"}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium for the module (installed when missing, see tests/browser.py)."""
    from tests.browser import Page, find_or_install_chromium

    with Page(find_or_install_chromium()) as page:
        yield page


def test_report_renders_in_chromium(report: dict, browser: object) -> None:
    from matplotlib.image import imread

    page = browser
    url = report["path"].resolve().as_uri()
    page.load(url)
    assert page.problems() == []
    assert page.requests() == [url]  # nothing fetched but the file itself
    facts = page.evaluate("""(() => {
        const svg = document.querySelector('#chart svg');
        const box = svg ? svg.getBoundingClientRect() : null;
        return {
          title: document.title, pwned: typeof window.__pwned,
          statusRows: document.querySelectorAll('#status-table tbody tr').length,
          recruited: document.querySelector('#status-table tr[data-category="recruited"] td.num').textContent,
          quote: [...document.querySelectorAll('blockquote')].map(b => b.textContent)
                    .find(t => t.includes('__pwned = 4')),
          svgs: document.querySelectorAll('svg').length,
          paths: svg ? svg.querySelectorAll('path, use').length : 0,
          chart: box && {x: box.left + scrollX, y: box.top + scrollY, width: box.width, height: box.height},
        };
    })()""")
    shot = ARTIFACTS / f"report-{report['backend']}.png"
    width, height = page.screenshot(shot)
    print(f"screenshot: {shot}")
    assert facts["pwned"] == "undefined" and facts["title"].startswith("Indian nationals serving")
    assert facts["statusRows"] == len(report["status"]["figures"]) and facts["recruited"] == "127"
    assert facts["quote"] == HOSTILE_QUOTE
    assert facts["svgs"] == 1 and facts["paths"] > 100
    box = facts["chart"]
    assert box["width"] > 900 and box["height"] > 600
    # the chart is painted: in its box, many non-white pixels, and the colour of each source's points
    image = imread(shot)
    assert image.shape[:2] == (height, width)
    region = image[int(box["y"]):int(box["y"] + box["height"]), int(box["x"]):int(box["x"] + box["width"]), :3]
    assert (region.min(axis=2) < 0.9).mean() > 0.05
    sources = {(r["organization"], r["person"]) for r in run_json(report["url"], "export", "--as-of", AS_OF)}
    assert len(sources) == 5  # with ANI (its restatement of the briefing is in the bundled example)
    for colour in [*PALETTE[:len(sources)], "#d62728"]:  # each source's points, and the discrepancy rings
        rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        assert (abs(region - rgb).max(axis=2) < 0.04).sum() > 30, colour


def test_report_without_charts(report: dict, tmp_path: Path) -> None:
    target = tmp_path / "plain.html"
    result = run(report["url"], "report", "--as-of", "2025-08-15", "--no-charts", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    parsed = parse(target.read_text(encoding="utf-8"))
    assert "<svg" not in target.read_text(encoding="utf-8")
    rows = {r[0].split(" ")[0]: r for r in parsed.tables["status-table"][1:]}
    assert rows["remaining"][2] == "13" and rows["recruited"][2] == "127"
    assert "s-mea-briefing-2025-11-08" not in {a.get("id") for t, a in parsed.tags if t == "article"}


def test_report_names_the_log_head_verify_prints(report: dict) -> None:
    """The report names the log position and chain hash it was computed at: those verify prints."""
    verified = run_json(report["url"], "verify")
    head = re.search(r'id="log-head">Computed at log position <strong>(\d+)</strong>, chain hash\s*'
                     r"<code>([0-9a-f]{64})</code>", report["html"])
    assert head, "the report does not name its log head"
    assert (int(head.group(1)), head.group(2)) == (verified["head_position"], verified["head_hash"])
    assert f"up to position {verified['head_position']}" in report["html"]


def test_without_chromium_skips_with_the_reason_or_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    from tests.browser import find_or_install_chromium

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # not root: no apt-get attempt
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed.*apt-get install -y chromium"):
        find_or_install_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="needs headless Chromium under CI=true"):
        find_or_install_chromium()


def test_report_names_its_policy_and_window_and_shows_low_best_high(db_url: str, tmp_path: Path) -> None:
    """Four December figures of one window (tests/test_replay_wired.py); worked by hand, as of 2025-12-31:
    the head is the day 2025-12-18 (approx 202 = [181, 223]); the window holds it, the month 2025-12
    (180-250) and the year 2025 (150-260); --window 10 adds 2025-12-10's 140 (it ends 8 days before)."""
    from tests.test_replay_wired import ledger, said

    ledger(db_url, tmp_path,
           said("dec-10", "2025-12-10", {"recruited": 140}),
           said("year", "2025-12-20", {"recruited": {"low": 150, "high": 260}}, as_of="2025"),
           said("month", "2025-12-20", {"recruited": {"low": 180, "high": 250}}, as_of="2025-12"),
           said("day", "2025-12-20", {"recruited": {"value": 202, "qualifier": "approx"}}, as_of="2025-12-18"))

    def made(*options: str) -> tuple[str, Collector]:
        target = tmp_path / "report.html"
        result = run(db_url, "report", "--as-of", AS_OF, "--no-charts", "--output", str(target), *options)
        assert result.exit_code == 0, result.stderr
        html = target.read_text(encoding="utf-8")
        return html, parse(html)

    def recruited(parsed: Collector) -> list[str]:
        [row] = [r for r in parsed.tables["status-table"][1:] if r[0] == "recruited"]
        return row[2:7] + [row[10]]  # figure, qualifier, low, best, high, statement

    def standing(parsed: Collector) -> list[str]:
        return [r[5] for r in parsed.tables["figures-table"][1:] if r[-1] == "stands"]

    html, parsed = made("--policy", "estimate", "--window", "10")
    assert "Replayed under policy <strong>estimate</strong>, window\n  <strong>10</strong> day(s)." in html
    assert "or ends at most 10 day(s) before it starts" in html and "--policy estimate --window 10" in html
    assert recruited(parsed) == ["~202", "approx", "140", "202", "260", "day"]  # low 140 < 150 with the window
    assert standing(parsed) == ["day"]
    html, parsed = made("--policy", "conservative", "--window", "10")
    assert recruited(parsed) == ["140", "exact", "", "", "", "dec-10"]  # exact: nothing more to say
    assert standing(parsed) == ["dec-10"]  # the figures table follows the policy too
    html, parsed = made()
    assert "Replayed under policy <strong>latest</strong>, window\n  <strong>0</strong> day(s)." in html
    assert recruited(parsed) == ["~202", "approx", "181", "202", "223", "day"]  # approx 202 is [181, 223]
    missing = next(r for r in parsed.tables["status-table"][1:] if r[0] == "missing")
    assert missing[2:] == [no_figure_text("never_stated")]  # one cell over the nine columns after kind
