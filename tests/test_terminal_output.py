"""Terminal escapes never reach the terminal, formulas never reach a spreadsheet (issue 13).

A ledger on each backend holds statements whose text carries what the input rules let
through (a carriage return in a venue or notes, line and paragraph separators in names,
quotes and outlets, cells starting with ``=`` or ``@``) and a correction and a retraction
whose ``--reason`` and ``--by`` carry ANSI escapes, a bell and bidirectional controls
(the command line accepts any text there). Every command that prints them shows each such
character as a visible escape (``\\x1b``, ``\\x0d``, ``\\u202e``: ledger/text.py), in
tables, in plain lines and in CSV; CSV text cells starting with ``= + - @`` get a leading
apostrophe; JSON keeps the text verbatim.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import pytest

from tests.conftest import BACKENDS, EXAMPLES, _make_url, run, write_yaml

# Everything ledger.text.terminal_safe escapes (newline and tab aside: the layout of the output).
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")

REASON = "oops\x1b[2J\x1b]0;title\x07\u202e"
BY = "eve\x1b[31m\u202e"
RETRACT_REASON = "gone\r\x1b[1mFAKE"
RETRACT_BY = "mallory\u2066"
SHOWN = {  # what each is printed as
    "reason": "oops\\x1b[2J\\x1b]0;title\\x07\\u202e",
    "by": "eve\\x1b[31m\\u202e",
    "retract_reason": "gone\\x0d\\x1b[1mFAKE",
    "retract_by": "mallory\\u2066",
    "venue": "Hall\\x0dFAKE VENUE",
    "notes": "note\\x0dFAKE NOTE",
    "organization": "Evil\\u2028Org",
    "other": "@Other\\u2028Org",
    "outlet": "Out\\u2028let",
    "quote": '=HYPERLINK("http://evil")\\u2029more',
}
_DAY = {"stated_on": "2025-11-09", "as_of": "2025-11-09"}
HOSTILE_A = {
    "id": "hostile-a", "matter": "indians-in-russian-army", **_DAY, "attribution": "direct_quote",
    "source": {"organization": "Evil\u2028Org", "person": "=cmd|' /C calc'!A0"},
    "venue": "Hall\rFAKE VENUE", "figures": {"remaining": 99},
    "quote": '=HYPERLINK("http://evil")\u2029more', "notes": "note\rFAKE NOTE",
    "citations": [{"outlet": "Out\u2028let", "published_on": "2025-11-09"}],
}
HOSTILE_B = {  # disagrees with hostile-a on the same date: a discrepancy message names both sources
    "id": "hostile-b", "matter": "indians-in-russian-army", **_DAY, "attribution": "direct_quote",
    "source": {"organization": "@Other\u2028Org"}, "figures": {"remaining": 50}, "quote": "Other words.",
}


@pytest.fixture(params=BACKENDS, scope="module")
def hostile_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile")
    for url in _make_url(request.param, folder):
        path = write_yaml(folder, "hostile.yaml", {"statements": [HOSTILE_A, HOSTILE_B]})
        fixed = write_yaml(folder, "fixed.yaml", {**HOSTILE_A, "figures": {"remaining": 98}})
        for args in (["record", str(EXAMPLES), str(path)],
                     ["correct", "hostile-a", str(fixed), "--reason", REASON, "--by", BY],
                     ["retract", "cbi-2024-trafficking-network", "--reason", RETRACT_REASON, "--by", RETRACT_BY]):
            result = run(url, *args)
            assert result.exit_code == 0, result.output
        yield url


def printed(url: str, *args: str, code: int = 0) -> str:
    result = run(url, *args)
    assert result.exit_code == code, result.output
    output = result.stdout + result.stderr
    found = RAW.search(output)
    assert found is None, f"`ledger {' '.join(args)}` printed U+{ord(found.group()):04X} raw:\n{output!r}"
    return output


def csv_rows(url: str, *args: str, code: int = 0) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(printed(url, *args, "--format", "csv", code=code))))


def test_show_escapes_venue_notes_names_and_the_trail(hostile_url: str) -> None:
    out = printed(hostile_url, "show", "hostile-a")
    for key in ("venue", "notes", "organization", "outlet", "reason", "by"):
        assert SHOWN[key] in out, key


def test_audit_escapes_the_venue_and_the_trail(hostile_url: str) -> None:
    out = printed(hostile_url, "audit", "--search", "evil")
    assert f"stated 2025-11-09, {SHOWN['venue']}; corrected)" in out
    assert f"by {SHOWN['by']}: {SHOWN['reason']}" in out
    assert f"cited by {SHOWN['outlet']}, 2025-11-09" in out
    rows = csv_rows(hostile_url, "audit", "--search", "evil")
    assert {r["quote"] for r in rows} == {"'" + SHOWN["quote"]}
    assert {r["source"] for r in rows} == {f"{SHOWN['organization']} (=cmd|' /C calc'!A0)"}


def test_audit_of_a_source_named_with_escapes(hostile_url: str) -> None:
    out = printed(hostile_url, "audit", "--search", "x\x1b[2Jy")
    assert "'x\\x1b[2Jy'" in out


def test_trace_escapes_the_venue_and_the_trail(hostile_url: str) -> None:
    out = printed(hostile_url, "trace", "remaining", "--as-of", "2025-12-01")
    assert f"statement: hostile-a, {SHOWN['venue']}" in out
    assert f"by {SHOWN['by']} (log position" in out and f": {SHOWN['reason']}" in out
    assert f"by {SHOWN['organization']} (=cmd" in out
    rows = csv_rows(hostile_url, "trace", "remaining", "--as-of", "2025-12-01")
    assert {r["source"] for r in rows if r["statement"] == "hostile-b"} == {"'" + SHOWN["other"]}


def test_status_and_check_escape_discrepancy_messages(hostile_url: str) -> None:
    out = printed(hostile_url, "status", "--as-of", "2025-12-01")
    assert f"{SHOWN['organization']} (=cmd|' /C calc'!A0) says 98 (hostile-a), {SHOWN['other']} says 50" in out
    out = printed(hostile_url, "check", "--as-of", "2025-12-01", code=1)
    assert f"{SHOWN['other']} says 50 (hostile-b)" in out
    messages = [r["message"] for r in csv_rows(hostile_url, "check", "--as-of", "2025-12-01", code=1)]
    assert any(f"{SHOWN['other']} says 50" in m for m in messages)
    rows = csv_rows(hostile_url, "status", "--as-of", "2025-12-01")
    remaining = next(r for r in rows if r["category"] == "remaining")
    assert (remaining["organization"], remaining["person"]) == (SHOWN["organization"], "'=cmd|' /C calc'!A0")


def test_log_csv_escapes_reason_and_by(hostile_url: str) -> None:
    rows = csv_rows(hostile_url, "log")
    assert (rows[-2]["recorded_by"], rows[-2]["reason"]) == (SHOWN["by"], SHOWN["reason"])
    assert (rows[-1]["recorded_by"], rows[-1]["reason"]) == (SHOWN["retract_by"], SHOWN["retract_reason"])
    out = printed(hostile_url, "log")
    assert SHOWN["retract_by"] in out


def test_export_csv_is_safe_and_json_is_verbatim(hostile_url: str) -> None:
    rows = [r for r in csv_rows(hostile_url, "export") if r["statement"] == "hostile-a"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["venue"], row["notes"], row["organization"], row["person"], row["quote"], row["recorded_by"]) == (
        SHOWN["venue"], SHOWN["notes"], SHOWN["organization"], "'=cmd|' /C calc'!A0", "'" + SHOWN["quote"],
        SHOWN["by"])
    assert row["citations"] == f"{SHOWN['outlet']}, 2025-11-09"
    result = run(hostile_url, "export", "--format", "json")
    exported = next(r for r in json.loads(result.stdout) if r["statement"] == "hostile-a")
    assert (exported["venue"], exported["quote"], exported["recorded_by"]) == (
        HOSTILE_A["venue"], HOSTILE_A["quote"], BY)


def test_history_and_sources_csv(hostile_url: str) -> None:
    rows = csv_rows(hostile_url, "history", "remaining")
    assert (SHOWN["organization"], "'=cmd|' /C calc'!A0") in {(r["organization"], r["person"]) for r in rows}
    organizations = {r["organization"] for r in csv_rows(hostile_url, "sources")}
    assert {SHOWN["organization"], "'" + SHOWN["other"]} <= organizations
    assert printed(hostile_url, "sources")  # the table too


def test_csv_safe_rule() -> None:
    from ledger.text import csv_safe

    assert csv_safe(-3) == -3 and csv_safe(None) is None
    assert csv_safe("-") == "-" and csv_safe("12") == "12" and csv_safe("35-50") == "35-50"
    assert csv_safe("-5 people") == "'-5 people"
    assert csv_safe("+1") == "'+1" and csv_safe("@SUM(A1)") == "'@SUM(A1)" and csv_safe("\t=1") == "'\t=1"
    assert csv_safe("a\nb\x1b[0m\r") == "a\nb\\x1b[0m\\x0d"  # newlines stay (CSV quotes them)


def test_messages_on_standard_error_are_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Warnings at record time and the notes of export, plot, report go through the same rule."""
    import ledger.present as present

    said: list[str] = []
    monkeypatch.setattr(present.click, "echo", lambda message, err=False: said.append(message))
    present.err("warning: \x1b[31mred\u202e\nnext line")
    assert said == ["warning: \\x1b[31mred\\u202e\nnext line"]
