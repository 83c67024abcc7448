"""The read model: every question asked of the projection, under one snapshot rule.

    >>> model = TimelineReadModel(ledger.view)
    >>> model.status("indians-in-russian-army", Snapshot(as_of=date(2025, 8, 15)))

See :mod:`ledger.readmodel.snapshot` (the rule), :mod:`ledger.readmodel.timeline` (the
queries), and ``docs/architecture.md``.
"""

from ledger.readmodel.snapshot import Snapshot, parse_timestamp
from ledger.readmodel.timeline import NotFoundError, TimelineReadModel, figure_result

__all__ = ["NotFoundError", "Snapshot", "TimelineReadModel", "figure_result", "parse_timestamp"]
