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
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

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
    base, _ = server
    with urllib.request.urlopen(f"{base}/-/databases.json", timeout=10) as response:
        databases = json.load(response)
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("dedup", False)]
    assert base.startswith("http://127.0.0.1:")


def test_cluster_view_shows_the_martinez_cluster(server, browser, tmp_path):
    base, db = server
    with sqlite3.connect(db) as conn:
        (canonical_title,) = conn.execute("SELECT title FROM documents WHERE path LIKE '000_%'").fetchone()
    browser.set_window_size(1280, 800)
    browser.get(f"{base}/dedup/cluster_overview")
    assert browser.title.startswith("dedup: cluster_overview")
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


def first_row_top(driver) -> float:
    """Where the first data row of the open page starts, in pixels from the top of the window."""
    return driver.execute_script("return document.querySelector('table.rows-and-columns tbody tr').getBoundingClientRect().top")


@pytest.mark.parametrize("page", ["cluster_overview", "copies", "documents", "cluster_members"])
def test_rows_show_without_scrolling(server, browser, page):
    base, _ = server
    browser.set_window_size(1280, 800)
    try:
        browser.get(f"{base}/dedup/{page}")
        # The column descriptions are folded into one line; opening it shows them all.
        folded = browser.find_element(By.CSS_SELECTOR, "details.dedup-columns")
        descriptions = folded.find_element(By.CSS_SELECTOR, "dl.column-descriptions")
        assert not descriptions.is_displayed()
        assert 0 < first_row_top(browser) < browser.execute_script("return window.innerHeight") - 24
        headers = browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns thead th[data-column-description]")
        assert len(headers) >= 5
        assert all(th.get_attribute("title") == th.get_attribute("data-column-description") != "" for th in headers)
        folded.find_element(By.TAG_NAME, "summary").click()
        assert descriptions.is_displayed() and descriptions.find_elements(By.TAG_NAME, "dt")
    finally:
        browser.set_window_size(1600, 900)


def edges(driver, element) -> list[float]:
    """The left and right edges of ``element`` in the window, in pixels."""
    return driver.execute_script("var r = arguments[0].getBoundingClientRect(); return [r.left, r.right]", element)


def test_wide_tables_scroll_to_their_last_column(server, browser):
    base, _ = server
    browser.set_window_size(1280, 800)
    try:
        browser.get(f"{base}/dedup/documents")
        box = browser.find_element(By.CSS_SELECTOR, ".table-wrapper")
        last = browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns thead th")[-1]
        assert last.text.startswith("root")
        width = browser.execute_script("return window.innerWidth")
        assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", box)
        assert last.rect["x"] > width  # the table is wider than the window
        browser.execute_script("arguments[0].scrollIntoView()", box)
        # Once the table is in view, so is its horizontal scroll bar: the box fits in the window.
        bottom = browser.execute_script("return arguments[0].getBoundingClientRect().bottom", box)
        assert bottom <= browser.execute_script("return window.innerHeight")
        ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(box), 5000, 0).perform()
        # The wheel scrolls smoothly: wait for the last column to come into view.
        WebDriverWait(browser, 10).until(lambda driver: 0 <= edges(driver, last)[0] and edges(driver, last)[1] <= width)
    finally:
        browser.set_window_size(1600, 900)
