"""Ingest of tables: CSV, TSV and Parquet rows as articles, and the --column mapping."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlite_utils
from conftest import seed_path
from typer.testing import CliRunner

from dedup import ingest
from dedup.cli import app
from dedup.config import ScanConfig
from dedup.errors import ConfigError
from dedup.models import InputProblem


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _load(root: Path, name: str, config: ScanConfig | None = None):
    found, docs, problems = ingest.load(root, name, config or ScanConfig())
    assert not isinstance(found, InputProblem), found
    return docs, problems


def test_csv_rows_become_documents_with_metadata(tmp_path: Path):
    body = 'First paragraph, with a comma and "quotes".\nSecond paragraph on a new line.'
    (tmp_path / "feed.csv").write_text(
        _csv(
            [
                ["id", "title", "body", "url", "date", "publisher", "author"],
                ["a-1", "Storm hits coast", body, "https://a.example/storm", "2024-03-05T10:00:00+01:00", "Coast News", "J. Doe"],
                ["", "Second", "Another article.", "", "October 19, 2025", "", ""],
            ]
        ),
        encoding="utf-8",
    )
    docs, problems = _load(tmp_path, "feed.csv")
    assert problems == []
    first, second = docs
    assert (first.text, first.title, first.url, first.site, first.author) == (body, "Storm hits coast", "https://a.example/storm", "Coast News", "J. Doe")
    assert (first.published_at, first.date_source, first.format, first.record) == ("2024-03-05T09:00:00Z", "json", "csv", 1)
    assert first.id == ingest.document_id("feed.csv", "id=a-1")  # its own id names it
    assert (second.record, second.id, second.site, second.published_at) == (2, ingest.document_id("feed.csv", 2), None, "2025-10-19")


def test_publisher_is_a_site_field_in_json_too():
    records = [{"text": "One.", "publisher": "The Daily"}, {"text": "Two.", "publisher": {"@type": "Organization", "name": "X"}}]
    docs, problems = ingest.parse_bytes("feed.json", json.dumps(records).encode())
    assert problems == [] and [d.site for d in docs] == ["The Daily", None]  # an object is no site name


def test_bad_csv_rows_are_recorded_with_row_numbers_and_the_others_load(tmp_path: Path):
    text = (
        "id,text,site\n"
        "1,good one,S\n"
        "2\n"  # too few fields
        "\n"  # a blank line is no row
        "3,,S\n"  # no text
        "4,good two,S,surplus\n"  # too many fields
        '5,"good three\nover two lines",S\n'
        "6,good four,S,\n"  # a trailing empty field is tolerated
    )
    (tmp_path / "rows.csv").write_text(text, encoding="utf-8")
    docs, problems = _load(tmp_path, "rows.csv")
    assert [(d.record, d.text) for d in docs] == [(1, "good one"), (5, "good three\nover two lines"), (6, "good four")]
    assert problems == [
        InputProblem("rows.csv", "row 2 (line 3): 1 field, the header has 3"),
        InputProblem("rows.csv", "row 3 (line 5): no text (columns: text)"),
        InputProblem("rows.csv", "row 4 (line 6): 4 fields, the header has 3"),
    ]


def test_an_unclosed_quote_is_named_and_earlier_rows_kept():
    docs, problems = ingest.parse_bytes("q.csv", b'text,title\nfine,A\n"never closed,B\nnext,C\n')
    assert [d.text for d in docs] == ["fine"]
    assert problems == [InputProblem("q.csv", "row 2 (line 3): 1 field, the header has 2 (a quote left open?)")]


def test_csv_without_a_text_column_gives_one_problem(tmp_path: Path):
    (tmp_path / "labels.csv").write_text("File,Task,Category\na.txt,a,cut\nb.txt,b,non\n", encoding="utf-8")
    docs, problems = _load(tmp_path, "labels.csv")
    assert docs == []
    assert len(problems) == 1 and problems[0].path == "labels.csv"
    assert "no text column" in problems[0].reason and "--column text=COLUMN" in problems[0].reason
    assert problems[0].reason.endswith("columns: File, Task, Category")
    _, problems = _load(tmp_path, "labels.csv", ScanConfig(columns=(("text", "story"),)))
    assert problems == [InputProblem("labels.csv", "no text column (--column text=story: no such column); columns: File, Task, Category")]


def test_cp1252_csv_is_decoded(tmp_path: Path):
    text = "The café’s owner said “we are closed” — for now. " * 10
    (tmp_path / "old.csv").write_bytes(_csv([["title", "text"], ["Café", text], ["Naïve", text.upper()]]).encode("cp1252"))
    docs, problems = _load(tmp_path, "old.csv")
    assert problems == []
    assert [(d.title, d.text) for d in docs] == [("Café", text), ("Naïve", text.upper())]


def test_utf8_csv_with_one_undecodable_row_keeps_the_others():
    good = "Le café “Chez Zoé” ferme — enfin.".encode()
    data = b"text,title\n" + good + b",A\nbad \xe9 byte,B\n" + good + b",C\n"
    docs, problems = ingest.parse_bytes("mixed.csv", data)
    assert [(d.record, d.title, d.text) for d in docs] == [(1, "A", good.decode()), (3, "C", good.decode())]
    assert problems == [InputProblem("mixed.csv", "row 2 (line 3): undecodable bytes (not UTF-8)")]


def test_tsv_bom_case_insensitive_names_and_a_huge_field(tmp_path: Path):
    huge = "word " * 60_000  # 300,000 characters: above csv's default field limit of 131,072
    (tmp_path / "export.tsv").write_text("\ufeffTitle\tBody\tURL\nBig\t" + huge + "\thttps://x.example/1\nSmall\tshort\t\n", encoding="utf-8")
    docs, problems = _load(tmp_path, "export.tsv")
    assert problems == []
    assert [(d.title, len(d.text), d.url, d.format) for d in docs] == [("Big", len(huge), "https://x.example/1", "tsv"), ("Small", 5, None, "tsv")]


def test_utf16_tsv_from_excel_and_semicolon_csv():
    docs, problems = ingest.parse_bytes("excel.tsv", "title\ttext\nÉté\tHello there\n".encode("utf-16"))
    assert problems == [] and [(d.title, d.text) for d in docs] == [("Été", "Hello there")]
    docs, problems = ingest.parse_bytes("semi.csv", b"title;text\nA;one, two\n")
    assert problems == [] and [(d.title, d.text) for d in docs] == [("A", "one, two")]


def test_column_mapping_in_the_library():
    data = _csv([["id", "headline", "story", "alt_story", "body", "outlet", "source"], ["9", "H", "Main text.", "Alt.", "teaser", "Outlet", "Wire"]]).encode()
    (doc,), problems = ingest.parse_bytes("a.csv", data)
    assert problems == [] and (doc.text, doc.site, doc.title) == ("teaser", "Wire", "H")  # the usual names
    config = ScanConfig(columns=(("text", "missing"), ("text", "STORY"), ("site", "outlet")))
    (doc,), problems = ingest.parse_bytes("a.csv", data, config)
    assert problems == [] and (doc.text, doc.site) == ("Main text.", "Outlet")  # first column present wins, any case
    # a column named by --column is read for that field only: "body" as the title is no text
    docs, problems = ingest.parse_bytes("a.csv", data, ScanConfig(columns=(("title", "body"),)))
    assert docs == [] and problems == [InputProblem("a.csv", "no text column (text, body or content; or name one with --column text=COLUMN); columns: id, headline, story, alt_story, body, outlet, source")]
    # a named column the file lacks is reported, and its field falls back to the usual names
    config = ScanConfig(columns=(("title", "body"), ("text", "story"), ("author", "byline_col")))
    (doc,), problems = ingest.parse_bytes("a.csv", data, config)
    assert (doc.title, doc.text, doc.author, doc.site) == ("teaser", "Main text.", None, "Wire")
    assert problems == [InputProblem("a.csv", "--column author=byline_col: no such column (columns: id, headline, story, alt_story, body, outlet, source)")]


def test_config_validates_columns_and_fingerprints_them():
    for field in ingest.FIELD_ALIASES:
        assert ScanConfig(columns=((field, "c"),)).columns == ((field, "c"),)
    for bad in ((("txt", "body"),), (("text",),), (("text", " "),), "text=body"):
        with pytest.raises(ConfigError, match="--column .*expected FIELD=COLUMN"):
            ScanConfig(columns=bad)
    assert ScanConfig(columns=(("text", "a"),)).fingerprint() != ScanConfig().fingerprint()
    assert ScanConfig(columns=(("text", "a"),)).fingerprint() == ScanConfig(columns=(("text", "a"),), workers=3).fingerprint()


def test_column_mapping_through_the_cli(tmp_path: Path):
    folder = tmp_path / "scrape"
    folder.mkdir()
    rows = [["id", "article_body", "body", "outlet", "source"]]
    for n, prefix in enumerate(("000", "001", "002")):
        rows.append([f"s{n}", seed_path(prefix).read_text(encoding="utf-8"), f"Teaser number {n}.", f"Outlet {n}", "Wire"])
    (folder / "scrape.csv").write_text(_csv(rows), encoding="utf-8")
    db = tmp_path / "scan.db"
    result = CliRunner().invoke(app, ["scan", str(folder), "--db", str(db), "--json", "--column", "text=article_body", "--column", "site=outlet"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["n_documents"] == 3 and summary["errors"] == [] and summary["n_clusters"] == 1
    stored = {r["record"]: r for r in sqlite_utils.Database(db).query("SELECT record, text, site, format FROM documents")}
    assert stored[2]["text"] == seed_path("001").read_text(encoding="utf-8")
    assert [stored[n]["site"] for n in (1, 2, 3)] == ["Outlet 0", "Outlet 1", "Outlet 2"] and stored[1]["format"] == "csv"
    bad = CliRunner().invoke(app, ["scan", str(folder), "--db", str(tmp_path / "bad.db"), "--column", "txt=article_body"])
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: --column txt=article_body: expected FIELD=COLUMN")


def _parquet(path: Path, table: pa.Table, **options) -> None:
    pq.write_table(table, path, **options)


def test_parquet_rows_with_timestamps_become_documents(tmp_path: Path):
    zoned = datetime(2024, 3, 5, 9, 30, 15, 123456, tzinfo=timezone.utc)
    table = pa.table(
        {
            "id": pa.array([101, None, 103], pa.int64()),
            "content": ["Parquet article one.", "Parquet article two.", None],
            "title": ["One", "Two", "Three"],
            "published_at": pa.array([zoned, None, zoned], pa.timestamp("ns", tz="Europe/Paris")),
            "modified": pa.array([datetime(2024, 3, 6, 8, 0), None, None], pa.timestamp("ms")),
            "date": pa.array([date(2024, 3, 1), date(2024, 3, 2), None], pa.date32()),
            "publisher": ["Pub", "Pub", "Pub"],
            "html": ["<p>not read</p>"] * 3,
        }
    )
    _parquet(tmp_path / "articles.parquet", table, row_group_size=2)
    docs, problems = _load(tmp_path, "articles.parquet")
    assert problems == [InputProblem("articles.parquet", "row 3: no text (columns: content)")]
    one, two = docs
    assert (one.text, one.title, one.site, one.format, one.record) == ("Parquet article one.", "One", "Pub", "parquet", 1)
    # timestamps give the ISO strings normalize_date gives for the same instant
    assert one.published_at == ingest.normalize_date(zoned.isoformat()) == "2024-03-05T09:30:15Z"
    assert one.modified_at == ingest.normalize_date("2024-03-06T08:00:00") == "2024-03-06T08:00:00Z"
    assert two.published_at == "2024-03-02"  # no timestamp: the date column
    assert one.id == ingest.document_id("articles.parquet", "id=101") and two.id == ingest.document_id("articles.parquet", 2)


def test_parquet_rows_keep_their_position_across_batches_and_mapping_applies(tmp_path: Path):
    n = ingest.PARQUET_BATCH_ROWS + 100
    texts = [f"Article number {i}." if i != ingest.PARQUET_BATCH_ROWS + 50 else "" for i in range(1, n + 1)]
    _parquet(tmp_path / "big.parquet", pa.table({"article_body": texts, "outlet": ["O"] * n}))
    docs, problems = _load(tmp_path, "big.parquet", ScanConfig(columns=(("text", "article_body"), ("site", "outlet"))))
    assert len(docs) == n - 1 and docs[-1].record == n and docs[-1].text == f"Article number {n}."
    assert {d.site for d in docs} == {"O"}
    assert problems == [InputProblem("big.parquet", f"row {ingest.PARQUET_BATCH_ROWS + 50}: no text (columns: article_body)")]
    _, problems = _load(tmp_path, "big.parquet")
    assert len(problems) == 1 and problems[0].reason.startswith("no text column") and "article_body, outlet" in problems[0].reason


def test_corrupt_parquet_files_are_one_problem_each(tmp_path: Path):
    _parquet(tmp_path / "good.parquet", pa.table({"text": ["A fine article."] * 50}))
    data = (tmp_path / "good.parquet").read_bytes()
    (tmp_path / "truncated.parquet").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbage.parquet").write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")
    damaged = bytearray(data)
    damaged[8:120] = b"\xff" * 112  # the first page, the footer intact
    (tmp_path / "damaged.parquet").write_bytes(bytes(damaged))
    paths, _, _ = ingest.walk(tmp_path)
    assert paths == ["damaged.parquet", "garbage.parquet", "good.parquet", "truncated.parquet"]
    results = {path: _load(tmp_path, path) for path in paths}
    assert len(results["good.parquet"][0]) == 50 and results["good.parquet"][1] == []
    for path in ("damaged.parquet", "garbage.parquet", "truncated.parquet"):
        docs, problems = results[path]
        assert docs == [] and len(problems) == 1 and problems[0].path == path
        assert problems[0].reason.startswith("unreadable Parquet file")


def test_walk_finds_tables(tmp_path: Path):
    for name in ["a.csv", "b.TSV", "c.parquet", "d.xlsx"]:
        (tmp_path / name).write_text("x")
    paths, problems, skipped = ingest.walk(tmp_path)
    assert paths == ["a.csv", "b.TSV", "c.parquet"] and skipped == 1 and problems == []
