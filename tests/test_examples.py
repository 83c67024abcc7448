"""Every command example in README.md and in every command's ``--help`` runs.

Conventions (README and help texts follow them so that this test finds their examples):

* **README.md**: inside a fenced block (```sh, ```console or ```text), a line whose first
  word is ``ledger`` (after an optional ``$ `` prompt) is a command example. It is run by
  ``bash`` in a scratch folder holding copies of ``examples/`` and ``docs/drill/``, with
  ``LEDGER_DB`` set to a fresh SQLite ledger for the whole README (so the README reads
  as one session, top to bottom) and the ``ledger`` of this checkout first on ``PATH``.
  ``export NAME=VALUE`` lines apply to every example after them (as in a reader's shell);
  so does a line ``NAME=$(command)`` (optionally with ``sleep N; `` before or ``; sleep N``
  after), run when reached: ``sleep 1; BEFORE=$(date -u +%Y-%m-%dT%H:%M:%SZ); sleep 1``.
* **Documented output**: in a ```text or ```console block, the lines after a ``$ ledger``
  line, up to the next ``$`` line or the end of the block, are its output. Each must
  appear in what the command prints (spaces collapsed), with these allowances: a line
  that is only ``...`` stands for lines left out; ``...`` or ``…`` within a line stands
  for text left out (the parts around it must appear in order on one line); timestamps (``2026-11-25T06:02:51.125330Z``), hashes (16 hex digits or more)
  and the date of ``up to DATE`` when no ``--as-of`` was given are not compared.
* **--help**: in a command's help, the lines after a line ``Examples:`` that start with
  ``ledger`` (or ``$ ledger``) are its examples; they run in order against a fresh
  ledger holding ``examples/indians-in-russian-army/``, in the same scratch folder.
* **Exit codes**: an example must exit 0 (or 1: findings of ``check`` and ``verify``),
  unless its documented output shows ``error:`` lines (then 3 or 4), or the line ends
  with a comment ``# exit N``. Never 2 (usage) or 70 (internal), never a traceback.
* **Not run**: lines with ``# not run`` in their comment; ``follow`` without ``--once``
  and ``serve`` (they run until stopped; the web tests start ``serve`` themselves); commands for hosts other than 127.0.0.1; commands naming a
  PostgreSQL URL (roles and servers are the deployment's: tests/test_roles.py covers them).
* **serve** runs until stopped: its examples run in this process with ``uvicorn.run``
  replaced, so that the options are parsed and the server is set up, but never started.
* **Every command** (and group) has help text with an ``Examples:`` block naming itself.
* Files an example assumes the reader has (``bad.yaml``, ``archive/``, ``big.jsonl``) are
  created by the ``scratch`` fixture.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
import yaml

from ledger.cli import cli
from tests.conftest import ROOT

FIXTURES = {
    "bad.yaml": (
        "id: bad-example\nmatter: indians-in-russian-army\nstated_on: '2025-02-30'\n"
        "source: {organization: Test}\nfigures: {dead: -3}\nquote: A bad example.\n"
    ),
}
PG_URL = re.compile(r"postgresql://[^\s]+")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?")
HASH = re.compile(r"\b[0-9a-f]{16,}\b")
UP_TO = re.compile(r"up to \d{4}-\d\d-\d\d")


@dataclass
class Example:
    where: str  # README.md:LINE or "ledger record --help"
    command: str
    env: dict[str, str] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)

    @property
    def comment(self) -> str:
        return self.command.split(" # ", 1)[1] if " # " in self.command else ""


SETTING = re.compile(r"^(?:sleep \d+; )?(\w+)=\$\(.*\)(?:; sleep \d+)?$")


def readme_examples(text: str) -> list[Example]:
    examples: list[Example] = []
    fence: str | None = None
    env: dict[str, str] = {}
    current: Example | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            fence = None if fence is not None else line[3:].strip() or "text"
            current = None
            continue
        if fence not in ("sh", "console", "text", "bash", "shell"):
            continue
        stripped = line.strip()
        export = re.match(r"^(?:\$ )?export (\w+)=(\S+)", stripped)
        if export:
            env[export.group(1)] = export.group(2)
            continue
        setting = SETTING.match(stripped.split(" # ")[0].strip())
        if setting:  # NAME=$(...): run when reached, NAME set for the examples after it
            examples.append(Example(f"README.md:{number}", stripped, dict(env)))
            current = None
            continue
        command = stripped[2:] if stripped.startswith("$ ") else stripped
        if command.startswith("ledger ") or command == "ledger":
            current = Example(f"README.md:{number}", command, dict(env))
            examples.append(current)
        elif stripped.startswith("$"):
            current = None
        elif current is not None and fence in ("text", "console") and stripped:
            current.output.append(stripped)
    return examples


def help_examples() -> list[tuple[str, list[Example]]]:
    found = []

    def walk(command: click.Command, path: list[str]) -> None:
        name = " ".join(path)
        lines = (command.help or "").splitlines()
        examples = []
        for index, line in enumerate(lines):
            if line.strip() == "Examples:":
                for example in lines[index + 1:]:
                    text = example.strip()
                    text = text[2:] if text.startswith("$ ") else text
                    if text.startswith("ledger"):
                        examples.append(Example(f"{name} --help", text))
        if examples:
            found.append((name, examples))
        if isinstance(command, click.Group):
            for sub_name, sub in sorted(command.commands.items()):
                walk(sub, path + [sub_name])

    walk(cli, ["ledger"])
    return found


def _skip_reason(example: Example) -> str | None:
    if "not run" in example.comment:
        return "marked # not run"
    words = example.command.split()
    if "follow" in words and "--once" not in words:
        return "follow runs until stopped"
    if "serve" in words or words[:1] == ["curl"]:
        return "serve runs until stopped (tests/test_web_browser.py and test_web_api.py run it)"
    hosts = re.findall(r"postgresql://[^@/\s]*@?([^:/\s]+)", example.command)
    if any(host != "127.0.0.1" for host in hosts):
        return "a database host other than 127.0.0.1"
    return None


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    for folder in ("examples", "docs/drill"):  # docs/: plot --help writes docs/chart.png, as from a checkout
        shutil.copytree(ROOT / folder, tmp_path / folder)
    for name, text in FIXTURES.items():
        (tmp_path / name).write_text(text)
    # "a folder of YAML, JSON and JSON Lines files" and "big.jsonl": the example, in both forms
    shutil.copytree(ROOT / "examples" / "indians-in-russian-army", tmp_path / "archive")
    statements = yaml.safe_load((ROOT / "examples" / "indians-in-russian-army" / "statements.yaml").read_text())
    (tmp_path / "big.jsonl").write_text("".join(json.dumps(s, default=str) + "\n" for s in statements["statements"]))
    return tmp_path


def _normalise(line: str, as_of_given: bool) -> str:
    line = HASH.sub("<hash>", TIMESTAMP.sub("<ts>", line))
    if not as_of_given:
        line = UP_TO.sub("up to <today>", line)
    return " ".join(line.split())


def _check_output(example: Example, printed: str) -> None:
    as_of = "--as-of" in example.command
    actual = [_normalise(line, as_of) for line in printed.splitlines()]
    for expected in example.output:
        if expected in ("...", "…"):
            continue
        want = _normalise(expected, as_of)
        if "..." in want or "…" in want:  # text left out: the parts, in order, on one line
            pattern = re.compile(".*".join(re.escape(p.strip()) for p in re.split(r"\.\.\.|…", want)))
            assert any(pattern.search(a) for a in actual), (
                f"{example.where}: `{example.command}` printed no line like {want!r}:\n{printed}")
        else:
            assert want in actual, f"{example.where}: `{example.command}` did not print {want!r}:\n{printed}"


def run_example(example: Example, folder: Path, db: str, pg: str | None,
                session: dict[str, str] | None = None) -> None:
    session = {} if session is None else session
    setting = SETTING.match(example.command.split(" # ")[0].strip())
    if setting:
        line = example.command.split(" # ")[0]
        done = subprocess.run(["bash", "-c", f'{line}; printf %s "${setting.group(1)}"'], cwd=folder,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{example.where}: {done.stderr}"
        session[setting.group(1)] = done.stdout
        return
    reason = _skip_reason(example)
    if reason:
        return
    command = example.command
    if "serve" in command.split():
        _run_serve_example(example, folder, db)
        return
    if PG_URL.search(command):
        if pg is None:
            return
        command = PG_URL.sub(pg, command)
    env = {**os.environ, "LEDGER_DB": db, "LEDGER_USER": "alice", "COLUMNS": "200",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **example.env, **session}
    if PG_URL.search(env.get("LEDGER_DB", "")) and pg is not None:
        env["LEDGER_DB"] = pg
    elif env["LEDGER_DB"].startswith("postgresql"):
        return
    result = subprocess.run(["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True,
                            timeout=120)
    printed = result.stdout + result.stderr
    expected = re.search(r"exit (\d+)", example.comment)
    where = f"{example.where}: `{example.command}` exited {result.returncode}:\n{printed[-3000:]}"
    assert "Traceback" not in printed, where
    if expected:
        assert result.returncode == int(expected.group(1)), where
    elif any(line.startswith("error:") for line in example.output):
        assert result.returncode in (3, 4), where
    else:
        assert result.returncode in (0, 1), where
    _check_output(example, printed)


def _run_serve_example(example: Example, folder: Path, db: str) -> None:
    """``ledger serve`` parsed and set up in this process, ``uvicorn.run`` recorded, not run."""
    import shlex
    from unittest import mock

    from click.testing import CliRunner

    args = shlex.split(example.command.split(" # ")[0])[1:]
    with mock.patch("uvicorn.run") as started, mock.patch.dict(os.environ):
        result = CliRunner().invoke(cli, args, env={"LEDGER_DB": db, **example.env})
    where = f"{example.where}: `{example.command}` exited {result.exit_code}:\n{result.output}"
    assert result.exit_code == 0, where
    assert started.call_count == 1, where
    assert "serving" in result.output, where


def test_the_readme_marks_its_examples() -> None:
    examples = readme_examples((ROOT / "README.md").read_text())
    assert len(examples) >= 20
    assert any(e.output for e in examples)


def test_every_readme_example_runs(scratch: Path) -> None:
    db = f"sqlite:///{scratch / 'readme.db'}"
    session: dict[str, str] = {}
    for example in readme_examples((ROOT / "README.md").read_text()):
        if example.env.get("LEDGER_DB", "").startswith("sqlite:///"):
            example.env["LEDGER_DB"] = f"sqlite:///{scratch / example.env['LEDGER_DB'][10:]}"
        run_example(example, scratch, db, None, session)


HELP = help_examples()


def test_every_command_with_examples_is_found() -> None:
    assert {"ledger record", "ledger status", "ledger correct"} <= {name for name, _ in HELP}


def _commands(command: click.Command, path: list[str]) -> list[tuple[str, click.Command]]:
    found = [(" ".join(path), command)]
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            found += _commands(sub, path + [name])
    return found


@pytest.mark.parametrize("name,command", _commands(cli, ["ledger"]), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help_with_examples_of_itself(name: str, command: click.Command) -> None:
    """Each command's --help says what it does and shows it used (its examples run above)."""
    assert (command.help or "").strip(), f"{name} has no help text"
    examples = dict(HELP).get(name, [])
    assert examples, f"{name} --help has no Examples: block with a `ledger ...` line"
    words = name.split()[1:]
    assert any(all(w in e.command.split() for w in words) for e in examples), (
        f"no example of {name} uses {name}: {[e.command for e in examples]}")


@pytest.fixture(scope="module")
def seeded_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger holding examples/indians-in-russian-army/, recorded once for the module
    (each test gets a copy of the file: the same fresh ledger, without a process to seed it)."""
    folder = tmp_path_factory.mktemp("seeded-help")
    path = folder / "help.db"
    seeded = subprocess.run([sys.executable, "-m", "ledger", "--db", f"sqlite:///{path}", "record",
                             str(ROOT / "examples" / "indians-in-russian-army")], capture_output=True, text=True)
    assert seeded.returncode == 0, seeded.stderr
    return path


@pytest.mark.parametrize("name", [name for name, _ in HELP])
def test_every_help_example_runs(scratch: Path, seeded_ledger: Path, name: str) -> None:
    for suffix in ("", "-wal", "-shm"):  # the write-ahead log too, if the seeding left one
        if Path(f"{seeded_ledger}{suffix}").exists():
            shutil.copyfile(f"{seeded_ledger}{suffix}", scratch / f"help.db{suffix}")
    db = f"sqlite:///{scratch / 'help.db'}"
    for example in dict(HELP)[name]:
        run_example(example, scratch, db, None)


def test_the_date_mask_is_today_independent() -> None:
    today = dt.date.today().isoformat()
    assert _normalise(f"4 discrepancies up to {today}, 3 open", False) == "4 discrepancies up to <today>, 3 open"


def test_the_readme_links_every_docs_page() -> None:
    """Further reading names every page under docs/, and every relative link in the README resolves."""
    text = (ROOT / "README.md").read_text()
    reading = text[text.index("## Further reading"):]
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"](docs/{page.name})" in reading, f"README's Further reading does not link docs/{page.name}"
    for target in re.findall(r"\]\(((?!https?:|#)[^)#\s]+)", text):
        assert (ROOT / target).exists(), f"README links {target}, which does not exist"
