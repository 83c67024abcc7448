"""Figures tied to words: where a figure's number stands in its quote.

Pure functions, no storage and no pydantic. Offsets are Python string indexes (code
points) into the quote *after Unicode NFC normalisation* (the input models already
store quotes as NFC), half-open: ``quote[start:end]`` is the text.

What a statement event stores for its figures (``spans`` on ``Statement.Recorded`` and
``Statement.Corrected``), one entry per category::

    {"missing": {"status": "given",            # given | found | not_in_span | not_in_quote
                 "span": [212, 262],           # only when the input gave a span
                 "numbers": {"value": [212, 214]},   # where each bound was found
                 "absent": []}}                # bounds found nowhere (not_in_quote)

- ``found``: no span given; every bound of the figure was found in the quote.
- ``given``: a span was given (it must occur in the quote: :func:`span_problems`) and
  every bound was found inside it.
- ``not_in_span``: a span was given, but a bound was found only outside it.
- ``not_in_quote``: some bound is nowhere in the quote (a coder's inference, or a
  number stated in other words): a ``check`` warning, never an input error.

Numbers are found as digits (any Unicode decimal digits, so Devanagari ``४४``; with
separators in Western ``127,000`` or Indian ``1,27,000`` grouping) and as English number
words up to the thousands (``forty-four``, ``one hundred and twenty-seven``,
``two thousand``; ``lakh``, ``crore`` and ``million`` are understood too). A bound is
placed at its first occurrence (inside the span, if one is given), numbers in digits
first: words are looked at only when the digits do not place every bound.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, NamedTuple

STATUSES = ("given", "found", "not_in_span", "not_in_quote")
WARNING_STATUSES = frozenset({"not_in_span", "not_in_quote"})
# The numeric parts of a figure, in the order they are looked for. ``value`` is an exact
# or qualified count, ``low``/``high`` a range, ``best`` an estimate's central value and
# ``change`` an increment (its size is looked for, without sign).
BOUNDS = ("value", "low", "best", "high", "change")


class NumberMention(NamedTuple):
    """A number written in a text: ``text[start:end]`` reads as ``value`` (a tuple: a quote
    has many, and a frozen dataclass took 1.5 µs to build each)."""

    start: int
    end: int
    value: int


# --- digits ----------------------------------------------------------------------------

_SEPARATORS = ",\u066c\u00a0\u202f\u2009"  # comma, Arabic thousands, no-break, narrow no-break, thin
_DIGIT_RUN = re.compile(rf"(?<![\w.])\d+(?:[{_SEPARATORS}]\d+)*")


def _grouped(groups: list[str]) -> bool:
    """Whether digit groups split by separators read as one number: 127,000 or 1,27,000."""
    if len(groups) == 1:
        return True
    first, rest = groups[0], groups[1:]
    western = 1 <= len(first) <= 3 and all(len(g) == 3 for g in rest)
    indian = (1 <= len(first) <= 2 and all(len(g) == 2 for g in rest[:-1]) and len(rest[-1]) == 3)
    return western or indian


def _one_script(digits: str) -> bool:
    if digits.isascii():
        return True
    return len({unicodedata.name(d, "").rsplit("DIGIT", 1)[0] for d in digits}) == 1


_SPLIT = re.compile(f"[{_SEPARATORS}]")


def _digit_numbers(text: str) -> list[NumberMention]:
    found = []
    for match in _DIGIT_RUN.finditer(text):
        run = match.group()
        if run.isascii() and run.isdigit():  # the usual case: ASCII digits, no separator
            found.append(NumberMention(match.start(), match.end(), int(run)))
            continue
        groups = _SPLIT.split(run)
        if _grouped(groups) and _one_script("".join(groups)):
            found.append(NumberMention(match.start(), match.end(), int("".join(groups))))
            continue
        offset = match.start()  # not one number: each run of digits on its own ("12,13" is two)
        for part in re.finditer(r"\d+", match.group()):
            if _one_script(part.group()):
                found.append(NumberMention(offset + part.start(), offset + part.end(), int(part.group())))
    return found


# --- words -----------------------------------------------------------------------------

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_SCALES = {"thousand": 1000, "lakh": 100_000, "lakhs": 100_000, "million": 1_000_000,
           "crore": 10_000_000, "crores": 10_000_000}
_WORD = re.compile(r"[A-Za-z]+")
# Only number words (and "and") are tokens: two tokens belong to one number when nothing
# but a joiner stands between them (checked in _word_numbers).
_NUMBER_WORDS = frozenset([*_UNITS, *_TENS, *_SCALES, "hundred", "and"])


def _kind(word: str) -> str | None:
    if word in _UNITS:
        return "unit" if 0 < _UNITS[word] < 10 else "teen"
    if word in _TENS:
        return "tens"
    if word == "hundred":
        return "hundred"
    if word in _SCALES:
        return "scale"
    if word == "and":
        return "and"
    return None


# Which kind of word may follow which inside one number ("and" only after hundred/scale).
_FOLLOWS = {
    "unit": {"hundred", "scale"},
    "teen": {"hundred", "scale"},
    "tens": {"unit", "scale"},
    "hundred": {"and", "unit", "teen", "tens", "scale"},
    "scale": {"and", "unit", "teen", "tens"},
    "and": {"unit", "teen", "tens"},
}
_JOINERS = re.compile(r"[ \t\n-]+|\s*,?\s+")  # what may stand between two words of one number


def _value(words: list[str]) -> int:
    total = current = 0
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALES:
            total += (current or 1) * _SCALES[word]
            current = 0
    return total + current


def _word_numbers(text: str) -> list[NumberMention]:
    found: list[NumberMention] = []
    tokens = [(m.start(), m.end(), word) for m in _WORD.finditer(text)
              if (word := m.group().lower()) in _NUMBER_WORDS]
    group: list[tuple[int, int, str]] = []

    def close() -> None:
        while group and group[-1][2] == "and":
            group.pop()
        if group:
            found.append(NumberMention(group[0][0], group[-1][1], _value([w for _, _, w in group])))
        group.clear()

    for start, end, word in tokens:
        kind = _kind(word)
        joined = bool(group) and bool(_JOINERS.fullmatch(text[group[-1][1]:start]))
        if group and joined and kind in _FOLLOWS[_kind(group[-1][2]) or "and"]:
            group.append((start, end, word))
            continue
        close()
        if kind is not None and kind != "and":
            group.append((start, end, word))
    close()
    return found


def find_numbers(text: str) -> list[NumberMention]:
    """Every number written in ``text`` (NFC-normalised first), in order of position."""
    text = unicodedata.normalize("NFC", text)
    return sorted(_digit_numbers(text) + _word_numbers(text), key=lambda n: (n.start, -n.end))


# --- figures in their quotes --------------------------------------------------------------


def figure_bounds(raw: Any) -> dict[str, int]:
    """The numbers a figure states, by bound name, from its input form (``12``,
    ``{value, ...}``, ``{low, high}``, ...), as a dict or a model."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return {"value": raw}
    get = raw.get if isinstance(raw, dict) else (lambda key: getattr(raw, key, None))
    bounds = {}
    for name in BOUNDS:
        value = get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            bounds[name] = abs(value)
    return bounds


def figure_span_text(raw: Any) -> str | None:
    """The span an input figure gives, if any."""
    if isinstance(raw, dict):
        return raw.get("span")
    return getattr(raw, "span", None)


class _Numbers:
    """The numbers of one quote, digits first; words only looked for when needed (most
    figures are written in digits, and the word pass costs more)."""

    def __init__(self, quote: str):
        self.quote = quote
        plain = quote.isascii() and _COMMA_DIGIT.search(quote) is None
        self.digits: dict[int, list[NumberMention]] | _PlainDigits = (
            _PlainDigits(quote) if plain else _by_value(_digit_numbers(quote)))
        self._all: dict[int, list[NumberMention]] | None = None

    @property
    def all(self) -> dict[int, list[NumberMention]]:
        if self._all is None:
            digits = _digit_numbers(self.quote) if isinstance(self.digits, _PlainDigits) else [
                n for found in self.digits.values() for n in found]
            mentions = digits + _word_numbers(self.quote)
            self._all = _by_value(sorted(mentions, key=lambda n: (n.start, -n.end)))
        return self._all


_COMMA_DIGIT = re.compile(",[0-9]")
_ASCII_DIGITS = frozenset("0123456789")
_ASCII_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.")  # (?<![\w.])


class _PlainDigits:
    """``_by_value(_digit_numbers(quote))`` for an ASCII quote with no comma before a digit,
    computed per value asked for (a figure asks for one or two of a quote's numbers; finding
    every number took 85% of locating a statement's figures). There, a number in digits is a
    whole run of digits not after a letter, a digit, ``_`` or ``.``: a value's mentions are
    the runs around where ``str(value)`` occurs that read as it (``007`` as 7)."""

    def __init__(self, quote: str):
        self.quote = quote
        self._found: dict[int, list[NumberMention]] = {}

    def get(self, value: int, default: Any = None) -> Any:
        found = self._found.get(value)
        if found is None:
            found = self._found[value] = self._mentions(value)
        return found or default

    def _mentions(self, value: int) -> list[NumberMention]:
        if value < 0:
            return []
        try:
            text = str(value)
        except ValueError:  # beyond 4,300 digits, which no run of digits reads as either
            return []
        quote, found = self.quote, []
        size = len(quote)
        at = quote.find(text)
        while at >= 0:
            end = at + len(text)
            if end < size and quote[end] in _ASCII_DIGITS:  # not the end of its run: reads otherwise
                at = quote.find(text, at + 1)
                continue
            start = at
            while start > 0 and quote[start - 1] in _ASCII_DIGITS:
                start -= 1
            if (start == 0 or quote[start - 1] not in _ASCII_WORD) and (
                    start == at or int(quote[start:end]) == value):
                found.append(NumberMention(start, end, value))
            at = quote.find(text, end)
        return found


def _by_value(mentions: list[NumberMention]) -> dict[int, list[NumberMention]]:
    """Mentions by the number they read as, each list in the order given (a figure's bound
    is then found without scanning every number of the quote)."""
    index: dict[int, list[NumberMention]] = {}
    for mention in mentions:
        index.setdefault(mention.value, []).append(mention)
    return index


def locate_figure(raw: Any, quote: str, numbers: _Numbers | None = None) -> dict[str, Any]:
    """Where one figure's numbers stand in ``quote`` (the stored shape: module docstring).

    Digits are preferred: a bound is looked for among the numbers written in digits, and
    among all (words too) only when the digits do not place every bound (in its span)."""
    quote = unicodedata.normalize("NFC", quote)
    return _locate_figure(raw, quote, numbers or _Numbers(quote))


def _locate_figure(raw: Any, quote: str, numbers: _Numbers) -> dict[str, Any]:
    entry = _locate(raw, quote, numbers.digits)
    if entry["status"] in WARNING_STATUSES:
        entry = _locate(raw, quote, numbers.all)
    return entry


def _locate(raw: Any, quote: str, numbers: dict[int, list[NumberMention]]) -> dict[str, Any]:
    if type(raw) is int:  # a bare count (the usual figure): no span, one bound; the same entry as below
        found = numbers.get(raw)
        if found:
            return {"status": "found", "numbers": {"value": [found[0].start, found[0].end]}, "absent": []}
        return {"status": "not_in_quote", "numbers": {}, "absent": ["value"]}
    span = figure_span_text(raw)
    entry: dict[str, Any] = {}
    region = None
    if span:
        span = unicodedata.normalize("NFC", span)
        at = quote.find(span)
        if at >= 0:
            region = (at, at + len(span))
            entry["span"] = [region[0], region[1]]
    found: dict[str, list[int]] = {}
    absent: list[str] = []
    outside = False
    for name, value in figure_bounds(raw).items():
        matches = numbers.get(value, [])
        inside = [n for n in matches if region and region[0] <= n.start and n.end <= region[1]]
        chosen = (inside or matches)[:1]
        if not chosen:
            absent.append(name)
            continue
        found[name] = [chosen[0].start, chosen[0].end]
        outside = outside or (region is not None and not inside)
    if absent:
        status = "not_in_quote"
    elif outside:
        status = "not_in_span"
    else:
        status = "given" if region else "found"
    entry.update({"status": status, "numbers": found, "absent": absent})
    return entry


def locate_figures(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``spans`` of a statement document: each figure located in the quote."""
    figures = document.get("figures", {})
    if not figures:
        return {}
    quote = unicodedata.normalize("NFC", document.get("quote", ""))
    numbers = _Numbers(quote)
    return {category: _locate_figure(raw, quote, numbers) for category, raw in figures.items()}


def span_problems(figures: dict[str, Any], quote: str) -> list[tuple[tuple[Any, ...], str]]:
    """Record-time rule: a given span must occur in the quote, exactly after NFC.

    Returns ``(path, message)`` pairs (path inside the statement, for a file:line).
    """
    quote = unicodedata.normalize("NFC", quote)
    problems = []
    for category, raw in figures.items():
        span = figure_span_text(raw)
        if span is None:
            continue
        if unicodedata.normalize("NFC", span) not in quote:
            shown = span if len(span) <= 60 else span[:57] + "..."
            problems.append((("figures", category, "span"), (
                f"the span {shown!r} does not occur in the quote (it must be copied exactly, "
                f"spaces and punctuation included)"
            )))
    return problems


def span_warnings(spans: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """``(category, message)`` for figures whose numbers are not where the quote says:
    ``not_in_quote`` (a check warning) and ``not_in_span``."""
    warnings = []
    for category, entry in spans.items():
        if entry["status"] == "not_in_quote":
            warnings.append((category, (
                f"not_in_quote: the {' and '.join(entry['absent'])} of {category!r} appears nowhere in the "
                f"quote (an inferred figure; give the words that state it)"
            )))
        elif entry["status"] == "not_in_span":
            warnings.append((category, f"not_in_span: the number of {category!r} is outside its span"))
    return warnings
