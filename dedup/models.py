"""Small frozen records passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum

import numpy as np


class DateSource(StrEnum):
    """Where a document's ``published_at`` came from (publisher-stated unless ``HTMLDATE``)."""

    META = "meta"  # an HTML meta tag (article:published_time …)
    JSON_LD = "json-ld"  # the page's JSON-LD datePublished
    HTMLDATE = "htmldate"  # guessed from the page by htmldate
    JSON = "json"  # a field of a JSON, CSV or Parquet record


class PassageKind(StrEnum):
    """What a stretch of a source → copy alignment is."""

    SAME = "same"  # equal after normalisation
    CHANGED = "changed"  # matched but edited
    ADDED = "added"  # only in the copy
    REMOVED = "removed"  # only in the source


#: the passage kinds that hold text of both documents
MATCHED_KINDS = (PassageKind.SAME, PassageKind.CHANGED)


@dataclass(frozen=True)
class Document:
    """One article: its stored text and metadata.

    ``id`` is derived from where the article lives (path and record number), so that it
    stays the same when the file's content changes.
    """

    id: str
    path: str
    record: int | None
    format: str
    text: str
    sha256: str
    title: str | None = None
    site: str | None = None
    author: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    published_at: str | None = None
    n_words: int = 0
    #: when the document was last modified (UTC, from metadata), if it says so
    modified_at: str | None = None
    #: where ``published_at`` came from
    date_source: DateSource | None = None
    #: the URL of the work this document says it is based on (JSON-LD ``isBasedOn``)
    based_on: str | None = None
    #: the scanned folder it was read from (absolute); ``path`` is relative to it
    root: str | None = None


@dataclass(frozen=True)
class InputProblem:
    """A file (or a record in one) that could not be used, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class SourceFile:
    """A file found by the walk, with the hash of its bytes (used to skip unchanged files).

    ``mtime_ns`` is its modification time when it was read, or None when that time was too
    recent to tell a later change of the same size from it (see ``ingest.file_stamp``).
    """

    path: str
    sha256: str
    size: int
    mtime_ns: int | None = None


@dataclass(frozen=True)
class Sketch:
    """What detection needs from one document.

    ``shingles`` are the sorted unique hashes of the document's word shingles (after
    ``sketch.strip``, without boilerplate); ``positions`` gives each one's first token
    position (for finding contiguous passages); ``quoted`` whether it lies in a quotation
    there; ``minhash`` the datasketch MinHash values of all the document's shingles.
    """

    doc_id: str
    shingles: np.ndarray  # uint32
    positions: np.ndarray  # int32, aligned with ``shingles``
    quoted: np.ndarray  # bool, aligned with ``shingles``
    minhash: np.ndarray


@dataclass(frozen=True)
class Sentences:
    """A document's sentences as bags of content words (for finding rewritten copies).

    ``words`` / ``ids`` list each sentence's distinct content words (function words left
    out), sorted by word; ``sizes`` counts them per sentence (0 for a sentence that is mostly
    a quotation or boilerplate: it can match nothing) and ``tokens`` counts each sentence's
    tokens.
    """

    words: np.ndarray  # uint64
    ids: np.ndarray  # int32, aligned with ``words``
    sizes: np.ndarray  # int32, one per sentence
    tokens: np.ndarray  # int32, one per sentence


class CopyRelation(StrEnum):
    """How a copy relates to its cluster's canonical (``cluster_members.relation``)."""

    VERBATIM = "verbatim"  # the same text
    EXCERPT = "excerpt"  # a shortened copy
    EXPANDED = "expanded"  # the source's text plus added material
    EDITED = "edited"  # passages rewritten


class LinkRelation(StrEnum):
    """What a verified link says about its two documents."""

    COPY = "copy"
    REUSE = "reuse"


@dataclass(frozen=True)
class Link:
    """A verified derived-from edge between two documents (``source_id`` → ``copy_id``)."""

    source_id: str
    copy_id: str
    jaccard: float
    containment: float
    source_containment: float
    copy_containment: float
    shared: int
    longest_run: int
    method: str
    #: ``copy`` (two versions of one story: clusters are made of these) or ``reuse`` (a
    #: passage of one inside an otherwise different story: never merges clusters)
    relation: LinkRelation = LinkRelation.COPY

    def reversed(self) -> "Link":
        """The same link in the other direction (copy → source)."""
        return replace(
            self,
            source_id=self.copy_id,
            copy_id=self.source_id,
            source_containment=self.copy_containment,
            copy_containment=self.source_containment,
        )


@dataclass(frozen=True)
class Cluster:
    """A group of documents that carry the same story: one canonical, the rest copies."""

    id: int
    canonical_id: str
    member_ids: tuple[str, ...]
    similarity: dict = field(default_factory=dict)
    containment: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DiffOp:
    """One word-level edit inside a ``changed`` passage, with character offsets in both texts.

    ``op`` is ``equal``, ``replace``, ``insert`` (words only in the copy: empty source range)
    or ``delete`` (words only in the source: empty copy range). The ops of a passage cover its
    source and copy ranges exactly once, in order.
    """

    op: str
    source_start: int
    source_end: int
    copy_start: int
    copy_end: int


@dataclass(frozen=True)
class Passage:
    """A stretch of a source → copy alignment.

    ``kind`` is ``same`` (equal after normalisation), ``changed`` (matched but edited; ``diff``
    holds the word-level edits), ``added`` (only in the copy: empty source range) or
    ``removed`` (only in the source: empty copy range). Offsets are Python ``str`` offsets
    into the documents' stored texts.
    """

    kind: PassageKind
    source_start: int
    source_end: int
    copy_start: int
    copy_end: int
    similarity: float
    diff: tuple[DiffOp, ...] = ()


#: The names under which a copy's two coverage figures are shown, everywhere.
COPY_COVERAGE_LABEL = "from the source"  # copy_coverage: share of the copy's text from the source
SOURCE_COVERAGE_LABEL = "of the source kept"  # source_coverage: share of the source's text kept
NOT_ALIGNED = "not aligned"


def coverage_text(copy_coverage: float | None, source_coverage: float | None) -> str:
    """A copy's coverage figures as ``dedup show``, the reports and Datasette say them:
    ``84% from the source, 71% of the source kept`` (``not aligned`` without figures)."""
    if copy_coverage is None or source_coverage is None:
        return NOT_ALIGNED
    return f"{copy_coverage:.0%} {COPY_COVERAGE_LABEL}, {source_coverage:.0%} {SOURCE_COVERAGE_LABEL}"


@dataclass(frozen=True)
class ScanSummary:
    """The figures of one scan, as stored in its ``scans`` row and printed by ``dedup scan``."""

    finished_at: str
    n_files: int
    n_new_files: int
    n_changed_files: int
    n_unchanged_files: int
    #: files of the scanned folder that are gone: removed with ``prune``, kept otherwise
    n_missing_files: int
    n_removed_files: int
    n_skipped_files: int
    n_documents: int
    n_errors: int
    n_links: int
    n_reuse_links: int
    n_clusters: int
    n_clustered_documents: int
    n_boilerplate_shingles: int
    #: identifies the boilerplate found (``boilerplate.digest``)
    boilerplate_digest: str
    #: ``index``: only what the added documents reach was detected, from the lookup index;
    #: ``full``: detection ran over every stored document
    detection: str = "full"
    #: why a scan that only added documents did not detect from the index (None otherwise)
    detection_note: str | None = None

    @property
    def n_copy_links(self) -> int:
        """Links between two versions of one story (the rest are reuse)."""
        return self.n_links - self.n_reuse_links

    def as_dict(self) -> dict:
        """The figures by ``scans`` column name."""
        return asdict(self)
