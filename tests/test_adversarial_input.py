"""The adversarial corpus (tests/adversarial/, beside tests/hostile/): inputs an attacker
or a careless tool would send, one class per group. Each file is refused on both backends
with exit 3, a ``file:line`` message saying what is wrong, no traceback, nothing written
(a good statement named before it is not recorded either). The CLASSES counts are those
of the README's Guarantees table; docs/input.md gives the rules.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, event_count, run, run_json, run_processes, statement, write_yaml

CORPUS = Path(__file__).parent / "adversarial"
BOMB = "invalid YAML: aliases expand this document beyond 10,000,000 characters and nodes"

# class -> {file: fragments the error output must contain, the first naming file:line}
CLASSES: dict[str, dict[str, list[str]]] = {
    "alias expansion": {
        "aliases-quote.yaml": [f"aliases-quote.yaml:8: {BOMB}"],
        "aliases-venue.yaml": [f"aliases-venue.yaml:8: {BOMB}"],
        "aliases-relations.yaml": [f"aliases-relations.yaml:8: {BOMB}"],
        "aliases-stated-on.yaml": [f"aliases-stated-on.yaml:8: {BOMB}"],
        "aliases-quote-language.yaml": [f"aliases-quote-language.yaml:8: {BOMB}"],
        "aliases-self-reference.yaml": ["aliases-self-reference.yaml:5: invalid YAML: an alias refers to the "
                                        "node that contains it"],
        "aliases-too-many.yaml": ["aliases-too-many.yaml:5: invalid YAML: more than 10,000 aliases"],
    },
    "oversized and YAML 1.1 numbers": {
        "number-5000-digits.yaml": ["number-5000-digits.yaml:6: invalid YAML: an integer of 5000 digits is too large"],
        "number-5000-digits.json": ["number-5000-digits.json: invalid JSON: an integer of 5000 digits is too large"],
        "number-5000-digits.jsonl": ["number-5000-digits.jsonl:1: invalid JSON: an integer of 5000 digits"],
        "yaml11-octal.yaml": ["yaml11-octal.yaml:6: invalid YAML: '017' has a leading zero: YAML 1.1 reads it "
                              "as octal (15), YAML 1.2 as 17"],
        "yaml11-hex.yaml": ["yaml11-hex.yaml:7: figures.dead: a figure is a count", "(got '0x1F')"],
        "yaml11-binary.yaml": ["yaml11-binary.yaml:7: figures.dead: a figure is a count", "(got '0b11')"],
        "yaml11-sexagesimal.yaml": ["yaml11-sexagesimal.yaml:7: figures.dead: a figure is a count", "(got '1:30')"],
        "yaml11-yes.yaml": ["yaml11-yes.yaml:7: figures.dead: a figure is a count", "(got 'yes')"],
        "yaml11-hex-date.yaml": ["yaml11-hex-date.yaml:3: stated_on: '0x7E9' is not a date"],
    },
    "non-plain YAML tags": {
        "tag-set.yaml": ["tag-set.yaml:6: invalid YAML: could not determine a constructor for the tag "
                         "'tag:yaml.org,2002:set'"],
        "tag-omap.yaml": ["tag-omap.yaml:6: invalid YAML: could not determine a constructor", "omap"],
        "tag-binary.yaml": ["tag-binary.yaml:5: invalid YAML: could not determine a constructor", "binary"],
        "tag-timestamp.yaml": ["tag-timestamp.yaml:3: invalid YAML: could not determine a constructor", "timestamp"],
        "tag-merge.yaml": ["tag-merge.yaml:5: source.<<: unknown field"],
        "tag-map-on-scalar.yaml": ["tag-map-on-scalar.yaml:6: invalid YAML: expected a mapping node, but found "
                                   "scalar"],
        "tag-seq-on-mapping.yaml": ["tag-seq-on-mapping.yaml:6: invalid YAML: expected a sequence node, but found "
                                    "mapping"],
    },
    "non-ASCII digits in dates": {
        "digits-arabic-indic.yaml": ["digits-arabic-indic.yaml:3: stated_on: '٢٠٢٥-٠٩-٠١' is not a date: "
                                     "write it with the digits 0-9"],
        "digits-fullwidth.yaml": ["digits-fullwidth.yaml:6: as_of: '２０２５' is not a date"],
        "digits-devanagari.yaml": ["digits-devanagari.yaml:7: citations[0].published_on: '२०२५' is not a date"],
    },
    "invisible-only text": {
        "invisible-zero-width-space.yaml": ["invisible-zero-width-space.yaml:5: quote: has no visible "
                                            "character (only U+200B)"],
        "invisible-braille-blank.yaml": ["invisible-braille-blank.yaml:5: quote: has no visible character "
                                         "(only U+2800)"],
        "invisible-ideographic-space.yaml": ["invisible-ideographic-space.yaml:5: quote: has no visible"],
        "invisible-hangul-filler.yaml": ["invisible-hangul-filler.yaml:5: quote: has no visible character "
                                         "(only U+3164)"],
        "invisible-word-joiner.yaml": ["invisible-word-joiner.yaml:5: quote: has no visible character "
                                       "(only U+2060 U+FEFF)"],
        "invisible-organization.yaml": ["invisible-organization.yaml:4: source.organization: has no visible"],
    },
    "bidirectional controls": {
        "bidi-quote.yaml": ["bidi-quote.yaml:5: quote: contains the bidirectional control U+202E "
                            "(RIGHT-TO-LEFT OVERRIDE) at offset 10"],
        "bidi-person.yaml": ["bidi-person.yaml:4: source.person: contains the bidirectional control U+2067"],
        "bidi-organization.yaml": ["bidi-organization.yaml:4: source.organization: contains the "
                                   "bidirectional control U+202D"],
        "bidi-url.yaml": ["bidi-url.yaml:7: citations[0].url: contains the bidirectional control U+202E"],
    },
    "terminal escapes in messages": {
        "escape-field-name.yaml": ["escape-field-name.yaml:6: \\x1b]0;pwned\\x07\\x1b[2J: unknown field"],
        "escape-field-name.json": ["escape-field-name.json:2: \\x1b[31mred: unknown field"],
        "escape-url.yaml": ["escape-url.yaml:7: citations[0].url: contains the control character U+001B"],
    },
}
FILES = {name: fragments for group in CLASSES.values() for name, fragments in group.items()}


def test_the_corpus_is_complete() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_adversarial_file_is_refused(seeded_url: str, tmp_path: Path, name: str) -> None:
    good = write_yaml(tmp_path, "good.yaml", statement(f"good-{name.replace('.', '-')}"))
    before = event_count(seeded_url)
    result = run(seeded_url, "record", str(good), str(CORPUS / name))
    assert result.exit_code == 3, result.output
    for fragment in FILES[name]:
        assert fragment in result.stderr, f"{fragment!r} not in:\n{result.stderr}"
    assert re.search(r"\n\d+ problem\(s\) found; nothing was recorded.\n$", result.stderr)
    assert "Traceback" not in result.output and "\x1b" not in result.output
    assert event_count(seeded_url) == before


def test_a_nine_level_bomb_is_refused_quickly_as_a_real_process(tmp_path: Path) -> None:
    """The bound holds before validation: the process ends (the timeout is a guard against
    a hang, not a measure) and its memory never holds the expansion."""
    result = subprocess.run([sys.executable, "-m", "ledger", "--db", f"sqlite:///{tmp_path / 'l.db'}", "record",
                             str(CORPUS / "aliases-quote.yaml")], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 3 and BOMB in result.stderr


# --- files named on the command line --------------------------------------------------


def test_a_device_named_on_the_command_line_is_refused(seeded_url: str, tmp_path: Path) -> None:
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    before = event_count(seeded_url)
    result = run(seeded_url, "record", str(tmp_path / "zero.yaml"), str(tmp_path / "zero.jsonl"))
    assert result.exit_code == 3
    for name in ("zero.yaml", "zero.jsonl"):
        assert f"{name}: is not a regular file" in result.stderr
    assert "2 problem(s) found" in result.stderr
    assert event_count(seeded_url) == before


def test_a_missing_folder_says_it_does_not_exist(seeded_url: str, tmp_path: Path) -> None:
    result = run(seeded_url, "record", str(tmp_path / "no-such-folder"))
    assert result.exit_code == 3
    assert f"{tmp_path / 'no-such-folder'}: does not exist" in result.stderr
    assert "unknown file type" not in result.stderr


def test_an_endless_line_in_a_pipe_is_read_with_a_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipe (process substitution) is read line by line, each line bounded: a line that
    never ends is refused after the bound, the rest is not read."""
    import ledger.inputs as inputs

    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 1000)
    fifo = tmp_path / "endless.jsonl"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat /dev/zero > {fifo}"])
    try:
        problems = [p for p in inputs.iter_inputs([str(fifo)]) if isinstance(p, inputs.InputProblem)]
    finally:
        writer.kill()
        writer.wait()
    assert [str(p) for p in problems] == [f"{fifo}:1: line longer than 1,000 bytes; the rest of the file was not read"]


# --- the count of problems ------------------------------------------------------------------


def test_the_and_more_line_is_not_counted_as_a_problem(seeded_url: str, tmp_path: Path) -> None:
    lines = [json.dumps(statement(f"neg-{i}", figures={"dead": -1})) for i in range(205)]
    (tmp_path / "many.jsonl").write_text("\n".join(lines) + "\n")
    before = event_count(seeded_url)
    result = run(seeded_url, "record", str(tmp_path / "many.jsonl"))
    assert result.exit_code == 3
    assert "... and 5 more problem(s) not listed" in result.stderr
    assert "205 problem(s) found; nothing was recorded." in result.stderr
    assert event_count(seeded_url) == before


# --- terminal escapes in what the ledger prints ------------------------------------------------


def test_control_characters_in_reason_and_by_are_escaped_in_log(db_url: str) -> None:
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    result = run(db_url, "retract", "mea-2025-01-killed", "--reason", "oops\x1b[2J\x1b]0;title\x07",
                 "--by", "eve\x1b[31m\u202e")
    assert result.exit_code == 0, result.output
    shown = run(db_url, "log")
    assert shown.exit_code == 0
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout and "\u202e" not in shown.stdout
    assert "oops\\x1b[2J" in shown.stdout and "eve\\x1b[31m\\u202e" in shown.stdout
    stored = run_json(db_url, "log")  # JSON keeps the data as it is (escaped by JSON itself)
    assert stored[-1]["reason"] == "oops\x1b[2J\x1b]0;title\x07"  # type: ignore[index]


def test_terminal_safe_is_the_one_rule() -> None:
    from ledger.present import cell
    from ledger.text import terminal_safe

    assert terminal_safe("a\x1b[0m\tb\nc\x9b\u2066") == "a\\x1b[0m\tb\nc\\x9b\\u2066"
    assert terminal_safe("a\tb\nc", keep_layout=False) == "a\\x09b\\x0ac"
    assert cell("x\x1by\nz") == "x\\x1by z"
    assert terminal_safe("مرحبا 44 \u200f") == "مرحبا 44 \u200f"  # scripts and implicit marks pass


# --- dates beyond the calendar ------------------------------------------------------------------


@pytest.mark.parametrize("args", [["plot", "--as-of", "9999", "--output", "{tmp}/c.png"],
                                  ["report", "--as-of", "9999", "--output", "{tmp}/r.html"],
                                  ["status", "--known-at", "9999-12-31T23:00-05:00"]])
def test_dates_at_the_end_of_the_calendar(seeded_url: str, tmp_path: Path, args: list[str]) -> None:
    result = run(seeded_url, *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code in (0, 2), result.output
    assert "internal error" not in result.output and "OverflowError" not in result.output
    if args[0] == "status":
        assert result.exit_code == 2 and "is out of range" in result.output


# --- round trips and idempotency -------------------------------------------------------------


def test_a_derived_id_of_a_long_matter_round_trips(db_url: str, tmp_path: Path) -> None:
    matter_id = "m" * 120
    matter = {"matter": {"id": matter_id, "title": "Long", "categories": {"dead": {"kind": "cumulative"}}}}
    document = {"matter": matter_id, "stated_on": "2025-09-01", "source": {"organization": "T"},
                "figures": {"dead": 3}, "quote": "Three."}
    files = [write_yaml(tmp_path, "matter.yaml", matter), write_yaml(tmp_path, "s.yaml", document)]
    result = run(db_url, "record", *map(str, files), "--format", "json")
    assert result.exit_code == 0, result.output
    statement_id = json.loads(result.stdout)["recorded"][0]
    assert len(statement_id) == 120 and statement_id.endswith("-2025-09-01-" + statement_id[-10:])
    shown = run(db_url, "show", statement_id, "--format", "yaml")
    (tmp_path / "copy.yaml").write_text(shown.stdout)
    again = run(db_url, "record", str(tmp_path / "copy.yaml"))
    assert again.exit_code == 0, again.output
    assert "recorded 0 statement(s); 1 already recorded" in again.stdout
    assert event_count(db_url) == 2


def test_recording_the_same_file_twice_records_once(db_url: str, tmp_path: Path) -> None:
    """Plain data only: the same file reads the same in every process (no !!set order)."""
    assert run(db_url, "record", str(EXAMPLES)).exit_code == 0
    document = statement("twice", relations=["missing <= remaining", "dead <= recruited"], figures={"dead": 1})
    path = write_yaml(tmp_path, "twice.yaml", document)
    for _ in range(2):
        result = subprocess.run([sys.executable, "-m", "ledger", "--db", db_url, "record", str(path)], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    assert event_count(db_url) == 7  # the example's matter and 5 statements, then this one once


def _declare(db_url: str, folder: str, barrier: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    result = subprocess.run([sys.executable, "-m", "ledger", "--db", db_url, "record", folder], cwd=ROOT,
                            capture_output=True, text=True, timeout=200)
    Path(folder, f"rc-{os.getpid()}").write_text(f"{result.returncode}\n{result.stderr}")
    sys.exit(result.returncode)


def test_two_writers_declaring_the_same_matter_at_once(db_url: str, tmp_path: Path) -> None:
    """Both succeed; the matter is declared once, as recording it twice is a no-op."""
    for attempt in range(3):  # a race is not forced every time; each round must hold
        folder = tmp_path / f"round{attempt}"
        folder.mkdir()
        matter_id = f"raced-{attempt}"
        write_yaml(folder, "matter.yaml", {"matter": {"id": matter_id, "title": "Raced",
                                                     "categories": {"dead": {"kind": "cumulative"}}}})
        codes = run_processes(_declare, [(db_url, str(folder)), (db_url, str(folder))])
        outputs = [p.read_text() for p in folder.glob("rc-*")]
        assert codes == [0, 0], outputs
        assert all("UNIQUE" not in o and "duplicate key" not in o for o in outputs)
    assert event_count(db_url) == 3
    matters = run_json(db_url, "matters")
    assert sorted(m["matter"] for m in matters) == ["raced-0", "raced-1", "raced-2"]  # type: ignore[union-attr]


def test_recording_a_corrected_id_less_file_again_is_a_no_op(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "record", str(EXAMPLES / "matter.yaml")).exit_code == 0
    document = statement("x", figures={"dead": 45})
    del document["id"]
    typo = write_yaml(tmp_path, "typo.yaml", document)
    recorded = json.loads(run(db_url, "record", str(typo), "--format", "json").stdout)["recorded"]
    fixed = write_yaml(tmp_path, "fixed.yaml", {**document, "figures": {"dead": 44}})
    result = run(db_url, "correct", recorded[0], str(fixed), "--reason", "typo")
    assert result.exit_code == 0, result.output
    before = event_count(db_url)
    for _ in range(2):
        again = run(db_url, "record", str(fixed))
        assert again.exit_code == 0, again.output
        assert "recorded 0 statement(s); 1 already recorded with the same content" in again.stdout
    assert event_count(db_url) == before
    # the typo file, as a file with an id: its content was corrected, so it points to `correct`
    stale = run(db_url, "record", str(typo))
    assert stale.exit_code == 3 and "already recorded with different content" in stale.stderr
    assert event_count(db_url) == before


def test_every_text_the_yaml_writer_leaves_unquoted_reads_back_as_text() -> None:
    """`show --format yaml` writes with PyYAML (YAML 1.1 rules for quoting); the reader is
    YAML 1.2 core: every scalar it reads as a number or boolean must be one in 1.1 too,
    or a text field would come back as a number (1e3, +.5, 08 are text in both)."""
    import itertools

    import yaml

    from ledger.yaml_documents import yaml_documents as _yaml_documents

    alphabet = "0189.eE+-_:xoTrnu~ "
    for size in (1, 2, 3):
        for chars in itertools.product(alphabet, repeat=size):
            text = "".join(chars)
            dumped = yaml.safe_dump({"v": text})
            assert next(_yaml_documents(dumped))[0]["v"] == text, dumped
