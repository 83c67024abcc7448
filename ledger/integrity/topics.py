"""Only the ledger's own event classes may be resolved from a stored topic.

eventsourcing's mapper turns a stored topic (``module:Class``) into a class with
``resolve_topic``, which imports the module: a forged row with topic ``this:s`` would
make every reader import it. :class:`LedgerMapper` checks the topic (and a created
event's ``originator_topic``) against an allow-list before anything is resolved, and
turns any failure to decode a stored event into :class:`LogDamagedError`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent
from eventsourcing.utils import get_topic

from ledger.domain.aggregates import Matter, Statement, recorded_event, statement_uuid
from ledger.integrity.errors import LogDamagedError

AGGREGATES = (Matter, Statement)


def _event_classes(aggregate: type) -> list[type]:
    return [value for value in vars(aggregate).values()
            if isinstance(value, type) and issubclass(value, DomainEvent)]


AGGREGATE_TOPICS: frozenset[str] = frozenset(get_topic(a) for a in AGGREGATES)
EVENT_TOPICS: frozenset[str] = frozenset(get_topic(c) for a in AGGREGATES for c in _event_classes(a))
_TOPICS: dict[type, str] = {c: get_topic(c) for a in AGGREGATES for c in _event_classes(a)}
# Topics whose stored state is the event's attributes as they are (no upcasting to do).
_PLAIN_TOPICS: frozenset[str] = frozenset(get_topic(c) for a in AGGREGATES for c in _event_classes(a)
                                          if getattr(c, "class_version", 1) == 1)


def check_stored_event(stored: Any, topics: bool = True) -> None:
    """Raise :class:`LogDamagedError` unless the row has the types (and a topic) the ledger writes."""
    position = getattr(stored, "id", None)
    if not isinstance(stored.topic, str) or topics and stored.topic not in EVENT_TOPICS:
        raise LogDamagedError(position, f"topic {str(stored.topic)[:80]!r} is not one of the ledger's event types")
    if not isinstance(stored.state, bytes | bytearray | memoryview):
        raise LogDamagedError(position, f"state is stored as {type(stored.state).__name__}, not bytes")
    if type(stored.originator_version) is not int:
        raise LogDamagedError(position, f"version is stored as {type(stored.originator_version).__name__}")
    if position is not None and type(position) is not int:
        raise LogDamagedError(None, f"a position is stored as {type(position).__name__}: {position!r}")


EVENT_CLASSES: frozenset[type] = frozenset(c for a in AGGREGATES for c in _event_classes(a))
_STATEMENT_TOPIC = get_topic(Statement)
_FAST = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS


class LedgerMapper(Mapper):  # type: ignore[type-arg]
    """The library's mapper, restricted to the ledger's own topics; damage is a typed error."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        """The library's stored event, its state encoded by orjson for the ledger's own events
        (2-3x faster than the JSON transcoder, the same bytes: compact separators, UTF-8
        unescaped; anything not plain JSON, the timestamp included, goes through the
        transcoder's own encoding of it). Their state holds documents, spans and text only;
        anything else (a nested datetime, an integer beyond 64 bits) takes the library's path."""
        cls = type(domain_event)
        if (cls not in EVENT_CLASSES or self.compressor or self.cipher or getattr(cls, "class_version", 1) > 1
                or type(self.transcoder) is not JSONTranscoder):
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        transcodings = self.transcoder.types  # type: ignore[attr-defined]
        for key, value in state.items():
            transcoding = transcodings.get(type(value))
            if transcoding is not None:  # the timestamp (as the transcoder's ``default`` writes it)
                state[key] = {"_type_": transcoding.name, "_data_": transcoding.encode(value)}
        try:
            data = orjson.dumps(state, option=_FAST)
        except TypeError:  # a type orjson would write otherwise than the transcoder, or a big integer
            return super().to_stored_event(domain_event)
        return StoredEvent(originator_id=originator_id, originator_version=originator_version,
                           topic=_TOPICS[cls], state=data)

    def stored_recorded(self, statement_id: str, document_json: bytes, recorded_by: str, spans_json: bytes,
                        timestamp: datetime | None = None) -> StoredEvent:
        """The stored ``Statement.Recorded`` event of a document that orjson has already written
        (the spool's bytes, as :func:`recorded_event` would be stored): byte for byte what
        ``to_stored_event`` gives, assembled around those bytes instead of decoding the document
        and encoding it again (a tenth of a bulk ``record``). A compressed or enciphered mapper
        takes the general path."""
        if (self.compressor or self.cipher or type(self.transcoder) is not JSONTranscoder
                or getattr(Statement.Recorded, "class_version", 1) > 1):
            event = recorded_event(orjson.loads(document_json), recorded_by, orjson.loads(spans_json))
            return self.to_stored_event(event)
        transcoding = self.transcoder.types[datetime]  # type: ignore[attr-defined]
        when = Statement.Recorded.create_timestamp() if timestamp is None else timestamp
        head = orjson.dumps({"timestamp": {"_type_": transcoding.name, "_data_": transcoding.encode(when)},
                             "originator_topic": _STATEMENT_TOPIC})
        state = b"".join((head[:-1], b',"document":', document_json, b',"recorded_by":', orjson.dumps(recorded_by),
                          b',"spans":', spans_json, b"}"))
        return StoredEvent(originator_id=statement_uuid(statement_id), originator_version=Statement.INITIAL_VERSION,
                           topic=_TOPICS[Statement.Recorded], state=state)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        check_stored_event(stored_event)
        position = getattr(stored_event, "id", None)
        try:
            event = super().to_domain_event(stored_event)
        except Exception as e:  # noqa: BLE001 - any failure to decode is damage, reported with its place
            raise LogDamagedError(position, f"the state cannot be decoded ({type(e).__name__})") from None
        originator_topic = getattr(event, "originator_topic", None)
        if originator_topic is not None and originator_topic not in AGGREGATE_TOPICS:
            raise LogDamagedError(position, f"aggregate topic {str(originator_topic)[:80]!r} is not the ledger's")
        return event


def event_state(stored: Any) -> dict[str, Any] | None:
    """A stored event's attributes as plain JSON data, decoded without making the domain event
    (a rebuild reads every event; the mapper's object hook and the event object cost more than
    the rows). The same checks as :meth:`LedgerMapper.to_domain_event` come first; ``None``
    when only the mapper can say what the state means (it then decodes it, or reports damage):
    any ``\\u`` escape (a key could hide in one), a typed value besides the ``timestamp``
    (only that one is written by the ledger), a state orjson refuses, a foreign aggregate topic.
    """
    check_stored_event(stored)
    state = bytes(stored.state)
    if stored.topic not in _PLAIN_TOPICS or b"\\u" in state or state.count(b'"_type_"') != 1:
        return None
    try:
        data = orjson.loads(state)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict:
        return None
    timestamp = data.get("timestamp")
    if type(timestamp) is not dict or len(timestamp) != 2 or timestamp.get("_type_") != "datetime_iso":
        return None
    try:
        datetime.fromisoformat(timestamp["_data_"])  # the mapper's decoding, to fail where it fails
    except (KeyError, TypeError, ValueError):
        return None
    originator_topic = data.get("originator_topic")
    if originator_topic is not None and originator_topic not in AGGREGATE_TOPICS:
        return None
    return data
