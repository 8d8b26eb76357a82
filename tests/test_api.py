"""The Python API: the names ``dedup`` exports work as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import dedup

SEEDS = Path(__file__).resolve().parent.parent / "corpus"


def test_every_exported_name_resolves():
    for name in dedup.__all__:
        assert getattr(dedup, name) is not None, name
    with pytest.raises(AttributeError):
        dedup.no_such_name  # noqa: B018


def test_import_is_cheap():
    # The CLI imports dedup on every call: the heavy libraries load only when used.
    code = "import sys, dedup; print(sorted(m for m in ('numpy', 'datasketch', 'trafilatura') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_scan_then_read_the_clusters(tmp_path: Path):
    db = tmp_path / "api.db"
    result = dedup.scan(SEEDS, db, dedup.ScanConfig(workers=1))
    assert isinstance(result, dedup.ScanResult) and isinstance(result.summary, dedup.ScanSummary)
    assert result.summary.n_clusters == 1 and result.problems == []
    [row] = dedup.list_clusters(db)
    detail = dedup.cluster_detail(db, row["id"])
    paths = sorted(m["path"] for m in detail["members"])
    assert paths == sorted(p.name for p in SEEDS.iterdir() if p.name[:3] in ("000", "001"))
    assert any("is a copy of" in line for line in detail["explanation"])
    with pytest.raises(dedup.DedupError):
        dedup.cluster_detail(db, row["id"] + 100)


def test_detect_without_a_database():
    from dedup.ingest import parse_bytes

    docs = [d for p in sorted(SEEDS.iterdir()) for d in parse_bytes(p.name, p.read_bytes())[0]]
    found = dedup.detect(docs, dedup.ScanConfig(workers=1))
    assert [sorted(c.member_ids) for c in found.clusters] == [sorted(d.id for d in docs if d.path[:3] in ("000", "001"))]
    assert all(isinstance(l, dedup.Link) and l.relation in set(dedup.LinkRelation) for l in found.links)
