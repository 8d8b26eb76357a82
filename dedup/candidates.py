"""Candidate pairs: whole-document MinHash LSH, and a sampled-shingle index for passages.

Both are approximate on purpose; every pair they return is verified before it counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from .config import ScanConfig
from .models import Sketch

# Holders of a very common sampled shingle are paired only with this many representatives.
_REPRESENTATIVES = 3


def lsh_pairs(sketches: Sequence[Sketch], config: ScanConfig) -> set[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, whose body signatures collide in MinHash LSH.

    Pairs are read from the LSH buckets directly (every bucket holding two or more
    documents), which gives what querying each document would, at half the cost.
    """
    lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
    with lsh.insertion_session() as session:
        for index, item in enumerate(sketches):
            if len(item.shingles):
                signature = LeanMinHash(seed=config.seed, hashvalues=item.minhash, scheme="affine32")
                session.insert(index, signature, check_duplication=False)
    pairs = set()
    for table in lsh.hashtables:
        for bucket in table.keys():
            members = sorted(table.get(bucket))
            if len(members) > 1:
                pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return pairs


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
    codes: list[np.ndarray] = []
    twos = starts[sizes == 2]
    codes.append(all_owners[twos] * n + all_owners[twos + 1])
    for start, end in zip(starts[sizes > 2], ends[sizes > 2]):
        group = all_owners[start:end]
        if len(group) <= config.passage_max_df:
            i, j = np.triu_indices(len(group), k=1)
        else:
            i = np.repeat(np.arange(_REPRESENTATIVES), len(group))
            j = np.tile(np.arange(len(group)), _REPRESENTATIVES)
            keep = i < j
            i, j = i[keep], j[keep]
        codes.append(group[i] * n + group[j])
    if not codes:
        return set()
    unique, counts = np.unique(np.concatenate(codes), return_counts=True)
    chosen = unique[counts >= config.passage_min_sampled]
    return {(int(c // n), int(c % n)) for c in chosen}
