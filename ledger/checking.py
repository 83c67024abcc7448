"""``check`` of many matters, in worker processes beside this one.

A check replays every matter on its own (:meth:`ledger.readmodel.check.CheckQueries.check`):
nothing one matter finds depends on another, so matters can be checked in parallel. Each
worker opens the same ledger (read only: it never catches up or writes) and checks the
matters it is handed; the parent puts the findings back in the order a check in one process
gives (by matter, then first seen, then kind: the same stable sort over the same lists), so the
output does not depend on the number of workers. Each matter is read when it is checked,
in one process or many alike.

Workers pay off only on big ledgers (starting one costs an interpreter and the imports,
about half a second): with ``jobs=None`` the check stays in this process below
:data:`PARALLEL_MIN_STATEMENTS` statements, and an in-memory SQLite ledger, which no other
process can open, always does.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from ledger.collector import fewer_collections
from ledger.readmodel import Snapshot, TimelineReadModel
from ledger.readmodel.check import check_order, progress_weight

PARALLEL_MIN_STATEMENTS = 5000
CHUNKS_PER_WORKER = 8  # the first chunks' share: a steady progress bar, chunks shrinking after
Progress = Callable[[int, int], None]
Item = dict[str, Any]


def default_jobs() -> int:
    """One worker per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_matters(url: str | None, model: TimelineReadModel, matter_id: str | None, snapshot: Snapshot,
                  stale_days: int | None = None, progress: Progress | None = None,
                  include_disputed: bool = False, jobs: int | None = None) -> list[Item]:
    """What ``model.check`` answers, with the matters shared among ``jobs`` worker processes
    (``None``: one per CPU on a big ledger, see the module docstring; 1: this process)."""
    sizes: dict[str, int] = {}
    matter_ids: list[str] = []
    workers = 1
    if matter_id is None and not (jobs is not None and jobs <= 1) and not _in_memory(url):
        sizes = {m["matter"]: m["statements"] for m in model.matters(snapshot)}
        matter_ids = list(sizes)
        workers = _workers(len(matter_ids), sum(sizes.values()), jobs)
    with fewer_collections():
        if workers <= 1:
            return model.check(matter_id, snapshot, stale_days, progress=progress, include_disputed=include_disputed)
        found = _check_in_workers(url, matter_ids, sizes, workers, snapshot, stale_days, progress, include_disputed)
    found.sort(key=check_order)
    return found


def _check_in_workers(url: str | None, matter_ids: list[str], sizes: dict[str, int], workers: int,
                      snapshot: Snapshot, stale_days: int | None, progress: Progress | None,
                      include_disputed: bool) -> list[Item]:
    """The findings of every matter, checked by ``workers`` processes, in the order of ``matter_ids``."""
    chunks = biggest_first(matter_ids, sizes, workers * CHUNKS_PER_WORKER)
    by_matter: dict[str, list[Item]] = {}
    done, total = 0, sum(progress_weight(sizes.get(mid, 0)) for mid in matter_ids)
    context = multiprocessing.get_context("spawn")  # a fork would share this process's connections
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_open, initargs=(url,)) as pool:
        futures = [pool.submit(_check, chunk, snapshot, stale_days, include_disputed) for chunk in chunks]
        for future in as_completed(futures):
            checked = future.result()
            by_matter.update(checked)
            done += sum(progress_weight(sizes.get(mid, 0)) for mid in checked)
            if progress is not None:
                progress(done, total)
    return [item for mid in matter_ids for item in by_matter[mid]]


def biggest_first(matter_ids: list[str], sizes: dict[str, int], parts: int) -> list[list[str]]:
    """Chunks of matters, the biggest matters first and each chunk about ``1/parts`` of the
    work still to hand out (statements; never under an eighth of an even share): workers take
    chunks in this order, so the chunks shrink towards the end and no worker is left alone
    with a big one while the other idles (a matter of 6,466 statements takes a second to check,
    the median one of 45 a few milliseconds)."""
    def weight(mid: str) -> int:
        return max(1, sizes.get(mid, 0))

    order = sorted(matter_ids, key=lambda m: -sizes.get(m, 0))
    remaining = sum(weight(m) for m in order)
    floor = max(1, remaining // (max(1, parts) * 8))
    chunks: list[list[str]] = []
    filled = target = 0
    for mid in order:
        if filled >= target:
            target, filled = max(floor, remaining // max(1, parts)), 0
            chunks.append([])
        chunks[-1].append(mid)
        filled += weight(mid)
        remaining -= weight(mid)
    return chunks


def _workers(matters: int, statements: int, jobs: int | None) -> int:
    if jobs is None:
        if statements < PARALLEL_MIN_STATEMENTS:
            return 1
        jobs = default_jobs()
    return max(1, min(jobs, matters))


def _in_memory(url: str | None) -> bool:
    from ledger.storage import parse_url

    database = parse_url(url)
    name = database.settings.get("SQLITE_DBNAME", "")
    return database.backend == "sqlite" and (name == ":memory:" or "mode=memory" in name)


# --- in the worker processes --------------------------------------------------------------

_model: TimelineReadModel | None = None


def _open(url: str | None) -> None:
    global _model
    from ledger.application import Ledger

    _model = TimelineReadModel(Ledger(url).view)  # closed with the process


def _check(matter_ids: list[str], snapshot: Snapshot, stale_days: int | None,
           include_disputed: bool) -> dict[str, list[Item]]:
    assert _model is not None
    with fewer_collections():
        found = _model.check_each(matter_ids, snapshot, stale_days, include_disputed)
        return dict(zip(matter_ids, found, strict=True))
