"""Relations: how each copy relates to its cluster (verbatim, excerpt, expanded or edited),
measured once the links are aligned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .. import align
from ..cluster import links_within, member_links
from ..models import CopyRelation, Link, Passage
from .model import MODEL, Model

if TYPE_CHECKING:
    from .election import Decision


@dataclass(frozen=True)
class Relation:
    """How a copy relates to its source in the cluster, with the figures that decided it.

    Measured on the link that represents the copy (``cluster.member_links``), seen with the
    copy on the copy side: ``measured_against`` is the other end (the canonical, or the
    member the copy is most similar to when it is not linked to the canonical itself).
    ``coverage`` holds the figures of the link's aligned passages (``align.coverage``: the
    figures shown for the copy everywhere), None when the link has no passages; then the
    link's shingle shares decided.
    """

    kind: CopyRelation
    measured_against: str
    coverage: align.Coverage | None
    copy_containment: float
    source_containment: float

    @property
    def detail(self) -> dict:
        """The deciding figures, as stored in ``cluster_members.relation_detail``."""
        figures: dict = {"measured_against": self.measured_against}
        if self.coverage is not None:
            figures.update(
                copy_coverage=self.coverage.copy_coverage, source_coverage=self.coverage.source_coverage, changed=self.coverage.changed
            )
        else:
            figures.update(copy_containment=round(self.copy_containment, 4), source_containment=round(self.source_containment, 4))
        return figures


def relations(
    canonical: str, links: Sequence[Link], passages: Mapping[tuple[str, str], Sequence[Passage]] | None = None, model: Model = MODEL
) -> dict[str, Relation]:
    """How each copy in a cluster relates to its source: verbatim, excerpt, expanded or edited.

    ``links`` are the links inside the cluster, ``passages`` their alignments by
    ``(source_id, copy_id)``. Each copy is measured on the link that represents it
    (``cluster.member_links``), seen with the copy on the copy side: on the coverage figures
    of the link's passages (``align.coverage``, the figures shown for the copy) when it was
    aligned, else on its shingle shares.

    * ``edited``: at least ``relation_changed`` of the copy's matched text is in changed
      passages;
    * ``verbatim``: both shares reach ``relation_share``;
    * ``excerpt``: only the copy's share does (all source text, but some dropped);
    * ``expanded``: only the source's share does (the source kept, material added);
    * otherwise shingle shares say ``edited`` (rewording lowers both), and aligned
      passages, barely changed but both cut and added, name the larger part.
    """
    found = {}
    for member, link in member_links(canonical, links).items():
        aligned = (passages or {}).get((link.source_id, link.copy_id))
        if link.source_id == member:  # the link runs from the member: see it from the other side
            link = link.reversed()
            aligned = align.flip(aligned) if aligned else aligned
        found[member] = _relation(link, aligned, model)
    return found


def with_passages(
    decisions: Mapping[int, Decision], links: Sequence[Link], passages: Mapping[tuple[str, str], Sequence[Passage]], model: Model = MODEL
) -> dict[int, Decision]:
    """The decisions with each copy's relation measured on the aligned passages of its link.

    ``links`` are the oriented links (every link may be given), ``passages`` maps their
    ``(source_id, copy_id)`` to their alignment.
    """
    inside = links_within([d.members for d in decisions.values()], links)
    return {
        cid: replace(d, relations=relations(d.canonical_id, own, passages, model))
        for (cid, d), own in zip(decisions.items(), inside)
    }


def _relation(link: Link, passages: Sequence[Passage] | None, model: Model) -> Relation:
    """The relation of ``link.copy_id`` to ``link.source_id``."""
    figures = None
    taken, kept, changed = link.copy_containment, link.source_containment, None
    if passages:
        # An alignment covers each text exactly once: its spans add up to the texts' lengths.
        source_len = sum(p.source_end - p.source_start for p in passages)
        copy_len = sum(p.copy_end - p.copy_start for p in passages)
        figures = align.coverage(passages, source_len, copy_len)
        taken, kept, changed = figures.copy_coverage, figures.source_coverage, figures.changed
    high = model.relation_share
    if changed is not None and changed >= model.relation_changed:
        kind = CopyRelation.EDITED
    elif kept >= high and taken >= high:
        kind = CopyRelation.VERBATIM
    elif taken >= high:
        kind = CopyRelation.EXCERPT
    elif kept >= high:
        kind = CopyRelation.EXPANDED
    elif changed is None:
        kind = CopyRelation.EDITED  # shingle figures: rewording lowers both shares
    else:
        kind = CopyRelation.EXPANDED if 1 - taken > 1 - kept else CopyRelation.EXCERPT
    return Relation(kind, link.source_id, figures, link.copy_containment, link.source_containment)
