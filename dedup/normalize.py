"""Text normalisation: word tokens and the quotations they sit in.

Tokens are casefolded runs of word characters, so straight and curly quotes, dashes and
whitespace never make two copies differ. Text inside quotation marks is flagged: outlets
quote the same statements word for word, and a shared quotation alone is not a copy.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache

import numpy as np
import xxhash

TOKEN_RE = re.compile(r"\w+")
QUOTE_MARKS = frozenset('"“”«»„`')
# A quotation stays inside one paragraph (it may span the line breaks of hard-wrapped wire
# copy, but not a blank line or a paragraph mark such as a wire file's "<") and is at most a
# long paragraph, so an unbalanced quote mark cannot swallow the rest of the document.
_INSIDE = r"(?:(?!\n\s*\n)[^\n<]|\n){1,800}?"
QUOTE_RE = re.compile(
    rf'"(?:(?!\n\s*\n)[^"<]){{1,800}}"|“(?:(?!\n\s*\n)[^”“<]){{1,800}}”|«[^»<]{{1,800}}»|„[^“”<]{{1,800}}[“”]|``{_INSIDE}\'\''
)


# Sentence ends: ., ! or ? (and closing quote marks) before white space, a blank line, or
# the paragraph mark of wire copy ("<" at the end of a line). Never inside a word, so the
# words of the sentences are the words of the text. The mark is part of the match (it holds
# no word either), not looked behind for: so the regex engine skips to the few characters
# that can start a match, twice as fast.
SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*\s+|\n\s*\n|<\s*\n")


# Function words: sentences are compared on the other words (see ``verify``).
STOPWORDS = frozenset(
    """a about after all also an and any are as at be been before but by can could did do does for from
    had has have he her here him his how i if in into is it its just last may me more most my no not
    now of on one only or other our out over said says she so some than that the their them then there
    these they this to told up us was we were what when where which while who will with would you your""".split()
)
STOPWORD_HASHES = np.array(sorted(xxhash.xxh64_intdigest(w.encode("utf-8")) for w in STOPWORDS), dtype=np.uint64)


@dataclass(frozen=True)
class Tokens:
    """A document as word-token hashes, with a quotation flag per token."""

    hashes: np.ndarray  # uint64, one per token
    quoted: np.ndarray  # bool, one per token


class TokenHashes(dict):
    """Token → 64-bit hash, computed on first use (a speed-up only: hashes are fixed)."""

    def __missing__(self, token: str) -> int:
        value = self[token] = xxhash.xxh64_intdigest(token.encode("utf-8"))
        return value


def tokenize(text: str, cache: TokenHashes | None = None) -> Tokens:
    """Split ``text`` into token hashes and quotation flags.

    ``cache`` memoises token hashes across calls; results do not depend on it.
    """
    cache = TokenHashes() if cache is None else cache
    folded = text.casefold()
    if QUOTE_MARKS.isdisjoint(folded):
        words = TOKEN_RE.findall(folded)
        flags = np.zeros(len(words), dtype=bool)
    else:
        words, flags = _split_quotations(folded)
    return Tokens(hashes=np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words)), quoted=flags)


def sentence_lengths(text: str) -> np.ndarray:
    """The number of tokens (as ``tokenize`` counts them) in each sentence of ``text``.

    Tokens are counted where they start, from a mask of word characters, instead of being
    found again one by one: a sentence end never holds a word character, so no token spans two.
    """
    folded = text.casefold()
    codes = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    word = _word_characters()[codes]
    after_word = np.zeros_like(word)
    after_word[1:] = word[:-1]
    starts = np.flatnonzero(word & ~after_word)
    ends = [m.start() for m in SENTENCE_END.finditer(folded)]
    lengths = np.diff(np.searchsorted(starts, [0, *ends, len(folded)]))
    return lengths[lengths > 0].astype(np.int32)


@cache
def _word_characters() -> np.ndarray:
    """For every code point, whether ``\\w`` matches it (``str.isalnum`` or ``_``)."""
    return np.array([chr(c).isalnum() or c == 0x5F for c in range(sys.maxunicode + 1)])


def _split_quotations(text: str) -> tuple[list[str], np.ndarray]:
    """The words of a text, and for each whether it is inside a quotation."""
    words: list[str] = []
    counts: list[int] = []
    position = 0
    for match in QUOTE_RE.finditer(text):
        for segment in (text[position : match.start()], match.group()):
            found = TOKEN_RE.findall(segment)
            words.extend(found)
            counts.append(len(found))
        position = match.end()
    found = TOKEN_RE.findall(text[position:])
    words.extend(found)
    counts.append(len(found))
    # Segments alternate: outside, inside, outside, …
    flags = np.repeat(np.arange(len(counts)) % 2 == 1, counts)
    return words, flags
