"""Plain text (``.txt``) and Markdown (``.md``): one article per file, stored unchanged.

Character offsets computed later point into the decoded file, so the text is never
cleaned here. The title is the first line only when that line reads as a headline.
"""

from __future__ import annotations

from itertools import islice

from ..models import InputProblem
from .dates import normalize_date
from .documents import InputFile, Parsed, decoded_text, make_document

#: A first line with more words than this is a sentence or a paragraph, not a headline.
HEADLINE_MAX_WORDS = 15
#: How sentences, clauses and labels ("Description:", "Show more…") end; "?" and "!" may end a headline.
_NOT_HEADLINE_ENDINGS = (".", ",", ";", ":", "…")
_BRACKETS = ("()", "[]", "{}")


def read_text(file: InputFile) -> Parsed:
    """A ``.txt`` file as one document, its title the first line if that is a headline."""
    return _one_document(file, heading_marks="")


def read_markdown(file: InputFile) -> Parsed:
    """A ``.md`` file as one document; a leading ``#`` heading is read without its marks."""
    return _one_document(file, heading_marks="# ")


def _one_document(file: InputFile, heading_marks: str) -> Parsed:
    text = decoded_text(file)
    if isinstance(text, InputProblem):
        return [], [text]
    if not text.strip():
        return [], [InputProblem(file.path, "empty file (whitespace only)")]
    return [make_document(file.path, None, file.format_name, text, title=headline(text, heading_marks))], []


def headline(text: str, heading_marks: str = "") -> str | None:
    """The first non-blank line of ``text`` when it reads as a headline, else None.

    Files often begin with something else: a label ("Description"), a date, a rule of
    dashes, a table row, or the article's first sentence. The line counts as a headline
    when all of these hold:

    - another non-blank line follows it (a one-line file is all body);
    - it has 2 to ``HEADLINE_MAX_WORDS`` words and no tab (a tab makes it a table row);
    - it has a letter, and its first word is not a lower-case word ("date 2012-…";
      "iTunes" and "$1m" may begin a headline);
    - it does not end like a sentence, a clause or a label: ``.`` ``,`` ``;`` ``:`` ``…``;
    - it closes every bracket it opens, and it is not a date ("October 19, 2025");
    - the next line does not begin with a lower-case letter (then the two are one
      wrapped sentence).

    ``heading_marks`` are stripped from the line's start first (``#`` for Markdown).
    """
    lines = list(islice((line for line in map(str.strip, text.splitlines()) if line), 2))
    if len(lines) < 2:
        return None
    first, following = lines[0].lstrip(heading_marks), lines[1]
    words = first.split()
    if not 2 <= len(words) <= HEADLINE_MAX_WORDS or "\t" in first:
        return None
    if not any(ch.isalpha() for ch in first) or (words[0][0].islower() and words[0].islower()):
        return None
    if first.endswith(_NOT_HEADLINE_ENDINGS) or following[0].islower():
        return None
    if any(first.count(opening) != first.count(closing) for opening, closing in _BRACKETS):
        return None
    return None if normalize_date(first) else first
