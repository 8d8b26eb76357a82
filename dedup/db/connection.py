"""Opening a dedup database: for writing (created and migrated), for one scan (one write
transaction), or read-only (never changed)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from ..errors import DatabaseBusyError, StoreError
from .schema import MIGRATIONS


def open_db(path: Path | str, *, create: bool = True, readonly: bool = False) -> Database:
    """Open the database at ``path``.

    By default it is created when missing and migrated. With ``create=False`` it must exist
    and be a dedup database; it is not migrated. With ``readonly=True`` it must exist too,
    is opened through SQLite's ``mode=ro`` (nothing can write to it), and must have every
    migration applied: a database from an older dedup raises ``StoreError`` asking for
    ``dedup migrate``.
    """
    path = Path(path)
    if (readonly or not create) and not path.exists():
        raise StoreError(f"no database at {path}: run `dedup scan FOLDER` first")
    try:
        if readonly:
            db = Database(sqlite3.connect(_readonly_uri(path), uri=True, check_same_thread=False))
        else:
            # Not bound to one thread: a scan writes documents from a worker thread while the
            # main thread computes (never both at once).
            db = Database(sqlite3.connect(path, check_same_thread=False))
            db.execute("PRAGMA foreign_keys = ON")
        if create and not readonly:
            db.enable_wal()
            MIGRATIONS.apply(db)
        elif not db.table_names():
            # What a first scan that was interrupted leaves: SQLite's header, nothing stored.
            db.close()
            raise StoreError(f"no database at {path}: run `dedup scan FOLDER` first")
        elif "documents" not in db.table_names():
            raise StoreError(f"{path} is not a dedup database (no documents table)")
        elif readonly and MIGRATIONS.pending(db):
            db.close()
            raise StoreError(f"{path} was written by an older dedup: run `dedup migrate --db {path}`")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open {path} as a SQLite database: {exc}") from exc
    return db


@contextmanager
def scan_transaction(path: Path | str) -> Iterator[Database]:
    """The database at ``path`` (created when missing) inside one write transaction, for one scan.

    Everything written in the block — the migrations a new or older database needs, then the
    whole scan — is committed when the block ends and rolled back when it raises; a process
    killed inside the block leaves the database as it was, since SQLite ignores the
    uncommitted part of the write-ahead log when the database is next opened. (On a new
    database that is an empty SQLite file, which the read commands take for no database.)
    The transaction starts with ``BEGIN IMMEDIATE``, which takes SQLite's write lock at once:
    while another scan holds it this raises ``DatabaseBusyError`` without waiting. Readers
    are not blocked (WAL): they see the database as it was before the scan until it commits.
    """
    db = _begin_scan(Path(path))
    try:
        MIGRATIONS.apply(db)
        yield db
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()


def _begin_scan(path: Path) -> Database:
    """A connection to ``path`` in WAL mode that holds the write lock (``BEGIN IMMEDIATE``)."""
    db = None
    try:
        # timeout=0: a second scan fails at once instead of waiting for the first one.
        db = Database(sqlite3.connect(path, check_same_thread=False, timeout=0))
        # Neither can change inside a transaction.
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        db.execute("BEGIN IMMEDIATE")
        return db
    except sqlite3.DatabaseError as exc:
        if db is not None:
            db.close()
        busy = isinstance(exc, sqlite3.OperationalError) and exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
        if not busy:
            raise StoreError(f"cannot open {path} as a SQLite database: {exc}") from exc
        pid = _writer_pid(path)
        held = f" (pid {pid})" if pid is not None else ""
        raise DatabaseBusyError(f"{path} is being written by another dedup scan{held}; try again when it has finished") from None


def _writer_pid(path: Path) -> int | None:
    """The process that holds SQLite's write lock on the WAL database ``path``, where the
    system lists file locks (Linux's ``/proc/locks``); None when it cannot be told.

    A WAL writer holds a POSIX lock on byte 120 of the ``-shm`` file (SQLite's
    ``WAL_WRITE_LOCK``); ``/proc/locks`` names each lock's file as ``major:minor:inode``.
    """
    try:
        shm = os.stat(f"{path}-shm")
        with open("/proc/locks") as found:
            lines = found.read().splitlines()
    except OSError:
        return None
    where = f"{os.major(shm.st_dev):02x}:{os.minor(shm.st_dev):02x}:{shm.st_ino}"
    for line in lines:
        fields = line.split()
        # Lines of processes waiting for a lock ("->") are not holders.
        if "->" in fields or len(fields) < 8:
            continue
        kind, pid, file, start = fields[-5:-1]
        if fields[1] == "POSIX" and kind == "WRITE" and file == where and start == "120":
            return int(pid)
    return None


def migrate(path: Path | str) -> list[str]:
    """Apply the migrations the database at ``path`` lacks, all in one transaction (a failed
    or interrupted migration leaves the database as it was); return their names, in order."""
    open_db(path, create=False).close()  # it must exist and be a dedup database
    db = _begin_scan(Path(path))
    try:
        pending = [migration.name for migration in MIGRATIONS.pending(db)]
        MIGRATIONS.apply(db)
        db.execute("COMMIT")
    except BaseException as exc:
        db.rollback()
        if isinstance(exc, sqlite3.DatabaseError):
            raise StoreError(f"cannot migrate {path}: {exc}") from exc
        raise
    finally:
        db.close()
    return pending


def _readonly_uri(path: Path) -> str:
    """The SQLite URI that opens ``path`` read-only.

    A read-only connection cannot remove the ``-wal`` and ``-shm`` files it creates beside a
    WAL database, so reading would leave them behind. When there is no ``-wal`` file no
    connection is open on the database (the last one to close removes it): nothing is
    writing, and the file is opened ``immutable``, which creates no file at all.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    if not path.with_name(f"{path.name}-wal").exists():
        uri += "&immutable=1"
    return uri
