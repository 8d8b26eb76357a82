"""Shared fixtures: the sample corpus and generators of test documents built from its text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def seed_path(prefix: str) -> Path:
    """The seed article whose file name starts with ``prefix`` ("000", "001" or "002")."""
    return next(CORPUS.glob(f"{prefix}_*.txt"))


def article_body(text: str) -> str:
    """The report paragraphs of a seed article: lines of 25+ words (drops site furniture)."""
    return "\n".join(line for line in text.splitlines() if len(line.split()) >= 25)


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    """A copy of ``corpus/`` that a test may change."""
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    return folder


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database path in the test's own folder."""
    return tmp_path / "dedup.db"
