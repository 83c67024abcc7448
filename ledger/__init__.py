"""Claims Ledger: an event-sourced ledger of official statements."""

__version__ = "0.1.0"
