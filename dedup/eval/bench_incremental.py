"""Incremental benchmark: adding a share of new files to a scanned corpus, against scanning
everything from scratch, in one run on the same files.

The corpus is ``bench.make_corpus``'s. One file in ``1 / share`` (spread over the corpus, so
that new copies meet old sources) is held back; the rest is scanned (the base), then the held
back files are added and the folder is scanned again (the increment: from the lookup index
when it can say what a scan over everything finds); finally the whole folder is scanned into
a fresh database (from scratch). Both databases must hold the same links and clusters.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ..db import open_db
from ..db.evaluation import detection_result
from ..errors import InputError
from .bench import make_corpus


@dataclass(frozen=True)
class IncrementalBenchmark:
    """The figures of one ``benchmark_incremental`` run (seconds of wall time)."""

    base_documents: int
    added_documents: int
    base_seconds: float
    increment_seconds: float
    scratch_seconds: float
    #: the increment and the scan from scratch stored the same links and clusters
    same_result: bool
    #: how the increment detected (``scans.detection``), and why not from the index
    increment_detection: str = "full"
    increment_note: str | None = None

    @property
    def ratio(self) -> float:
        """The increment's time as a share of the scan from scratch."""
        return self.increment_seconds / self.scratch_seconds


def _stored(db: Path) -> tuple[list, list]:
    """The links and the clusters' member sets a database holds (sorted)."""
    database = open_db(db, readonly=True)
    try:
        return detection_result(database)
    finally:
        database.close()


def benchmark_incremental(source: Path, *, docs: int = 20_000, share: float = 0.01, workdir: Path | None = None) -> IncrementalBenchmark:
    """Build a corpus of ``docs`` articles from ``source`` and time the three scans."""
    from ..pipeline import scan

    if not 0 < share < 1:
        raise InputError(f"--share must be between 0 and 1, not {share}")
    with ExitStack() as stack:
        folder = Path(workdir) if workdir is not None else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dedup-bench-")))
        built, feed, later = folder / "built", folder / "feed", folder / "later"
        for path in (built, feed, later):
            shutil.rmtree(path, ignore_errors=True)
        make_corpus(source, built, docs)
        files = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file())
        step = round(1 / share)
        held = {f for k, f in enumerate(files) if k % step == step - 1}
        for f in files:  # each file keeps its folder (a site's folder names its site)
            target = (later if f in held else feed) / f
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(built / f, target)
        step_db, scratch_db = folder / "incremental.db", folder / "scratch.db"
        for db in (step_db, scratch_db):
            db.unlink(missing_ok=True)
        start = time.perf_counter()
        base = scan(feed, step_db)
        base_seconds = time.perf_counter() - start
        for f in sorted(held):
            shutil.move(later / f, feed / f)
        start = time.perf_counter()
        increment = scan(feed, step_db).summary
        increment_seconds = time.perf_counter() - start
        start = time.perf_counter()
        scan(feed, scratch_db)
        scratch_seconds = time.perf_counter() - start
        return IncrementalBenchmark(
            base_documents=base.summary.n_documents, added_documents=len(held), base_seconds=base_seconds,
            increment_seconds=increment_seconds, scratch_seconds=scratch_seconds,
            same_result=_stored(step_db) == _stored(scratch_db), increment_detection=increment.detection,
            increment_note=increment.detection_note,
        )
