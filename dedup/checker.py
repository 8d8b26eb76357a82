"""``dedup check``: is an article a copy or a reuse of the articles a database holds?

The answer is what a scan of the inputs into the database would store. The inputs are put
in a temporary folder named ``dedup-check`` (so the ids of their documents do not depend on
where the folder is) and read as a scan reads them. Then:

* **from the index** (``incremental.add``): what a scan would find about them is computed
  from the lookup index the last scan left, written into an empty in-memory database, and
  the answer is read from there (``answers.read_answers``);
* **by a scan**, when the index cannot say it exactly (``incremental.NeedsScan``: another
  scan's settings, a bucket past its cap…) or ``use_index=False``: the database is copied
  with SQLite's backup API, without its index, the folder is scanned into the copy with
  ``pipeline.scan`` (so over every stored document), and the answer is read from the copy,
  which is then removed.

Either way the real database is never written. With ``add=True`` the inputs are kept
instead: copied into the folder ``<db stem>.checked/`` beside the database, which is
scanned into the real database, and the answer is read from it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

from sqlite_utils import Database

from . import incremental, ingest
from .answers import INDEXED, NO_ARTICLE, SCANNED, CheckInput, CheckResult, ClusterInfo, Match, problem_text, read_answers
from .config import ScanConfig
from .db import MIGRATIONS, index, open_db, read, write
from .errors import InputError
from .incremental import NeedsScan
from .models import Document, InputProblem
from .pipeline import scan, versions

__all__ = ["CheckResult", "ClusterInfo", "Match", "check", "stdin_suffix"]

#: The name of the temporary folder the inputs are scanned from: document ids name it.
CHECK_FOLDER = "dedup-check"
#: The argument that stands for standard input.
STDIN = "-"
#: The file name standard input is checked under (its suffix says how it is read).
STDIN_NAME = "stdin"
#: The values of ``stdin_format``: the suffixes ``dedup scan`` reads, without the dot.
STDIN_FORMATS: tuple[str, ...] = tuple(suffix.lstrip(".") for suffix in ingest.SUPPORTED_SUFFIXES)
#: The folder ``add=True`` keeps the inputs in, beside the database: ``<db stem>.checked``.
CHECKED_SUFFIX = ".checked"


def check(
    paths: Sequence[Path | str], db_path: Path | str, config: ScanConfig | None = None, *, add: bool = False,
    stdin_format: str | None = None, use_index: bool = True,
) -> list[CheckResult]:
    """Check each file of ``paths`` (``-``: standard input) against the database at
    ``db_path``: one ``CheckResult`` per input, in order.

    The answer is what scanning the inputs into a copy of the database stores; the database
    is not written, unless ``add``: then the inputs that hold an article are kept in
    ``<db stem>.checked/`` and that folder is scanned into the database. ``stdin_format``
    (``txt``, ``json``, ``html``…) says how standard input is read, else ``stdin_suffix``
    guesses it. Raises ``InputError`` for a path that is not a readable file, ``StoreError``
    when there is no database.
    """
    config = config or ScanConfig()
    db_path = Path(db_path)
    inputs = _read_inputs(paths, stdin_format)
    with tempfile.TemporaryDirectory(prefix="dedup-check-") as temp:
        folder = Path(temp) / CHECK_FOLDER
        _stage(inputs, folder)
        if add:
            return _check_added(inputs, folder, db_path, config)
        if use_index:
            try:
                return _check_by_index(inputs, folder, db_path, config)
            except NeedsScan:
                pass  # the index cannot answer exactly: a scan of a copy does
        copy = Path(temp) / "copy.db"
        _backup(db_path, copy)
        result = scan(folder, copy, config)  # over every document: the copy has no index
        return read_answers(inputs, copy, folder.resolve().as_posix(), result.problems, how=SCANNED)


def _read_inputs(paths: Sequence[Path | str], stdin_format: str | None) -> list[CheckInput]:
    """Every input's bytes, read before any other work, so that a bad path stops the check
    at once. A name ``dedup scan`` would not read is a problem of its input."""
    if stdin_format is not None and stdin_format not in STDIN_FORMATS:
        raise InputError(f"unknown format {stdin_format!r} for standard input (one of {', '.join(STDIN_FORMATS)})")
    if not paths:
        raise InputError("no file to check")
    if sum(str(p) == STDIN for p in paths) > 1:
        raise InputError("standard input (-) can be checked only once")
    inputs = []
    for given in paths:
        if str(given) == STDIN:
            data = sys.stdin.buffer.read()
            inputs.append(CheckInput(STDIN, STDIN_NAME + stdin_suffix(data, stdin_format), data))
            continue
        path = Path(given)
        if not path.exists():
            raise InputError(f"no such file: {path}")
        if not path.is_file():
            raise InputError(f"not a file: {path} (dedup check takes article files; dedup scan takes a folder)")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
        item = CheckInput(str(given), path.name, data)
        if path.suffix.lower() not in ingest.SUPPORTED_SUFFIXES:
            item.problems.append(f"unsupported file type (supported: {', '.join(ingest.SUPPORTED_SUFFIXES)})")
        elif path.name.startswith("."):
            item.problems.append("hidden file: dedup scan skips it")
        inputs.append(item)
    return inputs


def stdin_suffix(data: bytes, stated: str | None = None) -> str:
    """The suffix standard input is checked under: ``.`` + ``stated`` when given; else
    ``.json`` when it parses as JSON, ``.jsonl`` when each line does, ``.html`` when it
    starts with an HTML tag (``<!doctype html``, ``<html``, ``<head``, ``<body``), else ``.txt``."""
    if stated:
        return f".{stated}"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        if _is_json(data):
            return ".json"
        if all(_is_json(line) for line in data.splitlines() if line.strip()):
            return ".jsonl"
    if re.match(rb"<(!doctype\s+html|html|head|body)\b", head[:200], re.IGNORECASE):
        return ".html"
    return ".txt"


def _is_json(data: bytes) -> bool:
    """Whether ``data`` parses as JSON."""
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def _stage(inputs: Sequence[CheckInput], folder: Path) -> None:
    """Write the inputs into ``folder`` under their names and set their ``where``. The
    second input of a name goes to ``2/NAME``, the third to ``3/NAME``, and so on."""
    folder.mkdir()
    seen: dict[str, int] = {}
    for item in inputs:
        if item.problems:
            continue
        seen[item.name] = seen.get(item.name, 0) + 1
        item.where = item.name if seen[item.name] == 1 else f"{seen[item.name]}/{item.name}"
        (folder / item.where).parent.mkdir(exist_ok=True)
        (folder / item.where).write_bytes(item.data)


def _backup(db_path: Path, copy: Path) -> None:
    """Copy the database at ``db_path``, opened read-only, to ``copy`` with SQLite's backup
    API (a consistent state, what the ``-wal`` file holds included)."""
    source = open_db(db_path, readonly=True)
    try:
        _refuse_check_folder(source, db_path)
        target = sqlite3.connect(copy)
        try:
            source.conn.backup(target)
            # Without its index, the scan of the copy detects over every stored document (a
            # scan from the index would compute what ``_check_by_index`` computes).
            index.discard(Database(target))
            target.commit()
        finally:
            target.close()
    finally:
        source.close()


def _check_by_index(inputs: Sequence[CheckInput], staged: Path, db_path: Path, config: ScanConfig) -> list[CheckResult]:
    """The answer from the lookup index (``incremental.add``), without a scan: what it finds is
    written into an empty in-memory database, and read from there as a scan's would be.
    Raises ``NeedsScan`` when the index cannot answer exactly."""
    root = staged.resolve().as_posix()
    problems: list[InputProblem] = []
    new: list[Document] = []
    for item in inputs:
        if item.where is not None:
            found, docs, inner = ingest.load(staged, item.where, config)
            problems += [p for p in [found, *inner] if isinstance(p, InputProblem)]
            new += [ingest.root_scoped(d, root) for d in docs or []]
    db = _reader(db_path)
    db.execute("BEGIN")  # one read transaction: every lookup sees the same state of the database
    try:
        _refuse_check_folder(db, db_path)
        addition = incremental.add(db, new, config, versions())
    finally:
        db.execute("ROLLBACK")
    answer = _empty_database()
    try:
        answer.execute("BEGIN")  # never committed: the database lives in memory for this answer only
        scan_id = write.start_scan(answer, "", root, {}, config.fingerprint(), {})
        write.save_documents(
            answer, scan_id, root=root, files=[], file_documents={}, removed_paths=[],
            # No answer reads a text: leaving them out saves indexing them for search.
            new_documents=[replace(d, text="") for d in addition.documents.values()], problems=[],
        )
        write.save_results(
            answer, scan_id, previous={}, links=addition.links, clusters=addition.clusters, summary=None,
            decisions=addition.decisions, decision_keys=addition.decision_keys,
        )
        write.save_passages(answer, [(l, p, c) for l, (p, c) in zip(addition.links, addition.alignments)])
        return read_answers(inputs, answer, root, problems, how=INDEXED)
    finally:
        answer.close()


_readers = threading.local()
#: How much of the database a kept connection maps into memory, at most (bytes).
MMAP_BYTES = 1 << 31


def _reader(db_path: Path) -> Database:
    """A read-only connection to the database at ``db_path``, kept from one check to the next
    in a thread while the database's files stay as they were: a service that checks article
    after article keeps SQLite's page cache and memory map warm, instead of paying for them
    again on every check."""
    key = (db_path.resolve(), _stamp(db_path), _stamp(db_path.with_name(db_path.name + "-wal")))
    kept = getattr(_readers, "kept", None)
    if kept is not None and kept[0] == key:
        return kept[1]
    if kept is not None:
        kept[1].close()
        _readers.kept = None
    db = open_db(db_path, readonly=True)
    db.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    _readers.kept = (key, db)
    return db


def _stamp(path: Path) -> tuple | None:
    """What tells a changed file: its inode, size and modification time (None: no file)."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)


@cache
def _migrated_schema() -> bytes:
    """An empty, migrated database, serialised (made once per process)."""
    db = Database(memory=True)
    MIGRATIONS.apply(db)
    data = db.conn.serialize()
    db.close()
    return data


def _empty_database() -> Database:
    """A new in-memory database with every migration applied."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.deserialize(_migrated_schema())
    return Database(conn)


def _refuse_check_folder(db: Database, db_path: Path) -> None:
    """Raise ``InputError`` when the database holds a folder named like the check's own."""
    clash = [root for root in read.stored_roots(db) if root.rsplit("/", 1)[-1] == CHECK_FOLDER]
    if clash:
        raise InputError(
            f"{db_path} holds a scanned folder named {CHECK_FOLDER!r} ({clash[0]}), the name dedup check "
            "gives its inputs: rename that folder"
        )


def _check_added(inputs: Sequence[CheckInput], staged: Path, db_path: Path, config: ScanConfig) -> list[CheckResult]:
    """Keep the inputs that hold an article in ``<db stem>.checked/`` and scan that folder
    into the database; the others are answered with their problems and not kept. An input
    whose name is taken there by other bytes gets a numbered name (``NAME-2.txt``); one
    already there with the same bytes is not copied again."""
    open_db(db_path, create=False).close()  # it must exist and be a dedup database
    kept = db_path.parent / f"{db_path.stem}{CHECKED_SUFFIX}"
    created: list[Path] = []
    for item in inputs:
        if item.where is None:
            continue
        found, docs, inner = ingest.load(staged, item.where, config)
        if not docs:
            item.problems += [problem_text(p, item.where) for p in [found, *inner] if isinstance(p, InputProblem)] or [NO_ARTICLE]
            item.where = None
            continue
        target = _free_name(kept, item.name, item.data)
        if not target.exists():
            kept.mkdir(exist_ok=True)
            target.write_bytes(item.data)
            created.append(target)
        item.where = target.name
    if not any(item.where for item in inputs):
        return read_answers(inputs, db_path, "", [], how=SCANNED)
    try:
        result = scan(kept, db_path, config)
    except BaseException:
        for path in created:  # a failed scan keeps nothing
            path.unlink()
        raise
    return read_answers(inputs, db_path, kept.resolve().as_posix(), result.problems, added=kept.name, how=SCANNED)


def _free_name(folder: Path, name: str, data: bytes) -> Path:
    """``folder / name``, or ``NAME-2.ext``, ``NAME-3.ext``…: the first that is free or
    already holds ``data``."""
    candidate, number = folder / name, 1
    while candidate.exists() and candidate.read_bytes() != data:
        number += 1
        candidate = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
    return candidate
