"""The passage-diff codec: how a changed passage's word edits are stored in ``passages.diff``.

The column holds JSON ``[[op, source_start, source_end, copy_start, copy_end], ...]`` (see
``models.DiffOp``), or NULL for a passage without edits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..models import DiffOp


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
