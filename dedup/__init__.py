"""dedup: find syndicated and re-published news articles, show what changed, and store it in SQLite.

The Python API (the same library the ``dedup`` command calls)::

    import dedup

    result = dedup.scan("corpus/", "dedup.db")       # a ScanResult: scan_id, summary, problems
    print(result.summary.n_clusters, result.summary.n_copy_links)
    for row in dedup.list_clusters("dedup.db"):      # one dict per cluster
        detail = dedup.cluster_detail("dedup.db", row["id"])  # members, evidence, reuse, explanation
    dedup.write_report("dedup.db", "reports/")       # the HTML diff reports

    found = dedup.detect(documents, dedup.ScanConfig())  # links and clusters, no database
    for answer in dedup.check(["article.html"], "dedup.db"):  # a CheckResult per file
        print(answer.path, [m.as_dict() for m in answer.matches])

Names are imported on first use, so ``import dedup`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

#: public name → the module that defines it
_EXPORTS = {
    "scan": "dedup.pipeline",
    "detect": "dedup.pipeline",
    "ScanResult": "dedup.pipeline",
    "Detection": "dedup.pipeline",
    "ScanConfig": "dedup.config",
    "list_clusters": "dedup.api",
    "cluster_detail": "dedup.api",
    "check": "dedup.checker",
    "CheckResult": "dedup.answers",
    "Match": "dedup.answers",
    "write_report": "dedup.report",
    "open_db": "dedup.db",
    "Document": "dedup.models",
    "Link": "dedup.models",
    "LinkRelation": "dedup.models",
    "CopyRelation": "dedup.models",
    "Cluster": "dedup.models",
    "Passage": "dedup.models",
    "PassageKind": "dedup.models",
    "ScanSummary": "dedup.models",
    "InputProblem": "dedup.models",
    "DedupError": "dedup.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    """Import a public name from its module the first time it is used."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dedup' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

