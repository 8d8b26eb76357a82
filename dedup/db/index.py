"""The lookup index: what ``dedup check`` needs to find an article's matches without a scan.

Every scan rebuilds it (``rebuild``) from the sketches it detected with, in the scan's
transaction, so it always describes the last scan: ``index_state.scan_id`` says which.

* ``index_documents`` numbers the documents in id order (the order detection numbers them in);
* ``index_shingles`` lists, for each word-shingle hash of any document (before boilerplate is
  taken out), the numbers of the documents that carry it;
* ``index_bands`` lists, for each MinHash LSH band of each document with shingles left after
  boilerplate, a 64-bit digest of its values and the document's number;
* ``index_pairs`` lists each document's candidate pairs of that scan (its partners, and
  whether LSH, the passage index or both proposed each);
* ``index_state`` holds the scan, its settings and versions, the boilerplate shingles it
  found, and each document's shingle count and site (as arrays by number).

Both lists are stored as sorted arrays in buckets of the hash's top bits (one row per
bucket), with as many bits as give about ``BUCKET_ENTRIES`` entries a bucket: a lookup reads a
few hundred small rows, whatever the size of the corpus.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlite_utils import Database

from ..models import Sketch

#: The tables of the index, all rewritten by ``rebuild``.
INDEX_TABLES = ("index_state", "index_documents", "index_shingles", "index_bands", "index_pairs")
#: ``index_pairs.kinds`` bits: which candidate generator proposed a pair.
BY_LSH, BY_PASSAGE = 1, 2
#: About how many entries a bucket row holds.
BUCKET_ENTRIES = 64
_LE_U4, _LE_U8, _LE_I4 = np.dtype("<u4"), np.dtype("<u8"), np.dtype("<i4")


@dataclass(frozen=True)
class IndexState:
    """The ``index_state`` row: the scan the index describes, with its settings fingerprint
    and versions, its boilerplate shingles (sorted), and per document number its shingle
    count, whether it takes part in LSH (``banded``: shingles are left once boilerplate is
    out) and site code (-1: no site; else a position in ``sites``), and how many top bits
    of a key name its bucket in ``index_shingles`` and ``index_bands``."""

    scan_id: int
    config_fingerprint: str
    versions: dict
    boilerplate: np.ndarray
    counts: np.ndarray
    banded: np.ndarray
    site_codes: np.ndarray
    sites: tuple[str, ...]
    shingle_bits: int
    band_bits: int

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
    lsh_pairs: set[tuple[int, int]],
    passage_pairs: set[tuple[int, int]],
) -> None:
    """Replace the index with that of ``sketches`` (every document of the scan, in id order,
    before boilerplate is taken out), with each one's site, the scan's ``boilerplate``
    shingles, ``banded`` (which documents take part in LSH: those with shingles left) and
    the scan's candidate pairs (document numbers) of LSH and of the passage index."""
    for table in INDEX_TABLES:
        db.execute(f"DELETE FROM {table}")
    names = sorted({s for s in sites if s is not None})
    code = {name: i for i, name in enumerate(names)}
    site_codes = np.array([code[s] if s is not None else -1 for s in sites], dtype=_LE_I4)
    counts = np.array([len(s.shingles) for s in sketches], dtype=_LE_U4)
    present = np.flatnonzero(banded)
    shingle_bits, band_bits = _bucket_bits(int(counts.sum()), 32), _bucket_bits(len(present) * bands, 64)
    db["index_state"].insert({
        "id": 1, "scan_id": scan_id, "config_fingerprint": config_fingerprint,
        "versions": json.dumps(versions, sort_keys=True), "sites": json.dumps(names),
        "boilerplate": np.ascontiguousarray(boilerplate, dtype=_LE_U4).tobytes(),
        "counts": counts.tobytes(), "site_codes": site_codes.tobytes(),
        "banded": np.asarray(banded, dtype=np.uint8).tobytes(),
        "shingle_bits": shingle_bits, "band_bits": band_bits,
    })
    db.conn.executemany(
        "INSERT INTO index_documents (number, document_id) VALUES (?, ?)", ((n, s.doc_id) for n, s in enumerate(sketches))
    )
    if sketches:
        hashes = np.concatenate([s.shingles for s in sketches]).astype(np.uint32)
        owners = np.repeat(np.arange(len(sketches), dtype=np.uint32), counts.astype(np.int64))
        _write_buckets(db, "index_shingles", hashes, owners, hashes >> np.uint32(32 - shingle_bits))
    if len(present):
        digests = band_digests(np.stack([sketches[i].minhash for i in present]), bands, rows)
        owners = np.repeat(present.astype(np.uint32), bands)
        flat = digests.ravel()
        _write_buckets(db, "index_bands", flat, owners, flat >> np.uint64(64 - band_bits))
    _write_pairs(db, lsh_pairs, passage_pairs)


def _write_pairs(db: Database, lsh_pairs: set[tuple[int, int]], passage_pairs: set[tuple[int, int]]) -> None:
    """One ``index_pairs`` row per document with candidates: its partners (both ways round)."""
    kinds: dict[tuple[int, int], int] = {}
    for found, bit in ((lsh_pairs, BY_LSH), (passage_pairs, BY_PASSAGE)):
        for a, b in found:
            for pair in ((a, b), (b, a)):
                kinds[pair] = kinds.get(pair, 0) | bit
    if not kinds:
        return
    table = np.array(sorted((a, b, k) for (a, b), k in kinds.items()), dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], table[1:, 0] != table[:-1, 0])))
    ends = np.concatenate((starts[1:], [len(table)]))
    db.conn.executemany(
        "INSERT INTO index_pairs (number, partners, kinds) VALUES (?, ?, ?)",
        ((int(table[s, 0]), table[s:e, 1].astype(_LE_U4).tobytes(), table[s:e, 2].astype(np.uint8).tobytes()) for s, e in zip(starts, ends)),
    )


def partners(db: Database, numbers: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each document's candidate partners in the scan the index describes, with their kinds
    (``BY_LSH``, ``BY_PASSAGE`` bits), for the documents of ``numbers`` that have any."""
    sql = "SELECT number, partners, kinds FROM index_pairs WHERE number IN (SELECT value FROM json_each(?))"
    return {
        number: (np.frombuffer(found, dtype=_LE_U4).astype(np.int64), np.frombuffer(kinds, dtype=np.uint8))
        for number, found, kinds in db.execute(sql, [json.dumps([int(n) for n in numbers])])
    }


def _bucket_bits(entries: int, width: int) -> int:
    """How many top bits of a ``width``-bit key name its bucket, for about ``BUCKET_ENTRIES``
    entries a bucket (between 8 and 24 bits)."""
    return int(min(24, max(8, math.ceil(math.log2(max(entries, 1) / BUCKET_ENTRIES)))))


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
        "SELECT scan_id, config_fingerprint, versions, boilerplate, counts, banded, site_codes, sites, shingle_bits, band_bits"
        " FROM index_state WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    scan_id, fingerprint, versions, boilerplate, counts, banded, site_codes, sites, shingle_bits, band_bits = row
    return IndexState(
        scan_id=scan_id, config_fingerprint=fingerprint, versions=json.loads(versions),
        boilerplate=np.frombuffer(boilerplate, dtype=_LE_U4).astype(np.uint32),
        counts=np.frombuffer(counts, dtype=_LE_U4).astype(np.int64), banded=np.frombuffer(banded, dtype=np.uint8).astype(bool),
        site_codes=np.frombuffer(site_codes, dtype=_LE_I4).astype(np.int64), sites=tuple(json.loads(sites)),
        shingle_bits=shingle_bits, band_bits=band_bits,
    )


def carriers(db: Database, state: IndexState, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(shingle hash, document number)`` of the index for the given hashes, sorted."""
    wanted = np.unique(np.asarray(hashes, dtype=np.uint32))
    return _lookup(db, "index_shingles", "hashes", _LE_U4, wanted, wanted >> np.uint32(32 - state.shingle_bits))


def band_members(db: Database, state: IndexState, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(band digest, document number)`` of the index for the given digests, sorted."""
    wanted = np.unique(np.asarray(digests, dtype=np.uint64))
    return _lookup(db, "index_bands", "keys", _LE_U8, wanted, wanted >> np.uint64(64 - state.band_bits))


def _lookup(db: Database, table: str, column: str, dtype: np.dtype, wanted: np.ndarray, buckets: np.ndarray):
    """The stored ``(key, number)`` pairs of ``table`` whose key is in ``wanted`` (sorted)."""
    # Buckets split the keys by their top bits, so rows in bucket order hold them all in order.
    sql = f"SELECT {column}, numbers FROM {table} WHERE bucket IN (SELECT value FROM json_each(?)) ORDER BY bucket"
    rows = db.execute(sql, [json.dumps(np.unique(buckets).tolist())]).fetchall()
    keys = np.frombuffer(b"".join(row[0] for row in rows), dtype=dtype).astype(wanted.dtype)
    numbers = np.frombuffer(b"".join(row[1] for row in rows), dtype=_LE_U4).astype(np.int64)
    at = np.searchsorted(wanted, keys).clip(max=max(len(wanted) - 1, 0))
    hit = wanted[at] == keys if len(wanted) else np.zeros(len(keys), dtype=bool)
    return keys[hit], numbers[hit]


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
