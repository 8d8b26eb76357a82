"""One figure, one name, everywhere: a copy's coverage reads the same in `dedup show`, the
report page, Datasette and the explanation sentences."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import lxml.html
from typer.testing import CliRunner

from dedup import report, serve
from dedup.cli import app
from dedup.models import coverage_text
from dedup.pipeline import scan

SEEDS = Path(__file__).resolve().parent.parent / "corpus"


def test_copy_figures_agree_across_cli_report_and_datasette(tmp_path: Path):
    db, reports = tmp_path / "dedup.db", tmp_path / "reports"
    scan(SEEDS, db)
    runner = CliRunner()
    detail = json.loads(runner.invoke(app, ["show", "1", "--db", str(db), "--json"]).stdout)
    (copy,) = [m for m in detail["members"] if m["role"] == "copy"]
    copy_share, source_share = copy["copy_coverage"], copy["source_coverage"]
    assert 0 < copy_share <= 1 and 0 < source_share <= 1
    # The figures are measured on the link to the canonical, which the member row names.
    (compared_with,) = sqlite3.connect(db).execute("SELECT compared_with FROM cluster_members WHERE role = 'copy'").fetchone()
    assert compared_with == detail["canonical_id"]
    said = coverage_text(copy_share, source_share)
    assert said == f"{copy_share:.0%} from the source, {source_share:.0%} of the source kept"

    # The CLI line, and the explanation's relation sentence, use the member's figures.
    shown = runner.invoke(app, ["show", "1", "--db", str(db)]).stdout
    copy_line = next(line for line in shown.splitlines() if line.strip().startswith("copy "))
    assert said in copy_line
    assert any(said in line for line in detail["explanation"])

    # The report page shows the same two figures under the same names.
    report.write_report(db, reports)
    page = lxml.html.fromstring((reports / report.cluster_file(1)).read_text(encoding="utf-8"))
    text = " ".join(page.text_content().split())
    assert f"{copy_share:.0%} from the source, {source_share:.0%} of the source kept" in text

    # Datasette: the copies view holds the member row's values, and the cells read like the CLI.
    ds = serve.datasette(serve.ServeOptions(db))
    rows = asyncio.run(ds.client.get("/dedup/copies.json?_shape=objects")).json()["rows"]
    assert [(r["copy_coverage"], r["source_coverage"]) for r in rows] == [(copy_share, source_share)]
    html = lxml.html.fromstring(asyncio.run(ds.client.get("/dedup/copies")).text)
    cells = [" ".join(td.text_content().split()) for td in html.xpath("//td[contains(@class, 'col-copy_coverage') or contains(@class, 'col-source_coverage')]")]
    assert cells == [f"{copy_share:.0%} from the source", f"{source_share:.0%} of the source kept"]
