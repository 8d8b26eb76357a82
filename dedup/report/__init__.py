"""HTML reports: an index of the clusters and one page per cluster with its aligned passages.

Reading (``views``: ``dedup.db.read`` results → small frozen dataclasses) is kept apart from
rendering (``render``: jinja2, autoescaping on). Links are built from numeric cluster ids
only, never from article text. Pages are deterministic: the same database gives
byte-identical files. The database is opened read-only: a report never changes it.
"""

from __future__ import annotations

from pathlib import Path

from ..db import open_db
from ..errors import ReportError
from . import render, views
from .views import cluster_file

INDEX_FILE = "index.html"

__all__ = ["INDEX_FILE", "cluster_file", "write_report"]


def write_report(db_path: Path | str, out_dir: Path | str) -> list[Path]:
    """Write ``index.html`` and one page per cluster into ``out_dir``; return the files written.

    Cluster pages left over from an earlier report (``cluster-*.html`` whose cluster is gone)
    are removed, so the folder always matches the database.
    """
    db = open_db(db_path, readonly=True)
    try:
        env = render.environment()
        index = views.index_page(db)
        pages = {INDEX_FILE: render.index_html(index, env)}
        for row in index.clusters:
            pages[row.page] = render.cluster_html(views.cluster_page(db, row.id), env)
    finally:
        db.close()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create the report folder {out}: {exc.strerror}") from exc
    if not out.is_dir():
        raise ReportError(f"{out} is not a folder")
    for stale in sorted(out.glob("cluster-*.html")):
        if stale.name not in pages:
            stale.unlink()
    written = []
    for name, html in pages.items():
        path = out / name
        try:
            path.write_text(html, encoding="utf-8", newline="\n")
        except OSError as exc:
            raise ReportError(f"cannot write {path}: {exc.strerror}") from exc
        written.append(path)
    return written
