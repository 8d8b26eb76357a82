"""Detection stages: tokens and quotations, furniture, shingles, candidates, verification, clustering."""

from __future__ import annotations

import numpy as np
from conftest import article_body, seed_path

from dedup import candidates, cluster, normalize, sketch, verify
from dedup.config import ScanConfig
from dedup.models import Link

CONFIG = ScanConfig()
TEMPLATE = sketch.minhash_template(CONFIG)


def make_sketch(doc_id: str, text: str, furniture: frozenset[int] = frozenset()):
    return sketch.sketch(doc_id, normalize.tokenize(text), furniture, CONFIG, TEMPLATE)


def test_curly_and_straight_quotes_give_the_same_tokens():
    straight = normalize.tokenize('He said "that\'s super good" - really.')
    curly = normalize.tokenize("He said “that’s super good” – really.")
    assert np.array_equal(straight.hashes, curly.hashes)
    assert straight.quoted.tolist() == curly.quoted.tolist() == [False, False, True, True, True, True, False]
    assert straight.lines[0][0] == curly.lines[0][0]


def test_an_unbalanced_quote_does_not_swallow_the_next_line():
    tokens = normalize.tokenize('An "open quote\nnext line "closed here" end')
    assert tokens.quoted.tolist() == [False, False, False, False, False, True, True, False]


def test_lines_shared_by_otherwise_different_documents_are_furniture():
    chrome = "Sign up for the newsletter and get the latest race content direct to your inbox"
    blurb = next(line for line in seed_path("001").read_text().splitlines() if "biggest road races in Asia. This" in line)
    bodies = [article_body(seed_path(p).read_text()) for p in ("000", "002")] + [blurb]
    lines = {f"d{i}": [(k, e - s) for k, s, e in normalize.tokenize(f"{b}\n{chrome}").lines] for i, b in enumerate(bodies)}
    chrome_key = normalize.tokenize(chrome).lines[0][0]
    found = normalize.find_furniture(lines, {}, min_docs=3, max_overlap=0.3)
    assert found == {chrome_key}
    # Two documents are not enough without a common site ...
    two = {k: v for k, v in lines.items() if k != "d2"}
    assert normalize.find_furniture(two, {}, min_docs=3, max_overlap=0.3) == frozenset()
    # ... but are when both come from the same site.
    assert normalize.find_furniture(two, {"d0": "Cyclingnews", "d1": "Cyclingnews"}, min_docs=3, max_overlap=0.3) == {chrome_key}


def test_syndicated_paragraphs_are_never_furniture():
    body = article_body(seed_path("000").read_text())
    keys = [(k, e - s) for k, s, e in normalize.tokenize(body).lines]
    lines = {f"copy{i}": keys + [(1000 + i, 40)] for i in range(5)}
    assert normalize.find_furniture(lines, {}, min_docs=3, max_overlap=0.3) == frozenset()


def test_shingle_hashes_are_deterministic_and_order_sensitive():
    a = np.array([1, 2, 3, 4], dtype=np.uint64)
    assert np.array_equal(sketch.shingle_hashes(a, 3), sketch.shingle_hashes(a.copy(), 3))
    assert len(sketch.shingle_hashes(a, 3)) == 2
    assert not np.array_equal(sketch.shingle_hashes(a, 3), sketch.shingle_hashes(a[::-1].copy(), 3))
    assert len(sketch.shingle_hashes(a[:2], 3)) == 1  # short texts still get one shingle


def test_quoted_text_is_not_evidence_of_copying():
    quote = '"We finish the season super well and that is super good for the winter and for the whole team," said Martinez.'
    a = make_sketch("a", f"Martinez won in Japan after a long attack on the final climb. {quote}")
    b = make_sketch("b", f"A different report about the rider's season and his plans. {quote}")
    figures = verify.measure(a, b)
    assert figures.jaccard > 0  # the quotation itself is shared ...
    assert figures.shared == 0  # ... but does not count
    assert not figures.is_copy(CONFIG)


def test_seed_pair_verifies_and_the_2012_report_does_not():
    original, copy, other = (make_sketch(p, seed_path(p).read_text()) for p in ("000", "001", "002"))
    pair = verify.measure(original, copy)
    assert pair.is_copy(CONFIG)
    assert pair.containment > 0.6 and pair.longest_run > 100
    assert not verify.measure(original, other).is_copy(CONFIG)
    assert not verify.measure(copy, other).is_copy(CONFIG)


def test_excerpt_is_a_candidate_and_a_copy():
    body = article_body(seed_path("000").read_text())
    excerpt = " ".join(body.split()[:110])
    sketches = [make_sketch("full", body), make_sketch("excerpt", f"From our partners\n{excerpt} …\nRead more")]
    assert (0, 1) in candidates.passage_pairs(sketches, CONFIG)
    figures = verify.measure(*sketches)
    assert figures.b_containment > 0.9 and figures.is_copy(CONFIG)


def test_partial_reuse_inside_a_different_text_is_found():
    wire = " ".join(article_body(seed_path("000").read_text()).split()[60:160])
    host = article_body(seed_path("002").read_text())
    sketches = [make_sketch("wire", article_body(seed_path("000").read_text())), make_sketch("host", f"{host}\n{wire}\n{host[:300]}")]
    assert (0, 1) in candidates.passage_pairs(sketches, CONFIG)
    figures = verify.measure(*sketches)
    assert figures.containment < CONFIG.min_containment  # not a whole-document copy ...
    assert figures.longest_run >= CONFIG.min_passage and figures.is_copy(CONFIG)  # ... but a reused passage


def test_lsh_finds_near_duplicates_only():
    texts = [seed_path(p).read_text() for p in ("000", "001", "002")]
    pairs = candidates.lsh_pairs([make_sketch(str(i), t) for i, t in enumerate(texts)], CONFIG)
    assert (0, 1) in pairs and (0, 2) not in pairs and (1, 2) not in pairs


def link(a: str, b: str, jaccard: float = 0.9) -> Link:
    return Link(a, b, jaccard, 0.9, 0.9, 0.9, 100, 100, "lsh")


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
