"""What every reader shares: the file it is given, document ids, and text decoding."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..models import Document, InputProblem

#: The ``--column FIELD=COLUMN`` mapping of a scan (``ScanConfig.columns``), or None.
Columns = tuple[tuple[str, str], ...] | None
#: What a reader makes of one file: its documents and the problems met inside it.
Parsed = tuple[list[Document], list[InputProblem]]


@dataclass(frozen=True)
class InputFile:
    """One file for a reader: its path, its bytes (never empty), the format name its
    suffix stands for (written to ``documents.format``) and the column mapping of tables."""

    path: str
    data: bytes
    format_name: str
    columns: Columns = None


def document_id(path: str, record: int | str | None) -> str:
    """A stable id for the article at ``path``: for JSON files, of ``record`` inside it.

    ``record`` is the record's own ``id`` field when it has one (so that reordering a feed
    keeps ids), else its position.
    """
    key = path if record is None else f"{path}#{record}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def scoped_id(root: str, doc_id: str) -> str:
    """The id of document ``doc_id`` (as its file alone names it) read from the scanned
    folder ``root``: it names the folder too, by its name, so the same file name in two
    folders gives two documents, and the same folder scanned anywhere gives the same ids."""
    label = root.rstrip("/").rsplit("/", 1)[-1]
    return hashlib.sha256(f"{label}/{doc_id}".encode("utf-8")).hexdigest()[:16]


def root_scoped(doc: Document, root: str) -> Document:
    """``doc`` as a document of the scanned folder ``root`` (an absolute ``/``-separated path)."""
    return replace(doc, id=scoped_id(root, doc.id), root=root)


def make_document(path: str, record: int | None, format_name: str, text: str, id_key: str | None = None, **meta) -> Document:
    """The document of ``text``, with its id, hash and word count; ``meta`` fills the rest.

    ``id_key`` (a record's own id) names the document instead of its position.
    """
    return Document(
        id=document_id(path, record if id_key is None else id_key),
        path=path,
        record=record,
        format=format_name,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        n_words=len(text.split()),
        **meta,
    )


def with_unique_ids(items: Iterable[Document | InputProblem]) -> Parsed:
    """Documents and problems apart; a document whose id repeats takes its position's id."""
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


def decode(data: bytes) -> str | None:
    """Decode bytes as UTF-8 when valid, else with the encoding charset-normalizer detects."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    guesses = from_bytes(data)
    best = guesses.best()
    if best is None:
        return None
    # French or German text often fits cp1250, cp1252 and cp1257 equally well: take the
    # commonest of the tied guesses (charset-normalizer's own order is arbitrary there).
    tied = (g for g in guesses if g.encoding == "cp1252" and (g.chaos, g.coherence) == (best.chaos, best.coherence))
    best = next(tied, best)
    text = str(best)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    return None if controls > len(text) * 0.01 else text


def decoded_text(file: InputFile) -> str | InputProblem:
    """The text of a file read as a whole, or the problem that makes it no text."""
    if b"\x00" in file.data[:8192]:
        return InputProblem(file.path, "binary file (contains NUL bytes)")
    text = decode(file.data)
    if text is None:
        return InputProblem(file.path, "undecodable bytes: no text encoding fits")
    return text
