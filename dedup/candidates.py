"""Candidate pairs: whole-document MinHash LSH, and a sampled-shingle index for passages.

Both are approximate on purpose; every pair they return is verified before it counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from datasketch import MinHashLSH

from .config import ScanConfig
from .models import Sketch

# Holders of a very common sampled shingle are paired only with this many representatives.
REPRESENTATIVES = 3


def lsh_bands(config: ScanConfig) -> tuple[int, int]:
    """The number of bands and rows per band of MinHash LSH for ``config``: datasketch's
    ``MinHashLSH`` chooses them (minimising false positives and negatives at ``lsh_threshold``)."""
    return _optimal_bands(config.lsh_threshold, config.num_perm)


@cache
def _optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """``lsh_bands`` (datasketch integrates numerically to choose them: once per process)."""
    index = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return index.b, index.r


def lsh_pairs(sketches: Sequence[Sketch], config: ScanConfig) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, whose signatures collide in a band of MinHash LSH.

    The bands (``lsh_bands``) of all signatures are grouped at once with numpy, which gives
    exactly the buckets that inserting each signature into datasketch's index would,
    without a Python call per document and band. Documents without shingles take no part.
    """
    bands, rows = lsh_bands(config)
    present = [i for i, item in enumerate(sketches) if len(item.shingles)]
    if len(present) < 2:
        return set()
    owners = np.array(present, dtype=np.int64)
    signatures = np.stack([sketches[i].minhash for i in present]).astype(np.uint64)
    codes: list[np.ndarray] = []
    n = len(sketches)
    for band in range(bands):
        block = np.ascontiguousarray(signatures[:, band * rows : (band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        _, bucket = np.unique(keys, return_inverse=True)
        codes.extend(_bucket_pairs(bucket.ravel(), owners, n, config.lsh_max_bucket))
    if not codes:
        return set()
    found = np.unique(np.concatenate(codes))
    return {(int(c // n), int(c % n)) for c in found}


def band_keys(minhash: np.ndarray, bands: int, rows: int) -> list[bytes]:
    """The LSH bucket key of one signature in each band: two signatures share a bucket of a
    band exactly when ``lsh_pairs`` puts them in one."""
    values = minhash.astype(np.uint64)
    return [values[band * rows : (band + 1) * rows].tobytes() for band in range(bands)]


def _bucket_pairs(bucket: np.ndarray, owners: np.ndarray, n: int, max_size: int) -> list[np.ndarray]:
    """Pair codes (``i * n + j``) of the owners that share a bucket number (``group_pairs``)."""
    sizes = np.bincount(bucket)
    shared = sizes[bucket] > 1
    if not shared.any():
        return []
    order = np.lexsort((owners[shared], bucket[shared]))
    members, buckets = owners[shared][order], bucket[shared][order]
    starts = np.flatnonzero(np.concatenate(([True], buckets[1:] != buckets[:-1])))
    return group_pairs(members, starts, sizes[buckets[starts]], n, max_size)


def group_pairs(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n: int, max_size: int) -> list[np.ndarray]:
    """Pair codes of each group ``members[start:start + size]`` (members sorted within a
    group): every two members of a group of up to ``max_size``; in a larger group, each
    member with the group's first ``REPRESENTATIVES`` members only, which bounds the work
    on a very common shingle or an LSH bucket of many duplicates."""
    small = sizes <= max_size
    codes = _pairs_within(members, starts[small], sizes[small], n)
    for start, size in zip(starts[~small], sizes[~small]):
        group = members[start : start + size]
        i = np.repeat(np.arange(REPRESENTATIVES), len(group))
        j = np.tile(np.arange(len(group)), REPRESENTATIVES)
        keep = i < j
        codes.append(group[i[keep]] * n + group[j[keep]])
    return codes


def _pairs_within(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n: int) -> list[np.ndarray]:
    """Pair codes (``i * n + j``, ``i < j``) of every two members of each group
    ``members[start:start + size]`` (members sorted within a group); groups of one size are
    paired in one step."""
    codes = []
    for size in np.unique(sizes):
        first = starts[sizes == size]
        block = members[first[:, None] + np.arange(size)[None, :]]  # (groups, size)
        i, j = np.triu_indices(int(size), k=1)
        codes.append((block[:, i] * n + block[:, j]).ravel())
    return codes


def passage_pairs(sketches: Sequence[Sketch], config: ScanConfig) -> set[tuple[int, int]]:
    """Index pairs that share at least ``passage_min_sampled`` sampled shingles (boilerplate excluded).

    One shingle hash in ``passage_sample`` is kept (``sampled_shingles``): a passage of
    reused text yields several shared samples wherever it sits.
    """
    hashes = [sampled_shingles(item, config) for item in sketches]
    if not hashes:
        return set()
    n = len(sketches)
    owners = np.repeat(np.arange(n, dtype=np.int64), [len(h) for h in hashes])
    codes = sample_pair_codes(np.concatenate(hashes), owners, n, config.passage_max_df)
    unique, counts = np.unique(codes, return_counts=True)
    chosen = unique[counts >= config.passage_min_sampled]
    return {(int(c // n), int(c % n)) for c in chosen}


def sampled_shingles(item: Sketch, config: ScanConfig) -> np.ndarray:
    """The shingles of a sketch kept for the passage index: one hash in ``passage_sample``, by
    value, so that two documents keep the same ones."""
    return item.shingles[item.shingles % config.passage_sample == 0]


def sample_pair_codes(hashes: np.ndarray, owners: np.ndarray, n: int, max_df: int) -> np.ndarray:
    """One pair code (``i * n + j``, ``i < j``) per sampled shingle two documents share.

    ``hashes`` and ``owners`` list every (sampled shingle, document number), in any order.
    The holders of a shingle held by more than ``max_df`` documents are paired only with its
    first ``REPRESENTATIVES`` holders. A pair's code occurs once per shingle it shares, so the
    codes of several sets of shingles can be counted together.
    """
    order = np.lexsort((owners, hashes))
    hashes, owners = hashes[order], owners[order]
    boundaries = np.flatnonzero(np.diff(hashes)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(hashes)]))
    sizes = ends - starts
    shared = sizes >= 2
    codes = group_pairs(owners, starts[shared], sizes[shared], n, max_df)
    return np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
