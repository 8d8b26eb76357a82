"""Candidate pairs: whole-document MinHash LSH, and a sampled-shingle index for passages.

Both are approximate on purpose; every pair they return is verified before it counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from datasketch import MinHashLSH

from .config import ScanConfig
from .models import Sketch

# Holders of a very common sampled shingle are paired only with this many representatives.
_REPRESENTATIVES = 3


def lsh_pairs(sketches: Sequence[Sketch], config: ScanConfig) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, whose signatures collide in a band of MinHash LSH.

    datasketch's ``MinHashLSH`` chooses the bands (``b`` bands of ``r`` rows that minimise
    false positives and negatives at ``lsh_threshold``); the bands of all signatures are
    then grouped at once with numpy, which gives exactly the buckets that inserting each
    signature into the index would, without a Python call per document and band.
    """
    index = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
    bands, rows = index.b, index.r
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
        codes.extend(_bucket_pairs(bucket.ravel(), owners, n))
    if not codes:
        return set()
    found = np.unique(np.concatenate(codes))
    return {(int(c // n), int(c % n)) for c in found}


def _bucket_pairs(bucket: np.ndarray, owners: np.ndarray, n: int) -> list[np.ndarray]:
    """Pair codes (``i * n + j``) of the owners that share a bucket number."""
    sizes = np.bincount(bucket)
    shared = sizes[bucket] > 1
    if not shared.any():
        return []
    order = np.lexsort((owners[shared], bucket[shared]))
    members, buckets = owners[shared][order], bucket[shared][order]
    starts = np.flatnonzero(np.concatenate(([True], buckets[1:] != buckets[:-1])))
    return _pairs_within(members, starts, sizes[buckets[starts]], n)


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

    One shingle hash in ``passage_sample`` is kept (by value, so both documents keep the
    same ones): a passage of reused text yields several shared samples wherever it sits.
    """
    hashes, owners = [], []
    for index, item in enumerate(sketches):
        kept = item.shingles[item.shingles % config.passage_sample == 0]
        hashes.append(kept)
        owners.append(np.full(len(kept), index, dtype=np.int64))
    if not hashes:
        return set()
    all_hashes = np.concatenate(hashes)
    all_owners = np.concatenate(owners)
    order = np.lexsort((all_owners, all_hashes))
    all_hashes, all_owners = all_hashes[order], all_owners[order]
    boundaries = np.flatnonzero(np.diff(all_hashes)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(all_hashes)]))
    sizes = ends - starts
    n = len(sketches)
    small = (sizes >= 2) & (sizes <= config.passage_max_df)
    codes = _pairs_within(all_owners, starts[small], sizes[small], n)
    for start, end in zip(starts[sizes > config.passage_max_df], ends[sizes > config.passage_max_df]):
        group = all_owners[start:end]
        i = np.repeat(np.arange(_REPRESENTATIVES), len(group))
        j = np.tile(np.arange(len(group)), _REPRESENTATIVES)
        keep = i < j
        codes.append(group[i[keep]] * n + group[j[keep]])
    if not codes:
        return set()
    unique, counts = np.unique(np.concatenate(codes), return_counts=True)
    chosen = unique[counts >= config.passage_min_sampled]
    return {(int(c // n), int(c % n)) for c in chosen}
