"""Publication metadata for provenance: dates normalised to UTC, JSON-LD, modified times."""

from __future__ import annotations

import json

import pytest
from conftest import article_body, seed_path

from dedup import ingest
from dedup.models import DateSource

BODY = article_body(seed_path("000").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-10-19T08:30:00+02:00", "2025-10-19T06:30:00Z"),
        ("2025-10-19T08:30:00Z", "2025-10-19T08:30:00Z"),
        ("2025-10-19T08:30:00", "2025-10-19T08:30:00Z"),  # no zone: taken as UTC
        ("Sun, 19 Oct 2025 08:30:00 GMT", "2025-10-19T08:30:00Z"),
        ("October 19, 2025", "2025-10-19"),
        ("2025-10-19", "2025-10-19"),
        ("1970-01-01T00:00:00Z", None),  # not a publication time
        ("yesterday-ish", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_date(value, expected):
    assert ingest.normalize_date(value) == expected


def _page(head: str) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in BODY.splitlines())
    return f"<html><head><title>Martinez wins</title>{head}</head><body><article><h1>Martinez wins</h1>{paragraphs}</article></body></html>".encode()


def test_json_ld_dates_publisher_author_and_is_based_on():
    data = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "ignored"},
            {
                "@type": ["NewsArticle"], "datePublished": "2025-10-19T10:00:00+02:00", "dateModified": "2025-10-20T09:00:00Z",
                "isBasedOn": {"@id": "https://www.cyclingnews.example/races/martinez"},
                "author": [{"@type": "Person", "name": "Simone Giuliani"}], "publisher": {"name": "Race Hub"},
            },
        ],
    }
    (doc,), problems = ingest.parse_bytes("page.html", _page(f'<script type="application/ld+json">{json.dumps(data)}</script>'))
    assert problems == []
    assert (doc.published_at, doc.date_source, doc.modified_at) == ("2025-10-19T08:00:00Z", "json-ld", "2025-10-20T09:00:00Z")
    assert doc.date_source is DateSource.JSON_LD
    assert doc.based_on == "https://www.cyclingnews.example/races/martinez"
    assert (doc.author, doc.site) == ("Simone Giuliani", "Race Hub")


def test_meta_tags_win_over_json_ld_and_give_the_modified_time():
    head = (
        '<meta property="article:published_time" content="2025-10-19T06:00:00Z">'
        '<meta property="article:modified_time" content="2025-10-19T12:00:00+01:00">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2025-10-18T00:00:00Z"}</script>'
    )
    (doc,), _ = ingest.parse_bytes("page.html", _page(head))
    assert (doc.published_at, doc.date_source, doc.modified_at) == ("2025-10-19T06:00:00Z", "meta", "2025-10-19T11:00:00Z")


def test_htmldate_is_the_fallback_and_a_year_in_the_text_is_not_a_date():
    (dated,), _ = ingest.parse_bytes("a.html", _page('<meta name="date" content="2025-10-21">'))
    assert (dated.published_at, dated.date_source) == ("2025-10-21", "htmldate")
    undated = _page("").replace(b"</article>", b"</article><footer>&copy; 2025 Race Hub</footer>")
    (doc,), _ = ingest.parse_bytes("b.html", undated)
    assert (doc.published_at, doc.date_source) == (None, None)


def test_json_records_carry_modified_time_and_based_on():
    record = {"text": BODY, "published_at": "2025-10-19T08:00:00+00:00", "dateModified": "2025-10-20", "isBasedOn": "https://a.example/1"}
    (doc,), _ = ingest.parse_bytes("r.json", json.dumps(record).encode())
    assert (doc.published_at, doc.date_source, doc.modified_at, doc.based_on) == ("2025-10-19T08:00:00Z", "json", "2025-10-20", "https://a.example/1")


def _title(head: str, heading: str = "") -> str | None:
    paragraphs = "".join(f"<p>{line}</p>" for line in BODY.splitlines())
    page = f"<html><head>{head}</head><body>{heading}<article>{paragraphs}</article></body></html>"
    (doc,), problems = ingest.parse_bytes("page.html", page.encode())
    assert problems == []
    return doc.title


def test_a_stated_title_loses_the_site_name():
    head = '<meta property="og:title" content="Martinez wins the Japan Cup | Race Hub"><meta property="og:site_name" content="Race Hub">'
    assert _title(head) == "Martinez wins the Japan Cup"
    # a stated title that is only the site's name (the <title> names its host) is no headline
    head = '<meta property="og:title" content="Winnipeg Sun"><title>winnipegsun.com - Other Sports - Podium for Martinez</title>'
    assert _title(head) == "Podium for Martinez"


def test_a_section_label_in_the_only_h1_is_not_the_title():
    assert _title("<title>Race Hub - Cycling - Martinez wins the Japan Cup solo</title>", "<h1>Sports</h1>") == "Martinez wins the Japan Cup solo"
    assert _title("", "<h1>Related News</h1>") is None
    assert _title("<title>Description</title>") is None


def test_an_h1_headline_is_the_title_when_the_page_title_is_decoration():
    headline = "Martinez wins the Japan Cup"
    assert _title(f"<title>The Associated Press: {headline}</title>", f"<h1>{headline}</h1>") == headline
    assert _title("", f"<h1>{headline}</h1>") == headline
    # a tagline or the site's name in <title>: the article speaks of the h1's words, not of those
    for page_title in ("Football Transfer News, Football News, Fixtures, Results", "Cape Argus"):
        assert _title(f"<title>{page_title}</title>", "<h1>Martinez solo on the final climb</h1>") == "Martinez solo on the final climb"
