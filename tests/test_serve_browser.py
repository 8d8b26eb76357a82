"""`dedup serve` for real: a subprocess on a loopback port, browsed in headless Chromium.

Needs Debian's ``chromium`` and ``chromedriver`` (``.ci/run`` installs them); without them the
tests fail, they do not skip. The screenshot of the cluster view is taken in the test's
folder; with DEDUP_SCREENSHOTS=reports it is also written there, for the README.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from browser import chromium, free_port, wait_for_url
from dedup import report
from dedup.pipeline import scan
from report_corpus import CORPUS

SCREENSHOT_NAME = "datasette-clusters.png"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`dedup serve` on corpus/ (scanned, with its report) at a free 127.0.0.1 port; stopped afterwards."""
    root = tmp_path_factory.mktemp("serve")
    db, reports = root / "dedup.db", root / "reports"
    scan(CORPUS, db)
    report.write_report(db, reports)
    port = free_port()
    command = [sys.executable, "-c", "from dedup.cli import main; main()", "serve", "--db", str(db), "--port", str(port), "--reports", str(reports)]
    with open(root / "serve.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_url(f"{base}/dedup.json", timeout=60, alive=lambda: process.poll() is None)
        yield base, db
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module."""
    with chromium(tmp_path_factory.mktemp("chromium"), width=1600, height=900) as driver:
        yield driver


def cells(driver, column: str) -> list[str]:
    """The visible text of a column of the Datasette table on the open page."""
    return [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, f"table.rows-and-columns td.col-{column}")]


def test_served_read_only_on_loopback(server):
    base, db = server
    with urllib.request.urlopen(f"{base}/-/databases.json", timeout=10) as response:
        databases = json.load(response)
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("dedup", False)]
    assert base.startswith("http://127.0.0.1:")


def test_cluster_view_shows_the_martinez_cluster(server, browser, tmp_path):
    base, db = server
    with sqlite3.connect(db) as conn:
        (canonical_title,) = conn.execute("SELECT title FROM documents WHERE path LIKE '000_%'").fetchone()
    browser.get(f"{base}/dedup/cluster_overview")
    assert browser.title.startswith("dedup: cluster_overview")
    # The column descriptions come first on the page: show the rows, with the row count above them.
    browser.set_window_size(1600, 560)
    browser.execute_script("window.scrollTo(0, document.querySelector('table.rows-and-columns').offsetTop - 260)")
    screenshot = tmp_path / SCREENSHOT_NAME
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("DEDUP_SCREENSHOTS"):
        shutil.copyfile(screenshot, Path(os.environ["DEDUP_SCREENSHOTS"]) / SCREENSHOT_NAME)
    browser.set_window_size(1600, 900)
    assert cells(browser, "canonical_title") == [canonical_title]
    assert canonical_title.startswith("Lenny Martinez wins Japan Cup")
    assert cells(browser, "canonical_path")[0].startswith("000_")
    assert cells(browser, "copy_paths")[0].startswith("001_")
    browser.find_element(By.CSS_SELECTOR, "td.col-n_copies a").click()
    assert [p[:4] for p in cells(browser, "copy_path")] == ["001_"]
    assert cells(browser, "source_title") == [canonical_title]


def test_evidence_and_passage_diff_three_clicks_from_home(server, browser):
    base, db = server
    with sqlite3.connect(db) as conn:
        n_evidence = conn.execute("SELECT COUNT(*) FROM evidence").fetchone()[0]
        n_passages = conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
    browser.get(f"{base}/")
    browser.find_element(By.LINK_TEXT, "Clusters").click()  # 1
    browser.find_element(By.CSS_SELECTOR, "td.col-n_evidence a").click()  # 2
    assert len(cells(browser, "signal")) == n_evidence > 0
    browser.back()
    browser.find_element(By.CSS_SELECTOR, "td.col-n_passages a").click()  # 3
    diffs = browser.find_elements(By.CSS_SELECTOR, "td.col-diff div.dedup-passage")
    assert len(diffs) == n_passages > 0
    assert browser.find_elements(By.CSS_SELECTOR, "td.col-diff ins") and browser.find_elements(By.CSS_SELECTOR, "td.col-diff del")
    assert any("Latest on Cyclingnews" in d.text for d in diffs if d.text.startswith("− removed"))


def test_report_link_opens_the_cluster_page(server, browser):
    base, _ = server
    browser.get(f"{base}/dedup/cluster_overview")
    browser.find_element(By.CSS_SELECTOR, "td.col-report_page a").click()
    assert browser.current_url == f"{base}/reports/{report.cluster_file(1)}"
    assert browser.title.startswith("Cluster 1:")
