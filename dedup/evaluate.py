"""Score a scan against labelled data: gold clusters, PAN 2013 document pairs, Lee and BBC.

Loaders read the public corpora as they are distributed; nothing here copies them.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
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
    """Document-pair recall and precision per PAN 2013 subset, over the listed pairs.

    A pair is predicted when the scan stored a link between the two documents. Listed pairs
    of 02–05 are positives and the pairs of 01-no-plagiarism negatives; a subset's precision
    is its true positives over those plus every false positive among the negatives. Links
    to sources that are not listed for a document are counted separately (``unlisted_links``):
    PAN lists pairs per subset only, and many of them are real shared passages.
    """
    folder = Path(folder)
    listed: dict[tuple[str, str], str] = {}
    with (folder / "pair_labels.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            listed[(row["suspicious_doc"], row["source_doc"])] = row["subset"]
    linked = pan_linked_pairs(db)
    negatives = [p for p, s in listed.items() if s == PAN_SUBSETS[0]]
    false_positives = sum(p in linked for p in negatives)
    result: dict = {PAN_SUBSETS[0]: {"listed_pairs": len(negatives), "false_positive_pairs": false_positives}}
    hits_total = pairs_total = 0
    for subset in PAN_SUBSETS[1:]:
        pairs = [p for p, s in listed.items() if s == subset]
        hits = sum(p in linked for p in pairs)
        result[subset] = {
            "listed_pairs": len(pairs),
            "found_pairs": hits,
            "recall": round(hits / len(pairs), 4) if pairs else None,
            "precision": round(hits / (hits + false_positives), 4) if hits + false_positives else None,
        }
        hits_total += hits
        pairs_total += len(pairs)
    result["overall"] = {
        "recall": round(hits_total / pairs_total, 4),
        "precision": round(hits_total / (hits_total + false_positives), 4) if hits_total + false_positives else None,
        "unlisted_links": len(linked - set(listed)),
    }
    return result


def pan_linked_pairs(db: Database) -> set[tuple[str, str]]:
    """``(suspicious file, source file)`` names of every stored link between a susp/ and a src/ document."""
    linked = set()
    sql = "SELECT a.path, b.path FROM links l JOIN documents a ON a.id = l.source_id JOIN documents b ON b.id = l.copy_id"
    for first, second in db.execute(sql):
        for susp, src in ((first, second), (second, first)):
            if susp.startswith("susp/") and src.startswith("src/"):
                linked.add((susp[5:], src[4:]))
    return linked


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


def _canonical_paths(db: Database) -> dict[str, str]:
    """Path of every clustered document → the path of its cluster's canonical."""
    sql = """
        SELECT d.path, k.path FROM cluster_members m
        JOIN clusters c ON c.id = m.cluster_id
        JOIN documents d ON d.id = m.document_id JOIN documents k ON k.id = c.canonical_id
    """
    return dict(db.execute(sql).fetchall())


def clough_canonical(db: Database) -> dict:
    """Whether ``orig_task*`` is the canonical of the cluster it is in, per task."""
    canonical = _canonical_paths(db)
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


def pan_direction(db: Database, folder: Path) -> dict:
    """Per PAN subset: of the listed (suspicious, source) pairs that the scan linked, the
    share whose stored link runs from the source document to the suspicious one.

    ``by_evidence`` counts the pairs whose two documents got different provenance scores in
    their cluster (text evidence decided); ``by_tie_break`` those with equal scores, where
    the earlier, longer document is taken; ``between_clusters`` links joining two clusters.
    """
    listed: dict[tuple[str, str], str] = {}
    with (Path(folder) / "pair_labels.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            listed[(f"susp/{row['suspicious_doc']}", f"src/{row['source_doc']}")] = row["subset"]
    scores = {}
    for cluster_id, path, score in db.execute(
        "SELECT m.cluster_id, d.path, m.score FROM cluster_members m JOIN documents d ON d.id = m.document_id"
    ):
        scores[path] = (cluster_id, score)
    sql = "SELECT a.path, b.path FROM links l JOIN documents a ON a.id = l.source_id JOIN documents b ON b.id = l.copy_id"
    right: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for source, copy in db.execute(sql):
        for pair, correct in (((copy, source), True), ((source, copy), False)):
            if pair in listed and listed[pair] != PAN_SUBSETS[0]:
                (a, score_a), (b, score_b) = scores.get(source, (None, None)), scores.get(copy, (None, None))
                how = "between_clusters" if a is None or a != b else "by_tie_break" if score_a == score_b else "by_evidence"
                right[listed[pair]]["all"].append(correct)
                right[listed[pair]][how].append(correct)
                right["overall"]["all"].append(correct)
                right["overall"][how].append(correct)

    def share(values: list[bool]) -> dict:
        return {"linked_pairs": len(values), "src_is_source": round(sum(values) / len(values), 4) if values else None}

    return {subset: {how: share(v) for how, v in sorted(parts.items())} for subset, parts in sorted(right.items())}


def score_synth(db: Database, truth: Mapping) -> dict:
    """Cluster scores and canonical accuracy on a generated syndication set (``synth``).

    Canonical accuracy is split by whether at least one member of the story has a
    publication time in its metadata. A story whose original is in no cluster counts as
    wrong. ``relations`` counts (true kind, stored relation) over the copies.
    """
    predicted = predicted_labels(db)
    result = {"clusters": cluster_scores(predicted, truth["files"])}
    canonical = _canonical_paths(db)
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
    sql = "SELECT d.path, m.relation FROM cluster_members m JOIN documents d ON d.id = m.document_id WHERE m.role = 'copy'"
    stored = dict(db.execute(sql).fetchall())
    pairs = Counter(f"{kind} → {stored.get(path)}" for path, kind in truth["kinds"].items())
    result["relations"] = dict(sorted(pairs.items()))
    agree = [stored.get(path) == kind for path, kind in truth["kinds"].items()]
    result["relation_accuracy"] = round(sum(agree) / len(agree), 4) if agree else None
    return result


def pan_truth(folder: Path) -> tuple[dict[tuple[str, str], str], set[tuple[str, str]], list]:
    """PAN 2013 truth: listed (suspicious, source) pairs → subset, the pairs that can be scored
    at character level, and the reuse cases (``pan.Annotation``) read from the XML files.

    A pair of a reuse subset without offsets (most of 05-summary-obfuscation) cannot be scored
    and is left out; the negative pairs of 01-no-plagiarism are scored (no case, so every
    detection there is wrong).
    """
    import xml.etree.ElementTree as ET

    from .pan import Annotation

    folder = Path(folder)
    listed, scored = {}, set()
    with (folder / "pair_labels.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            pair = (row["suspicious_doc"], row["source_doc"])
            listed[pair] = row["subset"]
            if row["has_offset_annotation"] == "1" or row["subset_implies_reuse"] == "0":
                scored.add(pair)
    cases = []
    for subset in PAN_SUBSETS:
        for path in sorted((folder / subset).glob("*.xml")):
            root = ET.parse(path).getroot()
            for feature in root.iter("feature"):
                if feature.get("this_offset") is None or feature.get("source_offset") is None:
                    continue
                start, source_start = int(feature.get("this_offset")), int(feature.get("source_offset"))
                cases.append(
                    Annotation(
                        root.get("reference"), start, start + int(feature.get("this_length")), feature.get("source_reference"),
                        source_start, source_start + int(feature.get("source_length")),
                    )
                )
    return listed, scored, cases


def group_passages(spans: Iterable[tuple[int, int, int, int]], group_gap: int = 500) -> list[tuple[int, int, int, int]]:
    """Group a link's matched passages ``(source_start, source_end, copy_start, copy_end)``, in
    copy order, into detections.

    A passage joins the group before it when it starts within ``group_gap`` characters of the
    group's end in the copy and lies within ``group_gap`` characters of the group's source span,
    in either direction: the alignment cuts a reused passage at line breaks and where sentences
    were reordered, and PAN counts such a passage as one case. ``group_gap=0`` joins only
    passages that continue each other exactly.
    """
    groups: list[list[int]] = []
    for s0, s1, c0, c1 in spans:
        last = groups[-1] if groups else None
        if last and c0 - last[3] <= group_gap and max(0, s0 - last[1], last[0] - s1) <= group_gap:
            last[0], last[1], last[3] = min(last[0], s0), max(last[1], s1), c1
        else:
            groups.append([s0, s1, c0, c1])
    return [tuple(g) for g in groups]


def pan_detections(db: Database, *, group_gap: int = 500) -> list:
    """The matched passages of links between a ``susp/`` and a ``src/`` document, grouped into
    detections (``pan.Annotation``) by ``group_passages``."""
    from itertools import groupby

    from .pan import Annotation

    sql = """
        SELECT s.path, c.path, p.source_start, p.source_end, p.copy_start, p.copy_end
        FROM passages p JOIN documents s ON s.id = p.source_id JOIN documents c ON c.id = p.copy_id
        WHERE p.kind IN ('same', 'changed') ORDER BY p.source_id, p.copy_id, p.position
    """
    detections = []
    for (source_path, copy_path), rows in groupby(db.execute(sql), key=lambda row: row[:2]):
        for s0, s1, c0, c1 in group_passages((row[2:] for row in rows), group_gap):
            if source_path.startswith("src/") and copy_path.startswith("susp/"):
                detections.append(Annotation(copy_path[5:], c0, c1, source_path[4:], s0, s1))
            elif source_path.startswith("susp/") and copy_path.startswith("src/"):
                detections.append(Annotation(source_path[5:], s0, s1, copy_path[4:], c0, c1))
    return detections


def score_pan_passages(db: Database, folder: Path, *, group_gap: int = 500) -> dict:
    """PAN's plagdet, precision, recall and granularity of the stored passages, per subset.

    Only listed pairs count. Each subset is scored twice: over all its scorable pairs, and
    over the pairs the scan linked (``on_linked_pairs``), which measures the alignment alone.
    ``overall`` pools every scored pair, the negatives of 01-no-plagiarism included.
    """
    from . import pan

    listed, scored, cases = pan_truth(folder)
    detections = [d for d in pan_detections(db, group_gap=group_gap) if (d.suspicious, d.source) in scored]
    linked = pan_linked_pairs(db)
    result = {}
    for subset in PAN_SUBSETS + ("overall",):
        pairs = {p for p in scored if subset in ("overall", listed[p])}
        subset_cases = [c for c in cases if (c.suspicious, c.source) in pairs]
        subset_detections = [d for d in detections if (d.suspicious, d.source) in pairs]
        entry = {
            "listed_pairs": sum(subset in ("overall", s) for s in listed.values()),
            "scored_pairs": len(pairs),
            "linked_pairs": len(pairs & linked),
        }
        if subset == "01-no-plagiarism":
            entry["detections"] = len(subset_detections)
        else:
            entry.update(pan.score(subset_cases, subset_detections).as_dict())
            on_linked = [c for c in subset_cases if (c.suspicious, c.source) in linked]
            entry["on_linked_pairs"] = pan.score(on_linked, subset_detections).as_dict()
        result[subset] = entry
    return result
