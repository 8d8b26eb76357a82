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

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ConfigError
from ..models import MATCHED_KINDS, Passage, PassageKind
from .passages import Piece, cut, flip, pair_leftovers, passage_of, place, unmatched
from .regions import chain_regions, disjoint_regions, extend_regions, gram_index, region_ops, tile_runs
from .text import keyed_breaks, normalize_word, words

__all__ = ["FURNITURE_CHARS", "Coverage", "align", "clear_cache", "coverage", "flip", "normalize_word", "words"]


def clear_cache() -> None:
    """Forget the cached word lists and n-gram indexes (to measure a cold start)."""
    words.cache_clear()
    gram_index.cache_clear()


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
    tiles = tile_runs(source.keys, copy.keys, keyed_breaks(copy), anchor, max_occurrences)
    regions = chain_regions(tiles, max_gap, noise_words)
    regions = disjoint_regions([r for r in regions if sum(t.length for t in r) >= min_words])
    regions = extend_regions(regions, source, copy, max_gap)
    pieces: list[Piece] = []
    for region in regions:
        ops = region_ops(region, source, copy, chunk)
        pieces.extend(cut(ops, copy.paragraph_starts, source.paragraph_starts))
    added = unmatched(pieces, copy, PassageKind.ADDED)
    removed = unmatched(pieces + added, source, PassageKind.REMOVED)
    pieces.extend(pair_leftovers(pieces, added, removed, source, copy, min_similarity, (min_words + 1) // 2))
    return place([passage_of(p, source, copy) for p in pieces])


#: Unmatched (added or removed) passages shorter than this many characters are page
#: furniture — a credit line, "Advertisement", a newsletter prompt, a menu entry — and are
#: left out of the text the coverage figures count.
FURNITURE_CHARS = 150


@dataclass(frozen=True)
class Coverage:
    """How much of each text the matched passages hold (shares of characters, 0..1).

    ``copy_coverage`` is the share of the copy's text that comes from the source ("from the
    source"), ``source_coverage`` the share of the source's text kept in the copy ("of the
    source kept"), and ``changed`` the share of the copy's matched text that is in
    ``changed`` passages (edited).
    """

    copy_coverage: float
    source_coverage: float
    changed: float


def coverage(passages: Sequence[Passage], source_len: int, copy_len: int) -> Coverage:
    """The coverage figures of an alignment of texts of ``source_len`` and ``copy_len`` characters.

    Unmatched passages shorter than ``FURNITURE_CHARS`` are left out of both texts: a copy
    that adds a credit line and drops a newsletter prompt is still all source text and keeps
    all of the source's article.
    """
    source_chars, copy_chars = source_len, copy_len
    source_matched = copy_matched = copy_changed = 0
    for p in passages:
        source_span, copy_span = p.source_end - p.source_start, p.copy_end - p.copy_start
        if p.kind in MATCHED_KINDS:
            source_matched += source_span
            copy_matched += copy_span
            copy_changed += copy_span if p.kind == PassageKind.CHANGED else 0
        elif max(source_span, copy_span) < FURNITURE_CHARS:
            source_chars -= source_span
            copy_chars -= copy_span
    return Coverage(
        copy_coverage=round(copy_matched / copy_chars, 4) if copy_chars else 0.0,
        source_coverage=round(source_matched / source_chars, 4) if source_chars else 0.0,
        changed=round(copy_changed / copy_matched, 4) if copy_matched else 0.0,
    )
