"""The per-item work of detection, as plain functions over lists of items.

The local engine runs them in its worker pool (``pipeline``), the Spark engine in its tasks
(``dedup.spark``): both engines compute every sketch, measure, link, decision and alignment
with these same functions, so they find the same things.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from . import align, cluster, normalize, provenance, sketch, verify
from .config import ScanConfig
from .models import Cluster, Document, Link, Passage, Sentences, Sketch

Decider = Callable[[list], list]


def sketch_texts(items: Iterable[tuple[str, str]], config: ScanConfig) -> list[Sketch]:
    """The sketch of each ``(document id, text)``."""
    cache = normalize.TokenHashes()
    template = sketch.minhash_template(config)
    return [sketch.sketch(doc_id, normalize.tokenize(text, cache), config, template) for doc_id, text in items]


def measure_pairs(pairs: Iterable[tuple[Sketch, Sketch]], config: ScanConfig) -> list[verify.Measures | None]:
    """The measures of each pair of (boilerplate-free) sketches that is a copy or a reuse, or
    that sentence matching could make a copy; None for the others."""
    found = []
    for a, b in pairs:
        figures = verify.measure(a, b, config)
        found.append(figures if figures.relation(config) or figures.needs_sentences(config) else None)
    return found


def sentences_of(texts: Iterable[str], boilerplate: np.ndarray, config: ScanConfig) -> list[Sentences]:
    """Each text split into sentences for sentence matching (``sketch.sentences``)."""
    cache = normalize.TokenHashes()
    return [sketch.sentences(text, boilerplate, config, cache) for text in texts]


def complete(
    figures: verify.Measures | None, a: Sentences | None, b: Sentences | None, config: ScanConfig
) -> verify.Measures | None:
    """A pair's measures completed by sentence matching where it can decide
    (``Measures.needs_sentences``: then ``a`` and ``b`` are the two documents' sentences);
    None when the pair is then neither copy nor reuse."""
    if figures is not None and figures.needs_sentences(config):
        figures = figures.with_sentences(a, b, config)
    return figures if figures is not None and figures.relation(config) else None


def make_link(
    first_id: str, second_id: str, figures: verify.Measures, *, by_lsh: bool, by_passage: bool, config: ScanConfig
) -> Link:
    """The link of a verified pair, in pair order (``provenance.orient_links`` gives it its direction)."""
    method = "+".join(name for name, hit in (("lsh", by_lsh), ("passage", by_passage)) if hit)
    return Link(
        source_id=first_id,
        copy_id=second_id,
        jaccard=figures.jaccard,
        containment=figures.containment,
        source_containment=figures.a_containment,
        copy_containment=figures.b_containment,
        shared=figures.shared,
        longest_run=figures.longest_run,
        method=method,
        relation=figures.relation(config),
    )


def grouped_pairs(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pairs`` reordered so that the pairs of one connected group of documents come one after
    the other (groups in order of their first document, pairs sorted within a group).

    Alignment caches the last few texts it split into words; in this order a document's
    links follow each other, so most documents are split once (on the real-text benchmark,
    10.6 M words split instead of 34.3 M).
    """
    parent: dict[str, str] = {}

    def root(doc: str) -> str:
        parent.setdefault(doc, doc)
        while parent[doc] != doc:
            parent[doc] = doc = parent[parent[doc]]
        return doc

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[str, list[tuple[str, str]]] = {}
    for pair in sorted(pairs):
        groups.setdefault(root(pair[0]), []).append(pair)
    return [pair for group in sorted(groups.values(), key=lambda g: min(min(p) for p in g)) for pair in group]


def align_texts(source_text: str, copy_text: str) -> tuple[list[Passage], align.Coverage]:
    """The passage alignment of a source and a copy, with its coverage figures."""
    passages = align.align(source_text, copy_text)
    return passages, align.coverage(passages, len(source_text), len(copy_text))


@dataclass(frozen=True)
class Settlement:
    """What ``settle`` decided."""

    #: the clusters, by id
    clusters: list[Cluster]
    #: cluster id → its provenance decision
    decisions: dict[int, provenance.Decision]
    #: the links, each turned from source to copy, sorted by (source, copy)
    links: list[Link]
    #: cluster id → the ``provenance.decision_key`` of what its decision was made from
    decision_keys: dict[int, str]


def settle(
    links: Sequence[Link],
    shared: Mapping[tuple[str, str], np.ndarray],
    docs: Mapping[str, Document],
    previous: Mapping[int, frozenset[str]],
    config: ScanConfig,
    decide_all: Decider = provenance.decide_items,
    known: Mapping[str, provenance.Decision] | None = None,
) -> Settlement:
    """From verified links to clusters: group the copies (``cluster.group``), elect each
    group's canonical, build the clusters and turn every link from source to copy.

    ``shared`` maps each link's pair to its shared shingles; ``decide_all`` decides a list of
    ``provenance.decision_inputs`` items (in parallel, say): the groups', then those of the
    links between groups (``provenance.orient_links``); ``known`` maps decision keys to
    decisions made before (a rescan's unchanged clusters): those groups are not decided again.
    Every step only follows links, so a set of documents no link joins to the others can be
    settled on its own: the Spark engine settles each connected component apart.
    """
    known = known or {}
    groups = cluster.group(links, shared, min_overlap=config.cluster_min_overlap)
    inside = cluster.links_within(groups, links)
    inputs = provenance.decision_inputs(groups, inside, links, shared, docs)
    keys = [provenance.decision_key(item) for item in inputs]
    fresh = iter(decide_all([item for item, key in zip(inputs, keys) if key not in known]))
    elected = [(members, known[key] if key in known else next(fresh)) for members, key in zip(groups, keys)]
    canonical = {members: decision.canonical_id for members, decision in elected}
    clusters = cluster.build_clusters(groups, inside, docs, previous, canonical)
    oriented = provenance.orient_links(links, elected, shared, docs, decide_all)
    by_members = dict(elected)
    key_of = dict(zip(groups, keys))
    oriented.sort(key=lambda l: (l.source_id, l.copy_id))
    return Settlement(
        clusters=clusters,
        decisions={c.id: by_members[frozenset(c.member_ids)] for c in clusters},
        links=oriented,
        decision_keys={c.id: key_of[frozenset(c.member_ids)] for c in clusters},
    )


def verify_pairs(
    pairs: Sequence[tuple[str, str]], sketches: Mapping[str, Sketch], docs: Mapping[str, Document], boilerplate: np.ndarray,
    config: ScanConfig, by_lsh: set, by_passage: set,
) -> tuple[list[Link], dict[tuple[str, str], np.ndarray]]:
    """The links of the candidate ``pairs`` (id pairs in id order: ``by_lsh`` and
    ``by_passage`` say which generator proposed each) and their shared shingles, verified
    as a scan verifies them, from the documents' ``sketches`` without ``boilerplate``."""
    measured = measure_pairs(((sketches[a], sketches[b]) for a, b in pairs), config)
    wanted = sorted({d for (a, b), m in zip(pairs, measured) if m is not None and m.needs_sentences(config) for d in (a, b)})
    split = dict(zip(wanted, sentences_of((docs[d].text for d in wanted), boilerplate, config)))
    links, shared = [], {}
    for (a, b), figures in zip(pairs, measured):
        figures = complete(figures, split.get(a), split.get(b), config)
        if figures is None:
            continue
        links.append(make_link(a, b, figures, by_lsh=(a, b) in by_lsh, by_passage=(a, b) in by_passage, config=config))
        shared[(a, b)] = figures.shared_shingles
    return links, shared
