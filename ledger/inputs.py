"""Reading matter and statement files: YAML, JSON and JSON Lines, with file:line errors.

Every problem found becomes an :class:`InputProblem` naming the file, the place in
the document (``statements[2].figures.missing``) and, where the format allows, the
line, in the manner of ``bean-check``. Nothing here touches the ledger.
"""

from __future__ import annotations

import json
import os
import reprlib
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from pydantic import BaseModel, ValidationError

from ledger.domain.documents import UNION_TAGS, Matter, MatterFile, Statement
from ledger.errors import InputError, InputProblem
from ledger.yaml_documents import MAX_INTEGER_DIGITS, line_of, yaml_documents

YAML_SUFFIXES = {".yaml", ".yml"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUFFIXES = YAML_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES
MAX_FILE_BYTES = 256 * 1024 * 1024


def format_path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class Located:
    """A validated document and where it came from, to point later errors at it."""

    file: str
    base: tuple[Any, ...]  # path of the document inside its file
    node: yaml.Node | None  # YAML/JSON node tree for line numbers
    line: int | None  # line of the document itself (JSON Lines)
    document: Matter | Statement = field(repr=False)

    def problem(self, subpath: tuple[Any, ...], message: str) -> InputProblem:
        line = line_of(self.node, subpath) if self.node is not None else self.line
        return InputProblem(self.file, format_path(self.base + subpath), line, message)




def _no_duplicate_json_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):  # no key twice (the dict built in C; the loop only to name it)
        return result
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _json_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_INTEGER_DIGITS:
        raise ValueError(f"an integer of {len(digits)} digits is too large")
    return int(text)


# One decoder for every document (``json.loads`` with hooks builds a new one per call).
_JSON = json.JSONDecoder(object_pairs_hook=_no_duplicate_json_keys, parse_int=_json_int)


def _json_loads(text: str) -> Any:
    """``json.loads(text, object_pairs_hook=..., parse_int=...)``, its BOM error included."""
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _JSON.decode(text)


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --- files -> raw documents ------------------------------------------------------------------


def expand_paths(paths: Iterable[str]) -> list[Path]:
    """Files as given, folders expanded to the statement files inside them (sorted)."""
    result: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            result.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            )
        else:
            result.append(path)
    return result


RawDocument = tuple[Any, "yaml.Node | None", "int | None"]  # data, node tree, line


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(
            [InputProblem(name, "", line, f"not valid UTF-8 (byte {e.start}: {e.reason})")]
        ) from None


def read_raw_documents(name: str, data: bytes) -> list[RawDocument]:
    """Parse a file's bytes into documents; syntax errors raise :class:`InputError`."""
    suffix = Path(name).suffix.lower()
    text = _decode(name, data)
    if suffix in JSONL_SUFFIXES:
        return list(_jsonl_documents(name, text.splitlines()))
    if suffix in JSON_SUFFIXES:
        try:
            value = _json_loads(text)
        except json.JSONDecodeError as e:
            raise InputError([InputProblem(name, "", e.lineno, f"invalid JSON: {e.msg}")]) from None
        except ValueError as e:
            raise InputError([InputProblem(name, "", None, f"invalid JSON: {e}")]) from None
        except RecursionError:
            raise InputError([InputProblem(name, "", None, "nested too deeply")]) from None
        try:  # JSON is YAML: its node tree gives line numbers for later errors
            node = next(yaml_documents(text))[1]
        except Exception:  # noqa: BLE001 - line numbers are a nicety
            node = None
        return [(value, node, None)]
    try:
        return [(value, node, None) for value, node in yaml_documents(text)]
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = " ".join(str(x) for x in (e.context, e.problem) if x) or str(e)
        line = mark.line + 1 if mark else None
        raise InputError([InputProblem(name, "", line, f"invalid YAML: {problem}")]) from None
    except yaml.YAMLError as e:
        raise InputError([InputProblem(name, "", None, f"invalid YAML: {e}")]) from None
    except RecursionError:
        raise InputError([InputProblem(name, "", None, "nested too deeply")]) from None


def _jsonl_documents(name: str, lines: Iterable[str], first_line: int = 1) -> Iterator[RawDocument]:
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        try:
            value = _json_loads(line)
        except json.JSONDecodeError as e:
            raise InputError([InputProblem(name, "", number, f"invalid JSON: {e.msg}")]) from None
        except (ValueError, RecursionError) as e:
            raise InputError([InputProblem(name, "", number, f"invalid JSON: {e}")]) from None
        yield value, None, number


# --- raw documents -> validated models -------------------------------------------------------


def _problems_from(
    error: ValidationError, name: str, base: tuple[Any, ...], node: yaml.Node | None, line: int | None
) -> list[InputProblem]:
    problems = []
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if part not in UNION_TAGS)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "required field is missing"
        elif item["type"] == "extra_forbidden":
            message = "unknown field"
        elif "input" in item and item["type"] not in ("model_type", "dict_type"):
            shown = _shown(item["input"])
            if shown not in message:  # a date's message already quotes it
                message += f" (got {shown})"
        where = line_of(node, loc) if node is not None else line
        problems.append(InputProblem(name, format_path(base + loc), where, message))
    return problems


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 2, 60, 60, 40
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4


def _shown(value: Any) -> str:
    """A short representation of a bad value, never built whole (a value may be huge)."""
    shown = _SHORT.repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _validate(
    model: type[BaseModel], value: Any, name: str, base: tuple[Any, ...],
    node: yaml.Node | None, line: int | None,
) -> tuple[BaseModel | None, list[InputProblem]]:
    try:
        return model.model_validate(value), []
    except ValidationError as e:
        return None, _problems_from(e, name, base, node, line)
    except RecursionError:
        return None, [InputProblem(name, format_path(base), line, "nested too deeply")]


def _sub_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return value_node
    return None


def documents_from_raw(
    name: str, raw: Iterable[RawDocument]
) -> tuple[list[Located], list[InputProblem]]:
    """Classify and validate raw documents: matter files, statement lists, single statements."""
    found: list[Located] = []
    problems: list[InputProblem] = []
    for value, node, line in raw:
        if value is None:
            continue  # an empty YAML document
        if not isinstance(value, dict):
            where = node.start_mark.line + 1 if node is not None else line
            problems.append(InputProblem(
                name, "", where,
                f"expected a statement, a list under 'statements:' or a 'matter:', "
                f"got {type(value).__name__}",
            ))
            continue
        if "matter" in value and isinstance(value["matter"], dict):
            model, errs = _validate(MatterFile, value, name, (), node, line)
            problems += errs
            if model is not None:
                found.append(Located(name, ("matter",), _sub_node(node, "matter"), line, model.matter))
        elif "statements" in value:
            items = value["statements"]
            if set(value) != {"statements"} or not isinstance(items, list):
                problems.append(InputProblem(
                    name, "statements", line if node is None else line_of(node, ("statements",)),
                    "expected only a list under 'statements:'",
                ))
                continue
            list_node = _sub_node(node, "statements")
            for index, item in enumerate(items):
                item_node = list_node.value[index] if isinstance(list_node, yaml.SequenceNode) else None
                base = ("statements", index)
                model, errs = _validate(Statement, item, name, base, item_node, line)
                problems += errs
                if model is not None:
                    found.append(Located(name, base, item_node, line, model))
        else:
            model, errs = _validate(Statement, value, name, (), node, line)
            problems += errs
            if model is not None:
                found.append(Located(name, (), node, line, model))
    return found, problems


STDIN = "-"
STDIN_NAME = "<stdin>"


def iter_inputs(paths: Iterable[str], stdin: BinaryIO | None = None) -> Iterator[Located | InputProblem]:
    """Stream validated documents and problems, file by file, in order.

    JSON Lines (files, or ``-`` for standard input) are read a line at a time, so
    memory does not grow with the number of statements; a YAML or JSON file is read
    whole (it is one document tree), up to ``MAX_FILE_BYTES``.
    """
    names = list(paths)
    files = expand_paths(n for n in names if n != STDIN)
    if not files and STDIN not in names:
        yield InputProblem("(arguments)", "", None, "no statement files found")
        return
    for name in names:
        if name == STDIN:
            if stdin is None:
                stdin = sys.stdin.buffer
            yield from _stream_jsonl(STDIN_NAME, stdin)
    for path in files:
        name = str(path)
        problem = _unreadable(path)
        if problem is not None:
            yield InputProblem(name, "", None, problem)
            continue
        try:
            if path.suffix.lower() in JSONL_SUFFIXES:
                with path.open("rb") as stream:
                    yield from _stream_jsonl(name, stream)
                continue
            with path.open("rb") as stream:
                data = stream.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                yield InputProblem(name, "", None, f"larger than {MAX_FILE_BYTES:,} bytes")
                continue
        except OSError as e:
            yield InputProblem(name, "", None, f"cannot read: {e.strerror or e}")
            continue
        try:
            docs, errs = documents_from_raw(name, read_raw_documents(name, data))
        except InputError as e:
            yield from e.problems
            continue
        yield from errs
        yield from docs


def _unreadable(path: Path) -> str | None:
    """Why a named file cannot be an input, before opening it: missing, a device or a
    socket (``/dev/zero`` would never end), an unknown type, too large. Regular files
    and pipes (``<(zcat x.jsonl.gz)``) are read, always with a bound."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "does not exist" if not os.path.islink(path) else "is a broken symbolic link"
    except OSError as e:
        return f"cannot read: {e.strerror or e}"
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        return "is not a regular file (a device, socket or the like); name a file or a folder"
    if path.suffix.lower() not in SUFFIXES:
        return f"unknown file type {path.suffix!r}: use .yaml, .yml, .json or .jsonl"
    if stat.S_ISREG(info.st_mode) and info.st_size > MAX_FILE_BYTES and path.suffix.lower() not in JSONL_SUFFIXES:
        return f"larger than {MAX_FILE_BYTES:,} bytes"
    return None


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines of at most ``MAX_FILE_BYTES`` (+1 to tell a longer one): never unbounded."""
    while True:
        raw = stream.readline(MAX_FILE_BYTES + 1)
        if not raw:
            return
        yield raw
        if len(raw) > MAX_FILE_BYTES:
            return  # the rest is not read: the line may never end


def _stream_jsonl(name: str, stream: BinaryIO) -> Iterator[Located | InputProblem]:
    for number, raw in enumerate(_lines(stream), start=1):
        if len(raw) > MAX_FILE_BYTES:
            yield InputProblem(name, "", number, f"line longer than {MAX_FILE_BYTES:,} bytes; the rest "
                               "of the file was not read")
            continue
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as e:
            yield InputProblem(name, "", number, f"not valid UTF-8 (byte {e.start}: {e.reason})")
            continue
        try:
            raw_docs = list(_jsonl_documents(name, [line], first_line=number))
        except InputError as e:
            yield from e.problems
            continue
        docs, errs = documents_from_raw(name, raw_docs)
        yield from errs
        yield from docs


def load_files(paths: Iterable[str]) -> list[Located]:
    """Load and validate every file; raise one :class:`InputError` with all problems found."""
    found: list[Located] = []
    problems: list[InputProblem] = []
    for item in iter_inputs(paths):
        if isinstance(item, InputProblem):
            problems.append(item)
        else:
            found.append(item)
    if problems:
        raise InputError(problems)
    return found
