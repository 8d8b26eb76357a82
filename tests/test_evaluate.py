"""Evaluation measures and gold loaders."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup.eval.scores import clough_gold, cluster_scores, load_gold
from dedup.errors import InputError


def test_perfect_clustering_scores_one():
    gold = {"a": "1", "b": "1", "c": "2", "d": "3"}
    scores = cluster_scores({"a": "x", "b": "x", "c": "y", "d": "z"}, gold)
    assert scores["pairwise_precision"] == scores["pairwise_recall"] == scores["adjusted_rand_index"] == 1.0


def test_known_adjusted_rand_index():
    # The textbook example: ARI of [0,0,1,1] vs [0,0,1,2] is 0.5714...
    gold = {"a": "0", "b": "0", "c": "1", "d": "1"}
    predicted = {"a": "0", "b": "0", "c": "1", "d": "2"}
    scores = cluster_scores(predicted, gold)
    assert scores["adjusted_rand_index"] == pytest.approx(4 / 7, abs=1e-4)
    assert scores["pairwise_precision"] == 1.0 and scores["pairwise_recall"] == 0.5


def test_missing_items_count_as_singletons():
    gold = {"a": "1", "b": "1"}
    scores = cluster_scores({"a": "x"}, gold)
    assert scores["pairwise_recall"] == 0.0


def test_gold_from_csv_and_errors(tmp_path: Path):
    gold_file = tmp_path / "gold.csv"
    gold_file.write_text("path,cluster\na.txt,s1\nb.txt,s1\nc.txt,\n")
    assert load_gold(gold_file) == {"a.txt": "s1", "b.txt": "s1", "c.txt": "single:c.txt"}
    with pytest.raises(InputError):
        load_gold(tmp_path)


def test_clough_gold_layout(tmp_path: Path):
    (tmp_path / "file_information.csv").write_text("File,Task,Category\ng0pA_taska.txt,a,cut\ng0pB_taska.txt,a,non\n")
    gold, category = clough_gold(tmp_path)
    assert gold["g0pA_taska.txt"] == gold["orig_taska.txt"] == "task:a"
    assert gold["g0pB_taska.txt"] == "single:g0pB_taska.txt"
    assert category["orig_taske.txt"] == "orig"
