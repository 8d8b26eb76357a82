"""Crash safety and one scan at a time, for real: ``dedup scan`` runs in a subprocess, is killed
with SIGKILL at several points, and the database, the processes left and the next scan are
checked; a second scan started while one runs fails at once, and reading works meanwhile."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import article_body, seed_path
from dedup.config import ScanConfig
from dedup.db.connection import _writer_pid
from dedup.errors import DatabaseBusyError
from dedup.pipeline import scan

# The processes of a scan and the holder of a database's lock are found through Linux's /proc.
pytestmark = pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs /proc (Linux)")

#: Pairs of copies: enough documents that files are read and sketched in worker processes,
#: and enough links and clusters that alignment and provenance run there too.
N_PAIRS = 420
#: Pairs rewritten before the scans that are killed: enough changed files to read in workers.
N_CHANGED = 220
#: When the scans are killed, in seconds after their start (until one finishes first).
KILL_AFTER = (0.2, 0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 60)
#: How long the processes of a killed scan may take to notice and end.
GRACE = 10.0


def write_pair(folder: Path, number: int, seed: int) -> None:
    """Two copies of one article (the words of a seed article in an order of their own)."""
    words = article_body(seed_path("000" if number % 2 else "002").read_text()).split()
    random.Random(seed).shuffle(words)
    text = " ".join(words)
    (folder / f"{number:04d}a.txt").write_text(text + "\n")
    (folder / f"{number:04d}b.txt").write_text(f"Wire copy {number}\n{text}\nDistributed by the wire.\n")


def change_folder(folder: Path) -> None:
    """What the scans that are killed have to do: changed, new and removed files (pruned)."""
    for number in range(N_CHANGED):
        write_pair(folder, number, seed=10_000 + number)
    for number in range(N_PAIRS, N_PAIRS + 10):
        write_pair(folder, number, seed=number)
    for name in ("0300a.txt", "0301b.txt"):
        (folder / name).unlink()


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> Path:
    """A folder of ``N_PAIRS`` pairs of copies."""
    folder = tmp_path_factory.mktemp("crash") / "pairs"
    folder.mkdir()
    for number in range(N_PAIRS):
        write_pair(folder, number, seed=number)
    return folder


def add_files(folder: Path) -> None:
    """What the other scans that are killed have to do: only new files, so that they detect
    from the lookup index and extend it."""
    for number in range(N_PAIRS, N_PAIRS + N_CHANGED):
        write_pair(folder, number, seed=number)


#: How each kind of change is detected by the scan that finishes.
DETECTION = {change_folder: "full", add_files: "index"}


def scanned_then(pairs: Path, tmp_path: Path, change) -> tuple[Path, Path]:
    """A copy of the folder of pairs scanned (with workers) into a database, then ``change``d."""
    folder, db = tmp_path / "pairs", tmp_path / "dedup.db"
    shutil.copytree(pairs, folder)
    scan(folder, db, ScanConfig(workers=2))
    change(folder)
    return folder, db


@pytest.fixture
def changed(pairs: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The folder of pairs scanned, then with files changed, added and removed."""
    return scanned_then(pairs, tmp_path, change_folder)


@pytest.fixture(params=[change_folder, add_files], ids=["changed", "added"])
def rescanned(pairs: Path, tmp_path: Path, request) -> tuple[Path, Path, str]:
    """The folder of pairs scanned, then changed, or with files added only; with how the
    rescan of each detects."""
    return (*scanned_then(pairs, tmp_path, request.param), DETECTION[request.param])


def dump(db: Path) -> list[str]:
    """Every table of the database, schema and rows, as SQL (the search index included)."""
    con = sqlite3.connect(db)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def scans_of(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT id, root, finished_at IS NOT NULL FROM scans ORDER BY id").fetchall()
    finally:
        con.close()


def results(db: Path) -> dict:
    """What a scan stored, by file path: row ids, scan numbers and cluster numbers aside (a
    rescan keeps the numbers of its clusters, a scan from scratch numbers them anew)."""
    con = sqlite3.connect(db)
    where = {i: p for i, p in con.execute("SELECT id, path FROM documents")}
    story = {i: where[c] for i, c in con.execute("SELECT id, canonical_id FROM clusters")}
    found = {
        "documents": sorted(con.execute("SELECT path, record, text, title, sha256, n_words FROM documents")),
        "files": sorted(con.execute("SELECT path, sha256, size, n_documents FROM files")),
        "links": sorted(
            (where[s], where[c], *rest)
            for s, c, *rest in con.execute("SELECT source_id, copy_id, jaccard, containment, relation, copy_coverage FROM links")
        ),
        "clusters": sorted(con.execute(
            "SELECT d.path, c.size, c.mean_similarity, c.confidence FROM clusters c JOIN documents d ON d.id = c.canonical_id"
        )),
        "members": sorted(
            (story[i], where[d], *rest)
            for i, d, *rest in con.execute("SELECT cluster_id, document_id, role, similarity, relation, score FROM cluster_members")
        ),
        "passages": sorted(
            (where[s], where[c], *rest)
            for s, c, *rest in con.execute("SELECT source_id, copy_id, position, kind, source_start, copy_start, diff FROM passages")
        ),
    }
    con.close()
    return found


def dedup_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from dedup.cli import main; main()", *args]


def marked(mark: str) -> dict[int, str]:
    """The live processes (not zombies) that carry ``mark`` in their environment, with their
    command lines: a scan's processes all inherit its environment (forkserver, workers,
    resource tracker), and keep it when their parent dies and they are re-parented."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            environ = (entry / "environ").read_bytes()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if state != "Z" and f"DEDUP_TEST_MARK={mark}".encode() in environ.split(b"\0"):
            found[int(entry.name)] = command
    return found


def wait_until_gone(mark: str) -> dict[int, str]:
    """The processes of ``mark`` still alive after ``GRACE`` seconds (none, when all is well);
    they are killed, so that a failing test leaves nothing behind either."""
    deadline = time.monotonic() + GRACE
    while (left := marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


#: A kill point: as soon as the scan's worker processes run.
WHEN_WORKERS_RUN = "when its workers run"


def workers_run(running: dict[int, str]) -> bool:
    """Whether a pool runs: the forkserver and the pool's workers all run the forkserver's
    command line."""
    return sum("forkserver" in command for command in running.values()) >= 2


def still_running(process: subprocess.Popen, mark: str, delay: float | str) -> bool:
    """Wait ``delay`` seconds (or until the scan's workers run); whether the scan still runs."""
    if delay == WHEN_WORKERS_RUN:
        deadline = time.monotonic() + KILL_AFTER[-1]
        while process.poll() is None and time.monotonic() < deadline:
            if workers_run(marked(mark)):
                return True
            time.sleep(0.02)
        return process.poll() is None
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        return True
    return False


def start_scan(folder: Path, db: Path, mark: str, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            dedup_command("scan", str(folder), "--db", str(db), "--workers", "2", "--prune", "-q"),
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "DEDUP_TEST_MARK": mark},
        )


def test_a_killed_scan_leaves_the_database_as_it_was_and_no_process_behind(rescanned, tmp_path: Path):
    folder, db, detection = rescanned
    before, before_scans = dump(db), scans_of(db)
    clusters_before = subprocess.run(dedup_command("clusters", "--db", str(db), "--json"), capture_output=True, text=True, check=True).stdout
    kills, with_workers = [], 0
    # First killed as soon as its worker processes run, then after growing delays.
    for delay in (WHEN_WORKERS_RUN, *KILL_AFTER):
        mark = uuid.uuid4().hex
        process = start_scan(folder, db, mark, tmp_path / "scan.log")
        if not still_running(process, mark, delay):
            assert process.returncode == 0, (tmp_path / "scan.log").read_text()
            break
        with_workers += workers_run(marked(mark))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        kills.append(delay)
        left = wait_until_gone(mark)
        assert not left, f"killed after {delay} s, still running: {left}"
        assert integrity(db) == "ok"
        if scans_of(db) != before_scans:
            # Killed after its commit (while exiting): then the scan is all there.
            assert scans_of(db) == [*before_scans, (before_scans[-1][0] + 1, before_scans[-1][1], 1)], f"killed after {delay} s"
            break
        # Read-only, as the read commands open it: the write-ahead log the kill left is read.
        listed = subprocess.run(dedup_command("clusters", "--db", str(db), "--json"), capture_output=True, text=True)
        assert (listed.returncode, listed.stdout) == (0, clusters_before), f"killed after {delay} s: {listed.stderr}"
        assert dump(db) == before, f"killed after {delay} s"
    else:
        pytest.fail(f"no scan finished within {KILL_AFTER[-1]} s")
    assert len(kills) >= 4 and with_workers >= 1, (kills, with_workers)
    assert wait_until_gone(mark) == {}
    assert integrity(db) == "ok"
    # The scan that finished equals a scan of the changed folder from scratch.
    fresh = tmp_path / "fresh.db"
    scan(folder, fresh, ScanConfig(workers=2))
    assert results(db) == results(fresh)
    assert scans_of(db)[-1][2] == 1 and len(scans_of(db)) == len(before_scans) + 1
    assert sqlite3.connect(db).execute("SELECT detection FROM scans ORDER BY id DESC LIMIT 1").fetchone() == (detection,)


def test_a_killed_first_scan_leaves_no_database(changed, tmp_path: Path):
    """A new database killed during its first scan holds nothing: no tables, no scans row, and
    the read commands say there is no database."""
    folder, _ = changed
    db = tmp_path / "new.db"
    mark = uuid.uuid4().hex
    process = start_scan(folder, db, mark, tmp_path / "scan.log")
    # Killed once it holds the write lock, i.e. inside its transaction.
    deadline = time.monotonic() + 30
    while _writer_pid(db) != process.pid and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _writer_pid(db) == process.pid, (tmp_path / "scan.log").read_text()
    time.sleep(1.0)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert wait_until_gone(mark) == {}
    listed = subprocess.run(dedup_command("clusters", "--db", str(db)), capture_output=True, text=True)
    assert listed.returncode == 1 and listed.stderr == f"Error: no database at {db}: run `dedup scan FOLDER` first\n"
    assert dump(db) == ["BEGIN TRANSACTION;", "COMMIT;"]
    assert integrity(db) == "ok"
    # The next scan starts from nothing: scan 1, every pair a cluster (two pairs lost a file).
    result = scan(folder, db, ScanConfig(workers=2))
    assert (result.scan_id, result.summary.n_clusters) == (1, N_PAIRS + 10 - 2)
    assert scans_of(db) == [(1, folder.resolve().as_posix(), 1)]


def test_a_second_scan_fails_at_once_while_reading_works(changed, tmp_path: Path):
    folder, db = changed
    clusters_before = subprocess.run(dedup_command("clusters", "--db", str(db), "--json"), capture_output=True, text=True, check=True).stdout
    first = start_scan(folder, db, uuid.uuid4().hex, tmp_path / "first.log")
    deadline = time.monotonic() + 30
    while _writer_pid(db) != first.pid and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _writer_pid(db) == first.pid, (tmp_path / "first.log").read_text()
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseBusyError, match=f"pid {first.pid}"):
            scan(folder, db, ScanConfig(workers=2))
        assert time.monotonic() - started < 1.0
        second = subprocess.run(dedup_command("scan", str(folder), "--db", str(db), "-q"), capture_output=True, text=True)
        message = f"Error: {db} is being written by another dedup scan (pid {first.pid}); try again when it has finished\n"
        assert (second.returncode, second.stdout, second.stderr) == (1, "", message)
        # Readers see the database as it was before the running scan.
        listed = subprocess.run(dedup_command("clusters", "--db", str(db), "--json"), capture_output=True, text=True)
        assert (listed.returncode, listed.stdout) == (0, clusters_before), listed.stderr
        # All of it while the first scan was still running: nothing waited for it.
        assert first.poll() is None, "the first scan ended before the checks: make the corpus larger"
    finally:
        first.wait(timeout=300)
    assert first.returncode == 0, (tmp_path / "first.log").read_text()
    after = json.loads(subprocess.run(dedup_command("clusters", "--db", str(db), "--json"), capture_output=True, text=True, check=True).stdout)
    assert after != json.loads(clusters_before)
