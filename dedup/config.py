"""Scan settings: one frozen, validated object, fingerprinted and stored with every scan."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from .errors import ConfigError


@dataclass(frozen=True)
class ScanConfig:
    """Every knob of the detection pipeline, with the defaults tuned on the evaluation data.

    The figures behind the defaults are in the README (section "Measured").
    """

    #: words per shingle. 3 keeps lightly obfuscated copies visible while same-event
    #: reports written independently still share almost none (Lee corpus).
    shingle_size: int = 3
    #: MinHash permutations and seed (datasketch).
    num_perm: int = 128
    seed: int = 1
    #: LSH Jaccard threshold for whole-document candidates (kept below the acceptance
    #: rules so that LSH's approximation loses no real copy).
    lsh_threshold: float = 0.3
    #: an LSH bucket of more documents than this (a flood of exact duplicates) pairs each of
    #: them with its first few members only, instead of every two (k(k-1)/2 pairs).
    lsh_max_bucket: int = 1000
    #: one in ``passage_sample`` shingle hashes is indexed for passage-level candidates.
    passage_sample: int = 4
    #: two documents become passage candidates when they share this many sampled shingles.
    passage_min_sampled: int = 3
    #: a sampled shingle in more documents than this pairs each holder with only a few
    #: representatives, which bounds the work on very common phrases.
    passage_max_df: int = 50
    #: boilerplate: a shingle carried by this many otherwise unrelated documents (any
    #: sites) is boilerplate; on one site, two otherwise unrelated pages are enough.
    boilerplate_min_docs: int = 5
    #: two documents are related (not "otherwise unrelated") when this share of the
    #: smaller is in the other (MinHash estimate).
    boilerplate_max_related: float = 0.4
    #: ... and, for two pages of one site, whose furniture alone can be a third of a page,
    #: when this share is.
    boilerplate_site_related: float = 0.6
    #: a passage: at least this many shared shingles in a run ...
    min_run: int = 8
    #: ... of which at least this many lie outside quotations (a quotation alone is no evidence).
    min_run_unquoted: int = 2
    #: a copy: runs of at least ``min_copy_run`` shingles cover this share of the smaller
    #: document ...
    copy_coverage: float = 0.5
    min_copy_run: int = 4
    #: ... with at least this many shingles (a very short text needs a few words).
    min_copy: int = 15
    #: a rewritten copy: sentences that match a sentence of the other document (Dice of
    #: their content words at least ``rewrite_dice``, sentences of ``rewrite_min_words``
    #: content words or more) make up this share of the smaller document.
    rewrite_coverage: float = 0.5
    rewrite_dice: float = 0.5
    rewrite_min_words: int = 4
    #: a reuse: at least this many shingles in passages (one sentence is about 20).
    min_reuse: int = 30
    #: files larger than this are recorded as errors, not read.
    max_file_bytes: int = 20_000_000
    #: a copy link joins two clusters only when this share of what it shares is already
    #: part of each cluster's story (stops digests from chaining unrelated stories).
    cluster_min_overlap: float = 0.5
    #: worker processes for sketching (0 = one per core).
    workers: int = 0
    #: read and hash every file on a rescan, even one whose size and modification time say
    #: it did not change.
    checksum: bool = False
    #: CSV/TSV/Parquet: read record fields from these columns, as (field, column) pairs
    #: (``--column text=article_body``); a field given twice takes the first column a file
    #: has. None: the usual names (text/body/content, title, url, published_at/date, ...).
    columns: tuple[tuple[str, str], ...] | None = None

    def __post_init__(self) -> None:
        # The fields a record can have are the record reader's (imported here: ingest
        # itself imports this module).
        from .ingest.records import FIELD_ALIASES

        column_fields = tuple(FIELD_ALIASES)
        checks = [
            (self.shingle_size >= 1, "shingle_size must be at least 1"),
            (2 <= self.num_perm <= 1024, "num_perm must be between 2 and 1024"),
            (0.0 < self.lsh_threshold < 1.0, "lsh_threshold must be between 0 and 1"),
            (self.passage_sample >= 1, "passage_sample must be at least 1"),
            (self.passage_min_sampled >= 1, "passage_min_sampled must be at least 1"),
            (self.passage_max_df >= 2, "passage_max_df must be at least 2"),
            (self.lsh_max_bucket >= 2, "lsh_max_bucket must be at least 2"),
            (self.boilerplate_min_docs >= 2, "boilerplate_min_docs must be at least 2"),
            (0.0 < self.boilerplate_max_related <= 1.0, "boilerplate_max_related must be in (0, 1]"),
            (0.0 < self.boilerplate_site_related <= 1.0, "boilerplate_site_related must be in (0, 1]"),
            (self.min_run >= 1, "min_run must be at least 1"),
            (0 <= self.min_run_unquoted <= self.min_run, "min_run_unquoted must be between 0 and min_run"),
            (1 <= self.min_copy_run <= self.min_run, "min_copy_run must be between 1 and min_run"),
            (0.0 < self.copy_coverage <= 1.0, "copy_coverage must be in (0, 1]"),
            (self.min_copy >= 1, "min_copy must be at least 1"),
            (0.0 < self.rewrite_coverage <= 1.0, "rewrite_coverage must be in (0, 1]"),
            (0.0 < self.rewrite_dice <= 1.0, "rewrite_dice must be in (0, 1]"),
            (self.rewrite_min_words >= 1, "rewrite_min_words must be at least 1"),
            (self.min_reuse >= self.min_copy, "min_reuse must be at least min_copy"),
            (self.max_file_bytes >= 1, "max_file_bytes must be positive"),
            (0.0 < self.cluster_min_overlap <= 1.0, "cluster_min_overlap must be in (0, 1]"),
            (self.workers >= 0, "workers must be 0 (one per core) or more"),
            (
                not (bad := [p for p in self.columns or () if not (isinstance(p, (tuple, list)) and len(p) == 2 and p[0] in column_fields and isinstance(p[1], str) and p[1].strip())]),
                f"--column {', '.join('='.join(map(str, p)) if isinstance(p, (tuple, list)) else repr(p) for p in bad)}: expected FIELD=COLUMN, "
                f"FIELD one of {', '.join(column_fields)}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def as_dict(self) -> dict:
        """The settings as a plain dict (stored as JSON with each scan)."""
        return asdict(self)

    def sketch_fingerprint(self, version: str) -> str:
        """A short hash of what a document's sketch depends on besides its text: the shingle
        size, the MinHash permutations and seed, and the dedup ``version`` (tokenising)."""
        blob = json.dumps([self.shingle_size, self.num_perm, self.seed, version]).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def fingerprint(self) -> str:
        """A short hash of the settings that affect results (not ``workers`` or ``checksum``)."""
        settings = {k: v for k, v in self.as_dict().items() if k not in ("workers", "checksum")}
        blob = json.dumps(settings, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
