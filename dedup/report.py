"""HTML reports: an index of the clusters and one page per cluster with its aligned passages.

Loading (SQL → small frozen dataclasses) is kept apart from rendering (jinja2 templates in
``templates/``, autoescaping on), so every string that comes from an article reaches the page
escaped. Links are built from numeric cluster ids only, never from article text. Pages are
self-contained (inline CSS and JS, and a Content-Security-Policy that allows no request at all)
and deterministic: the same database gives byte-identical files.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlite_utils import Database

from .db import open_db, read
from .db.schema import MIGRATIONS
from .errors import ReportError

KINDS = ("same", "changed", "added", "removed")
INDEX_FILE = "index.html"


@dataclass(frozen=True)
class ScanError:
    """A file (or record) the scan could not use."""

    path: str
    reason: str


@dataclass(frozen=True)
class ScanSummary:
    """The figures of the latest scan, as stored in its ``scans`` row."""

    scan_id: int | None
    root: str | None
    started_at: str | None
    finished_at: str | None
    n_files: int
    n_documents: int
    n_links: int
    n_clusters: int
    n_clustered_documents: int
    n_errors: int
    errors: tuple[ScanError, ...]


@dataclass(frozen=True)
class ClusterRow:
    """One line of the index: a cluster and what identifies it."""

    id: int
    size: int
    canonical_title: str
    canonical_path: str
    sites: tuple[str, ...]
    paths: tuple[str, ...]
    min_similarity: float
    max_similarity: float
    confidence: float | None

    @property
    def page(self) -> str:
        """The file name of the cluster's page (built from its numeric id only)."""
        return cluster_file(self.id)


@dataclass(frozen=True)
class IndexPage:
    """Everything ``index.html`` shows."""

    summary: ScanSummary
    clusters: tuple[ClusterRow, ...]
    has_confidence: bool


@dataclass(frozen=True)
class Member:
    """A document of a cluster, with its role and figures."""

    document_id: str
    role: str
    path: str
    title: str
    site: str | None
    author: str | None
    url: str | None
    published_at: str | None
    n_words: int
    similarity: float | None
    containment: float | None
    relation: str | None
    score: float | None


@dataclass(frozen=True)
class Piece:
    """A run of words inside a ``changed`` passage: ``equal``, ``delete`` (source) or ``insert`` (copy)."""

    op: str
    text: str


@dataclass(frozen=True)
class Passage:
    """One aligned passage of a link: the text of each side (stripped) and its length in the document."""

    position: int
    kind: str
    source_text: str
    copy_text: str
    source_chars: int
    copy_chars: int
    similarity: float | None
    source_pieces: tuple[Piece, ...]
    copy_pieces: tuple[Piece, ...]
    moved: bool


@dataclass(frozen=True)
class Share:
    """The share of one side's characters that fall into passages of one kind."""

    kind: str
    chars: int
    fraction: float


@dataclass(frozen=True)
class Comparison:
    """A copy side by side with its source (a verified link of the cluster)."""

    source: Member
    copy: Member
    jaccard: float
    containment: float
    copy_coverage: float | None
    source_coverage: float | None
    passages: tuple[Passage, ...]
    counts: dict[str, int]
    source_shares: tuple[Share, ...]
    copy_shares: tuple[Share, ...]

    @property
    def anchor(self) -> str:
        """An id for the comparison's section, from document ids (hex digests, not article text)."""
        return f"link-{self.source.document_id}-{self.copy.document_id}"


@dataclass(frozen=True)
class Evidence:
    """One provenance signal recorded for a cluster member."""

    document_id: str
    path: str
    signal: str
    weight: float | None
    detail: str


@dataclass(frozen=True)
class ClusterPage:
    """Everything a cluster page shows."""

    id: int
    size: int
    canonical_title: str
    mean_similarity: float
    confidence: float | None
    members: tuple[Member, ...]
    comparisons: tuple[Comparison, ...]
    evidence: tuple[Evidence, ...]

    def anchor_of(self, document_id: str) -> str | None:
        """The anchor of the first comparison that shows ``document_id`` as the copy."""
        return next((c.anchor for c in self.comparisons if c.copy.document_id == document_id), None)


def cluster_file(cluster_id: int) -> str:
    """The report file name of a cluster."""
    return f"cluster-{int(cluster_id)}.html"


def write_report(db_path: Path | str, out_dir: Path | str) -> list[Path]:
    """Write ``index.html`` and one page per cluster into ``out_dir``; return the files written.

    Cluster pages left over from an earlier report (``cluster-*.html`` whose cluster is gone)
    are removed, so the folder always matches the database.
    """
    db = open_db(db_path, create=False)
    # A database from an older dedup gets the tables and columns read here (empty).
    MIGRATIONS.apply(db)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create the report folder {out}: {exc.strerror}") from exc
    if not out.is_dir():
        raise ReportError(f"{out} is not a folder")
    env = _environment()
    index = load_index(db)
    pages = {INDEX_FILE: render_index(index, env)}
    for row in index.clusters:
        pages[row.page] = render_cluster(load_cluster(db, row.id), env)
    db.close()
    for stale in sorted(out.glob("cluster-*.html")):
        if stale.name not in pages:
            stale.unlink()
    written = []
    for name, html in pages.items():
        path = out / name
        try:
            path.write_text(html, encoding="utf-8", newline="\n")
        except OSError as exc:
            raise ReportError(f"cannot write {path}: {exc.strerror}") from exc
        written.append(path)
    return written


# Loading -------------------------------------------------------------------------------------


def load_index(db: Database) -> IndexPage:
    """The latest scan's summary and every cluster, in id order."""
    rows = _rows(
        db,
        """
        SELECT c.id, c.size, c.min_similarity, c.max_similarity, c.confidence,
               d.title AS canonical_title, d.path AS canonical_path
        FROM clusters c JOIN documents d ON d.id = c.canonical_id ORDER BY c.id
        """,
    )
    members: dict[int, list[dict]] = {}
    for row in _rows(
        db,
        """
        SELECT m.cluster_id, d.path, d.site, d.url FROM cluster_members m
        JOIN documents d ON d.id = m.document_id ORDER BY m.cluster_id, d.path
        """,
    ):
        members.setdefault(row["cluster_id"], []).append(row)
    clusters = tuple(
        ClusterRow(
            id=row["id"],
            size=row["size"],
            canonical_title=row["canonical_title"] or row["canonical_path"],
            canonical_path=row["canonical_path"],
            sites=tuple(sorted({s for m in members.get(row["id"], []) if (s := _site(m["site"], m["url"]))})),
            paths=tuple(m["path"] for m in members.get(row["id"], [])),
            min_similarity=row["min_similarity"],
            max_similarity=row["max_similarity"],
            confidence=row["confidence"],
        )
        for row in rows
    )
    return IndexPage(
        summary=load_summary(db), clusters=clusters, has_confidence=any(c.confidence is not None for c in clusters)
    )


def load_summary(db: Database) -> ScanSummary:
    """The latest scan's figures and its errors (an empty summary before any scan)."""
    scans = _rows(db, "SELECT * FROM scans ORDER BY id DESC LIMIT 1")
    if not scans:
        return ScanSummary(None, None, None, None, 0, 0, 0, 0, 0, 0, ())
    scan = scans[0]
    errors = tuple(
        ScanError(r["path"], r["reason"])
        for r in _rows(db, "SELECT path, reason FROM errors WHERE scan_id = ? ORDER BY path, id", [scan["id"]])
    )
    return ScanSummary(
        scan_id=scan["id"],
        root=scan["root"],
        started_at=scan["started_at"],
        finished_at=scan["finished_at"],
        n_files=scan["n_files"] or 0,
        n_documents=scan["n_documents"] or 0,
        n_links=scan["n_links"] or 0,
        n_clusters=scan["n_clusters"] or 0,
        n_clustered_documents=scan["n_clustered_documents"] or 0,
        n_errors=scan["n_errors"] or 0,
        errors=errors,
    )


def load_cluster(db: Database, cluster_id: int) -> ClusterPage:
    """A cluster's members, the aligned passages of every link between them, and its evidence."""
    detail = read.cluster_detail(db, cluster_id)
    member_rows = _rows(
        db,
        """
        SELECT m.document_id, m.role, m.similarity, m.containment, m.relation, m.score, d.path, d.title, d.site,
               d.author, d.url, d.published_at, d.n_words, d.text
        FROM cluster_members m JOIN documents d ON d.id = m.document_id
        WHERE m.cluster_id = ? ORDER BY m.role != 'canonical', m.similarity DESC, d.path
        """,
        [cluster_id],
    )
    texts = {r["document_id"]: r.pop("text") or "" for r in member_rows}
    members = tuple(Member(**{**r, "title": r["title"] or r["path"], "n_words": r["n_words"] or 0}) for r in member_rows)
    by_id = {m.document_id: m for m in members}
    comparisons = []
    for copy, link in _compared_links(db, cluster_id, members):
        source = by_id[link["source_id"]]
        passages = _passages(db, source.document_id, copy.document_id, texts)
        comparisons.append(
            Comparison(
                source=source,
                copy=copy,
                jaccard=link["jaccard"],
                containment=link["containment"],
                copy_coverage=link["copy_coverage"],
                source_coverage=link["source_coverage"],
                passages=passages,
                counts={k: sum(p.kind == k for p in passages) for k in KINDS},
                source_shares=_shares(passages, "source", ("same", "changed", "removed")),
                copy_shares=_shares(passages, "copy", ("same", "changed", "added")),
            )
        )
    return ClusterPage(
        id=detail["id"],
        size=detail["size"],
        canonical_title=members[0].title if members else "",
        mean_similarity=detail["mean_similarity"],
        confidence=detail["confidence"],
        members=members,
        comparisons=tuple(comparisons),
        evidence=_evidence(db, cluster_id, by_id),
    )


def _compared_links(db: Database, cluster_id: int, members: tuple[Member, ...]) -> list[tuple[Member, dict]]:
    """The link shown for each copy, in the members' order.

    That is the link from the canonical when the two are linked directly, otherwise the link
    from the copy's most similar linked source. One comparison per copy keeps a page's size linear in the cluster's size, however many
    links its members have between them.
    """
    links = _rows(
        db,
        """
        SELECT l.source_id, l.copy_id, l.jaccard, l.containment, l.copy_coverage, l.source_coverage FROM links l
        JOIN cluster_members a ON a.document_id = l.source_id AND a.cluster_id = :cluster
        JOIN cluster_members b ON b.document_id = l.copy_id AND b.cluster_id = :cluster
        ORDER BY l.copy_id, a.role != 'canonical', l.jaccard DESC, l.source_id
        """,
        {"cluster": cluster_id},
    )
    best: dict[str, dict] = {}
    for link in links:
        best.setdefault(link["copy_id"], link)
    return [(m, best[m.document_id]) for m in members if m.document_id in best]


def _passages(db: Database, source_id: str, copy_id: str, texts: dict[str, str]) -> tuple[Passage, ...]:
    """The stored passages of a link in order, with their text cut from both documents."""
    rows = _rows(
        db,
        """
        SELECT position, kind, source_start, source_end, copy_start, copy_end, similarity, diff
        FROM passages WHERE source_id = ? AND copy_id = ? ORDER BY position
        """,
        [source_id, copy_id],
    )
    source_text, copy_text = texts[source_id], texts[copy_id]
    moved = _moved_positions([r for r in rows if r["kind"] in ("same", "changed")])
    passages = []
    for r in rows:
        # Whitespace around a passage (paragraph breaks) is not shown.
        a = source_text[r["source_start"] : r["source_end"]].strip()
        b = copy_text[r["copy_start"] : r["copy_end"]].strip()
        source_pieces, copy_pieces = _pieces(r["diff"], source_text, copy_text) if r["kind"] == "changed" else ((), ())
        passages.append(
            Passage(
                position=r["position"],
                kind=r["kind"],
                source_text=a,
                copy_text=b,
                source_chars=r["source_end"] - r["source_start"],
                copy_chars=r["copy_end"] - r["copy_start"],
                similarity=r["similarity"],
                source_pieces=source_pieces,
                copy_pieces=copy_pieces,
                moved=r["position"] in moved,
            )
        )
    return tuple(passages)


def _pieces(diff: str | None, source_text: str, copy_text: str) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    """Split a stored word-level diff into the source side's and the copy side's runs.

    ``diff`` is the JSON list ``[[op, source_start, source_end, copy_start, copy_end], ...]``
    whose ranges cover the passage on both sides in order.
    """
    if not diff:
        return (), ()
    source: list[Piece] = []
    copy: list[Piece] = []
    for op, s0, s1, c0, c1 in json.loads(diff):
        if op == "equal":
            source.append(Piece("equal", source_text[s0:s1]))
            copy.append(Piece("equal", copy_text[c0:c1]))
            continue
        source.extend(_marked("delete", source_text[s0:s1]))
        copy.extend(_marked("insert", copy_text[c0:c1]))
    return _strip(source), _strip(copy)


def _marked(op: str, text: str) -> list[Piece]:
    """An edited run, with the whitespace after its words left unmarked."""
    words = text.rstrip()
    return [Piece(op, words), Piece("equal", text[len(words) :])]


def _strip(pieces: list[Piece]) -> tuple[Piece, ...]:
    """The pieces without the whitespace around them (the passage's text is shown stripped)."""
    pieces = [p for p in pieces if p.text]
    while pieces and not pieces[0].text.strip():
        pieces.pop(0)
    while pieces and not pieces[-1].text.strip():
        pieces.pop()
    if pieces:
        pieces[0] = Piece(pieces[0].op, pieces[0].text.lstrip())
        pieces[-1] = Piece(pieces[-1].op, pieces[-1].text.rstrip())
    return tuple(pieces)


def _moved_positions(matched: list[dict]) -> set[int]:
    """Positions of matched passages that are out of the source's order (moved in the copy).

    The passages in the longest run that keeps the source's order stay in place; the others
    were moved.
    """
    starts = [r["source_start"] for r in matched]
    tails: list[int] = []  # tails[k]: index of the smallest last start of an increasing run of length k + 1
    parent = [-1] * len(starts)
    for i, start in enumerate(starts):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if starts[tails[mid]] < start:
                lo = mid + 1
            else:
                hi = mid
        parent[i] = tails[lo - 1] if lo else -1
        if lo == len(tails):
            tails.append(i)
        else:
            tails[lo] = i
    kept = set()
    i = tails[-1] if tails else -1
    while i != -1:
        kept.add(i)
        i = parent[i]
    return {r["position"] for i, r in enumerate(matched) if i not in kept}


def _shares(passages: tuple[Passage, ...], side: str, kinds: tuple[str, ...]) -> tuple[Share, ...]:
    """How one side's characters split between passage kinds (as the coverage figures count them)."""
    chars = {k: 0 for k in kinds}
    for p in passages:
        if p.kind in chars:
            chars[p.kind] += p.source_chars if side == "source" else p.copy_chars
    total = sum(chars.values())
    return tuple(Share(k, chars[k], chars[k] / total if total else 0.0) for k in kinds)


def _evidence(db: Database, cluster_id: int, members: dict[str, Member]) -> tuple[Evidence, ...]:
    rows = _rows(
        db,
        "SELECT document_id, signal, weight, detail FROM evidence WHERE cluster_id = ? ORDER BY document_id, signal, id",
        [cluster_id],
    )
    return tuple(
        Evidence(
            document_id=r["document_id"] or "",
            path=members[r["document_id"]].path if r["document_id"] in members else (r["document_id"] or "—"),
            signal=r["signal"] or "",
            weight=r["weight"],
            detail=_detail_text(r["detail"]),
        )
        for r in rows
    )


def _detail_text(detail: str | None) -> str:
    """Evidence detail as readable text: JSON objects become ``key: value`` pairs."""
    if not detail:
        return ""
    try:
        value = json.loads(detail)
    except ValueError:
        return detail
    if isinstance(value, dict):
        return "; ".join(f"{k}: {json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v}" for k, v in sorted(value.items()))
    return detail


def _site(site: str | None, url: str | None) -> str | None:
    """The site's name, or the host of the document's URL (shown as text, never as a link)."""
    if site:
        return site
    if url:
        try:
            return urlsplit(url).hostname
        except ValueError:
            return None
    return None


def _rows(db: Database, sql: str, params: list | dict | None = None) -> list[dict]:
    cursor = db.execute(sql, params or [])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# Rendering -----------------------------------------------------------------------------------


def render_index(page: IndexPage, env=None) -> str:
    """The HTML of ``index.html``."""
    env = env or _environment()
    script = _asset(env, "index.js")
    return env.get_template("index.html").render(page=page, script=script, csp=_csp(script))


def render_cluster(page: ClusterPage, env=None) -> str:
    """The HTML of one cluster's page."""
    env = env or _environment()
    return env.get_template("cluster.html").render(page=page, script=None, csp=_csp(None))


def _environment():
    """A jinja2 environment over the package's templates, autoescaping everything."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("dedup", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = _pct
    env.filters["fig"] = _fig
    env.globals["css"] = _asset(env, "report.css")
    return env


def _asset(env, name: str) -> str:
    """A static file of the templates folder (CSS or JS), inlined as is."""
    source, _, _ = env.loader.get_source(env, name)
    return source


def _csp(script: str | None) -> str:
    """A Content-Security-Policy allowing no request, inline styles, and only our own script.

    The script is allowed by its hash, so a script tag that came from article text would not
    run even if it ever reached the page unescaped.
    """
    allowed = "'none'"
    if script is not None:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        allowed = f"'sha256-{digest}'"
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src {allowed}; img-src data:; base-uri 'none'; form-action 'none'"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _fig(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
