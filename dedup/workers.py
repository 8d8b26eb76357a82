"""Running a pure stage function over chunks of items in worker processes, and other work
on a thread beside them (``Background``).

Workers never touch SQLite and never inherit the parent's threads: they are started by
multiprocessing's ``forkserver`` (a clean server process, where the platform has one) or
``spawn`` (macOS, Windows), so a scan may write to its database on a thread while workers
compute. Data every chunk reads (``shared``) reaches each worker once, through the pool's
initialiser, instead of being pickled again with every chunk.

A worker ends when the process that started it does, however it ends (even killed): the
pool cannot tell its workers then, and they would wait for work for ever. The forkserver
ends by itself once no process that uses it is left.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from typing import Any

#: Below this many items, starting worker processes costs more than it saves.
PARALLEL_MIN_ITEMS = 400

# Garbage-collector thresholds while a scan runs. A scan builds millions of small objects
# that live to its end (passages, their edits, links) and makes no reference cycles in bulk;
# with the default thresholds the collector traverses them again and again (27% of the
# alignment time on the real-text benchmark). Rarer collections still free stray cycles.
_SCAN_GC_THRESHOLDS = (10_000, 50, 1_000)

# What the running map's chunks read: set by ``_install`` in each worker (and in this
# process while a map runs here), read through ``shared()``.
_shared: Any = None


def shared() -> Any:
    """The ``shared`` value of the map that is running this chunk."""
    return _shared


def _install(value: Any) -> None:
    global _shared
    _shared = value


@contextmanager
def scan_gc() -> Iterator[None]:
    """Collect garbage less often for the length of a ``with`` block (a scan), then as before."""
    before = gc.get_threshold()
    gc.set_threshold(*_SCAN_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _start_worker(value: Any) -> None:
    """The pool's initialiser: installs ``shared``, collects garbage as a scan does (the
    worker lives for one stage) and ends this worker with its parent."""
    _install(value)
    gc.set_threshold(*_SCAN_GC_THRESHOLDS)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), name="dedup-parent-watch", daemon=True).start()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    # ``join`` waits on the parent's sentinel, a pipe that reaches its end when the parent
    # process is gone: the results could no longer be delivered, so stop at once.
    parent.join()
    os._exit(1)


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
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_start_worker, initargs=(shared,)) as pool:
        return [result for chunk in pool.map(func, chunks) for result in chunk]


class Background:
    """Runs ``func(*args, **kwargs)`` on a thread for the length of a ``with`` block.

    Leaving the block waits for the thread and re-raises its exception, if any.
    """

    def __init__(self, func, *args, **kwargs) -> None:
        self._error: BaseException | None = None

        def run() -> None:
            try:
                func(*args, **kwargs)
            except BaseException as exc:  # handed to the main thread in __exit__
                self._error = exc

        self._thread = threading.Thread(target=run, name="dedup-writer")

    def __enter__(self) -> "Background":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._thread.join()
        if self._error is not None and exc_info[0] is None:
            raise self._error
