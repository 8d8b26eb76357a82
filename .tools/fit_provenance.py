"""Fit the provenance weights on a scanned set with known originals (a conditional logit).

Usage: dedup eval synth SOURCE --seed 1 --db DB --out FOLDER, then
    python .tools/fit_provenance.py DB FOLDER/truth.json

Each evidence row becomes a feature of its document (its weight divided by the signal's
current weight in ``MODEL``, so a signal that fired once counts 1, a time share counts its
share). The fit maximises, over the stories whose original was clustered, the softmax
probability of the original among its cluster's members, with a little L2 shrinkage.
Prints the fitted weight per signal next to the current one.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import defaultdict
from dataclasses import asdict

import numpy as np

from dedup.provenance import MODEL


def feature(signal: str, detail: str) -> str:
    if signal == "published_time":
        return "earliest_time" if ", stated)" in detail else "earliest_guessed_time"
    if signal == "containment":
        return "containment_truncation" if "truncation" in detail else "containment_framing"
    return signal


def main(db_path: str, truth_path: str, l2: float = 0.05, steps: int = 3000) -> None:
    db = sqlite3.connect(db_path)
    truth = json.load(open(truth_path, encoding="utf-8"))
    weights = asdict(MODEL)
    path_of = dict(db.execute("SELECT id, path FROM documents"))
    cluster_of = {path_of[d]: c for c, d in db.execute("SELECT cluster_id, document_id FROM cluster_members")}
    members = defaultdict(list)
    for c, d in db.execute("SELECT cluster_id, document_id FROM cluster_members ORDER BY cluster_id, document_id"):
        members[c].append(path_of[d])
    rows = defaultdict(lambda: defaultdict(float))
    for c, d, signal, weight, detail in db.execute("SELECT cluster_id, document_id, signal, weight, detail FROM evidence"):
        name = feature(signal, detail)
        rows[path_of[d]][name] += weight / weights.get(name, weights.get(signal, 1.0))
    names = sorted({n for r in rows.values() for n in r})
    stories = []
    for original in truth["canonical"].values():
        if original not in cluster_of:
            continue
        docs = members[cluster_of[original]]
        matrix = np.array([[rows[p].get(n, 0.0) for n in names] for p in docs])
        stories.append((matrix, docs.index(original)))
    w = np.array([weights.get(n, 1.0) for n in names], dtype=float)
    for _ in range(steps):
        grad = -l2 * w
        for matrix, right in stories:
            scores = matrix @ w
            prob = np.exp(scores - scores.max())
            prob /= prob.sum()
            grad += matrix[right] - prob @ matrix
        w += 0.01 * grad / len(stories)
    correct = sum(int(np.argmax(m @ w) == r) for m, r in stories)
    print(f"stories {len(stories)}, fitted accuracy {correct / len(stories):.4f}")
    for name, value in zip(names, w):
        print(f"{name:24} current {weights.get(name, float('nan')):+.2f}  fitted {value:+.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
