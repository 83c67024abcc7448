"""The hash-chaining application recorder for PostgreSQL (see :mod:`ledger.chain`).

Kept apart from :mod:`ledger.chain` so that a SQLite ledger never imports psycopg.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry

from ledger.chain import GENESIS, clamp_times

STAGING = "ledger_append_staging"  # the writer's temporary table of a batch being appended
COPY_FROM = 2  # batches of this many events or more go by COPY + <events>_append_staged()

# The link hash of :func:`ledger.chain.link_hash`, computed by the database.
_LINK_SQL = (
    "encode(sha256(convert_to(prev, 'UTF8') || '\\x1f'::bytea || convert_to(nid::text, 'UTF8') || '\\x1f'::bytea "
    "|| convert_to(topics[i], 'UTF8') || '\\x1f'::bytea || convert_to(replace(ids[i]::text, '-', ''), 'UTF8') "
    "|| '\\x1f'::bytea || convert_to(versions[i]::text, 'UTF8') || '\\x1f'::bytea || sha256(states[i])), 'hex')"
)

# The same expression over one row of the staged batch (``r``: its stored event and the
# sha256 of its state) instead of the i-th elements of the argument arrays.
_STAGED_LINK_SQL = (_LINK_SQL.replace("nid::text", "r.nid::text").replace("topics[i]", "r.topic")
                    .replace("ids[i]", "r.originator_id").replace("versions[i]", "r.originator_version")
                    .replace("sha256(states[i])", "r.digest"))


class PostgresChainedRecorder(PostgresApplicationRecorder):
    """PostgreSQL application recorder whose only write path is ``<events>_append(...)``.

    ``<events>_append(ids uuid[], versions int[], topics text[], states bytea[])`` is a
    ``SECURITY DEFINER`` function owned by the tables' owner: it takes the table lock
    (``EXCLUSIVE``: notification ids commit in order), inserts the batch of events, computes
    each link hash in the database and inserts it, and returns the new notification ids.
    The writer role has EXECUTE on it and SELECT on the tables, no INSERT: it cannot write
    an event without its link, nor squat chain ids. ``<events>_lock()`` takes the same lock
    (for the recorder to read the last event's time before the batch, to clamp times).

    Both tables are append-only: a trigger function refuses UPDATE, DELETE (per row) and
    TRUNCATE, whoever asks.
    """

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events"):
        from psycopg.sql import SQL, Identifier, Literal

        super().__init__(datastore, events_table_name=events_table_name)
        self.chain_table_name = f"{events_table_name}_chain"
        self.check_identifier_length(self.chain_table_name)
        schema = Identifier(self.datastore.schema)
        events = SQL("{0}.{1}").format(schema, Identifier(self.events_table_name))
        table = SQL("{0}.{1}").format(schema, Identifier(self.chain_table_name))
        guard = SQL("{0}.{1}").format(schema, Identifier(f"{self.events_table_name}_append_only"))
        self.lock_function_name = f"{self.events_table_name}_lock"
        self.append_function_name = f"{self.events_table_name}_append"
        self.check_identifier_length(self.append_function_name)
        lock = SQL("{0}.{1}").format(schema, Identifier(self.lock_function_name))
        append = SQL("{0}.{1}").format(schema, Identifier(self.append_function_name))
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {0} (notification_id bigint PRIMARY KEY, hash text NOT NULL)")
            .format(table)
        )
        self.sql_create_statements.append(SQL(
            "CREATE OR REPLACE FUNCTION {0}() RETURNS trigger LANGUAGE plpgsql AS $guard$ BEGIN "
            "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
            "USING ERRCODE = 'insufficient_privilege'; END $guard$"
        ).format(guard))
        for target, name in ((events, self.events_table_name), (table, self.chain_table_name)):
            for suffix, when in (("no_change", "BEFORE UPDATE OR DELETE ON {0} FOR EACH ROW"),
                                 ("no_truncate", "BEFORE TRUNCATE ON {0} FOR EACH STATEMENT")):
                trigger = f"{name}_{suffix}"
                self.check_identifier_length(trigger)
                self.sql_create_statements.append(SQL(
                    "DO $do$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = {1}::regclass "
                    "AND tgname = {2}) THEN CREATE TRIGGER {3} " + when + " EXECUTE FUNCTION {4}(); "
                    "END IF; END $do$"
                ).format(target, Literal(f'"{self.datastore.schema}"."{name}"'), Literal(trigger),
                         Identifier(trigger), guard))
        self.sql_create_statements.append(SQL(
            "CREATE OR REPLACE FUNCTION {0}() RETURNS void LANGUAGE plpgsql SECURITY DEFINER "
            "SET search_path = pg_catalog, pg_temp AS $lock$ BEGIN "
            "LOCK TABLE {1} IN EXCLUSIVE MODE; END $lock$"
        ).format(lock, events))
        self.sql_create_statements.append(SQL("REVOKE ALL ON FUNCTION {0}() FROM PUBLIC").format(lock))
        self.sql_create_statements.append(SQL(
            "CREATE OR REPLACE FUNCTION {0}(ids uuid[], versions integer[], topics text[], states bytea[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql SECURITY DEFINER "
            "SET search_path = pg_catalog, pg_temp AS $append$ "
            "DECLARE prev text; nid bigint; "
            "BEGIN "
            "LOCK TABLE {1} IN EXCLUSIVE MODE; "
            "NOTIFY {3}; "
            "SELECT hash INTO prev FROM {2} ORDER BY notification_id DESC LIMIT 1; "
            "prev := coalesce(prev, {4}); "
            "FOR i IN 1 .. coalesce(array_length(ids, 1), 0) LOOP "
            "  INSERT INTO {1} (originator_id, originator_version, topic, state) "
            "  VALUES (ids[i], versions[i], topics[i], states[i]) RETURNING notification_id INTO nid; "
            "  prev := " + _LINK_SQL + "; "
            "  INSERT INTO {2} (notification_id, hash) VALUES (nid, prev); "
            "  RETURN NEXT nid; "
            "END LOOP; "
            "END $append$"
        ).format(append, events, table, Identifier(self.channel_name), Literal(GENESIS)))
        self.sql_create_statements.append(
            SQL("REVOKE ALL ON FUNCTION {0}(uuid[], integer[], text[], bytea[]) FROM PUBLIC").format(append)
        )
        # The bulk path: the writer binary-COPYs the batch into its own temporary staging table
        # (:data:`STAGING`); ``<events>_append_staged()`` (owner-run, same lock, same link
        # expression) moves the rows into the log, one INSERT for the events and one for the links.
        self.append_staged_function_name = f"{self.events_table_name}_append_staged"
        self.check_identifier_length(self.append_staged_function_name)
        staged = SQL("{0}.{1}").format(schema, Identifier(self.append_staged_function_name))
        self.sql_create_statements.append(SQL(
            "CREATE OR REPLACE FUNCTION {0}() "
            "RETURNS SETOF bigint LANGUAGE plpgsql SECURITY DEFINER "
            "SET search_path = pg_catalog, pg_temp AS $append$ "
            "DECLARE prev text; r record; nids bigint[] := '{{}}'; hashes text[] := '{{}}'; last bigint := 0; "
            "BEGIN "
            "LOCK TABLE {1} IN EXCLUSIVE MODE; "
            "NOTIFY {3}; "
            "SELECT hash INTO prev FROM {2} ORDER BY notification_id DESC LIMIT 1; "
            "prev := coalesce(prev, {4}); "
            # rows go in in the batch's order (seq), so notification ids rise in that order: checked
            "FOR r IN INSERT INTO {1} (originator_id, originator_version, topic, state) "
            "  SELECT originator_id, originator_version, topic, state FROM pg_temp." + STAGING + " ORDER BY seq "
            "  RETURNING notification_id AS nid, originator_id, originator_version, topic, sha256(state) AS digest "
            "LOOP "
            "  IF r.nid <= last THEN RAISE EXCEPTION 'append out of order at %', r.nid; END IF; "
            "  last := r.nid; "
            "  prev := " + _STAGED_LINK_SQL + "; "
            "  nids := nids || r.nid; hashes := hashes || prev; "
            "END LOOP; "
            "INSERT INTO {2} (notification_id, hash) SELECT * FROM unnest(nids, hashes); "
            "RETURN QUERY SELECT unnest(nids); "
            "END $append$"
        ).format(staged, events, table, Identifier(self.channel_name), Literal(GENESIS)))
        self.sql_create_statements.append(SQL("REVOKE ALL ON FUNCTION {0}() FROM PUBLIC").format(staged))
        self._append_staged = SQL("SELECT {0}() AS notification_id").format(staged)
        self._owner = SQL("SELECT pg_get_userbyid(relowner) AS owner, current_user AS me FROM pg_class "
                          "WHERE oid = {0}::regclass").format(Literal(f'"{self.datastore.schema}".'
                                                                      f'"{self.events_table_name}"'))
        self._staging_ready: weakref.WeakSet[Any] = weakref.WeakSet()  # connections with the table
        self._take_lock = SQL("SELECT {0}()").format(lock)
        self._select_last_state = SQL(
            "SELECT state FROM {0} ORDER BY notification_id DESC LIMIT 1"
        ).format(events)
        self._append = SQL("SELECT {0}(%s, %s, %s, %s) AS notification_id").format(append)
        # One index probe per id, whatever the planner knows: as ``originator_id = ANY(%s)`` a
        # table never analysed (autovacuum off) was read whole, in parallel, for every batch.
        self._select_existing = SQL(
            "SELECT ids.id AS originator_id FROM unnest(%s::uuid[]) AS ids(id) "
            "WHERE EXISTS (SELECT 1 FROM {0}.{1} e WHERE e.originator_id = ids.id)"
        ).format(Identifier(self.datastore.schema), Identifier(events_table_name))
        self._analyze = SQL("ANALYZE {0}, {1}").format(events, table)
        self._select_chain = SQL(
            "SELECT notification_id, hash FROM {0} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(table)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The append path: one database call for the batch, through ``<events>_append``.

        The lock is taken first so that the last event read here is final; recording times
        are clamped to commit order; the function inserts events and links. A faster path
        (binary COPY into a temporary staging table, moved into the log by a function taking
        the same lock, ``<events>_append_staged``) replaces the ``_append`` call for batches of
        :data:`COPY_FROM` events or more and keeps the rest.
        """
        with self.datastore.transaction(commit=True) as curs:
            if not stored_events:
                return []
            curs.execute(self.lock_table_statements[0])  # SET LOCAL lock_timeout
            curs.execute(self._take_lock)
            curs.execute(self._select_last_state)
            row = curs.fetchone()
            stored_events = clamp_times(bytes(row["state"]) if row else None, stored_events)
            if len(stored_events) < COPY_FROM:
                curs.execute(self._append, (
                    [e.originator_id for e in stored_events], [e.originator_version for e in stored_events],
                    [e.topic for e in stored_events], [bytes(e.state) for e in stored_events],
                ))
            else:
                self._stage(curs, stored_events)
                curs.execute(self._append_staged)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def _stage(self, curs: Any, stored_events: Sequence[StoredEvent]) -> None:
        """Binary COPY of the batch into this session's staging table (created, and readable
        by the log's owner who runs ``<events>_append_staged``, on the connection's first use;
        its rows go at commit or rollback)."""
        from psycopg.sql import SQL, Identifier

        if curs.connection not in self._staging_ready:
            curs.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} (seq integer NOT NULL, "
                         "originator_id uuid NOT NULL, originator_version integer NOT NULL, topic text NOT NULL, "
                         "state bytea NOT NULL) ON COMMIT DELETE ROWS")
            curs.execute(self._owner)
            row = curs.fetchone()
            if row["owner"] != row["me"]:
                curs.execute(SQL("GRANT SELECT ON pg_temp.{0} TO {1}").format(Identifier(STAGING),
                                                                               Identifier(row["owner"])))
            self._staging_ready.add(curs.connection)
        with curs.copy(f"COPY pg_temp.{STAGING} (seq, originator_id, originator_version, topic, state) "
                       "FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "uuid", "int4", "text", "bytea"])
            for seq, e in enumerate(stored_events):
                copy.write_row((seq, e.originator_id, e.originator_version, e.topic, e.state))

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **_: Any) -> Sequence[int] | None:
        """The ids ``<events>_append`` returned (still inside the appending transaction)."""
        ids = [r["notification_id"] for r in curs.fetchall()]
        assert len(ids) == len(stored_events)
        return ids

    def existing_originators(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of ``ids`` have events already: one query for a whole batch."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_existing, (list(ids),))
            return {row["originator_id"] for row in curs.fetchall()}

    def refresh_statistics(self) -> None:
        """``ANALYZE`` the events and the chain, so that the planner knows how big they are. With
        no statistics (autovacuum off or late), the library's ``originator_id = $1`` read of an
        aggregate got a generic plan of a parallel scan of the whole events table once it held
        about 1.3M rows: a build of 10M statements slowed from 17 to 48 s per 100,000. A role
        that does not own the tables gets PostgreSQL's warning and nothing else."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._analyze)

    def select_chain(self, after: int, limit: int) -> list[tuple[int, str]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_chain, (after, limit))
            return [(row["notification_id"], row["hash"]) for row in curs.fetchall()]
