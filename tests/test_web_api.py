"""The JSON API and pages of ``ledger serve`` on both backends (FastAPI's TestClient):
the same answers as the CLI's JSON, 422 naming the field, 404 for unknown ids, read-only,
503 with Retry-After while PostgreSQL is away and 200 once it is back, the auditor role
with catch-up off."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (EXAMPLES, MATTER_ID, create_pg_database, drop_pg_database, event_count, run, run_json,
                            statement, write_yaml)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from fastapi.testclient import TestClient

from ledger.web.app import create_app

DATES = ["2024-06-01", "2025-02-15", "2025-08-15", "2025-11-30", "2025-12-31"]


@pytest.fixture(scope="module")
def client(seeded_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(seeded_url)) as test_client:
        yield test_client


def get_json(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("as_of", DATES)
def test_status_is_the_cli_json(client: TestClient, seeded_url: str, as_of: str) -> None:
    api = get_json(client, f"/api/matters/{MATTER_ID}/status", as_of=as_of)
    assert api == run_json(seeded_url, "status", "--matter", MATTER_ID, "--as-of", as_of)
    assert api["as_of"] == as_of


def test_known_at_and_month_dates_as_the_cli(client: TestClient, seeded_url: str) -> None:
    api = get_json(client, f"/api/matters/{MATTER_ID}/status", as_of="2025-08", known_at="2020-01-01")
    cli = run_json(seeded_url, "status", "--as-of", "2025-08", "--known-at", "2020-01-01")
    assert api == cli
    assert api["as_of"] == "2025-08-31" and all(f is None for f in api["figures"].values())


# (API path, query, CLI arguments, result model name): the same question asked both ways.
SAME = [
    ("/api/matters", {}, ["matters"], "MatterSummary"),
    (f"/api/matters/{MATTER_ID}/status", {"as_of": "2025-08-15", "policy": "latest"},
     ["status", "--as-of", "2025-08-15"], "StatusResult"),
    (f"/api/matters/{MATTER_ID}/status", {"as_of": "2025-11-30", "known_at": "2030-01-01", "stale_days": "30"},
     ["status", "--as-of", "2025-11-30", "--known-at", "2030-01-01", "--stale-days", "30"], "StatusResult"),
    (f"/api/matters/{MATTER_ID}/history/dead", {}, ["history", "dead"], "HistoryResult"),
    (f"/api/matters/{MATTER_ID}/history/remaining", {"as_of": "2025-08", "known_at": "2030-01-01"},
     ["history", "remaining", "--as-of", "2025-08", "--known-at", "2030-01-01"], "HistoryResult"),
    (f"/api/matters/{MATTER_ID}/trace/remaining", {"as_of": "2025-11-30"},
     ["trace", "remaining", "--as-of", "2025-11-30"], "TraceResult"),
    (f"/api/matters/{MATTER_ID}/trace/unaccounted", {"as_of": "2025-08-01", "policy": "estimate", "window": "200"},
     ["trace", "unaccounted", "--as-of", "2025-08-01", "--policy", "estimate", "--window", "200"], "TraceResult"),
    (f"/api/matters/{MATTER_ID}/check", {"as_of": "2025-12-31"}, ["check", "--as-of", "2025-12-31"], "CheckItem"),
    ("/api/statements/rajya-sabha-2025-07", {}, ["show", "rajya-sabha-2025-07"], "ShowResult"),
    ("/api/statements/rajya-sabha-2025-07", {"known_at": "2030-01-01"},
     ["show", "rajya-sabha-2025-07", "--known-at", "2030-01-01"], "ShowResult"),
    ("/api/sources", {}, ["sources"], "SourceEntity"),
    ("/api/sources", {"matter": MATTER_ID}, ["sources", "--matter", MATTER_ID], "SourceEntity"),
    ("/api/audit", {}, ["log"], "LogEntry"),
    ("/api/audit", {"since": "2", "limit": "2"}, ["log", "--since", "2", "--limit", "2"], "LogEntry"),
]


@pytest.mark.parametrize(("path", "params", "args", "model"), SAME, ids=[" ".join(s[2]) for s in SAME])
def test_api_json_is_the_cli_json(client: TestClient, seeded_url: str, path: str, params: dict[str, str],
                                  args: list[str], model: str) -> None:
    """Byte for byte the same data, and the shape the OpenAPI document declares for it."""
    from ledger.readmodel import results
    from ledger.readmodel.log_results import LogEntry

    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    result = run(seeded_url, *args, "--format", "json")
    assert result.exit_code in (0, 1), result.output  # check: 1 = open discrepancies
    assert response.json() == json.loads(result.stdout)
    shape = LogEntry if model == "LogEntry" else getattr(results, model)
    items = response.json() if isinstance(response.json(), list) else [response.json()]
    assert items  # each question has an answer to compare
    for item in items:
        shape.model_validate(item)
    route = path if not path.startswith(f"/api/matters/{MATTER_ID}") else None
    openapi = get_json(client, "/openapi.json")
    for template, methods in openapi["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), route or path):
            schema = json.dumps(methods["get"]["responses"]["200"]["content"]["application/json"]["schema"])
            assert f"#/components/schemas/{model}" in schema, template
            break
    else:
        raise AssertionError(f"{path} is not in the OpenAPI document")


@pytest.mark.parametrize("policy", ["latest", "conservative", "estimate"])
def test_every_policy_of_the_domain_is_accepted(client: TestClient, policy: str) -> None:
    from ledger.domain.policies import POLICIES

    assert policy in POLICIES
    response = client.get(f"/api/matters/{MATTER_ID}/status", params={"as_of": "2025-08-15", "policy": policy})
    assert response.status_code == 200, response.text
    page = client.get(f"/matters/{MATTER_ID}", params={"as_of": "2025-08-15", "policy": policy})
    assert page.status_code == 200 and f"policy={policy}" in page.text


def test_statement_answer_carries_links_and_spans(client: TestClient, seeded_url: str) -> None:
    api = get_json(client, "/api/statements/rajya-sabha-2025-07")
    assert api == run_json(seeded_url, "show", "rajya-sabha-2025-07")  # links and spans included (docs/evidence.md)
    assert api["links"]["outgoing"] == [] and api["spans"]["missing"]["status"] == "found"


def test_log_head_is_the_verified_head(client: TestClient, seeded_url: str) -> None:
    head = get_json(client, "/api/log/head")
    verified = run_json(seeded_url, "verify")
    assert (head["position"], head["hash"]) == (verified["head_position"], verified["head_hash"])
    assert head["lag"] == 0


def test_series_and_diff_replay_the_status(client: TestClient, seeded_url: str) -> None:
    series = get_json(client, f"/api/matters/{MATTER_ID}/series", **{"from": "2025-06-30", "to": "2025-12-31",
                                                                      "every": "month", "category": "remaining"})
    assert [r["date"] for r in series["rows"]] == ["2025-06-30", "2025-07-30", "2025-08-30", "2025-09-30",
                                                    "2025-10-30", "2025-11-30", "2025-12-30"]  # steps.py's rule
    for row in series["rows"]:
        figure = run_json(seeded_url, "status", "--as-of", row["date"])["figures"]["remaining"]
        assert row["value"] == (figure["value"] if figure else None)
        assert row["statement"] == (figure["statement"] if figure else None)
    diff = get_json(client, f"/api/matters/{MATTER_ID}/diff", **{"from": "2025-02-15", "to": "2025-11-30"})
    before = run_json(seeded_url, "status", "--as-of", "2025-02-15")["figures"]
    after = run_json(seeded_url, "status", "--as-of", "2025-11-30")["figures"]
    for item in diff["categories"]:
        assert item["from"]["figure"] == before[item["category"]] and item["to"]["figure"] == after[item["category"]]


def test_series_and_diff_json_is_the_cli_json(client: TestClient, seeded_url: str) -> None:
    """One function answers both: the API's JSON is ``ledger series|diff --format json``."""
    params = {"from": "2025-01-15", "to": "2025-12-31", "every": "month", "policy": "latest"}
    assert get_json(client, f"/api/matters/{MATTER_ID}/series", **params) == run_json(
        seeded_url, "series", "--from", "2025-01-15", "--to", "2025-12-31", "--every", "month")
    assert get_json(client, f"/api/matters/{MATTER_ID}/diff", **{"from": "2025-02-15", "to": "2025-11-30"}) == \
        run_json(seeded_url, "diff", "--from", "2025-02-15", "--to", "2025-11-30")
    audit = get_json(client, f"/api/matters/{MATTER_ID}/diff", **{"from": "2025-11-30", "to": "2025-11-30",
                                                                  "known_at": "2020-01-01", "known_at_to": "2100-01-01"})
    assert audit == run_json(seeded_url, "diff", "--as-of", "2025-11-30", "--known-at", "2020-01-01",
                             "--known-at-to", "2100-01-01")
    assert audit["mode"] == "knowledge"


@pytest.mark.parametrize(("path", "params", "field"), [
    (f"/api/matters/{MATTER_ID}/status", {"as_of": "2025-13-01"}, "as_of"),
    (f"/api/matters/{MATTER_ID}/status", {"as_of": "yesterday"}, "as_of"),
    (f"/api/matters/{MATTER_ID}/status", {"known_at": "soon"}, "known_at"),
    (f"/api/matters/{MATTER_ID}/status", {"policy": "loudest"}, "policy"),
    (f"/api/matters/{MATTER_ID}/status", {"stale_days": "-1"}, "stale_days"),
    (f"/api/matters/{MATTER_ID}/diff", {"to": "2025-01-01"}, "from"),
    (f"/api/matters/{MATTER_ID}/diff", {"from": "2025-01-01", "to": "x"}, "to"),
    (f"/api/matters/{MATTER_ID}/series", {"from": "2025-01-01", "to": "2025-02-01", "every": "hour"}, "every"),
    (f"/api/matters/{MATTER_ID}/series", {"from": "2025-03-01", "to": "2025-02-01"}, "to"),
    ("/api/audit", {"limit": "0"}, "limit"),
])
def test_bad_parameters_are_422_naming_the_field(client: TestClient, path: str, params: dict[str, str],
                                                 field: str) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["query", field]
    assert detail[0]["msg"]


@pytest.mark.parametrize(("path", "words"), [
    ("/api/matters/no-such-matter/status", "no matter 'no-such-matter'"),
    (f"/api/matters/{MATTER_ID}/history/no-such-category", "no category 'no-such-category'"),
    ("/api/statements/no-such-statement", "no statement 'no-such-statement'"),
    ("/matters/no-such-matter", "no matter"),
    ("/statements/no-such-statement", "no statement"),
])
def test_unknown_ids_are_404(client: TestClient, path: str, words: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert words in response.text


def test_no_endpoint_writes(client: TestClient, seeded_url: str) -> None:
    before = event_count(seeded_url)
    for route in client.app.routes:
        path = getattr(route, "path", "")
        assert getattr(route, "methods", {"GET"}) <= {"GET", "HEAD"}, path
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)(f"/api/matters/{MATTER_ID}/status").status_code == 405
    assert event_count(seeded_url) == before


def test_openapi_lists_the_contract(client: TestClient) -> None:
    paths = set(get_json(client, "/openapi.json")["paths"])
    assert {"/api/matters", "/api/matters/{matter}/status", "/api/matters/{matter}/history/{category}",
            "/api/matters/{matter}/series", "/api/matters/{matter}/diff", "/api/matters/{matter}/check",
            "/api/statements/{statement_id}", "/api/sources", "/api/audit", "/api/log/head"} <= paths
    assert client.get("/docs").status_code == 200


LOCAL = re.compile(r'(?:src|href)="(?!/|#|data:)([^"]*)"')


@pytest.mark.parametrize("path", ["/", f"/matters/{MATTER_ID}?as_of=2025-08-15",
                                  f"/matters/{MATTER_ID}/history/dead", f"/matters/{MATTER_ID}/diff?from=2025-01&to=2025-12",
                                  "/statements/rajya-sabha-2025-07", "/sources", "/sources/External", "/audit"])
def test_pages_load_nothing_from_elsewhere_and_name_the_head(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    html = response.text
    assert "<script>" not in html  # no inline script
    # the only outside addresses are links to the sources' own pages (citations)
    for address in LOCAL.findall(html):
        assert re.search(rf'<a href="{re.escape(address)}" rel="noreferrer noopener"', html), address
    head = client.get("/api/log/head").json()
    assert f'id="head-position">{head["position"]}<' in html
    assert head["hash"][:16] in html
    assert 'id="permalink"' in html


def test_matter_page_permalink_names_the_snapshot(client: TestClient, seeded_url: str) -> None:
    html = client.get(f"/matters/{MATTER_ID}", params={"as_of": "2025-08", "known_at": "2030-01-01"}).text
    assert f'href="/matters/{MATTER_ID}?as_of=2025-08-31&amp;known_at=2030-01-01T23%3A59%3A59.999999Z' \
           '&amp;policy=latest"' in html
    status = run_json(seeded_url, "status", "--as-of", "2025-08-31")
    for category, figure in status["figures"].items():
        if figure:
            row = re.search(rf'<tr data-category="{category}">.*?data-value="([^"]*)"', html, re.S)
            assert row and row.group(1) == (f"{figure['low']}-{figure['high']}" if figure["qualifier"] == "range"
                                            else str(figure["value"]))


def test_hostile_text_is_escaped(db_url: str, tmp_path: Path) -> None:
    """The report test's hostile statement (script in quote, source, venue, citation URL)."""
    from tests.test_report import HOSTILE

    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    assert run(db_url, "record", str(write_yaml(tmp_path, "hostile.yaml", HOSTILE))).exit_code == 0
    with TestClient(create_app(db_url)) as test_client:
        for page in ("/statements/hostile-2025-10", f"/matters/{MATTER_ID}?as_of=2025-10-15", "/sources",
                     "/sources/Fund", f"/matters/{MATTER_ID}/history/missing"):
            html = test_client.get(page).text
            assert "<script>window.__pwned" not in html and "<img src=x" not in html, page
            assert "<b>not bold</b>" not in html and "<iframe" not in html, page
        html = test_client.get("/statements/hostile-2025-10").text
        assert "&lt;script&gt;window.__pwned = 4;" in html
        assert 'href="https://example.org/x&#34;&gt;&lt;script&gt;' in html


@pytest.mark.postgres
def test_outage_is_503_then_served_again() -> None:
    from tests.pgproxy import Proxy

    name = create_pg_database()
    proxy = Proxy().start()
    try:
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/{name}?connect_timeout=1"
        assert run(url, "record", str(EXAMPLES)).exit_code == 0
        with TestClient(create_app(url)) as test_client:
            path = f"/api/matters/{MATTER_ID}/status?as_of=2025-08-15"
            good = test_client.get(path)
            assert good.status_code == 200
            proxy.stop()
            for address in (path, "/api/log/head", f"/matters/{MATTER_ID}"):
                down = test_client.get(address)
                assert down.status_code == 503, down.text
                assert down.headers["retry-after"] == "5"
                assert "database unavailable" in down.text
            proxy.start()
            again = test_client.get(path)
            assert again.status_code == 200, again.text
            assert again.json() == good.json()
    finally:
        proxy.stop()
        drop_pg_database(name)


@pytest.mark.postgres
def test_starts_while_the_database_is_down() -> None:
    from tests.pgproxy import Proxy

    name = create_pg_database()
    proxy = Proxy().start()
    try:
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/{name}?connect_timeout=1"
        assert run(url, "record", str(EXAMPLES)).exit_code == 0
        proxy.stop()
        with TestClient(create_app(url)) as test_client:
            assert test_client.get("/api/matters").status_code == 503
            proxy.start()
            assert test_client.get("/api/matters").json()[0]["matter"] == MATTER_ID
    finally:
        proxy.stop()
        drop_pg_database(name)


@pytest.mark.postgres
def test_auditor_role_with_catch_up_off(tmp_path: Path) -> None:
    import psycopg

    from tests.conftest import PG_ADMIN

    name = create_pg_database()
    auditor = f"a_{name}"
    owner = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        assert run(owner, "record", str(EXAMPLES)).exit_code == 0
        result = run(owner, "db", "roles", "--apply", "--writer", f"w_{name}", "--auditor", auditor)
        assert result.exit_code == 0, result.output
        auditor_url = f"postgresql://{auditor}@127.0.0.1:5432/{name}"
        with TestClient(create_app(auditor_url, catch_up=False)) as test_client:
            for as_of in DATES:
                api = get_json(test_client, f"/api/matters/{MATTER_ID}/status", as_of=as_of)
                assert api == run_json(owner, "status", "--as-of", as_of)
            assert test_client.get(f"/matters/{MATTER_ID}").status_code == 200
            assert get_json(test_client, "/api/log/head")["position"] == 6
        # the owner records without catching up: the view lags, and the auditor cannot write it
        before = run_json(owner, "status", "--as-of", "2025-12-31")
        later = write_yaml(tmp_path, "later.yaml", statement("later-2025-12", stated_on="2025-12-01",
                                                             figures={"missing": 99}))
        assert run(owner, "--no-catch-up", "record", str(later)).exit_code == 0
        with TestClient(create_app(auditor_url, catch_up=True)) as test_client:  # reads the view as it is
            assert get_json(test_client, f"/api/matters/{MATTER_ID}/status", as_of="2025-12-31") == before
            assert get_json(test_client, "/api/log/head")["lag"] == 1
    finally:
        drop_pg_database(name)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            for role in (f"w_{name}", auditor):
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')
