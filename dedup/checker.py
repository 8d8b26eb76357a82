"""``dedup check``: is an article a copy or a reuse of the articles a database holds?

A check is a scan. The inputs are put in a temporary folder named ``dedup-check`` (so the
ids of their documents do not depend on where the folder is), the database is copied with
SQLite's backup API, the folder is scanned into the copy with ``pipeline.scan``, and the
answer is read from the copy: the links, passages, clusters and evidence that touch the
inputs' documents. The copy is then removed: the real database is never written. The
answer is therefore exactly what a scan of the inputs into the database would store.

With ``add=True`` the inputs are kept instead: copied into the folder
``<db stem>.checked/`` beside the database, which is scanned into the real database, and the
answer is read from it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from . import ingest, provenance
from .config import ScanConfig
from .db import open_db, read
from .errors import InputError
from .models import InputProblem, LinkRelation, PassageKind
from .pipeline import scan

#: The name of the temporary folder the inputs are scanned from: document ids name it.
CHECK_FOLDER = "dedup-check"
#: The argument that stands for standard input.
STDIN = "-"
#: The file name standard input is checked under (its suffix says how it is read).
STDIN_NAME = "stdin"
#: The values of ``stdin_format``: the suffixes ``dedup scan`` reads, without the dot.
STDIN_FORMATS: tuple[str, ...] = tuple(suffix.lstrip(".") for suffix in ingest.SUPPORTED_SUFFIXES)
#: The folder ``add=True`` keeps the inputs in, beside the database: ``<db stem>.checked``.
CHECKED_SUFFIX = ".checked"
NO_ARTICLE = "no article found in it"


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
    problems met reading it; ``added`` is where ``add=True`` keeps it (None otherwise)."""

    path: str
    matches: tuple[Match, ...]
    problems: tuple[str, ...]
    added: str | None = None

    def as_dict(self) -> dict:
        """The result as in ``dedup check --json``."""
        found = {"path": self.path, "matches": [m.as_dict() for m in self.matches], "problems": list(self.problems)}
        return found | ({"added": self.added} if self.added else {})


@dataclass
class _Input:
    """An input being checked: its path as given, its file name, its bytes, the problems
    found before the scan, and its path inside the scanned folder (None: not scanned)."""

    label: str
    name: str
    data: bytes
    problems: list[str] = field(default_factory=list)
    where: str | None = None


def check(
    paths: Sequence[Path | str], db_path: Path | str, config: ScanConfig | None = None, *, add: bool = False,
    stdin_format: str | None = None,
) -> list[CheckResult]:
    """Check each file of ``paths`` (``-``: standard input) against the database at
    ``db_path``: one ``CheckResult`` per input, in order.

    The answer is what scanning the inputs into a copy of the database stores; the database
    is not written, unless ``add``: then the inputs that hold an article are kept in
    ``<db stem>.checked/`` and that folder is scanned into the database. ``stdin_format``
    (``txt``, ``json``, ``html``…) says how standard input is read, else ``stdin_suffix``
    guesses it. Raises ``InputError`` for a path that is not a readable file, ``StoreError``
    when there is no database.
    """
    config = config or ScanConfig()
    db_path = Path(db_path)
    inputs = _read_inputs(paths, stdin_format)
    with tempfile.TemporaryDirectory(prefix="dedup-check-") as temp:
        folder = Path(temp) / CHECK_FOLDER
        _stage(inputs, folder)
        if add:
            return _check_added(inputs, folder, db_path, config)
        copy = Path(temp) / "copy.db"
        _backup(db_path, copy)
        result = scan(folder, copy, config)
        return _answers(inputs, copy, folder.resolve().as_posix(), result.problems)


def _read_inputs(paths: Sequence[Path | str], stdin_format: str | None) -> list[_Input]:
    """Every input's bytes, read before any other work, so that a bad path stops the check
    at once. A name ``dedup scan`` would not read is a problem of its input."""
    if stdin_format is not None and stdin_format not in STDIN_FORMATS:
        raise InputError(f"unknown format {stdin_format!r} for standard input (one of {', '.join(STDIN_FORMATS)})")
    if not paths:
        raise InputError("no file to check")
    if sum(str(p) == STDIN for p in paths) > 1:
        raise InputError("standard input (-) can be checked only once")
    inputs = []
    for given in paths:
        if str(given) == STDIN:
            data = sys.stdin.buffer.read()
            inputs.append(_Input(STDIN, STDIN_NAME + stdin_suffix(data, stdin_format), data))
            continue
        path = Path(given)
        if not path.exists():
            raise InputError(f"no such file: {path}")
        if not path.is_file():
            raise InputError(f"not a file: {path} (dedup check takes article files; dedup scan takes a folder)")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
        item = _Input(str(given), path.name, data)
        if path.suffix.lower() not in ingest.SUPPORTED_SUFFIXES:
            item.problems.append(f"unsupported file type (supported: {', '.join(ingest.SUPPORTED_SUFFIXES)})")
        elif path.name.startswith("."):
            item.problems.append("hidden file: dedup scan skips it")
        inputs.append(item)
    return inputs


def stdin_suffix(data: bytes, stated: str | None = None) -> str:
    """The suffix standard input is checked under: ``.`` + ``stated`` when given; else
    ``.json`` when it parses as JSON, ``.jsonl`` when each line does, ``.html`` when it
    starts with an HTML tag (``<!doctype html``, ``<html``, ``<head``, ``<body``), else ``.txt``."""
    if stated:
        return f".{stated}"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        if _is_json(data):
            return ".json"
        if all(_is_json(line) for line in data.splitlines() if line.strip()):
            return ".jsonl"
    if re.match(rb"<(!doctype\s+html|html|head|body)\b", head[:200], re.IGNORECASE):
        return ".html"
    return ".txt"


def _is_json(data: bytes) -> bool:
    """Whether ``data`` parses as JSON."""
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def _stage(inputs: Sequence[_Input], folder: Path) -> None:
    """Write the inputs into ``folder`` under their names and set their ``where``. The
    second input of a name goes to ``2/NAME``, the third to ``3/NAME``, and so on."""
    folder.mkdir()
    seen: dict[str, int] = {}
    for item in inputs:
        if item.problems:
            continue
        seen[item.name] = seen.get(item.name, 0) + 1
        item.where = item.name if seen[item.name] == 1 else f"{seen[item.name]}/{item.name}"
        (folder / item.where).parent.mkdir(exist_ok=True)
        (folder / item.where).write_bytes(item.data)


def _backup(db_path: Path, copy: Path) -> None:
    """Copy the database at ``db_path``, opened read-only, to ``copy`` with SQLite's backup
    API (a consistent state, what the ``-wal`` file holds included)."""
    source = open_db(db_path, readonly=True)
    try:
        clash = [root for root in read.stored_roots(source) if root.rsplit("/", 1)[-1] == CHECK_FOLDER]
        if clash:
            raise InputError(
                f"{db_path} holds a scanned folder named {CHECK_FOLDER!r} ({clash[0]}), the name dedup check "
                "gives its inputs: rename that folder"
            )
        target = sqlite3.connect(copy)
        try:
            source.conn.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def _check_added(inputs: Sequence[_Input], staged: Path, db_path: Path, config: ScanConfig) -> list[CheckResult]:
    """Keep the inputs that hold an article in ``<db stem>.checked/`` and scan that folder
    into the database; the others are answered with their problems and not kept. An input
    whose name is taken there by other bytes gets a numbered name (``NAME-2.txt``); one
    already there with the same bytes is not copied again."""
    open_db(db_path, create=False).close()  # it must exist and be a dedup database
    kept = db_path.parent / f"{db_path.stem}{CHECKED_SUFFIX}"
    created: list[Path] = []
    for item in inputs:
        if item.where is None:
            continue
        found, docs, inner = ingest.load(staged, item.where, config)
        if not docs:
            item.problems += [_problem_text(p, item.where) for p in [found, *inner] if isinstance(p, InputProblem)] or [NO_ARTICLE]
            item.where = None
            continue
        target = _free_name(kept, item.name, item.data)
        if not target.exists():
            kept.mkdir(exist_ok=True)
            target.write_bytes(item.data)
            created.append(target)
        item.where = target.name
    if not any(item.where for item in inputs):
        return _answers(inputs, db_path, "", [])
    try:
        result = scan(kept, db_path, config)
    except BaseException:
        for path in created:  # a failed scan keeps nothing
            path.unlink()
        raise
    return _answers(inputs, db_path, kept.resolve().as_posix(), result.problems, added=kept.name)


def _free_name(folder: Path, name: str, data: bytes) -> Path:
    """``folder / name``, or ``NAME-2.ext``, ``NAME-3.ext``…: the first that is free or
    already holds ``data``."""
    candidate, number = folder / name, 1
    while candidate.exists() and candidate.read_bytes() != data:
        number += 1
        candidate = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
    return candidate


def _problem_text(problem: InputProblem, where: str) -> str:
    """A problem of the file at ``where`` as a check reports it: its reason, after
    ``record N:`` for a problem inside a record (``a.jsonl#3``)."""
    record = problem.path[len(where) + 1 :]
    return f"record {record}: {problem.reason}" if record else problem.reason


def _answers(
    inputs: Sequence[_Input], db_path: Path, root: str, problems: Iterable[InputProblem], added: str | None = None
) -> list[CheckResult]:
    """Each input's answer, read from the database at ``db_path`` where the folder ``root``
    was scanned: the links of its documents with stored documents (links between two
    inputs are left out), their passages, and the cluster each input joined."""
    problems = list(problems)
    wanted = {item.where for item in inputs if item.where is not None}
    documents: dict[str, list[dict]] = {}
    links: dict[str, list[dict]] = {}
    details: dict[str, dict] = {}
    if wanted:
        db = open_db(db_path, readonly=True)
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
            db.close()
    labels = {doc["id"]: item.label for item in inputs for doc in documents.get(item.where, [])}
    results = []
    for item in inputs:
        found = list(item.problems)
        found += [_problem_text(p, item.where) for p in problems if item.where and p.path.split("#", 1)[0] == item.where]
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
        results.append(CheckResult(item.label, tuple(matches), tuple(found), where))
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
