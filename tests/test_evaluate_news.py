"""Scoring of the real-news evaluations (METER, L3S-GN1, extraction benchmark, news-events) on
fixtures written here."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from dedup.cli import app
from dedup.eval import bodies, corpora, news
from dedup.errors import InputError
from dedup.pipeline import scan

PA_STORY = """15:20 08/08/99: Page 1 (HHH) Showbiz: Lighthouse
LIGHTHOUSE KEEPER TURNS TV STAR <
By Ann Example, PA News <
A retired lighthouse keeper from the Orkney islands has been signed by a national broadcaster to
present a twelve part series about the coastline of Scotland, the channel announced this afternoon. <
Morag Flett, who kept the light on the island of Sanday for thirty one years before it was
automated in the spring, said she had never owned a television set and had no plans to buy one. <
The producers said they had spent eight months searching for a presenter who knew the sea as well
as the cliffs, and that her stories about storms, shipwrecks and seabirds had won over every
executive who met her during the auditions held in Glasgow and Inverness last winter. <
Filming begins next month at Cape Wrath and the series will be shown in the new year on Sunday
evenings, with a book and a walking guide to follow in the spring. <
"I have talked to the gulls for three decades, so talking to a camera should not be much harder,"
Miss Flett told reporters outside the lighthouse cottage where she still lives with two collies. <
"""

WHOLLY = """A FORMER lighthouse keeper is to become a television star at the age of 64.
A retired lighthouse keeper from the Orkney islands has been signed by a national broadcaster to
present a twelve part series about the coastline of Scotland, the channel announced yesterday.
Morag Flett, who kept the light on the island of Sanday for thirty one years before it was
automated in the spring, said she had never owned a television set and had no plans to buy one.
The producers said they had spent eight months searching for a presenter who knew the sea as well
as the cliffs, and that her stories about storms, shipwrecks and seabirds had won over every
executive who met her during the auditions held in Glasgow and Inverness last winter.
Filming begins next month at Cape Wrath and the series will be shown in the new year on Sunday
evenings, with a book and a walking guide to follow in the spring. It cost \xa3200,000.
"""

PARTIALLY = """Television has found its most unlikely new face on a windswept rock off the north coast.
The producers said they had spent eight months searching for a presenter who knew the sea as well
as the cliffs, and that her stories about storms, shipwrecks and seabirds had won over every
executive who met her during the auditions held in Glasgow and Inverness last winter.
Critics were less sure yesterday. One veteran reviewer wondered aloud whether viewers on a wet
Sunday would really want an hour of weather reports, knots and the breeding habits of puffins,
while rival channels pointed out that nature programmes had been losing their audiences for years.
"""

NON = """Scotland's remote coast is getting its own prime-time show, fronted by a woman who has
spent most of her working life alone at the top of a tower. Our correspondent travelled to the
islands to meet her, and found a quiet, funny grandmother who fixes her own boat engine, reads
naval history for pleasure and is baffled that anyone would want to watch her walk along a beach.
Neighbours describe her as the last person they expected to see on screen, and say the whole
village is planning to gather in the hall to see the first episode together when it airs.
"""


def write_meter(root: Path, domain: str = "showbiz") -> Path:
    """A METER folder with one catchline: one PA file and a wholly, a partially and a non-derived story."""
    story = root / "PA" / "rawtexts" / domain / "08.08.99" / "lighthouse"
    story.mkdir(parents=True)
    (story / "lighthouse1.txt").write_text(PA_STORY, encoding="cp1252")
    (root / "PA" / "rawtexts" / domain / "readme.txt").write_text("not a story\n")
    papers = root / "newspapers" / "rawtexts" / domain / "08.08.99" / "lighthouse"
    papers.mkdir(parents=True)
    for name, text in (("lighthouse2_sun.txt", WHOLLY), ("lighthouse3_times.txt", PARTIALLY), ("lighthouse4_mirror.txt", NON)):
        (papers / name).write_bytes(text.encode("cp1252"))
    index = root / "file_index" / domain
    index.mkdir(parents=True)
    for kind, name in (("wholly", "lighthouse2_sun.txt"), ("partially", "lighthouse3_times.txt"), ("non", "lighthouse4_mirror.txt")):
        line = f"meter_corpus/newspapers/rawtexts/{domain}/08.08.99/lighthouse/{name} \n"
        (index / f"{kind}_derived.txt").write_text(line, encoding="latin-1")
    return root


def test_meter_corpus_layout_and_labels(tmp_path: Path):
    meter = write_meter(tmp_path / "meter")
    gold = corpora.build_meter_corpus(meter, "showbiz", tmp_path / "corpus")
    base = "newspapers/08.08.99/lighthouse/"
    assert gold["label"] == {f"{base}lighthouse2_sun.txt": "wholly", f"{base}lighthouse3_times.txt": "partially", f"{base}lighthouse4_mirror.txt": "non"}
    assert gold["pa"] == {"08.08.99/lighthouse": ["PA/08.08.99/lighthouse/lighthouse1.txt"]}
    assert not (tmp_path / "corpus" / "PA" / "readme.txt").exists()
    # Raw bytes unchanged: the cp1252 pound sign is still one byte 0xA3.
    assert (tmp_path / "corpus" / base / "lighthouse2_sun.txt").read_bytes() == WHOLLY.encode("cp1252")
    with pytest.raises(InputError):
        corpora.build_meter_corpus(meter, "courts", tmp_path / "other")
    courts = corpora.build_meter_corpus(write_meter(tmp_path / "courts", "courts"), "courts", tmp_path / "other")
    assert courts == gold


def test_meter_scan_finds_the_wholly_derived_copy_only(tmp_path: Path):
    gold = corpora.build_meter_corpus(write_meter(tmp_path / "meter"), "showbiz", tmp_path / "corpus")
    scan(tmp_path / "corpus", tmp_path / "meter.db")
    db = Database(tmp_path / "meter.db")
    figures = news.score_meter(db, gold)
    assert figures["wholly"] == {"found": 1, "n": 1, "recall": 1.0}
    assert figures["non"]["wrongly_linked"] == 0 and figures["non_derived_linked"] == []
    assert figures["derived"]["precision"] == 1.0 and figures["derived"]["n"] == 2
    assert figures["missed_wholly"] == []


def meter_db(with_relation: bool) -> Database:
    """A hand-made scan of the fixture: PA → sun link (copy), times linked with PA as the copy
    (reuse), mirror in one cluster with the PA file, which is not its canonical."""
    db = Database(memory=True)
    db["documents"].insert_all(
        [{"id": name[0], "path": path, "text": "x"} for name, path in [
            ("p", "PA/08.08.99/lighthouse/lighthouse1.txt"),
            ("s", "newspapers/08.08.99/lighthouse/lighthouse2_sun.txt"),
            ("t", "newspapers/08.08.99/lighthouse/lighthouse3_times.txt"),
            ("m", "newspapers/08.08.99/lighthouse/lighthouse4_mirror.txt"),
        ]],
        pk="id",
    )
    links = [{"source_id": "p", "copy_id": "s", "jaccard": 0.9, "containment": 0.95, "relation": "copy"},
             {"source_id": "t", "copy_id": "p", "jaccard": 0.2, "containment": 0.4, "relation": "reuse"}]
    if not with_relation:
        for link in links:
            del link["relation"]
    db["links"].insert_all(links)
    db["clusters"].insert({"id": 1, "canonical_id": "m", "size": 2}, pk="id")
    db["cluster_members"].insert_all([{"cluster_id": 1, "document_id": "m", "role": "canonical"},
                                      {"cluster_id": 1, "document_id": "p", "role": "copy"}])
    return db


def test_meter_scores_links_clusters_and_the_pa_source(tmp_path: Path):
    gold = corpora.build_meter_corpus(write_meter(tmp_path / "meter"), "showbiz", tmp_path / "corpus")
    report = news.meter_report(meter_db(with_relation=False), gold)
    assert report["link_relation_column"] is False and "copy_links" not in report
    assert report["links_by_relation"] == {"all": 2}
    every = report["all_links"]
    assert every["partially"]["found"] == 1 and every["non"]["wrongly_linked"] == 1
    assert every["derived"]["precision"] == pytest.approx(2 / 3, abs=1e-4) and every["derived"]["recall"] == 1.0
    assert every["derived"]["f1"] == pytest.approx(0.8, abs=1e-4)
    # The sun's link runs from the PA file; the times' link runs to it: PA is the source once.
    assert every["pa_source"] == {"count": 1, "of": 2, "share": 0.5}
    assert every["pa_not_source"] == ["newspapers/08.08.99/lighthouse/lighthouse3_times.txt"]


def test_meter_copy_links_only(tmp_path: Path):
    gold = corpora.build_meter_corpus(write_meter(tmp_path / "meter"), "showbiz", tmp_path / "corpus")
    report = news.meter_report(meter_db(with_relation=True), gold)
    assert report["links_by_relation"] == {"copy": 1, "reuse": 1}
    copy = report["copy_links"]
    assert copy["wholly"]["found"] == 1 and copy["partially"]["found"] == 0
    assert copy["derived"]["recall"] == 0.5 and copy["pa_source"]["share"] == 1.0
    assert report["relations"]["partially"] == {"n": 1, "copy_link_to_pa": 0, "reuse_link_to_pa": 1}
    assert report["relations"]["wholly"]["copy_link_to_pa"] == 1


def test_meter_command(tmp_path: Path):
    meter = write_meter(tmp_path / "meter")
    result = CliRunner().invoke(app, ["eval", "meter", str(meter), "--db", str(tmp_path / "m.db"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["all_links"]["wholly"]["n"] == 1
    assert json.loads((tmp_path / "out" / "gold.json").read_text())["pa"] == {"08.08.99/lighthouse": ["PA/08.08.99/lighthouse/lighthouse1.txt"]}


ANNOTATED = """<html><head><title>Page title</title>
<style>.x-nc-sel2 { background-color: #ffff42 !important; }</style></head>
<body>
<div><span class="x-nc-sel0">Home | World | Sport</span></div>
<h1><span class="x-nc-sel1">Storm closes ferry port</span></h1>
<span class="x-nc-sel3">Photo: waves at the pier</span>
<p><span class="x-nc-sel2">Ferries were cancelled on Monday as gales hit the coast.</span></p>
<p><span class="x-nc-sel2">Passengers waited in the terminal</span>
<a href="#"><span class="x-nc-sel2">overnight</span></a><span class="x-nc-sel2">, officials said.</span></p>
<span class="x-nc-sel0"><table><tr><td><span class="x-nc-sel2">Services resume at noon.</span></td></tr></table></span>
<span class="x-nc-sel2">Read more <span class="x-nc-sel0">Advertisement</span></span>
<span class="x-nc-sel5">Great article, thanks!</span>
Related stories
<span class="x-nc-sel4">Floods in the valley</span>
</body></html>"""


def test_l3s_body_takes_headline_and_full_text_by_innermost_label():
    body = bodies.l3s_body(ANNOTATED)
    assert bodies.words(body) == bodies.words(
        "Storm closes ferry port Ferries were cancelled on Monday as gales hit the coast. "
        "Passengers waited in the terminal overnight, officials said. Services resume at noon. Read more"
    )
    assert bodies.words(bodies.l3s_body(ANNOTATED, labels={"5"})) == ["Great", "article", "thanks"]
    declared = '<?xml version="1.0" encoding="utf-8"?>\n' + ANNOTATED
    assert bodies.l3s_body(declared) == body


def test_body_scores_count_words_as_a_bag():
    scores = bodies.body_scores("the cat sat on the mat", "the cat the dog")
    assert scores["precision"] == 0.75 and scores["recall"] == 0.5
    assert scores["f1"] == pytest.approx(0.6)
    assert bodies.body_scores("a b c d e", "a b c d x", ngram=4)["precision"] == 0.5
    assert bodies.body_scores("some text", None) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_body_summary_counts_a_page_without_text_as_zero():
    pages = {"a": ("one two three four", "one two three four"), "b": ("one two", "one two extra words"), "c": ("lost page", None)}
    summary = bodies.summarize_bodies(pages)
    assert summary["pages"] == 3 and summary["not_extracted"] == ["c"]
    assert summary["precision"] == {"mean": 0.5, "median": 0.5}
    assert summary["recall"] == {"mean": pytest.approx(0.6667, abs=1e-4), "median": 1.0}
    assert summary["worst"][0]["page"] == "c"


def write_l3s(root: Path) -> Path:
    (root / "original").mkdir(parents=True)
    (root / "annotated").mkdir()
    urls = {"aaaa-1": "http://www.example.com/news/1.html", "bbbb-2": "https://News.Example.org:8080/x?id=2"}
    (root / "url-mapping.txt").write_text("".join(f"<urn:uuid:{k}>\t{v}\n" for k, v in urls.items()), encoding="utf-8")
    for uuid in urls:
        (root / "original" / f"{uuid}.html").write_bytes(b"<html><body><p>caf\xc3\xa9</p></body></html>")
        (root / "annotated" / f"{uuid}.html").write_text(ANNOTATED, encoding="utf-8")
    return root


def test_l3s_corpus_puts_each_page_under_its_domain(tmp_path: Path):
    paths = corpora.build_l3s_corpus(write_l3s(tmp_path / "l3s"), tmp_path / "corpus")
    assert paths == {"www.example.com/aaaa-1.html": "aaaa-1", "news.example.org/bbbb-2.html": "bbbb-2"}
    assert (tmp_path / "corpus" / "www.example.com" / "aaaa-1.html").read_bytes().endswith(b"caf\xc3\xa9</p></body></html>")
    assert set(bodies.l3s_gold(tmp_path / "l3s")) == {"aaaa-1", "bbbb-2"}


def test_judge_clusters_flags_one_site_and_false_merges():
    story = "the council voted on monday to close the old harbour bridge to traffic for repairs"
    other = "a new species of frog was found by students walking in the hills above the town"
    clusters = [
        {"cluster_id": 1, "members": [{"path": "a/1", "site": "a"}, {"path": "b/2", "site": "b"}]},
        {"cluster_id": 2, "members": [{"path": "a/3", "site": "a"}, {"path": "a/4", "site": "a"}, {"path": "c/5", "site": "c"}]},
    ]
    bodies = {"a/1": story, "b/2": story + " said the mayor", "a/3": story, "a/4": story, "c/5": other}
    figures = news.judge_clusters(clusters, bodies)
    assert figures["one_site_clusters"] == 0 and figures["suspect_false_merge_ids"] == [2]
    assert clusters[0]["body_containment"] == 1.0 and clusters[1]["body_containment"] == 0.0
    one_site = [{"cluster_id": 3, "members": [{"path": "a/3", "site": "a"}, {"path": "a/4", "site": "a"}]}]
    assert news.judge_clusters(one_site, bodies)["one_site_cluster_ids"] == [3]
    subdomains = [{"cluster_id": 4, "members": [{"path": "a/3", "site": "travel.timesonline.co.uk"}, {"path": "a/4", "site": "www.timesonline.co.uk"}]}]
    figures = news.judge_clusters(subdomains, bodies)
    assert figures["one_site_clusters"] == 0 and figures["one_parent_domain_cluster_ids"] == [4]


def test_parent_domain():
    assert news.parent_domain("icbirmingham.icnetwork.co.uk") == "icnetwork.co.uk"
    assert news.parent_domain("canberra.yourguide.com.au") == "yourguide.com.au"
    assert news.parent_domain("www.thehindu.com") == "thehindu.com"
    assert news.parent_domain("news.bbc.co.uk") == "bbc.co.uk"


def test_extraction_corpus_gunzips_pages_under_their_domain(tmp_path: Path):
    folder = tmp_path / "bench"
    (folder / "html").mkdir(parents=True)
    (folder / "html" / "abc.html.gz").write_bytes(gzip.compress(b"<html><body><p>Hello</p></body></html>"))
    truth = {"abc": {"url": "https://www.site.com/a", "articleBody": "Hello"}, "gone": {"url": "https://x.com/", "articleBody": "x"}}
    (folder / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    gold = corpora.build_extraction_corpus(folder, tmp_path / "corpus")
    assert gold == {"www.site.com/abc.html": "Hello"}
    assert (tmp_path / "corpus" / "www.site.com" / "abc.html").read_bytes() == b"<html><body><p>Hello</p></body></html>"
    with pytest.raises(InputError):
        corpora.build_extraction_corpus(tmp_path, tmp_path / "other")


def test_news_events_rows_become_text_files_per_publisher(tmp_path: Path):
    folder = tmp_path / "events"
    folder.mkdir()
    (folder / "census_articles.csv").write_text(
        'id,publisher,scrape_time,text\n7,yahoo.com/news,2019-05-31T17:45:53-04:00,"Headline ### First paragraph. ### Second, with a comma."\n',
        encoding="utf-8",
    )
    rows = corpora.build_news_events_corpus(folder, tmp_path / "corpus")
    assert list(rows) == ["yahoo.com_news/census_articles-7.txt"]
    assert rows["yahoo.com_news/census_articles-7.txt"]["publisher"] == "yahoo.com/news"
    text = (tmp_path / "corpus" / "yahoo.com_news" / "census_articles-7.txt").read_text(encoding="utf-8")
    assert text == "Headline\nFirst paragraph.\nSecond, with a comma.\n"
