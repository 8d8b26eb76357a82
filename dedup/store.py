"""SQLite storage through sqlite-utils. The schema changes only through ``MIGRATIONS``.

The public schema (documented in the README) is what Datasette users, reports and scripts
rely on: ``documents``, ``clusters``, ``cluster_members``, ``links``, ``scans``, ``errors``
(plus ``files``, which remembers what each scanned file contained).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sqlite_utils import Database, Migrations

from .errors import NotFoundError, StoreError
from .models import Cluster, DiffOp, Document, InputProblem, Link, Passage, SourceFile
from .provenance import Decision

MIGRATIONS = Migrations("dedup")

DOCUMENT_COLUMNS = (
    "id", "path", "record", "format", "text", "title", "site", "author", "url",
    "canonical_url", "published_at", "sha256", "n_words", "modified_at", "date_source", "based_on",
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
    """Browsing: full-text search, a readable ``clusters.title`` and the navigation views.

    Triggers keep the search index and the cluster titles in step with every later write, so
    a rescan needs no extra step. The views are what ``dedup serve`` shows first.
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
    for name, sql in VIEWS.items():
        db.create_view(name, sql)


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
    # One row per copy, measured against its cluster's canonical (the source).
    "copies": """
        SELECT m.cluster_id, m.document_id AS copy_id, d.title AS copy_title, d.site AS copy_site,
               d.published_at AS copy_published_at, c.canonical_id AS source_id, s.title AS source_title,
               s.site AS source_site, m.relation, m.similarity, m.containment,
               CASE WHEN l.copy_id = m.document_id THEN l.copy_coverage ELSE l.source_coverage END AS copy_coverage,
               CASE WHEN l.copy_id = m.document_id THEN l.source_coverage ELSE l.copy_coverage END AS source_coverage,
               (SELECT COUNT(*) FROM passages p WHERE p.source_id = l.source_id AND p.copy_id = l.copy_id) AS n_passages,
               (SELECT COUNT(*) FROM passages p
                    WHERE p.source_id = l.source_id AND p.copy_id = l.copy_id AND p.kind = 'changed') AS n_changed,
               d.path AS copy_path, s.path AS source_path
        FROM cluster_members m
        JOIN clusters c ON c.id = m.cluster_id
        JOIN documents d ON d.id = m.document_id
        JOIN documents s ON s.id = c.canonical_id
        LEFT JOIN links l ON (l.source_id = c.canonical_id AND l.copy_id = m.document_id)
                          OR (l.source_id = m.document_id AND l.copy_id = c.canonical_id)
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
    this migration were all copies. ``scans.n_furniture_lines`` is no longer written.
    """
    db["links"].add_column("relation", str, not_null_default="copy")
    db["links"].create_index(["relation"], find_unique_name=True)
    db["scans"].add_column("n_boilerplate_shingles", int)
    db["scans"].add_column("n_reuse_links", int)
    db.create_view(
        "reuse",
        """SELECT l.source_id, s.title AS source_title, s.site AS source_site, l.copy_id AS reused_in_id,
                  c.title AS reused_in_title, c.site AS reused_in_site, l.copy_coverage, l.source_coverage,
                  l.shared_shingles, l.longest_run,
                  (SELECT COUNT(*) FROM passages p WHERE p.source_id = l.source_id AND p.copy_id = l.copy_id
                       AND p.kind IN ('same', 'changed')) AS n_shared_passages,
                  s.path AS source_path, c.path AS reused_in_path
           FROM links l JOIN documents s ON s.id = l.source_id JOIN documents c ON c.id = l.copy_id
           WHERE l.relation = 'reuse'
           ORDER BY l.copy_coverage DESC, s.path, c.path""",
    )


def open_db(path: Path | str, *, create: bool = True) -> Database:
    """Open (and migrate) the database at ``path``; with ``create=False`` it must exist."""
    path = Path(path)
    if not create and not path.exists():
        raise StoreError(f"no database at {path}: run `dedup scan FOLDER` first")
    try:
        # Not bound to one thread: a scan writes documents from a worker thread while the
        # main thread computes (never both at once).
        db = Database(sqlite3.connect(path, check_same_thread=False))
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


def last_scan(db: Database, before: int) -> dict | None:
    """The latest finished scan with an id below ``before``, or None."""
    rows = list(db.query("SELECT * FROM scans WHERE id < ? AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1", [before]))
    return rows[0] if rows else None


def file_problems(db: Database, scan_id: int | None) -> dict[str, list[InputProblem]]:
    """The problems a scan found inside files it read, by file path (``a.jsonl#3`` → ``a.jsonl``)."""
    found: dict[str, list[InputProblem]] = {}
    if scan_id is not None:
        for path, reason in db.execute("SELECT path, reason FROM errors WHERE scan_id = ? ORDER BY id", [scan_id]):
            found.setdefault(path.split("#", 1)[0], []).append(InputProblem(path, reason))
    return found


def stored_alignments(db: Database, documents: Iterable[str]) -> dict[tuple[str, str], list[Passage]]:
    """The stored passages of every link between two of ``documents``, by (source, copy)."""
    wanted = set(documents)
    found: dict[tuple[str, str], list[Passage]] = {}
    sql = """SELECT source_id, copy_id, kind, source_start, source_end, copy_start, copy_end, similarity, diff
             FROM passages ORDER BY source_id, copy_id, position"""
    for source_id, copy_id, kind, s_start, s_end, c_start, c_end, similarity, diff in db.execute(sql):
        if source_id in wanted and copy_id in wanted:
            ops = tuple(DiffOp(*op) for op in json.loads(diff)) if diff else ()
            found.setdefault((source_id, copy_id), []).append(Passage(kind, s_start, s_end, c_start, c_end, similarity, ops))
    return found


def previous_clusters(db: Database) -> dict[int, dict]:
    """The ``clusters`` rows the last scan left, by id."""
    return {row["id"]: row for row in db["clusters"].rows}


def save_documents(
    db: Database,
    scan_id: int,
    *,
    files: Iterable[SourceFile],
    file_documents: dict[str, int],
    removed_paths: Iterable[str],
    new_documents: Iterable[Document],
    kept_document_ids: Iterable[str],
    problems: Iterable[InputProblem],
) -> None:
    """Write what a scan read: documents, files and errors.

    Clears the previous scan's results first (they refer to documents that may go).
    """
    with db.atomic():
        for table in ("passages", "evidence", "cluster_members", "clusters", "links"):
            db.execute(f"DELETE FROM {table}")
        for path in removed_paths:
            db.execute("DELETE FROM documents WHERE path = ?", [path])
            db.execute("DELETE FROM files WHERE path = ?", [path])
        new_documents = list(new_documents)
        known = {row[0] for row in db.execute("SELECT DISTINCT path FROM documents")}
        for path in sorted({d.path for d in new_documents} & known):
            # A changed file may now hold fewer records than before.
            db.execute("DELETE FROM documents WHERE path = ?", [path])
        _insert_many(
            db, "documents", (*DOCUMENT_COLUMNS, "first_scan_id", "scan_id"),
            ((*_document_values(d), scan_id, scan_id) for d in new_documents), replace=True,
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


def save_results(
    db: Database,
    scan_id: int,
    *,
    previous: Mapping[int, dict],
    links: Iterable[Link],
    clusters: Iterable[Cluster],
    summary: dict,
    decisions: Mapping[int, Decision] | None = None,
) -> None:
    """Write what detection found: links, clusters, members, evidence, changes, the summary.

    ``previous`` are the cluster rows before this scan (``previous_clusters``);
    ``decisions`` (cluster id → provenance decision) fill the confidence, alternatives,
    relations, scores and ``evidence`` rows; canonical changes go to ``cluster_changes``.
    """
    decisions = decisions or {}
    with db.atomic():
        db["links"].insert_all(
            (
                {
                    "source_id": l.source_id, "copy_id": l.copy_id, "jaccard": round(l.jaccard, 4),
                    "containment": round(l.containment, 4), "source_containment": round(l.source_containment, 4),
                    "copy_containment": round(l.copy_containment, 4), "shared_shingles": l.shared,
                    "longest_run": l.longest_run, "method": l.method, "relation": str(l.relation), "scan_id": scan_id,
                }
                for l in links
            ),
            pk=("source_id", "copy_id"),
        )
        clusters = list(clusters)
        cluster_rows, member_rows, evidence_rows = [], [], []
        for cluster in clusters:
            copies = [cluster.similarity[m] for m in cluster.member_ids if m != cluster.canonical_id]
            old = previous.get(cluster.id)
            unchanged = old is not None and old["canonical_id"] == cluster.canonical_id and old["size"] == len(cluster.member_ids)
            decision = decisions.get(cluster.id)
            cluster_rows.append(
                {
                    "id": cluster.id, "canonical_id": cluster.canonical_id, "size": len(cluster.member_ids),
                    "mean_similarity": round(sum(copies) / len(copies), 4), "min_similarity": min(copies),
                    "max_similarity": max(copies), "created_scan_id": old["created_scan_id"] if old else scan_id,
                    "updated_scan_id": old["updated_scan_id"] if unchanged else scan_id,
                    "confidence": decision.confidence if decision else None,
                    "alternatives": json.dumps(decision.alternatives()) if decision else None,
                }
            )
            member_rows.extend(
                {
                    "cluster_id": cluster.id, "document_id": m,
                    "role": "canonical" if m == cluster.canonical_id else "copy",
                    "similarity": cluster.similarity[m], "containment": cluster.containment[m],
                    **_provenance_row(decision, m),
                }
                for m in cluster.member_ids
            )
            if decision:
                evidence_rows.extend(
                    {"cluster_id": cluster.id, "document_id": e.document_id, "signal": e.signal,
                     "weight": e.weight, "detail": e.detail}
                    for e in decision.evidence
                )
        # One insert per table: sqlite-utils inspects the table on every call.
        db["clusters"].insert_all(cluster_rows, pk="id")
        db["cluster_members"].insert_all(member_rows, pk=("cluster_id", "document_id"))
        db["evidence"].insert_all(evidence_rows, pk="id")
        _record_changes(db, scan_id, previous, clusters, decisions)
        db["scans"].update(scan_id, summary)


def save_passages(db: Database, alignments: Iterable[tuple[Link, Sequence[Passage], object]]) -> None:
    """Store the alignment of each link: its passages and its coverage figures.

    ``alignments`` holds ``(link, passages, coverage)`` for links already saved by
    ``save_scan`` (which cleared the previous passages). ``passages.diff`` holds a changed
    passage's word edits as JSON ``[[op, source_start, source_end, copy_start, copy_end], ...]``.
    """
    alignments = list(alignments)
    with db.atomic():
        _insert_many(
            db, "passages",
            ("source_id", "copy_id", "position", "kind", "source_start", "source_end", "copy_start", "copy_end", "similarity", "diff"),
            (
                (
                    link.source_id, link.copy_id, position, p.kind, p.source_start, p.source_end, p.copy_start,
                    p.copy_end, p.similarity,
                    json.dumps([[o.op, o.source_start, o.source_end, o.copy_start, o.copy_end] for o in p.diff]) if p.diff else None,
                )
                for link, passages, _ in alignments
                for position, p in enumerate(passages)
            ),
        )
        db.conn.executemany(
            "UPDATE links SET copy_coverage = ?, source_coverage = ? WHERE source_id = ? AND copy_id = ?",
            [(c.copy_coverage, c.source_coverage, link.source_id, link.copy_id) for link, _, c in alignments],
        )


def _provenance_row(decision: Decision | None, doc_id: str) -> dict:
    """A member's provenance score, and for a copy its relation and the deciding figures."""
    if decision is None:
        return {}
    found = decision.relations.get(doc_id)
    return {
        "score": decision.score(doc_id),
        "relation": found.kind if found else None,
        "relation_detail": json.dumps(found.detail, sort_keys=True) if found else None,
    }


def _record_changes(db: Database, scan_id: int, previous: dict, clusters: list[Cluster], decisions: Mapping) -> None:
    """``cluster_changes`` rows: clusters created, re-elected (new canonical) or gone."""
    rows = []
    for cluster in clusters:
        old = previous.get(cluster.id)
        decision = decisions.get(cluster.id)
        sure = f" (confidence {decision.confidence:.2f})" if decision else ""
        if old is None:
            rows.append({"change": "created", "old_canonical_id": None, "detail": f"new cluster of {len(cluster.member_ids)} documents{sure}"})
        elif old["canonical_id"] != cluster.canonical_id:
            detail = f"canonical re-elected{sure}; was {old['canonical_id']} (confidence {old['confidence'] or 0:.2f})"
            rows.append({"change": "canonical", "old_canonical_id": old["canonical_id"], "detail": detail})
        else:
            continue
        rows[-1].update(scan_id=scan_id, cluster_id=cluster.id, new_canonical_id=cluster.canonical_id)
    kept = {c.id for c in clusters}
    for cluster_id, old in sorted(previous.items()):
        if cluster_id not in kept:
            rows.append({"scan_id": scan_id, "cluster_id": cluster_id, "change": "removed", "old_canonical_id": old["canonical_id"],
                         "new_canonical_id": None, "detail": "no longer a cluster"})
    db["cluster_changes"].insert_all(rows, pk="id")


def _document_values(doc: Document) -> tuple:
    return tuple(getattr(doc, column) for column in DOCUMENT_COLUMNS)


def _insert_many(db: Database, table: str, columns: tuple[str, ...], rows, *, replace: bool = False) -> None:
    """Insert many rows of plain values at once: the bulk path for the two largest tables,
    where sqlite-utils' per-value conversion would cost more than SQLite's own work."""
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    names = ", ".join(f"[{c}]" for c in columns)
    marks = ", ".join("?" for _ in columns)
    db.conn.executemany(f"{verb} INTO [{table}] ({names}) VALUES ({marks})", rows)


def list_clusters(db: Database) -> list[dict]:
    """One row per cluster: id, size, canonical document (path, title), similarity figures."""
    sql = """
        SELECT c.id, c.size, c.canonical_id, d.path AS canonical_path, d.title AS canonical_title,
               c.mean_similarity, c.min_similarity, c.max_similarity
        FROM clusters c JOIN documents d ON d.id = c.canonical_id ORDER BY c.id
    """
    return [dict(row) for row in _rows(db, sql)]


def cluster_detail(db: Database, cluster_id: int) -> dict:
    """A cluster with its members (role, similarity, containment, provenance, metadata),
    its provenance evidence, the history of its canonical (``changes``) and the reuse links
    that touch its members (``reuse``: passages of a member inside other stories, or of
    other stories inside a member; they never make a document a member)."""
    rows = _rows(db, "SELECT * FROM clusters WHERE id = ?", [cluster_id])
    if not rows:
        raise NotFoundError(f"no cluster {cluster_id}: `dedup clusters` lists the clusters")
    members = _rows(
        db,
        """
        SELECT m.document_id, m.role, m.similarity, m.containment, m.relation, m.relation_detail, m.score,
               d.path, d.record, d.title, d.site, d.author, d.url, d.published_at, d.date_source, d.n_words
        FROM cluster_members m JOIN documents d ON d.id = m.document_id
        WHERE m.cluster_id = ? ORDER BY m.role = 'copy', m.score DESC, m.similarity DESC, d.path
        """,
        [cluster_id],
    )
    for member in members:
        member["relation_detail"] = json.loads(member["relation_detail"]) if member["relation_detail"] else None
    evidence = _rows(
        db, "SELECT document_id, signal, weight, detail FROM evidence WHERE cluster_id = ? ORDER BY weight DESC, document_id, signal", [cluster_id]
    )
    changes = _rows(
        db,
        "SELECT scan_id, change, old_canonical_id, new_canonical_id, detail FROM cluster_changes WHERE cluster_id = ? ORDER BY id",
        [cluster_id],
    )
    reuse = _rows(
        db,
        """
        SELECT l.source_id, s.path AS source_path, s.title AS source_title, l.copy_id, c.path AS copy_path,
               c.title AS copy_title, l.source_containment, l.copy_containment, l.shared_shingles, l.longest_run
        FROM links l JOIN documents s ON s.id = l.source_id JOIN documents c ON c.id = l.copy_id
        WHERE l.relation = 'reuse' AND (
            l.source_id IN (SELECT document_id FROM cluster_members WHERE cluster_id = ?)
            OR l.copy_id IN (SELECT document_id FROM cluster_members WHERE cluster_id = ?))
        ORDER BY l.copy_containment DESC, s.path, c.path
        """,
        [cluster_id, cluster_id],
    )
    cluster = dict(rows[0])
    cluster["alternatives"] = json.loads(cluster["alternatives"]) if cluster.get("alternatives") else []
    return {**cluster, "members": members, "evidence": evidence, "changes": changes, "reuse": reuse}


def _rows(db: Database, sql: str, params: list | None = None) -> list[dict]:
    cursor = db.execute(sql, params or [])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
