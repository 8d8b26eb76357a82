"""Scores and listings of scans of real news: METER (journalists' derived labels), L3S-GN1, the
article-extraction benchmark and news-events (clusters and links for reading, with checks for
clusters that look like false merges).

Each report reads the database of a scan of the folder that ``corpora`` built for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from sqlite_utils import Database

from ..db import evaluation as reads
from .bodies import body_report, l3s_gold, words
from .corpora import METER_KINDS
from .scores import describe_clusters

#: a cluster whose members' labelled bodies share less than this (word 5-grams) is suspect.
SUSPECT_CONTAINMENT = 0.3
_SECOND_LEVEL = {"ac", "co", "com", "edu", "gov", "net", "org", "ne", "or"}


# METER ------------------------------------------------------------------------------------------


def _meter_links(db: Database, relation: str | None) -> dict[str, set[tuple[str, str]]]:
    """Path → {(other path, role of the other: source or copy)} over the stored links."""
    linked: dict[str, set[tuple[str, str]]] = {}
    for source, copy in reads.links_by_path(db, relation):
        linked.setdefault(copy, set()).add((source, "source"))
        linked.setdefault(source, set()).add((copy, "copy"))
    return linked


def _catchline_pas(gold: Mapping, story: str) -> set[str]:
    """The PA files of a newspaper story's catchline (``newspapers/DATE/CATCHLINE/…``)."""
    return set(gold["pa"].get("/".join(story.split("/")[1:3]), []))


def score_meter(db: Database, gold: Mapping, *, relation: str | None = None) -> dict:
    """The journalists' labels against the scan, as the hook ``meter_measure.py`` scores them.

    A story counts as derived when a link joins it to a PA file of its catchline, or when it is in
    one cluster with one. Recall per label, precision/recall/F1 of "derived", and of the derived
    stories found, how many have a PA file as the source (the PA end of the link is its source, or
    the cluster's canonical is a PA file). ``relation`` counts only links with that relation;
    sharing a cluster with a PA file still counts.
    """
    linked = _meter_links(db, relation)
    cluster = reads.memberships(db)
    canonical = reads.cluster_canonicals(db)
    n, found = Counter(), Counter()
    pa_source = 0
    missed, wrong, not_pa_source = [], [], []
    for story, kind in gold["label"].items():
        pas = _catchline_pas(gold, story)
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
        pas = _catchline_pas(gold, story)
        counts[kind]["n"] += 1
        for name, linked in by_relation.items():
            counts[kind][name] += any(other in pas for other, _ in linked.get(story, ()))
    return {kind: {"n": c["n"], "copy_link_to_pa": c["copy"], "reuse_link_to_pa": c["reuse"]} for kind, c in counts.items()}


def meter_report(db: Database, gold: Mapping) -> dict:
    """``score_meter`` over every link, and, when links carry a relation, over ``copy`` links only."""
    result = {
        "all_links": score_meter(db, gold),
        "link_relation_column": reads.has_link_relation(db),
        "links_by_relation": reads.link_counts_by_relation(db),
    }
    if result["link_relation_column"]:
        result["copy_links"] = score_meter(db, gold, relation="copy")
        result["relations"] = meter_relations(db, gold)
    return result


# Clusters and links for reading ------------------------------------------------------------------


def parent_domain(host: str) -> str:
    """The registrable part of a host name, by a rule of thumb (no public suffix list): the last
    two labels, or three under a two-letter country code's ``co``/``com``/``org``… (``co.uk``)."""
    labels = host.lower().strip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    """The set of lower-cased word ``size``-grams of ``text``."""
    tokens = [w.lower() for w in words(text)]
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def containment(a: set, b: set) -> float:
    """Share of the smaller of two shingle sets found in the other (0 when either is empty)."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small) if small else 0.0


def _site(path: str, site_of: Mapping[str, str] | None) -> str:
    """``site_of[path]``, else the first folder of ``path`` (the corpora put each site in one)."""
    return (site_of or {}).get(path) or path.split("/", 1)[0]


def cluster_listing(db: Database, site_of: Mapping[str, str] | None = None, *, words_shown: int = 12) -> list[dict]:
    """``describe_clusters`` with each member's title and site (``site_of[path]``, else the first
    folder of its path)."""
    titles = reads.document_titles(db)
    clusters = describe_clusters(db, words=words_shown)
    for entry in clusters:
        for member in entry["members"]:
            member["site"] = _site(member["path"], site_of)
            member["title"] = titles.get(member["path"])
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


def link_listing(db: Database, site_of: Mapping[str, str] | None = None, *, words_shown: int = 12) -> list[dict]:
    """Every stored link: source and copy (path, site, first words), similarity figures and,
    when links carry one, the relation."""
    listing = []
    for row in reads.link_rows(db):
        entry = {
            side: {
                "path": row[f"{side}_path"], "site": _site(row[f"{side}_path"], site_of),
                "start": " ".join(row[f"{side}_text"].split()[:words_shown]),
            }
            for side in ("source", "copy")
        }
        entry.update(jaccard=round(row["jaccard"], 4), containment=round(row["containment"], 4))
        if "relation" in row:
            entry["relation"] = row["relation"]
        listing.append(entry)
    return listing


# Reports -----------------------------------------------------------------------------------------


def l3s_report(db: Database, folder: Path, paths: Mapping[str, str]) -> dict:
    """Body extraction and cluster figures of a scan of ``corpora.build_l3s_corpus`` (``paths``:
    corpus path → uuid)."""
    annotated = l3s_gold(folder)
    gold = {path: annotated.get(uuid, "") for path, uuid in paths.items()}
    missing = sorted(path for path, uuid in paths.items() if uuid not in annotated)
    clusters = cluster_listing(db)
    figures = judge_clusters(clusters, gold)
    return {
        "bodies": {**body_report(db, {p: b for p, b in gold.items() if p not in missing}), "no_annotated_page": missing},
        **figures,
        "n_links": reads.row_count(db, "links"),
        "links_by_relation": reads.link_counts_by_relation(db),
        "clusters": clusters,
    }


def extraction_report(db: Database, gold: Mapping[str, str]) -> dict:
    """Body extraction against ``articleBody``, and what was clustered (every page is a different article)."""
    return {
        "bodies": body_report(db, gold),
        "n_clusters": reads.row_count(db, "clusters"),
        "n_links": reads.row_count(db, "links"),
        "links_by_relation": reads.link_counts_by_relation(db),
        "clusters": cluster_listing(db),
        "links": link_listing(db),
    }


def news_events_report(db: Database, rows: Mapping[str, Mapping]) -> dict:
    """The clusters and links of a scan of ``corpora.build_news_events_corpus``, for reading."""
    publishers = {path: row["publisher"] for path, row in rows.items()}
    clusters = cluster_listing(db, publishers)
    links = link_listing(db, publishers)
    return {
        "n_articles": len(rows),
        "n_documents": reads.row_count(db, "documents"),
        "n_clusters": len(clusters),
        "one_publisher_clusters": sum(len({m["site"] for m in c["members"]}) == 1 for c in clusters),
        "n_links": len(links),
        "links_by_relation": reads.link_counts_by_relation(db),
        "clusters": clusters,
        "links": links,
    }
