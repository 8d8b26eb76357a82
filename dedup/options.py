"""Command-line options and output helpers shared by the CLI's commands and sub-apps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

DbOption = Annotated[Path, typer.Option("--db", help="SQLite database file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
ColumnOption = Annotated[
    list[str] | None,
    typer.Option(
        "--column",
        metavar="FIELD=COLUMN",
        help="CSV/TSV/Parquet: read FIELD (text, title, url, published_at, site, author, id, canonical_url, "
        "modified_at, based_on) from COLUMN, e.g. --column text=article_body. Repeatable; a FIELD given "
        "twice takes the first COLUMN a file has.",
    ),
]
MaxFileBytesOption = Annotated[int, typer.Option(help="Files larger than this are recorded as errors.")]


def parse_columns(column: list[str] | None) -> tuple[tuple[str, ...], ...] | None:
    """``--column FIELD=COLUMN`` values as (field, column) pairs (``ScanConfig`` checks them)."""
    return tuple(tuple(part.strip() for part in c.split("=", 1)) for c in column) if column else None


def print_json(data: object) -> None:
    """``data`` as indented JSON with sorted keys on stdout."""
    typer.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and ``word``, in the plural unless ``n`` is 1: ``1 link``, ``3 links``
    (``many`` for a plural that is not ``word + "s"``: ``plural(2, "copy", "copies")``)."""
    return f"{n} {word if n == 1 else many or word + 's'}"
