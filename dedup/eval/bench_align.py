"""Alignment cost benchmark: time and peak memory of ``align`` on generated document pairs.

A source document of the wanted length is assembled from the paragraphs of real articles; the
copy is made from it the way re-publishers do: most paragraphs kept, some edited word by word,
some dropped, moved or replaced by new text.
"""

from __future__ import annotations

import random
import re
import time
import tracemalloc
from pathlib import Path

from ..align import align, clear_cache
from ..errors import InputError


def load_paragraphs(source: Path) -> list[str]:
    """The paragraphs (lines of 12+ words) of a text file, or of every .txt file under a folder."""
    source = Path(source)
    if not source.exists():
        raise InputError(f"not found: {source}")
    files = sorted(source.rglob("*.txt")) if source.is_dir() else [source]
    paragraphs = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        paragraphs.extend(line.strip() for line in text.splitlines() if len(line.split()) >= 12)
    if not paragraphs:
        raise InputError(f"no paragraphs of 12+ words in {source}")
    return paragraphs


def make_pair(paragraphs: list[str], n_words: int, seed: int = 1) -> tuple[str, str]:
    """A source of about ``n_words`` words and an edited copy of it.

    When the paragraphs run out they are reused with one word in four replaced, so a short
    source text still gives a long document that does not simply repeat itself.
    """
    rng = random.Random(seed)
    vocabulary = sorted({w for p in paragraphs[:2000] for w in re.findall(r"[A-Za-z]+", p)})
    source: list[str] = []
    count, index = 0, 0
    while count < n_words:
        words = paragraphs[index % len(paragraphs)].split()
        if index >= len(paragraphs):
            words = [rng.choice(vocabulary) if rng.random() < 0.25 else w for w in words]
        source.append(" ".join(words))
        count += len(words)
        index += 1
    copy: list[str] = []
    moved: list[str] = []
    for paragraph in source:
        roll = rng.random()
        if roll < 0.05:
            continue  # dropped
        if roll < 0.10:
            moved.append(paragraph)
            continue
        if roll < 0.25:
            words = paragraph.split()
            for _ in range(max(1, len(words) // 15)):
                k = rng.randrange(len(words))
                words[k] = rng.choice(vocabulary) if rng.random() < 0.7 else ""
            paragraph = " ".join(w for w in words if w)
        copy.append(paragraph)
        if rng.random() < 0.05:
            copy.append(" ".join(rng.choice(vocabulary) for _ in range(30)))  # new text
    for paragraph in moved:
        copy.insert(rng.randrange(len(copy) + 1), paragraph)
    return "\n".join(source), "\n".join(copy)


def measure(source: str, copy: str) -> dict:
    """Seconds and peak traced memory (MB) of one ``align`` call, and what it found."""
    clear_cache()
    start = time.perf_counter()
    passages = align(source, copy)
    seconds = time.perf_counter() - start
    clear_cache()
    tracemalloc.start()
    align(source, copy)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kinds: dict[str, int] = {}
    for p in passages:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    return {
        "source_words": len(source.split()), "copy_words": len(copy.split()), "seconds": round(seconds, 3),
        "ms_per_1000_words": round(1000 * seconds / (len(source.split()) + len(copy.split())) * 1000, 2),
        "peak_mb": round(peak / 1e6, 1), "passages": len(passages), "kinds": kinds,
    }


def run(source: Path, sizes: list[int], seed: int = 1) -> list[dict]:
    """Measure ``align`` on one generated pair per size (words per document)."""
    paragraphs = load_paragraphs(source)
    return [measure(*make_pair(paragraphs, n, seed)) for n in sizes]
