"""The answer of ``dedup check``: typed results, read from a database the inputs were scanned into."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlite_utils import Database

from . import provenance
from .db import open_db, read
from .models import InputProblem, LinkRelation, PassageKind

NO_ARTICLE = "no article found in it"
#: The values of ``CheckResult.answered_by``.
INDEXED, SCANNED = "index", "scan"


@dataclass(frozen=True)
class ClusterInfo:
    """The cluster an input joined, as the scan elected its original.

    ``canonical_path`` is the original's stored path, or the input's own path when the
    input is the original (``canonical_is_input``); ``explanation`` are the sentences of
    ``dedup show`` about the input and the original (or, when the input is the original,
    about the matched copy).
    """

    id: int
    canonical_path: str
    canonical_is_input: bool
    confidence: float | None
    explanation: tuple[str, ...]

    def as_dict(self) -> dict:
        """The cluster as in ``dedup check --json``."""
        return {
            "id": self.id, "canonical_path": self.canonical_path, "canonical_is_input": self.canonical_is_input,
            "confidence": self.confidence, "explanation": list(self.explanation),
        }


@dataclass(frozen=True)
class Match:
    """A stored document linked to an input document.

    ``direction`` says which side of the link the stored document is: ``source`` (the input
    is a copy of it, or takes a passage of it) or ``copy``. ``similarity`` is the Jaccard of
    the word shingles; ``copy_coverage`` and ``source_coverage`` are the link's coverage
    figures (of whichever side is the copy); ``passages`` counts the link's passages by
    kind. ``cluster`` is set when the input and the stored document are in one cluster.
    ``input_record`` is the record of the input document in a JSON, JSONL or table input.
    """

    document_id: str
    path: str
    root: str
    record: int | None
    title: str | None
    relation: LinkRelation
    direction: Literal["source", "copy"]
    similarity: float
    copy_coverage: float | None
    source_coverage: float | None
    passages: dict[str, int]
    cluster: ClusterInfo | None
    input_record: int | None = None

    def as_dict(self) -> dict:
        """The match as in ``dedup check --json``."""
        return {
            "document_id": self.document_id, "path": self.path, "root": self.root, "record": self.record,
            "title": self.title, "relation": str(self.relation), "direction": self.direction,
            "similarity": self.similarity, "copy_coverage": self.copy_coverage, "source_coverage": self.source_coverage,
            "passages": dict(self.passages), "cluster": self.cluster.as_dict() if self.cluster else None,
            "input_record": self.input_record,
        }


@dataclass(frozen=True)
class CheckResult:
    """The answer for one input: its path as given, its matches (best first) and the
    problems met reading it; ``added`` is where ``add=True`` keeps it (None otherwise);
    ``answered_by`` says how the answer was found: ``index`` (the lookup index of the last
    scan) or ``scan`` (a scan into a copy of the database, when the index cannot say it
    exactly)."""

    path: str
    matches: tuple[Match, ...]
    problems: tuple[str, ...]
    added: str | None = None
    answered_by: str = "scan"

    def as_dict(self) -> dict:
        """The result as in ``dedup check --json``."""
        found = {"path": self.path, "matches": [m.as_dict() for m in self.matches], "problems": list(self.problems)}
        return found | ({"added": self.added} if self.added else {}) | {"answered_by": self.answered_by}


@dataclass
class CheckInput:
    """An input being checked: its path as given, its file name, its bytes, the problems
    found before the scan, and its path inside the scanned folder (None: not scanned)."""

    label: str
    name: str
    data: bytes
    problems: list[str] = field(default_factory=list)
    where: str | None = None


def problem_text(problem: InputProblem, where: str) -> str:
    """A problem of the file at ``where`` as a check reports it: its reason, after
    ``record N:`` for a problem inside a record (``a.jsonl#3``)."""
    record = problem.path[len(where) + 1 :]
    return f"record {record}: {problem.reason}" if record else problem.reason


def read_answers(
    inputs: Sequence[CheckInput], database: Path | Database, root: str, problems: Iterable[InputProblem], added: str | None = None,
    *, how: str,
) -> list[CheckResult]:
    """Each input's answer, read from the database (a path or an open one) where the folder
    ``root`` was scanned: the links of its documents with stored documents (links between
    two inputs are left out), their passages, and the cluster each input joined; ``how`` the
    answer was found (``INDEXED`` or ``SCANNED``)."""
    problems = list(problems)
    wanted = {item.where for item in inputs if item.where is not None}
    documents: dict[str, list[dict]] = {}
    links: dict[str, list[dict]] = {}
    details: dict[str, dict] = {}
    if wanted:
        db = database if isinstance(database, Database) else open_db(database, readonly=True)
        try:
            for doc in read.folder_documents(db, root):
                if doc["path"] in wanted:
                    documents.setdefault(doc["path"], []).append(doc)
            ids = [doc["id"] for docs in documents.values() for doc in docs]
            for link in read.document_links(db, ids):
                for end in {link["source_id"], link["copy_id"]}:
                    links.setdefault(end, []).append(link)
            clusters = read.document_clusters(db, ids)
            by_id = {cid: read.cluster_detail(db, cid) for cid in sorted(set(clusters.values()))}
            details = {doc_id: by_id[cid] for doc_id, cid in clusters.items()}
        finally:
            if db is not database:
                db.close()
    labels = {doc["id"]: item.label for item in inputs for doc in documents.get(item.where, [])}
    results = []
    for item in inputs:
        found = list(item.problems)
        found += [problem_text(p, item.where) for p in problems if item.where and p.path.split("#", 1)[0] == item.where]
        docs = documents.get(item.where, [])
        if item.where is not None and not docs and not found:
            found.append(NO_ARTICLE)
        matches = [
            _match(doc, link, details.get(doc["id"]), labels)
            for doc in docs for link in links.get(doc["id"], [])
            if (link["copy_id"] if link["source_id"] == doc["id"] else link["source_id"]) not in labels
        ]
        matches.sort(key=_match_order)
        where = f"{added}/{item.where}" if added and item.where else None
        results.append(CheckResult(item.label, tuple(matches), tuple(found), where, how))
    return results


def _match_order(match: Match) -> tuple:
    """Matches by input record; copies before reuse; what the input comes from before what
    comes from it; then by similarity, highest first, and path."""
    return (
        match.input_record or 0, match.relation != LinkRelation.COPY, match.direction != "source", -match.similarity,
        match.path, match.root, match.record or 0,
    )


def _match(doc: dict, link: dict, detail: dict | None, labels: dict[str, str]) -> Match:
    """The match of the input document ``doc`` along ``link``, with the cluster both ends
    are in (``detail``, the input's cluster as ``read.cluster_detail`` reads it)."""
    side = "source" if link["copy_id"] == doc["id"] else "copy"
    other = link[f"{side}_id"]
    return Match(
        document_id=other,
        path=link[f"{side}_path"],
        root=link[f"{side}_root"],
        record=link[f"{side}_record"],
        title=link[f"{side}_title"],
        relation=LinkRelation(link["relation"]),
        direction=side,
        similarity=link["jaccard"],
        copy_coverage=link["copy_coverage"],
        source_coverage=link["source_coverage"],
        passages={str(kind): link[f"n_{kind}"] for kind in PassageKind},
        cluster=_cluster(detail, doc["id"], other, labels),
        input_record=doc["record"],
    )


def _cluster(detail: dict | None, doc_id: str, other: str, labels: dict[str, str]) -> ClusterInfo | None:
    """The cluster of ``detail`` when it holds both ``doc_id`` and ``other``, with the
    sentences about the input (about ``other`` when the input is the original)."""
    members = {m["document_id"]: m for m in detail["members"]} if detail else {}
    if other not in members:
        return None
    canonical = detail["canonical_id"]
    subject = other if doc_id == canonical else doc_id
    pair = {**detail, "members": [m for m in detail["members"] if m["document_id"] in (canonical, subject)]}
    stored = members[canonical]
    return ClusterInfo(
        id=detail["id"],
        canonical_path=labels.get(canonical) or stored["path"] + ("" if stored["record"] is None else f"#{stored['record']}"),
        canonical_is_input=canonical in labels,
        confidence=detail["confidence"],
        explanation=tuple(provenance.explain(pair)),
    )
