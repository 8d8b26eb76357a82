"""``dedup check`` answers from the lookup index the last scan left, and the answer is the one a
scan of the inputs into a copy of the database gives (``use_index=False``), whatever the inputs
change: new clusters, re-elected sources, shingles that become boilerplate."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, seed_path

import dedup
from dedup import incremental, ingest
from dedup.config import ScanConfig
from dedup.db import index, open_db
from dedup.eval.bench import make_corpus
from dedup.pipeline import scan, versions


def both_answers(paths, db: Path) -> tuple[list, list]:
    """The index's answers and a scan's, each without saying how it was found."""
    fast = dedup.check(paths, db)
    slow = dedup.check(paths, db, use_index=False)
    assert [r.answered_by for r in slow] == ["scan"] * len(slow)
    return fast, [replace(r, answered_by="index") for r in slow]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, list[Path]]:
    """A database of 300 generated articles (distinct stories, copies in site furniture,
    excerpts) and 12 more of the same corpus, held back to be checked."""
    folder = tmp_path_factory.mktemp("generated")
    make_corpus(CORPUS, folder / "corpus", n_docs=312)
    files = sorted((folder / "corpus").rglob("*.txt"))
    held = folder / "held"
    held.mkdir()
    for path in files[25::26]:  # spread over the corpus, so that copies meet their sources
        shutil.move(path, held / path.name)
    db = folder / "generated.db"
    scan(folder / "corpus", db)
    return db, sorted(held.iterdir())


def test_every_held_back_article_is_answered_from_the_index_as_a_scan_answers(generated):
    db, held = generated
    matched = 0
    for path in held:
        fast, slow = both_answers([path], db)
        assert fast[0].answered_by == "index", path.name
        assert fast == slow, path.name
        matched += bool(fast[0].matches)
    assert matched >= 4  # copies and excerpts of stored stories are among them


def test_several_inputs_at_once_and_an_input_that_copies_another(generated, tmp_path: Path):
    db, held = generated
    twin = tmp_path / "twin.txt"
    twin.write_text(held[0].read_text(encoding="utf-8"), encoding="utf-8")
    fast, slow = both_answers([*held[:4], twin], db)
    assert {r.answered_by for r in fast} == {"index"} and fast == slow


def sentence(words: int, start: int) -> str:
    return " ".join(f"w{start + k}" for k in range(words))


def test_a_passage_that_becomes_boilerplate_changes_the_stored_links_and_the_answer_follows(tmp_path: Path):
    """Four otherwise unrelated articles of four sites share a 40-word passage: a scan links them
    (reuse). A fifth carrier makes the passage boilerplate (``boilerplate_min_docs`` = 5
    unrelated carriers): a scan with it drops those links, and the index sees the same."""
    shared = sentence(40, 10_000)
    root = tmp_path / "sites"
    for k, site in enumerate(["a.example", "b.example", "c.example", "d.example"]):
        (root / site).mkdir(parents=True)
        (root / site / "story.txt").write_text(f"{sentence(200, k * 1000)}. {shared}.\n", encoding="utf-8")
    db = tmp_path / "sites.db"
    scan(root, db)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM links").fetchone()[0] > 0
    fifth = tmp_path / "fifth.txt"
    fifth.write_text(f"{sentence(200, 50_000)}. {shared}.\n", encoding="utf-8")
    fast, slow = both_answers([fifth], db)
    assert fast[0].answered_by == "index" and fast == slow and fast[0].matches == ()
    config = ScanConfig()
    found, docs, _ = ingest.load(tmp_path, "fifth.txt", config)
    database = open_db(db, readonly=True)
    try:
        addition = incremental.add(database, [ingest.root_scoped(d, "/checked") for d in docs], config, versions())
    finally:
        database.close()
    assert len(addition.touched) == 4 and addition.links == []


def test_a_copy_that_joins_and_a_story_that_outranks_a_stored_cluster(tmp_path: Path):
    """The checked article is a longer, earlier version of a stored story: it joins the stored
    cluster, and the cluster's source may change: the index says what a scan says."""
    root = tmp_path / "news"
    root.mkdir()
    body = sentence(150, 0)
    (root / "one.json").write_text(f'{{"text": "{body} w900 w901.", "published_at": "2025-10-20T10:00:00Z", "site": "one"}}')
    (root / "two.json").write_text(f'{{"text": "{body}.", "published_at": "2025-10-20T12:00:00Z", "site": "two"}}')
    db = tmp_path / "news.db"
    scan(root, db)
    earlier = tmp_path / "earlier.json"
    earlier.write_text(f'{{"text": "{body} w900 w901 w902 w903.", "published_at": "2025-10-20T08:00:00Z", "site": "zero"}}')
    fast, slow = both_answers([earlier], db)
    assert fast[0].answered_by == "index" and fast == slow
    assert {m.cluster.canonical_is_input for m in fast[0].matches if m.cluster} == {True}


def test_an_index_of_other_settings_is_not_used(seed_corpus: Path, tmp_path: Path):
    db = tmp_path / "other.db"
    scan(seed_corpus, db, ScanConfig(min_copy=16))
    wire = tmp_path / "wire.txt"
    wire.write_text(seed_path("000").read_text(encoding="utf-8"), encoding="utf-8")
    (answer,) = dedup.check([wire], db)
    assert answer.answered_by == "scan" and answer.matches
    (answer,) = dedup.check([wire], db, ScanConfig(min_copy=16))
    assert answer.answered_by == "index" and answer.matches


def index_contents(db: Path) -> dict:
    """What the lookup index says, by document id (its numbering and parts aside)."""
    database = open_db(db, readonly=True)
    state = index.load_state(database)
    ids = dict(database.execute("SELECT number, document_id FROM index_documents").fetchall())
    assert sorted(ids, key=lambda n: state.ranks[n]) == sorted(ids, key=ids.get)  # ranks are the id order
    found = {
        "documents": {ids[n]: (int(state.counts[n]), bool(state.banded[n]), state.sites[c] if c >= 0 else None)
                      for n, c in enumerate(state.site_codes.tolist())},
        "boilerplate": state.boilerplate.tolist(), "setup": (state.config_fingerprint, state.versions),
    }
    for table, dtype in (("index_shingles", "<u4"), ("index_bands", "<u8")):
        entries = set()
        for keys, numbers in database.execute(f"SELECT {'hashes' if dtype == '<u4' else 'keys'}, numbers FROM {table}"):
            entries.update(zip(np.frombuffer(keys, dtype=dtype).tolist(), (ids[n] for n in np.frombuffer(numbers, dtype="<u4").tolist())))
        found[table] = sorted(entries)
    found["pairs"] = sorted(
        (ids[number], ids[int(p)], int(k)) for number, (partners, kinds) in index.partners(database, list(ids)).items() for p, k in zip(partners, kinds)
    )
    database.close()
    return found


def test_added_files_extend_the_index_to_the_index_of_a_scan_from_scratch(generated, tmp_path: Path):
    """Each added file is detected from the index, which grows by a part; past
    ``MAX_PARTS`` parts they are merged. Index and results stay those of a scan from scratch."""
    from test_roots import results

    db, held = generated
    root = Path(sqlite3.connect(db).execute("SELECT root FROM files LIMIT 1").fetchone()[0])
    corpus = tmp_path / root.name
    shutil.copytree(root, corpus)
    step = tmp_path / "step.db"
    scan(corpus, step)
    parts = []
    for path in held[: index.MAX_PARTS + 2]:
        shutil.copy(path, corpus / "000" / path.name)
        assert scan(corpus, step).summary.detection == "index", path.name
        parts.append(len(index.load_state(open_db(step, readonly=True)).parts))
    assert parts == [*range(2, index.MAX_PARTS + 1), 2, 3, 4]
    fresh = tmp_path / "fresh.db"
    scan(corpus, fresh)
    assert index_contents(step) == index_contents(fresh)
    assert results(step) == results(fresh)
    assert index.load_state(open_db(step, readonly=True)).n_documents == 300 + index.MAX_PARTS + 2
    fast, slow = both_answers(held[index.MAX_PARTS + 2 :], step)
    assert {r.answered_by for r in fast} == {"index"} and fast == slow
