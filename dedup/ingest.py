"""Walk a folder, read and decode files, and turn them into documents with metadata.

Nothing here is fatal for a bad file: each problem becomes an ``InputProblem`` and the walk
goes on. Plain-text documents keep the decoded file content unchanged, so that character
offsets computed later point into the file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from . import metadata
from .config import ScanConfig
from .models import Document, InputProblem, SourceFile

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl"}
DELIMITED_SUFFIXES = {".csv", ".tsv"}
TABLE_SUFFIXES = DELIMITED_SUFFIXES | {".parquet"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | TABLE_SUFFIXES

TEXT_FIELDS = ("text", "body", "content")
DATE_FIELDS = ("published_at", "date", "published", "datePublished")
SITE_FIELDS = ("site", "source", "site_name", "publisher")
MODIFIED_FIELDS = ("modified_at", "updated_at", "dateModified", "modified")
BASED_ON_FIELDS = ("based_on", "isBasedOn", "original_url")

#: The fields of a record (JSON object, CSV/TSV/Parquet row), each with the keys or column
#: names it is read from, in order of preference. ``--column FIELD=COLUMN`` (the config's
#: ``columns``) names the column of a field in tables; its keys are the FIELD names.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "text": TEXT_FIELDS,
    "title": ("title", "headline"),
    "site": SITE_FIELDS,
    "author": ("author", "byline"),
    "url": ("url", "link"),
    "canonical_url": ("canonical_url",),
    "published_at": DATE_FIELDS,
    "modified_at": MODIFIED_FIELDS,
    "based_on": BASED_ON_FIELDS,
}
#: Parquet rows are read this many at a time.
PARQUET_BATCH_ROWS = 1024
#: Characters that ``surrogateescape`` decoding makes of bytes that are not UTF-8.
_UNDECODED_RE = re.compile("[\udc80-\udcff]")
_NON_ASCII_RE = re.compile("[^\x00-\x7f\udc80-\udcff]")


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
    docs, problems = parse_bytes(path, data, config)
    return found, docs, problems


def parse_bytes(path: str, data: bytes, config: ScanConfig | None = None) -> tuple[list[Document], list[InputProblem]]:
    """Turn the bytes of the file at ``path`` into documents (by its extension).

    CSV, TSV and Parquet rows read their fields from the columns ``config.columns`` names.
    """
    if not data.strip():
        return [], [InputProblem(path, "empty file")]
    suffix = Path(path).suffix.lower()
    columns = config.columns if config is not None else None
    if suffix == ".parquet":
        return _from_parquet(path, data, columns)
    if suffix in DELIMITED_SUFFIXES:
        return _from_delimited(path, data, columns)
    if b"\x00" in data[:8192]:
        return [], [InputProblem(path, "binary file (contains NUL bytes)")]
    text = decode(data)
    if text is None:
        return [], [InputProblem(path, "undecodable bytes: no text encoding fits")]
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
        site=meta.get("site") or _guessed_site(extracted),
        author=meta.get("author") or getattr(extracted, "author", None),
        url=url,
        canonical_url=meta.get("canonical_url"),
        published_at=meta.get("published_at") or found_date,
        date_source=meta.get("date_source") or ("htmldate" if found_date else None),
        modified_at=meta.get("modified_at"),
        based_on=meta.get("based_on"),
    )
    return [doc], []


def _guessed_site(extracted) -> str | None:
    """trafilatura's guess of the site name, unless it is only the page title again (then
    the page's folder or URL tells the site better, see ``boilerplate.site_of``)."""
    name = getattr(extracted, "sitename", None)
    title = getattr(extracted, "title", None)
    if not name or (title and name.strip().casefold() in title.casefold()):
        return None
    return name


def _from_record(path: str, record: int | None, obj: object, fmt: str = "json") -> Document | InputProblem:
    """The document of one record: a JSON object, or a table row as a dict (``fmt`` csv, ...)."""
    where = path if record is None else f"{path}#{record}"
    if not isinstance(obj, dict):
        return InputProblem(where, "JSON record is not an object")
    text = next((obj[f] for f in TEXT_FIELDS if isinstance(obj.get(f), str) and obj[f].strip()), None)
    if text is None:
        return InputProblem(where, "JSON record has no text (fields: text, body or content)")

    def first(field: str) -> str | None:
        # Nested values (a JSON-LD ``publisher`` object, say) are no name, date or id.
        found = (obj[f] for f in FIELD_ALIASES[field] if obj.get(f) not in (None, "") and not isinstance(obj[f], (dict, list)))
        value = next(found, None)
        return None if value is None else str(value)

    published = normalize_date(first("published_at"))
    own_id = first("id")
    return _make(
        path,
        record,
        fmt,
        text,
        title=first("title"),
        site=first("site"),
        author=first("author"),
        url=first("url"),
        canonical_url=first("canonical_url"),
        published_at=published,
        # "json": a date stated in a record's field (JSON or a table column), see provenance.
        date_source="json" if published else None,
        modified_at=normalize_date(first("modified_at")),
        based_on=first("based_on"),
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


def _from_delimited(path: str, data: bytes, columns) -> tuple[list[Document], list[InputProblem]]:
    """CSV (``.csv``) or TSV (``.tsv``) with a header row: one document per row.

    A bad row (malformed, wrong number of fields, undecodable, without text) is a problem
    naming its row (and first line); the other rows are kept.
    """
    loose = False
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    elif b"\x00" in data[:8192]:
        return [], [InputProblem(path, "binary file (contains NUL bytes)")]
    else:
        text, loose = _decode_table(data)
    if text is None:
        return [], [InputProblem(path, "undecodable bytes: no text encoding fits")]
    text = text.removeprefix("\ufeff")
    suffix = Path(path).suffix.lower()
    first_line = text.lstrip("\r\n").partition("\n")[0]
    delimiter = "\t" if suffix == ".tsv" or ("," not in first_line and "\t" in first_line) else ","
    if delimiter == "," and "," not in first_line and ";" in first_line:  # Excel in many locales
        delimiter = ";"
    # No field is longer than the text; never lower a limit set elsewhere in the process.
    csv.field_size_limit(max(csv.field_size_limit(), min(len(text) + 1, 2**31 - 1)))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    header: list[str] | None = None
    plan: list[tuple[str, int]] = []
    text_columns = ""
    problems: list[InputProblem] = []
    items: list[Document | InputProblem] = []
    number = 0
    for line, fields, error in _csv_records(reader):
        if fields is not None and not any(f.strip() for f in fields):
            continue  # a blank line
        if header is None:
            if error is not None:
                return [], [InputProblem(path, f"malformed header row (line {line}): {error}")]
            header = fields
            plan, missing = _column_plan(header, columns)
            fatal = _no_text_problem(path, header, plan, columns)
            if fatal is not None:
                return [], [fatal]
            problems.extend(_missing_column_problems(path, header, missing))
            text_columns = ", ".join(header[i].strip() for key, i in plan if key in TEXT_FIELDS)
            continue
        number += 1
        where = f"row {number} (line {line})"
        if error is not None:
            items.append(InputProblem(path, f"{where}: malformed {suffix[1:].upper()}: {error}"))
        elif len(fields) < len(header) or any(f.strip() for f in fields[len(header) :]):
            hint = " (a quote left open?)" if any("\n" in f for f in fields) else ""
            count = f"{len(fields)} field" + ("" if len(fields) == 1 else "s")
            items.append(InputProblem(path, f"{where}: {count}, the header has {len(header)}{hint}"))
        elif loose and any(_UNDECODED_RE.search(f) for f in fields):
            items.append(InputProblem(path, f"{where}: undecodable bytes (not UTF-8)"))
        else:
            found = _from_record(path, number, {key: fields[i] for key, i in plan}, suffix[1:])
            items.append(InputProblem(path, f"{where}: no text (columns: {text_columns})") if isinstance(found, InputProblem) else found)
    docs, row_problems = _split(items)
    return docs, problems + row_problems


def _decode_table(data: bytes) -> tuple[str | None, bool]:
    """The text of a CSV/TSV file, and whether it is UTF-8 with some undecodable bytes left in.

    A scrape that is UTF-8 but for a few bad rows stays UTF-8 (the bad rows become
    problems); other files are decoded as a whole by ``decode``.
    """
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    loose = data.decode("utf-8", errors="surrogateescape")
    undecoded = len(_UNDECODED_RE.findall(loose))
    if len(_NON_ASCII_RE.findall(loose)) > undecoded:
        return loose, True
    return decode(data), False


def _csv_records(reader) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """``(first line, fields, None)`` per CSV record, ``(first line, None, reason)`` for a malformed one."""
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, None, str(exc)
            if reader.line_num < line:  # no progress: nothing more can be read
                return
            continue
        yield line, fields, None


def _column_plan(names: list[str], columns) -> tuple[list[tuple[str, int]], list[tuple[str, list[str]]]]:
    """Which column fills which record key: ``[(key, column index)]``, and the fields whose
    ``--column`` names no column here (those fall back to the usual names).

    Column names match exactly, else ignoring case and surrounding spaces; a column named
    by ``--column`` is not read for another field under its usual name.
    """
    exact: dict[str, int] = {}
    folded: dict[str, int] = {}
    for i, name in enumerate(names):
        exact.setdefault(name.strip(), i)
        folded.setdefault(name.strip().casefold(), i)

    def find(name: str) -> int | None:
        name = name.strip()
        return exact[name] if name in exact else folded.get(name.casefold())

    wanted: dict[str, list[str]] = {}
    for field, column in columns or ():
        wanted.setdefault(field, []).append(column)
    chosen = {field: next((i for i in map(find, cols) if i is not None), None) for field, cols in wanted.items()}
    taken = {i for i in chosen.values() if i is not None}
    plan: list[tuple[str, int]] = []
    missing: list[tuple[str, list[str]]] = []
    for field, aliases in FIELD_ALIASES.items():
        if chosen.get(field) is not None:
            plan.append((field, chosen[field]))
            continue
        if field in wanted:
            missing.append((field, wanted[field]))
        for alias in aliases:
            i = find(alias)
            if i is not None and i not in taken:
                plan.append((alias, i))
    return plan, missing


def _shown_columns(names: list[str]) -> str:
    shown = [repr(n.strip()[:60]) if not n.strip() or "," in n else n.strip()[:60] for n in names[:30]]
    return ", ".join(shown) + (f", … ({len(names)} columns)" if len(names) > 30 else "")


def _no_text_problem(path: str, names: list[str], plan: list[tuple[str, int]], columns) -> InputProblem | None:
    """The one problem of a table without a text column, or None."""
    if any(key in TEXT_FIELDS for key, _ in plan):
        return None
    asked = [column for field, column in columns or () if field == "text"]
    if asked:
        return InputProblem(path, f"no text column (--column text={' or text='.join(asked)}: no such column); columns: {_shown_columns(names)}")
    return InputProblem(
        path, f"no text column (text, body or content; or name one with --column text=COLUMN); columns: {_shown_columns(names)}"
    )


def _missing_column_problems(path: str, names: list[str], missing) -> list[InputProblem]:
    return [
        InputProblem(path, f"--column {field}={' or '.join(cols)}: no such column (columns: {_shown_columns(names)})")
        for field, cols in missing
    ]


def _from_parquet(path: str, data: bytes, columns) -> tuple[list[Document], list[InputProblem]]:
    """A Parquet file: one document per row, read in batches of ``PARQUET_BATCH_ROWS``.

    Only the columns a record field needs are read. Timestamps and dates become ISO strings
    (a timestamp without a zone is UTC), so dates normalize as in any other format.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    failures = (pa.ArrowException, OSError, ValueError, EOFError)
    try:
        table = pq.ParquetFile(pa.BufferReader(data))
        names = list(table.schema_arrow.names)
    except failures as exc:
        return [], [InputProblem(path, f"unreadable Parquet file: {_one_line(exc)}")]
    plan, missing = _column_plan(names, columns)
    fatal = _no_text_problem(path, names, plan, columns)
    if fatal is not None:
        return [], [fatal]
    problems = _missing_column_problems(path, names, missing)
    selected = list(dict.fromkeys(names[i] for _, i in plan))
    position = [(key, selected.index(names[i]), names[i]) for key, i in plan]
    text_columns = ", ".join(name for key, _, name in position if key in TEXT_FIELDS)
    items: list[Document | InputProblem] = []
    number = 0
    batches = table.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=selected)
    while True:
        try:
            batch = next(batches, None)
        except failures as exc:
            problems.append(InputProblem(path, f"unreadable Parquet file after row {number}: {_one_line(exc)}"))
            break
        if batch is None:
            break
        try:
            cells = [_plain_times(pa, batch.column(j)).to_pylist() for j in range(batch.num_columns)]
        except failures as exc:
            problems.append(InputProblem(path, f"rows {number + 1}-{number + batch.num_rows}: unreadable values: {_one_line(exc)}"))
            number += batch.num_rows
            continue
        for r in range(batch.num_rows):
            number += 1
            row = {key: _plain_value(cells[j][r]) for key, j, _ in position}
            bad = next((name for key, _, name in position if key in TEXT_FIELDS and row[key] is _UNDECODABLE), None)
            if bad is not None:
                items.append(InputProblem(path, f"row {number}: undecodable bytes (not UTF-8) in column {bad}"))
                continue
            row = {key: None if value is _UNDECODABLE else value for key, value in row.items()}
            found = _from_record(path, number, row, "parquet")
            items.append(InputProblem(path, f"row {number}: no text (columns: {text_columns})") if isinstance(found, InputProblem) else found)
    docs, row_problems = _split(items)
    return docs, problems + row_problems


_UNDECODABLE = object()


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _plain_times(pa, column):
    """Timestamps as microseconds (UTC when zoned), which Python's datetime holds without pandas."""
    kind = column.type
    if pa.types.is_timestamp(kind) and (kind.unit != "us" or kind.tz not in (None, "UTC")):
        return column.cast(pa.timestamp("us", tz="UTC" if kind.tz else None), safe=False)
    return column


def _plain_value(value: object) -> object:
    """A Parquet cell as a record value: times and dates as ISO strings, binary as UTF-8.

    (Parquet strings are UTF-8; a single cell is too short to guess another encoding from.)
    """
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return _UNDECODABLE
    return value


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
