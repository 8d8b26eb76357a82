"""Reading a scanned database from Python: the clusters, and one cluster with its evidence.

Both take the database's path, open it read-only and return plain dicts (the same data
``dedup clusters --json`` and ``dedup show --json`` print).
"""

from __future__ import annotations

from pathlib import Path

from . import provenance
from .db import open_db, read


def list_clusters(db_path: Path | str) -> list[dict]:
    """One dict per cluster, by id: ``id``, ``size``, ``canonical_id``, ``canonical_path``,
    ``canonical_title`` and the similarity figures."""
    db = open_db(db_path, readonly=True)
    try:
        return read.list_clusters(db)
    finally:
        db.close()


def cluster_detail(db_path: Path | str, cluster_id: int) -> dict:
    """One cluster: its members (role, figures, provenance score, relation, metadata), the
    evidence of its provenance decision, the history of its canonical (``changes``), the
    reuse links touching its members (``reuse``) and ``explanation``, the decision in plain
    sentences. Raises ``NotFoundError`` for an unknown id."""
    db = open_db(db_path, readonly=True)
    try:
        detail = read.cluster_detail(db, cluster_id)
    finally:
        db.close()
    detail["explanation"] = provenance.explain(detail)
    return detail
