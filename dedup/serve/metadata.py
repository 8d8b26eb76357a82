"""The Datasette metadata of a dedup database: descriptions, labels, facets and canned queries.

Every table and view has a one-line description; its columns are described from ``COLUMNS``
(what a column name means wherever it appears) unless the table says otherwise. The canned
queries' SQL is ``dedup.db.queries.QUERIES``; their titles and descriptions are here.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ..db.queries import QUERIES
from ..ingest import FORMATS, READERS
from ..models import DateSource

PLUGIN = "dedup"

# Columns of the documents on each side of a row, by prefix: source_title, copy_site, ...
_SIDES = {"source": "source", "copy": "copy", "canonical": "canonical", "reused_in": "carrying"}
_SIDE_COLUMNS = {
    "title": "Title of the {} document.",
    "site": "Site of the {} document.",
    "path": "File of the {} document.",
    "published_at": "Publication time of the {} document (UTC).",
}
_SCAN_FIGURES = {
    "n_files": "Files found.",
    "n_new_files": "Files not seen by an earlier scan.",
    "n_changed_files": "Files whose bytes changed since the last scan.",
    "n_unchanged_files": "Files not read again because their bytes did not change.",
    "n_missing_files": "Files of the folder gone since its last scan (kept unless the scan pruned them).",
    "n_removed_files": "Files whose documents the scan removed (pruned, or no longer readable).",
    "n_skipped_files": "Files skipped (hidden, or not an article format).",
    "n_documents": "Documents stored after the scan.",
    "n_errors": "Files or records that could not be used (see errors).",
    "n_links": "Verified links.",
    "n_clusters": "Clusters.",
    "n_clustered_documents": "Documents that belong to a cluster.",
}

#: What a column means, wherever a table or view has a column of that name.
COLUMNS: dict[str, str] = {
    **_SCAN_FIGURES,
    **{f"{side}_{column}": text.format(name) for side, name in _SIDES.items() for column, text in _SIDE_COLUMNS.items()},
    "canonical_id": "The document judged to be the original.",
    "reused_in_id": "The document that carries the passage.",
    "cluster_id": "The cluster: a group of documents that carry the same story.",
    "document_id": "The member document.",
    "scan_id": "The scan that wrote this row (see scans).",
    "source_id": "The document the text comes from.",
    "copy_id": "The document that re-uses it.",
    "title": "The headline, from the article's metadata.",
    "site": "The publishing site.",
    "author": "The byline.",
    "path": "The file, relative to the scanned folder.",
    "published_at": "Publication time in UTC (ISO 8601).",
    "n_words": "Number of words in the text.",
    "sha256": "SHA-256 of the stored text.",
    "started_at": "Start time (UTC).",
    "finished_at": "End time (UTC).",
    "root": "The scanned folder (absolute path).",
    "config_fingerprint": "A hash of the settings that decide results: equal fingerprints, comparable scans.",
    "reason": "Why it was not used.",
    "confidence": "How sure provenance is that the canonical is the original (0 to 1).",
    "size": "Documents in the cluster, canonical included.",
    "mean_similarity": "Mean Jaccard similarity of the copies with the canonical (0 to 1).",
    "similarity": "Jaccard similarity of the word shingles with the document compared (0 to 1).",
    "containment": "Share of the member's shingles also in the document it is compared with (0 to 1).",
    "copy_coverage": (
        'Shown as "from the source": the share of the copy\'s text that comes from the source, '
        "on the aligned passages of the link that represents the copy (0 to 1)."
    ),
    "source_coverage": (
        'Shown as "of the source kept": the share of the source\'s text kept in the copy, '
        "on the aligned passages of the link that represents the copy (0 to 1)."
    ),
    "compared_with": (
        "For a copy: the document its figures are measured against (the canonical, or the copy it "
        "is linked to when it is not linked to the canonical itself)."
    ),
    "relation": (
        "How a copy relates to the canonical: verbatim (the same text), excerpt (shortened), "
        "expanded (the source plus added material) or edited (rewritten passages)."
    ),
    "shared_shingles": "Shingles in shared runs (boilerplate and quotation-only runs left out).",
    "longest_run": "Shared shingles in the longest contiguous shared passage.",
    "n_passages": "Aligned passages (links to their diffs).",
    "detail": "What was found (JSON or text).",
    "kind": "same, changed (edited), added (only in the copy) or removed (only in the source).",
}


@dataclass(frozen=True)
class Table:
    """A table or view: its one-line description, its columns (described from ``COLUMNS``
    unless ``own`` says otherwise), and its Datasette settings."""

    description: str
    columns: str  # the column names, space-separated, in the table's order
    own: dict[str, str] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def metadata(self) -> dict:
        """The table's entry of Datasette's metadata."""
        columns = {name: self.own.get(name) or COLUMNS[name] for name in self.columns.split()}
        return {"description": self.description, "columns": columns, **self.settings}


# Each value of documents.format, with the file suffixes read that way: "html (.html, .htm)".
_FORMATS = ", ".join(
    f"{name} ({', '.join(s for reader in READERS if reader.format_name == name for s in reader.suffixes)})" for name in FORMATS
)

TABLES: dict[str, Table] = {
    "documents": Table(
        "Every article the scans found, with its text and metadata; search covers title and text.",
        "id path record format text title site author url canonical_url published_at sha256 n_words first_scan_id "
        "scan_id modified_at date_source based_on root",
        {
            "id": "The document's id: a hash of its folder's name, its path and record number, stable across rescans.",
            "path": "The file, relative to the scanned folder (root).",
            "title": "The headline: from metadata, or a text file's first line when it reads as one.",
            "record": "The record number inside a file of records (empty for one-article files).",
            "format": f"How the file was read, by its suffix: {_FORMATS}.",
            "text": "The article's text as stored (HTML reduced to its main text).",
            "url": "The article's own URL, from metadata.",
            "canonical_url": "The URL the page declares canonical (rel=canonical or og:url).",
            "modified_at": "Last modification time in UTC (ISO 8601), from metadata.",
            "date_source": f"Where published_at came from: {', '.join(DateSource)} (json: a record's field).",
            "based_on": "The URL of the work this article says it is based on (JSON-LD isBasedOn).",
            "first_scan_id": "The scan that first found the article.",
            "scan_id": "The scan that stored this version of the article (read it from a new or changed file).",
        },
        {"label_column": "title", "facets": ["site", "format"]},
    ),
    "clusters": Table(
        "Groups of documents that carry the same story: one canonical (the original) and its copies.",
        "id canonical_id size mean_similarity min_similarity max_similarity created_scan_id updated_scan_id "
        "confidence alternatives title decision_key",
        {
            "id": "Cluster id; it stays the same across rescans while the cluster keeps members.",
            "title": "The canonical document's title (or path), so links to the cluster are readable.",
            "min_similarity": "Lowest Jaccard similarity of a copy with the canonical.",
            "max_similarity": "Highest Jaccard similarity of a copy with the canonical.",
            "created_scan_id": "The scan that first found the cluster.",
            "updated_scan_id": "The last scan that changed its canonical or size.",
            "alternatives": "JSON: every member ranked by provenance score, [{document_id, score}].",
            "decision_key": "Hash of what the provenance decision was made from: a rescan reuses the decision while it holds.",
        },
        {"label_column": "title"},
    ),
    "cluster_members": Table(
        "Which documents belong to which cluster, with each one's role and figures.",
        "cluster_id document_id role similarity containment relation relation_detail score copy_coverage source_coverage compared_with",
        {
            "role": "canonical (the original, one per cluster) or copy.",
            "similarity": (
                "Jaccard similarity of the word shingles with the canonical (1.0 for the canonical; for a copy "
                "not linked to the canonical itself, with its closest linked member)."
            ),
            "relation_detail": "JSON: the figures that decided the relation.",
            "score": "Provenance score: the sum of the member's evidence weights; the higher, the likelier the original.",
        },
        {"facets": ["role", "relation"]},
    ),
    "links": Table(
        "Verified source → copy edges: a copy (two versions of one story) or a reuse (a passage inside another story).",
        "source_id copy_id jaccard containment source_containment copy_containment shared_shingles longest_run method "
        "scan_id copy_coverage source_coverage relation",
        {
            "relation": "copy (a version of the same story) or reuse (a passage inside another story; never joins clusters).",
            "jaccard": "Jaccard similarity of the two texts' word shingles after boilerplate (0 to 1).",
            "containment": "Share of the smaller text covered by shared runs of words: 1.0 when one text is inside the other.",
            "source_containment": "Share of the source's text covered by runs shared with the copy.",
            "copy_containment": "Share of the copy's text covered by runs shared with the source.",
            "method": "How the pair was found: lsh (MinHash similarity), passage (a long shared passage), or both.",
            "copy_coverage": "Share of the copy's text that comes from the source, on this link's aligned passages.",
            "source_coverage": "Share of the source's text kept in the copy, on this link's aligned passages.",
        },
        {"facets": ["relation", "method"]},
    ),
    "passages": Table(
        "The alignment of every link, passage by passage; the diff column shows the words that changed.",
        "id source_id copy_id position kind source_start source_end copy_start copy_end similarity diff",
        {
            "id": "Passage id.",
            "source_id": "The link's source document.",
            "copy_id": "The link's copy document.",
            "position": "Order of the passage within its link.",
            "source_start": "Start offset in the source's text (start = end when the passage is not in the source).",
            "source_end": "End offset (exclusive) in the source's text.",
            "copy_start": "Start offset in the copy's text (start = end when the passage is not in the copy).",
            "copy_end": "End offset (exclusive) in the copy's text.",
            "similarity": "How similar the two sides of the passage are (0 to 1).",
            "diff": (
                "Word-level edits of a changed passage: JSON [[op, source_start, source_end, copy_start, copy_end], ...] "
                "with op equal, replace, delete or insert; shown as struck-through and underlined words."
            ),
        },
        {"facets": ["kind"]},
    ),
    "evidence": Table(
        "The provenance signals that fired for each cluster member, and how much each weighed.",
        "id cluster_id document_id signal weight detail",
        {
            "id": "Evidence id.",
            "document_id": "The member the signal speaks for (or against).",
            "signal": "The named signal, e.g. an earlier publication time, a canonical link, an attribution line.",
            "weight": "The signal's contribution to the member's provenance score (negative counts against it).",
        },
        {"facets": ["signal"]},
    ),
    "cluster_changes": Table(
        "What each scan changed in the clusters, e.g. a canonical re-elected when an earlier source appeared.",
        "id scan_id cluster_id change old_canonical_id new_canonical_id detail",
        {
            "id": "Change id.",
            "change": "What happened to the cluster: created, canonical (re-elected) or removed.",
            "old_canonical_id": "The canonical before the scan.",
            "new_canonical_id": "The canonical after the scan.",
        },
        {"facets": ["change"]},
    ),
    "scans": Table(
        "One row per `dedup scan`: when it ran, on which folder, with which settings, and what it found.",
        "id started_at finished_at root parameters config_fingerprint versions " + " ".join(_SCAN_FIGURES)
        + " n_furniture_lines n_boilerplate_shingles n_reuse_links boilerplate_digest detection detection_note",
        {
            "id": "Scan id, in the order the scans ran.",
            "parameters": "JSON: the scan settings.",
            "versions": "JSON: versions of dedup, Python and the libraries that decide results.",
            "n_furniture_lines": "No longer written (scans before boilerplate was found shingle by shingle).",
            "n_boilerplate_shingles": "Distinct word shingles found to be boilerplate (site furniture) and ignored.",
            "n_reuse_links": "Links that are reuse (a passage inside another story), not copies.",
            "boilerplate_digest": "A hash of the boilerplate the scan found: a rescan that finds the same verifies less.",
            "detection": "index: only what the added files reach was detected, from the lookup index; full: over every stored document.",
            "detection_note": "Why a rescan detected over every stored document (files changed or removed, an index of other settings…).",
        },
        {"facets": ["detection"]},
    ),
    "files": Table(
        "Every file the scans read, with the hash that lets a rescan skip unchanged files.",
        "root path sha256 size mtime_ns n_documents scan_id",
        {
            "path": "The file, relative to the scanned folder (root).",
            "sha256": "SHA-256 of its bytes.",
            "size": "Size in bytes.",
            "mtime_ns": "Its modification time (ns since 1970) when read; a rescan does not read a file whose size and time are these.",
            "n_documents": "Documents it holds.",
            "scan_id": "The last scan that saw the file.",
        },
    ),
    "errors": Table(
        "Files or records a scan could not use, and why.",
        "id scan_id path reason",
        {"id": "Error id.", "path": "The file (and record)."},
    ),
    "cluster_overview": Table(
        "Start here: one row per cluster, largest first, with links to its copies, evidence, passages and report.",
        "cluster_id canonical_title n_copies copy_paths n_evidence n_passages report_page confidence size "
        "mean_similarity sites canonical_site canonical_published_at canonical_id canonical_path",
        {
            "n_copies": "Copies of the canonical (links to them).",
            "copy_paths": "Files of the copies, most similar first (the first ten).",
            "n_evidence": "Provenance signals recorded (links to them).",
            "n_passages": "Aligned passages of the links inside the cluster (links to their diffs).",
            "sites": "The distinct sites of the members.",
            "report_page": "The cluster's page in the HTML report (served under /reports/).",
        },
        {"facets": ["canonical_site"]},
    ),
    "copies": Table(
        "One row per copy, compared with its cluster's canonical (its source).",
        "cluster_id copy_id copy_title copy_site copy_published_at source_id source_title source_site relation "
        "similarity containment copy_coverage source_coverage compared_with n_passages n_changed copy_path source_path",
        {
            "copy_id": "The copy document.",
            "source_id": "The source: the cluster's canonical document.",
            "n_passages": "Aligned passages between source and copy (links to the diff).",
            "n_changed": "Passages of kind changed (edited wording).",
        },
        {"facets": ["relation", "copy_site"]},
    ),
    "unclustered_documents": Table(
        "Documents that are in no cluster: nothing else in the corpus carries their story.",
        "id title site published_at author path n_words",
        {"id": "The document's id."},
        {"facets": ["site"]},
    ),
    "scan_history": Table(
        "Every scan, latest first, with how long it took and what it found.",
        "scan_id started_at finished_at seconds root " + " ".join(_SCAN_FIGURES) + " config_fingerprint",
        {"scan_id": "Scan id.", "seconds": "Duration in seconds."},
    ),
    "reuse": Table(
        "Reuse links: a passage of one document inside an otherwise different story (not copies).",
        "source_id source_title source_site reused_in_id reused_in_title reused_in_site copy_coverage source_coverage "
        "shared_shingles longest_run n_shared_passages source_path reused_in_path",
        {
            "copy_coverage": "Share of the carrying document's text that comes from the source (aligned passages).",
            "source_coverage": "Share of the source's text found in the carrying document (aligned passages).",
            "n_shared_passages": "Aligned passages that the two share.",
        },
    ),
    "scan_errors": Table(
        "Every file or record a scan could not use, latest scan first.",
        "scan_id started_at path reason",
        {"scan_id": "The scan.", "path": "The file (and record)."},
    ),
}

#: Title and description of each canned query of ``dedup.db.queries.QUERIES``.
QUERY_TEXT: dict[str, tuple[str, str]] = {
    "copies_of_document": (
        "Copies of a document",
        (
            "Every copy of a document, given its id or its path: the documents it is the verified source of, "
            "and the copies of the cluster it is the canonical of."
        ),
    ),
    "clusters_spanning_site": (
        "Clusters spanning a site",
        "Clusters with at least one member published by the given site (its site name, or its URL's host).",
    ),
    "most_copied_sources": (
        "Most copied sources",
        "Original documents ranked by how many copies they have, and on how many other sites.",
    ),
    "changed_numbers_or_quotes": (
        "Copies that changed numbers or quotes",
        (
            "Changed passages whose edited words (on either side) contain a digit, a double quotation mark or an "
            "opening single quote: figures or quotations that differ from the source (apostrophes do not count, "
            "and quote style alone is never an edit)."
        ),
    ),
    "cluster_passages": (
        "Passages of a cluster",
        "Every aligned passage of the links inside a cluster, in order, with both sides' text and the word diff.",
    ),
}

NAVIGATION = (
    ("cluster_overview", "Clusters"),
    ("copies", "Copies"),
    ("unclustered_documents", "Documents in no cluster"),
    ("documents", "Search the documents"),
    ("scan_history", "Scan history"),
    ("scan_errors", "Scan errors"),
)


def database_name(db_path: Path | str) -> str:
    """The name Datasette gives the database: its file name without the extension."""
    return Path(db_path).stem


def metadata(db_path: Path | str, *, reports_url: str | None) -> dict:
    """Datasette 0.65 metadata for the database at ``db_path``.

    ``reports_url`` is where the HTML report pages are served (``None``: no report links).
    """
    from .internal import INTERNAL_TABLES  # they are described with this module's Table

    name = database_name(db_path)
    home = html.escape(f"/{quote(name)}")  # the database name comes from a file name: keep it inert
    links = " · ".join(f'<a href="{home}/{table}">{label}</a>' for table, label in NAVIGATION)
    queries = {
        query: {"title": QUERY_TEXT[query][0], "description": QUERY_TEXT[query][1], "sql": sql}
        for query, sql in QUERIES.items()
    }
    return {
        "title": "dedup: syndicated and re-published articles",
        "description_html": (
            f"<p>{links}</p><p>Start with <a href=\"{home}/cluster_overview\">Clusters</a>: each row links to "
            "the cluster's copies, its provenance evidence, its passage diffs and its HTML report.</p>"
        ),
        "databases": {
            name: {
                "description": (
                    "Documents found by dedup scans, the clusters of copies they form, the verified links, "
                    "the aligned passages of each link, and the provenance evidence for each canonical."
                ),
                "tables": {
                    **{table: entry.metadata() for table, entry in {**TABLES, **INTERNAL_TABLES}.items()},
                    "_sqlite_migrations": {"hidden": True, "description": "Schema migrations applied (sqlite-utils)."},
                },
                "queries": queries,
                "plugins": {PLUGIN: {"reports_url": reports_url}},
            }
        },
    }
