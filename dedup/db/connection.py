"""Opening a dedup database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from ..errors import StoreError
from .schema import MIGRATIONS


def open_db(path: Path | str, *, create: bool = True) -> Database:
    """Open (and migrate) the database at ``path``; with ``create=False`` it must exist."""
    path = Path(path)
    if not create and not path.exists():
        raise StoreError(f"no database at {path}: run `dedup scan FOLDER` first")
    try:
        # Not bound to one thread: a scan writes documents from a worker thread while the
        # main thread computes (never both at once).
        db = Database(sqlite3.connect(path, check_same_thread=False))
        db.execute("PRAGMA foreign_keys = ON")
        if create:
            db.enable_wal()
            MIGRATIONS.apply(db)
        elif "documents" not in db.table_names():
            raise StoreError(f"{path} is not a dedup database (no documents table)")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open {path} as a SQLite database: {exc}") from exc
    return db
