"""Integrity: the hash-chained append path, and verification of the log and the projection.

The port the rest of the ledger sees is small:

* :mod:`ledger.integrity.settings`: the eventsourcing settings the application is built
  from (an explicit whitelist) and the start-up check that the chaining recorder is in effect;
* :class:`~ledger.integrity.topics.LedgerMapper`: only the ledger's own event topics resolve;
  a damaged row raises :class:`~ledger.integrity.errors.LogDamagedError`;
* :func:`~ledger.integrity.verify.verify_chain` and
  :func:`~ledger.integrity.verify.verify_projection`;
* :func:`~ledger.integrity.head.view_head`: the log position and chain hash the answers
  are computed at (named by the HTML report and the web API).

The recorders themselves (the append path) live in :mod:`ledger.chain` (SQLite) and
:mod:`ledger.chain_postgres` (PostgreSQL).
"""
