"""Several scanned folders in one database: each keeps its documents, a rescan follows its own
folder only, removal is explicit, and the result equals scanning the folders from scratch."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from conftest import CORPUS, article_body, seed_path
from dedup import ingest
from dedup.db import open_db
from dedup.db.schema import MIGRATIONS
from dedup.errors import InputError
from dedup.pipeline import scan


def results(db: Path) -> dict:
    """What detection stored, by document path and folder (ids and cluster numbers aside)."""
    con = sqlite3.connect(db)
    where = {i: (Path(r).name, p) for i, r, p in con.execute("SELECT id, root, path FROM documents")}
    links = sorted((where[s], where[c], rel) for s, c, rel in con.execute("SELECT source_id, copy_id, relation FROM links"))
    clusters: dict[int, set] = {}
    for cluster_id, doc_id in con.execute("SELECT cluster_id, document_id FROM cluster_members"):
        clusters.setdefault(cluster_id, set()).add(where[doc_id])
    canonicals = sorted(where[c] for (c,) in con.execute("SELECT canonical_id FROM clusters"))
    passages = sorted(
        (where[s], where[c], k, a, b) for s, c, k, a, b in con.execute("SELECT source_id, copy_id, kind, copy_start, copy_end FROM passages")
    )
    return {"documents": sorted(where.values()), "links": links, "clusters": sorted(map(sorted, clusters.values())),
            "canonicals": canonicals, "passages": passages}


@pytest.fixture
def two_folders(tmp_path: Path) -> tuple[Path, Path]:
    """Two days of a feed: the same file names, and a copy in day 2 of an article of day 1."""
    day1, day2 = tmp_path / "day1", tmp_path / "day2"
    shutil.copytree(CORPUS, day1)
    day2.mkdir()
    (day2 / seed_path("000").name).write_text("Wire copy\n" + article_body(seed_path("000").read_text()) + "\n")
    (day2 / "note.txt").write_text("A short unrelated note about the weather in Utsunomiya on race day.\n")
    return day1, day2


def test_a_second_folder_adds_to_the_first(two_folders, tmp_path: Path):
    day1, day2 = two_folders
    db = tmp_path / "news.db"
    scan(day1, db)
    second = scan(day2, db)
    assert second.summary.n_documents == 5 and second.summary.n_removed_files == 0
    found = results(db)
    # The same file name in both folders gives two documents; day 2's copy joins day 1's story.
    assert ("day1", seed_path("000").name) in found["documents"] and ("day2", seed_path("000").name) in found["documents"]
    (story,) = [c for c in found["clusters"] if ("day1", seed_path("000").name) in c]
    assert ("day2", seed_path("000").name) in story and ("day1", seed_path("001").name) in story


def test_a_rescan_follows_its_own_folder_and_prunes_only_when_asked(two_folders, tmp_path: Path):
    day1, day2 = two_folders
    db = tmp_path / "news.db"
    scan(day1, db)
    scan(day2, db)
    (day2 / "note.txt").unlink()
    again = scan(day1, db)  # day 2's files are none of day 1's business
    assert (again.summary.n_unchanged_files, again.summary.n_missing_files, again.summary.n_documents) == (3, 0, 5)
    kept = scan(day2, db)
    assert (kept.summary.n_missing_files, kept.summary.n_removed_files, kept.summary.n_documents) == (1, 0, 5)
    pruned = scan(day2, db, prune=True)
    assert (pruned.summary.n_missing_files, pruned.summary.n_removed_files, pruned.summary.n_documents) == (1, 1, 4)
    assert ("day2", "note.txt") not in results(db)["documents"]


def test_incremental_scans_equal_scans_from_scratch(two_folders, tmp_path: Path):
    day1, day2 = two_folders
    step = tmp_path / "step.db"
    scan(day1, step)
    scan(day2, step)
    copy = day1 / seed_path("001").name
    copy.write_text(copy.read_text() + "\nA closing line added by the second publisher, long enough to be kept as text.\n")
    scan(day1, step)
    fresh = tmp_path / "fresh.db"
    scan(day1, fresh)
    scan(day2, fresh)
    assert results(step) == results(fresh)


def test_a_folder_of_the_same_name_from_elsewhere_is_refused(two_folders, tmp_path: Path):
    day1, _ = two_folders
    db = tmp_path / "news.db"
    scan(day1, db)
    elsewhere = tmp_path / "other" / "day1"
    shutil.copytree(day1, elsewhere)
    with pytest.raises(InputError, match="already holds a folder named 'day1'"):
        scan(elsewhere, db)
    assert results(db)["documents"] == sorted(("day1", p.name) for p in day1.iterdir())


def test_the_upgrade_names_the_folder_in_every_id(tmp_path: Path):
    """A database from before several folders: its ids become those a fresh scan gives."""
    db_path = tmp_path / "old.db"
    root = (tmp_path / "corpus").as_posix()
    db = sqlite_utils.Database(db_path)
    MIGRATIONS.apply(db, stop_before="m009_roots")
    a, b = ingest.document_id("a.txt", None), ingest.document_id("b.txt", None)
    db["scans"].insert({"id": 1, "started_at": "t", "finished_at": "t", "root": root})
    for doc_id, path in ((a, "a.txt"), (b, "b.txt")):
        db["documents"].insert({"id": doc_id, "path": path, "text": "x", "title": None, "first_scan_id": 1, "scan_id": 1})
        db["files"].insert({"path": path, "sha256": "0", "size": 1, "n_documents": 1, "scan_id": 1})
    db["links"].insert({"source_id": a, "copy_id": b, "relation": "copy", "scan_id": 1})
    db["clusters"].insert({"id": 1, "canonical_id": a, "size": 2, "alternatives": f'[{{"document_id": "{b}", "score": 0}}]'})
    db["cluster_members"].insert_all([
        {"cluster_id": 1, "document_id": a, "role": "canonical"},
        {"cluster_id": 1, "document_id": b, "role": "copy", "compared_with": a, "relation_detail": f'{{"measured_against": "{a}"}}'},
    ])
    db.conn.commit()
    db.close()
    db = open_db(db_path)  # applies m009
    new_a, new_b = ingest.scoped_id(root, a), ingest.scoped_id(root, b)
    assert sorted(r[0] for r in db.execute("SELECT id FROM documents")) == sorted([new_a, new_b])
    assert db.execute("SELECT source_id, copy_id FROM links").fetchall() == [(new_a, new_b)]
    assert db.execute("SELECT canonical_id, alternatives FROM clusters").fetchone() == (new_a, f'[{{"document_id": "{new_b}", "score": 0}}]')
    assert db.execute("SELECT compared_with, relation_detail FROM cluster_members WHERE role = 'copy'").fetchone() == (
        new_a, f'{{"measured_against": "{new_a}"}}'
    )
    assert db.execute("SELECT root, path FROM files ORDER BY path").fetchall() == [(root, "a.txt"), (root, "b.txt")]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
