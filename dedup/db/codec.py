"""How values that are not plain columns are stored.

``passages.diff`` holds a changed passage's word edits as JSON ``[[op, source_start,
source_end, copy_start, copy_end], ...]`` (see ``models.DiffOp``), or NULL for a passage
without edits. ``sketches`` holds each document's sketch as the raw bytes of its arrays.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from ..models import DiffOp, Sketch


def encode_diff(ops: Sequence[DiffOp]) -> str | None:
    """The ``passages.diff`` value of a passage's word edits (None when there are none)."""
    if not ops:
        return None
    return json.dumps([[o.op, o.source_start, o.source_end, o.copy_start, o.copy_end] for o in ops])


def decode_diff(value: str | None) -> tuple[DiffOp, ...]:
    """The word edits stored in a ``passages.diff`` value; () for NULL or a value that is not
    a list of five-item edits (a hand-edited row must not break a page)."""
    if not value:
        return ()
    try:
        rows = json.loads(value)
        return tuple(DiffOp(str(op), int(s0), int(s1), int(c0), int(c1)) for op, s0, s1, c0, c1 in rows)
    except (ValueError, TypeError):
        return ()


#: ``sketches`` columns → the dtype of the array each holds
SKETCH_ARRAYS = {"shingles": np.uint32, "positions": np.int32, "quoted": np.bool_, "minhash": np.uint32}


def encode_sketch(item: Sketch) -> dict[str, bytes]:
    """A sketch's arrays as the bytes stored in ``sketches`` (little-endian, as the dtypes say)."""
    return {name: np.ascontiguousarray(getattr(item, name), dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
            for name, dtype in SKETCH_ARRAYS.items()}


def decode_sketch(doc_id: str, stored: dict[str, bytes]) -> Sketch:
    """The sketch of ``doc_id`` from its stored bytes."""
    arrays = {name: np.frombuffer(stored[name], dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
              for name, dtype in SKETCH_ARRAYS.items()}
    return Sketch(doc_id=doc_id, **arrays)
