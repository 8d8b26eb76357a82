"""A syndication test set with exactly known truth, generated from a folder of articles.

Each chosen article is published by an original site and re-published by one to four
other invented sites, each with its own furniture (navigation, "Advertisement", newsletter
prompts, author bios, related links) and its own format (HTML with meta tags and JSON-LD,
JSON records, plain text). Copies are verbatim, excerpts (truncated, sometimes with "Read
more"), expanded (extra paragraphs, editor's notes) or edited (new headline, rewritten
sentences); some carry attribution lines, canonical links or wire datelines, some have
publication times and some none. Other articles are published once, as distractors.

Everything is decided by ``random.Random(seed)`` over the sorted source files, so the same
source folder and seed give the same files and the same truth. File names are random
tokens: they tell nothing about which document is the original.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..errors import InputError
from ..models import CopyRelation

MIN_WORDS = 12  # a line with fewer words is not a paragraph (headings, captions)
SHARED_GRAMS = 3  # an article sharing this many word 8-grams with an earlier one is left out


@dataclass(frozen=True)
class Site:
    """An invented publisher: name, domain, file format and habits."""

    name: str
    domain: str
    format: str  # html, json or text
    curly: bool  # its CMS turns straight quotes into curly ones
    bio: bool  # its own articles end with an author bio
    json_ld: bool  # its HTML carries JSON-LD
    wire: str | None = None  # the credit in its datelines, for a news agency


SITES = (
    Site("Northgate Herald", "northgateherald.example", "html", curly=False, bio=True, json_ld=True),
    Site("Daily Ledger", "dailyledger.example", "html", curly=True, bio=False, json_ld=False),
    Site("Riverside Courier", "riversidecourier.example", "text", curly=False, bio=True, json_ld=False),
    Site("Metro Bulletin", "metrobulletin.example", "json", curly=False, bio=False, json_ld=False),
    Site("The Evening Sentinel", "eveningsentinel.example", "html", curly=True, bio=True, json_ld=True),
    Site("Harbour Times", "harbourtimes.example", "text", curly=True, bio=False, json_ld=False),
    Site("Valley Post", "valleypost.example", "json", curly=False, bio=True, json_ld=False),
    Site("Continental Press Association", "continentalpress.example", "html", curly=False, bio=False, json_ld=True, wire="CPA"),
)
AUTHORS = ("Jane Holt", "Marcus Reed", "Priya Natarajan", "Tomasz Nowak", "Aoife Brennan", "Daniel Okafor", "Lucia Ferreira", "Owen Price")
# One bio per author, each worded differently (a real bio is its author's own).
BIOS = (
    "{name} is a senior reporter at {site}. {first} joined {site} as a reporter in 2016 and covers business and politics.",
    "{name} is the political editor of {site}, where she has worked since 2011 after a decade at regional dailies.",
    "{name} is a correspondent who writes about energy, transport and the cities of the north for {site}.",
    "{name} is an award-winning writer. He joined {site} as a feature writer from a magazine background.",
    "{name} is a reporter for {site} covering courts, crime and local government across the county.",
    "{name} is the sports editor at {site} and presents its weekly football podcast.",
    "{name} is a business journalist; {first} joined {site} as a markets reporter after years in the City.",
    "{name} is a technology writer at {site} with a particular interest in telecoms and gadgets.",
)
CITIES = ("LONDON", "MANCHESTER", "EDINBURGH", "CARDIFF", "BELFAST", "BRISTOL")
KINDS = tuple(str(kind) for kind in CopyRelation)
REWRITES = {"said": "stated", "says": "states", "also": "additionally", "but": "however", "big": "large", "help": "assist", "new": "fresh", "show": "indicate", "more": "further", "first": "initial"}


@dataclass(frozen=True)
class Article:
    """A source article: headline and paragraphs."""

    path: str
    headline: str
    paragraphs: tuple[str, ...]


@dataclass
class Truth:
    """What the generator made: every file, its story, and each story's original."""

    files: dict[str, str] = field(default_factory=dict)  # path → cluster label (or single:path)
    canonical: dict[str, str] = field(default_factory=dict)  # cluster label → original's path
    dated: dict[str, bool] = field(default_factory=dict)  # cluster label → a member has a publication time
    kinds: dict[str, str] = field(default_factory=dict)  # copy path → verbatim/excerpt/expanded/edited

    def as_dict(self) -> dict:
        """Plain data (written as ``truth.json``)."""
        return {"files": self.files, "canonical": self.canonical, "dated": self.dated, "kinds": self.kinds}


def read_articles(source: Path) -> list[Article]:
    """Articles under ``source`` (``*.txt``: first line the headline, then paragraphs).

    An article that shares a passage (a few word 8-grams) with an earlier one (in path
    order) is left out, so that reuse inside the source cannot blur the truth.
    """
    source = Path(source)
    if not source.is_dir():
        raise InputError(f"not a folder: {source} (expected a folder of .txt articles)")
    articles, seen = [], set()
    for path in sorted(source.rglob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        if len(lines) < 2:
            continue
        paragraphs = tuple(line for line in lines[1:] if len(line.split()) >= MIN_WORDS)
        keys = _grams(paragraphs)
        if not paragraphs or len(keys & seen) >= SHARED_GRAMS:
            continue
        seen |= keys
        articles.append(Article(path.relative_to(source).as_posix(), lines[0][:200], paragraphs))
    return articles


def generate(source: Path, out: Path, *, stories: int = 120, singles: int = 60, seed: int = 7) -> Truth:
    """Write a syndication set made from the articles in ``source`` into ``out``.

    ``stories`` articles (with at least four paragraphs) become clusters of an original
    and 1–4 copies; ``singles`` further articles are published once. Returns the truth.
    """
    rng = random.Random(seed)
    articles = read_articles(source)
    usable = [a for a in articles if len(a.paragraphs) >= 4 and sum(len(p.split()) for p in a.paragraphs) >= 150]
    if not usable:
        raise InputError(f"{source}: no article with four or more paragraphs to build stories from")
    rng.shuffle(usable)
    chosen = usable[:stories]
    rest = [a for a in articles if a not in chosen]
    rng.shuffle(rest)
    lone, spare = rest[:singles], rest[singles:]
    # Paragraphs that expanded copies add: each used once, from articles used nowhere else.
    fillers = [p for a in spare for p in a.paragraphs]
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} is not empty: the set must be generated into an empty folder")
    out.mkdir(parents=True, exist_ok=True)
    truth = Truth()
    start = datetime(2025, 3, 1, 6, 0, tzinfo=timezone.utc)
    for number, article in enumerate(chosen):
        _story(rng, number, article, out, truth, fillers, start + timedelta(hours=7 * number), lone)
    for number, article in enumerate(lone):
        site = rng.choice(SITES)
        page = _page(rng, article.headline, list(article.paragraphs), site, rng.choice(AUTHORS), own=True)
        when = start + timedelta(hours=7 * number + 3) if rng.random() < 0.6 else None
        path = _write(out, site, f"single-{number}", page, when, seed)
        truth.files[path] = f"single:{path}"
    return truth


def _story(rng: random.Random, number: int, article: Article, out: Path, truth: Truth, fillers: list[str], when: datetime, lone) -> None:
    label = f"story:{number}"
    sites = rng.sample(SITES, k=rng.randint(2, 5))
    origin, copies = sites[0], sites[1:]
    author = rng.choice(AUTHORS)
    dated = rng.random() < 0.6
    paragraphs = list(article.paragraphs)
    if origin.wire:
        paragraphs[0] = f"{rng.choice(CITIES)} ({origin.wire}) — {paragraphs[0]}"
    related = [a.headline for a in rng.sample(lone, k=min(3, len(lone)))] if lone else []
    page = _page(rng, article.headline, paragraphs, origin, author, own=True, related=related)
    origin_time = when if dated and rng.random() < 0.8 else None
    origin_path = _write(out, origin, f"{number}-0", page, origin_time, rng.random())
    truth.files[origin_path] = label
    truth.canonical[label] = origin_path
    # Plain-text files carry no metadata: their times are not visible to a scan.
    any_time = origin_time is not None and origin.format != "text"
    for index, site in enumerate(copies, start=1):
        # Without spare paragraphs to add, an "expanded" copy would only be a verbatim one.
        kind = rng.choice(KINDS if fillers else tuple(k for k in KINDS if k != "expanded"))
        headline, body = _variant(rng, kind, article.headline, paragraphs, fillers, origin)
        if rng.random() < 0.5:
            body.append(_attribution(rng, origin))
        elif rng.random() < 0.15:
            body.append("Reprinted with permission.")
        keeps_byline = origin.wire is None and rng.random() < 0.5
        # Text keeps the quotes of the page it was taken from unless this CMS curls them
        # (or, rarely, folds them back to ASCII).
        curly = site.curly or (origin.curly and rng.random() < 0.9)
        page = _page(rng, headline, body, site, author if keeps_byline else None, own=False, related=related, curly=curly)
        pointer = origin_path_url(origin, origin_path) if rng.random() < 0.3 else None
        copy_time = when + timedelta(minutes=rng.randint(30, 72 * 60)) if dated and rng.random() < 0.75 else None
        path = _write(out, site, f"{number}-{index}", page, copy_time, rng.random(), pointer=pointer)
        truth.files[path] = label
        truth.kinds[path] = kind
        any_time = any_time or (copy_time is not None and site.format != "text")
    truth.dated[label] = any_time


def origin_path_url(site: Site, path: str) -> str:
    """The public URL of a generated file (what canonical links point at)."""
    return f"https://www.{site.domain}/news/{Path(path).stem}"


def _variant(rng: random.Random, kind: str, headline: str, paragraphs: list[str], fillers: list[str], origin: Site) -> tuple[str, list[str]]:
    """A copy's headline and body paragraphs for one kind of re-publication."""
    body = list(paragraphs)
    if kind == "excerpt":
        keep = max(2, round(len(body) * rng.uniform(0.35, 0.65)))
        body = body[:keep]
        if rng.random() < 0.5:
            body.append(rng.choice(["Read more…", "Continue reading", f"Read the full story at {origin.name}"]))
    elif kind == "expanded":
        extra = [fillers.pop() for _ in range(rng.randint(1, 2)) if fillers]
        if rng.random() < 0.5:
            body = ["Editor's note: this report has been updated with local reaction."] + body + extra
        else:
            body = body + extra
    elif kind == "edited":
        headline = rng.choice([f"Analysis: {headline}", f"{headline}, report says", " ".join(headline.split()[:-1]) or headline])
        body = [_rewrite(rng, p) if rng.random() < 0.6 else p for p in body]
        if len(body) > 4:
            del body[rng.randrange(1, len(body))]
    return headline, body


def _rewrite(rng: random.Random, paragraph: str) -> str:
    """A few words swapped for synonyms (an editor's light touch)."""
    words = paragraph.split(" ")
    return " ".join(REWRITES.get(w, w) if rng.random() < 0.7 else w for w in words)


def _attribution(rng: random.Random, origin: Site) -> str:
    return rng.choice(
        [
            f"This article originally appeared on {origin.name}.",
            f"Source: {origin.name}",
            f"Reprinted with permission from {origin.name}.",
            f"(via {origin.name})",
            f"This story was first published by {origin.name} and is republished here with permission.",
        ]
    )


def _page(
    rng: random.Random, headline: str, paragraphs: list[str], site: Site, author: str | None, *, own: bool, related=(), curly: bool | None = None
) -> dict:
    """The parts of one page: headline, byline, body, furniture."""
    if site.curly if curly is None else curly:
        headline, paragraphs = _curl(headline), [_curl(p) for p in paragraphs]
    bio = None
    if own and site.bio and author:
        bio = BIOS[AUTHORS.index(author) % len(BIOS)].format(name=author, first=author.split()[0], site=site.name)
    return {
        "headline": headline,
        "author": author,
        "paragraphs": paragraphs,
        "bio": bio,
        "related": list(related),
        "newsletter": f"Sign up to the {site.name} newsletter for the morning's top stories.",
    }


def _curl(text: str) -> str:
    """Straight quotes made curly, as a publishing system does."""
    text = re.sub(r'(^|[\s(\[])"', "\\1“", text)
    text = text.replace('"', "”")
    text = re.sub(r"(^|[\s(\[])'", "\\1‘", text)
    return text.replace("'", "’")


def _write(out: Path, site: Site, key: str, page: dict, when: datetime | None, salt, *, pointer: str | None = None) -> str:
    """Write a page in its site's format; return its path relative to ``out``."""
    token = hashlib.sha256(f"{site.domain}|{key}|{salt}".encode()).hexdigest()[:12]
    folder = out / site.domain.split(".")[0]
    folder.mkdir(exist_ok=True)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None
    url = f"https://www.{site.domain}/news/{token}"
    if site.format == "html":
        path = folder / f"{token}.html"
        path.write_text(_html(page, site, url, stamp, pointer), encoding="utf-8")
    elif site.format == "json":
        path = folder / f"{token}.json"
        record = {"title": page["headline"], "site": site.name, "url": url, "text": _plain(page, site, furniture=False)}
        if page["author"]:
            record["author"] = page["author"]
        if stamp:
            record["published_at"] = stamp
        if pointer:
            record["canonical_url"] = pointer
        path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    else:
        path = folder / f"{token}.txt"
        path.write_text(_plain(page, site, furniture=True), encoding="utf-8")
    return path.relative_to(out).as_posix()


def _plain(page: dict, site: Site, *, furniture: bool) -> str:
    lines = []
    if furniture:
        lines += [f"{site.name} | Home | News | Business | Sport | Contact", ""]
    lines += [page["headline"], ""]
    if page["author"]:
        lines += [f"By {page['author']}", ""]
    for number, paragraph in enumerate(page["paragraphs"]):
        lines += [paragraph, ""]
        if furniture and number == 1:
            lines += ["Advertisement", ""]
    if page["bio"]:
        lines += [page["bio"], ""]
    if furniture:
        lines += [page["newsletter"], ""]
        if page["related"]:
            lines += ["Related stories"] + [f"- {h}" for h in page["related"]] + [""]
        lines += [f"© 2025 {site.name}. All rights reserved."]
    return "\n".join(lines) + "\n"


def _html(page: dict, site: Site, url: str, stamp: str | None, pointer: str | None) -> str:
    e = html.escape
    head = [f'<meta charset="utf-8"><title>{e(page["headline"])} | {e(site.name)}</title>']
    head.append(f'<meta property="og:site_name" content="{e(site.name)}">')
    head.append(f'<meta property="og:url" content="{e(url)}">')
    head.append(f'<link rel="canonical" href="{e(pointer or url)}">')
    if page["author"]:
        head.append(f'<meta name="author" content="{e(page["author"])}">')
    if stamp and not site.json_ld:
        head.append(f'<meta property="article:published_time" content="{stamp}">')
    if site.json_ld:
        data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": page["headline"], "url": url,
                "publisher": {"@type": "Organization", "name": site.name}}
        if stamp:
            data["datePublished"] = stamp
        if page["author"]:
            data["author"] = {"@type": "Person", "name": page["author"]}
        if pointer:
            data["isBasedOn"] = pointer
        head.append(f'<script type="application/ld+json">{json.dumps(data)}</script>')
    body = [f'<header><nav><a href="/">{e(site.name)}</a> <a href="/news">News</a> <a href="/business">Business</a> <a href="/sport">Sport</a></nav></header>']
    body.append(f"<main><article><h1>{e(page['headline'])}</h1>")
    if page["author"]:
        body.append(f'<p class="byline">By {e(page["author"])}</p>')
    for number, paragraph in enumerate(page["paragraphs"]):
        body.append(f"<p>{e(paragraph)}</p>")
        if number == 1:
            body.append('<div class="ad">Advertisement</div>')
    if page["bio"]:
        body.append(f'<div class="author-bio"><p>{e(page["bio"])}</p></div>')
    body.append("</article>")
    if page["related"]:
        body.append('<aside class="related"><h2>Related stories</h2><ul>' + "".join(f'<li><a href="#">{e(h)}</a></li>' for h in page["related"]) + "</ul></aside>")
    body.append(f'</main><footer><p>{e(page["newsletter"])}</p><p>© 2025 {e(site.name)}</p></footer>')
    return f"<!doctype html>\n<html lang=\"en\"><head>{''.join(head)}</head>\n<body>{''.join(body)}</body></html>\n"


def _grams(paragraphs) -> set[str]:
    """The word 8-grams of an article's paragraphs."""
    grams = set()
    for paragraph in paragraphs:
        words = re.findall(r"\w+", paragraph.casefold())
        grams.update(" ".join(words[i : i + 8]) for i in range(len(words) - 7))
    return grams
