"""dedup: find syndicated and re-published news articles, show what changed, and store it in SQLite."""

__version__ = "0.1.0"
