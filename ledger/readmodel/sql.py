"""SQL shared by both backends: the columns of a figure row (which figure stands is
:mod:`ledger.readmodel.replay`'s)."""

from __future__ import annotations


FIGURE_COLUMNS = (
    "statement_id, category, position, value, qualifier, low, high, as_of, as_of_end, "
    "stated_on, stated_end, organization, person, role, recorded_at, best, change"
)
ALL_FIGURE_COLUMNS = (
    "f.statement_id, f.category, f.position, f.matter_id, f.value, f.qualifier, f.low, f.high, "
    "f.as_of, f.as_of_end, f.stated_on, f.stated_end, f.organization, f.person, f.role, f.recorded_at, "
    "f.superseded_at, f.superseded_by, f.best, f.change, f.as_of_start, f.attribution"
)
