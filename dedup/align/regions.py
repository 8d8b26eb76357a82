"""Matching regions of two texts: exact runs found by greedy string tiling, chained into
regions across small edits, stretched over edited edge words, and turned into word-level
opcodes (rapidfuzz Levenshtein, piece by piece between anchors)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from .text import Words, keyed_breaks

# Levenshtein on a gap larger than this many word pairs is not worth it: one replace op.
_MAX_DIFF_CELLS = 1_000_000


@dataclass(frozen=True)
class Tile:
    """An exact run of ``length`` keyed words at ``copy`` and ``source`` (keyed-word indices)."""

    copy: int
    source: int
    length: int


def tile_runs(source_keys: Sequence[str], copy_keys: Sequence[str], copy_breaks: Sequence[int], anchor: int, max_occurrences: int) -> list[Tile]:
    """Greedy string tiling over anchor-seeded exact runs: disjoint on both sides, and each
    within one paragraph of the copy (``copy_breaks``: keyed-word indices that start one)."""
    n_source, n_copy = len(source_keys), len(copy_keys)
    starts_paragraph = bytearray(n_copy)
    for i in copy_breaks:
        starts_paragraph[i] = 1
    index = gram_index(source_keys, anchor)
    runs = []
    run_end: dict[int, int] = {}  # diagonal (source - copy) → copy end of the last run on it
    for i, gram in enumerate(zip(*(copy_keys[k:] for k in range(anchor)))):
        found = index.get(gram)
        if not found or len(found) > max_occurrences:
            continue
        for j in found:
            if run_end.get(j - i, -1) > i:
                continue
            a, b = i, j
            while a > 0 and b > 0 and copy_keys[a - 1] == source_keys[b - 1]:
                a, b = a - 1, b - 1
            e, f = i + anchor, j + anchor
            while e < n_copy and f < n_source and copy_keys[e] == source_keys[f]:
                e, f = e + 1, f + 1
            run_end[j - i] = e
            runs.append((e - a, a, b))
    runs.sort(key=lambda r: (-r[0], r[1], r[2]))
    copy_free, source_free = bytearray(b"\x01") * n_copy, bytearray(b"\x01") * n_source
    tiles = []
    for length, a, b in runs:
        p = 0
        while p < length:
            if not (copy_free[a + p] and source_free[b + p]):
                p += 1
                continue
            q = p + 1
            while q < length and copy_free[a + q] and source_free[b + q] and not starts_paragraph[a + q]:
                q += 1
            if q - p >= anchor:
                copy_free[a + p : a + q] = bytes(q - p)
                source_free[b + p : b + q] = bytes(q - p)
                tiles.append(Tile(a + p, b + p, q - p))
            p = q
    tiles.sort(key=lambda t: t.copy)
    return tiles


@lru_cache(maxsize=16)
def gram_index(keys: tuple[str, ...], anchor: int) -> dict[tuple[str, ...], list[int]]:
    """Where each ``anchor``-word n-gram of ``keys`` starts (cached like ``words``)."""
    index: dict[tuple[str, ...], list[int]] = {}
    for j, gram in enumerate(zip(*(keys[k:] for k in range(anchor)))):
        index.setdefault(gram, []).append(j)
    return index


def _fits(region: list[Tile], tile: Tile, max_gap: int) -> bool:
    last = region[-1]
    source_gap = tile.source - (last.source + last.length)
    return tile.copy - (last.copy + last.length) <= max_gap and 0 <= source_gap <= max_gap


def chain_regions(tiles: list[Tile], max_gap: int, noise_words: int) -> list[list[Tile]]:
    """Chain tiles (in copy order) that continue each other in both texts into regions."""
    regions: list[list[Tile]] = []
    current: list[Tile] | None = None
    k = 0
    while k < len(tiles):
        tile = tiles[k]
        if current and _fits(current, tile, max_gap):
            current.append(tile)
            k += 1
            continue
        if current:
            # Short runs (a common phrase elsewhere in the source, a local reordering) may
            # interrupt a region: skip them when a later run within reach continues it.
            end = current[-1].copy + current[-1].length
            ahead = k + 1
            while ahead < len(tiles) and tiles[ahead].copy - end <= max_gap:
                if _fits(current, tiles[ahead], max_gap):
                    break
                ahead += 1
            else:
                ahead = len(tiles)
            if ahead < len(tiles) and all(t.length < noise_words for t in tiles[k:ahead]):
                current.append(tiles[ahead])
                k = ahead + 1
                continue
        current = [tile]
        regions.append(current)
        k += 1
    return regions


def disjoint_regions(regions: list[list[Tile]]) -> list[list[Tile]]:
    """Keep regions whose source spans do not overlap, the ones with most matched words first."""
    ranked = sorted(regions, key=lambda r: (-sum(t.length for t in r), r[0].copy))
    starts: list[int] = []
    ends: list[int] = []
    kept = []
    for region in ranked:
        start, end = region[0].source, region[-1].source + region[-1].length
        k = bisect_left(starts, start)
        if (k > 0 and ends[k - 1] > start) or (k < len(starts) and starts[k] < end):
            continue
        starts.insert(k, start)
        ends.insert(k, end)
        kept.append(region)
    kept.sort(key=lambda r: r[0].copy)
    return kept


def extend_regions(regions: list[list[Tile]], source: Words, copy: Words, reach: int) -> list[list[Tile]]:
    """Stretch each region over the edited words at its edges (an edit at the first or last
    words of a reused passage leaves no exact run there), without entering another region
    or another paragraph of the copy."""
    source_keys, copy_keys = source.keys, copy.keys
    breaks = keyed_breaks(copy)
    spans = [(r[0].source, r[-1].source + r[-1].length) for r in regions]
    result: list[list[Tile]] = []
    for k, region in enumerate(regions):
        first, last = region[0], region[-1]
        paragraph = bisect_right(breaks, first.copy)
        copy_low = max(result[-1][-1].copy + result[-1][-1].length if result else 0, first.copy - reach, breaks[paragraph - 1] if paragraph else 0)
        source_low = max([end for start, end in spans if end <= first.source] + [first.source - reach, 0])
        head = _reach(copy_keys[copy_low : first.copy][::-1], source_keys[source_low : first.source][::-1])
        if head:
            region = [Tile(first.copy - 1 - head[0], first.source - 1 - head[1], 1)] + region
        copy_end, source_end = last.copy + last.length, last.source + last.length
        paragraph = bisect_right(breaks, copy_end - 1)
        copy_high = min(
            regions[k + 1][0].copy if k + 1 < len(regions) else len(copy_keys), copy_end + reach,
            breaks[paragraph] if paragraph < len(breaks) else len(copy_keys),
        )
        source_high = min([start for start, end in spans if start >= source_end] + [source_end + reach, len(source_keys)])
        tail = _reach(copy_keys[copy_end:copy_high], source_keys[source_end:source_high])
        if tail:
            region = region + [Tile(copy_end + tail[0], source_end + tail[1], 1)]
        spans[k] = (region[0].source, region[-1].source + region[-1].length)
        result.append(region)
    return result


def _reach(copy_words: Sequence[str], source_words: Sequence[str]) -> tuple[int, int] | None:
    """How far (word offsets in both lists) the alignment of two word lists running away from a
    region stays at least half matched; None when it does not start."""
    best, matched = None, 0
    if not copy_words or not source_words:
        return None
    for op in Levenshtein.opcodes(source_words, copy_words):
        if op.tag != "equal":
            continue
        for t in range(op.src_end - op.src_start):
            matched += 1
            i, j = op.dest_start + t, op.src_start + t
            if 2 * matched >= max(i, j) + 1:
                best = (i, j)
    return best


def region_ops(region: list[Tile], source: Words, copy: Words, chunk: int) -> list[tuple[str, int, int, int, int]]:
    """Word-level opcodes ``(op, source_start, source_end, copy_start, copy_end)`` of a region."""
    ops: list[tuple[str, int, int, int, int]] = []
    prev_s, prev_c = source.keyed[region[0].source], copy.keyed[region[0].copy]
    for tile in region:
        for p in range(0, tile.length, chunk):
            q = min(tile.length, p + chunk)
            s0, s1 = source.keyed[tile.source + p], source.keyed[tile.source + q - 1] + 1
            c0, c1 = copy.keyed[tile.copy + p], copy.keyed[tile.copy + q - 1] + 1
            diff(ops, source.norms, copy.norms, prev_s, s0, prev_c, c0)
            diff(ops, source.norms, copy.norms, s0, s1, c0, c1)
            prev_s, prev_c = s1, c1
    merged: list[tuple[str, int, int, int, int]] = []
    for op in ops:
        if merged and merged[-1][0] == op[0]:
            last = merged[-1]
            merged[-1] = (op[0], last[1], op[2], last[3], op[4])
        else:
            merged.append(op)
    return merged


def diff(ops: list, source: list[str], copy: list[str], s0: int, s1: int, c0: int, c1: int) -> None:
    """Append the opcodes turning ``source[s0:s1]`` into ``copy[c0:c1]`` (absolute indices)."""
    if s0 == s1 and c0 == c1:
        return
    if s0 == s1:
        ops.append(("insert", s0, s1, c0, c1))
    elif c0 == c1:
        ops.append(("delete", s0, s1, c0, c1))
    elif (s1 - s0) * (c1 - c0) > _MAX_DIFF_CELLS:
        ops.append(("replace", s0, s1, c0, c1))
    else:
        for op in Levenshtein.opcodes(source[s0:s1], copy[c0:c1]):
            ops.append((op.tag, s0 + op.src_start, s0 + op.src_end, c0 + op.dest_start, c0 + op.dest_end))
