"""Every bad-input path: a clear error naming file, place and problem; exit 3; nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, MATTER_ID, event_count, run, statement, write_yaml

GOOD = """\
id: good-one
matter: indians-in-russian-army
stated_on: 2025-09-01
source: {organization: Test Ministry}
figures: {dead: 13}
quote: Thirteen.
"""

# name, file name, content, expected fragments of the error output
CASES = [
    ("truncated YAML", "s.yaml", "id: a\nmatter: [indians\nquote: x\n", ["s.yaml:3", "invalid YAML"]),
    ("missing quote", "s.yaml", GOOD.replace("quote: Thirteen.\n", ""),
     ["s.yaml:1", "quote: required field is missing"]),
    ("blank quote", "s.yaml", GOOD.replace("quote: Thirteen.", "quote: '   '"),
     ["s.yaml:6", "quote: must not be empty"]),
    ("negative count", "s.yaml", GOOD.replace("dead: 13", "dead: -3"),
     ["s.yaml:5", "figures.dead", "greater than or equal to 0"]),
    ("count as text", "s.yaml", GOOD.replace("dead: 13", "dead: '13'"),
     ["s.yaml:5", "figures.dead", "a figure is a count"]),
    ("fractional count", "s.yaml", GOOD.replace("dead: 13", "dead: 12.5"),
     ["figures.dead", "a figure is a count"]),
    ("huge count", "s.yaml", GOOD.replace("dead: 13", "dead: 10000000000000000000000"),
     ["figures.dead", "less than or equal to"]),
    ("impossible date", "s.yaml", GOOD.replace("2025-09-01", "2025-02-30"),
     ["s.yaml:3", "stated_on", "February 2025 has 28 days"]),
    ("month 13", "s.yaml", GOOD.replace("2025-09-01", "2025-13"), ["stated_on", "month 13 does not exist"]),
    ("date in words", "s.yaml", GOOD.replace("2025-09-01", "July 2025"), ["stated_on", "is not a date"]),
    ("unknown field", "s.yaml", GOOD + "figure: {dead: 1}\n", ["s.yaml:7", "figure: unknown field"]),
    ("duplicate key", "s.yaml", GOOD + "quote: again\n", ["s.yaml:7", "duplicate key 'quote'"]),
    ("bad qualifier", "s.yaml", GOOD.replace("dead: 13", "dead: {value: 13, qualifier: about}"),
     ["figures.dead.qualifier", "'exact', 'at_least', 'at_most' or 'approx'"]),
    ("inverted range", "s.yaml", GOOD.replace("dead: 13", "dead: {low: 14, high: 10}"),
     ["figures.dead", "'low' (14) is greater than 'high' (10)"]),
    ("half a range", "s.yaml", GOOD.replace("dead: 13", "dead: {low: 14}"),
     ["figures.dead", "a range needs both 'low' and 'high'"]),
    ("bad attribution", "s.yaml", GOOD + "attribution: rumour\n", ["attribution", "direct_quote"]),
    ("best alone without approx", "s.yaml", GOOD.replace("dead: 13", "dead: {best: 13}"),
     ["s.yaml:5", "figures.dead", "'best' alone needs 'qualifier: approx'"]),
    ("best outside the range", "s.yaml", GOOD.replace("dead: 13", "dead: {low: 10, best: 20, high: 14}"),
     ["figures.dead", "'best' (20) is greater than 'high' (14)"]),
    ("change with a value", "s.yaml", GOOD.replace("dead: 13", "dead: {change: 2, value: 13}"),
     ["figures.dead", "a change takes no other field (got 'value')"]),
    ("negative change of a cumulative category", "s.yaml", GOOD.replace("dead: 13", "dead: {change: -2}"),
     ["s.yaml:5", "figures.dead.change", "dead is cumulative in matter 'indians-in-russian-army'",
      "cannot be negative (got -2)"]),
    ("unknown category", "s.yaml", GOOD.replace("dead: 13", "wounded: 3"),
     ["s.yaml:5", "figures.wounded", "unknown category 'wounded'", "recruited, discharged"]),
    ("unknown matter", "s.yaml", GOOD.replace("matter: indians-in-russian-army", "matter: nope"),
     ["s.yaml:2", "matter", "unknown matter 'nope'"]),
    ("python object tag", "s.yaml", GOOD + "notes: !!python/object/apply:os.system ['echo hi']\n",
     ["s.yaml:7", "invalid YAML", "python/object/apply"]),
    ("not a mapping", "s.yaml", "- just\n- a list\n", ["s.yaml:1", "expected a statement"]),
    ("control character", "s.json",
     json.dumps({**{"id": "c", "matter": MATTER_ID, "stated_on": "2025", "source": {"organization": "X"}},
                 "quote": "bell\u0007"}), ["quote", "control character U+0007"]),
    ("C1 control character", "s.json",
     json.dumps({**{"id": "c", "matter": MATTER_ID, "stated_on": "2025", "source": {"organization": "X\u0085"}},
                 "quote": "q"}), ["source.organization", "control character U+0085"]),
    ("invalid JSON", "s.json", '{"id": "a",\n "matter": }', ["s.json:2", "invalid JSON"]),
    ("JSON field error has a line", "s.json",
     '{\n "id": "j",\n "matter": "indians-in-russian-army",\n "stated_on": "2025-02-29",\n'
     ' "source": {"organization": "X"},\n "quote": "q"\n}', ["s.json:4", "stated_on", "has 28 days"]),
    ("JSON duplicate key", "s.json", '{"id": "a", "id": "b"}', ["s.json", "duplicate key 'id'"]),
    ("invalid UTF-8", "s.yaml", b"id: a\nquote: caf\xe9\n", ["s.yaml:2", "not valid UTF-8"]),
    ("unknown file type", "s.txt", "id: a\n", ["s.txt", "unknown file type '.txt'"]),
    ("statements not a list", "s.yaml", "statements: {a: 1}\n", ["s.yaml:1", "statements", "only a list"]),
    ("error inside a list", "s.yaml",
     "statements:\n  - " + GOOD.replace("\n", "\n    ").rstrip() + "\n  - " +
     GOOD.replace("good-one", "two").replace("dead: 13", "dead: -1").replace("\n", "\n    ").rstrip() + "\n",
     ["s.yaml:12", "statements[1].figures.dead"]),
    ("bad matter", "m.yaml", "matter:\n  id: m\n  title: T\n  categories: {}\n",
     ["m.yaml:4", "matter.categories", "at least 1 item"]),
    ("bad category kind", "m.yaml", "matter:\n  id: m\n  title: T\n  categories:\n    a: {kind: total}\n",
     ["m.yaml:5", "matter.categories.a.kind", "'cumulative', 'current' or 'derived'"]),
    ("bad relation syntax", "m.yaml",
     "matter:\n  id: m\n  title: T\n  categories:\n    a: {kind: current}\n  relations:\n    - a = \n    - a < b\n",
     ["m.yaml:7", "matter.relations[0]: the right side is empty", "m.yaml:8",
      "matter.relations[1]: unexpected '<' at column 3"]),
    ("relation with an unknown category", "m.yaml",
     "matter:\n  id: m\n  title: T\n  categories:\n    a: {kind: current}\n  relations:\n    - a = b + c\n",
     ["m.yaml:7", "matter.relations[0]", "unknown categories 'b', 'c' in relation 'a = b + c'", "kind: derived"]),
    ("statement relation with an unknown category", "s.yaml", GOOD + "relations: [dead <= wounded]\n",
     ["s.yaml:7", "relations[0]", "unknown category 'wounded'"]),
    ("synonym of an unknown category", "m.yaml",
     "matter:\n  id: m\n  title: T\n  categories:\n    returned: {kind: cumulative, same_as: discharged}\n",
     ["m.yaml:5", "matter.categories.returned.same_as",
      "category 'returned' is the same as 'discharged', which matter 'm' does not declare"]),
    ("synonym of another kind", "m.yaml",
     "matter:\n  id: m\n  title: T\n  categories:\n    a: {kind: current}\n    b: {kind: cumulative, same_as: a}\n",
     ["m.yaml:6", "matter.categories.b.same_as", "'b' (cumulative) cannot be the same as 'a' (current)"]),
    ("matter revision drops a category", "m.yaml",
     "matter:\n  id: indians-in-russian-army\n  title: T\n  categories:\n    dead: {kind: cumulative}\n",
     ["m.yaml:4", "matter.categories", "add categories, not remove them"]),
]


@pytest.mark.parametrize(("name", "filename", "content", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_nothing_written(
    seeded_url: str, tmp_path: Path, name: str, filename: str, content: str | bytes, expected: list[str]
) -> None:
    path = tmp_path / filename
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    good = tmp_path / "good.yaml"  # a valid file in the same call must not be written either
    good.write_text(GOOD.replace("good-one", f"good-{abs(hash(name))}"))
    before = event_count(seeded_url)
    result = run(seeded_url, "record", str(good), str(path))
    assert result.exit_code == 3, result.output
    for fragment in expected:
        assert fragment in result.stderr, f"{fragment!r} not in:\n{result.stderr}"
    assert "nothing was recorded" in result.stderr
    assert "Traceback" not in result.output
    assert event_count(seeded_url) == before


def test_same_id_different_content_points_to_correct(seeded_url: str, tmp_path: Path) -> None:
    changed = statement("rajya-sabha-2025-07", figures={"recruited": 128})
    path = write_yaml(tmp_path, "changed.yaml", changed)
    before = event_count(seeded_url)
    result = run(seeded_url, "record", str(path))
    assert result.exit_code == 3
    assert "already recorded with different content" in result.stderr
    assert "ledger correct rajya-sabha-2025-07" in result.stderr
    assert event_count(seeded_url) == before


def test_same_id_twice_in_one_batch(seeded_url: str, tmp_path: Path) -> None:
    write_yaml(tmp_path, "a.yaml", statement("twice", figures={"dead": 1}))
    write_yaml(tmp_path, "b.yaml", statement("twice", figures={"dead": 2}))
    before = event_count(seeded_url)
    result = run(seeded_url, "record", str(tmp_path))
    assert result.exit_code == 3
    assert "b.yaml:1: id: statement id 'twice' is used twice" in result.stderr
    assert event_count(seeded_url) == before


def test_missing_file_and_empty_folder(seeded_url: str, tmp_path: Path) -> None:
    before = event_count(seeded_url)
    result = run(seeded_url, "record", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 3 and "nope.yaml: does not exist" in result.stderr
    (tmp_path / "empty").mkdir()
    result = run(seeded_url, "record", str(tmp_path / "empty"))
    assert result.exit_code == 3 and "no statement files found" in result.stderr
    assert event_count(seeded_url) == before


def test_all_errors_of_a_call_are_reported(seeded_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD.replace("dead: 13", "dead: -1"))
    (tmp_path / "b.yaml").write_text(GOOD.replace("2025-09-01", "2025-02-30"))
    result = run(seeded_url, "record", str(tmp_path))
    assert result.exit_code == 3
    assert "a.yaml:5" in result.stderr and "b.yaml:3" in result.stderr
    assert "2 problem(s) found" in result.stderr


def test_unknown_matter_and_category_in_queries(seeded_url: str) -> None:
    result = run(seeded_url, "status", "--matter", "nope")
    assert result.exit_code == 4 and "no matter 'nope'" in result.stderr
    result = run(seeded_url, "history", "wounded")
    assert result.exit_code == 4 and "has no category 'wounded'" in result.stderr
    result = run(seeded_url, "show", "nope")
    assert result.exit_code == 4 and "no statement 'nope'" in result.stderr
    result = run(seeded_url, "status", "--as-of", "2025-02-30")
    assert result.exit_code == 2 and "28 days" in result.stderr


def test_matter_and_statements_in_one_call(db_url: str, tmp_path: Path) -> None:
    """A statement may name a matter declared in the same call; both are written together."""
    result = run(db_url, "record", str(EXAMPLES / "statements.yaml"))
    assert result.exit_code == 3 and "unknown matter" in result.stderr
    assert event_count(db_url) == 0
    result = run(db_url, "record", str(EXAMPLES / "statements.yaml"), str(EXAMPLES / "matter.yaml"))
    assert result.exit_code == 0, result.stderr
    assert event_count(db_url) == 6  # the matter and five statements
