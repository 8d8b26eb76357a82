"""The provenance signals and their registry.

A signal is a function ``(group, model) -> list[Evidence]``: it looks at a cluster's
documents and links (a ``Group``) and emits evidence, each with a weight from the ``Model``.
``SIGNALS`` lists the signals the election weighs; a new signal is one function here (or in
a module of its own) and one entry there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from urllib.parse import urlsplit

import numpy as np

from ..models import Link, LinkRelation
from .attribution import authorship, credits
from .model import MODEL, Evidence, Group, Model, label, snippet

Signal = Callable[[Group, Model], list[Evidence]]


# --- compilations ---------------------------------------------------------------------


# Two partners are parts of different stories when at most this share of the smaller text
# each shares with the document is common to both: a digest's items share nothing, while
# two newspapers that excerpt one wire file differently both take its lead.
DISJOINT_SHARE = 0.1


def compilations(
    links: Sequence[Link],
    groups: Sequence[frozenset[str]],
    shared: Mapping[tuple[str, str], np.ndarray],
    *,
    copies_only: bool = True,
) -> dict[str, tuple[str, ...]]:
    """Documents that carry text from two or more stories, with one partner per story.

    A story is a group (cluster) of documents; a partner outside every group is a story of
    its own. A partner counts when a larger share of it is in the document than of the
    document in it. A digest, a round-up or a text built from several sources takes parts of
    more than one story, and it is the copy in each of those links. Two stories count only
    when the texts they share with the document (``shared``: a link's pair → its shared
    shingles) are disjoint (``DISJOINT_SHARE``): a wire file excerpted differently by two
    papers is one story, whichever groups the papers fell into. With ``copies_only``
    (electing a cluster's canonical) only copy links count: a source whose passages were
    reused by several texts must not look like a digest of them; orienting a reuse link asks
    which of the two took passages from several documents, so there every link counts.
    """
    story = {doc_id: n for n, members in enumerate(groups) for doc_id in members}
    # document → story → (its first partner, the shingles the document shares with it, by link)
    parts: dict[str, dict[object, tuple[str, list[np.ndarray]]]] = {}
    counted = (l for l in links if l.relation == LinkRelation.COPY or not copies_only)
    # In the order of the pairs, whichever way the links run: the first partner of a story is named.
    for link in sorted(counted, key=lambda l: sorted((l.source_id, l.copy_id))):
        content = shared[(link.source_id, link.copy_id)]
        for doc_id, other, other_share, own_share in (
            (link.source_id, link.copy_id, link.copy_containment, link.source_containment),
            (link.copy_id, link.source_id, link.source_containment, link.copy_containment),
        ):
            # A part taken in: more of the partner is in the document than the reverse.
            # (A source reused by two texts gives each a part of itself, not the other way.)
            if other_share > own_share:
                parts.setdefault(doc_id, {}).setdefault(story.get(other, ("single", other)), (other, []))[1].append(content)
    found = {}
    for doc_id, stories in sorted(parts.items()):
        if len(stories) >= 2 and _has_disjoint([np.unique(np.concatenate(texts)) for _, texts in stories.values()]):
            found[doc_id] = tuple(sorted(first for first, _ in stories.values()))
    return found


def _has_disjoint(stories: list[np.ndarray]) -> bool:
    """Whether two of the stories share (almost) nothing of what they share with the document."""
    for n, one in enumerate(stories):
        for other in stories[n + 1 :]:
            common = len(np.intersect1d(one, other, assume_unique=True))
            if common <= DISJOINT_SHARE * min(len(one), len(other)):
                return True
    return False


def compilation(group: Group, model: Model = MODEL) -> list[Evidence]:
    """A member that is a compilation of other documents is their copy."""
    out = []
    for doc_id in group.ids:
        parts = group.compiled.get(doc_id)
        if parts:
            names = ", ".join(label(group.document(p)) for p in parts[:3]) + (" …" if len(parts) > 3 else "")
            detail = f"{label(group.document(doc_id))} carries text from {len(parts)} different stories ({names})"
            out.append(Evidence(doc_id, "compilation", model.compilation, detail))
    return out


# --- publication time -------------------------------------------------------------------

STATED_SOURCES = {"meta", "json-ld", "json", None}


def published_time(group: Group, model: Model = MODEL) -> list[Evidence]:
    """The member(s) with the earliest credible time, when another member is later.

    A publisher-stated ``published_at`` is credible; an htmldate guess or a modification
    time (publication cannot be later) counts for less. Day-only times compare by day.
    """
    members = group.documents
    dated = []
    for doc in members:
        value, stated = (doc.published_at, doc.date_source in STATED_SOURCES) if doc.published_at else (doc.modified_at, False)
        instant = _instant(value)
        if instant is not None:
            dated.append((doc, value, instant, stated))
    if len(dated) < 2:
        return []
    earliest = [d for d in dated if not any(_before(o[2], d[2]) for o in dated)]
    later = [d for d in dated if d not in earliest]
    if not later:
        return []
    first_later = min(later, key=lambda d: (d[2][0], d[0].id))
    # Being earlier than the dated members says nothing about the undated ones.
    share = len(later) / (len(members) - 1)
    out = []
    for doc, value, _, stated in earliest:
        how = "stated" if stated else "guessed or modification"
        weight = (model.earliest_time if stated else model.earliest_guessed_time) * share
        out.append(
            Evidence(
                doc.id, "published_time", round(weight, 4),
                f"{label(doc)} has the earliest publication time ({value}, {how}); "
                f"{label(first_later[0])} is later ({first_later[1]}), as are {len(later)} of the {len(members) - 1} others",
            )
        )
    return out


def _instant(value: str | None) -> tuple[datetime, bool] | None:
    """A parsed time and whether it has only day precision."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed, len(value) <= 10


def _before(a: tuple[datetime, bool], b: tuple[datetime, bool]) -> bool:
    if a[1] or b[1]:
        return a[0].date() < b[0].date()
    return (b[0] - a[0]).total_seconds() >= 60


# --- explicit pointers ------------------------------------------------------------------


def pointers(group: Group, model: Model = MODEL) -> list[Evidence]:
    """A member whose URL another member names as canonical, og:url or isBasedOn."""
    out = []
    for doc in group.documents:
        targets = [("canonical link", doc.canonical_url), ("isBasedOn", doc.based_on)]
        for other in group.documents:
            if other.id == doc.id or not other.url:
                continue
            home = url_key(other.url)
            for kind, target in targets:
                if not target or url_key(target) != home:
                    continue
                # Both claiming the same address (no og:url on either) tells nothing.
                if kind != "isBasedOn" and doc.url and url_key(doc.url) == home:
                    continue
                out.append(
                    Evidence(other.id, "pointer", model.pointer, f"{label(doc)}'s {kind} points to {label(other)}'s URL ({other.url})")
                )
    return out


def url_key(url: str) -> str:
    """A URL without scheme, ``www.``, query, fragment and trailing slash, casefolded."""
    parts = urlsplit(url.strip() if "//" in url else "//" + url.strip())
    host = parts.netloc.casefold().removeprefix("www.")
    return host + parts.path.rstrip("/").casefold()


# --- truncation -------------------------------------------------------------------------

TRUNCATION_RE = re.compile(r"(?i)(?:\bread more\b|\bcontinue reading\b|\bread the (?:full|rest)\b|…|\.\.\.)[^\n]{0,80}\s*$")


def truncation_markers(group: Group, model: Model = MODEL) -> list[Evidence]:
    """A text that ends on "Read more", "Continue reading" or an ellipsis was cut short."""
    out = []
    for doc in group.documents:
        tail = doc.text.rstrip()[-160:]
        match = TRUNCATION_RE.search(tail)
        if match:
            out.append(Evidence(doc.id, "truncation_marker", model.truncation_marker, f"{label(doc)} ends as an excerpt: “{snippet(match.group())}”"))
    return out


# --- text asymmetry ---------------------------------------------------------------------


def containment(group: Group, model: Model = MODEL) -> list[Evidence]:
    """When one text is held by the other, say which is likely the source.

    A copy carries a truncation of its source (the holder is the source; much is left over)
    or the source with added framing (the held text is the source; little is left over).
    """
    out = []
    for link in group.links:
        for held, holder, held_share, holder_share in (
            (link.copy_id, link.source_id, link.copy_containment, link.source_containment),
            (link.source_id, link.copy_id, link.source_containment, link.copy_containment),
        ):
            if held_share < model.held_share or held_share - holder_share < model.held_margin:
                continue
            left = 1.0 - holder_share
            a, b = label(group.document(held)), label(group.document(holder))
            if left >= model.truncation_share:
                detail = f"{a} is a truncation of {b}: {held_share:.0%} of {a} is in {b}, which has {left:.0%} more"
                out.append(Evidence(holder, "containment", model.containment, detail))
            else:
                detail = f"{b} is {a} with added framing: {held_share:.0%} of {a} is in {b}, which adds {left:.0%}"
                out.append(Evidence(held, "containment", model.containment, detail))
    return out


def centrality(group: Group, model: Model = MODEL) -> list[Evidence]:
    """In a cluster of three or more, the member most similar to the others (mean Jaccard,
    0 for a member it has no link with), when clearly ahead.

    Copies are made from the source, rarely from each other: each copy resembles the source
    more than it resembles another copy that was cut or extended differently.
    """
    ids = group.ids
    if len(ids) < 3:
        return []
    total = {i: 0.0 for i in ids}
    for link in group.links:
        total[link.source_id] += link.jaccard
        total[link.copy_id] += link.jaccard
    mean = {i: total[i] / (len(ids) - 1) for i in ids}
    first, second = sorted(ids, key=lambda i: (-mean[i], i))[:2]
    if mean[first] - mean[second] < model.centrality_margin:
        return []
    detail = (
        f"{label(group.document(first))} is the most similar to the other members (mean Jaccard {mean[first]:.2f}; "
        f"next {label(group.document(second))}, {mean[second]:.2f})"
    )
    return [Evidence(first, "centrality", model.centrality, detail)]


# --- typography -------------------------------------------------------------------------

STRAIGHT = re.compile(r"[\"']")
CURLY = re.compile(r"[“”‘’]")


def typography(group: Group, model: Model = MODEL) -> list[Evidence]:
    """Straight quotes on one member and curly ones on another: the curly side was typeset
    again when re-published (CMSs curl quotes; they rarely straighten them)."""
    styles = {doc.id: quote_style(doc.text) for doc in group.documents}
    curly = [doc for doc in group.documents if styles[doc.id] == "curly"]
    out = []
    for doc in group.documents:
        if styles[doc.id] == "straight" and curly:
            names = ", ".join(label(o) for o in curly[:3])
            out.append(Evidence(doc.id, "typography", model.typography, f"{label(doc)} has straight quotes where {names} has curly ones"))
    return out


def quote_style(text: str) -> str | None:
    """``straight`` or ``curly`` when a text uses (almost) only one kind of quote marks."""
    straight, curly = len(STRAIGHT.findall(text)), len(CURLY.findall(text))
    if straight >= 2 and curly * 10 <= straight:
        return "straight"
    if curly >= 2 and straight * 10 <= curly:
        return "curly"
    return None


#: The signals the election weighs, each ``(group, model) -> evidence``. The order does not
#: matter: the evidence is sorted before it is summed.
SIGNALS: tuple[Signal, ...] = (
    compilation,
    published_time,
    pointers,
    credits,
    authorship,
    truncation_markers,
    containment,
    centrality,
    typography,
)


def evidence_for(group: Group, model: Model = MODEL, signals: Sequence[Signal] = SIGNALS) -> list[Evidence]:
    """Everything ``signals`` find in ``group``, in a stable order (document, signal, detail)."""
    found = [item for signal in signals for item in signal(group, model)]
    return sorted(found, key=lambda e: (e.document_id, e.signal, e.detail))

