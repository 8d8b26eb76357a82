"""Exact verification of candidate pairs, and whether a pair is a copy, a reuse, or neither.

Measured on the two documents' shingles after boilerplate (``sketch.strip``). Shared
shingles are grouped into runs that follow each other in both documents with small gaps
(a few edited words do not break a run). A run counts only when it is not a quotation
alone (outlets quote the same statement word for word): quoted words count when the run
also shares surrounding text. Two lengths of run matter:

* **copy**: runs of at least ``min_copy_run`` shingles cover at least ``copy_coverage`` of
  the smaller document: a version of the same story (verbatim, an excerpt, an edited or
  expanded version). Short runs count here because a rewritten copy keeps many short runs
  spread over the whole text, while reports of one event written independently share a
  few names and phrases. When the runs cover less than that of the larger document too,
  the smaller must be its lead (an excerpt starts where the story starts): a short text
  found deeper inside a long one is one item of a digest, a running file or a live blog,
  a reuse;
* **rewritten copy**: failing that, sentences of the other document rewrite at least
  ``rewrite_coverage`` of the smaller one (a newspaper's rewrite of wire copy: sentence by
  sentence, the content words agree, in any order; see ``rewritten_coverage``);
* **reuse**: not a copy, but at least ``min_reuse`` shingles in passages, runs of at least
  ``min_run`` (more than one sentence of text: two paragraphs of wire background in another
  story, one item of a digest);
* otherwise nothing: one shared sentence or a shared quotation is neither.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .config import ScanConfig
from .models import LinkRelation, Sentences, Sketch
from .sketch import in_sorted

# Shared shingles whose positions are at most this many tokens apart belong to one passage
# (lets a run survive a few edited words).
RUN_GAP = 8
# An excerpt is the lead of the text it comes from: its shared runs start in this first share
# of the larger document. A short text found further inside a much longer one is one item
# of a digest or running file.
LEAD_SHARE = 0.2


@dataclass(frozen=True, eq=False)
class Measures:
    """Similarity figures of one pair (a = first document, b = second)."""

    jaccard: float
    containment: float  # share of the smaller document's shingles found in the other
    a_containment: float  # share of a's shingles found in b
    b_containment: float  # share of b's shingles found in a
    coverage: float  # share of the smaller document covered by shared runs
    a_coverage: float  # share of a covered by runs shared with b
    b_coverage: float  # share of b covered by runs shared with a
    shared: int  # shingles in shared runs of at least ``min_copy_run``
    in_passages: int  # shingles in shared passages (runs of at least ``min_run``)
    longest_run: int  # shingles in the longest shared passage
    larger_start: float  # where the shared runs start in the larger document (0 = its beginning, 1 = its end)
    shared_shingles: np.ndarray  # the hashes of the shared shingles
    common: int  # shared shingles, in runs or not
    #: share of the smaller document in sentences the other rewrites (see ``with_sentences``)
    rewritten: float = 0.0

    def needs_sentences(self, config: ScanConfig) -> bool:
        """Whether sentence matching could make this pair a copy: it shares some text (``min_run``
        shingles), but its runs do not make it one. Sentence matching costs more than
        shingles, so only such pairs pay for it."""
        return self.common >= config.min_run and self.relation(config) != LinkRelation.COPY

    def with_sentences(self, a: Sentences, b: Sentences, config: ScanConfig) -> "Measures":
        """The figures with ``rewritten`` measured on the two documents' sentences."""
        small, large = (a, b) if a.tokens.sum() <= b.tokens.sum() else (b, a)
        found = rewritten_coverage(small, large, min_dice=config.rewrite_dice, min_words=config.rewrite_min_words)
        return replace(self, rewritten=found)

    def relation(self, config: ScanConfig) -> LinkRelation | None:
        """Copy, reuse, or None (see the module doc)."""
        larger = min(self.a_coverage, self.b_coverage)
        item_inside = larger < config.copy_coverage and self.larger_start > LEAD_SHARE
        if self.shared >= config.min_copy and self.coverage >= config.copy_coverage and not item_inside:
            return LinkRelation.COPY
        if self.rewritten >= config.rewrite_coverage:
            return LinkRelation.COPY
        if self.in_passages >= config.min_reuse:
            return LinkRelation.REUSE
        return None


def measure(a: Sketch, b: Sketch, config: ScanConfig) -> Measures:
    """Compare two (boilerplate-free) sketches exactly."""
    shared, a_index, b_index = np.intersect1d(a.shingles, b.shingles, assume_unique=True, return_indices=True)
    union = len(a.shingles) + len(b.shingles) - len(shared)
    quoted = a.quoted[a_index] | b.quoted[b_index]
    a_positions, b_positions = a.positions[a_index], b.positions[b_index]

    def counted(min_run: int) -> np.ndarray:
        # A run in one document may be scattered in the other: keep what both agree on.
        return _in_passages(a_positions, quoted, min_run, config) & _in_passages(b_positions, quoted, min_run, config)

    covered = counted(config.min_copy_run)
    passages = counted(config.min_run)
    runs = _runs(a_positions[passages])
    count = int(covered.sum())
    a_size, b_size = len(a.shingles), len(b.shingles)
    smaller = min(a_size, b_size)
    larger, larger_positions = (a, a_positions) if a_size >= b_size else (b, b_positions)
    end = int(larger.positions.max()) if len(larger.positions) else 0
    start = int(larger_positions[covered].min()) / end if covered.any() and end else 0.0
    return Measures(
        jaccard=len(shared) / union if union else 0.0,
        containment=len(shared) / smaller if smaller else 0.0,
        a_containment=len(shared) / a_size if a_size else 0.0,
        b_containment=len(shared) / b_size if b_size else 0.0,
        coverage=count / smaller if smaller else 0.0,
        a_coverage=count / a_size if a_size else 0.0,
        b_coverage=count / b_size if b_size else 0.0,
        shared=count,
        in_passages=int(passages.sum()),
        longest_run=int(runs.max()) if len(runs) else 0,
        larger_start=start,
        common=len(shared),
        shared_shingles=shared,
    )


def rewritten_coverage(small: Sentences, large: Sentences, *, min_dice: float, min_words: int) -> float:
    """Share of ``small``'s tokens in sentences that a sentence of ``large`` rewrites.

    Two sentences match when the Dice coefficient of their content words reaches
    ``min_dice``; sentences with fewer than ``min_words`` content words never match (a short
    line of names says nothing). Word order is free: a rewrite moves words around.
    """
    total = int(small.tokens.sum())
    if total == 0 or len(large.words) == 0:
        return 0.0
    # ``words`` are sorted: membership is a binary search.
    a = in_sorted(small.words, large.words)
    if not a.any():
        return 0.0
    b = in_sorted(large.words, small.words)
    a_words, a_ids = small.words[a], small.ids[a]
    b_words, b_ids = large.words[b], large.ids[b]
    # Every (sentence of small, sentence of large) pair that shares a word, once per word,
    # as a cell number of the (small × large) sentence matrix.
    b_start = np.searchsorted(b_words, a_words, side="left")
    b_count = np.searchsorted(b_words, a_words, side="right") - b_start
    repeat = np.repeat(np.arange(len(a_words)), b_count)
    offset = np.arange(len(repeat)) - np.repeat(np.cumsum(b_count) - b_count, b_count)
    width = len(large.sizes)
    cells = a_ids[repeat].astype(np.int64) * width + b_ids[b_start[repeat] + offset]
    # Count the words each cell shares: densely when the matrix is small beside the cells.
    if len(small.sizes) * width <= 4 * len(cells) + 4096:
        counts = np.bincount(cells, minlength=len(small.sizes) * width)
        cells = np.flatnonzero(counts)
        counts = counts[cells]
    else:
        cells, counts = np.unique(cells, return_counts=True)
    rows, columns = np.divmod(cells, width)
    dice = 2 * counts / (small.sizes[rows] + large.sizes[columns]).clip(min=1)
    matched = np.zeros(len(small.sizes), dtype=bool)
    matched[rows[dice >= min_dice]] = True
    matched &= small.sizes >= min_words
    return float(small.tokens[matched].sum() / total)


def _in_passages(positions: np.ndarray, quoted: np.ndarray, min_run: int, config: ScanConfig) -> np.ndarray:
    """Which shared shingles (at ``positions`` in one document) belong to a passage that counts."""
    keep = np.zeros(len(positions), dtype=bool)
    if len(positions) == 0:
        return keep
    order = np.argsort(positions, kind="stable")
    ordered = positions[order]
    run_of = np.concatenate(([0], np.cumsum(np.diff(ordered) > RUN_GAP)))
    lengths = np.bincount(run_of)
    free = np.bincount(run_of, weights=~quoted[order])
    counts = (lengths >= min_run) & (free >= min(config.min_run_unquoted, min_run))
    keep[order] = counts[run_of]
    return keep


def _runs(positions: np.ndarray) -> np.ndarray:
    """The lengths of the runs of ``positions`` (gaps of at most RUN_GAP)."""
    ordered = np.sort(positions)
    breaks = np.flatnonzero(np.diff(ordered) > RUN_GAP)
    edges = np.concatenate(([0], breaks + 1, [len(ordered)]))
    return np.diff(edges)
