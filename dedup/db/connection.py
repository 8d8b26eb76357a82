"""Opening a dedup database: for writing (created and migrated), or read-only (never changed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from ..errors import StoreError
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
        elif "documents" not in db.table_names():
            raise StoreError(f"{path} is not a dedup database (no documents table)")
        elif readonly and MIGRATIONS.pending(db):
            db.close()
            raise StoreError(f"{path} was written by an older dedup: run `dedup migrate --db {path}`")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open {path} as a SQLite database: {exc}") from exc
    return db


def migrate(path: Path | str) -> list[str]:
    """Apply the migrations the database at ``path`` lacks; return their names, in order."""
    db = open_db(path, create=False)
    try:
        pending = [migration.name for migration in MIGRATIONS.pending(db)]
        MIGRATIONS.apply(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot migrate {path}: {exc}") from exc
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
