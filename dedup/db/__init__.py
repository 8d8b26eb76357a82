"""The database package: the only code that knows the SQLite schema.

``schema`` holds the migrations and views, ``connection`` opens (and migrates) a database,
``write`` what a scan stores, ``read`` the queries of the commands and reports,
``evaluation`` the queries of the evaluations, ``queries`` the SQL Datasette runs (canned
queries), and ``codec`` the stored form of passage diffs.
"""

from .connection import migrate, open_db
from .schema import MIGRATIONS

__all__ = ["MIGRATIONS", "migrate", "open_db"]
