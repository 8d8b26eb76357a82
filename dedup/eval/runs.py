"""One function per evaluation: it takes the data folder (and where to keep the scan), builds
the scan folder when the corpus needs converting, scans it with the default settings, scores
the database and returns the figures as plain JSON-able data (what ``dedup eval …`` prints).

Without ``db`` the scan goes to a temporary database, removed when the figures are read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

from ..db import open_db
from ..errors import InputError
from ..pipeline import scan
from . import corpora, news, pan_scores, scores

Built = TypeVar("Built")


@contextmanager
def _database_path(db: Path | None) -> Iterator[Path]:
    """``db``, or a database in a temporary folder that is removed afterwards."""
    if db is not None:
        yield Path(db)
        return
    with tempfile.TemporaryDirectory(prefix="dedup-eval-") as holder:
        yield Path(holder) / "eval.db"


@contextmanager
def _opened(path: Path) -> Iterator[Database]:
    """The database that a run has just scanned into, open for reading."""
    database = open_db(path, create=False)
    try:
        yield database
    finally:
        database.close()


@contextmanager
def _scanned(folder: Path, db: Path | None) -> Iterator[Database]:
    """The database of a scan of ``folder``, open for reading."""
    with _database_path(db) as path:
        scan(Path(folder), path)
        with _opened(path) as database:
            yield database


@contextmanager
def _built_and_scanned(build: Callable[[Path], Built], db: Path | None, prefix: str) -> Iterator[tuple[Database, Built]]:
    """Build a scan folder with ``build(folder)`` in a temporary folder, scan it, and give the
    open database with what ``build`` returned (the labels)."""
    with _database_path(db) as path:
        with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
            # Named "corpus", not by the random temporary name: document ids hash the folder's
            # name, and their order decides ties, so every run must see the same name.
            folder = Path(scratch) / "corpus"
            folder.mkdir()
            built = build(folder)
            scan(folder, path)
        with _opened(path) as database:
            yield database, built


@contextmanager
def _kept_or_temporary(out: Path | None, prefix: str) -> Iterator[Path]:
    """``out`` (kept), or a temporary folder."""
    if out is not None:
        yield Path(out)
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        yield Path(scratch)


def _require_pan_labels(folder: Path) -> None:
    if not (Path(folder) / "pair_labels.tsv").exists():
        raise InputError(f"{folder} has no pair_labels.tsv (expected the pan13-train folder)")


def evaluate_gold_clusters(gold: Path, db: Path) -> dict:
    """Score the existing scan in ``db`` (opened read-only) against gold clusters (a Clough &
    Stevenson folder, or a .csv/.tsv/.json file of path → cluster): pairwise P/R/F1 and ARI,
    singletons counted."""
    database = open_db(db, readonly=True)
    try:
        gold_labels = scores.load_gold(gold)
        return scores.cluster_scores(scores.predicted_labels(database), gold_labels)
    finally:
        database.close()


def evaluate_clough(folder: Path, db: Path | None = None) -> dict:
    """Clough & Stevenson: ARI, pairwise P/R, recall per reuse level, and whether each
    ``orig_task*`` is its cluster's canonical (``canonical``)."""
    with _scanned(folder, db) as database:
        return {**scores.score_clough(database, folder), "canonical": scores.clough_canonical(database)}


def evaluate_pan(folder: Path, db: Path | None = None) -> dict:
    """PAN 2013 (``src/`` and ``susp/`` scanned together): document pairs per subset, and the
    direction of the stored links (``direction``)."""
    _require_pan_labels(folder)
    with _scanned(folder, db) as database:
        return {**pan_scores.score_pan(database, folder), "direction": pan_scores.pan_direction(database, folder)}


def evaluate_pan_passages(folder: Path, db: Path | None = None) -> dict:
    """PAN 2013: PAN's plagdet of the aligned passages per subset."""
    _require_pan_labels(folder)
    with _scanned(folder, db) as database:
        return pan_scores.score_pan_passages(database, folder)


def evaluate_synth(
    source: Path, db: Path | None = None, out: Path | None = None, *, stories: int = 120, singles: int = 60, seed: int = 7
) -> dict:
    """A syndication set generated from ``source`` (kept in ``out`` when given): cluster scores,
    canonical accuracy and relations."""
    with _database_path(db) as path:
        with _kept_or_temporary(out, "dedup-synth-") as folder:
            truth = corpora.build_synth_set(source, folder, stories=stories, singles=singles, seed=seed)
            scan(folder / "articles", path)
        with _opened(path) as database:
            return scores.score_synth(database, truth)


def evaluate_lee(folder: Path, db: Path | None = None) -> list[dict]:
    """The Lee ABC news corpus (one article per line): what was clustered."""
    with _built_and_scanned(partial(corpora.build_lee_corpus, folder), db, "dedup-lee-") as (database, _):
        return scores.describe_clusters(database)


def evaluate_bbc(folder: Path, db: Path | None = None) -> dict:
    """The BBC News corpus: the near-duplicate clusters it contains."""
    with _scanned(folder, db) as database:
        clusters = scores.describe_clusters(database)
        return {"n_clusters": len(clusters), "clusters": clusters}


def evaluate_meter(folder: Path, db: Path | None = None, *, domain: str = "showbiz", out: Path | None = None) -> dict:
    """METER's PA wire copy with the newspaper stories of ``domain`` (the corpus and its labels
    kept in ``out`` when given): "derived" per journalist label."""
    with _database_path(db) as path:
        with _kept_or_temporary(out, "dedup-meter-") as base:
            gold = corpora.build_meter_set(folder, domain, base)
            scan(base / "corpus", path)
        with _opened(path) as database:
            return news.meter_report(database, gold)


def evaluate_l3s(folder: Path, db: Path | None = None) -> dict:
    """L3S-GN1: body extraction against the labelled body, clusters and their suspects."""
    with _built_and_scanned(partial(corpora.build_l3s_corpus, folder), db, "dedup-l3s-") as (database, paths):
        return news.l3s_report(database, folder, paths)


def evaluate_extraction(folder: Path, db: Path | None = None) -> dict:
    """The article-extraction benchmark: body extraction against ``articleBody``, and clusters
    (none wanted: every page is a different article)."""
    with _built_and_scanned(partial(corpora.build_extraction_corpus, folder), db, "dedup-extraction-") as (database, gold):
        return news.extraction_report(database, gold)


def evaluate_news_events(folder: Path, db: Path | None = None) -> dict:
    """news-events (one folder per publisher): the clusters and links, for reading."""
    with _built_and_scanned(partial(corpora.build_news_events_corpus, folder), db, "dedup-news-events-") as (database, rows):
        return news.news_events_report(database, rows)
