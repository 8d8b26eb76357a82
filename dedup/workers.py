"""Running a pure stage function over chunks of items in worker processes.

Workers never touch SQLite and never inherit the parent's threads: they are started by
multiprocessing's ``forkserver`` (a clean server process, where the platform has one) or
``spawn`` (macOS, Windows), so a scan may write to its database on a thread while workers
compute. Data every chunk reads (``shared``) reaches each worker once, through the pool's
initialiser, instead of being pickled again with every chunk.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

#: Below this many items, starting worker processes costs more than it saves.
PARALLEL_MIN_ITEMS = 400

# What the running map's chunks read: set by ``_install`` in each worker (and in this
# process while a map runs here), read through ``shared()``.
_shared: Any = None


def shared() -> Any:
    """The ``shared`` value of the map that is running this chunk."""
    return _shared


def _install(value: Any) -> None:
    global _shared
    _shared = value


def worker_count(requested: int) -> int:
    """The number of worker processes for a ``workers`` setting (0: one per core)."""
    return requested or os.cpu_count() or 1


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The server imports the stages once; each worker is forked from it ready to run.
    context.set_forkserver_preload(["dedup.pipeline"])
    return context


def parallel_map(
    func: Callable[[list], list], items: list, workers: int, *, shared: Any = None, min_items: int = PARALLEL_MIN_ITEMS
) -> list:
    """``func`` maps a chunk (list) of items to a list of results; returns all results in
    input order. ``func`` must be a module-level function (or a ``functools.partial`` of
    one) and reads ``shared`` through ``workers.shared()``. Small inputs run in this
    process: the result never depends on ``workers``."""
    if workers <= 1 or len(items) < min_items:
        _install(shared)
        try:
            return func(items)
        finally:
            _install(None)
    size = -(-len(items) // (workers * 4))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_install, initargs=(shared,)) as pool:
        return [result for chunk in pool.map(func, chunks) for result in chunk]
