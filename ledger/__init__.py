"""Claims Ledger: an event-sourced ledger of official statements.

``ledger.open(url)`` gives the Python API (:mod:`ledger.api`), imported on first use so
that ``import ledger`` stays cheap for the CLI.
"""

from typing import Any

__version__ = "0.1.0"


def open(url: str | None = None, catch_up: bool = True) -> Any:  # noqa: A001 - the notebook API
    """Open the ledger at ``url`` for the Python API: see :func:`ledger.api.open`."""
    from ledger.api import open as open_ledger

    return open_ledger(url, catch_up=catch_up)
