"""Throughput benchmark: ``dedup scan`` side by side with a plain datasketch reference loop.

The reference is what most MinHash deduplicators do: datasketch ``MinHash(num_perm=128)``
with its default hash over word 5-shingles, ``MinHashLSH``, union-find, no storage. Each side
runs in its own process so that peak memory is measured separately.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

SITE_FURNITURE = [
    ("Home | News | Sport | Business | Contact", "Sign up to our newsletter for the day's top stories.", "© Northgate Herald. All rights reserved."),
    ("Menu  Search  Subscribe", "Advertisement", "More from the Daily Ledger: the week in pictures"),
    ("Skip to content", "Share this article: Facebook Twitter Email", "Comments are closed for this story."),
]


def make_corpus(source: Path, out: Path, n_docs: int = 20_000, seed: int = 7) -> dict:
    """Write ``n_docs`` .txt articles to ``out`` built from the article texts under ``source``.

    Three in four documents are distinct articles (a source article with most words replaced
    from the corpus vocabulary, so that they share no passages); the rest are syndicated
    copies of those (wrapped in a site's furniture) or excerpts (first 120 words).
    """
    rng = random.Random(seed)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(Path(source).rglob("*.txt"))]
    texts = [t for t in texts if len(t.split()) >= 80]
    if not texts:
        raise InputError(f"no articles of 80+ words under {source}")
    vocabulary = _vocabulary(texts)
    kinds = {"original": 0, "copy": 0, "excerpt": 0}
    return _syndicate(out, n_docs, rng, lambda: (_variant(rng, rng.choice(texts), vocabulary), "original"), kinds)


def make_reuse_corpus(source: Path, out: Path, n_docs: int = 22_000, seed: int = 7) -> dict:
    """Write ``n_docs`` .txt articles to ``out``, each built from 6–14 random paragraphs of the
    article texts under ``source``: dense reuse (every paragraph stands in several articles).

    One in ten documents re-publishes an earlier one with its last fifth cut.
    """
    rng = random.Random(seed)
    paragraphs = [
        line.strip()
        for p in sorted(Path(source).rglob("*.txt"))
        for line in p.read_text(encoding="utf-8", errors="replace").splitlines()
        if len(line.split()) >= 15
    ]
    if not paragraphs:
        raise InputError(f"no paragraphs of 15+ words under {source}")
    out.mkdir(parents=True, exist_ok=True)
    built: list[str] = []
    kinds = {"original": 0, "copy": 0, "excerpt": 0}
    for number in range(n_docs):
        if built and rng.random() < 0.1:
            words = rng.choice(built).split(" ")
            text = " ".join(words[: len(words) * 4 // 5]) + "\n"
            kinds["copy"] += 1
        else:
            text = "\n\n".join(rng.sample(paragraphs, rng.randint(6, 14))) + "\n"
            built.append(text)
            kinds["original"] += 1
        _write_article(out, number, text)
    return kinds


#: The real texts of ``make_real_corpus``, in the order they are used: each entry is a folder
#: of the evaluation data and the glob of its text files (a ``.cor`` file holds one per line).
REAL_TEXTS = (
    ("bbc", "*/*.txt"),
    ("pan13-train", "src/*.txt"),
    ("pan13-train", "susp/*.txt"),
    ("clough-stevenson", "*.txt"),
    ("lee", "*.cor"),
)


def real_texts(data: Path) -> list[str]:
    """Every text of 80+ words of the BBC, PAN 2013 (sources, then suspicious documents),
    Clough & Stevenson and Lee sets under ``data`` (the evaluation data folder), in that order."""
    texts = []
    for folder, pattern in REAL_TEXTS:
        for path in sorted((Path(data) / folder).glob(pattern)):
            content = path.read_text(encoding="utf-8", errors="replace")
            texts.extend(content.splitlines() if path.suffix == ".cor" else [content])
    return [t for t in texts if len(t.split()) >= 80]


def make_real_corpus(data: Path, out: Path, n_docs: int = 20_000, seed: int = 7) -> dict:
    """Write ``n_docs`` .txt articles to ``out`` from the real texts of ``real_texts(data)``:
    long documents with real, sparse reuse (PAN's suspicious documents carry passages of its
    sources).

    Copies and excerpts as in ``make_corpus``; the other articles are the real texts, each
    once, in order, topped up (once they are used up) with word-replaced variants of them, as
    ``make_corpus`` makes its distinct articles.
    """
    rng = random.Random(seed)
    texts = real_texts(data)
    if not texts:
        raise InputError(f"no texts of 80+ words in the bbc, pan13-train, clough-stevenson or lee folders of {data}")
    vocabulary = _vocabulary(texts)
    kinds = {"original": 0, "variant": 0, "copy": 0, "excerpt": 0}

    def distinct() -> tuple[str, str]:
        if kinds["original"] < len(texts):
            return texts[kinds["original"]], "original"
        return _variant(rng, rng.choice(texts), vocabulary), "variant"

    return _syndicate(out, n_docs, rng, distinct, kinds)


def _vocabulary(texts: list[str]) -> list[str]:
    """The words variants are made of: those of the first 500 texts."""
    return sorted({w for t in texts[:500] for w in re.findall(r"[A-Za-z]+", t)})


def _variant(rng: random.Random, text: str, vocabulary: list[str]) -> str:
    """``text`` with most of its words (60%) replaced from ``vocabulary``: a distinct article
    that shares no passage with it."""
    return re.sub(r"[A-Za-z]+", lambda m: rng.choice(vocabulary) if rng.random() < 0.6 else m.group(), text)


def _syndicate(out: Path, n_docs: int, rng: random.Random, distinct: Callable[[], tuple[str, str]], kinds: dict) -> dict:
    """Write ``n_docs`` articles to ``out``: one in five a copy of an earlier distinct one
    wrapped in a site's furniture, one in twenty a 120-word excerpt of one, the others
    ``distinct()``'s (text, kind); each counted in ``kinds``, which is returned."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for number in range(n_docs):
        roll = rng.random()
        if written and roll < 0.2:
            head, middle, foot = rng.choice(SITE_FURNITURE)
            text, kind = f"{head}\n{rng.choice(written)}\n{middle}\n{foot}\n", "copy"
        elif written and roll < 0.25:
            text, kind = " ".join(rng.choice(written).split()[:120]) + " …\n", "excerpt"
        else:
            text, kind = distinct()
            written.append(text)
        kinds[kind] += 1
        _write_article(out, number, text)
    return kinds


def _write_article(out: Path, number: int, text: str) -> None:
    """Article ``number`` as ``out/NNN/NNNNNN.txt``, a thousand to a folder."""
    folder = out / f"{number // 1000:03d}"
    folder.mkdir(exist_ok=True)
    (folder / f"{number:06d}.txt").write_text(text, encoding="utf-8")


def reference(corpus: Path) -> dict:
    """The plain reference loop; returns documents, clusters and seconds."""
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    paths = sorted(Path(corpus).rglob("*.txt"))
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    parent = list(range(len(paths)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for index, path in enumerate(paths):
        words = path.read_text(encoding="utf-8").split()
        shingles = {" ".join(words[i : i + 5]).encode("utf-8") for i in range(max(1, len(words) - 4))}
        signature = MinHash(num_perm=128)
        signature.update_batch(shingles)
        for other in lsh.query(signature):
            parent[find(index)] = find(other)
        lsh.insert(index, signature)
    clusters = {find(i) for i in range(len(paths))}
    sizes = [sum(1 for i in range(len(paths)) if find(i) == root) for root in clusters]
    return {"documents": len(paths), "clusters": sum(1 for s in sizes if s > 1), "seconds": time.perf_counter() - start}


def dedup_scan(corpus: Path, db: Path) -> dict:
    """A full ``dedup scan`` (with SQLite writes) into a fresh database."""
    from ..pipeline import scan

    if db.exists():
        db.unlink()
    start = time.perf_counter()
    result = scan(Path(corpus), db)
    seconds = time.perf_counter() - start
    return {"documents": result.summary.n_documents, "clusters": result.summary.n_clusters, "seconds": seconds}


def measure_side(which: str, corpus: str, db: str) -> None:
    """Run one side (``reference`` or ``dedup``) and print its figures, with this process's
    peak memory, as one JSON line (``run`` starts one process per side)."""
    import resource

    result = reference(Path(corpus)) if which == "reference" else dedup_scan(Path(corpus), Path(db))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run(corpus: Path, db: Path) -> dict:
    """Run both sides on ``corpus`` (each in a fresh process) and return their figures."""
    figures = {}
    for which in ("reference", "dedup"):
        output = subprocess.run(
            [sys.executable, "-c", f"from dedup.eval.bench import measure_side; measure_side({which!r}, {str(corpus)!r}, {str(db)!r})"],
            check=True, capture_output=True, text=True,
        ).stdout
        figures[which] = json.loads(output.strip().splitlines()[-1])
        figures[which]["docs_per_second"] = figures[which]["documents"] / figures[which]["seconds"]
    figures["speedup"] = figures["dedup"]["docs_per_second"] / figures["reference"]["docs_per_second"]
    return figures


@dataclass(frozen=True)
class ScanBenchmark:
    """What ``benchmark_scan`` built and measured."""

    #: articles of the generated corpus per kind: ``original``, ``copy``, ``excerpt``
    kinds: dict
    #: ``reference`` and ``dedup`` (documents, clusters, seconds, docs_per_second, peak_rss_mb), ``speedup``
    figures: dict
    #: words in the corpus (whitespace-separated)
    words: int = 0


def benchmark_scan(
    source: Path, *, docs: int | None = None, workdir: Path | None = None, reuse: bool = False, real: bool = False
) -> ScanBenchmark:
    """Generate a corpus from the articles under ``source`` in ``workdir`` (default: a temporary
    folder) and time both sides on it.

    The corpus has ``docs`` articles (default 20,000), made by ``make_corpus``; with ``reuse``,
    ``make_reuse_corpus`` (default 22,000); with ``real``, ``make_real_corpus`` (``source``
    is then the evaluation data folder).
    """
    if reuse and real:
        raise InputError("--reuse and --real build different corpora: choose one")
    with ExitStack() as stack:
        folder = Path(workdir) if workdir is not None else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dedup-bench-")))
        corpus = folder / "corpus"
        if real:
            kinds = make_real_corpus(source, corpus, docs or 20_000)
        elif reuse:
            kinds = make_reuse_corpus(source, corpus, docs or 22_000)
        else:
            kinds = make_corpus(source, corpus, docs or 20_000)
        words = sum(len(p.read_text(encoding="utf-8").split()) for p in corpus.rglob("*.txt"))
        return ScanBenchmark(kinds, run(corpus, folder / "bench.db"), words)
