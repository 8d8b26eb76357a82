"""Body extraction scores: how much of a page's labelled article text the scan kept as the
document text, as a bag of words or as word n-grams (the article-extraction benchmark's
measure), and the labelled bodies of L3S-GN1's annotated pages.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlite_utils import Database

from ..db import evaluation as reads

#: L3S-GN1 labels that make up the article body: x-nc-sel1 headline, x-nc-sel2 full text.
L3S_BODY_LABELS = frozenset({"1", "2"})
L3S_LABEL = re.compile(r"\bx-nc-sel(\d)\b")
_WORD = re.compile(r"\w+")
_SKIPPED_TAGS = {"script", "style", "noscript", "head", "title"}


def words(text: str | None) -> list[str]:
    """The word tokens of ``text`` (``\\w+``, as the article-extraction benchmark tokenizes)."""
    return _WORD.findall(text or "")


def body_scores(gold: str, predicted: str | None, *, ngram: int = 1) -> dict:
    """Precision, recall and F1 of the multiset of word ``ngram``s of ``predicted`` against ``gold``.

    ``ngram=1`` is a bag of words; the article-extraction benchmark uses 4-grams. Nothing predicted
    scores 0 unless the gold is empty too.
    """

    def grams(text: str | None) -> Counter:
        tokens = words(text)
        return Counter(tuple(tokens[i : i + ngram]) for i in range(max(0, len(tokens) - ngram + 1)))

    true, pred = grams(gold), grams(predicted)
    tp = sum((true & pred).values())
    n_true, n_pred = sum(true.values()), sum(pred.values())
    if n_true == n_pred == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def summarize_bodies(pages: Mapping[str, tuple[str, str | None]], *, ngram: int = 1, worst: int = 10) -> dict:
    """Mean and median body precision/recall/F1 over ``pages`` (name → (gold, extracted or None)).

    A page without extracted text (the scan recorded no document for it) scores 0. ``f1_of_means``
    is the benchmark's summary: the harmonic mean of mean precision and mean recall. ``worst`` lists
    the pages of lowest F1.
    """
    scores = {name: body_scores(gold, predicted, ngram=ngram) for name, (gold, predicted) in pages.items()}
    result: dict = {"pages": len(scores), "not_extracted": sorted(n for n, (_, p) in pages.items() if p is None)}
    for measure in ("precision", "recall", "f1"):
        values = [s[measure] for s in scores.values()]
        result[measure] = {
            "mean": round(statistics.fmean(values), 4) if values else None,
            "median": round(statistics.median(values), 4) if values else None,
        }
    p = statistics.fmean(s["precision"] for s in scores.values()) if scores else 0.0
    r = statistics.fmean(s["recall"] for s in scores.values()) if scores else 0.0
    result["f1_of_means"] = round(2 * p * r / (p + r), 4) if p + r else None
    ranked = sorted(scores.items(), key=lambda item: (item[1]["f1"], item[0]))[:worst]
    result["worst"] = [{"page": name, **{k: round(v, 4) for k, v in s.items()}} for name, s in ranked]
    return result


def body_report(db: Database, gold: Mapping[str, str], *, worst: int = 10) -> dict:
    """Body extraction figures of the scan against ``gold`` (path → labelled body): bag of words
    (``tokens``) and the benchmark's word 4-grams (``shingles4``). Pages with an empty gold body
    are left out and counted."""
    texts = reads.document_texts(db)
    pages = {path: (body, texts.get(path)) for path, body in gold.items() if words(body)}
    return {
        "tokens": summarize_bodies(pages, worst=worst),
        "shingles4": {k: v for k, v in summarize_bodies(pages, ngram=4, worst=0).items() if k in ("precision", "recall", "f1", "f1_of_means")},
        "empty_gold_bodies": sorted(path for path, body in gold.items() if not words(body)),
    }


def l3s_body(annotated_html: str, labels: Iterable[str] = L3S_BODY_LABELS) -> str:
    """The text of an L3S-GN1 annotated page that the assessors labelled as one of ``labels``.

    Each text block is wrapped in ``<span class="x-nc-selN">``; spans nest (a ``sel0`` span around a
    table whose cells hold ``sel2`` spans), so a piece of text takes the label of its innermost
    labelled element. Text outside every labelled element is not content.
    """
    import lxml.html

    wanted = set(labels)
    # lxml refuses a str that starts with an XML declaration naming an encoding.
    root = lxml.html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", annotated_html))
    pieces: list[str] = []

    def label_of(element) -> str | None:
        found = L3S_LABEL.search(element.get("class") or "") if isinstance(element.tag, str) else None
        return found.group(1) if found else None

    def visit(element, inherited: str | None) -> None:
        if not isinstance(element.tag, str) or element.tag.lower() in _SKIPPED_TAGS:
            return
        label = label_of(element) or inherited
        if element.text and label in wanted:
            pieces.append(element.text)
        for child in element:
            visit(child, label)
            if child.tail and label in wanted:
                pieces.append(child.tail)

    visit(root, None)
    return " ".join(p.strip() for p in pieces if p.strip())


def l3s_gold(folder: Path) -> dict[str, str]:
    """uuid → labelled body (headline and full text) of every annotated L3S-GN1 page."""
    return {
        page.stem: l3s_body(page.read_bytes().decode("utf-8", errors="replace"))
        for page in sorted((Path(folder) / "annotated").glob("*.html"))
    }
