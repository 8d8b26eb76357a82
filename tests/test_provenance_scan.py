"""Provenance through whole scans: the seeds, a generated syndication set, and a rescan that
brings in an earlier source."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import CORPUS, article_body, seed_path
from typer.testing import CliRunner

from dedup.cli import app
from dedup.db import open_db
from dedup.eval import synth
from dedup.eval.scores import score_synth
from dedup.pipeline import scan

runner = CliRunner()


def test_seeds_000_is_canonical_with_named_evidence(seed_corpus: Path, db_path: Path):
    scan(seed_corpus, db_path)
    db = open_db(db_path, create=False)
    (cluster,) = list(db["clusters"].rows)
    path = dict(db.execute("SELECT id, path FROM documents"))
    assert path[cluster["canonical_id"]] == seed_path("000").name
    assert 0.5 < cluster["confidence"] <= 1.0
    favour = {(path[r["document_id"]], r["signal"]) for r in db["evidence"].rows if r["weight"] > 0}
    original = seed_path("000").name
    assert {(original, "author_bio"), (original, "self_identification"), (original, "typography")} <= favour
    (copy,) = [m for m in db["cluster_members"].rows if m["role"] == "copy"]
    assert path[copy["document_id"]] == seed_path("001").name
    assert copy["relation"] in ("verbatim", "excerpt", "expanded", "edited")
    assert set(json.loads(copy["relation_detail"])) >= {"copy_coverage", "source_coverage", "changed", "measured_against"}
    (link,) = list(db["links"].rows)
    assert (path[link["source_id"]], path[link["copy_id"]]) == (original, seed_path("001").name)
    passages = list(db.execute("SELECT DISTINCT source_id, copy_id FROM passages"))
    assert passages == [(link["source_id"], link["copy_id"])]


def test_show_explains_the_decision_in_sentences_and_json(seed_corpus: Path, db_path: Path):
    scan(seed_corpus, db_path)
    shown = runner.invoke(app, ["show", "1", "--db", str(db_path)])
    assert shown.exit_code == 0
    assert f"{seed_path('001').name} is a copy of {seed_path('000').name}: " in shown.stdout
    assert "author bio" in shown.stdout and "confidence 0." in shown.stdout
    detail = json.loads(runner.invoke(app, ["show", "1", "--db", str(db_path), "--json"]).stdout)
    assert {e["signal"] for e in detail["evidence"]} >= {"author_bio", "typography"}
    assert detail["explanation"][0].startswith(f"{seed_path('001').name} is a copy of")
    assert [a["document_id"] for a in detail["alternatives"]] == [m["document_id"] for m in detail["members"] if m["role"] == "copy"]
    assert detail["changes"][0]["change"] == "created"


def test_generated_syndication_set_end_to_end(tmp_path: Path):
    truth = synth.generate(CORPUS, tmp_path / "articles", stories=4, singles=0, seed=7)
    assert len(truth.canonical) == 2  # 000 and 002; 001 repeats 000 and is left out
    scan(tmp_path / "articles", tmp_path / "synth.db")
    db = open_db(tmp_path / "synth.db", create=False)
    scores = score_synth(db, truth.as_dict())
    assert scores["clusters"]["adjusted_rand_index"] == 1.0
    assert scores["canonical"]["all"] == {"stories": 2, "accuracy": 1.0}
    assert all(row["confidence"] is not None for row in db["clusters"].rows)
    assert all(row["relation"] for row in db["cluster_members"].rows if row["role"] == "copy")
    # Every link inside a cluster runs from the canonical or a better-ranked member.
    score = {(r["cluster_id"], r["document_id"]): r["score"] for r in db["cluster_members"].rows}
    member = {r["document_id"]: r["cluster_id"] for r in db["cluster_members"].rows}
    for link in db["links"].rows:
        cid = member[link["source_id"]]
        assert score[(cid, link["source_id"])] >= score[(cid, link["copy_id"])]


def test_generator_is_deterministic_and_its_file_names_tell_nothing(tmp_path: Path):
    first = synth.generate(CORPUS, tmp_path / "a", stories=4, singles=0, seed=3)
    again = synth.generate(CORPUS, tmp_path / "b", stories=4, singles=0, seed=3)
    other = synth.generate(CORPUS, tmp_path / "c", stories=4, singles=0, seed=4)
    assert first.as_dict() == again.as_dict() and first.as_dict() != other.as_dict()
    for path in first.files:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes()
        assert Path(path).stem.isalnum() and "story" not in path
    formats = {Path(p).suffix for p in first.files} | {Path(p).suffix for p in other.files}
    assert formats >= {".html", ".json"}


def test_generator_refuses_a_non_empty_folder(tmp_path: Path):
    (tmp_path / "out" / "articles").mkdir(parents=True)
    (tmp_path / "out" / "articles" / "old.txt").write_text("left from an earlier run")
    result = runner.invoke(app, ["eval", "synth", str(CORPUS), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "is not empty" in result.output and "Traceback" not in result.output
    missing = runner.invoke(app, ["eval", "synth", str(tmp_path / "missing")])
    assert missing.exit_code == 1 and "not a folder" in missing.output


def _record(folder: Path, name: str, site: str, when: str, text: str) -> None:
    record = {"title": "Martinez wins Japan Cup", "site": site, "url": f"https://{name}.example/story", "published_at": when, "text": text}
    (folder / f"{name}.json").write_text(json.dumps(record), encoding="utf-8")


def test_rescan_with_an_earlier_source_re_elects_and_records_the_change(tmp_path: Path):
    body = article_body(seed_path("000").read_text(encoding="utf-8"))
    folder, db_path = tmp_path / "news", tmp_path / "news.db"
    folder.mkdir()
    _record(folder, "racehub", "Race Hub", "2025-10-20T09:00:00Z", body)
    _record(folder, "velodaily", "Velo Daily", "2025-10-21T09:00:00Z", body + "\nThis article originally appeared on Race Hub.")
    first = scan(folder, db_path)
    db = open_db(db_path, create=False)
    path = lambda doc_id: db.execute("SELECT path FROM documents WHERE id = ?", [doc_id]).fetchone()[0]  # noqa: E731
    (before,) = list(db["clusters"].rows)
    assert path(before["canonical_id"]) == "racehub.json"
    db.close()

    _record(folder, "cyclingnews", "Cyclingnews", "2025-10-19T09:00:00Z", body)
    second = scan(folder, db_path)
    db = open_db(db_path, create=False)
    (after,) = list(db["clusters"].rows)
    assert after["id"] == before["id"]
    assert path(after["canonical_id"]) == "cyclingnews.json"
    change = db.execute(
        "SELECT scan_id, old_canonical_id, new_canonical_id FROM cluster_changes WHERE change = 'canonical'"
    ).fetchall()
    assert change == [(second.scan_id, before["canonical_id"], after["canonical_id"])]
    created = db.execute("SELECT scan_id, cluster_id FROM cluster_changes WHERE change = 'created'").fetchall()
    assert created == [(first.scan_id, before["id"])]
    # The stored links and passages follow the new canonical.
    sources = {path(r["source_id"]) for r in db["links"].rows if "cyclingnews.json" in (path(r["source_id"]), path(r["copy_id"]))}
    assert sources == {"cyclingnews.json"}
    passage_pairs = set(db.execute("SELECT DISTINCT source_id, copy_id FROM passages").fetchall())
    assert passage_pairs == {(r["source_id"], r["copy_id"]) for r in db["links"].rows}
