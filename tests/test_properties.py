"""Property tests: documents generated from the JSON Schema in schemas/ (hypothesis-jsonschema).

Valid documents round-trip (record, then `show` gives the same content, and recording
what `show` printed is a no-op); invalid ones are refused and never write.
"""

from __future__ import annotations

import copy
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import ValidationError

from ledger.domain.documents import MatterFile
from ledger.domain.documents import Statement as StatementDocument
from ledger.domain.increments import change_problems
from ledger.ingest import INCREMENTS_REPLAYED
from ledger.inputs import read_raw_documents
from tests.conftest import EXAMPLES, MATTER_ID, ROOT, event_count, run

SCHEMA = json.loads((ROOT / "schemas" / "statement.schema.json").read_text())
CATEGORIES = ["recruited", "discharged", "remaining", "missing", "dead", "unaccounted"]


def statement_schema() -> dict[str, Any]:
    """The schema's Statement, narrowed to the seeded matter (its id and categories) and kept small."""
    schema = copy.deepcopy(SCHEMA["$defs"]["Statement"])
    schema["$defs"] = copy.deepcopy(SCHEMA["$defs"])
    properties = schema["properties"]
    properties["matter"] = {"const": MATTER_ID}
    properties["figures"]["propertyNames"] = {"enum": CATEGORIES}
    properties["figures"]["maxProperties"] = 3
    properties["relations"]["maxItems"] = 0  # relation text is tested elsewhere; here it would only miss
    properties["citations"]["maxItems"] = 2
    # Links must point to known statements and spans occur in the quote: random ones would
    # only miss (tests/test_evidence_input.py covers them).
    properties["links"]["maxItems"] = 0
    del schema["$defs"]["FigureDetail"]["properties"]["span"]
    for name in ("quote", "notes", "venue"):
        properties[name] = _shorter(properties[name])
    del properties["id"]  # each example gets a fresh id
    return schema


def _shorter(schema: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(schema).replace('"maxLength": 100000', '"maxLength": 200')
    return json.loads(text.replace('"maxLength": 300', '"maxLength": 200'))


STATEMENTS = from_schema(statement_schema())
_MATTER_PATH = EXAMPLES / "matter.yaml"
SEED_CATEGORIES = MatterFile.model_validate(
    read_raw_documents(str(_MATTER_PATH), _MATTER_PATH.read_bytes())[0][0]).matter.document()["categories"]


def refused_by_the_ledger(document: dict[str, Any]) -> bool:
    """Rules that need the matter, which the schema cannot state: changes (until replayed) and
    negative changes of cumulative categories."""
    figures = document.get("figures", {})
    changes = [f for f in figures.values() if isinstance(f, dict) and "change" in f]
    return bool(changes and not INCREMENTS_REPLAYED) or bool(change_problems(figures, SEED_CATEGORIES, MATTER_ID))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

PROFILE = settings(max_examples=25, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def record(url: str, document: dict[str, Any]) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.json"
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        return run(url, "record", str(path))


@PROFILE
@given(document=STATEMENTS)
def test_valid_documents_round_trip(seeded_url: str, document: dict[str, Any]) -> None:
    document = {"id": f"gen-{uuid.uuid4().hex[:12]}", **document}
    assert VALIDATOR.is_valid(document)
    try:
        expected = StatementDocument.model_validate(document).document()
        if refused_by_the_ledger(document):
            expected = None
    except ValidationError:
        expected = None  # the schema cannot say everything (e.g. 2025-02-30, blank or control characters)
    before = event_count(seeded_url)
    result = record(seeded_url, document)
    if expected is None:
        assert result.exit_code == 3, result.output
        assert "Traceback" not in result.output and event_count(seeded_url) == before
        return
    assert result.exit_code == 0, result.output
    assert event_count(seeded_url) == before + 1
    shown = run(seeded_url, "show", document["id"], "--format", "json")
    assert json.loads(shown.stdout)["statement"] == expected
    # What `show` prints (as YAML) reads back as the same statement: recording it is a no-op.
    again = run(seeded_url, "show", document["id"], "--format", "yaml").stdout
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "again.yaml").write_text(again, encoding="utf-8")
        result = run(seeded_url, "record", str(Path(folder) / "again.yaml"))
    assert result.exit_code == 0 and "1 already recorded with the same content" in result.stdout, result.output
    assert event_count(seeded_url) == before + 1


def _breakages() -> st.SearchStrategy[tuple[str, Any]]:
    """One way to break a document: (what, how)."""
    return st.one_of(
        st.tuples(st.just("drop"), st.sampled_from(["quote", "source", "stated_on", "matter"])),
        st.tuples(st.just("unknown field"), st.sampled_from(["figure", "Quote", "stated", "extra"])),
        st.tuples(st.just("figure"), st.one_of(st.integers(max_value=-1), st.integers(min_value=2**53),
                                               # 2.0 is an integer to JSON Schema (not to the models)
                                               st.floats(allow_nan=True).filter(lambda x: not x.is_integer()),
                                               st.text(max_size=5),
                                               st.lists(st.integers(), max_size=2))),
        st.tuples(st.just("stated_on"), st.one_of(st.text(max_size=12).filter(lambda t: not VALID_DATE(t)),
                                                  st.integers(max_value=999), st.none(), st.booleans())),
        st.tuples(st.just("quote"), st.one_of(st.integers(), st.lists(st.text(), max_size=2), st.none())),
        st.tuples(st.just("source"), st.one_of(st.text(max_size=10), st.just({}), st.just({"person": "x"}))),
    )


def VALID_DATE(text: str) -> bool:  # noqa: N802
    return VALIDATOR.is_valid({"id": "x", "matter": "m", "stated_on": text, "source": {"organization": "o"},
                               "quote": "q"})


def _break(document: dict[str, Any], breakage: tuple[str, Any]) -> dict[str, Any]:
    what, how = breakage
    broken = dict(document)
    if what == "drop":
        broken.pop(how, None)
    elif what == "unknown field":
        broken[how] = "surprise"
    elif what == "figure":
        broken["figures"] = {**broken.get("figures", {}), "dead": how}
    else:
        broken[what] = how
    return broken


@PROFILE
@given(document=STATEMENTS, breakage=_breakages())
def test_invalid_documents_never_write(seeded_url: str, document: dict[str, Any],
                                       breakage: tuple[str, Any]) -> None:
    broken = _break({"id": f"bad-{uuid.uuid4().hex[:12]}", **document}, breakage)
    assert not VALIDATOR.is_valid(broken)  # invalid by the published schema too
    before = event_count(seeded_url)
    result = record(seeded_url, broken)
    assert result.exit_code == 3, result.output
    assert "nothing was recorded" in result.stderr and "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    assert event_count(seeded_url) == before


pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
