"""Documents as JSON bytes, fast: the spool's rows, the in-call digest of a document and the
documents the projection stores (``ledger.projections.timeline``).

orjson is about 4x faster than ``json``; ``json`` takes over where orjson refuses (an
integer beyond 64 bits).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson


def digest(document: dict[str, Any]) -> str:
    """A canonical digest of a document, to tell within one call whether a statement id used
    twice carries the same content. Never stored: it is only compared with digests made by
    this function in the same call, so its bytes may change between versions."""
    return hashlib.sha256(json_bytes(document, sort_keys=True)).hexdigest()


def json_bytes(document: dict[str, Any], sort_keys: bool = False) -> bytes:
    """``document`` as compact JSON bytes (keys sorted if asked)."""
    try:
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(document, sort_keys=sort_keys, separators=(",", ":")).encode()
