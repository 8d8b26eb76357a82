"""SQLite storage through sqlite-utils. The schema changes only through ``MIGRATIONS``.

The public schema (documented in the README) is what Datasette users, reports and scripts
rely on: ``documents``, ``clusters``, ``cluster_members``, ``links``, ``scans``, ``errors``
(plus ``files``, which remembers what each scanned file contained).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from sqlite_utils import Database, Migrations

from .errors import NotFoundError, StoreError
from .models import Cluster, Document, InputProblem, Link, SourceFile

MIGRATIONS = Migrations("dedup")

DOCUMENT_COLUMNS = (
    "id", "path", "record", "format", "text", "title", "site", "author", "url",
    "canonical_url", "published_at", "sha256", "n_words",
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


def open_db(path: Path | str, *, create: bool = True) -> Database:
    """Open (and migrate) the database at ``path``; with ``create=False`` it must exist."""
    path = Path(path)
    if not create and not path.exists():
        raise StoreError(f"no database at {path}: run `dedup scan FOLDER` first")
    try:
        db = Database(path)
        db.execute("PRAGMA foreign_keys = ON")
        if create:
            db.enable_wal()
            MIGRATIONS.apply(db)
        elif "documents" not in db.table_names():
            raise StoreError(f"{path} is not a dedup database (no documents table)")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open {path} as a SQLite database: {exc}") from exc
    return db


def start_scan(db: Database, started_at: str, root: str, parameters: dict, fingerprint: str, versions: dict) -> int:
    """Insert the ``scans`` row for a new scan and return its id."""
    table = db["scans"]
    table.insert(
        {
            "started_at": started_at, "root": root, "parameters": json.dumps(parameters, sort_keys=True),
            "config_fingerprint": fingerprint, "versions": json.dumps(versions, sort_keys=True),
        }
    )
    return table.last_pk


def stored_files(db: Database) -> dict[str, str]:
    """Path → sha256 of every file the previous scans stored."""
    return {row["path"]: row["sha256"] for row in db["files"].rows}


def stored_documents(db: Database) -> list[Document]:
    """Every stored document, in id order."""
    columns = ", ".join(DOCUMENT_COLUMNS)
    rows = db.execute(f"SELECT {columns} FROM documents ORDER BY id").fetchall()
    return [Document(**dict(zip(DOCUMENT_COLUMNS, row))) for row in rows]


def stored_clusters(db: Database) -> dict[int, frozenset[str]]:
    """Cluster id → member document ids, as the last scan left them."""
    members: dict[int, set[str]] = {}
    for cluster_id, doc_id in db.execute("SELECT cluster_id, document_id FROM cluster_members"):
        members.setdefault(cluster_id, set()).add(doc_id)
    return {cid: frozenset(m) for cid, m in members.items()}


def save_scan(
    db: Database,
    scan_id: int,
    *,
    files: Iterable[SourceFile],
    file_documents: dict[str, int],
    removed_paths: Iterable[str],
    new_documents: Iterable[Document],
    kept_document_ids: Iterable[str],
    problems: Iterable[InputProblem],
    links: Iterable[Link],
    clusters: Iterable[Cluster],
    summary: dict,
) -> None:
    """Write one scan's results in a single transaction (all or nothing)."""
    with db.atomic():
        db.execute("DELETE FROM cluster_members")
        previous = {row["id"]: row for row in db["clusters"].rows}
        db.execute("DELETE FROM clusters")
        db.execute("DELETE FROM links")
        removed = list(removed_paths)
        for path in removed:
            db.execute("DELETE FROM documents WHERE path = ?", [path])
            db.execute("DELETE FROM files WHERE path = ?", [path])
        new_documents = list(new_documents)
        for path in sorted({d.path for d in new_documents}):
            # A changed file may now hold fewer records than before.
            db.execute("DELETE FROM documents WHERE path = ?", [path])
        db["documents"].insert_all(
            ({**_document_row(d), "first_scan_id": scan_id, "scan_id": scan_id} for d in new_documents),
            pk="id",
            replace=True,
        )
        db.conn.executemany(
            "UPDATE documents SET scan_id = ? WHERE id = ?", [(scan_id, doc_id) for doc_id in kept_document_ids]
        )
        db["files"].upsert_all(
            (
                {"path": f.path, "sha256": f.sha256, "size": f.size, "n_documents": file_documents.get(f.path, 0), "scan_id": scan_id}
                for f in files
            ),
            pk="path",
        )
        db["errors"].insert_all(({"scan_id": scan_id, "path": p.path, "reason": p.reason} for p in problems), pk="id")
        db["links"].insert_all(
            (
                {
                    "source_id": l.source_id, "copy_id": l.copy_id, "jaccard": round(l.jaccard, 4),
                    "containment": round(l.containment, 4), "source_containment": round(l.source_containment, 4),
                    "copy_containment": round(l.copy_containment, 4), "shared_shingles": l.shared,
                    "longest_run": l.longest_run, "method": l.method, "scan_id": scan_id,
                }
                for l in links
            ),
            pk=("source_id", "copy_id"),
        )
        for cluster in clusters:
            copies = [cluster.similarity[m] for m in cluster.member_ids if m != cluster.canonical_id]
            old = previous.get(cluster.id)
            unchanged = old is not None and old["canonical_id"] == cluster.canonical_id and old["size"] == len(cluster.member_ids)
            db["clusters"].insert(
                {
                    "id": cluster.id, "canonical_id": cluster.canonical_id, "size": len(cluster.member_ids),
                    "mean_similarity": round(sum(copies) / len(copies), 4), "min_similarity": min(copies),
                    "max_similarity": max(copies), "created_scan_id": old["created_scan_id"] if old else scan_id,
                    "updated_scan_id": old["updated_scan_id"] if unchanged else scan_id,
                }
            )
            db["cluster_members"].insert_all(
                {
                    "cluster_id": cluster.id, "document_id": m,
                    "role": "canonical" if m == cluster.canonical_id else "copy",
                    "similarity": cluster.similarity[m], "containment": cluster.containment[m],
                }
                for m in cluster.member_ids
            )
        db["scans"].update(scan_id, summary)


def _document_row(doc: Document) -> dict:
    return {column: getattr(doc, column) for column in DOCUMENT_COLUMNS}


def list_clusters(db: Database) -> list[dict]:
    """One row per cluster: id, size, canonical document (path, title), similarity figures."""
    sql = """
        SELECT c.id, c.size, c.canonical_id, d.path AS canonical_path, d.title AS canonical_title,
               c.mean_similarity, c.min_similarity, c.max_similarity
        FROM clusters c JOIN documents d ON d.id = c.canonical_id ORDER BY c.id
    """
    return [dict(row) for row in _rows(db, sql)]


def cluster_detail(db: Database, cluster_id: int) -> dict:
    """A cluster with its members (role, similarity, containment, metadata)."""
    rows = _rows(db, "SELECT * FROM clusters WHERE id = ?", [cluster_id])
    if not rows:
        raise NotFoundError(f"no cluster {cluster_id}: `dedup clusters` lists the clusters")
    members = _rows(
        db,
        """
        SELECT m.document_id, m.role, m.similarity, m.containment, d.path, d.title, d.site,
               d.author, d.url, d.published_at, d.n_words
        FROM cluster_members m JOIN documents d ON d.id = m.document_id
        WHERE m.cluster_id = ? ORDER BY m.role = 'copy', m.similarity DESC, d.path
        """,
        [cluster_id],
    )
    return {**dict(rows[0]), "members": [dict(m) for m in members]}


def _rows(db: Database, sql: str, params: list | None = None) -> list[dict]:
    cursor = db.execute(sql, params or [])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
