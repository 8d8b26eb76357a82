"""PAN's character-level measures of text-alignment quality: precision, recall, granularity, plagdet.

Definitions from Potthast, Stein, Barrón-Cedeño and Rosso, "An Evaluation Framework for
Plagiarism Detection" (COLING 2010), used unchanged in the PAN 2013 overview (Potthast et al.,
CLEF 2013). A case or a detection is a pair of character ranges, one in a suspicious document and
one in a source document. A detection *detects* a case when both ranges overlap the case's ranges
in the same two documents. Then, with ``|x|`` counting characters on both sides:

- recall: the mean over all cases of the share of the case's characters covered by the
  detections that detect it;
- precision: the mean over all detections of the share of the detection's characters covered
  by the cases it detects;
- granularity: the mean number of detections per detected case (1 is ideal);
- plagdet: ``F1(precision, recall) / log2(1 + granularity)``.

As in PAN's script, an empty set of cases or detections scores 0 (both empty: 1).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Annotation:
    """A reuse case or a detection: a range in a suspicious document and one in a source document."""

    suspicious: str
    suspicious_start: int
    suspicious_end: int
    source: str
    source_start: int
    source_end: int

    def __post_init__(self) -> None:
        if not (0 <= self.suspicious_start <= self.suspicious_end and 0 <= self.source_start <= self.source_end):
            raise ValueError(f"invalid ranges in {self}")

    def size(self) -> int:
        """Characters on both sides."""
        return self.suspicious_end - self.suspicious_start + self.source_end - self.source_start


@dataclass(frozen=True)
class Scores:
    """PAN's figures for a set of detections against a set of cases."""

    precision: float
    recall: float
    granularity: float
    plagdet: float
    cases: int
    detections: int
    detected_cases: int

    def as_dict(self, digits: int = 4) -> dict:
        """The figures, rounded, as a plain dict."""
        return {
            "plagdet": round(self.plagdet, digits), "precision": round(self.precision, digits),
            "recall": round(self.recall, digits), "granularity": round(self.granularity, digits),
            "cases": self.cases, "detections": self.detections, "detected_cases": self.detected_cases,
        }


def detects(a: Annotation, b: Annotation) -> bool:
    """True when the two annotations overlap in the same documents, on both sides."""
    return (
        a.suspicious == b.suspicious and a.source == b.source
        and a.suspicious_start < b.suspicious_end and b.suspicious_start < a.suspicious_end
        and a.source_start < b.source_end and b.source_start < a.source_end
    )


def covered(target: Annotation, others: Iterable[Annotation]) -> int:
    """Characters of ``target`` (both sides) covered by the ``others`` that overlap it."""
    others = [o for o in others if detects(target, o)]
    return _union_within(target.suspicious_start, target.suspicious_end, [(o.suspicious_start, o.suspicious_end) for o in others]) + _union_within(
        target.source_start, target.source_end, [(o.source_start, o.source_end) for o in others]
    )


def _union_within(start: int, end: int, ranges: list[tuple[int, int]]) -> int:
    """Length of the union of ``ranges`` clipped to ``[start, end)``."""
    total, reach = 0, start
    for a, b in sorted(ranges):
        a, b = max(a, reach), min(b, end)
        if b > a:
            total += b - a
            reach = b
    return total


def _mean_coverage(targets: Sequence[Annotation], others: Sequence[Annotation]) -> float:
    if not targets and not others:
        return 1.0
    if not targets or not others:
        return 0.0
    by_pair = defaultdict(list)
    for o in others:
        by_pair[(o.suspicious, o.source)].append(o)
    total = 0.0
    for t in targets:
        if t.size():
            total += covered(t, by_pair.get((t.suspicious, t.source), ())) / t.size()
    return total / len(targets)


def recall(cases: Sequence[Annotation], detections: Sequence[Annotation]) -> float:
    """Macro-averaged recall: mean share of each case's characters that is detected."""
    return _mean_coverage(cases, detections)


def precision(cases: Sequence[Annotation], detections: Sequence[Annotation]) -> float:
    """Macro-averaged precision: mean share of each detection's characters that is reuse."""
    return _mean_coverage(detections, cases)


def granularity(cases: Sequence[Annotation], detections: Sequence[Annotation]) -> tuple[float, int]:
    """Mean number of detections per detected case (1 when nothing is detected), and that count."""
    by_pair = defaultdict(list)
    for d in detections:
        by_pair[(d.suspicious, d.source)].append(d)
    counts = [sum(detects(c, d) for d in by_pair.get((c.suspicious, c.source), ())) for c in cases]
    detected = [n for n in counts if n]
    return (sum(detected) / len(detected) if detected else 1.0), len(detected)


def plagdet(precision_: float, recall_: float, granularity_: float) -> float:
    """F1 of precision and recall, divided by ``log2(1 + granularity)``."""
    if precision_ + recall_ == 0:
        return 0.0
    return 2 * precision_ * recall_ / (precision_ + recall_) / math.log2(1 + granularity_)


def score(cases: Sequence[Annotation], detections: Sequence[Annotation]) -> Scores:
    """Precision, recall, granularity and plagdet of ``detections`` against ``cases``."""
    p, r = precision(cases, detections), recall(cases, detections)
    g, detected = granularity(cases, detections)
    return Scores(p, r, g, plagdet(p, r, g), len(cases), len(detections), detected)
