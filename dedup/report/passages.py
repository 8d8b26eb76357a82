"""The passages of a comparison as the report shows them: both sides' text, the word edits
of changed passages split into runs, and the matched passages the copy moved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..db import read
from ..models import MATCHED_KINDS


@dataclass(frozen=True)
class Piece:
    """A run of words inside a ``changed`` passage: ``equal``, ``delete`` (source) or ``insert`` (copy)."""

    op: str
    text: str


@dataclass(frozen=True)
class Passage:
    """One aligned passage of a link: the text of each side (stripped) and its length in the document."""

    position: int
    kind: str
    source_text: str
    copy_text: str
    source_chars: int
    copy_chars: int
    similarity: float | None
    source_pieces: tuple[Piece, ...]
    copy_pieces: tuple[Piece, ...]
    moved: bool


@dataclass(frozen=True)
class Share:
    """The share of one side's characters that fall into passages of one kind."""

    kind: str
    chars: int
    fraction: float


def passages(stored: Sequence[read.PassageText]) -> tuple[Passage, ...]:
    """The stored passages of a link, in order, ready to show side by side."""
    moved = _moved_positions([p for p in stored if p.kind in MATCHED_KINDS])
    return tuple(_passage(p, p.position in moved) for p in stored)


def _passage(stored: read.PassageText, moved: bool) -> Passage:
    pieces = _pieces(stored) if stored.kind == "changed" else ((), ())
    return Passage(
        position=stored.position,
        kind=stored.kind,
        # Whitespace around a passage (paragraph breaks) is not shown.
        source_text=stored.source_text.strip(),
        copy_text=stored.copy_text.strip(),
        source_chars=stored.source_end - stored.source_start,
        copy_chars=stored.copy_end - stored.copy_start,
        similarity=stored.similarity,
        source_pieces=pieces[0],
        copy_pieces=pieces[1],
        moved=moved,
    )


def _pieces(stored: read.PassageText) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    """Split a changed passage's word edits into the source side's and the copy side's runs.

    The edits cover the passage on both sides in order; their offsets are in the documents,
    the passage's text starts at ``source_start`` / ``copy_start``.
    """
    source: list[Piece] = []
    copy: list[Piece] = []
    for op in stored.diff:
        before = stored.source_text[op.source_start - stored.source_start : op.source_end - stored.source_start]
        after = stored.copy_text[op.copy_start - stored.copy_start : op.copy_end - stored.copy_start]
        if op.op == "equal":
            source.append(Piece("equal", before))
            copy.append(Piece("equal", after))
            continue
        source.extend(_marked("delete", before))
        copy.extend(_marked("insert", after))
    return _strip(source), _strip(copy)


def _marked(op: str, text: str) -> list[Piece]:
    """An edited run, with the whitespace after its words left unmarked."""
    words = text.rstrip()
    return [Piece(op, words), Piece("equal", text[len(words) :])]


def _strip(pieces: list[Piece]) -> tuple[Piece, ...]:
    """The pieces without the whitespace around them (the passage's text is shown stripped)."""
    pieces = [p for p in pieces if p.text]
    while pieces and not pieces[0].text.strip():
        pieces.pop(0)
    while pieces and not pieces[-1].text.strip():
        pieces.pop()
    if pieces:
        pieces[0] = Piece(pieces[0].op, pieces[0].text.lstrip())
        pieces[-1] = Piece(pieces[-1].op, pieces[-1].text.rstrip())
    return tuple(pieces)


def _moved_positions(matched: Sequence[read.PassageText]) -> set[int]:
    """Positions of matched passages that are out of the source's order (moved in the copy).

    The passages in the longest run that keeps the source's order stay in place; the others
    were moved.
    """
    starts = [p.source_start for p in matched]
    tails: list[int] = []  # tails[k]: index of the smallest last start of an increasing run of length k + 1
    parent = [-1] * len(starts)
    for i, start in enumerate(starts):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if starts[tails[mid]] < start:
                lo = mid + 1
            else:
                hi = mid
        parent[i] = tails[lo - 1] if lo else -1
        if lo == len(tails):
            tails.append(i)
        else:
            tails[lo] = i
    kept = set()
    i = tails[-1] if tails else -1
    while i != -1:
        kept.add(i)
        i = parent[i]
    return {p.position for i, p in enumerate(matched) if i not in kept}


def shares(shown: Sequence[Passage], side: str, kinds: tuple[str, ...]) -> tuple[Share, ...]:
    """How one side's characters (``"source"`` or ``"copy"``) split between passage kinds."""
    chars = {k: 0 for k in kinds}
    for p in shown:
        if p.kind in chars:
            chars[p.kind] += p.source_chars if side == "source" else p.copy_chars
    total = sum(chars.values())
    return tuple(Share(k, chars[k], chars[k] / total if total else 0.0) for k in kinds)
