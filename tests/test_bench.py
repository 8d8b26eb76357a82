"""The benchmark corpora: what ``dedup bench scan --real`` builds from the evaluation data's layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup.errors import InputError
from dedup.eval.bench import SITE_FURNITURE, make_real_corpus, real_texts


def _text(tag: str, words: int = 150) -> str:
    return " ".join(f"{tag}w{i}" for i in range(words))


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    """A data folder laid out like the evaluation data, with one short text that must be left out."""
    root = tmp_path / "data"
    files = {
        "bbc/sport/001.txt": _text("bbc"),
        "bbc/sport/002.txt": _text("short", 20),
        "pan13-train/src/source-document1.txt": _text("src"),
        "pan13-train/susp/suspicious-document1.txt": _text("susp"),
        "clough-stevenson/g0pA_taska.txt": _text("clough"),
        "lee/lee.cor": _text("leeone") + "\n" + _text("leetwo") + "\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _corpus(folder: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.txt"))]


def test_real_texts_come_once_in_set_order_without_short_ones(data):
    tags = [t.split("w0", 1)[0] for t in real_texts(data)]
    assert tags == ["bbc", "src", "susp", "clough", "leeone", "leetwo"]


def test_real_corpus_uses_every_text_then_variants_copies_and_excerpts(data, tmp_path):
    kinds = make_real_corpus(data, tmp_path / "corpus", n_docs=60)
    texts = _corpus(tmp_path / "corpus")
    assert len(texts) == 60 == sum(kinds.values())
    assert kinds["original"] == 6 and kinds["variant"] > 0 and kinds["copy"] > 0 and kinds["excerpt"] > 0
    originals = [t for t in texts if t in real_texts(data)]
    assert [t.split("w0", 1)[0] for t in originals] == ["bbc", "src", "susp", "clough", "leeone", "leetwo"]
    heads = {head for head, _, _ in SITE_FURNITURE}
    copies = [t for t in texts if t.split("\n", 1)[0] in heads]
    assert len(copies) == kinds["copy"]
    assert all(t.split("\n")[1] in texts or t.split("\n")[1] in real_texts(data) for t in copies)
    excerpts = [t for t in texts if t.endswith(" …\n")]
    assert len(excerpts) == kinds["excerpt"] and all(len(t.split()) == 121 for t in excerpts)


def test_real_corpus_is_deterministic(data, tmp_path):
    make_real_corpus(data, tmp_path / "a", n_docs=30)
    make_real_corpus(data, tmp_path / "b", n_docs=30)
    assert _corpus(tmp_path / "a") == _corpus(tmp_path / "b")


def test_real_corpus_without_texts_says_what_it_looked_for(tmp_path):
    with pytest.raises(InputError, match="bbc, pan13-train"):
        make_real_corpus(tmp_path, tmp_path / "corpus", n_docs=10)
