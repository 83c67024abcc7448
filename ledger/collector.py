"""How often the cyclic garbage collector runs during long bulk work (one place for the rule).

The ledger's bulk work (recording, rebuilding, checking) allocates many small objects that
either die young or live until the work ends, and makes no cycles worth collecting early.
With CPython's default thresholds (700, 10, 10) the collector traverses the whole heap again
and again as it grows: a fifth to a third of the CPU of such work. Measured in BENCHMARKS.md.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
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
