"""What the report pages show: small frozen dataclasses, built from ``dedup.db.read`` results.

Nothing here knows SQL or HTML. Titles fall back to the file's path (never to a line of the
text); the figures shown for a copy are its cluster member row's coverage figures, the ones
``dedup show`` and Datasette show, under the same names (``models.COPY_COVERAGE_LABEL`` and
``SOURCE_COVERAGE_LABEL``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlite_utils import Database

from ..db import read
from ..models import PassageKind
from .passages import Passage, Share, passages, shares

KINDS = tuple(str(kind) for kind in PassageKind)


def cluster_file(cluster_id: int) -> str:
    """The report file name of a cluster (built from its numeric id only)."""
    return f"cluster-{int(cluster_id)}.html"


@dataclass(frozen=True)
class ScanError:
    """A file (or record) the scan could not use."""

    path: str
    reason: str


@dataclass(frozen=True)
class ScanOverview:
    """The figures of the latest scan, as stored in its ``scans`` row, and its errors."""

    scan_id: int | None
    root: str | None
    started_at: str | None
    finished_at: str | None
    n_files: int
    n_documents: int
    n_links: int
    n_clusters: int
    n_clustered_documents: int
    n_errors: int
    errors: tuple[ScanError, ...]


@dataclass(frozen=True)
class ClusterRow:
    """One line of the index: a cluster and what identifies it."""

    id: int
    size: int
    canonical_title: str
    canonical_path: str
    sites: tuple[str, ...]
    paths: tuple[str, ...]
    min_similarity: float
    max_similarity: float
    confidence: float | None

    @property
    def page(self) -> str:
        """The file name of the cluster's page."""
        return cluster_file(self.id)


@dataclass(frozen=True)
class IndexPage:
    """Everything ``index.html`` shows."""

    summary: ScanOverview
    clusters: tuple[ClusterRow, ...]
    has_confidence: bool


@dataclass(frozen=True)
class Member:
    """A document of a cluster, with its role and figures.

    ``copy_coverage`` and ``source_coverage`` are None for the canonical, and for a copy
    whose link is not aligned.
    """

    document_id: str
    role: str
    path: str
    title: str
    site: str | None
    author: str | None
    url: str | None
    published_at: str | None
    n_words: int
    similarity: float | None
    containment: float | None
    copy_coverage: float | None
    source_coverage: float | None
    relation: str | None
    score: float | None


@dataclass(frozen=True)
class Comparison:
    """A copy (``member``) and the link that represents it, side by side: source and copy as
    the link stores them, its passages, and how each side's characters split between kinds."""

    member: Member
    source: Member
    copy: Member
    jaccard: float
    containment: float
    passages: tuple[Passage, ...]
    counts: dict[str, int]
    source_shares: tuple[Share, ...]
    copy_shares: tuple[Share, ...]

    @property
    def anchor(self) -> str:
        """An id for the comparison's section, from the copy's id (a hex digest, not article text)."""
        return f"copy-{self.member.document_id}"


@dataclass(frozen=True)
class Evidence:
    """One provenance signal recorded for a cluster member."""

    document_id: str
    path: str
    signal: str
    weight: float | None
    detail: str


@dataclass(frozen=True)
class ClusterPage:
    """Everything a cluster page shows."""

    id: int
    size: int
    canonical_title: str
    mean_similarity: float
    confidence: float | None
    members: tuple[Member, ...]
    comparisons: tuple[Comparison, ...]
    evidence: tuple[Evidence, ...]

    def anchor_of(self, document_id: str) -> str | None:
        """The anchor of the comparison of the copy ``document_id`` (None for the canonical)."""
        return next((c.anchor for c in self.comparisons if c.member.document_id == document_id), None)


def index_page(db: Database) -> IndexPage:
    """The latest scan's overview and every cluster, in id order."""
    sites = read.cluster_sites(db)
    clusters = tuple(
        ClusterRow(
            id=row["id"],
            size=row["size"],
            canonical_title=row["canonical_title"] or row["canonical_path"],
            canonical_path=row["canonical_path"],
            sites=tuple(sorted({s for m in sites.get(row["id"], []) if (s := _site(m["site"], m["url"]))})),
            paths=tuple(m["path"] for m in sites.get(row["id"], [])),
            min_similarity=row["min_similarity"],
            max_similarity=row["max_similarity"],
            confidence=row["confidence"],
        )
        for row in read.list_clusters(db)
    )
    return IndexPage(scan_overview(db), clusters, has_confidence=any(c.confidence is not None for c in clusters))


def scan_overview(db: Database) -> ScanOverview:
    """The latest scan's figures and its errors (an empty overview before any scan)."""
    scan = read.latest_scan(db)
    if scan is None:
        return ScanOverview(None, None, None, None, 0, 0, 0, 0, 0, 0, ())
    return ScanOverview(
        scan_id=scan["id"],
        root=scan["root"],
        started_at=scan["started_at"],
        finished_at=scan["finished_at"],
        n_files=scan["n_files"] or 0,
        n_documents=scan["n_documents"] or 0,
        n_links=scan["n_links"] or 0,
        n_clusters=scan["n_clusters"] or 0,
        n_clustered_documents=scan["n_clustered_documents"] or 0,
        n_errors=scan["n_errors"] or 0,
        errors=tuple(ScanError(e["path"], e["reason"]) for e in read.scan_errors(db, scan["id"])),
    )


def cluster_page(db: Database, cluster_id: int) -> ClusterPage:
    """A cluster's members, each copy beside the link that represents it, and its evidence."""
    detail = read.cluster_detail(db, cluster_id)
    members = tuple(_member(row) for row in detail["members"])
    by_id = {m.document_id: m for m in members}
    links = read.member_links(db, cluster_id)
    comparisons = tuple(
        _comparison(m, by_id[link["source_id"]], by_id[link["copy_id"]], link, read.link_passages(db, link["source_id"], link["copy_id"]))
        for m in members
        if (link := links.get(m.document_id))
    )
    evidence = tuple(
        Evidence(
            document_id=row["document_id"] or "",
            path=by_id[row["document_id"]].path if row["document_id"] in by_id else (row["document_id"] or "—"),
            signal=row["signal"] or "",
            weight=row["weight"],
            detail=_detail_text(row["detail"]),
        )
        for row in detail["evidence"]
    )
    canonical = next((m for m in members if m.role == "canonical"), None)
    return ClusterPage(
        id=detail["id"],
        size=detail["size"],
        canonical_title=canonical.title if canonical else "",
        mean_similarity=detail["mean_similarity"],
        confidence=detail["confidence"],
        members=members,
        comparisons=comparisons,
        evidence=evidence,
    )


def _member(row: dict) -> Member:
    return Member(
        document_id=row["document_id"],
        role=row["role"],
        path=row["path"],
        title=row["title"] or row["path"],
        site=row["site"],
        author=row["author"],
        url=row["url"],
        published_at=row["published_at"],
        n_words=row["n_words"] or 0,
        similarity=row["similarity"],
        containment=row["containment"],
        copy_coverage=row["copy_coverage"],
        source_coverage=row["source_coverage"],
        relation=row["relation"],
        score=row["score"],
    )


def _comparison(member: Member, source: Member, copy: Member, link: dict, stored: Sequence[read.PassageText]) -> Comparison:
    shown = passages(stored)
    return Comparison(
        member=member,
        source=source,
        copy=copy,
        jaccard=link["jaccard"],
        containment=link["containment"],
        passages=shown,
        counts={k: sum(p.kind == k for p in shown) for k in KINDS},
        source_shares=shares(shown, "source", ("same", "changed", "removed")),
        copy_shares=shares(shown, "copy", ("same", "changed", "added")),
    )


def _detail_text(detail: str | None) -> str:
    """Evidence detail as readable text: JSON objects become ``key: value`` pairs."""
    if not detail:
        return ""
    try:
        value = json.loads(detail)
    except ValueError:
        return detail
    if isinstance(value, dict):
        return "; ".join(f"{k}: {json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v}" for k, v in sorted(value.items()))
    return detail


def _site(site: str | None, url: str | None) -> str | None:
    """The site's name, or the host of the document's URL (shown as text, never as a link)."""
    if site:
        return site
    if url:
        try:
            return urlsplit(url).hostname
        except ValueError:
            return None
    return None
