"""``dedup check``: the answer is what a scan of the inputs into a copy of the database stores,
the database is left as it was (unless --add), bad input is reported, exit codes say what
happened."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from conftest import article_body, seed_path
from typer.testing import CliRunner

import dedup
from dedup.checker import CHECK_FOLDER, stdin_suffix
from dedup.cli import app
from dedup.pipeline import scan

runner = CliRunner()
SEED_000 = seed_path("000").name
SEED_001 = seed_path("001").name
SEED_002 = seed_path("002").name
UNRELATED = (
    "The council met on Tuesday evening to discuss the new timetable for the number 12 bus, which residents say "
    "leaves too early for the school run. A decision is expected after the summer, once the operator has counted "
    "passengers on the route and the library has collected the comments left in its visitors' book.\n"
)


def invoke(*args, input: bytes | str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def wire_copy(seed: Path) -> str:
    """The seed's headline and report as another site publishes them: its own masthead and
    footer instead of the seed's author bio, comment prompts and related links."""
    lines = seed.read_text(encoding="utf-8").splitlines()
    story = lines[: lines.index("") - 1]  # the headline, standfirst and report, up to the newsletter prompt
    return "\n".join(
        ["Sports Wire Daily - Cycling", *story, "Share this story on Facebook, X and email.",
         "More cycling news from Sports Wire Daily: road, track and cyclocross results every day."]
    ) + "\n"


def fingerprint(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture
def stored(seed_corpus: Path, db_path: Path) -> Path:
    """The database of the seed folder."""
    scan(seed_corpus, db_path)
    return db_path


@pytest.fixture
def wire(tmp_path: Path) -> Path:
    path = tmp_path / "incoming" / "wire.txt"
    path.parent.mkdir()
    path.write_text(wire_copy(seed_path("000")), encoding="utf-8")
    return path


def scanned_answer(db: Path, root_name: str, path: str) -> dict:
    """What a scan stored about the document at ``path`` of the folder ``root_name``: its
    links with the other documents (by path), their passages, and its cluster."""
    con = sqlite3.connect(db)
    where = {i: (Path(r).name, p) for i, r, p in con.execute("SELECT id, root, path FROM documents")}
    (doc,) = [i for i, place in where.items() if place == (root_name, path)]
    links = set()
    for source, copy, relation, jaccard, copy_cov, source_cov in con.execute(
        "SELECT source_id, copy_id, relation, jaccard, copy_coverage, source_coverage FROM links WHERE ? IN (source_id, copy_id)", [doc]
    ):
        kinds = dict(con.execute("SELECT kind, COUNT(*) FROM passages WHERE source_id = ? AND copy_id = ? GROUP BY kind", [source, copy]))
        other, direction = (source, "source") if copy == doc else (copy, "copy")
        counts = tuple(kinds.get(k, 0) for k in ("same", "changed", "added", "removed"))
        links.add((where[other][1], relation, direction, jaccard, copy_cov, source_cov, counts))
    cluster = con.execute("SELECT cluster_id FROM cluster_members WHERE document_id = ?", [doc]).fetchone()
    members, canonical = set(), None
    if cluster:
        members = {where[m][1] for (m,) in con.execute("SELECT document_id FROM cluster_members WHERE cluster_id = ?", cluster)} - {path}
        (canonical,) = con.execute("SELECT canonical_id FROM clusters WHERE id = ?", cluster).fetchone()
        canonical = where[canonical][1]
    return {"links": links, "cluster": cluster[0] if cluster else None, "members": members, "canonical": canonical}


def checked_answer(result: dedup.CheckResult, input_name: str) -> dict:
    """The same figures, from a check's answer."""
    links = {
        (m.path, str(m.relation), m.direction, m.similarity, m.copy_coverage, m.source_coverage,
         tuple(m.passages[k] for k in ("same", "changed", "added", "removed")))
        for m in result.matches
    }
    clusters = {(m.cluster.id, input_name if m.cluster.canonical_is_input else m.cluster.canonical_path) for m in result.matches if m.cluster}
    (cluster, canonical), *more = clusters or {(None, None)}
    assert not more
    return {"links": links, "cluster": cluster, "members": {m.path for m in result.matches if m.cluster}, "canonical": canonical}


def test_a_copy_is_found_and_equals_what_a_scan_of_it_stores(stored: Path, wire: Path, tmp_path: Path):
    (answer,) = dedup.check([wire], stored)
    assert isinstance(answer, dedup.CheckResult) and answer.path == str(wire) and answer.problems == ()
    (of_000,) = [m for m in answer.matches if m.path == SEED_000]
    assert isinstance(of_000, dedup.Match)
    assert (of_000.relation, of_000.direction) == ("copy", "source")
    assert of_000.cluster and of_000.cluster.canonical_path == SEED_000 and not of_000.cluster.canonical_is_input
    assert of_000.cluster.explanation[0].startswith(f"wire.txt is a copy of {SEED_000}: ")
    # The same file scanned, by hand, into a copy of the database (from a folder of another name).
    copy = tmp_path / "copy.db"
    shutil.copy(stored, copy)
    scan(wire.parent, copy)
    expected = scanned_answer(copy, "incoming", "wire.txt")
    assert expected["canonical"] == SEED_000 and SEED_001 in expected["members"]
    assert checked_answer(answer, "wire.txt") == expected


def test_an_unrelated_article_matches_nothing_and_the_exit_code_gates_on_a_match(stored: Path, wire: Path, tmp_path: Path):
    note = tmp_path / "note.txt"
    note.write_text(UNRELATED, encoding="utf-8")
    plain = invoke("check", note, "--db", stored, "--json")
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout) == [{"path": str(note), "matches": [], "problems": [], "answered_by": "index"}]
    assert invoke("check", note, "--db", stored).stdout == f"{note}\n  no match\n"
    assert invoke("check", note, "--db", stored, "--fail-on-match").exit_code == 0
    assert invoke("check", wire, "--db", stored).exit_code == 0
    assert invoke("check", note, wire, "--db", stored, "--fail-on-match").exit_code == 3


def test_text_output_names_the_source_and_the_figures(stored: Path, wire: Path):
    shown = invoke("check", wire, "--db", stored)
    assert shown.exit_code == 0, shown.output
    (answer,) = dedup.check([wire], stored)
    (of_000,) = [m for m in answer.matches if m.path == SEED_000]
    lines = shown.stdout.splitlines()
    assert lines[0] == str(wire)
    at = lines.index(
        f"  copy of {SEED_000} (copy): {of_000.copy_coverage:.0%} from the source, {of_000.source_coverage:.0%} of the source kept, "
        f"similarity {of_000.similarity:.2f} (shingles), passages {of_000.passages['same']} same, {of_000.passages['changed']} changed, "
        f"{of_000.passages['added']} added, {of_000.passages['removed']} removed"
    )
    assert lines[at + 1] == f"    source: {SEED_000}, confidence {of_000.cluster.confidence:.2f}"
    assert lines[at + 2].startswith(f"    wire.txt is a copy of {SEED_000}: ") and "Against it" not in lines[at + 2]


def test_the_database_is_unchanged_even_with_a_write_ahead_log(seed_corpus: Path, db_path: Path, tmp_path: Path):
    scan(seed_corpus, db_path)
    # Another connection stays open, so the next scan's pages stay in the -wal file.
    holder = sqlite3.connect(db_path)
    holder.execute("SELECT COUNT(*) FROM documents").fetchone()
    (seed_corpus / "reprint.txt").write_text("Japan Cup reprint\n" + article_body(seed_path("002").read_text()) + "\n", encoding="utf-8")
    scan(seed_corpus, db_path)
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.stat().st_size > 0
    before = (fingerprint(db_path), fingerprint(wal))
    probe = tmp_path / "probe.txt"
    probe.write_text("Utsunomiya report\n" + article_body(seed_path("002").read_text()) + "\nShared by a reader.\n", encoding="utf-8")
    (answer,) = dedup.check([probe], db_path)
    assert "reprint.txt" in {m.path for m in answer.matches}  # only the -wal file holds it
    assert (fingerprint(db_path), fingerprint(wal)) == before
    holder.close()


def test_nothing_is_written_beside_the_database(stored: Path, wire: Path):
    before = {p.name: fingerprint(p) for p in stored.parent.iterdir() if p.is_file()}
    assert invoke("check", wire, "--db", stored, "--json").exit_code == 0
    assert {p.name: fingerprint(p) for p in stored.parent.iterdir() if p.is_file()} == before
    assert not stored.with_name(stored.stem + ".checked").exists()


def test_add_keeps_the_input_and_later_commands_show_it(stored: Path, wire: Path, seed_corpus: Path):
    added = invoke("check", wire, "--db", stored, "--add", "--json")
    assert added.exit_code == 0, added.output
    (answer,) = json.loads(added.stdout)
    kept = stored.with_name("dedup.checked")
    assert answer["added"] == "dedup.checked/wire.txt" and (kept / "wire.txt").read_bytes() == wire.read_bytes()
    assert SEED_000 in {m["path"] for m in answer["matches"]}
    clusters = json.loads(invoke("clusters", "--db", stored, "--json").stdout)
    assert [(c["size"], c["canonical_path"]) for c in clusters] == [(3, SEED_000)]
    members = json.loads(invoke("show", clusters[0]["id"], "--db", stored, "--json").stdout)["members"]
    assert "wire.txt" in {m["path"] for m in members}
    # A rescan of the seed folder keeps it; the same file again is not copied twice; other
    # bytes under the same name get a numbered name.
    scan(seed_corpus, stored)
    assert json.loads(invoke("clusters", "--db", stored, "--json").stdout)[0]["size"] == 3
    assert invoke("check", wire, "--db", stored, "--add").exit_code == 0
    assert sorted(p.name for p in kept.iterdir()) == ["wire.txt"]
    wire.write_text(wire_copy(seed_path("000")) + "A correction was added to this story.\n", encoding="utf-8")
    again = json.loads(invoke("check", wire, "--db", stored, "--add", "--json").stdout)
    assert again[0]["added"] == "dedup.checked/wire-2.txt" and sorted(p.name for p in kept.iterdir()) == ["wire-2.txt", "wire.txt"]
    # Once stored, a plain check finds the kept copy as a stored document.
    (answer,) = dedup.check([wire], stored)
    assert ("wire.txt", kept.resolve().as_posix()) in {(m.path, m.root) for m in answer.matches}


def test_bad_input_is_reported_and_nothing_is_written(stored: Path, wire: Path, tmp_path: Path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    binary, empty, broken = tmp_path / "photo.txt", tmp_path / "empty.txt", tmp_path / "broken.json"
    binary.write_bytes(b"\x89PNG\x00\x00\x01\x02" * 64)
    empty.write_bytes(b"")
    broken.write_text('{"text": "unfinished', encoding="utf-8")
    before = fingerprint(stored)
    result = invoke("check", binary, empty, wire, broken, "--db", stored, "--json")
    assert result.exit_code == 1
    answers = {a["path"]: a for a in json.loads(result.stdout)}
    assert answers[str(binary)]["problems"] == ["binary file (contains NUL bytes)"] and answers[str(binary)]["matches"] == []
    assert answers[str(empty)]["problems"] == ["empty file"]
    assert answers[str(broken)]["problems"][0].startswith("malformed JSON")
    assert answers[str(wire)]["problems"] == [] and SEED_000 in {m["path"] for m in answers[str(wire)]["matches"]}
    assert fingerprint(stored) == before and list(scratch.iterdir()) == []
    text = invoke("check", empty, "--db", stored).stdout
    assert text == f"{empty}\n  error: empty file\n"
    # --add keeps only the inputs that hold an article.
    assert invoke("check", empty, wire, "--db", stored, "--add").exit_code == 1
    assert sorted(p.name for p in stored.with_name("dedup.checked").iterdir()) == ["wire.txt"]


@pytest.mark.parametrize("make", [lambda tmp: tmp / "missing.txt", lambda tmp: tmp])
def test_a_path_that_is_not_a_file_is_a_one_line_error(stored: Path, tmp_path: Path, wire: Path, make):
    before = fingerprint(stored)
    result = invoke("check", wire, make(tmp_path), "--db", stored)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert fingerprint(stored) == before


def test_no_database_is_a_one_line_error(wire: Path, tmp_path: Path):
    for extra in ([], ["--add"]):
        result = invoke("check", wire, "--db", tmp_path / "none.db", *extra)
        assert result.exit_code == 1 and result.stderr.startswith("Error: no database")
        assert not (tmp_path / "none.db").exists()


def test_standard_input(stored: Path):
    text = wire_copy(seed_path("000"))
    plain = invoke("check", "-", "--db", stored, "--json", input=text)
    assert plain.exit_code == 0, plain.output
    (answer,) = json.loads(plain.stdout)
    assert answer["path"] == "-" and SEED_000 in {m["path"] for m in answer["matches"]}
    record = json.dumps({"title": "Martinez wins the Japan Cup", "text": article_body(text), "site": "Sports Wire Daily"})
    (as_json,) = json.loads(invoke("check", "-", "--db", stored, "--json", input=record).stdout)
    assert SEED_000 in {m["path"] for m in as_json["matches"]}
    # Told it is text, the JSON is read as text: the same words, with JSON around them.
    (as_text,) = json.loads(invoke("check", "-", "--db", stored, "--json", "--format", "txt", input=record).stdout)
    assert as_text["problems"] == []
    assert invoke("check", "-", "--db", stored, "--format", "pdf", input=text).exit_code == 1


def test_the_format_of_standard_input_is_guessed_plainly():
    assert stdin_suffix(b'{"text": "a"}') == ".json" and stdin_suffix(b'  [{"text": "a"}]') == ".json"
    assert stdin_suffix(b'{"text": "a"}\n{"text": "b"}\n') == ".jsonl"
    assert stdin_suffix(b"<!DOCTYPE html><html><body><p>x</p></body></html>") == ".html"
    assert stdin_suffix(b"<html lang='en'>") == ".html"
    assert stdin_suffix(b"{not json} but a text") == ".txt" and stdin_suffix(b"<b>bold</b> text") == ".txt"
    assert stdin_suffix(b'{"text": "a"}', "txt") == ".txt"


def test_json_shape(stored: Path, wire: Path):
    (answer,) = json.loads(invoke("check", wire, "--db", stored, "--json").stdout)
    assert set(answer) == {"path", "matches", "problems", "answered_by"} and answer["answered_by"] == "index"
    match = next(m for m in answer["matches"] if m["path"] == SEED_000)
    assert set(match) == {
        "document_id", "path", "root", "record", "title", "relation", "direction", "similarity", "copy_coverage",
        "source_coverage", "passages", "cluster", "input_record",
    }
    assert set(match["passages"]) == {"same", "changed", "added", "removed"} and all(isinstance(n, int) for n in match["passages"].values())
    assert set(match["cluster"]) == {"id", "canonical_path", "canonical_is_input", "confidence", "explanation"}
    assert match["relation"] in ("copy", "reuse") and match["direction"] in ("source", "copy")
    assert 0 < match["similarity"] <= 1 and isinstance(match["cluster"]["explanation"], list)
    assert answer == dedup.check([wire], stored)[0].as_dict()


def test_a_reuse_is_told_apart_from_a_copy(stored: Path, tmp_path: Path):
    wire_passage = " ".join(article_body(seed_path("000").read_text(encoding="utf-8")).split()[60:160])
    host = article_body(seed_path("002").read_text(encoding="utf-8"))
    digest = tmp_path / "digest.txt"
    digest.write_text(f"{host}\n{wire_passage}\n{host[:300]}\n", encoding="utf-8")
    (answer,) = dedup.check([digest], stored)
    (of_000,) = [m for m in answer.matches if m.path == SEED_000]
    assert (of_000.relation, of_000.direction, of_000.cluster) == ("reuse", "source", None)
    assert "takes a passage of " + SEED_000 + " (reuse)" in invoke("check", digest, "--db", stored).stdout


def test_inputs_of_the_same_name_and_records_of_one_feed(stored: Path, tmp_path: Path):
    first, second = tmp_path / "a" / "story.txt", tmp_path / "b" / "story.txt"
    for path in (first, second):
        path.parent.mkdir()
        path.write_text(wire_copy(seed_path("000")), encoding="utf-8")
    answers = dedup.check([first, second], stored)
    assert [a.path for a in answers] == [str(first), str(second)]
    for answer in answers:  # each is a copy of 000; the two inputs are not matches of each other
        assert SEED_000 in {m.path for m in answer.matches} and "story.txt" not in {m.path for m in answer.matches}
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"text": UNRELATED}) + "\n" + json.dumps({"text": article_body(wire_copy(seed_path("000")))}) + "\n")
    (answer,) = dedup.check([feed], stored)
    assert answer.matches and {m.input_record for m in answer.matches} == {2}


def test_the_folder_name_of_the_inputs_cannot_be_taken(db_path: Path, tmp_path: Path, wire: Path):
    folder = tmp_path / CHECK_FOLDER
    shutil.copytree(seed_path("000").parent, folder)
    scan(folder, db_path)
    result = invoke("check", wire, "--db", db_path)
    assert result.exit_code == 1 and "rename that folder" in result.stderr


def test_check_is_exported_beside_scan():
    import dedup.cli  # imports the module dedup.checker
    from dedup.checker import check

    assert dedup.check is check and callable(dedup.check)
    assert {"check", "CheckResult", "Match"} <= set(dedup.__all__)


def test_help_names_the_exit_codes():
    shown = invoke("check", "--help").stdout
    assert "check [OPTIONS] FILE..." in shown
    assert all(flag in shown for flag in ("--add", "--fail-on-match", "--json", "--format"))
    assert "3" in shown and "Exit codes" in shown
