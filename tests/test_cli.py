"""The command line: output, --json, help, counts, exit codes and one-line error messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import article_body, seed_path
from sqlite_utils import Database
from typer.testing import CliRunner

from dedup.cli import app
from dedup.options import plural
from dedup.db import MIGRATIONS

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_scan_clusters_show(seed_corpus: Path, db_path: Path):
    result = invoke("scan", seed_corpus, "--db", db_path)
    assert result.exit_code == 0, result.output
    assert "3 documents" in result.stdout and "1 cluster (2 documents in clusters)" in result.stdout
    listing = invoke("clusters", "--db", db_path)
    assert listing.exit_code == 0 and seed_path("000").name in listing.stdout
    shown = invoke("show", "1", "--db", db_path)
    assert shown.exit_code == 0
    assert seed_path("000").name in shown.stdout and seed_path("001").name in shown.stdout
    assert seed_path("002").name not in shown.stdout


def test_json_outputs(seed_corpus: Path, db_path: Path):
    summary = json.loads(invoke("scan", seed_corpus, "--db", db_path, "--json").stdout)
    assert summary["n_clusters"] == 1 and summary["errors"] == [] and summary["scan_id"] == 1
    clusters = json.loads(invoke("clusters", "--db", db_path, "--json").stdout)
    assert [(c["id"], c["size"], c["canonical_path"]) for c in clusters] == [(1, 2, seed_path("000").name)]
    detail = json.loads(invoke("show", "1", "--db", db_path, "--json").stdout)
    assert {m["path"]: m["role"] for m in detail["members"]} == {seed_path("000").name: "canonical", seed_path("001").name: "copy"}


def test_scan_json_lists_errors(seed_corpus: Path, db_path: Path):
    (seed_corpus / "empty.txt").write_bytes(b"")
    summary = json.loads(invoke("scan", seed_corpus, "--db", db_path, "--json").stdout)
    assert summary["n_errors"] == 1 and summary["errors"] == [{"path": "empty.txt", "reason": "empty file"}]


def test_user_errors_exit_1_with_one_line(tmp_path: Path, db_path: Path):
    for args in (("scan", tmp_path / "missing", "--db", db_path), ("clusters", "--db", tmp_path / "none.db")):
        result = invoke(*args)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
        assert "Traceback" not in result.stderr


def test_unknown_cluster_is_a_user_error(seed_corpus: Path, db_path: Path):
    invoke("scan", seed_corpus, "--db", db_path)
    result = invoke("show", "99", "--db", db_path)
    assert result.exit_code == 1 and "no cluster 99" in result.stderr


def test_not_a_database_is_a_user_error(tmp_path: Path):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("this is not sqlite")
    result = invoke("clusters", "--db", bogus)
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")


def test_bad_usage_exits_2(seed_corpus: Path):
    assert invoke("scan", seed_corpus, "--no-such-option").exit_code == 2
    assert invoke("show", "not-a-number").exit_code == 2
    assert invoke("scan").exit_code == 2


@pytest.mark.parametrize("command", [[], ["scan"], ["show"], ["migrate"], ["eval", "meter"], ["bench", "align"]])
def test_help_names_flags_and_arguments_plainly(command: list[str]):
    shown = invoke(*command, "--help")
    assert shown.exit_code == 0, shown.output
    assert "--help" in shown.stdout
    assert "<bool>" not in shown.stdout and "{" not in shown.stdout


def test_help_shows_argument_names_in_capitals_and_the_formats_scan_reads():
    scan_help = invoke("scan", "--help").stdout
    assert "scan [OPTIONS] FOLDER" in scan_help and "--json" in scan_help
    assert all(suffix in scan_help for suffix in (".txt", ".html", ".jsonl", ".csv", ".parquet"))
    assert "show [OPTIONS] CLUSTER_ID" in invoke("show", "--help").stdout


def test_plural():
    assert [plural(n, "link") for n in (0, 1, 2)] == ["0 links", "1 link", "2 links"]
    assert plural(1, "copy", "copies") == "1 copy" and plural(3, "copy", "copies") == "3 copies"


def test_counts_of_one_are_singular(tmp_path: Path, db_path: Path):
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(seed_path("000"), folder)
    scanned = invoke("scan", folder, "--db", db_path)
    assert scanned.exit_code == 0, scanned.output
    assert scanned.stdout.startswith(
        "Scanned 1 file (1 new, 0 changed, 0 unchanged, 0 removed, 0 skipped): 1 document, 0 links (0 copy, 0 reuse), "
        "0 clusters (0 documents in clusters), 0 errors.\n"
    )
    written = invoke("report", "--db", db_path, "--out", tmp_path / "reports")
    assert written.exit_code == 0 and written.stdout.startswith("Wrote 1 file to ")


def test_counts_of_many_are_plural(seed_corpus: Path, tmp_path: Path, db_path: Path):
    scanned = invoke("scan", seed_corpus, "--db", db_path).stdout
    assert scanned.startswith("Scanned 3 files (3 new, ") and ": 3 documents, 1 link (1 copy, 0 reuse), " in scanned
    written = invoke("report", "--db", db_path, "--out", tmp_path / "reports")
    assert written.exit_code == 0 and written.stdout.startswith("Wrote 2 files to ")
    assert invoke("show", "1", "--db", db_path).stdout.startswith("Cluster 1: 2 documents, mean similarity ")


def test_show_names_each_figure_of_a_copy(seed_corpus: Path, db_path: Path):
    invoke("scan", seed_corpus, "--db", db_path)
    shown = invoke("show", "1", "--db", db_path).stdout
    detail = json.loads(invoke("show", "1", "--db", db_path, "--json").stdout)
    (copy,) = [m for m in detail["members"] if m["role"] == "copy"]
    (line,) = [line for line in shown.splitlines() if line.strip().startswith("copy ")]
    if copy["copy_coverage"] is None:
        assert "not aligned" in line
    else:
        assert f"{copy['copy_coverage']:.0%} from the source, {copy['source_coverage']:.0%} of the source kept" in line
    assert f"similarity {copy['similarity']:.2f} (shingles)" in line
    assert "containment" not in shown


def test_show_says_what_the_numbers_of_a_reuse_link_are(seed_corpus: Path, db_path: Path):
    wire = " ".join(article_body(seed_path("000").read_text(encoding="utf-8")).split()[60:160])
    host = article_body(seed_path("002").read_text(encoding="utf-8"))
    (seed_corpus / "digest.txt").write_text(f"{host}\n{wire}\n{host[:300]}\n", encoding="utf-8")
    invoke("scan", seed_corpus, "--db", db_path)
    clusters = json.loads(invoke("clusters", "--db", db_path, "--json").stdout)
    (wire_cluster,) = [c["id"] for c in clusters if c["canonical_path"] == seed_path("000").name]
    detail = json.loads(invoke("show", wire_cluster, "--db", db_path, "--json").stdout)
    reuse = next(r for r in detail["reuse"] if r["source_path"] == seed_path("000").name)
    shown = invoke("show", wire_cluster, "--db", db_path).stdout
    assert reuse["copy_coverage"] is not None and reuse["source_coverage"] is not None
    assert (
        f"reuse: digest.txt takes a passage of {seed_path('000').name}, not a copy ("
        f"{reuse['copy_coverage']:.0%} from the source, {reuse['source_coverage']:.0%} of the source kept)"
    ) in shown


def test_migrate_upgrades_an_older_database_once(tmp_path: Path):
    old = Database(tmp_path / "old.db")
    MIGRATIONS.apply(old, stop_before="m005_document_dates")
    pending = [migration.name for migration in MIGRATIONS.pending(old)]
    old.close()
    first = invoke("migrate", "--db", tmp_path / "old.db")
    assert first.exit_code == 0, first.output
    assert first.stdout == f"{tmp_path / 'old.db'}: applied {len(pending)} migrations: {', '.join(pending)}\n"
    again = invoke("migrate", "--db", tmp_path / "old.db")
    assert again.exit_code == 0 and again.stdout == f"{tmp_path / 'old.db'}: already up to date\n"
    missing = invoke("migrate", "--db", tmp_path / "none.db")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: no database")


def test_eval_clusters_scores_an_existing_scan(seed_corpus: Path, tmp_path: Path, db_path: Path):
    invoke("scan", seed_corpus, "--db", db_path)
    gold = tmp_path / "gold.csv"
    gold.write_text(f"path,cluster\n{seed_path('000').name},a\n{seed_path('001').name},a\n{seed_path('002').name},\n")
    scored = invoke("eval", "clusters", gold, "--db", db_path)
    assert scored.exit_code == 0, scored.output
    figures = json.loads(scored.stdout)
    assert figures["items"] == 3 and figures["pairwise_precision"] == figures["adjusted_rand_index"] == 1.0
    missing = invoke("eval", "clusters", gold, "--db", tmp_path / "none.db")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: no database")


def test_a_migration_that_fails_leaves_the_database_as_it_was(tmp_path: Path):
    old = Database(tmp_path / "old.db")
    MIGRATIONS.apply(old, stop_before="m005_document_dates")
    old.execute("ALTER TABLE documents ADD COLUMN root TEXT")  # what m009_roots adds: it will fail
    before = [migration.name for migration in MIGRATIONS.pending(old)]
    old.close()
    failed = invoke("migrate", "--db", tmp_path / "old.db")
    assert failed.exit_code == 1 and "cannot migrate" in failed.stderr
    after = Database(tmp_path / "old.db")
    # m005–m008 ran before m009 failed: none of them is left applied.
    assert [migration.name for migration in MIGRATIONS.pending(after)] == before
    assert "date_source" not in after["documents"].columns_dict
