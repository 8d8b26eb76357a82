"""Word shingles and MinHash signatures (datasketch) of documents."""

from __future__ import annotations

import numpy as np
from dataclasses import replace

from datasketch import MinHash

from .config import ScanConfig
from .models import Sketch
from .normalize import STOPWORD_HASHES, Tokens

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
    words, ids, sizes = sentence_words(tokens)
    return Sketch(
        doc_id=doc_id,
        shingles=unique,
        positions=first.astype(np.int32),
        quoted=in_quote[first],
        minhash=signature.hashvalues,
        sentence_words=words,
        sentence_ids=ids,
        sentence_sizes=sizes,
        sentence_tokens=tokens.sentences,
    )


def sentence_words(tokens: Tokens) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each sentence's distinct content words: (words, sentence ids) sorted by word, and the
    number of content words per sentence. A sentence mostly inside quotation marks has none:
    a shared quotation is not a rewrite."""
    ids = np.repeat(np.arange(len(tokens.sentences), dtype=np.int32), tokens.sentences)
    quoted = np.bincount(ids, weights=tokens.quoted, minlength=len(tokens.sentences)) * 2 > tokens.sentences
    content = ~np.isin(tokens.hashes, STOPWORD_HASHES) & ~quoted[ids]
    pairs = np.unique(np.stack([tokens.hashes[content], ids[content].astype(np.uint64)]), axis=1)
    words, owners = pairs[0], pairs[1].astype(np.int32)
    return words, owners, np.bincount(owners, minlength=len(tokens.sentences)).astype(np.int32)


def strip(item: Sketch, boilerplate: np.ndarray) -> Sketch:
    """The sketch without its boilerplate shingles, and without the content words of
    sentences that are mostly boilerplate (the signature is left as it is)."""
    if len(boilerplate) == 0:
        return item
    keep = ~np.isin(item.shingles, boilerplate, assume_unique=True)
    # A shingle's first position names the sentence it starts in.
    ends = np.cumsum(item.sentence_tokens)
    starts_in = np.searchsorted(ends, item.positions[~keep], side="right")
    furniture = np.bincount(starts_in, minlength=len(ends))[: len(ends)] * 2 > item.sentence_tokens
    words = ~furniture[item.sentence_ids]
    return replace(
        item,
        shingles=item.shingles[keep],
        positions=item.positions[keep],
        quoted=item.quoted[keep],
        sentence_words=item.sentence_words[words],
        sentence_ids=item.sentence_ids[words],
        sentence_sizes=np.where(furniture, 0, item.sentence_sizes).astype(np.int32),
    )
