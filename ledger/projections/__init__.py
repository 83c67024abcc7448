"""Projections: read models rebuilt from the event log, one module each."""
