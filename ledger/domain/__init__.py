"""The domain: dates with precision, statement and matter documents, aggregates.

Nothing here knows about storage or the command line.
"""
