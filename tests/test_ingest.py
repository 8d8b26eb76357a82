"""Ingest: formats, metadata, encodings, and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import seed_path

from dedup import ingest
from dedup.config import ScanConfig
from dedup.models import DateSource, InputProblem


def test_plain_text_is_stored_unchanged():
    text = seed_path("001").read_text(encoding="utf-8")
    docs, problems = ingest.parse_bytes("a/b.txt", text.encode("utf-8"))
    assert problems == []
    assert docs[0].text == text
    assert docs[0].path == "a/b.txt" and docs[0].format == "text"
    assert docs[0].title is None  # its first line, "Description", is a label, not a headline


def test_cp1252_text_is_detected_and_decoded():
    text = "The café’s owner said “we are closed” — for now. " * 20
    docs, problems = ingest.parse_bytes("x.txt", text.encode("cp1252"))
    assert problems == []
    assert docs[0].text == text


def test_html_gives_text_and_metadata():
    body = " ".join(["Lenny Martinez rode solo to win the Japan Cup on Sunday."] * 12)
    html = f"""<html><head><title>Martinez wins</title>
    <link rel="canonical" href="https://example.org/martinez">
    <meta property="og:url" content="https://example.org/martinez?ref=x">
    <meta property="og:site_name" content="Example Cycling">
    <meta property="article:published_time" content="2025-10-19T10:00:00+09:00">
    <meta name="author" content="Simone Giuliani"></head>
    <body><nav>Home | Races</nav><article><h1>Martinez wins</h1><p>{body}</p></article></body></html>"""
    docs, problems = ingest.parse_bytes("site/page.html", html.encode("utf-8"))
    assert problems == []
    doc = docs[0]
    assert "Japan Cup" in doc.text and "Home | Races" not in doc.text
    assert doc.canonical_url == "https://example.org/martinez"
    assert doc.url == "https://example.org/martinez?ref=x"
    assert doc.site == "Example Cycling"
    assert doc.published_at == "2025-10-19T01:00:00Z"
    assert doc.author == "Simone Giuliani"


def test_json_record_and_list():
    record = {"body": "Text one.", "title": "T", "url": "https://a.example/1", "date": "2024-01-02", "source": "A", "author": "B"}
    docs, _ = ingest.parse_bytes("one.json", json.dumps(record).encode())
    assert [(d.text, d.title, d.site, d.author, d.published_at, d.record) for d in docs] == [
        ("Text one.", "T", "A", "B", "2024-01-02", None)
    ]
    docs, problems = ingest.parse_bytes("many.json", json.dumps([{"text": "a"}, {"content": "b"}, {"title": "no text"}]).encode())
    assert [d.text for d in docs] == ["a", "b"]
    assert [d.record for d in docs] == [0, 1]
    assert problems == [InputProblem("many.json#2", "JSON record has no text (fields: text, body or content)")]


def test_jsonl_malformed_line_is_recorded_and_the_rest_kept():
    data = '{"text": "first"}\n{"text": broken\n\n{"text": "third", "site": "S"}\n'
    docs, problems = ingest.parse_bytes("feed.jsonl", data.encode())
    assert [(d.text, d.record) for d in docs] == [("first", 1), ("third", 4)]
    assert len(problems) == 1 and problems[0].path == "feed.jsonl#2"
    assert problems[0].reason.startswith("malformed JSON line")
    assert len({d.id for d in docs}) == 2


def test_record_ids_name_documents_and_repeats_fall_back_to_position():
    lines = ['{"id": "a1", "text": "one"}', '{"id": "b2", "text": "two"}', '{"id": "a1", "text": "three"}']
    docs, _ = ingest.parse_bytes("feed.jsonl", "\n".join(lines).encode())
    reordered, _ = ingest.parse_bytes("feed.jsonl", "\n".join(reversed(lines[:2])).encode())
    assert {d.text: d.id for d in docs[:2]} == {d.text: d.id for d in reordered}
    assert docs[2].id == ingest.document_id("feed.jsonl", 3)
    assert len({d.id for d in docs}) == 3


def test_document_ids_are_stable_and_distinct():
    assert ingest.document_id("a.txt", None) == ingest.document_id("a.txt", None)
    assert ingest.document_id("a.jsonl", 1) != ingest.document_id("a.jsonl", 2)


def test_bad_inputs_each_give_one_problem(tmp_path: Path):
    root = tmp_path
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.md").write_text("  \n\n")
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    (root / "garbage.txt").write_bytes(bytes(range(1, 32)) * 20 + b"\xff\xfe\x81")
    (root / "big.txt").write_text("word " * 300)
    (root / "bad.json").write_text("{not json")
    (root / "loop.txt").symlink_to(root / "loop.txt")
    (root / "dangling.txt").symlink_to(root / "nowhere.txt")
    (root / "sub").mkdir()
    (root / "sub" / "again").symlink_to(root)
    (root / "note.pdf").write_bytes(b"%PDF")
    (root / "ok.txt").write_text("A perfectly good article.\n")
    config = ScanConfig(max_file_bytes=1000)
    paths, problems, skipped = ingest.walk(root)
    assert skipped == 1  # note.pdf
    for path in paths:
        found, _, file_problems = ingest.load(root, path, config)
        problems.extend(file_problems)
        if isinstance(found, InputProblem):
            problems.append(found)
    reasons = {p.path: p.reason for p in problems}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank.md"] == "empty file"
    assert reasons["binary.txt"].startswith("binary file")
    assert reasons["garbage.txt"].startswith("undecodable bytes")
    assert reasons["big.txt"].startswith("file too large")
    assert reasons["bad.json"].startswith("malformed JSON")
    assert reasons["loop.txt"].startswith("unreadable")
    assert reasons["dangling.txt"] == "broken symlink"
    assert reasons["sub/again"].startswith("symlink loop")
    assert "ok.txt" not in reasons
    assert len(problems) == len(reasons)


def test_load_skips_parsing_unchanged_files(tmp_path: Path):
    (tmp_path / "a.txt").write_text("An article.\n")
    found, docs, _ = ingest.load(tmp_path, "a.txt", ScanConfig())
    assert [d.text for d in docs] == ["An article.\n"]
    again, unchanged, _ = ingest.load(tmp_path, "a.txt", ScanConfig(), known_sha256=found.sha256)
    assert again == found and unchanged is None


def test_walk_is_sorted_and_relative(tmp_path: Path):
    for name in ["b/z.txt", "a.html", "b/a.md", "c.jsonl"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    paths, problems, skipped = ingest.walk(tmp_path)
    assert paths == ["a.html", "b/a.md", "b/z.txt", "c.jsonl"]
    assert problems == [] and skipped == 0


def test_the_seed_headline_stays_the_title():
    (doc,), _ = ingest.parse_bytes("000.txt", seed_path("000").read_bytes())
    assert doc.title == "Lenny Martinez wins Japan Cup after breaking away solo on final climb"
    (doc,), _ = ingest.parse_bytes("002.txt", seed_path("002").read_bytes())
    assert doc.title is None  # its first line is a whole paragraph of photo captions


def _title(first_line: str, rest: str = "The article's body follows on the next line.\n", name: str = "a.txt") -> str | None:
    (doc,), problems = ingest.parse_bytes(name, f"{first_line}\n{rest}".encode())
    assert problems == []
    return doc.title


def test_a_first_line_is_the_title_only_when_it_reads_as_a_headline():
    for headline in ("Storm hits coast", "iTunes now selling Band Aid song", "$1m payoff for former Shell boss", "Is this the end?", "Rain (again) for Wimbledon"):
        assert _title(headline) == headline
    not_headlines = [
        "Description",  # one word: a label
        "Description:",
        "Show more...",
        "October 19, 2025",  # a date
        "The storm hit the coast on Sunday and left thousands without power.",  # a sentence
        "date 2012-10-21 Image 1 of 18 Peter Sagan and Daniel Oss are big in Japan",  # lower-case start
        " ".join(["Word"] * 16),  # too long for a headline
        "------------------------------------------------------------------------",
        "1\t0.3\t0.24",  # a table row
        "In probability theory, Bayes theorem (often called",  # an open bracket: a wrapped line
    ]
    for line in not_headlines:
        assert _title(line) is None, line
    assert _title("This first line of a paragraph", "continues on the next one.\n") is None
    assert _title("A one-line file", rest="") is None


def test_markdown_heading_is_the_title_without_its_marks():
    assert _title("# Storm hits coast", name="a.md") == "Storm hits coast"
    assert _title("## Description", name="a.md") is None


def _parquet_bytes(columns: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), out)
    return out.getvalue().to_pybytes()


def test_readers_registry_names_every_suffix_and_format():
    assert ingest.SUPPORTED_SUFFIXES == (".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".csv", ".tsv", ".parquet")
    assert ingest.FORMATS == ("text", "markdown", "html", "json", "csv", "tsv", "parquet")
    samples = {
        ".txt": b"Storm hits coast\nThe body.\n",
        ".md": b"# Storm hits coast\nThe body.\n",
        ".json": b'{"text": "The body."}',
        ".jsonl": b'{"text": "The body."}\n',
        ".csv": b"text\nThe body.\n",
        ".tsv": b"text\nThe body.\n",
        ".parquet": _parquet_bytes({"text": ["The body."]}),
    }
    page = f"<html><body><article><p>{seed_path('000').read_text(encoding='utf-8')}</p></article></body></html>".encode()
    samples |= {".html": page, ".htm": page}
    assert samples.keys() == set(ingest.SUPPORTED_SUFFIXES)
    for reader in ingest.READERS:
        for suffix in reader.suffixes:
            (doc,), problems = ingest.parse_bytes(f"a{suffix}", samples[suffix])
            assert problems == [] and doc.format == reader.format_name, suffix


def test_an_unsupported_suffix_is_a_problem_not_a_guess():
    docs, problems = ingest.parse_bytes("notes.rtf", b"{\\rtf1 Hello}")
    assert docs == [] and problems == [InputProblem("notes.rtf", f"unsupported file type (supported: {', '.join(ingest.SUPPORTED_SUFFIXES)})")]


def test_date_sources_are_the_date_source_enum():
    (doc,), _ = ingest.parse_bytes("r.json", b'{"text": "The body.", "date": "2025-10-19"}')
    assert doc.date_source is DateSource.JSON and doc.date_source == "json"
