"""End to end: scanning corpus/, rescans, incremental scans, bad input inside a scan."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import sqlite_utils
from conftest import article_body, seed_path

from dedup.config import ScanConfig
from dedup.pipeline import scan

RESULT_TABLES = {
    "documents": "SELECT id, path, record, text, title, sha256, n_words FROM documents ORDER BY id",
    "links": "SELECT source_id, copy_id, jaccard, containment, shared_shingles, method FROM links ORDER BY 1, 2",
    "clusters": "SELECT id, canonical_id, size, mean_similarity FROM clusters ORDER BY id",
    "members": "SELECT cluster_id, document_id, role, similarity, containment, relation, score FROM cluster_members ORDER BY 1, 2",
    "evidence": "SELECT cluster_id, document_id, signal, weight, detail FROM evidence ORDER BY 1, 2, 3, 5",
}


def snapshot(db_path: Path) -> dict:
    db = sqlite_utils.Database(db_path)
    return {name: db.execute(sql).fetchall() for name, sql in RESULT_TABLES.items()}


def paths_by_cluster(db_path: Path) -> dict[int, set[str]]:
    db = sqlite_utils.Database(db_path)
    found: dict[int, set[str]] = {}
    sql = "SELECT m.cluster_id, d.path FROM cluster_members m JOIN documents d ON d.id = m.document_id"
    for cluster_id, path in db.execute(sql):
        found.setdefault(cluster_id, set()).add(path)
    return found


def test_corpus_gives_exactly_the_martinez_cluster(seed_corpus: Path, db_path: Path):
    result = scan(seed_corpus, db_path)
    assert result.summary.n_documents == 3 and result.summary.n_errors == 0
    clusters = paths_by_cluster(db_path)
    assert list(clusters.values()) == [{seed_path("000").name, seed_path("001").name}]
    db = sqlite_utils.Database(db_path)
    roles = dict(db.execute("SELECT d.path, m.role FROM cluster_members m JOIN documents d ON d.id = m.document_id").fetchall())
    assert roles[seed_path("000").name] == "canonical" and roles[seed_path("001").name] == "copy"
    text = db.execute("SELECT text FROM documents WHERE path = ?", [seed_path("001").name]).fetchone()[0]
    assert text == seed_path("001").read_text(encoding="utf-8")  # offsets point into the file
    scan_row = db.execute("SELECT root, parameters, versions, n_clusters FROM scans").fetchone()
    assert json.loads(scan_row[1]) == ScanConfig().as_dict()
    assert "datasketch" in json.loads(scan_row[2]) and scan_row[3] == 1


def test_schema_has_foreign_keys_indexes_and_wal(seed_corpus: Path, db_path: Path):
    scan(seed_corpus, db_path)
    db = sqlite_utils.Database(db_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for table in ("documents", "clusters", "cluster_members", "links", "errors", "scans", "files"):
        assert table in db.table_names()
    for table in db.table_names():
        indexed = {tuple(index.columns)[0] for index in db[table].indexes} | set(db[table].pks[:1])
        for fk in db[table].foreign_keys:
            assert fk.column in indexed, f"{table}.{fk.column} has no index"
    fks = {(fk.table, fk.column, fk.other_table) for t in ("cluster_members", "links", "clusters") for fk in db[t].foreign_keys}
    assert ("cluster_members", "document_id", "documents") in fks
    assert ("links", "copy_id", "documents") in fks
    assert ("clusters", "canonical_id", "documents") in fks


def test_rescan_is_idempotent(seed_corpus: Path, db_path: Path):
    scan(seed_corpus, db_path)
    first = snapshot(db_path)
    second_result = scan(seed_corpus, db_path)
    assert snapshot(db_path) == first
    assert second_result.summary.n_unchanged_files == 3 and second_result.summary.n_new_files == 0


def test_a_rescan_takes_a_file_of_unchanged_size_and_time_as_unchanged(seed_corpus: Path, db_path: Path):
    files = sorted(p for p in seed_corpus.rglob("*") if p.is_file())
    an_hour_ago = time.time_ns() - 3600 * 10**9
    for path in files:
        os.utime(path, ns=(an_hour_ago, an_hour_ago))
    fresh = seed_corpus / "fresh.txt"
    fresh.write_text(files[2].read_text() + "\nA paragraph written just now, at a time too recent to trust.\n")
    scan(seed_corpus, db_path)
    stamps = dict(sqlite_utils.Database(db_path).execute("SELECT path, mtime_ns FROM files").fetchall())
    assert stamps == {**{str(p.relative_to(seed_corpus)): an_hour_ago for p in files}, "fresh.txt": None}
    # Other bytes of the same size behind the old time: not read, so taken as unchanged ...
    target = files[0]
    data = target.read_bytes()
    target.write_bytes(data.replace(b"e", b"a", 1))
    os.utime(target, ns=(an_hour_ago, an_hour_ago))
    assert scan(seed_corpus, db_path).summary.n_changed_files == 0
    # ... until --checksum reads every file.
    assert scan(seed_corpus, db_path, ScanConfig(checksum=True)).summary.n_changed_files == 1
    # A file touched but not changed is read again, found unchanged, and its new time kept.
    second = files[1]
    later = an_hour_ago + 60 * 10**9
    os.utime(second, ns=(later, later))
    again = scan(seed_corpus, db_path).summary
    assert (again.n_changed_files, again.n_unchanged_files) == (0, len(files) + 1)
    stored = sqlite_utils.Database(db_path).execute("SELECT mtime_ns FROM files WHERE path = ?", [str(second.relative_to(seed_corpus))]).fetchone()
    assert stored == (later,)


def test_same_corpus_same_results_in_a_new_database(seed_corpus: Path, tmp_path: Path):
    scan(seed_corpus, tmp_path / "a.db")
    scan(seed_corpus, tmp_path / "b.db")
    assert snapshot(tmp_path / "a.db") == snapshot(tmp_path / "b.db")


def republish(text: str, site: str) -> str:
    """A syndicated copy of an article body wrapped in another site's furniture."""
    return f"{site} | Home | Cycling | Results\n{article_body(text)}\nFollow {site} for more race reports.\n"


def test_incremental_scan_adds_new_copies_to_the_existing_cluster(seed_corpus: Path, db_path: Path):
    scan(seed_corpus, db_path)
    before = paths_by_cluster(db_path)
    (cluster_id,) = before
    (seed_corpus / "later").mkdir()
    (seed_corpus / "later" / "velo-wire.txt").write_text(republish(seed_path("000").read_text(), "Velo Wire"))
    result = scan(seed_corpus, db_path)
    assert (result.summary.n_new_files, result.summary.n_unchanged_files) == (1, 3)
    after = paths_by_cluster(db_path)
    assert list(after) == [cluster_id]
    assert after[cluster_id] == before[cluster_id] | {"later/velo-wire.txt"}
    # The result equals a scan from scratch of the same folder.
    fresh = db_path.with_name("fresh.db")
    scan(seed_corpus, fresh)
    assert snapshot(fresh)["members"] == snapshot(db_path)["members"]


def test_rescan_aligns_only_links_with_a_new_or_changed_document(seed_corpus: Path, db_path: Path, monkeypatch):
    import dedup.align

    scan(seed_corpus, db_path)
    aligned = []
    real_align = dedup.align.align
    monkeypatch.setattr(dedup.align, "align", lambda source, copy: aligned.append((source, copy)) or real_align(source, copy))
    scan(seed_corpus, db_path)
    assert aligned == []  # nothing changed: every alignment is kept
    copy_text = republish(seed_path("000").read_text(), "Velo Wire")
    (seed_corpus / "velo-wire.txt").write_text(copy_text)
    scan(seed_corpus, db_path)
    # Only the two new links (the new copy with 000 and with 001) are aligned.
    assert len(aligned) == 2 and all(copy_text in pair for pair in aligned)
    fresh = db_path.with_name("fresh.db")
    scan(seed_corpus, fresh)
    passages = "SELECT source_id, copy_id, position, kind, source_start, source_end, copy_start, copy_end, diff FROM passages ORDER BY 1, 2, 3"
    coverage = "SELECT source_id, copy_id, copy_coverage, source_coverage FROM links ORDER BY 1, 2"
    for sql in (passages, coverage):
        assert sqlite_utils.Database(db_path).execute(sql).fetchall() == sqlite_utils.Database(fresh).execute(sql).fetchall()


def test_changed_and_removed_files_are_followed(seed_corpus: Path, db_path: Path):
    scan(seed_corpus, db_path)
    copy = seed_path("001").name
    (seed_corpus / copy).write_text("Now a short unrelated note about the weather in Utsunomiya.\n")
    result = scan(seed_corpus, db_path)
    assert result.summary.n_changed_files == 1
    assert paths_by_cluster(db_path) == {}
    (seed_corpus / copy).unlink()
    result = scan(seed_corpus, db_path)  # a file gone from the folder is kept ...
    assert (result.summary.n_missing_files, result.summary.n_removed_files, result.summary.n_documents) == (1, 0, 3)
    result = scan(seed_corpus, db_path, prune=True)  # ... until a scan prunes it
    assert (result.summary.n_missing_files, result.summary.n_removed_files, result.summary.n_documents) == (1, 1, 2)
    db = sqlite_utils.Database(db_path)
    assert db.execute("SELECT count(*) FROM documents WHERE path = ?", [copy]).fetchone()[0] == 0


def test_bad_files_are_recorded_and_the_scan_goes_on(seed_corpus: Path, db_path: Path):
    (seed_corpus / "empty.txt").write_bytes(b"")
    (seed_corpus / "image.html").write_bytes(b"\x00\x01\x02PNG" * 100)
    (seed_corpus / "feed.jsonl").write_text('{"text": "ok record"}\n{broken\n')
    (seed_corpus / "huge.txt").write_text("word " * 5000)
    result = scan(seed_corpus, db_path, ScanConfig(max_file_bytes=10_000))
    assert result.summary.n_errors == 4
    assert result.summary.n_new_files == 4  # the seeds and feed.jsonl, which gave a document
    db = sqlite_utils.Database(db_path)
    errors = dict(db.execute("SELECT path, reason FROM errors").fetchall())
    assert set(errors) == {"empty.txt", "image.html", "feed.jsonl#2", "huge.txt"}
    assert result.summary.n_documents == 4  # three seeds and the good JSONL record
    assert len(paths_by_cluster(db_path)) == 1
    again = scan(seed_corpus, db_path, ScanConfig(max_file_bytes=10_000))
    assert (again.summary.n_new_files, again.summary.n_unchanged_files, again.summary.n_errors) == (0, 4, 4)


def test_site_furniture_does_not_cluster_different_articles(tmp_path: Path, db_path: Path):
    chrome_top = "Cyclingnews | Races | Features | Tech | Subscribe"
    chrome_bottom = next(line for line in seed_path("000").read_text().splitlines() if line.startswith("Simone is a degree"))
    folder = tmp_path / "site"
    folder.mkdir()
    for name, source in (("martinez.json", "000"), ("basso.json", "002")):
        text = f"{chrome_top}\n{article_body(seed_path(source).read_text())}\n{chrome_bottom}\n"
        (folder / name).write_text(json.dumps({"text": text, "site": "Cyclingnews"}))
    result = scan(folder, db_path)
    assert result.summary.n_clusters == 0 and result.summary.n_links == 0
    assert result.summary.n_boilerplate_shingles >= 20


def test_a_digest_of_two_stories_does_not_join_them(seed_corpus: Path, db_path: Path):
    digest = f"Weekend digest\n{article_body(seed_path('000').read_text())}\n{article_body(seed_path('002').read_text())}\n"
    (seed_corpus / "digest.txt").write_text(digest)
    (seed_corpus / "digest-reposted.txt").write_text(f"Reposted from the digest\n{digest}")  # digests get copied too
    scan(seed_corpus, db_path)
    assert any({"digest.txt", "digest-reposted.txt"} <= members for members in paths_by_cluster(db_path).values())
    for members in paths_by_cluster(db_path).values():
        assert not {seed_path("000").name, seed_path("002").name} <= members


def test_versions_of_a_wire_story_stay_together(tmp_path: Path, db_path: Path):
    paragraphs = article_body(seed_path("000").read_text()).splitlines()
    versions = {
        "1-first.txt": paragraphs[:4],
        "2-update.txt": ["UPDATED with reaction from the podium and the final standings."] + paragraphs[:6],
        "3-final.txt": paragraphs[1:],
    }
    folder = tmp_path / "wire"
    folder.mkdir()
    for name, lines in versions.items():
        (folder / name).write_text("\n".join(lines) + "\n")
    (folder / "other.txt").write_text(seed_path("002").read_text())
    scan(folder, db_path)
    assert list(paths_by_cluster(db_path).values()) == [set(versions)]


def test_missing_folder_is_a_user_error(tmp_path: Path, db_path: Path):
    import pytest

    from dedup.errors import InputError

    with pytest.raises(InputError, match="folder not found"):
        scan(tmp_path / "nope", db_path)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        scan(tmp_path / "file.txt", db_path)


def test_a_scan_collects_garbage_less_often_and_then_as_before(seed_corpus: Path, db_path: Path, monkeypatch):
    import gc

    import pytest

    from dedup import pipeline
    from dedup.errors import InputError

    during = []
    real_detect = pipeline._detect_everything

    def watched(*args, **kwargs):
        during.append(gc.get_threshold())
        return real_detect(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_detect_everything", watched)
    before = gc.get_threshold()
    scan(seed_corpus, db_path)
    assert gc.get_threshold() == before
    assert during and during[0][0] > before[0]
    # Also when the scan fails inside its transaction: another folder of the same name.
    other = db_path.parent / "elsewhere" / seed_corpus.name
    other.mkdir(parents=True)
    gc.set_threshold(500, 7, 7)
    try:
        with pytest.raises(InputError, match="already holds a folder named"):
            scan(other, db_path)
        assert gc.get_threshold() == (500, 7, 7)
    finally:
        gc.set_threshold(*before)


def test_workers_do_not_change_results(tmp_path: Path, monkeypatch):
    import dedup.pipeline as pipeline
    from dedup.workers import PARALLEL_MIN_ITEMS

    monkeypatch.setattr(pipeline, "PARALLEL_MIN_GROUPS", 10)  # decide provenance in workers too
    folder = tmp_path / "many"
    folder.mkdir()
    base = article_body(seed_path("000").read_text()).split()
    text = ""
    for number in range(PARALLEL_MIN_ITEMS + 10):
        if number % 10:  # a distinct text: the words in another order
            words = list(base)
            random.Random(number).shuffle(words)
            text = " ".join(words)
        (folder / f"{number:04d}.txt").write_text(text)  # every tenth file repeats the previous one
    scan(folder, tmp_path / "one.db", ScanConfig(workers=1))
    scan(folder, tmp_path / "two.db", ScanConfig(workers=2))
    one = snapshot(tmp_path / "one.db")
    assert len(one["clusters"]) == PARALLEL_MIN_ITEMS // 10
    assert one == snapshot(tmp_path / "two.db")


BIO = (
    "{name} is a senior correspondent at Cyclingnews, covering racing, business and the economy of the sport. "
    "Before joining Cyclingnews in {year}, {name} reported for regional papers and wrote two books about the Tour."
)


def test_author_bios_built_from_a_template_are_furniture(tmp_path: Path, db_path: Path):
    """Different articles of one site, each ending with its author's templated bio, stay apart,
    while a copy of one of them on another site is still found."""
    base = [article_body(seed_path(p).read_text()) for p in ("000", "002")]
    paragraphs = [p for body in base for p in body.splitlines()]
    folder = tmp_path / "feeds"
    folder.mkdir()
    names = ["Simone Giuliani", "Daniel Ostanek", "Stephen Farrand", "Laura Weislo"]
    for number, name in enumerate(names):
        story = "\n".join(paragraphs[number::len(names)])
        bio = BIO.format(name=name, year=2015 + number)
        record = {"text": f"{story}\n{bio}", "site": "Cyclingnews", "title": f"Story {number}"}
        (folder / f"story{number}.json").write_text(json.dumps(record))
    syndicated = json.loads((folder / "story0.json").read_text())
    (folder / "copy.json").write_text(json.dumps({**syndicated, "site": "Other Wire"}))
    scan(folder, db_path)
    db = sqlite_utils.Database(db_path)
    titles = {row["id"]: row["path"] for row in db["documents"].rows}
    pairs = {frozenset((titles[l["source_id"]], titles[l["copy_id"]])) for l in db["links"].rows}
    assert pairs == {frozenset(("story0.json", "copy.json"))}
    assert [row["relation"] for row in db["links"].rows] == ["copy"]


def test_a_running_file_of_two_stories_chains_nothing(tmp_path: Path, db_path: Path):
    """A running file carrying the leads of two stories: each story keeps its own cluster
    (with its copy); the running file is linked to both and joins at most one."""
    first, second = (article_body(seed_path(p).read_text()) for p in ("000", "002"))
    folder = tmp_path / "feeds"
    folder.mkdir()
    for name, text in (("a.txt", first), ("a-copy.txt", first), ("b.txt", second), ("b-copy.txt", second)):
        (folder / name).write_text(text)
    items = [" ".join(body.split()[:150]) for body in (first, second)]
    (folder / "latest.txt").write_text("The Latest: cycling\n" + "\n".join(items) + "\n")
    scan(folder, db_path)
    db = sqlite_utils.Database(db_path)
    path = {row["id"]: row["path"] for row in db["documents"].rows}
    members = {}
    for row in db["cluster_members"].rows:
        members.setdefault(row["cluster_id"], set()).add(path[row["document_id"]])
    assert {"a.txt", "a-copy.txt"} in [m - {"latest.txt"} for m in members.values()]
    assert not any({"a.txt", "b.txt"} <= m for m in members.values())
    linked = {frozenset((path[l["source_id"]], path[l["copy_id"]])) for l in db["links"].rows}
    assert {frozenset(("a.txt", "latest.txt")), frozenset(("b.txt", "latest.txt"))} <= linked
