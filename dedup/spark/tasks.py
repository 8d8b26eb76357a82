"""The work of the Spark engine's tasks: plain functions over one partition's items.

Nothing here imports pyspark, and nothing decides anything of its own: every task calls the
functions the local engine calls (``dedup.batches``, ``boilerplate``, ``candidates``,
``ingest``), on the items Spark brought together, so both engines find the same things.
Documents are numbered in id order (``index``), as the local engine numbers them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from .. import batches, boilerplate, candidates, ingest, verify
from ..cluster import rank_key
from ..config import ScanConfig
from ..models import Document, Link, Sketch

#: Flags of a candidate pair: found by LSH, by the passage index.
BY_LSH, BY_PASSAGE = 1, 2


def load_files(items: Iterable[tuple[int, str]], root: str, config: ScanConfig) -> Iterator[tuple]:
    """``(number, file or problem, documents, problems inside)`` of each ``(number, path)``
    of a local folder ``root`` (``ingest.load``)."""
    for number, path in items:
        found, docs, problems = ingest.load(Path(root), path, config)
        yield number, found, [ingest.root_scoped(d, root) for d in docs or []], problems


def parse_files(items: Iterable[tuple[int, str, bytes]], root: str, config: ScanConfig) -> Iterator[tuple]:
    """The same as ``load_files`` for files Spark read (``(number, relative path, bytes)``)."""
    for number, path, data in items:
        found, docs, problems = ingest.load_bytes(path, bytes(data), config)
        yield number, found, [ingest.root_scoped(d, root) for d in docs or []], problems


def sketch_documents(items: Iterable[tuple[int, Document]], config: ScanConfig) -> Iterator[tuple[int, Sketch]]:
    """``(index, sketch)`` of each ``(index, document)``."""
    items = list(items)
    made = batches.sketch_texts(((d.id, d.text) for _, d in items), config)
    yield from zip((index for index, _ in items), made)


def postings(items: Iterable[tuple[int, Sketch]], parts: int, sampled: ScanConfig | None = None) -> Iterator[tuple]:
    """Every ``(shingle, document index)`` of a partition's sketches, as numpy arrays split into
    ``parts`` by shingle (``(part, (hashes, owners))``), so that one task sees every carrier
    of a shingle. With ``sampled`` (a config), only the passage index's sampled shingles."""
    hashes, owners = [], []
    for index, item in items:
        kept = candidates.sampled_shingles(item, sampled) if sampled else item.shingles
        hashes.append(kept)
        owners.append(np.full(len(kept), index, dtype=np.int64))
    if not hashes:
        return
    hashes, owners = np.concatenate(hashes), np.concatenate(owners)
    part = hashes % parts
    for number in np.unique(part):
        chosen = part == number
        yield int(number), (hashes[chosen], owners[chosen])


def _joined(chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    chunks = list(chunks)
    if not chunks:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64)
    return np.concatenate([h for h, _ in chunks]), np.concatenate([o for _, o in chunks])


def sample_carriers(part: int, chunks, site_codes: np.ndarray, counts: np.ndarray, config: ScanConfig) -> tuple:
    """One part of the shingles: those that may be boilerplate, their sampled carriers and
    the pair codes of the carriers to compare (``boilerplate.sampled_carriers``)."""
    hashes, owners = _joined(chunks)
    groups, samples = boilerplate.sampled_carriers(hashes, owners, site_codes, counts, corpus_min_docs=config.boilerplate_min_docs)
    return part, (groups, samples, boilerplate.pair_codes(samples, len(counts)))


def related_codes(items: Iterable[tuple[int, np.ndarray, np.ndarray]], site_codes, counts, config: ScanConfig) -> Iterator[int]:
    """The codes of the related pairs among ``(pair code, signature a, signature b)``."""
    items = list(items)
    if not items:
        return
    codes = np.array([code for code, _, _ in items], dtype=np.int64)
    a, b = np.divmod(codes, len(counts))
    related = boilerplate.related_pairs(
        a, b, np.stack([x for _, x, _ in items]), np.stack([y for _, _, y in items]), counts, site_codes,
        config.boilerplate_max_related, config.boilerplate_site_related,
    )
    yield from (int(c) for c in codes[related])


def furniture(found: tuple, related: Iterable[int]) -> np.ndarray:
    """The boilerplate shingles of one part, given the related pairs among its carriers."""
    groups, samples, codes = found
    return boilerplate.furniture(groups, samples, codes, np.array(sorted(related), dtype=np.int64))


def bucket_codes(members: Iterable[int], n: int, config: ScanConfig) -> list[int]:
    """The pair codes of one LSH bucket (``candidates.group_pairs``)."""
    members = np.array(sorted(members), dtype=np.int64)
    if len(members) < 2:
        return []
    found = candidates.group_pairs(members, np.array([0]), np.array([len(members)]), n, config.lsh_max_bucket)
    return [int(c) for codes in found for c in codes]


def sample_counts(chunks, n: int, max_df: int) -> Iterator[tuple[int, int]]:
    """``(pair code, shared sampled shingles)`` of one part of the passage index."""
    hashes, owners = _joined(chunks)
    codes = candidates.sample_pair_codes(hashes, owners, n, max_df)
    unique, counts = np.unique(codes, return_counts=True)
    yield from zip(unique.tolist(), counts.tolist())


def measure(items: Iterable[tuple], config: ScanConfig) -> Iterator[tuple]:
    """``(first index, second index, flags, figures)`` of each candidate pair
    ``(first, second, flags, first sketch, second sketch)`` that may be a link."""
    items = list(items)
    found = batches.measure_pairs(((a, b) for _, _, _, a, b in items), config)
    for (i, j, flags, a, b), figures in zip(items, found):
        if figures is not None:
            yield i, j, flags, a.doc_id, b.doc_id, figures


def sentences(items: Iterable[tuple[int, Document]], found: np.ndarray, config: ScanConfig) -> Iterator[tuple]:
    """``(index, sentences)`` of each ``(index, document)``."""
    items = list(items)
    yield from zip((index for index, _ in items), batches.sentences_of((d.text for _, d in items), found, config))


def link(record: tuple, a, b, config: ScanConfig) -> tuple[int, int, Link, np.ndarray] | None:
    """``(first index, second index, link, shared shingles)`` of a measured pair
    (``measure``'s record), after sentence matching where it decides (``a``, ``b``: the two
    documents' sentences); None when the pair is neither copy nor reuse."""
    i, j, flags, first_id, second_id, figures = record
    figures: verify.Measures | None = batches.complete(figures, a, b, config)
    if figures is None:
        return None
    made = batches.make_link(
        first_id, second_id, figures, by_lsh=bool(flags & BY_LSH), by_passage=bool(flags & BY_PASSAGE), config=config
    )
    return i, j, made, figures.shared_shingles


def settle(docs: Iterable[Document], links: Iterable[tuple[Link, np.ndarray]], config: ScanConfig) -> tuple:
    """One connected component of links settled as the local engine settles all of them
    (``batches.settle``): ``(clusters with their first rank keys and (decision, decision key),
    oriented links)``.
    The clusters' ids are numbered within the component; the engine numbers them again."""
    by_id = {d.id: d for d in docs}
    links = sorted(links, key=lambda item: (item[0].source_id, item[0].copy_id))
    shared = {(l.source_id, l.copy_id): s for l, s in links}
    outcome = batches.settle([l for l, _ in links], shared, by_id, {}, config)
    made = [
        (min(rank_key(by_id[m]) for m in c.member_ids), c, (outcome.decisions[c.id], outcome.decision_keys[c.id]))
        for c in outcome.clusters
    ]
    return made, outcome.links
