"""Exit codes decided from typed errors: each failure says what happened."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ledger.cli import EXIT_DATABASE, EXIT_OUTPUT_FILE, cli
from tests.conftest import EXAMPLES, ROOT, event_count, run


def test_db_is_accepted_after_the_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'after.db'}"
    runner = CliRunner()
    recorded = runner.invoke(cli, ["record", str(EXAMPLES), "--db", url], catch_exceptions=False)
    assert recorded.exit_code == 0, recorded.stderr
    status = runner.invoke(cli, ["status", f"--db={url}", "--as-of", "2025-08-15"], catch_exceptions=False)
    assert status.exit_code == 0 and "Official picture as of 2025-08-15" in status.stdout
    assert event_count(url) > 0


def test_a_bad_output_path_is_an_output_file_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    assert run(url, "record", str(EXAMPLES)).exit_code == 0
    missing_folder = tmp_path / "no-such-folder" / "out"
    for args in (["export", "--output", f"{missing_folder}.csv"],
                 ["report", "--no-charts", "--output", f"{missing_folder}.html"]):
        result = run(url, *args)
        assert result.exit_code == EXIT_OUTPUT_FILE == 73, (args, result.stderr)
        assert "cannot write" in result.stderr and str(missing_folder) in result.stderr
        assert "database failure" not in result.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends


def test_postgres_unreachable_from_a_fresh_process_is_a_database_failure() -> None:
    """psycopg is first imported while the command runs: still exit 5, not 70."""
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/ledger?connect_timeout=2"
    result = subprocess.run([sys.executable, "-m", "ledger", "--db", url, "status"], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == EXIT_DATABASE == 5, result.stderr
    assert "database failure" in result.stderr and "internal error" not in result.stderr
    assert "Traceback" not in result.stderr


def test_the_count_of_problems_includes_those_not_listed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join('{"id": "s%d", "matter": "m", "stated_on": "2025-02-30"}\n' % i for i in range(300)))
    result = run(url, "record", str(bad))
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    listed = [line for line in lines if line.startswith("error: ") and "more problem(s) not listed" not in line]
    more = next(line for line in lines if "more problem(s) not listed" in line)
    hidden = int(more.split("... and ")[1].split()[0])
    assert lines[-1] == f"{len(listed) + hidden} problem(s) found; nothing was recorded."
    assert len(listed) + hidden >= 300
