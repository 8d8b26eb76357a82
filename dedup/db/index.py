"""The lookup index: what ``dedup check`` and an incremental scan need to find an article's
matches without a scan.

A scan over everything rebuilds it (``rebuild``) from the sketches it detected with; a scan that
only adds documents, answered from the index, extends it (``extend``). Both write in the
scan's transaction, so it always describes the last scan: ``index_state.scan_id`` says which.

* ``index_documents`` numbers the documents: a rebuild numbers them in id order, an extension
  numbers the added ones after them (``index_state.ranks`` gives each number's place in id
  order, the order detection numbers documents in);
* ``index_shingles`` lists, for each word-shingle hash of any document (before boilerplate is
  taken out), the numbers of the documents that carry it;
* ``index_bands`` lists, for each MinHash LSH band of each document with shingles left after
  boilerplate, a 64-bit digest of its values and the document's number;
* ``index_pairs`` lists each document's candidate pairs (its partners, and whether LSH, the
  passage index or both proposed each);
* ``index_state`` holds the scan, its settings and versions, the boilerplate shingles it
  found, and each document's shingle count, site and rank (as arrays by number).

Both lists are stored as sorted arrays in buckets of the hash's top bits (one row per
bucket), with as many bits as give about ``BUCKET_ENTRIES`` entries a bucket: a lookup reads a
few hundred small rows, whatever the size of the corpus. A rebuild writes part 0; each
extension writes its entries as one more part, with bits for its own size, so that it
writes only what it adds; past ``MAX_PARTS`` parts, the parts of the extensions are merged
into one.
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
#: How many parts the index may hold before an extension merges those of the extensions.
MAX_PARTS = 8
_LE_U4, _LE_U8, _LE_I4 = np.dtype("<u4"), np.dtype("<u8"), np.dtype("<i4")
#: Per list: its table, key column, key type and key width in bits.
_LISTS = {"shingles": ("index_shingles", "hashes", _LE_U4, 32), "bands": ("index_bands", "keys", _LE_U8, 64)}


@dataclass(frozen=True)
class IndexState:
    """The ``index_state`` row: the scan the index describes, with its settings fingerprint
    and versions, its boilerplate shingles (sorted), and per document number its shingle
    count, whether it takes part in LSH (``banded``: shingles are left once boilerplate is
    out), site code (-1: no site; else a position in ``sites``) and rank (its place in id
    order); per part, how many top bits of a key name its bucket in ``index_shingles`` and in
    ``index_bands``."""

    scan_id: int
    config_fingerprint: str
    versions: dict
    boilerplate: np.ndarray
    counts: np.ndarray
    banded: np.ndarray
    site_codes: np.ndarray
    sites: tuple[str, ...]
    ranks: np.ndarray
    parts: tuple[tuple[int, int], ...]

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
    site_codes = np.array([code[s] if s is not None else -1 for s in sites], dtype=np.int64)
    db.conn.executemany(
        "INSERT INTO index_documents (number, document_id) VALUES (?, ?)", ((n, s.doc_id) for n, s in enumerate(sketches))
    )
    part = _write_part(db, 0, range(len(sketches)), sketches, np.asarray(banded, dtype=bool), bands, rows)
    _write_pairs(db, _kinds(lsh_pairs, passage_pairs))
    counts = np.array([len(s.shingles) for s in sketches], dtype=np.int64)
    ranks = np.arange(len(sketches), dtype=np.int64)
    _save_state(db, scan_id, config_fingerprint, versions, boilerplate, counts, np.asarray(banded, dtype=bool), site_codes, names, ranks, [part])


def extend(
    db: Database,
    state: IndexState,
    scan_id: int,
    *,
    sketches: Sequence[Sketch],
    sites: Sequence[str | None],
    boilerplate: np.ndarray,
    banded: np.ndarray,
    bands: int,
    rows: int,
    queried: Sequence[str],
    lsh_pairs: set[tuple[str, str]],
    passage_pairs: set[tuple[str, str]],
) -> None:
    """Add the documents of ``sketches`` (new ones, in id order, before boilerplate is taken
    out) to the index ``state`` describes, which then describes the scan ``scan_id``: with
    each one's site and ``banded``, the scan's ``boilerplate``, and the candidate pairs (id
    pairs) of LSH and of the passage index of the ``queried`` documents (the new ones and the
    stored ones whose candidates were found again), which replace theirs."""
    start = state.n_documents
    db.conn.executemany(
        "INSERT INTO index_documents (number, document_id) VALUES (?, ?)", ((start + k, s.doc_id) for k, s in enumerate(sketches))
    )
    order = [row[0] for row in db.execute("SELECT number FROM index_documents ORDER BY document_id")]
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
    parts = list(state.parts)
    if sketches:
        parts.append(_write_part(db, len(parts), range(start, start + len(sketches)), sketches, banded, bands, rows))
    if len(parts) > MAX_PARTS:
        parts = [parts[0], _merge_parts(db, range(1, len(parts)), 1)]
    number = dict(db.execute(
        "SELECT document_id, number FROM index_documents WHERE document_id IN (SELECT value FROM json_each(?))",
        [json.dumps(sorted({end for pair in lsh_pairs | passage_pairs for end in pair} | set(queried)))],
    ).fetchall())
    as_numbers = [{(number[a], number[b]) for a, b in found} for found in (lsh_pairs, passage_pairs)]
    _replace_pairs(db, {number[q] for q in queried}, _kinds(*as_numbers))
    names = list(state.sites)
    code = {name: i for i, name in enumerate(names)}
    added = [-1 if s is None else code.setdefault(s, len(code)) for s in sites]
    names.extend(sorted(set(code) - set(names), key=code.get))
    _save_state(
        db, scan_id, state.config_fingerprint, state.versions, boilerplate,
        np.concatenate([state.counts, [len(s.shingles) for s in sketches]]).astype(np.int64),
        np.concatenate([state.banded, np.asarray(banded, dtype=bool)]),
        np.concatenate([state.site_codes, added]).astype(np.int64), names, ranks, parts,
    )


def _save_state(db: Database, scan_id, fingerprint, versions, boilerplate, counts, banded, site_codes, sites, ranks, parts) -> None:
    """Write the one ``index_state`` row."""
    db["index_state"].insert({
        "id": 1, "scan_id": scan_id, "config_fingerprint": fingerprint,
        "versions": json.dumps(versions, sort_keys=True), "sites": json.dumps(list(sites)),
        "boilerplate": np.ascontiguousarray(boilerplate, dtype=_LE_U4).tobytes(),
        "counts": counts.astype(_LE_U4).tobytes(), "site_codes": site_codes.astype(_LE_I4).tobytes(),
        "banded": banded.astype(np.uint8).tobytes(), "ranks": ranks.astype(_LE_U4).tobytes(), "parts": json.dumps(parts),
    }, replace=True)


def _write_part(db: Database, part: int, numbers: range, sketches: Sequence[Sketch], banded: np.ndarray, bands: int, rows: int) -> tuple[int, int]:
    """Write the shingles and bands of ``sketches`` (numbered ``numbers``) as ``part``; return
    its bucket bits (shingles, bands)."""
    owners = np.asarray(numbers, dtype=np.uint32)
    counts = np.array([len(s.shingles) for s in sketches], dtype=np.int64)
    present = np.flatnonzero(banded)
    bits = (_bucket_bits(int(counts.sum())), _bucket_bits(len(present) * bands))
    if sketches:
        hashes = np.concatenate([s.shingles for s in sketches]).astype(np.uint32)
        _write_buckets(db, "shingles", part, bits[0], hashes, np.repeat(owners, counts))
    if len(present):
        digests = band_digests(np.stack([sketches[i].minhash for i in present]), bands, rows)
        _write_buckets(db, "bands", part, bits[1], digests.ravel(), np.repeat(owners[present], bands))
    return bits


def _merge_parts(db: Database, parts: range, into: int) -> tuple[int, int]:
    """Merge the given parts of both lists into the part ``into``; return its bucket bits."""
    bits = []
    for name, (table, column, dtype, _) in _LISTS.items():
        where = [json.dumps(list(parts))]
        found = db.execute(f"SELECT {column}, numbers FROM {table} WHERE part IN (SELECT value FROM json_each(?))", where).fetchall()
        keys = np.frombuffer(b"".join(row[0] for row in found), dtype=dtype)
        owners = np.frombuffer(b"".join(row[1] for row in found), dtype=_LE_U4)
        db.execute(f"DELETE FROM {table} WHERE part IN (SELECT value FROM json_each(?))", where)
        bits.append(_bucket_bits(len(keys)))
        _write_buckets(db, name, into, bits[-1], keys, owners)
    return bits[0], bits[1]


def _kinds(lsh_pairs: set[tuple[int, int]], passage_pairs: set[tuple[int, int]]) -> dict[int, dict[int, int]]:
    """Per document number, its candidate partners with their kinds (both ways round)."""
    kinds: dict[int, dict[int, int]] = {}
    for found, bit in ((lsh_pairs, BY_LSH), (passage_pairs, BY_PASSAGE)):
        for a, b in found:
            for x, y in ((a, b), (b, a)):
                row = kinds.setdefault(x, {})
                row[y] = row.get(y, 0) | bit
    return kinds


def _write_pairs(db: Database, kinds: dict[int, dict[int, int]]) -> None:
    """One ``index_pairs`` row per document with candidates: its partners, in number order."""
    rows = []
    for number in sorted(kinds):
        partners = sorted(kinds[number].items())
        if partners:
            found = np.array(partners, dtype=np.int64)
            rows.append((number, found[:, 0].astype(_LE_U4).tobytes(), found[:, 1].astype(np.uint8).tobytes()))
    db.conn.executemany("INSERT INTO index_pairs (number, partners, kinds) VALUES (?, ?, ?)", rows)


def _replace_pairs(db: Database, queried: set[int], kinds: dict[int, dict[int, int]]) -> None:
    """Make ``kinds`` the complete candidates of the ``queried`` numbers: their old pairs go
    (from their partners' rows too), the given ones come in."""
    old = partners(db, sorted(queried))
    affected = set(queried) | set(kinds) | {int(n) for others, _ in old.values() for n in others}
    rows = {n: dict(zip(others.tolist(), found.tolist())) for n, (others, found) in partners(db, sorted(affected - queried)).items()}
    rows = {n: {p: k for p, k in row.items() if p not in queried} for n, row in rows.items()}
    for number, row in kinds.items():
        rows.setdefault(number, {}).update(row)
    db.execute("DELETE FROM index_pairs WHERE number IN (SELECT value FROM json_each(?))", [json.dumps(sorted(affected))])
    _write_pairs(db, rows)


def partners(db: Database, numbers: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each document's candidate partners, with their kinds (``BY_LSH``, ``BY_PASSAGE`` bits),
    for the documents of ``numbers`` that have any."""
    sql = "SELECT number, partners, kinds FROM index_pairs WHERE number IN (SELECT value FROM json_each(?))"
    return {
        number: (np.frombuffer(found, dtype=_LE_U4).astype(np.int64), np.frombuffer(kinds, dtype=np.uint8))
        for number, found, kinds in db.execute(sql, [json.dumps([int(n) for n in numbers])])
    }


def _bucket_bits(entries: int) -> int:
    """How many top bits of a key name its bucket, for about ``BUCKET_ENTRIES`` entries a
    bucket (between 8 and 24 bits)."""
    return int(min(24, max(8, math.ceil(math.log2(max(entries, 1) / BUCKET_ENTRIES)))))


def _write_buckets(db: Database, name: str, part: int, bits: int, keys: np.ndarray, owners: np.ndarray) -> None:
    """Write ``(key, owner)`` pairs into the list ``name`` as ``part``, one row per bucket of
    the keys' top ``bits``, sorted by key then owner."""
    table, column, dtype, width = _LISTS[name]
    keys = np.asarray(keys).astype(np.uint32 if width == 32 else np.uint64)
    order = np.lexsort((owners, keys))
    keys, owners = keys[order], np.asarray(owners)[order]
    buckets = keys >> keys.dtype.type(width - bits)
    starts = np.flatnonzero(np.concatenate(([True], buckets[1:] != buckets[:-1])))
    ends = np.concatenate((starts[1:], [len(keys)]))
    db.conn.executemany(
        f"INSERT INTO {table} (part, bucket, {column}, numbers) VALUES (?, ?, ?, ?)",
        ((part, int(buckets[s]), keys[s:e].astype(dtype).tobytes(), owners[s:e].astype(_LE_U4).tobytes()) for s, e in zip(starts, ends)),
    )


def discard(db: Database) -> None:
    """Forget the index: the next scan of ``db`` detects over every document and rebuilds it."""
    if "index_state" in db.table_names():
        db.execute("DELETE FROM index_state")


def load_state(db: Database) -> IndexState | None:
    """The ``index_state`` row, or None when no scan has built the index."""
    row = db.execute(
        "SELECT scan_id, config_fingerprint, versions, boilerplate, counts, banded, site_codes, sites, ranks, parts"
        " FROM index_state WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    scan_id, fingerprint, versions, boilerplate, counts, banded, site_codes, sites, ranks, parts = row
    return IndexState(
        scan_id=scan_id, config_fingerprint=fingerprint, versions=json.loads(versions),
        boilerplate=np.frombuffer(boilerplate, dtype=_LE_U4).astype(np.uint32),
        counts=np.frombuffer(counts, dtype=_LE_U4).astype(np.int64), banded=np.frombuffer(banded, dtype=np.uint8).astype(bool),
        site_codes=np.frombuffer(site_codes, dtype=_LE_I4).astype(np.int64), sites=tuple(json.loads(sites)),
        ranks=np.frombuffer(ranks, dtype=_LE_U4).astype(np.int64), parts=tuple(tuple(p) for p in json.loads(parts)),
    )


def carriers(db: Database, state: IndexState, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(shingle hash, document number)`` of the index for the given hashes, sorted by
    hash, then by the documents' id order."""
    return _lookup(db, state, "shingles", np.unique(np.asarray(hashes, dtype=np.uint32)))


def band_members(db: Database, state: IndexState, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(band digest, document number)`` of the index for the given digests, sorted by
    digest, then by the documents' id order."""
    return _lookup(db, state, "bands", np.unique(np.asarray(digests, dtype=np.uint64)))


def _lookup(db: Database, state: IndexState, name: str, wanted: np.ndarray):
    """The stored ``(key, number)`` pairs of the list ``name`` whose key is in ``wanted``
    (sorted), from every part, sorted by key, then by rank."""
    table, column, dtype, width = _LISTS[name]
    sql = f"SELECT {column}, numbers FROM {table} WHERE part = ? AND bucket IN (SELECT value FROM json_each(?)) ORDER BY bucket"
    found_keys, found_numbers = [], []
    for part, bits in enumerate(state.parts):
        buckets = np.unique(wanted >> wanted.dtype.type(width - bits[0 if name == "shingles" else 1]))
        rows = db.execute(sql, [part, json.dumps(buckets.tolist())]).fetchall()
        # The rows of a part come in bucket order, so its keys are sorted: find each wanted key's run.
        keys = np.frombuffer(b"".join(row[0] for row in rows), dtype=dtype).astype(wanted.dtype)
        lo, hi = np.searchsorted(keys, wanted, "left"), np.searchsorted(keys, wanted, "right")
        counts = hi - lo
        at = np.repeat(lo, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
        found_keys.append(keys[at])
        found_numbers.append(np.frombuffer(b"".join(row[1] for row in rows), dtype=_LE_U4)[at].astype(np.int64))
    keys = np.concatenate(found_keys) if found_keys else wanted[:0]
    numbers = np.concatenate(found_numbers) if found_numbers else np.zeros(0, dtype=np.int64)
    order = np.lexsort((state.ranks[numbers], keys))
    return keys[order], numbers[order]


def document_ids(db: Database, numbers: Sequence[int]) -> list[str]:
    """The ids of the documents of the given numbers, in that order."""
    sql = "SELECT number, document_id FROM index_documents WHERE number IN (SELECT value FROM json_each(?))"
    found = dict(db.execute(sql, [json.dumps([int(n) for n in numbers])]).fetchall())
    return [found[int(n)] for n in numbers]


def numbers_below(db: Database, state: IndexState, document_id: str) -> int:
    """How many indexed documents have an id below ``document_id`` (its rank once added)."""
    row = db.execute(
        "SELECT number FROM index_documents WHERE document_id < ? ORDER BY document_id DESC LIMIT 1", [document_id]
    ).fetchone()
    return 0 if row is None else int(state.ranks[row[0]]) + 1
