"""The input contract: matter and statement documents, validated by pydantic.

These models *are* the public file format; ``schemas/`` is generated from them
(``scripts/make_schemas.py``) and a test keeps the two in sync.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    RootModel,
    StrictInt,
    Tag,
    WithJsonSchema,
    model_validator,
)

from ledger.domain.figures import Figure  # noqa: F401 - part of this module's interface
from ledger.domain.dates import PartialDate
from ledger.domain.links import LINK_TYPES
from ledger.domain.sources import SOURCE_TYPES, source_id
from ledger.domain.relations import parse_relation
from ledger.domain.synonyms import synonym_problems

# JSON numbers beyond 2**53 lose precision in most readers of our JSON output.
MAX_COUNT = 2**53 - 1

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0, DEL and C1 (U+0085 is a YAML line break)
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # the same, for ASCII text
# Explicit embeddings, overrides and isolates make text display other than it reads
# ("Trojan Source"); the implicit marks U+200E, U+200F and U+061C are allowed.
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Characters that show nothing: a text made only of them (and spaces) is blank.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u2800\u3164\uffa0")


def _no_control_characters(text: str) -> str:
    if text.isascii() and _ASCII_CONTROL.search(text) is None:
        return text  # no bidirectional control in ASCII, and NFC changes nothing
    found = _CONTROL.search(text)
    if found:
        raise ValueError(
            f"contains the control character U+{ord(found.group()):04X} at offset {found.start()}"
        )
    found = _BIDI_CONTROL.search(text)
    if found:
        raise ValueError(
            f"contains the bidirectional control U+{ord(found.group()):04X} "
            f"({unicodedata.name(found.group())}) at offset {found.start()}: it makes text display "
            "other than it reads; remove it"
        )
    return unicodedata.normalize("NFC", text)


def _visible(char: str) -> bool:
    return not (char.isspace() or char in _INVISIBLE or unicodedata.category(char) in ("Cf", "Zs", "Mn"))


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    if not any(_visible(c) for c in text):
        shown = " ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(text) if not c.isspace())
        raise ValueError(f"has no visible character (only {shown[:60]})")
    return text


def _text(text: str) -> str:
    """``_no_control_characters`` then ``_not_blank``, in one call (most texts are ASCII:
    then no bidirectional control can occur, NFC changes nothing and a non-space character
    is visible, so one regular expression and ``strip`` decide)."""
    if text.isascii():
        if (text.isprintable() or _ASCII_CONTROL.search(text) is None) and text.strip():  # printable: no control
            return text
    return _not_blank(_no_control_characters(text))


def Text(max_length: int) -> Any:  # noqa: N802 - reads as a type in the models
    return Annotated[str, Field(max_length=max_length), AfterValidator(_text)]


Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        max_length=120,  # MAX_ID_LENGTH
        description="lower-case letters, digits, '.', '_' and '-'",
    ),
]
CategoryName = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64, description="snake_case category name"),
]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_COUNT, description="a non-negative whole number")]

_DATE_SCHEMA = {
    "anyOf": [
        {
            "type": "string",
            "pattern": r"^(\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?|unknown)$",
        },
        {"type": "integer", "minimum": 1000, "maximum": 9999, "description": "a bare year"},
    ],
    "description": "YYYY, YYYY-MM, YYYY-MM-DD (the precision is kept) or 'unknown'",
}
DateField = Annotated[
    PartialDate,
    BeforeValidator(PartialDate.parse),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(_DATE_SCHEMA),
]

def _valid_relation(text: str) -> str:
    parse_relation(text)  # raises ValueError with the column of the problem
    return " ".join(text.split())


RelationText = Annotated[
    str,
    Field(
        max_length=1000,
        pattern=r"^[a-z0-9_+\-=<> ]+$",
        description="e.g. 'recruited = discharged + remaining + dead + unaccounted' or 'missing <= remaining'",
    ),
    AfterValidator(_valid_relation),
]

Qualifier = Literal["exact", "at_least", "at_most", "approx"]
Attribution = Literal["direct_quote", "paraphrase", "second_hand"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Change = Annotated[StrictInt, Field(ge=-MAX_COUNT, le=MAX_COUNT,
                                     description="a change since the previous figure (negative: fewer)")]


class FigureDetail(_Strict):
    """Long form of a figure: ``{value, qualifier}``; an estimate ``{low, best, high}`` (any
    two of them, or ``best`` alone with ``qualifier: approx``; ``{low, high}`` is a range);
    or an increment ``{change}``."""

    value: Count | None = None
    qualifier: Qualifier | None = None
    low: Count | None = None
    best: Count | None = None
    high: Count | None = None
    span: Text(2000) | None = Field(  # evidence (issue 14): see ledger/domain/spans.py
        default=None,
        description="the words of the quote that state this figure, copied exactly, "
        "e.g. '12 are reported missing'",
    )
    change: Change | None = None

    @model_validator(mode="after")
    def _one_form(self) -> FigureDetail:
        has_range = self.low is not None or self.high is not None
        if self.change is not None:
            others = [k for k in ("value", "qualifier", "low", "best", "high") if getattr(self, k) is not None]
            if others:
                raise ValueError(f"a change takes no other field (got {', '.join(map(repr, others))})")
            return self
        if self.value is None and not has_range and self.best is None:
            raise ValueError("give either 'value' or both 'low' and 'high' (or an estimate {low, best, high}, "
                             "or a change {change: 2})")
        if self.value is not None and (has_range or self.best is not None):
            raise ValueError("give either 'value' or 'low' and 'high', not both"
                             if has_range else "give either 'value' or 'best', not both")
        if self.value is not None:
            return self
        if not has_range:  # best alone
            if self.qualifier != "approx":
                raise ValueError("'best' alone needs 'qualifier: approx' (or give 'low' and/or 'high' with it)")
            return self
        if self.best is None and (self.low is None or self.high is None):
            raise ValueError("a range needs both 'low' and 'high' (or one of them with 'best')")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"'low' ({self.low}) is greater than 'high' ({self.high})")
        if self.best is not None and self.low is not None and self.best < self.low:
            raise ValueError(f"'best' ({self.best}) is less than 'low' ({self.low})")
        if self.best is not None and self.high is not None and self.best > self.high:
            raise ValueError(f"'best' ({self.best}) is greater than 'high' ({self.high})")
        if self.qualifier is not None:
            raise ValueError("a range takes no 'qualifier'")
        return self


def _figure_form(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return "count"
    if isinstance(value, dict | FigureDetail):
        return "detail"
    return None


FigureInput = Annotated[
    Annotated[Count, Tag("count")] | Annotated[FigureDetail, Tag("detail")],
    Discriminator(
        _figure_form,
        custom_error_type="figure_form",
        custom_error_message="a figure is a count (12) or {value: 12, qualifier: at_least} "
        "or a range {low: 10, high: 14} or an estimate {low, best, high} or a change {change: 2}",
    ),
]
# Tags that pydantic puts into error locations; the loader drops them.
UNION_TAGS = frozenset({"count", "detail"})


SourceType = Literal[SOURCE_TYPES]


class Source(_Strict):
    """Who speaks. Each distinct (organization, person) is one source with a stable id
    (ledger/domain/sources.py); the role belongs to the statement."""

    organization: Text(300)
    person: Text(300) | None = None
    role: Text(300) | None = None
    type: SourceType | None = None

    @property
    def source_id(self) -> str:
        return source_id(self.organization, self.person)

    def label(self) -> str:
        return f"{self.organization} ({self.person})" if self.person else self.organization


class Link(_Strict):
    """A typed link from this statement to another (ledger/domain/links.py gives the meanings)."""

    type: Literal[LINK_TYPES]
    statement: Slug


class Citation(_Strict):
    outlet: Text(300)
    url: Annotated[
        str, Field(pattern=r"^https?://[^\s]+$", max_length=2000, description="http(s) address"),
        AfterValidator(_no_control_characters),
    ] | None = None
    published_on: DateField | None = None


MAX_ID_LENGTH = 120


def derived_id(matter: str, stated_on: str, content_hash: str) -> str:
    """``MATTER-STATED_ON-HASH10``, always a valid id: a matter id too long for the limit
    is cut (a hash keeps it unique), so ``show --format yaml`` prints what ``record`` reads."""
    suffix = f"-{stated_on}-{content_hash[:10]}"
    if len(matter) + len(suffix) <= MAX_ID_LENGTH:
        return matter + suffix
    return matter[:MAX_ID_LENGTH - len(suffix)].rstrip("-._") + suffix


class Statement(_Strict):
    """One official assertion: who said what, where, when, in which words."""

    id: Slug | None = None
    matter: Slug
    stated_on: DateField
    as_of: DateField | None = None
    source: Source
    venue: Text(300) | None = None
    figures: dict[CategoryName, FigureInput] = Field(default_factory=dict)
    quote: Text(100_000)
    attribution: Attribution = "direct_quote"
    quote_language: Annotated[
        str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", description="a language tag")
    ] | None = None
    citations: list[Citation] = Field(default_factory=list, max_length=100)
    notes: Text(100_000) | None = None
    relations: list[RelationText] = Field(
        default_factory=list, max_length=100,
        description="how this statement's own figures relate; takes precedence over the matter's",
    )
    links: list[Link] = Field(
        default_factory=list, max_length=100,
        description="typed links to other statements: restates, updates, contradicts, denies, cites",
    )

    @property
    def statement_id(self) -> str:
        """The given id, or one derived from the content (stable across re-recording)."""
        if self.id:
            return self.id
        return derived_id(self.matter, str(self.stated_on), self.content_hash())

    def _dump(self, exclude: set[str] | None = None) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude=exclude, exclude_none=True)
        if not data.get("links"):
            data.pop("links", None)  # documents recorded before links existed stay identical
        return data

    def content_hash(self) -> str:
        body = self._dump(exclude={"id"})
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def effective_as_of(self) -> PartialDate:
        return self.as_of if self.as_of is not None else self.stated_on

    def normalised_figures(self) -> dict[str, Figure]:
        return {name: Figure.from_input(raw) for name, raw in self.figures.items()}

    def document(self) -> dict[str, Any]:
        """The canonical JSON document stored in the event (id always filled in)."""
        data = self._dump()
        data["id"] = self.statement_id
        return data


class StatementList(_Strict):
    statements: list[Statement]


class StatementFile(RootModel[Statement | StatementList]):
    """A statement file: one statement, or a list of them under ``statements:``."""


class Category(_Strict):
    """``cumulative`` counts only grow; ``current`` counts go up and down; ``derived`` ones
    are computed from relations (a statement may still give one)."""

    kind: Literal["cumulative", "current", "derived"]
    description: Text(2000) | None = None
    same_as: CategoryName | None = Field(
        default=None,
        description="another category of the matter counting the same people under another word: "
        "figures under either name share one timeline",
    )


class Matter(_Strict):
    """What is counted, and in which categories."""

    id: Slug
    title: Text(500)
    description: Text(10_000) | None = None
    categories: dict[CategoryName, Category] = Field(min_length=1)
    relations: list[RelationText] = Field(default_factory=list, max_length=100)
    stale_after_days: Annotated[StrictInt, Field(ge=0, le=36_500)] | None = Field(
        default=None,
        description="flag derived figures and checks that mix figures further apart than this (default 90)",
    )

    def relation_problems(self) -> list[tuple[tuple[Any, ...], str]]:
        """Relations naming categories the matter does not declare: (path, message)."""
        return unknown_in_relations(self.relations, self.categories, self.id)

    def problems(self) -> list[tuple[tuple[Any, ...], str]]:
        """Everything wrong across fields: relations, then synonyms (``same_as``)."""
        kinds = {name: category.kind for name, category in self.categories.items()}
        same_as = {name: category.same_as for name, category in self.categories.items()
                   if category.same_as is not None}
        return self.relation_problems() + synonym_problems(kinds, same_as, self.id)

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def unknown_in_relations(relations: list[str], categories: dict[str, Any] | list[str],
                         matter_id: str) -> list[tuple[tuple[Any, ...], str]]:
    problems = []
    for index, text in enumerate(relations):
        unknown = [c for c in parse_relation(text).categories if c not in categories]
        if unknown:
            problems.append((("relations", index), (
                f"unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(map(repr, unknown))} "
                f"in relation '{text}' for matter {matter_id!r}; declare derived ones with kind: derived"
            )))
    return problems


class MatterFile(_Strict):
    """A matter file: ``matter:`` and the declaration under it."""

    matter: Matter
