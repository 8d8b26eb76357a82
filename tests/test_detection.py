"""Detection stages: tokens and quotations, shingles, candidates, verification (copy or reuse), clustering."""

from __future__ import annotations

import re

import numpy as np
from conftest import article_body, seed_path
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import candidates, cluster, normalize, sketch, verify
from dedup.config import ScanConfig
from dedup.models import Document, Link, LinkRelation

CONFIG = ScanConfig()
TEMPLATE = sketch.minhash_template(CONFIG)


def make_sketch(doc_id: str, text: str):
    return sketch.sketch(doc_id, normalize.tokenize(text), CONFIG, TEMPLATE)


def test_curly_and_straight_quotes_give_the_same_tokens():
    straight = normalize.tokenize('He said "that\'s super good" - really.')
    curly = normalize.tokenize("He said “that’s super good” – really.")
    assert np.array_equal(straight.hashes, curly.hashes)
    assert straight.quoted.tolist() == curly.quoted.tolist() == [False, False, True, True, True, True, False]


def test_an_unbalanced_quote_does_not_swallow_the_next_paragraph():
    tokens = normalize.tokenize('An "open quote\n\nnext line "closed here" end')
    assert tokens.quoted.tolist() == [False, False, False, False, False, True, True, False]


def test_wire_quotations_across_hard_wrapped_lines_are_found():
    tokens = normalize.tokenize("She said: ``It did worry me. I did\ngo to the doctors.''<\nShe left.")
    assert tokens.quoted.tolist() == [False, False] + [True] * 10 + [False, False]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["word", "İs", "ß", "x_1", " ", "\n", "\n\n", ". ", "! ", "?", '."', ".\u201d ", ")", "<\n", "<", "...", "\u00a0", "\ud800"]), max_size=30))
def test_sentence_lengths_count_the_tokens_of_each_sentence(parts):
    text = "".join(parts)
    # The rule as the docs state it: split after ., ! or ? (with closing quotes) and white
    # space, at a blank line and at a wire paragraph mark; count each piece's tokens.
    pieces = re.split(r"(?<=[.!?])[\"\u201d\u2019')\]]*\s+|\n\s*\n|<\s*\n", text.casefold())
    expected = [n for n in (len(normalize.TOKEN_RE.findall(piece)) for piece in pieces) if n]
    assert normalize.sentence_lengths(text).tolist() == expected
    assert sum(expected) == len(normalize.tokenize(text).hashes)


def test_shingle_hashes_are_deterministic_and_order_sensitive():
    a = np.array([1, 2, 3, 4], dtype=np.uint64)
    assert np.array_equal(sketch.shingle_hashes(a, 3), sketch.shingle_hashes(a.copy(), 3))
    assert len(sketch.shingle_hashes(a, 3)) == 2
    assert not np.array_equal(sketch.shingle_hashes(a, 3), sketch.shingle_hashes(a[::-1].copy(), 3))
    assert len(sketch.shingle_hashes(a[:2], 3)) == 1  # short texts still get one shingle


def test_a_shared_quotation_alone_is_not_evidence_of_copying():
    quote = '"We finish the season super well and that is super good for the winter and for the whole team," said Martinez.'
    a = make_sketch("a", f"Martinez won in Japan after a long attack on the final climb. {quote}")
    b = make_sketch("b", f"A different report about the rider's season and his plans. {quote}")
    figures = verify.measure(a, b, CONFIG)
    assert figures.jaccard > 0  # the quotation itself is shared ...
    assert figures.shared == 0  # ... but does not count
    assert figures.relation(CONFIG) is None


def test_seed_pair_is_a_copy_and_the_2012_report_is_nothing():
    original, copy, other = (make_sketch(p, seed_path(p).read_text()) for p in ("000", "001", "002"))
    pair = verify.measure(original, copy, CONFIG)
    assert pair.relation(CONFIG) == LinkRelation.COPY
    assert pair.coverage > 0.6 and pair.longest_run > 100
    assert verify.measure(original, other, CONFIG).relation(CONFIG) is None
    assert verify.measure(copy, other, CONFIG).relation(CONFIG) is None


def test_excerpt_is_a_candidate_and_a_copy():
    body = article_body(seed_path("000").read_text())
    excerpt = " ".join(body.split()[:110])
    sketches = [make_sketch("full", body), make_sketch("excerpt", f"From our partners\n{excerpt} …\nRead more")]
    assert (0, 1) in candidates.passage_pairs(sketches, CONFIG)
    figures = verify.measure(*sketches, CONFIG)
    assert figures.b_coverage > 0.9 and figures.relation(CONFIG) == LinkRelation.COPY


def test_partial_reuse_inside_a_different_text_is_reuse_not_a_copy():
    wire = " ".join(article_body(seed_path("000").read_text()).split()[60:160])
    host = article_body(seed_path("002").read_text())
    sketches = [make_sketch("wire", article_body(seed_path("000").read_text())), make_sketch("host", f"{host}\n{wire}\n{host[:300]}")]
    assert (0, 1) in candidates.passage_pairs(sketches, CONFIG)
    figures = verify.measure(*sketches, CONFIG)
    assert figures.coverage < CONFIG.copy_coverage  # not a version of the story ...
    assert figures.in_passages >= CONFIG.min_reuse and figures.relation(CONFIG) == LinkRelation.REUSE  # ... but reused


def test_one_shared_sentence_is_neither_copy_nor_reuse():
    sentence = "The rider attacked on the last climb of the day and held a lead of twelve seconds to the line"
    a = make_sketch("a", article_body(seed_path("000").read_text()) + "\n" + sentence)
    b = make_sketch("b", article_body(seed_path("002").read_text()) + "\n" + sentence)
    figures = verify.measure(a, b, CONFIG)
    assert figures.longest_run >= 15  # the sentence is found as one passage ...
    assert figures.relation(CONFIG) is None  # ... and is not enough for any link


def test_an_item_deep_inside_a_long_text_is_reuse():
    item = " ".join(article_body(seed_path("000").read_text()).split()[:120])
    other = article_body(seed_path("002").read_text())
    digest = f"{other}\n{other[::-1]}\n{item}"
    figures = verify.measure(make_sketch("item", item), make_sketch("digest", digest), CONFIG)
    assert figures.coverage > 0.9 and figures.larger_start > verify.LEAD_SHARE
    assert figures.relation(CONFIG) == LinkRelation.REUSE


def test_lsh_finds_near_duplicates_only():
    texts = [seed_path(p).read_text() for p in ("000", "001", "002")]
    pairs = candidates.lsh_pairs([make_sketch(str(i), t) for i, t in enumerate(texts)], CONFIG)
    assert (0, 1) in pairs and (0, 2) not in pairs and (1, 2) not in pairs


def link(a: str, b: str, jaccard: float = 0.9, relation: LinkRelation = LinkRelation.COPY) -> Link:
    return Link(a, b, jaccard, 0.9, 0.9, 0.9, 100, 100, "lsh", relation)


def test_reuse_links_never_make_clusters():
    links = [link("x", "y", relation=LinkRelation.REUSE)]
    assert cluster.group(links, {("x", "y"): np.arange(50, dtype=np.uint32)}, min_overlap=0.5) == []


def test_a_digest_does_not_chain_two_unrelated_stories():
    story_x = np.arange(0, 100, dtype=np.uint32)
    story_y = np.arange(1000, 1100, dtype=np.uint32)
    links = [link("x", "x-copy", 0.95), link("x", "digest", 0.5), link("y", "digest", 0.5), link("y", "y-copy", 0.9)]
    shared = {("x", "x-copy"): story_x, ("x", "digest"): story_x, ("y", "digest"): story_y, ("y", "y-copy"): story_y}
    groups = cluster.group(links, shared, min_overlap=0.5)
    assert len(groups) == 2
    assert not any({"x", "y"} <= g for g in groups)
    assert {"x", "x-copy"} <= groups[0] or {"x", "x-copy"} <= groups[1]


def test_a_copied_digest_does_not_chain_its_stories():
    story_x = np.arange(0, 100, dtype=np.uint32)
    story_y = np.arange(1000, 1100, dtype=np.uint32)
    both = np.concatenate([story_x, story_y])
    links = [link("digest", "digest-copy", 0.99), link("x", "digest", 0.5), link("y", "digest", 0.5),
             link("x", "digest-copy", 0.5), link("y", "digest-copy", 0.5)]
    shared = {("digest", "digest-copy"): both, ("x", "digest"): story_x, ("y", "digest"): story_y,
              ("x", "digest-copy"): story_x, ("y", "digest-copy"): story_y}
    assert cluster.compilations(links, shared, max_overlap=0.5) == {"digest", "digest-copy"}
    groups = cluster.group(links, shared, min_overlap=0.5)
    assert not any({"x", "y"} <= g for g in groups)
    assert any({"digest", "digest-copy"} <= g for g in groups)


def test_copies_of_different_parts_of_one_source_meet_in_its_story():
    source = np.arange(0, 100, dtype=np.uint32)
    links = [link("src", "a", 0.6), link("src", "b", 0.5), link("src", "c", 0.4)]
    shared = {("src", "a"): source[:60], ("src", "b"): source[20:80], ("src", "c"): source[10:50]}
    assert cluster.group(links, shared, min_overlap=0.5) == [frozenset({"src", "a", "b", "c"})]


def test_no_link_no_cluster():
    assert cluster.group([], {}, min_overlap=0.5) == []


def test_links_within_keeps_each_groups_own_links():
    links = [link("a", "b"), link("b", "x"), link("c", "a"), link("x", "y")]
    inside = cluster.links_within([frozenset("abc"), frozenset("xy")], links)
    assert inside == [[links[0], links[2]], [links[3]]]


def test_member_link_is_the_link_with_the_canonical_else_the_strongest():
    direct, strong, weak = link("b", "a", 0.5), link("c", "b", 0.8), link("d", "c", 0.3)
    links = [direct, strong, weak, link("a", "d", 0.2), link("d", "b", 0.3)]
    chosen = cluster.member_links("a", links)
    # b and d are linked to the canonical a: that link represents them, however weak.
    assert chosen == {"b": direct, "c": strong, "d": links[3]}
    # A tie in similarity goes to the other member with the smaller id, whichever way the links run.
    for tied in ([link("e", "c", 0.4), link("d", "e", 0.4)], [link("e", "d", 0.4), link("c", "e", 0.4)]):
        chosen = cluster.member_links("a", tied)["e"]
        assert {chosen.source_id, chosen.copy_id} == {"c", "e"}


def test_build_clusters_measures_each_member_on_its_member_link():
    docs = {d: Document(id=d, path=d, record=None, format="text", text="", sha256=d, n_words=10) for d in "abc"}
    links = [Link("a", "b", 0.7, 0.9, 0.9, 0.8, 100, 100, "lsh"), Link("c", "b", 0.6, 0.9, 0.5, 0.95, 100, 100, "lsh")]
    groups = [frozenset("abc")]
    (built,) = cluster.build_clusters(groups, cluster.links_within(groups, links), docs, {}, {groups[0]: "a"})
    assert built.canonical_id == "a" and built.id == 1
    assert built.similarity == {"a": 1.0, "b": 0.7, "c": 0.6}
    # c is the source side of its link to b: its containment is its own share in b.
    assert built.containment == {"a": 1.0, "b": 0.8, "c": 0.5}


COURT = [
    'Prosecutor Jane Hill told the jury at Leeds Crown Court: "He waited outside the house for two hours before he broke the kitchen window and climbed inside."',
    'The court heard that the defendant, a 34-year-old builder from Bradford, had been drinking all afternoon.',
    'Ms Hill said: "When the owner came downstairs he was struck twice with a metal bar and left bleeding on the floor of his own kitchen."',
    'The defendant denies aggravated burglary and grievous bodily harm. The trial continues on Monday.',
]


def test_a_court_report_copied_with_its_quotations_is_a_copy():
    wire = make_sketch("wire", "\n".join(COURT))
    paper = make_sketch("paper", "BURGLAR IN BAR ATTACK\n" + "\n".join(COURT[:3]))
    figures = verify.measure(wire, paper, CONFIG)
    assert figures.b_coverage > 0.8 and figures.relation(CONFIG) == LinkRelation.COPY


def test_an_independent_report_quoting_the_same_words_is_not_linked():
    quote = '"When the owner came downstairs he was struck twice with a metal bar and left bleeding on the floor of his own kitchen."'
    wire = make_sketch("wire", "\n".join(COURT))
    other = make_sketch(
        "other",
        "A Bradford man went on trial yesterday accused of attacking a homeowner during a break-in.\n"
        f"Jurors were told by the Crown: {quote}\nThe hearing was adjourned until next week.",
    )
    assert verify.measure(wire, other, CONFIG).relation(CONFIG) is None


def test_boilerplate_is_what_otherwise_unrelated_pages_of_a_site_share():
    """Furniture on pages of one site is boilerplate; a paragraph that a source and its
    excerpts share is not, though the excerpts take different parts and share little."""
    from dedup import boilerplate

    furniture = "Get the best of Cyclingnews delivered to your inbox with our daily newsletter and race alerts"
    source = article_body(seed_path("000").read_text())
    words = source.split()
    other = article_body(seed_path("002").read_text())
    texts = {
        "site/a": f"{other[:900]}\n{furniture}",
        "site/b": f"{other[900:1800]}\n{furniture}",
        "site/c": f"{other[1800:]}\n{furniture}",
        "wire/full": source,
        "x/first": " ".join(words[:150]),
        "y/second": " ".join(words[150:300]),
        "z/both": " ".join(words[100:200]),
    }
    sketches = [make_sketch(k, v) for k, v in texts.items()]
    found = boilerplate.find_boilerplate(
        sketches, [k.split("/")[0] for k in texts], corpus_min_docs=3, max_related=0.4, site_related=0.6
    )
    furniture_shingles = make_sketch("f", furniture).shingles
    assert np.isin(furniture_shingles, found).all()
    syndicated = np.setdiff1d(make_sketch("s", " ".join(words[100:200])).shingles, make_sketch("o", other).shingles)
    assert len(syndicated) > 50 and not np.isin(syndicated, found).any()


def test_site_of_prefers_metadata_then_url_then_folder():
    from dedup import boilerplate
    from dedup.models import Document

    def doc(**kw) -> Document:
        return Document(id="x", path=kw.pop("path", "a.txt"), record=None, format="txt", text="", sha256="", **kw)

    assert boilerplate.site_of(doc(site="The Hindu", url="https://www.hindu.com/x")) == "the hindu"
    assert boilerplate.site_of(doc(url="https://travel.timesonline.co.uk/x")) == "timesonline.co.uk"
    assert boilerplate.site_of(doc(path="www.news.com.au/page.html")) == "news.com.au"
    assert boilerplate.site_of(doc(path="feeds/reuters/page.json")) == "folder:feeds/reuters"
    assert boilerplate.site_of(doc(path="page.txt")) is None


WIRE = (
    "Posh Spice decided to go to doctors after being afraid that she was losing too much weight, she has disclosed. "
    "Victoria made the admission in an interview with Michael Parkinson, to be broadcast on BBC1 at 9.30pm tomorrow. "
    "The wife of England soccer star David Beckham said she started to get paranoid about her weight after the birth. "
    "Doctors told her that losing weight is something that happens to many women when they have children."
)
REWRITE = (
    "Worried about losing too much weight, Posh Spice went to see doctors, she disclosed. "
    "She made the admission to Michael Parkinson in an interview broadcast on BBC1 tonight at 9.30pm. "
    "David Beckham's wife said she became paranoid about her weight after giving birth. "
    "Her doctors told her that many women lose weight when they have children."
)
INDEPENDENT = (
    "Victoria Beckham appeared on the Parkinson show on BBC1 last night looking thin in a cream leather dress. "
    "The singer joked with the host about her husband David and their baby son Brooklyn. "
    "Fans of the Spice Girls have worried for months about the star's health and her slim figure."
)


def test_a_rewritten_wire_story_is_a_copy_and_an_independent_report_is_not():
    wire, rewrite, independent = (make_sketch(n, t) for n, t in (("wire", WIRE), ("rewrite", REWRITE), ("other", INDEPENDENT)))
    split = {n: sketch.sentences(t, np.zeros(0, dtype=np.uint32), CONFIG) for n, t in (("wire", WIRE), ("rewrite", REWRITE), ("other", INDEPENDENT))}
    figures = verify.measure(wire, rewrite, CONFIG)
    assert figures.coverage < CONFIG.copy_coverage  # the shared runs alone do not make a copy ...
    assert figures.needs_sentences(CONFIG)
    rewritten = figures.with_sentences(split["wire"], split["rewrite"], CONFIG)
    assert rewritten.rewritten >= CONFIG.rewrite_coverage and rewritten.relation(CONFIG) == LinkRelation.COPY  # ... the sentences do
    other = verify.measure(wire, independent, CONFIG).with_sentences(split["wire"], split["other"], CONFIG)
    assert other.rewritten < CONFIG.rewrite_coverage and other.relation(CONFIG) is None


def _rewritten_by_sets(small, large, min_dice: float, min_words: int) -> float:
    """``verify.rewritten_coverage`` spelled out with Python sets, sentence by sentence."""
    bags_small = [set(small.words[small.ids == i].tolist()) for i in range(len(small.sizes))]
    bags_large = [set(large.words[large.ids == i].tolist()) for i in range(len(large.sizes))]
    covered = sum(
        int(small.tokens[i]) for i, bag in enumerate(bags_small)
        if small.sizes[i] >= min_words and any(2 * len(bag & other) / max(len(bag) + len(other), 1) >= min_dice for other in bags_large)
    )
    return covered / int(small.tokens.sum())


def test_rewritten_coverage_counts_the_sentences_a_dice_match_covers():
    none = np.zeros(0, dtype=np.uint32)
    seeds = [article_body(seed_path(n).read_text()) for n in ("000", "001", "002")]
    # A long text with a little of the seeds in it: its sentence matrix with a seed is large
    # beside the sentence pairs that share a word.
    filler = [f"Zeta{k} alpha{k} beta{k} gamma{k} delta{k}." for k in range(600)]
    sparse = " ".join(filler[:300] + seeds[0].split(". ")[:3] + filler[300:])
    texts = [WIRE, REWRITE, INDEPENDENT, *seeds, "\n".join(seeds * 3), " ".join(seeds[0].split()[::2]), sparse]
    split = [sketch.sentences(t, none, CONFIG) for t in texts]
    found = []
    for a in range(len(split)):
        for b in range(len(split)):
            if a != b and split[a].tokens.sum() <= split[b].tokens.sum():
                got = verify.rewritten_coverage(split[a], split[b], min_dice=CONFIG.rewrite_dice, min_words=CONFIG.rewrite_min_words)
                assert got == _rewritten_by_sets(split[a], split[b], CONFIG.rewrite_dice, CONFIG.rewrite_min_words), (a, b)
                found.append(got)
    assert 0.0 in found and 1.0 in found and any(0 < f < 1 for f in found)  # none, whole and partial rewrites


def test_a_quoted_sentence_can_match_nothing():
    quote = '"I did go to the doctors because I started to get paranoid about my weight after the baby," she said.'
    split = sketch.sentences(f"{quote} The rest is different.", np.zeros(0, dtype=np.uint32), CONFIG)
    assert split.sizes[0] == 0 and split.sizes.sum() > 0


def test_lsh_pairs_are_the_buckets_of_datasketchs_index():
    from datasketch import LeanMinHash, MinHashLSH

    body = article_body(seed_path("000").read_text()).split()
    texts = [" ".join(body[i : i + 200]) for i in range(0, 400, 20)] + [seed_path(p).read_text() for p in ("000", "001", "002")]
    sketches = [make_sketch(str(i), t) for i, t in enumerate(texts)]
    index = MinHashLSH(threshold=CONFIG.lsh_threshold, num_perm=CONFIG.num_perm)
    for number, item in enumerate(sketches):
        index.insert(number, LeanMinHash(seed=CONFIG.seed, hashvalues=item.minhash, scheme="affine32"))
    expected = {(min(a, b), max(a, b)) for a, item in enumerate(sketches) for b in index.query(
        LeanMinHash(seed=CONFIG.seed, hashvalues=item.minhash, scheme="affine32")) if a != b}
    found = candidates.lsh_pairs(sketches, CONFIG)
    assert len(expected) > 10 and found == expected


def test_a_bucket_of_many_duplicates_costs_linear_pairs_and_stays_connected():
    from dataclasses import replace

    text = seed_path("000").read_text()
    sketches = [make_sketch(str(i), text) for i in range(12)]
    every = candidates.lsh_pairs(sketches, CONFIG)
    assert len(every) == 12 * 11 // 2
    capped = candidates.lsh_pairs(sketches, replace(CONFIG, lsh_max_bucket=5))
    # Each of the 12 duplicates is paired with the first three only: 11 + 10 + 9 pairs.
    assert len(capped) == 30 and capped < every
    assert all((0, j) in capped for j in range(1, 12))
