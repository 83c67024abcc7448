"""The eventsourcing settings the ledger is built from: an explicit whitelist, nothing else.

eventsourcing merges ``os.environ`` into an application's settings, so a stray variable
(``POSTGRES_ENABLE_DB_FUNCTIONS=y``, ``APPLICATION_RECORDER_TOPIC``, ``COMPRESSOR_TOPIC``,
``LEDGER_PERSISTENCE_MODULE``...) could change the write path. The ledger's application
ignores the process environment (see ``LedgerApp.construct_env``) and takes only the keys
below, made from the database URL and the ledger's own ``LEDGER_*`` variables; and
:func:`check_write_path` refuses to start unless the chaining recorder is the one in effect.
"""

from __future__ import annotations

from typing import Any

from ledger.integrity.errors import WritePathError

ALLOWED_KEYS = frozenset({
    "PERSISTENCE_MODULE", "CREATE_TABLE", "APPLICATION_RECORDER_TOPIC",
    "SQLITE_DBNAME", "SQLITE_LOCK_TIMEOUT",
    "POSTGRES_DBNAME", "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_USER", "POSTGRES_PASSWORD",
    "POSTGRES_CONNECT_TIMEOUT", "POSTGRES_POOL_SIZE", "POSTGRES_SCHEMA",
})


def recorder_class(backend: str) -> type:
    if backend == "sqlite":
        from ledger.chain import SQLiteChainedRecorder

        return SQLiteChainedRecorder
    from ledger.chain_postgres import PostgresChainedRecorder

    return PostgresChainedRecorder


def application_settings(base: dict[str, str], name: str, backend: str, create_tables: bool) -> dict[str, str]:
    """The whole settings mapping of the application called ``name`` (unprefixed and prefixed keys)."""
    recorder = recorder_class(backend)
    settings = {key: value for key, value in base.items() if key in ALLOWED_KEYS}
    unknown = set(base) - ALLOWED_KEYS
    if unknown:
        raise WritePathError(f"unexpected eventsourcing settings: {', '.join(sorted(unknown))}")
    settings["APPLICATION_RECORDER_TOPIC"] = f"{recorder.__module__}:{recorder.__qualname__}"
    settings["CREATE_TABLE"] = "true" if create_tables else "false"
    env = dict(settings)
    env.update({f"{name.upper()}_{key}": value for key, value in settings.items()})
    return env


def check_write_path(app: Any, backend: str) -> None:
    """Refuse to run on a write path that does not chain (asserted at start-up)."""
    expected = recorder_class(backend)
    recorder = app.recorder
    if type(recorder) is not expected:
        raise WritePathError(f"the event store is {type(recorder).__name__}, not the chaining {expected.__name__}; "
                             "refusing to write events without hashes")
    if getattr(recorder.datastore, "enable_db_functions", False):
        raise WritePathError("eventsourcing's database insert function is enabled: it writes no hashes; refusing")
    from ledger.integrity.topics import LedgerMapper

    if not isinstance(app.mapper, LedgerMapper) or app.mapper.compressor or app.mapper.cipher:
        raise WritePathError("the event mapper is not the ledger's (topic allow-list, plain JSON state)")
