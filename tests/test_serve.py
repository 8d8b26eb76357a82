"""Datasette on scanned databases, in-process: metadata, views, facets, search, canned queries, plugin;
and `dedup serve` itself: what it checks, and that it leaves no file behind."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from datasette.app import Datasette
from sqlite_utils import Database
from typer.testing import CliRunner

from browser import free_port, wait_for_url
from dedup import report, serve
from dedup.cli import app
from dedup.db.queries import QUERIES
from dedup.db.schema import MIGRATIONS
from dedup.pipeline import scan
from dedup.serve.plugin import passage_html
from report_corpus import CORPUS, IMG, SCRIPT, SITE, TITLE, seed_texts, write_hostile_corpus


def changed_figures_copy(text: str) -> str:
    """A copy of an article's report paragraphs with one figure and one quoted word changed."""
    body = [line for line in text.splitlines() if len(line.split()) >= 25]
    edited = "\n".join(body)
    for old, new in (("32 second gap", "23 second gap"), ("super happy to win", "really happy to win")):
        assert old in edited, f"the source text lacks {old!r}"
        edited = edited.replace(old, new, 1)
    return "Martinez takes the Japan Cup\n" + edited + "\n"


def build(folder: Path, root: Path) -> tuple[Path, Path]:
    """Scan ``folder`` into ``root``/dedup.db and write its HTML report; return both paths."""
    db, reports = root / "dedup.db", root / "reports"
    scan(folder, db)
    report.write_report(db, reports)
    return db, reports


def datasette(db: Path, reports: Path | None = None) -> Datasette:
    """Datasette as `dedup serve` runs it: immutable database, dedup metadata, reports mounted."""
    return serve.datasette(serve.ServeOptions(db, reports=reports))


def get(ds: Datasette, path: str):
    """GET ``path`` in-process; assert it answered 200."""
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response


def rows(ds: Datasette, path: str) -> list[dict]:
    """The rows of a table, view or query as a list of objects."""
    base, _, params = path.partition("?")
    return get(ds, f"{base}.json?{params}&_shape=array&_size=max").json()


def assert_inert(page: str) -> None:
    """No markup from article text made it into the page as elements: scripts, images, handlers."""
    tree = lxml.html.fromstring(page)
    assert not [s for s in tree.iter("script") if "pwned" in (s.text or "") or "alert" in (s.text or "")]
    assert not list(tree.iter("img"))
    assert not [e for e in tree.iter() if any(a.startswith("on") for a in e.attrib)]
    assert not tree.xpath("//a[starts-with(normalize-space(@href), 'javascript:')]")


def query(db: Path, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def doc_id(db: Path, path: str) -> str:
    return query(db, "SELECT id FROM documents WHERE path = ?", [path])[0][0]


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> tuple[Path, Path]:
    """corpus/ scanned twice (the second scan reads nothing again), and its report."""
    root = tmp_path_factory.mktemp("seed")
    db, reports = build(CORPUS, root)
    scan(CORPUS, db)
    return db, reports


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, Path]:
    """The hostile corpus (script payloads in a real copy, a broken file) plus a copy with changed figures."""
    root = tmp_path_factory.mktemp("hostile")
    canonical, copy, other = seed_texts()
    write_hostile_corpus(root / "corpus", canonical, copy, other)
    (root / "corpus" / "005_figures.txt").write_text(changed_figures_copy(canonical), encoding="utf-8")
    return build(root / "corpus", root)


def test_metadata_describes_every_table_view_and_column(seed):
    db, _ = seed
    names = serve.ServeOptions(db).metadata()["databases"]["dedup"]["tables"]
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        for table in tables:
            if table.startswith(("documents_fts", "_sqlite_migrations", "sqlite_")):
                continue
            assert names.get(table, {}).get("description"), f"{table} has no description"
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]
            missing = [c for c in columns if not names[table]["columns"].get(c)]
            assert not missing, f"{table}: columns without description: {missing}"


def test_database_page_lists_views_and_canned_queries(seed):
    db, reports = seed
    ds = datasette(db, reports)
    page = get(ds, "/dedup.json").json()
    views = {v["name"] for v in page["views"]}
    assert {"cluster_overview", "copies", "unclustered_documents", "scan_history", "scan_errors"} <= views
    assert set(QUERIES) <= {q["name"] for q in page["queries"]}
    hidden = {t["name"] for t in page["tables"] if t["hidden"]}
    assert "documents_fts" in hidden and "_sqlite_migrations" in hidden
    assert 'href="/dedup/cluster_overview"' in get(ds, "/").text


def test_cluster_overview_shows_the_martinez_cluster(seed):
    db, reports = seed
    (row,) = rows(datasette(db, reports), "/dedup/cluster_overview")
    assert row["canonical_path"].startswith("000_") and row["canonical_title"].startswith("Lenny Martinez wins Japan Cup")
    assert row["copy_paths"].startswith("001_") and row["size"] == 2 and row["n_copies"] == 1
    assert row["n_evidence"] == query(db, "SELECT COUNT(*) FROM evidence WHERE cluster_id = ?", [row["cluster_id"]])[0][0] > 0
    assert row["n_passages"] == query(db, "SELECT COUNT(*) FROM passages")[0][0] > 0
    assert row["report_page"] == report.cluster_file(row["cluster_id"])
    assert row["confidence"] == query(db, "SELECT confidence FROM clusters")[0][0]


def test_copies_view_gives_each_copy_with_its_source(seed):
    db, reports = seed
    (row,) = rows(datasette(db, reports), "/dedup/copies")
    assert row["copy_path"].startswith("001_") and row["source_path"].startswith("000_")
    member = query(
        db, "SELECT relation, similarity, copy_coverage, source_coverage FROM cluster_members WHERE document_id = ?", [row["copy_id"]]
    )[0]
    assert (row["relation"], row["similarity"], row["copy_coverage"], row["source_coverage"]) == member
    assert row["n_passages"] == query(db, "SELECT COUNT(*) FROM passages WHERE copy_id = ?", [row["copy_id"]])[0][0]


def test_copies_show_the_coverage_figures_by_name(seed, tmp_path):
    db = tmp_path / "dedup.db"
    shutil.copy(seed[0], db)

    def shown(table: str) -> list[str]:
        page = lxml.html.fromstring(get(datasette(db), f"/dedup/{table}?role=copy" if table == "cluster_members" else f"/dedup/{table}").text)
        return [td.text_content().strip() for td in page.xpath("//td[contains(@class, 'col-copy_coverage') or contains(@class, 'col-source_coverage')]")]

    query(db, "UPDATE cluster_members SET copy_coverage = NULL, source_coverage = NULL WHERE role = 'copy'")
    assert shown("copies") == shown("cluster_members") == ["not aligned", "not aligned"]
    query(db, "UPDATE cluster_members SET copy_coverage = 0.8412, source_coverage = 0.7051 WHERE role = 'copy'")
    assert shown("copies") == shown("cluster_members") == ["84% from the source", "71% of the source kept"]
    (row,) = rows(datasette(db), "/dedup/copies")
    assert (row["copy_coverage"], row["source_coverage"]) == (0.8412, 0.7051)


def test_unclustered_documents_and_scan_history(seed):
    db, reports = seed
    ds = datasette(db, reports)
    assert [r["path"][:4] for r in rows(ds, "/dedup/unclustered_documents")] == ["002_"]
    history = rows(ds, "/dedup/scan_history")
    assert [h["scan_id"] for h in history] == [2, 1]  # latest first
    assert history[0]["n_unchanged_files"] == 3 and history[1]["n_new_files"] == 3
    assert all(h["seconds"] is not None and h["seconds"] >= 0 for h in history)
    assert rows(ds, "/dedup/scan_errors") == []


def test_scan_errors_view_lists_unreadable_files(hostile):
    db, reports = hostile
    errors = rows(datasette(db, reports), "/dedup/scan_errors")
    assert [e["path"] for e in errors] == [p for (p,) in query(db, "SELECT path FROM errors")]
    assert errors and errors[0]["reason"]


def test_facets_on_site_role_relation_and_kind(hostile):
    db, reports = hostile
    ds = datasette(db, reports)

    def facet(path: str, column: str) -> dict:
        results = get(ds, path).json()["facet_results"][column]["results"]
        return {r["value"]: r["count"] for r in results}

    assert facet("/dedup/documents.json", "site") == {SITE: 1}
    roles = facet("/dedup/cluster_members.json", "role")
    assert roles == dict(query(db, "SELECT role, COUNT(*) FROM cluster_members GROUP BY role"))
    relations = facet("/dedup/cluster_members.json", "relation")
    assert relations == dict(query(db, "SELECT relation, COUNT(*) FROM cluster_members WHERE relation IS NOT NULL GROUP BY relation"))
    kinds = facet("/dedup/passages.json", "kind")
    assert kinds == dict(query(db, "SELECT kind, COUNT(*) FROM passages GROUP BY kind")) and "changed" in kinds
    assert facet("/dedup/copies.json", "relation") == relations


def test_full_text_search_follows_rescans(seed_corpus, tmp_path):
    db = tmp_path / "dedup.db"
    scan(seed_corpus, db)
    ds = datasette(db)
    assert sorted(r["path"][:4] for r in rows(ds, "/dedup/documents?_search=Utsunomiya")) == ["000_", "001_", "002_"]
    assert [r["path"][:4] for r in rows(ds, "/dedup/documents?_search=Sagan")] == ["002_"]
    other = next(seed_corpus.glob("002_*.txt"))
    other.write_text(other.read_text(encoding="utf-8").replace("Sagan", "Zabel"), encoding="utf-8")
    scan(seed_corpus, db)
    ds = datasette(db)
    assert rows(ds, "/dedup/documents?_search=Sagan") == []
    assert [r["path"][:4] for r in rows(ds, "/dedup/documents?_search=Zabel")] == ["002_"]
    assert query(db, "INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')") == []


def test_clusters_link_to_readable_labels_and_reports(seed):
    db, reports = seed
    ds = datasette(db, reports)
    labelled = get(ds, "/dedup/cluster_members.json?_labels=on&_shape=array").json()
    title = query(db, "SELECT title FROM documents WHERE path LIKE '000_%'")[0][0]
    assert {r["cluster_id"]["label"] for r in labelled} == {title}
    assert title in {r["document_id"]["label"] for r in labelled}
    page = get(ds, "/dedup/cluster_overview").text
    href = f'href="/reports/{report.cluster_file(1)}"'
    assert href in page and href in get(ds, "/dedup/clusters").text
    assert 'href="/dedup/evidence?cluster_id=1"' in page and 'href="/dedup/cluster_passages?cluster_id=1"' in page
    (copy,) = rows(ds, "/dedup/copies")
    (href,) = lxml.html.fromstring(get(ds, "/dedup/copies").text).xpath("//td[contains(@class, 'col-n_passages')]/a/@href")
    base, _, params = href.partition("?")
    assert len(rows(ds, f"{base}?{params}")) == copy["n_passages"] > 0
    served = get(ds, f"/reports/{report.cluster_file(1)}").text
    assert served == (reports / report.cluster_file(1)).read_text(encoding="utf-8")


def test_canned_query_copies_of_document(seed):
    db, reports = seed
    ds = datasette(db, reports)
    canonical, copy = (next(CORPUS.glob(f"{p}_*.txt")).name for p in ("000", "001"))
    by_path = rows(ds, f"/dedup/copies_of_document?document={canonical}")
    assert [r["copy_path"] for r in by_path] == [copy]
    assert rows(ds, f"/dedup/copies_of_document?document={doc_id(db, canonical)}") == by_path
    assert rows(ds, f"/dedup/copies_of_document?document={copy}") == []


def test_canned_queries_sites_and_most_copied(hostile):
    db, reports = hostile
    ds = datasette(db, reports)
    spanning = rows(ds, f"/dedup/clusters_spanning_site?site={SITE}")
    expected = query(
        db, "SELECT m.cluster_id FROM cluster_members m JOIN documents d ON d.id = m.document_id WHERE d.site = ?", [SITE]
    )
    assert [r["cluster_id"] for r in spanning] == [c for (c,) in expected] and len(expected) == 1
    assert rows(ds, "/dedup/clusters_spanning_site?site=nowhere.example") == []
    ranked = rows(ds, "/dedup/most_copied_sources")
    assert [r["n_copies"] for r in ranked] == sorted((size - 1 for (size,) in query(db, "SELECT size FROM clusters")), reverse=True)
    top = ranked[0]
    sites = query(
        db, "SELECT d.site, m.role FROM cluster_members m JOIN documents d ON d.id = m.document_id WHERE m.cluster_id = ?",
        [top["cluster_id"]],
    )
    (source_site,) = [site for site, role in sites if role == "canonical"]
    assert top["n_copies"] == 3 and top["source_site"] == source_site  # 000 or 001, the hostile copy and 005
    assert top["n_other_sites"] == len({site for site, role in sites if role == "copy" and site and site != source_site})


def test_canned_query_changed_numbers_or_quotes(hostile):
    db, reports = hostile
    found = rows(datasette(db, reports), "/dedup/changed_numbers_or_quotes")
    texts = dict(query(db, "SELECT id, text FROM documents"))
    expected, edits = set(), {}
    for source_id, copy_id, position, diff in query(db, "SELECT source_id, copy_id, position, diff FROM passages WHERE kind = 'changed'"):
        ops = [op for op in json.loads(diff) if op[0] != "equal"]
        changed = [texts[source_id][s0:s1] for _, s0, s1, _, _ in ops] + [texts[copy_id][c0:c1] for _, _, _, c0, c1 in ops]
        edits.setdefault(copy_id, []).extend(changed)
        if any(re.search(r'[0-9"“”„«»‘]', text) for text in changed):
            expected.add((source_id, copy_id, position))
    assert {(r["source_id"], r["copy_id"], r["position"]) for r in found} == expected
    figures = " ".join(edits[doc_id(db, "005_figures.txt")])
    assert all(word in figures for word in ("32", "23", "super", "really"))
    assert doc_id(db, "005_figures.txt") in {r["copy_id"] for r in found}


def test_plugin_renders_passages_as_escaped_html_diffs(hostile):
    db, reports = hostile
    ds = datasette(db, reports)
    hostile_id = doc_id(db, "003_hostile.json")
    source, copy = query(db, "SELECT source_id, copy_id FROM links WHERE ? IN (source_id, copy_id)", [hostile_id])[0]
    for path in (f"/dedup/passages?source_id={source}&copy_id={copy}", "/dedup/cluster_passages?cluster_id=1"):
        page = get(ds, path).text
        assert "<ins " in page and "<del " in page, path
        assert "&lt;script&gt;window.__pwned" in page and "&lt;img src=x onerror=" in page, path
        assert SCRIPT not in page and IMG not in page, path
        assert_inert(page)
    page = get(ds, "/dedup/changed_numbers_or_quotes").text
    assert "<ins " in page and "&lt;img src=x" in page
    assert_inert(page)
    for path in ("/dedup/cluster_overview", "/dedup/copies", "/dedup/clusters", "/dedup/documents", "/dedup/evidence"):
        page = get(ds, path).text
        assert TITLE not in page, path
        assert_inert(page)


def test_passage_html_escapes_every_piece():
    source = "Prices rose <b>5%</b> today."
    copy = 'Prices rose <script>alert("x")</script> today.'
    diff = json.dumps([["equal", 0, 12, 0, 12], ["replace", 12, 21, 12, 39], ["equal", 21, 28, 39, 46]])
    html = str(passage_html("changed", source, copy, diff))
    assert "<del" in html and "&lt;b&gt;5%&lt;/b&gt;</del>" in html
    assert '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</ins>' in html and "<script" not in html
    assert "<ins" in str(passage_html("added", "", "<i>new</i>")) and "&lt;i&gt;" in str(passage_html("added", "", "<i>new</i>"))
    shifted = str(passage_html("changed", source[12:], copy[12:], diff, source_start=12, copy_start=12))
    assert shifted.split("</strong> ", 1)[1] == html.split("</strong> ", 1)[1].replace("Prices rose ", "", 1)
    assert "not json" in str(passage_html("changed", "", "not json", "{broken"))


def test_plugin_leaves_other_databases_alone(seed):
    db, _ = seed
    serve.register_plugin()
    ds = Datasette(immutables=[str(db)], metadata={})
    page = get(ds, "/dedup/passages?_size=5").text
    assert 'class="dedup-passage"' not in page
    assert 'class="dedup-passage"' in get(datasette(db), "/dedup/passages?_size=5").text


def test_metadata_only_writes_metadata_for_plain_datasette(seed, tmp_path):
    db = tmp_path / "dedup.db"
    shutil.copy(seed[0], db)
    result = CliRunner().invoke(app, ["serve", "--db", str(db), "--reports", str(seed[1]), "--metadata-only"])
    assert result.exit_code == 0, result.output
    options = serve.prepare(db, host="127.0.0.1", port=8123, reports=seed[1])
    written = json.loads((tmp_path / "dedup.metadata.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(options.metadata()))
    assert written["databases"]["dedup"]["plugins"]["dedup"]["reports_url"] == "/reports/"
    assert f"-i {db} -m {tmp_path / 'dedup.metadata.json'}" in result.output
    args = options.datasette_args(tmp_path / "dedup.metadata.json")
    assert args[:3] == ["serve", "-i", str(db)] and args[args.index("--static") + 1] == f"reports:{seed[1]}"
    assert args[args.index("--host") + 1] == "127.0.0.1" and args[args.index("--port") + 1] == "8123"


def test_serve_leaves_no_file_behind(seed, tmp_path):
    db = tmp_path / "dedup.db"
    shutil.copy(seed[0], db)
    shutil.copytree(seed[1], tmp_path / "reports")
    before = sorted(p.name for p in tmp_path.iterdir())
    port = free_port()
    command = [sys.executable, "-c", "from dedup.cli import main; main()", "serve", "--db", "dedup.db", "--port", str(port)]
    server = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_url(f"http://127.0.0.1:{port}/reports/{report.cluster_file(1)}", timeout=60, alive=lambda: server.poll() is None)
        assert sorted(p.name for p in tmp_path.iterdir()) == before
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == before == ["dedup.db", "reports"]


def test_serve_refuses_missing_or_outdated_databases(tmp_path):
    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no database" in result.output and "Traceback" not in result.output
    old = Database(tmp_path / "old.db")
    MIGRATIONS.apply(old, stop_before="m004_search")
    old.close()
    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "old.db"), "--metadata-only"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{tmp_path / 'old.db'} was written by an older dedup: run `dedup migrate --db {tmp_path / 'old.db'}`" in result.output
    assert not (tmp_path / "old.metadata.json").exists()


def test_serve_reports_a_taken_port(seed):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--db", str(seed[0]), "--port", str(port), "--reports", str(seed[1])])
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.output
