"""Writes: everything a scan stores, inside the scan's one transaction
(``connection.scan_transaction``); each step is atomic on its own too (a savepoint)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from sqlite_utils import Database

from ..models import Cluster, Document, InputProblem, Link, Passage, ScanSummary, Sketch, SourceFile
from ..provenance import Decision
from .codec import SKETCH_ARRAYS, encode_diff, encode_sketch
from .schema import DOCUMENT_COLUMNS


def start_scan(db: Database, started_at: str, root: str, parameters: dict, fingerprint: str, versions: dict) -> int:
    """Insert the ``scans`` row for a new scan and return its id.

    ``db`` must be inside the scan's transaction (``connection.scan_transaction``): a
    ``scans`` row committed on its own would outlive a scan that is interrupted.
    """
    if not db.conn.in_transaction:
        raise RuntimeError("start_scan writes inside the scan's transaction (connection.scan_transaction)")
    table = db["scans"]
    table.insert(
        {
            "started_at": started_at, "root": root, "parameters": json.dumps(parameters, sort_keys=True),
            "config_fingerprint": fingerprint, "versions": json.dumps(versions, sort_keys=True),
        }
    )
    return table.last_pk


def save_documents(
    db: Database,
    scan_id: int,
    *,
    root: str,
    files: Iterable[SourceFile],
    file_documents: dict[str, int],
    removed_paths: Iterable[str],
    new_documents: Iterable[Document],
    problems: Iterable[InputProblem],
) -> None:
    """Write what a scan of the folder ``root`` read: documents, files and errors.

    Clears the previous scan's results first (they refer to documents that may go). Files
    and documents of other folders are not touched; a kept document keeps its ``scan_id``
    (the scan that stored it).
    """
    with db.atomic():
        for table in ("passages", "evidence", "cluster_members", "clusters", "links"):
            db.execute(f"DELETE FROM {table}")
        for path in removed_paths:
            db.execute("DELETE FROM documents WHERE root = ? AND path = ?", [root, path])
            db.execute("DELETE FROM files WHERE root = ? AND path = ?", [root, path])
        new_documents = list(new_documents)
        known = {row[0] for row in db.execute("SELECT DISTINCT path FROM documents WHERE root = ?", [root])}
        for path in sorted({d.path for d in new_documents} & known):
            # A changed file may now hold fewer records than before.
            db.execute("DELETE FROM documents WHERE root = ? AND path = ?", [root, path])
        _insert_documents(db, scan_id, new_documents, replace=True)
        db["files"].upsert_all(
            (
                {
                    "root": root, "path": f.path, "sha256": f.sha256, "size": f.size, "mtime_ns": f.mtime_ns,
                    "n_documents": file_documents.get(f.path, 0), "scan_id": scan_id,
                }
                for f in files
            ),
            pk=("root", "path"),
        )
        _insert_errors(db, scan_id, problems)


def save_added_documents(
    db: Database,
    scan_id: int,
    *,
    root: str,
    new_files: Iterable[SourceFile],
    file_documents: dict[str, int],
    unchanged_paths: Iterable[str],
    restamped: Iterable[SourceFile],
    new_documents: Iterable[Document],
    problems: Iterable[InputProblem],
) -> None:
    """Write what a scan of the folder ``root`` that only found new files read: their files
    and documents, and the errors. The folder's unchanged files are marked as seen by this
    scan (the ``restamped`` ones with their new modification time); the stored results stay
    (``replace_results`` replaces the part the new documents change)."""
    with db.atomic():
        _insert_documents(db, scan_id, new_documents)
        db.execute(
            "UPDATE files SET scan_id = ? WHERE root = ? AND path IN (SELECT value FROM json_each(?))",
            [scan_id, root, json.dumps(sorted(unchanged_paths))],
        )
        db.conn.executemany(
            "UPDATE files SET size = ?, mtime_ns = ? WHERE root = ? AND path = ?",
            [(f.size, f.mtime_ns, root, f.path) for f in restamped],
        )
        _insert_many(
            db, "files", ("root", "path", "sha256", "size", "mtime_ns", "n_documents", "scan_id"),
            ((root, f.path, f.sha256, f.size, f.mtime_ns, file_documents.get(f.path, 0), scan_id) for f in new_files),
        )
        _insert_errors(db, scan_id, problems)


def _insert_documents(db: Database, scan_id: int, documents: Iterable[Document], *, replace: bool = False) -> None:
    """Insert documents first stored by the scan ``scan_id``."""
    rows = ((*document_row(d).values(), scan_id, scan_id) for d in documents)
    _insert_many(db, "documents", (*DOCUMENT_COLUMNS, "first_scan_id", "scan_id"), rows, replace=replace)


def _insert_errors(db: Database, scan_id: int, problems: Iterable[InputProblem]) -> None:
    """Insert the problems the scan ``scan_id`` met as ``errors`` rows."""
    db["errors"].insert_all(({"scan_id": scan_id, "path": p.path, "reason": p.reason} for p in problems), pk="id")


def replace_results(
    db: Database,
    scan_id: int,
    *,
    documents: Iterable[str],
    links: Sequence[Link],
    clusters: Sequence[Cluster],
    decisions: Mapping[int, Decision],
    decision_keys: Mapping[int, str],
    alignments: Sequence[tuple[Sequence[Passage], object]],
) -> None:
    """Replace the stored links (with their passages) and clusters of the stored
    ``documents`` (a set that no stored link leaves) with ``links``, their ``alignments``
    (``(passages, coverage)`` in link order) and ``clusters`` (with their ``decisions`` and
    ``decision_keys``), as ``save_results`` and ``save_passages`` write them; every link is
    then marked as found by this scan."""
    wanted = [json.dumps(sorted(set(documents)))]
    inside = "(SELECT value FROM json_each(?))"
    with db.atomic():
        touching = f"SELECT cluster_id FROM cluster_members WHERE document_id IN {inside}"
        previous = {row["id"]: row for row in db.query(f"SELECT * FROM clusters WHERE id IN ({touching})", wanted)}
        clusters_gone = [json.dumps(sorted(previous))]
        for table, column in (("evidence", "cluster_id"), ("cluster_members", "cluster_id"), ("clusters", "id")):
            db.execute(f"DELETE FROM {table} WHERE {column} IN {inside}", clusters_gone)
        for table in ("passages", "links"):
            db.execute(f"DELETE FROM {table} WHERE source_id IN {inside} OR copy_id IN {inside}", wanted * 2)
        save_results(db, scan_id, previous=previous, links=links, clusters=clusters, summary=None, decisions=decisions, decision_keys=decision_keys)
        save_passages(db, [(link, passages, coverage) for link, (passages, coverage) in zip(links, alignments)])
        db.execute("UPDATE links SET scan_id = ?", [scan_id])


def save_results(
    db: Database,
    scan_id: int,
    *,
    previous: Mapping[int, dict],
    links: Iterable[Link],
    clusters: Iterable[Cluster],
    summary: ScanSummary | None,
    decisions: Mapping[int, Decision] | None = None,
    decision_keys: Mapping[int, str] | None = None,
) -> None:
    """Write what detection found: links, clusters, members, evidence, changes, the summary.

    ``previous`` are the cluster rows before this scan (``previous_clusters``);
    ``decisions`` (cluster id → provenance decision) fill the confidence, alternatives,
    scores, the copies' relations and coverage figures and the ``evidence`` rows; canonical
    changes go to ``cluster_changes``; ``decision_keys`` (cluster id → the key of its decision)
    let a later scan reuse the decisions. The scan's row takes ``summary`` (None: left as it is).
    """
    decisions, decision_keys = decisions or {}, decision_keys or {}
    with db.atomic():
        _insert_dicts(db, "links", [{**link_row(l), "scan_id": scan_id} for l in links])
        clusters = list(clusters)
        cluster_rows, member_rows, evidence_rows = [], [], []
        for cluster in clusters:
            found = cluster_table_rows(
                cluster, decisions.get(cluster.id), previous.get(cluster.id), scan_id, decision_keys.get(cluster.id)
            )
            cluster_rows.append(found[0])
            member_rows.extend(found[1])
            evidence_rows.extend(found[2])
        _insert_dicts(db, "clusters", cluster_rows)
        _insert_dicts(db, "cluster_members", member_rows)
        _insert_dicts(db, "evidence", evidence_rows)
        _insert_dicts(db, "cluster_changes", change_rows(scan_id, previous, clusters, decisions))
        if summary is not None:
            save_summary(db, scan_id, summary)


def save_summary(db: Database, scan_id: int, summary: ScanSummary) -> None:
    """Write a scan's figures into its ``scans`` row (which marks it finished)."""
    db["scans"].update(scan_id, summary.as_dict())


def link_row(link: Link) -> dict:
    """A link's ``links`` row, without its scan and coverage figures."""
    return {
        "source_id": link.source_id, "copy_id": link.copy_id, "jaccard": round(link.jaccard, 4),
        "containment": round(link.containment, 4), "source_containment": round(link.source_containment, 4),
        "copy_containment": round(link.copy_containment, 4), "shared_shingles": link.shared,
        "longest_run": link.longest_run, "method": link.method, "relation": str(link.relation),
    }


def cluster_table_rows(
    cluster: Cluster, decision: Decision | None, old: dict | None, scan_id: int | None, decision_key: str | None = None
) -> tuple[dict, list[dict], list[dict]]:
    """A cluster's ``clusters`` row, its ``cluster_members`` rows and its ``evidence`` rows
    (without ids). ``old`` is the cluster's row before this scan, if it had one."""
    copies = [cluster.similarity[m] for m in cluster.member_ids if m != cluster.canonical_id]
    unchanged = old is not None and old["canonical_id"] == cluster.canonical_id and old["size"] == len(cluster.member_ids)
    row = {
        "id": cluster.id, "canonical_id": cluster.canonical_id, "size": len(cluster.member_ids),
        "mean_similarity": round(sum(copies) / len(copies), 4), "min_similarity": min(copies),
        "max_similarity": max(copies), "created_scan_id": old["created_scan_id"] if old else scan_id,
        "updated_scan_id": old["updated_scan_id"] if unchanged else scan_id,
        "confidence": decision.confidence if decision else None,
        "alternatives": json.dumps(decision.alternatives()) if decision else None,
        "decision_key": decision_key,
    }
    members = [
        {
            "cluster_id": cluster.id, "document_id": m, "role": "canonical" if m == cluster.canonical_id else "copy",
            "similarity": cluster.similarity[m], "containment": cluster.containment[m], **_provenance_row(decision, m),
        }
        for m in cluster.member_ids
    ]
    evidence = [
        {"cluster_id": cluster.id, "document_id": e.document_id, "signal": e.signal, "weight": e.weight, "detail": e.detail}
        for e in (decision.evidence if decision else ())
    ]
    return row, members, evidence


#: The columns of a ``passages`` row, in ``passage_values`` order.
PASSAGE_COLUMNS = (
    "source_id", "copy_id", "position", "kind", "source_start", "source_end", "copy_start", "copy_end", "similarity", "diff",
)


def passage_values(link: Link, passages: Sequence[Passage]) -> list[tuple]:
    """The ``passages`` rows of a link's alignment, as tuples of ``PASSAGE_COLUMNS``."""
    return [
        (
            link.source_id, link.copy_id, position, p.kind, p.source_start, p.source_end, p.copy_start, p.copy_end,
            p.similarity, encode_diff(p.diff),
        )
        for position, p in enumerate(passages)
    ]


def document_row(doc: Document) -> dict:
    """A document's ``documents`` row, without its scans."""
    return {column: getattr(doc, column) for column in DOCUMENT_COLUMNS}


def save_passages(db: Database, alignments: Iterable[tuple[Link, Sequence[Passage], object]]) -> None:
    """Store the alignment of each link: its passages and its coverage figures.

    ``alignments`` holds ``(link, passages, coverage)`` for links already saved by
    ``save_results`` (``save_documents`` cleared the previous passages). ``passages.diff``
    holds a changed passage's word edits as JSON
    ``[[op, source_start, source_end, copy_start, copy_end], ...]``.
    """
    alignments = list(alignments)
    with db.atomic():
        _insert_many(db, "passages", PASSAGE_COLUMNS, (row for link, passages, _ in alignments for row in passage_values(link, passages)))
        db.conn.executemany(
            "UPDATE links SET copy_coverage = ?, source_coverage = ? WHERE source_id = ? AND copy_id = ?",
            [(c.copy_coverage, c.source_coverage, link.source_id, link.copy_id) for link, _, c in alignments],
        )


def _provenance_row(decision: Decision | None, doc_id: str) -> dict:
    """A member's provenance score; for a copy its relation, the figures that decided it and
    its coverage figures (those of the aligned passages of the link that represents it, NULL
    when that link was not aligned). The canonical's relation and coverage are NULL."""
    if decision is None:
        return {}
    found = decision.relations.get(doc_id)
    figures = found.coverage if found else None
    return {
        "score": decision.score(doc_id),
        "relation": found.kind if found else None,
        "relation_detail": json.dumps(found.detail, sort_keys=True) if found else None,
        "copy_coverage": figures.copy_coverage if figures else None,
        "source_coverage": figures.source_coverage if figures else None,
        "compared_with": found.measured_against if found else None,
    }


def change_rows(scan_id: int | None, previous: Mapping[int, dict], clusters: Sequence[Cluster], decisions: Mapping) -> list[dict]:
    """``cluster_changes`` rows (without ids): clusters created, re-elected (new canonical) or gone."""
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
    return rows


def _insert_many(db: Database, table: str, columns: tuple[str, ...], rows, *, replace: bool = False) -> None:
    """Insert many rows of plain values at once: the bulk path for the two largest tables,
    where sqlite-utils' per-value conversion would cost more than SQLite's own work."""
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    names = ", ".join(f"[{c}]" for c in columns)
    marks = ", ".join("?" for _ in columns)
    db.conn.executemany(f"{verb} INTO [{table}] ({names}) VALUES ({marks})", rows)


def _insert_dicts(db: Database, table: str, rows: Sequence[Mapping]) -> None:
    """Insert rows of plain values given as dicts with the same keys (one ``executemany``)."""
    if rows:
        columns = tuple(rows[0])
        _insert_many(db, table, columns, (tuple(row[c] for c in columns) for row in rows))


def save_sketches(db: Database, sketches: Iterable[tuple[Sketch, str]], fingerprint: str) -> None:
    """Store the sketches a scan made, each with the hash of the text it was made from, and
    forget the sketches of documents that are gone."""
    rows = (
        (item.doc_id, text_sha256, fingerprint, *encode_sketch(item).values())
        for item, text_sha256 in sketches
    )
    _insert_many(db, "sketches", ("document_id", "text_sha256", "fingerprint", *SKETCH_ARRAYS), rows, replace=True)
    db.execute("DELETE FROM sketches WHERE document_id NOT IN (SELECT id FROM documents)")
