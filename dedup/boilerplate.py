"""Boilerplate at the shingle level: text that recurs across documents that are otherwise unrelated.

Site furniture (navigation, newsletter prompts, author bios built from a template, photo
credits, "Most read" lists) recurs on many pages of one site, and a few generic lines recur
on pages of many sites. Neither is evidence that two articles carry the same story. A
syndicated passage recurs too, but in documents that share most of their other text, so
the rule looks at the documents that carry a shingle, not only at how many there are:

* **site furniture**: every carrier comes from one site and the carriers are otherwise
  unrelated (two are enough), and
* **corpus boilerplate**: at least ``corpus_min_docs`` documents carry it, from any sites,
  and they are otherwise unrelated (compare passim's max-df filter and TextPAIR's banality).

"Otherwise unrelated" is measured on up to six carriers (the one with the most shingles,
the likeliest full version of a story, and others evenly spaced), compared pair by pair: a pair is related when the MinHash estimate of the share of the
smaller document found in the other reaches ``max_related`` (``site_related`` between pages of
one site, whose furniture alone can be a third of a page). The shingle is kept when one
sampled carrier is related to at least half of the others: the full version of a story, to
which every excerpt of it is related, even when the excerpts take different parts and so
are unrelated to each other. Otherwise it is boilerplate. A
template line with a varying name ("NAME is a senior correspondent at SITE…") is caught
shingle by shingle: its fixed words recur on every page, its varying words on the pages of
one author.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import numpy as np

from .models import Document, Sketch

_HOST = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,}", re.IGNORECASE)
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go"})
# Pairs of carriers compared per shingle at a time (bounds the memory of the comparison).
_CHUNK = 65_536


def site_of(doc: Document) -> str | None:
    """The site a document comes from: its metadata, else its URL's host, else its folder.

    ``site`` metadata (og:site_name, a JSON/CSV field) wins; then the registered domain of its
    canonical URL or URL; a file without either takes the folder it sits in, relative to the
    scan root (a folder named after a host counts as that host's domain). A file directly in
    the scan root has no site.
    """
    if doc.site and doc.site.strip():
        return doc.site.strip().casefold()
    for url in (doc.canonical_url, doc.url):
        host = urlsplit(url).hostname if url else None
        if host:
            return registered_domain(host)
    folder = PurePosixPath(doc.path).parent
    if folder.name == "":
        return None
    # A folder named after a host (a crawl saved by host) is that host's site.
    return registered_domain(folder.name) if _HOST.fullmatch(folder.name) else f"folder:{folder.as_posix()}"


def registered_domain(host: str) -> str:
    """The part of a host name that one publisher owns: ``travel.timesonline.co.uk`` →
    ``timesonline.co.uk``, ``www.example.com`` → ``example.com`` (a heuristic: a two-letter
    country code after a short generic label such as ``co`` or ``com`` keeps three labels)."""
    labels = host.casefold().rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def find_boilerplate(
    sketches: Sequence[Sketch],
    sites: Sequence[str | None],
    *,
    corpus_min_docs: int,
    max_related: float,
    site_related: float,
) -> np.ndarray:
    """The sorted shingle hashes that are boilerplate among ``sketches`` (see the module doc).

    ``sites`` gives each sketch's site (None when unknown). The work is three steps, which
    the Spark engine runs apart over partitions of the shingles: ``sampled_carriers``,
    ``related_pairs`` and ``furniture``.
    """
    if not sketches:
        return np.zeros(0, dtype=np.uint32)
    hashes = np.concatenate([s.shingles for s in sketches])
    owners = np.repeat(np.arange(len(sketches), dtype=np.int64), [len(s.shingles) for s in sketches])
    site_codes = site_codes_of(sites)
    counts = np.array([len(s.shingles) for s in sketches], dtype=np.int64)
    groups, samples = sampled_carriers(hashes, owners, site_codes, counts, corpus_min_docs=corpus_min_docs)
    if len(groups) == 0:
        return np.zeros(0, dtype=np.uint32)
    codes = pair_codes(samples, len(sketches))
    wanted = np.unique(codes[codes >= 0])
    signatures = np.stack([s.minhash for s in sketches])
    related = []
    for start in range(0, len(wanted), _CHUNK):
        a, b = np.divmod(wanted[start : start + _CHUNK], len(sketches))
        related.append(related_pairs(a, b, signatures[a], signatures[b], counts, site_codes, max_related, site_related))
    return furniture(groups, samples, codes, wanted[np.concatenate(related)] if related else wanted[:0])


def sampled_carriers(
    hashes: np.ndarray, owners: np.ndarray, site_codes: np.ndarray, counts: np.ndarray, *, corpus_min_docs: int
) -> tuple[np.ndarray, np.ndarray]:
    """The shingles that may be boilerplate, with the carriers to compare for each.

    ``hashes`` and ``owners`` list every (shingle, document number) once, in any order;
    ``site_codes`` and ``counts`` give each document's site code (``site_codes_of``) and
    number of shingles. A shingle may be furniture when two or more documents of one site
    carry it, or ``corpus_min_docs`` of any sites. Returns the sorted hashes of those
    shingles and their sampled carriers (``SAMPLES`` columns, -1 where none).
    """
    empty = np.zeros(0, dtype=np.uint32), np.zeros((0, SAMPLES), dtype=np.int64)
    if len(hashes) == 0:
        return empty
    order = np.lexsort((owners, hashes))
    hashes, owners = hashes[order], owners[order]
    boundaries = np.flatnonzero(np.diff(hashes)) + 1
    starts = np.concatenate(([0], boundaries))
    sizes = np.diff(np.concatenate((starts, [len(hashes)])))
    codes = site_codes[owners]
    one_site = (np.minimum.reduceat(codes, starts) == np.maximum.reduceat(codes, starts)) & (codes[starts] >= 0)
    candidate = (sizes >= 2) & (one_site | (sizes >= corpus_min_docs))
    starts, sizes = starts[candidate], sizes[candidate]
    if len(starts) == 0:
        return empty
    return hashes[starts], _sample_carriers(owners, counts, starts, sizes)


# Carriers of one shingle compared with each other, at most.
SAMPLES = 6
#: The slots of every two of a shingle's sampled carriers.
_FIRST, _SECOND = np.triu_indices(SAMPLES, k=1)


def pair_codes(samples: np.ndarray, n: int) -> np.ndarray:
    """For each shingle, the pair code (``smaller * n + larger``) of every two of its sampled
    carriers, -1 where a slot is empty; ``n`` is the number of documents."""
    a, b = samples[:, _FIRST], samples[:, _SECOND]
    codes = np.minimum(a, b) * n + np.maximum(a, b)
    return np.where((a >= 0) & (b >= 0), codes, -1)


def related_pairs(
    a: np.ndarray, b: np.ndarray, signatures_a: np.ndarray, signatures_b: np.ndarray, counts: np.ndarray,
    site_codes: np.ndarray, max_related: float, site_related: float,
) -> np.ndarray:
    """For documents ``a[k]``, ``b[k]`` (with their MinHash signatures): does the smaller share
    ``max_related`` or more with the other (``site_related`` for two pages of one site, whose
    furniture alone can be a third of a page)?

    Estimated from the signatures: with Jaccard J and sizes a ≤ b, the shared count is
    J·(a + b)/(1 + J), and the share of the smaller is that over a.
    """
    jaccard = (signatures_a == signatures_b).mean(axis=1)
    size_a, size_b = counts[a].astype(np.float64), counts[b].astype(np.float64)
    share = jaccard * (size_a + size_b) / (1 + jaccard) / np.maximum(np.minimum(size_a, size_b), 1)
    same_site = (site_codes[a] == site_codes[b]) & (site_codes[a] >= 0)
    return share >= np.where(same_site, site_related, max_related)


def furniture(groups: np.ndarray, samples: np.ndarray, codes: np.ndarray, related: np.ndarray) -> np.ndarray:
    """The sorted hashes of the shingles of ``groups`` that are boilerplate: no sampled carrier
    (``samples``) is related to half or more of the others. ``codes`` are the samples'
    ``pair_codes``, ``related`` the sorted codes of the related pairs among them."""
    tied = np.isin(codes, related) & (codes >= 0)
    # Per sampled carrier: how many of the other sampled carriers it is related to.
    ties = np.zeros((len(groups), SAMPLES), dtype=np.int64)
    group, pair = np.nonzero(tied)
    np.add.at(ties, (group, _FIRST[pair]), 1)
    np.add.at(ties, (group, _SECOND[pair]), 1)
    others = (samples >= 0).sum(axis=1, keepdims=True) - 1
    has_hub = (2 * ties >= others) & (ties > 0)
    return np.sort(groups[~has_hub.any(axis=1)])


def _sample_carriers(owners: np.ndarray, counts: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Up to ``SAMPLES`` carriers per group (``owners[start:start + size]``) as a (groups,
    SAMPLES) array padded with -1: the carrier with the most shingles (the likeliest full
    version of a story, to which every excerpt of it is related), then others evenly spaced."""
    spans = np.repeat(starts, sizes) + (np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes))
    carried = counts[owners[spans]]
    edges = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    best = np.maximum.reduceat(carried, edges)
    position = np.where(carried == np.repeat(best, sizes), np.arange(len(spans)), len(spans))
    largest = owners[spans[np.minimum.reduceat(position, edges)]]
    taken = np.minimum(sizes, SAMPLES - 1)
    slot = np.arange(SAMPLES - 1)[None, :]
    offset = np.minimum((slot * sizes[:, None]) // taken[:, None], sizes[:, None] - 1)
    picked = owners[starts[:, None] + offset]
    picked = np.where((slot < taken[:, None]) & (picked != largest[:, None]), picked, -1)
    return np.concatenate([largest[:, None], picked], axis=1)


def site_codes_of(sites: Sequence[str | None]) -> np.ndarray:
    """Each document's site as a number (-1 when unknown)."""
    names = sorted({s for s in sites if s is not None})
    number = {name: i for i, name in enumerate(names)}
    return np.array([number.get(s, -1) if s is not None else -1 for s in sites], dtype=np.int64)


def digest(found: np.ndarray) -> str:
    """A short hash of a detection's boilerplate shingles (sorted hashes)."""
    return hashlib.sha256(np.ascontiguousarray(found, dtype="<u4").tobytes()).hexdigest()[:16]
