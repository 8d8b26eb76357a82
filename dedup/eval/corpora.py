"""Scan folders built from the evaluation corpora as they are distributed, with their labels.

Each builder writes a folder that ``dedup scan`` reads (the data itself is never copied into
the repository) and returns the labels the scores need, by path in that folder.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputError
from . import synth

METER_KINDS = ("wholly", "partially", "non")
#: The Lee corpus: file name → the prefix of the articles written from it.
LEE_FILES = (("lee.cor", "lee"), ("lee_background.cor", "background"))


def write_lines_as_files(source: Path, folder: Path, prefix: str) -> int:
    """Write each line of ``source`` (one article per line) as ``folder/prefix-NNN.txt``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines):
        (folder / f"{prefix}-{number:03d}.txt").write_text(line + "\n", encoding="utf-8")
    return len(lines)


def build_lee_corpus(folder: Path, corpus: Path) -> int:
    """Write the articles of the Lee corpus (``lee.cor`` and ``lee_background.cor``, one article
    per line) as ``corpus/lee-NNN.txt`` and ``corpus/background-NNN.txt``; returns how many."""
    folder = Path(folder)
    for name, _ in LEE_FILES:
        if not (folder / name).exists():
            raise InputError(f"{folder / name} not found")
    return sum(write_lines_as_files(folder / name, Path(corpus), prefix) for name, prefix in LEE_FILES)


def build_synth_set(source: Path, out: Path, *, stories: int, singles: int, seed: int) -> dict:
    """Generate a syndication set from the articles in ``source`` into ``out/articles`` and its
    truth into ``out/truth.json``; returns the truth (``synth.Truth.as_dict``)."""
    truth = synth.generate(source, Path(out) / "articles", stories=stories, singles=singles, seed=seed).as_dict()
    (Path(out) / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True), encoding="utf-8")
    return truth


def build_meter_corpus(meter: Path, domain: str, corpus: Path) -> dict:
    """Write METER's ``domain`` as ``corpus/PA/DATE/CATCHLINE/*`` and ``corpus/newspapers/DATE/CATCHLINE/*``.

    The raw texts are copied with their bytes unchanged (readme files left out). Returns the gold
    labels, as the project's hook ``meter_corpus.py`` writes them: ``{"label": {newspaper path:
    wholly|partially|non}, "pa": {"DATE/CATCHLINE": [PA paths]}}``, paths relative to ``corpus``.
    """
    meter, corpus = Path(meter), Path(corpus)
    sources = {"PA": meter / "PA" / "rawtexts" / domain, "newspapers": meter / "newspapers" / "rawtexts" / domain}
    for name, source in sources.items():
        if not source.is_dir():
            raise InputError(f"{source}: not found (expected a METER folder with the {domain!r} domain)")
    if corpus.exists() and any(corpus.iterdir()):
        raise InputError(f"{corpus}: already exists and is not empty")
    for name, source in sources.items():
        shutil.copytree(source, corpus / name, ignore=shutil.ignore_patterns("readme*"))
    label = {}
    for kind in METER_KINDS:
        index = meter / "file_index" / domain / f"{kind}_derived.txt"
        if not index.is_file():
            raise InputError(f"{index}: not found")
        for line in index.read_text(encoding="latin-1").splitlines():
            line = line.strip()
            marker = f"newspapers/rawtexts/{domain}/"
            if not line or marker not in line:
                continue
            path = "newspapers/" + line.split(marker, 1)[1]
            if (corpus / path).is_file():
                label[path] = kind
    pa: dict[str, list[str]] = {}
    for file in sorted((corpus / "PA").rglob("*")):
        if file.is_file():
            date, catchline = file.relative_to(corpus / "PA").parts[:2]
            pa.setdefault(f"{date}/{catchline}", []).append(file.relative_to(corpus).as_posix())
    return {"label": label, "pa": pa}


def build_meter_set(meter: Path, domain: str, out: Path) -> dict:
    """``build_meter_corpus`` into ``out/corpus``, with its labels written to ``out/gold.json``;
    returns the labels."""
    gold = build_meter_corpus(meter, domain, Path(out) / "corpus")
    (Path(out) / "gold.json").write_text(json.dumps(gold, indent=1), encoding="utf-8")
    return gold


def domain_of(url: str) -> str:
    """The host name of ``url``, lower case (``unknown`` when it has none)."""
    host = urlsplit(url.strip()).hostname
    return host.lower() if host else "unknown"


def safe_folder(name: str) -> str:
    """``name`` as one folder name: path separators and other awkward characters become ``_``."""
    cleaned = re.sub(r"[^\w.-]+", "_", name.strip()).strip("._")
    return cleaned or "unknown"


def l3s_urls(folder: Path) -> dict[str, str]:
    """uuid → URL from L3S-GN1's ``url-mapping.txt`` (lines ``<urn:uuid:UUID>\\tURL``)."""
    mapping = {}
    for line in (Path(folder) / "url-mapping.txt").read_text(encoding="utf-8", errors="replace").splitlines():
        if "\t" not in line:
            continue
        key, url = line.split("\t", 1)
        mapping[key.strip().strip("<>").removeprefix("urn:uuid:")] = url.strip()
    return mapping


def build_l3s_corpus(folder: Path, corpus: Path) -> dict[str, str]:
    """Copy each ``original/<uuid>.html`` page (bytes unchanged) to ``corpus/<domain of its URL>/``.

    Returns corpus path → uuid.
    """
    folder, corpus = Path(folder), Path(corpus)
    if not (folder / "url-mapping.txt").is_file() or not (folder / "original").is_dir():
        raise InputError(f"{folder}: expected the l3s-gn1 folder (original/, annotated/, url-mapping.txt)")
    urls = l3s_urls(folder)
    paths = {}
    for page in sorted((folder / "original").glob("*.html")):
        uuid = page.stem
        path = f"{safe_folder(domain_of(urls.get(uuid, '')))}/{page.name}"
        (corpus / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, corpus / path)
        paths[path] = uuid
    return paths


def build_extraction_corpus(folder: Path, corpus: Path) -> dict[str, str]:
    """Gunzip each page of the article-extraction benchmark to ``corpus/<domain>/<id>.html``.

    Returns corpus path → the page's ground-truth ``articleBody``.
    """
    folder, corpus = Path(folder), Path(corpus)
    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file():
        raise InputError(f"{folder}: no ground-truth.json (expected the article-extraction-benchmark folder)")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    gold = {}
    for key, entry in sorted(truth.items()):
        page = folder / "html" / f"{key}.html.gz"
        if not page.is_file():
            continue
        path = f"{safe_folder(domain_of(entry.get('url') or ''))}/{key}.html"
        (corpus / path).parent.mkdir(parents=True, exist_ok=True)
        (corpus / path).write_bytes(gzip.decompress(page.read_bytes()))
        gold[path] = entry.get("articleBody") or ""
    return gold


def build_news_events_corpus(folder: Path, corpus: Path) -> dict[str, dict]:
    """Write each row of the news-events CSVs as ``corpus/<publisher>/<csv name>-<id>.txt``, its
    paragraphs (joined by `` ### `` in the CSV) one per line. Returns corpus path → row facts."""
    folder, corpus = Path(folder), Path(corpus)
    tables = sorted(folder.glob("*.csv"))
    if not tables:
        raise InputError(f"{folder}: no .csv files (expected the news-events folder)")
    rows = {}
    for table in tables:
        with table.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                path = f"{safe_folder(row['publisher'])}/{table.stem}-{safe_folder(row['id'])}.txt"
                (corpus / path).parent.mkdir(parents=True, exist_ok=True)
                (corpus / path).write_text(row["text"].replace(" ### ", "\n") + "\n", encoding="utf-8")
                rows[path] = {"publisher": row["publisher"], "scrape_time": row["scrape_time"], "table": table.stem}
    return rows
