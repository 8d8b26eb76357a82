"""The command line: parses arguments, calls the library, prints results.

Errors from the library (``DedupError``) become a one-line message on stderr and exit
code 1; typer reports bad usage with exit code 2.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import DedupError

app = typer.Typer(
    help="Find syndicated and re-published news articles, show how copies differ, keep it all in SQLite.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Score scans against labelled evaluation data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
bench_app = typer.Typer(help="Speed benchmarks: figures measured side by side in one run.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")

DbOption = Annotated[Path, typer.Option("--db", help="SQLite database file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def _err(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)


def _emit(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))


def _run(func, *args, **kwargs):
    """Call a library function; turn a DedupError into a message and exit code 1."""
    try:
        return func(*args, **kwargs)
    except DedupError as exc:
        _err(f"Error: {exc}")
        raise typer.Exit(code=1) from None


def _progress_bar(enabled: bool):
    """A rich progress callback on stderr (or None when quiet)."""
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


def _scan(folder: Path, db: Path, quiet: bool, **settings):
    from .config import ScanConfig
    from .pipeline import scan

    config = _run(ScanConfig, **settings)
    progress, update = _progress_bar(not quiet and sys.stderr.isatty())
    if progress is None:
        return _run(scan, folder, db, config, None)
    with progress:
        return _run(scan, folder, db, config, update)


@app.command("scan")
def scan_command(
    folder: Annotated[Path, typer.Argument(help="Folder of articles (.txt, .md, .html, .json, .jsonl, .csv, .tsv, .parquet), walked recursively.")],
    db: DbOption = Path("dedup.db"),
    as_json: JsonOption = False,
    max_file_bytes: Annotated[int, typer.Option(help="Files larger than this are recorded as errors.")] = 20_000_000,
    workers: Annotated[int, typer.Option(help="Worker processes (0: one per core). Results do not depend on it.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    column: Annotated[
        Optional[list[str]],
        typer.Option(
            "--column",
            metavar="FIELD=COLUMN",
            help="CSV/TSV/Parquet: read FIELD (text, title, url, published_at, site, author, id, canonical_url, "
            "modified_at, based_on) from COLUMN, e.g. --column text=article_body. Repeatable; a FIELD given "
            "twice takes the first COLUMN a file has.",
        ),
    ] = None,
) -> None:
    """Scan FOLDER for syndicated copies and store documents, links and clusters in the database."""
    columns = tuple(tuple(part.strip() for part in c.split("=", 1)) for c in column) if column else None
    result = _scan(folder, db, quiet, max_file_bytes=max_file_bytes, workers=workers, columns=columns)
    summary = {"scan_id": result.scan_id, "db": str(db), **result.summary.as_dict()}
    if as_json:
        summary["errors"] = [{"path": p.path, "reason": p.reason} for p in result.problems]
        _emit(summary)
        return
    s = result.summary
    typer.echo(
        f"Scanned {s.n_files} files ({s.n_new_files} new, {s.n_changed_files} changed, "
        f"{s.n_unchanged_files} unchanged, {s.n_removed_files} removed, {s.n_skipped_files} skipped): "
        f"{s.n_documents} documents, {s.n_links} links ({s.n_copy_links} copy, {s.n_reuse_links} reuse), {s.n_clusters} clusters "
        f"({s.n_clustered_documents} documents in clusters), {s.n_errors} errors."
    )
    for problem in result.problems[:20]:
        typer.echo(f"  error: {problem.path}: {problem.reason}", err=True)
    if len(result.problems) > 20:
        typer.echo(f"  … and {len(result.problems) - 20} more in the errors table", err=True)
    typer.echo(f"Database: {db}")


@app.command("clusters")
def clusters_command(db: DbOption = Path("dedup.db"), as_json: JsonOption = False) -> None:
    """List clusters: id, size, canonical document, mean similarity."""
    from .db import open_db, read

    database = _run(open_db, db, create=False)
    rows = read.list_clusters(database)
    if as_json:
        _emit(rows)
        return
    if not rows:
        typer.echo("No clusters.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "size", "canonical", "title", "mean sim.")
    for row in rows:
        table.add_row(
            str(row["id"]), str(row["size"]), row["canonical_path"], (row["canonical_title"] or "")[:60],
            f"{row['mean_similarity']:.3f}",
        )
    Console(width=140).print(table)


@app.command("show")
def show_command(
    cluster_id: Annotated[int, typer.Argument(help="Cluster id (see `dedup clusters`).")],
    db: DbOption = Path("dedup.db"),
    as_json: JsonOption = False,
) -> None:
    """Show a cluster's members, which one is the original and why (evidence, confidence)."""
    from . import provenance
    from .db import open_db, read

    database = _run(open_db, db, create=False)
    detail = _run(read.cluster_detail, database, cluster_id)
    detail["explanation"] = provenance.explain(detail)
    if as_json:
        _emit(detail)
        return
    sure = f", confidence {detail['confidence']:.2f}" if detail.get("confidence") is not None else ""
    typer.echo(f"Cluster {detail['id']}: {detail['size']} documents, mean similarity {detail['mean_similarity']:.3f}{sure}")
    for member in detail["members"]:
        score = f"  score {member['score']:+.2f}" if member.get("score") is not None else ""
        typer.echo(
            f"  {member['role']:<9} {member['path']}  {member.get('relation') or '':<8}  similarity {member['similarity']:.3f}  "
            f"containment {member['containment']:.3f}{score}  {(member['title'] or '')[:60]}"
        )
    for line in detail["explanation"]:
        typer.echo(line)
    for item in detail["evidence"]:
        typer.echo(f"  evidence {item['weight']:+.2f} {item['signal']}: {item['detail']}")
    for change in detail["changes"]:
        typer.echo(f"  scan {change['scan_id']}: {change['change']}: {change['detail']}")
    for link in detail["reuse"]:
        typer.echo(
            f"  reuse: {link['copy_path']} takes a passage of {link['source_path']} "
            f"({link['copy_containment']:.0%} of its text, {link['source_containment']:.0%} of the source; not a copy)"
        )


@app.command("report")
def report_command(
    db: DbOption = Path("dedup.db"),
    out: Annotated[Path, typer.Option("--out", help="Folder for the HTML files (created if missing).")] = Path("reports"),
) -> None:
    """Write HTML reports: index.html and one page per cluster with each copy beside its source."""
    from .report import INDEX_FILE, write_report

    written = _run(write_report, db, out)
    typer.echo(f"Wrote {len(written)} files to {out}/: open {out / INDEX_FILE}")


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

    args = _run(serve.prepare, db, host=host, port=port, reports=reports)
    if metadata_only:
        typer.echo(f"Wrote {serve.metadata_path(db)}: datasette {' '.join(args[1:])}")
        return
    _run(serve.check_port, host, port)
    typer.echo(f"Serving {db} read-only: http://{host}:{port}/{serve.database_name(db)}/cluster_overview", err=True)
    serve.run(args)


def _eval_db(db: Optional[Path]) -> tuple[Path, Optional[tempfile.TemporaryDirectory]]:
    if db is not None:
        return db, None
    holder = tempfile.TemporaryDirectory(prefix="dedup-eval-")
    return Path(holder.name) / "eval.db", holder


EvalDbOption = Annotated[Optional[Path], typer.Option("--db", help="Keep the scan in this database (default: a temporary one).")]


@eval_app.command("clusters")
def eval_clusters_command(
    gold: Annotated[Path, typer.Argument(help="Clough & Stevenson folder, or a .csv/.tsv/.json file of path → cluster.")],
    db: DbOption = Path("dedup.db"),
) -> None:
    """Score an existing scan against gold clusters (pairwise P/R/F1 and ARI, singletons counted)."""
    from . import evaluate
    from .db import open_db

    database = _run(open_db, db, create=False)
    gold_labels = _run(evaluate.load_gold, gold)
    _emit(evaluate.cluster_scores(evaluate.predicted_labels(database), gold_labels))


@eval_app.command("clough-stevenson")
def eval_clough_command(folder: Annotated[Path, typer.Argument(help="The clough-stevenson data folder.")], db: EvalDbOption = None) -> None:
    """Scan the Clough & Stevenson corpus and score it (ARI, pairwise P/R, recall per reuse level,
    and whether each orig_task* is its cluster's canonical)."""
    from . import evaluate
    from .db import open_db

    path, holder = _eval_db(db)
    _scan(folder, path, True)
    database = open_db(path, create=False)
    _emit({**evaluate.score_clough(database, folder), "canonical": evaluate.clough_canonical(database)})


@eval_app.command("pan")
def eval_pan_command(folder: Annotated[Path, typer.Argument(help="The pan13-train data folder (src/, susp/, pair_labels.tsv).")], db: EvalDbOption = None) -> None:
    """Scan PAN 2013 src/ and susp/ together and score document pairs per subset."""
    from . import evaluate
    from .db import open_db

    if not (folder / "pair_labels.tsv").exists():
        _err(f"Error: {folder} has no pair_labels.tsv (expected the pan13-train folder)")
        raise typer.Exit(code=1)
    path, holder = _eval_db(db)
    _scan(folder, path, True)
    database = open_db(path, create=False)
    _emit({**evaluate.score_pan(database, folder), "direction": evaluate.pan_direction(database, folder)})


@eval_app.command("synth")
def eval_synth_command(
    source: Annotated[Path, typer.Argument(help="A folder of .txt articles (first line the headline), e.g. the bbc data folder.")],
    db: EvalDbOption = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Keep the generated set here (default: a temporary folder).")] = None,
    stories: Annotated[int, typer.Option(help="Stories to syndicate.")] = 120,
    singles: Annotated[int, typer.Option(help="Articles published once (distractors).")] = 60,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 7,
) -> None:
    """Generate a syndication set from SOURCE, scan it, and score clusters and canonicals."""
    from . import evaluate, synth
    from .db import open_db

    path, holder = _eval_db(db)
    with tempfile.TemporaryDirectory(prefix="dedup-synth-") as scratch:
        folder = out or Path(scratch)
        truth = _run(synth.generate, source, folder / "articles", stories=stories, singles=singles, seed=seed)
        (folder / "truth.json").write_text(json.dumps(truth.as_dict(), indent=1, sort_keys=True), encoding="utf-8")
        _scan(folder / "articles", path, True)
    _emit(evaluate.score_synth(open_db(path, create=False), truth.as_dict()))


@eval_app.command("pan-passages")
def eval_pan_passages_command(
    folder: Annotated[Path, typer.Argument(help="The pan13-train data folder (src/, susp/, pair_labels.tsv, 0*/ XML truth).")],
    db: EvalDbOption = None,
) -> None:
    """Scan PAN 2013 src/ and susp/ together and score the aligned passages (PAN plagdet) per subset."""
    from . import evaluate
    from .db import open_db

    if not (folder / "pair_labels.tsv").exists():
        _err(f"Error: {folder} has no pair_labels.tsv (expected the pan13-train folder)")
        raise typer.Exit(code=1)
    path, holder = _eval_db(db)
    _scan(folder, path, True)
    _emit(evaluate.score_pan_passages(open_db(path, create=False), folder))


@eval_app.command("lee")
def eval_lee_command(folder: Annotated[Path, typer.Argument(help="The lee data folder (lee.cor, lee_background.cor).")], db: EvalDbOption = None) -> None:
    """Scan the Lee ABC news corpus (one article per line) and list what was clustered."""
    from . import evaluate
    from .db import open_db

    path, holder = _eval_db(db)
    with tempfile.TemporaryDirectory(prefix="dedup-lee-") as articles:
        for name, prefix in (("lee.cor", "lee"), ("lee_background.cor", "background")):
            if not (folder / name).exists():
                _err(f"Error: {folder / name} not found")
                raise typer.Exit(code=1)
            evaluate.write_lines_as_files(folder / name, Path(articles), prefix)
        _scan(Path(articles), path, True)
    _emit(evaluate.describe_clusters(open_db(path, create=False)))


@eval_app.command("bbc")
def eval_bbc_command(folder: Annotated[Path, typer.Argument(help="The bbc data folder.")], db: EvalDbOption = None) -> None:
    """Scan the BBC News corpus and list the near-duplicate clusters it contains."""
    from . import evaluate
    from .db import open_db

    path, holder = _eval_db(db)
    _scan(folder, path, True)
    clusters = evaluate.describe_clusters(open_db(path, create=False))
    _emit({"n_clusters": len(clusters), "clusters": clusters})


@eval_app.command("meter")
def eval_meter_command(
    folder: Annotated[Path, typer.Argument(help="A METER folder (PA/, newspapers/, file_index/), e.g. the meter-showbiz data folder.")],
    db: EvalDbOption = None,
    domain: Annotated[str, typer.Option(help="METER domain: showbiz or courts.")] = "showbiz",
    out: Annotated[Optional[Path], typer.Option("--out", help="Keep the corpus (OUT/corpus) and its labels (OUT/gold.json) here.")] = None,
) -> None:
    """Scan METER's PA wire copy with the newspaper stories and score "derived" per journalist label."""
    from . import evaluate_news
    from .db import open_db

    path, holder = _eval_db(db)
    with tempfile.TemporaryDirectory(prefix="dedup-meter-") as scratch:
        base = out or Path(scratch)
        gold = _run(evaluate_news.build_meter_corpus, folder, domain, base / "corpus")
        (base / "gold.json").write_text(json.dumps(gold, indent=1), encoding="utf-8")
        _scan(base / "corpus", path, True)
    _emit(evaluate_news.meter_report(open_db(path, create=False), gold))


def _scan_built(db: Optional[Path], prefix: str, build):
    """Build an evaluation corpus with ``build(folder)`` in a temporary folder and scan it into
    ``db`` (or a temporary database). Returns the database, what ``build`` returned, and the
    temporary database's folder (None for ``db``), which the caller keeps while it reads."""
    from .db import open_db

    path, holder = _eval_db(db)
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        built = _run(build, Path(scratch))
        _scan(Path(scratch), path, True)
    return open_db(path, create=False), built, holder


@eval_app.command("l3s")
def eval_l3s_command(
    folder: Annotated[Path, typer.Argument(help="The l3s-gn1 data folder (original/, annotated/, url-mapping.txt).")],
    db: EvalDbOption = None,
) -> None:
    """Scan the L3S-GN1 pages: body extraction against the labelled body, clusters and their suspects."""
    from . import evaluate_news

    database, paths, _folder = _scan_built(db, "dedup-l3s-", lambda scratch: evaluate_news.build_l3s_corpus(folder, scratch))
    _emit(evaluate_news.l3s_report(database, folder, paths))


@eval_app.command("extraction")
def eval_extraction_command(
    folder: Annotated[Path, typer.Argument(help="The article-extraction-benchmark data folder (html/*.html.gz, ground-truth.json).")],
    db: EvalDbOption = None,
) -> None:
    """Scan the article-extraction benchmark: body extraction against articleBody, clusters (none wanted)."""
    from . import evaluate_news

    database, gold, _folder = _scan_built(db, "dedup-extraction-", lambda scratch: evaluate_news.build_extraction_corpus(folder, scratch))
    _emit(evaluate_news.extraction_report(database, gold))


@eval_app.command("news-events")
def eval_news_events_command(
    folder: Annotated[Path, typer.Argument(help="The news-events data folder (CSV files: id, publisher, scrape_time, text).")],
    db: EvalDbOption = None,
) -> None:
    """Scan the news-events articles (one folder per publisher) and list the clusters and links for reading."""
    from . import evaluate_news

    database, rows, _folder = _scan_built(db, "dedup-news-events-", lambda scratch: evaluate_news.build_news_events_corpus(folder, scratch))
    _emit(evaluate_news.news_events_report(database, rows))


@bench_app.command("scan")
def bench_scan_command(
    source: Annotated[Path, typer.Argument(help="Folder of .txt articles to build the corpus from (e.g. the BBC corpus).")],
    docs: Annotated[Optional[int], typer.Option(help="Number of articles in the generated corpus (default 20,000; 22,000 with --reuse).")] = None,
    workdir: Annotated[Optional[Path], typer.Option(help="Where to write the corpus and database (default: a temporary folder).")] = None,
    reuse: Annotated[bool, typer.Option("--reuse", help="A reuse-dense corpus: articles built from 6–14 random paragraphs, one in ten re-published with its last fifth cut.")] = False,
) -> None:
    """Generate a corpus from SOURCE and print docs/second of `dedup scan` next to a plain datasketch loop."""
    from . import bench

    holder = None
    if workdir is None:
        holder = tempfile.TemporaryDirectory(prefix="dedup-bench-")
        workdir = Path(holder.name)
    corpus = workdir / "corpus"
    if reuse:
        kinds = bench.make_reuse_corpus(source, corpus, docs or 22_000)
    else:
        kinds = bench.make_corpus(source, corpus, docs or 20_000)
    typer.echo(f"corpus: {sum(kinds.values())} articles ({kinds['original']} originals, {kinds['copy']} copies, {kinds['excerpt']} excerpts)", err=True)
    figures = bench.run(corpus, workdir / "bench.db")
    for side in ("reference", "dedup"):
        f = figures[side]
        typer.echo(
            f"{side:<10} {f['documents']} docs in {f['seconds']:.1f} s = {f['docs_per_second']:.0f} docs/s, "
            f"{f['clusters']} clusters, peak memory {f['peak_rss_mb']:.0f} MB"
        )
    typer.echo(f"speed-up   {figures['speedup']:.2f}x (dedup scan with SQLite writes vs the reference loop)")


@bench_app.command("align")
def bench_align_command(
    source: Annotated[Path, typer.Argument(help="A text file, or a folder of .txt articles, to build the documents from.")],
    sizes: Annotated[str, typer.Option(help="Comma-separated document lengths in words.")] = "5000,20000,50000",
    seed: Annotated[int, typer.Option(help="Seed of the generated edits.")] = 1,
) -> None:
    """Print the time and peak memory of aligning two generated documents, at several lengths."""
    from . import bench_align

    try:
        lengths = [int(n) for n in sizes.split(",")]
    except ValueError:
        _err(f"Error: --sizes must be comma-separated integers, not {sizes!r}")
        raise typer.Exit(code=2) from None
    if not source.exists():
        _err(f"Error: not found: {source}")
        raise typer.Exit(code=1)
    rows = _run(bench_align.run, source, lengths, seed)
    typer.echo(f"{'words':>8} {'copy words':>10} {'seconds':>8} {'ms/1k words':>11} {'peak MB':>8} {'passages':>9}  kinds")
    for row in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(row["kinds"].items()))
        typer.echo(
            f"{row['source_words']:>8} {row['copy_words']:>10} {row['seconds']:>8.2f} {row['ms_per_1000_words']:>11.2f} "
            f"{row['peak_mb']:>8.1f} {row['passages']:>9}  {kinds}"
        )


def main() -> None:
    """Entry point with logging to stderr."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    app()
