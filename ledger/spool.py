"""The spool of one ``ledger record`` call: checked statements waiting to be appended.

The first of them are kept in memory, up to :data:`MEMORY_BYTES` of documents and
:data:`MEMORY_IDS` ids; the rest go to a temporary SQLite file (deleted on close), so
that memory stays bounded however many statements a call holds (see :mod:`ledger.ingest`)
while a call of ordinary size never pays for the file (a tenth of a 10k-statement
``record`` went to spooling rows and reading them back).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import orjson

from ledger.canonical import json_bytes
from ledger.domain.documents import Statement as StatementDocument
from ledger.inputs import InputProblem, Located, format_path

MEMORY_BYTES = 16 * 2**20  # documents and spans held in memory before the spool spills to its file
MEMORY_IDS = 20_000  # ids seen in this call held in memory (with their digest and place) before spilling


class Spooled(NamedTuple):
    """A checked statement as spooled: its id, its document and the ``spans`` of its event,
    both as JSON (:func:`spooled`), which the append stores as they are."""

    statement_id: str
    data: bytes  # the document as JSON
    exact: bool  # written by orjson, which reads it back exactly (else json, for integers beyond 64 bits)
    spans_data: bytes  # the event's spans as JSON (offsets only)

    @property
    def document(self) -> dict[str, Any]:
        return orjson.loads(self.data) if self.exact else json.loads(self.data)

    @property
    def spans(self) -> Any:
        return orjson.loads(self.spans_data)


def spooled(document: dict[str, Any], spans: Any = None) -> Spooled:
    """A checked document and its event's spans (None if not computed), encoded once."""
    try:
        data, exact = orjson.dumps(document), True
    except TypeError:  # an integer beyond 64 bits (orjson writes only what it reads back exactly)
        data, exact = json_bytes(document), False
    return Spooled(document["id"], data, exact, json_bytes(spans) if spans is not None else b"null")


class Spool:
    """Checked documents waiting to be appended, and the ids seen so far in this call."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="ledger-spool-")
        self.db = sqlite3.connect(os.path.join(self._folder.name, "spool.db"), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE seen (statement_id TEXT PRIMARY KEY, digest TEXT, place TEXT)")
        self.db.execute("CREATE TABLE queue (seq INTEGER PRIMARY KEY, statement_id TEXT, document BLOB, "
                        "exact INT, spans BLOB)")
        # Links waiting for their targets to be known (the whole call, or the batch with --batch-commit).
        self.db.execute("CREATE TABLE links (statement_id TEXT, type TEXT, target TEXT, file TEXT, path TEXT, "
                        "line INT)")
        self.db.execute("CREATE TABLE deferred (seq INTEGER PRIMARY KEY, file TEXT, base TEXT, line INT, "
                        "document TEXT)")
        self.queued = 0
        # The first documents queued, before any spilled to the file: their ids, documents and
        # spans end to end in one buffer, and where each ends (three offsets a document), not
        # as objects of their own: thousands of small objects kept alive among a chunk's
        # garbage pin the allocator's arenas (a 10k-statement call took 176 MB instead of 86).
        self._buffer = bytearray()
        self._ends = array("Q")
        self._exact = bytearray()
        self._queue_spilled = False
        self._seen: dict[str, tuple[str, str]] = {}  # the first ids seen: digest, place
        self._seen_spilled = False

    def seen(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        """The ids among ``ids`` seen before in this call (:meth:`remember`): digest, place."""
        found = {i: self._seen[i] for i in ids if i in self._seen}
        if self._seen_spilled:
            found.update(self._seen_in_file([i for i in ids if i not in found]))
        return found

    def _seen_in_file(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self.db.execute(
                f"SELECT statement_id, digest, place FROM seen WHERE statement_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((row[0], (row[1], row[2])) for row in rows)
        return found

    def remember(self, rows: list[tuple[str, str, str]]) -> None:
        """Note ids seen (id, digest, place); an id already noted keeps its first place."""
        rows = [row for row in rows if row[0] not in self._seen]
        room = 0 if self._seen_spilled else max(MEMORY_IDS - len(self._seen), 0)
        for statement_id, digest, place in rows[:room]:
            self._seen.setdefault(statement_id, (digest, place))
        if len(rows) > room:
            self._seen_spilled = True
            with self._chunk():
                self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", rows[room:])

    def push(self, items: list[Spooled]) -> None:
        """Queue checked documents (:func:`spooled`), in memory while they fit, then in the file."""
        if not self._queue_spilled:
            size = sum(len(item.data) + len(item.spans_data) for item in items)
            if len(self._buffer) + size <= MEMORY_BYTES:
                buffer, ends = self._buffer, self._ends
                for item in items:
                    buffer += item.statement_id.encode()
                    ends.append(len(buffer))
                    buffer += item.data
                    ends.append(len(buffer))
                    buffer += item.spans_data
                    ends.append(len(buffer))
                    self._exact.append(item.exact)
                self.queued += len(items)
                return
            self._queue_spilled = True  # from now on in the file, so that the order is kept
        with self._chunk():
            self.db.executemany("INSERT INTO queue (statement_id, document, exact, spans) VALUES (?, ?, ?, ?)",
                                items)
        self.queued += len(items)

    @contextmanager
    def _chunk(self) -> Iterator[None]:
        """One transaction for a chunk's rows (autocommit made each row its own: 86 µs a document)."""
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def defer(self, item: Located) -> None:
        """Keep a statement whose matter is not known yet (it may come later in the call),
        with the lines of the places a later problem may point at."""
        statement: StatementDocument = item.document  # type: ignore[assignment]
        places = [(), ("id",), ("matter",)] + [("figures", c) for c in statement.figures]
        places += [("relations", i) for i in range(len(statement.relations))]
        places += [("figures", c, "span") for c in statement.figures]
        places += [p for i in range(len(statement.links)) for p in (("links", i), ("links", i, "statement"))]
        lines = [[list(place), item.problem(place, "").line] for place in places]
        self.db.execute("INSERT INTO deferred (file, base, line, document) VALUES (?, ?, ?, ?)",
                        (item.file, json.dumps(item.base), json.dumps(lines), item.document.model_dump_json()))

    def deferred(self) -> Iterator[Located]:
        for file, base, lines, document in self.db.execute("SELECT file, base, line, document FROM deferred"):
            found = {tuple(place): line for place, line in json.loads(lines)}
            yield _Deferred(file, tuple(json.loads(base)), None, found[()],
                            StatementDocument.model_validate_json(document), found)

    def batches(self, size: int) -> Iterator[list[Spooled]]:
        """The queue in order, ``size`` documents at a time: those in memory, then the file's
        (the batch across the two is as full as the others)."""
        in_memory = len(self._exact)
        whole = in_memory - in_memory % size
        for start in range(0, whole, size):
            yield self._in_memory(start, start + size)
        batch, after = self._in_memory(whole, in_memory), 0
        while True:
            rows = self.db.execute("SELECT seq, statement_id, document, exact, spans FROM queue WHERE seq > ? "
                                   "ORDER BY seq LIMIT ?", (after, size - len(batch))).fetchall()
            if not rows:
                break
            after = rows[-1][0]
            batch += [Spooled(statement_id, data, bool(exact), spans) for _, statement_id, data, exact, spans in rows]
            yield batch
            batch = []
        if batch:
            yield batch

    def _in_memory(self, start: int, stop: int) -> list[Spooled]:
        """Documents ``start`` to ``stop`` (exclusive) of those held in memory."""
        buffer, ends, items = self._buffer, self._ends, []
        begin = ends[3 * start - 1] if start else 0
        for index in range(start, stop):
            id_end, data_end, spans_end = ends[3 * index:3 * index + 3]
            items.append(Spooled(buffer[begin:id_end].decode(), bytes(buffer[id_end:data_end]),
                                 bool(self._exact[index]), bytes(buffer[data_end:spans_end])))
            begin = spans_end
        return items

    def note_links(self, rows: list[tuple[str, str, str, str, str, int | None]]) -> None:
        self.db.executemany("INSERT INTO links VALUES (?, ?, ?, ?, ?, ?)", rows)

    def take_links(self) -> list[tuple[str, str, str, str, str, int | None]]:
        rows = self.db.execute("SELECT * FROM links").fetchall()
        self.db.execute("DELETE FROM links")
        return rows

    def close(self) -> None:
        self.db.close()
        self._folder.cleanup()


class _Deferred(Located):
    """A statement read back from the spool: its lines were noted when it was read."""

    def __init__(self, file: str, base: tuple[Any, ...], node: None, line: int | None,
                 document: StatementDocument, lines: dict[tuple[Any, ...], int | None]):
        super().__init__(file, base, node, line, document)
        self.lines = lines

    def problem(self, subpath: tuple[Any, ...], message: str) -> InputProblem:
        line = self.lines.get(subpath, self.line)
        return InputProblem(self.file, format_path(self.base + subpath), line, message)
