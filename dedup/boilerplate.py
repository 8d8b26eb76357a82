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

    ``sites`` gives each sketch's site (None when unknown).
    """
    if not sketches:
        return np.zeros(0, dtype=np.uint32)
    hashes = np.concatenate([s.shingles for s in sketches])
    owners = np.repeat(np.arange(len(sketches), dtype=np.int64), [len(s.shingles) for s in sketches])
    if len(hashes) == 0:
        return np.zeros(0, dtype=np.uint32)
    site_of_doc = _site_codes(sites)
    order = np.lexsort((owners, hashes))
    hashes, owners = hashes[order], owners[order]
    boundaries = np.flatnonzero(np.diff(hashes)) + 1
    starts = np.concatenate(([0], boundaries))
    sizes = np.diff(np.concatenate((starts, [len(hashes)])))

    codes = site_of_doc[owners]
    one_site = (np.minimum.reduceat(codes, starts) == np.maximum.reduceat(codes, starts)) & (codes[starts] >= 0)
    candidate = (sizes >= 2) & (one_site | (sizes >= corpus_min_docs))
    starts, sizes = starts[candidate], sizes[candidate]
    if len(starts) == 0:
        return np.zeros(0, dtype=np.uint32)
    counts = np.array([len(s.shingles) for s in sketches], dtype=np.int64)
    samples = _sample_carriers(owners, counts, starts, sizes)  # (groups, SAMPLES), -1 where none
    first, second = np.triu_indices(SAMPLES, k=1)
    a, b = samples[:, first], samples[:, second]
    present = (a >= 0) & (b >= 0)
    related = np.zeros(a.shape, dtype=bool)
    # A site's furniture can be a third of each page: pages of one site are related only
    # when they share more than that.
    same_site = (site_of_doc[a] == site_of_doc[b]) & (site_of_doc[a] >= 0)
    threshold = np.where(same_site, site_related, max_related)
    related[present] = _related(np.stack([a[present], b[present]], 1), sketches, threshold[present])
    # Per sampled carrier: how many of the other sampled carriers it is related to.
    ties = np.zeros(samples.shape, dtype=np.int64)
    group, pair = np.nonzero(related)
    np.add.at(ties, (group, first[pair]), 1)
    np.add.at(ties, (group, second[pair]), 1)
    others = (samples >= 0).sum(axis=1, keepdims=True) - 1
    has_hub = (2 * ties >= others) & (ties > 0)
    furniture = ~has_hub.any(axis=1)
    return np.sort(hashes[starts[furniture]])


# Carriers of one shingle compared with each other, at most.
SAMPLES = 6


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


def _site_codes(sites: Sequence[str | None]) -> np.ndarray:
    """Each document's site as a number (-1 when unknown)."""
    names = sorted({s for s in sites if s is not None})
    number = {name: i for i, name in enumerate(names)}
    return np.array([number.get(s, -1) if s is not None else -1 for s in sites], dtype=np.int64)


def _related(pairs: np.ndarray, sketches: Sequence[Sketch], thresholds: np.ndarray) -> np.ndarray:
    """For each pair of sketch indices: does the smaller share its threshold or more with the other?

    Estimated from the MinHash signatures: with Jaccard J and sizes a ≤ b, the shared count
    is J·(a + b)/(1 + J), and the share of the smaller is that over a.
    """
    n = len(sketches)
    code = np.minimum(pairs[:, 0], pairs[:, 1]) * n + np.maximum(pairs[:, 0], pairs[:, 1])
    unique, inverse = np.unique(code, return_inverse=True)
    share = np.zeros(len(unique))
    a, b = unique // n, unique % n
    signatures = np.stack([s.minhash for s in sketches])
    counts = np.array([len(s.shingles) for s in sketches], dtype=np.float64)
    for start in range(0, len(unique), _CHUNK):
        i, j = a[start : start + _CHUNK], b[start : start + _CHUNK]
        jaccard = (signatures[i] == signatures[j]).mean(axis=1)
        shared = jaccard * (counts[i] + counts[j]) / (1 + jaccard)
        share[start : start + _CHUNK] = shared / np.maximum(np.minimum(counts[i], counts[j]), 1)
    return share[inverse] >= thresholds
