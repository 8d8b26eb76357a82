"""The stored sketches: they round-trip, and detection from them equals detection from text."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np

from conftest import CORPUS, article_body, seed_path
from dedup import ingest
from dedup.config import ScanConfig
from dedup.db.codec import decode_sketch, encode_sketch
from dedup.pipeline import Settled, detect


def documents() -> list:
    """The seeds and some shuffled variants of seed 000 (distinct texts), as parsed."""
    docs = [d for p in sorted(CORPUS.iterdir()) for d in ingest.parse_bytes(p.name, p.read_bytes())[0]]
    words = article_body(seed_path("000").read_text()).split()
    for number in range(5):
        random.Random(number).shuffle(words)
        docs += ingest.parse_bytes(f"variant{number}.txt", " ".join(words).encode())[0]
    return docs


def test_a_sketch_survives_its_stored_form():
    found = detect(documents(), ScanConfig(workers=1))
    for item in found.new_sketches:
        back = decode_sketch(item.doc_id, encode_sketch(item))
        for name in ("shingles", "positions", "quoted", "minhash"):
            assert getattr(back, name).dtype == getattr(item, name).dtype
            assert np.array_equal(getattr(back, name), getattr(item, name)), name


def test_detection_from_known_sketches_equals_detection_from_text():
    docs, config = documents(), ScanConfig(workers=1)
    first = detect(docs, config)
    assert len(first.new_sketches) == len(docs)
    stored = {s.doc_id: decode_sketch(s.doc_id, encode_sketch(s)) for s in first.new_sketches}
    # All but one document come from the store: only that one is sketched again.
    stored.pop(docs[0].id)
    again = detect(docs, config, known_sketches=stored)
    assert [s.doc_id for s in again.new_sketches] == [docs[0].id]
    assert again.links == first.links and again.clusters == first.clusters
    assert again.boilerplate_shingles == first.boilerplate_shingles


def test_settled_pairs_are_not_verified_again_and_the_result_is_the_same():
    config = ScanConfig(workers=1)
    earlier_docs = documents()
    added = ingest.parse_bytes("wire-copy.txt", ("Wire copy\n" + article_body(seed_path("000").read_text())).encode())[0]
    docs = earlier_docs + added
    earlier = detect(earlier_docs, config)
    settled = Settled(
        boilerplate_digest=earlier.boilerplate_digest,
        document_ids=frozenset(d.id for d in earlier_docs),
        linked=frozenset((min(l.source_id, l.copy_id), max(l.source_id, l.copy_id)) for l in earlier.links),
    )
    counts: dict[str, list[int]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        counts.setdefault(stage, []).append(total)

    again = detect(docs, config, settled=settled, progress=progress)
    verified_again = counts["verify"][0]
    counts.clear()
    scratch = detect(docs, config, progress=progress)
    assert again.links == scratch.links and again.clusters == scratch.clusters and again.decisions == scratch.decisions
    assert verified_again < counts["verify"][0]  # the settled non-links were skipped
    assert added[0].id in {i for l in scratch.links for i in (l.source_id, l.copy_id)}


def test_a_rescan_over_everything_sketches_and_verifies_only_what_is_new(seed_corpus: Path, tmp_path: Path):
    from test_roots import results

    from dedup.pipeline import scan

    for number in range(5):  # more documents, so that pairs among them are settled
        words = article_body(seed_path("002").read_text()).split()
        random.Random(number).shuffle(words)
        (seed_corpus / f"variant{number}.txt").write_text(" ".join(words))
    step = tmp_path / "step.db"
    scan(seed_corpus, step)
    (seed_corpus / "wire-copy.txt").write_text("Wire copy\n" + article_body(seed_path("000").read_text()) + "\n")
    with sqlite3.connect(step) as con:  # as after an upgrade, which empties the index: the next scan runs over everything
        con.execute("DELETE FROM index_state")
    seen: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        seen.setdefault(stage, total)

    again = scan(seed_corpus, step, progress=progress)
    incremental = dict(seen)
    seen.clear()
    scratch = tmp_path / "scratch.db"
    scan(seed_corpus, scratch, progress=progress)
    assert (again.summary.detection, again.summary.detection_note) == ("full", "the index does not describe the last scan")
    assert incremental["sketch"] == 1 and seen["sketch"] == 9  # only the new file is sketched
    assert incremental["verify"] < seen["verify"]
    assert results(step) == results(scratch)


def test_the_incremental_benchmark_adds_its_share_and_agrees_with_a_scan_from_scratch(tmp_path: Path):
    from dedup.eval.bench_incremental import benchmark_incremental

    result = benchmark_incremental(CORPUS, docs=200, share=0.1, workdir=tmp_path)
    assert (result.base_documents, result.added_documents) == (180, 20)
    assert result.same_result and result.increment_seconds > 0 and result.ratio > 0
    assert result.increment_detection == "index"


def test_a_rescan_decides_again_only_the_clusters_it_changes(seed_corpus: Path, tmp_path: Path, monkeypatch):
    from test_roots import results

    from dedup import provenance
    from dedup.pipeline import scan

    (seed_corpus / "reprint-002.txt").write_text("Reprinted\n" + article_body(seed_path("002").read_text()) + "\n")
    config = ScanConfig(workers=1)
    step = tmp_path / "step.db"
    scan(seed_corpus, step, config)
    decided: list[int] = []
    decide_items = provenance.decide_items

    def counting(items):
        items = list(items)
        decided.append(len(items))
        return decide_items(items)

    monkeypatch.setattr(provenance, "decide_items", counting)
    (seed_corpus / "wire-copy.txt").write_text("Wire copy\n" + article_body(seed_path("000").read_text()) + "\n")
    with sqlite3.connect(step) as con:  # without an index, the rescan detects over everything
        con.execute("DELETE FROM index_state")
    assert scan(seed_corpus, step, config).summary.detection == "full"
    again = sum(decided)
    decided.clear()
    scratch = tmp_path / "scratch.db"
    scan(seed_corpus, scratch, config)
    assert (again, sum(decided)) == (1, 2)  # the 2012 report's cluster kept its decision

    def decisions(db: Path) -> tuple:
        con = sqlite3.connect(db)
        path = dict(con.execute("SELECT id, path FROM documents"))
        clusters = sorted((path[c], f, a, k) for c, f, a, k in con.execute("SELECT canonical_id, confidence, alternatives, decision_key FROM clusters"))
        evidence = sorted((path[d], s, w, t) for d, s, w, t in con.execute("SELECT document_id, signal, weight, detail FROM evidence"))
        return clusters, evidence

    assert results(step) == results(scratch)
    assert decisions(step) == decisions(scratch) and len(decisions(step)[0]) == 2
