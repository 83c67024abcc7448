"""The garbage-collector rules of bulk work (ledger/collector.py)."""

from __future__ import annotations

import gc
import weakref

from ledger.collector import collected_between_chunks


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_between_chunks_collects_cyclic_garbage_once_the_young_objects_pass_the_limit() -> None:
    was_enabled = gc.isenabled()
    freed: list[int] = []
    collections: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        with collected_between_chunks(limit=1_000) as between_chunks:
            assert not gc.isenabled()  # no automatic collection inside the block
            for chunk in range(50):
                for _ in range(100):  # a chunk leaves 100 cycles behind
                    weakref.finalize(_Node(), freed.append, chunk)
                between_chunks()
                assert gc.get_count()[0] < 1_000  # after each chunk: at most the limit is left uncollected
            assert 0 < len(collections) < 50 and set(collections) == {1}  # not at every call; young ones only
            assert len(freed) >= 4_000  # the cycles of earlier chunks were freed on the way
    finally:
        gc.callbacks.remove(count)
    assert gc.isenabled() == was_enabled
    gc.collect()
    assert len(freed) == 5_000


def test_between_chunks_does_nothing_while_the_young_generation_is_small() -> None:
    with collected_between_chunks(limit=10**9) as between_chunks:
        node = weakref.ref(_Node())
        between_chunks()
        assert node() is not None  # left for later: no collection below the limit
    gc.collect()
    assert node() is None
