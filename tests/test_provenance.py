"""Provenance: each signal on small hand-made documents, then the election and relations."""

from __future__ import annotations

import math

import numpy as np

import pytest
from conftest import seed_path

from dedup import provenance
from dedup.models import Document, Link, Passage
from dedup.provenance import MODEL, Evidence, Group, attribution

BODY = (
    "The council approved the new bridge on Tuesday after a long debate about costs.\n"
    "Residents said the crossing would cut their daily journey by twenty minutes.\n"
    "Work is expected to start in the spring and finish within two years.\n"
)


def doc(doc_id: str, text: str = BODY, **meta) -> Document:
    """A document whose path is its id (so evidence names it by id)."""
    return Document(id=doc_id, path=doc_id, record=None, format="text", text=text, sha256=doc_id, n_words=len(text.split()), **meta)


def link(source: str, copy: str, *, kept: float = 1.0, taken: float = 1.0, jaccard: float = 0.9) -> Link:
    """A link where ``kept`` of the source is in the copy and ``taken`` of the copy is in the source."""
    return Link(source, copy, jaccard, max(kept, taken), kept, taken, 100, 50, "lsh")


def signals(evidence: list[Evidence]) -> set[tuple[str, str]]:
    return {(e.document_id, e.signal) for e in evidence}


# --- publication time ---


def test_earliest_stated_time_is_evidence_for_that_document():
    group = [doc("a", published_at="2025-03-01T08:00:00Z", date_source="meta"), doc("b", published_at="2025-03-01T10:00:00Z", date_source="json-ld")]
    found = provenance.published_time(Group(group))
    assert signals(found) == {("a", "published_time")}
    assert found[0].weight == MODEL.earliest_time
    assert "2025-03-01T10:00:00Z" in found[0].detail


def test_guessed_or_modified_time_counts_less_and_undated_members_dilute_it():
    group = [doc("a", modified_at="2025-03-01T08:00:00Z"), doc("b", published_at="2025-03-02", date_source="meta"), doc("c")]
    found = provenance.published_time(Group(group))
    assert signals(found) == {("a", "published_time")}
    # One of the two other members is dated and later: half the guessed weight.
    assert found[0].weight == pytest.approx(MODEL.earliest_guessed_time / 2)


def test_times_on_the_same_day_without_hours_or_a_single_date_say_nothing():
    same_day = [doc("a", published_at="2025-03-01", date_source="meta"), doc("b", published_at="2025-03-01T23:00:00Z", date_source="meta")]
    assert provenance.published_time(Group(same_day)) == []
    assert provenance.published_time(Group([doc("a", published_at="2025-03-01", date_source="meta"), doc("b")])) == []


# --- explicit pointers ---


def test_canonical_link_and_is_based_on_point_at_the_original():
    original = doc("a", url="https://www.herald.example/news/1", canonical_url="https://www.herald.example/news/1")
    by_link = doc("b", url="https://ledger.example/x", canonical_url="http://herald.example/news/1/")
    by_json_ld = doc("c", url="https://post.example/y", based_on="https://www.herald.example/news/1")
    found = provenance.pointers(Group([original, by_link, by_json_ld]))
    assert [(e.document_id, e.signal) for e in found] == [("a", "pointer"), ("a", "pointer")]
    assert any("isBasedOn" in e.detail for e in found) and any("canonical link" in e.detail for e in found)


def test_two_documents_claiming_the_same_address_give_no_pointer():
    a = doc("a", url="https://herald.example/1", canonical_url="https://herald.example/1")
    b = doc("b", url="https://herald.example/1", canonical_url="https://herald.example/1")
    assert provenance.pointers(Group([a, b])) == []


# --- credits, wire datelines, self-identification ---


def test_source_line_credits_the_member_with_that_site():
    original = doc("a", site="Northgate Herald")
    copy = doc("b", BODY + "Source: Northgate Herald\n", site="Daily Ledger")
    found = provenance.credits(Group([original, copy]))
    assert signals(found) == {("a", "attribution")}
    assert "Source: Northgate Herald" in found[0].detail


@pytest.mark.parametrize(
    "line",
    [
        "This article originally appeared on Northgate Herald.",
        "Reprinted with permission from the Northgate Herald.",
        "(via Northgate Herald)",
        "Read the full story at Northgate Herald",
        "© 2025 Northgate Herald",
    ],
)
def test_credit_phrases_are_matched_against_members_sites(line: str):
    found = provenance.credits(Group([doc("a", site="Northgate Herald"), doc("b", BODY + line + "\n", site="Daily Ledger")]))
    assert ("a", "attribution") in signals(found)


@pytest.mark.parametrize(
    "line",
    ["This story was first published by Northgate Herald.", "Originally published in the Northgate Herald"],
)
def test_a_credit_is_about_the_text(line: str):
    found = provenance.credits(Group([doc("a", site="Northgate Herald"), doc("b", BODY + line + "\n", site="Daily Ledger")]))
    assert ("a", "attribution") in signals(found)


def test_a_person_who_first_appeared_on_a_show_credits_nobody():
    text = BODY + "Fans praised him for the same hairstyle since he first appeared on This Morning in 1988.\n"
    assert provenance.credits(Group([doc("a", site="Daily Ledger"), doc("b", text, site="Evening Post")])) == []


def test_wire_dateline_credits_the_agency_by_its_acronym():
    agency = doc("a", "LONDON (CPA) — " + BODY, site="Continental Press Association")
    copy = doc("b", "LONDON (CPA) — " + BODY, site="Daily Ledger")
    found = provenance.credits(Group([agency, copy]))
    assert ("a", "attribution") in signals(found)
    assert ("a", "self_identification") in signals(found)


@pytest.mark.parametrize("credit", ["WASHINGTON (AP) — ", "By Associated Press\n", "Copyright 2025 The Associated Press.\n"])
def test_associated_press_credits_match_the_agency_member(credit: str):
    found = provenance.credits(Group([doc("a", site="Associated Press"), doc("b", credit + BODY, site="Daily Ledger")]))
    assert ("a", "attribution") in signals(found) and ("b", "credits_outsider") not in signals(found)


def test_credit_to_a_publisher_outside_the_cluster_counts_against_the_document():
    found = provenance.credits(Group([doc("a", site="Northgate Herald"), doc("b", "By Reuters\n" + BODY, site="Daily Ledger")]))
    assert signals(found) == {("b", "credits_outsider")}
    assert found[0].weight < 0
    anonymous = provenance.credits(Group([doc("a"), doc("b", BODY + "Reprinted with permission.\n")]))
    assert signals(anonymous) == {("b", "credits_outsider")}


def test_own_copyright_line_is_not_evidence_but_own_bio_is():
    page = doc("a", BODY + "© 2025 Daily Ledger. All rights reserved.\n", site="Daily Ledger")
    assert provenance.credits(Group([page, doc("b")])) == []
    with_bio = doc("a", BODY + "Jane Holt joined the Daily Ledger as a reporter in 2016.\n")
    assert signals(provenance.credits(Group([with_bio, doc("b")]))) == {("a", "self_identification")}


def test_publisher_names_inside_the_shared_story_are_ignored():
    story = BODY + "The striker joined Liverpool as a teenager.\n"
    assert provenance.credits(Group([doc("a", story), doc("b", story)])) == []


# --- authorship, truncation ---


def test_byline_from_metadata_or_a_by_line_and_an_author_bio():
    found = provenance.authorship(
        Group([doc("a", author="Jane Holt"), doc("b", "By Marcus Reed\n" + BODY), doc("c", BODY + "Marcus Reed is a senior business reporter.\n"), doc("d", "By Reuters\n" + BODY)])
    )
    assert signals(found) == {("a", "byline"), ("b", "byline"), ("c", "author_bio")}


def test_a_wire_byline_behind_a_paragraph_control_character_is_a_byline():
    # PA wire files start each paragraph with "\x19" and end it with "<".
    wire = "WEIGHT LOSS DID WORRY ME<\n\x19By Emma Hibbs, PA News<\n" + "".join(f"\x19{line}<\n" for line in BODY.splitlines())
    found = provenance.authorship(Group([doc("pa", wire), doc("paper", BODY)]))
    assert signals(found) == {("pa", "byline")}


def test_text_ending_on_read_more_is_marked_as_an_excerpt():
    found = provenance.truncation_markers(Group([doc("a", BODY + "Read more…\n"), doc("b")]))
    assert signals(found) == {("a", "truncation_marker")}
    assert found[0].weight == MODEL.truncation_marker < 0


# --- text asymmetry ---


def test_containment_tells_truncation_from_added_framing():
    docs = [doc(d) for d in "abc"]
    # b holds all of a and has 50% more: a is a truncation of b, b is the source.
    truncation = provenance.containment(Group(docs, [link("b", "a", kept=0.5, taken=1.0)]))
    assert signals(truncation) == {("b", "containment")} and "truncation" in truncation[0].detail
    # c holds all of a and adds 20%: c framed a, a is the source.
    framing = provenance.containment(Group(docs, [link("a", "c", kept=1.0, taken=0.8)]))
    assert signals(framing) == {("a", "containment")} and "framing" in framing[0].detail
    assert provenance.containment(Group(docs, [link("a", "b", kept=0.7, taken=0.7)])) == []


def test_centrality_picks_the_member_most_similar_to_the_others():
    docs = [doc(d) for d in "abc"]
    links = [link("a", "b", jaccard=0.8), link("a", "c", jaccard=0.6), link("b", "c", jaccard=0.3)]
    found = provenance.centrality(Group(docs, links))
    assert signals(found) == {("a", "centrality")}
    assert provenance.centrality(Group(docs[:2], links[:1])) == []


def shingles(*ranges: range) -> np.ndarray:
    """Shingle hashes standing for a link's shared text."""
    return np.unique(np.concatenate([np.arange(r.start, r.stop, dtype=np.uint64) for r in ranges]))


def test_a_text_taking_parts_of_two_stories_is_a_compilation():
    # 40% of a (story 1) and 30% of c (story 2) are in d, but only 5% of d in each: d took parts.
    links = [link("a", "d", kept=0.4, taken=0.05), link("c", "d", kept=0.3, taken=0.05), link("a", "b", kept=1.0, taken=1.0)]
    shared = {("a", "d"): shingles(range(0, 30)), ("c", "d"): shingles(range(100, 130)), ("a", "b"): shingles(range(0, 90))}
    groups = [frozenset("abd"), frozenset("c")]
    assert provenance.compilations(links, groups, shared) == {"d": ("a", "c")}
    docs = {x: doc(x) for x in "abcd"}
    compiled = provenance.compilations(links, groups, shared)
    found = provenance.compilation(Group([docs[x] for x in sorted(groups[0])], compiled=compiled, named=docs))
    assert signals(found) == {("d", "compilation")} and found[0].weight < 0
    # A source that two texts each took a part of is not a compilation of them.
    reused = [link("s", "x", kept=0.4, taken=0.05), link("s", "y", kept=0.3, taken=0.05)]
    reused_shared = {("s", "x"): shingles(range(0, 30)), ("s", "y"): shingles(range(100, 130))}
    assert provenance.compilations(reused, [frozenset("sx"), frozenset("y")], reused_shared) == {}


def test_two_papers_excerpting_one_wire_file_differently_do_not_make_it_a_compilation():
    # Both papers are mostly in the wire file w, each took a different part but both its lead.
    links = [link("p", "w", kept=0.6, taken=0.15), link("q", "w", kept=0.5, taken=0.2)]
    lead, middle, end = range(0, 12), range(12, 40), range(40, 70)
    overlapping = {("p", "w"): shingles(lead, middle), ("q", "w"): shingles(lead, end)}
    assert provenance.compilations(links, [frozenset("pw"), frozenset("q")], overlapping) == {}
    # The same links without the common lead: two different stories in w.
    apart = {("p", "w"): shingles(middle), ("q", "w"): shingles(end)}
    assert provenance.compilations(links, [frozenset("pw"), frozenset("q")], apart) == {"w": ("p", "q")}


def test_straight_quotes_where_another_member_has_curly_ones():
    straight = doc("a", 'He said "yes" and "no".\n' + BODY)
    curly = doc("b", "He said “yes” and “no”.\n" + BODY)
    assert provenance.quote_style(straight.text) == "straight" and provenance.quote_style(curly.text) == "curly"
    assert signals(provenance.typography(Group([straight, curly]))) == {("a", "typography")}
    assert provenance.typography(Group([straight, doc("c", straight.text)])) == []


# --- election, relations, orientation, explanation ---


def test_decide_sums_evidence_and_gives_a_softmax_confidence():
    original = doc("a", BODY + "Jane Holt is a senior reporter at the Herald.\n", site="Northgate Herald", published_at="2025-03-01T08:00:00Z", date_source="meta")
    copy = doc("b", BODY + "Source: Northgate Herald\n", published_at="2025-03-02T08:00:00Z", date_source="meta")
    decision = provenance.decide(frozenset({"a", "b"}), [link("b", "a")], {"a": original, "b": copy})
    assert decision.canonical_id == "a"
    scores = {d: s for d, s, _ in decision.ranking}
    assert scores["a"] == pytest.approx(sum(e.weight for e in decision.evidence if e.document_id == "a"))
    expected = math.exp(scores["a"]) / (math.exp(scores["a"]) + math.exp(scores["b"]))
    assert decision.confidence == pytest.approx(expected, abs=1e-4)
    assert 0.5 < decision.confidence <= 1.0
    assert decision.alternatives() == [{"document_id": "b", "score": scores["b"], "probability": decision.ranking[1][2]}]
    assert set(provenance.relations(decision.canonical_id, [link("b", "a")])) == {"b"}


def test_without_evidence_the_earlier_longer_document_wins_at_even_odds():
    short, long = doc("a", BODY), doc("b", BODY + "One more sentence that makes this text longer than the other.\n")
    decision = provenance.decide(frozenset({"a", "b"}), [link("a", "b")], {"a": short, "b": long})
    assert [(e.document_id, e.signal, e.weight) for e in decision.evidence] == [("b", "tie_break", 0.0)]
    assert decision.canonical_id == "b" and decision.confidence == 0.5


def test_relation_from_link_figures_and_from_passages():
    links = [link("a", "b", kept=0.5, taken=1.0), link("a", "c", kept=1.0, taken=0.7), link("a", "d", kept=0.97, taken=0.99), link("a", "e", kept=0.6, taken=0.6)]
    kinds = {m: r.kind for m, r in provenance.relations("a", links).items()}
    assert kinds == {"b": "excerpt", "c": "expanded", "d": "verbatim", "e": "edited"}
    # Passages win over link figures: half the matched text is changed → edited.
    passages = {("a", "d"): [Passage("same", 0, 500, 0, 500, 1.0), Passage("changed", 500, 1000, 500, 1010, 0.9)]}
    edited = provenance.relations("a", links, passages)["d"]
    assert edited.kind == "edited" and edited.detail["changed"] == pytest.approx(510 / 1010, abs=1e-3)
    # A short added line (a credit) does not make a copy "expanded".
    credit = {("a", "d"): [Passage("same", 0, 900, 0, 900, 1.0), Passage("added", 900, 900, 900, 930, 0.0)]}
    assert provenance.relations("a", links, credit)["d"].kind == "verbatim"
    # Material both cut (200 characters) and added (400): the larger part names it.
    both = {("a", "d"): [Passage("same", 0, 800, 0, 800, 1.0), Passage("removed", 800, 1000, 800, 800, 0.0), Passage("added", 1000, 1000, 800, 1200, 0.0)]}
    assert provenance.relations("a", links, both)["d"].kind == "expanded"


def test_a_copy_not_linked_to_the_canonical_is_measured_on_its_strongest_link_seen_from_its_side():
    # c joined through b, and its link runs c → b: c is measured as the copy of b on the
    # flipped passages, so the 400 characters only c has are added material, not removed.
    links = [link("a", "b"), link("c", "b", jaccard=0.6, kept=0.7, taken=0.9), link("a", "x", jaccard=0.2)]
    passages = {("c", "b"): [Passage("same", 0, 800, 0, 800, 1.0), Passage("removed", 800, 1200, 800, 800, 0.0)]}
    found = provenance.relations("a", links[:2], passages)
    assert set(found) == {"b", "c"}
    assert found["c"].kind == "expanded" and found["c"].measured_against == "b"
    assert found["c"].detail == {"measured_against": "b", "copy_coverage": 0.6667, "source_coverage": 1.0, "changed": 0.0}
    # Without passages the link's shingle shares decide, named as such.
    assert provenance.relations("a", links[:2])["c"].detail == {"measured_against": "b", "copy_containment": 0.7, "source_containment": 0.9}


def test_a_new_signal_is_one_function_in_the_registry():
    docs = {"a": doc("a", BODY + "Jane Holt is a senior reporter at the Herald.\n"), "b": doc("b")}
    assert provenance.decide(frozenset(docs), [link("a", "b")], docs).canonical_id == "a"

    def press_release(group: Group, model=MODEL) -> list[Evidence]:
        return [Evidence(d.id, "press_release", 4.0, f"{d.id} is the press release") for d in group.documents if d.id == "b"]

    decision = provenance.decide(frozenset(docs), [link("a", "b")], docs, signals=provenance.SIGNALS + (press_release,))
    assert decision.canonical_id == "b"
    assert ("b", "press_release") in signals(decision.evidence)


def test_needles_never_hide_a_phrase_the_patterns_would_find():
    texts = [seed_path(p).read_text(encoding="utf-8") for p in ("000", "001", "002")] + [
        "This article originally appeared on Northgate Herald.", "Source: the Northgate Herald", "(via Northgate Herald)",
        "Reprinted with permission from the Northgate Herald.", "Read the full story at Northgate Herald", "LONDON (CPA) — x",
        "By Associated Press", "© 2025 Northgate Herald", "More from Northgate Herald", "Sign up for the Herald Daily newsletter",
        "Follow Northgate Herald on Twitter", "Jane Holt joined the Daily Ledger as a reporter.", "She is a senior reporter at The Ledger.",
    ]
    for text in texts:
        unfiltered = [
            (phrase.kind, match.group("name").strip(" .,'’-"))
            for phrase in attribution.PHRASES
            for match in phrase.pattern.finditer(text)
            if match.group("name").strip(" .,'’-").casefold() not in attribution.STOP_NAMES
        ]
        assert [(kind, name) for kind, _, name in attribution.mentions(text)] == unfiltered
    assert all(attribution.mentions(text) for text in texts[3:])


def test_orient_links_points_every_cluster_link_from_the_canonical():
    docs = {"a": doc("a", BODY + "Jane Holt is a senior reporter at the Herald.\n"), "b": doc("b")}
    backwards = link("b", "a", kept=0.8, taken=0.9)
    decision = provenance.decide(frozenset(docs), [backwards], docs)
    assert decision.canonical_id == "a"
    shared = {("b", "a"): shingles(range(0, 40))}
    (turned,) = provenance.orient_links([backwards], [(frozenset(docs), decision)], shared, docs)
    assert (turned.source_id, turned.copy_id) == ("a", "b")
    assert (turned.source_containment, turned.copy_containment) == (0.9, 0.8)
    assert backwards.reversed().reversed() == backwards


def test_explain_says_which_is_the_copy_and_why():
    detail = {
        "canonical_id": "a",
        "confidence": 0.7,
        "members": [
            {"document_id": "a", "path": "000.txt", "record": None, "relation": None},
            {
                "document_id": "b", "path": "001.txt", "record": None, "relation": "excerpt", "copy_coverage": 1.0, "source_coverage": 0.5,
                "relation_detail": '{"measured_against": "a", "copy_coverage": 1.0, "source_coverage": 0.5, "changed": 0.0}',
            },
        ],
        "evidence": [{"document_id": "a", "signal": "author_bio", "weight": 1.5, "detail": "000.txt has an author bio"}],
    }
    lines = provenance.explain(detail)
    assert lines[0] == "001.txt is a copy of 000.txt: 000.txt has an author bio (confidence 0.70)."
    assert "excerpt" in lines[1] and "50%" in lines[1]
    assert lines[1].endswith("(100% from the source, 50% of the source kept).")
