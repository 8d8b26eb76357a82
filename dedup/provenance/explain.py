"""A stored cluster's provenance decision in plain sentences."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..models import CopyRelation, coverage_text

#: How each relation reads in a sentence.
RELATION_WORDS = {
    CopyRelation.VERBATIM: "a verbatim copy",
    CopyRelation.EXCERPT: "an excerpt: a shortened copy",
    CopyRelation.EXPANDED: "an expanded copy: the source's text plus added material",
    CopyRelation.EDITED: "an edited copy: passages rewritten",
}


def explain(cluster: Mapping) -> list[str]:
    """Plain sentences that explain a stored cluster's decision.

    ``cluster`` is the store's cluster detail: ``confidence``, ``canonical_id``, ``members``
    (with ``document_id``, ``path``, ``record``, ``relation``, ``relation_detail``,
    ``copy_coverage``, ``source_coverage``) and ``evidence`` rows (``document_id``,
    ``signal``, ``weight``, ``detail``).
    """
    members = {m["document_id"]: m for m in cluster["members"]}
    name = {d: m["path"] if m.get("record") is None else f"{m['path']}#{m['record']}" for d, m in members.items()}
    canonical = cluster["canonical_id"]
    evidence = sorted(cluster.get("evidence", []), key=lambda e: (-abs(e["weight"]), e["document_id"], e["signal"]))
    confidence = cluster.get("confidence")
    sure = f"confidence {confidence:.2f}" if confidence is not None else "confidence unknown"
    lines = []
    for doc_id, member in members.items():
        if doc_id == canonical:
            continue
        reasons = [e["detail"] for e in evidence if (e["document_id"] == canonical and e["weight"] > 0) or (e["document_id"] == doc_id and e["weight"] < 0)]
        against = [e["detail"] for e in evidence if (e["document_id"] == doc_id and e["weight"] > 0) or (e["document_id"] == canonical and e["weight"] < 0)]
        because = "; ".join(reasons) if reasons else "no signal separates them, so the earlier, longer document is taken"
        sentence = f"{name[doc_id]} is a copy of {name[canonical]}: {because} ({sure})."
        if against:
            sentence += " Against it: " + "; ".join(against) + "."
        lines.append(sentence)
        if member.get("relation"):
            lines.append(f"  {name[doc_id]} is {_describe(member, canonical, name)}")
    return lines


def _describe(member: Mapping, canonical: str, name: Mapping[str, str]) -> str:
    """A copy's relation in words, with its coverage figures under their display names, and
    the member it was measured against when that is not the canonical."""
    detail = member.get("relation_detail")
    figures = json.loads(detail) if isinstance(detail, str) else (detail or {})
    copy_coverage, source_coverage = member.get("copy_coverage"), member.get("source_coverage")
    notes = []
    if copy_coverage is not None and source_coverage is not None:
        notes.append(coverage_text(copy_coverage, source_coverage))
    against = figures.get("measured_against")
    if against and against != canonical:
        notes.append(f"measured against {name.get(against, against)}, the member it is linked to most closely")
    return RELATION_WORDS.get(member["relation"], member["relation"]) + (f" ({'; '.join(notes)})" if notes else "") + "."
