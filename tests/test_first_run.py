"""A new user's first run: the README's first command, then `dedup serve`, leave a clone clean."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_first_command() -> list[list[str]]:
    """The README's set-up command that runs the main job, split into its commands, without
    the install step (dedup is installed in the environment running the tests)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```\w*\n(.*?)```", readme, re.S) if "dedup scan" in b)
    commands = [part.split() for part in block.strip().split("&&")]
    return [c for c in commands if c[:2] != ["pip", "install"]]


def dedup_command(args: list[str]) -> list[str]:
    """``dedup ARGS`` run by the Python of the tests (the installed script may be elsewhere)."""
    assert args[0] == "dedup", args
    return [sys.executable, "-c", "from dedup.cli import main; main()", *args[1:]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def clone(tmp_path: Path) -> Path:
    """A clone of this repository's committed files, as a new user gets them."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("this test needs git and a git checkout of dedup (a clone, as CI uses)")
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
    return target


def test_readme_commands_leave_a_clone_clean(clone: Path):
    commands = readme_first_command()
    assert [c[:2] for c in commands] == [["dedup", "scan"], ["dedup", "report"]]
    for command in commands:
        subprocess.run(dedup_command(command), cwd=clone, check=True, capture_output=True)
    assert (clone / "dedup.db").exists() and (clone / "reports" / "index.html").exists()

    port = free_port()
    server = subprocess.Popen(dedup_command(["dedup", "serve", "--port", str(port)]), cwd=clone, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/dedup/cluster_overview.json") as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "dedup serve did not answer within 60 s"
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    status = subprocess.run(["git", "status", "--porcelain", "--ignored=no"], cwd=clone, check=True, capture_output=True, text=True)
    assert status.stdout == ""
    untracked_files = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=clone, check=True, capture_output=True, text=True
    ).stdout
    # What the commands write is ignored output only: the database and the reports.
    assert "metadata.json" not in untracked_files
