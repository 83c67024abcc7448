"""``ledger serve``: registered here; the command lives in :mod:`ledger.web.serve` (FastAPI is
imported only when it runs)."""

from ledger.cli.base import cli
from ledger.web.serve import serve

cli.add_command(serve)
