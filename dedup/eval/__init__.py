"""Measuring dedup: evaluations against labelled corpora, generated test sets and benchmarks.

Nothing in the product imports this package; the command line only registers its commands
(``dedup eval …``, ``dedup bench …``, in ``commands``). ``runs`` has one function per
evaluation (data folder in, the JSON-able figures out); it builds a scan folder with
``corpora`` (or ``synth``, the generated syndication set), scans it, and scores the database
with ``scores`` (clusters, Clough & Stevenson, the generated set), ``pan_scores`` (PAN 2013,
with PAN's measures in ``pan``), ``news`` (METER, L3S-GN1, the extraction benchmark,
news-events) and ``bodies`` (body extraction). ``bench`` and ``bench_align`` measure speed
and memory. The database reads they use are in ``dedup.db.evaluation``.
"""
