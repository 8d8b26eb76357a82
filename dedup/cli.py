"""The command line: parses arguments, calls the library, prints results.

Errors from the library (``DedupError``) become a one-line message on stderr and exit
code 1, for every command (``DedupGroup``); typer reports bad usage with exit code 2.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from .errors import DedupError
from .eval.commands import bench_app, eval_app
from .ingest import SUPPORTED_SUFFIXES
from .options import ColumnOption, DbOption, JsonOption, MaxFileBytesOption, parse_columns, plural, print_json
from .spark.commands import spark_app
from .models import coverage_text

#: How many input problems ``dedup scan`` lists; the rest are in the ``errors`` table.
PROBLEMS_SHOWN = 20


class DedupGroup(TyperGroup):
    """The ``dedup`` command group: a ``DedupError`` raised by any command, at any depth,
    is printed as ``Error: message`` on stderr and exits with code 1."""

    def invoke(self, ctx):
        """Run the command; turn a ``DedupError`` into its message and exit code 1."""
        try:
            return super().invoke(ctx)
        except DedupError as exc:
            typer.secho(f"Error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(code=1) from None


app = typer.Typer(
    cls=DedupGroup,
    help="Find syndicated and re-published news articles, show how copies differ, keep it all in SQLite.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")
app.add_typer(spark_app, name="spark")



def _progress_bar(enabled: bool):
    """A rich progress bar on stderr and its update callback (both None when not ``enabled``)."""
    if not enabled:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=Console(stderr=True), transient=True
    )
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return progress, update


@app.command("scan")
def scan_command(
    folder: Annotated[
        Path,
        typer.Argument(help=f"Folder of articles ({', '.join(sorted(SUPPORTED_SUFFIXES))} files), walked recursively."),
    ],
    db: DbOption = Path("dedup.db"),
    as_json: JsonOption = False,
    max_file_bytes: MaxFileBytesOption = 20_000_000,
    workers: Annotated[int, typer.Option(help="Worker processes (0: one per core). Results do not depend on it.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove from the database the files of FOLDER that are gone (kept otherwise).")
    ] = False,
    column: ColumnOption = None,
    checksum: Annotated[
        bool,
        typer.Option("--checksum", help="Read and hash every file, even those whose size and modification time are unchanged."),
    ] = False,
) -> None:
    """Scan FOLDER for syndicated copies and store documents, links and clusters in the database.

    The database keeps the documents of every folder scanned into it; a rescan of FOLDER
    follows FOLDER's changes only."""
    from .config import ScanConfig
    from .pipeline import scan

    config = ScanConfig(max_file_bytes=max_file_bytes, workers=workers, columns=parse_columns(column), checksum=checksum)
    progress, update = _progress_bar(not quiet and sys.stderr.isatty())
    if progress is None:
        result = scan(folder, db, config, prune=prune)
    else:
        with progress:
            result = scan(folder, db, config, update, prune=prune)
    if as_json:
        summary = {"scan_id": result.scan_id, "db": str(db), **result.summary.as_dict()}
        summary["errors"] = [{"path": p.path, "reason": p.reason} for p in result.problems]
        print_json(summary)
        return
    s = result.summary
    typer.echo(
        f"Scanned {plural(s.n_files, 'file')} ({s.n_new_files} new, {s.n_changed_files} changed, "
        f"{s.n_unchanged_files} unchanged, {s.n_removed_files} removed, {s.n_skipped_files} skipped"
        f"{_missing_note(s.n_missing_files, s.n_removed_files, prune)}): "
        f"{plural(s.n_documents, 'document')}, {plural(s.n_links, 'link')} ({s.n_copy_links} copy, {s.n_reuse_links} reuse), "
        f"{plural(s.n_clusters, 'cluster')} ({plural(s.n_clustered_documents, 'document')} in clusters), "
        f"{plural(s.n_errors, 'error')}."
    )
    if s.detection == "index":
        typer.echo("Detected from the lookup index: only what the new files reach was found again.")
    elif s.detection_note:
        typer.echo(f"Detected over every stored document: {s.detection_note}.")
    for problem in result.problems[:PROBLEMS_SHOWN]:
        typer.echo(f"  error: {problem.path}: {problem.reason}", err=True)
    if len(result.problems) > PROBLEMS_SHOWN:
        typer.echo(f"  … and {len(result.problems) - PROBLEMS_SHOWN} more in the errors table", err=True)
    typer.echo(f"Database: {db}")


@app.command("import")
def import_command(
    output: Annotated[Path, typer.Argument(metavar="OUTPUT", help="The tables `dedup spark scan` wrote.")],
    db: DbOption = Path("dedup.db"),
) -> None:
    """Load the result tables of `dedup spark scan` into a new database, as one scan."""
    from .spark import import_output

    if db.exists() and db.stat().st_size:
        raise DedupError(f"{db} exists: dedup import writes a new database (remove it or choose another --db)")
    scan_id = import_output(output, db)
    typer.echo(f"Imported {output} into {db} (scan {scan_id}).")


@app.command("migrate")
def migrate_command(db: DbOption = Path("dedup.db")) -> None:
    """Upgrade the schema of a database written by an older dedup (the read commands ask for it)."""
    from .db.connection import migrate

    applied = migrate(db)
    if applied:
        typer.echo(f"{db}: applied {plural(len(applied), 'migration')}: {', '.join(applied)}")
    else:
        typer.echo(f"{db}: already up to date")


@app.command("clusters")
def clusters_command(db: DbOption = Path("dedup.db"), as_json: JsonOption = False) -> None:
    """List clusters: id, size, canonical document, mean similarity (word shingles)."""
    from . import api

    rows = api.list_clusters(db)
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("No clusters.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "size", "canonical", "title", "similarity (shingles)")
    for row in rows:
        table.add_row(
            str(row["id"]), str(row["size"]), row["canonical_path"], (row["canonical_title"] or "")[:60],
            f"{row['mean_similarity']:.2f}",
        )
    Console(width=140).print(table)


def _missing_note(missing: int, removed: int, prune: bool) -> str:
    """What became of the files gone from the folder (nothing to say when there are none)."""
    if not missing:
        return ""
    if prune:
        return f"; {plural(missing, 'file')} gone from the folder, pruned"
    return f"; {plural(missing, 'file')} gone from the folder, kept (--prune removes them)"


def _member_line(member: dict) -> str:
    """One line of ``dedup show`` for a member: role and path; for a copy its relation, coverage
    and shingle similarity; its provenance score; its title."""
    parts = [f"  {member['role']:<9} {member['path']}"]
    if member["role"] == "copy":
        parts.append(member.get("relation") or "")
        parts.append(coverage_text(member.get("copy_coverage"), member.get("source_coverage")))
        parts.append(f"similarity {member['similarity']:.2f} (shingles)")
    if member.get("score") is not None:
        parts.append(f"score {member['score']:+.2f}")
    parts.append((member["title"] or "")[:60])
    return "  ".join(part for part in parts if part)


@app.command("show")
def show_command(
    cluster_id: Annotated[int, typer.Argument(help="Cluster id (see `dedup clusters`).")],
    db: DbOption = Path("dedup.db"),
    as_json: JsonOption = False,
) -> None:
    """Show a cluster: how much of the source each copy keeps, which one is the original and why."""
    from . import api

    detail = api.cluster_detail(db, cluster_id)
    if as_json:
        print_json(detail)
        return
    sure = f", confidence {detail['confidence']:.2f}" if detail.get("confidence") is not None else ""
    typer.echo(
        f"Cluster {detail['id']}: {plural(detail['size'], 'document')}, "
        f"mean similarity {detail['mean_similarity']:.2f} (shingles){sure}"
    )
    for member in detail["members"]:
        typer.echo(_member_line(member))
    for line in detail["explanation"]:
        typer.echo(line)
    for item in detail["evidence"]:
        typer.echo(f"  evidence {item['weight']:+.2f} {item['signal']}: {item['detail']}")
    for change in detail["changes"]:
        typer.echo(f"  scan {change['scan_id']}: {change['change']}: {change['detail']}")
    for link in detail["reuse"]:
        typer.echo(
            f"  reuse: {link['copy_path']} takes a passage of {link['source_path']}, not a copy "
            f"({coverage_text(link['copy_coverage'], link['source_coverage'])})"
        )


#: What an input is to a stored document, by (relation, side of the stored document).
CHECK_WORDS = {
    ("copy", "source"): "copy of", ("copy", "copy"): "copied by",
    ("reuse", "source"): "takes a passage of", ("reuse", "copy"): "its passage is in",
}
#: Where an explanation turns to the signals against its decision, after its first sentence.
AGAINST = " Against it: "


def _check_lines(result) -> list[str]:
    """A ``CheckResult`` as ``dedup check`` prints it: the input's path, its problems
    (``error:``), then each match with its figures and, for a copy, the cluster's source
    and the first sentence of why; ``no match`` when there is none."""
    lines = [result.path + (f" (added as {result.added})" if result.added else "")]
    lines += [f"  error: {problem}" for problem in result.problems]
    for match in result.matches:
        record = "" if match.input_record is None else f"record {match.input_record}: "
        where = match.path + ("" if match.record is None else f"#{match.record}")
        kinds = ", ".join(f"{n} {kind}" for kind, n in match.passages.items())
        lines.append(
            f"  {record}{CHECK_WORDS[(match.relation, match.direction)]} {where} ({match.relation}): "
            f"{coverage_text(match.copy_coverage, match.source_coverage)}, similarity {match.similarity:.2f} (shingles), "
            f"passages {kinds}"
        )
        if match.cluster and match.relation == "copy":
            sure = "" if match.cluster.confidence is None else f", confidence {match.cluster.confidence:.2f}"
            lines.append(f"    source: {match.cluster.canonical_path}{sure}")
            lines += [f"    {line.split(AGAINST, 1)[0]}" for line in match.cluster.explanation[:1]]
    if not result.matches and not result.problems:
        lines.append("  no match")
    return lines


#: ``dedup check --fail-on-match``: the exit code when an input matched a stored document.
MATCH_EXIT_CODE = 3


@app.command("check")
def check_command(
    files: Annotated[
        list[str], typer.Argument(metavar="FILE...", help="Article files to check; - reads one article from standard input.")
    ],
    db: DbOption = Path("dedup.db"),
    as_json: JsonOption = False,
    add: Annotated[
        bool, typer.Option("--add", help="Keep the files: copy them into DB-STEM.checked/ beside the database and scan that folder into it.")
    ] = False,
    fail_on_match: Annotated[
        bool, typer.Option("--fail-on-match", help=f"Exit with code {MATCH_EXIT_CODE} when any file is a copy or a reuse of a stored article.")
    ] = False,
    stdin_format: Annotated[
        str | None,
        typer.Option("--format", metavar="SUFFIX", help="How to read standard input: txt, md, html, json, jsonl, csv… (guessed otherwise)."),
    ] = None,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Answer by scanning a copy of the database, not from its index (slower; the same answer).")
    ] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (0: one per core). Results do not depend on it.")] = 0,
) -> None:
    """Is each FILE a copy or a reuse of articles in the database? Of which, how much, and which is the original.

    The answer is what a scan of the files into a copy of the database stores, found from
    the index the last scan left (or by that scan, when the index cannot say it exactly);
    the database itself is not written (unless --add).

    Exit codes: 0 the check ran, match or not;
    3 with --fail-on-match, when any file is a copy or a reuse;
    1 an error, or a file that is no readable article (the others are still answered)."""
    from .checker import check
    from .config import ScanConfig

    results = check(files, db, ScanConfig(workers=workers), add=add, stdin_format=stdin_format, use_index=not no_index)
    if as_json:
        print_json([r.as_dict() for r in results])
    else:
        for result in results:
            typer.echo("\n".join(_check_lines(result)))
    if any(r.problems for r in results):
        raise typer.Exit(code=1)
    if fail_on_match and any(r.matches for r in results):
        raise typer.Exit(code=MATCH_EXIT_CODE)


@app.command("report")
def report_command(
    db: DbOption = Path("dedup.db"),
    out: Annotated[Path, typer.Option("--out", help="Folder for the HTML files (created if missing).")] = Path("reports"),
) -> None:
    """Write HTML reports: index.html and one page per cluster with each copy beside its source."""
    from .report import INDEX_FILE, write_report

    written = write_report(db, out)
    typer.echo(f"Wrote {plural(len(written), 'file')} to {out}/: open {out / INDEX_FILE}")


@app.command("serve")
def serve_command(
    db: DbOption = Path("dedup.db"),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    host: Annotated[str, typer.Option(help="Interface to bind; the default serves this machine only.")] = "127.0.0.1",
    reports: Annotated[Path, typer.Option(help="Folder of `dedup report` pages, served under /reports/.")] = Path("reports"),
    metadata_only: Annotated[bool, typer.Option("--metadata-only", help="Write DB.metadata.json for plain `datasette` and exit.")] = False,
) -> None:
    """Browse the database in Datasette, read-only, with titles, views, canned queries and passage diffs."""
    from . import serve

    options = serve.prepare(db, host=host, port=port, reports=reports)
    if metadata_only:
        written = serve.write_metadata(options)
        typer.echo(f"Wrote {written}: datasette {' '.join(options.datasette_args(written)[1:])}")
        return
    serve.check_port(host, port)
    typer.echo(f"Serving {db} read-only: http://{host}:{port}/{serve.database_name(db)}/cluster_overview", err=True)
    serve.run(options)


def main() -> None:
    """Entry point with logging to stderr."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    app()
