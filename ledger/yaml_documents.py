"""Loading YAML documents: YAML 1.2 core scalars, plain tags only, aliases bounded, no duplicate keys.

One file always reads as the same data, in the same order, in every process; a hostile file
(a billion laughs, an integer of a million digits, absurd nesting) is refused with its line.
The node tree is kept beside each document for the lines of later problems (:func:`line_of`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml


# libyaml's parser when PyYAML has it: dozens of times faster on large files (a 50 MB
# quote), and it refuses absurd nesting itself; the pure-Python one otherwise.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """The tag of a node: PyYAML's ``Resolver.resolve`` for this loader, which has no path
        resolvers and no wildcard: a plain scalar takes the first implicit resolver (by its
        first character) that matches, any other scalar is text. A third of reading a matter
        file went to the general one, called by libyaml for every scalar."""
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]


# YAML 1.2 core schema for plain scalars: decimal integers and floats, true/false, null.
# YAML 1.1 forms (0x1F, 0b11, 0o17, 1:30, yes/no/on/off, dates, the << merge key) stay
# text, so a field expecting a number or a date refuses them; 017 (octal 15 in YAML 1.1,
# 17 in 1.2) is refused outright as ambiguous.
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_CORE_RESOLVERS = [
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")),
    # decimal integers, and 017-like ones (refused when built: octal 15 in YAML 1.1, 17 in 1.2)
    (_INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9]*|0[0-7]+)$"), list("-+0123456789")),
    # every form here is also a number in YAML 1.1, so text that PyYAML's emitter writes
    # unquoted (1e3, 1.0e3, +.5, 08) reads back as text
    (_FLOAT_TAG, re.compile(r"^(?:[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?|\.[0-9]+(?:[eE][-+][0-9]+)?"
                            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+.0123456789")),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
]
_Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in _CORE_RESOLVERS:
    for _char in _first:
        _Loader.yaml_implicit_resolvers.setdefault(_char, []).append((_tag, _regexp))
    # an int like 12 also matches the float pattern: ints are tried first (added first)

MAX_INTEGER_DIGITS = 30  # far beyond any count (2**53 has 16 digits); Python refuses > 4300
MAX_ALIASES = 10_000  # alias nodes (*name) per document
MAX_EXPANSION = 10_000_000  # characters and nodes a document may grow by through its aliases


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    digits = text.lstrip("+-")
    if not digits.isascii() or not digits.isdigit():
        raise yaml.constructor.ConstructorError(
            None, None, f"{text[:40]!r} is not a decimal integer", node.start_mark)
    if len(digits) > 1 and digits[0] == "0" and len(digits) <= MAX_INTEGER_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} has a leading zero: YAML 1.1 reads it as octal "
            f"({int(digits, 8) if set(digits) <= set('01234567') else 'invalid'}), YAML 1.2 as "
            f"{int(digits)}; write {int(text)} (or quote it as text)", node.start_mark)
    if len(digits) > MAX_INTEGER_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"an integer of {len(digits)} digits is too large", node.start_mark)
    return int(text)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    text = loader.construct_scalar(node)
    if len(text) > 400:
        raise yaml.constructor.ConstructorError(None, None, "a number of more than 400 characters",
                                                node.start_mark)
    if text.lower().lstrip("+-") in (".inf", ".nan"):
        return yaml.SafeLoader.construct_yaml_float(loader, node)
    try:
        return float(text)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"{text[:40]!r} is not a decimal number", node.start_mark) from None


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    if not isinstance(node, yaml.MappingNode):  # an explicit !!map on a scalar or a sequence
        raise yaml.constructor.ConstructorError(
            None, None, f"expected a mapping node, but found {node.id}", node.start_mark)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        _check_key(node, key_node, loader.construct_object(key_node, deep=True), seen)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


def _check_key(node: yaml.MappingNode, key_node: yaml.Node, key: Any, seen: dict[Any, yaml.Node]) -> None:
    """The rule for a mapping's keys (both builders): text (or integers), each once."""
    if not isinstance(key, str | int):
        raise yaml.constructor.ConstructorError(None, None, "mapping keys must be text", key_node.start_mark)
    if key in seen:
        raise yaml.constructor.ConstructorError(
            f"while reading the mapping that starts on line {node.start_mark.line + 1}", node.start_mark,
            f"duplicate key {key!r} (first on line {seen[key].start_mark.line + 1})", key_node.start_mark)
    seen[key] = key_node


# Only the tags of plain data: !!set, !!omap, !!pairs, !!binary, !!timestamp and every
# application tag are refused ("could not determine a constructor"), so that one file
# always reads as the same data, in the same order, in every process.
_Loader.yaml_constructors = {
    "tag:yaml.org,2002:null": yaml.SafeLoader.construct_yaml_null,
    "tag:yaml.org,2002:bool": yaml.SafeLoader.construct_yaml_bool,
    _INT_TAG: _construct_int,
    _FLOAT_TAG: _construct_float,
    "tag:yaml.org,2002:str": yaml.SafeLoader.construct_yaml_str,
    "tag:yaml.org,2002:seq": yaml.SafeLoader.construct_yaml_seq,
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG: _construct_mapping,
    None: yaml.SafeLoader.construct_undefined,
}
_Loader.yaml_multi_constructors = {}


def _check_aliases(root: yaml.Node) -> None:
    """Refuse a document whose aliases would grow it beyond bounds (billion laughs), or that
    refer to themselves, before anything is built from it. A node reached twice is an
    alias; each node's expanded size is computed once, iteratively (no recursion)."""
    size: dict[int, int] = {}
    visits: dict[int, int] = {}
    open_nodes: set[int] = set()
    aliases = written = 0  # written: the size of the document without expanding aliases
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            if size[key] > written + MAX_EXPANSION:
                _too_big(node)
            continue
        visits[key] = visits.get(key, 0) + 1
        if visits[key] > 1:
            if key in open_nodes:
                raise yaml.constructor.ConstructorError(
                    None, None, "an alias refers to the node that contains it", node.start_mark)
            aliases += 1
            if aliases > MAX_ALIASES:
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {MAX_ALIASES:,} aliases in one document", node.start_mark)
            continue
        if isinstance(node, yaml.ScalarNode):
            size[key] = 1 + len(node.value)
            written += size[key]
            continue
        written += 1
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _too_big(node: yaml.Node) -> None:
    raise yaml.constructor.ConstructorError(
        None, None, f"aliases expand this document beyond {MAX_EXPANSION:,} characters and nodes "
        f"(a 'billion laughs'); write the values out", node.start_mark)


_STR_TAG, _SEQ_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq"
_MAP_TAG = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
_SCALAR_CONSTRUCTORS = {tag: constructor for tag, constructor in _Loader.yaml_constructors.items()
                        if tag not in (_SEQ_TAG, _MAP_TAG, None)}


class _NotPlain(Exception):
    """A node the direct builder leaves to PyYAML (a tag on another kind of node, a complex key)."""


def _built(loader: _Loader, root: yaml.Node) -> Any:
    """What ``loader.construct_document(root)`` returns for a document without aliases, built
    directly, without PyYAML's generic machinery (state generators, per-node bookkeeping: with
    the resolver below, a file of 1,000 matters reads in two thirds of the time, BENCHMARKS.md
    Round 8). The same constructors for scalars, the same check of keys (:func:`_check_key`) and
    the same errors in the same order (sequences filled after the node that holds them, as
    PyYAML's state generators do); anything unusual is left to PyYAML, from the start."""
    pending: list[tuple[list[Any], yaml.SequenceNode]] = []

    def build(node: yaml.Node) -> Any:
        kind = type(node)
        if kind is yaml.ScalarNode:
            if node.tag == _STR_TAG:
                return node.value
            constructor = _SCALAR_CONSTRUCTORS.get(node.tag)
            if constructor is None:
                raise _NotPlain
            return constructor(loader, node)
        if kind is yaml.SequenceNode and node.tag == _SEQ_TAG:
            data: list[Any] = []
            pending.append((data, node))
            return data
        if kind is not yaml.MappingNode or node.tag != _MAP_TAG:
            raise _NotPlain
        seen: dict[Any, yaml.Node] = {}
        keys = []
        for key_node, _ in node.value:  # every key first, as _construct_mapping checks them
            if type(key_node) is not yaml.ScalarNode:
                raise _NotPlain
            key = build(key_node)
            _check_key(node, key_node, key, seen)
            keys.append(key)
        return {key: build(value_node) for key, (_, value_node) in zip(keys, node.value, strict=True)}

    try:
        document = build(root)
        while pending:
            filling, pending[:] = list(pending), []
            for data, node in filling:
                data.extend([build(child) for child in node.value])
    except _NotPlain:
        return loader.construct_document(root)
    return document


def yaml_documents(text: str) -> Iterator[tuple[Any, yaml.Node]]:
    loader = _Loader(text)
    anchors = "&" in text  # without an anchor (&name) no node can be an alias: nothing to check
    try:
        while loader.check_node():
            node = loader.get_node()
            if anchors:  # aliases: PyYAML's constructor shares the nodes reached twice
                _check_aliases(node)
                yield loader.construct_document(node), node
            else:
                yield _built(loader, node), node
    finally:
        loader.dispose()


def line_of(node: yaml.Node | None, path: tuple[Any, ...]) -> int | None:
    """The line (1-based) of the deepest place along ``path``: a key's own line for mappings."""
    if node is None:
        return None
    line = node.start_mark.line
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    node, line = value_node, key_node.start_mark.line
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return line + 1
