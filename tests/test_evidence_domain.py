"""The evidence model's domain core (issue 14): spans, source ids, links, aggregate events.

Pure functions and aggregates, no storage: hand-worked cases on the seed's words.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from ledger.domain.aggregates import Statement
from ledger.domain.links import (
    LINK_MEANINGS, LINK_TYPES, LinkError, LinkRecord, disputed, independent, link_history, link_shape_problems,
    misquotes, not_independent, original_of, restatement_findings, unknown_targets, updates_cycles,
)
from ledger.domain.sources import SOURCE_TYPES, source_id, source_of
from ledger.domain.spans import find_numbers, locate_figure, locate_figures, span_problems, span_warnings

JULY = (
    "There were 127 Indian nationals in the Russian armed forces, out of which the services of 98 "
    "individuals were discontinued as a result of sustained engagement between the Indian and Russian "
    "Governments on this matter, including at the highest levels. 13 Indian nationals remain in the Russian "
    "armed forces, out of which 12 individuals have been reported missing by the Russian side."
)


def numbers(text: str) -> list[tuple[str, int]]:
    return [(text[n.start:n.end], n.value) for n in find_numbers(text)]


# --- finding numbers -------------------------------------------------------------------------


def test_digits_with_western_and_indian_grouping() -> None:
    assert numbers("127,000 people, or 1,27,000 in Indian grouping; 12") == [
        ("127,000", 127000), ("1,27,000", 127000), ("12", 12)]


def test_badly_grouped_digits_are_separate_numbers() -> None:
    assert numbers("ids 12,13 and 1,2345") == [("12", 12), ("13", 13), ("1", 1), ("2345", 2345)]


def test_devanagari_and_other_unicode_digits() -> None:
    assert numbers("४४ भारतीय नागरिक, १,२७,००० and ٤٤") == [("४४", 44), ("१,२७,०००", 127000), ("٤٤", 44)]


def test_number_words_up_to_thousands() -> None:
    text = "Forty-four men, twelve, one hundred and twenty-seven soldiers, two thousand and five, thirteen."
    assert numbers(text) == [("Forty-four", 44), ("twelve", 12), ("one hundred and twenty-seven", 127),
                             ("two thousand and five", 2005), ("thirteen", 13)]


def test_number_words_do_not_run_together() -> None:
    assert numbers("twelve thirteen, and ninety") == [("twelve", 12), ("thirteen", 13), ("ninety", 90)]
    assert numbers("one lakh twenty thousand") == [("one lakh twenty thousand", 120000)]


def test_offsets_are_in_the_nfc_quote() -> None:
    decomposed = "Cafe\u0301 reported 44"  # é as e + combining accent: NFC makes it one code point
    [found] = find_numbers(decomposed)
    assert (found.start, found.end, found.value) == (14, 16, 44)


# --- figures in quotes -----------------------------------------------------------------------


def test_figure_found_without_a_span() -> None:
    entry = locate_figure(98, JULY)
    start, end = entry["numbers"]["value"]
    assert entry["status"] == "found" and JULY[start:end] == "98"


def test_given_span_is_located_and_the_number_inside_it() -> None:
    span = "12 individuals have been reported missing"
    entry = locate_figure({"value": 12, "qualifier": "exact", "span": span}, JULY)
    assert entry["status"] == "given"
    assert JULY[slice(*entry["span"])] == span
    assert JULY[slice(*entry["numbers"]["value"])] == "12"
    assert entry["span"][0] == entry["numbers"]["value"][0]


def test_span_picks_the_right_occurrence() -> None:
    quote = "Of 13 recruited, 13 remain."
    entry = locate_figure({"value": 13, "span": "13 remain"}, quote)
    assert entry["numbers"]["value"] == [17, 19]
    assert locate_figure(13, quote)["numbers"]["value"] == [3, 5]  # without a span: the first


def test_number_outside_its_span() -> None:
    entry = locate_figure({"value": 127, "span": "13 Indian nationals remain"}, JULY)
    assert entry["status"] == "not_in_span"
    assert JULY[slice(*entry["numbers"]["value"])] == "127"


def test_figure_absent_from_quote_is_not_in_quote() -> None:
    entry = locate_figure(29, JULY)  # 127 - 98: an inference, not a quoted figure
    assert entry == {"status": "not_in_quote", "numbers": {}, "absent": ["value"]}
    assert span_warnings({"unaccounted": entry}) == [
        ("unaccounted", "not_in_quote: the value of 'unaccounted' appears nowhere in the quote "
                        "(an inferred figure; give the words that state it)")]


def test_range_looks_for_each_bound() -> None:
    quote = "between ten and 1,200 people"
    assert locate_figure({"low": 10, "high": 1200}, quote)["numbers"] == {"low": [8, 11], "high": [16, 21]}
    half = locate_figure({"low": 10, "high": 14}, quote)
    assert half["status"] == "not_in_quote" and half["absent"] == ["high"]


def test_words_and_devanagari_figures() -> None:
    quote = "चवालीस नहीं, ४४ भारतीय"
    at = quote.index("४४")
    assert locate_figure(44, quote)["numbers"]["value"] == [at, at + 2]
    assert locate_figure(127, "one hundred and twenty-seven nationals")["status"] == "found"


def test_locate_figures_of_a_document() -> None:
    document = {"quote": JULY, "figures": {"recruited": 127, "missing": {"value": 12, "qualifier": "exact"}}}
    assert {c: e["status"] for c, e in locate_figures(document).items()} == {"recruited": "found",
                                                                             "missing": "found"}


def test_span_must_occur_in_the_quote() -> None:
    figures = {"missing": {"value": 12, "span": "12 are reported missing"}, "remaining": 13}
    assert span_problems(figures, JULY) == [(("figures", "missing", "span"), (
        "the span '12 are reported missing' does not occur in the quote (it must be copied exactly, "
        "spaces and punctuation included)"))]
    assert span_problems({"missing": {"value": 12, "span": "12 individuals"}}, JULY) == []


def test_span_matches_after_nfc() -> None:
    quote = "Caf\u00e9 said 12"
    assert span_problems({"a": {"value": 12, "span": "Cafe\u0301 said 12"}}, quote) == []


# --- sources ---------------------------------------------------------------------------------


def test_source_id_is_readable_stable_and_normalised() -> None:
    sid = source_id("Ministry of External Affairs (India)", "Randhir Jaiswal")
    assert sid.startswith("ministry-of-external-affairs-india--randhir-jaiswal-")
    assert len(sid.rsplit("-", 1)[1]) == 8
    assert source_id("  ministry of EXTERNAL  affairs (india)", "randhir\tjaiswal ") == sid
    assert source_id("Ministry of External Affairs (India)") != sid
    assert source_id("Ministry of External Affairs (India)", "Kirti Vardhan Singh") != sid


def test_source_id_nfc_and_other_scripts() -> None:
    assert source_id("Caf\u00e9 Ministry") == source_id("Cafe\u0301 Ministry")
    hindi, other = source_id("विदेश मंत्रालय"), source_id("गृह मंत्रालय")
    assert hindi.startswith("source-") and hindi != other


def test_source_id_ignores_role_and_type() -> None:
    before = {"source": {"organization": "MEA", "person": "R. Jaiswal", "role": "Spokesperson"}}
    after = {"source": {"organization": "MEA", "person": "R. Jaiswal", "role": "Secretary", "type": "ministry"}}
    assert source_of(before)["id"] == source_of(after)["id"]
    assert source_of(after)["role"] == "Secretary"
    assert "ministry" in SOURCE_TYPES and len(SOURCE_TYPES) == 10


# --- links -----------------------------------------------------------------------------------


def test_every_link_type_has_a_meaning() -> None:
    assert set(LINK_MEANINGS) == set(LINK_TYPES) == {"restates", "updates", "contradicts", "denies", "cites"}


def test_link_shape_problems() -> None:
    assert link_shape_problems("a", [("cites", "b"), ("denies", "a"), ("cites", "b"), ("denies", "b")]) == [
        (("links", 1, "statement"), "statement 'a' denies itself"),
        (("links", 2), "the link 'cites b' is given twice"),
    ]


def test_unknown_targets_with_a_set_or_a_predicate() -> None:
    links = [("restates", "known"), ("cites", "ghost")]
    expected = [(("links", 1, "statement"),
                 "unknown statement 'ghost': a link must point to a statement in the ledger or in the same call")]
    assert unknown_targets(links, {"known"}) == expected
    assert unknown_targets(links, lambda s: s == "known") == expected


def test_updates_cycles() -> None:
    assert updates_cycles([("b", "a"), ("c", "b")]) == []
    assert updates_cycles([("a", "b"), ("b", "c"), ("c", "a")]) == [["a", "b", "c", "a"]]
    assert updates_cycles([("x", "x")]) == [["x", "x"]]
    assert updates_cycles([("a", "b"), ("b", "a"), ("c", "d")]) == [["a", "b", "a"]]


def test_restatement_with_other_numbers_is_misquoted() -> None:
    mea = {"remaining": 44, "dead": 12}
    wire = {"remaining": 45}
    [finding] = misquotes(wire, mea)
    assert (finding.kind, finding.category, finding.restated, finding.restating) == (
        "misquoted", "remaining", {"value": 44}, {"value": 45})
    assert str(finding) == "misquoted: remaining restated as 45, but the restated statement gives 44"


def test_restatement_with_another_qualifier_is_requalified_not_misquoted() -> None:
    # The seed: the MEA spokesperson said 44; ANI's lead says "at least 44".
    [finding] = restatement_findings({"remaining": {"value": 44, "qualifier": "at_least"}}, {"remaining": 44})
    assert finding.kind == "requalified"
    assert misquotes({"remaining": {"value": 44, "qualifier": "at_least"}}, {"remaining": 44}) == []
    assert restatement_findings({"remaining": 44}, {"remaining": {"value": 44}}) == []


def test_restatement_of_a_range() -> None:
    [finding] = misquotes({"dead": {"low": 10, "high": 14}}, {"dead": {"low": 10, "high": 12}})
    assert finding.restating == {"low": 10, "high": 14} and "high 14" in str(finding)


def test_denials_as_of_a_known_at() -> None:
    links = [
        LinkRecord("russia-mod", "denies", "mea", known_from="2025-11-10", known_until="2025-11-20"),
        LinkRecord("embassy", "denies", "mea", known_from="2025-11-12"),
        LinkRecord("wire", "restates", "mea", known_from="2025-11-08"),
    ]
    assert disputed(links, "2025-11-09") == {}
    assert disputed(links, "2025-11-11") == {"mea": ["russia-mod"]}
    assert disputed(links, "2025-11-15") == {"mea": ["embassy", "russia-mod"]}
    assert disputed(links, "2025-11-25") == {"mea": ["embassy"]}
    assert disputed(links) == {"mea": ["embassy"]}  # now
    assert disputed(links, "2025-11-15", withdrawn={"embassy"}) == {"mea": ["russia-mod"]}
    assert not_independent(links, "2025-11-09") == {"wire": "mea"}
    assert not_independent(links, "2025-11-01") == {}


def test_link_record_interval() -> None:
    link = LinkRecord("a", "cites", "b", known_from=2, known_until=5)
    assert [link.known_at(t) for t in (1, 2, 4, 5)] == [False, True, True, False]
    assert not link.known_at(None) and replace(link, known_until=None).known_at(None)


# --- the Statement aggregate's link events -----------------------------------------------------


def _statement(**document: object) -> Statement:
    return Statement(document={"id": "a", "quote": "q", **document}, recorded_by="tester")


def test_linked_and_unlinked_events() -> None:
    s = _statement(links=[{"type": "cites", "statement": "b"}])
    assert s.links == [("cites", "b")]
    s.link("denies", "c", reason="the ministry said so", recorded_by="auditor")
    s.unlink("cites", "b", reason="misread", recorded_by="auditor")
    assert s.links == [("denies", "c")]
    events = s.collect_events()
    assert [type(e).__name__ for e in events] == ["Recorded", "Linked", "Unlinked"]
    linked = events[1]
    assert (linked.link_type, linked.target, linked.reason, linked.recorded_by) == (
        "denies", "c", "the ministry said so", "auditor")


def test_link_rules_on_the_aggregate() -> None:
    s = _statement(links=[{"type": "cites", "statement": "b"}])
    with pytest.raises(LinkError, match="already cites 'b'"):
        s.link("cites", "b", reason="r", recorded_by="x")
    with pytest.raises(LinkError, match=r"'a' cannot link to itself \(denies\)"):
        s.link("denies", "a", reason="r", recorded_by="x")
    with pytest.raises(LinkError, match="unknown link type 'refutes'"):
        s.link("refutes", "b", reason="r", recorded_by="x")
    with pytest.raises(LinkError, match="has no link 'denies b'"):
        s.unlink("denies", "b", reason="r", recorded_by="x")
    assert [type(e).__name__ for e in s.collect_events()] == ["Recorded"]


def test_relink_after_unlink_and_correction_replaces_document_links() -> None:
    s = _statement(links=[{"type": "cites", "statement": "b"}])
    s.unlink("cites", "b", reason="r", recorded_by="x")
    s.link("cites", "b", reason="r again", recorded_by="x")
    assert s.links == [("cites", "b")]
    s.link("denies", "c", reason="r", recorded_by="x")
    s.correct(document={"id": "a", "quote": "q", "links": [{"type": "restates", "statement": "d"}]},
              recorded_by="x", reason="typo", spans={})
    assert s.links == [("restates", "d"), ("denies", "c")]
    assert s.spans == {}


def test_events_replay_through_an_application_and_old_events_without_spans() -> None:
    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    s = Statement(document={"id": "a", "quote": "12 died", "figures": {"dead": 12}}, recorded_by="x",
                  spans=locate_figures({"quote": "12 died", "figures": {"dead": 12}}))
    s.link("updates", "z", reason="r", recorded_by="y")
    app.save(s)
    again = app.repository.get(s.id)
    assert again.links == [("updates", "z")]
    assert again.spans == {"dead": {"status": "found", "numbers": {"value": [0, 2]}, "absent": []}}
    # A Recorded event stored before spans existed has no 'spans' key: it still replays.
    [recorded, _] = app.recorder.select_notifications(0, 10)
    state = json.loads(recorded.state)
    del state["spans"]
    old = StoredEvent(recorded.originator_id, recorded.originator_version, recorded.topic,
                      json.dumps(state).encode())
    assert app.mapper.to_domain_event(old).mutate(None).spans is None


# --- restatements are not independent; the graph over record time --------------------------


def test_restatements_collapse_to_their_original() -> None:
    links = [LinkRecord("wire", "restates", "mea", known_from=1), LinkRecord("paper", "restates", "wire",
                                                                            known_from=2)]
    restated = not_independent(links, 5)
    assert original_of("paper", restated) == "mea" and original_of("july", restated) == "july"
    # three statements of 44, one source: the figure is confirmed once, not three times
    assert independent(["mea", "wire", "paper", "july"], restated) == ["mea", "july"]
    assert independent(["paper", "wire"], not_independent(links, 1)) == ["paper", "mea"]  # at 1: paper stood alone
    assert original_of("a", {"a": "b", "b": "a"}) == "b"  # a loop ends


def test_link_history_reproduces_the_graph_of_each_time() -> None:
    events = [
        ("mea", "recorded", {"id": "mea"}, 1),
        ("wire", "recorded", {"id": "wire", "links": [{"type": "restates", "statement": "mea"},
                                                      {"type": "cites", "statement": "july"}]}, 2),
        ("russia", "recorded", {"id": "russia"}, 3),
        ("russia", "linked", {"link_type": "denies", "target": "mea", "reason": "said so", "recorded_by": "al"}, 4),
        ("wire", "corrected", {"id": "wire", "links": [{"type": "restates", "statement": "mea"}]}, 5),
        ("russia", "unlinked", {"link_type": "denies", "target": "mea", "reason": "misread"}, 6),
        ("wire", "retracted", None, 7),
    ]
    history = link_history(events)
    assert sorted((r.source, r.type, r.target, r.known_from, r.known_until) for r in history) == [
        ("russia", "denies", "mea", 4, 6),
        ("wire", "cites", "july", 2, 5),
        ("wire", "restates", "mea", 2, 7),
    ]
    denial = next(r for r in history if r.type == "denies")
    assert (denial.reason, denial.recorded_by) == ("said so", "al")
    assert [disputed(history, t) for t in (3, 4, 5, 6)] == [{}, {"mea": ["russia"]}, {"mea": ["russia"]}, {}]
    assert not_independent(history, 6) == {"wire": "mea"} and not_independent(history, 7) == {}
