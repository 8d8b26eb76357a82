"""``dedup bench spark``: the local engine and the Spark engine on one generated corpus, side
by side in one run, with a check that both found the same."""

from __future__ import annotations

import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ..db.connection import open_db
from ..db.evaluation import engine_result
from .bench import dedup_scan, make_corpus


@dataclass(frozen=True)
class SparkBenchmark:
    """Figures of both engines on one corpus."""

    documents: int
    local_seconds: float
    #: the Spark scan, from starting the session to the last table written
    spark_seconds: float
    import_seconds: float
    master: str
    clusters: int
    same_result: bool

    def as_dict(self) -> dict:
        """The figures with docs/s and the Spark/local ratio."""
        return {
            "documents": self.documents, "master": self.master, "clusters": self.clusters, "same_result": self.same_result,
            "local": {"seconds": round(self.local_seconds, 1), "docs_per_second": round(self.documents / self.local_seconds, 1)},
            "spark": {"seconds": round(self.spark_seconds, 1), "docs_per_second": round(self.documents / self.spark_seconds, 1),
                      "import_seconds": round(self.import_seconds, 1)},
            "spark_vs_local": round(self.local_seconds / self.spark_seconds, 3),
        }


def benchmark_spark(source: Path, *, docs: int = 20_000, master: str = "local[2]", workdir: Path | None = None) -> SparkBenchmark:
    """Generate ``docs`` articles from ``source`` (``make_corpus``), scan them with both engines
    and compare what they stored."""
    from ..spark import import_output, scan

    with ExitStack() as stack:
        folder = Path(workdir) if workdir is not None else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dedup-bench-")))
        corpus = folder / "corpus"
        make_corpus(source, corpus, docs)
        local = dedup_scan(corpus, folder / "local.db")
        start = time.perf_counter()
        scan(str(corpus), str(folder / "spark-out"), master=master)
        spark_seconds = time.perf_counter() - start
        spark_db = folder / "spark.db"
        spark_db.unlink(missing_ok=True)
        start = time.perf_counter()
        import_output(folder / "spark-out", spark_db)
        import_seconds = time.perf_counter() - start
        same = _result(spark_db) == _result(folder / "local.db")
        return SparkBenchmark(local["documents"], local["seconds"], spark_seconds, import_seconds, master, local["clusters"], same)


def _result(path: Path) -> dict:
    db = open_db(path, readonly=True)
    try:
        return engine_result(db)
    finally:
        db.close()
