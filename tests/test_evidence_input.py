"""Record-time rules of the evidence model (issue 14), on both backends: a given span must
occur in the quote, links must point to known statements and ``updates`` may not form a
cycle. Each bad input names file, line and problem, exits 3 and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.domain.aggregates import Statement, statement_uuid
from tests.conftest import EXAMPLES, event_count, run


GOOD = """\
id: evidence-good
matter: indians-in-russian-army
stated_on: 2025-09-01
source: {organization: Test Ministry, type: ministry}
figures: {dead: 13}
quote: Thirteen died.
"""


def two(first: str, second: str) -> str:
    """Two statements in one file (lines 2-7 and 8-13)."""
    indent = lambda text: "  - " + text.rstrip().replace("\n", "\n    ") + "\n"  # noqa: E731
    return "statements:\n" + indent(first) + indent(second)


A = GOOD.replace("evidence-good", "upd-a")
B = GOOD.replace("evidence-good", "upd-b")

CASES = [
    ("span not in the quote", GOOD.replace("{dead: 13}", "{dead: {value: 13, span: Thirteen were killed}}"),
     ["s.yaml:5", "figures.dead.span", "the span 'Thirteen were killed' does not occur in the quote"]),
    ("span differs in spacing", GOOD.replace("{dead: 13}", "{dead: {value: 13, span: 'Thirteen  died'}}"),
     ["s.yaml:5", "figures.dead.span", "does not occur in the quote"]),
    ("link to an unknown statement", GOOD + "links: [{type: restates, statement: ghost-statement}]\n",
     ["s.yaml:7", "links[0].statement", "'evidence-good' restates unknown statement 'ghost-statement'"]),
    ("link to itself", GOOD + "links: [{type: denies, statement: evidence-good}]\n",
     ["s.yaml:7", "links[0].statement", "statement 'evidence-good' denies itself"]),
    ("link given twice", GOOD + "links:\n  - {type: cites, statement: rajya-sabha-2025-07}\n"
     "  - {type: cites, statement: rajya-sabha-2025-07}\n",
     ["s.yaml:9", "links[1]", "the link 'cites rajya-sabha-2025-07' is given twice"]),
    ("unknown link type", GOOD + "links: [{type: refutes, statement: rajya-sabha-2025-07}]\n",
     ["s.yaml:7", "links[0].type", "'restates', 'updates', 'contradicts', 'denies' or 'cites'"]),
    ("link without a statement", GOOD + "links: [{type: cites}]\n",
     ["s.yaml:7", "links[0].statement", "required field is missing"]),
    ("unknown source type", GOOD.replace("type: ministry", "type: blogger"),
     ["s.yaml:4", "source.type", "'government', 'parliament'"]),
    ("cycle of updates in one call",
     two(A + "links: [{type: updates, statement: upd-b}]\n", B + "links: [{type: updates, statement: upd-a}]\n"),
     ["s.yaml:", "a cycle of updates links: 'upd-a' updates 'upd-b' updates 'upd-a'"]),
]


@pytest.mark.parametrize(("name", "content", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_evidence_is_refused_and_nothing_written(seeded_url: str, tmp_path: Path, name: str, content: str,
                                                     expected: list[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(content)
    good = tmp_path / "good.yaml"  # a valid file in the same call is not written either
    good.write_text(GOOD.replace("evidence-good", f"fine-{abs(hash(name))}"))
    before = event_count(seeded_url)
    for extra in ([], ["--batch-commit"]):
        result = run(seeded_url, "record", str(good), str(path), *extra)
        assert result.exit_code == 3, result.output
        for fragment in expected:
            assert fragment in result.stderr, f"{fragment!r} not in:\n{result.stderr}"
        assert "Traceback" not in result.output
        assert event_count(seeded_url) == before


def test_cycle_names_the_line_of_a_link(seeded_url: str, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(two(A + "links: [{type: updates, statement: upd-b}]\n",
                        B + "links: [{type: updates, statement: upd-a}]\n"))
    result = run(seeded_url, "record", str(path))
    assert result.exit_code == 3
    assert "s.yaml:8: statements[0].links[0].statement: a cycle of updates links" in result.stderr


def test_links_forward_in_the_call_and_to_the_ledger(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    later = tmp_path / "later.yaml"  # links to a statement that comes later in the same call
    later.write_text(two(A + "links: [{type: updates, statement: upd-b}]\n", B))
    result = run(db_url, "record", str(later))
    assert result.exit_code == 0, result.output
    other = tmp_path / "other.yaml"  # and to one already in the ledger
    other.write_text(GOOD.replace("evidence-good", "upd-c") + "links: [{type: updates, statement: upd-a}]\n")
    assert run(db_url, "record", str(other)).exit_code == 0
    with Ledger(db_url) as ledger:
        assert ledger._get(Statement, statement_uuid("upd-c")).links == [("updates", "upd-a")]


def test_restatement_example_records_with_spans(db_url: str) -> None:
    result = run(db_url, "record", str(EXAMPLES))
    assert result.exit_code == 0, result.output
    with Ledger(db_url) as ledger:
        ani = ledger._get(Statement, statement_uuid("ani-2025-11-08-lead"))
        july = ledger._get(Statement, statement_uuid("rajya-sabha-2025-07"))
    assert ani.links == [("restates", "mea-briefing-2025-11-08")]
    assert ani.document["source"] == {"organization": "ANI", "type": "media"}
    quote = ani.document["quote"]
    entry = ani.spans["remaining"]
    assert entry["status"] == "given"
    assert quote[slice(*entry["span"])].startswith("at least 44 Indian nationals")
    assert quote[slice(*entry["numbers"]["value"])] == "44"
    assert {c: e["status"] for c, e in july.spans.items()} == {
        "recruited": "found", "discharged": "found", "remaining": "found", "missing": "found"}
    missing = july.spans["missing"]["numbers"]["value"]
    assert july.document["quote"][missing[0]:missing[0] + 16] == "12 individuals h"


def test_restatement_alone_needs_its_target(db_url: str, tmp_path: Path) -> None:
    import yaml

    [ani] = [s for s in yaml.safe_load((EXAMPLES / "statements.yaml").read_text())["statements"]
             if s["id"] == "ani-2025-11-08-lead"]  # the bundled example's restatement, on its own
    restatement = tmp_path / "ani-restatement.yaml"
    restatement.write_text(yaml.safe_dump({"statements": [ani]}, sort_keys=False))
    line = next(n for n, text in enumerate(restatement.read_text().splitlines(), 1)
                if "mea-briefing-2025-11-08" in text)
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    before = event_count(db_url)
    result = run(db_url, "record", str(restatement))
    assert result.exit_code == 3
    assert f"ani-restatement.yaml:{line}: statements[0].links[0].statement: 'ani-2025-11-08-lead' restates unknown " \
           "statement 'mea-briefing-2025-11-08'" in result.stderr
    assert event_count(db_url) == before


def test_corrections_keep_the_evidence_rules(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    first = tmp_path / "first.yaml"
    first.write_text(two(A, B + "links: [{type: updates, statement: upd-a}]\n"))
    assert run(db_url, "record", str(first)).exit_code == 0
    before = event_count(db_url)
    cases = [
        (A.replace("{dead: 13}", "{dead: {value: 13, span: nowhere}}"), ["fix.yaml:5", "figures.dead.span"]),
        (A + "links: [{type: cites, statement: ghost}]\n", ["fix.yaml:7", "unknown statement 'ghost'"]),
        (A + "links: [{type: updates, statement: upd-b}]\n",
         ["fix.yaml:7", "a cycle of updates links: 'upd-a' updates 'upd-b' updates 'upd-a'"]),
    ]
    for content, expected in cases:
        fix = tmp_path / "fix.yaml"
        fix.write_text(content)
        result = run(db_url, "correct", "upd-a", str(fix), "--reason", "test")
        assert result.exit_code == 3, result.output
        for fragment in expected:
            assert fragment in result.stderr, f"{fragment!r} not in:\n{result.stderr}"
        assert event_count(db_url) == before
    fix = tmp_path / "fix.yaml"  # a good correction stores the spans of the corrected figures
    fix.write_text(A.replace("{dead: 13}", "{dead: 14}") + "links: [{type: cites, statement: upd-b}]\n")
    assert run(db_url, "correct", "upd-a", str(fix), "--reason", "test").exit_code == 0
    with Ledger(db_url) as ledger:
        corrected = ledger._get(Statement, statement_uuid("upd-a"))
    assert corrected.spans == {"dead": {"status": "not_in_quote", "numbers": {}, "absent": ["value"]}}
    assert corrected.links == [("cites", "upd-b")]


def test_link_and_unlink_through_the_ledger(db_url: str, tmp_path: Path) -> None:
    """``Ledger.link``/``unlink`` (the use case under ``ledger link``/``unlink``): events on A's
    stream, the rules checked before anything is written."""
    from ledger.errors import NotFoundError, StateError, UsageProblem

    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    with Ledger(db_url) as ledger:
        ledger.link("rajya-sabha-2025-07", "denies", "mea-2025-01-killed", reason="a test denial", recorded_by="al")
        ledger.link("mea-briefing-2025-11-08", "updates", "rajya-sabha-2025-07", reason="newer count")
        before = event_count(db_url)
        bad = [
            (("rajya-sabha-2025-07", "denies", "mea-2025-01-killed", "again"), StateError, "already denies"),
            (("rajya-sabha-2025-07", "updates", "mea-briefing-2025-11-08", "r"), StateError,
             "a cycle of updates links: 'rajya-sabha-2025-07' updates 'mea-briefing-2025-11-08' updates "
             "'rajya-sabha-2025-07'"),
            (("rajya-sabha-2025-07", "cites", "ghost", "r"), NotFoundError, "no statement 'ghost'"),
            (("rajya-sabha-2025-07", "cites", "rajya-sabha-2025-07", "r"), StateError, "cannot link to itself"),
            (("rajya-sabha-2025-07", "cites", "mea-2025-01-killed", "  "), UsageProblem, "a reason is required"),
        ]
        for args, error, message in bad:
            with pytest.raises(error, match=message.replace("(", r"\(")):
                ledger.link(*args)
        with pytest.raises(StateError, match="has no link 'cites mea-2025-01-killed'"):
            ledger.unlink("rajya-sabha-2025-07", "cites", "mea-2025-01-killed", reason="r")
        assert event_count(db_url) == before
        ledger.unlink("ani-2025-11-08-lead", "restates", "mea-briefing-2025-11-08", reason="a test", recorded_by="bo")
        july = ledger._get(Statement, statement_uuid("rajya-sabha-2025-07"))
        ani = ledger._get(Statement, statement_uuid("ani-2025-11-08-lead"))
    assert july.links == [("denies", "mea-2025-01-killed")] and ani.links == []
    log = run(db_url, "log", "--format", "json")
    entries = json.loads(log.stdout)
    assert [(e["type"], e["id"], e["recorded_by"], e["reason"]) for e in entries[-3:]] == [
        ("Statement.Linked", "rajya-sabha-2025-07", "al", "a test denial"),
        ("Statement.Linked", "mea-briefing-2025-11-08", entries[-2]["recorded_by"], "newer count"),
        ("Statement.Unlinked", "ani-2025-11-08-lead", "bo", "a test"),
    ]
    assert run(db_url, "status").exit_code == 0  # the projection passes over link events
    assert run(db_url, "verify").exit_code == 0


def test_statement_waiting_for_its_matter_keeps_its_lines(db_url: str, tmp_path: Path) -> None:
    """A statement read before its matter (later in the call) is checked at the end: its
    span and link problems still name their lines."""
    statement = tmp_path / "a.yaml"
    statement.write_text(GOOD.replace("indians-in-russian-army", "later-matter")
                         .replace("{dead: 13}", "{dead: {value: 13, span: nowhere}}")
                         + "links: [{type: cites, statement: ghost}]\n")
    matter = tmp_path / "b.yaml"
    matter.write_text("matter:\n  id: later-matter\n  title: T\n  categories:\n    dead: {kind: cumulative}\n")
    result = run(db_url, "record", str(statement), str(matter))
    assert result.exit_code == 3, result.output
    assert "a.yaml:5: figures.dead.span: the span 'nowhere' does not occur" in result.stderr
    assert "a.yaml:7: links[0].statement: 'evidence-good' cites unknown statement 'ghost'" in result.stderr
    assert event_count(db_url) == 0
