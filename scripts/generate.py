"""Deterministic synthetic workload for the Claims Ledger: matters, statements, changes.

Usage::

    python scripts/generate.py --matters 1000 --statements 100000 --seed 42 \\
        --output DIR [--format jsonl|yaml] [--files K] [--overwrite]

    ledger record DIR/record/            # every generated matter and statement

The same seed and arguments give byte-identical output (the YAML bytes also depend
on the PyYAML emitter: libyaml's when installed, else the pure-Python one).

The workload
------------
* **M matters** (``matter-0001`` ...), each counting 5-8 categories drawn from a pool
  of 24 (recruited, discharged, remaining, missing, dead, injured, detained, released,
  deported, displaced, evacuated, returned, ...), each ``cumulative`` or ``current``.
  A matter declares 0-2 relations between its own categories, ``a = b + c`` or
  ``a <= b`` (kinds are kept compatible: a cumulative total only sums cumulative
  parts), sometimes a description and a ``stale_after_days``.
* Behind every matter is a hidden "true" trajectory per category: cumulative ones grow
  monotonically over the ten years, current ones rise and fall (a trend times a slow
  wave); relation totals are computed from their parts, so the true figures satisfy
  the relations. Matters get Zipf-like shares of the statements.
* **N statements** (``s-0000001`` ...) with ``stated_on`` spread evenly (and so in
  roughly chronological order) over 2015-01-01..2024-12-31, mostly ``YYYY-MM-DD``,
  some ``YYYY-MM``, a few ``YYYY``; ``as_of`` in about a quarter of them, up to 180
  days before ``stated_on`` (and in 5% more, equal to it). Each gives 1-6 figures of its matter, read from the true
  trajectory at ``as_of``: mostly exact counts (short form ``12``, sometimes
  ``{value, qualifier: exact}``), some ``at_least`` (rounded down), ``at_most``
  (rounded up), ``approx`` (two significant digits) and ranges ``{low, high}`` around
  the true value; about 2% of the exact ones are off by up to 10%, so cumulative
  figures mostly, not always, grow and the ledger has some discrepancies to find.
  The source is one of 2-5 per matter (organization, usually a person and a role),
  a venue half the time, a quote of 100-600 characters (a sentence stating the
  figures, then pseudo-text from a word list), attribution, quote_language, 1-3
  citations (outlet, url, ``published_on`` on or up to two weeks after the day the
  statement was made) and sometimes notes.
* **Changes** for statements that already exist (each follows its statement in the
  stream): about 2% of the statements get a correction and 1% a retraction (never
  both). A correction fixes a recording error: a mistyped figure (most; the number in
  the quote is fixed with it), a ``stated_on`` a few days off, a typo in the quote, or
  a missing citation.

Every document is valid against ``ledger.domain.documents`` (``MatterFile``,
``Statement``) and ``schemas/*.json``; ``tests/test_generate.py`` checks it.

Files written
-------------
``DIR/record/`` holds only what ``ledger record`` reads (it reads folders recursively,
so the change files live apart from it):

* ``record/matters.yaml``: every matter, one YAML document each (``matter: {...}``),
  separated by ``---``.
* ``--format jsonl`` (default): ``record/statements-0001.jsonl`` ... ``-K.jsonl``, one
  statement per line (compact JSON), split into K files of consecutive statements
  (``--files``; by default 100,000 statements, about 95 MB, a file: ``ledger record``
  refuses files over 256 MiB, about 270,000 statements).
* ``--format yaml``: ``record/statements-0001.yaml`` ..., each a list under
  ``statements:``, 5,000 statements per file unless ``--files K`` is given.

``DIR/changes/`` (the ledger's bulk-change format is not defined yet; every line says
what it is):

* ``changes/corrections.jsonl``: one line per correction, in statement order:
  ``{"statement_id": "s-0000123", "reason": "...", "document": {...}}`` where
  ``document`` is the full corrected statement (same ``id``), as ``ledger correct
  s-0000123 FILE --reason ...`` takes it in FILE.
* ``changes/retractions.jsonl``: ``{"statement_id": "s-0000456", "reason": "..."}``, as
  ``ledger retract s-0000456 --reason ...`` takes it.

``DIR/manifest.json`` records the arguments, the counts and the file names.

Speed: JSONL takes about 60 microseconds a statement on one (shared) core, so 1,000,000
statements in about a minute, in constant memory (~32 MB resident). YAML goes through
PyYAML's representer, about 0.5 ms a statement: use JSONL for large runs.

Python API (``from scripts.generate import ...``)
-------------------------------------------------
* ``generate_matters(m, seed) -> list[dict]``
* ``generate_statements(matters, n, seed) -> Iterator[dict]``: a generator; memory does
  not grow with ``n`` (only per-matter state is kept).
* ``generate_changes(statements, seed, correction_rate=0.02, retraction_rate=0.01)
  -> Iterator[tuple[str, dict]]``: ``("correction", line)`` or ``("retraction", line)``
  for statements of the given iterable (pass ``generate_statements(...)`` again, or tee
  the stream as ``write_workload`` does).
* ``write_workload(output, matters=..., statements=..., seed=..., fmt=..., files=...)
  -> dict`` (the manifest).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import math
import random
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml's emitter: an order of magnitude faster than the pure-Python one
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Plain YAML: no anchors and aliases for repeated objects."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

START = dt.date(2015, 1, 1)
END = dt.date(2024, 12, 31)
SPAN = (END - START).days + 1  # 3653 days
_EXTRA_DAYS = 30  # published_on may fall after END

# Every day of the span (and a little after) as text, at the three precisions.
_DAYS = [START + dt.timedelta(days=d) for d in range(SPAN + _EXTRA_DAYS)]
DAY_TEXT = [d.isoformat() for d in _DAYS]
MONTH_TEXT = [t[:7] for t in DAY_TEXT]
YEAR_TEXT = [t[:4] for t in DAY_TEXT]
MONTH_INDEX = [(d.year - START.year) * 12 + d.month - 1 for d in _DAYS]
del _DAYS

# (name, kind, description, phrase used in quotes: "<number> <phrase>")
CATEGORIES: list[tuple[str, str, str, str]] = [
    ("recruited", "cumulative", "ever recruited", "were recruited"),
    ("discharged", "cumulative", "services discontinued and discharged", "have been discharged"),
    ("remaining", "current", "still serving", "remain in service"),
    ("missing", "current", "reported missing", "are reported missing"),
    ("dead", "cumulative", "killed or died", "have died"),
    ("injured", "cumulative", "injured", "were injured"),
    ("detained", "current", "held in detention", "are in detention"),
    ("released", "cumulative", "released from detention", "have been released"),
    ("deported", "cumulative", "deported", "were deported"),
    ("displaced", "current", "displaced from their homes", "remain displaced"),
    ("evacuated", "cumulative", "evacuated", "have been evacuated"),
    ("returned", "cumulative", "returned home", "have returned home"),
    ("repatriated", "cumulative", "repatriated by the government", "were repatriated"),
    ("hospitalized", "current", "in hospital", "are in hospital"),
    ("arrested", "cumulative", "arrested", "were arrested"),
    ("rescued", "cumulative", "rescued", "have been rescued"),
    ("sheltered", "current", "in shelters or camps", "are in shelters"),
    ("registered", "cumulative", "registered with the mission", "have registered with the mission"),
    ("stranded", "current", "unable to leave", "remain stranded"),
    ("in_custody", "current", "in police custody", "are in custody"),
    ("convicted", "cumulative", "convicted by a court", "have been convicted"),
    ("on_trial", "current", "facing trial", "are on trial"),
    ("awaiting_discharge", "current", "asked to leave, not yet discharged", "await discharge"),
    ("applications", "cumulative", "applications for assistance received", "applications were received"),
]
_CATEGORY = {c[0]: c for c in CATEGORIES}

COUNTRIES = [
    ("India", "Indian", "New Delhi"), ("Nepal", "Nepali", "Kathmandu"),
    ("Sri Lanka", "Sri Lankan", "Colombo"), ("Bangladesh", "Bangladeshi", "Dhaka"),
    ("Pakistan", "Pakistani", "Islamabad"), ("Philippines", "Filipino", "Manila"),
    ("Indonesia", "Indonesian", "Jakarta"), ("Kenya", "Kenyan", "Nairobi"),
    ("Nigeria", "Nigerian", "Abuja"), ("Ghana", "Ghanaian", "Accra"),
    ("Egypt", "Egyptian", "Cairo"), ("Morocco", "Moroccan", "Rabat"),
    ("Brazil", "Brazilian", "Brasilia"), ("Peru", "Peruvian", "Lima"),
    ("Mexico", "Mexican", "Mexico City"), ("France", "French", "Paris"),
    ("Germany", "German", "Berlin"), ("Poland", "Polish", "Warsaw"),
    ("Ukraine", "Ukrainian", "Kyiv"), ("Russia", "Russian", "Moscow"),
    ("Turkey", "Turkish", "Ankara"), ("Japan", "Japanese", "Tokyo"),
    ("Vietnam", "Vietnamese", "Hanoi"), ("Australia", "Australian", "Canberra"),
]
SITUATIONS = [
    "serving in the armed forces of {country}", "detained in {country}",
    "caught in the conflict in {country}", "evacuated from {country}",
    "stranded in {country}", "affected by the floods in {country}",
    "affected by the earthquake in {country}", "working in {country} on labour contracts",
    "trafficked to {country}", "seeking asylum in {country}",
    "held in immigration centres in {country}", "studying in {country} during the crisis",
]
ORGANIZATIONS = [
    "Ministry of External Affairs ({home})", "Ministry of Foreign Affairs ({home})",
    "Ministry of Defence ({home})", "Ministry of Home Affairs ({home})",
    "Embassy of {home} in {country}", "Office of the Prime Minister ({home})",
    "Ministry of Interior ({country})", "National Disaster Management Authority ({home})",
    "{home} Red Cross Society", "International Organization for Migration",
    "Office of the UN High Commissioner for Refugees", "Ministry of Labour ({home})",
]
ROLES = [
    "Spokesperson", "Minister", "Minister of State", "Secretary", "Ambassador",
    "Director General", "Press Officer", "Deputy Minister", "Consul General", "Chief of Mission",
]
FIRST_NAMES = [
    "Anita", "Rahul", "Maria", "John", "Fatima", "Ahmed", "Olena", "Pierre", "Yuki", "Chen",
    "Amara", "Kwame", "Lucia", "Tomasz", "Priya", "Sergei", "Grace", "Hassan", "Ines", "Ravi",
]
LAST_NAMES = [
    "Sharma", "Okafor", "Silva", "Kowalski", "Nguyen", "Haddad", "Mensah", "Dubois", "Tanaka",
    "Petrenko", "Fernandez", "Khan", "Jaiswal", "Mwangi", "Schmidt", "Rossi", "Santos", "Ali",
]
VENUES = [
    "weekly media briefing, {capital}", "written answer in Parliament", "question time in Parliament",
    "press conference, {capital}", "press release", "interview with state television",
    "statement on the ministry website", "post on the ministry's social media account",
    "committee hearing", "joint press conference with {country}", "radio interview",
]
OUTLETS = [
    ("ANI", "aninews.in"), ("Reuters", "reuters.com"), ("Associated Press", "apnews.com"),
    ("AFP", "afp.com"), ("BBC News", "bbc.com"), ("Al Jazeera", "aljazeera.com"),
    ("The Hindu", "thehindu.com"), ("The Kathmandu Post", "kathmandupost.com"),
    ("Deutsche Welle", "dw.com"), ("The Guardian", "theguardian.com"), ("Le Monde", "lemonde.fr"),
    ("Kyiv Independent", "kyivindependent.com"), ("Dawn", "dawn.com"),
    ("The Straits Times", "straitstimes.com"), ("Daily Nation", "nation.africa"),
    ("Folha de S.Paulo", "folha.uol.com.br"),
]
LEADS = [
    "We can confirm that", "According to our records,", "The latest figures show that",
    "I can inform the House that", "Our mission reports that", "As per our understanding,",
    "To date,", "As of now,", "Based on information from the authorities,",
]
WORDS = (
    "the government remains in close contact with the authorities concerned and our mission "
    "continues to follow up every case we have raised the matter at the highest levels families "
    "have been informed and assistance is being provided where possible further details will be "
    "shared once verification is complete we urge all citizens to avoid travel to the affected "
    "areas and to register with the embassy the numbers are based on information received from "
    "the host government and may change as more reports come in our teams are working around the "
    "clock officials are coordinating with international partners on safe passage documents "
    "medical care and return flights the ministry has set up a helpline for relatives all "
    "possible steps are being taken to ensure the safety and early return of our nationals"
).split()
LANGUAGES = ["en"] * 16 + ["fr", "es", "ru", "hi", "de", "uk", "ne", "pt"]
NOTES = [
    "The outlet paraphrases the figures; the official transcript was not available.",
    "Figures given in reply to a question; the written answer gives no date for them.",
    "The spokesperson added that the numbers are provisional.",
    "Reported second hand by the outlet, citing officials who asked not to be named.",
    "The statement repeats earlier figures for some categories.",
    "Translated from the original language by the outlet.",
]
RETRACTION_REASONS = [
    "recorded from a misquoted report", "duplicate of a statement already recorded",
    "withdrawn by the source", "attributed to the wrong matter",
    "the cited report was retracted by the outlet", "the figures were not official",
]
YAML_PER_FILE = 5000
JSONL_PER_FILE = 100_000  # about 95 MB
MAX_FILE_MIB = 256  # ledger.inputs.MAX_FILE_BYTES
RECORD_LIMIT_STATEMENTS = 250_000  # about 1 kB a statement


def _width(count: int, minimum: int) -> int:
    return max(minimum, len(str(count)))


def matter_id(index: int, m: int) -> str:
    return f"matter-{index + 1:0{_width(m, 4)}d}"


def statement_id(index: int, n: int) -> str:
    return f"s-{index + 1:0{_width(n, 7)}d}"


# --- matters -------------------------------------------------------------------------------


def _relations(rng: random.Random, names: list[str], kinds: dict[str, str]) -> list[str]:
    """0-2 relations over disjoint categories, with compatible kinds (see the docstring)."""
    wanted = rng.choices((0, 1, 2), weights=(4, 4, 2))[0]
    unused = names[:]
    rng.shuffle(unused)
    relations: list[str] = []
    while len(relations) < wanted and len(unused) >= 2:
        total = unused.pop()
        parts = [c for c in unused if kinds[total] == "current" or kinds[c] == "cumulative"]
        if len(parts) >= 2 and rng.random() < 0.6:
            chosen = parts[:2]
            relations.append(f"{total} = {chosen[0]} + {chosen[1]}")
        elif parts:
            chosen = parts[:1]
            relations.append(f"{total} <= {chosen[0]}")
        else:
            continue
        for c in chosen:
            unused.remove(c)
    return relations


def generate_matters(m: int, seed: int) -> list[dict[str, Any]]:
    """``m`` matter documents (the part under ``matter:``), valid ``Matter`` models."""
    rng = random.Random(f"{seed}:matters")
    matters = []
    for index in range(m):
        (home, nationality, _), (country, _, _) = rng.sample(COUNTRIES, 2)
        title = f"{nationality} nationals {rng.choice(SITUATIONS).format(country=country)}"
        picked = sorted(rng.sample(range(len(CATEGORIES)), rng.randint(5, 8)))
        categories: dict[str, Any] = {}
        for i in picked:
            name, kind, description, _ = CATEGORIES[i]
            categories[name] = {"kind": kind}
            if rng.random() < 0.5:
                categories[name]["description"] = description
        doc: dict[str, Any] = {"id": matter_id(index, m), "title": title}
        if rng.random() < 0.3:
            doc["description"] = f"{title}: the figures as stated by the authorities."
        doc["categories"] = categories
        relations = _relations(rng, list(categories), {k: v["kind"] for k, v in categories.items()})
        if relations:
            doc["relations"] = relations
        if rng.random() < 0.2:
            doc["stale_after_days"] = rng.choice((30, 60, 90, 180, 365))
        matters.append(doc)
    return matters


# --- statements ------------------------------------------------------------------------------


def _parse_simple_relation(text: str) -> tuple[str, str, list[str]] | None:
    """``a = b + c`` or ``a <= b`` (the forms generated); anything else gives None."""
    tokens = text.split()
    if len(tokens) == 5 and tokens[1] == "=" and tokens[3] == "+":
        return tokens[0], "=", [tokens[2], tokens[4]]
    if len(tokens) == 3 and tokens[1] == "<=":
        return tokens[0], "<=", [tokens[2]]
    return None


class _MatterModel:
    """Hidden truth of one matter: a trajectory per category, sources, outlets, venues."""

    __slots__ = ("id", "names", "orders", "phrases", "curves", "derived", "sources", "outlets", "venues")

    def __init__(self, matter: dict[str, Any], rng: random.Random):
        self.id = matter["id"]
        cats = matter["categories"]
        self.names = [c for c, v in cats.items() if v.get("kind") != "derived"] or list(cats)
        # A few shuffled orders of the categories, each doubled: a statement's figures are a
        # slice of one of them (cheaper than random.sample).
        self.orders = []
        for _ in range(6):
            order = self.names[:]
            rng.shuffle(order)
            self.orders.append(order + order)
        self.phrases = {c: _CATEGORY[c][3] if c in _CATEGORY else f"counted as {c.replace('_', ' ')}"
                        for c in cats}
        # Independent curves: ("cum", start, growth, exponent) or
        # ("cur", base, trend, amplitude, 2 pi / period, phase)
        self.curves: dict[str, tuple] = {}
        for name in cats:
            if cats[name].get("kind") == "cumulative":
                final = math.exp(rng.uniform(math.log(20), math.log(50_000)))
                start = rng.uniform(0.0, 0.3)
                self.curves[name] = ("cum", final * start, final * (1 - start), rng.uniform(0.5, 2.0))
            else:
                base = math.exp(rng.uniform(math.log(5), math.log(20_000)))
                self.curves[name] = ("cur", base, rng.uniform(-0.3, 0.6), rng.uniform(0.1, 0.5),
                                     2 * math.pi / rng.uniform(200, 1500), rng.uniform(0, 2 * math.pi))
        # Relation totals computed from their parts: (op, parts, ratio)
        self.derived: dict[str, tuple[str, list[str], float]] = {}
        for text in matter.get("relations", ()):
            parsed = _parse_simple_relation(text)
            if parsed and parsed[0] in cats and all(p in self.curves for p in parsed[2]) \
                    and parsed[0] not in self.derived and not any(p in self.derived for p in parsed[2]):
                total, op, parts = parsed
                self.derived[total] = (op, parts, rng.uniform(0.05, 0.9))
        home, nationality, capital = rng.choice(COUNTRIES)
        country = rng.choice(COUNTRIES)[0]
        self.sources = []
        for _ in range(rng.randint(2, 5)):
            source = {"organization": rng.choice(ORGANIZATIONS).format(home=home, country=country)}
            if rng.random() < 0.75:
                source["person"] = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                if rng.random() < 0.8:
                    source["role"] = rng.choice(ROLES)
            self.sources.append(source)
        self.outlets = rng.sample(OUTLETS, rng.randint(2, 4))
        self.venues = [v.format(capital=capital, country=country) for v in rng.sample(VENUES, 3)]

    def _curve(self, name: str, day: int) -> int:
        curve = self.curves[name]
        if curve[0] == "cum":
            v = curve[1] + curve[2] * (day / SPAN) ** curve[3]
        else:
            v = curve[1] * (1 + curve[2] * day / SPAN) * (1 + curve[3] * math.sin(curve[4] * day + curve[5]))
        return int(v) if v > 0 else 0

    def value(self, name: str, day: int) -> int:
        """The true count on ``day`` (days since 2015-01-01)."""
        rel = self.derived.get(name)
        if rel is None:
            return self._curve(name, day)
        op, parts, ratio = rel
        if op == "=":
            return self._curve(parts[0], day) + self._curve(parts[1], day)
        return int(ratio * self._curve(parts[0], day))


def _approx(v: int) -> int:
    """Two significant digits."""
    if v < 100:
        return v
    step = 10 ** (len(str(v)) - 2)
    return (v + step // 2) // step * step


def _corpus(size: int = 1 << 16) -> tuple[str, list[int]]:
    """Pseudo-text from the word list (fixed seed), and the offsets where its words start."""
    rng = random.Random("corpus")
    words = rng.choices(WORDS, k=size // 4)
    text = " ".join(words)
    starts, offset = [], 0
    for word in words:
        starts.append(offset)
        offset += len(word) + 1
    limit = len(text) - 700
    return text, [o for o in starts if o < limit]


CORPUS, CORPUS_STARTS = _corpus()


SKEW_MATTERS = 5  # --skewed: this many matters hold SKEW_SHARE of the statements
SKEW_SHARE = 0.8
SKEW_YEAR_SHARE = 0.3  # --skewed: this share of statements are made "in a year" (ending on 12-31)


def generate_statements(matters: list[dict[str, Any]], n: int, seed: int,
                        skewed: bool = False) -> Iterator[dict[str, Any]]:
    """Yield ``n`` statement documents for ``matters``, in roughly chronological order.

    A generator: only per-matter state is kept, so memory does not grow with ``n``.
    ``skewed``: a few matters (``SKEW_MATTERS``) hold most statements (``SKEW_SHARE``),
    and ``SKEW_YEAR_SHARE`` of the statements have year precision (``stated_on: "2021"``,
    which ends on 12-31): many figures then describe the same last day of a year. The
    default stream is unchanged by this option.
    """
    if not matters:
        raise ValueError("no matters to make statements for")
    rng = random.Random(f"{seed}:statements")
    models = [_MatterModel(matter, rng) for matter in matters]
    rng.shuffle(models)  # Zipf-like shares, the busiest matters spread over the ids
    cum_weights: list[float] = []
    total = 0.0
    for rank in range(len(models)):
        total += 1.0 / (rank + 1) ** 0.8
        cum_weights.append(total)

    random_ = rng.random
    bisect_ = bisect.bisect
    id_format = f"s-{{:0{_width(n, 7)}d}}".format
    sin = math.sin
    span_per = SPAN / n if n else 0.0
    leads, n_leads = LEADS, len(LEADS)
    languages, n_languages = LANGUAGES, len(LANGUAGES)
    notes, n_notes = NOTES, len(NOTES)
    corpus, starts, n_starts = CORPUS, CORPUS_STARTS, len(CORPUS_STARTS)
    day_text, month_text, year_text, month_index = DAY_TEXT, MONTH_TEXT, YEAR_TEXT, MONTH_INDEX
    heavy = models[:SKEW_MATTERS]
    for i in range(n):
        day = int((i + random_()) * span_per)
        if day >= SPAN:
            day = SPAN - 1
        model = models[bisect_(cum_weights, random_() * total)]
        r = random_()
        stated_on = day_text[day] if r < 0.85 else month_text[day] if r < 0.97 else year_text[day]
        if skewed:
            if random_() < SKEW_SHARE:
                model = heavy[int(random_() * len(heavy))]
            if random_() < SKEW_YEAR_SHARE:
                stated_on = year_text[day]
        number = i + 1
        doc: dict[str, Any] = {"id": id_format(number), "matter": model.id, "stated_on": stated_on}
        fig_day = day
        r = random_()
        if r < 0.25 and day > 0:
            fig_day = day - 1 - int(random_() * 180)
            if fig_day < 0:
                fig_day = 0
            if month_index[fig_day] < month_index[day] and random_() < 0.3:
                doc["as_of"] = month_text[fig_day]
            else:
                doc["as_of"] = day_text[fig_day]
        elif r < 0.3:
            doc["as_of"] = stated_on
        sources = model.sources
        doc["source"] = dict(sources[int(random_() * len(sources))])
        if random_() < 0.5:
            doc["venue"] = model.venues[int(random_() * 3)]

        names = model.names
        orders = model.orders
        order = orders[int(random_() * len(orders))]
        first = int(random_() * len(names))
        count = 1 + int(random_() * (6 if len(names) > 6 else len(names)))
        phrases = model.phrases
        value = model.value
        curves = model.curves
        derived = model.derived
        figures: dict[str, Any] = {}
        said: list[str] = []
        x = fig_day / SPAN
        for name in order[first:first + count]:
            curve = curves[name]
            if name in derived:
                v = value(name, fig_day)
            elif curve[0] == "cum":
                v = int(curve[1] + curve[2] * x ** curve[3])
            else:
                v = curve[1] * (1 + curve[2] * x) * (1 + curve[3] * sin(curve[4] * fig_day + curve[5]))
                v = int(v) if v > 0 else 0
            r = random_()
            if r < 0.82:
                if random_() < 0.02:  # an off figure: the source got it wrong, or counts differently
                    v = int(v * (0.9 + 0.2 * random_()))
                figures[name] = v if r < 0.78 else {"value": v, "qualifier": "exact"}
                said.append(f"{v} {phrases[name]}")
            elif r < 0.88:
                low = v - v % 10 if v >= 10 else v
                figures[name] = {"value": low, "qualifier": "at_least"}
                said.append(f"at least {low} {phrases[name]}")
            elif r < 0.92:
                high = v + (-v) % 10
                figures[name] = {"value": high, "qualifier": "at_most"}
                said.append(f"no more than {high} {phrases[name]}")
            elif r < 0.96:
                a = _approx(v)
                figures[name] = {"value": a, "qualifier": "approx"}
                said.append(f"around {a} {phrases[name]}")
            else:
                low, high = v * 9 // 10, v + (v + 9) // 10
                figures[name] = {"low": low, "high": high}
                said.append(f"between {low} and {high} {phrases[name]}")
        doc["figures"] = figures

        length = 100 + int(random_() * 501)
        lead = f"{leads[int(random_() * n_leads)]} {', '.join(said)}. "
        if len(lead) + 20 > length:  # room for every figure the statement gives
            length = min(600, len(lead) + 20 + int(random_() * 80))
        offset = starts[int(random_() * n_starts)]
        filler = corpus[offset:offset + length - len(lead) - 1]
        if filler[-1] == " ":
            filler = filler[:-1] + "s"
        doc["quote"] = f"{lead}{filler[0].upper()}{filler[1:]}."
        r = random_()
        doc["attribution"] = "direct_quote" if r < 0.7 else "paraphrase" if r < 0.9 else "second_hand"
        if random_() < 0.9:
            doc["quote_language"] = languages[int(random_() * n_languages)]
        citations = []
        outlets = model.outlets
        for j in range(1, 2 + int(random_() * 3)):
            outlet, domain = outlets[int(random_() * len(outlets))]
            published = day if random_() < 0.6 else day + 1 + int(random_() * 14)
            text = day_text[published]
            citations.append({
                "outlet": outlet,
                "url": f"https://www.{domain}/{text[:4]}/{text[5:7]}/{text[8:]}/{model.id}-{number}-{j}",
                "published_on": text,
            })
        doc["citations"] = citations
        if random_() < 0.1:
            doc["notes"] = notes[int(random_() * n_notes)]
        yield doc


# --- corrections and retractions -------------------------------------------------------------


def _other_count(rng: random.Random, v: int) -> int:
    """The count as it should have been recorded: digits swapped, or a little off."""
    text = str(v)
    if len(text) >= 2 and text[-1] != text[-2] and rng.random() < 0.5:
        return int(text[:-2] + text[-1] + text[-2])
    return v + rng.randint(1, max(1, v // 20 + 1))


def _correct_figure(rng: random.Random, doc: dict[str, Any]) -> str:
    """A figure mistyped in the figures and the quote alike (the first sentence states them)."""
    figures = dict(doc["figures"])
    name = rng.choice(sorted(figures))
    raw = figures[name]
    label = name
    if isinstance(raw, int):
        old = raw
        figures[name] = new = _other_count(rng, raw)
    elif "value" in raw:
        old = raw["value"]
        new = _other_count(rng, old)
        figures[name] = {**raw, "value": new}
    else:
        old = raw["high"]
        new = _other_count(rng, old)
        if new < raw["low"]:
            new = old + rng.randint(1, old // 20 + 1)
        figures[name] = {**raw, "high": new}
        label += " (upper bound)"
    doc["figures"] = figures
    quote = doc["quote"]
    first = quote.find(". ")
    lead, rest = (quote[:first], quote[first:]) if first >= 0 else (quote, "")
    lead, found = re.subn(rf"(?<!\d){old}(?!\d)", str(new), lead, count=1)
    if found:
        quote = lead + rest
        doc["quote"] = quote if len(quote) <= 600 else quote[:599] + "."
        return f"{label} mistyped in the figures and the quote: recorded {old}, the source says {new}"
    return f"figure for {label} mistyped: recorded {old}, the source says {new}"


def _correct_date(rng: random.Random, doc: dict[str, Any]) -> str | None:
    stated = doc["stated_on"]
    if len(stated) != 10 or "as_of" in doc:
        return None
    day = dt.date.fromisoformat(stated) - dt.timedelta(days=rng.randint(1, 9))
    doc["stated_on"] = day.isoformat()
    return f"stated_on recorded as {stated}: the statement was made on {doc['stated_on']}"


def _correct_quote(rng: random.Random, doc: dict[str, Any]) -> str | None:
    words = doc["quote"].split(" ")
    candidates = [k for k, w in enumerate(words) if len(w) >= 5 and w.isalpha() and w[1] != w[2]]
    if not candidates:
        return None
    k = rng.choice(candidates)
    old = words[k]
    words[k] = old[0] + old[2] + old[1] + old[3:]
    doc["quote"] = " ".join(words)
    return f"quote transcribed with a typo: '{old}' where the source has '{words[k]}'"


def _correct_citation(rng: random.Random, doc: dict[str, Any]) -> str | None:
    citations = doc["citations"]
    if len(citations) >= 3:
        return None
    first = citations[0]
    outlet, domain = rng.choice(OUTLETS)
    added = {"outlet": outlet, "url": f"https://www.{domain}/news/{doc['id']}",
             "published_on": first["published_on"]}
    if added in citations:
        return None
    doc["citations"] = [*citations, added]
    return f"citation to {outlet} was left out when recording"


def generate_changes(statements: Iterable[dict[str, Any]], seed: int, correction_rate: float = 0.02,
                     retraction_rate: float = 0.01) -> Iterator[tuple[str, dict[str, Any]]]:
    """For each statement, maybe a change: ``("correction", {statement_id, reason, document})``
    or ``("retraction", {statement_id, reason})``, yielded after the statement is consumed."""
    rng = random.Random(f"{seed}:changes")
    random_ = rng.random
    for statement in statements:
        r = random_()
        if r < correction_rate:
            doc = dict(statement)
            r = random_()
            reason = None
            if r < 0.15:
                reason = _correct_date(rng, doc)
            elif r < 0.3:
                reason = _correct_quote(rng, doc)
            elif r < 0.4:
                reason = _correct_citation(rng, doc)
            if reason is None:
                doc = dict(statement)
                reason = _correct_figure(rng, doc)
            yield "correction", {"statement_id": statement["id"], "reason": reason, "document": doc}
        elif r < correction_rate + retraction_rate:
            yield "retraction", {"statement_id": statement["id"], "reason": rng.choice(RETRACTION_REASONS)}


# --- files -----------------------------------------------------------------------------------


def _dump_yaml(data: Any, explicit_start: bool = False) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     explicit_start=explicit_start)


def _file_bounds(n: int, files: int) -> list[int]:
    """Start index of each of ``files`` chunks of consecutive statements, then ``n``."""
    return [k * n // files for k in range(files)] + [n]


def write_workload(output: str | Path, *, matters: int, statements: int, seed: int,
                   fmt: str = "jsonl", files: int | None = None, skewed: bool = False) -> dict[str, Any]:
    """Write the workload under ``output`` (see the module docstring); return the manifest."""
    if fmt not in ("jsonl", "yaml"):
        raise ValueError(f"unknown format {fmt!r}: use jsonl or yaml")
    out = Path(output)
    record, changes = out / "record", out / "changes"
    record.mkdir(parents=True, exist_ok=True)
    changes.mkdir(parents=True, exist_ok=True)
    matter_docs = generate_matters(matters, seed)
    (record / "matters.yaml").write_text(
        "".join(_dump_yaml({"matter": m}, explicit_start=True) for m in matter_docs), encoding="utf-8")

    if files is None:
        files = max(1, -(-statements // (JSONL_PER_FILE if fmt == "jsonl" else YAML_PER_FILE)))
    files = max(1, min(files, statements)) if statements else 0
    if files and statements / files > RECORD_LIMIT_STATEMENTS:
        print(f"warning: {statements // files} statements per file: files may exceed the "
              f"{MAX_FILE_MIB} MiB that `ledger record` reads", file=sys.stderr)
    bounds = _file_bounds(statements, files)
    names: list[str] = []
    counts = {"correction": 0, "retraction": 0}
    stream = generate_statements(matter_docs, statements, seed, skewed) if statements else iter(())
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode

    def written() -> Iterator[dict[str, Any]]:
        """The statements, each written to its file before the changes see it."""
        for k in range(files):
            name = f"statements-{k + 1:04d}.{fmt}"
            names.append(f"record/{name}")
            size = bounds[k + 1] - bounds[k]
            with open(record / name, "w", encoding="utf-8", newline="\n") as f:
                if fmt == "jsonl":
                    batch: list[str] = []
                    for _ in range(size):
                        doc = next(stream)
                        batch.append(dumps(doc))
                        if len(batch) >= 2000:
                            f.write("\n".join(batch) + "\n")
                            batch.clear()
                        yield doc
                    if batch:
                        f.write("\n".join(batch) + "\n")
                else:
                    docs = [next(stream) for _ in range(size)]
                    f.write(_dump_yaml({"statements": docs}))
                    yield from docs

    with open(changes / "corrections.jsonl", "w", encoding="utf-8", newline="\n") as corrections, \
            open(changes / "retractions.jsonl", "w", encoding="utf-8", newline="\n") as retractions:
        target = {"correction": corrections, "retraction": retractions}
        for kind, line in generate_changes(written(), seed):
            target[kind].write(dumps(line) + "\n")
            counts[kind] += 1

    manifest = {
        "generator": "scripts/generate.py", "seed": seed, "matters": matters, "statements": statements,
        "skewed": skewed,
        "format": fmt, "files": {"matters": "record/matters.yaml", "statements": names,
                                 "corrections": "changes/corrections.jsonl",
                                 "retractions": "changes/retractions.jsonl"},
        "corrections": counts["correction"], "retractions": counts["retraction"],
        "period": [START.isoformat(), END.isoformat()],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a deterministic synthetic workload (matters, statements, corrections, "
                    "retractions) for `ledger record`.")
    parser.add_argument("--matters", type=_positive, default=1000, help="number of matters (default 1000)")
    parser.add_argument("--statements", type=_count, default=100_000,
                        help="number of statements (default 100000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--output", required=True, help="output folder (record/, changes/, manifest.json)")
    parser.add_argument("--format", choices=("jsonl", "yaml"), default="jsonl", dest="fmt")
    parser.add_argument("--files", type=_positive, default=None,
                        help=f"split the statements into K files (default: {JSONL_PER_FILE} statements "
                             f"per jsonl file, {YAML_PER_FILE} per yaml file)")
    parser.add_argument("--skewed", action="store_true",
                        help=f"a few matters ({SKEW_MATTERS}) hold {SKEW_SHARE * 100:.0f}%% of the statements, and "
                             f"{SKEW_YEAR_SHARE * 100:.0f}%% of the statements have year precision (ending on 12-31)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the generated files of an earlier run in --output")
    args = parser.parse_args(argv)
    out = Path(args.output)
    if out.exists() and any(out.iterdir()):
        if not args.overwrite:
            parser.error(f"{out} is not empty (use --overwrite to replace an earlier workload)")
        for pattern in ("record/matters.yaml", "record/statements-*.jsonl", "record/statements-*.yaml",
                        "changes/corrections.jsonl", "changes/retractions.jsonl", "manifest.json"):
            for path in out.glob(pattern):
                path.unlink()
    manifest = write_workload(out, matters=args.matters, statements=args.statements, seed=args.seed,
                              fmt=args.fmt, files=args.files, skewed=args.skewed)
    files = len(manifest["files"]["statements"])
    print(f"wrote {args.matters} matters, {args.statements} statements in {files} "
          f"{args.fmt} file(s), {manifest['corrections']} corrections, {manifest['retractions']} retractions "
          f"to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
