"""Exact verification of candidate pairs on their bodies' shingles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import ScanConfig
from .models import Sketch

# Shared shingles whose positions are at most this many tokens apart belong to one passage
# (lets a run survive a few edited words).
RUN_GAP = 8


@dataclass(frozen=True, eq=False)
class Measures:
    """Similarity figures of one pair (a = first document, b = second)."""

    jaccard: float
    containment: float  # shared share of the smaller body
    a_containment: float  # share of a's body found in b
    b_containment: float  # share of b's body found in a
    shared: int  # shared unquoted shingles
    longest_run: int  # shared unquoted shingles in the longest contiguous passage
    shared_shingles: np.ndarray  # the shared unquoted shingle hashes

    def is_copy(self, config: ScanConfig) -> bool:
        """The acceptance rule: most of one body is in the other, or a long passage is shared."""
        whole = self.containment >= config.min_containment and self.shared >= config.min_shared
        return whole or self.longest_run >= config.min_passage


def measure(a: Sketch, b: Sketch) -> Measures:
    """Compare two sketches exactly (Jaccard and containment on unquoted shingles)."""
    all_shared = len(np.intersect1d(a.shingles, b.shingles, assume_unique=True))
    union = len(a.shingles) + len(b.shingles) - all_shared
    shared, a_index, b_index = np.intersect1d(a.unquoted, b.unquoted, assume_unique=True, return_indices=True)
    count = len(shared)
    a_size, b_size = len(a.unquoted), len(b.unquoted)
    run = min(_longest_run(a.unquoted_positions[a_index]), _longest_run(b.unquoted_positions[b_index]))
    return Measures(
        jaccard=all_shared / union if union else 0.0,
        containment=count / min(a_size, b_size) if min(a_size, b_size) else 0.0,
        a_containment=count / a_size if a_size else 0.0,
        b_containment=count / b_size if b_size else 0.0,
        shared=count,
        longest_run=run,
        shared_shingles=shared,
    )


def _longest_run(positions: np.ndarray) -> int:
    """The largest number of positions that follow each other with gaps of at most RUN_GAP."""
    if len(positions) == 0:
        return 0
    ordered = np.sort(positions)
    breaks = np.flatnonzero(np.diff(ordered) > RUN_GAP)
    edges = np.concatenate(([0], breaks + 1, [len(ordered)]))
    return int(np.diff(edges).max())
