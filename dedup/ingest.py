"""Walk a folder, read and decode files, and turn them into documents with metadata.

Nothing here is fatal for a bad file: each problem becomes an ``InputProblem`` and the walk
goes on. Plain-text documents keep the decoded file content unchanged, so that character
offsets computed later point into the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from . import metadata
from .config import ScanConfig
from .models import Document, InputProblem, SourceFile

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES

TEXT_FIELDS = ("text", "body", "content")
DATE_FIELDS = ("published_at", "date", "published", "datePublished")
SITE_FIELDS = ("site", "source", "site_name")
MODIFIED_FIELDS = ("modified_at", "updated_at", "dateModified", "modified")
BASED_ON_FIELDS = ("based_on", "isBasedOn", "original_url")


def document_id(path: str, record: int | str | None) -> str:
    """A stable id for the article at ``path``: for JSON files, of ``record`` inside it.

    ``record`` is the record's own ``id`` field when it has one (so that reordering a feed
    keeps ids), else its position.
    """
    key = path if record is None else f"{path}#{record}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def walk(root: Path) -> tuple[list[str], list[InputProblem], int]:
    """List the supported files under ``root``, sorted, as ``/``-separated relative paths.

    Returns the paths, the problems met on the way (symlink loops, unreadable folders) and
    the number of files skipped for their extension. Symlinks are followed once.
    """
    found: list[str] = []
    problems: list[InputProblem] = []
    skipped = 0
    seen_dirs: set[tuple[int, int]] = set()

    def visit(folder: Path) -> None:
        nonlocal skipped
        try:
            info = folder.stat()
        except OSError as exc:
            problems.append(InputProblem(_relative(root, folder), f"unreadable folder: {exc.strerror}"))
            return
        key = (info.st_dev, info.st_ino)
        if key in seen_dirs:
            problems.append(InputProblem(_relative(root, folder), "symlink loop: folder already visited"))
            return
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(InputProblem(_relative(root, folder), f"unreadable folder: {exc.strerror}"))
            return
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError as exc:
                problems.append(InputProblem(_relative(root, path), f"unreadable: {exc.strerror}"))
                continue
            if is_dir:
                visit(path)
            elif entry.is_symlink() and not path.exists():
                problems.append(InputProblem(_relative(root, path), "broken symlink"))
            elif path.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(_relative(root, path))
            else:
                skipped += 1

    visit(root)
    return sorted(found), problems, skipped


def load(
    root: Path, path: str, config: ScanConfig, known_sha256: str | None = None
) -> tuple[SourceFile | InputProblem, list[Document] | None, list[InputProblem]]:
    """Read one file once: its hash, and its documents unless its hash is ``known_sha256``.

    Returns ``(file or problem, documents or None when unchanged, problems inside it)``.
    """
    full = root / path
    try:
        size = full.stat().st_size
        if size > config.max_file_bytes:
            return InputProblem(path, f"file too large: {size} bytes (limit {config.max_file_bytes})"), [], []
        data = full.read_bytes()
    except OSError as exc:
        return InputProblem(path, f"unreadable: {exc.strerror or exc}"), [], []
    found = SourceFile(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    if found.sha256 == known_sha256:
        return found, None, []
    docs, problems = parse_bytes(path, data)
    return found, docs, problems


def parse_bytes(path: str, data: bytes) -> tuple[list[Document], list[InputProblem]]:
    """Turn the bytes of the file at ``path`` into documents (by its extension)."""
    if not data.strip():
        return [], [InputProblem(path, "empty file")]
    if b"\x00" in data[:8192]:
        return [], [InputProblem(path, "binary file (contains NUL bytes)")]
    text = decode(data)
    if text is None:
        return [], [InputProblem(path, "undecodable bytes: no text encoding fits")]
    suffix = Path(path).suffix.lower()
    if suffix in HTML_SUFFIXES:
        return _from_html(path, text)
    if suffix == ".json":
        return _from_json(path, text)
    if suffix == ".jsonl":
        return _from_jsonl(path, text)
    return _from_text(path, text)


def decode(data: bytes) -> str | None:
    """Decode bytes as UTF-8 when valid, else with the encoding charset-normalizer detects."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    return None if controls > len(text) * 0.01 else text


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _count_words(text: str) -> int:
    return len(text.split())


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return None


def _make(path: str, record: int | None, fmt: str, text: str, id_key: str | None = None, **meta) -> Document:
    return Document(
        id=document_id(path, record if id_key is None else id_key),
        path=path,
        record=record,
        format=fmt,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        n_words=_count_words(text),
        **meta,
    )


def _from_text(path: str, text: str) -> tuple[list[Document], list[InputProblem]]:
    if not text.strip():
        return [], [InputProblem(path, "empty file (whitespace only)")]
    fmt = "markdown" if path.lower().endswith(".md") else "text"
    return [_make(path, None, fmt, text, title=_first_line(text).lstrip("# ") if fmt == "markdown" else _first_line(text))], []


def normalize_date(value: object) -> str | None:
    """An ISO 8601 UTC time or day, or None (see ``metadata.normalize_date``)."""
    return metadata.normalize_date(value)


def _from_html(path: str, html: str) -> tuple[list[Document], list[InputProblem]]:
    import trafilatura

    # htmldate on the markup only: a date guessed from the text ("© 2025") is no evidence.
    dates = {"extensive_search": False, "original_date": True}
    extracted = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, favor_recall=True, date_extraction_params=dates
    )
    text = getattr(extracted, "text", None) if extracted is not None else None
    if not text or not text.strip():
        return [], [InputProblem(path, "no article text found in HTML")]
    meta = metadata.html_metadata(html)
    url = meta.get("og_url") or meta.get("canonical_url") or getattr(extracted, "url", None)
    # htmldate (through trafilatura) is the fallback when the markup states no time.
    found_date = normalize_date(getattr(extracted, "date", None))
    doc = _make(
        path,
        None,
        "html",
        text,
        title=getattr(extracted, "title", None),
        site=meta.get("site") or getattr(extracted, "sitename", None),
        author=meta.get("author") or getattr(extracted, "author", None),
        url=url,
        canonical_url=meta.get("canonical_url"),
        published_at=meta.get("published_at") or found_date,
        date_source=meta.get("date_source") or ("htmldate" if found_date else None),
        modified_at=meta.get("modified_at"),
        based_on=meta.get("based_on"),
    )
    return [doc], []


def _from_record(path: str, record: int | None, obj: object) -> Document | InputProblem:
    where = path if record is None else f"{path}#{record}"
    if not isinstance(obj, dict):
        return InputProblem(where, "JSON record is not an object")
    text = next((obj[f] for f in TEXT_FIELDS if isinstance(obj.get(f), str) and obj[f].strip()), None)
    if text is None:
        return InputProblem(where, "JSON record has no text (fields: text, body or content)")

    def first(fields: tuple[str, ...]) -> str | None:
        value = next((obj[f] for f in fields if obj.get(f) not in (None, "")), None)
        return None if value is None else str(value)

    published = normalize_date(first(DATE_FIELDS))
    own_id = first(("id",))
    return _make(
        path,
        record,
        "json",
        text,
        title=first(("title", "headline")),
        site=first(SITE_FIELDS),
        author=first(("author", "byline")),
        url=first(("url", "link")),
        canonical_url=first(("canonical_url",)),
        published_at=published,
        date_source="json" if published else None,
        modified_at=normalize_date(first(MODIFIED_FIELDS)),
        based_on=first(BASED_ON_FIELDS),
        id_key=None if own_id is None else f"id={own_id}",
    )


def _from_json(path: str, text: str) -> tuple[list[Document], list[InputProblem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [InputProblem(path, f"malformed JSON: {exc.msg} (line {exc.lineno})")]
    records = data if isinstance(data, list) else [data]
    return _split(_from_record(path, i if isinstance(data, list) else None, obj) for i, obj in enumerate(records))


def _from_jsonl(path: str, text: str) -> tuple[list[Document], list[InputProblem]]:
    def records() -> Iterator[Document | InputProblem]:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield InputProblem(f"{path}#{number}", f"malformed JSON line: {exc.msg}")
                continue
            yield _from_record(path, number, obj)

    return _split(records())


def _split(items) -> tuple[list[Document], list[InputProblem]]:
    docs: list[Document] = []
    problems: list[InputProblem] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, InputProblem):
            problems.append(item)
            continue
        if item.id in seen:  # a repeated record id: fall back to the record's position
            item = replace(item, id=document_id(item.path, item.record))
        seen.add(item.id)
        docs.append(item)
    return docs, problems
