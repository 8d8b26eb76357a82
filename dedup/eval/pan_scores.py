"""Scores of a scan of PAN 2013 (``src/`` and ``susp/`` scanned together): document pairs per
subset, the direction of the stored links, and PAN's plagdet of the aligned passages.

The truth is read from the pan13-train folder as it is distributed: ``pair_labels.tsv`` and
the XML files of each subset.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from sqlite_utils import Database

from ..db import evaluation as reads
from . import pan
from .pan import Annotation

PAN_SUBSETS = (
    "01-no-plagiarism",
    "02-no-obfuscation",
    "03-random-obfuscation",
    "04-translation-obfuscation",
    "05-summary-obfuscation",
)


def listed_pairs(folder: Path) -> dict[tuple[str, str], str]:
    """``(suspicious file, source file)`` → subset, for every pair of ``pair_labels.tsv``."""
    with (Path(folder) / "pair_labels.tsv").open(encoding="utf-8", newline="") as handle:
        return {(row["suspicious_doc"], row["source_doc"]): row["subset"] for row in csv.DictReader(handle, delimiter="\t")}


def pan_linked_pairs(db: Database) -> set[tuple[str, str]]:
    """``(suspicious file, source file)`` names of every stored link between a susp/ and a src/ document."""
    linked = set()
    for first, second in reads.links_by_path(db):
        for susp, src in ((first, second), (second, first)):
            if susp.startswith("susp/") and src.startswith("src/"):
                linked.add((susp[5:], src[4:]))
    return linked


def score_pan(db: Database, folder: Path) -> dict:
    """Document-pair recall and precision per PAN 2013 subset, over the listed pairs.

    A pair is predicted when the scan stored a link between the two documents. Listed pairs
    of 02–05 are positives and the pairs of 01-no-plagiarism negatives; a subset's precision
    is its true positives over those plus every false positive among the negatives. Links
    to sources that are not listed for a document are counted separately (``unlisted_links``):
    PAN lists pairs per subset only, and many of them are real shared passages.
    """
    listed = listed_pairs(folder)
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


def pan_direction(db: Database, folder: Path) -> dict:
    """Per PAN subset: of the listed (suspicious, source) pairs that the scan linked, the
    share whose stored link runs from the source document to the suspicious one.

    ``by_evidence`` counts the pairs whose two documents got different provenance scores in
    their cluster (text evidence decided); ``by_tie_break`` those with equal scores, where
    the earlier, longer document is taken; ``between_clusters`` links joining two clusters.
    """
    listed = {(f"susp/{susp}", f"src/{src}"): subset for (susp, src), subset in listed_pairs(folder).items()}
    scores = reads.member_scores(db)
    right: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for source, copy in reads.links_by_path(db):
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


def pan_truth(folder: Path) -> tuple[dict[tuple[str, str], str], set[tuple[str, str]], list[Annotation]]:
    """PAN 2013 truth: listed (suspicious, source) pairs → subset, the pairs that can be scored
    at character level, and the reuse cases read from the XML files.

    A pair of a reuse subset without offsets (most of 05-summary-obfuscation) cannot be scored
    and is left out; the negative pairs of 01-no-plagiarism are scored (no case, so every
    detection there is wrong).
    """
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


def pan_detections(db: Database, *, group_gap: int = 500) -> list[Annotation]:
    """The matched passages of links between a ``susp/`` and a ``src/`` document, grouped into
    detections by ``group_passages``."""
    detections = []
    for (source_path, copy_path), spans in reads.matched_spans_by_path_pair(db).items():
        for s0, s1, c0, c1 in group_passages(spans, group_gap):
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
