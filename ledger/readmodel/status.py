"""The official picture of a matter at a day (``status``), and the same picture at many days.

Mixed into :class:`~ledger.readmodel.TimelineReadModel` as :class:`StatusQueries`.
:meth:`~StatusQueries.picture` is the one computation: per timeline the figure the policy
picks (:mod:`ledger.readmodel.replay`, the ONE rule), then what the figures imply together
and where they disagree (:func:`ledger.reconcile.reconcile`). Where its rows come from is
:mod:`ledger.readmodel.picture_rows`' concern: the database for one picture (``status``),
one matter read once for many days (``statuses``: check, series, plot, the report).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from typing import Any

from ledger.readmodel import replay as rp
from ledger.readmodel.audit import figure_result
from ledger.readmodel.evidence import independent_same_date, mark_disputed
from ledger.readmodel.picture_rows import PreloadedRows, QueryRows
from ledger.readmodel.snapshot import Snapshot
from ledger.reconcile import reconcile

Row = dict[str, Any]


class StatusQueries:
    """status and statuses (uses ``matter``, ``evidence`` and ``figure_result`` of the read model)."""

    view: Any
    one_statement: bool

    def status(self, matter_id: str | None, snapshot: Snapshot, stale_days: int | None = None,
               include_disputed: bool = False) -> dict[str, Any]:
        """The official picture as of a day: per timeline (a category and its synonyms) the
        figure the policy picks (:mod:`ledger.domain.replay`); then what the figures imply
        together (derived) and where they disagree. Disputed figures give way unless
        ``include_disputed``; they are marked either way (docs/evidence.md).

        One read transaction: the evidence, the candidate rows of every timeline (one
        statement), the figures before the cumulative ones (one statement), the relations,
        retractions and undated statements.
        """
        with self.view.reading() as query:
            if matter_id is None:
                matter_id = self.only_matter(query)  # type: ignore[attr-defined]
            versions, links = query.many([self.matter_query(matter_id),  # type: ignore[attr-defined]
                                          self.link_query(snapshot)])  # type: ignore[attr-defined]
            matter = self.matter_from(matter_id, versions, snapshot)  # type: ignore[attr-defined]
            disputed, restated = self.evidence(matter["id"], snapshot, query, links)  # type: ignore[attr-defined]
            rows = QueryRows(query, self.one_statement, matter)
            return self.picture(matter, rows, snapshot, stale_days, include_disputed, disputed, restated)

    def statuses(self, matter_id: str | None, snapshot: Snapshot, days: Iterable[str],
                 stale_days: int | None = None, include_disputed: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(day, status)`` for each of ``days`` (ISO text, best in increasing order), with
        ``snapshot``'s knowledge: what :meth:`status` answers on each day."""
        days = list(days)
        if not days:
            return
        at = self.pictures(matter_id, snapshot, max(days), stale_days, include_disputed)
        for day in days:
            yield day, at(day)[0]

    def pictures(self, matter_id: str | None, snapshot: Snapshot, last_day: str, stale_days: int | None = None,
                 include_disputed: bool = False, figures: bool = True,
                 matter: dict[str, Any] | None = None,
                 query: Any = None) -> Callable[[str], tuple[dict[str, Any], dict[str, rp.Replayed]]]:
        """A function of a day (ISO text, up to ``last_day``) giving the status on that day with
        ``snapshot``'s knowledge, and its replayed timelines: the matter's rows are read once
        (:class:`~ledger.readmodel.picture_rows.PreloadedRows`), each day is answered in memory.
        ``figures=False``: the status holds only its ``discrepancies`` (what ``check`` follows);
        ``matter``: the matter as :meth:`matter` gives it at ``snapshot``, when already read;
        ``query``: the read transaction to read the rows in (else one of their own)."""
        if matter is None:
            matter = self.matter(matter_id, snapshot)  # type: ignore[attr-defined]
        with nullcontext(query) if query is not None else self.view.reading() as reading:
            disputed, restated = self.evidence(matter["id"], snapshot, reading)  # type: ignore[attr-defined]
            rows = PreloadedRows(reading, matter, snapshot, last_day)

        def at(day: str) -> tuple[dict[str, Any], dict[str, rp.Replayed]]:
            return self.replay_picture(matter, rows, snapshot.on_day(day), stale_days, include_disputed,
                                       disputed, restated, figures)
        return at

    def picture(self, matter: dict[str, Any], rows: Any, snapshot: Snapshot, stale_days: int | None,
                include_disputed: bool, disputed: dict[str, list[str]],
                restated: dict[str, str]) -> dict[str, Any]:
        """The status of ``matter`` at ``snapshot`` from ``rows`` (a
        :mod:`~ledger.readmodel.picture_rows` source) and the evidence read for the snapshot."""
        return self.replay_picture(matter, rows, snapshot, stale_days, include_disputed, disputed, restated)[0]

    def replay_picture(self, matter: dict[str, Any], rows: Any, snapshot: Snapshot, stale_days: int | None,
                       include_disputed: bool, disputed: dict[str, list[str]], restated: dict[str, str],
                       figures: bool = True) -> tuple[dict[str, Any], dict[str, rp.Replayed]]:
        """:meth:`picture`, with the replayed timelines it was made from. With a memo (``rows.memo``,
        many days of one snapshot), what does not depend on the day is computed once per set of
        candidate rows: each timeline settled, and the reconciliation of the picture."""
        rule = self.evidence_rule(snapshot, disputed, restated, include_disputed)  # type: ignore[attr-defined]
        memo = rows.memo
        keys = rp.timelines(matter["categories"])
        fetched = rows.candidates(keys, rule)
        replayed = {key: rp.replay_timeline_rows(matter, key, fetched[key], rule, stale_days, memo) for key in keys}
        parts = {key: rp.picture_parts(r, matter["categories"][key]["kind"] == "cumulative", memo)
                 for key, r in replayed.items()}
        before = {key: start for key, (_, start) in parts.items() if start is not None}
        picture: dict[str, Row | None] = {key: row for key, (row, _) in parts.items()}
        previous, relations, retracted, undated = rows.context(
            before, [row["statement_id"] for row in picture.values() if row],
            [c for c, row in picture.items() if row is None], rule)
        core_key = None
        if memo is not None:
            core_key = (tuple(id(fetched[key]) for key in keys),  # memo.settled keeps them alive
                        tuple(None if row is None else id(row) for row in previous.values()))
        reconciled = memo.pictures.get(core_key) if memo is not None else None
        if reconciled is None:
            reconciled = self._reconciled(matter, picture, relations, rule, replayed, previous, stale_days)
            if memo is not None:
                memo.pictures[core_key] = reconciled
        discrepancies = [d for r in replayed.values() for d in r.discrepancies] + reconciled["discrepancies"]
        if not figures:
            return {"discrepancies": discrepancies}, replayed
        no_figure = {}
        for category in (c for c, row in picture.items() if row is None and c not in reconciled["derived"]):
            violated = any(d["kind"] == "relation_violated" and category in d["categories"]
                           for d in reconciled["discrepancies"])
            no_figure[category] = ("not_derivable" if violated else "retracted" if category in retracted
                                   else "never_stated")
        return {
            "matter": matter["id"],
            "title": matter["title"],
            "as_of": snapshot.day,
            "known_at": snapshot.known_at,
            "policy": snapshot.policy,
            "window_days": snapshot.window_days,
            "figures": mark_disputed({c: rp.status_figure(replayed[c], figure_result(replayed[c].standing or row))
                                      if row else None for c, row in picture.items()}, disputed),
            "derived": reconciled["derived"],
            "discrepancies": discrepancies,
            "no_figure": no_figure,
            "undated_statements_excluded": undated,
        }, replayed

    @staticmethod
    def _reconciled(matter: dict[str, Any], picture: dict[str, Row | None], relations: dict[str, list[str]],
                    rule: Snapshot, replayed: dict[str, rp.Replayed], previous: dict[str, Row | None],
                    stale_days: int | None) -> Row:
        """What reconciliation makes of the picture (nothing here depends on the day)."""
        same_date = {key: [row for row in r.rows if r.standing is not None and row["qualifier"] != "change"
                           and (row["as_of_start"], row["as_of_end"]) ==
                           (r.standing["as_of_start"], r.standing["as_of_end"])
                           and row["statement_id"] != r.standing["statement_id"]
                           and row.get("rank") != "deprecated"]
                     for key, r in replayed.items()}
        same_date = independent_same_date(same_date, picture, dict(rule.restates))
        return reconcile(matter, picture, relations, stale_days, previous, same_date)
