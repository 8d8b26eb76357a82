"""``dedup serve``: the database in Datasette, read-only, with the project's metadata and plugin.

``prepare()`` checks the database and the address and says what will be served; ``run()``
serves it with Datasette's Python API, the metadata passed in memory, so serving leaves no
file behind. ``write_metadata()`` writes the metadata next to the database (``dedup serve
--metadata-only``) for plain ``datasette -i dedup.db -m dedup.metadata.json``, and
``ServeOptions.datasette_args()`` is that command line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from ..db import open_db
from ..errors import ServeError, StoreError
from .metadata import PLUGIN, database_name, metadata

log = logging.getLogger(__name__)

REPORTS_MOUNT = "reports"
# Queries over every passage of a large scan (changed_numbers_or_quotes on 600,000 passages)
# take over Datasette's default limit of one second; facet suggestions cost up to 50 ms per
# column on every page, and the useful facets are configured anyway.
SETTINGS = {"sql_time_limit_ms": 5000, "suggest_facets": False}

__all__ = [
    "REPORTS_MOUNT", "SETTINGS", "ServeOptions", "check_database", "check_port", "database_name", "datasette",
    "metadata_path", "prepare", "register_plugin", "run", "write_metadata",
]


@dataclass(frozen=True)
class ServeOptions:
    """What ``dedup serve`` serves: the database, the address, and the report folder (if any)."""

    db_path: Path
    host: str = "127.0.0.1"
    port: int = 8001
    reports: Path | None = None

    @property
    def reports_url(self) -> str | None:
        """Where the report pages are served, or None without a report folder."""
        return f"/{REPORTS_MOUNT}/" if self.reports is not None else None

    def metadata(self) -> dict:
        """The Datasette metadata of the database (``dedup.serve.metadata``)."""
        return metadata(self.db_path, reports_url=self.reports_url)

    def datasette_args(self, metadata_file: Path) -> list[str]:
        """The ``datasette serve`` arguments that serve the same as ``run()``, with the metadata
        in ``metadata_file``: the database immutable, the settings, the reports folder."""
        args = ["serve", "-i", str(self.db_path), "-m", str(metadata_file), "--host", self.host, "--port", str(self.port)]
        for name, value in SETTINGS.items():
            args += ["--setting", name, str(value)]
        if self.reports is not None:
            args += ["--static", f"{REPORTS_MOUNT}:{self.reports}"]
        return args


def metadata_path(db_path: Path | str) -> Path:
    """Where ``write_metadata`` puts the metadata of a database: ``dedup.db`` → ``dedup.metadata.json``."""
    path = Path(db_path)
    return path.with_name(f"{path.stem}.metadata.json")


def check_database(db_path: Path | str) -> None:
    """Raise ``StoreError`` unless ``db_path`` is a dedup database with every migration applied."""
    open_db(db_path, readonly=True).close()


def check_port(host: str, port: int) -> None:
    """Raise ``ServeError`` when ``host:port`` cannot be listened on right now (taken, or not an address here)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ServeError(f"cannot listen on {host}:{port} ({reason}): choose another --port or --host") from exc


def prepare(db_path: Path | str, *, host: str = "127.0.0.1", port: int = 8001, reports: Path | None = Path("reports")) -> ServeOptions:
    """Check the database and return what to serve; nothing is written.

    The report folder is served under ``/reports/`` when it exists; without it the clusters
    have no report links.
    """
    check_database(db_path)
    if reports is not None and not Path(reports).is_dir():
        log.warning("no report folder %s: run `dedup report` to get the cluster pages", reports)
        reports = None
    return ServeOptions(Path(db_path), host, port, Path(reports) if reports is not None else None)


def write_metadata(options: ServeOptions) -> Path:
    """Write the metadata next to the database (``dedup.metadata.json``) and return its path."""
    path = metadata_path(options.db_path)
    text = json.dumps(options.metadata(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot write the Datasette metadata {path}: {exc.strerror}") from exc
    return path


def register_plugin() -> None:
    """Make sure Datasette loads the project's plugin (it is also an installed entry point)."""
    from datasette.plugins import pm

    from . import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name=PLUGIN)


def datasette(options: ServeOptions):
    """The Datasette application ``run()`` serves: the database immutable, the metadata, the
    settings and the reports folder."""
    from datasette.app import Datasette

    register_plugin()
    mounts = [(REPORTS_MOUNT, str(options.reports))] if options.reports is not None else []
    return Datasette(immutables=[str(options.db_path)], metadata=options.metadata(), settings=SETTINGS, static_mounts=mounts)


def run(options: ServeOptions) -> None:
    """Serve ``options`` until interrupted, as ``datasette serve`` does."""
    import uvicorn

    app = datasette(options)
    asyncio.run(app.invoke_startup())
    uvicorn.run(app.app(), host=options.host, port=options.port, log_level="info", lifespan="on", workers=1)
