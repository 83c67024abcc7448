"""Relations between categories: a small, safe expression model (no ``eval``).

Grammar::

    relation := sum ("=" | "<=" | ">=") sum
    sum      := ["-"] term (("+" | "-") term)*
    term     := category | whole number

``recruited = discharged + remaining + dead + unaccounted`` reads: the figure for
``recruited`` equals the sum of the others. With all figures but one known, the
unknown is derived; with all known, the relation is checked. Figures are intervals
(see :mod:`ledger.domain.intervals`), so a check fails only when it cannot hold.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ledger.domain.intervals import Interval

_TOKEN = re.compile(r"\s*(?:(?P<op><=|>=|==|=)|(?P<sign>[+-])|(?P<name>[a-z][a-z0-9_]*)|(?P<num>\d+))")
Operator = Literal["=", "<=", ">="]


class RelationSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Relation:
    """``sum(left) op sum(right)``, each side a tuple of (sign, category) plus a constant."""

    text: str
    left: tuple[tuple[int, str], ...]
    op: Operator
    right: tuple[tuple[int, str], ...]
    constant: int = 0  # right constant minus left constant

    @property
    def categories(self) -> list[str]:
        seen: list[str] = []
        for _, name in self.left + self.right:
            if name not in seen:
                seen.append(name)
        return seen

    def coefficients(self) -> dict[str, int]:
        """Categories with their coefficient in ``left - right``."""
        coefficients: dict[str, int] = {}
        for sign, name in self.left:
            coefficients[name] = coefficients.get(name, 0) + sign
        for sign, name in self.right:
            coefficients[name] = coefficients.get(name, 0) - sign
        return coefficients

    def difference(self, values: dict[str, Interval]) -> Interval:
        """``left - right`` over the given figures (all categories must be present)."""
        total = Interval.exact(-self.constant)
        for name, coefficient in self.coefficients().items():
            total = total + values[name].scale(coefficient)
        return total

    def holds(self, values: dict[str, Interval]) -> bool:
        """Whether the relation can hold for some counts within the intervals."""
        diff = self.difference(values)
        if self.op == "=":
            return diff.contains(0)
        if self.op == "<=":
            return diff.lo <= 0
        return diff.hi >= 0

    def solve(self, unknown: str, values: dict[str, Interval]) -> Interval | None:
        """The interval the one unknown must lie in for ``=`` to hold (None if unsolvable)."""
        coefficient = self.coefficients().get(unknown, 0)
        if self.op != "=" or coefficient not in (1, -1):
            return None
        rest = Interval.exact(-self.constant)
        for name, c in self.coefficients().items():
            if name != unknown:
                rest = rest + values[name].scale(c)
        # coefficient * x + rest = 0  =>  x = -rest / coefficient
        return (-rest).scale(coefficient)

    def side_text(self, side: Literal["left", "right"]) -> str:
        terms = self.left if side == "left" else self.right
        parts = []
        for i, (sign, name) in enumerate(terms):
            parts.append(("- " if sign < 0 else "+ ") + name if i else ("-" if sign < 0 else "") + name)
        return " ".join(parts)

    def __str__(self) -> str:
        return self.text


@functools.lru_cache(maxsize=4096)
def parse_relation(text: str) -> Relation:
    """Parse one relation (cached: relations repeat across statements); raise :class:`RelationSyntaxError` with the position of a problem."""
    tokens: list[tuple[str, str, int]] = []
    position = 0
    source = text.strip()
    while position < len(source):
        match = _TOKEN.match(source, position)
        if not match or match.end() == position:
            rest = source[position:].lstrip()
            column = len(source) - len(rest) + 1
            raise RelationSyntaxError(f"unexpected {rest.split()[0][:20]!r} at column {column}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    ops = [t for t in tokens if t[0] == "op"]
    if len(ops) != 1:
        raise RelationSyntaxError("a relation needs exactly one of =, <=, >=")
    split = tokens.index(ops[0])
    left, left_const = _parse_sum(tokens[:split], "left")
    right, right_const = _parse_sum(tokens[split + 1:], "right")
    op = "=" if ops[0][1] == "==" else ops[0][1]
    if not left and not right:
        raise RelationSyntaxError("a relation needs at least one category")
    return Relation(text=_canonical(tokens), left=left, op=op, right=right,  # type: ignore[arg-type]
                    constant=right_const - left_const)


def _canonical(tokens: list[tuple[str, str, int]]) -> str:
    """The relation as text with one space between tokens, a leading minus kept tight."""
    parts: list[str] = []
    for i, (kind, value, _) in enumerate(tokens):
        if parts and kind != "sign" and parts[-1] == "-" and (i == 1 or tokens[i - 2][0] == "op"):
            parts[-1] = "-" + value
        else:
            parts.append("=" if value == "==" else value)
    return " ".join(parts)


def _parse_sum(tokens: list[tuple[str, str, int]], side: str) -> tuple[tuple[tuple[int, str], ...], int]:
    if not tokens:
        raise RelationSyntaxError(f"the {side} side is empty")
    terms: list[tuple[int, str]] = []
    constant = 0
    sign = 1
    expect_term = True
    for index, (kind, value, column) in enumerate(tokens):
        if expect_term:
            if kind == "sign" and index == 0:  # a leading sign, once
                sign = -1 if value == "-" else 1
                continue
            if kind == "name":
                terms.append((sign, value))
            elif kind == "num":
                constant += sign * int(value)
            else:
                raise RelationSyntaxError(f"expected a category or a number at column {column + 1}")
            expect_term = False
        else:
            if kind != "sign":
                raise RelationSyntaxError(f"expected + or - at column {column + 1}")
            sign = -1 if value == "-" else 1
            expect_term = True
    if expect_term:
        raise RelationSyntaxError(f"the {side} side ends with an operator")
    return tuple(terms), constant


def effective_relations(matter_relations: Sequence[str],
                        suppliers: Mapping[str, tuple[str, Sequence[str]]]) -> list[tuple[Relation, str]]:
    """The one rule for which relations apply (record-time warnings, ``status``, ``check``).

    Each of the matter's relations applies, except that where the statement that supplies
    its total (its left side: one category with a plus sign) declares its own relation for
    that same total, the statement's relation is used instead. ``suppliers`` maps a total
    category to the id and the relations of the statement that supplies it (for ``status``:
    the statement of the standing figure; for one statement on its own: that statement, for
    every category it gives). A statement's relation for a total the matter has no relation
    for is not used. Returns each relation with its origin: ``"matter"`` or ``"statement ID"``.
    """
    result: list[tuple[Relation, str]] = []
    for text in matter_relations:
        relation = parse_relation(text)
        origin = "matter"
        if len(relation.left) == 1 and relation.left[0][0] == 1:
            supplier = suppliers.get(relation.left[0][1])
            if supplier is not None:
                statement_id, own_relations = supplier
                for own in own_relations:
                    candidate = parse_relation(own)
                    if candidate.left == relation.left:
                        relation, origin = candidate, f"statement {statement_id}"
                        break
        result.append((relation, origin))
    return result


def own_relations(statement_id: str, categories: Iterable[str], statement_relations: Sequence[str],
                  matter_relations: Sequence[str]) -> list[Relation]:
    """The relations one statement's own figures are checked against (the same rule, the
    statement supplying every category it gives)."""
    suppliers = {category: (statement_id, statement_relations) for category in categories}
    return [relation for relation, _ in effective_relations(matter_relations, suppliers)]
