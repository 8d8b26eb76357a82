"""Text normalisation: word tokens, quotations, lines, and the site furniture of a corpus.

Tokens are casefolded runs of word characters, so straight and curly quotes, dashes and
whitespace never make two copies differ. Text inside quotation marks is flagged: outlets
quote the same statements word for word, and a shared quotation is not a copy.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import xxhash

TOKEN_RE = re.compile(r"\w+")
# A quotation stays on one line and is at most a long paragraph; an unbalanced quote mark
# therefore cannot swallow the rest of the document.
QUOTE_MARKS = frozenset('"“”«»„')
QUOTE_RE = re.compile(r'"[^"\n]{1,800}"|“[^”“\n]{1,800}”|«[^»\n]{1,800}»|„[^“”\n]{1,800}[“”]')


@dataclass(frozen=True)
class Tokens:
    """A document as word-token hashes, with a quotation flag per token and its lines.

    ``lines`` holds, per non-empty line, ``(key, first_token, end_token)``; ``key`` hashes
    the line's normalised words, so equal lines on two sites get equal keys.
    """

    hashes: np.ndarray  # uint64, one per token
    quoted: np.ndarray  # bool, one per token
    lines: tuple[tuple[int, int, int], ...]


class TokenHashes(dict):
    """Token → 64-bit hash, computed on first use (a speed-up only: hashes are fixed)."""

    def __missing__(self, token: str) -> int:
        value = self[token] = xxhash.xxh64_intdigest(token.encode("utf-8"))
        return value


def tokenize(text: str, cache: TokenHashes | None = None) -> Tokens:
    """Split ``text`` into token hashes, quotation flags and line keys.

    ``cache`` memoises token hashes across calls; results do not depend on it.
    """
    cache = TokenHashes() if cache is None else cache
    hashes: list[int] = []
    quoted: list[bool] = []
    lines: list[tuple[int, int, int]] = []
    for line in text.casefold().splitlines():
        if QUOTE_MARKS.isdisjoint(line):
            words = TOKEN_RE.findall(line)
            flags = [False] * len(words)
        else:
            words, flags = _split_quotations(line)
        if words:
            lines.append((xxhash.xxh64_intdigest(" ".join(words).encode("utf-8")), len(hashes), len(hashes) + len(words)))
            hashes.extend(map(cache.__getitem__, words))
            quoted.extend(flags)
    return Tokens(
        hashes=np.array(hashes, dtype=np.uint64),
        quoted=np.array(quoted, dtype=bool),
        lines=tuple(lines),
    )


def _split_quotations(line: str) -> tuple[list[str], list[bool]]:
    """The words of a line, and for each whether it is inside a quotation."""
    words: list[str] = []
    flags: list[bool] = []
    position = 0
    for match in QUOTE_RE.finditer(line):
        for segment, is_quoted in ((line[position : match.start()], False), (match.group(), True)):
            found = TOKEN_RE.findall(segment)
            words.extend(found)
            flags.extend([is_quoted] * len(found))
        position = match.end()
    found = TOKEN_RE.findall(line[position:])
    words.extend(found)
    flags.extend([False] * len(found))
    return words, flags


def find_furniture(
    doc_lines: Mapping[str, Iterable[tuple[int, int]]],
    sites: Mapping[str, str | None],
    *,
    min_docs: int,
    max_overlap: float,
    sample: int = 6,
) -> frozenset[int]:
    """Lines that are site furniture rather than article text.

    ``doc_lines`` maps each document to its lines as ``(key, number of words)``. A line is
    furniture when the documents that carry it are otherwise different (the lines they
    share hold at most ``max_overlap`` of the smaller one's words) and either at least
    ``min_docs`` documents carry it, or all carriers come from the same known site. A
    syndicated paragraph is carried by documents that share most of their other text too,
    so it is never furniture.
    """
    weights = {doc_id: dict(lines) for doc_id, lines in doc_lines.items()}
    holders: dict[int, list[str]] = defaultdict(list)
    for doc_id in sorted(weights):
        for key in weights[doc_id]:
            holders[key].append(doc_id)
    furniture = set()
    for key, docs in holders.items():
        if len(docs) < 2:
            continue
        same_site = len({sites.get(d) for d in docs}) == 1 and sites.get(docs[0]) is not None
        if len(docs) < min_docs and not same_site:
            continue
        if _mean_overlap([weights[d] for d in docs[:sample]]) <= max_overlap:
            furniture.add(key)
    return frozenset(furniture)


def _mean_overlap(documents: list[dict[int, int]]) -> float:
    """Mean share of words in lines that pairs of documents have in common (of the smaller)."""
    total, pairs = 0.0, 0
    for i, a in enumerate(documents):
        for b in documents[i + 1 :]:
            common = sum(a[key] for key in a.keys() & b.keys())
            total += common / min(sum(a.values()), sum(b.values()))
            pairs += 1
    return total / pairs if pairs else 1.0


def body_mask(tokens: Tokens, furniture: frozenset[int]) -> np.ndarray:
    """A boolean mask over tokens: True for article text, False for furniture lines."""
    mask = np.ones(len(tokens.hashes), dtype=bool)
    for key, start, end in tokens.lines:
        if key in furniture:
            mask[start:end] = False
    return mask
