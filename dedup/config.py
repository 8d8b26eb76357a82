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
    #: one in ``passage_sample`` shingle hashes is indexed for passage-level candidates.
    passage_sample: int = 4
    #: two documents become passage candidates when they share this many sampled shingles.
    passage_min_sampled: int = 3
    #: a sampled shingle in more documents than this pairs each holder with only a few
    #: representatives, which bounds the work on very common phrases.
    passage_max_df: int = 50
    #: verification: a copy when this share of the smaller body is shared ...
    min_containment: float = 0.3
    #: ... and at least this many unquoted shingles are shared;
    min_shared: int = 10
    #: or when a run of reused text this long (unquoted shingles) is found.
    min_passage: int = 20
    #: a line shared by this many otherwise different documents is site furniture.
    furniture_min_docs: int = 3
    #: documents that share at most this share of their lines are "otherwise different".
    furniture_max_overlap: float = 0.3
    #: files larger than this are recorded as errors, not read.
    max_file_bytes: int = 20_000_000
    #: a link joins two clusters only when this share of what it shares is already part
    #: of each cluster's story (stops digests from chaining unrelated stories).
    cluster_min_overlap: float = 0.5
    #: worker processes for sketching (0 = one per core).
    workers: int = 0

    def __post_init__(self) -> None:
        checks = [
            (self.shingle_size >= 1, "shingle_size must be at least 1"),
            (2 <= self.num_perm <= 1024, "num_perm must be between 2 and 1024"),
            (0.0 < self.lsh_threshold < 1.0, "lsh_threshold must be between 0 and 1"),
            (self.passage_sample >= 1, "passage_sample must be at least 1"),
            (self.passage_min_sampled >= 1, "passage_min_sampled must be at least 1"),
            (self.passage_max_df >= 2, "passage_max_df must be at least 2"),
            (0.0 < self.min_containment <= 1.0, "min_containment must be in (0, 1]"),
            (self.min_shared >= 1, "min_shared must be at least 1"),
            (self.min_passage >= 1, "min_passage must be at least 1"),
            (self.furniture_min_docs >= 2, "furniture_min_docs must be at least 2"),
            (0.0 <= self.furniture_max_overlap <= 1.0, "furniture_max_overlap must be in [0, 1]"),
            (self.max_file_bytes >= 1, "max_file_bytes must be positive"),
            (0.0 < self.cluster_min_overlap <= 1.0, "cluster_min_overlap must be in (0, 1]"),
            (self.workers >= 0, "workers must be 0 (one per core) or more"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def as_dict(self) -> dict:
        """The settings as a plain dict (stored as JSON with each scan)."""
        return asdict(self)

    def fingerprint(self) -> str:
        """A short hash of the settings that affect results (not ``workers``)."""
        settings = {k: v for k, v in self.as_dict().items() if k != "workers"}
        blob = json.dumps(settings, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
