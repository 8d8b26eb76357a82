"""The reads the evaluations use: documents, clusters, links and passages, named by path.

Labelled evaluation data names documents by their path in the scanned folder, so every read
here answers in paths. Most of them need only ``documents(id, path)``, ``links(source_id,
copy_id)``, ``cluster_members(cluster_id, document_id)`` and ``clusters(id, canonical_id)``.
"""

from __future__ import annotations

from sqlite_utils import Database


def document_paths(db: Database) -> list[str]:
    """The path of every stored document, in path order."""
    return [row[0] for row in db.execute("SELECT path FROM documents ORDER BY path")]


def document_texts(db: Database) -> dict[str, str]:
    """Path → stored text (the text the scan extracted)."""
    return dict(db.execute("SELECT path, text FROM documents").fetchall())


def document_titles(db: Database) -> dict[str, str | None]:
    """Path → stored title."""
    return dict(db.execute("SELECT path, title FROM documents").fetchall())


def memberships(db: Database) -> dict[str, int]:
    """Path of every clustered document → the id of its cluster."""
    sql = "SELECT d.path, MIN(m.cluster_id) FROM cluster_members m JOIN documents d ON d.id = m.document_id GROUP BY d.path"
    return dict(db.execute(sql).fetchall())


def cluster_canonicals(db: Database) -> dict[int, str]:
    """Cluster id → the path of its canonical document."""
    sql = "SELECT c.id, d.path FROM clusters c JOIN documents d ON d.id = c.canonical_id"
    return dict(db.execute(sql).fetchall())


def canonical_paths(db: Database) -> dict[str, str]:
    """Path of every clustered document → the path of its cluster's canonical."""
    sql = """
        SELECT d.path, k.path FROM cluster_members m
        JOIN clusters c ON c.id = m.cluster_id
        JOIN documents d ON d.id = m.document_id JOIN documents k ON k.id = c.canonical_id
    """
    return dict(db.execute(sql).fetchall())


def member_scores(db: Database) -> dict[str, tuple[int, float | None]]:
    """Path of every clustered document → (cluster id, provenance score in that cluster)."""
    sql = "SELECT d.path, m.cluster_id, m.score FROM cluster_members m JOIN documents d ON d.id = m.document_id"
    return {path: (cluster_id, score) for path, cluster_id, score in db.execute(sql)}


def copy_relations(db: Database) -> dict[str, str | None]:
    """Path of every copy (a member that is not its cluster's canonical) → its stored relation
    (verbatim, excerpt, expanded or edited)."""
    sql = "SELECT d.path, m.relation FROM cluster_members m JOIN documents d ON d.id = m.document_id WHERE m.role = 'copy'"
    return dict(db.execute(sql).fetchall())


def member_rows(db: Database) -> list[dict]:
    """Every cluster member with its role, shingle figures, path and text; by cluster, the
    canonical first, then by path."""
    sql = """
        SELECT m.cluster_id, m.role, m.similarity, m.containment, d.path, d.text
        FROM cluster_members m JOIN documents d ON d.id = m.document_id
        ORDER BY m.cluster_id, m.role = 'copy', d.path
    """
    return _dicts(db, sql)


def has_link_relation(db: Database) -> bool:
    """Whether the ``links`` table has the ``relation`` column (``copy`` or ``reuse``)."""
    return "relation" in db["links"].columns_dict


def links_by_path(db: Database, relation: str | None = None) -> list[tuple[str, str]]:
    """``(source path, copy path)`` of every stored link, or of those with ``relation``."""
    sql = "SELECT s.path, c.path FROM links l JOIN documents s ON s.id = l.source_id JOIN documents c ON c.id = l.copy_id"
    if relation is None:
        return db.execute(sql).fetchall()
    return db.execute(sql + " WHERE l.relation = ?", [relation]).fetchall()


def link_counts_by_relation(db: Database) -> dict[str, int]:
    """The number of stored links per relation (all under ``"all"`` when links carry none)."""
    if not has_link_relation(db):
        return {"all": row_count(db, "links")}
    sql = "SELECT relation, COUNT(*) FROM links GROUP BY relation ORDER BY relation"
    return {str(relation): n for relation, n in db.execute(sql)}


def link_rows(db: Database) -> list[dict]:
    """Every stored link with the path and text of both ends (``source_path``, ``source_text``,
    ``copy_path``, ``copy_text``), its shingle figures (``jaccard``, ``containment``) and,
    when links carry one, its ``relation``; by source path, then copy path."""
    relation = ", l.relation" if has_link_relation(db) else ""
    sql = f"""
        SELECT s.path AS source_path, s.text AS source_text, c.path AS copy_path, c.text AS copy_text,
               l.jaccard, l.containment{relation}
        FROM links l JOIN documents s ON s.id = l.source_id JOIN documents c ON c.id = l.copy_id
        ORDER BY s.path, c.path
    """
    return _dicts(db, sql)


def matched_spans_by_path_pair(db: Database) -> dict[tuple[str, str], list[tuple[int, int, int, int]]]:
    """(source path, copy path) of every aligned link → its matched passages (``same`` and
    ``changed``) as ``(source_start, source_end, copy_start, copy_end)``, in copy order."""
    sql = """
        SELECT s.path, c.path, p.source_start, p.source_end, p.copy_start, p.copy_end
        FROM passages p JOIN documents s ON s.id = p.source_id JOIN documents c ON c.id = p.copy_id
        WHERE p.kind IN ('same', 'changed') ORDER BY p.source_id, p.copy_id, p.position
    """
    spans: dict[tuple[str, str], list[tuple[int, int, int, int]]] = {}
    for source_path, copy_path, *span in db.execute(sql):
        spans.setdefault((source_path, copy_path), []).append(tuple(span))
    return spans


def detection_result(db: Database) -> tuple[list[tuple], list[list[str]]]:
    """The links (source, copy, relation) and the clusters' member ids of a scan, sorted:
    what two scans of the same documents must agree on."""
    links = sorted(db.execute("SELECT source_id, copy_id, relation FROM links").fetchall())
    members: dict[int, list[str]] = {}
    for cluster_id, doc_id in db.execute("SELECT cluster_id, document_id FROM cluster_members ORDER BY document_id"):
        members.setdefault(cluster_id, []).append(doc_id)
    return links, sorted(members.values())


#: What two engines must agree on, table by table (rows without the scan they belong to).
ENGINE_COLUMNS = {
    "links": "source_id, copy_id, jaccard, relation, copy_coverage, source_coverage",
    "clusters": "id, canonical_id, size, confidence",
    "cluster_members": "cluster_id, document_id, role, relation, score",
    "passages": "source_id, copy_id, position, kind, source_start, source_end, copy_start, copy_end",
}


def engine_result(db: Database) -> dict[str, list[tuple]]:
    """Per table of ``ENGINE_COLUMNS``, its rows sorted: what the local and the Spark engine
    must agree on, figures, canonicals and passages included."""
    return {table: db.execute(f"SELECT {columns} FROM {table} ORDER BY {columns}").fetchall() for table, columns in ENGINE_COLUMNS.items()}


def row_count(db: Database, table: str) -> int:
    """The number of rows of ``table`` (``documents``, ``links``, ``clusters``…)."""
    return db[table].count


def _dicts(db: Database, sql: str, params: list | None = None) -> list[dict]:
    cursor = db.execute(sql, params or [])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
