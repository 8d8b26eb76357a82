"""The ``dedup eval`` and ``dedup bench`` commands: each parses its arguments, calls one
function of this package and prints the result (JSON for the evaluations).

Library modules are imported inside the commands so that ``dedup --help`` stays quick.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

eval_app = typer.Typer(help="Score scans against labelled evaluation data.", no_args_is_help=True)
bench_app = typer.Typer(help="Speed benchmarks: figures measured side by side in one run.", no_args_is_help=True)

EvalDbOption = Annotated[Path | None, typer.Option("--db", help="Keep the scan in this database (default: a temporary one).")]


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))


@eval_app.command("clusters")
def eval_clusters_command(
    gold: Annotated[Path, typer.Argument(help="Clough & Stevenson folder, or a .csv/.tsv/.json file of path → cluster.")],
    db: Annotated[Path, typer.Option("--db", help="SQLite database file.")] = Path("dedup.db"),
) -> None:
    """Score an existing scan against gold clusters (pairwise P/R/F1 and ARI, singletons counted)."""
    from .runs import evaluate_gold_clusters

    _print_json(evaluate_gold_clusters(gold, db))


@eval_app.command("clough-stevenson")
def eval_clough_command(folder: Annotated[Path, typer.Argument(help="The clough-stevenson data folder.")], db: EvalDbOption = None) -> None:
    """Scan the Clough & Stevenson corpus and score it (ARI, pairwise P/R, recall per reuse level,
    and whether each orig_task* is its cluster's canonical)."""
    from .runs import evaluate_clough

    _print_json(evaluate_clough(folder, db))


@eval_app.command("pan")
def eval_pan_command(folder: Annotated[Path, typer.Argument(help="The pan13-train data folder (src/, susp/, pair_labels.tsv).")], db: EvalDbOption = None) -> None:
    """Scan PAN 2013 src/ and susp/ together and score document pairs per subset."""
    from .runs import evaluate_pan

    _print_json(evaluate_pan(folder, db))


@eval_app.command("synth")
def eval_synth_command(
    source: Annotated[Path, typer.Argument(help="A folder of .txt articles (first line the headline), e.g. the bbc data folder.")],
    db: EvalDbOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Keep the generated set here (default: a temporary folder).")] = None,
    stories: Annotated[int, typer.Option(help="Stories to syndicate.")] = 120,
    singles: Annotated[int, typer.Option(help="Articles published once (distractors).")] = 60,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 7,
) -> None:
    """Generate a syndication set from SOURCE, scan it, and score clusters and canonicals."""
    from .runs import evaluate_synth

    _print_json(evaluate_synth(source, db, out, stories=stories, singles=singles, seed=seed))


@eval_app.command("pan-passages")
def eval_pan_passages_command(
    folder: Annotated[Path, typer.Argument(help="The pan13-train data folder (src/, susp/, pair_labels.tsv, 0*/ XML truth).")],
    db: EvalDbOption = None,
) -> None:
    """Scan PAN 2013 src/ and susp/ together and score the aligned passages (PAN plagdet) per subset."""
    from .runs import evaluate_pan_passages

    _print_json(evaluate_pan_passages(folder, db))


@eval_app.command("lee")
def eval_lee_command(folder: Annotated[Path, typer.Argument(help="The lee data folder (lee.cor, lee_background.cor).")], db: EvalDbOption = None) -> None:
    """Scan the Lee ABC news corpus (one article per line) and list what was clustered."""
    from .runs import evaluate_lee

    _print_json(evaluate_lee(folder, db))


@eval_app.command("bbc")
def eval_bbc_command(folder: Annotated[Path, typer.Argument(help="The bbc data folder.")], db: EvalDbOption = None) -> None:
    """Scan the BBC News corpus and list the near-duplicate clusters it contains."""
    from .runs import evaluate_bbc

    _print_json(evaluate_bbc(folder, db))


@eval_app.command("meter")
def eval_meter_command(
    folder: Annotated[Path, typer.Argument(help="A METER folder (PA/, newspapers/, file_index/), e.g. the meter-showbiz data folder.")],
    db: EvalDbOption = None,
    domain: Annotated[str, typer.Option(help="METER domain: showbiz or courts.")] = "showbiz",
    out: Annotated[Path | None, typer.Option("--out", help="Keep the corpus (OUT/corpus) and its labels (OUT/gold.json) here.")] = None,
) -> None:
    """Scan METER's PA wire copy with the newspaper stories and score "derived" per journalist label."""
    from .runs import evaluate_meter

    _print_json(evaluate_meter(folder, db, domain=domain, out=out))


@eval_app.command("l3s")
def eval_l3s_command(
    folder: Annotated[Path, typer.Argument(help="The l3s-gn1 data folder (original/, annotated/, url-mapping.txt).")],
    db: EvalDbOption = None,
) -> None:
    """Scan the L3S-GN1 pages: body extraction against the labelled body, clusters and their suspects."""
    from .runs import evaluate_l3s

    _print_json(evaluate_l3s(folder, db))


@eval_app.command("extraction")
def eval_extraction_command(
    folder: Annotated[Path, typer.Argument(help="The article-extraction-benchmark data folder (html/*.html.gz, ground-truth.json).")],
    db: EvalDbOption = None,
) -> None:
    """Scan the article-extraction benchmark: body extraction against articleBody, clusters (none wanted)."""
    from .runs import evaluate_extraction

    _print_json(evaluate_extraction(folder, db))


@eval_app.command("news-events")
def eval_news_events_command(
    folder: Annotated[Path, typer.Argument(help="The news-events data folder (CSV files: id, publisher, scrape_time, text).")],
    db: EvalDbOption = None,
) -> None:
    """Scan the news-events articles (one folder per publisher) and list the clusters and links for reading."""
    from .runs import evaluate_news_events

    _print_json(evaluate_news_events(folder, db))


@bench_app.command("scan")
def bench_scan_command(
    source: Annotated[Path, typer.Argument(help="Folder of .txt articles to build the corpus from (e.g. the BBC corpus); with --real, the evaluation data folder.")],
    docs: Annotated[int | None, typer.Option(help="Number of articles in the generated corpus (default 20,000; 22,000 with --reuse).")] = None,
    workdir: Annotated[Path | None, typer.Option(help="Where to write the corpus and database (default: a temporary folder).")] = None,
    reuse: Annotated[bool, typer.Option("--reuse", help="A reuse-dense corpus: articles built from 6–14 random paragraphs, one in ten re-published with its last fifth cut.")] = False,
    real: Annotated[bool, typer.Option("--real", help="Real texts with sparse reuse: every BBC, PAN, Clough and Lee text of SOURCE once, topped up with variants; copies and excerpts as usual.")] = False,
) -> None:
    """Generate a corpus from SOURCE and print docs/second of `dedup scan` next to a plain datasketch loop."""
    # Imported here: dedup.cli imports this module to register the commands.
    from ..options import plural
    from .bench import benchmark_scan

    result = benchmark_scan(source, docs=docs, workdir=workdir, reuse=reuse, real=real)
    kinds = result.kinds
    variants = f"{plural(kinds['variant'], 'variant')}, " if "variant" in kinds else ""
    typer.echo(
        f"corpus: {plural(sum(kinds.values()), 'article')}, {result.words / 1e6:.1f} M words ({plural(kinds['original'], 'original')}, "
        f"{variants}{plural(kinds['copy'], 'copy', 'copies')}, {plural(kinds['excerpt'], 'excerpt')})",
        err=True,
    )
    for side in ("reference", "dedup"):
        f = result.figures[side]
        typer.echo(
            f"{side:<10} {plural(f['documents'], 'doc')} in {f['seconds']:.1f} s = {f['docs_per_second']:.0f} docs/s, "
            f"{plural(f['clusters'], 'cluster')}, peak memory {f['peak_rss_mb']:.0f} MB"
        )
    typer.echo(f"speed-up   {result.figures['speedup']:.2f}x (dedup scan with SQLite writes vs the reference loop)")


@bench_app.command("incremental")
def bench_incremental_command(
    source: Annotated[Path, typer.Argument(help="Folder of .txt articles to build the corpus from (e.g. the BBC corpus).")],
    docs: Annotated[int, typer.Option(help="Number of articles in the generated corpus.")] = 20_000,
    share: Annotated[float, typer.Option(help="Share of the corpus added by the second scan.")] = 0.01,
    workdir: Annotated[Path | None, typer.Option(help="Where to write the corpus and databases (default: a temporary folder).")] = None,
) -> None:
    """Time a rescan that adds SHARE of new files next to a scan of everything from scratch."""
    from ..options import plural
    from .bench_incremental import benchmark_incremental

    result = benchmark_incremental(source, docs=docs, share=share, workdir=workdir)
    typer.echo(f"base scan    {plural(result.base_documents, 'doc')} in {result.base_seconds:.1f} s")
    how = "from the index" if result.increment_detection == "index" else f"over everything ({result.increment_note})"
    typer.echo(f"increment    {plural(result.added_documents, 'new file')} added: rescan {how} in {result.increment_seconds:.1f} s")
    typer.echo(f"from scratch all {result.base_documents + result.added_documents} docs in {result.scratch_seconds:.1f} s")
    typer.echo(
        f"ratio        {result.ratio:.1%} of a scan from scratch; same links and clusters: {'yes' if result.same_result else 'NO'}"
    )


@bench_app.command("check")
def bench_check_command(
    source: Annotated[Path, typer.Argument(help="Folder of .txt articles to build the corpus from (e.g. the BBC corpus).")],
    docs: Annotated[int, typer.Option(help="Number of articles in the generated corpus.")] = 20_000,
    share: Annotated[float, typer.Option(help="Share of the corpus held back and checked one file at a time.")] = 0.01,
    compare: Annotated[int, typer.Option(help="How many checks are also answered by scanning a copy of the database, and compared.")] = 10,
    workdir: Annotated[Path | None, typer.Option(help="Where to write the corpus and database (default: a temporary folder).")] = None,
) -> None:
    """Time `dedup check` of single articles against a scanned corpus, in one process (JSON)."""
    from ..options import print_json
    from .bench_check import benchmark_check

    print_json(benchmark_check(source, docs=docs, share=share, compare=compare, workdir=workdir).as_dict())


@bench_app.command("spark")
def bench_spark_command(
    source: Annotated[Path, typer.Argument(help="Folder of .txt articles to build the corpus from (e.g. the BBC corpus).")],
    docs: Annotated[int, typer.Option(help="Number of articles in the generated corpus.")] = 20_000,
    master: Annotated[str, typer.Option(help="Spark master URL.")] = "local[2]",
    workdir: Annotated[Path | None, typer.Option(help="Where to write the corpus, tables and databases (default: a temporary folder).")] = None,
) -> None:
    """Time `dedup scan` and `dedup spark scan` on one generated corpus and check they agree (JSON)."""
    from ..options import print_json
    from .bench_spark import benchmark_spark

    print_json(benchmark_spark(source, docs=docs, master=master, workdir=workdir).as_dict())


def _word_counts(sizes: str) -> list[int]:
    """``--sizes`` as a list of integers (a usage error otherwise)."""
    try:
        return [int(n) for n in sizes.split(",")]
    except ValueError:
        raise typer.BadParameter(f"must be comma-separated integers, not {sizes!r}", param_hint="--sizes") from None


@bench_app.command("align")
def bench_align_command(
    source: Annotated[Path, typer.Argument(help="A text file, or a folder of .txt articles, to build the documents from.")],
    sizes: Annotated[str, typer.Option(help="Comma-separated document lengths in words.")] = "5000,20000,50000",
    seed: Annotated[int, typer.Option(help="Seed of the generated edits.")] = 1,
) -> None:
    """Print the time and peak memory of aligning two generated documents, at several lengths."""
    from .bench_align import run

    rows = run(source, _word_counts(sizes), seed)
    typer.echo(f"{'words':>8} {'copy words':>10} {'seconds':>8} {'ms/1k words':>11} {'peak MB':>8} {'passages':>9}  kinds")
    for row in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(row["kinds"].items()))
        typer.echo(
            f"{row['source_words']:>8} {row['copy_words']:>10} {row['seconds']:>8.2f} {row['ms_per_1000_words']:>11.2f} "
            f"{row['peak_mb']:>8.1f} {row['passages']:>9}  {kinds}"
        )
