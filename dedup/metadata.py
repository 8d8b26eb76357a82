"""Publication metadata of an HTML page: dates, canonical pointers, JSON-LD, normalised to UTC.

Provenance weighs these as evidence, so each value remembers where it came from: a
``<meta property="article:published_time">`` or JSON-LD ``datePublished`` is stated by the
publisher; a date htmldate finds in the page is a guess and counts for less.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# Dates before this are not publication times of web articles (bad parses, epoch zero).
EARLIEST_YEAR = 1990
HAS_TIME_RE = re.compile(r"\d{1,2}:\d{2}")
ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle", "webpage"}


def normalize_date(value: object) -> str | None:
    """An ISO 8601 UTC time (``YYYY-MM-DDTHH:MM:SSZ``) or day (``YYYY-MM-DD``), or None.

    Accepts ISO 8601, RFC 2822 (``Mon, 20 Oct 2025 09:00:00 GMT``) and written dates
    (``October 19, 2025``). A time without a zone is taken as UTC. Values that are not
    dates, or lie before 1990, give None.
    """
    if value is None:
        return None
    raw = str(value).strip()
    if not raw:
        return None
    parsed = _parse(raw)
    if parsed is None or parsed.year < EARLIEST_YEAR:
        return None
    if not HAS_TIME_RE.search(raw):
        return parsed.strftime("%Y-%m-%d")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(raw: str) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        pass
    from dateutil import parser

    try:
        return parser.parse(raw, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None


def html_metadata(html: str) -> dict:
    """Metadata from the markup of a page (trafilatura does not give all of it).

    Keys, each present only when found: ``canonical_url``, ``og_url``, ``site``, ``author``,
    ``published_at`` with ``date_source`` (``meta`` or ``json-ld``), ``modified_at``,
    ``based_on``. Meta tags win over JSON-LD when both are present.
    """
    import lxml.html

    meta: dict = {}
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return meta
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            meta.setdefault("canonical_url", link.get("href").strip())
    for tag in tree.iter("meta"):
        name = (tag.get("property") or tag.get("name") or "").lower()
        content = (tag.get("content") or "").strip()
        if not content:
            continue
        if name == "og:url":
            meta.setdefault("og_url", content)
        elif name in ("article:published_time", "og:published_time") and normalize_date(content):
            meta.setdefault("published_at", normalize_date(content))
            meta.setdefault("date_source", "meta")
        elif name in ("article:modified_time", "og:updated_time") and normalize_date(content):
            meta.setdefault("modified_at", normalize_date(content))
        elif name == "og:site_name":
            meta.setdefault("site", content)
        elif name in ("author", "article:author"):
            meta.setdefault("author", content)
    for key, value in json_ld(tree).items():
        if key == "published_at" and "published_at" not in meta:
            meta["date_source"] = "json-ld"
        meta.setdefault(key, value)
    return meta


def json_ld(tree) -> dict:
    """``datePublished``, ``dateModified``, ``isBasedOn``, author and publisher from JSON-LD.

    The first article-like object (NewsArticle, Article, BlogPosting, WebPage …) that has a
    value wins; a ``@graph`` is searched too. Malformed JSON-LD is ignored.
    """
    found: dict = {}
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except json.JSONDecodeError:
            continue
        for obj in _objects(data):
            kinds = obj.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if not any(str(k).lower() in ARTICLE_TYPES for k in kinds):
                continue
            for key, field in (("published_at", "datePublished"), ("modified_at", "dateModified")):
                date = normalize_date(obj.get(field)) if isinstance(obj.get(field), str) else None
                if date:
                    found.setdefault(key, date)
            based = _url_of(obj.get("isBasedOn") or obj.get("isBasedOnUrl"))
            if based:
                found.setdefault("based_on", based)
            for key, field in (("author", "author"), ("site", "publisher")):
                name = _name_of(obj.get(field))
                if name:
                    found.setdefault(key, name)
    return found


def _objects(data):
    """Every dict in a JSON-LD value (lists and ``@graph`` flattened), in document order."""
    if isinstance(data, list):
        for item in data:
            yield from _objects(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _objects(data["@graph"])


def _url_of(value) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _name_of(value) -> str | None:
    if isinstance(value, list):
        names = [_name_of(v) for v in value]
        names = [n for n in names if n]
        return ", ".join(names) if names else None
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() if isinstance(value, str) and value.strip() else None
