"""``dedup spark …``: the Spark engine's commands (pyspark is imported only when one runs)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..options import ColumnOption, JsonOption, MaxFileBytesOption, parse_columns, plural, print_json

spark_app = typer.Typer(help="Run the scan on Apache Spark (pip install 'dedup\\[spark]'; Java 17+).", no_args_is_help=True)


@spark_app.command("scan")
def spark_scan_command(
    source: Annotated[str, typer.Argument(metavar="INPUT", help="Folder or path Spark reads (s3a://, gs://, hdfs://…) of article files.")],
    output: Annotated[str, typer.Argument(metavar="OUTPUT", help="Where to write the result tables (Parquet); replaced if present.")],
    master: Annotated[
        str | None, typer.Option(help="Spark master URL, e.g. local[2] or spark://host:7077 (default: spark-submit's, else local[*]).")
    ] = None,
    partitions: Annotated[int, typer.Option(help="Partitions of each shuffle (0: twice Spark's cores).")] = 0,
    max_file_bytes: MaxFileBytesOption = 20_000_000,
    column: ColumnOption = None,
    as_json: JsonOption = False,
) -> None:
    """Scan INPUT on Spark, as `dedup scan` would, and write the result tables to OUTPUT.

    Load them into a database with `dedup import OUTPUT --db news.db`."""
    from ..config import ScanConfig
    from . import scan

    config = ScanConfig(max_file_bytes=max_file_bytes, columns=parse_columns(column))
    summary = scan(source, output, config, master=master, partitions=partitions)
    if as_json:
        print_json({"output": output, **summary.as_dict()})
        return
    s = summary
    typer.echo(
        f"Scanned {plural(s.n_files, 'file')} on Spark: {plural(s.n_documents, 'document')}, {plural(s.n_links, 'link')} "
        f"({s.n_reuse_links} reuse), {plural(s.n_clusters, 'cluster')}, {plural(s.n_errors, 'error')}."
    )
    typer.echo(f"Tables: {output} (load them with: dedup import {output} --db DB)")


@spark_app.command("entry")
def spark_entry_command() -> None:
    """Print the path of the entry script for spark-submit: spark-submit … "$(dedup spark entry)" INPUT OUTPUT."""
    from . import submit

    typer.echo(submit.__file__)
