"""Claims Ledger: an event-sourced ledger of official statements.

``ledger.open(url)`` gives the Python API (:mod:`ledger.api`), imported on first use so
that ``import ledger`` stays cheap for the CLI.
"""

import os
from typing import Any

__version__ = "0.1.0"

# eventsourcing resolves (imports) the topic in TZINFO_TOPIC when its domain module is first
# imported; the ledger's times are UTC whatever the environment says, and no stray variable
# may make every reader import a module of its choosing (docs/integrity.md).
os.environ.pop("TZINFO_TOPIC", None)


def open(url: str | None = None, catch_up: bool = True) -> Any:  # noqa: A001 - the notebook API
    """Open the ledger at ``url`` for the Python API: see :func:`ledger.api.open`."""
    from ledger.api import open as open_ledger

    return open_ledger(url, catch_up=catch_up)
