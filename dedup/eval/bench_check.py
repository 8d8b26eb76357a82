"""``dedup check`` benchmark: the time to check one article against a scanned corpus.

The corpus is ``bench.make_corpus``'s. One file in ``1 / share`` (spread over the corpus, so
that copies meet their sources) is held back and the rest is scanned; then each held-back
file is checked on its own, in one process, as a service calling ``dedup.check`` would.
The first ``compare`` of them are checked a second time by scanning a copy of the database
(``use_index=False``), and the two answers are compared.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..errors import InputError
from .bench import make_corpus


@dataclass(frozen=True)
class CheckBenchmark:
    """The figures of one ``benchmark_check`` run (times in milliseconds of wall time)."""

    stored_documents: int
    scan_seconds: float
    checked: int
    #: checks that found a copy or a reuse
    matched: int
    #: checks answered from the index (the others scanned a copy of the database)
    answered_by_index: int
    median_ms: float
    p95_ms: float
    max_ms: float
    compared: int
    #: of the compared checks, those whose answer equals the answer of a scan
    same_answer: int
    #: median time of the compared checks answered by a scan instead
    scan_median_ms: float

    def as_dict(self) -> dict:
        """The figures as printed by ``dedup bench check``."""
        return asdict(self)


def benchmark_check(
    source: Path, *, docs: int = 20_000, share: float = 0.01, compare: int = 10, workdir: Path | None = None
) -> CheckBenchmark:
    """Build a corpus of ``docs`` articles from ``source``, scan all but ``share`` of it, and
    check each held-back file against the database."""
    from ..checker import check
    from ..pipeline import scan

    if not 0 < share < 1:
        raise InputError(f"--share must be between 0 and 1, not {share}")
    with ExitStack() as stack:
        folder = Path(workdir) if workdir is not None else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dedup-bench-")))
        built, held_folder = folder / "corpus", folder / "held"
        for path in (built, held_folder):
            shutil.rmtree(path, ignore_errors=True)
        make_corpus(source, built, docs)
        files = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file())
        step = round(1 / share)
        held = [held_folder / f for k, f in enumerate(files) if k % step == step - 1]
        for path in held:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(built / path.relative_to(held_folder), path)
        db = folder / "bench.db"
        db.unlink(missing_ok=True)
        start = time.perf_counter()
        stored = scan(built, db).summary.n_documents
        scan_seconds = time.perf_counter() - start
        check([held[0]], db)  # the first check of a process imports and prepares what the others reuse
        times, by_index, matched, same, scanned = [], 0, 0, 0, []
        for k, path in enumerate(held):
            start = time.perf_counter()
            (result,) = check([path], db)
            times.append((time.perf_counter() - start) * 1000)
            by_index += result.answered_by == "index"
            matched += bool(result.matches)
            if k < compare:
                start = time.perf_counter()
                (other,) = check([path], db, use_index=False)
                scanned.append((time.perf_counter() - start) * 1000)
                same += replace(result, answered_by="") == replace(other, answered_by="")
        ordered = sorted(times)
        return CheckBenchmark(
            stored_documents=stored, scan_seconds=round(scan_seconds, 1), checked=len(held), matched=matched,
            answered_by_index=by_index, median_ms=round(statistics.median(ordered), 1),
            p95_ms=round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1), max_ms=round(ordered[-1], 1),
            compared=min(compare, len(held)), same_answer=same,
            scan_median_ms=round(statistics.median(scanned), 1) if scanned else 0.0,
        )
