"""The read model on both backends: one snapshot rule (matters included) and one relation rule."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from ledger.domain.relations import effective_relations, own_relations
from tests.conftest import EXAMPLES, run, run_json, statement, write_yaml


def revised_matter(tmp_path: Path) -> Path:
    """The example matter with a new category and its relation for ``recruited`` changed."""
    matter = yaml.safe_load((EXAMPLES / "matter.yaml").read_text())
    matter["matter"]["categories"]["wounded"] = {"kind": "cumulative"}
    matter["matter"]["relations"] = ["recruited >= discharged + remaining + dead", "missing <= remaining"]
    return write_yaml(tmp_path, "matter-v2.yaml", matter)


def test_known_at_reproduces_status_exactly_after_a_matter_revision(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    before_revision = run_json(db_url, "log")[-1]["recorded_at"]
    asked = ["status", "--as-of", "2025-08-15", "--known-at", before_revision, "--format", "json"]
    then = run(db_url, *asked)
    assert then.exit_code == 0 and json.loads(then.stdout)["derived"]["unaccounted"]["value"] == 4
    result = run(db_url, "record", str(revised_matter(tmp_path)))
    assert result.exit_code == 0, result.stderr
    now = run_json(db_url, "status", "--as-of", "2025-08-15")
    assert "wounded" in now["figures"] and "unaccounted" not in now["derived"]  # the revision is in force
    again = run(db_url, *asked)
    assert again.stdout == then.stdout  # byte for byte
    assert "wounded" not in json.loads(again.stdout)["figures"]
    # the matter listing and history follow the same rule
    history = run_json(db_url, "history", "recruited", "--known-at", before_revision)
    assert [f["value"] for f in history["figures"]]


def test_one_relation_rule_for_warnings_status_and_check(db_url: str, tmp_path: Path) -> None:
    """A statement that declares its own relation for ``recruited`` but not for ``missing``:
    the matter's ``missing <= remaining`` still applies to it, at record time, in status and in check."""
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    doc = statement("own-total", stated_on="2025-12-01", as_of="2025-12-01",
                    figures={"recruited": 200, "discharged": 100, "remaining": 20, "missing": 30, "dead": 12})
    doc["relations"] = ["recruited = discharged + remaining + dead + unaccounted"]
    recorded = run(db_url, "record", str(write_yaml(tmp_path, "own.yaml", doc)))
    assert recorded.exit_code == 0
    assert "own-total" in recorded.stderr and "missing <= remaining" in recorded.stderr  # record-time warning
    status = run_json(db_url, "status", "--as-of", "2025-12-15", "--stale-days", "1000")
    violated = [d["relation"] for d in status["discrepancies"] if d["kind"] == "relation_violated"]
    assert violated == ["missing <= remaining"]
    assert status["derived"]["unaccounted"]["under"] == "statement own-total"
    found = json.loads(run(db_url, "check", "--format", "json").stdout)
    inconsistent = [d for d in found if d["kind"] == "inconsistent_statement"]
    assert [d["statements"] for d in inconsistent] == [["own-total"]]
    assert "missing <= remaining" in inconsistent[0]["message"]


def test_effective_relations_replace_only_the_supplied_total() -> None:
    matter = ["recruited = discharged + remaining + dead + unaccounted", "missing <= remaining"]
    own = ["recruited = discharged + remaining + missing + dead + unaccounted"]
    applied = effective_relations(matter, {"recruited": ("s1", own)})
    assert [(r.text, origin) for r, origin in applied] == [(own[0], "statement s1"), (matter[1], "matter")]
    # the statement does not supply the total: the matter's relation stands
    assert [origin for _, origin in effective_relations(matter, {"remaining": ("s1", own)})] == ["matter"] * 2
    # a statement on its own supplies every category it gives
    assert [r.text for r in own_relations("s1", ["recruited", "missing"], own, matter)] == [own[0], matter[1]]
    assert [r.text for r in own_relations("s1", ["missing"], own, matter)] == matter


def test_status_says_why_a_category_has_no_figure(db_url: str) -> None:
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    november = run_json(db_url, "status", "--as-of", "2025-11-30")
    assert november["no_figure"] == {"unaccounted": "not_derivable"}  # the relation is violated
    assert "unaccounted: no figure: cannot be derived, a relation is violated" in run(
        db_url, "status", "--as-of", "2025-11-30").stdout
    early = run_json(db_url, "status", "--as-of", "2025-02-15")
    assert early["figures"]["dead"]["statement"] == "mea-2025-01-killed"
    assert early["no_figure"]["missing"] == "never_stated"
    assert run(db_url, "retract", "mea-2025-01-killed", "--reason", "test").exit_code == 0
    after = run_json(db_url, "status", "--as-of", "2025-02-15")
    assert after["figures"]["dead"] is None and after["no_figure"]["dead"] == "retracted"
    table = run(db_url, "status", "--as-of", "2025-02-15").stdout
    assert "dead: no figure: every figure stated by then was retracted" in table and "no figure yet" in table
    rows = run(db_url, "status", "--as-of", "2025-02-15", "--format", "csv").stdout.splitlines()
    dead = next(r for r in rows if ",dead," in r)
    assert dead.endswith(",retracted")


def test_numbers_are_numbers_and_source_has_one_shape(seeded_url: str) -> None:
    report = run_json(seeded_url, "status", "--as-of", "2025-08-15")
    inputs = report["derived"]["unaccounted"]["inputs"]
    assert {i["category"]: i["value"] for i in inputs}["recruited"] == 127  # a number, not "127"
    shape = {"organization", "person", "role"}
    sources = [f["source"] for f in report["figures"].values() if f]
    sources += [f["source"] for f in run_json(seeded_url, "history", "remaining")["figures"]]
    trace = run_json(seeded_url, "trace", "remaining", "--as-of", "2025-11-30")
    sources += [trace["figure"]["source"], trace["statement"]["source"]] + [o["source"] for o in trace["others"]]
    sources += [e["source"] for e in run_json(seeded_url, "audit", "--search", "External")["statements"]]
    assert sources and all(set(s) == shape for s in sources), sources
    remaining = trace["figure"]["source"]
    assert remaining["person"] == "Randhir Jaiswal" and remaining["role"]


def test_every_json_result_has_its_declared_shape(seeded_url: str) -> None:
    from pydantic import TypeAdapter

    from ledger.readmodel import results as r

    checks = [
        (r.StatusResult, ["status", "--as-of", "2025-08-15"]),
        (r.StatusResult, ["status", "--as-of", "2025-11-30"]),
        (list[r.CheckItem], ["check"]),
        (r.HistoryResult, ["history", "remaining"]),
        (list[r.MatterSummary], ["matters"]),
        (list[r.SourceEntity], ["sources"]),
        (r.LinksResult, ["links", "mea-briefing-2025-11-08"]),
        (r.ShowResult, ["show", "ani-2025-11-08-lead"]),
        (r.ShowResult, ["show", "rajya-sabha-2025-07"]),
        (r.TraceResult, ["trace", "remaining", "--as-of", "2025-11-30"]),
        (r.AuditResult, ["audit", "--search", "External"]),
        (r.AuditResult, ["audit", "--outlet", "ANI"]),
    ]
    for model, args in checks:
        result = run(seeded_url, *args, "--format", "json")
        assert result.exit_code in (0, 1), result.stderr
        TypeAdapter(model).validate_json(result.stdout)  # raises on any other shape


def test_check_on_an_empty_ledger_says_so(db_url: str) -> None:
    result = run(db_url, "check")
    assert result.exit_code == 0 and "the ledger is empty" in result.stdout
    assert run_json(db_url, "check") == []


def test_check_says_superseded_when_another_discrepancy_took_the_place(seeded_url: str) -> None:
    result = run(seeded_url, "check", "--format", "json")
    assert result.exit_code == 1  # open discrepancies remain
    found = json.loads(result.stdout)
    ended = {(d["kind"], d["first_seen"]): (d["ended"], d["resolved_on"]) for d in found if not d["open"]}
    # July's derived figure mixing stale inputs ends when the relation it came from is violated
    assert ended[("stale_inputs", "2025-07-31")] == ("superseded", "2025-11-08")
    assert all(d["ended"] is None for d in found if d["open"])
