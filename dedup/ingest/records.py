"""Records: JSON (``.json``, one object or a list) and JSON Lines (``.jsonl``), and the
field mapping every record shares, table rows included (see ``tables``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..models import DateSource, Document, InputProblem
from .dates import normalize_date
from .documents import InputFile, Parsed, decoded_text, make_document, with_unique_ids

TEXT_FIELDS = ("text", "body", "content")

#: The fields of a record (JSON object, CSV/TSV/Parquet row), each with the keys or column
#: names it is read from, in order of preference. ``--column FIELD=COLUMN`` (the config's
#: ``columns``) names the column of a field in tables; its keys are the FIELD names.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "text": TEXT_FIELDS,
    "title": ("title", "headline"),
    "site": ("site", "source", "site_name", "publisher"),
    "author": ("author", "byline"),
    "url": ("url", "link"),
    "canonical_url": ("canonical_url",),
    "published_at": ("published_at", "date", "published", "datePublished"),
    "modified_at": ("modified_at", "updated_at", "dateModified", "modified"),
    "based_on": ("based_on", "isBasedOn", "original_url"),
}


def read_json(file: InputFile) -> Parsed:
    """A JSON file: one document per object of a top-level list, or one for a lone object."""
    text = decoded_text(file)
    if isinstance(text, InputProblem):
        return [], [text]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [InputProblem(file.path, f"malformed JSON: {exc.msg} (line {exc.lineno})")]
    if not isinstance(data, list):
        return with_unique_ids([record_document(file.path, None, data, file.format_name)])
    return with_unique_ids(record_document(file.path, i, obj, file.format_name) for i, obj in enumerate(data))


def read_json_lines(file: InputFile) -> Parsed:
    """A JSON Lines file: one document per line, numbered from 1; a malformed line is a problem."""
    text = decoded_text(file)
    if isinstance(text, InputProblem):
        return [], [text]

    def records() -> Iterator[Document | InputProblem]:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield InputProblem(f"{file.path}#{number}", f"malformed JSON line: {exc.msg}")
                continue
            yield record_document(file.path, number, obj, file.format_name)

    return with_unique_ids(records())


def record_document(path: str, record: int | None, obj: object, format_name: str) -> Document | InputProblem:
    """The document of one record: a JSON object, or a table row as a dict of its fields.

    Each field takes the first of its ``FIELD_ALIASES`` that has a plain value; the text
    must be a non-blank string. ``record`` is the record's position (None for a file that
    is one record); the record's own ``id`` names the document when it has one.
    """
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
    return make_document(
        path,
        record,
        format_name,
        text,
        title=first("title"),
        site=first("site"),
        author=first("author"),
        url=first("url"),
        canonical_url=first("canonical_url"),
        published_at=published,
        date_source=DateSource.JSON if published else None,
        modified_at=normalize_date(first("modified_at")),
        based_on=first("based_on"),
        id_key=None if own_id is None else f"id={own_id}",
    )
