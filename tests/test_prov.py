"""PROV-O JSON-LD lineage (issue 14), checked by parsing it with rdflib and asserting triples."""

from __future__ import annotations

import json

import pytest
import rdflib  # a test dependency only (the `test` extra): the export itself is plain JSON
from rdflib import RDF, Literal, Namespace, URIRef

from ledger.domain.prov import LEDGER_NS, build_prov, source_iri, statement_iri
from ledger.domain.sources import source_id
from ledger.domain.spans import locate_figures

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

PROV = Namespace("http://www.w3.org/ns/prov#")
LEDGER = Namespace(LEDGER_NS)

MEA = {
    "id": "mea-briefing", "matter": "m", "stated_on": "2025-11-08", "attribution": "direct_quote",
    "source": {"organization": "Ministry of External Affairs (India)", "person": "Randhir Jaiswal",
               "role": "Spokesperson", "type": "ministry"},
    "figures": {"remaining": 44},
    "quote": "As per our understanding, 44 Indian nationals are currently serving in the Russian army.",
    "citations": [{"outlet": "ANI", "published_on": "2025-11-08", "url": "https://example.org/ani"}],
}
WIRE = {
    "id": "ani-lead", "matter": "m", "stated_on": "2025-11-08", "attribution": "paraphrase",
    "source": {"organization": "ANI", "type": "media"},
    "figures": {"remaining": {"value": 44, "qualifier": "at_least"}},
    "quote": "The Ministry of External Affairs has confirmed that at least 44 Indian nationals are currently "
             "serving in the Russian army.",
    "citations": [{"outlet": "ANI", "published_on": "2025-11-08"}],
    "links": [{"type": "restates", "statement": "mea-briefing"}],
}
JULY = {
    "id": "july", "matter": "m", "stated_on": "2025-07", "source": {"organization": "Ministry of External "
    "Affairs (India)", "person": "Kirti Vardhan Singh"}, "figures": {"remaining": 13}, "quote": "13 remain.",
}


def graph_of(*statements: dict, links: tuple = ()) -> rdflib.Graph:
    data = build_prov(statements, links=links)
    text = json.dumps(data)  # it is plain JSON
    graph = rdflib.Graph()
    graph.parse(data=text, format="json-ld")
    return graph


def test_statement_source_and_citation() -> None:
    g = graph_of({"document": MEA, "spans": locate_figures(MEA), "recorded_by": "clerk"})
    s = URIRef(statement_iri("mea-briefing"))
    jaiswal = URIRef(source_iri(source_id("Ministry of External Affairs (India)", "Randhir Jaiswal")))
    mea = URIRef(source_iri(source_id("Ministry of External Affairs (India)")))
    assert (s, RDF.type, PROV.Entity) in g
    assert (s, PROV.value, Literal(MEA["quote"])) in g
    assert (s, PROV.wasAttributedTo, jaiswal) in g
    assert (jaiswal, RDF.type, PROV.Person) in g
    assert (jaiswal, PROV.actedOnBehalfOf, mea) in g
    assert (mea, RDF.type, PROV.Organization) in g
    assert (jaiswal, LEDGER.sourceType, Literal("ministry")) in g
    [citation] = list(g.objects(s, PROV.wasQuotedFrom))
    assert (citation, LEDGER.outlet, Literal("ANI")) in g
    assert (citation, URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"), URIRef("https://example.org/ani")) in g
    [outlet] = list(g.objects(citation, PROV.wasAttributedTo))
    assert (outlet, RDF.type, PROV.Organization) in g


def test_figures_with_their_offsets() -> None:
    g = graph_of({"document": MEA, "spans": locate_figures(MEA)})
    figure = URIRef(statement_iri("mea-briefing") + "/figure/remaining")
    assert (figure, PROV.wasDerivedFrom, URIRef(statement_iri("mea-briefing"))) in g
    assert g.value(figure, LEDGER.value).toPython() == 44
    start = MEA["quote"].index("44")
    assert g.value(figure, LEDGER.quoteStart).toPython() == start
    assert g.value(figure, LEDGER.quoteEnd).toPython() == start + 2
    assert (figure, LEDGER.spanStatus, Literal("found")) in g


def test_restates_is_a_primary_source_and_a_paraphrase_is_derived_not_quoted() -> None:
    g = graph_of({"document": MEA}, {"document": WIRE})
    wire, mea = URIRef(statement_iri("ani-lead")), URIRef(statement_iri("mea-briefing"))
    assert (wire, PROV.hadPrimarySource, mea) in g
    assert (wire, LEDGER.restates, mea) in g
    assert list(g.objects(wire, PROV.wasQuotedFrom)) == []
    assert len(list(g.objects(wire, PROV.wasDerivedFrom))) == 1


def test_updates_and_corrections_are_revisions() -> None:
    g = graph_of({"document": JULY}, {"document": MEA, "revision": 3},
                 links=(("mea-briefing", "updates", "july"), ("july", "denies", "mea-briefing")))
    mea, july = URIRef(statement_iri("mea-briefing")), URIRef(statement_iri("july"))
    assert (mea, PROV.wasRevisionOf, july) in g
    second, first = URIRef(f"{mea}/revision/2"), URIRef(f"{mea}/revision/1")
    assert (mea, PROV.wasRevisionOf, second) in g
    assert (second, PROV.wasRevisionOf, first) in g
    assert (july, LEDGER.denies, mea) in g
    assert (july, PROV.wasRevisionOf, mea) not in g


def test_unknown_link_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown link type 'refutes'"):
        build_prov([{"document": JULY}], links=[("july", "refutes", "x")])
