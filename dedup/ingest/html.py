"""HTML pages (``.html``, ``.htm``): the article text, its headline and its publication metadata.

trafilatura extracts the text. The markup is read again for what provenance weighs as
evidence, each value remembering where it came from: a ``<meta
property="article:published_time">`` or JSON-LD ``datePublished`` is stated by the
publisher; a date htmldate finds in the page is a guess and counts for less.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..models import DateSource, InputProblem
from .dates import normalize_date
from .documents import InputFile, Parsed, decoded_text, make_document

ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle", "webpage"}
#: A title trafilatura guesses from the page body (often its only ``<h1>``, which on many
#: sites is a section label: "Sports", "Tags", "Related News") needs this many words.
GUESSED_TITLE_MIN_WORDS = 4
#: What divides the parts of a page title: "Headline | Site", "Site - Section - Headline".
_TITLE_SEPARATOR = re.compile(r"(\s+(?:[|:»·•~>]|::|-{1,2}|[–—])\s+)")
#: A host or file name ("winnipegsun.com", "www.azstarnet.com", "alt.css"); group 1 is its name.
_HOST_NAME = re.compile(r"(?:www\.)?([\w-]+)(?:\.[a-z]{2,})+", re.IGNORECASE)
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PageMetadata:
    """What the markup of a page says about it, each field None when it says nothing.

    ``stated_titles`` are the titles the publisher states for sharing (og:title,
    twitter:title, JSON-LD headline, in that order); ``page_title`` is the ``<title>``.
    """

    canonical_url: str | None = None
    og_url: str | None = None
    site: str | None = None
    author: str | None = None
    published_at: str | None = None
    date_source: DateSource | None = None
    modified_at: str | None = None
    based_on: str | None = None
    stated_titles: tuple[str, ...] = ()
    page_title: str | None = None


def read_html(file: InputFile) -> Parsed:
    """An HTML page as one document: trafilatura's text, the markup's metadata."""
    html = decoded_text(file)
    if isinstance(html, InputProblem):
        return [], [html]
    import trafilatura

    # htmldate on the markup only: a date guessed from the text ("© 2025") is no evidence.
    dates = {"extensive_search": False, "original_date": True}
    extracted = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, favor_recall=True, date_extraction_params=dates
    )
    text = getattr(extracted, "text", None) if extracted is not None else None
    if not text or not text.strip():
        return [], [InputProblem(file.path, "no article text found in HTML")]
    meta = html_metadata(html)
    guessed_title = getattr(extracted, "title", None)
    url = meta.og_url or meta.canonical_url or getattr(extracted, "url", None)
    site = meta.site or _guessed_site(getattr(extracted, "sitename", None), guessed_title)
    # htmldate (through trafilatura) is the fallback when the markup states no time.
    found_date = normalize_date(getattr(extracted, "date", None))
    doc = make_document(
        file.path,
        None,
        file.format_name,
        text,
        title=page_title(meta, guessed_title, site, url, text),
        site=site,
        author=meta.author or getattr(extracted, "author", None),
        url=url,
        canonical_url=meta.canonical_url,
        published_at=meta.published_at or found_date,
        date_source=meta.date_source or (DateSource.HTMLDATE if found_date else None),
        modified_at=meta.modified_at,
        based_on=meta.based_on,
    )
    return [doc], []


def _guessed_site(name: str | None, title: str | None) -> str | None:
    """trafilatura's guess of the site name, unless it is only the page title again (then
    the page's folder or URL tells the site better, see ``boilerplate.site_of``)."""
    if not name or (title and name.strip().casefold() in title.casefold()):
        return None
    return name


def html_metadata(html: str) -> PageMetadata:
    """Metadata from the markup of a page (trafilatura does not give all of it).

    Meta tags win over JSON-LD when both are present; ``date_source`` says which gave
    ``published_at``. Markup lxml cannot parse gives no metadata.
    """
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return PageMetadata()
    found: dict = {}
    stated: list[str] = []
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            found.setdefault("canonical_url", link.get("href").strip())
    for tag in tree.iter("meta"):
        name = (tag.get("property") or tag.get("name") or "").lower()
        content = (tag.get("content") or "").strip()
        if not content:
            continue
        if name == "og:url":
            found.setdefault("og_url", content)
        elif name in ("article:published_time", "og:published_time") and normalize_date(content):
            found.setdefault("published_at", normalize_date(content))
            found.setdefault("date_source", DateSource.META)
        elif name in ("article:modified_time", "og:updated_time") and normalize_date(content):
            found.setdefault("modified_at", normalize_date(content))
        elif name == "og:site_name":
            found.setdefault("site", content)
        elif name in ("author", "article:author"):
            found.setdefault("author", content)
        elif name in ("og:title", "twitter:title"):
            stated.append(content)
    for key, value in json_ld(tree).items():
        if key == "headline":
            stated.append(value)
            continue
        if key == "published_at" and "published_at" not in found:
            found["date_source"] = DateSource.JSON_LD
        found.setdefault(key, value)
    title = tree.find(".//title")
    page = " ".join(title.text_content().split()) if title is not None else ""
    return PageMetadata(**found, stated_titles=tuple(" ".join(s.split()) for s in stated), page_title=page or None)


def json_ld(tree) -> dict:
    """``datePublished``, ``dateModified``, ``isBasedOn``, headline, author and publisher from JSON-LD.

    The first article-like object (NewsArticle, Article, BlogPosting, WebPage …) that has a
    value wins; a ``@graph`` is searched too. Malformed JSON-LD is ignored. Keys:
    ``published_at``, ``modified_at``, ``based_on``, ``headline``, ``author``, ``site``.
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
            for key, field in (("headline", "headline"), ("author", "author"), ("site", "publisher")):
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


def page_title(meta: PageMetadata, guessed: str | None, site: str | None, url: str | None, text: str) -> str | None:
    """The headline of the page whose article text is ``text``, or None when it states none.

    1. A title the publisher states for sharing (``meta.stated_titles``), with the site's
       name cut from either end ("Headline | Site" → "Headline").
    2. Else the better of trafilatura's ``guessed`` title and the best part of the
       ``<title>`` (its part with the most words that is not the site's name, from
       "Site - Section - Headline"). When one contains the other: the shorter (the same
       headline less its decoration). Else the guess only if it has at least
       ``GUESSED_TITLE_MIN_WORDS`` words and the article uses a larger share of its words
       than of the part's: a headline speaks of the article, a site's tagline or a
       section's name ("Football Transfer News, Fixtures, Results") does not.

    A title counts only if it has two words or more (or, in a script written without
    spaces, six characters or more) and is neither the site's name nor a host name.
    """
    names = _site_names(meta, site, url)
    for stated in meta.stated_titles:
        parts = _TITLE_SEPARATOR.split(stated)  # parts at even positions, separators between
        while len(parts) > 1 and _is_site(parts[-1], names):
            del parts[-2:]
        while len(parts) > 1 and _is_site(parts[0], names):
            del parts[:2]
        title = "".join(parts)
        if _is_headline(title, names):
            return title
    part = _best_part(meta.page_title, names)
    guess = " ".join(guessed.split()) if guessed and _is_headline(guessed, names) else None
    if guess is None or part is None:
        return guess if guess and len(guess.split()) >= GUESSED_TITLE_MIN_WORDS else part
    if guess.casefold() in part.casefold() or part.casefold() in guess.casefold():
        return min(guess, part, key=len)
    if len(guess.split()) >= GUESSED_TITLE_MIN_WORDS:
        words_used = set(_WORD.findall(text.casefold()))
        if _share_used(guess, words_used) > _share_used(part, words_used):
            return guess
    return part


def _share_used(title: str, words_used: set[str]) -> float:
    """The share of a title's words of four letters or more (the ones that carry its
    meaning) that the article uses."""
    words = {w for w in _WORD.findall(title.casefold()) if len(w) >= 4}
    return len(words & words_used) / len(words) if words else 0.0


def _best_part(title: str | None, names: set[str]) -> str | None:
    """The part of a ``<title>`` with the most words (the first of equals) that is a headline."""
    parts = [p for p in _TITLE_SEPARATOR.split(title or "")[::2] if _is_headline(p, names)]
    return max(parts, key=lambda p: len(p.split()), default=None)


def _site_names(meta: PageMetadata, site: str | None, url: str | None) -> set[str]:
    """The site's name in the forms a title may give it: its stated name, the names of its
    hosts, and any host name in the ``<title>`` ("winnipegsun.com - …" names "Winnipeg Sun")."""
    names = {_name_key(site)} if site else set()
    hosts = [urlsplit(u).hostname or "" for u in (url, meta.og_url, meta.canonical_url) if u]
    for host in hosts + _TITLE_SEPARATOR.split(meta.page_title or "")[::2]:
        match = _HOST_NAME.fullmatch(host.strip(" ®©™"))
        if match:
            names.add(_name_key(match.group(1)))
    return names - {""}


def _name_key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def _is_site(part: str, names: set[str]) -> bool:
    return _HOST_NAME.fullmatch(part.strip(" ®©™")) is not None or _name_key(part) in names


def _is_headline(title: str, names: set[str]) -> bool:
    title = title.strip()
    if not title or _is_site(title, names):
        return False
    return len(title.split()) >= 2 or (len(title) >= 6 and not _LATIN_LETTER.search(title))
