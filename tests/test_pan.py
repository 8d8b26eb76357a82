"""PAN's character-level measures on hand-made cases, and the PAN passage evaluation end to end."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from dedup.cli import app
from dedup.eval.pan import Annotation, covered, granularity, plagdet, precision, recall, score
from dedup.eval.pan_scores import group_passages

from conftest import seed_path


def ann(susp_start, susp_end, source_start, source_end, susp="s1", source="r1"):
    return Annotation(susp, susp_start, susp_end, source, source_start, source_end)


CASE = ann(100, 200, 1000, 1100)


def test_perfect_detection_scores_one():
    result = score([CASE], [CASE])
    assert (result.precision, result.recall, result.granularity, result.plagdet) == (1.0, 1.0, 1.0, 1.0)


def test_half_coverage_halves_recall_only():
    result = score([CASE], [ann(100, 150, 1000, 1050)])
    assert result.recall == 0.5 and result.precision == 1.0 and result.granularity == 1.0
    assert result.plagdet == pytest.approx(2 * 0.5 / 1.5)


def test_granularity_two_divides_by_log2_of_three():
    halves = [ann(100, 150, 1000, 1050), ann(150, 200, 1050, 1100)]
    result = score([CASE], halves)
    assert result.recall == 1.0 and result.precision == 1.0 and result.granularity == 2.0
    assert result.plagdet == pytest.approx(1 / math.log2(3))


def test_a_detection_needs_overlap_on_both_sides_and_the_same_documents():
    assert score([CASE], [ann(100, 200, 5000, 5100)]).recall == 0.0  # right suspicious range, wrong source range
    assert score([CASE], [ann(100, 200, 1000, 1100, source="r2")]).recall == 0.0
    assert score([CASE], [ann(100, 200, 1000, 1100, susp="s2")]).precision == 0.0


def test_precision_is_a_mean_over_detections():
    detections = [CASE, ann(500, 600, 3000, 3100)]  # the second one detects nothing
    assert precision([CASE], detections) == 0.5
    assert recall([CASE], detections) == 1.0
    # A detection twice the case's size on both sides: half of it is reuse.
    assert precision([CASE], [ann(100, 300, 1000, 1200)]) == 0.5


def test_overlapping_detections_count_characters_once():
    detections = [ann(100, 180, 1000, 1080), ann(120, 200, 1020, 1100)]
    assert covered(CASE, detections) == 200
    assert recall([CASE], detections) == 1.0
    assert granularity([CASE], detections) == (2.0, 1)


def test_official_script_examples():
    # The cases of PAN's own unit tests (pan09-plagiarism-detection-performance-measures.py).
    ann1, ann3, ann4 = ann(0, 100, 0, 100), ann(100, 200, 100, 200), ann(0, 200, 0, 200)
    ann7, ann9, ann10 = ann(0, 100, 0, 100, "t2", "r2"), ann(50, 150, 50, 150, "t2", "r2"), ann(25, 100, 25, 100, "t2", "r2")
    assert recall([ann1], [ann3]) == 0.0
    assert recall([ann1], [ann4]) == 1.0
    assert recall([ann7], [ann9]) == 0.5
    assert recall([ann7], [ann10]) == 0.75
    assert recall([ann7], [ann9, ann10]) == 0.75
    assert recall([ann1, ann7], [ann1]) == 0.5


def test_empty_sets_follow_pan():
    assert score([], []).plagdet == 1.0
    assert score([CASE], []).plagdet == 0.0
    assert score([], [CASE]).precision == 0.0
    assert plagdet(0.0, 0.0, 1.0) == 0.0
    with pytest.raises(ValueError):
        ann(10, 5, 0, 1)


def test_group_passages_joins_reordered_neighbours_only():
    # (source_start, source_end, copy_start, copy_end) in copy order.
    contiguous = [(0, 100, 500, 600), (100, 180, 600, 690)]
    assert group_passages(contiguous, 0) == [(0, 180, 500, 690)]
    reordered = [(300, 400, 500, 600), (0, 290, 610, 900)]  # second half of the source first
    assert group_passages(reordered, 0) == reordered
    assert group_passages(reordered, 50) == [(0, 400, 500, 900)]
    far = [(0, 100, 500, 600), (5000, 5100, 620, 720)]  # close in the copy, far apart in the source
    assert group_passages(far, 500) == far


def _write_pan_folder(root):
    """A tiny PAN-shaped corpus from the seed articles: one reuse pair and one negative pair."""
    source_text = seed_path("000").read_text(encoding="utf-8")
    host = seed_path("002").read_text(encoding="utf-8")
    start = source_text.index("Lenny Martinez (Bahrain")
    reused = source_text[start : source_text.index("Paris-Nice.") + len("Paris-Nice.")]
    cut = host.index("\n\nWith 20 kilometres")
    susp = host[:cut] + "\n\n" + reused + host[cut:]
    for folder in ("src", "susp", "01-no-plagiarism", "02-no-obfuscation"):
        (root / folder).mkdir(parents=True)
    (root / "src" / "source-document00001.txt").write_text(source_text, encoding="utf-8")
    (root / "src" / "source-document00002.txt").write_text(host[: len(host) // 2], encoding="utf-8")
    (root / "susp" / "suspicious-document00001.txt").write_text(susp, encoding="utf-8")
    (root / "susp" / "suspicious-document00002.txt").write_text(seed_path("001").read_text(encoding="utf-8")[:300], encoding="utf-8")
    this, src = susp.index(reused), start
    (root / "02-no-obfuscation" / "suspicious-document00001-source-document00001.xml").write_text(
        '<document reference="suspicious-document00001.txt">\n'
        f'<feature name="plagiarism" obfuscation="none" source_length="{len(reused)}" source_offset="{src}" '
        f'source_reference="source-document00001.txt" this_length="{len(reused)}" this_offset="{this}" type="artificial" />\n'
        "</document>\n",
        encoding="utf-8",
    )
    (root / "01-no-plagiarism" / "suspicious-document00002-source-document00002.xml").write_text(
        '<document reference="suspicious-document00002.txt">\n</document>\n', encoding="utf-8"
    )
    (root / "pair_labels.tsv").write_text(
        "suspicious_doc\tsource_doc\tsubset\thas_offset_annotation\tsubset_implies_reuse\n"
        "suspicious-document00001.txt\tsource-document00001.txt\t02-no-obfuscation\t1\t1\n"
        "suspicious-document00002.txt\tsource-document00002.txt\t01-no-plagiarism\t0\t0\n",
        encoding="utf-8",
    )


def test_eval_pan_passages_scores_a_scan(tmp_path):
    root = tmp_path / "pan"
    _write_pan_folder(root)
    result = CliRunner().invoke(app, ["eval", "pan-passages", str(root), "--db", str(tmp_path / "pan.db")])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    subset = figures["02-no-obfuscation"]
    assert subset["linked_pairs"] == 1 and subset["cases"] == 1 and subset["detected_cases"] == 1
    assert subset["granularity"] == 1.0
    assert subset["recall"] > 0.99 and subset["precision"] > 0.99
    assert figures["01-no-plagiarism"]["detections"] == 0
    assert figures["overall"]["plagdet"] == subset["plagdet"]


def test_eval_pan_passages_rejects_a_folder_without_labels(tmp_path):
    result = CliRunner().invoke(app, ["eval", "pan-passages", str(tmp_path)])
    assert result.exit_code == 1
    assert "pair_labels.tsv" in result.output
