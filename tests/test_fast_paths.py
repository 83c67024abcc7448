"""The fast paths of issue 15 keep the slow paths' meaning."""

from __future__ import annotations

import hashlib
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _make_url

from ledger.domain.dates import PartialDate
from ledger.ingest import _digest
from ledger.spool import Spool, spooled


def test_digest_is_canonical_and_copes_with_big_integers() -> None:
    a = {"id": "s-1", "figures": {"dead": 3, "hurt": {"value": 4, "qualifier": "at_least"}}, "quote": "é"}
    b = {"quote": "é", "figures": {"hurt": {"qualifier": "at_least", "value": 4}, "dead": 3}, "id": "s-1"}
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest({**a, "quote": "e"})
    big = {"id": "s-2", "figures": {"dead": 2**70}}  # beyond orjson: falls back to json
    expected = hashlib.sha256(json.dumps(big, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert _digest(big) == expected


@pytest.mark.parametrize("memory", ["in memory", "spilled midway", "in the file"])
def test_spool_round_trips_documents_in_chunks(memory: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Held in memory, spilled to the file part way, or all in the file: the same queue, in
    order, in full batches, and the same ids seen with their first place."""
    documents = [{"id": f"s-{i}", "n": i, "big": 2**70 if i == 3 else i, "text": "ü"} for i in range(7)]
    first = [spooled(d) for d in documents[:4]]
    limits = {"in memory": (10**9, 10**9), "in the file": (0, 0),
              "spilled midway": (sum(len(s.data) + len(s.spans_data) for s in first), 1)}[memory]
    monkeypatch.setattr("ledger.spool.MEMORY_BYTES", limits[0])
    monkeypatch.setattr("ledger.spool.MEMORY_IDS", limits[1])
    spool = Spool()
    try:
        spool.push(first)
        spool.push([spooled(d, {"dead": [0, 1]}) for d in documents[4:]])
        spool.remember([("s-0", "d0", "f:1"), ("s-1", "d1", "f:2")])
        spool.remember([("s-1", "other", "f:9"), ("s-2", "d2", "f:3")])  # s-1 keeps its first place
        assert spool.queued == 7
        assert [len(batch) for batch in spool.batches(3)] == [3, 3, 1]
        assert [s.document for batch in spool.batches(3) for s in batch] == documents  # 2**70 too
        assert [s.spans for batch in spool.batches(3) for s in batch] == [None] * 4 + [{"dead": [0, 1]}] * 3
        assert spool.seen(["s-0", "s-1", "s-2", "s-9"]) == {
            "s-0": ("d0", "f:1"), "s-1": ("d1", "f:2"), "s-2": ("d2", "f:3")}
        in_file = spool.db.execute("SELECT count(*) FROM queue").fetchone()[0]
        ids_in_file = spool.db.execute("SELECT count(*) FROM seen").fetchone()[0]
        assert (in_file, ids_in_file) == {"in memory": (0, 0), "spilled midway": (3, 2), "in the file": (7, 3)}[memory]
        assert not spool.db.in_transaction
    finally:
        spool.close()


def test_partial_date_parse_is_cached_and_still_refuses_bad_dates() -> None:
    assert PartialDate.parse("2024-02-29") is PartialDate.parse("2024-02-29")
    assert PartialDate.parse(2024) == PartialDate(2024)
    for _ in range(2):  # errors are not cached away
        with pytest.raises(ValueError, match="has 28 days"):
            PartialDate.parse("2023-02-29")


def _chart(points: int) -> dict:
    import datetime as dt
    import math

    day = dt.date(2020, 1, 1)
    pts = []
    for i in range(points):
        end = day + dt.timedelta(days=i)
        qualifier = ["exact", "at_least", "at_most", "range", "approx"][i % 5]
        value = None if qualifier == "range" else 100 + i
        low, high = {"exact": (100 + i, 100 + i), "at_least": (100 + i, math.inf), "at_most": (0, 100 + i),
                     "range": (90 + i, 110 + i), "approx": (90 + i, 110 + i)}[qualifier]
        pts.append({"start": end, "end": end, "value": value, "low": low, "high": high, "qualifier": qualifier,
                    "text": f"v{i}", "statement": f"s-{i}", "source": f"src{i % 3}", "as_of": end.isoformat(),
                    "stated_on": end.isoformat()})
    steps = [{"day": day, "low": 0, "high": 50, "text": "<=50"},
             {"day": day + dt.timedelta(days=10), "low": 0, "high": 40, "text": "<=40"}]
    panel = {"category": "dead", "kind": "cumulative", "description": None, "points": pts, "steps": steps,
             "discrepancies": [{"kind": "conflicting_sources", "first_seen": day, "resolved_on": None,
                                "statements": ["s-3"], "message": "m", "hard": True}]}
    return {"matter": "m", "title": "t", "as_of": day + dt.timedelta(days=points + 5), "known_at": None,
            "panels": [panel], "sources": ["src0", "src1", "src2"], "undated": 0, "discrepancies": []}


@pytest.mark.parametrize("points", [10, 1000])
def test_plot_thins_labels_and_draws_many_points_as_density(points: int) -> None:
    pytest.importorskip("matplotlib")
    from ledger import plot

    fig = plot.draw(_chart(points))
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_text().startswith("v")]
    assert len(labels) == min(points, plot.DENSE_LABELS if points > plot.DENSE_POINTS else plot.LABELLED_POINTS)
    if points > plot.DENSE_POINTS:
        assert len(ax.collections) >= 5 and len(ax.lines) < 10  # a few scatters, not a marker per figure
    else:  # one marker line per source and qualifier, with every figure on it
        markers = [line for line in ax.lines if line.get_marker() in plot._QUALIFIER_MARKERS.values()
                   and line.get_mfc() != "none"]
        groups = {(p["source"], p["qualifier"]) for p in _chart(points)["panels"][0]["points"]}
        assert len(markers) == len(groups) and sum(len(line.get_xdata()) for line in markers) == points


def test_plot_draws_an_at_most_status_at_its_bound_not_at_zero() -> None:
    pytest.importorskip("matplotlib")
    from ledger import plot

    fig = plot.draw(_chart(5))
    step_lines = [line for line in fig.axes[0].lines if line.get_drawstyle() == "steps-post"]
    assert step_lines and list(step_lines[0].get_ydata())[:2] == [50, 40]
    assert plot._step_line(0, 12) == 12 and plot._step_line(5, math.inf) == 5 and plot._step_line(7, 9) == 7


def test_bulk_append_paths_keep_order_ids_and_links(db_url: str, tmp_path: Path) -> None:
    """Batches of several events take the bulk path (SQLite executemany; PostgreSQL COPY into
    the staging table + <events>_append_staged()), single events the one-by-one path: the ids
    returned are the log's positions in the batch's order, and every link verifies."""
    from eventsourcing.persistence import StoredEvent

    from ledger.application import Ledger
    from ledger.inputs import iter_inputs
    from scripts.generate import write_workload

    write_workload(tmp_path / "w", matters=3, statements=60, seed=3)
    with Ledger(db_url) as source:
        source.record(iter_inputs([str(tmp_path / "w" / "record")]), recorded_by="test")
        stored = [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
                  for n in source.app.recorder.select_notifications(0, 10**6, inclusive_of_start=False)]
    backend = "sqlite" if db_url.startswith("sqlite") else "postgres"
    (tmp_path / "t").mkdir()
    for target_url in _make_url(backend, tmp_path / "t"):  # a second, empty log (dropped after)
        _append_again(target_url, stored)


def _append_again(target_url: str, stored: list[Any]) -> None:
    """The same events into another log: one alone, then batches of 1, 7 and the rest."""
    from ledger.application import Ledger
    from ledger.integrity.verify import verify_chain

    with Ledger(target_url) as target:
        recorder = target.app.recorder
        returned: list[int] = []
        for chunk in (stored[:1], stored[1:2], stored[2:9], stored[9:]):
            returned += list(recorder.insert_events(chunk))
        log = recorder.select_notifications(0, 10**6, inclusive_of_start=False)
        assert returned == [n.id for n in log]
        assert [(n.originator_id, n.originator_version) for n in log] == [
            (e.originator_id, e.originator_version) for e in stored]
        assert verify_chain(recorder, target.app.mapper).problems == []


def test_recorded_event_is_the_event_the_aggregate_would_emit() -> None:
    """Bulk recording builds ``Statement.Recorded`` without the aggregate: same fields, same order."""
    from ledger.domain.aggregates import Statement, recorded_event

    document = {"id": "s-1", "matter": "m", "figures": {"dead": 3}, "quote": "3 died"}
    spans = {"dead": {"status": "found", "numbers": {"value": [0, 1]}, "absent": []}}
    pending = Statement(document=document, recorded_by="me", spans=spans).collect_events()[0]
    built = recorded_event(document, "me", spans)
    assert type(built) is type(pending)
    assert list(vars(built)) == list(vars(pending))
    assert {**vars(built), "timestamp": None} == {**vars(pending), "timestamp": None}
    assert built.timestamp.tzinfo is not None and built.timestamp >= pending.timestamp


def test_mapper_fast_path_writes_the_transcoders_bytes() -> None:
    """``LedgerMapper.to_stored_event`` (orjson) gives byte for byte what the library's mapper
    gives, for every event type and awkward text; what orjson cannot write takes the library's path."""
    from eventsourcing.persistence import Mapper

    from ledger.application import LedgerApp
    from ledger.domain.aggregates import Matter, Statement, recorded_event

    app = LedgerApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    library = Mapper(app.mapper.transcoder)
    text = "é \u2028 \"q\" \\ \t\n 😀 \x7f \u0085"
    statement = Statement(document={"id": "s-1", "quote": text, "figures": {"dead": 2**60}}, recorded_by=text)
    statement.correct(document={"id": "s-1", "quote": "x"}, recorded_by="b", reason=text)
    statement.link("cites", "s-2", reason="r", recorded_by="b")
    statement.unlink("cites", "s-2", reason="r", recorded_by="b")
    statement.set_rank("preferred", "r", "b")
    statement.retract(statement_id="s-1", recorded_by="b", reason="r")
    matter = Matter(document={"id": "m", "categories": {"dead": {"kind": "cumulative"}}}, recorded_by="a")
    matter.revise(document={"id": "m", "categories": {}}, recorded_by="a")
    events = [*statement.collect_events(), *matter.collect_events(),
              recorded_event({"id": "s-3", "figures": {"dead": 2**70}}, "a", None)]  # beyond orjson
    from ledger.integrity.topics import EVENT_CLASSES

    # every event type the ledger stores (Event and Created are only bases)
    assert {type(e) for e in events} == {c for c in EVENT_CLASSES if c.__name__ not in ("Event", "Created")}
    for event in events:
        assert app.mapper.to_stored_event(event) == library.to_stored_event(event)
        assert vars(app.mapper.to_domain_event(app.mapper.to_stored_event(event))) == vars(event)
    app.close()


@pytest.mark.parametrize("spans", [None, {"dead": {"status": "found", "numbers": {"value": [0, 1]}, "absent": []}}])
def test_recorded_events_stored_from_the_spool_are_the_mappers_bytes(spans: Any) -> None:
    """A ``Recorded`` event stored from the spool's bytes (``LedgerMapper.stored_recorded``) is
    byte for byte the library mapper's stored event of the same event; a compressed mapper
    takes the general path and still reads back the same event."""
    from eventsourcing.persistence import Mapper

    from ledger.application import LedgerApp
    from ledger.domain.aggregates import recorded_event

    text = "é \u2028 \"q\" \\ \t\n 😀 \x7f \u0085"
    document = {"id": "s-1", "matter": "m", "quote": text, "figures": {"dead": 3, "hurt": {"value": 1.5}}}
    event = recorded_event(document, text, spans)
    for env in ({}, {"COMPRESSOR_TOPIC": "zlib"}):
        app = LedgerApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo", **env})
        item = spooled(document, spans)
        stored = app.mapper.stored_recorded(item.statement_id, item.data, text, item.spans_data, event.timestamp)
        if not env:
            assert stored == Mapper(app.mapper.transcoder).to_stored_event(event)
        decoded = app.mapper.to_domain_event(stored)
        assert {**vars(decoded), "timestamp": None} == {**vars(event), "timestamp": None}
        app.close()


def test_plain_digits_find_what_the_full_scan_finds() -> None:
    """For ASCII quotes with no comma before a digit, each value's mentions, computed on
    demand, are those of the scan of every number (leading zeros, 3.5, a12, x_1, 0, 00...)."""
    import random

    from ledger.domain.spans import _COMMA_DIGIT, _by_value, _digit_numbers, _PlainDigits

    rng = random.Random(15)
    alphabet = "0000111234567899 .,_a-x:;(\n"
    checked = 0
    for _ in range(20_000):
        quote = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        if _COMMA_DIGIT.search(quote):
            continue
        full = _by_value(_digit_numbers(quote))
        plain = _PlainDigits(quote)
        for value in list(full) + [0, 1, 7, 10, 12, 100, -1, 10**20]:
            assert plain.get(value, []) == full.get(value, []), (quote, value)
            checked += 1
    assert checked > 50_000


@pytest.mark.parametrize("statement_id", ["s-1", "", "é-中", "x" * 300, "s-0000001"])
def test_statement_uuid_is_uuid5(statement_id: str) -> None:
    from uuid import uuid5

    from ledger.domain.aggregates import _NAMESPACE, statement_uuid

    assert statement_uuid(statement_id) == uuid5(_NAMESPACE, f"statement:{statement_id}")
    assert statement_uuid(statement_id).version == 5


def test_link_hash_is_the_documented_formula() -> None:
    """``link_hash`` hashes one string: previous link, position, topic, aggregate id (hex),
    version, each followed by a unit separator, then the sha256 of the state
    (docs/integrity.md), as the PostgreSQL function computes it too."""
    import uuid

    from eventsourcing.persistence import StoredEvent

    from ledger.chain import GENESIS, link_hash

    rng = random.Random(7)
    previous = GENESIS
    for position in (1, 2, 10, 999_999_999_999):
        event = StoredEvent(originator_id=uuid.UUID(int=rng.getrandbits(128)), originator_version=rng.randint(1, 10**6),
                            topic=rng.choice(["ledger.domain.aggregates:Statement.Recorded", "x:Ünïcode"]),
                            state=rng.randbytes(rng.randint(0, 3000)))
        digest = hashlib.sha256()
        for part in (previous, str(position), event.topic, event.originator_id.hex, str(event.originator_version)):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x1f")
        digest.update(hashlib.sha256(event.state).digest())
        assert link_hash(previous, position, event) == digest.hexdigest()
        previous = digest.hexdigest()
