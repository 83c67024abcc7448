"""The JSON Schemas match the models and accept the examples; partial dates behave."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest

from ledger.domain.dates import PartialDate, parse_day
from ledger.inputs import read_raw_documents
from ledger.schemas import rendered
from tests.conftest import EXAMPLES, ROOT


def test_committed_schemas_are_generated_from_the_models() -> None:
    for name, text in rendered().items():
        committed = (ROOT / "schemas" / name).read_text()
        assert committed == text, f"schemas/{name} is stale: run `make schemas`"


@pytest.mark.parametrize(("example", "schema"), [
    ("statements.yaml", "statement.schema.json"), ("matter.yaml", "matter.schema.json")])
def test_examples_validate_against_the_schema(example: str, schema: str) -> None:
    validator = jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / schema).read_text()))
    validator.check_schema(validator.schema)
    path = EXAMPLES / example
    [(document, _, _)] = read_raw_documents(str(path), path.read_bytes())
    validator.validate(document)


def test_schema_rejects_what_the_models_reject() -> None:
    validator = jsonschema.Draft202012Validator(json.loads((ROOT / "schemas/statement.schema.json").read_text()))
    base = {"matter": "m", "stated_on": "2025-07", "source": {"organization": "X"}, "quote": "q"}
    assert validator.is_valid(base)
    assert not validator.is_valid({**base, "figures": {"dead": -1}})
    assert not validator.is_valid({**base, "stated_on": "July 2025"})
    assert not validator.is_valid({**base, "surprise": 1})
    assert not validator.is_valid({k: v for k, v in base.items() if k != "quote"})


@pytest.mark.parametrize(("text", "precision", "end"), [
    ("2025", "year", dt.date(2025, 12, 31)),
    ("2025-02", "month", dt.date(2025, 2, 28)),
    ("2024-02", "month", dt.date(2024, 2, 29)),
    ("2025-07-15", "day", dt.date(2025, 7, 15)),
    ("unknown", "unknown", None),
])
def test_partial_dates(text: str, precision: str, end: dt.date | None) -> None:
    date = PartialDate.parse(text)
    assert (date.precision, date.end(), str(date)) == (precision, end, text)


@pytest.mark.parametrize("text", ["2025-02-29", "2025-00", "2025-7", "25-07-01", "July", "", "0999"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueError):
        PartialDate.parse(text)


def test_query_dates() -> None:
    assert parse_day("2025-07") == dt.date(2025, 7, 31)
    with pytest.raises(ValueError):
        parse_day("unknown")
