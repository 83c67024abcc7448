"""Synonyms: two words a matter's sources use for the same people.

A category may say ``same_as: discharged``: figures stated under ``returned`` and under
``discharged`` then share one timeline, keyed by the target (``discharged``), while each
figure keeps the word its source used (show and trace print that word).

Rules, checked when a matter is declared or revised (:func:`synonym_problems`):

- the target is a category of the same matter, and not the category itself;
- the target has no ``same_as`` of its own (no chains, hence no cycles);
- both have the same kind (cumulative, current or derived).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def synonym_problems(kinds: Mapping[str, str], same_as: Mapping[str, str],
                     matter_id: str) -> list[tuple[tuple[Any, ...], str]]:
    """(path, message) for each ``same_as`` that breaks a rule; ``kinds`` maps every category
    to its kind, ``same_as`` each synonym to its target."""
    problems = []
    for name, target in same_as.items():
        path = ("categories", name, "same_as")
        if target == name:
            problems.append((path, f"category {name!r} of matter {matter_id!r} cannot be the same as itself"))
        elif target not in kinds:
            problems.append((path, f"category {name!r} is the same as {target!r}, which matter {matter_id!r} "
                                   f"does not declare (categories: {', '.join(kinds)})"))
        elif target in same_as:
            problems.append((path, f"category {name!r} is the same as {target!r}, which is itself the same as "
                                   f"{same_as[target]!r}: name the end of the chain, {_end(target, same_as)!r}"))
        elif kinds[target] != kinds[name]:
            problems.append((path, f"category {name!r} ({kinds[name]}) cannot be the same as {target!r} "
                                   f"({kinds[target]}): synonyms have the same kind"))
    return problems


def _end(name: str, same_as: Mapping[str, str]) -> str:
    seen = {name}
    while name in same_as and same_as[name] not in seen:
        name = same_as[name]
        seen.add(name)
    return name


def timeline_key(categories: Mapping[str, Mapping[str, Any]], category: str) -> str:
    """The timeline a category's figures belong to: its ``same_as`` target, or itself.

    ``categories`` is the matter document's ``categories`` mapping (validated: no chains).
    """
    declared = categories.get(category)
    target = declared.get("same_as") if declared else None
    return target or category


def timeline_members(categories: Mapping[str, Mapping[str, Any]], key: str) -> list[str]:
    """Every category whose figures go into the timeline ``key``: the key first, then its
    synonyms in declaration order (what the read model fetches for one timeline)."""
    return [key] + [name for name, declared in categories.items()
                    if name != key and declared.get("same_as") == key]


def timelines(categories: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The timelines of a matter, in declaration order: the categories that are no synonym."""
    return [name for name, declared in categories.items() if not declared.get("same_as")]
