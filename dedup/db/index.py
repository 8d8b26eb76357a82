"""The lookup index: what ``dedup check`` needs to find an article's matches without a scan.

Every scan rebuilds it (``rebuild``) from the sketches it detected with, in the scan's
transaction, so it always describes the last scan: ``index_state.scan_id`` says which.

* ``index_documents`` numbers the documents in id order (the order detection numbers them in);
* ``index_shingles`` lists, for each word-shingle hash of any document (before boilerplate is
  taken out), the numbers of the documents that carry it;
* ``index_bands`` lists, for each MinHash LSH band of each document with shingles left after
  boilerplate, a 64-bit digest of its values and the document's number;
* ``index_state`` holds the scan, its settings and versions, the boilerplate shingles it
  found, and each document's shingle count and site (as arrays by number).

Both lists are stored as sorted arrays in buckets of the hash's top 16 bits (one row per
bucket), so a lookup reads a few hundred small rows, whatever the size of the corpus.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlite_utils import Database

from ..models import Sketch

#: The tables of the index, all rewritten by ``rebuild``.
INDEX_TABLES = ("index_state", "index_documents", "index_shingles", "index_bands")
_SHINGLE_SHIFT = np.uint32(16)  # a shingle hash's bucket: its top 16 of 32 bits
_BAND_SHIFT = np.uint64(48)  # a band digest's bucket: its top 16 of 64 bits
_LE_U4, _LE_U8, _LE_I4 = np.dtype("<u4"), np.dtype("<u8"), np.dtype("<i4")


@dataclass(frozen=True)
class IndexState:
    """The ``index_state`` row: the scan the index describes, with its settings fingerprint
    and versions, its boilerplate shingles (sorted), and per document number its shingle
    count and site code (-1: no site; else a position in ``sites``)."""

    scan_id: int
    config_fingerprint: str
    versions: dict
    boilerplate: np.ndarray
    counts: np.ndarray
    site_codes: np.ndarray
    sites: tuple[str, ...]

    @property
    def n_documents(self) -> int:
        """How many documents the index holds."""
        return len(self.counts)


def band_digests(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """A 64-bit digest of each band of each signature (``(documents, bands)``): equal band
    values give equal digests; the band's number is part of the digest."""
    values = signatures.astype(np.uint64)
    digests = np.zeros((len(values), bands), dtype=np.uint64)
    with np.errstate(over="ignore"):  # the arithmetic wraps modulo 2**64 on purpose
        for band in range(bands):
            digest = np.full(len(values), 0xCBF29CE484222325 ^ band, dtype=np.uint64)
            for column in range(band * rows, (band + 1) * rows):
                digest = (digest ^ values[:, column]) * np.uint64(0x100000001B3)
                digest ^= digest >> np.uint64(29)
            digests[:, band] = digest
    return digests


def rebuild(
    db: Database,
    scan_id: int,
    *,
    config_fingerprint: str,
    versions: dict,
    sketches: Sequence[Sketch],
    sites: Sequence[str | None],
    boilerplate: np.ndarray,
    banded: np.ndarray,
    bands: int,
    rows: int,
) -> None:
    """Replace the index with that of ``sketches`` (every document of the scan, in id order,
    before boilerplate is taken out), with each one's site, the scan's ``boilerplate``
    shingles, and ``banded`` (which documents take part in LSH: those with shingles left)."""
    for table in INDEX_TABLES:
        db.execute(f"DELETE FROM {table}")
    names = sorted({s for s in sites if s is not None})
    code = {name: i for i, name in enumerate(names)}
    site_codes = np.array([code[s] if s is not None else -1 for s in sites], dtype=_LE_I4)
    counts = np.array([len(s.shingles) for s in sketches], dtype=_LE_U4)
    db["index_state"].insert({
        "id": 1, "scan_id": scan_id, "config_fingerprint": config_fingerprint,
        "versions": json.dumps(versions, sort_keys=True), "sites": json.dumps(names),
        "boilerplate": np.ascontiguousarray(boilerplate, dtype=_LE_U4).tobytes(),
        "counts": counts.tobytes(), "site_codes": site_codes.tobytes(),
    })
    db.conn.executemany(
        "INSERT INTO index_documents (number, document_id) VALUES (?, ?)", ((n, s.doc_id) for n, s in enumerate(sketches))
    )
    if sketches:
        hashes = np.concatenate([s.shingles for s in sketches]).astype(np.uint32)
        owners = np.repeat(np.arange(len(sketches), dtype=np.uint32), counts.astype(np.int64))
        _write_buckets(db, "index_shingles", hashes, owners, hashes >> _SHINGLE_SHIFT)
    present = np.flatnonzero(banded)
    if len(present):
        digests = band_digests(np.stack([sketches[i].minhash for i in present]), bands, rows)
        owners = np.repeat(present.astype(np.uint32), bands)
        flat = digests.ravel()
        _write_buckets(db, "index_bands", flat, owners, flat >> _BAND_SHIFT)


def _write_buckets(db: Database, table: str, keys: np.ndarray, owners: np.ndarray, buckets: np.ndarray) -> None:
    """Write ``(key, owner)`` pairs into ``table``, one row per bucket, sorted by key then owner."""
    order = np.lexsort((owners, keys))
    keys, owners, buckets = keys[order], owners[order], buckets[order]
    starts = np.flatnonzero(np.concatenate(([True], buckets[1:] != buckets[:-1])))
    ends = np.concatenate((starts[1:], [len(keys)]))
    column = "hashes" if table == "index_shingles" else "keys"
    dtype = _LE_U4 if table == "index_shingles" else _LE_U8
    db.conn.executemany(
        f"INSERT INTO {table} (bucket, {column}, numbers) VALUES (?, ?, ?)",
        (
            (int(buckets[s]), keys[s:e].astype(dtype).tobytes(), owners[s:e].astype(_LE_U4).tobytes())
            for s, e in zip(starts, ends)
        ),
    )


def load_state(db: Database) -> IndexState | None:
    """The ``index_state`` row, or None when no scan has built the index."""
    row = db.execute(
        "SELECT scan_id, config_fingerprint, versions, boilerplate, counts, site_codes, sites FROM index_state WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    scan_id, fingerprint, versions, boilerplate, counts, site_codes, sites = row
    return IndexState(
        scan_id=scan_id, config_fingerprint=fingerprint, versions=json.loads(versions),
        boilerplate=np.frombuffer(boilerplate, dtype=_LE_U4).astype(np.uint32),
        counts=np.frombuffer(counts, dtype=_LE_U4).astype(np.int64),
        site_codes=np.frombuffer(site_codes, dtype=_LE_I4).astype(np.int64), sites=tuple(json.loads(sites)),
    )


def carriers(db: Database, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(shingle hash, document number)`` of the index for the given hashes, sorted."""
    wanted = np.unique(np.asarray(hashes, dtype=np.uint32))
    return _lookup(db, "index_shingles", "hashes", _LE_U4, wanted, wanted >> _SHINGLE_SHIFT)


def band_members(db: Database, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(band digest, document number)`` of the index for the given digests, sorted."""
    wanted = np.unique(np.asarray(digests, dtype=np.uint64))
    return _lookup(db, "index_bands", "keys", _LE_U8, wanted, wanted >> _BAND_SHIFT)


def _lookup(db: Database, table: str, column: str, dtype: np.dtype, wanted: np.ndarray, buckets: np.ndarray):
    """The stored ``(key, number)`` pairs of ``table`` whose key is in ``wanted`` (sorted)."""
    sql = f"SELECT {column}, numbers FROM {table} WHERE bucket IN (SELECT value FROM json_each(?))"
    rows = db.execute(sql, [json.dumps(np.unique(buckets).tolist())]).fetchall()
    keys = np.frombuffer(b"".join(row[0] for row in rows), dtype=dtype).astype(wanted.dtype)
    numbers = np.frombuffer(b"".join(row[1] for row in rows), dtype=_LE_U4).astype(np.int64)
    hit = np.isin(keys, wanted)
    keys, numbers = keys[hit], numbers[hit]
    order = np.lexsort((numbers, keys))
    return keys[order], numbers[order]


def document_ids(db: Database, numbers: Sequence[int]) -> list[str]:
    """The ids of the documents of the given numbers, in that order."""
    sql = "SELECT number, document_id FROM index_documents WHERE number IN (SELECT value FROM json_each(?))"
    found = dict(db.execute(sql, [json.dumps([int(n) for n in numbers])]).fetchall())
    return [found[int(n)] for n in numbers]


def numbers_below(db: Database, document_id: str) -> int:
    """How many indexed documents have an id below ``document_id`` (where it would be numbered)."""
    row = db.execute(
        "SELECT number FROM index_documents WHERE document_id < ? ORDER BY document_id DESC LIMIT 1", [document_id]
    ).fetchone()
    return 0 if row is None else row[0] + 1
