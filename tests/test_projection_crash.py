"""A projection killed (SIGKILL) while catching up resumes where its tracking says, each event once."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from ledger.application import Ledger
from ledger.domain.documents import Statement as StatementDocument
from ledger.inputs import Located, load_files
from tests.conftest import EXAMPLES, ROOT, run, statement

PAGE = 7
KILLED_IN_PAGE = 3

# Catch up in pages of PAGE events; in page KILLED_IN_PAGE, after its rows and tracking
# row are written but before the transaction commits, the process kills itself.
CATCH_UP_AND_DIE = textwrap.dedent(f"""
    import os, signal, sys
    import ledger.application as application
    from ledger.application import Ledger
    application.CATCH_UP_PAGE = {PAGE}
    with Ledger(sys.argv[1]) as ledger:
        view = ledger.view
        original, pages = view._insert_tracking, []
        def insert_tracking(c, tracking):
            original(c, tracking)
            pages.append(tracking.notification_id)
            if len(pages) == {KILLED_IN_PAGE}:
                os.kill(os.getpid(), signal.SIGKILL)
        view._insert_tracking = insert_tracking
        ledger.catch_up()
    """)


def test_projection_killed_while_catching_up_resumes_exactly_once(db_url: str) -> None:
    # Record 1 matter + 30 statements without catching the projection up.
    with Ledger(db_url) as ledger:
        documents = load_files([str(EXAMPLES / "matter.yaml")]) + [
            Located("generated", (), None, None,
                    StatementDocument.model_validate(statement(f"s-{i}", figures={"dead": i})))
            for i in range(30)]
        ledger.record(documents)
        assert ledger.view.max_tracking_id(ledger.app.name) is None
        total = ledger.app.recorder.max_notification_id()
    assert total == 31

    died = subprocess.run([sys.executable, "-c", CATCH_UP_AND_DIE, db_url], cwd=ROOT, timeout=120)
    assert died.returncode == -signal.SIGKILL

    # Only the committed pages are there: tracking at the end of page 2, and the rows of
    # exactly the events up to it (the killed page left nothing behind).
    with Ledger(db_url) as ledger:
        position = ledger.view.max_tracking_id(ledger.app.name)
        assert position == (KILLED_IN_PAGE - 1) * PAGE
        rows = ledger.view.query("SELECT position FROM {ledger_statements}")
        matters = ledger.view.query("SELECT position FROM {ledger_matters}")
        assert sorted(r["position"] for r in rows + matters) == list(range(1, position + 1))

    # The next command resumes from there; every event is applied once, and the result
    # equals a rebuild from scratch (verify compares every row).
    result = run(db_url, "matters", "--format", "json")
    assert result.exit_code == 0, result.output
    with Ledger(db_url) as ledger:
        assert ledger.view.max_tracking_id(ledger.app.name) == total
        rows = ledger.view.query("SELECT position FROM {ledger_statements}")
        assert sorted(r["position"] for r in rows) == list(range(2, total + 1))
    result = run(db_url, "verify")
    assert result.exit_code == 0, result.output
