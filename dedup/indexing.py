"""Building the lookup index (``db.index``) that ``dedup check`` and incremental scans answer
from: from what a scan detected with (``rebuild``, at the end of a scan over every document),
from what a scan added (``extend``, at the end of a scan answered from the index), or from
the sketches a database holds (``index_stored``, for a database the Spark engine's import
wrote)."""

from __future__ import annotations

import json

import numpy as np
from sqlite_utils import Database

from . import __version__, boilerplate, candidates, incremental, sketch
from .config import ScanConfig
from .db import index, read
from .errors import StoreError


def rebuild(db: Database, scan_id: int, config: ScanConfig, found_versions: dict, docs, sketches, found, banded, pairs) -> None:
    """Rebuild the lookup index (``db.index``) of a scan's ``docs`` (in id order) and their
    ``sketches`` (before boilerplate), with the boilerplate ``found``, which documents take
    part in LSH (``banded``) and the candidate ``pairs`` (of LSH, of the passage index)."""
    bands, rows = candidates.lsh_bands(config)
    index.rebuild(
        db, scan_id, config_fingerprint=config.fingerprint(), versions=found_versions, sketches=sketches,
        sites=[boilerplate.site_of(d) for d in docs], boilerplate=found, banded=banded, bands=bands, rows=rows,
        lsh_pairs=pairs[0], passage_pairs=pairs[1],
    )


def index_stored(db: Database, scan_id: int) -> None:
    """Rebuild the lookup index of every document ``db`` holds from its stored sketch, with
    the settings and versions of the scan ``scan_id`` (for a database written by the Spark
    engine's import). Its boilerplate is found again, as ``detect`` finds it; a digest that
    differs from the scan's raises ``StoreError``."""
    row = db["scans"].get(scan_id)
    settings = json.loads(row["parameters"])
    settings["columns"] = tuple(tuple(pair) for pair in settings["columns"]) if settings.get("columns") else None
    config = ScanConfig(**settings)
    docs = read.stored_documents(db)
    stored = read.stored_sketches(db, config.sketch_fingerprint(__version__))
    missing = [d.path for d in docs if d.id not in stored]
    if missing:
        raise StoreError(f"{len(missing)} documents have no sketch (the first: {missing[0]}): scan again to index them")
    sketches = [stored[d.id] for d in docs]
    found = boilerplate.find_boilerplate(
        sketches, [boilerplate.site_of(d) for d in docs], corpus_min_docs=config.boilerplate_min_docs,
        max_related=config.boilerplate_max_related, site_related=config.boilerplate_site_related,
    )
    if row["boilerplate_digest"] and boilerplate.digest(found) != row["boilerplate_digest"]:
        raise StoreError(f"the boilerplate found again differs from scan {scan_id}'s: the index was not built")
    stripped = [sketch.strip(s, found) for s in sketches]
    banded = np.array([len(s.shingles) > 0 for s in stripped], dtype=bool)
    pairs = (candidates.lsh_pairs(stripped, config), candidates.passage_pairs(stripped, config))
    rebuild(db, scan_id, config, json.loads(row["versions"]), docs, sketches, found, banded, pairs)


def extend(db: Database, scan_id: int, config: ScanConfig, addition: incremental.Addition) -> None:
    """Extend the lookup index with the documents a scan added from the index
    (``incremental.add``'s ``addition``), so that it describes the scan ``scan_id``."""
    bands, rows = candidates.lsh_bands(config)
    new_ids = [s.doc_id for s in addition.sketches]
    index.extend(
        db, index.load_state(db), scan_id, sketches=addition.sketches,
        sites=[boilerplate.site_of(addition.documents[doc_id]) for doc_id in new_ids], boilerplate=addition.boilerplate,
        banded=addition.banded, bands=bands, rows=rows, queried=[*new_ids, *addition.touched],
        lsh_pairs=addition.candidates[0], passage_pairs=addition.candidates[1],
    )
