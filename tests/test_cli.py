"""The command line: output, --json, exit codes and one-line error messages."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import seed_path
from typer.testing import CliRunner

from dedup.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_scan_clusters_show(seed_corpus: Path, db_path: Path):
    result = invoke("scan", seed_corpus, "--db", db_path)
    assert result.exit_code == 0, result.output
    assert "3 documents" in result.stdout and "1 clusters" in result.stdout
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
