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
