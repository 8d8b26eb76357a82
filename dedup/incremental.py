"""What a scan would find about a few new documents, from the stored index instead of a scan.

``pipeline.detect`` over the stored documents and the new ones, restricted to what touches
the new ones, computed from the lookup index (``db.index``) of the last scan:

1. **boilerplate**: a shingle's standing depends only on the documents that carry it, so only
   the new documents' shingles can change; each is decided again with the stored carriers
   (``boilerplate`` functions on just those carriers, numbered in the same order);
2. **candidates**: the stored documents that share an LSH band or ``passage_min_sampled``
   sampled shingles with a new one (the same caps on large buckets);
3. **verification** of those pairs, as a scan verifies them;
4. **settling**: the connected component of the stored links that the new links reach is
   verified again from its sketches (so every figure is the one a scan computes) and
   settled with the new links (``batches.settle``); cluster ids follow the stored ones;
5. **alignment** of the new links (the stored passages for the others).

When the new documents would change anything among the stored documents alone (a shingle
of theirs becomes or stops being boilerplate, an LSH bucket or a sampled shingle crosses its
cap), or the index does not describe the last scan with the same settings and versions,
``NeedsScan`` says why, and the caller scans instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from sqlite_utils import Database

from . import align, batches, boilerplate, candidates, provenance, sketch
from .config import ScanConfig
from .db import index, read
from .models import Cluster, Document, Link, Passage, Sketch


class NeedsScan(Exception):
    """The index cannot answer exactly: a scan must (the message says why)."""


@dataclass(frozen=True)
class Addition:
    """What a scan with ``new`` documents added would find in the part of the corpus they reach.

    ``documents`` are the new documents and the stored ones of the component their links
    reach; ``links`` (source → copy) and ``clusters`` are those among them, ``decisions`` the
    clusters' provenance (with the copies' relations), ``alignments`` each link's passages
    and coverage, in link order. ``touched`` are the stored documents whose boilerplate the new
    ones changed (their candidates and links were found again).
    """

    documents: dict[str, Document]
    links: list[Link]
    clusters: list[Cluster]
    decisions: dict[int, provenance.Decision]
    decision_keys: dict[int, str]
    alignments: list[tuple[list[Passage], align.Coverage]]
    touched: tuple[str, ...]


def add(db: Database, new: Sequence[Document], config: ScanConfig, versions: dict) -> Addition:
    """What a scan of the stored documents of ``db`` with ``new`` added finds about the new
    ones, computed from the index. Raises ``NeedsScan`` when the index cannot say it exactly.
    ``versions`` are the running versions (``pipeline.versions``)."""
    state = index.load_state(db)
    latest = read.last_scan(db, 2**62)
    if state is None or latest is None or state.scan_id != latest["id"]:
        raise NeedsScan("the index does not describe the last scan")
    if state.config_fingerprint != config.fingerprint() or state.versions != versions:
        raise NeedsScan("the last scan ran with other settings or versions")
    new = sorted(new, key=lambda d: d.id)
    raw = batches.sketch_texts([(d.id, d.text) for d in new], config)
    own = np.unique(np.concatenate([s.shingles for s in raw])) if raw else np.zeros(0, dtype=np.uint32)
    held_hashes, held_numbers = index.carriers(db, own)
    below = [index.numbers_below(db, d.id) for d in new]
    decided = _decide_boilerplate(db, state, new, raw, below, held_hashes, held_numbers, config)
    found = np.union1d(np.setdiff1d(state.boilerplate, own, assume_unique=True), decided).astype(np.uint32)
    # A stored document that carries a shingle whose standing changed is "touched": its
    # stripped sketch changes, so its candidates and links are found again like a new one's.
    carried = np.unique(held_hashes)
    flipped = carried[np.isin(carried, state.boilerplate) != np.isin(carried, decided)]
    touched_numbers = np.unique(held_numbers[np.isin(held_hashes, flipped)])
    touched_ids = index.document_ids(db, touched_numbers)
    touched_raw = read.sketches_by_id(db, touched_ids)
    query = Query(new, below, [sketch.strip(s, found) for s in raw], touched_numbers,
                  [sketch.strip(touched_raw[i], found) for i in touched_ids], flipped)
    for doc_id, after in zip(touched_ids, query.touched):
        if bool(len(sketch.strip(touched_raw[doc_id], state.boilerplate).shingles)) != bool(len(after.shingles)):
            raise NeedsScan("a stored document gains or loses all its shingles to boilerplate")
    by_lsh, by_passage = _candidates(db, query, held_hashes, held_numbers, config)
    stored_ids = sorted({end for pair in by_lsh | by_passage for end in pair} - {d.id for d in new} - set(touched_ids))
    sketches = {s.doc_id: s for s in (*query.new_sketches, *query.touched)} | {
        doc_id: sketch.strip(s, found) for doc_id, s in read.sketches_by_id(db, stored_ids).items()
    }
    by_lsh = {pair for pair in by_lsh if _share_band(sketches[pair[0]], sketches[pair[1]], config)}
    pairs = sorted(by_lsh | by_passage)
    docs = {d.id: d for d in new} | read.documents_by_id(db, [*stored_ids, *touched_ids])
    links, shared = _verify(pairs, sketches, docs, found, config, by_lsh, by_passage)
    queried = {d.id for d in new} | set(touched_ids)
    reached = ({end for l in links for end in (l.source_id, l.copy_id)} | set(touched_ids)) - {d.id for d in new}
    component, stored_links = _component(db, reached)
    docs |= read.documents_by_id(db, component - docs.keys())
    sketches |= {doc_id: sketch.strip(s, found) for doc_id, s in read.sketches_by_id(db, component - sketches.keys()).items()}
    # The stored links between two untouched documents are verified again (their stored
    # figures are rounded); those of touched documents were found again above.
    methods = {(min(s, c), max(s, c)): method.split("+") for s, c, method in stored_links if s not in queried and c not in queried}
    again, again_shared = _verify(
        sorted(methods), sketches, docs, found, config,
        {p for p, m in methods.items() if "lsh" in m}, {p for p, m in methods.items() if "passage" in m},
    )
    if len(again) != len(methods):
        raise NeedsScan("a stored link is not found again from its sketches")
    previous = read.clusters_touching(db, component)
    previous.setdefault(read.largest_cluster_id(db), frozenset())  # new clusters are numbered after it
    outcome = batches.settle(links + again, shared | again_shared, docs, previous, config)
    stored = read.alignments_of(db, [(l.source_id, l.copy_id) for l in outcome.links])
    alignments = [
        (stored[pair], align.coverage(stored[pair], len(docs[pair[0]].text), len(docs[pair[1]].text)))
        if (pair := (l.source_id, l.copy_id)) in stored else batches.align_texts(docs[pair[0]].text, docs[pair[1]].text)
        for l in outcome.links
    ]
    aligned = {(l.source_id, l.copy_id): passages for l, (passages, _) in zip(outcome.links, alignments)}
    return Addition(
        documents=docs, links=outcome.links, clusters=outcome.clusters,
        decisions=provenance.with_passages(outcome.decisions, outcome.links, aligned),
        decision_keys=outcome.decision_keys, alignments=alignments, touched=tuple(touched_ids),
    )


@dataclass(frozen=True)
class Query:
    """The documents whose candidates are looked up: the new ones (with ``below``: how many
    stored ids precede each) and the touched stored ones (by number), each with its sketch
    without boilerplate; ``flipped`` are the shingles whose boilerplate standing changed."""

    new: Sequence[Document]
    below: Sequence[int]
    new_sketches: Sequence[Sketch]
    touched_numbers: np.ndarray
    touched: Sequence[Sketch]
    flipped: np.ndarray

    @cached_property
    def touched_set(self) -> frozenset[int]:
        """The touched documents' numbers."""
        return frozenset(self.touched_numbers.tolist())

    def key(self, member) -> tuple:
        """The id order of a member: a stored number, or ``("new", k)``."""
        if isinstance(member, tuple):
            return (self.below[member[1]], 0, self.new[member[1]].id)
        return (member, 1, "")


def _order(new: Sequence[Document], below: Sequence[int], numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local numbers, in id order, for the stored document ``numbers`` (sorted, unique) and
    the new documents (whose ``below`` say how many stored ids precede each)."""
    keys = [(int(n), 1, "") for n in numbers] + [(b, 0, d.id) for b, d in zip(below, new)]
    rank = {key: i for i, key in enumerate(sorted(keys))}
    return (
        np.array([rank[(int(n), 1, "")] for n in numbers], dtype=np.int64),
        np.array([rank[(b, 0, d.id)] for b, d in zip(below, new)], dtype=np.int64),
    )


def _decide_boilerplate(db, state, new, raw, below, held_hashes, held_numbers, config: ScanConfig) -> np.ndarray:
    """Which of the new documents' shingles are boilerplate once they are added: each decided
    by the ``boilerplate`` functions on all its carriers, stored and new."""
    stored_numbers = np.unique(held_numbers)
    local_stored, local_new = _order(new, below, stored_numbers)
    n = len(stored_numbers) + len(new)
    hashes = np.concatenate([held_hashes, *[s.shingles for s in raw]])
    owners = np.concatenate([local_stored[np.searchsorted(stored_numbers, held_numbers)]]
                            + [np.full(len(s.shingles), local_new[k], dtype=np.int64) for k, s in enumerate(raw)])
    counts, site_codes = np.zeros(n, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    counts[local_stored], site_codes[local_stored] = state.counts[stored_numbers], state.site_codes[stored_numbers]
    code = {name: i for i, name in enumerate(state.sites)}
    for k, doc in enumerate(new):
        site = boilerplate.site_of(doc)
        counts[local_new[k]] = len(raw[k].shingles)
        site_codes[local_new[k]] = -1 if site is None else code.setdefault(site, len(code))
    groups, samples = boilerplate.sampled_carriers(hashes, owners, site_codes, counts, corpus_min_docs=config.boilerplate_min_docs)
    codes = boilerplate.pair_codes(samples, n)
    wanted = np.unique(codes[codes >= 0])
    a, b = np.divmod(wanted, n)
    signatures = np.zeros((n, config.num_perm), dtype=np.uint32)
    stored_of = dict(zip(local_stored.tolist(), stored_numbers.tolist()))
    involved = [i for i in np.unique(np.concatenate([a, b])).tolist() if i in stored_of]
    ids = index.document_ids(db, [stored_of[i] for i in involved])
    minhash = {doc_id: s.minhash for doc_id, s in read.sketches_by_id(db, ids).items()}
    for local, doc_id in zip(involved, ids):
        signatures[local] = minhash[doc_id]
    for k, s in enumerate(raw):
        signatures[local_new[k]] = s.minhash
    related = boilerplate.related_pairs(
        a, b, signatures[a], signatures[b], counts, site_codes, config.boilerplate_max_related, config.boilerplate_site_related
    )
    return boilerplate.furniture(groups, samples, codes, wanted[related])


def _group_pairs(query: Query, stored: np.ndarray, new_members: Sequence[int], cap: int, what: str, *, appeared: bool):
    """The pairs a group (an LSH bucket or a sampled shingle) makes that involve a queried
    document, as ``candidates.group_pairs`` makes them: its stored members ``stored`` (numbers)
    and the new documents ``new_members``. Raises ``NeedsScan`` when the new members change
    the pairs among the stored ones (the group crosses its cap, or a new member becomes one of
    its representatives), unless the group ``appeared`` (all its stored members are touched)."""
    members = sorted([*stored, *(("new", k) for k in new_members)], key=query.key)
    size = len(members)
    if size < 2:
        return set()
    queried = [m for m in members if isinstance(m, tuple) or m in query.touched_set]
    if new_members and not appeared:
        if len(stored) <= cap < size:
            raise NeedsScan(f"a new document takes a {what} past its cap")
        if size > cap and any(isinstance(m, tuple) for m in members[: candidates.REPRESENTATIVES]):
            raise NeedsScan(f"a new document becomes a representative of a {what} past its cap")
    if size <= cap:
        partners = {q: members for q in queried}
    else:
        leaders = members[: candidates.REPRESENTATIVES]
        partners = {q: members if q in leaders else leaders for q in queried}
    return {tuple(sorted((q, m), key=query.key)) for q, others in partners.items() for m in others if m != q}


def _candidates(db, query: Query, held_hashes, held_numbers, config: ScanConfig):
    """The candidate pairs of the queried documents, ``(by_lsh, by_passage)``, as id pairs in id order."""
    bands, rows = candidates.lsh_bands(config)
    queried = [(("new", k), s) for k, s in enumerate(query.new_sketches)]
    queried += [(int(n), s) for n, s in zip(query.touched_numbers, query.touched)]
    lsh_pairs: set[tuple] = set()
    present = [(m, s) for m, s in queried if len(s.shingles)]
    if present:
        digests = index.band_digests(np.stack([s.minhash for _, s in present]), bands, rows)
        keys, numbers = index.band_members(db, digests.ravel())
        new_of: dict[int, list[int]] = defaultdict(list)
        for (member, _), row in zip(present, digests):
            if isinstance(member, tuple):
                for value in row.tolist():
                    new_of[value].append(member[1])
        values = np.unique(digests)
        for value, lo, hi in zip(values.tolist(), np.searchsorted(keys, values, "left"), np.searchsorted(keys, values, "right")):
            stored = numbers[lo:hi].tolist()
            lsh_pairs |= _group_pairs(query, stored, new_of.get(value, []), config.lsh_max_bucket, "LSH bucket", appeared=False)
    sampled = {m: candidates.sampled_shingles(s, config) for m, s in queried}
    touched_sampled = [v for m, v in sampled.items() if not isinstance(m, tuple)]
    extra_hashes, extra_numbers = index.carriers(db, np.concatenate(touched_sampled)) if touched_sampled else (held_hashes[:0], held_numbers[:0])
    all_hashes = np.concatenate([held_hashes, extra_hashes])
    all_numbers = np.concatenate([held_numbers, extra_numbers])
    order = np.lexsort((all_numbers, all_hashes))
    all_hashes, all_numbers = all_hashes[order], all_numbers[order]
    new_holders: dict[int, list[int]] = defaultdict(list)
    for member, values in sampled.items():
        if isinstance(member, tuple):
            for value in values.tolist():
                new_holders[value].append(member[1])
    counts: dict[tuple, int] = defaultdict(int)
    values = np.unique(np.concatenate(list(sampled.values()))) if sampled else np.zeros(0, dtype=np.uint32)
    flipped = set(query.flipped.tolist())
    starts, ends = np.searchsorted(all_hashes, values, "left"), np.searchsorted(all_hashes, values, "right")
    for value, lo, hi in zip(values.tolist(), starts.tolist(), ends.tolist()):
        stored = sorted(set(all_numbers[lo:hi].tolist()))
        found = _group_pairs(query, stored, new_holders.get(value, []), config.passage_max_df, "sampled shingle", appeared=value in flipped)
        for pair in found:
            counts[pair] += 1
    passage_pairs = {pair for pair, count in counts.items() if count >= config.passage_min_sampled}
    wanted = sorted({m for pair in lsh_pairs | passage_pairs for m in pair if not isinstance(m, tuple)})
    id_of = dict(zip(wanted, index.document_ids(db, wanted)))

    def ids(pair: tuple) -> tuple[str, str]:
        a, b = (query.new[m[1]].id if isinstance(m, tuple) else id_of[m] for m in pair)
        return (min(a, b), max(a, b))

    return {ids(p) for p in lsh_pairs}, {ids(p) for p in passage_pairs}


def _share_band(a: Sketch, b: Sketch, config: ScanConfig) -> bool:
    """Whether two signatures are equal in one LSH band (a digest match is confirmed)."""
    bands, rows = candidates.lsh_bands(config)
    return any(np.array_equal(a.minhash[i * rows : (i + 1) * rows], b.minhash[i * rows : (i + 1) * rows]) for i in range(bands))


def _verify(pairs, sketches, docs, found, config: ScanConfig, by_lsh, by_passage):
    """The links of the candidate ``pairs`` (id pairs in id order) and their shared shingles,
    verified as a scan verifies them."""
    measured = batches.measure_pairs(((sketches[a], sketches[b]) for a, b in pairs), config)
    wanted = sorted({d for (a, b), m in zip(pairs, measured) if m is not None and m.needs_sentences(config) for d in (a, b)})
    split = dict(zip(wanted, batches.sentences_of((docs[d].text for d in wanted), found, config)))
    links, shared = [], {}
    for (a, b), figures in zip(pairs, measured):
        figures = batches.complete(figures, split.get(a), split.get(b), config)
        if figures is None:
            continue
        links.append(batches.make_link(a, b, figures, by_lsh=(a, b) in by_lsh, by_passage=(a, b) in by_passage, config=config))
        shared[(a, b)] = figures.shared_shingles
    return links, shared


def _component(db: Database, start: set[str]) -> tuple[set[str], list[tuple[str, str, str]]]:
    """The stored documents linked to ``start`` through stored links (of any relation), and
    those links as ``(source_id, copy_id, method)``."""
    reached, frontier, links = set(start), set(start), set()
    while frontier:
        found = read.links_touching(db, frontier)
        links.update(found)
        frontier = {end for s, c, _ in found for end in (s, c)} - reached
        reached |= frontier
    return reached, sorted(links)
