"""Provenance: which member of a cluster is the original, how sure, and why.

Each signal (``signals.SIGNALS``) looks at a cluster's documents and emits ``Evidence``: a
document, a named signal, a signed weight (positive: looks like the original; negative:
looks like a copy) and a sentence saying what was seen. The election (``decide``) sums each
member's weights into its score; the canonical is the member with the highest score, and
the confidence is its share of ``exp(score)`` over the members (a softmax: weights are
log-odds). All weights and thresholds live in ``MODEL``; the README explains how they were
set. ``orient_links`` then turns every link to run from the elected source to the copy, and
once the links are aligned ``with_passages`` measures each copy's relation (verbatim,
excerpt, expanded, edited) on the passages of the link that represents it.

Modules: ``model`` (the model, evidence, what a signal sees), ``signals`` (the signals and
their registry), ``attribution`` (credits, publisher furniture, bylines and bios),
``election``, ``relations`` and ``explain`` (the decision in sentences).
"""

from .attribution import authorship, credits
from .election import Decision, decide, decide_items, decision_inputs, decision_key, orient_links
from .explain import explain
from .model import MODEL, Evidence, Group, Model, label
from .relations import Relation, relations, with_passages
from .signals import (
    SIGNALS,
    Signal,
    centrality,
    compilation,
    compilations,
    containment,
    pointers,
    published_time,
    quote_style,
    truncation_markers,
    typography,
)

__all__ = [
    "MODEL", "SIGNALS", "Decision", "Evidence", "Group", "Model", "Relation", "Signal", "authorship", "centrality",
    "compilation", "compilations", "containment", "credits", "decide", "decide_items", "decision_inputs", "decision_key", "explain", "label",
    "orient_links", "pointers", "published_time", "quote_style", "relations", "truncation_markers", "typography",
    "with_passages",
]
