"""Datasette metadata of the tables a scan keeps for itself (hidden in Datasette): the
stored sketches and the lookup index (binary columns)."""

from __future__ import annotations

from .metadata import Table

INTERNAL_TABLES: dict[str, Table] = {
    "sketches": Table(
        "The index a rescan reuses: each document's word-shingle hashes and MinHash signature (binary).",
        "document_id text_sha256 fingerprint shingles positions quoted minhash",
        {"document_id": "The document sketched.", "text_sha256": "SHA-256 of the text sketched (a changed text is sketched again).",
         "fingerprint": "Hash of what else the sketch depends on: shingle size, MinHash permutations and seed, version.",
         "shingles": "Sorted unique word-shingle hashes (uint32, little-endian).", "positions": "Each shingle's first word (int32).",
         "quoted": "Whether each shingle lies in a quotation (a byte each).", "minhash": "The MinHash signature (uint32 each)."},
        {"hidden": True},
    ),
    "index_state": Table(
        "The lookup index dedup check and incremental scans answer from (binary): what it describes.",
        "id scan_id config_fingerprint versions boilerplate counts banded site_codes sites ranks parts",
        {"id": "Always 1: the index has one state.", "scan_id": "The scan the index describes.", "config_fingerprint": "Hash of that scan's settings.",
         "versions": "JSON: the versions that scan ran with.", "boilerplate": "The boilerplate shingle hashes it found (uint32).",
         "counts": "Per document number: its shingle count (uint32).", "banded": "Per document number: whether it takes part in LSH (a byte).",
         "site_codes": "Per document number: its site, a position in sites (int32, -1: none).", "sites": "JSON: the site names.",
         "ranks": "Per document number: its place in id order (uint32).",
         "parts": "JSON: per part of index_shingles and index_bands, the top bits of a key that name its bucket there."},
        {"hidden": True},
    ),
    "index_documents": Table(
        "The lookup index: each document's number.", "number document_id",
        {"number": "The document's number in the index.", "document_id": "The document."}, {"hidden": True},
    ),
    "index_shingles": Table(
        "The lookup index: which documents carry each word shingle, by part and bucket (binary).", "part bucket hashes numbers",
        {"part": "0: written by a rebuild; 1, 2…: by the incremental scans since.", "bucket": "Top bits of the shingle hashes.", "hashes": "Shingle hashes, sorted (uint32).", "numbers": "The carrier of each (uint32)."},
        {"hidden": True},
    ),
    "index_bands": Table(
        "The lookup index: which documents share each MinHash LSH band, by part and bucket (binary).", "part bucket keys numbers",
        {"part": "0: written by a rebuild; 1, 2…: by the incremental scans since.", "bucket": "Top bits of the band digests.", "keys": "Band digests, sorted (uint64).", "numbers": "The document of each (uint32)."},
        {"hidden": True},
    ),
    "index_pairs": Table(
        "The lookup index: each document's candidate pairs of the last scan (binary).", "number partners kinds",
        {"number": "The document's number in the index.", "partners": "The documents it was a candidate pair with (uint32).",
         "kinds": "A byte each: 1 proposed by LSH, 2 by the passage index, 3 both."},
        {"hidden": True},
    ),
}
