"""The migrations of the lookup index (``db.index``), registered in ``schema.MIGRATIONS``."""

from __future__ import annotations

from sqlite_utils import Database

from .schema import MIGRATIONS


@MIGRATIONS()
def m012_index(db: Database) -> None:
    """The lookup index ``dedup check`` answers from (``db.index``), rebuilt by every scan:
    ``index_state`` (one row: the scan it describes, its settings and versions, the
    boilerplate it found, each document's shingle count and site), ``index_documents``
    (document number → id, numbered in id order), ``index_shingles`` (which documents carry
    each word-shingle hash), ``index_bands`` (which documents share each MinHash LSH band) and
    ``index_pairs`` (each document's candidate pairs); ``index_shingles`` and ``index_bands`` as
    sorted arrays in buckets of the hash's top bits (``index_state`` says how many)."""
    db["index_state"].create(
        {
            "id": int, "scan_id": int, "config_fingerprint": str, "versions": str, "boilerplate": bytes,
            "counts": bytes, "banded": bytes, "site_codes": bytes, "sites": str, "shingle_bits": int, "band_bits": int,
        },
        pk="id",
    )
    db["index_documents"].create({"number": int, "document_id": str}, pk="number")
    db["index_documents"].create_index(["document_id"], unique=True)
    db["index_shingles"].create({"bucket": int, "hashes": bytes, "numbers": bytes}, pk="bucket")
    db["index_bands"].create({"bucket": int, "keys": bytes, "numbers": bytes}, pk="bucket")
    db["index_pairs"].create({"number": int, "partners": bytes, "kinds": bytes}, pk="number")


@MIGRATIONS()
def m013_index_parts(db: Database) -> None:
    """The lookup index grows with incremental scans: ``index_shingles`` and ``index_bands``
    are keyed by ``(part, bucket)`` (part 0 written by a rebuild, one more by each extension),
    ``index_state`` gains ``ranks`` (each number's place in id order) and ``parts`` (per part,
    its bucket bits) instead of ``shingle_bits`` and ``band_bits``. The index is emptied: the
    next scan rebuilds it. ``scans.detection`` says how the scan detected (``index``: only
    what the added documents reach, from the index; ``full``) and ``scans.detection_note``
    why a scan that added documents could not use the index."""
    for table in ("index_state", "index_shingles", "index_bands"):
        db[table].drop()
    for table in ("index_documents", "index_pairs"):
        db.execute(f"DELETE FROM {table}")
    db["index_state"].create(
        {
            "id": int, "scan_id": int, "config_fingerprint": str, "versions": str, "boilerplate": bytes,
            "counts": bytes, "banded": bytes, "site_codes": bytes, "sites": str, "ranks": bytes, "parts": str,
        },
        pk="id",
    )
    db["index_shingles"].create({"part": int, "bucket": int, "hashes": bytes, "numbers": bytes}, pk=("part", "bucket"))
    db["index_bands"].create({"part": int, "bucket": int, "keys": bytes, "numbers": bytes}, pk=("part", "bucket"))
    db["scans"].add_column("detection", str)
    db["scans"].add_column("detection_note", str)
