"""Score scans of real news: METER, L3S-GN1, the article-extraction benchmark and news-events.

Each corpus gets a builder that writes a scan folder from the data as it is distributed (the data
itself is never copied into the repository) and scorers that read the database of that scan.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from sqlite_utils import Database

from .errors import InputError
from .evaluate import describe_clusters

METER_KINDS = ("wholly", "partially", "non")
#: L3S-GN1 labels that make up the article body: x-nc-sel1 headline, x-nc-sel2 full text.
L3S_BODY_LABELS = frozenset({"1", "2"})
L3S_LABEL = re.compile(r"\bx-nc-sel(\d)\b")
#: a cluster whose members' labelled bodies share less than this (word 5-grams) is suspect.
SUSPECT_CONTAINMENT = 0.3
_WORD = re.compile(r"\w+")
_SKIPPED_TAGS = {"script", "style", "noscript", "head", "title"}
_SECOND_LEVEL = {"ac", "co", "com", "edu", "gov", "net", "org", "ne", "or"}


def has_link_relation(db: Database) -> bool:
    """Whether the ``links`` table has the ``relation`` column (``copy`` or ``reuse``)."""
    return "relation" in db["links"].columns_dict


def links_by_relation(db: Database) -> dict[str, int]:
    """The number of stored links per relation (all under ``"all"`` without the column)."""
    if not has_link_relation(db):
        return {"all": db.execute("SELECT COUNT(*) FROM links").fetchone()[0]}
    return {str(k): n for k, n in db.execute("SELECT relation, COUNT(*) FROM links GROUP BY relation ORDER BY relation")}


# METER ------------------------------------------------------------------------------------------


def build_meter_corpus(meter: Path, domain: str, corpus: Path) -> dict:
    """Write METER's ``domain`` as ``corpus/PA/DATE/CATCHLINE/*`` and ``corpus/newspapers/DATE/CATCHLINE/*``.

    The raw texts are copied with their bytes unchanged (readme files left out). Returns the gold
    labels, as the project's hook ``meter_corpus.py`` writes them: ``{"label": {newspaper path:
    wholly|partially|non}, "pa": {"DATE/CATCHLINE": [PA paths]}}``, paths relative to ``corpus``.
    """
    meter, corpus = Path(meter), Path(corpus)
    sources = {"PA": meter / "PA" / "rawtexts" / domain, "newspapers": meter / "newspapers" / "rawtexts" / domain}
    for name, source in sources.items():
        if not source.is_dir():
            raise InputError(f"{source}: not found (expected a METER folder with the {domain!r} domain)")
    if corpus.exists() and any(corpus.iterdir()):
        raise InputError(f"{corpus}: already exists and is not empty")
    for name, source in sources.items():
        shutil.copytree(source, corpus / name, ignore=shutil.ignore_patterns("readme*"))
    label = {}
    for kind in METER_KINDS:
        index = meter / "file_index" / domain / f"{kind}_derived.txt"
        if not index.is_file():
            raise InputError(f"{index}: not found")
        for line in index.read_text(encoding="latin-1").splitlines():
            line = line.strip()
            marker = f"newspapers/rawtexts/{domain}/"
            if not line or marker not in line:
                continue
            path = "newspapers/" + line.split(marker, 1)[1]
            if (corpus / path).is_file():
                label[path] = kind
    pa: dict[str, list[str]] = {}
    for file in sorted((corpus / "PA").rglob("*")):
        if file.is_file():
            date, catchline = file.relative_to(corpus / "PA").parts[:2]
            pa.setdefault(f"{date}/{catchline}", []).append(file.relative_to(corpus).as_posix())
    return {"label": label, "pa": pa}


def _meter_links(db: Database, relation: str | None) -> dict[str, set[tuple[str, str]]]:
    """Path → {(other path, role of the other: source or copy)} over the stored links."""
    path = dict(db.execute("SELECT id, path FROM documents").fetchall())
    sql = "SELECT source_id, copy_id FROM links" + (" WHERE relation = ?" if relation else "")
    linked: dict[str, set[tuple[str, str]]] = {}
    for source, copy in db.execute(sql, [relation] if relation else []):
        linked.setdefault(path[copy], set()).add((path[source], "source"))
        linked.setdefault(path[source], set()).add((path[copy], "copy"))
    return linked


def score_meter(db: Database, gold: Mapping, *, relation: str | None = None) -> dict:
    """The journalists' labels against the scan, as the hook ``meter_measure.py`` scores them.

    A story counts as derived when a link joins it to a PA file of its catchline, or when it is in
    one cluster with one. Recall per label, precision/recall/F1 of "derived", and of the derived
    stories found, how many have a PA file as the source (the PA end of the link is its source, or
    the cluster's canonical is a PA file). ``relation`` counts only links with that relation;
    sharing a cluster with a PA file still counts.
    """
    path = dict(db.execute("SELECT id, path FROM documents").fetchall())
    linked = _meter_links(db, relation)
    cluster = {path[d]: cid for cid, d in db.execute("SELECT cluster_id, document_id FROM cluster_members")}
    canonical = {cid: path[d] for cid, d in db.execute("SELECT id, canonical_id FROM clusters")}
    n, found = Counter(), Counter()
    pa_source = 0
    missed, wrong, not_pa_source = [], [], []
    for story, kind in gold["label"].items():
        pas = set(gold["pa"].get("/".join(story.split("/")[1:3]), []))
        n[kind] += 1
        via_link = [(other, role) for other, role in linked.get(story, ()) if other in pas]
        via_cluster = story in cluster and any(cluster.get(p) == cluster[story] for p in pas)
        if not (via_link or via_cluster):
            if kind == "wholly":
                missed.append(story)
            continue
        found[kind] += 1
        if kind == "non":
            wrong.append(story)
            continue
        source_ok = any(role == "source" for _, role in via_link) or (via_cluster and canonical[cluster[story]] in pas)
        pa_source += source_ok
        if not source_ok:
            not_pa_source.append(story)
    tp, positives = found["wholly"] + found["partially"], n["wholly"] + n["partially"]
    precision = tp / (tp + found["non"]) if tp + found["non"] else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def share(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        **{kind: {"found": found[kind], "n": n[kind], "recall": share(found[kind], n[kind])} for kind in ("wholly", "partially")},
        "non": {"wrongly_linked": found["non"], "n": n["non"], "share": share(found["non"], n["non"])},
        "derived": {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "found": tp, "n": positives},
        "pa_source": {"count": pa_source, "of": tp, "share": share(pa_source, tp)},
        "missed_wholly": sorted(missed),
        "non_derived_linked": sorted(wrong),
        "pa_not_source": sorted(not_pa_source),
    }


def meter_relations(db: Database, gold: Mapping) -> dict:
    """Per label: how many stories a ``copy`` link and how many a ``reuse`` link joins to a PA file
    of their catchline (needs the ``links.relation`` column)."""
    counts: dict[str, Counter] = {kind: Counter() for kind in METER_KINDS}
    by_relation = {name: _meter_links(db, name) for name in ("copy", "reuse")}
    for story, kind in gold["label"].items():
        pas = set(gold["pa"].get("/".join(story.split("/")[1:3]), []))
        counts[kind]["n"] += 1
        for name, linked in by_relation.items():
            counts[kind][name] += any(other in pas for other, _ in linked.get(story, ()))
    return {kind: {"n": c["n"], "copy_link_to_pa": c["copy"], "reuse_link_to_pa": c["reuse"]} for kind, c in counts.items()}


def meter_report(db: Database, gold: Mapping) -> dict:
    """``score_meter`` over every link, and, when links carry a relation, over ``copy`` links only."""
    result = {
        "all_links": score_meter(db, gold),
        "link_relation_column": has_link_relation(db),
        "links_by_relation": links_by_relation(db),
    }
    if result["link_relation_column"]:
        result["copy_links"] = score_meter(db, gold, relation="copy")
        result["relations"] = meter_relations(db, gold)
    return result


# Body extraction ---------------------------------------------------------------------------------


def words(text: str | None) -> list[str]:
    """The word tokens of ``text`` (``\\w+``, as the article-extraction benchmark tokenizes)."""
    return _WORD.findall(text or "")


def body_scores(gold: str, predicted: str | None, *, ngram: int = 1) -> dict:
    """Precision, recall and F1 of the multiset of word ``ngram``s of ``predicted`` against ``gold``.

    ``ngram=1`` is a bag of words; the article-extraction benchmark uses 4-grams. Nothing predicted
    scores 0 unless the gold is empty too.
    """

    def grams(text: str | None) -> Counter:
        tokens = words(text)
        return Counter(tuple(tokens[i : i + ngram]) for i in range(max(0, len(tokens) - ngram + 1)))

    true, pred = grams(gold), grams(predicted)
    tp = sum((true & pred).values())
    n_true, n_pred = sum(true.values()), sum(pred.values())
    if n_true == n_pred == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def summarize_bodies(pages: Mapping[str, tuple[str, str | None]], *, ngram: int = 1, worst: int = 10) -> dict:
    """Mean and median body precision/recall/F1 over ``pages`` (name → (gold, extracted or None)).

    A page without extracted text (the scan recorded no document for it) scores 0. ``f1_of_means``
    is the benchmark's summary: the harmonic mean of mean precision and mean recall. ``worst`` lists
    the pages of lowest F1.
    """
    scores = {name: body_scores(gold, predicted, ngram=ngram) for name, (gold, predicted) in pages.items()}
    result: dict = {"pages": len(scores), "not_extracted": sorted(n for n, (_, p) in pages.items() if p is None)}
    for measure in ("precision", "recall", "f1"):
        values = [s[measure] for s in scores.values()]
        result[measure] = {
            "mean": round(statistics.fmean(values), 4) if values else None,
            "median": round(statistics.median(values), 4) if values else None,
        }
    p = statistics.fmean(s["precision"] for s in scores.values()) if scores else 0.0
    r = statistics.fmean(s["recall"] for s in scores.values()) if scores else 0.0
    result["f1_of_means"] = round(2 * p * r / (p + r), 4) if p + r else None
    ranked = sorted(scores.items(), key=lambda item: (item[1]["f1"], item[0]))[:worst]
    result["worst"] = [{"page": name, **{k: round(v, 4) for k, v in s.items()}} for name, s in ranked]
    return result


def document_texts(db: Database) -> dict[str, str]:
    """Path → stored document text (the text the scan extracted)."""
    return dict(db.execute("SELECT path, text FROM documents").fetchall())


def body_report(db: Database, gold: Mapping[str, str], *, worst: int = 10) -> dict:
    """Body extraction figures of the scan against ``gold`` (path → labelled body): bag of words
    (``tokens``) and the benchmark's word 4-grams (``shingles4``). Pages with an empty gold body
    are left out and counted."""
    texts = document_texts(db)
    pages = {path: (body, texts.get(path)) for path, body in gold.items() if words(body)}
    return {
        "tokens": summarize_bodies(pages, worst=worst),
        "shingles4": {k: v for k, v in summarize_bodies(pages, ngram=4, worst=0).items() if k in ("precision", "recall", "f1", "f1_of_means")},
        "empty_gold_bodies": sorted(path for path, body in gold.items() if not words(body)),
    }


def domain_of(url: str) -> str:
    """The host name of ``url``, lower case (``unknown`` when it has none)."""
    host = urlsplit(url.strip()).hostname
    return host.lower() if host else "unknown"


def parent_domain(host: str) -> str:
    """The registrable part of a host name, by a rule of thumb (no public suffix list): the last
    two labels, or three under a two-letter country code's ``co``/``com``/``org``… (``co.uk``)."""
    labels = host.lower().strip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def safe_folder(name: str) -> str:
    """``name`` as one folder name: path separators and other awkward characters become ``_``."""
    cleaned = re.sub(r"[^\w.-]+", "_", name.strip()).strip("._")
    return cleaned or "unknown"


# L3S-GN1 ----------------------------------------------------------------------------------------


def l3s_urls(folder: Path) -> dict[str, str]:
    """uuid → URL from L3S-GN1's ``url-mapping.txt`` (lines ``<urn:uuid:UUID>\\tURL``)."""
    mapping = {}
    for line in (Path(folder) / "url-mapping.txt").read_text(encoding="utf-8", errors="replace").splitlines():
        if "\t" not in line:
            continue
        key, url = line.split("\t", 1)
        mapping[key.strip().strip("<>").removeprefix("urn:uuid:")] = url.strip()
    return mapping


def build_l3s_corpus(folder: Path, corpus: Path) -> dict[str, str]:
    """Copy each ``original/<uuid>.html`` page (bytes unchanged) to ``corpus/<domain of its URL>/``.

    Returns corpus path → uuid.
    """
    folder, corpus = Path(folder), Path(corpus)
    if not (folder / "url-mapping.txt").is_file() or not (folder / "original").is_dir():
        raise InputError(f"{folder}: expected the l3s-gn1 folder (original/, annotated/, url-mapping.txt)")
    urls = l3s_urls(folder)
    paths = {}
    for page in sorted((folder / "original").glob("*.html")):
        uuid = page.stem
        path = f"{safe_folder(domain_of(urls.get(uuid, '')))}/{page.name}"
        (corpus / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, corpus / path)
        paths[path] = uuid
    return paths


def l3s_body(annotated_html: str, labels: Iterable[str] = L3S_BODY_LABELS) -> str:
    """The text of an L3S-GN1 annotated page that the assessors labelled as one of ``labels``.

    Each text block is wrapped in ``<span class="x-nc-selN">``; spans nest (a ``sel0`` span around a
    table whose cells hold ``sel2`` spans), so a piece of text takes the label of its innermost
    labelled element. Text outside every labelled element is not content.
    """
    import lxml.html

    wanted = set(labels)
    # lxml refuses a str that starts with an XML declaration naming an encoding.
    root = lxml.html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", annotated_html))
    pieces: list[str] = []

    def label_of(element) -> str | None:
        found = L3S_LABEL.search(element.get("class") or "") if isinstance(element.tag, str) else None
        return found.group(1) if found else None

    def visit(element, inherited: str | None) -> None:
        if not isinstance(element.tag, str) or element.tag.lower() in _SKIPPED_TAGS:
            return
        label = label_of(element) or inherited
        if element.text and label in wanted:
            pieces.append(element.text)
        for child in element:
            visit(child, label)
            if child.tail and label in wanted:
                pieces.append(child.tail)

    visit(root, None)
    return " ".join(p.strip() for p in pieces if p.strip())


def l3s_gold(folder: Path) -> dict[str, str]:
    """uuid → labelled body (headline and full text) of every annotated L3S-GN1 page."""
    return {
        page.stem: l3s_body(page.read_bytes().decode("utf-8", errors="replace"))
        for page in sorted((Path(folder) / "annotated").glob("*.html"))
    }


def shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    """The set of lower-cased word ``size``-grams of ``text``."""
    tokens = [w.lower() for w in words(text)]
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def containment(a: set, b: set) -> float:
    """Share of the smaller of two shingle sets found in the other (0 when either is empty)."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small) if small else 0.0


def cluster_listing(db: Database, site_of: Mapping[str, str] | None = None, *, words_shown: int = 12) -> list[dict]:
    """``describe_clusters`` with each member's title and site (``site_of[path]``, else the first
    folder of its path)."""
    titles = dict(db.execute("SELECT path, title FROM documents").fetchall())
    clusters = describe_clusters(db, words=words_shown)
    for entry in clusters:
        for member in entry["members"]:
            path = member["path"]
            member["site"] = (site_of or {}).get(path) or path.split("/", 1)[0]
            member["title"] = titles.get(path)
    return clusters


def judge_clusters(clusters: list[dict], bodies: Mapping[str, str], *, threshold: float = SUSPECT_CONTAINMENT) -> dict:
    """Mark clusters whose members all come from one site (one host name; or one parent domain, so
    that ``travel.timesonline.co.uk`` and ``www.timesonline.co.uk`` count as one publisher), and
    clusters whose members' labelled bodies (path → text) share little: a member whose best
    word-5-gram containment with another member is below ``threshold`` makes its cluster a
    suspect false merge."""
    grams = {path: shingles(text) for path, text in bodies.items()}
    one_site, one_parent, suspects = [], [], []
    for entry in clusters:
        paths = [m["path"] for m in entry["members"]]
        sites = {m["site"] for m in entry["members"]}
        best = {
            p: max((containment(grams.get(p, set()), grams.get(q, set())) for q in paths if q != p), default=0.0)
            for p in paths
        }
        weakest = round(min(best.values()), 4) if best else 0.0
        entry["one_site"] = len(sites) == 1
        entry["one_parent_domain"] = len({parent_domain(site) for site in sites}) == 1
        entry["body_containment"] = weakest
        entry["suspect_false_merge"] = weakest < threshold
        for flag, ids in (("one_site", one_site), ("one_parent_domain", one_parent), ("suspect_false_merge", suspects)):
            if entry[flag]:
                ids.append(entry["cluster_id"])
    return {
        "n_clusters": len(clusters),
        "n_clustered_documents": sum(len(c["members"]) for c in clusters),
        "one_site_clusters": len(one_site),
        "one_site_cluster_ids": one_site,
        "one_parent_domain_clusters": len(one_parent),
        "one_parent_domain_cluster_ids": one_parent,
        "suspect_false_merges": len(suspects),
        "suspect_false_merge_ids": suspects,
        "suspect_threshold": threshold,
    }


def l3s_report(db: Database, folder: Path, paths: Mapping[str, str]) -> dict:
    """Body extraction and cluster figures of a scan of ``build_l3s_corpus`` (``paths``: corpus path → uuid)."""
    annotated = l3s_gold(folder)
    gold = {path: annotated.get(uuid, "") for path, uuid in paths.items()}
    missing = sorted(path for path, uuid in paths.items() if uuid not in annotated)
    clusters = cluster_listing(db)
    figures = judge_clusters(clusters, gold)
    return {
        "bodies": {**body_report(db, {p: b for p, b in gold.items() if p not in missing}), "no_annotated_page": missing},
        **figures,
        "n_links": db.execute("SELECT COUNT(*) FROM links").fetchone()[0],
        "links_by_relation": links_by_relation(db),
        "clusters": clusters,
    }


# Article-extraction benchmark ---------------------------------------------------------------------


def build_extraction_corpus(folder: Path, corpus: Path) -> dict[str, str]:
    """Gunzip each page of the article-extraction benchmark to ``corpus/<domain>/<id>.html``.

    Returns corpus path → the page's ground-truth ``articleBody``.
    """
    folder, corpus = Path(folder), Path(corpus)
    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file():
        raise InputError(f"{folder}: no ground-truth.json (expected the article-extraction-benchmark folder)")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    gold = {}
    for key, entry in sorted(truth.items()):
        page = folder / "html" / f"{key}.html.gz"
        if not page.is_file():
            continue
        path = f"{safe_folder(domain_of(entry.get('url') or ''))}/{key}.html"
        (corpus / path).parent.mkdir(parents=True, exist_ok=True)
        (corpus / path).write_bytes(gzip.decompress(page.read_bytes()))
        gold[path] = entry.get("articleBody") or ""
    return gold


def extraction_report(db: Database, gold: Mapping[str, str]) -> dict:
    """Body extraction against ``articleBody``, and what was clustered (every page is a different article)."""
    return {
        "bodies": body_report(db, gold),
        "n_clusters": db.execute("SELECT COUNT(*) FROM clusters").fetchone()[0],
        "n_links": db.execute("SELECT COUNT(*) FROM links").fetchone()[0],
        "links_by_relation": links_by_relation(db),
        "clusters": cluster_listing(db),
        "links": link_listing(db),
    }


# news-events --------------------------------------------------------------------------------------


def build_news_events_corpus(folder: Path, corpus: Path) -> dict[str, dict]:
    """Write each row of the news-events CSVs as ``corpus/<publisher>/<csv name>-<id>.txt``, its
    paragraphs (joined by `` ### `` in the CSV) one per line. Returns corpus path → row facts."""
    folder, corpus = Path(folder), Path(corpus)
    tables = sorted(folder.glob("*.csv"))
    if not tables:
        raise InputError(f"{folder}: no .csv files (expected the news-events folder)")
    rows = {}
    for table in tables:
        with table.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                path = f"{safe_folder(row['publisher'])}/{table.stem}-{safe_folder(row['id'])}.txt"
                (corpus / path).parent.mkdir(parents=True, exist_ok=True)
                (corpus / path).write_text(row["text"].replace(" ### ", "\n") + "\n", encoding="utf-8")
                rows[path] = {"publisher": row["publisher"], "scrape_time": row["scrape_time"], "table": table.stem}
    return rows


def link_listing(db: Database, site_of: Mapping[str, str] | None = None, *, words_shown: int = 12) -> list[dict]:
    """Every stored link: source and copy (path, site, first words), similarity figures and,
    when the column exists, the relation."""
    relation = ", l.relation" if has_link_relation(db) else ""
    sql = f"""
        SELECT s.path, s.text, c.path, c.text, l.jaccard, l.containment{relation}
        FROM links l JOIN documents s ON s.id = l.source_id JOIN documents c ON c.id = l.copy_id
        ORDER BY s.path, c.path
    """
    listing = []
    for row in db.execute(sql):
        entry = {}
        for side, path, text in (("source", row[0], row[1]), ("copy", row[2], row[3])):
            entry[side] = {
                "path": path, "site": (site_of or {}).get(path) or path.split("/", 1)[0],
                "start": " ".join(text.split()[:words_shown]),
            }
        entry.update(jaccard=round(row[4], 4), containment=round(row[5], 4))
        if relation:
            entry["relation"] = row[6]
        listing.append(entry)
    return listing


def news_events_report(db: Database, rows: Mapping[str, Mapping]) -> dict:
    """The clusters and links of a scan of ``build_news_events_corpus``, for reading."""
    publishers = {path: row["publisher"] for path, row in rows.items()}
    clusters = cluster_listing(db, publishers)
    links = link_listing(db, publishers)
    return {
        "n_articles": len(rows),
        "n_documents": db.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
        "n_clusters": len(clusters),
        "one_publisher_clusters": sum(len({m["site"] for m in c["members"]}) == 1 for c in clusters),
        "n_links": len(links),
        "links_by_relation": links_by_relation(db),
        "clusters": clusters,
        "links": links,
    }
