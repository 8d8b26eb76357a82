"""Passage alignment: the seed pair, edits, moves, normalisation, and invariants under hypothesis."""

from __future__ import annotations

import json
import re

import pytest
from conftest import seed_path
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.align import FURNITURE_CHARS, Coverage, align, coverage, flip, normalize_word, words
from dedup.batches import grouped_pairs
from dedup.db import open_db
from dedup.errors import ConfigError
from dedup.models import Passage
from dedup.pipeline import scan

SOURCE = seed_path("000").read_text(encoding="utf-8")
COPY = seed_path("001").read_text(encoding="utf-8")

PARAGRAPHS = [
    "The council approved the new budget on Tuesday after a long debate about road repairs and school funding.",
    "Opposition members said the plan left too little money for libraries, parks and the public swimming pool.",
    "The mayor said the city would review spending again in the spring once the tax figures were known.",
    "Residents who attended the meeting asked for more bus services to the northern suburbs and the hospital.",
    "A final vote on the transport plan is expected next month, after a public consultation closes in March.",
]


def check_cover(passages, source: str, copy: str) -> None:
    """The invariants every alignment keeps (asserted, so a test fails when one breaks)."""
    position = 0
    for p in passages:
        assert p.copy_start == position, "copy ranges must follow each other in list order"
        assert p.copy_start <= p.copy_end
        position = p.copy_end
    assert position == len(copy)
    assert "".join(copy[p.copy_start : p.copy_end] for p in passages) == copy
    spans = sorted((p.source_start, p.source_end) for p in passages if p.source_end > p.source_start)
    position = 0
    for start, end in spans:
        assert start == position, "source ranges must cover the source once, without overlap"
        position = end
    assert position == len(source)
    for p in passages:
        assert 0 <= p.source_start <= p.source_end <= len(source)
        if p.kind == "added":
            assert p.source_start == p.source_end and p.copy_end > p.copy_start
        elif p.kind == "removed":
            assert p.copy_start == p.copy_end and p.source_end > p.source_start
        else:
            assert p.source_end > p.source_start and p.copy_end > p.copy_start
        if p.kind == "same":
            assert _words(source[p.source_start : p.source_end]) == _words(copy[p.copy_start : p.copy_end])
            assert p.similarity == 1.0 and p.diff == ()
        if p.kind == "changed":
            assert 0.0 <= p.similarity < 1.0
            s, c = p.source_start, p.copy_start
            for op in p.diff:
                assert (op.source_start, op.copy_start) == (s, c), "diff ops must cover the passage in order"
                s, c = op.source_end, op.copy_end
                if op.op == "insert":
                    assert op.source_start == op.source_end
                if op.op == "delete":
                    assert op.copy_start == op.copy_end
            assert (s, c) == (p.source_end, p.copy_end)


def _words(text: str) -> list[str]:
    return [normalize_word(w) for w in text.split()]


def _kind_of(passages, text: str, snippet: str, side: str) -> set[str]:
    """Kinds of the passages whose ``side`` range holds ``snippet``."""
    start = text.index(snippet)
    kinds = set()
    for p in passages:
        a, b = (p.copy_start, p.copy_end) if side == "copy" else (p.source_start, p.source_end)
        if a < start + len(snippet) and start < b:
            kinds.add(p.kind)
    return kinds


def test_seed_pair_body_same_furniture_added_and_removed():
    passages = align(SOURCE, COPY)
    check_cover(passages, SOURCE, COPY)
    body = [line for line in SOURCE.splitlines() if len(line.split()) >= 25 and "Cyclingnews" not in line]
    assert len(body) == 8
    for line in body:
        assert _kind_of(passages, SOURCE, line, "source") <= {"same", "changed"}, line
    # The copy quotes with curly marks, the source with straight ones: not an edit.
    quoted = "It was the last race of the season and I am super happy"
    assert _kind_of(passages, COPY, quoted, "copy") == {"same"}
    assert '"It was' in SOURCE and "\u201cIt was" in COPY
    for snippet in ("Description", "Show more...", "is one of the biggest road races in Asia", "Results :"):
        assert _kind_of(passages, COPY, snippet, "copy") == {"added"}, snippet
    for snippet in (
        "The latest race content, interviews",
        "Simone is a degree-qualified journalist",
        "You must confirm your public display name",
        "Latest on Cyclingnews",
        "Tearful Lucinda Brand",
    ):
        assert _kind_of(passages, SOURCE, snippet, "source") == {"removed"}, snippet
    figures = coverage(passages, len(SOURCE), len(COPY))
    assert 0.65 < figures.copy_coverage < 0.8 and 0.7 < figures.source_coverage < 0.9


def test_moved_paragraphs_are_matches_not_removed_and_added():
    source = "\n".join(PARAGRAPHS)
    copy = "\n".join([PARAGRAPHS[3], PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[4], PARAGRAPHS[2]])
    passages = align(source, copy)
    check_cover(passages, source, copy)
    assert {p.kind for p in passages} == {"same"}
    assert len(passages) == 5


def test_edited_words_give_a_changed_passage_with_word_diff():
    source = "\n".join(PARAGRAPHS)
    edited = PARAGRAPHS[1].replace("libraries", "museums").replace(" and the public swimming pool", "")
    copy = "\n".join([PARAGRAPHS[0], edited] + PARAGRAPHS[2:])
    passages = align(source, copy)
    check_cover(passages, source, copy)
    assert [p.kind for p in passages] == ["same", "changed", "same", "same", "same"]
    changed = passages[1]
    edits = [(op.op, source[op.source_start : op.source_end].strip(), copy[op.copy_start : op.copy_end].strip()) for op in changed.diff if op.op != "equal"]
    assert any(op == "replace" and old.startswith("libraries") and new.startswith("museums") for op, old, new in edits)
    assert any(op == "delete" and "swimming" in old for op, old, _ in edits)
    assert 0.6 < changed.similarity < 1.0


def test_a_rewritten_paragraph_between_matches_is_paired_as_changed():
    long = PARAGRAPHS[1] + " They added that the promised cycle lanes on the ring road would again be delayed by at least two years."
    # Every other word replaced: half the words kept in order, but no two in a row.
    rewritten = " ".join(w if i % 2 == 0 else f"w{i}" for i, w in enumerate(long.split()))
    source = "\n".join([PARAGRAPHS[0], long, PARAGRAPHS[2]])
    copy = "\n".join([PARAGRAPHS[0], rewritten, PARAGRAPHS[2]])
    passages = align(source, copy)
    check_cover(passages, source, copy)
    assert [p.kind for p in passages] == ["same", "changed", "same"]
    assert copy[passages[1].copy_start : passages[1].copy_end].strip() == rewritten
    assert 0.4 <= passages[1].similarity < 0.8
    # Without the pairing (only identical words pair up) it is a removal plus an addition.
    assert "changed" not in {p.kind for p in align(source, copy, min_similarity=1.0)}


def test_typography_case_and_whitespace_are_not_edits():
    source = 'He said "it\'s over" - the end of an era.\nThe next line follows here with more words in it.'
    copy = "HE said  \u201cit\u2019s over\u201d \u2014 the end of an era.\r\n\r\nThe next line   follows here with more words in it."
    passages = align(source, copy)
    check_cover(passages, source, copy)
    assert {p.kind for p in passages} == {"same"}


def test_a_shared_common_phrase_is_not_a_match():
    source = "Officials in the United States of America said nothing at all about the storm damage yesterday."
    copy = "Farmers across the United States of America expect a record harvest of wheat and corn this year."
    passages = align(source, copy)
    check_cover(passages, source, copy)
    assert [p.kind for p in passages] == ["removed", "added"]


def test_inserted_and_dropped_paragraphs():
    source = "\n".join(PARAGRAPHS)
    copy = "\n".join(["Breaking news from the town hall tonight.", *PARAGRAPHS[:2], *PARAGRAPHS[3:]])
    passages = align(source, copy)
    check_cover(passages, source, copy)
    assert [p.kind for p in passages] == ["added", "same", "same", "removed", "same", "same"]
    removed = passages[3]
    assert source[removed.source_start : removed.source_end].strip() == PARAGRAPHS[2]
    assert removed.copy_start == passages[2].copy_end


@pytest.mark.parametrize("source, copy", [("", ""), ("some words here", ""), ("", "some words here"), ("  \n ", "\n\n"), ("a b", "   ")])
def test_empty_and_blank_texts(source, copy):
    passages = align(source, copy)
    check_cover(passages, source, copy)
    assert all(p.kind in ("added", "removed") for p in passages)


def test_settings_out_of_range_are_refused():
    with pytest.raises(ConfigError):
        align("a b c", "a b c", anchor=0)
    with pytest.raises(ConfigError):
        align("a b c", "a b c", min_similarity=1.5)


def test_flip_swaps_sides_and_kinds():
    source = "\n".join(PARAGRAPHS)
    copy = "\n".join(["Breaking news from the town hall tonight.", PARAGRAPHS[0], PARAGRAPHS[1].replace("libraries", "museums"), PARAGRAPHS[4]])
    passages = align(source, copy)
    flipped = flip(passages)
    check_cover(flipped, copy, source)
    assert sorted(p.kind for p in flipped) == sorted({"added": "removed", "removed": "added"}.get(p.kind, p.kind) for p in passages)
    changed = next(p for p in flipped if p.kind == "changed")
    assert any(source[o.copy_start : o.copy_end].startswith("libraries") and copy[o.source_start : o.source_end].startswith("museums") for o in changed.diff)
    assert flip(flipped) == passages


def test_coverage_counts_matched_characters():
    # The unmatched paragraphs are longer than FURNITURE_CHARS: article text, counted.
    source = PARAGRAPHS[1] + " " + PARAGRAPHS[2] + "\n" + PARAGRAPHS[0]
    extra = "Something else entirely that nobody wrote before in any paper, about a harbour, a ferry timetable and the price of a season ticket."
    copy = PARAGRAPHS[0] + "\n" + extra + " " + extra
    passages = align(source, copy)
    assert sorted(p.kind for p in passages) == ["added", "removed", "same"]
    figures = coverage(passages, len(source), len(copy))
    assert figures.copy_coverage == pytest.approx((len(PARAGRAPHS[0]) + 1) / len(copy), abs=1e-4)
    assert figures.source_coverage == pytest.approx(len(PARAGRAPHS[0]) / len(source), abs=1e-4)
    assert coverage([], 0, 0).copy_coverage == 0.0


def test_coverage_leaves_out_short_unmatched_lines_and_measures_changed_text():
    # A copy of 1,000 source characters, 100 of them edited, plus a 40-character credit line
    # and without a 60-character newsletter prompt: furniture, so still all source text.
    passages = [
        Passage("same", 0, 900, 0, 900, 1.0), Passage("changed", 900, 1000, 900, 1000, 0.8),
        Passage("removed", 1000, 1060, 1000, 1000, 0.0), Passage("added", 1060, 1060, 1000, 1040, 0.0),
    ]
    assert coverage(passages, 1060, 1040) == Coverage(copy_coverage=1.0, source_coverage=1.0, changed=0.1)
    # A paragraph of FURNITURE_CHARS or more is article text, added or dropped.
    long = FURNITURE_CHARS
    dropped = passages[:2] + [Passage("removed", 1000, 1000 + long, 1000, 1000, 0.0)]
    assert coverage(dropped, 1000 + long, 1000).source_coverage == round(1000 / (1000 + long), 4)


def test_scan_stores_the_member_link_coverage_on_the_copy_and_in_its_relation(seed_corpus, db_path):
    scan(seed_corpus, db_path)
    db = open_db(db_path, create=False)
    (link,) = list(db["links"].rows)
    members = {m["role"]: m for m in db["cluster_members"].rows}
    copy, canonical = members["copy"], members["canonical"]
    assert (copy["copy_coverage"], copy["source_coverage"]) == (link["copy_coverage"], link["source_coverage"])
    detail = json.loads(copy["relation_detail"])
    assert (detail["copy_coverage"], detail["source_coverage"]) == (link["copy_coverage"], link["source_coverage"])
    assert detail["measured_against"] == canonical["document_id"] == link["source_id"]
    assert canonical["copy_coverage"] is None and canonical["source_coverage"] is None and canonical["relation"] is None


VOCABULARY = ["alpha", "beta", "gamma", "delta", "Epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"]
SEPARATORS = [" ", " ", " ", "  ", "\n", "\n\n", " \u2014 ", ", ", ". "]


@st.composite
def texts(draw) -> str:
    """Texts over a small vocabulary, so that repeats and accidental matches are common."""
    parts = draw(st.lists(st.tuples(st.sampled_from(VOCABULARY), st.sampled_from(SEPARATORS)), max_size=60))
    lead = draw(st.sampled_from(["", " ", "\n"]))
    return lead + "".join(word + sep for word, sep in parts)


@st.composite
def edited_pairs(draw) -> tuple[str, str]:
    """A source and a copy made from it by moving, dropping, inserting and changing lines."""
    source = draw(texts())
    lines = source.split("\n")
    copy_lines = list(lines)
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["move", "drop", "insert", "change"]))
        if not copy_lines:
            break
        k = draw(st.integers(0, len(copy_lines) - 1))
        if action == "move":
            copy_lines.insert(draw(st.integers(0, len(copy_lines) - 1)), copy_lines.pop(k))
        elif action == "drop":
            copy_lines.pop(k)
        elif action == "insert":
            copy_lines.insert(k, draw(texts()).replace("\n", " "))
        else:
            line_words = copy_lines[k].split(" ")
            line_words[draw(st.integers(0, len(line_words) - 1))] = draw(st.sampled_from(VOCABULARY + ["new", "WORD"]))
            copy_lines[k] = " ".join(line_words)
    return source, "\n".join(copy_lines)


@settings(max_examples=300, deadline=None)
@given(edited_pairs())
def test_passages_cover_both_texts_exactly_once(pair):
    source, copy = pair
    passages = align(source, copy)
    check_cover(passages, source, copy)
    check_cover(flip(passages), copy, source)
    assert flip(flip(passages)) == passages


@settings(max_examples=200, deadline=None)
@given(texts(), texts(), st.integers(1, 4), st.integers(0, 6))
def test_invariants_hold_for_any_texts_and_settings(source, copy, anchor, max_gap):
    passages = align(source, copy, anchor=anchor, max_gap=max_gap, min_words=anchor, chunk=3)
    check_cover(passages, source, copy)
    assert flip(flip(passages)) == passages


# Every kind of whitespace str.split knows, and characters that look like it but are not.
SPACES = [" ", "\n", "\t", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u1680", "\u2007", "\u2028", "\u2029", "\u202f", "\u3000"]
NOT_SPACES = ["\u200b", "\ufeff", "\u00ad", "\u3001", "\ud800", "\U0001f600", "\u2014", "\u201c"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY + SPACES + NOT_SPACES + ["x", "İ", "ß"]), max_size=40))
def test_words_split_where_str_split_does_and_lines_start_paragraphs(parts):
    text = "".join(parts)
    split = words.__wrapped__(text)
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    assert split.starts == [a for a, _ in spans]
    assert split.norms == _words(text)
    # A paragraph starts at the first word after each newline (never at the first word).
    expected = sorted({sum(1 for a, _ in spans if a <= m.start()) for m in re.finditer("\n", text)} - {0, len(spans)})
    assert split.paragraph_starts == expected
    keys = [re.sub(r"[\W_]+", "", norm) for norm in split.norms]
    assert split.keyed == [k for k, key in enumerate(keys) if key]
    assert split.keys == tuple(key for key in keys if key)


@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)).filter(lambda p: p[0] != p[1]), unique=True, max_size=30))
def test_grouped_pairs_keep_every_pair_and_put_each_group_together(numbers):
    pairs = [(f"d{a:02}", f"d{b:02}") for a, b in numbers]
    ordered = grouped_pairs(pairs)
    assert sorted(ordered) == sorted(pairs)
    # Documents linked directly or through others form a group; its pairs come in one stretch.
    group = {d: {d} for pair in pairs for d in pair}
    for a, b in pairs:
        if group[a] is not group[b]:
            merged = group[a] | group[b]
            for d in merged:
                group[d] = merged
    starts = [k for k, pair in enumerate(ordered) if k == 0 or group[pair[0]] is not group[ordered[k - 1][0]]]
    assert len(starts) == len({id(group[a]) for a, _ in pairs})
    assert grouped_pairs(list(reversed(pairs))) == ordered


def test_scan_stores_passages_and_coverage_for_the_link(seed_corpus, db_path):
    scan(seed_corpus, db_path)
    db = open_db(db_path, create=False)
    links = list(db["links"].rows)
    assert len(links) == 1
    link = links[0]
    assert 0.65 < link["copy_coverage"] < 0.8 and 0.7 < link["source_coverage"] < 0.9
    texts_by_id = {row["id"]: row["text"] for row in db["documents"].rows}
    source, copy = texts_by_id[link["source_id"]], texts_by_id[link["copy_id"]]
    rows = list(db.query("SELECT * FROM passages WHERE source_id = ? AND copy_id = ? ORDER BY position", [link["source_id"], link["copy_id"]]))
    assert [r["position"] for r in rows] == list(range(len(rows)))
    assert "".join(copy[r["copy_start"] : r["copy_end"]] for r in rows) == copy
    assert {r["kind"] for r in rows} >= {"same", "added", "removed"}
    assert sum(r["source_end"] - r["source_start"] for r in rows) == len(source)
    for r in rows:
        if r["kind"] == "changed":
            ops = json.loads(r["diff"])
            assert ops[0][1] == r["source_start"] and ops[-1][4] == r["copy_end"]
        else:
            assert r["diff"] is None
    before = list(db.query("SELECT * FROM passages ORDER BY id"))
    db.close()
    scan(seed_corpus, db_path)
    db = open_db(db_path, create=False)
    assert list(db.query("SELECT * FROM passages ORDER BY id")) == before
    # An edited copy is re-aligned on the next scan: the edit shows up as a changed passage.
    copy_file = next(seed_corpus.glob("001_*.txt"))
    copy_file.write_text(copy_file.read_text(encoding="utf-8").replace("super hard race", "very hard race"), encoding="utf-8")
    db.close()
    scan(seed_corpus, db_path)
    db = open_db(db_path, create=False)
    changed = list(db.query("SELECT diff FROM passages WHERE kind = 'changed'"))
    assert len(changed) == 1 and "replace" in changed[0]["diff"]


def test_bench_align_prints_one_row_per_size(tmp_path):
    from typer.testing import CliRunner

    from dedup.cli import app

    result = CliRunner().invoke(app, ["bench", "align", str(seed_path("000")), "--sizes", "300,900"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()[1:]]
    assert [int(row[0]) >= size for row, size in zip(rows, (300, 900))] == [True, True]
    assert len(rows) == 2 and all("same" in line for line in result.output.splitlines()[1:])
    empty = CliRunner().invoke(app, ["bench", "align", str(tmp_path)])
    assert empty.exit_code == 1 and "no paragraphs" in empty.output
