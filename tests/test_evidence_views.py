"""Issue 14 wired into the views, on both backends: every link type, disputed figures,
restatements in check, spans in show/trace/report, source ids, audit filters, PROV export.

The bundled example holds ANI's restatement of the MEA briefing of 8 November 2025
(``ani-2025-11-08-lead restates mea-briefing-2025-11-08``: "at least 44" for the
spokesperson's 44). Hand-worked cases add statements about the same matter."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, event_count, run, run_json, statement, write_yaml

MEA = "mea-briefing-2025-11-08"
ANI = "ani-2025-11-08-lead"


@pytest.fixture
def seeded(db_url: str) -> str:
    result = run(db_url, "record", str(EXAMPLES))
    assert result.exit_code == 0, result.output
    return db_url


def record(url: str, folder: Path, name: str, *documents: dict) -> None:
    result = run(url, "record", str(write_yaml(folder, name, {"statements": list(documents)})))
    assert result.exit_code == 0, result.output + result.stderr


def remaining(url: str, *args: str) -> dict:
    return run_json(url, "status", "--as-of", "2025-11-30", *args)["figures"]["remaining"]


def check_items(url: str) -> list[dict]:
    result = run(url, "check", "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def now(url: str) -> str:
    return run_json(url, "log")[-1]["recorded_at"]


# --- restates -------------------------------------------------------------------------------


def test_a_restatement_is_not_independent_confirmation(seeded: str, tmp_path: Path) -> None:
    """ANI's 'at least 44' restates the briefing: the briefing's figure stands, the pair is
    no conflict, and check finds no misquote (the same number, another qualifier)."""
    figure = remaining(seeded)
    assert (figure["statement"], figure["value"], figure["qualifier"]) == (MEA, 44, "exact")
    found = check_items(seeded)
    assert not [d for d in found if d["kind"] in ("misquoted", "conflicting_sources")]
    # an independent outlet saying 50 about the same day is a conflict...
    record(seeded, tmp_path, "other.yaml", statement(
        "independent-50", stated_on="2025-11-08", figures={"remaining": 50},
        quote="50 Indians remain in the Russian army.", source={"organization": "Other Agency"}))
    conflicts = [d for d in check_items(seeded) if d["kind"] == "conflicting_sources"]
    assert [sorted(d["statements"]) for d in conflicts] == [["independent-50", MEA]]
    assert remaining(seeded)["statement"] == "independent-50"  # recorded later, same dates
    # ...a second restatement of the briefing giving 44 is not: it is counted once, under the briefing
    record(seeded, tmp_path, "again.yaml", statement(
        "wire-44", stated_on="2025-11-08", figures={"remaining": 44},
        quote="44 Indians remain, the ministry said.", links=[{"type": "restates", "statement": MEA}]))
    found = check_items(seeded)
    conflicts = [d for d in found if d["kind"] == "conflicting_sources"]
    assert [sorted(d["statements"]) for d in conflicts] == [["independent-50", MEA]]
    assert not [d for d in found if d["kind"] == "misquoted"]
    assert remaining(seeded)["statement"] == "independent-50"  # the newer restatement does not stand


def test_a_restatement_changing_a_number_is_misquoted(seeded: str, tmp_path: Path) -> None:
    record(seeded, tmp_path, "misquote.yaml", statement(
        "wire-45", stated_on="2025-11-09", as_of="2025-11-08", figures={"remaining": 45},
        quote="45 Indians remain in the Russian army, the ministry said.",
        links=[{"type": "restates", "statement": MEA}]))
    [misquoted] = [d for d in check_items(seeded) if d["kind"] == "misquoted"]
    assert misquoted["statements"] == ["wire-45", MEA] and misquoted["categories"] == ["remaining"]
    assert misquoted["numbers"] == {"wire-45": "45", MEA: "44"}
    assert "restated as 45, but the restated statement gives 44" in misquoted["message"]
    # not a conflict between sources, and the original still stands
    assert not [d for d in check_items(seeded) if d["kind"] == "conflicting_sources"]
    assert remaining(seeded)["statement"] == MEA
    assert run(seeded, "check").exit_code == 1


# --- denies, known-at -------------------------------------------------------------------------


def test_a_denial_marks_disputed_and_changes_the_answer(seeded: str, tmp_path: Path) -> None:
    record(seeded, tmp_path, "denial.yaml", statement(
        "russia-denial", stated_on="2025-11-10", figures={},
        quote="The figures reported are not correct.", source={"organization": "Embassy of Russia", "type": "government"}))
    before_link = now(seeded)
    time.sleep(0.01)
    assert remaining(seeded)["disputed"] is False
    before = event_count(seeded)
    result = run(seeded, "link", "russia-denial", "denies", MEA, "--reason", "the embassy denied it", "--by", "dee")
    assert result.exit_code == 0, result.stderr
    assert event_count(seeded) == before + 1
    # the briefing is disputed, and so is ANI's restatement of it: the July figure stands
    figure = remaining(seeded)
    assert (figure["statement"], figure["value"], figure["disputed"]) == ("rajya-sabha-2025-07", 13, False)
    included = remaining(seeded, "--include-disputed")
    assert (included["statement"], included["disputed"], included["disputed_by"]) == (MEA, True, ["russia-denial"])
    table = run(seeded, "status", "--as-of", "2025-11-30", "--include-disputed").stdout
    assert f"remaining: disputed: {MEA} is denied by russia-denial" in table
    trace = run_json(seeded, "trace", "remaining", "--as-of", "2025-11-30")
    briefing = next(o for o in trace["others"] if o["statement"] == MEA)
    assert briefing["disputed_by"] == ["russia-denial"] and briefing["why"].startswith("disputed (denied by")
    # known-at before the link: the graph and the answer of the time
    assert remaining(seeded, "--known-at", before_link)["statement"] == MEA
    then = run_json(seeded, "links", MEA, "--known-at", before_link)
    assert [(e["type"], e["statement"]) for e in then["incoming"]] == [("restates", ANI)]
    links = run_json(seeded, "links", MEA)
    assert sorted((e["type"], e["statement"]) for e in links["incoming"]) == [
        ("denies", "russia-denial"), ("restates", ANI)]
    denial = next(e for e in links["incoming"] if e["type"] == "denies")
    assert (denial["origin"], denial["reason"], denial["recorded_by"]) == ("event", "the embassy denied it", "dee")
    # unlinking ends the dispute from then on; known-at in between still sees it
    linked = now(seeded)
    time.sleep(0.01)
    assert run(seeded, "unlink", "russia-denial", "denies", MEA, "--reason", "misread").exit_code == 0
    assert remaining(seeded)["statement"] == MEA
    assert remaining(seeded, "--known-at", linked)["statement"] == "rajya-sabha-2025-07"
    [ended] = run_json(seeded, "links", MEA)["ended"]
    assert (ended["type"], ended["ended_by"], ended["end_reason"]) == ("denies", "unlinked", "misread")


def test_updates_contradicts_cites_are_recorded_and_shown(seeded: str) -> None:
    for link_type in ("updates", "contradicts", "cites"):
        result = run(seeded, "link", MEA, link_type, "rajya-sabha-2025-07", "--reason", f"a {link_type} link")
        assert result.exit_code == 0, result.stderr
    shown = run_json(seeded, "links", MEA)
    assert sorted(e["type"] for e in shown["outgoing"]) == ["cites", "contradicts", "updates"]
    assert sorted(e["type"] for e in run_json(seeded, "links", "rajya-sabha-2025-07")["incoming"]) == [
        "cites", "contradicts", "updates"]
    assert "links:       updates rajya-sabha-2025-07" in run(seeded, "show", MEA).stdout
    # status is not changed by them
    assert remaining(seeded)["statement"] == MEA


def test_bad_links_write_nothing(seeded: str) -> None:
    before = event_count(seeded)
    result = run(seeded, "link", MEA, "denies", "nope", "--reason", "x")
    assert result.exit_code == 4 and "no statement 'nope'" in result.stderr
    result = run(seeded, "link", "rajya-sabha-2025-07", "updates", MEA, "--reason", "x")
    assert result.exit_code == 0
    result = run(seeded, "link", MEA, "updates", "rajya-sabha-2025-07", "--reason", "x")
    assert result.exit_code == 6 and "a cycle of updates links" in result.stderr
    result = run(seeded, "link", ANI, "restates", MEA, "--reason", "again")
    assert result.exit_code == 6 and "already restates" in result.stderr
    result = run(seeded, "unlink", MEA, "cites", ANI, "--reason", "x")
    assert result.exit_code == 6 and "has no link" in result.stderr
    result = run(seeded, "link", MEA, "praises", ANI, "--reason", "x")
    assert result.exit_code == 2
    assert event_count(seeded) == before + 1
    assert run(seeded, "links", "nope").exit_code == 4


# --- spans -----------------------------------------------------------------------------------


def test_spans_are_shown(seeded: str) -> None:
    shown = run_json(seeded, "show", MEA)
    quote = shown["statement"]["quote"]
    start, end = shown["spans"]["remaining"]["numbers"]["value"]
    assert quote[start:end] == "44" and shown["spans"]["remaining"]["status"] == "given"
    assert "remaining:   As per our understanding, [44] Indian nationals" in run(seeded, "show", MEA).stdout
    trace = run(seeded, "trace", "remaining", "--as-of", "2025-11-30").stdout
    assert "remaining in the quote: As per our understanding, [44] Indian nationals" in trace
    assert run_json(seeded, "trace", "remaining", "--as-of", "2025-11-30")["statement"]["spans"]["remaining"][
        "numbers"]["value"] == [start, end]


def test_report_marks_numbers_and_disputes(seeded: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run(seeded, "report", "--as-of", "2025-11-30", "--output", str(out), "--no-charts")
    assert result.exit_code == 0, result.stderr
    html = out.read_text()
    assert "As per our understanding, <mark>44</mark> Indian nationals" in html
    assert f'restates <a href="#s-{MEA}">{MEA}</a>' in html


def test_not_in_quote_is_a_check_warning(seeded: str, tmp_path: Path) -> None:
    record(seeded, tmp_path, "inferred.yaml", statement(
        "inferred", stated_on="2025-11-20", figures={"dead": 13}, quote="Several more died."))
    [warning] = [d for d in check_items(seeded) if d["kind"] == "not_in_quote"]
    assert warning["severity"] == "warning" and warning["statements"] == ["inferred"]
    assert "inferred: not_in_quote: the value of 'dead' appears nowhere in the quote" in warning["message"]
    assert "(not in the quote)" in run(seeded, "show", "inferred").stdout


# --- sources as entities ----------------------------------------------------------------------


def test_source_ids_are_stable_and_audit_matches_them_exactly(seeded: str, tmp_path: Path) -> None:
    sources = {s["id"]: s for s in run_json(seeded, "sources")}
    jaiswal = next(s for s in sources.values() if s["person"] == "Randhir Jaiswal")
    assert jaiswal["statement_ids"] == [MEA] and jaiswal["type"] == "ministry" and jaiswal["roles"] == ["Spokesperson"]
    assert (jaiswal["first_statement"], jaiswal["last_statement"]) == (MEA, MEA)
    ani = next(s for s in sources.values() if s["organization"] == "ANI")
    assert ani["id"].startswith("ani-") and ani["type"] == "media"
    # a correction changing the role keeps the id
    shown = run_json(seeded, "show", MEA)["statement"]
    shown["source"]["role"] = "Official Spokesperson"
    fixed = write_yaml(tmp_path, "fixed.yaml", shown)
    assert run(seeded, "correct", MEA, str(fixed), "--reason", "full title").exit_code == 0
    again = {s["id"]: s for s in run_json(seeded, "sources")}
    assert set(again) == set(sources) and again[jaiswal["id"]]["roles"] == ["Official Spokesperson"]
    # --source ID is exact: the ministry without a person is another source
    ministry = next(s for s in sources.values() if s["organization"].startswith("Ministry") and not s["person"])
    exact = run_json(seeded, "audit", "--source", ministry["id"])
    assert [e["statement"] for e in exact["statements"]] == ["mea-2025-01-killed"]
    assert run_json(seeded, "audit", "--source", "ministry")["statements"] == []  # not an id
    assert len(run_json(seeded, "audit", "--search", "ministry")["statements"]) == 3  # substring
    outlet = run_json(seeded, "audit", "--outlet", "ani", "--source", ani["id"])
    assert [e["statement"] for e in outlet["statements"]] == [ANI]
    assert run_json(seeded, "audit", "--outlet", "Reuters")["statements"] == []
    assert run(seeded, "audit").exit_code == 2
    assert ani["id"] in run(seeded, "sources").stdout  # ids are never clipped in the table


# --- lineage ---------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_prov_export_parses(seeded: str, tmp_path: Path) -> None:
    import rdflib
    from rdflib import URIRef

    from ledger.domain.prov import LEDGER_NS, statement_iri

    assert run(seeded, "link", MEA, "cites", "rajya-sabha-2025-07", "--reason", "refers to July").exit_code == 0
    out = tmp_path / "lineage.jsonld"
    result = run(seeded, "export", "--format", "prov", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    graph = rdflib.Graph().parse(data=out.read_text(), format="json-ld")
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    ani, mea = URIRef(statement_iri(ANI)), URIRef(statement_iri(MEA))
    assert (ani, prov.hadPrimarySource, mea) in graph
    assert (ani, URIRef(LEDGER_NS + "restates"), mea) in graph
    assert (mea, URIRef(LEDGER_NS + "cites"), URIRef(statement_iri("rajya-sabha-2025-07"))) in graph
    assert len(set(graph.subjects(rdflib.RDF.type, URIRef(LEDGER_NS + "Statement")))) == 5
    # known-at before the link: no cites triple
    first = run_json(seeded, "log")[5]["recorded_at"]
    then = run(seeded, "export", "--format", "prov", "--known-at", first).stdout
    earlier = rdflib.Graph().parse(data=then, format="json-ld")
    assert (mea, URIRef(LEDGER_NS + "cites"), None) not in earlier
    assert (ani, prov.hadPrimarySource, mea) in earlier
