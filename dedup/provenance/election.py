"""The election: evidence summed into scores, the ranking, the canonical and its confidence,
and the links turned to run from the elected source to the copy."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np

from ..cluster import links_within, rank_key
from ..models import Document, Link
from .model import MODEL, Evidence, Group, Model, label
from .relations import Relation
from .signals import SIGNALS, Signal, compilations, evidence_for


@dataclass(frozen=True)
class Decision:
    """A cluster's elected canonical, confidence, ranking (best first) and evidence.

    ``relations`` (copy id → how it relates to the canonical) is measured once the links
    are aligned (``relations.with_passages``); the election leaves it empty.
    """

    canonical_id: str
    confidence: float
    ranking: tuple[tuple[str, float, float], ...]  # (document_id, score, probability)
    evidence: tuple[Evidence, ...]
    relations: Mapping[str, Relation] = field(default_factory=dict)

    def alternatives(self) -> list[dict]:
        """The other members, best first, with score and probability (stored as JSON)."""
        return [{"document_id": d, "score": s, "probability": p} for d, s, p in self.ranking[1:]]

    def score(self, doc_id: str) -> float:
        """The provenance score of one member."""
        return next(s for d, s, _ in self.ranking if d == doc_id)

    @property
    def members(self) -> frozenset[str]:
        """The cluster's documents."""
        return frozenset(d for d, _, _ in self.ranking)


def decision_inputs(
    groups: Sequence[frozenset[str]],
    inside: Sequence[Sequence[Link]],
    links: Sequence[Link],
    shared: Mapping[tuple[str, str], np.ndarray],
    docs: Mapping[str, Document],
) -> list[tuple[frozenset[str], Sequence[Link], dict[str, Document], dict[str, tuple[str, ...]]]]:
    """What ``decide`` needs for each group, self-contained (to decide groups in parallel).

    ``inside`` holds each group's links (``cluster.links_within``); ``links`` are all the
    links and ``shared`` their shared shingles, for finding compilations. Each item is
    ``(members, links inside the group, the documents it names, its compilations)``, for
    ``decide(*item[:3], compiled=item[3])``.
    """
    compiled = compilations(links, groups, shared)
    return [_decision_item(members, own_links, docs, compiled) for members, own_links in zip(groups, inside)]


def _decision_item(members: frozenset[str], links: Sequence[Link], docs: Mapping[str, Document], compiled: Mapping) -> tuple:
    """One self-contained ``decide`` input: the members' compilations, and the documents
    they name."""
    own = {d: compiled[d] for d in sorted(members) if d in compiled}
    named = set(members) | {p for parts in own.values() for p in parts}
    return members, links, {d: docs[d] for d in sorted(named)}, own


def decide_items(items: Iterable[tuple]) -> list[Decision]:
    """The decision of each ``decision_inputs`` item, in order."""
    return [decide(members, links, docs, compiled=compiled) for members, links, docs, compiled in items]


def decision_key(item: tuple) -> str:
    """A hash of everything ``decide`` reads for one ``decision_inputs`` item: its members,
    their links with every figure, the documents it names (their metadata and the hash of
    their text) and its compilations. Equal keys, with the same dedup and settings, mean an
    equal decision: a rescan takes the stored one instead of deciding again."""
    members, links, docs, compiled = item
    named = [_values(d, text="", root=None) for d in docs.values()]  # the text by its hash
    content = [sorted(members), [_values(l) for l in links], named, sorted(compiled.items())]
    return hashlib.sha256(json.dumps(content, default=str).encode("utf-8")).hexdigest()[:32]


def _values(item, **instead) -> tuple:
    """The field values of a flat dataclass, some ``instead`` given ones: what
    ``dataclasses.astuple(dataclasses.replace(item, **instead))`` gives, without its deep copies."""
    return tuple(instead[f.name] if f.name in instead else getattr(item, f.name) for f in fields(item))


def decide(
    members: frozenset[str] | Sequence[str],
    links: Sequence[Link],
    docs: Mapping[str, Document],
    *,
    compiled: Mapping[str, tuple[str, ...]] | None = None,
    model: Model = MODEL,
    signals: Sequence[Signal] = SIGNALS,
) -> Decision:
    """Weigh the evidence in one cluster and elect its canonical.

    ``links`` are the links between members; ``compiled`` maps the members that are
    compilations (see ``signals.compilations``) to the stories they take from, and ``docs``
    holds the members and those stories' documents. A member's score is the sum of its
    evidence weights; the canonical has the highest score (ties: ``rank_key``, said in a
    ``tie_break`` row), and the confidence is its share of ``exp(score)`` (a softmax).
    """
    ids = sorted(members)
    own = {i: (compiled or {})[i] for i in ids if i in (compiled or {})}
    named = {p: docs[p] for parts in own.values() for p in parts}
    group = Group(documents=[docs[i] for i in ids], links=links, compiled=own, named=named)
    evidence = evidence_for(group, model, signals)
    scores = {i: 0.0 for i in ids}
    for item in evidence:
        scores[item.document_id] += item.weight
    order = sorted(ids, key=lambda i: (-round(scores[i], 6), rank_key(docs[i])))
    top = max(scores.values())
    total = sum(math.exp(s - top) for s in scores.values())
    ranking = tuple((i, round(scores[i], 4), round(math.exp(scores[i] - top) / total, 4)) for i in order)
    canonical = order[0]
    tied = [i for i in order[1:] if round(scores[i], 6) == round(scores[canonical], 6)]
    if tied:  # say so: the order of rank_key decided, not the evidence
        detail = (
            f"no evidence separates {label(docs[canonical])} from {', '.join(label(docs[i]) for i in tied[:3])}: "
            "the document with the earlier publication time, then the longer text, is taken"
        )
        evidence.append(Evidence(canonical, "tie_break", 0.0, detail))
    return Decision(canonical_id=canonical, confidence=ranking[0][2], ranking=ranking, evidence=tuple(evidence))


def orient_links(
    links: Sequence[Link],
    decisions: Sequence[tuple[frozenset[str], Decision]],
    shared: Mapping[tuple[str, str], np.ndarray],
    docs: Mapping[str, Document],
    decide_all: Callable[[list], list] | None = None,
) -> list[Link]:
    """Every link turned to run from the likelier source to the copy (the only place links
    are given a direction).

    Inside a cluster the better-ranked member is the source, so every link that touches a
    canonical runs canonical → copy. A link between clusters (or outside any) is decided
    on the evidence of its two documents alone (and on whether either is a compilation:
    ``shared`` maps each link's pair to its shared shingles); ``decide_all`` decides those
    pairs' ``decision_inputs`` items (default: ``decide_items``, here).
    """
    place = {doc_id: index for _, decision in decisions for index, (doc_id, _, _) in enumerate(decision.ranking)}
    groups = [members for members, _ in decisions]
    inside = {(l.source_id, l.copy_id) for own in links_within(groups, links) for l in own}
    compiled = compilations(links, groups, shared, copies_only=False)
    between = [
        _decision_item(frozenset((l.source_id, l.copy_id)), [l], docs, compiled)
        for l in links if (l.source_id, l.copy_id) not in inside
    ]
    decided = iter((decide_all or decide_items)(between))
    oriented = []
    for link in links:
        if (link.source_id, link.copy_id) in inside:
            backwards = place[link.copy_id] < place[link.source_id]
        else:
            backwards = next(decided).canonical_id == link.copy_id
        oriented.append(link.reversed() if backwards else link)
    return oriented
