"""The Spark engine (``dedup spark scan`` + ``dedup import``) against the local engine, on a
real local Spark (``local[2]``): the same documents, links, clusters, canonicals, passages
and evidence, row for row."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pyarrow
import pyarrow.parquet
import pytest

from browser import free_port, wait_for_url

import dedup as dedup_api
from dedup.eval.bench import make_corpus
from dedup.spark import check_java

REPO = Path(__file__).resolve().parent.parent
#: Columns that name a scan, and the files' modification times (a local scan keeps them so that
#: its rescans need not read unchanged files; Spark reads files as bytes and leaves them empty).
SCAN_COLUMNS = {"scan_id", "first_scan_id", "created_scan_id", "updated_scan_id", "mtime_ns"}
TABLES = (
    "documents", "sketches", "files", "errors", "links", "clusters", "cluster_members", "evidence", "passages", "cluster_changes",
    "index_state", "index_documents", "index_shingles", "index_bands", "index_pairs",  # the import builds the lookup index
)
SCAN_FIGURES = (
    "n_files", "n_documents", "n_errors", "n_links", "n_reuse_links", "n_clusters", "n_clustered_documents",
    "n_boilerplate_shingles", "boilerplate_digest", "config_fingerprint", "parameters", "versions", "n_skipped_files",
)


def dedup(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from dedup.cli import main; main()", *args], cwd=cwd, capture_output=True, text=True
    )


def table_rows(db: Path, table: str, skip: set[str] = frozenset()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in SCAN_COLUMNS | skip]
        return conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(columns)}").fetchall()


def assert_same_database(spark_db: Path, local_db: Path, *, skip: set[str] = frozenset()) -> None:
    for table in TABLES:
        assert table_rows(spark_db, table, skip) == table_rows(local_db, table, skip), f"{table} differs"
    for figure in SCAN_FIGURES:
        assert table_rows(spark_db, "scans", set()) and _scan_value(spark_db, figure) == _scan_value(local_db, figure), figure


def _scan_value(db: Path, column: str):
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT {column} FROM scans").fetchall()


def spark_then_import(folder: str, workdir: Path) -> Path:
    out, db = workdir / "spark-out", workdir / "spark.db"
    scanned = dedup("spark", "scan", folder, str(out), "--master", "local[2]", cwd=workdir)
    assert scanned.returncode == 0, scanned.stderr[-3000:]
    imported = dedup("import", str(out), "--db", str(db), cwd=workdir)
    assert imported.returncode == 0, imported.stderr
    return db


def local_scan(folder: Path, workdir: Path) -> Path:
    db = workdir / "local.db"
    scanned = dedup("scan", str(folder), "--db", str(db), "--quiet", cwd=workdir)
    assert scanned.returncode == 0, scanned.stderr
    return db


def test_java_for_spark_is_here():
    # Spark runs on the JVM: without Java 17+ these tests must fail, saying so, not skip.
    assert "version" in check_java()


def test_seeds_and_bad_files_give_the_same_database_and_commands(tmp_path: Path):
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    (corpus / "empty.txt").write_text("")
    (corpus / "rows.jsonl").write_text('{"text": "a short record of a few words"}\n{broken\n')
    (corpus / "notes.docx").write_text("skipped")
    wire = (REPO / "corpus").glob("000_*").__next__().read_text(encoding="utf-8")
    (corpus / "feed.csv").write_text(f'id,title,text\nw1,Wire,"{wire.replace(chr(34), chr(39))}"\nw2,Other,"Two words."\n')
    pyarrow.parquet.write_table(pyarrow.table({"id": ["p1"], "text": [wire.upper()]}), corpus / "crawl.parquet")
    spark_db = spark_then_import(str(corpus), tmp_path)
    local_db = local_scan(corpus, tmp_path)
    assert_same_database(spark_db, local_db)
    assert len(table_rows(spark_db, "documents")) == 7
    assert len(table_rows(spark_db, "errors")) == 3
    # The read commands see the imported database as one dedup scan wrote.
    for command in (("show", "1"), ("clusters",)):
        shown = [dedup(*command, "--db", str(db), cwd=tmp_path) for db in (spark_db, local_db)]
        assert shown[0].returncode == 0 and shown[0].stdout == shown[1].stdout
    report = dedup("report", "--db", str(spark_db), "--out", str(tmp_path / "reports"), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "Lenny Martinez" in (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-c", "from dedup.cli import main; main()", "serve", "--db", str(spark_db), "--port", str(port)]
    server = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/{spark_db.stem}/clusters.json?_shape=array"
        wait_for_url(url, timeout=60, alive=lambda: server.poll() is None)
        with urllib.request.urlopen(url) as response:
            served = json.loads(response.read())
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert [c["canonical_id"] for c in served] == [row[1] for row in table_rows(local_db, "clusters")]
    (answer,) = dedup_api.check([corpus / "feed.csv"], spark_db)
    assert answer.answered_by == "index" and answer.matches


def test_a_generated_corpus_of_5000_articles_gives_the_same_clusters(tmp_path: Path):
    corpus = tmp_path / "generated"
    kinds = make_corpus(REPO / "corpus", corpus, n_docs=5000)
    assert kinds["copy"] > 500 and kinds["excerpt"] > 100
    local_db = local_scan(corpus, tmp_path)
    # Read through Spark's own file source (file://), as from object storage, by a glob of
    # the corpus's subfolders: files are named from the folder before the pattern.
    spark_db = spark_then_import(corpus.resolve().as_uri() + "/0*", tmp_path)
    assert_same_database(spark_db, local_db, skip={"root"})
    assert len(table_rows(local_db, "clusters")) > 500


def test_import_refuses_an_existing_database_and_a_folder_of_something_else(tmp_path: Path):
    (tmp_path / "news.db").write_bytes(b"SQLite format 3\x00" + bytes(100))
    refused = dedup("import", str(tmp_path), "--db", str(tmp_path / "news.db"), cwd=tmp_path)
    assert refused.returncode == 1 and "exists" in refused.stderr
    wrong = dedup("import", str(tmp_path), "--db", str(tmp_path / "new.db"), cwd=tmp_path)
    assert wrong.returncode == 1 and "no dedup Spark output" in wrong.stderr
    assert not (tmp_path / "new.db").exists()


def test_spark_scan_of_a_missing_folder_is_a_clear_error(tmp_path: Path):
    failed = dedup("spark", "scan", str(tmp_path / "nowhere"), str(tmp_path / "out"), "--master", "local[1]", cwd=tmp_path)
    assert failed.returncode == 1
    assert "folder not found" in failed.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("digits", ['"17.0.15" 2025-04-15', '"21" 2023-09-19'])
def test_java_versions_17_and_later_are_accepted(tmp_path: Path, monkeypatch, digits: str):
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text(f"#!/bin/sh\necho 'openjdk version {digits}' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    assert digits.split('"')[1] in check_java()


def test_java_8_is_refused(tmp_path: Path, monkeypatch):
    from dedup.spark import SparkError

    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text("#!/bin/sh\necho 'openjdk version \"1.8.0_392\"' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(SparkError, match="Java 17 or newer"):
        check_java()
