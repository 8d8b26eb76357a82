"""The only module that knows the stage order: ingest → sketch → boilerplate → candidates →
verify (copy or reuse) → cluster → provenance → align → store."""

from __future__ import annotations

import json
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from importlib.metadata import version
from pathlib import Path

import numpy as np
from sqlite_utils import Database

from . import __version__, align, batches, boilerplate, candidates, folder, incremental, indexing, provenance, sketch
from .config import ScanConfig
from .db import read, write
from .db.connection import scan_transaction
from .errors import InputError
from .folder import FolderRead
from .models import Cluster, Document, InputProblem, Link, LinkRelation, Passage, ScanSummary, Sketch
from .workers import Background, parallel_map, scan_gc, shared, worker_count

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Detection:
    """What detection found in a set of documents."""

    links: list[Link]
    clusters: list[Cluster]
    #: how many distinct shingles were found to be boilerplate
    boilerplate_shingles: int
    #: cluster id → provenance decision (canonical, confidence, evidence); the copies' relations
    #: are filled after alignment by ``provenance.with_passages``
    decisions: dict[int, provenance.Decision]
    #: the sketches made (of the documents without a known sketch), in id order
    new_sketches: list[Sketch]
    #: ``boilerplate_digest`` of the boilerplate found
    boilerplate_digest: str
    #: cluster id → the ``provenance.decision_key`` of its decision
    decision_keys: dict[int, str]
    #: the boilerplate shingles found (sorted hashes)
    boilerplate: np.ndarray
    #: per document (in id order), whether shingles are left once boilerplate is out (LSH takes only those)
    banded: np.ndarray
    #: the candidate pairs (document numbers in id order) of LSH and of the passage index
    candidates: tuple[set[tuple[int, int]], set[tuple[int, int]]]


@dataclass(frozen=True)
class Settled:
    """What an earlier detection decided among ``document_ids``, all of them unchanged since
    and still present, with the same settings and versions.

    Candidate pairs among such documents are a subset of the earlier ones when nothing was
    removed (LSH buckets do not depend on other documents; a frequent shingle only ever
    yields fewer passage candidates as documents are added), and verifying a pair reads its
    two sketches and the boilerplate alone. So with the same boilerplate (``boilerplate_digest``),
    a pair of them that was not a link is not one now: only ``linked`` pairs and pairs with a
    new document need verifying.
    """

    boilerplate_digest: str
    document_ids: frozenset[str]
    linked: frozenset[tuple[str, str]]  # (smaller id, larger id)

    def to_verify(self, a: str, b: str) -> bool:
        """Whether the candidate pair ``a``, ``b`` must be verified."""
        if a not in self.document_ids or b not in self.document_ids:
            return True
        return (min(a, b), max(a, b)) in self.linked


@dataclass(frozen=True)
class ScanResult:
    """The summary of a scan, as stored in its ``scans`` row."""

    scan_id: int
    summary: ScanSummary
    problems: list[InputProblem]


def detect(
    docs: Sequence[Document],
    config: ScanConfig,
    previous: dict[int, frozenset[str]] | None = None,
    progress: Progress | None = None,
    known_sketches: Mapping[str, Sketch] | None = None,
    settled: Settled | None = None,
    known_decisions: Mapping[str, provenance.Decision] | None = None,
) -> Detection:
    """Find verified links (copy or reuse) and clusters among ``docs`` (a pure function of its inputs).

    ``known_sketches`` are sketches made before (``db.read.stored_sketches``): those
    documents are not tokenised and sketched again. The sketches made here are returned.
    ``settled`` is what an earlier detection found among documents all still here and
    unchanged (see ``Settled``): when the boilerplate is the same, the pairs among them
    that were not links are not verified again. ``known_decisions`` are provenance decisions
    made before, by ``provenance.decision_key``: a group with the same key is not decided
    again. None of them changes the result.
    """
    docs = sorted(docs, key=lambda d: d.id)
    by_id = {d.id: d for d in docs}
    workers = worker_count(config.workers)
    known_sketches = known_sketches or {}
    todo = [(d.id, d.text) for d in docs if d.id not in known_sketches]
    if progress:
        progress("sketch", 0, len(todo))
    made = parallel_map(partial(batches.sketch_texts, config=config), todo, workers)
    fresh = {item.doc_id: item for item in made}
    full = [known_sketches[d.id] if d.id in known_sketches else fresh[d.id] for d in docs]
    found = boilerplate.find_boilerplate(
        full, [boilerplate.site_of(d) for d in docs],
        corpus_min_docs=config.boilerplate_min_docs, max_related=config.boilerplate_max_related,
        site_related=config.boilerplate_site_related,
    )
    sketches = [sketch.strip(item, found) for item in full]
    del full
    banded = np.array([len(item.shingles) > 0 for item in sketches], dtype=bool)
    by_lsh, by_passage = candidates.lsh_pairs(sketches, config), candidates.passage_pairs(sketches, config)
    pairs = sorted(by_lsh | by_passage)
    digest = boilerplate.digest(found)
    if settled is not None and settled.boilerplate_digest == digest:
        pairs = [(i, j) for i, j in pairs if settled.to_verify(docs[i].id, docs[j].id)]
    if progress:
        progress("verify", 0, len(pairs))
    measured = parallel_map(partial(_verify_chunk, config=config), pairs, workers, shared=sketches)
    measured = _with_sentences(pairs, measured, [d.text for d in docs], found, config, workers)
    links, shared = [], {}
    for (i, j), figures in zip(pairs, measured):
        if figures is None:
            continue
        link = batches.make_link(
            docs[i].id, docs[j].id, figures, by_lsh=(i, j) in by_lsh, by_passage=(i, j) in by_passage, config=config
        )
        links.append(link)
        shared[(link.source_id, link.copy_id)] = figures.shared_shingles
    decide_all = partial(parallel_map, provenance.decide_items, workers=workers, min_items=PARALLEL_MIN_GROUPS)
    outcome = batches.settle(links, shared, by_id, previous or {}, config, decide_all, known_decisions)
    return Detection(
        links=outcome.links, clusters=outcome.clusters, boilerplate_shingles=len(found), decisions=outcome.decisions,
        new_sketches=made, boilerplate_digest=digest, decision_keys=outcome.decision_keys, boilerplate=found,
        banded=banded, candidates=(by_lsh, by_passage),
    )


def scan(
    root: Path, db_path: Path, config: ScanConfig | None = None, progress: Progress | None = None, *, prune: bool = False
) -> ScanResult:
    """Scan the folder ``root`` into the database at ``db_path``.

    The database may hold documents of other folders: they stay, and take part in
    detection. Files of ``root`` whose bytes did not change since its last scan are not
    parsed again; files gone from ``root`` are kept unless ``prune``. When files were only
    added, detection runs from the lookup index over what they reach (``incremental.add``);
    otherwise, or when the index cannot say it exactly, over every stored document. Either
    way the result equals a scan from scratch (``summary.detection`` says which ran).

    The scan is one transaction: interrupted at any point (even killed), it leaves the
    database as it was. While another scan writes to the database, it raises
    ``DatabaseBusyError`` at once; reading the database during a scan works.
    """
    config = config or ScanConfig()
    root = Path(root)
    if not root.exists():
        raise InputError(f"folder not found: {root}")
    if not root.is_dir():
        raise InputError(f"not a folder: {root} (dedup scan takes a folder of articles)")
    # One transaction from the scans row to the last passage: an interrupted scan writes nothing.
    with scan_transaction(db_path) as db, scan_gc():
        return _scan_into(db, root, config, progress, prune)


def _scan_into(db: Database, root: Path, config: ScanConfig, progress: Progress | None, prune: bool) -> ScanResult:
    """The work of ``scan``, inside its transaction on ``db``."""
    root_key = root.resolve().as_posix()
    _check_root_name(root_key, read.stored_roots(db))
    scan_id = write.start_scan(db, folder.now(), root_key, config.as_dict(), config.fingerprint(), versions())
    found = folder.read_folder(db, scan_id, root, root_key, config, progress, prune)
    note = None
    if read.has_documents(db):
        # A scan that only adds files is answered from the index when it can say exactly
        # what a scan over everything finds; otherwise (or when it cannot) detection runs
        # over every stored document.
        if found.counts["changed"] or found.removed:
            note = f"files changed or removed since the last scan ({found.counts['changed']} changed, {len(found.removed)} removed)"
        else:
            try:
                return _add_from_index(db, scan_id, root_key, config, found, progress)
            except incremental.NeedsScan as why:
                note = str(why)
    return _detect_everything(db, scan_id, root_key, config, found, progress, note)


def _add_from_index(db: Database, scan_id: int, root_key: str, config: ScanConfig, found: FolderRead, progress) -> ScanResult:
    """Detect what the new documents of ``found`` change, from the lookup index
    (``incremental.add``), and store it; raises ``incremental.NeedsScan`` (before writing
    anything) when the index cannot say exactly what a scan over everything finds."""
    if progress:
        progress("add", 0, len(found.new_docs))
    workers = worker_count(config.workers)
    addition = incremental.add(db, found.new_docs, config, versions(), workers)
    if progress:
        progress("add", len(found.new_docs), len(found.new_docs))
    new_paths = {d.path for d in found.new_docs}
    write.save_added_documents(
        db, scan_id, root=root_key, new_files=[f for f in found.files if f.path in new_paths], file_documents=found.file_documents,
        unchanged_paths=[f.path for f in found.files if f.path not in new_paths], restamped=found.restamped,
        new_documents=found.new_docs, problems=found.problems,
    )
    write.replace_results(
        db, scan_id, documents=addition.component, links=addition.links, clusters=addition.clusters, decisions=addition.decisions,
        decision_keys=addition.decision_keys, alignments=addition.alignments,
    )
    text_sha256 = {d.id: d.sha256 for d in found.new_docs}
    write.save_sketches(db, [(s, text_sha256[s.doc_id]) for s in addition.sketches], config.sketch_fingerprint(__version__))
    indexing.extend(db, scan_id, config, addition)
    summary = found.summary(
        **read.result_counts(db), n_boilerplate_shingles=len(addition.boilerplate),
        boilerplate_digest=boilerplate.digest(addition.boilerplate), detection="index",
    )
    write.save_summary(db, scan_id, summary)
    return ScanResult(scan_id=scan_id, summary=summary, problems=found.problems)


def _detect_everything(
    db: Database, scan_id: int, root_key: str, config: ScanConfig, found: FolderRead, progress, note: str | None
) -> ScanResult:
    """Detect over every stored document and the new ones of ``found``, and store it all;
    ``note`` says why the index was not used (None: the database was empty)."""
    previous_docs = {d.id: d for d in read.stored_documents(db)}
    new_docs = found.new_docs
    gone = set(found.removed) | {d.path for d in new_docs}
    kept_docs = [d for d in previous_docs.values() if d.root != root_key or d.path not in gone]
    kept_ids = sorted(d.id for d in kept_docs)
    all_docs = kept_docs + new_docs
    previous_members = read.stored_clusters(db)
    previous_rows = read.previous_clusters(db)
    # What the last scan (of any folder) found about unchanged documents is kept when
    # nothing that decides it (settings, versions) changed since: their sketches, the
    # alignments of their links, which of their pairs were links at all, and the provenance
    # decisions of clusters whose members and links did not change.
    latest = read.last_scan(db, scan_id)
    same_setup = latest is not None and latest["config_fingerprint"] == config.fingerprint() and json.loads(latest["versions"]) == versions()
    reusable = read.stored_alignments(db, kept_ids) if same_setup else {}
    sketch_fingerprint = config.sketch_fingerprint(__version__)
    kept_set = set(kept_ids)
    known_sketches = {k: v for k, v in read.stored_sketches(db, sketch_fingerprint).items() if k in kept_set}
    settled = None
    if same_setup and latest["boilerplate_digest"] and len(kept_docs) == len(previous_docs):
        settled = Settled(latest["boilerplate_digest"], frozenset(kept_ids), read.stored_link_pairs(db))
    known_decisions = read.stored_decisions(db) if same_setup else {}
    # Storing the documents (and indexing them for search) is SQLite work that runs beside
    # detection on a thread, on the same connection and in the same transaction; the main
    # thread does not touch the database until the thread has ended.
    with Background(
        write.save_documents, db, scan_id, root=root_key, files=found.files, file_documents=found.file_documents,
        removed_paths=found.removed, new_documents=new_docs, problems=found.problems,
    ):
        detection = detect(all_docs, config, previous_members, progress, known_sketches, settled, known_decisions)
    text_sha256 = {d.id: d.sha256 for d in all_docs}
    made = [(s, text_sha256[s.doc_id]) for s in detection.new_sketches]
    ordered = sorted(all_docs, key=lambda d: d.id)
    fresh = {s.doc_id: s for s in detection.new_sketches}
    sketches = [fresh[d.id] if d.id in fresh else known_sketches[d.id] for d in ordered]
    # The sketches and the lookup index are stored the same way, beside alignment.
    with Background(_save_index, db, scan_id, config, made, sketch_fingerprint, ordered, sketches, detection):
        alignments = align_links(detection.links, all_docs, worker_count(config.workers), progress, reusable)
    summary = found.summary(
        n_documents=len(all_docs),
        n_links=len(detection.links),
        n_reuse_links=sum(l.relation == LinkRelation.REUSE for l in detection.links),
        n_clusters=len(detection.clusters),
        n_clustered_documents=len({m for c in detection.clusters for m in c.member_ids}),
        n_boilerplate_shingles=detection.boilerplate_shingles,
        boilerplate_digest=detection.boilerplate_digest,
        detection_note=note,
    )
    # Links were oriented by provenance before alignment, so the passages already run
    # source → copy; they measure each copy's relation (verbatim, excerpt, expanded, edited).
    aligned = {(l.source_id, l.copy_id): passages for l, (passages, _) in zip(detection.links, alignments)}
    decisions = provenance.with_passages(detection.decisions, detection.links, aligned)
    write.save_results(
        db, scan_id, previous=previous_rows, links=detection.links, clusters=detection.clusters,
        decisions=decisions, summary=summary, decision_keys=detection.decision_keys,
    )
    write.save_passages(db, [(link, passages, figures) for link, (passages, figures) in zip(detection.links, alignments)])
    return ScanResult(scan_id=scan_id, summary=summary, problems=found.problems)


def _save_index(db: Database, scan_id: int, config: ScanConfig, made, sketch_fingerprint: str, docs, sketches, detection: Detection) -> None:
    """Store the new sketches and rebuild the lookup index over ``docs`` (sorted by id)."""
    write.save_sketches(db, made, sketch_fingerprint)
    indexing.rebuild(db, scan_id, config, versions(), docs, sketches, detection.boilerplate, detection.banded, detection.candidates)


def _check_root_name(root: str, stored: Sequence[str]) -> None:
    """Document ids name their folder by its name: refuse a second folder of the same name."""
    name = root.rsplit("/", 1)[-1]
    for other in stored:
        if other != root and other.rsplit("/", 1)[-1] == name:
            raise InputError(
                f"this database already holds a folder named {name!r} from elsewhere ({other}); "
                "rename one of them, or scan into another database"
            )


def align_links(
    links: Sequence[Link],
    docs: Sequence[Document],
    workers: int = 1,
    progress: Progress | None = None,
    known: Mapping[tuple[str, str], Sequence[Passage]] | None = None,
) -> list[tuple[list[Passage], align.Coverage]]:
    """The passage alignment of every link (in link order), with its coverage figures.

    ``known`` holds alignments computed before, by (source, copy): those links are not
    aligned again.
    """
    known = known or {}
    texts = {d.id: d.text for d in docs}
    todo = batches.grouped_pairs([(l.source_id, l.copy_id) for l in links if (l.source_id, l.copy_id) not in known])
    if progress:
        progress("align", 0, len(todo))
    fresh = dict(zip(todo, parallel_map(_align_chunk, todo, workers, shared=texts)))
    results = []
    for link in links:
        pair = (link.source_id, link.copy_id)
        if pair in fresh:
            results.append(fresh[pair])
        else:
            passages = list(known[pair])
            results.append((passages, align.coverage(passages, len(texts[link.source_id]), len(texts[link.copy_id]))))
    return results


def _align_chunk(pairs: list[tuple[str, str]]) -> list[tuple[list[Passage], align.Coverage]]:
    texts = shared()
    return [batches.align_texts(texts[source_id], texts[copy_id]) for source_id, copy_id in pairs]


# Below this many groups, starting worker processes costs more than deciding them here.
PARALLEL_MIN_GROUPS = 200


def _verify_chunk(pairs: list[tuple[int, int]], *, config: ScanConfig) -> list:
    """The measures of each candidate pair that is a copy or a reuse, or that sentence
    matching could make a copy; None for the others."""
    sketches = shared()
    return batches.measure_pairs(((sketches[i], sketches[j]) for i, j in pairs), config)


def _with_sentences(pairs, measured, texts, boilerplate_shingles, config: ScanConfig, workers: int) -> list:
    """Measures completed by sentence matching where it can decide (see
    ``verify.Measures.needs_sentences``); pairs that are then neither copy nor reuse are None.
    Only the documents of those pairs are split into sentences."""
    todo = [k for k, m in enumerate(measured) if m is not None and m.needs_sentences(config)]
    wanted = sorted({d for k in todo for d in pairs[k]})
    chunk = partial(_sentences_chunk, boilerplate=boilerplate_shingles, config=config)
    split = dict(zip(wanted, parallel_map(chunk, wanted, workers, shared=texts)))
    matched = parallel_map(partial(_complete_chunk, config=config), [(measured[k], *pairs[k]) for k in todo], workers, shared=split)
    done = dict(zip(todo, matched))
    return [done[k] if k in done else batches.complete(m, None, None, config) for k, m in enumerate(measured)]


def _complete_chunk(items: list, *, config: ScanConfig) -> list:
    split = shared()
    return [batches.complete(figures, split[i], split[j], config) for figures, i, j in items]


def _sentences_chunk(indices: list[int], *, boilerplate: np.ndarray, config: ScanConfig) -> list:
    texts = shared()
    return batches.sentences_of((texts[k] for k in indices), boilerplate, config)


@cache
def _versions() -> tuple[tuple[str, str], ...]:
    """``versions``, read once per process."""
    found = {"dedup": __version__, "python": platform.python_version()}
    for package in ("datasketch", "rapidfuzz", "sqlite-utils", "trafilatura", "numpy"):
        found[package] = version(package)
    return tuple(found.items())


def versions() -> dict[str, str]:
    """Versions of dedup, Python and the libraries that decide results."""
    return dict(_versions())
