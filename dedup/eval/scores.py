"""Scores of a scan's clusters and canonicals: pairwise P/R/F1 and ARI against gold clusters,
Clough & Stevenson, and the generated syndication set.

Loaders read the public corpora as they are distributed; nothing here copies them.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from math import comb
from pathlib import Path

from sqlite_utils import Database

from ..db import evaluation as reads
from ..errors import InputError


def predicted_labels(db: Database) -> dict[str, str]:
    """Path → cluster label for every document; documents in no cluster get their own label."""
    labels = {path: f"doc:{path}" for path in reads.document_paths(db)}
    for path, cluster_id in reads.memberships(db).items():
        labels[path] = f"cluster:{cluster_id}"
    return labels


def cluster_scores(predicted: Mapping[str, str], gold: Mapping[str, str]) -> dict:
    """Pairwise precision, recall, F1 and adjusted Rand index over the items of ``gold``.

    Items missing from ``predicted`` count as singletons (they were not clustered).
    """
    items = sorted(gold)
    pred = {item: predicted.get(item, f"missing:{item}") for item in items}
    joint = Counter((pred[i], gold[i]) for i in items)
    pred_sizes = Counter(pred.values())
    gold_sizes = Counter(gold[i] for i in items)
    same_both = sum(comb(n, 2) for n in joint.values())
    same_pred = sum(comb(n, 2) for n in pred_sizes.values())
    same_gold = sum(comb(n, 2) for n in gold_sizes.values())
    total = comb(len(items), 2)
    precision = same_both / same_pred if same_pred else 1.0
    recall = same_both / same_gold if same_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    expected = same_pred * same_gold / total if total else 0.0
    maximum = (same_pred + same_gold) / 2
    ari = (same_both - expected) / (maximum - expected) if maximum != expected else 1.0
    return {
        "items": len(items),
        "pairwise_precision": round(precision, 4),
        "pairwise_recall": round(recall, 4),
        "pairwise_f1": round(f1, 4),
        "adjusted_rand_index": round(ari, 4),
    }


def load_gold(path: Path) -> dict[str, str]:
    """Gold clusters from a Clough & Stevenson folder, or a CSV/TSV/JSON file of (path, cluster)."""
    path = Path(path)
    if path.is_dir() and (path / "file_information.csv").exists():
        return clough_gold(path)[0]
    if path.is_file() and path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}
    if path.is_file() and path.suffix.lower() in (".csv", ".tsv"):
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle, delimiter=delimiter))
        if rows and rows[0][:2] == ["path", "cluster"]:
            rows = rows[1:]
        return {row[0]: row[1] if len(row) > 1 and row[1] else f"single:{row[0]}" for row in rows if row}
    raise InputError(
        f"{path}: expected a Clough & Stevenson folder (with file_information.csv) "
        "or a .csv/.tsv/.json file mapping path to cluster"
    )


def clough_gold(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Gold labels and categories of the Clough & Stevenson corpus.

    Each original with its cut/light/heavy answers is one cluster; `non` answers are singletons.
    """
    gold, category = {}, {}
    with (Path(folder) / "file_information.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            name, task, kind = row["File"], row["Task"], row["Category"]
            category[name] = kind
            gold[name] = f"task:{task}" if kind != "non" else f"single:{name}"
    for task in "abcde":
        gold[f"orig_task{task}.txt"] = f"task:{task}"
        category[f"orig_task{task}.txt"] = "orig"
    return gold, category


def score_clough(db: Database, folder: Path) -> dict:
    """ARI and pairwise figures on Clough & Stevenson, and recall per reuse level."""
    gold, category = clough_gold(folder)
    predicted = predicted_labels(db)
    result = cluster_scores(predicted, gold)
    found: dict[str, list[bool]] = defaultdict(list)
    for name, kind in category.items():
        if kind in ("cut", "light", "heavy", "non"):
            original = f"orig_task{name.rsplit('_task', 1)[1][0]}.txt"
            together = predicted.get(name) == predicted.get(original) and name in predicted
            found[kind].append(together)
    result["clustered_with_original"] = {
        kind: {"n": len(v), "share": round(sum(v) / len(v), 4)} for kind, v in sorted(found.items())
    }
    return result


def clough_canonical(db: Database) -> dict:
    """Whether ``orig_task*`` is the canonical of the cluster it is in, per task."""
    canonical = reads.canonical_paths(db)
    per_task = {}
    for task in "abcde":
        original = f"orig_task{task}.txt"
        per_task[task] = canonical.get(original) == original
    return {
        "clusters": len(per_task),
        "orig_canonical": sum(per_task.values()),
        "accuracy": round(sum(per_task.values()) / len(per_task), 4),
        "per_task": per_task,
    }


def describe_clusters(db: Database, words: int = 12) -> list[dict]:
    """Every cluster with its members' paths, similarity and the first words of each text."""
    clusters: dict[int, list[dict]] = defaultdict(list)
    for row in reads.member_rows(db):
        clusters[row["cluster_id"]].append(
            {
                "path": row["path"], "role": row["role"], "similarity": row["similarity"],
                "containment": row["containment"], "start": " ".join(row["text"].split()[:words]),
            }
        )
    return [{"cluster_id": cid, "members": members} for cid, members in sorted(clusters.items())]


def score_synth(db: Database, truth: Mapping) -> dict:
    """Cluster scores and canonical accuracy on a generated syndication set (``synth``).

    Canonical accuracy is split by whether at least one member of the story has a
    publication time in its metadata. A story whose original is in no cluster counts as
    wrong. ``relations`` counts (true kind, stored relation) over the copies.
    """
    predicted = predicted_labels(db)
    result = {"clusters": cluster_scores(predicted, truth["files"])}
    canonical = reads.canonical_paths(db)
    groups: dict[str, list[bool]] = defaultdict(list)
    wrong = []
    for label, original in sorted(truth["canonical"].items()):
        group = "with_time" if truth["dated"][label] else "without_time"
        correct = canonical.get(original) == original
        groups[group].append(correct)
        if not correct:
            wrong.append({"story": label, "original": original, "elected": canonical.get(original)})
    result["canonical"] = {g: {"stories": len(v), "accuracy": round(sum(v) / len(v), 4)} for g, v in sorted(groups.items())}
    every = [x for v in groups.values() for x in v]
    result["canonical"]["all"] = {"stories": len(every), "accuracy": round(sum(every) / len(every), 4)}
    result["canonical_errors"] = wrong
    stored = reads.copy_relations(db)
    pairs = Counter(f"{kind} → {stored.get(path)}" for path, kind in truth["kinds"].items())
    result["relations"] = dict(sorted(pairs.items()))
    agree = [stored.get(path) == kind for path, kind in truth["kinds"].items()]
    result["relation_accuracy"] = round(sum(agree) / len(agree), 4) if agree else None
    return result
