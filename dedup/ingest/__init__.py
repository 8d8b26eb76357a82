"""Walk a folder, read each file with the reader of its suffix, and turn it into documents.

Nothing here is fatal for a bad file: each problem becomes an ``InputProblem`` and the walk
goes on. ``READERS`` lists the input formats; adding one is a read function in a module of
this package and an entry there. Plain-text documents keep the decoded file content
unchanged, so that character offsets computed later point into the file.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import ScanConfig
from ..models import Document, InputProblem, SourceFile
from . import html, records, tables, text
from .dates import normalize_date
from .documents import InputFile, Parsed, decode, document_id, root_scoped, scoped_id
from .records import FIELD_ALIASES
from .tables import PARQUET_BATCH_ROWS

__all__ = [
    "FIELD_ALIASES",
    "FORMATS",
    "PARQUET_BATCH_ROWS",
    "READERS",
    "SUPPORTED_SUFFIXES",
    "Reader",
    "decode",
    "document_id",
    "load",
    "normalize_date",
    "parse_bytes",
    "root_scoped",
    "scoped_id",
    "walk",
]


@dataclass(frozen=True)
class Reader:
    """One input format: the name written to ``documents.format``, the file suffixes
    (lower case) it reads, and the function that makes documents of a file."""

    format_name: str
    suffixes: tuple[str, ...]
    read: Callable[[InputFile], Parsed]


READERS: tuple[Reader, ...] = (
    Reader("text", (".txt",), text.read_text),
    Reader("markdown", (".md",), text.read_markdown),
    Reader("html", (".html", ".htm"), html.read_html),
    Reader("json", (".json",), records.read_json),
    # JSON Lines records are JSON records: the same format name.
    Reader("json", (".jsonl",), records.read_json_lines),
    Reader("csv", (".csv",), tables.read_delimited),
    Reader("tsv", (".tsv",), tables.read_delimited),
    Reader("parquet", (".parquet",), tables.read_parquet),
)
_READER_OF = {suffix: reader for reader in READERS for suffix in reader.suffixes}
#: The file suffixes the walk picks up, in ``READERS`` order.
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READER_OF)
#: The values of ``documents.format``, in ``READERS`` order.
FORMATS: tuple[str, ...] = tuple(dict.fromkeys(reader.format_name for reader in READERS))


def walk(root: Path) -> tuple[list[str], list[InputProblem], int]:
    """List the supported files under ``root``, sorted, as ``/``-separated relative paths.

    Returns the paths, the problems met on the way (symlink loops, unreadable folders) and
    the number of files skipped for their extension. Symlinks are followed once.
    """
    found: list[str] = []
    problems: list[InputProblem] = []
    skipped = 0
    seen_dirs: set[tuple[int, int]] = set()

    # Relative paths are built as strings (``prefix``): pathlib per entry costs more than the walk.
    def visit(folder: Path, prefix: str) -> None:
        nonlocal skipped
        here = prefix.rstrip("/") or "."
        try:
            info = folder.stat()
        except OSError as exc:
            problems.append(InputProblem(here, f"unreadable folder: {exc.strerror}"))
            return
        key = (info.st_dev, info.st_ino)
        if key in seen_dirs:
            problems.append(InputProblem(here, "symlink loop: folder already visited"))
            return
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(InputProblem(here, f"unreadable folder: {exc.strerror}"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            relative = prefix + entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError as exc:
                problems.append(InputProblem(relative, f"unreadable: {exc.strerror}"))
                continue
            if is_dir:
                visit(Path(entry.path), relative + "/")
            elif entry.is_symlink() and not os.path.exists(entry.path):
                problems.append(InputProblem(relative, "broken symlink"))
            elif os.path.splitext(entry.name)[1].lower() in _READER_OF:
                found.append(relative)
            else:
                skipped += 1

    visit(root, "")
    return sorted(found), problems, skipped


def is_article_file(path: str) -> bool:
    """Whether the walk would read the file at the ``/``-separated relative ``path``: no
    part of it hidden (a leading dot) and a suffix a reader reads."""
    parts = path.split("/")
    return not any(part.startswith(".") for part in parts) and Path(parts[-1]).suffix.lower() in _READER_OF


def load(
    root: Path, path: str, config: ScanConfig, known_sha256: str | None = None
) -> tuple[SourceFile | InputProblem, list[Document] | None, list[InputProblem]]:
    """Read one file once: its hash, and its documents unless its hash is ``known_sha256``.

    Returns ``(file or problem, documents or None when unchanged, problems inside it)``.
    """
    full = root / path
    try:
        size, mtime_ns = file_stamp(full)
        if size > config.max_file_bytes:
            return InputProblem(path, f"file too large: {size} bytes (limit {config.max_file_bytes})"), [], []
        data = full.read_bytes()
    except OSError as exc:
        return InputProblem(path, f"unreadable: {exc.strerror or exc}"), [], []
    return load_bytes(path, data, config, known_sha256, mtime_ns=mtime_ns if len(data) == size else None)


# A modification time this close to now is not kept: a change within the same tick of the
# file system's clock, of the same size, would look like no change (git's "racy" files).
RECENT_NS = 2_000_000_000


def file_stamp(path: Path | str) -> tuple[int, int | None]:
    """A file's size and modification time (ns), the time None when it is too recent to
    trust (``RECENT_NS``): a rescan takes a file whose stamp is the stored one as unchanged."""
    found = os.stat(path)
    recent = time.time_ns() - found.st_mtime_ns < RECENT_NS
    return found.st_size, None if recent else found.st_mtime_ns


def load_bytes(
    path: str, data: bytes, config: ScanConfig, known_sha256: str | None = None, *, mtime_ns: int | None = None
) -> tuple[SourceFile | InputProblem, list[Document] | None, list[InputProblem]]:
    """``load`` of a file already read: ``data`` are the bytes of the file at ``path``
    (``mtime_ns``: its modification time, if known)."""
    if len(data) > config.max_file_bytes:
        return InputProblem(path, f"file too large: {len(data)} bytes (limit {config.max_file_bytes})"), [], []
    found = SourceFile(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data), mtime_ns=mtime_ns)
    if found.sha256 == known_sha256:
        return found, None, []
    docs, problems = parse_bytes(path, data, config)
    return found, docs, problems


def parse_bytes(path: str, data: bytes, config: ScanConfig | None = None) -> Parsed:
    """Turn the bytes of the file at ``path`` into documents, with the reader of its suffix.

    CSV, TSV and Parquet rows read their fields from the columns ``config.columns`` names.
    A suffix no reader reads is a problem, as is an empty file.
    """
    reader = _READER_OF.get(Path(path).suffix.lower())
    if reader is None:
        return [], [InputProblem(path, f"unsupported file type (supported: {', '.join(SUPPORTED_SUFFIXES)})")]
    if not data.strip():
        return [], [InputProblem(path, "empty file")]
    columns = config.columns if config is not None else None
    return reader.read(InputFile(path, data, reader.format_name, columns))
