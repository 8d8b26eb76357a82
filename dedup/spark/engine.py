"""The Spark engine's plan: the local engine's stages as Spark jobs over RDDs.

Stage by stage, with what is shuffled:

1. **read**: the files are listed (a local folder by ``ingest.walk``, other paths by Spark's
   ``binaryFile`` source) and parsed by tasks; documents are numbered in id order (a sort).
2. **sketch**: per document, no shuffle. The driver keeps three numbers per document
   (site code, shingle count, index) for the boilerplate step.
3. **boilerplate**: every (shingle, document) is shuffled by shingle; each task samples the
   carriers of its shingles; the pairs of carriers to compare are joined with their
   signatures (two shuffles), and the related pairs go back to their shingles.
4. **candidates**: LSH band keys are shuffled by (band, key); sampled shingles by shingle.
   A bucket of more than ``lsh_max_bucket`` documents, and a sampled shingle held by more
   than ``passage_max_df``, pair their members with three representatives only (as in the
   local engine), so no bucket costs more than linear work.
5. **verify**: each candidate pair is joined with its two sketches (two shuffles) and, where
   sentence matching decides, with its two documents' sentences.
6. **settle**: the driver finds the connected components of the links (scipy, from two
   integers per link); each component's documents and links meet in one task, which groups,
   elects and orients them as the local engine does. The largest component bounds one
   task's memory.
7. **align**: each link is joined with its two texts; then each cluster's links meet its
   decision to measure the copies' relations.
8. **write**: every table, and each document's sketch (the index a later ``dedup scan`` of
   the imported database reuses), sorted as the local engine writes them.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from operator import add, or_
from pathlib import Path

import numpy as np

from .. import __version__, boilerplate, candidates, ingest, provenance
from ..batches import align_texts
from ..config import ScanConfig
from ..db.codec import encode_sketch
from ..db.imports import SCAN_COLUMNS, table_columns
from ..db.write import PASSAGE_COLUMNS, change_rows, cluster_table_rows, document_row, link_row, passage_values
from ..models import InputProblem, LinkRelation, ScanSummary
from ..pipeline import versions
from ..sketch import strip
from . import tasks


def run(spark, source: str, output: str, config: ScanConfig, partitions: int) -> ScanSummary:
    """Scan the articles at ``source`` with ``spark`` and write the result tables under ``output``."""
    started = _now()
    sc = spark.sparkContext
    root, loaded, walk_problems, skipped, n_paths = _read(spark, source, config, partitions)
    loaded = loaded.cache()
    outcome = sorted(loaded.map(lambda r: (r[0], r[1], len(r[2]), r[3])).collect(), key=lambda r: r[0])
    files, problems = [], list(walk_problems)
    for _, found, n_docs, inside in outcome:
        problems.extend(inside)
        if isinstance(found, InputProblem):
            problems.append(found)
        elif n_docs:
            files.append((found, n_docs))

    docs = loaded.flatMap(lambda r: r[2]).sortBy(lambda d: d.id, numPartitions=partitions)
    indexed = docs.zipWithIndex().map(lambda x: (x[1], x[0])).cache()
    n = indexed.count()
    by_id = indexed.map(lambda kv: (kv[1].id, kv[1])).cache()
    sketches = indexed.mapPartitions(lambda items: tasks.sketch_documents(items, config)).cache()

    # The driver's share: per document its site (as a number) and its number of shingles.
    sites = dict(indexed.map(lambda kv: (kv[0], boilerplate.site_of(kv[1]))).collect())
    site_codes = boilerplate.site_codes_of([sites[i] for i in range(n)])
    counted = dict(sketches.map(lambda kv: (kv[0], len(kv[1].shingles))).collect())
    counts = np.array([counted[i] for i in range(n)], dtype=np.int64)
    found = _boilerplate(sc, sketches, site_codes, counts, config, partitions)
    kept = sc.broadcast(found)
    stripped = sketches.mapValues(lambda item: strip(item, kept.value)).cache()

    pairs = _candidates(stripped, n, config, partitions)
    links = _verify(pairs, stripped, indexed, kept, n, config, partitions).cache()
    edges = np.array(links.map(lambda x: (x[0], x[1])).collect(), dtype=np.int64).reshape(-1, 2)
    component = sc.broadcast(_components(edges, n))
    settled = _settle(links, component, indexed, config, partitions).cache()
    clusters = (
        settled.flatMap(lambda result: result[0]).sortBy(lambda c: c[0], numPartitions=partitions).zipWithIndex()
        .map(lambda x: (x[1] + 1, (replace(x[0][1], id=x[1] + 1), x[0][2])))
        .cache()
    )
    oriented = settled.flatMap(lambda result: result[1])
    aligned = _align(oriented, by_id, partitions).cache()
    decided = _relations(clusters, aligned, partitions).cache()

    digest = boilerplate.digest(found)
    n_links = aligned.count()
    summary = ScanSummary(
        finished_at="",
        n_files=n_paths, n_new_files=len(files), n_changed_files=0, n_unchanged_files=0, n_missing_files=0,
        n_removed_files=0, n_skipped_files=skipped, n_documents=n, n_errors=len(problems), n_links=n_links,
        n_reuse_links=aligned.filter(lambda a: a[0].relation == LinkRelation.REUSE).count(),
        n_clusters=clusters.count(), n_clustered_documents=clusters.map(lambda c: len(c[1][0].member_ids)).sum(),
        n_boilerplate_shingles=len(found), boilerplate_digest=digest,
    )
    _write_tables(spark, output, root, files, problems, indexed, aligned, decided, partitions)
    fingerprint = config.sketch_fingerprint(__version__)
    made = sketches.join(indexed, partitions).map(
        lambda kv: {"document_id": kv[1][0].doc_id, "text_sha256": kv[1][1].sha256, "fingerprint": fingerprint, **encode_sketch(kv[1][0])}
    )
    _write(spark, output, "sketches", made.sortBy(lambda row: row["document_id"], numPartitions=partitions), partitions)
    summary = replace(summary, finished_at=_now())
    scan = {
        "started_at": started, "root": root, "parameters": json.dumps(config.as_dict(), sort_keys=True),
        "config_fingerprint": config.fingerprint(), "versions": json.dumps(versions(), sort_keys=True), **summary.as_dict(),
    }
    _write(spark, output, "scans", [scan], partitions=1)
    return summary


def _read(spark, source: str, config: ScanConfig, partitions: int):
    """The root's key, an RDD of loaded files, the walk's problems, skipped files, files listed."""
    sc = spark.sparkContext
    if "://" not in source and not _GLOB.search(source):  # a local folder: walked as ``dedup scan`` walks it
        folder = Path(source)  # ``spark.scan`` made sure it is one
        root = folder.resolve().as_posix()
        paths, problems, skipped = ingest.walk(folder)
        numbered = sc.parallelize(list(enumerate(paths)), max(1, min(partitions, len(paths) or 1)))
        return root, numbered.mapPartitions(lambda items: tasks.load_files(items, root, config)), problems, skipped, len(paths)
    if "://" not in source:  # a local glob
        source = "file://" + Path(source).resolve().as_posix()
    # A glob's files are named relative to the folder before its first pattern: the root.
    pattern = source.rstrip("/")
    parts = pattern.split("/")
    root = "/".join(parts[: next((k for k, part in enumerate(parts) if _GLOB.search(part)), len(parts))])
    # Spark lists files with qualified paths (file:/x for file:///x): strip that prefix.
    prefix = _qualified(root) + "/"
    reader = spark.read.format("binaryFile").option("recursiveFileLookup", "true")
    relative = sorted(_qualified(row.path).removeprefix(prefix) for row in reader.load(pattern).select("path").collect())
    paths = [p for p in relative if ingest.is_article_file(p)]
    number = {p: i for i, p in enumerate(paths)}
    items = reader.load(pattern).rdd.map(lambda row: (_qualified(row.path).removeprefix(prefix), row.content))
    items = items.filter(lambda item: item[0] in number).map(lambda item: (number[item[0]], item[0], item[1]))
    loaded = items.mapPartitions(lambda batch: tasks.parse_files(batch, root, config))
    return root, loaded, [], len(relative) - len(paths), len(paths)


_GLOB = re.compile(r"[*?\[{]")


def _qualified(path: str) -> str:
    return "file:/" + path.removeprefix("file:").lstrip("/") if path.startswith("file:") else path


def _boilerplate(sc, sketches, site_codes: np.ndarray, counts: np.ndarray, config: ScanConfig, partitions: int) -> np.ndarray:
    """The boilerplate shingles (``boilerplate.find_boilerplate``, over partitions of shingles)."""
    sites, sizes = sc.broadcast(site_codes), sc.broadcast(counts)
    grouped = (
        sketches.mapPartitions(lambda items: tasks.postings(items, partitions))
        .groupByKey(partitions)
        .map(lambda kv: tasks.sample_carriers(kv[0], kv[1], sites.value, sizes.value, config))
        .cache()
    )
    wanted = grouped.flatMap(lambda kv: [(int(c), kv[0]) for c in np.unique(kv[1][2][kv[1][2] >= 0])])
    n = len(counts)
    signatures = sketches.mapValues(lambda item: item.minhash)
    codes = wanted.keys().distinct(partitions)
    with_first = codes.map(lambda c: (c // n, c)).join(signatures, partitions).map(lambda kv: (kv[1][0] % n, (kv[1][0], kv[1][1])))
    with_both = with_first.join(signatures, partitions).map(lambda kv: (kv[1][0][0], kv[1][0][1], kv[1][1]))
    related = with_both.mapPartitions(lambda items: tasks.related_codes(items, sites.value, sizes.value, config))
    by_part = related.map(lambda c: (c, None)).join(wanted, partitions).map(lambda kv: (kv[1][1], kv[0])).groupByKey(partitions)
    parts = grouped.leftOuterJoin(by_part, partitions).map(lambda kv: tasks.furniture(kv[1][0], kv[1][1] or [])).collect()
    grouped.unpersist()
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint32)


def _candidates(stripped, n: int, config: ScanConfig, partitions: int):
    """The candidate pairs as ``(pair code, flags)`` (``candidates.lsh_pairs`` and ``passage_pairs``)."""
    bands, rows = candidates.lsh_bands(config)
    keyed = stripped.flatMap(
        lambda kv: [((band, key), kv[0]) for band, key in enumerate(candidates.band_keys(kv[1].minhash, bands, rows))]
        if len(kv[1].shingles) else []
    )
    by_lsh = keyed.groupByKey(partitions).flatMap(lambda kv: tasks.bucket_codes(kv[1], n, config)).distinct(partitions).map(lambda c: (c, tasks.BY_LSH))
    sampled = stripped.mapPartitions(lambda items: tasks.postings(items, partitions, sampled=config)).groupByKey(partitions)
    shares = sampled.flatMap(lambda kv: tasks.sample_counts(kv[1], n, config.passage_max_df)).reduceByKey(add, partitions)
    by_passage = shares.filter(lambda kv: kv[1] >= config.passage_min_sampled).map(lambda kv: (kv[0], tasks.BY_PASSAGE))
    return by_lsh.union(by_passage).reduceByKey(or_, partitions)


def _verify(pairs, stripped, indexed, kept, n: int, config: ScanConfig, partitions: int):
    """The verified links with their shared shingles (as ``pipeline.detect`` finds them)."""
    first = pairs.map(lambda kv: (kv[0] // n, (kv[0] % n, kv[1]))).join(stripped, partitions)
    both = first.map(lambda kv: (kv[1][0][0], (kv[0], kv[1][0][1], kv[1][1]))).join(stripped, partitions)
    records = both.map(lambda kv: (kv[1][0][0], kv[0], kv[1][0][1], kv[1][0][2], kv[1][1]))
    measured = records.mapPartitions(lambda items: tasks.measure(items, config)).cache()
    needs = measured.filter(lambda r: r[5].needs_sentences(config))
    wanted = needs.flatMap(lambda r: [(r[0], None), (r[1], None)]).distinct(partitions)
    split = wanted.join(indexed, partitions).map(lambda kv: (kv[0], kv[1][1])).mapPartitions(
        lambda items: tasks.sentences(items, kept.value, config)
    )
    with_first = needs.map(lambda r: (r[0], r)).join(split, partitions).map(lambda kv: (kv[1][0][1], kv[1]))
    matched = with_first.join(split, partitions).map(lambda kv: tasks.link(kv[1][0][0], kv[1][0][1], kv[1][1], config))
    plain = measured.filter(lambda r: not r[5].needs_sentences(config)).map(lambda r: tasks.link(r, None, None, config))
    return matched.union(plain).filter(lambda found: found is not None).coalesce(partitions)


def _components(edges: np.ndarray, n: int) -> np.ndarray:
    """The connected component of every document (-1 for a document without links), from the
    links' ``(first index, second index)`` pairs: two integers per link on the driver,
    where scipy finds the components."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    found = np.full(n, -1, dtype=np.int64)
    if len(edges):
        graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        linked = np.unique(edges)
        found[linked] = labels[linked]
    return found


def _settle(links, component, indexed, config: ScanConfig, partitions: int):
    """Each component's clusters (with first rank keys and decisions) and oriented links."""
    keyed_links = links.map(lambda x: (int(component.value[x[0]]), (x[2], x[3])))
    keyed_docs = indexed.filter(lambda kv: component.value[kv[0]] >= 0).map(lambda kv: (int(component.value[kv[0]]), kv[1]))
    return keyed_docs.cogroup(keyed_links, partitions).map(lambda kv: tasks.settle(kv[1][0], kv[1][1], config))


def _align(oriented, by_id, partitions: int):
    """``(link, passages, coverage)`` of every oriented link."""
    with_source = oriented.map(lambda l: (l.source_id, l)).join(by_id, partitions).map(lambda kv: (kv[1][0].copy_id, (kv[1][0], kv[1][1].text)))
    with_both = with_source.join(by_id, partitions).map(lambda kv: (kv[1][0][0], kv[1][0][1], kv[1][1].text))
    return with_both.map(lambda x: (x[0], *align_texts(x[1], x[2])))


def _relations(clusters, aligned, partitions: int):
    """Each cluster with its decision, the copies' relations measured on the passages of their links."""
    member_of = clusters.flatMap(lambda kv: [(m, kv[0]) for m in kv[1][0].member_ids])
    by_source = aligned.map(lambda a: (a[0].source_id, a)).join(member_of, partitions).map(lambda kv: (kv[1][0][0].copy_id, kv[1]))
    inside = by_source.join(member_of, partitions).filter(lambda kv: kv[1][0][1] == kv[1][1]).map(lambda kv: (kv[1][1], kv[1][0][0]))
    return clusters.cogroup(inside, partitions).map(lambda kv: _with_passages(kv[0], list(kv[1][0])[0], list(kv[1][1])))


def _with_passages(cluster_id: int, found, aligned: list):
    cluster, (decision, key) = found
    links = sorted((a[0] for a in aligned), key=lambda l: (l.source_id, l.copy_id))
    passages = {(a[0].source_id, a[0].copy_id): a[1] for a in aligned}
    return cluster, provenance.with_passages({cluster_id: decision}, links, passages)[cluster_id], key


def _write_tables(spark, output: str, root: str, files, problems, indexed, aligned, decided, partitions: int) -> None:
    """Write the result tables as Parquet, each sorted in the order the local engine writes it."""
    documents = indexed.map(lambda kv: kv[1]).sortBy(lambda d: (d.path, d.record if d.record is not None else -1), numPartitions=partitions)
    _write(spark, output, "documents", documents.map(document_row), partitions)
    _write(spark, output, "files", [
        {"root": root, "path": f.path, "sha256": f.sha256, "size": f.size, "n_documents": count} for f, count in files
    ], partitions=1)
    _write(spark, output, "errors", [{"id": k + 1, "path": p.path, "reason": p.reason} for k, p in enumerate(problems)], partitions=1)
    ordered = aligned.sortBy(lambda a: (a[0].source_id, a[0].copy_id), numPartitions=partitions).cache()
    _write(spark, output, "links", ordered.map(
        lambda a: {**link_row(a[0]), "copy_coverage": a[2].copy_coverage, "source_coverage": a[2].source_coverage}
    ), partitions)
    numbered = ordered.flatMap(lambda a: passage_values(a[0], a[1])).zipWithIndex()
    _write(spark, output, "passages", numbered.map(lambda x: {"id": x[1] + 1, **dict(zip(PASSAGE_COLUMNS, x[0]))}), partitions)
    rows = decided.sortBy(lambda cd: cd[0].id, numPartitions=partitions).map(
        lambda cd: (cluster_table_rows(cd[0], cd[1], None, None, cd[2]), change_rows(None, {}, [cd[0]], {cd[0].id: cd[1]}))
    ).cache()
    _write(spark, output, "clusters", rows.map(lambda r: r[0][0]), partitions)
    _write(spark, output, "cluster_members", rows.flatMap(lambda r: r[0][1]), partitions)
    _write(spark, output, "evidence", _numbered(rows.flatMap(lambda r: r[0][2])), partitions)
    _write(spark, output, "cluster_changes", _numbered(rows.flatMap(lambda r: r[1])), partitions)


def _numbered(rows):
    return rows.zipWithIndex().map(lambda x: {"id": x[1] + 1, **x[0]})


def _write(spark, output: str, table: str, rows, partitions: int) -> None:
    """One table as Parquet under ``output/table``, with the columns and types of its SQLite
    table (less the columns that name a scan: the import's scan fills them)."""
    from pyspark.sql import types

    kinds = {"INTEGER": types.LongType(), "REAL": types.DoubleType(), "TEXT": types.StringType(), "BLOB": types.BinaryType()}
    columns = [(name, kind) for name, kind in table_columns()[table] if name not in SCAN_COLUMNS or table == "scans"]
    schema = types.StructType([types.StructField(name, kinds[kind], True) for name, kind in columns])
    names = [name for name, _ in columns]
    if isinstance(rows, list):
        rows = spark.sparkContext.parallelize(rows, max(1, partitions))
    records = rows.map(lambda row: tuple(_plain(row.get(name)) for name in names))
    spark.createDataFrame(records, schema).write.mode("overwrite").parquet(f"{output.rstrip('/')}/{table}")


def _plain(value):
    """A value as Parquet stores it (enums as their text, numpy numbers as Python's)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str):
        return str(value)
    return value


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

