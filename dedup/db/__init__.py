"""The database package: the only code that knows the SQLite schema.

``schema`` holds the migrations and views, ``write`` what a scan stores, ``read`` every
query, ``codec`` the stored form of passage diffs.
"""

from .schema import MIGRATIONS, open_db

__all__ = ["MIGRATIONS", "open_db"]
