"""Reading a folder for a scan, against what the database holds of it: which files are new,
changed, unchanged, missing or removed, and the documents of the new and changed ones."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from sqlite_utils import Database

from . import ingest
from .config import ScanConfig
from .db import read
from .models import Document, InputProblem, ScanSummary, SourceFile
from .workers import parallel_map, worker_count


@dataclass
class FolderRead:
    """What a scan read from its folder, before detection (``read_folder``)."""

    paths: list[str]
    problems: list[InputProblem]
    skipped: int
    files: list[SourceFile]
    file_documents: dict[str, int]
    new_docs: list[Document]
    counts: dict[str, int]  # new, changed, unchanged files
    missing: list[str]
    removed: list[str]
    #: unchanged files read again (their stamp had changed): their new stamp is stored
    restamped: list[SourceFile]

    def summary(self, **figures) -> ScanSummary:
        """The scan's summary, with these file figures and the given detection ones."""
        return ScanSummary(
            finished_at=now(), n_files=len(self.paths), n_new_files=self.counts["new"], n_changed_files=self.counts["changed"],
            n_unchanged_files=self.counts["unchanged"], n_missing_files=len(self.missing), n_removed_files=len(self.removed),
            n_skipped_files=self.skipped, n_errors=len(self.problems), **figures,
        )


def read_folder(db: Database, scan_id: int, root: Path, root_key: str, config: ScanConfig, progress, prune: bool) -> FolderRead:
    """Read the files of the folder ``root`` (``root_key``: its absolute path) for the scan
    ``scan_id``: the new and changed ones are parsed; a stored file whose size and modification
    time are unchanged is not read, any other is hashed; ``prune`` counts the files gone from
    the folder as removed."""
    paths, problems, skipped = ingest.walk(root)
    known = read.stored_files(db, root_key)
    kept = {} if config.checksum else _unchanged_by_stamp(root, paths, known)
    last = read.last_scan(db, scan_id, root_key)
    # An unchanged file is not parsed again: the problems found inside it last time still hold.
    known_problems = read.file_problems(db, last["id"] if last else None)
    stored_counts = read.document_counts(db, root_key)
    files, new_docs = [], []
    file_documents: dict[str, int] = {}
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    if progress:
        progress("read", 0, len(paths))
    load_chunk = partial(_load_chunk, root=root, config=config)
    wanted = [(path, known[path].sha256 if path in known else None) for path in paths if path not in kept]
    loaded = dict(zip((path for path, _ in wanted), parallel_map(load_chunk, wanted, worker_count(config.workers))))
    restamped = []
    for path in paths:
        source, docs, file_problems = (kept[path], None, []) if path in kept else loaded[path]
        problems.extend(file_problems)
        if isinstance(source, InputProblem):
            problems.append(source)
        elif docs is None:
            counts["unchanged"] += 1
            files.append(source)
            if path not in kept and known[path] != source:  # read again: the same bytes, a new stamp
                restamped.append(source)
            problems.extend(known_problems.get(source.path, []))
            file_documents[source.path] = stored_counts.get(source.path, 0)  # its documents are kept as they are
        elif docs:  # a file that gave no document is only counted among the errors
            counts["changed" if source.path in known else "new"] += 1
            files.append(source)
            file_documents[source.path] = len(docs)
            new_docs.extend(ingest.root_scoped(d, root_key) for d in docs)
    present = {f.path for f in files}
    # A file gone from the folder is kept unless pruned; a file still there that can no
    # longer be read (or now holds no article) loses its old documents.
    missing = sorted(set(known) - set(paths))
    removed = sorted((set(known) & set(paths)) - present) + (missing if prune else [])
    return FolderRead(paths, problems, skipped, files, file_documents, new_docs, counts, missing, removed, restamped)


def _unchanged_by_stamp(root: Path, paths: list[str], known: dict[str, SourceFile]) -> dict[str, SourceFile]:
    """The stored files whose size and modification time are the stored ones: unchanged,
    without reading them (as make, rsync and git take it; ``--checksum`` reads them all)."""
    kept = {}
    folder = str(root)
    for path in paths:
        stored = known.get(path)
        if stored is None or stored.mtime_ns is None:
            continue
        try:
            stamp = ingest.file_stamp(os.path.join(folder, path))  # not a Path: 100,000 of them add up
        except OSError:
            continue  # reading it reports the problem
        if stamp == (stored.size, stored.mtime_ns):
            kept[path] = stored
    return kept


def _load_chunk(items: list[tuple[str, str | None]], *, root: Path, config: ScanConfig) -> list:
    return [ingest.load(root, path, config, known_sha256) for path, known_sha256 in items]


def now() -> str:
    """The time now (UTC, ISO 8601 with microseconds): when a scan starts and finishes."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
