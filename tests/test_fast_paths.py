"""The fast paths of issue 15 keep the slow paths' meaning."""

from __future__ import annotations

import hashlib
import json

import pytest

from ledger.domain.dates import PartialDate
from ledger.ingest import Spool, _digest


def test_digest_is_canonical_and_copes_with_big_integers() -> None:
    a = {"id": "s-1", "figures": {"dead": 3, "hurt": {"value": 4, "qualifier": "at_least"}}, "quote": "é"}
    b = {"quote": "é", "figures": {"hurt": {"qualifier": "at_least", "value": 4}, "dead": 3}, "id": "s-1"}
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest({**a, "quote": "e"})
    big = {"id": "s-2", "figures": {"dead": 2**70}}  # beyond orjson: falls back to json
    expected = hashlib.sha256(json.dumps(big, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert _digest(big) == expected


def test_spool_round_trips_documents_in_chunks() -> None:
    spool = Spool()
    try:
        documents = [{"id": f"s-{i}", "n": i, "big": 2**70 if i == 3 else i, "text": "ü"} for i in range(7)]
        spool.push(documents[:4])
        spool.push(documents[4:])
        spool.remember([("s-0", "d0", "f:1"), ("s-1", "d1", "f:2")])
        assert [d for batch in spool.batches(3) for d in batch] == documents
        assert spool.seen(["s-0", "s-1", "s-9"]) == {"s-0": ("d0", "f:1"), "s-1": ("d1", "f:2")}
        assert not spool.db.in_transaction
    finally:
        spool.close()


def test_partial_date_parse_is_cached_and_still_refuses_bad_dates() -> None:
    assert PartialDate.parse("2024-02-29") is PartialDate.parse("2024-02-29")
    assert PartialDate.parse(2024) == PartialDate(2024)
    for _ in range(2):  # errors are not cached away
        with pytest.raises(ValueError, match="has 28 days"):
            PartialDate.parse("2023-02-29")
