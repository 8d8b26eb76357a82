"""Take a screenshot of a report page in headless Chromium (the README's reports/report-cluster.png).

    python .tools/report_screenshot.py reports/cluster-1.html reports/report-cluster.png

Needs Debian's chromium and chromedriver and the ``selenium`` package (``pip install -e '.[test]'``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
)


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    """Open ``page`` from disk at ``width`` × ``height`` pixels and save what shows as ``png``.

    A ``height`` of 0 takes the whole page.
    """
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    with tempfile.TemporaryDirectory(prefix="dedup-shot-") as profile:
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height or 1000}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(page.resolve().as_uri())
            if not height:
                full = driver.execute_script("return document.documentElement.scrollHeight")
                # The window is taller than the page's viewport by the browser's own frame.
                frame = driver.execute_script("return window.outerHeight - window.innerHeight")
                driver.set_window_size(width, full + frame)
            png.parent.mkdir(parents=True, exist_ok=True)
            if not driver.save_screenshot(str(png)):
                raise SystemExit(f"could not write {png}")
        finally:
            driver.quit()


def main() -> None:
    """Parse the arguments and take the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="the HTML file to open")
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=0, help="pixels; 0 (the default) takes the whole page")
    args = parser.parse_args()
    screenshot(args.page, args.png, args.width, args.height)
    print(f"{args.png}: screenshot of {args.page}")


if __name__ == "__main__":
    main()
