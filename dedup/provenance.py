"""Provenance: which member of a cluster is the original, how sure, and why.

Each signal looks at the cluster's documents and emits ``Evidence``: a document, a named
signal, a signed weight (positive: looks like the original; negative: looks like a copy)
and a sentence saying what was seen. A member's score is the sum of its evidence weights;
the canonical is the member with the highest score, and the confidence is its share of
``exp(score)`` over the members (a softmax: weights are log-odds). All weights and
thresholds live in ``MODEL``; the README explains how they were set.

Signals, each a function below: ``published_time`` (earliest credible time),
``pointer`` (canonical link, og:url or JSON-LD isBasedOn naming another member's URL),
``attribution`` / ``credits_outsider`` / ``self_identification`` (credits, wire datelines
and publisher names in the text, matched against the members' sites and bylines),
``byline`` and ``author_bio``, ``truncation_marker``, ``containment`` (which text holds the
other, and how much is left over), ``centrality`` (the member most like all the others),
``compilation`` (a text that takes parts of several stories) and ``typography`` (straight
quotes made curly). Relations of copies come from the link figures, then from the aligned
passages once the links are aligned (``with_passages``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import urlsplit

from .cluster import rank_key
from .models import Document, Link, LinkRelation


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
    #: relation of a copy: "verbatim" when both shares reach this, "excerpt" / "expanded"
    #: when only one does, "edited" otherwise (or when this share of the text is changed).
    relation_share: float = 0.95
    relation_changed: float = 0.1
    #: added or removed passages shorter than this (characters) are furniture and credits
    #: (a newsletter prompt, "Advertisement", "Source: …"), not part of the relation.
    relation_min_chars: int = 150


MODEL = Model()


@dataclass(frozen=True)
class Evidence:
    """One signal that fired for one document (weight > 0: looks like the original)."""

    document_id: str
    signal: str
    weight: float
    detail: str


@dataclass(frozen=True)
class Relation:
    """How a copy relates to its cluster's canonical, with the figures that decided it."""

    kind: str  # verbatim, excerpt, expanded, edited
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """A cluster's elected canonical, confidence, ranking (best first) and evidence."""

    canonical_id: str
    confidence: float
    ranking: tuple[tuple[str, float, float], ...]  # (document_id, score, probability)
    evidence: tuple[Evidence, ...]
    relations: Mapping[str, Relation] = field(default_factory=dict)

    def alternatives(self) -> list[dict]:
        """The other members, best first, with score and probability (stored as JSON)."""
        return [{"document_id": d, "score": s, "probability": p} for d, s, p in self.ranking[1:]]

    def score(self, doc_id: str) -> float:
        """The provenance score of one member."""
        return next(s for d, s, _ in self.ranking if d == doc_id)


def decision_inputs(
    groups: Sequence[frozenset[str]], links: Sequence[Link], docs: Mapping[str, Document]
) -> list[tuple[frozenset[str], list[Link], dict[str, Document], dict[str, tuple[str, ...]]]]:
    """What ``decide`` needs for each group, self-contained (to decide groups in parallel).

    Each item is ``(members, links inside the group, the documents it names, its
    compilations)``, for ``decide(*item[:3], compiled=item[3])``.
    """
    group_of = {doc_id: n for n, members in enumerate(groups) for doc_id in members}
    inside: list[list[Link]] = [[] for _ in groups]
    for link in links:
        n = group_of.get(link.source_id)
        if n is not None and n == group_of.get(link.copy_id):
            inside[n].append(link)
    compiled = compilations(links, groups)
    items = []
    for n, members in enumerate(groups):
        own = {d: compiled[d] for d in sorted(members) if d in compiled}
        named = set(members) | {p for parts in own.values() for p in parts}
        items.append((members, inside[n], {d: docs[d] for d in sorted(named)}, own))
    return items


def decide(
    members: frozenset[str] | Sequence[str],
    links: Sequence[Link],
    docs: Mapping[str, Document],
    *,
    compiled: Mapping[str, tuple[str, ...]] | None = None,
    model: Model = MODEL,
) -> Decision:
    """Weigh the evidence in one cluster and elect its canonical.

    ``links`` may include links to documents outside the cluster (they are ignored);
    ``compiled`` maps compilations (see ``compilations``) to the stories they take from.
    Copies' relations are measured on the link figures (see ``with_passages``).
    """
    ids = sorted(members)
    group = [docs[i] for i in ids]
    inside = [l for l in links if l.source_id in members and l.copy_id in members]
    evidence: list[Evidence] = []
    evidence += compilation(ids, compiled or {}, docs, model)
    evidence += published_time(group, model)
    evidence += pointers(group, model)
    evidence += credits(group, model)
    evidence += authorship(group, model)
    evidence += truncation_markers(group, model)
    evidence += containment(inside, docs, model)
    evidence += centrality(ids, inside, docs, model)
    evidence += typography(group, model)
    evidence.sort(key=lambda e: (e.document_id, e.signal, e.detail))
    scores = {i: 0.0 for i in ids}
    for item in evidence:
        scores[item.document_id] += item.weight
    order = sorted(ids, key=lambda i: (-round(scores[i], 6), rank_key(docs[i])))
    top = max(scores.values())
    total = sum(math.exp(s - top) for s in scores.values())
    ranking = tuple((i, round(scores[i], 4), round(math.exp(scores[i] - top) / total, 4)) for i in order)
    canonical = order[0]
    tied = [i for i in order[1:] if round(scores[i], 6) == round(scores[canonical], 6)]
    if tied:  # say so: the order of rank_key decided, not the evidence
        detail = (
            f"no evidence separates {label(docs[canonical])} from {', '.join(label(docs[i]) for i in tied[:3])}: "
            "the document with the earlier publication time, then the longer text, is taken"
        )
        evidence.append(Evidence(canonical, "tie_break", 0.0, detail))
    relations = {m: relation(canonical, m, inside, model=model) for m in order[1:]}
    return Decision(
        canonical_id=canonical, confidence=ranking[0][2], ranking=ranking, evidence=tuple(evidence), relations=relations
    )


def with_passages(
    decisions: Mapping[int, Decision], links: Sequence[Link], passages: Mapping[tuple[str, str], Sequence], model: Model = MODEL
) -> dict[int, Decision]:
    """The decisions with each copy's relation measured on the aligned passages of its link
    (``passages`` maps ``(source_id, copy_id)`` of the oriented links to their passages)."""
    cluster_of = {doc_id: cid for cid, d in decisions.items() for doc_id, _, _ in d.ranking}
    inside: dict[int, list[Link]] = {cid: [] for cid in decisions}
    for link in links:
        cid = cluster_of.get(link.source_id)
        if cid is not None and cid == cluster_of.get(link.copy_id):
            inside[cid].append(link)
    return {
        cid: replace(d, relations={m: relation(d.canonical_id, m, inside[cid], passages, model) for m in d.relations})
        for cid, d in decisions.items()
    }


def orient_links(
    links: Sequence[Link], decisions: Sequence[tuple[frozenset[str], Decision]], docs: Mapping[str, Document], model: Model = MODEL
) -> list[Link]:
    """Every link turned to run from the likelier source to the copy.

    Inside a cluster the better-ranked member is the source, so every link that touches a
    canonical runs canonical → copy. A link between clusters (or outside any) is decided
    on the evidence of its two documents alone.
    """
    place: dict[str, int] = {}
    member_of: dict[str, int] = {}
    for number, (members, decision) in enumerate(decisions):
        for index, (doc_id, _, _) in enumerate(decision.ranking):
            place[doc_id] = index
            member_of[doc_id] = number
    oriented = []
    compiled = compilations(links, [members for members, _ in decisions], copies_only=False)
    for link in links:
        if member_of.get(link.source_id, -1) == member_of.get(link.copy_id, -2):
            backwards = place[link.copy_id] < place[link.source_id]
        else:
            pair = frozenset((link.source_id, link.copy_id))
            backwards = decide(pair, [link], docs, compiled=compiled, model=model).canonical_id == link.copy_id
        oriented.append(link.reversed() if backwards else link)
    return oriented


# --- compilations ---------------------------------------------------------------------


def compilations(
    links: Sequence[Link], groups: Sequence[frozenset[str]], *, copies_only: bool = True
) -> dict[str, tuple[str, ...]]:
    """Documents that carry text from two or more stories, with one partner per story.

    A story is a group (cluster) of documents; a partner outside every group is a story of
    its own. A partner counts when a larger share of it is in the document than of the
    document in it. A digest, a round-up or a text built from several sources takes parts of
    more than one story, and it is the copy in each of those links. With ``copies_only``
    (electing a cluster's canonical) only copy links count: a source whose passages were
    reused by several texts must not look like a digest of them; orienting a reuse link asks
    which of the two took passages from several documents, so there every link counts.
    """
    story = {doc_id: n for n, members in enumerate(groups) for doc_id in members}
    partners: dict[str, dict[object, str]] = {}
    counted = (l for l in links if l.relation == LinkRelation.COPY or not copies_only)
    for link in sorted(counted, key=lambda l: (l.source_id, l.copy_id)):
        for doc_id, other, other_share, own_share in (
            (link.source_id, link.copy_id, link.copy_containment, link.source_containment),
            (link.copy_id, link.source_id, link.source_containment, link.copy_containment),
        ):
            # A part taken in: more of the partner is in the document than the reverse.
            # (A source reused by two texts gives each a part of itself, not the other way.)
            if other_share > own_share:
                partners.setdefault(doc_id, {}).setdefault(story.get(other, ("single", other)), other)
    return {d: tuple(sorted(found.values())) for d, found in sorted(partners.items()) if len(found) >= 2}


def compilation(ids: Sequence[str], compiled: Mapping[str, tuple[str, ...]], docs: Mapping[str, Document], model: Model = MODEL) -> list[Evidence]:
    """A member that is a compilation of other documents is their copy."""
    out = []
    for doc_id in ids:
        parts = compiled.get(doc_id)
        if parts:
            names = ", ".join(label(docs[p]) for p in parts[:3]) + (" …" if len(parts) > 3 else "")
            detail = f"{label(docs[doc_id])} carries text from {len(parts)} different stories ({names})"
            out.append(Evidence(doc_id, "compilation", model.compilation, detail))
    return out


# --- publication time -------------------------------------------------------------------

STATED_SOURCES = {"meta", "json-ld", "json", None}


def published_time(group: Sequence[Document], model: Model = MODEL) -> list[Evidence]:
    """The member(s) with the earliest credible time, when another member is later.

    A publisher-stated ``published_at`` is credible; an htmldate guess or a modification
    time (publication cannot be later) counts for less. Day-only times compare by day.
    """
    dated = []
    for doc in group:
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
    share = len(later) / (len(group) - 1)
    out = []
    for doc, value, _, stated in earliest:
        how = "stated" if stated else "guessed or modification"
        weight = (model.earliest_time if stated else model.earliest_guessed_time) * share
        out.append(
            Evidence(
                doc.id, "published_time", round(weight, 4),
                f"{label(doc)} has the earliest publication time ({value}, {how}); "
                f"{label(first_later[0])} is later ({first_later[1]}), as are {len(later)} of the {len(group) - 1} others",
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


def pointers(group: Sequence[Document], model: Model = MODEL) -> list[Evidence]:
    """A member whose URL another member names as canonical, og:url or isBasedOn."""
    out = []
    for doc in group:
        targets = [("canonical link", doc.canonical_url), ("isBasedOn", doc.based_on)]
        for other in group:
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


# --- credits, wire datelines, self-identification ---------------------------------------

NAME = r"(?P<name>[A-Z0-9][\w&'’.-]*(?:[ \t]+(?:[A-Z0-9][\w&'’.-]*|of|the|and|&|on)){0,5})"
# Phrases that credit someone else with the text.
CREDIT_PATTERNS = [
    re.compile(r"(?i:originally (?:appeared|published|ran)|first (?:appeared|published))(?i: (?:on|in|at|by))(?: the)? " + NAME),
    re.compile(r"(?m)^[ \t]*(?i:source|credit|courtesy(?: of)?)[ \t]*[:\-–—][ \t]*(?:the )?" + NAME),
    re.compile(r"(?m)(?:^|[(\[|—–])[ \t]*(?i:via)[ \t]+(?:the )?" + NAME),
    re.compile(r"(?i:reprinted|republished)(?i: with permission)?(?i: (?:from|of|by|courtesy of))(?: the)? " + NAME),
    re.compile(r"(?i:read the (?:full|original|rest of the) (?:story|article|report)?[ \t]*(?:on|at|in))(?: the)? " + NAME),
    re.compile(r"\((?P<name>[A-Z]{2,6}|Reuters|dpa)\)[ \t]*[—–-]"),
    re.compile(r"\b(?i:by)[ \t]+(?P<name>Reuters|Associated Press|AP|AFP|Agence France-Presse)\b"),
    re.compile(r"\b(?P<name>Associated Press|Agence France-Presse)\b"),
]
# Credits without a name: the text says it is someone else's, not whose.
ANONYMOUS_CREDIT = re.compile(r"(?i)\breprinted with permission\b")
# Site-wide furniture that names a publisher: every page of a site carries its own, so it
# tells which site a text came from, and counts only when it names another member's site.
FURNITURE_PATTERNS = [
    re.compile(r"(?:©|\((?i:c)\)|(?i:copyright))[ \t]*(?:\d{4}[ \t]*)?(?:the )?" + NAME),
    re.compile(r"(?i:latest|more)(?i: (?:on|from)) (?:the )?" + NAME),
    re.compile(r"(?i:subscribe to|sign up (?:for|to)) (?:the )?" + NAME + r"(?i: newsletter)"),
    re.compile(r"(?i:follow) (?:the )?" + NAME + r"(?i: on (?:twitter|x|facebook|instagram)\b)"),
]
# Furniture that ties the article itself to its publisher (an author bio's "joined X as").
SELF_PATTERNS = [
    re.compile(r"(?i:joined) (?:the )?" + NAME + r"(?i: as\b)"),
    re.compile(r"(?i:is an? (?:[\w-]+ ){0,3}(?:reporter|editor|writer|correspondent|columnist) (?:at|for|with)) (?:the )?" + NAME),
]
STOP_NAMES = {"the", "a", "an", "this", "our", "us", "it", "them", "me", "we", "you", "email", "newsletter"}


# Substrings one of which every match of a pattern contains (casefolded unless marked
# case-sensitive): texts without any are not searched with the pattern.
PATTERN_NEEDLES = {
    CREDIT_PATTERNS[0].pattern: (("originally", "first appeared", "first published"), False),
    CREDIT_PATTERNS[1].pattern: (("source", "credit", "courtesy"), False),
    CREDIT_PATTERNS[2].pattern: (("via",), False),
    CREDIT_PATTERNS[3].pattern: (("reprinted", "republished"), False),
    CREDIT_PATTERNS[4].pattern: (("read the",), False),
    CREDIT_PATTERNS[6].pattern: (("Reuters", "Associated Press", "AP", "AFP", "Agence France-Presse"), True),
    CREDIT_PATTERNS[7].pattern: (("Associated Press", "Agence France-Presse"), True),
    FURNITURE_PATTERNS[0].pattern: (("©", "(c)", "copyright"), False),
    FURNITURE_PATTERNS[1].pattern: (("latest on", "latest from", "more on", "more from"), False),
    FURNITURE_PATTERNS[2].pattern: (("subscribe to", "sign up for", "sign up to"), False),
    FURNITURE_PATTERNS[3].pattern: (("follow",), False),
    SELF_PATTERNS[0].pattern: (("joined",), False),
    SELF_PATTERNS[1].pattern: (("reporter", "editor", "writer", "correspondent", "columnist"), False),
}


def credits(group: Sequence[Document], model: Model = MODEL) -> list[Evidence]:
    """Attribution and self-identification found in the texts.

    A credit that names another member's site or author is ``attribution`` for that
    member; one that names the document's own site is ``self_identification``; one that
    names nobody in the cluster is ``credits_outsider`` against the document. An author bio
    that names the publisher ("joined X as") is ``self_identification``. Site-wide furniture
    (``© …``, ``Latest on …``, newsletter prompts) is on every page of a site: it counts only
    as ``attribution`` when it names another member's site.
    """
    own = own_text(group)
    keys = {doc.id: site_keys(doc, own[doc.id]) for doc in group}
    authors = {doc.id: _key(doc.author) for doc in group if doc.author and len(_key(doc.author)) >= 6}
    out: list[Evidence] = []
    for doc in group:
        seen: set[tuple[str, str]] = set()
        credited = False
        found = [m for m in mentions(doc.text) if m[0] == "credit"] + [m for m in mentions(own[doc.id]) if m[0] != "credit"]
        for kind, phrase, name in found:
            whose = _owner(name, doc, group, keys, authors)
            credited = credited or (kind == "credit" and whose != doc.id)
            if kind == "furniture" and whose in (None, doc.id):
                continue
            if whose == doc.id:
                item = Evidence(doc.id, "self_identification", model.self_identification, f"{label(doc)} names its own publisher: “{phrase}”")
            elif whose is not None:
                other = next(d for d in group if d.id == whose)
                item = Evidence(whose, "attribution", model.attribution, f"{label(doc)} credits {label(other)}: “{phrase}”")
            elif kind == "credit":
                item = Evidence(doc.id, "credits_outsider", model.credits_outsider, f"{label(doc)} credits a publisher outside the cluster: “{phrase}”")
            elif not doc.site:
                item = Evidence(doc.id, "self_identification", model.self_identification, f"{label(doc)} names a publisher in its furniture: “{phrase}”")
            else:
                continue
            if (item.document_id, item.signal) not in seen:  # one row per signal and document
                seen.add((item.document_id, item.signal))
                out.append(item)
        match = ANONYMOUS_CREDIT.search(doc.text)
        if match and not credited:
            out.append(Evidence(doc.id, "credits_outsider", model.credits_outsider, f"{label(doc)} says it is reprinted: “{match.group()}”"))
    return out


@lru_cache(maxsize=4096)
def mentions(text: str) -> tuple[tuple[str, str, str], ...]:
    """``(kind, phrase, name)`` for every credit (``credit``), publisher named by site-wide
    furniture (``furniture``) or by the article's own furniture (``self``)."""
    found = []
    folded = text.casefold()
    for kind, patterns in (("credit", CREDIT_PATTERNS), ("furniture", FURNITURE_PATTERNS), ("self", SELF_PATTERNS)):
        for pattern in patterns:
            needles, case_sensitive = PATTERN_NEEDLES.get(pattern.pattern, ((), False))
            haystack = text if case_sensitive else folded
            if needles and not any(needle in haystack for needle in needles):
                continue  # a cheap substring test spares most texts the regular expression
            for match in pattern.finditer(text):
                name = match.group("name").strip(" .,'’-")
                if _key(name) and name.casefold() not in STOP_NAMES:
                    found.append((kind, _snippet(match.group()), name))
    return tuple(found)


def _owner(name: str, doc: Document, group, keys, authors) -> str | None:
    """The member a credited name belongs to (the document itself first), or None."""
    named = _key(name)
    acronym = name if name.isupper() else None
    for candidate in [doc] + [d for d in group if d.id != doc.id]:
        for key in keys[candidate.id]:
            if (len(key) >= 4 and key in named) or (acronym and key == acronym.casefold()):
                return candidate.id
        author = authors.get(candidate.id)
        if author and author in named:
            return candidate.id
    return None


def own_text(group: Sequence[Document]) -> dict[str, str]:
    """Per member, the lines that no other member carries: its furniture and its additions.

    Publisher names and bios are looked for there only, so that a name inside the shared
    story ("… joined Liverpool as coach") is never taken for the page's publisher.
    """
    keys = {doc.id: [(_key(line), line) for line in doc.text.splitlines() if line.strip()] for doc in group}
    count: dict[str, int] = {}
    for doc in group:
        for key in {k for k, _ in keys[doc.id]}:
            count[key] = count.get(key, 0) + 1
    return {doc.id: "\n".join(line for key, line in keys[doc.id] if count[key] == 1) for doc in group}


def site_keys(doc: Document, own: str | None = None) -> set[str]:
    """Names a document's publisher goes by: its site name (and acronym), its URL's host,
    and, for a text without site metadata, the publisher its own furniture (``own``) names."""
    keys = set()
    if doc.site:
        keys.add(_key(doc.site))
        keys.add(_key(re.sub(r"(?i)^the\s+", "", doc.site)))
        words = [w for w in re.findall(r"[A-Za-z]+", doc.site) if w.casefold() not in ("the", "of", "and")]
        if len(words) >= 2:
            keys.add("".join(w[0] for w in words).casefold())
    if doc.url and "//" in doc.url:
        host = urlsplit(doc.url).netloc.casefold().removeprefix("www.")
        if host:
            keys.add(_key(host.rsplit(".", 1)[0] if "." in host else host))
    if not doc.site:
        keys |= {_key(name) for kind, _, name in mentions(doc.text if own is None else own) if kind in ("self", "furniture")}
    return {k for k in keys if len(k) >= 2}


@lru_cache(maxsize=65536)
def _key(text: str | None) -> str:
    # Cached: the members of a cluster share most of their lines.
    return re.sub(r"[\W_]+", "", (text or "").casefold())


def _snippet(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- authorship -------------------------------------------------------------------------

BYLINE_RE = re.compile(r"(?m)^[ \t]*By[ \t]+(?P<name>[A-Z][\w'’-]+(?:[ \t]+[A-Z][\w'’.-]+){1,3})[ \t]*(?:[,|—–-].*)?$")
BIO_RE = re.compile(
    r"\b(?:is|was) (?:an?|the) (?:[\w-]+ ){0,4}?(?:journalist|reporter|writer|editor|correspondent|columnist)\b"
    r"|\bjoined [A-Z][\w'’-]*(?: [A-Z][\w'’-]*)* as (?:an? |the )?(?:[\w-]+ ){0,3}?(?:editor|reporter|writer|correspondent)\b"
)
WIRES = {"reuters", "associatedpress", "ap", "afp", "agencefrancepresse"}


def authorship(group: Sequence[Document], model: Model = MODEL) -> list[Evidence]:
    """A byline (metadata author or a "By Name" line near the top) and an author bio (in
    the lines no other member carries)."""
    own = own_text(group)
    out = []
    for doc in group:
        head = "\n".join(doc.text.splitlines()[:15])
        line = BYLINE_RE.search(head)
        if line and _key(line.group("name")) in WIRES:
            line = None
        if doc.author or line:
            shown = doc.author if doc.author else _snippet(line.group().strip())
            out.append(Evidence(doc.id, "byline", model.byline, f"{label(doc)} has an author byline ({shown})"))
        text = own[doc.id]
        bio = BIO_RE.search(text)
        if bio:
            start = text.rfind("\n", 0, bio.start()) + 1
            out.append(Evidence(doc.id, "author_bio", model.author_bio, f"{label(doc)} has an author bio: “{_snippet(text[start:bio.end()])}”"))
    return out


TRUNCATION_RE = re.compile(r"(?i)(?:\bread more\b|\bcontinue reading\b|\bread the (?:full|rest)\b|…|\.\.\.)[^\n]{0,80}\s*$")


def truncation_markers(group: Sequence[Document], model: Model = MODEL) -> list[Evidence]:
    """A text that ends on "Read more", "Continue reading" or an ellipsis was cut short."""
    out = []
    for doc in group:
        tail = doc.text.rstrip()[-160:]
        match = TRUNCATION_RE.search(tail)
        if match:
            out.append(Evidence(doc.id, "truncation_marker", model.truncation_marker, f"{label(doc)} ends as an excerpt: “{_snippet(match.group())}”"))
    return out


# --- text asymmetry ---------------------------------------------------------------------


def containment(links: Sequence[Link], docs: Mapping[str, Document], model: Model = MODEL) -> list[Evidence]:
    """When one text is held by the other, say which is likely the source.

    A copy carries a truncation of its source (the holder is the source; much is left over)
    or the source with added framing (the held text is the source; little is left over).
    """
    out = []
    for link in links:
        for held, holder, held_share, holder_share in (
            (link.copy_id, link.source_id, link.copy_containment, link.source_containment),
            (link.source_id, link.copy_id, link.source_containment, link.copy_containment),
        ):
            if held_share < model.held_share or held_share - holder_share < model.held_margin:
                continue
            left = 1.0 - holder_share
            a, b = label(docs[held]), label(docs[holder])
            if left >= model.truncation_share:
                detail = f"{a} is a truncation of {b}: {held_share:.0%} of {a} is in {b}, which has {left:.0%} more"
                out.append(Evidence(holder, "containment", model.containment, detail))
            else:
                detail = f"{b} is {a} with added framing: {held_share:.0%} of {a} is in {b}, which adds {left:.0%}"
                out.append(Evidence(held, "containment", model.containment, detail))
    return out


def centrality(ids: Sequence[str], links: Sequence[Link], docs: Mapping[str, Document], model: Model = MODEL) -> list[Evidence]:
    """In a cluster of three or more, the member most similar to the others (mean Jaccard,
    0 for a member it has no link with), when clearly ahead.

    Copies are made from the source, rarely from each other: each copy resembles the source
    more than it resembles another copy that was cut or extended differently.
    """
    if len(ids) < 3:
        return []
    total = {i: 0.0 for i in ids}
    for link in links:
        total[link.source_id] += link.jaccard
        total[link.copy_id] += link.jaccard
    mean = {i: total[i] / (len(ids) - 1) for i in ids}
    first, second = sorted(ids, key=lambda i: (-mean[i], i))[:2]
    if mean[first] - mean[second] < model.centrality_margin:
        return []
    detail = (
        f"{label(docs[first])} is the most similar to the other members (mean Jaccard {mean[first]:.2f}; "
        f"next {label(docs[second])}, {mean[second]:.2f})"
    )
    return [Evidence(first, "centrality", model.centrality, detail)]


STRAIGHT = re.compile(r"[\"']")
CURLY = re.compile(r"[“”‘’]")


def typography(group: Sequence[Document], model: Model = MODEL) -> list[Evidence]:
    """Straight quotes on one member and curly ones on another: the curly side was typeset
    again when re-published (CMSs curl quotes; they rarely straighten them)."""
    styles = {doc.id: quote_style(doc.text) for doc in group}
    out = []
    for doc in group:
        if styles[doc.id] != "straight":
            continue
        curly = [other for other in group if styles[other.id] == "curly"]
        if curly:
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


# --- relations --------------------------------------------------------------------------


def relation(source_id: str, copy_id: str, links: Sequence[Link], passages=None, model: Model = MODEL) -> Relation:
    """How ``copy_id`` relates to ``source_id``: verbatim, excerpt, expanded or edited.

    Measured on the link between the two (or, when the copy is not linked to the source
    itself, on its strongest link in the cluster): on its aligned passages when given,
    else on its shingle shares. ``edited``: at least ``relation_changed`` of the matched
    copy text is in changed passages; ``verbatim``: both shares reach ``relation_share``;
    ``excerpt``: the copy is all source text but drops some; ``expanded``: the copy keeps
    the source and adds to it; when the copy both drops and adds, the larger part names it.
    """
    link = next((l for l in links if {l.source_id, l.copy_id} == {source_id, copy_id}), None)
    via = source_id
    if link is None:
        near = [l for l in links if copy_id in (l.source_id, l.copy_id)]
        link = max(near, key=lambda l: (l.jaccard, l.source_id, l.copy_id))
        via = link.copy_id if link.source_id == copy_id else link.source_id
    if link.source_id == copy_id:
        link = link.reversed()
    kept, taken = link.source_containment, link.copy_containment
    detail = {"measured_against": via, "source_kept": round(kept, 4), "copy_from_source": round(taken, 4), "jaccard": round(link.jaccard, 4)}
    changed = None
    found = (passages or {}).get((link.source_id, link.copy_id))
    if found:
        kept, taken, changed = _passage_shares(found, model.relation_min_chars)
        detail.update(source_kept=kept, copy_from_source=taken, changed=changed, from_passages=True)
    high = model.relation_share
    if changed is not None and changed >= model.relation_changed:
        kind = "edited"
    elif kept >= high and taken >= high:
        kind = "verbatim"
    elif taken >= high:
        kind = "excerpt"
    elif kept >= high:
        kind = "expanded"
    elif changed is None:
        kind = "edited"  # shingle figures: rewording lowers both shares
    else:
        # Aligned, barely changed, but material both cut and added: name the larger part.
        kind = "expanded" if 1 - taken > 1 - kept else "excerpt"
    return Relation(kind, detail)


def _passage_shares(passages, min_chars: int) -> tuple[float, float, float]:
    """Share of the source kept, of the copy taken from the source, and of shared text
    changed; unmatched passages shorter than ``min_chars`` are left out."""
    span = {"source": 0, "copy": 0, "kept": 0, "taken": 0, "changed": 0}
    for p in passages:
        source_len, copy_len = p.source_end - p.source_start, p.copy_end - p.copy_start
        if p.kind in ("added", "removed") and max(source_len, copy_len) < min_chars:
            continue
        span["source"] += source_len
        span["copy"] += copy_len
        if p.kind in ("same", "changed"):
            span["kept"] += source_len
            span["taken"] += copy_len
        if p.kind == "changed":
            span["changed"] += copy_len
    share = lambda a, b: round(span[a] / span[b], 4) if span[b] else 0.0  # noqa: E731
    return share("kept", "source"), share("taken", "copy"), share("changed", "taken")


# --- explanation ------------------------------------------------------------------------


def label(doc: Document) -> str:
    """How a document is named in evidence: its path (and record number)."""
    return doc.path if doc.record is None else f"{doc.path}#{doc.record}"


def explain(cluster: Mapping) -> list[str]:
    """Plain sentences that explain a stored cluster's decision.

    ``cluster`` is the store's cluster detail: ``confidence``, ``canonical_id``, ``members``
    (with ``document_id``, ``path``, ``record``, ``relation``, ``relation_detail``, ``score``)
    and ``evidence`` rows (``document_id``, ``signal``, ``weight``, ``detail``).
    """
    members = {m["document_id"]: m for m in cluster["members"]}
    name = {d: m["path"] if m.get("record") is None else f"{m['path']}#{m['record']}" for d, m in members.items()}
    canonical = cluster["canonical_id"]
    evidence = sorted(cluster.get("evidence", []), key=lambda e: (-abs(e["weight"]), e["document_id"], e["signal"]))
    confidence = cluster.get("confidence")
    sure = f"confidence {confidence:.2f}" if confidence is not None else "confidence unknown"
    lines = []
    for doc_id, member in members.items():
        if doc_id == canonical:
            continue
        reasons = [e["detail"] for e in evidence if (e["document_id"] == canonical and e["weight"] > 0) or (e["document_id"] == doc_id and e["weight"] < 0)]
        against = [e["detail"] for e in evidence if (e["document_id"] == doc_id and e["weight"] > 0) or (e["document_id"] == canonical and e["weight"] < 0)]
        because = "; ".join(reasons) if reasons else "no signal separates them, so the earlier, longer document is taken"
        sentence = f"{name[doc_id]} is a copy of {name[canonical]}: {because} ({sure})."
        if against:
            sentence += " Against it: " + "; ".join(against) + "."
        lines.append(sentence)
        if member.get("relation"):
            lines.append(f"  {name[doc_id]} is {_describe(member['relation'], member.get('relation_detail'))}")
    return lines


def _describe(kind: str, detail) -> str:
    figures = json.loads(detail) if isinstance(detail, str) else (detail or {})
    kept, taken = figures.get("source_kept"), figures.get("copy_from_source")
    # Passage shares leave out unmatched lines shorter than ``relation_min_chars`` (menus,
    # link lists), so they differ from the coverage figures of the link, which count all text.
    basis = " of the source's article text" if figures.get("from_passages") else " of the source"
    numbers = f" (keeps {kept:.0%}{basis}; {taken:.0%} of it comes from the source)" if kept is not None and taken is not None else ""
    words = {
        "verbatim": "a verbatim copy",
        "excerpt": "an excerpt: a shortened copy",
        "expanded": "an expanded copy: the source's text plus added material",
        "edited": "an edited copy: passages rewritten",
    }
    return words.get(kind, kind) + numbers + "."
