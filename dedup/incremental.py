"""What a scan would find about a few new documents, from the stored index instead of a scan.

``pipeline.detect`` over the stored documents and the new ones, restricted to what the new
ones reach, computed from the lookup index (``db.index``) of the last scan:

1. **boilerplate**: a shingle's standing depends only on the documents that carry it, so only
   the new documents' shingles can change; each is decided again on all its carriers
   (``boilerplate`` functions on just those carriers, numbered in the same order). A stored
   document carrying a shingle whose standing changed is *touched*;
2. **candidates**: the stored documents that share an LSH band or ``passage_min_sampled``
   sampled shingles with a new one (the same caps on large buckets); a touched document keeps
   its candidates of the last scan (``index_pairs``), or, when its sampled shingles changed,
   is grouped again like a new one;
3. **verification** of the pairs with a new or a touched document, as a scan verifies them;
4. **settling**: the connected component of the stored links that the new links and the
   touched documents reach is verified again from its sketches (so every figure is the one a
   scan computes) and settled with the new links (``batches.settle``); cluster ids follow the
   stored ones;
5. **alignment** of the new links (the stored passages for the others).

When the new documents would change the candidates among stored documents (an LSH bucket or
a sampled shingle crosses its cap, or gets a new representative), a stored document would
gain or lose all its shingles to boilerplate, or the index does not describe the last scan
with the same settings and versions, ``NeedsScan`` says why, and the caller scans instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from sqlite_utils import Database

from . import align, batches, boilerplate, candidates, pipeline, provenance, sketch
from .config import ScanConfig
from .db import index, read
from .models import Cluster, Document, Link, Passage, Sketch
from .workers import parallel_map


class NeedsScan(Exception):
    """The index cannot answer exactly: a scan must (the message says why)."""


@dataclass(frozen=True)
class Addition:
    """What a scan with ``new`` documents added would find in the part of the corpus they reach.

    ``documents`` are the new documents and the stored ones of the component their links
    reach; ``links`` (source → copy) and ``clusters`` are those among them, ``decisions`` the
    clusters' provenance (with the copies' relations), ``alignments`` each link's passages
    and coverage, in link order. ``touched`` are the stored documents whose boilerplate the new
    ones changed (their candidates and links were found again); ``component`` the stored
    documents whose stored links and clusters ``links`` and ``clusters`` replace.

    What extends the index (``db.index.extend``): ``sketches`` (of the new documents, before
    boilerplate, in id order) and ``banded`` (whether each has shingles left), ``boilerplate``
    (the shingles that are boilerplate with the new documents in), and ``candidates``: every
    candidate pair (id pairs, LSH's and the passage index's) of the new and touched documents.
    """

    documents: dict[str, Document]
    links: list[Link]
    clusters: list[Cluster]
    decisions: dict[int, provenance.Decision]
    decision_keys: dict[int, str]
    alignments: list[tuple[list[Passage], align.Coverage]]
    touched: tuple[str, ...]
    component: frozenset[str]
    sketches: list[Sketch]
    banded: np.ndarray
    boilerplate: np.ndarray
    candidates: tuple[set[tuple[str, str]], set[tuple[str, str]]]


def add(db: Database, new: Sequence[Document], config: ScanConfig, versions: dict, workers: int = 1) -> Addition:
    """What a scan of the stored documents of ``db`` with ``new`` added finds about the new
    ones, computed from the index. Raises ``NeedsScan`` when the index cannot say it exactly.
    ``versions`` are the running versions (``pipeline.versions``); ``workers`` processes
    sketch and align (the result does not depend on it)."""
    state = index.load_state(db)
    latest = read.last_scan(db, 2**62)
    if state is None or latest is None or state.scan_id != latest["id"]:
        raise NeedsScan("the index does not describe the last scan")
    if state.config_fingerprint != config.fingerprint() or state.versions != versions:
        raise NeedsScan("the last scan ran with other settings or versions")
    if not new:
        return Addition(
            documents={}, links=[], clusters=[], decisions={}, decision_keys={}, alignments=[], touched=(), component=frozenset(),
            sketches=[], banded=np.zeros(0, dtype=bool), boilerplate=state.boilerplate, candidates=(set(), set()),
        )
    new = sorted(new, key=lambda d: d.id)
    raw = parallel_map(partial(batches.sketch_texts, config=config), [(d.id, d.text) for d in new], workers)
    own = np.unique(np.concatenate([s.shingles for s in raw])) if raw else np.zeros(0, dtype=np.uint32)
    held_hashes, held_numbers = index.carriers(db, state, own)
    below = [index.numbers_below(db, state, d.id) for d in new]
    decided = _decide_boilerplate(db, state, new, raw, below, held_hashes, held_numbers, config)
    found = _patched(state.boilerplate, own, decided)
    # A stored document that carries a shingle whose standing changed is "touched": its
    # stripped sketch changes, so its links are found again like a new one's.
    carried = np.unique(held_hashes)
    flipped = carried[sketch.in_sorted(carried, state.boilerplate) != sketch.in_sorted(carried, decided)]
    touched_numbers = np.unique(held_numbers[np.isin(held_hashes, flipped)])
    touched_ids = index.document_ids(db, touched_numbers)
    touched_raw = read.sketches_by_id(db, touched_ids)
    # A touched document whose sampled shingles (the passage index's) did not change keeps its
    # candidates of the last scan; one whose did is grouped again like a new one.
    sampled_flips = flipped[flipped % config.passage_sample == 0]
    regrouped = np.array([n for n, i in zip(touched_numbers.tolist(), touched_ids)
                          if sketch.in_sorted(touched_raw[i].shingles, sampled_flips).any()], dtype=np.int64)
    query = Query(new, below, state.ranks, [sketch.strip(s, found) for s in raw], touched_numbers,
                  [sketch.strip(touched_raw[i], found) for i in touched_ids], flipped, regrouped)
    if any(state.banded[n] != bool(len(after.shingles)) for n, after in zip(touched_numbers.tolist(), query.touched)):
        raise NeedsScan("a stored document gains or loses all its shingles to boilerplate")
    by_lsh, by_passage = _candidates(db, state, query, held_hashes, held_numbers, config)
    stored_ids = sorted({end for pair in by_lsh | by_passage for end in pair} - {d.id for d in new} - set(touched_ids))
    sketches = {s.doc_id: s for s in (*query.new_sketches, *query.touched)} | {
        doc_id: sketch.strip(s, found) for doc_id, s in read.sketches_by_id(db, stored_ids).items()
    }
    by_lsh = {pair for pair in by_lsh if _share_band(sketches[pair[0]], sketches[pair[1]], config)}
    pairs = sorted(by_lsh | by_passage)
    docs = {d.id: d for d in new} | read.documents_by_id(db, [*stored_ids, *touched_ids])
    links, shared = batches.verify_pairs(pairs, sketches, docs, found, config, by_lsh, by_passage)
    queried = {d.id for d in new} | set(touched_ids)
    reached = ({end for l in links for end in (l.source_id, l.copy_id)} | set(touched_ids)) - {d.id for d in new}
    component, stored_links = read.linked_component(db, reached)
    docs |= read.documents_by_id(db, component - docs.keys())
    sketches |= {doc_id: sketch.strip(s, found) for doc_id, s in read.sketches_by_id(db, component - sketches.keys()).items()}
    # The stored links between two untouched documents are verified again (their stored
    # figures are rounded); those of touched documents were found again above.
    methods = {(min(s, c), max(s, c)): method.split("+") for s, c, method in stored_links if s not in queried and c not in queried}
    again, again_shared = batches.verify_pairs(
        sorted(methods), sketches, docs, found, config,
        {p for p, m in methods.items() if "lsh" in m}, {p for p, m in methods.items() if "passage" in m},
    )
    if len(again) != len(methods):
        raise NeedsScan("a stored link is not found again from its sketches")
    previous = read.clusters_touching(db, component)
    previous.setdefault(read.largest_cluster_id(db), frozenset())  # new clusters are numbered after it
    known = read.stored_decisions(db, previous)  # groups with an unchanged decision key keep their decision
    # In pair order, as a scan settles them (a decision's key hashes its links in order).
    verified = sorted(links + again, key=lambda l: (l.source_id, l.copy_id))
    decide_all = partial(parallel_map, provenance.decide_items, workers=workers, min_items=pipeline.PARALLEL_MIN_GROUPS)
    outcome = batches.settle(verified, shared | again_shared, docs, previous, config, decide_all, known)
    stored = read.alignments_of(db, [(l.source_id, l.copy_id) for l in outcome.links])
    alignments = pipeline.align_links(outcome.links, list(docs.values()), workers, known=stored)
    aligned = {(l.source_id, l.copy_id): passages for l, (passages, _) in zip(outcome.links, alignments)}
    return Addition(
        documents=docs, links=outcome.links, clusters=outcome.clusters,
        decisions=provenance.with_passages(outcome.decisions, outcome.links, aligned),
        decision_keys=outcome.decision_keys, alignments=alignments, touched=tuple(touched_ids), component=frozenset(component),
        sketches=raw, banded=np.array([len(s.shingles) > 0 for s in query.new_sketches], dtype=bool), boilerplate=found,
        candidates=(by_lsh, by_passage),
    )


@dataclass(frozen=True)
class Query:
    """The documents whose candidates are looked up: the new ones (with ``below``: how many
    stored ids precede each; ``ranks``: each stored number's place in id order) and the
    touched stored ones (by number), each with its sketch
    without boilerplate; ``flipped`` are the shingles whose boilerplate standing changed, and
    ``regrouped`` the touched documents whose sampled shingles did (by number)."""

    new: Sequence[Document]
    below: Sequence[int]
    ranks: np.ndarray
    new_sketches: Sequence[Sketch]
    touched_numbers: np.ndarray
    touched: Sequence[Sketch]
    flipped: np.ndarray
    regrouped: np.ndarray

    def key(self, member) -> tuple:
        """The id order of a member: a stored number, or ``("new", k)``."""
        if isinstance(member, tuple):
            return (self.below[member[1]], 0, self.new[member[1]].id)
        return (int(self.ranks[member]), 1, "")


def _patched(boilerplate: np.ndarray, own: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """The sorted ``boilerplate`` with the shingles of ``own`` (sorted) decided again: those
    of ``decided`` (sorted, a part of ``own``) in, the others out (without sorting it again)."""
    at = np.searchsorted(boilerplate, own).clip(max=max(len(boilerplate) - 1, 0))
    kept = np.delete(boilerplate, at[boilerplate[at] == own]) if len(boilerplate) else boilerplate
    return np.insert(kept, np.searchsorted(kept, decided), decided).astype(np.uint32)


def _order(new: Sequence[Document], below: Sequence[int], numbers: np.ndarray, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local numbers, in id order, for the stored document ``numbers`` (unique; ``ranks``
    gives each number's place in id order) and the new documents (in id order; ``below``
    says how many stored ids precede each)."""
    # A stored document of rank r sorts at 2r + 1; a new document at 2 * below, before the
    # stored one that follows it (new documents with the same ``below`` keep their id order).
    primary = np.concatenate([2 * ranks[np.asarray(numbers, dtype=np.int64)] + 1, 2 * np.asarray(below, dtype=np.int64)])
    secondary = np.concatenate([np.zeros(len(numbers), dtype=np.int64), np.arange(len(new), dtype=np.int64)])
    rank = np.empty(len(primary), dtype=np.int64)
    rank[np.lexsort((secondary, primary))] = np.arange(len(primary))
    return rank[: len(numbers)], rank[len(numbers) :]


def _decide_boilerplate(db, state, new, raw, below, held_hashes, held_numbers, config: ScanConfig) -> np.ndarray:
    """Which of the new documents' shingles are boilerplate once they are added: each decided
    by the ``boilerplate`` functions on all its carriers, stored and new."""
    stored_numbers = np.unique(held_numbers)
    local_stored, local_new = _order(new, below, stored_numbers, state.ranks)
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
    minhash = read.signatures_by_id(db, ids)
    for local, doc_id in zip(involved, ids):
        signatures[local] = minhash[doc_id]
    for k, s in enumerate(raw):
        signatures[local_new[k]] = s.minhash
    related = boilerplate.related_pairs(
        a, b, signatures[a], signatures[b], counts, site_codes, config.boilerplate_max_related, config.boilerplate_site_related
    )
    return boilerplate.furniture(groups, samples, codes, wanted[related])


def _group_pairs(
    query: Query, base: int, stored: np.ndarray, new_members: Sequence[int], regrouped: np.ndarray, cap: int, what: str, *, appeared: bool
) -> np.ndarray:
    """The pair codes (see ``_group_candidates``) a group (an LSH bucket or a sampled
    shingle) makes that involve a new or a ``regrouped`` document, as ``candidates.group_pairs``
    makes them: its stored members ``stored`` (numbers, sorted) and the new documents
    ``new_members``. Raises ``NeedsScan`` when the new members change the pairs among the
    stored ones (the group crosses its cap, or a new member becomes one of its
    representatives), unless the group ``appeared`` (all its stored members are touched)."""
    span = base + len(query.new)
    size = len(stored) + len(new_members)
    if size < 2:
        return np.zeros(0, dtype=np.int64)
    if new_members and not appeared and len(stored) <= cap < size:
        raise NeedsScan(f"a new document takes a {what} past its cap")
    members = np.concatenate([stored, base + np.asarray(new_members, dtype=np.int64)])
    queried = np.concatenate([stored[np.isin(stored, regrouped)], members[len(stored) :]])
    if size <= cap:
        partners = [members] * len(queried)
    else:
        # The first members in id order: the first stored ones, and any new one before them.
        first = sorted([*(int(n) for n in stored[: candidates.REPRESENTATIVES]), *(("new", k) for k in new_members)], key=query.key)
        leaders = np.array([base + m[1] if isinstance(m, tuple) else m for m in first[: candidates.REPRESENTATIVES]], dtype=np.int64)
        if new_members and not appeared and (leaders >= base).any():
            raise NeedsScan(f"a new document becomes a representative of a {what} past its cap")
        partners = [members if q in leaders else leaders for q in queried.tolist()]
    codes = [np.minimum(q, others[others != q]) * span + np.maximum(q, others[others != q]) for q, others in zip(queried.tolist(), partners)]
    return np.unique(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)


def _candidates(db, state: index.IndexState, query: Query, held_hashes, held_numbers, config: ScanConfig):
    """The candidate pairs of the queried documents, ``(by_lsh, by_passage)``, as id pairs in id order.

    LSH buckets do not depend on boilerplate: a touched document keeps its LSH candidates of
    the last scan. It keeps its passage candidates too when its sampled shingles did not
    change, except those with a regrouped document (found again from that one's groups).
    The new documents and the regrouped ones are looked up in the index.
    """
    bands, rows = candidates.lsh_bands(config)
    base = state.n_documents  # a pair code names a new document k as base + k
    span = base + len(query.new)
    nothing = np.zeros(0, dtype=np.int64)
    present = [(("new", k), s) for k, s in enumerate(query.new_sketches) if len(s.shingles)]
    lsh_codes = [nothing]
    if present:
        digests = index.band_digests(np.stack([s.minhash for _, s in present]), bands, rows)
        keys, numbers = index.band_members(db, state, digests.ravel())
        own = {m: row for (m, _), row in zip(present, digests)}
        lsh_codes.append(_group_candidates(query, base, own, keys, numbers, nothing, config.lsh_max_bucket, "LSH bucket", set())[0])
    regrouped = set(query.regrouped.tolist())
    sampled = {("new", k): candidates.sampled_shingles(s, config) for k, s in enumerate(query.new_sketches)}
    sampled |= {int(n): candidates.sampled_shingles(s, config) for n, s in zip(query.touched_numbers.tolist(), query.touched) if n in regrouped}
    again = [v for m, v in sampled.items() if not isinstance(m, tuple)]
    extra = index.carriers(db, state, np.concatenate(again)) if again else (held_hashes[:0], held_numbers[:0])
    # Every (sampled shingle, stored holder) once, sorted: both lookups may hold a pair.
    codes = np.unique((np.concatenate([held_hashes, extra[0]]).astype(np.uint64) << np.uint64(32))
                      | np.concatenate([held_numbers, extra[1]]).astype(np.uint64))
    holder_hashes, holder_numbers = (codes >> np.uint64(32)).astype(np.uint32), (codes & np.uint64(0xFFFFFFFF)).astype(np.int64)
    by_rank = np.lexsort((state.ranks[holder_numbers], holder_hashes))  # each shingle's holders in id order
    holder_hashes, holder_numbers = holder_hashes[by_rank], holder_numbers[by_rank]
    passage_codes, counts = _group_candidates(
        query, base, sampled, holder_hashes, holder_numbers, query.regrouped, config.passage_max_df, "sampled shingle",
        set(query.flipped.tolist()),
    )
    passage_codes = [passage_codes[counts >= config.passage_min_sampled]]
    kept = index.partners(db, query.touched_numbers)
    if kept:
        number = np.concatenate([np.full(len(others), n, dtype=np.int64) for n, (others, _) in kept.items()])
        others = np.concatenate([others for others, _ in kept.values()])
        kinds = np.concatenate([kinds for _, kinds in kept.values()])
        codes = np.minimum(number, others) * span + np.maximum(number, others)
        lsh_codes.append(codes[(kinds & index.BY_LSH) > 0])
        passage = ((kinds & index.BY_PASSAGE) > 0) & ~np.isin(number, query.regrouped) & ~np.isin(others, query.regrouped)
        passage_codes.append(codes[passage])
    lsh_codes, passage_codes = np.unique(np.concatenate(lsh_codes)), np.unique(np.concatenate(passage_codes))
    ends = np.concatenate([np.divmod(lsh_codes, span), np.divmod(passage_codes, span)], axis=1)
    wanted = sorted(set(ends[ends < base].tolist()))
    id_of = dict(zip(wanted, index.document_ids(db, wanted))) | {base + k: d.id for k, d in enumerate(query.new)}

    def ids(codes: np.ndarray) -> set[tuple[str, str]]:
        found = set()
        for first, second in zip(*np.divmod(codes, span)):
            a, b = id_of[int(first)], id_of[int(second)]
            found.add((min(a, b), max(a, b)))
        return found

    return ids(lsh_codes), ids(passage_codes)


def _group_candidates(
    query: Query, base: int, own: dict, keys: np.ndarray, numbers: np.ndarray, regrouped: np.ndarray, cap: int, what: str,
    appeared: set,
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs the groups make with a new or a ``regrouped`` document, as sorted pair codes
    (``smaller * span + larger``, a new document k coded ``base + k``), with the number of
    groups that make each.

    A group is a key (an LSH band digest, a sampled shingle): ``own`` maps each new or
    regrouped document to its keys, ``keys``/``numbers`` (sorted) list each key's stored
    holders. ``appeared`` are keys whose group is new (all its stored holders touched). A
    group under its cap with at most one new member pairs each queried member with every
    other member (with numpy, each pair once: from its new end, else from its smaller
    number); so does a group past its cap with no new member and no regrouped one among its
    representatives, with those; the others go through ``_group_pairs``.
    """
    span = base + len(query.new)
    members = list(own)
    mine = [np.unique(own[m]) for m in members]
    values = np.unique(np.concatenate(mine)) if own else np.zeros(0, dtype=keys.dtype)
    # Every (member, key) once: the member's code (a new document k is base + k), the key's place in values.
    codes = np.array([base + m[1] if isinstance(m, tuple) else m for m in members], dtype=np.int64)
    fresh = np.array([isinstance(m, tuple) for m in members], dtype=bool)
    owner = np.repeat(np.arange(len(members)), [len(v) for v in mine])
    at = np.searchsorted(values, np.concatenate(mine)) if own else np.zeros(0, dtype=np.int64)
    starts, ends = np.searchsorted(keys, values, "left"), np.searchsorted(keys, values, "right")
    n_new = np.bincount(at[fresh[owner]], minlength=len(values))
    sizes = ends - starts
    simple = (sizes + n_new <= cap) & (n_new <= 1)
    again = np.isin(numbers, regrouped)
    leading = starts[:, None] + np.arange(candidates.REPRESENTATIVES)[None, :]
    led = (sizes > cap) & (n_new == 0)
    if len(numbers):
        led &= ~again[np.minimum(leading, len(numbers) - 1)].any(axis=1)
    take = simple[at]
    who, where = owner[take], at[take]
    counts = sizes[where]
    spans = np.repeat(starts[where], counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    who = np.repeat(who, counts)
    partners, code = numbers[spans], codes[who]
    # A regrouped member's pairs with smaller regrouped members count from their side.
    keep = fresh[who] | ~again[spans] | (partners > code)
    found = [np.minimum(code, partners)[keep] * span + np.maximum(code, partners)[keep]]
    heads = led[at] & ~fresh[owner]  # a regrouped member in a group past its cap pairs with its representatives
    partners = numbers[leading[at[heads]]].ravel()
    code = np.repeat(codes[owner[heads]], candidates.REPRESENTATIVES)
    found.append(np.minimum(code, partners) * span + np.maximum(code, partners))
    rest = np.flatnonzero(~simple & ~led)
    if len(rest):
        new_of: dict[int, list[int]] = defaultdict(list)
        chosen = fresh[owner] & np.isin(at, rest)
        for place, member in zip(at[chosen].tolist(), owner[chosen].tolist()):
            new_of[place].append(members[member][1])
        for place in rest.tolist():
            stored = numbers[starts[place] : ends[place]]
            found.append(_group_pairs(query, base, stored, new_of[place], regrouped, cap, what, appeared=int(values[place]) in appeared))
    return np.unique(np.concatenate(found), return_counts=True)


def _share_band(a: Sketch, b: Sketch, config: ScanConfig) -> bool:
    """Whether two signatures are equal in one LSH band (a digest match is confirmed)."""
    bands, rows = candidates.lsh_bands(config)
    return any(np.array_equal(a.minhash[i * rows : (i + 1) * rows], b.minhash[i * rows : (i + 1) * rows]) for i in range(bands))
