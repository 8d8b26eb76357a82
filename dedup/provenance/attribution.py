"""What the texts say about who published and wrote them: credits, wire datelines,
publisher furniture, bylines and author bios, matched against the members' sites."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from ..models import Document
from .model import MODEL, Evidence, Group, Model, label, snippet

NAME = r"(?P<name>[A-Z0-9][\w&'’.-]*(?:[ \t]+(?:[A-Z0-9][\w&'’.-]*|of|the|and|&|on)){0,5})"


@dataclass(frozen=True)
class Phrase:
    """A phrase that names a publisher, by what the naming says.

    ``kind`` is ``credit`` (the text credits someone with it), ``furniture`` (site-wide
    furniture: every page of a site names its own publisher, so it tells which site a text
    came from) or ``self`` (furniture that ties the article itself to its publisher, as an
    author bio's "joined X as"). Every match contains one of ``needles`` (casefolded unless
    ``case_sensitive``): a text without any is not searched, which spares most texts the
    regular expression. Without needles the pattern is always searched.
    """

    kind: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...] = ()
    case_sensitive: bool = False


PHRASES = (
    Phrase(
        "credit",
        # About the text itself ("This story was first published by X", a line "Originally
        # published in X"), not a person who "first appeared on" a show.
        re.compile(
            r"(?im:(?:\b(?:article|story|post|piece|report|column|feature|interview|it)[ \t]+(?:was[ \t]+|has[ \t]+been[ \t]+)?"
            r"|(?:^|(?<=[.!?]))[ \t]*)"
            r"(?:originally (?:appeared|published|ran)|first (?:appeared|published))(?: (?:on|in|at|by)))(?: the)? " + NAME
        ),
        ("originally", "first appeared", "first published"),
    ),
    Phrase("credit", re.compile(r"(?m)^[ \t]*(?i:source|credit|courtesy(?: of)?)[ \t]*[:\-–—][ \t]*(?:the )?" + NAME), ("source", "credit", "courtesy")),
    Phrase("credit", re.compile(r"(?m)(?:^|[(\[|—–])[ \t]*(?i:via)[ \t]+(?:the )?" + NAME), ("via",)),
    Phrase(
        "credit",
        re.compile(r"(?i:reprinted|republished)(?i: with permission)?(?i: (?:from|of|by|courtesy of))(?: the)? " + NAME),
        ("reprinted", "republished"),
    ),
    Phrase(
        "credit",
        re.compile(r"(?i:read the (?:full|original|rest of the) (?:story|article|report)?[ \t]*(?:on|at|in))(?: the)? " + NAME),
        ("read the",),
    ),
    # A wire dateline, "LONDON (CPA) —": the acronym is the whole needle, so none is given.
    Phrase("credit", re.compile(r"\((?P<name>[A-Z]{2,6}|Reuters|dpa)\)[ \t]*[—–-]")),
    Phrase(
        "credit",
        re.compile(r"\b(?i:by)[ \t]+(?P<name>Reuters|Associated Press|AP|AFP|Agence France-Presse)\b"),
        ("Reuters", "Associated Press", "AP", "AFP", "Agence France-Presse"),
        case_sensitive=True,
    ),
    Phrase("credit", re.compile(r"\b(?P<name>Associated Press|Agence France-Presse)\b"), ("Associated Press", "Agence France-Presse"), case_sensitive=True),
    Phrase("furniture", re.compile(r"(?:©|\((?i:c)\)|(?i:copyright))[ \t]*(?:\d{4}[ \t]*)?(?:the )?" + NAME), ("©", "(c)", "copyright")),
    Phrase("furniture", re.compile(r"(?i:latest|more)(?i: (?:on|from)) (?:the )?" + NAME), ("latest on", "latest from", "more on", "more from")),
    Phrase(
        "furniture",
        re.compile(r"(?i:subscribe to|sign up (?:for|to)) (?:the )?" + NAME + r"(?i: newsletter)"),
        ("subscribe to", "sign up for", "sign up to"),
    ),
    Phrase("furniture", re.compile(r"(?i:follow) (?:the )?" + NAME + r"(?i: on (?:twitter|x|facebook|instagram)\b)"), ("follow",)),
    Phrase("self", re.compile(r"(?i:joined) (?:the )?" + NAME + r"(?i: as\b)"), ("joined",)),
    Phrase(
        "self",
        re.compile(r"(?i:is an? (?:[\w-]+ ){0,3}(?:reporter|editor|writer|correspondent|columnist) (?:at|for|with)) (?:the )?" + NAME),
        ("reporter", "editor", "writer", "correspondent", "columnist"),
    ),
)
# Credits without a name: the text says it is someone else's, not whose.
ANONYMOUS_CREDIT = re.compile(r"(?i)\breprinted with permission\b")
STOP_NAMES = {"the", "a", "an", "this", "our", "us", "it", "them", "me", "we", "you", "email", "newsletter"}


def credits(group: Group, model: Model = MODEL) -> list[Evidence]:
    """Attribution and self-identification found in the texts.

    A credit that names another member's site or author is ``attribution`` for that
    member; one that names the document's own site is ``self_identification``; one that
    names nobody in the cluster is ``credits_outsider`` against the document. An author bio
    that names the publisher ("joined X as") is ``self_identification``. Site-wide furniture
    (``© …``, ``Latest on …``, newsletter prompts) is on every page of a site: it counts only
    as ``attribution`` when it names another member's site.
    """
    members = group.documents
    own = own_text(members)
    keys = {doc.id: site_keys(doc, own[doc.id]) for doc in members}
    authors = {doc.id: _key(doc.author) for doc in members if doc.author and len(_key(doc.author)) >= 6}
    out: list[Evidence] = []
    for doc in members:
        seen: set[tuple[str, str]] = set()
        credited = False
        found = [m for m in mentions(doc.text) if m[0] == "credit"] + [m for m in mentions(own[doc.id]) if m[0] != "credit"]
        for kind, phrase, name in found:
            whose = _owner(name, doc, members, keys, authors)
            credited = credited or (kind == "credit" and whose != doc.id)
            if kind == "furniture" and whose in (None, doc.id):
                continue
            if whose == doc.id:
                item = Evidence(doc.id, "self_identification", model.self_identification, f"{label(doc)} names its own publisher: “{phrase}”")
            elif whose is not None:
                other = group.document(whose)
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
        reprinted = _reprint_note(doc.text)
        if reprinted and not credited:
            out.append(Evidence(doc.id, "credits_outsider", model.credits_outsider, f"{label(doc)} says it is reprinted: “{reprinted}”"))
    return out


@lru_cache(maxsize=4096)
def _reprint_note(text: str) -> str | None:
    # Cached like ``mentions``: a document is in many decisions, and texts can be long.
    match = ANONYMOUS_CREDIT.search(text)
    return match.group() if match else None


@lru_cache(maxsize=4096)
def mentions(text: str) -> tuple[tuple[str, str, str], ...]:
    """``(kind, phrase, name)`` for every credit (``credit``), publisher named by site-wide
    furniture (``furniture``) or by the article's own furniture (``self``), in ``PHRASES``
    order."""
    found = []
    folded = text.casefold()
    for phrase in PHRASES:
        haystack = text if phrase.case_sensitive else folded
        if phrase.needles and not any(needle in haystack for needle in phrase.needles):
            continue
        for match in phrase.pattern.finditer(text):
            name = match.group("name").strip(" .,'’-")
            if _key(name) and name.casefold() not in STOP_NAMES:
                found.append((phrase.kind, snippet(match.group()), name))
    return tuple(found)


def _owner(name: str, doc: Document, members: Sequence[Document], keys, authors) -> str | None:
    """The member a credited name belongs to (the document itself first), or None."""
    named = _key(name)
    acronym = name if name.isupper() else None
    for candidate in [doc] + [d for d in members if d.id != doc.id]:
        for key in keys[candidate.id]:
            if (len(key) >= 4 and key in named) or (acronym and key == acronym.casefold()):
                return candidate.id
        author = authors.get(candidate.id)
        if author and author in named:
            return candidate.id
    return None


def own_text(members: Sequence[Document]) -> dict[str, str]:
    """Per member, the lines that no other member carries: its furniture and its additions.

    Publisher names and bios are looked for there only, so that a name inside the shared
    story ("… joined Liverpool as coach") is never taken for the page's publisher.
    """
    return dict(zip((doc.id for doc in members), _own_lines(tuple(doc.text for doc in members))))


@lru_cache(maxsize=16)
def _own_lines(texts: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: several signals of one decision ask for the same members' own text (a few
    # entries are enough: decisions come one after the other, and texts can be long).
    keys = [[(_key(line), line) for line in text.splitlines() if line.strip()] for text in texts]
    count: dict[str, int] = {}
    for lines in keys:
        for key in {k for k, _ in lines}:
            count[key] = count.get(key, 0) + 1
    return tuple("\n".join(line for key, line in lines if count[key] == 1) for lines in keys)


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


# Wire copy marks paragraph starts with control characters (PA: "\x19By Name, PA News").
BYLINE_RE = re.compile(r"(?m)^[ \t\x00-\x09\x0b\x0c\x0e-\x1f]*By[ \t]+(?P<name>[A-Z][\w'’-]+(?:[ \t]+[A-Z][\w'’.-]+){1,3})[ \t]*(?:[,|—–-].*)?$")
BIO_RE = re.compile(
    r"\b(?:is|was) (?:an?|the) (?:[\w-]+ ){0,4}?(?:journalist|reporter|writer|editor|correspondent|columnist)\b"
    r"|\bjoined [A-Z][\w'’-]*(?: [A-Z][\w'’-]*)* as (?:an? |the )?(?:[\w-]+ ){0,3}?(?:editor|reporter|writer|correspondent)\b"
)
WIRES = {"reuters", "associatedpress", "ap", "afp", "agencefrancepresse"}


def authorship(group: Group, model: Model = MODEL) -> list[Evidence]:
    """A byline (author metadata, or a "By Name" line near the top that names no wire) and an
    author bio (in the lines no other member carries)."""
    own = own_text(group.documents)
    out = []
    for doc in group.documents:
        head = "\n".join(doc.text.splitlines()[:15])
        line = BYLINE_RE.search(head)
        if line and _key(line.group("name")) in WIRES:
            line = None
        if doc.author or line:
            shown = doc.author if doc.author else snippet(line.group().strip())
            out.append(Evidence(doc.id, "byline", model.byline, f"{label(doc)} has an author byline ({shown})"))
        text = own[doc.id]
        bio = BIO_RE.search(text)
        if bio:
            start = text.rfind("\n", 0, bio.start()) + 1
            out.append(Evidence(doc.id, "author_bio", model.author_bio, f"{label(doc)} has an author bio: “{snippet(text[start:bio.end()])}”"))
    return out


@lru_cache(maxsize=65536)
def _key(text: str | None) -> str:
    # Cached: the members of a cluster share most of their lines.
    return re.sub(r"[\W_]+", "", (text or "").casefold())
