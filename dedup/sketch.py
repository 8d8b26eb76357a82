"""Word shingles and MinHash signatures (datasketch) of documents."""

from __future__ import annotations

import numpy as np
from dataclasses import replace

from datasketch import MinHash

from .config import ScanConfig
from .models import Sentences, Sketch
from .normalize import STOPWORD_HASHES, TokenHashes, Tokens, sentence_lengths, tokenize

# Odd 64-bit multipliers that mix token hashes into a shingle hash (any fixed odd values work).
_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
     0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
    dtype=np.uint64,
)


def shingle_hashes(hashes: np.ndarray, size: int) -> np.ndarray:
    """32-bit hashes of every run of ``size`` consecutive token hashes (one per start)."""
    if len(hashes) < size:
        if len(hashes) == 0:
            return np.zeros(0, dtype=np.uint32)
        size = len(hashes)
    count = len(hashes) - size + 1
    mixed = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(size):
            mixed = (mixed ^ hashes[offset : offset + count]) * _MIX[offset % len(_MIX)]
    return ((mixed >> np.uint64(32)) ^ (mixed & np.uint64(0xFFFFFFFF))).astype(np.uint32)


def minhash_template(config: ScanConfig) -> MinHash:
    """An empty MinHash whose permutations every signature of a scan shares."""
    return MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=_identity)


def _identity(value):
    return value


def sketch(doc_id: str, tokens: Tokens, config: ScanConfig, template: MinHash) -> Sketch:
    """Shingle a document's text and compute its MinHash signature.

    A shingle counts as quoted when any of its words is inside a quotation; each unique
    shingle keeps its first position (for finding contiguous passages).
    """
    size = config.shingle_size
    shingles = shingle_hashes(tokens.hashes, size)
    in_quote = np.zeros(len(shingles), dtype=bool)
    for offset in range(min(size, len(tokens.hashes))):
        in_quote |= tokens.quoted[offset : offset + len(shingles)]
    unique, first = np.unique(shingles, return_index=True)
    signature = MinHash(
        num_perm=config.num_perm, hashfunc=_identity, permutations=template.permutations, scheme=template.scheme
    )
    if len(unique):
        # One batch item whose "hash" is the whole array: datasketch then permutes all
        # shingle hashes in one vectorised step instead of looping over them in Python.
        signature.update_batch([unique])
    return Sketch(
        doc_id=doc_id,
        shingles=unique,
        positions=first.astype(np.int32),
        quoted=in_quote[first],
        minhash=signature.hashvalues,
    )


def strip(item: Sketch, boilerplate: np.ndarray) -> Sketch:
    """The sketch without its boilerplate shingles (the signature is left as it is)."""
    if len(boilerplate) == 0:
        return item
    keep = ~in_sorted(item.shingles, boilerplate)
    return replace(item, shingles=item.shingles[keep], positions=item.positions[keep], quoted=item.quoted[keep])


def in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_set)`` for a sorted ``sorted_set``, by binary search."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    found = np.searchsorted(sorted_set, values).clip(max=len(sorted_set) - 1)
    return sorted_set[found] == values


def sentences(text: str, boilerplate: np.ndarray, config: ScanConfig, cache: TokenHashes | None = None) -> Sentences:
    """A document's sentences as bags of content words. A sentence mostly inside quotation
    marks, or mostly made of boilerplate shingles, gets no words: it can match nothing (a
    shared quotation or a site's furniture is not a rewrite)."""
    tokens = tokenize(text, cache)
    lengths = sentence_lengths(text)
    count = len(lengths)
    ids = np.repeat(np.arange(count, dtype=np.int32), lengths)
    quoted = np.bincount(ids, weights=tokens.quoted, minlength=count) * 2 > lengths
    shingles = shingle_hashes(tokens.hashes, config.shingle_size)
    starts_in = ids[: len(shingles)][in_sorted(shingles, boilerplate)]
    furniture = np.bincount(starts_in, minlength=count) * 2 > lengths
    content = ~in_sorted(tokens.hashes, STOPWORD_HASHES) & ~(quoted | furniture)[ids]
    words, owners = tokens.hashes[content], ids[content]
    order = np.lexsort((owners, words))
    words, owners = words[order], owners[order]
    distinct = np.ones(len(words), dtype=bool)
    distinct[1:] = (words[1:] != words[:-1]) | (owners[1:] != owners[:-1])
    words, owners = words[distinct], owners[distinct]
    return Sentences(words=words, ids=owners, sizes=np.bincount(owners, minlength=count).astype(np.int32), tokens=lengths)
