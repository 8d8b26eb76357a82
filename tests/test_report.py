"""HTML reports: content, escaping of hostile article text, self-containment, determinism,
read-only access to the database, CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import sqlite3
from pathlib import Path

import lxml.html
import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from dedup import report
from dedup.cli import app
from dedup.db import MIGRATIONS, open_db, read
from dedup.db.connection import migrate
from dedup.errors import StoreError
from dedup.report import render, views
from report_corpus import (
    BROKEN_NAME, CORPUS, IMG, LINK, PAYLOADS, SCRIPT, SITE, TITLE, URL, cluster_of, scan_and_report, seed_texts,
    write_hostile_corpus,
)

# The only links a report may contain: pages named from cluster ids, and in-page anchors.
SAFE_HREF = re.compile(r"^(index\.html|cluster-\d+\.html|#copy-[0-9a-f]+)$")


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> tuple[Path, Path]:
    """The report of corpus/."""
    return scan_and_report(CORPUS, tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, Path]:
    """The report of the hostile corpus (seed pair + a hostile copy + a second cluster + a broken file)."""
    root = tmp_path_factory.mktemp("hostile")
    write_hostile_corpus(root / "corpus", *seed_texts())
    return scan_and_report(root / "corpus", root)


def with_class(name: str) -> str:
    """An XPath predicate: the element has the class ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def passage_texts(page: lxml.html.HtmlElement, kind: str) -> str:
    """The text of every ``kind`` passage cell on a cluster page, joined."""
    cells = page.xpath(f"//tr[{with_class('p-' + kind)}]/td[{with_class('text')}]")
    return "\n".join(cell.text_content() for cell in cells)


def test_index_lists_every_cluster_with_a_link_to_its_page(seed):
    db, out = seed
    page = lxml.html.parse(str(out / "index.html")).getroot()
    with sqlite3.connect(db) as conn:
        clusters = conn.execute("SELECT c.id, d.title, c.size FROM clusters c JOIN documents d ON d.id = c.canonical_id").fetchall()
        n_documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    rows = page.xpath("//table[@id='clusters']/tbody/tr")
    assert len(rows) == len(clusters) == 1
    for (cluster_id, title, size), row in zip(sorted(clusters), rows):
        cells = row.xpath("td")
        assert title in cells[1].text_content()
        assert cells[2].text_content().strip() == str(size)
        assert {a.get("href") for a in row.xpath(".//a")} == {f"cluster-{cluster_id}.html"}
        assert (out / f"cluster-{cluster_id}.html").exists()
    cards = {div.findtext("dt"): div.findtext("dd") for div in page.xpath(f"//dl[{with_class('cards')}]/div")}
    assert cards["documents"] == str(n_documents)
    assert cards["clusters"] == "1" and cards["errors"] == "0"


def test_seed_cluster_page_shows_both_documents_and_their_passages(seed):
    db, out = seed
    cluster_id = cluster_of(db, "000_7435865517dd7b82.txt")
    page = lxml.html.parse(str(out / report.cluster_file(cluster_id))).getroot()
    files = [code.text_content() for code in page.xpath(f"//table[{with_class('members')}]//td/code")]
    assert files == ["000_7435865517dd7b82.txt", "001_bdaf9317e28d71a5.txt"]
    with sqlite3.connect(db) as conn:
        n_passages = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    assert len(page.xpath(f"//table[{with_class('passages')}]/tbody/tr")) == n_passages > 0
    added, removed = passage_texts(page, "added"), passage_texts(page, "removed")
    for text in ("Description", "Show more...", "Results :"):
        assert text in added
    for text in ("direct to your inbox", "Simone is a degree-qualified journalist", "You must confirm your public display name", "Latest on Cyclingnews"):
        assert text in removed
    kept = passage_texts(page, "same") + passage_texts(page, "changed")
    assert "Lenny Martinez (Bahrain Victorious) launched from the leading group" in kept
    assert "direct to your inbox" not in kept and "Show more" not in kept


def test_hostile_text_is_escaped_everywhere(hostile):
    db, out = hostile
    html = {path.name: path.read_text(encoding="utf-8") for path in sorted(out.glob("*.html"))}
    hostile_page = html[report.cluster_file(cluster_of(db, "003_hostile.json"))]
    for payload in (*PAYLOADS, TITLE, SITE):
        # Markup from the article shows up as text, never as markup.
        assert payload not in hostile_page
    text = lxml.html.fromstring(hostile_page).text_content()
    for payload in (*PAYLOADS, TITLE, SITE, URL):
        assert payload in text
    index = lxml.html.fromstring(html["index.html"])
    assert BROKEN_NAME in index.text_content() and BROKEN_NAME not in html["index.html"]
    assert SITE in index.text_content()
    for name, source in html.items():
        tree = lxml.html.fromstring(source)
        assert tree.xpath("//img | //iframe | //object | //embed") == [], name
        assert [a.get("href") for a in tree.iter("a") if not SAFE_HREF.match(a.get("href", ""))] == [], name
        handlers = [(el.tag, attr) for el in tree.iter() if isinstance(el.tag, str) for attr in el.attrib if attr.lower().startswith("on")]
        assert handlers == [], name
        assert len(tree.xpath("//script")) == (1 if name == "index.html" else 0), name
    assert "&lt;script&gt;window.__pwned" in hostile_page
    assert "<script>window.__pwned" not in hostile_page and IMG not in hostile_page and LINK not in hostile_page
    assert SCRIPT.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") in hostile_page


def test_pages_are_self_contained(hostile):
    _, out = hostile
    for path in sorted(out.glob("*.html")):
        source = path.read_text(encoding="utf-8")
        tree = lxml.html.fromstring(source)
        assert tree.xpath("//link | //*[@src]") == [], path.name
        # No URL anywhere in the markup or the inline CSS, other than what article text says.
        assert not re.search(r"(?:href|src|action)\s*=\s*[\"']?\s*(?:https?:|//)", source), path.name
        assert "url(" not in tree.findtext(".//style")
        csp = tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
        assert "default-src 'none'" in csp
        scripts = tree.xpath("//script")
        if scripts:
            digest = base64.b64encode(hashlib.sha256(scripts[0].text.encode("utf-8")).digest()).decode()
            assert f"script-src 'sha256-{digest}'" in csp
        else:
            assert "script-src 'none'" in csp


def test_report_is_deterministic_and_drops_stale_pages(hostile, tmp_path):
    db, out = hostile
    again = tmp_path / "again"
    again.mkdir()
    (again / "cluster-999.html").write_text("stale", encoding="utf-8")
    (again / "notes.txt").write_text("kept", encoding="utf-8")
    written = report.write_report(db, again)
    assert sorted(p.name for p in written) == sorted(p.name for p in out.glob("*.html"))
    assert not (again / "cluster-999.html").exists() and (again / "notes.txt").exists()
    for path in out.glob("*.html"):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_provenance_evidence_is_shown_escaped(hostile, tmp_path):
    db, _ = hostile
    copy = tmp_path / "evidence.db"
    shutil.copy(db, copy)
    cluster_id = cluster_of(copy, "003_hostile.json")
    with sqlite3.connect(copy) as conn:
        doc_id = conn.execute("SELECT id FROM documents WHERE path = '003_hostile.json'").fetchone()[0]
        conn.execute(
            "INSERT INTO evidence (cluster_id, document_id, signal, weight, detail) VALUES (?, ?, ?, ?, ?)",
            [cluster_id, doc_id, "test-signal", 0.25, '{"why": "<script>window.__pwned = 1</script>"}'],
        )
    page = render.cluster_html(views.cluster_page(open_db(copy, readonly=True), cluster_id))
    rows = [row.text_content() for row in lxml.html.fromstring(page).xpath(f"//table[{with_class('evidence')}]/tbody/tr")]
    assert any("test-signal" in row and "003_hostile.json" in row and "+0.25" in row for row in rows)
    assert "why: <script>window.__pwned = 1</script>" in "\n".join(rows)
    assert "<script>window.__pwned" not in page


def test_cluster_without_evidence_says_so(seed):
    db, _ = seed
    database = open_db(db, readonly=True)
    cluster_id = cluster_of(db, "000_7435865517dd7b82.txt")
    page = lxml.html.fromstring(render.cluster_html(views.cluster_page(database, cluster_id)))
    n_evidence = database.execute("SELECT count(*) FROM evidence WHERE cluster_id = ?", [cluster_id]).fetchone()[0]
    assert len(page.xpath(f"//table[{with_class('evidence')}]/tbody/tr")) == n_evidence
    assert bool(page.xpath(f"//h2[@id='evidence-h']/following-sibling::p[{with_class('empty')}]")) == (n_evidence == 0)


def test_report_of_a_scan_without_clusters(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "a.txt").write_text(seed_texts()[2], encoding="utf-8")
    _, out = scan_and_report(folder, tmp_path)
    page = lxml.html.parse(str(out / "index.html")).getroot()
    assert page.xpath("//*[@id='clusters']") == []
    assert "No clusters" in page.text_content()
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]


def test_cli_report_writes_the_files(seed, tmp_path):
    db, out = seed
    result = CliRunner().invoke(app, ["report", "--db", str(db), "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == sorted(p.name for p in out.iterdir())
    assert "index.html" in result.output


def test_cli_report_errors_are_one_line(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["report", "--db", str(tmp_path / "missing.db"), "--out", str(tmp_path / "r")])
    assert missing.exit_code == 1
    assert "no database" in missing.output and "Traceback" not in missing.output
    assert not (tmp_path / "r").exists()
    assert runner.invoke(app, ["report", "--no-such-option"]).exit_code == 2


def test_word_level_edits_and_moved_passages(hostile):
    db, out = hostile
    page = lxml.html.parse(str(out / report.cluster_file(cluster_of(db, "003_hostile.json")))).getroot()
    canonical, hostile_text = seed_texts()[0], json.loads((db.parent / "corpus" / "003_hostile.json").read_text())["text"]
    section = page.xpath("//section[@id=$id]", id=f"copy-{doc_id(db, '003_hostile.json')}")[0]
    changed = section.xpath(f".//tr[{with_class('p-changed')}]")
    assert changed
    inserted = [el.text_content() for row in changed for el in row.xpath("td[2]//ins")]
    deleted = [el.text_content() for row in changed for el in row.xpath("td[1]//del")]
    assert IMG in inserted
    assert deleted and all(d in canonical and d not in hostile_text for d in deleted)
    assert not section.xpath(".//td[1]//ins | .//td[2]//del")
    # The paragraph the copy moved to its end is matched where it went, and marked as moved.
    moved = [row.xpath("td[2]")[0].text_content() for row in section.xpath(f".//tr[{with_class('p-moved')}]")]
    long_paragraphs = [p for p in canonical.splitlines() if len(p.split()) > 25]
    assert moved == [long_paragraphs[2]]
    same_rows = section.xpath(f".//tr[{with_class('p-same')}]/td[2]")
    assert [row.text_content() for row in same_rows][-1] == long_paragraphs[2]


def doc_id(db: Path, path: str) -> str:
    """The id of the document stored from ``path``."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id FROM documents WHERE path = ?", [path]).fetchone()[0]


def test_reporting_leaves_the_database_untouched(seed, tmp_path):
    db, _ = seed
    before = (db.read_bytes(), db.stat().st_mtime_ns, sorted(p.name for p in db.parent.iterdir()))
    report.write_report(db, tmp_path / "again")
    assert (db.read_bytes(), db.stat().st_mtime_ns, sorted(p.name for p in db.parent.iterdir())) == before
    connection = open_db(db, readonly=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        connection.execute("DELETE FROM errors")
    connection.close()


def test_report_on_an_older_database_asks_for_migrate(tmp_path):
    old = tmp_path / "old.db"
    database = Database(old)
    MIGRATIONS.apply(database, stop_before="m007_member_coverage")
    database.close()
    before = old.read_bytes()
    with pytest.raises(StoreError) as raised:
        report.write_report(old, tmp_path / "reports")
    assert str(raised.value) == f"{old} was written by an older dedup: run `dedup migrate --db {old}`"
    result = CliRunner().invoke(app, ["report", "--db", str(old), "--out", str(tmp_path / "reports")])
    assert result.exit_code == 1 and "older dedup" in result.output and "Traceback" not in result.output
    assert old.read_bytes() == before and not (tmp_path / "reports").exists()
    assert migrate(old) == ["m007_member_coverage", "m008_views", "m009_roots", "m010_sketches", "m011_decision_keys", "m012_index", "m013_index_parts", "m014_file_times"]
    assert migrate(old) == []
    assert [p.name for p in report.write_report(old, tmp_path / "reports")] == ["index.html"]


def test_copies_show_the_member_coverage_figures(seed, tmp_path):
    db = tmp_path / "coverage.db"
    shutil.copy(seed[0], db)
    cluster_id = cluster_of(db, "001_bdaf9317e28d71a5.txt")
    copy_id = doc_id(db, "001_bdaf9317e28d71a5.txt")

    def figures() -> tuple[list[str], str]:
        page = lxml.html.fromstring(render.cluster_html(views.cluster_page(open_db(db, readonly=True), cluster_id)))
        (copy_row,) = [r for r in page.xpath(f"//table[{with_class('members')}]/tbody/tr") if "001_" in r.text_content()]
        cells = [td.text_content() for td in copy_row.xpath(f"td[{with_class('coverage')}]")]
        gist = page.xpath("//section[@id=$id]//p[@class='gist']", id=f"copy-{copy_id}")[0].text_content()
        return cells, gist

    def store(copy_coverage: float | None, source_coverage: float | None) -> None:
        with sqlite3.connect(db) as conn:
            conn.execute(
                "UPDATE cluster_members SET copy_coverage = ?, source_coverage = ? WHERE document_id = ?",
                [copy_coverage, source_coverage, copy_id],
            )

    store(None, None)
    cells, gist = figures()
    assert cells == ["not aligned", "not aligned"] and "not aligned" in gist
    store(0.8412, 0.7051)
    cells, gist = figures()
    assert cells == ["84%", "71%"]
    assert "84% from the source, 71% of the source kept" in gist
    assert read.cluster_detail(open_db(db, readonly=True), cluster_id)["members"][1]["copy_coverage"] == 0.8412


def test_scores_and_confidence_say_what_they_are(seed):
    db, out = seed
    page = lxml.html.parse(str(out / report.cluster_file(cluster_of(db, "000_7435865517dd7b82.txt")))).getroot()
    headers = [th.text_content() for th in page.xpath(f"//table[{with_class('members')}]/thead//th")]
    assert headers[-1] == "provenance score" and "from the source" in headers and "of the source kept" in headers
    notes = {div.findtext("dt"): div.findtext("dd") for div in page.xpath(f"//dl[{with_class('notes')}]/div")}
    assert "sum of the document's evidence weights" in notes["provenance score"]
    assert "more likely it is the original" in notes["provenance score"]
    assert "from 0 to 1" in notes["confidence"]
    with sqlite3.connect(db) as conn:
        scores = [s for (s,) in conn.execute("SELECT score FROM cluster_members ORDER BY role = 'copy'")]
    shown = [tr.xpath("td")[-1].text_content() for tr in page.xpath(f"//table[{with_class('members')}]/tbody/tr")]
    assert shown == [f"{s:+.2f}" for s in scores]


def test_a_document_without_title_is_named_by_its_path(seed, tmp_path):
    db = tmp_path / "untitled.db"
    shutil.copy(seed[0], db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE documents SET title = NULL")
    out = tmp_path / "reports"
    report.write_report(db, out)
    index = lxml.html.parse(str(out / "index.html")).getroot()
    (row,) = index.xpath("//table[@id='clusters']/tbody/tr")
    assert row.xpath("td[2]/a")[0].text_content() == "000_7435865517dd7b82.txt"
    page = lxml.html.parse(str(out / report.cluster_file(cluster_of(db, "000_7435865517dd7b82.txt")))).getroot()
    titles = [tr.xpath("td[3]")[0].text_content() for tr in page.xpath(f"//table[{with_class('members')}]/tbody/tr")]
    assert titles == ["000_7435865517dd7b82.txt", "001_bdaf9317e28d71a5.txt"]
    assert page.xpath("//h1")[0].text_content().endswith(" 000_7435865517dd7b82.txt")
