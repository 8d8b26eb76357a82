"""Reads: every query the commands, reports and evaluations run on a dedup database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlite_utils import Database

from ..errors import NotFoundError
from ..models import DiffOp, Document, InputProblem, Passage, Sketch, SourceFile
from ..provenance import Decision, Evidence
from .codec import SKETCH_ARRAYS, decode_diff, decode_sketch
from .schema import DOCUMENT_COLUMNS


@dataclass(frozen=True)
class PassageText:
    """A stored passage of a link with the text of both its sides.

    ``source_text`` is ``source[source_start:source_end]`` and ``copy_text`` is
    ``copy[copy_start:copy_end]``; the offsets of ``diff`` are in the whole documents.
    """

    position: int
    kind: str
    source_start: int
    source_end: int
    copy_start: int
    copy_end: int
    similarity: float | None
    diff: tuple[DiffOp, ...]
    source_text: str
    copy_text: str


def stored_files(db: Database, root: str) -> dict[str, SourceFile]:
    """Path → the file (hash, size, modification time) of every file the previous scans
    stored from the folder ``root``."""
    rows = db.execute("SELECT path, sha256, size, mtime_ns FROM files WHERE root = ?", [root]).fetchall()
    return {row[0]: SourceFile(*row) for row in rows}


def stored_roots(db: Database) -> list[str]:
    """The scanned folders the database holds files of, sorted."""
    # One index lookup per folder (a skip scan of the (root, path) key), not a pass over every file.
    sql = """WITH RECURSIVE found(root) AS (
                 SELECT min(root) FROM files
                 UNION ALL SELECT (SELECT min(root) FROM files WHERE root > found.root) FROM found WHERE found.root IS NOT NULL)
             SELECT root FROM found WHERE root IS NOT NULL"""
    return [row[0] for row in db.execute(sql)]


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


def last_scan(db: Database, before: int, root: str | None = None) -> dict | None:
    """The latest finished scan with an id below ``before`` (of the folder ``root`` when
    given), or None."""
    sql = "SELECT * FROM scans WHERE id < ? AND finished_at IS NOT NULL AND (? IS NULL OR root = ?) ORDER BY id DESC LIMIT 1"
    rows = list(db.query(sql, [before, root, root]))
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
            ops = decode_diff(diff)
            found.setdefault((source_id, copy_id), []).append(Passage(kind, s_start, s_end, c_start, c_end, similarity, ops))
    return found


def stored_decisions(db: Database, cluster_ids: Iterable[int] | None = None) -> dict[str, Decision]:
    """The provenance decision of every stored cluster (or of those of ``cluster_ids``), by its
    ``decision_key`` (clusters stored without one are left out), as the election made it (no
    relations)."""
    wanted = "(SELECT id FROM clusters)" if cluster_ids is None else "(SELECT value FROM json_each(:ids))"
    ids = {"ids": json.dumps(sorted(set(cluster_ids or ())))}
    evidence: dict[int, list[Evidence]] = {}
    sql = f"SELECT cluster_id, document_id, signal, weight, detail FROM evidence WHERE cluster_id IN {wanted} ORDER BY id"
    for cluster_id, *fields in db.execute(sql, ids):
        evidence.setdefault(cluster_id, []).append(Evidence(*fields))
    sql = f"SELECT cluster_id, score FROM cluster_members WHERE role = 'canonical' AND cluster_id IN {wanted}"
    scores = dict(db.execute(sql, ids).fetchall())
    found = {}
    sql = f"SELECT id, decision_key, canonical_id, confidence, alternatives FROM clusters WHERE decision_key IS NOT NULL AND id IN {wanted}"
    for cluster_id, key, canonical, confidence, alternatives in db.execute(sql, ids):
        others = tuple((a["document_id"], a["score"], a["probability"]) for a in json.loads(alternatives))
        ranking = ((canonical, scores[cluster_id], confidence), *others)
        found[key] = Decision(canonical, confidence, ranking, tuple(evidence.get(cluster_id, ())))
    return found


def previous_clusters(db: Database) -> dict[int, dict]:
    """The ``clusters`` rows the last scan left, by id."""
    return {row["id"]: row for row in db["clusters"].rows}


def list_clusters(db: Database) -> list[dict]:
    """One row per cluster: id, size, canonical document (path, title), similarity figures and
    the provenance confidence."""
    sql = """
        SELECT c.id, c.size, c.canonical_id, d.path AS canonical_path, d.title AS canonical_title,
               c.mean_similarity, c.min_similarity, c.max_similarity, c.confidence
        FROM clusters c JOIN documents d ON d.id = c.canonical_id ORDER BY c.id
    """
    return [dict(row) for row in _rows(db, sql)]


def cluster_detail(db: Database, cluster_id: int) -> dict:
    """A cluster with its members (role, similarity, containment, coverage figures, provenance,
    metadata),
    its provenance evidence, the history of its canonical (``changes``) and the reuse links
    that touch its members (``reuse``: passages of a member inside other stories, or of
    other stories inside a member; they never make a document a member)."""
    rows = _rows(db, "SELECT * FROM clusters WHERE id = ?", [cluster_id])
    if not rows:
        raise NotFoundError(f"no cluster {cluster_id}: `dedup clusters` lists the clusters")
    members = _rows(
        db,
        """
        SELECT m.document_id, m.role, m.similarity, m.containment, m.copy_coverage, m.source_coverage,
               m.relation, m.relation_detail, m.score, d.path, d.record, d.title, d.site, d.author, d.url, d.published_at, d.date_source, d.n_words
        FROM cluster_members m JOIN documents d ON d.id = m.document_id
        WHERE m.cluster_id = ? ORDER BY m.role = 'copy', m.score DESC, m.similarity DESC, d.path
        """,
        [cluster_id],
    )
    for member in members:
        member["relation_detail"] = json.loads(member["relation_detail"]) if member["relation_detail"] else None
    evidence = _rows(
        db, "SELECT document_id, signal, weight, detail FROM evidence WHERE cluster_id = ? ORDER BY weight DESC, document_id, signal, id", [cluster_id]
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
               c.title AS copy_title, l.copy_coverage, l.source_coverage, l.source_containment, l.copy_containment,
               l.shared_shingles, l.longest_run
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


def cluster_sites(db: Database) -> dict[int, list[dict]]:
    """Cluster id → its members' ``path``, ``site`` and ``url``, in path order."""
    found: dict[int, list[dict]] = {}
    sql = """
        SELECT m.cluster_id, d.path, d.site, d.url FROM cluster_members m
        JOIN documents d ON d.id = m.document_id ORDER BY m.cluster_id, d.path
    """
    for row in _rows(db, sql):
        found.setdefault(row.pop("cluster_id"), []).append(row)
    return found


def member_links(db: Database, cluster_id: int) -> dict[str, dict]:
    """Copy id → the link that represents the copy in its cluster, with the link's figures.

    The scan stores it as ``cluster_members.compared_with`` (chosen by ``cluster.member_links``):
    the link the member's similarity, containment, coverage and relation are measured on.
    """
    sql = """
        SELECT m.document_id AS member_id, l.source_id, l.copy_id, l.jaccard, l.containment
        FROM cluster_members m
        JOIN links l ON (l.source_id = m.compared_with AND l.copy_id = m.document_id)
                     OR (l.source_id = m.document_id AND l.copy_id = m.compared_with)
        WHERE m.cluster_id = ? AND m.role = 'copy'
        ORDER BY m.document_id
    """
    return {row.pop("member_id"): row for row in _rows(db, sql, [cluster_id])}


def link_passages(db: Database, source_id: str, copy_id: str) -> list[PassageText]:
    """The stored passages of a link in order, each with the text of its two sides."""
    sql = """
        SELECT p.position, p.kind, p.source_start, p.source_end, p.copy_start, p.copy_end, p.similarity, p.diff,
               substr(s.text, p.source_start + 1, p.source_end - p.source_start) AS source_text,
               substr(c.text, p.copy_start + 1, p.copy_end - p.copy_start) AS copy_text
        FROM passages p JOIN documents s ON s.id = p.source_id JOIN documents c ON c.id = p.copy_id
        WHERE p.source_id = ? AND p.copy_id = ? ORDER BY p.position
    """
    return [
        PassageText(**{**row, "diff": decode_diff(row["diff"]), "source_text": row["source_text"] or "", "copy_text": row["copy_text"] or ""})
        for row in _rows(db, sql, [source_id, copy_id])
    ]


def latest_scan(db: Database) -> dict | None:
    """The ``scans`` row of the latest scan (finished or not), or None before any scan."""
    rows = _rows(db, "SELECT * FROM scans ORDER BY id DESC LIMIT 1")
    return rows[0] if rows else None


def scan_errors(db: Database, scan_id: int) -> list[dict]:
    """The files and records a scan could not use: ``path`` and ``reason``, in path order."""
    return _rows(db, "SELECT path, reason FROM errors WHERE scan_id = ? ORDER BY path, id", [scan_id])


def _rows(db: Database, sql: str, params: list | None = None) -> list[dict]:
    cursor = db.execute(sql, params or [])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def stored_sketches(db: Database, fingerprint: str) -> dict[str, Sketch]:
    """Document id → its stored sketch, for the documents whose text is still the one the
    sketch was made from, with the settings of ``fingerprint``."""
    sql = f"""
        SELECT k.document_id, {", ".join(f"k.{name}" for name in SKETCH_ARRAYS)}
        FROM sketches k JOIN documents d ON d.id = k.document_id AND d.sha256 = k.text_sha256
        WHERE k.fingerprint = ?
    """
    found = {}
    for doc_id, *blobs in db.execute(sql, [fingerprint]):
        found[doc_id] = decode_sketch(doc_id, dict(zip(SKETCH_ARRAYS, blobs)))
    return found


def folder_documents(db: Database, root: str) -> list[dict]:
    """The documents stored from the scanned folder ``root``: ``id``, ``path``, ``record``,
    ``title``, in path and record order."""
    return _rows(db, "SELECT id, path, record, title FROM documents WHERE root = ? ORDER BY path, record", [root])


def document_links(db: Database, document_ids: Iterable[str]) -> list[dict]:
    """The links with an end among ``document_ids``: both ends (``source_id``,
    ``source_path``, ``source_root``, ``source_record``, ``source_title``, the same for
    ``copy_``), ``relation``, ``jaccard``, the coverage figures, and the number of the link's
    passages of each kind (``n_same``, ``n_changed``, ``n_added``, ``n_removed``)."""
    sql = """
        WITH wanted AS (SELECT value AS id FROM json_each(?))
        SELECT l.source_id, s.path AS source_path, s.root AS source_root, s.record AS source_record, s.title AS source_title,
               l.copy_id, c.path AS copy_path, c.root AS copy_root, c.record AS copy_record, c.title AS copy_title,
               l.relation, l.jaccard, l.copy_coverage, l.source_coverage,
               COUNT(CASE WHEN p.kind = 'same' THEN 1 END) AS n_same,
               COUNT(CASE WHEN p.kind = 'changed' THEN 1 END) AS n_changed,
               COUNT(CASE WHEN p.kind = 'added' THEN 1 END) AS n_added,
               COUNT(CASE WHEN p.kind = 'removed' THEN 1 END) AS n_removed
        FROM links l JOIN documents s ON s.id = l.source_id JOIN documents c ON c.id = l.copy_id
        LEFT JOIN passages p ON p.source_id = l.source_id AND p.copy_id = l.copy_id
        WHERE l.source_id IN (SELECT id FROM wanted) OR l.copy_id IN (SELECT id FROM wanted)
        GROUP BY l.source_id, l.copy_id ORDER BY l.source_id, l.copy_id
    """
    return _rows(db, sql, [json.dumps(sorted(set(document_ids)))])


def document_clusters(db: Database, document_ids: Iterable[str]) -> dict[str, int]:
    """Document id → the id of the cluster it is a member of, for those of ``document_ids``
    that are in one."""
    sql = "SELECT document_id, cluster_id FROM cluster_members WHERE document_id IN (SELECT value FROM json_each(?))"
    return dict(db.execute(sql, [json.dumps(sorted(set(document_ids)))]).fetchall())


def stored_link_pairs(db: Database) -> frozenset[tuple[str, str]]:
    """Every stored link as its two document ids, the smaller first."""
    return frozenset((min(a, b), max(a, b)) for a, b in db.execute("SELECT source_id, copy_id FROM links"))


def documents_by_id(db: Database, document_ids: Iterable[str]) -> dict[str, Document]:
    """The stored documents of ``document_ids`` (those that exist), by id."""
    columns = ", ".join(DOCUMENT_COLUMNS)
    sql = f"SELECT {columns} FROM documents WHERE id IN (SELECT value FROM json_each(?))"
    rows = db.execute(sql, [json.dumps(sorted(set(document_ids)))]).fetchall()
    return {row[0]: Document(**dict(zip(DOCUMENT_COLUMNS, row))) for row in rows}


def sketches_by_id(db: Database, document_ids: Iterable[str]) -> dict[str, Sketch]:
    """The stored sketches of ``document_ids`` (before boilerplate is taken out), by id."""
    sql = f"""SELECT document_id, {", ".join(SKETCH_ARRAYS)} FROM sketches
              WHERE document_id IN (SELECT value FROM json_each(?))"""
    return {
        doc_id: decode_sketch(doc_id, dict(zip(SKETCH_ARRAYS, blobs)))
        for doc_id, *blobs in db.execute(sql, [json.dumps(sorted(set(document_ids)))])
    }


def signatures_by_id(db: Database, document_ids: Iterable[str]) -> dict[str, np.ndarray]:
    """The stored MinHash signatures of ``document_ids``, by id."""
    sql = "SELECT document_id, minhash FROM sketches WHERE document_id IN (SELECT value FROM json_each(?))"
    dtype = np.dtype(SKETCH_ARRAYS["minhash"]).newbyteorder("<")
    return {
        doc_id: np.frombuffer(blob, dtype=dtype).astype(SKETCH_ARRAYS["minhash"])
        for doc_id, blob in db.execute(sql, [json.dumps(sorted(set(document_ids)))])
    }


def links_touching(db: Database, document_ids: Iterable[str]) -> list[tuple[str, str, str]]:
    """``(source_id, copy_id, method)`` of every stored link with an end among ``document_ids``."""
    sql = """WITH wanted AS (SELECT value AS id FROM json_each(?))
             SELECT source_id, copy_id, method FROM links WHERE source_id IN wanted
             UNION SELECT source_id, copy_id, method FROM links WHERE copy_id IN wanted"""
    return [tuple(row) for row in db.execute(sql, [json.dumps(sorted(set(document_ids)))])]


def alignments_of(db: Database, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[Passage]]:
    """The stored passages of the links ``(source_id, copy_id)`` (those stored that way round), by pair."""
    wanted = sorted(set(pairs))
    found: dict[tuple[str, str], list[Passage]] = {}
    sql = """WITH wanted AS (SELECT json_extract(value, '$[0]') AS s, json_extract(value, '$[1]') AS c FROM json_each(?))
             SELECT p.source_id, p.copy_id, kind, source_start, source_end, copy_start, copy_end, similarity, diff
             FROM wanted w JOIN passages p ON p.source_id = w.s AND p.copy_id = w.c ORDER BY p.source_id, p.copy_id, position"""
    for source_id, copy_id, kind, s_start, s_end, c_start, c_end, similarity, diff in db.execute(sql, [json.dumps(wanted)]):
        found.setdefault((source_id, copy_id), []).append(Passage(kind, s_start, s_end, c_start, c_end, similarity, decode_diff(diff)))
    return found


def clusters_touching(db: Database, document_ids: Iterable[str]) -> dict[int, frozenset[str]]:
    """Cluster id → member ids of every stored cluster with a member among ``document_ids``."""
    sql = """SELECT cluster_id, document_id FROM cluster_members WHERE cluster_id IN
             (SELECT cluster_id FROM cluster_members WHERE document_id IN (SELECT value FROM json_each(?)))"""
    members: dict[int, set[str]] = {}
    for cluster_id, doc_id in db.execute(sql, [json.dumps(sorted(set(document_ids)))]):
        members.setdefault(cluster_id, set()).add(doc_id)
    return {cid: frozenset(m) for cid, m in members.items()}


def largest_cluster_id(db: Database) -> int:
    """The highest stored cluster id (0 when there is none)."""
    return db.execute("SELECT coalesce(max(id), 0) FROM clusters").fetchone()[0]


def has_documents(db: Database) -> bool:
    """Whether the database holds any document."""
    return bool(db.execute("SELECT EXISTS (SELECT 1 FROM documents)").fetchone()[0])


def document_counts(db: Database, root: str) -> dict[str, int]:
    """How many documents each stored file of the folder ``root`` holds, by path."""
    return dict(db.execute("SELECT path, count(*) FROM documents WHERE root = ? GROUP BY path", [root]).fetchall())


def result_counts(db: Database) -> dict[str, int]:
    """The ``scans`` figures of what the database holds: documents, links (and reuse links
    among them), clusters and clustered documents."""
    sql = """SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM links),
                    (SELECT count(*) FROM links WHERE relation = 'reuse'), (SELECT count(*) FROM clusters),
                    (SELECT count(DISTINCT document_id) FROM cluster_members)"""
    names = ("n_documents", "n_links", "n_reuse_links", "n_clusters", "n_clustered_documents")
    return dict(zip(names, db.execute(sql).fetchone()))


def linked_component(db: Database, start: set[str]) -> tuple[set[str], list[tuple[str, str, str]]]:
    """The stored documents linked to ``start`` through stored links (of any relation), and
    those links as ``(source_id, copy_id, method)``."""
    reached, frontier, links = set(start), set(start), set()
    while frontier:
        found = links_touching(db, frontier)
        links.update(found)
        frontier = {end for s, c, _ in found for end in (s, c)} - reached
        reached |= frontier
    return reached, sorted(links)
