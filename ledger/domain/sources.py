"""Sources as entities: who speaks, with a stable id for each distinct (organization, person).

Pure functions. The id depends only on the organization and the person, normalised
(Unicode NFC, case folded, runs of whitespace made one space, trimmed), so it is the
same however the name is spaced or capitalised, and the same before and after a
correction that changes anything else (role, type, figures, quote). The role stays with
each statement: a person's role may change over time, they remain one source.

Shape: a readable slug and a short hash, ``ministry-of-external-affairs-india--randhir-jaiswal-d4765938``
(organization slug, ``--`` and the person's slug when there is a person; at most
60 characters of slug; the hash is the first 8 hex digits of SHA-256 of the normalised
pair, so two sources whose slugs coincide, e.g. names in other scripts, keep apart).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

SOURCE_TYPES = ("government", "parliament", "ministry", "agency", "court", "military", "media", "ngo",
                "international", "other")
SOURCE_TYPE_MEANINGS = {
    "government": "a government or its head, as a whole",
    "parliament": "a legislature, its members or committees",
    "ministry": "a ministry or department, its ministers and spokespersons",
    "agency": "a public agency (police, investigation, statistics, ...)",
    "court": "a court or tribunal",
    "military": "armed forces or a defence ministry's military staff",
    "media": "a news outlet or journalist speaking in its own name",
    "ngo": "a non-governmental organisation",
    "international": "an international organisation (UN, ICRC, ...)",
    "other": "anyone else",
}
MAX_SLUG = 60
HASH_LENGTH = 8


def normalise_name(text: str | None) -> str:
    """NFC, case folded, whitespace collapsed: the form two spellings must share."""
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def source_key(organization: str, person: str | None = None) -> tuple[str, str]:
    """What makes two sources the same: the normalised (organization, person)."""
    return normalise_name(organization), normalise_name(person)


def source_id(organization: str, person: str | None = None) -> str:
    """The stable id of a source (see the module docstring)."""
    org, who = source_key(organization, person)
    digest = hashlib.sha256(f"{org}\x1f{who}".encode()).hexdigest()[:HASH_LENGTH]
    slug = _slug(org)
    if who:
        slug = f"{slug}--{_slug(who)}" if slug else _slug(who)
    slug = slug[:MAX_SLUG].strip("-") or "source"
    return f"{slug}-{digest}"


def source_of(document: dict[str, Any]) -> dict[str, Any]:
    """A statement document's source as an entity: its id and fields (role per statement)."""
    source = document["source"]
    return {
        "id": source_id(source["organization"], source.get("person")),
        "organization": source["organization"],
        "person": source.get("person"),
        "role": source.get("role"),
        "type": source.get("type"),
    }
