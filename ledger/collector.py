"""How often the cyclic garbage collector runs during long bulk work (one place for the rule).

The ledger's bulk work (recording, rebuilding, checking) allocates many small objects that
either die young or live until the work ends, and makes no cycles worth collecting early.
With CPython's default thresholds (700, 10, 10) the collector traverses the whole heap again
and again as it grows: a fifth to a third of the CPU of such work. Measured in BENCHMARKS.md.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 20_000  # allocations between young collections while bulk work runs


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The collector less often while the block runs: young garbage is still collected, every
    :data:`YOUNG_THRESHOLD` allocations (memory stays flat), and full collections of the heap
    become rare. Record: 11 full collections in a call of 10,000 statements (2 s of its 6.6 s
    CPU) before; check of a 100k-statement ledger: 38.4 s -> 32.5 s in one process."""
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], YOUNG_THRESHOLD), previous[1], previous[2])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


YOUNG_OBJECTS_BETWEEN_CHUNKS = 500_000  # objects the young generation may grow by before a collection


@contextmanager
def collected_between_chunks(limit: int = YOUNG_OBJECTS_BETWEEN_CHUNKS) -> Iterator[Callable[[], None]]:
    """No automatic collection while the block runs; it gets a function to call between
    chunks of work, where the last chunk's objects are gone, which collects the young
    generations once they hold ``limit`` more objects than after the last collection. For
    work in chunks that makes (almost) no cycles, such as recording (a call of 10,000
    statements leaves ~200 objects to the collector, and ~1,200 live ones per chunk):
    automatic collections came in the middle of chunks and traversed their live objects again
    and again (a tenth of a ``record``'s CPU, BENCHMARKS.md Round 8). Cyclic garbage, if any, is
    still collected: memory stays bounded (by ``limit`` objects), whatever the size of the work."""

    def between_chunks() -> None:
        if not gc.isenabled() and gc.get_count()[0] >= limit:
            gc.collect(1)

    with collector_paused():
        yield between_chunks


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection at all while the block runs: for work whose objects all live until
    it ends (a page of a rebuild, read, turned into rows and written), where the collector would
    only traverse them again and again (a third of the CPU of building the rows)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
