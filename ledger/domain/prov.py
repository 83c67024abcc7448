"""Lineage as W3C PROV-O, in JSON-LD: built from plain data, no storage, no RDF library.

The export is plain JSON (one ``@context`` inline, one ``@graph``), so writing it needs
nothing beyond the standard library; rdflib only checks it, in the tests.

What becomes what (``ledger:`` terms are ours, at :data:`LEDGER_NS`):

- a statement: a ``prov:Entity`` and ``ledger:Statement`` (``urn:claims-ledger:statement:ID``),
  its quote as ``prov:value``;
  ``prov:wasAttributedTo`` its source; ``prov:wasQuotedFrom`` each citation when the
  attribution is ``direct_quote`` (``prov:wasDerivedFrom`` for a paraphrase or second-hand
  report: the words are the outlet's, not a quotation);
- a source: a ``prov:Agent`` (``prov:Person`` with ``prov:actedOnBehalfOf`` its
  organization, or ``prov:Organization``), ``urn:claims-ledger:source:SOURCE-ID``;
- a citation: a ``prov:Entity`` attributed to its outlet (a ``prov:Organization``);
- a figure: a ``prov:Entity`` ``prov:wasDerivedFrom`` its statement, with its numbers and,
  when located, its offsets in the quote;
- links: every type as ``ledger:restates`` etc.; besides, ``restates`` gives
  ``prov:hadPrimarySource`` (A's figures come from B) and ``updates`` gives
  ``prov:wasRevisionOf`` (A replaces B);
- corrections: a statement at revision N (N-1 corrections) ``prov:wasRevisionOf`` its
  revision N-1 (``urn:claims-ledger:statement:ID/revision/N-1``), and so on back to 1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from ledger.domain.links import LINK_TYPES, RESTATES, UPDATES, links_of
from ledger.domain.sources import source_id

PROV_NS = "http://www.w3.org/ns/prov#"
LEDGER_NS = "https://claims-ledger.invalid/ns#"
CONTEXT = {
    "prov": PROV_NS,
    "ledger": LEDGER_NS,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
URN = "urn:claims-ledger:"


def statement_iri(statement_id: str) -> str:
    return f"{URN}statement:{statement_id}"


def source_iri(sid: str) -> str:
    return f"{URN}source:{sid}"


def _ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def _citation_iri(citation: dict[str, Any]) -> str:
    key = "\x1f".join(str(citation.get(k) or "") for k in ("outlet", "url", "published_on"))
    return f"{URN}citation:{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _outlet_iri(outlet: str) -> str:
    return f"{URN}outlet:{source_id(outlet)}"


class _Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}

    def node(self, iri: str, *types: str, **properties: Any) -> dict[str, Any]:
        node = self.nodes.setdefault(iri, {"@id": iri, "@type": []})
        node["@type"] += [t for t in types if t not in node["@type"]]
        for key, value in properties.items():
            if value is not None:
                node[key.replace("__", ":")] = value
        return node

    def add(self, iri: str, prop: str, value: Any) -> None:
        values = self.nodes[iri].setdefault(prop, [])
        if value not in values:
            values.append(value)


def _agent(graph: _Graph, source: dict[str, Any]) -> str:
    organization, person = source["organization"], source.get("person")
    org_iri = source_iri(source_id(organization))
    graph.node(org_iri, "prov:Agent", "prov:Organization", rdfs__label=organization,
               ledger__sourceId=source_id(organization), ledger__organization=organization)
    if not person:
        if source.get("type"):
            graph.node(org_iri, ledger__sourceType=source["type"])
        return org_iri
    sid = source_id(organization, person)
    iri = source_iri(sid)
    graph.node(iri, "prov:Agent", "prov:Person", rdfs__label=f"{person} ({organization})",
               ledger__sourceId=sid, ledger__organization=organization, ledger__person=person,
               ledger__sourceType=source.get("type"))
    graph.add(iri, "prov:actedOnBehalfOf", _ref(org_iri))
    return iri


def _figure(graph: _Graph, statement: str, category: str, raw: Any, span: dict[str, Any] | None) -> str:
    iri = f"{statement}/figure/{category}"
    numbers = {"value": raw} if isinstance(raw, int) else {k: v for k, v in raw.items() if isinstance(v, int)}
    if isinstance(raw, int):
        qualifier = "exact"
    else:
        qualifier = raw.get("qualifier") or ("exact" if "value" in raw else "range")
    graph.node(iri, "prov:Entity", "ledger:Figure", ledger__category=category, ledger__qualifier=qualifier,
               prov__wasDerivedFrom=_ref(statement), **{f"ledger__{k}": v for k, v in numbers.items()})
    if span:
        graph.node(iri, ledger__spanStatus=span["status"])
        bounds = span.get("numbers", {})
        first = bounds.get("value") or next(iter(bounds.values()), None)
        if first:
            graph.node(iri, ledger__quoteStart=first[0], ledger__quoteEnd=first[1])
    return iri


def build_prov(statements: Iterable[dict[str, Any]],
               links: Iterable[tuple[str, str, str]] = ()) -> dict[str, Any]:
    """PROV-O JSON-LD of ``statements``: dicts with ``document`` (the stored statement
    document) and optionally ``revision`` (1 + corrections), ``spans`` (from
    :mod:`ledger.domain.spans`), ``recorded_at``, ``recorded_by``, ``retracted``.
    ``links``: (A, type, B) triples standing besides the documents' own (``ledger link``)."""
    graph = _Graph()
    all_links: list[tuple[str, str, str]] = []
    for item in statements:
        document = item["document"]
        sid = document["id"]
        iri = statement_iri(sid)
        graph.node(
            iri, "prov:Entity", "ledger:Statement",
            ledger__statementId=sid, prov__value=document["quote"], ledger__matter=document.get("matter"),
            ledger__statedOn=str(document["stated_on"]),
            ledger__asOf=str(document["as_of"]) if document.get("as_of") else None,
            ledger__attribution=document.get("attribution", "direct_quote"),
            ledger__role=document["source"].get("role"), ledger__venue=document.get("venue"),
            ledger__recordedAt=item.get("recorded_at"), ledger__recordedBy=item.get("recorded_by"),
            ledger__retracted=True if item.get("retracted") else None,
        )
        graph.add(iri, "prov:wasAttributedTo", _ref(_agent(graph, document["source"])))
        quoted = document.get("attribution", "direct_quote") == "direct_quote"
        for citation in document.get("citations", []):
            citation_iri = _citation_iri(citation)
            outlet = _outlet_iri(citation["outlet"])
            graph.node(outlet, "prov:Agent", "prov:Organization", rdfs__label=citation["outlet"])
            published = citation.get("published_on")
            graph.node(citation_iri, "prov:Entity", "ledger:Citation", ledger__outlet=citation["outlet"],
                       rdfs__seeAlso=_ref(citation["url"]) if citation.get("url") else None,
                       ledger__publishedOn=str(published) if published else None,
                       prov__wasAttributedTo=_ref(outlet))
            graph.add(iri, "prov:wasQuotedFrom" if quoted else "prov:wasDerivedFrom", _ref(citation_iri))
        spans = item.get("spans") or {}
        for category, raw in document.get("figures", {}).items():
            _figure(graph, iri, category, raw, spans.get(category))
        revision = int(item.get("revision") or 1)
        previous = iri
        for number in range(revision - 1, 0, -1):
            earlier = f"{iri}/revision/{number}"
            graph.node(earlier, "prov:Entity", "ledger:StatementRevision", ledger__revision=number)
            graph.add(previous, "prov:wasRevisionOf", _ref(earlier))
            previous = earlier
        all_links += [(sid, link_type, target) for link_type, target in links_of(document)]
    all_links += list(links)
    for source, link_type, target in dict.fromkeys(all_links):
        if link_type not in LINK_TYPES:
            raise ValueError(f"unknown link type {link_type!r}")
        a, b = statement_iri(source), _ref(statement_iri(target))
        graph.node(a, "prov:Entity")
        graph.node(b["@id"], "prov:Entity")
        graph.add(a, f"ledger:{link_type}", b)
        if link_type == RESTATES:
            graph.add(a, "prov:hadPrimarySource", b)
        elif link_type == UPDATES:
            graph.add(a, "prov:wasRevisionOf", b)
    return {"@context": CONTEXT, "@graph": list(graph.nodes.values())}
