"""The records provenance works with: the scoring model, evidence, and what a signal sees."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from ..models import Document, Link


@dataclass(frozen=True)
class Model:
    """The scoring model: every weight (log-odds units) and threshold in one place.

    The weights are a conditional-logit fit (``.tools/fit_provenance.py``) on a generated
    syndication set (``dedup eval synth … --seed 1``), rounded, then checked on other
    seeds, the seed corpus, Clough & Stevenson and PAN 2013 (figures in the README).
    """

    #: the member(s) with the earliest publication time stated by a publisher (meta tag,
    #: JSON-LD, JSON field), scaled by the share of the other members that are later.
    earliest_time: float = 3.0
    #: the same when the earliest time is a guess (htmldate) or only a modification time.
    earliest_guessed_time: float = 1.0
    #: another member's canonical link, og:url or isBasedOn names this member's URL.
    pointer: float = 3.5
    #: another member's text credits this member's site or author.
    attribution: float = 3.0
    #: (negative) the text credits a publisher or wire that is not a member, or says it is
    #: reprinted.
    credits_outsider: float = -1.25
    #: the article's own furniture names its publisher (a bio's "joined … as", "a reporter at …").
    self_identification: float = 1.5
    #: a byline (author metadata or a "By Name" line).
    byline: float = 1.0
    #: an author bio ("… is a journalist …").
    author_bio: float = 1.5
    #: (negative) the text ends on "Read more", "Continue reading" or an ellipsis.
    truncation_marker: float = -1.0
    #: one text holds the other: a truncation (the holder is the source) or framing added
    #: around it (the held text is the source). Weak: copies also hold each other.
    containment: float = 0.5
    #: in a cluster of three or more, the member most similar to all the others (copies are
    #: made from the source, rarely from each other) ...
    centrality: float = 1.0
    #: ... when it is ahead of the next member by at least this share.
    centrality_margin: float = 0.01
    #: (negative) a compilation: the document carries text from two or more stories
    #: (clusters), as a digest or a text built from several sources does.
    compilation: float = -2.0
    #: straight quotes on one side, curly on the other: the curly side was transformed.
    typography: float = 0.75
    #: a text is held by the other when this share of it is in the other ...
    held_share: float = 0.85
    #: ... and the other's share in it is lower by at least this margin.
    held_margin: float = 0.1
    #: what is left over in the holder: at least this share of it means a truncation,
    #: less means framing added by the copy.
    truncation_share: float = 0.4
    #: relation of a copy: "verbatim" when both coverage figures reach this, "excerpt" /
    #: "expanded" when only one does, "edited" otherwise (or when this share of the text is
    #: changed). The figures are ``align.coverage``'s, which leave out short unmatched lines.
    relation_share: float = 0.95
    relation_changed: float = 0.1


MODEL = Model()


@dataclass(frozen=True)
class Evidence:
    """One signal that fired for one document (weight > 0: looks like the original)."""

    document_id: str
    signal: str
    weight: float
    detail: str


@dataclass(frozen=True)
class Group:
    """What a signal sees of one cluster (or of the two ends of a link being oriented).

    ``documents`` are the members in id order, ``links`` the links between them;
    ``compiled`` maps the members that are compilations to one document of each story they
    take from (see ``signals.compilations``), and ``named`` holds those documents when they
    are not members.
    """

    documents: Sequence[Document]
    links: Sequence[Link] = ()
    compiled: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    named: Mapping[str, Document] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        """The members' ids, in the order of ``documents``."""
        return [doc.id for doc in self.documents]

    @cached_property
    def _by_id(self) -> dict[str, Document]:
        return {**self.named, **{doc.id: doc for doc in self.documents}}

    def document(self, doc_id: str) -> Document:
        """A member, or a document a compilation takes from."""
        return self._by_id[doc_id]


def label(doc: Document) -> str:
    """How a document is named in evidence: its path (and record number)."""
    return doc.path if doc.record is None else f"{doc.path}#{doc.record}"


def snippet(text: str, limit: int = 80) -> str:
    """How evidence quotes a text: on one line, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
