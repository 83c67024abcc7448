"""The hash-chaining application recorder for PostgreSQL (see :mod:`ledger.chain`).

Kept apart from :mod:`ledger.chain` so that a SQLite ledger never imports psycopg.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from ledger.chain import GENESIS, chain_hashes


class PostgresChainedRecorder(PostgresApplicationRecorder):
    """PostgreSQL application recorder that also writes each event's chain hash.

    The events table is locked ``IN EXCLUSIVE MODE`` before inserting (as the library
    does), so while the ids of this transaction are fetched no other writer can append:
    the last link is the one before ours.

    Both tables are append-only: a trigger function refuses UPDATE, DELETE (per row)
    and TRUNCATE, whoever asks. PostgreSQL allows ``LOCK TABLE ... IN EXCLUSIVE MODE``
    only to roles holding UPDATE, DELETE or TRUNCATE on the table, which the writer
    role must not have; so the lock is taken by ``<events>_lock()``, a ``SECURITY
    DEFINER`` function owned by the tables' owner that does nothing but take that
    lock (locks last until the caller's transaction ends). The writer gets EXECUTE on
    it, and INSERT and SELECT on the tables: nothing else.
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
        lock = SQL("{0}.{1}").format(schema, Identifier(self.lock_function_name))
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
        # The library's LOCK TABLE statement, through the function (the same lock).
        self.lock_table_statements = [self.lock_table_statements[0], SQL("SELECT {0}()").format(lock)]
        self._select_last_link = SQL(
            "SELECT hash FROM {0} WHERE notification_id < %s ORDER BY notification_id DESC LIMIT 1"
        ).format(table)
        self._insert_link = SQL("INSERT INTO {0} (notification_id, hash) VALUES (%s, %s)").format(table)
        self._select_existing = SQL(
            "SELECT DISTINCT originator_id FROM {0}.{1} WHERE originator_id = ANY(%s)"
        ).format(Identifier(self.datastore.schema), Identifier(events_table_name))
        self._select_chain = SQL(
            "SELECT notification_id, hash FROM {0} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(table)

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if stored_events and ids:
            curs.execute(self._select_last_link, (ids[0],))
            row = curs.fetchone()
            hashes = chain_hashes(row["hash"] if row else GENESIS, stored_events)
            curs.executemany(self._insert_link, list(zip(ids, hashes, strict=True)))
        return ids

    def existing_originators(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of ``ids`` have events already: one query for a whole batch."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_existing, (list(ids),))
            return {row["originator_id"] for row in curs.fetchall()}

    def select_chain(self, after: int, limit: int) -> list[tuple[int, str]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_chain, (after, limit))
            return [(row["notification_id"], row["hash"]) for row in curs.fetchall()]
