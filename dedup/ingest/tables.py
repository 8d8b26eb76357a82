"""Tables: CSV (``.csv``), TSV (``.tsv``) and Parquet (``.parquet``), one article per row.

A row's fields come from the columns named like the record fields (see
``records.FIELD_ALIASES``) or from those ``--column FIELD=COLUMN`` names. A bad row is a
problem naming its row; the other rows are kept.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime

from ..models import Document, InputProblem
from .documents import Columns, InputFile, Parsed, decode, with_unique_ids
from .records import FIELD_ALIASES, TEXT_FIELDS, record_document

#: Parquet rows are read this many at a time.
PARQUET_BATCH_ROWS = 1024
#: Characters that ``surrogateescape`` decoding makes of bytes that are not UTF-8.
_UNDECODED_RE = re.compile("[\udc80-\udcff]")
_NON_ASCII_RE = re.compile("[^\x00-\x7f\udc80-\udcff]")
#: A Parquet cell of bytes that are not UTF-8 (a problem in a text column, else no value).
_UNDECODABLE = object()


def read_delimited(file: InputFile) -> Parsed:
    """CSV or TSV (``file.format_name``) with a header row: one document per row.

    The delimiter is a tab in TSV, else a comma, or the tab or semicolon (Excel in many
    locales) that the header uses instead. A bad row (malformed, wrong number of fields,
    undecodable, without text) is a problem naming its row (and first line); the other
    rows are kept.
    """
    path, data, columns = file.path, file.data, file.columns
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
    first_line = text.lstrip("\r\n").partition("\n")[0]
    delimiter = "\t" if file.format_name == "tsv" or ("," not in first_line and "\t" in first_line) else ","
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
            items.append(InputProblem(path, f"{where}: malformed {file.format_name.upper()}: {error}"))
        elif len(fields) < len(header) or any(f.strip() for f in fields[len(header) :]):
            hint = " (a quote left open?)" if any("\n" in f for f in fields) else ""
            count = f"{len(fields)} field" + ("" if len(fields) == 1 else "s")
            items.append(InputProblem(path, f"{where}: {count}, the header has {len(header)}{hint}"))
        elif loose and any(_UNDECODED_RE.search(f) for f in fields):
            items.append(InputProblem(path, f"{where}: undecodable bytes (not UTF-8)"))
        else:
            found = record_document(path, number, {key: fields[i] for key, i in plan}, file.format_name)
            items.append(InputProblem(path, f"{where}: no text (columns: {text_columns})") if isinstance(found, InputProblem) else found)
    docs, row_problems = with_unique_ids(items)
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


def _column_plan(names: list[str], columns: Columns) -> tuple[list[tuple[str, int]], list[tuple[str, list[str]]]]:
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


def _no_text_problem(path: str, names: list[str], plan: list[tuple[str, int]], columns: Columns) -> InputProblem | None:
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


def read_parquet(file: InputFile) -> Parsed:
    """A Parquet file: one document per row, read in batches of ``PARQUET_BATCH_ROWS``.

    Only the columns a record field needs are read. Timestamps and dates become ISO strings
    (a timestamp without a zone is UTC), so dates normalize as in any other format.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path, data, columns = file.path, file.data, file.columns

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
            found = record_document(path, number, row, file.format_name)
            items.append(InputProblem(path, f"row {number}: no text (columns: {text_columns})") if isinstance(found, InputProblem) else found)
    docs, row_problems = with_unique_ids(items)
    return docs, problems + row_problems


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
