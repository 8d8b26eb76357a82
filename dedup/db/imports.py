"""Results computed elsewhere — the Spark engine's tables — written into a database as one scan."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping

from sqlite_utils import Database

from ..errors import StoreError
from .schema import MIGRATIONS
from .write import start_scan

#: The tables a scan fills, in an order that satisfies their foreign keys.
RESULT_TABLES = (
    "documents", "sketches", "files", "errors", "links", "clusters", "cluster_members", "evidence", "passages",
    "cluster_changes",
)
#: Columns that name the scan a row belongs to: an imported row belongs to the import's scan.
SCAN_COLUMNS = ("scan_id", "first_scan_id", "created_scan_id", "updated_scan_id")


def table_columns() -> dict[str, list[tuple[str, str]]]:
    """Each result table's columns as ``(name, SQLite type)``, plus ``scans``, as the
    migrations create them (so that tables written elsewhere mirror the schema)."""
    db = Database(memory=True)
    MIGRATIONS.apply(db)
    found = {}
    for table in (*RESULT_TABLES, "scans"):
        found[table] = [(column.name, column.type.upper()) for column in db[table].columns]
    db.close()
    return found


def import_results(db: Database, scan: Mapping, tables: Callable[[str], Iterable[Mapping]]) -> int:
    """Record ``scan`` (a ``scans`` row) and the rows of every result table; return the scan's id.

    ``tables(name)`` yields a table's rows in the order to insert them (their ids, where a
    table has one, are the ones given). The database must hold no documents: results found
    elsewhere cannot be merged with others, which were found without them. ``db`` must be
    inside a transaction (``connection.scan_transaction``).
    """
    if db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]:
        raise StoreError("the database already holds documents: import into a new database")
    scan_id = start_scan(
        db, scan["started_at"], scan["root"], json.loads(scan["parameters"]), scan["config_fingerprint"],
        json.loads(scan["versions"]),
    )
    columns = table_columns()
    for table in RESULT_TABLES:
        names = [name for name, _ in columns[table]]
        marks = ", ".join("?" for _ in names)
        statement = f"INSERT INTO [{table}] ({', '.join(f'[{n}]' for n in names)}) VALUES ({marks})"
        rows = (
            tuple(scan_id if name in SCAN_COLUMNS else row.get(name) for name in names) for row in tables(table)
        )
        db.conn.executemany(statement, rows)
    recorded = ("id", "started_at", "root", "parameters", "config_fingerprint", "versions")
    db["scans"].update(scan_id, {name: scan.get(name) for name, _ in columns["scans"] if name not in recorded})
    return scan_id
