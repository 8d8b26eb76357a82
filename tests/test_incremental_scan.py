"""A rescan that only adds files is detected from the lookup index, and stores exactly what a
rescan over every document stores: every row of every table (row ids and times aside), and
the same index. Additions that create boilerplate, re-elect a cluster's source or join
clusters included; when the index cannot say it, the rescan runs over everything."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from conftest import CORPUS, article_body, seed_path
from test_check_index import index_contents, sentence

from typer.testing import CliRunner

from dedup.cli import app
from dedup.config import ScanConfig
from dedup.eval.bench import make_corpus
from dedup.pipeline import scan

#: Columns that differ between two runs of the same scan: row ids, times, how it detected.
VARYING = {"started_at", "finished_at", "detection", "detection_note"}
ROW_IDS = {"evidence", "cluster_changes", "errors", "cluster_members", "passages"}


def tables(db: Path) -> dict[str, list[tuple]]:
    """Every row of the tables a scan writes, sorted, without row ids and times."""
    con = sqlite3.connect(db)
    found = {}
    for table in ("documents", "files", "errors", "links", "passages", "clusters", "cluster_members", "evidence",
                  "cluster_changes", "scans", "sketches"):
        columns = [c[1] for c in con.execute(f"PRAGMA table_info({table})")]
        kept = [c for c in columns if c not in VARYING and not (c == "id" and table in ROW_IDS)]
        found[table] = sorted(con.execute(f"SELECT {', '.join(kept)} FROM {table}").fetchall(), key=repr)
    con.close()
    return found


def rescan_both_ways(root: Path, db: Path, tmp_path: Path, config: ScanConfig | None = None):
    """Rescan ``root`` into ``db`` (from the index) and into a copy of ``db`` without its
    index (over everything); return both summaries and assert that both databases agree."""
    full = tmp_path / "full.db"
    shutil.copy(db, full)
    with sqlite3.connect(full) as con:
        con.execute("DELETE FROM index_state")
    fast, slow = scan(root, db, config), scan(root, full, config)
    assert tables(db) == tables(full)
    assert index_contents(db) == index_contents(full)
    return fast.summary, slow.summary


def test_added_copies_excerpts_and_stories_are_stored_as_a_scan_over_everything_stores_them(tmp_path: Path):
    root = tmp_path / "feed"
    make_corpus(CORPUS, tmp_path / "built", n_docs=240)
    files = sorted((tmp_path / "built").rglob("*.txt"))
    held = files[19::20]
    for path in files:
        if path not in held:
            target = root / path.relative_to(tmp_path / "built")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    db = tmp_path / "feed.db"
    scan(root, db)
    for path in held:
        shutil.copy(path, root / path.relative_to(tmp_path / "built"))
    fast, slow = rescan_both_ways(root, db, tmp_path)
    assert (fast.detection, slow.detection, slow.detection_note) == ("index", "full", "the index does not describe the last scan")
    assert fast.n_new_files == len(held) and fast.n_links == slow.n_links > 0


def test_an_added_carrier_that_makes_a_passage_boilerplate(tmp_path: Path):
    """Four articles of four sites share a 40-word passage (reuse links); a fifth carrier
    makes it boilerplate: the rescan drops the four's links."""
    shared = sentence(40, 10_000)
    root = tmp_path / "sites"
    for k, site in enumerate(["a.example", "b.example", "c.example", "d.example", "e.example"]):
        (root / site).mkdir(parents=True)
        if k < 4:
            (root / site / "story.txt").write_text(f"{sentence(200, k * 1000)}. {shared}.\n", encoding="utf-8")
    db = tmp_path / "sites.db"
    before = scan(root, db).summary
    (root / "e.example" / "story.txt").write_text(f"{sentence(200, 50_000)}. {shared}.\n", encoding="utf-8")
    fast, _ = rescan_both_ways(root, db, tmp_path)
    assert before.n_links > 0 and fast.detection == "index" and fast.n_links == 0
    assert fast.n_boilerplate_shingles > before.n_boilerplate_shingles


def test_an_added_earlier_version_joins_the_cluster_and_becomes_its_source(tmp_path: Path):
    root = tmp_path / "news"
    root.mkdir()
    body = sentence(150, 0)
    (root / "one.json").write_text(f'{{"text": "{body} w900 w901.", "published_at": "2025-10-20T10:00:00Z", "site": "one"}}')
    (root / "two.json").write_text(f'{{"text": "{body}.", "published_at": "2025-10-20T12:00:00Z", "site": "two"}}')
    (root / "other.json").write_text(f'{{"text": "{sentence(150, 5000)}.", "site": "two"}}')
    db = tmp_path / "news.db"
    scan(root, db)
    (root / "earlier.json").write_text(f'{{"text": "{body} w900 w901 w902 w903.", "published_at": "2025-10-20T08:00:00Z", "site": "zero"}}')
    fast, _ = rescan_both_ways(root, db, tmp_path)
    assert fast.detection == "index" and fast.n_clusters == 1 and fast.n_clustered_documents == 3
    con = sqlite3.connect(db)
    assert con.execute("SELECT d.path FROM clusters c JOIN documents d ON d.id = c.canonical_id").fetchone() == ("earlier.json",)
    assert con.execute("SELECT change FROM cluster_changes ORDER BY id DESC LIMIT 1").fetchone() == ("canonical",)


def test_a_rescan_with_nothing_new_keeps_everything_and_a_changed_file_rescans_everything(seed_corpus: Path, tmp_path: Path):
    db = tmp_path / "seeds.db"
    first = scan(seed_corpus, db).summary
    same, _ = rescan_both_ways(seed_corpus, db, tmp_path)
    assert same.detection == "index" and (same.n_unchanged_files, same.n_links, same.n_clusters) == (first.n_files, first.n_links, first.n_clusters)
    copy = seed_corpus / seed_path("001").name
    copy.write_text(article_body(copy.read_text()) + "\nA closing line added by the second publisher, long enough to count.\n")
    printed = CliRunner().invoke(app, ["scan", str(seed_corpus), "--db", str(db), "-q"])
    assert printed.exit_code == 0 and "Detected over every stored document: files changed or removed since the last scan (1 changed" in printed.output
    again = CliRunner().invoke(app, ["scan", str(seed_corpus), "--db", str(db), "-q"])
    assert "Detected from the lookup index" in again.output
    changed = sqlite3.connect(db).execute("SELECT detection, detection_note FROM scans ORDER BY id DESC LIMIT 2").fetchall()
    assert changed == [("index", None), ("full", "files changed or removed since the last scan (1 changed, 0 removed)")]


def test_other_settings_rescan_everything(seed_corpus: Path, tmp_path: Path):
    db = tmp_path / "seeds.db"
    scan(seed_corpus, db)
    (seed_corpus / "wire.txt").write_text("Wire copy\n" + article_body(seed_path("000").read_text()) + "\n")
    again = scan(seed_corpus, db, ScanConfig(min_copy=16)).summary
    assert (again.detection, again.detection_note) == ("full", "the last scan ran with other settings or versions")
