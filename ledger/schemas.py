"""JSON Schema (draft 2020-12) of the input files, generated from the pydantic models."""

from __future__ import annotations

import json
from typing import Any

from ledger.domain.documents import MatterFile, StatementFile

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS = {
    "statement.schema.json": (StatementFile, "A statement file: one statement, or a list under 'statements:'"),
    "matter.schema.json": (MatterFile, "A matter file: what is counted, and in which categories"),
}


def generate(model: Any, title: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {"$schema": DIALECT, "title": title, **{k: v for k, v in schema.items() if k != "title"}}


def rendered() -> dict[str, str]:
    """File name -> text, exactly as committed under ``schemas/``."""
    return {
        name: json.dumps(generate(model, title), indent=2, ensure_ascii=False) + "\n"
        for name, (model, title) in SCHEMAS.items()
    }
