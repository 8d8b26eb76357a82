"""Browse a dedup database in Datasette: metadata, canned queries, and the ``dedup serve`` command.

``metadata()`` describes the database, every table, view and column, sets the labels, facets and
full-text search, and carries the canned queries. ``write_metadata()`` puts it next to the
database so that plain ``datasette -i dedup.db -m dedup.metadata.json`` works too; ``serve()``
runs Datasette's own ``serve`` command on exactly those files, read-only.
"""

from __future__ import annotations

import html
import json
import logging
import os
import socket
from pathlib import Path
from urllib.parse import quote

from .db import open_db
from .db.schema import MIGRATIONS
from .errors import ServeError, StoreError

log = logging.getLogger(__name__)

PLUGIN = "dedup"
REPORTS_MOUNT = "reports"
# Queries over every passage of a large scan (changed_numbers_or_quotes on 600,000 passages)
# take over Datasette's default limit of one second; facet suggestions cost up to 50 ms per
# column on every page, and the useful facets are configured anyway.
SETTINGS = {"sql_time_limit_ms": 5000, "suggest_facets": False}

DOCUMENT_ID = "The document's id: a hash of its path and record number, stable across rescans."
CLUSTER_ID = "The cluster: a group of documents that carry the same story."
SCAN_ID = "The scan that wrote this row (see scans)."

TABLES: dict[str, dict] = {
    "documents": {
        "description": "Every article found by the scans, with its text and metadata. Search covers title and text.",
        "label_column": "title",
        "facets": ["site", "format"],
        "columns": {
            "id": DOCUMENT_ID,
            "path": "The file the article came from, relative to the scanned folder.",
            "record": "The record number inside a .json/.jsonl file (empty for one-article files).",
            "format": "How the file was read: txt, md, html, json or jsonl.",
            "text": "The article's text as stored (HTML reduced to its main text).",
            "title": "The headline (from metadata, or the first line of a text file).",
            "site": "The publishing site, from metadata (og:site_name or a JSON field).",
            "author": "The byline, from metadata.",
            "url": "The article's own URL, from metadata.",
            "canonical_url": "The URL the page declares canonical (rel=canonical or og:url).",
            "published_at": "Publication time in UTC (ISO 8601), from metadata.",
            "modified_at": "Last modification time in UTC (ISO 8601), from metadata.",
            "date_source": "Where published_at came from: meta, json-ld, htmldate or a JSON field.",
            "based_on": "The URL of the work this article says it is based on (JSON-LD isBasedOn).",
            "sha256": "SHA-256 of the stored text.",
            "n_words": "Number of words in the text.",
            "first_scan_id": "The scan that first found the article.",
            "scan_id": "The last scan that saw the article.",
        },
    },
    "clusters": {
        "description": (
            "Groups of documents that carry the same story: one canonical (the original) and its copies. "
            "Figures compare each copy with the canonical."
        ),
        "label_column": "title",
        "columns": {
            "id": "Cluster id; it stays the same across rescans while the cluster keeps members.",
            "title": "The canonical document's title (or path), so links to the cluster are readable.",
            "canonical_id": "The document judged to be the original.",
            "size": "Number of documents in the cluster, canonical included.",
            "mean_similarity": "Mean Jaccard similarity of the copies with the canonical (0 to 1).",
            "min_similarity": "Lowest Jaccard similarity of a copy with the canonical.",
            "max_similarity": "Highest Jaccard similarity of a copy with the canonical.",
            "created_scan_id": "The scan that first found the cluster.",
            "updated_scan_id": "The last scan that changed its canonical or size.",
            "confidence": "How sure provenance is that canonical_id is the original (0 to 1).",
            "alternatives": "JSON: every member ranked by provenance score, [{document_id, score}].",
        },
    },
    "cluster_members": {
        "description": "Which documents belong to which cluster, with each one's role and how it relates to the canonical.",
        "facets": ["role", "relation"],
        "columns": {
            "cluster_id": CLUSTER_ID,
            "document_id": "The member document.",
            "role": "canonical (the original, one per cluster) or copy.",
            "similarity": (
                "Jaccard similarity of the member's word shingles with the canonical's (1.0 for the canonical; "
                "for a copy not linked to the canonical itself, with its closest linked member)."
            ),
            "containment": "Share of the member's shingles that are also in the document it is compared with (0 to 1).",
            "copy_coverage": "For a copy: share of its text that comes from the source, on the aligned passages (0 to 1).",
            "source_coverage": "For a copy: share of the source's text it keeps, on the aligned passages (0 to 1).",
            "relation": (
                "How a copy relates to the canonical: verbatim (the same text), excerpt (a shortened copy), "
                "expanded (the source's text plus added material) or edited (rewritten passages)."
            ),
            "relation_detail": "JSON: the figures that decided the relation.",
            "score": "The member's provenance score: the higher, the more likely the original.",
        },
    },
    "links": {
        "description": (
            "Verified edges between two documents (source → copy): a copy (two versions of one story; "
            "clusters are made of these) or a reuse (a passage of one inside an otherwise different story)."
        ),
        "facets": ["relation", "method"],
        "columns": {
            "source_id": "The document the text comes from.",
            "copy_id": "The document that re-uses it.",
            "relation": "copy (a version of the same story) or reuse (a passage inside another story; never joins clusters).",
            "jaccard": "Jaccard similarity of the two texts' word shingles after boilerplate: shared / all distinct (0 to 1).",
            "containment": "Share of the smaller text covered by shared runs of words: 1.0 when one text is inside the other.",
            "source_containment": "Share of the source's text covered by runs shared with the copy.",
            "copy_containment": "Share of the copy's text covered by runs shared with the source.",
            "shared_shingles": "Shingles in shared runs (boilerplate and quotation-only runs left out).",
            "longest_run": "Shared shingles in the longest contiguous shared passage.",
            "method": "How the pair was found: lsh (MinHash similarity), passage (a long shared passage), or both.",
            "scan_id": SCAN_ID,
            "copy_coverage": "Share of the copy's text that comes from the source (after passage alignment).",
            "source_coverage": "Share of the source's text that the copy kept (after passage alignment).",
        },
    },
    "passages": {
        "description": (
            "The alignment of every link, passage by passage, in the copy's order. "
            "Offsets are character positions in documents.text; the diff column shows the words that changed."
        ),
        "facets": ["kind"],
        "columns": {
            "id": "Passage id.",
            "source_id": "The link's source document.",
            "copy_id": "The link's copy document.",
            "position": "Order of the passage within its link.",
            "kind": (
                "same (equal after normalising quotes, dashes and spaces), changed (matched but edited), "
                "added (only in the copy) or removed (only in the source)."
            ),
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
    },
    "evidence": {
        "description": "The provenance signals that fired for each cluster member, and how much each weighed in choosing the original.",
        "facets": ["signal"],
        "columns": {
            "id": "Evidence id.",
            "cluster_id": CLUSTER_ID,
            "document_id": "The member the signal speaks for (or against).",
            "signal": "The named signal, e.g. an earlier publication time, a canonical link, an attribution line.",
            "weight": "The signal's contribution to the member's score (negative counts against it).",
            "detail": "What was found (JSON or text), e.g. the dates compared or the attribution matched.",
        },
    },
    "cluster_changes": {
        "description": "What each scan changed in the clusters, e.g. a canonical re-elected when an earlier source appeared.",
        "facets": ["change"],
        "columns": {
            "id": "Change id.",
            "scan_id": SCAN_ID,
            "cluster_id": "The cluster that changed.",
            "change": "What happened to the cluster.",
            "old_canonical_id": "The canonical before the scan.",
            "new_canonical_id": "The canonical after the scan.",
            "detail": "JSON: the figures behind the change.",
        },
    },
    "scans": {
        "description": "One row per `dedup scan`: when it ran, on which folder, with which settings, and what it found.",
        "columns": {
            "id": "Scan id, in the order the scans ran.",
            "started_at": "Start time (UTC).",
            "finished_at": "End time (UTC).",
            "root": "The scanned folder.",
            "parameters": "JSON: the scan settings.",
            "config_fingerprint": "A hash of the settings that decide results: equal fingerprints, comparable scans.",
            "versions": "JSON: versions of dedup, Python and the libraries that decide results.",
            "n_files": "Files found.",
            "n_new_files": "Files not seen by an earlier scan.",
            "n_changed_files": "Files whose bytes changed since the last scan.",
            "n_unchanged_files": "Files not read again because their bytes did not change.",
            "n_removed_files": "Files gone since the last scan (their documents were removed).",
            "n_skipped_files": "Files skipped (hidden, or not an article format).",
            "n_documents": "Documents stored after the scan.",
            "n_errors": "Files or records that could not be used (see errors).",
            "n_links": "Verified links.",
            "n_clusters": "Clusters.",
            "n_clustered_documents": "Documents that belong to a cluster.",
            "n_furniture_lines": "No longer written (scans before boilerplate was found shingle by shingle).",
            "n_boilerplate_shingles": "Distinct word shingles found to be boilerplate (site furniture, template lines) and ignored.",
            "n_reuse_links": "Links that are reuse (a passage inside another story), not copies.",
        },
    },
    "files": {
        "description": "Every file the scans read, with the hash that lets a rescan skip unchanged files.",
        "columns": {
            "path": "The file, relative to the scanned folder.",
            "sha256": "SHA-256 of its bytes.",
            "size": "Size in bytes.",
            "n_documents": "Documents it holds.",
            "scan_id": "The last scan that saw the file.",
        },
    },
    "errors": {
        "description": "Files or records a scan could not use, and why.",
        "columns": {"id": "Error id.", "scan_id": SCAN_ID, "path": "The file (and record).", "reason": "Why it was not used."},
    },
    "cluster_overview": {
        "description": (
            "Start here: one row per cluster, largest first, with its canonical document and links to its copies, "
            "evidence, passage diffs and HTML report."
        ),
        "facets": ["canonical_site"],
        "columns": {
            "cluster_id": CLUSTER_ID,
            "canonical_title": "Title of the canonical document (the original).",
            "canonical_site": "Site of the canonical document.",
            "canonical_published_at": "Publication time of the canonical document (UTC).",
            "size": "Documents in the cluster, canonical included.",
            "n_copies": "Copies of the canonical (links to them).",
            "confidence": "How sure provenance is about the canonical (0 to 1).",
            "mean_similarity": "Mean Jaccard similarity of the copies with the canonical.",
            "copy_paths": "Files of the copies, most similar first (the first ten).",
            "sites": "The distinct sites of the members.",
            "n_evidence": "Provenance signals recorded (links to them).",
            "n_passages": "Aligned passages of the links inside the cluster (links to their diffs).",
            "canonical_id": "The canonical document's id.",
            "canonical_path": "The canonical document's file.",
            "report_page": "The cluster's page in the HTML report (served under /reports/).",
        },
    },
    "copies": {
        "description": "One row per copy, compared with its cluster's canonical (its source).",
        "facets": ["relation", "copy_site"],
        "columns": {
            "cluster_id": CLUSTER_ID,
            "copy_id": "The copy document.",
            "copy_title": "Title of the copy.",
            "copy_site": "Site of the copy.",
            "copy_published_at": "Publication time of the copy (UTC).",
            "source_id": "The source: the cluster's canonical document.",
            "source_title": "Title of the source.",
            "source_site": "Site of the source.",
            "relation": "verbatim, excerpt, expanded or edited (see cluster_members.relation).",
            "similarity": "Jaccard similarity with the source (0 to 1).",
            "containment": "Share of the copy's shingles found in the document it is compared with.",
            "copy_coverage": "Share of the copy's text that comes from the source (empty when not linked to it directly).",
            "source_coverage": "Share of the source's text that the copy kept.",
            "n_passages": "Aligned passages between source and copy (links to the diff).",
            "n_changed": "Passages of kind changed (edited wording).",
            "copy_path": "The copy's file.",
            "source_path": "The source's file.",
        },
    },
    "unclustered_documents": {
        "description": "Documents that are in no cluster: nothing else in the corpus carries their story.",
        "facets": ["site"],
        "columns": {
            "id": DOCUMENT_ID,
            "title": "The headline.",
            "site": "The publishing site.",
            "published_at": "Publication time (UTC).",
            "author": "The byline.",
            "path": "The file.",
            "n_words": "Number of words.",
        },
    },
    "scan_history": {
        "description": "Every scan, latest first, with how long it took and what it found.",
        "columns": {
            "scan_id": "Scan id.",
            "started_at": "Start time (UTC).",
            "finished_at": "End time (UTC).",
            "seconds": "Duration in seconds.",
            "root": "The scanned folder.",
            "n_files": "Files found.",
            "n_new_files": "New files.",
            "n_changed_files": "Changed files.",
            "n_unchanged_files": "Unchanged files (not read again).",
            "n_removed_files": "Removed files.",
            "n_skipped_files": "Skipped files.",
            "n_documents": "Documents after the scan.",
            "n_links": "Verified links.",
            "n_clusters": "Clusters.",
            "n_clustered_documents": "Documents in clusters.",
            "n_errors": "Files or records that could not be used.",
            "config_fingerprint": "Hash of the settings that decide results.",
        },
    },
    "reuse": {
        "description": "Reuse links: a passage of one document inside an otherwise different story (not copies).",
        "columns": {
            "source_id": "The document the passage comes from.",
            "source_title": "Its title.",
            "source_site": "Its site.",
            "reused_in_id": "The document that carries the passage.",
            "reused_in_title": "Its title.",
            "reused_in_site": "Its site.",
            "copy_coverage": "Share of the carrying document's text that comes from the source (after passage alignment).",
            "source_coverage": "Share of the source's text found in the carrying document (after passage alignment).",
            "shared_shingles": "Shingles in shared runs.",
            "longest_run": "Shingles in the longest shared passage.",
            "n_shared_passages": "Aligned passages that the two share.",
            "source_path": "The source's file.",
            "reused_in_path": "The carrying document's file.",
        },
    },
    "scan_errors": {
        "description": "Every file or record a scan could not use, latest scan first.",
        "columns": {
            "scan_id": "The scan.",
            "started_at": "When the scan started (UTC).",
            "path": "The file (and record).",
            "reason": "Why it was not used.",
        },
    },
}

QUERIES: dict[str, dict] = {
    "copies_of_document": {
        "title": "Copies of a document",
        "description": (
            "Every copy of a document, given its id or its path: the documents it is the verified source of, "
            "and the copies of the cluster it is the canonical of."
        ),
        "sql": """
WITH target AS (SELECT id FROM documents WHERE id = :document OR path = :document),
found AS (
  SELECT copy_id FROM links WHERE source_id IN (SELECT id FROM target)
  UNION
  SELECT m.document_id FROM cluster_members m JOIN clusters c ON c.id = m.cluster_id
  WHERE m.role = 'copy' AND c.canonical_id IN (SELECT id FROM target)
)
SELECT f.copy_id, d.title AS copy_title, d.site AS copy_site, d.published_at AS copy_published_at,
       m.cluster_id, m.role, m.relation, m.similarity, m.containment, d.path AS copy_path
FROM found f JOIN documents d ON d.id = f.copy_id
LEFT JOIN cluster_members m ON m.document_id = f.copy_id
ORDER BY m.similarity DESC, d.path""",
    },
    "clusters_spanning_site": {
        "title": "Clusters spanning a site",
        "description": "Clusters with at least one member published by the given site (its site name, or its URL's host).",
        "sql": """
SELECT o.* FROM cluster_overview o
WHERE o.cluster_id IN (
  SELECT m.cluster_id FROM cluster_members m JOIN documents d ON d.id = m.document_id
  WHERE d.site = :site OR d.url LIKE 'http%://' || :site || '/%'
)
ORDER BY o.size DESC, o.cluster_id""",
    },
    "most_copied_sources": {
        "title": "Most copied sources",
        "description": "Original documents ranked by how many copies they have, and on how many other sites.",
        "sql": """
SELECT c.canonical_id AS source_id, s.title AS source_title, s.site AS source_site,
       s.published_at AS source_published_at, c.size - 1 AS n_copies,
       COUNT(DISTINCT CASE WHEN d.site IS NOT s.site THEN d.site END) AS n_other_sites,
       c.id AS cluster_id, c.confidence
FROM clusters c
JOIN documents s ON s.id = c.canonical_id
JOIN cluster_members m ON m.cluster_id = c.id AND m.role = 'copy'
JOIN documents d ON d.id = m.document_id
GROUP BY c.id
ORDER BY n_copies DESC, n_other_sites DESC, c.id
LIMIT 200""",
    },
    "changed_numbers_or_quotes": {
        "title": "Copies that changed numbers or quotes",
        "description": (
            "Changed passages whose edited words (on either side) contain a digit, a double quotation mark or an "
            "opening single quote: figures or quotations that differ from the source (apostrophes do not count, "
            "and quote style alone is never an edit)."
        ),
        "sql": """
WITH changed AS MATERIALIZED (  -- cut each passage out of its documents once
  SELECT p.source_id, p.copy_id, p.position, p.kind, p.similarity, p.source_start, p.source_end, p.copy_start,
         p.copy_end, substr(s.text, p.source_start + 1, p.source_end - p.source_start) AS source_text,
         substr(c.text, p.copy_start + 1, p.copy_end - p.copy_start) AS copy_text, p.diff,
         s.title AS source_title, c.title AS copy_title
  FROM passages p JOIN documents s ON s.id = p.source_id JOIN documents c ON c.id = p.copy_id
  WHERE p.kind = 'changed'
)
SELECT m.cluster_id, p.copy_id, p.copy_title, p.source_id, p.source_title, p.position, p.kind, p.similarity,
       p.source_start, p.source_end, p.copy_start, p.copy_end, p.source_text, p.copy_text, p.diff
FROM changed p
LEFT JOIN cluster_members m ON m.document_id = p.copy_id
WHERE EXISTS (
  SELECT 1 FROM json_each(CASE WHEN json_valid(p.diff) THEN p.diff ELSE '[]' END) AS op
  WHERE json_extract(op.value, '$[0]') != 'equal'
    AND (substr(p.source_text, json_extract(op.value, '$[1]') - p.source_start + 1,
                json_extract(op.value, '$[2]') - json_extract(op.value, '$[1]'))
         || ' ' ||
         substr(p.copy_text, json_extract(op.value, '$[3]') - p.copy_start + 1,
                json_extract(op.value, '$[4]') - json_extract(op.value, '$[3]')))
        GLOB '*[0-9"“”„«»‘]*'
)
ORDER BY m.cluster_id, p.copy_id, p.position""",
    },
    "cluster_passages": {
        "title": "Passages of a cluster",
        "description": "Every aligned passage of the links inside a cluster, in order, with both sides' text and the word diff.",
        "sql": """
SELECT p.source_id, p.copy_id, p.position, p.kind, p.similarity,
       p.source_start, p.source_end, p.copy_start, p.copy_end,
       substr(s.text, p.source_start + 1, p.source_end - p.source_start) AS source_text,
       substr(c.text, p.copy_start + 1, p.copy_end - p.copy_start) AS copy_text,
       p.diff
FROM passages p
JOIN cluster_members mc ON mc.document_id = p.copy_id AND mc.cluster_id = :cluster_id
JOIN cluster_members ms ON ms.document_id = p.source_id AND ms.cluster_id = :cluster_id
JOIN documents s ON s.id = p.source_id
JOIN documents c ON c.id = p.copy_id
ORDER BY p.source_id, p.copy_id, p.position""",
    },
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


def metadata_path(db_path: Path | str) -> Path:
    """Where the metadata file of a database goes: ``dedup.db`` → ``dedup.metadata.json``."""
    path = Path(db_path)
    return path.with_name(f"{path.stem}.metadata.json")


def metadata(db_path: Path | str, *, reports_url: str | None = f"/{REPORTS_MOUNT}/") -> dict:
    """Datasette 0.65 metadata for the database at ``db_path``.

    ``reports_url`` is where the HTML report pages are served (``None``: no report links).
    """
    name = database_name(db_path)
    home = html.escape(f"/{quote(name)}")  # the database name comes from a file name: keep it inert
    links = " · ".join(f'<a href="{home}/{table}">{label}</a>' for table, label in NAVIGATION)
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
                    **TABLES,
                    "_sqlite_migrations": {"hidden": True, "description": "Schema migrations applied (sqlite-utils)."},
                },
                "queries": QUERIES,
                "plugins": {PLUGIN: {"reports_url": reports_url}},
            }
        },
    }


def write_metadata(db_path: Path | str, *, reports_url: str | None = f"/{REPORTS_MOUNT}/") -> Path:
    """Write the metadata next to the database (``dedup.metadata.json``) and return its path."""
    path = metadata_path(db_path)
    text = json.dumps(metadata(db_path, reports_url=reports_url), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot write the Datasette metadata {path}: {exc.strerror}") from exc
    return path


def check_database(db_path: Path | str) -> None:
    """Raise ``StoreError`` unless ``db_path`` is a dedup database with every migration applied."""
    db = open_db(db_path, create=False)
    try:
        pending = [m.name for m in MIGRATIONS.pending(db)]
    finally:
        db.close()
    if pending:
        raise StoreError(
            f"{db_path} was written by an older dedup (missing {', '.join(pending)}): "
            "run `dedup scan FOLDER --db` on it once to update it"
        )


def check_port(host: str, port: int) -> None:
    """Raise ``ServeError`` when ``host:port`` cannot be listened on right now (taken, or not an address here)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ServeError(f"cannot listen on {host}:{port} ({reason}): choose another --port or --host") from exc


def register_plugin() -> None:
    """Make sure Datasette loads the project's plugin (it is also an installed entry point)."""
    from datasette.plugins import pm

    from . import datasette_plugin

    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name=PLUGIN)


def datasette_args(db_path: Path | str, metadata_file: Path, *, host: str, port: int, reports: Path | None) -> list[str]:
    """The ``datasette serve`` arguments: the database immutable, the metadata, the reports folder."""
    args = ["serve", "-i", str(db_path), "-m", str(metadata_file), "--host", host, "--port", str(port)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, str(value)]
    if reports is not None:
        args += ["--static", f"{REPORTS_MOUNT}:{reports}"]
    return args


def prepare(db_path: Path | str, *, host: str = "127.0.0.1", port: int = 8001, reports: Path | None = Path("reports")) -> list[str]:
    """Check the database, write its metadata file, and return the ``datasette serve`` arguments.

    The report folder is served under ``/reports/`` when it exists; without it the clusters
    have no report links.
    """
    check_database(db_path)
    if reports is not None and not Path(reports).is_dir():
        log.warning("no report folder %s: run `dedup report` to get the cluster pages", reports)
        reports = None
    metadata_file = write_metadata(db_path, reports_url=f"/{REPORTS_MOUNT}/" if reports else None)
    return datasette_args(db_path, metadata_file, host=host, port=port, reports=reports)


def run(args: list[str]) -> None:
    """Run Datasette's own command line with ``args`` (with the project's plugin) until interrupted."""
    register_plugin()
    from datasette.cli import cli

    cli.main(args=args, prog_name="dedup serve", standalone_mode=False)
