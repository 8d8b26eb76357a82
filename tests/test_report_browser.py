"""The HTML report in a real headless Chromium: what a reader sees, and that article text runs nothing.

These tests need Debian's ``chromium`` and ``chromedriver`` (``.ci/run`` installs them); without
them they fail, they do not skip.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from browser import chromium, free_port, wait_for_url
from dedup import report
from report_corpus import (
    BROKEN_NAME, CORPUS, IMG, LINK, SCRIPT, SITE, TITLE, URL, cluster_of, scan_and_report, seed_texts, write_hostile_corpus,
)


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> tuple[Path, Path]:
    """The report of corpus/."""
    return scan_and_report(CORPUS, tmp_path_factory.mktemp("seed-browser"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, Path]:
    """The report of the hostile corpus."""
    root = tmp_path_factory.mktemp("hostile-browser")
    write_hostile_corpus(root / "corpus", *seed_texts())
    return scan_and_report(root / "corpus", root)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module."""
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def assert_nothing_ran(driver) -> None:
    """No payload from article text executed: no flag, no title change, no alert."""
    try:
        alert = driver.switch_to.alert
        text = alert.text
        alert.dismiss()
        pytest.fail(f"an alert opened: {text!r}")
    except NoAlertPresentException:
        pass
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
    assert "pwned" not in driver.title
    assert driver.execute_script("return document.querySelectorAll('a[href^=\"javascript:\" i], img, iframe').length") == 0


def passages(driver, kind: str) -> str:
    """The visible text of the ``kind`` passages on the open cluster page."""
    return "\n".join(cell.text for cell in driver.find_elements(By.CSS_SELECTOR, f"tr.p-{kind} td.text"))


def test_seed_cluster_page(browser, seed, tmp_path):
    db, out = seed
    page = out / report.cluster_file(cluster_of(db, "000_7435865517dd7b82.txt"))
    browser.get(page.as_uri())
    assert browser.title.startswith("Cluster ")
    shot = tmp_path / "cluster.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    members = browser.find_element(By.CSS_SELECTOR, "table.members").text
    assert "000_7435865517dd7b82.txt" in members and "001_bdaf9317e28d71a5.txt" in members
    assert "★ canonical" in members
    added, removed = passages(browser, "added"), passages(browser, "removed")
    for text in ("Description", "Show more...", "Results :"):
        assert text in added
    for text in ("direct to your inbox", "Simone is a degree-qualified journalist", "Latest on Cyclingnews"):
        assert text in removed
    kept = passages(browser, "same") + passages(browser, "changed")
    assert "There was no catching Martinez" in kept
    symbols = {"same": "=", "changed": "~", "added": "+", "removed": "−"}
    for row in browser.find_elements(By.CSS_SELECTOR, "table.passages tbody tr"):
        kind = row.get_attribute("class").split()[1].removeprefix("p-")
        assert row.find_element(By.TAG_NAME, "th").text.startswith(f"{symbols[kind]} {kind}")
    # The legend names every kind in words, not only in colour.
    legend = browser.find_element(By.CSS_SELECTOR, ".legend").text
    for label in ("= same", "~ changed", "+ added", "− removed"):
        assert label in legend
    # "Show only the differences" hides the same passages and nothing else.
    rows = browser.find_elements(By.CSS_SELECTOR, "table.passages tbody tr")
    same = browser.find_elements(By.CSS_SELECTOR, "tr.p-same")
    assert same and all(row.is_displayed() for row in rows)
    browser.find_element(By.CSS_SELECTOR, "input.only-diff").click()
    assert not any(row.is_displayed() for row in same)
    assert sum(row.is_displayed() for row in rows) == len(rows) - len(same)
    assert_nothing_ran(browser)


def test_hostile_article_text_shows_as_text_and_runs_nothing(browser, hostile):
    db, out = hostile
    browser.get((out / report.cluster_file(cluster_of(db, "003_hostile.json"))).as_uri())
    assert_nothing_ran(browser)
    text = browser.find_element(By.TAG_NAME, "body").text
    for payload in (SCRIPT, IMG, LINK, TITLE, SITE, URL):
        assert payload in text
    # Kinds and edits are told apart by more than colour: line styles and text decoration.
    for selector, prop, value in (
        ("tr.p-changed del", "textDecorationLine", "line-through"),
        ("tr.p-changed ins", "textDecorationLine", "underline"),
        ("tr.p-same td.text", "borderTopStyle", "solid"),
        ("tr.p-changed td.text", "borderTopStyle", "dotted"),
        ("tr.p-added td.text", "borderTopStyle", "solid"),
        ("tr.p-removed td.text", "borderTopStyle", "dashed"),
        ("td.absent", "backgroundImage", "repeating-linear-gradient"),
    ):
        found = browser.execute_script("return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]]", selector, prop)
        assert found.startswith(value), (selector, prop, found)
    browser.get((out / "index.html").as_uri())
    assert_nothing_ran(browser)
    text = browser.find_element(By.TAG_NAME, "body").text
    assert BROKEN_NAME in text and SITE in text


def visible_rows(driver) -> list[str]:
    return [row.text for row in driver.find_elements(By.CSS_SELECTOR, "#clusters tbody tr") if row.is_displayed()]


def test_index_search_and_sort(browser, hostile):
    db, out = hostile
    browser.get((out / "index.html").as_uri())
    rows = visible_rows(browser)
    assert len(rows) == 2
    martinez, basso = cluster_of(db, "000_canonical.txt"), cluster_of(db, "002_other.txt")
    search = browser.find_element(By.ID, "search")
    assert search.is_displayed()
    search.send_keys("004_REPRINT")  # a file of the second cluster
    assert [r.split()[0] for r in visible_rows(browser)] == [str(basso)]
    assert browser.find_element(By.ID, "shown").text == "1 of 2 shown"
    search.clear()
    search.send_keys("MARTINEZ 003_hostile")
    assert [r.split()[0] for r in visible_rows(browser)] == [str(martinez)]
    search.clear()
    search.send_keys("no such story")
    assert visible_rows(browser) == [] and browser.find_element(By.ID, "no-match").is_displayed()
    search.clear()
    search.send_keys(" ")
    assert len(visible_rows(browser)) == 2 and not browser.find_element(By.ID, "no-match").is_displayed()
    # Sort by size: ascending, then descending.
    size = browser.find_element(By.XPATH, "//table[@id='clusters']//th/button[text()='size']")
    size.click()
    assert [r.split()[0] for r in visible_rows(browser)] == [str(basso), str(martinez)]
    assert size.find_element(By.XPATH, "..").get_attribute("aria-sort") == "ascending"
    size.click()
    assert [r.split()[0] for r in visible_rows(browser)] == [str(martinez), str(basso)]
    browser.find_element(By.LINK_TEXT, str(basso)).click()
    assert browser.current_url.endswith(report.cluster_file(basso))
    assert_nothing_ran(browser)


def test_report_works_when_served(browser, seed):
    db, out = seed
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_url(f"http://127.0.0.1:{port}/index.html", alive=lambda: server.poll() is None)
        browser.get(f"http://127.0.0.1:{port}/index.html")
        # The inline script ran under the page's Content-Security-Policy: it shows the search box.
        assert browser.find_element(By.ID, "search").is_displayed()
        assert browser.find_element(By.ID, "shown").text == "1 of 1 shown"
        browser.find_element(By.LINK_TEXT, str(cluster_of(db, "000_7435865517dd7b82.txt"))).click()
        assert "Description" in passages(browser, "added")
    finally:
        server.terminate()
        server.wait(timeout=10)
