"""From matched regions to passages: cut at the copy's paragraphs, unmatched paragraphs as
``added``/``removed``, rewritten paragraphs paired (rapidfuzz ``process.extractOne``), and
character offsets placed so that the passages cover each text exactly once."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Indel

from ..models import MATCHED_KINDS, DiffOp, Passage, PassageKind
from .regions import diff
from .text import Words

_FLIP_KIND = {
    PassageKind.SAME: PassageKind.SAME, PassageKind.CHANGED: PassageKind.CHANGED,
    PassageKind.ADDED: PassageKind.REMOVED, PassageKind.REMOVED: PassageKind.ADDED,
}
_FLIP_OP = {"equal": "equal", "replace": "replace", "insert": "delete", "delete": "insert"}
# Unmatched source paragraphs compared with each unmatched copy paragraph, at most.
_MAX_CANDIDATES = 20


@dataclass(frozen=True)
class Piece:
    """A passage in word indices, before character offsets are assigned."""

    kind: PassageKind
    source: tuple[int, int] | None
    copy: tuple[int, int] | None
    ops: tuple[tuple[str, int, int, int, int], ...] = ()


def cut(ops: list[tuple[str, int, int, int, int]], copy_paragraph_starts: list[int], source_paragraph_starts: list[int]) -> list[Piece]:
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
            at = cuts[k]
            s_cut = s0 + round((at - c0) * (s1 - s0) / (c1 - c0))
            groups[-1].append((_tag(tag, s0, s_cut), s0, s_cut, c0, at))
            groups.append([])
            tag, s0, c0 = _tag(tag, s_cut, s1), s_cut, at
            k += 1
        groups[-1].append((tag, s0, s1, c0, c1))
    pieces = []
    for group in filter(None, groups):
        source = (group[0][1], group[-1][2])
        copy = (group[0][3], group[-1][4])
        if source[0] == source[1]:
            pieces.append(Piece(PassageKind.ADDED, None, copy))
        elif copy[0] == copy[1]:
            pieces.append(Piece(PassageKind.REMOVED, source, None))
        elif all(op[0] == "equal" for op in group):
            pieces.append(Piece(PassageKind.SAME, source, copy))
        else:
            pieces.append(Piece(PassageKind.CHANGED, source, copy, tuple(group)))
    return pieces


def _tag(tag: str, s0: int, s1: int) -> str:
    """The tag of part of a split op: a replace with no source words left is an insert."""
    return "insert" if tag == "replace" and s0 == s1 else tag


def unmatched(pieces: list[Piece], text: Words, kind: PassageKind) -> list[Piece]:
    """The paragraphs of ``text`` outside every matched piece, as ``added`` or ``removed`` pieces."""
    side = (lambda p: p.copy) if kind == PassageKind.ADDED else (lambda p: p.source)
    taken = sorted(side(p) for p in pieces if side(p) is not None)
    n = len(text.starts)
    if n == 0:
        return [Piece(kind, *_sides(kind, (0, 0)))] if text.text else []
    gaps, position = [], 0
    for start, end in taken + [(n, n)]:
        if start > position:
            gaps.append((position, start))
        position = max(position, end)
    result = []
    for start, end in gaps:
        bounds = [start] + text.paragraph_starts[bisect_left(text.paragraph_starts, start + 1) : bisect_left(text.paragraph_starts, end)] + [end]
        for a, b in zip(bounds, bounds[1:]):
            result.append(Piece(kind, *_sides(kind, (a, b))))
    return result


def pair_leftovers(
    pieces: list[Piece], added: list[Piece], removed: list[Piece], source: Words, copy: Words, min_similarity: float,
    min_words: int,
) -> list[Piece]:
    """Pair each unmatched copy paragraph of ``min_words`` or more with the most alike unmatched
    source paragraph in the same gap between two matched pieces (a rewritten paragraph has no
    shared run to anchor it).

    Only gaps closed on both sides count: what comes before the first match or after the last
    one is usually the two sites' own furniture, alike in form but not copied.
    """
    matched = sorted((p for p in pieces if p.kind in MATCHED_KINDS), key=lambda p: p.copy)
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
        diff(ops, source.norms, copy.norms, *removed[pick].source, *piece.copy)
        kind = PassageKind.SAME if all(op[0] == "equal" for op in ops) else PassageKind.CHANGED
        result.append(Piece(kind, removed[pick].source, piece.copy, tuple(ops) if kind == PassageKind.CHANGED else ()))
    result.extend(p for i, p in enumerate(removed) if i not in used)
    return result


def _sides(kind: PassageKind, span: tuple[int, int]) -> tuple:
    return (None, span) if kind == PassageKind.ADDED else (span, None)


def passage_of(piece: Piece, source: Words, copy: Words) -> Passage:
    """Character offsets (and similarity) of a piece; empty sides get placed by ``place``."""
    s0 = s1 = c0 = c1 = 0
    if piece.source is not None:
        s0, s1 = _char_span(source, *piece.source)
    if piece.copy is not None:
        c0, c1 = _char_span(copy, *piece.copy)
    if piece.kind == PassageKind.SAME:
        return Passage(PassageKind.SAME, s0, s1, c0, c1, 1.0)
    if piece.kind != PassageKind.CHANGED:
        return Passage(piece.kind, s0, s1, c0, c1, 0.0)
    equal = total = 0
    edits = []
    for tag, a0, a1, b0, b1 in piece.ops:
        size = sum(map(len, source.norms[a0:a1])) + sum(map(len, copy.norms[b0:b1]))
        total += size
        if tag == "equal":
            equal += size
        edits.append(DiffOp(tag, *_char_span(source, a0, a1), *_char_span(copy, b0, b1)))
    return Passage(PassageKind.CHANGED, s0, s1, c0, c1, round(equal / total, 4) if total else 0.0, tuple(edits))


def _char_span(text: Words, first: int, end: int) -> tuple[int, int]:
    """Characters of words ``first..end``, with the whitespace after them (and before word 0)."""
    if not text.starts:
        return 0, len(text.text)
    return text.pos(first), text.pos(end)


def place(passages: list[Passage]) -> list[Passage]:
    """Order passages along the copy and give each empty side its position.

    An ``added`` passage sits, in the source, at the end of the matched passage before it in
    the copy; a ``removed`` passage follows, in the list and in the copy, the matched passage
    before it in the source (or opens the list). ``flip`` relies on this being symmetric.
    """
    present = sorted((p for p in passages if p.kind != PassageKind.REMOVED), key=lambda p: p.copy_start)
    ordered, last_source = [], 0
    for p in present:
        if p.kind == PassageKind.ADDED:
            p = Passage(p.kind, last_source, last_source, p.copy_start, p.copy_end, p.similarity, p.diff)
        else:
            last_source = p.source_end
        ordered.append(p)
    matched = sorted((k for k, p in enumerate(ordered) if p.kind in MATCHED_KINDS), key=lambda k: ordered[k].source_start)
    matched_starts = [ordered[k].source_start for k in matched]
    after: dict[int, list[Passage]] = {}
    for p in sorted((p for p in passages if p.kind == PassageKind.REMOVED), key=lambda p: p.source_start):
        k = bisect_left(matched_starts, p.source_start) - 1
        anchor = matched[k] if k >= 0 else -1
        at = ordered[anchor].copy_end if anchor >= 0 else 0
        after.setdefault(anchor, []).append(Passage(p.kind, p.source_start, p.source_end, at, at, p.similarity, p.diff))
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
    return place(swapped)
