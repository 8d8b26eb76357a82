"""Scale-out on Apache Spark: the same detection as ``dedup scan``, run as Spark jobs.

``scan`` reads a folder (or any path Spark reads: ``s3a://``, ``gs://``, ``hdfs://``) of
the formats dedup reads, runs every stage in Spark tasks with the local engine's functions
(``engine`` says what each stage shuffles) and writes Parquet tables that mirror the SQLite
schema under an output path. ``import_output`` loads such tables into a new database, which
``dedup show``, ``report`` and ``serve`` then use like one ``dedup scan`` wrote.

pyspark is an optional dependency (``pip install 'dedup[spark]'``), and Spark needs Java 17
or newer; without either, ``scan`` raises ``SparkError`` saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..config import ScanConfig
from ..db.connection import scan_transaction
from ..db.imports import RESULT_TABLES, import_results
from ..errors import DedupError, InputError
from ..models import ScanSummary
from ..indexing import index_stored


class SparkError(DedupError):
    """Spark cannot run here (pyspark or Java missing) or a Spark job failed."""


def scan(source: str, output: str, config: ScanConfig | None = None, *, master: str | None = None, partitions: int = 0) -> ScanSummary:
    """Scan the articles at ``source`` on Spark and write the result tables under ``output``.

    ``source`` is a local folder, or a path or glob Spark reads (``s3a://bucket/crawl/2026-*/``,
    ``corpus/*.jsonl``): files are then named relative to the folder before the first pattern.
    ``master`` is the Spark master URL (default: the one ``spark-submit`` set, else
    ``local[*]``); ``partitions`` the number of partitions of each shuffle (0: twice the
    cores Spark has). Returns the summary that ``dedup import`` records as the scan's.
    """
    from .engine import run

    config = config or ScanConfig()
    if "://" not in source and not any(c in source for c in "*?[{") and not Path(source).is_dir():  # said before Spark starts
        raise InputError(f"not a folder: {source}" if Path(source).exists() else f"folder not found: {source}")
    spark = session(master)
    try:
        count = partitions or max(2, 2 * spark.sparkContext.defaultParallelism)
        return run(spark, source, output, config, count)
    except DedupError:
        raise
    except Exception as exc:  # a failed job surfaces as a Py4J error with the task's traceback
        if type(exc).__module__.startswith(("py4j", "pyspark")):
            raise SparkError(f"the Spark job failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc
        raise
    finally:
        spark.stop()


def session(master: str | None = None):
    """A Spark session for dedup (UTC times, no web UI, executors on this Python)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkError("pyspark is not installed: pip install 'dedup[spark]'") from exc
    check_java()
    # Executors run this interpreter, which has dedup and its libraries.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("dedup")
    # Under spark-submit (which starts the JVM and says where) the master is its --master.
    if master or not os.environ.get("PYSPARK_GATEWAY_PORT"):
        builder = builder.master(master or "local[*]")
    spark = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def check_java() -> str:
    """The version line of the Java that Spark will use; ``SparkError`` when there is none
    or it is older than 17."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise SparkError("Spark needs Java 17 or newer, and no java was found: install it (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME")
    shown = subprocess.run([java, "-version"], capture_output=True, text=True).stderr.strip().splitlines()
    line = shown[0] if shown else ""
    digits = line.split('"')[1] if '"' in line else ""
    major = digits.split(".")[1] if digits.startswith("1.") else digits.split(".")[0]
    if not major.isdigit() or int(major) < 17:
        raise SparkError(f"Spark 4 needs Java 17 or newer; {java} is {line or 'unknown'}")
    return line


def import_output(output: str | Path, db_path: str | Path) -> int:
    """Load the tables ``scan`` wrote under ``output`` into the new database at ``db_path``,
    as one scan (one transaction: interrupted, it leaves nothing); return the scan's id."""
    import pyarrow.dataset

    output = Path(output)
    missing = [t for t in ("scans", *RESULT_TABLES) if not (output / t).is_dir()]
    if missing:
        raise InputError(f"{output} holds no dedup Spark output (missing tables: {', '.join(missing)})")

    def rows(table: str):
        for batch in pyarrow.dataset.dataset(output / table, format="parquet").to_batches():
            yield from batch.to_pylist()

    scans = list(rows("scans"))
    if len(scans) != 1:
        raise InputError(f"{output / 'scans'} should hold one scan, not {len(scans)}")
    with scan_transaction(db_path) as db:
        scan_id = import_results(db, scans[0], rows)
        index_stored(db, scan_id)  # so that dedup check answers from the index
        return scan_id


__all__ = ["SparkError", "check_java", "import_output", "scan", "session"]
