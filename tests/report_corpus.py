"""A report test corpus with hostile documents, generated from the texts it is given.

``write_hostile_corpus(folder, canonical, copy, other)`` writes the seed pair, the unrelated
article, and:
- ``003_hostile.json``: an edited syndicated copy of ``canonical`` whose title, site, author,
  URL and text carry HTML and script payloads (``<script>``, ``<img onerror>``, ``javascript:``
  links); every payload would set ``window.__pwned`` and the page title, or open an alert, if
  it ran;
- ``004_reprint.txt``: a lightly edited reprint of ``other`` (a second cluster, for sorting and
  filtering the index);
- a malformed JSON file whose name is itself markup (an error the index must list escaped).

It also holds the helpers the report tests share (scan a folder and write its report, find
the cluster of a file).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

SCRIPT = '<script>window.__pwned = "script"; document.title = "pwned"; alert("script")</script>'
IMG = '<img src=x onerror="window.__pwned = \'img\'; document.title = \'pwned\'; alert(\'img\')">'
LINK = '<a href="javascript:window.__pwned = \'link\'; alert(\'link\')">Read the full story</a>'
TITLE = 'Lenny Martinez wins Japan Cup <script>document.title = "pwned"; window.__pwned = "title"</script>'
SITE = '<b onmouseover="window.__pwned = \'site\'">Evil Cycling Wire</b>'
AUTHOR = '<img src=x onerror="window.__pwned = \'author\'">'
URL = "javascript:window.__pwned = 'url'; alert('url')"
BROKEN_NAME = "broken<img src=x onerror=alert(1)>.json"
PAYLOADS = (SCRIPT, IMG, LINK)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def seed_texts() -> list[str]:
    """The three seed articles (canonical, its copy, the unrelated report), from corpus/."""
    return [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.txt"))]


def scan_and_report(folder: Path, root: Path) -> tuple[Path, Path]:
    """Scan ``folder`` into a database under ``root`` and write its report; return both paths."""
    from dedup import report
    from dedup.pipeline import scan

    db, out = root / "dedup.db", root / "reports"
    scan(folder, db)
    report.write_report(db, out)
    return db, out


def cluster_of(db: Path, path: str) -> int:
    """The id of the cluster holding the document stored from ``path``."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT m.cluster_id FROM cluster_members m JOIN documents d ON d.id = m.document_id WHERE d.path = ?", [path]
        ).fetchone()
    assert row is not None, f"{path} is in no cluster"
    return row[0]


def write_hostile_corpus(folder: Path, canonical: str, copy: str, other: str) -> dict[str, Path]:
    """Write the hostile report corpus into ``folder`` and return its files by role."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "canonical": folder / "000_canonical.txt",
        "copy": folder / "001_copy.txt",
        "other": folder / "002_other.txt",
        "hostile": folder / "003_hostile.json",
        "reprint": folder / "004_reprint.txt",
        "broken": folder / BROKEN_NAME,
    }
    files["canonical"].write_text(canonical, encoding="utf-8")
    files["copy"].write_text(copy, encoding="utf-8")
    files["other"].write_text(other, encoding="utf-8")
    files["hostile"].write_text(
        json.dumps(
            {"title": TITLE, "site": SITE, "author": AUTHOR, "url": URL, "text": _hostile_text(canonical)},
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    files["reprint"].write_text(_reprint(other), encoding="utf-8")
    files["broken"].write_text('{"title": "cut short", "text": ', encoding="utf-8")
    return files


def _hostile_text(canonical: str) -> str:
    """The canonical's long paragraphs, edited, with payloads around and inside them.

    The edits a syndicator makes: words put in (a payload) in the second paragraph, words
    dropped from the sixth, and the third paragraph moved to the end.
    """
    body = [p for p in canonical.splitlines() if len(p.split()) > 25][:8]
    words = body[1].split(" ")
    body[1] = " ".join([*words[: len(words) // 2], IMG, *words[len(words) // 2 :]])
    words = body[5].split(" ")
    body[5] = " ".join([*words[:12], *words[18:]])
    body.append(body.pop(2))
    return "\n".join([f"Breaking: {SCRIPT}", *body, f"{LINK} {IMG}", ""])


def _reprint(other: str) -> str:
    """The other article's long paragraphs, reprinted with a new head and foot."""
    paragraphs = [p for p in other.splitlines() if 10 < len(p.split()) < 200]
    return "\n\n".join(["Reprinted with permission", *paragraphs, "Copyright the original publisher"]) + "\n"
