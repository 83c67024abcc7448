"""Questions analysts ask, answered from the timeline projection.

Each function returns plain data (dicts and lists, JSON-ready) so that the CLI can
render it as a table, JSON or CSV without knowing where it came from.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from typing import Any

from ledger.projections.views import _ViewMixin as View
from ledger.reconcile import reconcile

_FIGURE_COLUMNS = (
    "statement_id, category, position, value, qualifier, low, high, as_of, as_of_end, "
    "stated_on, stated_end, organization, person, recorded_at"
)
_ORDER_LATEST = "ORDER BY as_of_end DESC, stated_end DESC, position DESC LIMIT 1"


def visible(known_at: str | None) -> str:
    """Rows the ledger held at ``known_at`` (a timestamp text), or now."""
    if known_at is None:
        return "superseded_at IS NULL"
    return "recorded_at <= :known_at AND (superseded_at IS NULL OR superseded_at > :known_at)"


def status_sql(known_at: str | None, extra: str = "", category: str = ":category") -> str:
    """The figure that describes the latest date among those stated by :day.

    Ties go to the later statement, then the later recording. Two index range scans:
    figures about a date up to :day, and the rare forward-looking ones about a later date.
    """
    return f"""
SELECT * FROM (
  SELECT {_FIGURE_COLUMNS} FROM {{ledger_figures}}
  WHERE matter_id = :matter AND category = {category} AND {visible(known_at)}
    AND as_of_end <= :day AND stated_end <= :day {extra}
  {_ORDER_LATEST}) AS reported
UNION ALL
SELECT * FROM (
  SELECT {_FIGURE_COLUMNS} FROM {{ledger_figures}}
  WHERE matter_id = :matter AND category = {category} AND {visible(known_at)}
    AND as_of_end > stated_end AND as_of_end > :day AND stated_end <= :day {extra}
  {_ORDER_LATEST}) AS forward
{_ORDER_LATEST}
"""


class NotFoundError(LookupError):
    """An unknown matter, category or statement."""


def matters(view: View) -> list[dict[str, Any]]:
    rows = view.query(
        "SELECT m.matter_id, m.title, m.document, "
        "(SELECT COUNT(*) FROM {ledger_statements} s WHERE s.matter_id = m.matter_id) AS statements "
        "FROM {ledger_matters} m"
    )
    rows.sort(key=lambda r: r["matter_id"])
    return [
        {"matter": r["matter_id"], "title": r["title"], "statements": r["statements"],
         "categories": list(json.loads(r["document"])["categories"])}
        for r in rows
    ]


def matter_document(view: View, matter_id: str | None) -> dict[str, Any]:
    """The matter asked for; without a name, the only matter in the ledger."""
    if matter_id is None:
        rows = view.query("SELECT document FROM {ledger_matters} LIMIT 2")
        if not rows:
            raise NotFoundError("the ledger holds no matter yet: record a matter file first")
        if len(rows) > 1:
            names = ", ".join(m["matter"] for m in matters(view))
            raise NotFoundError(f"the ledger holds several matters; choose one with --matter: {names}")
        return json.loads(rows[0]["document"])
    row = view.query_one("SELECT document FROM {ledger_matters} WHERE matter_id = :m", {"m": matter_id})
    if row is None:
        known = ", ".join(m["matter"] for m in matters(view)) or "none"
        raise NotFoundError(f"no matter {matter_id!r} in the ledger (known: {known})")
    return json.loads(row["document"])


def _figure(row: dict[str, Any]) -> dict[str, Any]:
    figure: dict[str, Any] = {
        "value": row["value"],
        "qualifier": row["qualifier"],
    }
    if row["qualifier"] == "range":
        figure["low"], figure["high"] = row["low"], row["high"]
    figure.update({
        "as_of": row["as_of"],
        "stated_on": row["stated_on"],
        "statement": row["statement_id"],
        "source": {"organization": row["organization"], "person": row["person"]},
        "recorded_at": row["recorded_at"],
    })
    return figure


def status_figure(view: View, matter_id: str, category: str, as_of: date,
                  known_at: str | None = None, before: str | None = None) -> dict[str, Any] | None:
    """The raw row of the figure that stands for a category (describing a date before
    ``before``, if given), or None."""
    extra = "AND as_of_end < :before" if before else ""
    return view.query_one(status_sql(known_at, extra), {
        "matter": matter_id, "category": category, "day": as_of.isoformat(), "known_at": known_at,
        "before": before})


def status(view: View, matter_id: str | None, as_of: date, known_at: str | None = None,
           stale_days: int | None = None) -> dict[str, Any]:
    """The official picture as of a day: per category, the figure that describes the latest
    date; then what the figures imply together (derived) and where they disagree.

    A few statements in one read transaction: index lookups, one or two per category (see
    ``status_sql``); on PostgreSQL they go in one round trip as LATERAL joins over the
    categories, prepared once per connection (planning cost more than running them).
    """
    matter = matter_document(view, matter_id)
    day = as_of.isoformat()
    categories = list(matter["categories"])
    base = {"matter": matter["id"], "day": day, "known_at": known_at}
    with view.reading() as query:
        one_statement = view.placeholder_style == "pyformat"  # PostgreSQL: save round trips
        params = {**base, **{f"c{i}": c for i, c in enumerate(categories)}}
        if one_statement:
            rows = query(_picture_sql(known_at is not None), {**base, "cats": categories})
        else:  # SQLite plans the UNION ALL of lookups worse than the lookups one by one
            single = status_sql(known_at, "", ":c0")
            rows = [row for c in categories for row in query(single, {**base, "c0": c})]
        picture: dict[str, dict[str, Any] | None] = dict.fromkeys(categories)
        for row in rows:
            picture[row["category"]] = row
        previous: dict[str, dict[str, Any] | None] = {}
        same_date: dict[str, list[dict[str, Any]]] = {c: [] for c, row in picture.items() if row}
        standing = [(i, c, row) for i, (c, row) in enumerate(picture.items()) if row is not None]
        if standing:
            cumulative = [i for i, c, _ in standing if matter["categories"][c]["kind"] == "cumulative"]
            params = {**base}
            for i, c, row in standing:
                params.update({f"c{i}": c, f"e{i}": row["as_of_end"], f"s{i}": row["statement_id"]})
            indexes = tuple(i for i, _, _ in standing)
            if one_statement:
                rows = query(_context_sql(known_at is not None), {
                    **base,
                    "previous_categories": [c for i, c, _ in standing if i in cumulative],
                    "previous_before": [row["as_of_end"] for i, _, row in standing if i in cumulative],
                    "standing_categories": [c for _, c, _ in standing],
                    "standing_ends": [row["as_of_end"] for _, _, row in standing],
                    "standing_statements": [row["statement_id"] for _, _, row in standing],
                })
            else:
                rows = []
                for i in indexes:
                    if i in cumulative:
                        rows += [{**row, "part": "previous"} for row in
                                 query(status_sql(known_at, f"AND as_of_end < :e{i}", f":c{i}"), params)]
                    rows += [{**row, "part": "same_date"} for row in query(_same_date_sql(i, known_at), params)]
            for row in rows:
                part = row.pop("part")
                if part == "previous":
                    previous[row["category"]] = row
                else:
                    same_date[row["category"]].append(row)
        undated = query(
            "SELECT COUNT(*) AS n FROM {ledger_statements} WHERE matter_id = :matter AND stated_end IS NULL "
            f"AND retracted = 0 AND {visible(known_at)}", base)
        relations = _statement_relations(query, picture, known_at)
    reconciled = reconcile(matter, picture, relations, stale_days, previous, same_date)
    return {
        "matter": matter["id"],
        "title": matter["title"],
        "as_of": day,
        "known_at": known_at,
        "figures": {c: _figure(row) if row else None for c, row in picture.items()},
        "derived": reconciled["derived"],
        "discrepancies": reconciled["discrepancies"],
        "undated_statements_excluded": undated[0]["n"] if undated else 0,
    }


# PostgreSQL: one statement each for the picture and its context, whatever the number of
# categories, as LATERAL joins over arrays of categories: one text, so one prepared plan.


@functools.lru_cache(maxsize=4)
def _picture_sql(with_known_at: bool) -> str:
    """The standing figure of each category in :cats (PostgreSQL)."""
    known_at = ":known_at" if with_known_at else None
    return (f"SELECT f.* FROM unnest(:cats::text[]) AS x(name) "
            f"CROSS JOIN LATERAL ({status_sql(known_at, '', 'x.name')}) AS f")


@functools.lru_cache(maxsize=4)
def _context_sql(with_known_at: bool) -> str:
    """For each standing figure: the figure before it (cumulative categories) and the other
    figures describing the same date, for conflicting sources (PostgreSQL)."""
    known_at = ":known_at" if with_known_at else None
    return (
        "SELECT 'previous' AS part, p.* FROM unnest(:previous_categories::text[], :previous_before::text[]) "
        f"AS x(name, before_end) CROSS JOIN LATERAL ({status_sql(known_at, 'AND as_of_end < x.before_end', 'x.name')}) "
        "AS p\nUNION ALL\n"
        f"SELECT 'same_date' AS part, {_FIGURE_COLUMNS} FROM unnest(:standing_categories::text[], "
        ":standing_ends::text[], :standing_statements::text[]) AS y(name, day_end, standing_id) "
        "JOIN {ledger_figures} ON matter_id = :matter AND category = y.name AND as_of_end = y.day_end "
        f"AND stated_end <= :day AND {visible(known_at)} AND statement_id <> y.standing_id"
    )


def _same_date_sql(i: int, known_at: str | None) -> str:
    return (f"SELECT {_FIGURE_COLUMNS} FROM {{ledger_figures}} WHERE matter_id = :matter "
            f"AND category = :c{i} AND as_of_end = :e{i} AND stated_end <= :day AND {visible(known_at)} "
            f"AND statement_id <> :s{i}")


def _statement_relations(query: Any, picture: dict[str, dict[str, Any] | None],
                         known_at: str | None) -> dict[str, list[str]]:
    """Relations declared by the statements whose figures are in the picture."""
    ids = sorted({row["statement_id"] for row in picture.values() if row})
    if not ids:
        return {}
    params = {f"s{i}": statement_id for i, statement_id in enumerate(ids)}
    rows = query(
        "SELECT statement_id, relations FROM {ledger_statements} WHERE relations IS NOT NULL "
        f"AND {visible(known_at)} AND statement_id IN ({', '.join(':' + k for k in params)})",
        {**params, "known_at": known_at},
    )
    return {row["statement_id"]: json.loads(row["relations"]) for row in rows}


def history(view: View, matter_id: str | None, category: str, as_of: date | None = None,
            known_at: str | None = None) -> dict[str, Any]:
    """Every figure asserted for a category (stated by ``as_of``, known at ``known_at``),
    oldest described date first, undated last."""
    matter = matter_document(view, matter_id)
    if category not in matter["categories"]:
        raise NotFoundError(
            f"matter {matter['id']!r} has no category {category!r} "
            f"(categories: {', '.join(matter['categories'])})"
        )
    stated = "AND stated_end <= :day" if as_of else ""
    rows = view.query(
        f"SELECT {_FIGURE_COLUMNS} FROM {{ledger_figures}} "
        f"WHERE matter_id = :matter AND category = :category AND {visible(known_at)} {stated} "
        "ORDER BY (as_of_end IS NULL), as_of_end, (stated_end IS NULL), stated_end, position",
        {"matter": matter["id"], "category": category, "known_at": known_at,
         "day": as_of.isoformat() if as_of else None},
    )
    return {"matter": matter["id"], "category": category,
            "as_of": as_of.isoformat() if as_of else None, "known_at": known_at,
            "figures": [_figure(r) for r in rows]}


def sources(view: View, matter_id: str | None = None, known_at: str | None = None) -> list[dict[str, Any]]:
    """Who asserted what: one entry per source (organization, person, role)."""
    where, params = f"WHERE {visible(known_at)}", {"known_at": known_at}
    if matter_id is not None:
        matter_document(view, matter_id)  # an unknown matter is an error, not an empty list
        where += " AND matter_id = :m"
        params["m"] = matter_id
    rows = view.query(
        "SELECT organization, person, role, statement_id, stated_on, stated_end, figure_count, retracted "
        f"FROM {{ledger_statements}} {where} "
        "ORDER BY (stated_end IS NULL), stated_end, position",
        params,
    )
    grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        key = (r["organization"], r["person"], r["role"])
        entry = grouped.setdefault(key, {
            "organization": r["organization"], "person": r["person"], "role": r["role"],
            "statements": 0, "figures": 0, "undated": 0, "retracted": 0,
            "first_stated_on": None, "last_stated_on": None, "statement_ids": [],
        })
        entry["statements"] += 1
        entry["figures"] += r["figure_count"]
        entry["statement_ids"].append(r["statement_id"])
        entry["retracted"] += r["retracted"]
        if r["stated_end"] is None:
            entry["undated"] += 1
        else:
            entry["first_stated_on"] = entry["first_stated_on"] or r["stated_on"]
            entry["last_stated_on"] = r["stated_on"]
    # Sorted here, not in SQL: text collation differs between SQLite and PostgreSQL.
    return [grouped[key] for key in sorted(grouped, key=lambda k: tuple(part or "" for part in k))]


def statement(view: View, statement_id: str, known_at: str | None = None) -> dict[str, Any]:
    """One statement as the ledger holds it (or held it at ``known_at``), with its trail."""
    rows = view.query(
        "SELECT position, document, recorded_at, recorded_by, event, reason, retracted, "
        "superseded_at, superseded_by FROM {ledger_statements} WHERE statement_id = :s "
        + ("AND recorded_at <= :known_at " if known_at else "") + "ORDER BY position",
        {"s": statement_id, "known_at": known_at},
    )
    if not rows:
        raise NotFoundError(f"no statement {statement_id!r} in the ledger"
                            + (f" at {known_at}" if known_at else ""))
    current = rows[-1]
    trail = [{
        "event": r["event"], "position": r["position"], "recorded_at": r["recorded_at"],
        "recorded_by": r["recorded_by"], "reason": r["reason"], "document": json.loads(r["document"]),
    } for r in rows]
    return {
        "statement": json.loads(current["document"]),
        "status": "retracted" if current["retracted"] else ("corrected" if len(rows) > 1 else "recorded"),
        "recorded_at": rows[0]["recorded_at"],
        "recorded_by": rows[0]["recorded_by"],
        "position": rows[0]["position"],
        "trail": trail,
    }


def check(view: View, matter_id: str | None, as_of: date, known_at: str | None = None,
          stale_days: int | None = None) -> list[dict[str, Any]]:
    """Discrepancies over the whole timeline up to ``as_of``, like ``bean-check``.

    The picture is replayed at every date on which a statement was made; each
    discrepancy is reported once, with the date it first appeared and the date it was
    resolved (the first later date on which it no longer shows), if it was.
    """
    from ledger.reconcile import check_statement

    matter_ids = [matter_id] if matter_id else [m["matter"] for m in matters(view)]
    day = as_of.isoformat()
    found: list[dict[str, Any]] = []
    for mid in matter_ids:
        matter = matter_document(view, mid)
        statements = view.query(
            "SELECT statement_id, stated_on, stated_end, document, relations FROM {ledger_statements} "
            f"WHERE matter_id = :m AND stated_end <= :day AND retracted = 0 AND {visible(known_at)}",
            {"m": mid, "day": day, "known_at": known_at},
        )
        for row in statements:
            document = json.loads(row["document"])
            from ledger.domain.figures import Figure

            figures = {c: vars(Figure.from_input(raw)) for c, raw in document.get("figures", {}).items()}
            own = json.loads(row["relations"]) if row["relations"] else matter.get("relations", [])
            for problem in check_statement(figures, own):
                found.append({
                    "matter": mid, "kind": "inconsistent_statement", "message": f"{row['statement_id']}: {problem}",
                    "categories": sorted(figures), "statements": [row["statement_id"]],
                    "first_seen": row["stated_end"], "resolved_on": None, "open": True,
                })
        dates = sorted({row["stated_end"] for row in statements} | {day})
        active: dict[tuple[Any, ...], dict[str, Any]] = {}
        for when in dates:
            report = status(view, mid, date.fromisoformat(when), known_at, stale_days)
            seen = set()
            for item in report["discrepancies"]:
                key = (item["kind"], tuple(item["categories"]), tuple(item["statements"]), item.get("relation"))
                seen.add(key)
                if key not in active:
                    active[key] = {"matter": mid, **item, "first_seen": when, "resolved_on": None, "open": True}
                    found.append(active[key])
                else:
                    active[key]["message"] = item["message"]
            for key in [k for k in active if k not in seen]:
                active.pop(key).update(resolved_on=when, open=False)
    found.sort(key=lambda d: (d["matter"], d["first_seen"], d["kind"]))
    return found
