"""The database package: the only code that knows the SQLite schema.

``schema`` holds the migrations and views, ``connection`` opens a database, ``write`` what a scan stores, ``read`` every
query, ``codec`` the stored form of passage diffs.
"""

from .connection import open_db
from .schema import MIGRATIONS

__all__ = ["MIGRATIONS", "open_db"]
