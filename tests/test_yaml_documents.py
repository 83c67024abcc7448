"""The direct builder of YAML documents (``yaml_documents._built``) gives what PyYAML's own
constructor gives, value for value and error for error, on plain and unusual documents."""

from __future__ import annotations

import random

import pytest
import yaml

from ledger.yaml_documents import _built, _Loader, yaml_documents

CASES = [
    "a: 1\nb: [1, 2, {c: d}]\n",
    "id: m\ncategories: [dead, missing]\nrelations:\n  - {total: recruited, parts: [dead, missing]}\n",
    "quote: 'Of 127 \"nationals\"'\nfigures: {dead: 12, missing: ~, x: null, y: true, z: 1.5}\n",
    "- [[[1]], [2, [3, [4]]]]\n- {}\n- []\n",
    "true: 1\n1: 2\nnull: 3\n",  # keys that are not text: bool and int pass, null does not
    "1.5: x\n",
    "a: 1\na: 2\n",
    "a: [1, {b: 1, b: 2}]\nc: {d: 1, d: 2}\n",  # two errors: PyYAML finds the mapping's first
    "a: [017]\nb: {c: 08}\n",
    "a: !!int '12'\nb: !!str 12\nc: !!float '1'\nd: !!bool yes\ne: !!null ''\n",
    "a: !!str [1, 2]\n",
    "a: !!seq x\n",
    "a: !!map x\n",
    "a: !!set {x, y}\n",
    "a: !foo bar\n",
    "? [1, 2]\n: x\n",
    "? {a: 1}\n: x\n",
    "<<: {a: 1}\nb: 2\n",
    "!!merge <<: {a: 1}\nb: 2\n",
    "a: .inf\nb: -.Inf\nc: .NaN\nd: 1e3\ne: 1.0e+3\nf: +.5\n",
    "a: " + "9" * 40 + "\n",
    "a: [" + ", ".join(str(i) for i in range(50)) + "]\n",
    "just text\n",
    "",
    "a:\n  - b:\n      - c: [x, !!binary aGk=]\n  - {d: 1, d: 2}\n",
]


def _outcome(build, text: str):
    loader = _Loader(text)
    try:
        values = []
        while loader.check_node():
            values.append(build(loader, loader.get_node()))
        return "ok", values
    except yaml.YAMLError as e:
        return "error", str(e)
    finally:
        loader.dispose()


def _pyyaml(loader, node):
    return loader.construct_document(node)


@pytest.mark.parametrize("text", CASES)
def test_the_direct_builder_gives_what_pyyaml_gives(text: str) -> None:
    assert _outcome(_built, text) == _outcome(_pyyaml, text)


def _random_value(rng: random.Random, depth: int) -> str:
    scalars = ["1", "017", "-3", "1.5", ".inf", "true", "no", "~", "''", "text", "'quoted: yes'", "!!str 5",
               "!!int x", "!!bool on", "!odd x", "0x1F", "2025-01-02"]
    if depth > 3 or rng.random() < 0.4:
        return rng.choice(scalars)
    if rng.random() < 0.5:
        return "[" + ", ".join(_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))) + "]"
    keys = ["a", "b", "a", "1", "true", "1.5", "c", "~"]
    return "{" + ", ".join(f"{rng.choice(keys)}: {_random_value(rng, depth + 1)}"
                           for _ in range(rng.randint(0, 4))) + "}"


def test_the_direct_builder_agrees_on_random_documents() -> None:
    rng = random.Random(7)
    kinds = set()
    for _ in range(2000):
        text = _random_value(rng, 0) + "\n"
        direct, pyyaml = _outcome(_built, text), _outcome(_pyyaml, text)
        assert direct == pyyaml, text
        kinds.add(direct[0])
    assert kinds == {"ok", "error"}  # both kinds of outcome were compared


def test_documents_with_aliases_still_share_their_nodes() -> None:
    (value, _), = list(yaml_documents("a: &x [1, 2]\nb: *x\n"))
    assert value == {"a": [1, 2], "b": [1, 2]} and value["a"] is value["b"]
