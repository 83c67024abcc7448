"""scripts/generate.py: valid documents, determinism, streaming, and `ledger record` takes the output."""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import subprocess
import sys
import tracemalloc
from collections import Counter, defaultdict
from itertools import islice
from pathlib import Path

import jsonschema
import pytest
import yaml

from ledger.domain.dates import PartialDate
from ledger.domain.documents import MatterFile, Statement
from ledger.domain.relations import parse_relation
from ledger.inputs import load_files
from scripts.generate import (
    generate_changes,
    generate_matters,
    generate_statements,
    main,
    write_workload,
)
from tests.conftest import ROOT, run

SEED = 7


@pytest.fixture(scope="module")
def matters() -> list[dict]:
    return generate_matters(30, SEED)


@pytest.fixture(scope="module")
def statements(matters: list[dict]) -> list[dict]:
    return list(generate_statements(matters, 2000, SEED))


def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / name).read_text()))


def _start(text: str) -> dt.date:
    return PartialDate.parse(text).start()


def _end(text: str) -> dt.date:
    return PartialDate.parse(text).end()


def _canonical(doc: dict) -> dict:
    """A statement as the ledger stores it, less the defaults the generator leaves out."""
    stored = Statement.model_validate(doc).document()
    return {k: v for k, v in stored.items() if not (k == "relations" and v == [])}


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- validity --------------------------------------------------------------------------------


def test_matters_are_valid_and_realistic(matters: list[dict]) -> None:
    validator = _validator("matter.schema.json")
    assert [m["id"] for m in matters] == [f"matter-{i:04d}" for i in range(1, 31)]
    relation_count = Counter()
    for matter in matters:
        document = {"matter": matter}
        validator.validate(document)
        model = MatterFile.model_validate(document).matter
        assert model.relation_problems() == []
        assert 5 <= len(matter["categories"]) <= 8
        assert {c["kind"] for c in matter["categories"].values()} <= {"cumulative", "current"}
        relations = matter.get("relations", [])
        relation_count[len(relations)] += 1
        used: list[str] = []
        for text in relations:
            relation = parse_relation(text)
            assert relation.op in ("=", "<=")
            used += relation.categories
            if relation.op == "=" and matter["categories"][relation.left[0][1]]["kind"] == "cumulative":
                assert all(matter["categories"][c]["kind"] == "cumulative" for _, c in relation.right)
        assert len(used) == len(set(used)), "relations use disjoint categories"
    assert set(relation_count) <= {0, 1, 2} and relation_count[0] < 30


def test_statements_are_valid_against_models_and_schema(matters: list[dict], statements: list[dict]) -> None:
    validator = _validator("statement.schema.json")
    categories = {m["id"]: m["categories"] for m in matters}
    assert [s["id"] for s in statements] == [f"s-{i:07d}" for i in range(1, 2001)]
    for doc in statements:
        validator.validate(doc)
        assert _canonical(doc) == doc, "the document is already in canonical form"
        assert set(doc["figures"]) <= set(categories[doc["matter"]])
        assert 1 <= len(doc["figures"]) <= 6
        assert 100 <= len(doc["quote"]) <= 600
        assert 1 <= len(doc["citations"]) <= 3
        stated = _start(doc["stated_on"])
        assert dt.date(2015, 1, 1) <= stated <= dt.date(2024, 12, 31)
        for citation in doc["citations"]:
            assert citation["url"].startswith("https://")
            assert dt.date.fromisoformat(citation["published_on"]) >= stated
        if "as_of" in doc:  # describes a date before the statement (or the same one)
            assert _end(doc["as_of"]) <= _end(doc["stated_on"])


def test_statements_have_the_intended_mix(statements: list[dict]) -> None:
    precision = Counter(len(s["stated_on"]) for s in statements)
    assert precision[10] > 0.75 * 2000 and precision[7] > 100 and 10 < precision[4] < 150
    assert 300 < sum(1 for s in statements if "as_of" in s and s["as_of"] < s["stated_on"]) < 700
    forms = Counter()
    for s in statements:
        for figure in s["figures"].values():
            forms["count" if isinstance(figure, int) else figure.get("qualifier", "range")] += 1
    total = sum(forms.values())
    assert forms["count"] > 0.7 * total
    assert all(forms[k] > 0.02 * total for k in ("exact", "at_least", "at_most", "approx", "range"))
    assert 500 < sum(1 for s in statements if "venue" in s) < 1500
    assert 50 < sum(1 for s in statements if "notes" in s) < 400
    assert Counter(s["attribution"] for s in statements)["direct_quote"] > 1000
    sources = defaultdict(set)
    for s in statements:
        sources[s["matter"]].add(json.dumps(s["source"], sort_keys=True))
    assert all(1 <= len(v) <= 5 for v in sources.values())
    assert [s["stated_on"][:4] for s in statements] == sorted(s["stated_on"][:4] for s in statements)


def test_cumulative_figures_mostly_grow(matters: list[dict], statements: list[dict]) -> None:
    kinds = {m["id"]: m["categories"] for m in matters}
    series = defaultdict(list)
    for s in statements:
        as_of = s.get("as_of", s["stated_on"])
        for name, figure in s["figures"].items():
            if isinstance(figure, int) and kinds[s["matter"]][name]["kind"] == "cumulative":
                series[s["matter"], name].append((_start(as_of), figure))
    steps = falls = 0
    for points in series.values():
        points.sort()
        for (_, a), (_, b) in zip(points, points[1:], strict=False):
            steps += 1
            falls += b < a
    assert steps > 500
    assert 0 < falls < 0.1 * steps  # mostly grow, with the odd discrepancy for the ledger to find


def test_changes_are_valid_and_about_existing_statements(matters: list[dict]) -> None:
    validator = _validator("statement.schema.json")
    docs = list(generate_statements(matters, 5000, SEED))
    by_id = {d["id"]: d for d in docs}
    changes = list(generate_changes(iter(docs), SEED))
    corrections = [line for kind, line in changes if kind == "correction"]
    retractions = [line for kind, line in changes if kind == "retraction"]
    assert 60 <= len(corrections) <= 140 and 25 <= len(retractions) <= 80  # ~2% and ~1%
    assert not {c["statement_id"] for c in corrections} & {r["statement_id"] for r in retractions}
    reasons = Counter()
    for line in corrections:
        assert set(line) == {"statement_id", "reason", "document"}
        document = line["document"]
        validator.validate(document)
        assert _canonical(document) == document
        original = by_id[line["statement_id"]]
        assert document["id"] == original["id"] and document != original
        assert line["reason"].strip()
        reasons[line["reason"].split()[0]] += 1
    assert len(reasons) >= 3, reasons  # figures, dates, quotes, citations
    for line in retractions:
        assert set(line) == {"statement_id", "reason"} and line["statement_id"] in by_id
    assert docs == list(generate_statements(matters, 5000, SEED)), "changes do not mutate statements"


# --- determinism and streaming -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "yaml"])
def test_same_seed_gives_identical_bytes(tmp_path: Path, fmt: str) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        assert main(["--matters", "12", "--statements", "400", "--seed", str(seed),
                     "--output", str(tmp_path / name), "--format", fmt, "--files", "3"]) == 0
    a, b, c = (_tree_digest(tmp_path / name) for name in "abc")
    assert a == b
    assert a.keys() == c.keys() and all(a[k] != c[k] for k in a)
    assert sorted(a) == sorted(["manifest.json", "record/matters.yaml", "changes/corrections.jsonl",
                                "changes/retractions.jsonl",
                                *(f"record/statements-000{k}.{fmt}" for k in (1, 2, 3))])


def test_api_is_deterministic(matters: list[dict]) -> None:
    assert generate_matters(30, SEED) == matters
    assert generate_matters(30, SEED + 1) != matters
    first = list(generate_statements(matters, 300, SEED))
    assert first == list(generate_statements(matters, 300, SEED))
    assert first != list(generate_statements(matters, 300, SEED + 1))


def _peak_bytes(matters: list[dict], n: int) -> int:
    tracemalloc.start()
    try:
        for _ in generate_statements(matters, n, SEED):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_statements_stream(matters: list[dict]) -> None:
    stream = generate_statements(matters, 10**9, SEED)
    assert inspect.isgenerator(stream)
    assert len(list(islice(stream, 5))) == 5  # a billion statements cost nothing until asked for
    # tracemalloc slows allocation some 20 times: small counts, 4x apart. Keeping the
    # statements would cost about 2 kB each: 1 MB for 500, several times the base.
    small, large = _peak_bytes(matters, 500), _peak_bytes(matters, 2000)
    assert large < 1.5 * small, (small, large)


# --- files and `ledger record` ------------------------------------------------------------------


def test_files_split_and_read_back(tmp_path: Path) -> None:
    manifest = write_workload(tmp_path, matters=5, statements=101, seed=SEED, fmt="jsonl", files=4)
    files = [tmp_path / name for name in manifest["files"]["statements"]]
    lines = [json.loads(line) for path in files for line in path.read_text().splitlines()]
    assert [len(path.read_text().splitlines()) for path in files] == [25, 25, 25, 26]
    assert lines == list(generate_statements(generate_matters(5, SEED), 101, SEED))
    matter_docs = list(yaml.safe_load_all((tmp_path / "record" / "matters.yaml").read_text()))
    assert [d["matter"] for d in matter_docs] == generate_matters(5, SEED)
    assert len(load_files([str(tmp_path / "record")])) == 5 + 101
    write_workload(tmp_path / "y", matters=5, statements=101, seed=SEED, fmt="yaml", files=2)
    from_yaml = [item.document.document() for item in load_files([str(tmp_path / "y" / "record")])][5:]
    assert from_yaml == [Statement.model_validate(line).document() for line in lines]


def test_ledger_records_a_generated_folder_and_takes_its_changes(tmp_path: Path) -> None:
    out = tmp_path / "work"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py"), "--matters", "20",
                             "--statements", "300", "--seed", "5", "--output", str(out)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    url = f"sqlite:///{tmp_path / 'l.db'}"
    result = run(url, "record", str(out / "record"))
    assert result.exit_code == 0, result.output
    assert "recorded 300 statement(s)" in result.stdout
    assert run(url, "record", str(out / "record")).exit_code == 0  # all "already recorded"

    corrections, retractions = (
        [json.loads(line) for line in (out / "changes" / name).read_text().splitlines()]
        for name in ("corrections.jsonl", "retractions.jsonl"))
    assert corrections and retractions
    for line in corrections[:3]:
        path = tmp_path / f"{line['statement_id']}.json"
        path.write_text(json.dumps(line["document"]))
        result = run(url, "correct", line["statement_id"], str(path), "--reason", line["reason"],
                     "--by", "gen")
        assert result.exit_code == 0, result.output
    for line in retractions[:3]:
        result = run(url, "retract", line["statement_id"], "--reason", line["reason"], "--by", "gen")
        assert result.exit_code == 0, result.output
    assert run(url, "verify").exit_code == 0


def test_refuses_a_non_empty_output_without_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["--matters", "2", "--statements", "10", "--output", str(tmp_path)]
    assert main(args + ["--files", "3"]) == 0
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2 and "--overwrite" in capsys.readouterr().err
    assert main(args + ["--overwrite"]) == 0
    written = sorted(p.name for p in (tmp_path / "record").iterdir())
    assert written == ["matters.yaml", "statements-0001.jsonl"]


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "scripts").glob("*.py")
                                          if "argparse" in p.read_text()))
def test_every_script_has_help(script: str) -> None:
    """``--help`` of each command-line script prints its usage (a ``%`` in a help text once
    crashed argparse's formatting of generate.py's)."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / script), "--help"], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ")
