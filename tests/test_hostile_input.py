"""A corpus of hostile and broken inputs (tests/hostile/, plus generated giants): each is refused
with a clear error naming file, line and problem, exit code 3, no traceback, nothing written.
SQL in text fields is data: stored and shown back verbatim, harmlessly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, event_count, run, statement, write_yaml

CORPUS = Path(__file__).parent / "hostile"

# file -> fragments the error output must contain (file:line first, then what is wrong)
EXPECTED = {
    "truncated.yaml": ["truncated.yaml:6: invalid YAML"],
    "wrong-types.yaml": ["wrong-types.yaml:5: figures.dead: a figure is a count",
                         "wrong-types.yaml:6: quote: Input should be a valid string",
                         "wrong-types.yaml:7: citations: Input should be a valid list"],
    "negative.yaml": ["negative.yaml:5: figures.dead: Input should be greater than or equal to 0"],
    "huge.yaml": ["huge.yaml:5: figures.dead: Input should be less than or equal to 9007199254740991"],
    "huge-float.json": ["huge-float.json:2: figures.dead: a figure is a count", "(got inf)"],
    "not-a-number.yaml": ["not-a-number.yaml:5: figures.dead: a figure is a count", "(got nan)",
                          "figures.missing: a figure is a count", "(got True)"],
    "feb-30.yaml": ["feb-30.yaml:3: stated_on: '2025-02-30' is not a date: February 2025 has 28 days"],
    "bad-dates.yaml": ["bad-dates.yaml:4: stated_on: '2024-02-30' is not a date: February 2024 has 29 days",
                       "bad-dates.yaml:2: as_of: '2023-13-01' is not a date: month 13 does not exist"],
    "unknown-category.yaml": ["unknown-category.yaml:5: figures.wounded: unknown category 'wounded'"],
    "unknown-matter.yaml": ["unknown-matter.yaml:2: matter: unknown matter 'no-such-matter'"],
    "duplicate-keys.yaml": ["duplicate-keys.yaml:6: invalid YAML", "duplicate key 'dead'"],
    "duplicate-keys.json": ["duplicate-keys.json: invalid JSON: duplicate key 'quote'"],
    "python-object.yaml": ["python-object.yaml:5: invalid YAML: could not determine a constructor",
                           "python/object/apply:os.system"],
    "python-name.yaml": ["python-name.yaml:6: invalid YAML: could not determine a constructor",
                         "python/name:os.system"],
    "custom-tag.yaml": ["custom-tag.yaml:5: invalid YAML: could not determine a constructor for the tag '!include'"],
    "control-characters.yaml": ["control-characters.yaml:5: quote: contains the control character U+001B"],
    "nul.json": ["nul.json:1: source.organization: contains the control character U+0000"],
    "invalid-utf8.yaml": ["invalid-utf8.yaml:5: not valid UTF-8"],
    "sql-in-identifiers.yaml": ["sql-in-identifiers.yaml:1: id: String should match pattern",
                                "sql-in-identifiers.yaml:2: matter: String should match pattern",
                                "sql-in-identifiers.yaml:3: stated_on:", "is not a date",
                                "sql-in-identifiers.yaml:5: figures.dead; DROP TABLE ledger_figures"],
    "billion-laughs.yaml": ["billion-laughs.yaml:7: invalid YAML: aliases expand this document beyond"],
    "not-a-mapping.yaml": ["not-a-mapping.yaml:1: expected a statement"],
    "broken.jsonl": ["broken.jsonl:2: invalid JSON"],
}


def test_the_corpus_is_complete() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_is_refused(seeded_url: str, tmp_path: Path, name: str) -> None:
    good = write_yaml(tmp_path, "good.yaml", statement(f"good-{name}"))  # not written either
    before = event_count(seeded_url)
    result = run(seeded_url, "record", str(good), str(CORPUS / name))
    assert result.exit_code == 3, result.output
    for fragment in EXPECTED[name]:
        assert fragment in result.stderr, f"{fragment!r} not in:\n{result.stderr}"
    assert "nothing was recorded" in result.stderr and "Traceback" not in result.output
    assert event_count(seeded_url) == before
    assert not Path("/tmp/pwned").exists()


def _giants(folder: Path) -> dict[str, list[str]]:
    """Generated inputs too big to keep in the repository: file name -> expected fragments."""
    head = {"id": "giant",
            "matter": "indians-in-russian-army", "stated_on": "2025", "source": {"organization": "X"}}
    quote = "x" * 50_000_000
    (folder / "quote-50mb.yaml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in head.items())
                                            + f"quote: {quote}\n")
    (folder / "quote-50mb.json").write_text(json.dumps({**head, "quote": quote}))
    depth = 20_000
    (folder / "deep-block.yaml").write_text("quote:\n" + "".join(" " * i + "-\n" for i in range(1, depth)))
    (folder / "deep-flow.yaml").write_text("quote: " + "[" * depth + "]" * depth + "\n")
    (folder / "deep.json").write_text('{"quote": ' + "[" * depth + "]" * depth + "}")
    (folder / "deep.jsonl").write_text('{"quote": ' + "[" * depth + "]" * depth + "}\n")
    return {
        "quote-50mb.yaml": ["quote-50mb.yaml:5: quote: String should have at most 100000 characters"],
        "quote-50mb.json": ["quote-50mb.json:1: quote: String should have at most 100000 characters"],
        "deep-block.yaml": ["deep-block.yaml:", "invalid YAML", "maximum nesting depth"],
        "deep-flow.yaml": ["deep-flow.yaml:1: invalid YAML", "maximum nesting depth"],
        "deep.json": ["deep.json: nested too deeply"],
        "deep.jsonl": ["deep.jsonl:1: invalid JSON"],
    }


def test_giant_and_deeply_nested_inputs_as_a_real_process(tmp_path: Path) -> None:
    """Run as the installed command would be (a subprocess): the error, never a traceback.
    Files are read and refused before the database is opened, so one backend is enough."""
    seeded_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert run(seeded_url, "record", str(EXAMPLES)).exit_code == 0
    before = event_count(seeded_url)
    for name, fragments in _giants(tmp_path).items():
        result = subprocess.run([sys.executable, "-m", "ledger", "--db", seeded_url, "record",
                                 str(tmp_path / name)], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 3, (name, result.stderr[-2000:])
        for fragment in fragments:
            assert fragment in result.stderr, f"{name}: {fragment!r} not in:\n{result.stderr[:2000]}"
        assert "Traceback" not in result.stderr and "nothing was recorded" in result.stderr
        assert len(result.stderr) < 2000  # the 50 MB are not echoed back
    assert event_count(seeded_url) == before


SQL = "'); DROP TABLE ledger_events; DELETE FROM stored_events; --"


def test_sql_in_every_text_field_is_stored_verbatim(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    document = statement(
        "sql-everywhere", figures={"dead": 1},
        source={"organization": f"Org {SQL}", "person": f"Person {SQL}", "role": f"Role {SQL}"},
        venue=f"Venue {SQL}", quote=f"Quote {SQL}", notes=f"Notes {SQL}\" OR 1=1; --",
        citations=[{"outlet": f"Outlet {SQL}", "url": "https://example.org/?q=%27;DROP%20TABLE%20x;--",
                    "published_on": "2025-09-02"}],
    )
    result = run(db_url, "record", str(write_yaml(tmp_path, "sql.yaml", document)))
    assert result.exit_code == 0, result.output
    shown = json.loads(run(db_url, "show", "sql-everywhere", "--format", "json").stdout)["statement"]
    for key in ("source", "venue", "quote", "notes", "citations"):
        assert shown[key] == document[key]
    sources = json.loads(run(db_url, "sources", "--format", "json").stdout)
    assert any(s["organization"] == f"Org {SQL}" for s in sources)
    [hostile] = [s for s in sources if s["organization"] == f"Org {SQL}"]
    audited = json.loads(run(db_url, "audit", "--source", hostile["id"], "--format", "json").stdout)
    assert [s["statement"] for s in audited["statements"]] == ["sql-everywhere"]  # the id, exactly
    assert len(json.loads(run(db_url, "audit", "--search", SQL, "--format", "json").stdout)["statements"]) == 1
    assert event_count(db_url) == 2
    assert run(db_url, "verify").exit_code == 0
