"""PostgreSQL roles for a ledger database: a writer that can only append, an auditor that can only read.

The owner of the tables (the user that first ran a ledger command on the database)
runs this SQL once. Afterwards the application works under the writer role:

* the event log (``<app>_events`` and its ``_chain`` table): SELECT only. Events are
  written through ``<app>_events_append(...)``, a ``SECURITY DEFINER`` function owned by
  the tables' owner that takes the write lock, inserts the events and computes and
  inserts their links: the writer cannot insert an event without its link, nor squat
  chain ids. EXECUTE on it and on ``<app>_events_lock()`` (the same lock, taken before
  the batch to read the last event). The append-only triggers refuse UPDATE, DELETE and
  TRUNCATE to every role anyway;
* the projection tables and their tracking table: read and write, since they are
  derived and rebuilt from the log;
* no CREATE on the schema, no ownership: it cannot drop tables or switch triggers off.

The auditor gets SELECT on every table and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.storage import Database

ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class RoleError(ValueError):
    pass


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class RoleNames:
    writer: str = "ledger_writer"
    auditor: str = "ledger_auditor"

    def __post_init__(self) -> None:
        for name in (self.writer, self.auditor):
            if not ROLE_NAME.match(name):
                raise RoleError(f"{name!r} is not a plain role name (letters, digits, '_'; at most 63)")
        if self.writer == self.auditor:
            raise RoleError("the writer and the auditor must be different roles")


def roles_sql(database: Database, names: RoleNames, writer_password: str | None = None,
              auditor_password: str | None = None) -> list[str]:
    """The statements that create (or update) both roles and grant them their rights."""
    from ledger.application import LedgerApp
    from ledger.projections.timeline import TimelineProjection, TimelineSQL

    schema = ident(database.schema)
    events = f"{LedgerApp.name.lower()}_events"
    log_tables = ", ".join(f"{schema}.{ident(t)}" for t in (events, f"{events}_chain"))
    view_tables = ", ".join(f"{schema}.{ident(t)}"
                            for t in [*TimelineSQL.tables, f"{TimelineProjection.name}_tracking"])
    writer, auditor = ident(names.writer), ident(names.auditor)
    statements = []
    for name, password in ((names.writer, writer_password), (names.auditor, auditor_password)):
        statements.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal(name)}) "
            f"THEN CREATE ROLE {ident(name)} LOGIN; END IF; END $$"
        )
        statements.append(f"ALTER ROLE {ident(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
                          + (f" PASSWORD {literal(password)}" if password else ""))
    statements += [
        f"GRANT CONNECT ON DATABASE {ident(database.settings['POSTGRES_DBNAME'])} TO {writer}, {auditor}",
        f"GRANT USAGE ON SCHEMA {schema} TO {writer}, {auditor}",
        f"REVOKE ALL ON {log_tables}, {view_tables} FROM {writer}, {auditor}",
        f"REVOKE ALL ON SEQUENCE {schema}.{ident(events + '_notification_id_seq')} FROM {writer}, {auditor}",
        f"GRANT SELECT ON {log_tables} TO {writer}",
        f"GRANT EXECUTE ON FUNCTION {schema}.{ident(events + '_lock')}() TO {writer}",
        f"GRANT EXECUTE ON FUNCTION {schema}.{ident(events + '_append')}(uuid[], integer[], text[], bytea[]) "
        f"TO {writer}",
        f"GRANT EXECUTE ON FUNCTION {schema}.{ident(events + '_append_staged')}() TO {writer}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {view_tables} TO {writer}",
        f"GRANT SELECT ON {log_tables}, {view_tables} TO {auditor}",
    ]
    return statements


def apply_roles(database: Database, statements: list[str]) -> None:
    """Run the statements in one transaction, as the user of the database URL."""
    import psycopg

    with psycopg.connect(**database.psycopg_conninfo()) as conn:
        for statement in statements:
            conn.execute(statement.encode())  # bytes: no placeholder parsing
