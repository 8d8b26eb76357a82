"""Scoring provenance: canonical accuracy (Clough & Stevenson layout) and link direction (PAN)."""

from __future__ import annotations

from pathlib import Path

from conftest import article_body, seed_path

from dedup.db import open_db
from dedup.eval.pan_scores import pan_direction
from dedup.eval.scores import clough_canonical
from dedup.pipeline import scan


def test_clough_canonical_checks_the_original_of_each_task(tmp_path: Path):
    lines = article_body(seed_path("000").read_text(encoding="utf-8")).splitlines()
    folder = tmp_path / "clough"
    folder.mkdir()
    (folder / "orig_taska.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "g0pA_taska.txt").write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    (folder / "g0pB_taska.txt").write_text("\n".join(lines[2:7]) + "\n", encoding="utf-8")
    scan(folder, tmp_path / "c.db")
    result = clough_canonical(open_db(tmp_path / "c.db", create=False))
    assert result["per_task"]["a"] is True
    assert result["per_task"]["b"] is False  # no such cluster in this folder
    assert result["orig_canonical"] == 1 and result["accuracy"] == 0.2


def _pan_db(tmp_path: Path, source_first: bool):
    folder = tmp_path / "pan"
    folder.mkdir(exist_ok=True)
    (folder / "pair_labels.tsv").write_text(
        "suspicious_doc\tsource_doc\tsubset\thas_offset_annotation\tsubset_implies_reuse\n"
        "suspicious-document00001.txt\tsource-document00001.txt\t02-no-obfuscation\t1\t1\n"
        "suspicious-document00002.txt\tsource-document00002.txt\t01-no-plagiarism\t0\t0\n",
        encoding="utf-8",
    )
    db = open_db(tmp_path / f"pan-{source_first}.db")
    for doc_id, path in (("s", "src/source-document00001.txt"), ("u", "susp/suspicious-document00001.txt")):
        db["documents"].insert({"id": doc_id, "path": path, "text": "x"})
    source, copy = ("s", "u") if source_first else ("u", "s")
    db["links"].insert({"source_id": source, "copy_id": copy, "jaccard": 0.5})
    return db, folder


def test_pan_direction_counts_links_that_run_from_the_source_document(tmp_path: Path):
    db, folder = _pan_db(tmp_path, source_first=True)
    right = pan_direction(db, folder)
    assert right["02-no-obfuscation"]["all"] == {"linked_pairs": 1, "src_is_source": 1.0}
    assert set(right["02-no-obfuscation"]) == {"all", "between_clusters"}  # the test links are in no cluster
    db, folder = _pan_db(tmp_path, source_first=False)
    wrong = pan_direction(db, folder)
    assert wrong["overall"]["all"] == {"linked_pairs": 1, "src_is_source": 0.0}
