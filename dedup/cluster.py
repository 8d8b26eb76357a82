"""Group verified links into clusters, the links inside each cluster and the link that
represents each member, the clusters' figures, and cluster ids that stay stable."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .models import Cluster, Document, Link, LinkRelation


def rank_key(doc: Document) -> tuple:
    """The order that decides between documents the provenance evidence does not separate.

    Earliest publication time first (documents without one after those with one), then
    the longer text (a copy more often trims than adds), then the path.
    """
    return (doc.published_at is None, doc.published_at or "", -doc.n_words, doc.path, doc.record or 0)


def group(links: Iterable[Link], shared: Mapping[tuple[str, str], np.ndarray], *, min_overlap: float) -> list[frozenset[str]]:
    """Merge documents joined by copy links into story groups (reuse links join nothing).

    Links are taken strongest first. Each group remembers its story: the shingles its links
    share. A link joins two groups only when at least ``min_overlap`` of what it shares is
    already part of the story of each (non-singleton) group. A digest that carries two
    unrelated stories therefore joins one of them and cannot chain the two together, while
    copies that reuse overlapping parts of one source still meet in that source's story.
    A link between two compilations (documents that each carry several unrelated stories,
    see ``compilations``) spans those stories, so it joins nothing: copies of a digest join
    the story of one of its parts through their own links. ``shared`` maps
    ``(source_id, copy_id)`` to the link's shared shingle hashes. Groups of one are dropped.
    """
    ordered = sorted(
        (l for l in links if l.relation == LinkRelation.COPY),
        key=lambda l: (-l.jaccard, -l.containment, *sorted((l.source_id, l.copy_id))),
    )
    mixed = compilations(ordered, shared, max_overlap=1 - min_overlap)
    group_of: dict[str, int] = {}
    members: dict[int, set[str]] = {}
    story: dict[int, np.ndarray] = {}
    for link in ordered:
        for doc_id in (link.source_id, link.copy_id):
            if doc_id not in group_of:
                group_of[doc_id] = len(group_of)
                members[group_of[doc_id]] = {doc_id}
    for link in ordered:
        a, b = group_of[link.source_id], group_of[link.copy_id]
        if a == b or (link.source_id in mixed and link.copy_id in mixed):
            continue
        content = shared[(link.source_id, link.copy_id)]
        if not all(_overlap(content, story[g]) >= min_overlap for g in (a, b) if g in story):
            continue
        small, large = (a, b) if len(members[a]) <= len(members[b]) else (b, a)
        for doc_id in members[small]:
            group_of[doc_id] = large
        members[large] |= members.pop(small)
        parts = [content] + [story.pop(g) for g in (a, b) if g in story]
        story[large] = np.unique(np.concatenate(parts))
    return sorted((frozenset(m) for m in members.values() if len(m) > 1), key=lambda g: sorted(g))


def compilations(links: Iterable[Link], shared: Mapping[tuple[str, str], np.ndarray], *, max_overlap: float) -> frozenset[str]:
    """Documents that carry two stories: two of their copy links share texts that overlap by
    at most ``max_overlap`` (of the smaller), each mostly (half or more) of the partner's text."""
    parts: dict[str, list[np.ndarray]] = {}
    for link in links:
        if link.relation != LinkRelation.COPY:
            continue
        content = shared[(link.source_id, link.copy_id)]
        for holder, partner_share in ((link.source_id, link.copy_containment), (link.copy_id, link.source_containment)):
            if partner_share >= 0.5:
                parts.setdefault(holder, []).append(content)
    found = set()
    for doc_id, contents in parts.items():
        # One representative per story seen so far keeps this linear in the number of links;
        # the smallest shared texts come first, so a link that spans two stories (a digest's
        # re-post) cannot stand for both.
        stories: list[np.ndarray] = []
        for content in sorted(contents, key=len):
            if len(content) and all(
                len(np.intersect1d(content, seen, assume_unique=True)) <= max_overlap * min(len(content), len(seen))
                for seen in stories
            ):
                stories.append(content)
                if len(stories) == 2:
                    found.add(doc_id)
                    break
    return frozenset(found)


def _overlap(content: np.ndarray, story: np.ndarray) -> float:
    """Share of ``content`` already in ``story``."""
    if len(content) == 0:
        return 0.0
    return len(np.intersect1d(content, story, assume_unique=True)) / len(content)


def links_within(groups: Sequence[frozenset[str]], links: Iterable[Link]) -> list[list[Link]]:
    """For each group, the links between two of its members (in the order of ``links``)."""
    group_of = {doc_id: n for n, members in enumerate(groups) for doc_id in members}
    inside: list[list[Link]] = [[] for _ in groups]
    for link in links:
        n = group_of.get(link.source_id)
        if n is not None and n == group_of.get(link.copy_id):
            inside[n].append(link)
    return inside


def member_links(canonical: str, links: Iterable[Link]) -> dict[str, Link]:
    """The link that represents each member of a cluster other than its ``canonical``.

    ``links`` are the links inside the cluster. A member's link is its link with the
    canonical; a member not linked to the canonical itself (it joined through another copy)
    is represented by its strongest link: the highest Jaccard similarity, then the other
    member with the smallest id. A member's similarity, containment, coverage and relation
    are all measured on this one link, whichever way it runs.
    """
    best: dict[str, tuple[tuple, Link]] = {}
    for link in links:
        for member, other in ((link.copy_id, link.source_id), (link.source_id, link.copy_id)):
            if member == canonical:
                continue
            rank = (other != canonical, -link.jaccard, other)
            if member not in best or rank < best[member][0]:
                best[member] = (rank, link)
    return {member: link for member, (_, link) in sorted(best.items())}


def build_clusters(
    groups: Sequence[frozenset[str]],
    inside: Sequence[Sequence[Link]],
    docs: Mapping[str, Document],
    previous: Mapping[int, frozenset[str]],
    canonical: Mapping[frozenset[str], str] | None = None,
) -> list[Cluster]:
    """Turn groups into clusters with a canonical and per-member figures.

    ``inside`` holds each group's links (``links_within``). ``canonical`` gives each group's
    elected canonical (provenance); without it the member that ranks first by ``rank_key``
    is taken. A member's figures are those of the link that represents it
    (``member_links``). A group that shares members with a cluster of an earlier scan keeps
    that cluster's id (the one it shares most with); new groups get the next free ids in a
    sorted order.
    """
    ids = _stable_ids(groups, previous, docs)
    clusters = []
    for members, links, cluster_id in zip(groups, inside, ids):
        elected = (canonical or {}).get(members) or min(members, key=lambda d: rank_key(docs[d]))
        similarity, containment = {elected: 1.0}, {elected: 1.0}
        for member, link in member_links(elected, links).items():
            similarity[member] = round(link.jaccard, 4)
            share = link.copy_containment if link.copy_id == member else link.source_containment
            containment[member] = round(share, 4)
        clusters.append(
            Cluster(
                id=cluster_id,
                canonical_id=elected,
                member_ids=tuple(sorted(members, key=lambda d: rank_key(docs[d]))),
                similarity=similarity,
                containment=containment,
            )
        )
    return sorted(clusters, key=lambda c: c.id)


def _stable_ids(
    groups: Sequence[frozenset[str]], previous: Mapping[int, frozenset[str]], docs: Mapping[str, Document]
) -> list[int]:
    owner = {doc_id: cid for cid, members in previous.items() for doc_id in members}
    order = sorted(range(len(groups)), key=lambda i: (-len(groups[i]), min(rank_key(docs[d]) for d in groups[i])))
    taken: set[int] = set()
    ids: dict[int, int] = {}
    for index in order:
        overlap: dict[int, int] = defaultdict(int)
        for doc_id in groups[index]:
            if doc_id in owner:
                overlap[owner[doc_id]] += 1
        choices = sorted((-count, cid) for cid, count in overlap.items() if cid not in taken)
        if choices:
            ids[index] = choices[0][1]
            taken.add(ids[index])
    next_id = max(list(previous) + [0]) + 1
    for index in sorted(set(range(len(groups))) - set(ids), key=lambda i: min(rank_key(docs[d]) for d in groups[i])):
        ids[index] = next_id
        next_id += 1
    return [ids[i] for i in range(len(groups))]
