"""Score a scan against labelled data: gold clusters, PAN 2013 document pairs, Lee and BBC.

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

from .errors import InputError

PAN_SUBSETS = (
    "01-no-plagiarism",
    "02-no-obfuscation",
    "03-random-obfuscation",
    "04-translation-obfuscation",
    "05-summary-obfuscation",
)


def predicted_labels(db: Database) -> dict[str, str]:
    """Path → cluster label for every document; documents in no cluster get their own label."""
    labels = {row[0]: f"doc:{row[0]}" for row in db.execute("SELECT path FROM documents")}
    sql = "SELECT d.path, MIN(m.cluster_id) FROM cluster_members m JOIN documents d ON d.id = m.document_id GROUP BY d.path"
    for path, cluster_id in db.execute(sql):
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


def score_pan(db: Database, folder: Path) -> dict:
    """Document-pair precision and recall per PAN 2013 subset.

    A pair is predicted when the scan stored a link between the two documents. Recall is
    over a subset's listed pairs; precision over the links from that subset's suspicious
    documents to source documents (a link to an unlisted source counts as wrong). In
    01-no-plagiarism every link is a false positive.
    """
    folder = Path(folder)
    listed: dict[tuple[str, str], str] = {}
    with (folder / "pair_labels.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            listed[(row["suspicious_doc"], row["source_doc"])] = row["subset"]
    subset_of_susp = {susp: subset for (susp, _), subset in listed.items()}
    linked = set()
    sql = "SELECT a.path, b.path FROM links l JOIN documents a ON a.id = l.source_id JOIN documents b ON b.id = l.copy_id"
    for first, second in db.execute(sql):
        for susp, src in ((first, second), (second, first)):
            if susp.startswith("susp/") and src.startswith("src/"):
                linked.add((susp[5:], src[4:]))
    result = {}
    totals = Counter()
    for subset in PAN_SUBSETS:
        pairs = [p for p, s in listed.items() if s == subset]
        predicted = [p for p in linked if subset_of_susp.get(p[0]) == subset]
        correct = [p for p in predicted if listed.get(p) == subset and subset != "01-no-plagiarism"]
        entry = {"listed_pairs": len(pairs), "predicted_pairs": len(predicted)}
        if subset == "01-no-plagiarism":
            false = [p for p in pairs if p in linked]
            entry["false_positive_pairs"] = len(false)
        else:
            hits = sum(p in linked for p in pairs)
            entry["recall"] = round(hits / len(pairs), 4) if pairs else None
            entry["precision"] = round(len(correct) / len(predicted), 4) if predicted else None
            totals["hits"] += hits
            totals["pairs"] += len(pairs)
        totals["predicted"] += len(predicted)
        totals["correct"] += len(correct)
        result[subset] = entry
    result["overall"] = {
        "recall": round(totals["hits"] / totals["pairs"], 4),
        "precision": round(totals["correct"] / totals["predicted"], 4) if totals["predicted"] else None,
    }
    return result


def write_lines_as_files(source: Path, folder: Path, prefix: str) -> int:
    """Write each line of ``source`` (one article per line) as ``folder/prefix-NNN.txt``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines):
        (folder / f"{prefix}-{number:03d}.txt").write_text(line + "\n", encoding="utf-8")
    return len(lines)


def describe_clusters(db: Database, words: int = 12) -> list[dict]:
    """Every cluster with its members' paths, similarity and the first words of each text."""
    sql = """
        SELECT m.cluster_id, m.role, m.similarity, m.containment, d.path, d.text
        FROM cluster_members m JOIN documents d ON d.id = m.document_id
        ORDER BY m.cluster_id, m.role = 'copy', d.path
    """
    clusters: dict[int, list[dict]] = defaultdict(list)
    for cluster_id, role, similarity, containment, path, text in db.execute(sql):
        clusters[cluster_id].append(
            {
                "path": path, "role": role, "similarity": similarity, "containment": containment,
                "start": " ".join(text.split()[:words]),
            }
        )
    return [{"cluster_id": cid, "members": members} for cid, members in sorted(clusters.items())]
