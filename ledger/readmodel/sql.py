"""SQL shared by both backends: the columns of a figure and the standing-figure lookup."""

from __future__ import annotations

from ledger.readmodel.snapshot import Snapshot

FIGURE_COLUMNS = (
    "statement_id, category, position, value, qualifier, low, high, as_of, as_of_end, "
    "stated_on, stated_end, organization, person, role, recorded_at"
)
ALL_FIGURE_COLUMNS = (
    "f.statement_id, f.category, f.position, f.matter_id, f.value, f.qualifier, f.low, f.high, "
    "f.as_of, f.as_of_end, f.stated_on, f.stated_end, f.organization, f.person, f.role, f.recorded_at, "
    "f.superseded_at, f.superseded_by"
)
ORDER_LATEST = "ORDER BY as_of_end DESC, stated_end DESC, position DESC LIMIT 1"


def status_sql(snapshot: Snapshot, extra: str = "", category: str = ":category") -> str:
    """The figure that describes the latest date among those stated by :day.

    Ties go to the later statement, then the later recording. Two index range scans:
    figures about a date up to :day, and the rare forward-looking ones about a later date.
    Only ``snapshot.known_at`` matters to the text (it is cached by it).
    """
    visible = snapshot.in_force()
    return f"""
SELECT * FROM (
  SELECT {FIGURE_COLUMNS} FROM {{ledger_figures}}
  WHERE matter_id = :matter AND category = {category} AND {visible}
    AND as_of_end <= :day AND stated_end <= :day {extra}
  {ORDER_LATEST}) AS reported
UNION ALL
SELECT * FROM (
  SELECT {FIGURE_COLUMNS} FROM {{ledger_figures}}
  WHERE matter_id = :matter AND category = {category} AND {visible}
    AND as_of_end > stated_end AND as_of_end > :day AND stated_end <= :day {extra}
  {ORDER_LATEST}) AS forward
{ORDER_LATEST}
"""
