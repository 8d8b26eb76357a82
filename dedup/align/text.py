"""Texts as words for alignment: character spans, normalised forms, paragraph starts."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

WORD_RE = re.compile(r"\S+")
_NOT_ALNUM = re.compile(r"[\W_]+")
# Typographic variants that publishers swap freely: they never count as edits.
_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u2026": "...",
    }
)


@dataclass(frozen=True)
class Words:
    """A text as words: where each starts, normalised forms, and the words that carry letters."""

    text: str
    starts: list[int]
    norms: list[str]
    keyed: list[int]  # word index of each word with a letter or digit
    keys: tuple[str, ...]  # the letters and digits of those words, for matching
    paragraph_starts: list[int]  # word indices (> 0) that start a paragraph

    def pos(self, word: int) -> int:
        """Character offset where word ``word`` starts (0 for the first, len(text) past the end)."""
        if word == 0:
            return 0
        return self.starts[word] if word < len(self.starts) else len(self.text)


def normalize_word(word: str) -> str:
    """The form in which two words are compared: casefolded, quotes and dashes unified."""
    return word.translate(_FOLD).casefold()


# Which code points are whitespace (str.isspace, as ``\S`` and str.split see it); none is above U+3000.
_SPACE = np.array([chr(c).isspace() for c in range(0x3001)])


@lru_cache(maxsize=16)
def words(text: str) -> Words:
    """Split ``text`` into words with their offsets and normalised forms.

    Cached: a scan aligns one document with each of its copies in turn.
    """
    # Word starts from a whitespace mask over the code points: no match object per word.
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    space = np.zeros(len(codes) + 1, dtype=bool)
    space[0] = True
    small = codes <= 0x3000
    space[1:][small] = _SPACE[codes[small]]
    starts_at = np.flatnonzero(~space[1:] & space[:-1])
    starts = starts_at.tolist()
    # Folding maps no character to whitespace, so the folded text splits into the same words.
    norms = text.translate(_FOLD).casefold().split()
    if len(norms) != len(starts):  # a character str.split and the regex disagree on: fold word by word
        norms = [normalize_word(word) for word in WORD_RE.findall(text)]
    all_keys = [norm if norm.isalnum() else _NOT_ALNUM.sub("", norm) for norm in norms]
    keyed = [index for index, key in enumerate(all_keys) if key]
    keys = tuple(key for key in all_keys if key)
    # Every line is a paragraph: extracted web text puts one paragraph (or list item) per line.
    lines = np.unique(np.searchsorted(starts_at, np.flatnonzero(codes == 10), side="right"))
    paragraph_starts = [int(k) for k in lines if 0 < k < len(starts)]
    return Words(text, starts, norms, keyed, keys, paragraph_starts)


def keyed_breaks(text: Words) -> list[int]:
    """Keyed-word indices where the paragraphs of ``text`` start."""
    return sorted({bisect_left(text.keyed, t) for t in text.paragraph_starts} - {0, len(text.keyed)})
