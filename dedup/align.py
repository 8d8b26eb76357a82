"""Passage alignment: which parts of a copy come from its source, and how they were edited.

Both texts are split into whitespace-separated words, compared after normalisation (case,
curly vs straight quotes, dashes), so typographic differences are never edits.

1. Anchors: word pairs found in both texts (and at most a few times in the source) seed
   exact runs, extended word by word. The longest runs are taken first and no word is used
   twice (greedy string tiling), so a moved passage matches where it moved to.
2. Regions: runs that follow each other in both texts with small gaps are chained into a
   region; the gaps are edits. A short run that interrupts a region is noise, and a region
   with few matched words is dropped: a shared common phrase is not reuse.
3. Word diff: inside a region, rapidfuzz's Levenshtein opcodes over the words, computed
   piece by piece between anchors, so time and memory grow linearly with the texts.
4. Passages: regions are cut at the copy's paragraph breaks into ``same`` and ``changed``
   passages. A left-over copy paragraph between two matches is paired with the most alike
   left-over source paragraph of the same gap (rapidfuzz ``process.extractOne``), which
   catches rewritten paragraphs; the rest of the copy is ``added`` and the rest of the
   source ``removed``. Whitespace belongs to the passage before it, so the passages cover
   each text exactly once.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Indel, Levenshtein

from .errors import ConfigError
from .models import DiffOp, Passage

MATCHED = ("same", "changed")

WORD_RE = re.compile(r"\S+")
_NOT_ALNUM = re.compile(r"[\W_]+")
_NEWLINE = re.compile(r"\n")
# Typographic variants that publishers swap freely: they never count as edits.
_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u2026": "...",
    }
)
_FLIP_KIND = {"same": "same", "changed": "changed", "added": "removed", "removed": "added"}
_FLIP_OP = {"equal": "equal", "replace": "replace", "insert": "delete", "delete": "insert"}
# Levenshtein on a gap larger than this many word pairs is not worth it: one replace op.
_MAX_DIFF_CELLS = 1_000_000
# Unmatched source paragraphs compared with each unmatched copy paragraph, at most.
_MAX_CANDIDATES = 20


@dataclass(frozen=True)
class _Words:
    """A text as words: character spans, normalised forms, and the words that carry letters."""

    text: str
    starts: list[int]
    ends: list[int]
    norms: list[str]
    keyed: list[int]  # word index of each word with a letter or digit
    keys: tuple[str, ...]  # the letters and digits of those words, for matching
    paragraph_starts: list[int]  # word indices (> 0) that start a paragraph

    def pos(self, word: int) -> int:
        """Character offset where word ``word`` starts (0 for the first, len(text) past the end)."""
        if word == 0:
            return 0
        return self.starts[word] if word < len(self.starts) else len(self.text)


@dataclass(frozen=True)
class _Tile:
    """An exact run of ``length`` keyed words at ``copy`` and ``source`` (keyed-word indices)."""

    copy: int
    source: int
    length: int


@dataclass(frozen=True)
class _Piece:
    """A passage in word indices, before character offsets are assigned."""

    kind: str
    source: tuple[int, int] | None
    copy: tuple[int, int] | None
    ops: tuple[tuple[str, int, int, int, int], ...] = ()


def normalize_word(word: str) -> str:
    """The form in which two words are compared: casefolded, quotes and dashes unified."""
    return word.translate(_FOLD).casefold()


@lru_cache(maxsize=16)
def words(text: str) -> _Words:
    """Split ``text`` into words with their offsets and normalised forms.

    Cached: a scan aligns one document with each of its copies in turn.
    """
    spans = [m.span() for m in WORD_RE.finditer(text)]
    starts = [a for a, _ in spans]
    ends = [b for _, b in spans]
    # Folding maps no character to whitespace, so the folded text splits into the same words.
    norms = text.translate(_FOLD).casefold().split()
    if len(norms) != len(spans):  # a character str.split and the regex disagree on: fold word by word
        norms = [normalize_word(text[a:b]) for a, b in spans]
    keyed, keys = [], []
    for index, norm in enumerate(norms):
        key = norm if norm.isalnum() else _NOT_ALNUM.sub("", norm)
        if key:
            keyed.append(index)
            keys.append(key)
    # Every line is a paragraph: extracted web text puts one paragraph (or list item) per line.
    paragraph_starts = sorted({bisect_right(starts, m.start()) for m in _NEWLINE.finditer(text)} - {0, len(starts)})
    return _Words(text, starts, ends, norms, keyed, tuple(keys), paragraph_starts)


def clear_cache() -> None:
    """Forget the cached word lists and n-gram indexes (to measure a cold start)."""
    words.cache_clear()
    _gram_index.cache_clear()


def align(
    source_text: str,
    copy_text: str,
    *,
    anchor: int = 2,
    max_occurrences: int = 8,
    max_gap: int = 25,
    min_words: int = 12,
    noise_words: int = 8,
    chunk: int = 400,
    min_similarity: float = 0.5,
) -> list[Passage]:
    """Align ``copy_text`` against ``source_text``: an ordered list of passages.

    The passages cover the copy exactly once in order (``removed`` ones, which have an empty
    copy range, sit after the matched passage that precedes them in the source) and cover
    the source exactly once. ``anchor`` is the n-gram size that seeds matches; an n-gram seen
    more than ``max_occurrences`` times in the source seeds nothing; regions chain runs with
    gaps of at most ``max_gap`` words and need ``min_words`` matched words; a run shorter
    than ``noise_words`` that interrupts a region is ignored; ``chunk`` bounds each diff.
    Left-over copy and source paragraphs in the same gap between matches are paired when
    their words are at least ``min_similarity`` alike (rapidfuzz Indel similarity) and the
    copy's has at least half of ``min_words`` words.
    """
    if anchor < 1 or max_gap < 0 or min_words < 1 or chunk < 1 or not 0.0 <= min_similarity <= 1.0:
        raise ConfigError("anchor, min_words and chunk must be positive, max_gap non-negative, min_similarity in [0, 1]")
    source, copy = words(source_text), words(copy_text)
    tiles = _tiles(source.keys, copy.keys, _keyed_breaks(copy), anchor, max_occurrences)
    regions = _regions(tiles, max_gap, noise_words)
    regions = _disjoint([r for r in regions if sum(t.length for t in r) >= min_words])
    regions = _extend(regions, source, copy, max_gap)
    pieces: list[_Piece] = []
    for region in regions:
        ops = _region_ops(region, source, copy, chunk)
        pieces.extend(_cut(ops, copy.paragraph_starts, source.paragraph_starts))
    added = _unmatched(pieces, copy, "added")
    removed = _unmatched(pieces + added, source, "removed")
    pieces.extend(_pair_leftovers(pieces, added, removed, source, copy, min_similarity, (min_words + 1) // 2))
    return _place([_passage(p, source, copy) for p in pieces])


def _tiles(source_keys: Sequence[str], copy_keys: Sequence[str], copy_breaks: Sequence[int], anchor: int, max_occurrences: int) -> list[_Tile]:
    """Greedy string tiling over anchor-seeded exact runs: disjoint on both sides, and each
    within one paragraph of the copy (``copy_breaks``: keyed-word indices that start one)."""
    n_source, n_copy = len(source_keys), len(copy_keys)
    starts_paragraph = bytearray(n_copy)
    for i in copy_breaks:
        starts_paragraph[i] = 1
    index = _gram_index(source_keys, anchor)
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
                tiles.append(_Tile(a + p, b + p, q - p))
            p = q
    tiles.sort(key=lambda t: t.copy)
    return tiles


@lru_cache(maxsize=16)
def _gram_index(keys: tuple[str, ...], anchor: int) -> dict[tuple[str, ...], list[int]]:
    """Where each ``anchor``-word n-gram of ``keys`` starts (cached like ``words``)."""
    index: dict[tuple[str, ...], list[int]] = {}
    for j, gram in enumerate(zip(*(keys[k:] for k in range(anchor)))):
        index.setdefault(gram, []).append(j)
    return index


def _keyed_breaks(text: _Words) -> list[int]:
    """Keyed-word indices where the paragraphs of ``text`` start."""
    return sorted({bisect_left(text.keyed, t) for t in text.paragraph_starts} - {0, len(text.keyed)})


def _fits(region: list[_Tile], tile: _Tile, max_gap: int) -> bool:
    last = region[-1]
    source_gap = tile.source - (last.source + last.length)
    return tile.copy - (last.copy + last.length) <= max_gap and 0 <= source_gap <= max_gap


def _regions(tiles: list[_Tile], max_gap: int, noise_words: int) -> list[list[_Tile]]:
    """Chain tiles (in copy order) that continue each other in both texts into regions."""
    regions: list[list[_Tile]] = []
    current: list[_Tile] | None = None
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


def _disjoint(regions: list[list[_Tile]]) -> list[list[_Tile]]:
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


def _extend(regions: list[list[_Tile]], source: _Words, copy: _Words, reach: int) -> list[list[_Tile]]:
    """Stretch each region over the edited words at its edges (an edit at the first or last
    words of a reused passage leaves no exact run there), without entering another region
    or another paragraph of the copy."""
    source_keys, copy_keys = source.keys, copy.keys
    breaks = _keyed_breaks(copy)
    spans = [(r[0].source, r[-1].source + r[-1].length) for r in regions]
    result: list[list[_Tile]] = []
    for k, region in enumerate(regions):
        first, last = region[0], region[-1]
        paragraph = bisect_right(breaks, first.copy)
        copy_low = max(result[-1][-1].copy + result[-1][-1].length if result else 0, first.copy - reach, breaks[paragraph - 1] if paragraph else 0)
        source_low = max([end for start, end in spans if end <= first.source] + [first.source - reach, 0])
        head = _reach(copy_keys[copy_low : first.copy][::-1], source_keys[source_low : first.source][::-1])
        if head:
            region = [_Tile(first.copy - 1 - head[0], first.source - 1 - head[1], 1)] + region
        copy_end, source_end = last.copy + last.length, last.source + last.length
        paragraph = bisect_right(breaks, copy_end - 1)
        copy_high = min(
            regions[k + 1][0].copy if k + 1 < len(regions) else len(copy_keys), copy_end + reach,
            breaks[paragraph] if paragraph < len(breaks) else len(copy_keys),
        )
        source_high = min([start for start, end in spans if start >= source_end] + [source_end + reach, len(source_keys)])
        tail = _reach(copy_keys[copy_end:copy_high], source_keys[source_end:source_high])
        if tail:
            region = region + [_Tile(copy_end + tail[0], source_end + tail[1], 1)]
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


def _region_ops(region: list[_Tile], source: _Words, copy: _Words, chunk: int) -> list[tuple[str, int, int, int, int]]:
    """Word-level opcodes ``(op, source_start, source_end, copy_start, copy_end)`` of a region."""
    ops: list[tuple[str, int, int, int, int]] = []
    prev_s, prev_c = source.keyed[region[0].source], copy.keyed[region[0].copy]
    for tile in region:
        for p in range(0, tile.length, chunk):
            q = min(tile.length, p + chunk)
            s0, s1 = source.keyed[tile.source + p], source.keyed[tile.source + q - 1] + 1
            c0, c1 = copy.keyed[tile.copy + p], copy.keyed[tile.copy + q - 1] + 1
            _diff(ops, source.norms, copy.norms, prev_s, s0, prev_c, c0)
            _diff(ops, source.norms, copy.norms, s0, s1, c0, c1)
            prev_s, prev_c = s1, c1
    merged: list[tuple[str, int, int, int, int]] = []
    for op in ops:
        if merged and merged[-1][0] == op[0]:
            last = merged[-1]
            merged[-1] = (op[0], last[1], op[2], last[3], op[4])
        else:
            merged.append(op)
    return merged


def _diff(ops: list, source: list[str], copy: list[str], s0: int, s1: int, c0: int, c1: int) -> None:
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


def _cut(ops: list[tuple[str, int, int, int, int]], copy_paragraph_starts: list[int], source_paragraph_starts: list[int]) -> list[_Piece]:
    """Cut a region's ops at the copy's paragraph starts into matched pieces."""
    first, last = ops[0][3], ops[-1][4]
    cuts = copy_paragraph_starts[bisect_left(copy_paragraph_starts, first + 1) : bisect_left(copy_paragraph_starts, last)]
    groups: list[list[tuple[str, int, int, int, int]]] = [[]]
    k = 0
    for op in ops:
        tag, s0, s1, c0, c1 = op
        if c0 == c1 and k < len(cuts) and cuts[k] == c0 and groups[-1]:
            # Source words dropped at a copy paragraph break: the end of a source paragraph
            # stays with the paragraph before the break, whole source paragraphs become a
            # removed piece, and the rest opens the paragraph after the break.
            inside = source_paragraph_starts[bisect_left(source_paragraph_starts, s0) : bisect_right(source_paragraph_starts, s1)]
            if inside:
                if inside[0] > s0:
                    groups[-1].append((tag, s0, inside[0], c0, c1))
                groups.extend([(tag, a, b, c0, c1)] for a, b in zip(inside, inside[1:]))
                groups.append([])
                k += 1
                if inside[-1] == s1:
                    continue
                s0 = inside[-1]
        while k < len(cuts) and cuts[k] <= c0 and groups[-1]:
            groups.append([])
            k += 1
        while k < len(cuts) and c0 < cuts[k] < c1:
            # The paragraph break falls inside this op: split it, proportionally on the source side.
            cut = cuts[k]
            s_cut = s0 + round((cut - c0) * (s1 - s0) / (c1 - c0))
            groups[-1].append((_tag(tag, s0, s_cut), s0, s_cut, c0, cut))
            groups.append([])
            tag, s0, c0 = _tag(tag, s_cut, s1), s_cut, cut
            k += 1
        groups[-1].append((tag, s0, s1, c0, c1))
    pieces = []
    for group in filter(None, groups):
        source = (group[0][1], group[-1][2])
        copy = (group[0][3], group[-1][4])
        if source[0] == source[1]:
            pieces.append(_Piece("added", None, copy))
        elif copy[0] == copy[1]:
            pieces.append(_Piece("removed", source, None))
        elif all(op[0] == "equal" for op in group):
            pieces.append(_Piece("same", source, copy))
        else:
            pieces.append(_Piece("changed", source, copy, tuple(group)))
    return pieces


def _tag(tag: str, s0: int, s1: int) -> str:
    """The tag of part of a split op: a replace with no source words left is an insert."""
    return "insert" if tag == "replace" and s0 == s1 else tag


def _unmatched(pieces: list[_Piece], text: _Words, kind: str) -> list[_Piece]:
    """The paragraphs of ``text`` outside every matched piece, as ``added`` or ``removed`` pieces."""
    side = (lambda p: p.copy) if kind == "added" else (lambda p: p.source)
    taken = sorted(side(p) for p in pieces if side(p) is not None)
    n = len(text.starts)
    if n == 0:
        return [_Piece(kind, *_sides(kind, (0, 0)))] if text.text else []
    gaps, position = [], 0
    for start, end in taken + [(n, n)]:
        if start > position:
            gaps.append((position, start))
        position = max(position, end)
    result = []
    for start, end in gaps:
        bounds = [start] + text.paragraph_starts[bisect_left(text.paragraph_starts, start + 1) : bisect_left(text.paragraph_starts, end)] + [end]
        for a, b in zip(bounds, bounds[1:]):
            result.append(_Piece(kind, *_sides(kind, (a, b))))
    return result


def _pair_leftovers(
    pieces: list[_Piece], added: list[_Piece], removed: list[_Piece], source: _Words, copy: _Words, min_similarity: float,
    min_words: int,
) -> list[_Piece]:
    """Pair each unmatched copy paragraph of ``min_words`` or more with the most alike unmatched
    source paragraph in the same gap between two matched pieces (a rewritten paragraph has no
    shared run to anchor it).

    Only gaps closed on both sides count: what comes before the first match or after the last
    one is usually the two sites' own furniture, alike in form but not copied.
    """
    matched = sorted((p for p in pieces if p.kind in MATCHED), key=lambda p: p.copy)
    copy_starts = [p.copy[0] for p in matched]
    removed = sorted(removed, key=lambda p: p.source)
    source_starts = [p.source[0] for p in removed]
    used: set[int] = set()
    result = []
    for piece in sorted(added, key=lambda p: p.copy):
        k = bisect_left(copy_starts, piece.copy[0])
        if k == 0 or k == len(matched) or matched[k].source[0] < matched[k - 1].source[1]:
            result.append(piece)
            continue
        low, high = matched[k - 1].source[1], matched[k].source[0]
        first = bisect_left(source_starts, low)
        window = [i for i in range(first, bisect_left(source_starts, high)) if i not in used][:_MAX_CANDIDATES]
        query = copy.norms[piece.copy[0] : piece.copy[1]]
        best = process.extractOne(
            query, [source.norms[slice(*removed[i].source)] for i in window], scorer=Indel.normalized_similarity,
            score_cutoff=min_similarity,
        ) if window and len(query) >= min_words else None
        if best is None:
            result.append(piece)
            continue
        pick = window[best[2]]
        used.add(pick)
        ops: list[tuple[str, int, int, int, int]] = []
        _diff(ops, source.norms, copy.norms, *removed[pick].source, *piece.copy)
        kind = "same" if all(op[0] == "equal" for op in ops) else "changed"
        result.append(_Piece(kind, removed[pick].source, piece.copy, tuple(ops) if kind == "changed" else ()))
    result.extend(p for i, p in enumerate(removed) if i not in used)
    return result


def _sides(kind: str, span: tuple[int, int]) -> tuple:
    return (None, span) if kind == "added" else (span, None)


def _passage(piece: _Piece, source: _Words, copy: _Words) -> Passage:
    """Character offsets (and similarity) of a piece; empty sides get placed by ``_place``."""
    s0 = s1 = c0 = c1 = 0
    if piece.source is not None:
        s0, s1 = _char_span(source, *piece.source)
    if piece.copy is not None:
        c0, c1 = _char_span(copy, *piece.copy)
    if piece.kind == "same":
        return Passage("same", s0, s1, c0, c1, 1.0)
    if piece.kind != "changed":
        return Passage(piece.kind, s0, s1, c0, c1, 0.0)
    equal = total = 0
    diff = []
    for tag, a0, a1, b0, b1 in piece.ops:
        size = sum(map(len, source.norms[a0:a1])) + sum(map(len, copy.norms[b0:b1]))
        total += size
        if tag == "equal":
            equal += size
        diff.append(DiffOp(tag, *_char_span(source, a0, a1), *_char_span(copy, b0, b1)))
    return Passage("changed", s0, s1, c0, c1, round(equal / total, 4) if total else 0.0, tuple(diff))


def _char_span(text: _Words, first: int, end: int) -> tuple[int, int]:
    """Characters of words ``first..end``, with the whitespace after them (and before word 0)."""
    if not text.starts:
        return 0, len(text.text)
    return text.pos(first), text.pos(end)


def _place(passages: list[Passage]) -> list[Passage]:
    """Order passages along the copy and give each empty side its position.

    An ``added`` passage sits, in the source, at the end of the matched passage before it in
    the copy; a ``removed`` passage follows, in the list and in the copy, the matched passage
    before it in the source (or opens the list). ``flip`` relies on this being symmetric.
    """
    present = sorted((p for p in passages if p.kind != "removed"), key=lambda p: p.copy_start)
    ordered, last_source = [], 0
    for p in present:
        if p.kind == "added":
            p = replace(p, source_start=last_source, source_end=last_source)
        else:
            last_source = p.source_end
        ordered.append(p)
    matched = sorted((k for k, p in enumerate(ordered) if p.kind in MATCHED), key=lambda k: ordered[k].source_start)
    matched_starts = [ordered[k].source_start for k in matched]
    after: dict[int, list[Passage]] = {}
    for p in sorted((p for p in passages if p.kind == "removed"), key=lambda p: p.source_start):
        k = bisect_left(matched_starts, p.source_start) - 1
        anchor = matched[k] if k >= 0 else -1
        at = ordered[anchor].copy_end if anchor >= 0 else 0
        after.setdefault(anchor, []).append(replace(p, copy_start=at, copy_end=at))
    result = list(after.get(-1, []))
    for k, p in enumerate(ordered):
        result.append(p)
        result.extend(after.get(k, []))
    return result


def flip(passages: Sequence[Passage]) -> list[Passage]:
    """The same alignment seen from the other side: the copy becomes the source.

    Sides swap, ``added`` and ``removed`` swap, and so do ``insert`` and ``delete`` ops.
    """
    swapped = [
        Passage(
            _FLIP_KIND[p.kind], p.copy_start, p.copy_end, p.source_start, p.source_end, p.similarity,
            tuple(DiffOp(_FLIP_OP[o.op], o.copy_start, o.copy_end, o.source_start, o.source_end) for o in p.diff),
        )
        for p in passages
    ]
    return _place(swapped)


@dataclass(frozen=True)
class Coverage:
    """How much of each text the matched passages hold (shares of characters, 0..1)."""

    copy_coverage: float
    source_coverage: float


def coverage(passages: Sequence[Passage], source_len: int, copy_len: int) -> Coverage:
    """Share of the copy's text that comes from the source, and share of the source kept."""
    matched = [p for p in passages if p.kind in MATCHED]
    copy_chars = sum(p.copy_end - p.copy_start for p in matched)
    source_chars = sum(p.source_end - p.source_start for p in matched)
    return Coverage(
        copy_coverage=round(copy_chars / copy_len, 4) if copy_len else 0.0,
        source_coverage=round(source_chars / source_len, 4) if source_len else 0.0,
    )
