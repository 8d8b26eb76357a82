"""The database schema: migrations (through sqlite-utils) and views.

The schema changes only through ``MIGRATIONS``. The public schema (documented in the
README) is what Datasette users, reports and scripts rely on: ``documents``, ``clusters``,
``cluster_members``, ``links``, ``passages``, ``evidence``, ``scans``, ``errors`` (plus
``files``, which remembers what each scanned file contained).
"""

from __future__ import annotations

import hashlib
import json

from sqlite_utils import Database, Migrations

MIGRATIONS = Migrations("dedup")


DOCUMENT_COLUMNS = (
    "id", "path", "record", "format", "text", "title", "site", "author", "url",
    "canonical_url", "published_at", "sha256", "n_words", "modified_at", "date_source", "based_on", "root",
)


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    """The first public schema."""
    db["scans"].create(
        {
            "id": int, "started_at": str, "finished_at": str, "root": str, "parameters": str,
            "config_fingerprint": str, "versions": str, "n_files": int, "n_new_files": int,
            "n_changed_files": int, "n_unchanged_files": int, "n_removed_files": int,
            "n_skipped_files": int, "n_documents": int, "n_errors": int, "n_links": int,
            "n_clusters": int, "n_clustered_documents": int, "n_furniture_lines": int,
        },
        pk="id",
    )
    db["documents"].create(
        {
            "id": str, "path": str, "record": int, "format": str, "text": str, "title": str,
            "site": str, "author": str, "url": str, "canonical_url": str, "published_at": str,
            "sha256": str, "n_words": int, "first_scan_id": int, "scan_id": int,
        },
        pk="id",
        foreign_keys=[("first_scan_id", "scans", "id"), ("scan_id", "scans", "id")],
    )
    db["files"].create(
        {"path": str, "sha256": str, "size": int, "n_documents": int, "scan_id": int},
        pk="path",
        foreign_keys=[("scan_id", "scans", "id")],
    )
    db["clusters"].create(
        {
            "id": int, "canonical_id": str, "size": int, "mean_similarity": float,
            "min_similarity": float, "max_similarity": float, "created_scan_id": int,
            "updated_scan_id": int,
        },
        pk="id",
        foreign_keys=[
            ("canonical_id", "documents", "id"),
            ("created_scan_id", "scans", "id"),
            ("updated_scan_id", "scans", "id"),
        ],
    )
    db["cluster_members"].create(
        {"cluster_id": int, "document_id": str, "role": str, "similarity": float, "containment": float},
        pk=("cluster_id", "document_id"),
        foreign_keys=[("cluster_id", "clusters", "id"), ("document_id", "documents", "id")],
    )
    db["links"].create(
        {
            "source_id": str, "copy_id": str, "jaccard": float, "containment": float,
            "source_containment": float, "copy_containment": float, "shared_shingles": int,
            "longest_run": int, "method": str, "scan_id": int,
        },
        pk=("source_id", "copy_id"),
        foreign_keys=[("source_id", "documents", "id"), ("copy_id", "documents", "id"), ("scan_id", "scans", "id")],
    )
    db["errors"].create(
        {"id": int, "scan_id": int, "path": str, "reason": str},
        pk="id",
        foreign_keys=[("scan_id", "scans", "id")],
    )
    for table, column in [
        ("documents", "first_scan_id"), ("documents", "scan_id"), ("documents", "path"),
        ("files", "scan_id"), ("clusters", "canonical_id"), ("clusters", "created_scan_id"),
        ("clusters", "updated_scan_id"), ("cluster_members", "cluster_id"),
        ("cluster_members", "document_id"), ("links", "source_id"), ("links", "copy_id"),
        ("links", "scan_id"), ("errors", "scan_id"),
    ]:
        db[table].create_index([column], find_unique_name=True)


@MIGRATIONS()
def m002_passages(db: Database) -> None:
    """Passage alignment of every link, and per-link coverage figures."""
    db["passages"].create(
        {
            "id": int, "source_id": str, "copy_id": str, "position": int, "kind": str,
            "source_start": int, "source_end": int, "copy_start": int, "copy_end": int,
            "similarity": float, "diff": str,
        },
        pk="id",
        foreign_keys=[("source_id", "documents", "id"), ("copy_id", "documents", "id")],
    )
    db["passages"].create_index(["source_id", "copy_id", "position"], unique=True, find_unique_name=True)
    db["passages"].create_index(["copy_id"], find_unique_name=True)
    db["links"].add_column("copy_coverage", float)  # share of the copy's text that comes from the source
    db["links"].add_column("source_coverage", float)  # share of the source's text kept in the copy


@MIGRATIONS()
def m003_provenance(db: Database) -> None:
    """Provenance: evidence rows, cluster confidence, copy relations, and canonical changes."""
    db["clusters"].add_column("confidence", float)
    db["clusters"].add_column("alternatives", str)  # JSON: ranked [{document_id, score}]
    db["cluster_members"].add_column("relation", str)  # verbatim, excerpt, expanded, edited (copies)
    db["cluster_members"].add_column("relation_detail", str)  # JSON: the figures that decided it
    db["cluster_members"].add_column("score", float)  # the member's provenance score
    db["evidence"].create(
        {"id": int, "cluster_id": int, "document_id": str, "signal": str, "weight": float, "detail": str},
        pk="id",
        foreign_keys=[("cluster_id", "clusters", "id"), ("document_id", "documents", "id")],
    )
    db["cluster_changes"].create(
        {
            "id": int, "scan_id": int, "cluster_id": int, "change": str, "old_canonical_id": str,
            "new_canonical_id": str, "detail": str,
        },
        pk="id",
        foreign_keys=[("scan_id", "scans", "id")],
    )
    for table, column in [
        ("evidence", "cluster_id"), ("evidence", "document_id"), ("cluster_changes", "scan_id"),
        ("cluster_changes", "cluster_id"),
    ]:
        db[table].create_index([column], find_unique_name=True)


@MIGRATIONS()
def m004_search(db: Database) -> None:
    """Browsing: full-text search and a readable ``clusters.title``.

    Triggers keep the search index and the cluster titles in step with every later write, so
    a rescan needs no extra step. (This migration also created the navigation views, which
    ``m008_views`` now creates.)
    """
    db["documents"].enable_fts(["title", "text"], tokenize="porter", create_triggers=True)
    # A rescan touches every kept document's scan_id; re-index only when the text changes.
    db.execute("DROP TRIGGER documents_au")
    db.execute(
        """CREATE TRIGGER documents_au AFTER UPDATE OF title, text ON documents BEGIN
          INSERT INTO documents_fts (documents_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
          INSERT INTO documents_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
        END"""
    )
    # Foreign keys to a cluster read as its story (the canonical's title) in Datasette.
    db["clusters"].add_column("title", str)
    label = "(SELECT COALESCE(d.title, d.path) FROM documents d WHERE d.id = NEW.canonical_id)"
    for name, event in (("clusters_title_ai", "INSERT"), ("clusters_title_au", "UPDATE OF canonical_id")):
        db.execute(f"CREATE TRIGGER {name} AFTER {event} ON clusters BEGIN UPDATE clusters SET title = {label} WHERE id = NEW.id; END")
    for name, event in (("documents_cluster_title_ai", "INSERT"), ("documents_cluster_title_au", "UPDATE OF title, path")):
        db.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON documents BEGIN "
            "UPDATE clusters SET title = COALESCE(NEW.title, NEW.path) WHERE canonical_id = NEW.id; END"
        )
    db.execute("UPDATE clusters SET title = (SELECT COALESCE(d.title, d.path) FROM documents d WHERE d.id = canonical_id)")
    db["passages"].create_index(["kind"], find_unique_name=True)  # the kind facet, and queries on changed passages


#: The views, as the latest migration that touches them (``m008_views``) creates them. They are
#: what ``dedup serve`` shows first.
VIEWS = {
    # One row per cluster: the story, where it appeared, and how sure provenance is.
    "cluster_overview": """
        SELECT c.id AS cluster_id, d.title AS canonical_title, c.size - 1 AS n_copies,
               (SELECT group_concat(path, ', ') FROM (
                    SELECT cd.path FROM cluster_members cm JOIN documents cd ON cd.id = cm.document_id
                    WHERE cm.cluster_id = c.id AND cm.role = 'copy' ORDER BY cm.similarity DESC, cd.path LIMIT 10)) AS copy_paths,
               (SELECT COUNT(*) FROM evidence e WHERE e.cluster_id = c.id) AS n_evidence,
               (SELECT COUNT(*) FROM passages p
                    JOIN cluster_members pc ON pc.document_id = p.copy_id AND pc.cluster_id = c.id
                    JOIN cluster_members ps ON ps.document_id = p.source_id AND ps.cluster_id = c.id) AS n_passages,
               'cluster-' || c.id || '.html' AS report_page, c.confidence, c.size, c.mean_similarity,
               (SELECT group_concat(site, ', ') FROM (
                    SELECT DISTINCT s.site FROM cluster_members sm JOIN documents s ON s.id = sm.document_id
                    WHERE sm.cluster_id = c.id AND s.site IS NOT NULL ORDER BY s.site)) AS sites,
               d.site AS canonical_site, d.published_at AS canonical_published_at, c.canonical_id,
               d.path AS canonical_path
        FROM clusters c JOIN documents d ON d.id = c.canonical_id
        ORDER BY c.size DESC, c.id
    """,
    # One row per copy, measured against its cluster's canonical (the source); the coverage
    # figures are the member's own (see m007_member_coverage).
    "copies": """
        SELECT m.cluster_id, m.document_id AS copy_id, d.title AS copy_title, d.site AS copy_site,
               d.published_at AS copy_published_at, c.canonical_id AS source_id, s.title AS source_title,
               s.site AS source_site, m.relation, m.similarity, m.containment,
               m.copy_coverage, m.source_coverage, m.compared_with,
               (SELECT COUNT(*) FROM passages p WHERE p.source_id = l.source_id AND p.copy_id = l.copy_id) AS n_passages,
               (SELECT COUNT(*) FROM passages p
                    WHERE p.source_id = l.source_id AND p.copy_id = l.copy_id AND p.kind = 'changed') AS n_changed,
               d.path AS copy_path, s.path AS source_path
        FROM cluster_members m
        JOIN clusters c ON c.id = m.cluster_id
        JOIN documents d ON d.id = m.document_id
        JOIN documents s ON s.id = c.canonical_id
        LEFT JOIN links l ON (l.source_id = m.compared_with AND l.copy_id = m.document_id)
                          OR (l.source_id = m.document_id AND l.copy_id = m.compared_with)
        WHERE m.role = 'copy'
        ORDER BY m.cluster_id, m.similarity DESC, d.path
    """,
    "unclustered_documents": """
        SELECT d.id, d.title, d.site, d.published_at, d.author, d.path, d.n_words
        FROM documents d
        WHERE NOT EXISTS (SELECT 1 FROM cluster_members m WHERE m.document_id = d.id)
        ORDER BY d.path, d.record
    """,
    "scan_history": """
        SELECT id AS scan_id, started_at, finished_at,
               ROUND((julianday(finished_at) - julianday(started_at)) * 86400, 2) AS seconds, root,
               n_files, n_new_files, n_changed_files, n_unchanged_files, n_removed_files, n_skipped_files,
               n_documents, n_links, n_clusters, n_clustered_documents, n_errors, config_fingerprint
        FROM scans ORDER BY id DESC
    """,
    "scan_errors": """
        SELECT e.scan_id, s.started_at, e.path, e.reason
        FROM errors e JOIN scans s ON s.id = e.scan_id
        ORDER BY e.scan_id DESC, e.path
    """,
    # Reuse links: a passage of one document inside an otherwise different story.
    "reuse": """
        SELECT l.source_id, s.title AS source_title, s.site AS source_site, l.copy_id AS reused_in_id,
               c.title AS reused_in_title, c.site AS reused_in_site, l.copy_coverage, l.source_coverage,
               l.shared_shingles, l.longest_run,
               (SELECT COUNT(*) FROM passages p WHERE p.source_id = l.source_id AND p.copy_id = l.copy_id
                    AND p.kind IN ('same', 'changed')) AS n_shared_passages,
               s.path AS source_path, c.path AS reused_in_path
        FROM links l JOIN documents s ON s.id = l.source_id JOIN documents c ON c.id = l.copy_id
        WHERE l.relation = 'reuse'
        ORDER BY l.copy_coverage DESC, s.path, c.path
    """,
}


@MIGRATIONS()
def m005_document_dates(db: Database) -> None:
    """Provenance metadata of documents: modification time, where the date came from, isBasedOn."""
    db["documents"].add_column("modified_at", str)  # UTC, from article:modified_time / dateModified
    db["documents"].add_column("date_source", str)  # meta, json-ld, htmldate or json
    db["documents"].add_column("based_on", str)  # JSON-LD isBasedOn: the URL of the original


@MIGRATIONS()
def m006_relations(db: Database) -> None:
    """Copy versus reuse: each link's relation, and the boilerplate and reuse counts of a scan.

    ``links.relation`` is ``copy`` (two versions of one story; clusters are made of these)
    or ``reuse`` (a passage of one inside an otherwise different story). Links made before
    this migration were all copies. ``scans.n_furniture_lines`` is no longer written. (This
    migration also created the ``reuse`` view, which ``m008_views`` now creates.)
    """
    db["links"].add_column("relation", str, not_null_default="copy")
    db["links"].create_index(["relation"], find_unique_name=True)
    db["scans"].add_column("n_boilerplate_shingles", int)
    db["scans"].add_column("n_reuse_links", int)


@MIGRATIONS()
def m007_member_coverage(db: Database) -> None:
    """The coverage figures of each copy, on the cluster member row.

    ``copy_coverage`` is the share of the copy's text that comes from the source and
    ``source_coverage`` the share of the source's text kept in the copy, both measured on the
    aligned passages of the link that represents the member (see ``cluster.member_links``).
    They are the figures ``dedup show``, the reports and Datasette show for a copy.
    """
    db["cluster_members"].add_column("copy_coverage", float)
    db["cluster_members"].add_column("source_coverage", float)


@MIGRATIONS()
def m008_views(db: Database) -> None:
    """The link that represents each copy, and the navigation views (re-)created from
    ``VIEWS``: ``copies`` shows the member's own coverage figures (``m007_member_coverage``)
    and the passages of the link that represents it.

    ``cluster_members.compared_with`` is the document at the other end of that link (the
    canonical, or for a copy linked only to another copy, that copy: ``cluster.member_links``);
    the member's similarity, containment, coverage and relation are measured on it.
    """
    db["cluster_members"].add_column("compared_with", str, fk="documents", fk_col="id")
    db["cluster_members"].create_index(["compared_with"], find_unique_name=True)
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)


@MIGRATIONS()
def m009_roots(db: Database) -> None:
    """Several scanned folders in one database.

    ``documents.root`` and ``files.root`` name the folder a document or file was read from
    (``path`` is relative to it) and ``files`` is keyed by (root, path). A document's id now
    also names its folder (``ingest.root_scoped``), so the same file name in two folders
    gives two documents: the documents of the database's last scanned folder are re-keyed
    here, in every table that names them. ``scans.n_missing_files`` counts the files gone
    from a scanned folder (kept unless the scan prunes them).
    """
    found = db.execute("SELECT root FROM scans WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
    root = found[0] if found else None
    db["documents"].add_column("root", str)
    db["files"].add_column("root", str)
    db["scans"].add_column("n_missing_files", int)
    if root is not None:
        db.execute("UPDATE files SET root = ?", [root])
        db.execute("UPDATE documents SET root = ?", [root])
    db["files"].transform(pk=("root", "path"))
    db["documents"].create_index(["root", "path"], find_unique_name=True)
    if root is None:
        return
    # Every reference changes in one transaction: foreign keys are checked at its end.
    db.execute("PRAGMA defer_foreign_keys = ON")
    db.conn.create_function("scoped_id", 1, lambda old: None if old is None else _m009_scoped_id(root, old), deterministic=True)
    for table, columns in (
        ("documents", ("id",)), ("links", ("source_id", "copy_id")), ("passages", ("source_id", "copy_id")),
        ("cluster_members", ("document_id", "compared_with")), ("clusters", ("canonical_id",)),
        ("evidence", ("document_id",)), ("cluster_changes", ("old_canonical_id", "new_canonical_id")),
    ):
        db.execute(f"UPDATE [{table}] SET " + ", ".join(f"[{c}] = scoped_id([{c}])" for c in columns))
    for row_id, alternatives in db.execute("SELECT id, alternatives FROM clusters WHERE alternatives IS NOT NULL").fetchall():
        ranked = [{**a, "document_id": _m009_scoped_id(root, a["document_id"])} for a in json.loads(alternatives)]
        db.execute("UPDATE clusters SET alternatives = ? WHERE id = ?", [json.dumps(ranked), row_id])
    for cluster_id, doc_id, detail in db.execute(
        "SELECT cluster_id, document_id, relation_detail FROM cluster_members WHERE relation_detail IS NOT NULL"
    ).fetchall():
        figures = json.loads(detail)
        if figures.get("measured_against"):
            figures["measured_against"] = _m009_scoped_id(root, figures["measured_against"])
        db.execute(
            "UPDATE cluster_members SET relation_detail = ? WHERE cluster_id = ? AND document_id = ?",
            [json.dumps(figures, sort_keys=True), cluster_id, doc_id],
        )


def _m009_scoped_id(root: str, doc_id: str) -> str:
    """``ingest.scoped_id`` as m009 applies it (kept here: a migration must not change when
    the code that makes new ids does)."""
    label = root.rstrip("/").rsplit("/", 1)[-1]
    return hashlib.sha256(f"{label}/{doc_id}".encode("utf-8")).hexdigest()[:16]


@MIGRATIONS()
def m010_sketches(db: Database) -> None:
    """The index a rescan reuses: each document's sketch (word-shingle hashes, their first
    positions, whether each lies in a quotation, and the MinHash signature), with the hash
    of the text and the settings it was made from (``ScanConfig.sketch_fingerprint``).

    A rescan sketches only the documents whose text or settings changed. Rows are kept in
    step with ``documents`` by the scan (no foreign key: a document's rows go with it).
    ``scans.boilerplate_digest`` identifies the boilerplate a scan found: a rescan that finds
    the same, with nothing removed, verifies again only the pairs that were links."""
    db["sketches"].create(
        {
            "document_id": str, "text_sha256": str, "fingerprint": str, "shingles": bytes,
            "positions": bytes, "quoted": bytes, "minhash": bytes,
        },
        pk="document_id",
    )
    db["scans"].add_column("boilerplate_digest", str)


@MIGRATIONS()
def m011_decision_keys(db: Database) -> None:
    """``clusters.decision_key``: a hash of everything the cluster's provenance decision was
    made from (``provenance.decision_key``). A rescan that finds a group with the same key, with
    the same settings and versions, takes the stored decision instead of deciding again."""
    db["clusters"].add_column("decision_key", str)


# The lookup index's migrations (m012 on) live beside it; importing the module registers them.
from . import index_schema  # noqa: E402, F401


@MIGRATIONS()
def m014_file_times(db: Database) -> None:
    """``files.mtime_ns``: a file's modification time when it was read (NULL: unknown, or too
    recent to trust). A rescan takes a file whose size and time are the stored ones as
    unchanged without reading it."""
    db["files"].add_column("mtime_ns", int)
