"""SQL that Datasette runs on a dedup database: the canned queries, and the text of a passage.

``QUERIES`` maps each canned query's name to its SQL; its title and description (what users
read on the database page) are in ``dedup.serve.metadata``. Parameters are named
(``:document``), as Datasette turns them into form fields.
"""

from __future__ import annotations

QUERIES: dict[str, str] = {
    # :document, an id or a path → the documents it is the verified source of, and the copies
    # of the cluster it is the canonical of.
    "copies_of_document": """
WITH target AS (SELECT id FROM documents WHERE id = :document OR path = :document),
found AS (
  SELECT copy_id FROM links WHERE source_id IN (SELECT id FROM target)
  UNION
  SELECT m.document_id FROM cluster_members m JOIN clusters c ON c.id = m.cluster_id
  WHERE m.role = 'copy' AND c.canonical_id IN (SELECT id FROM target)
)
SELECT f.copy_id, d.title AS copy_title, d.site AS copy_site, d.published_at AS copy_published_at,
       m.cluster_id, m.role, m.relation, m.similarity, m.containment, d.path AS copy_path
FROM found f JOIN documents d ON d.id = f.copy_id
LEFT JOIN cluster_members m ON m.document_id = f.copy_id
ORDER BY m.similarity DESC, d.path""",
    # :site, a site name or a URL's host → the cluster_overview rows of the clusters with a
    # member from that site.
    "clusters_spanning_site": """
SELECT o.* FROM cluster_overview o
WHERE o.cluster_id IN (
  SELECT m.cluster_id FROM cluster_members m JOIN documents d ON d.id = m.document_id
  WHERE d.site = :site OR d.url LIKE 'http%://' || :site || '/%'
)
ORDER BY o.size DESC, o.cluster_id""",
    # Canonical documents by number of copies, then by the number of other sites they reached.
    "most_copied_sources": """
SELECT c.canonical_id AS source_id, s.title AS source_title, s.site AS source_site,
       s.published_at AS source_published_at, c.size - 1 AS n_copies,
       COUNT(DISTINCT CASE WHEN d.site IS NOT s.site THEN d.site END) AS n_other_sites,
       c.id AS cluster_id, c.confidence
FROM clusters c
JOIN documents s ON s.id = c.canonical_id
JOIN cluster_members m ON m.cluster_id = c.id AND m.role = 'copy'
JOIN documents d ON d.id = m.document_id
GROUP BY c.id
ORDER BY n_copies DESC, n_other_sites DESC, c.id
LIMIT 200""",
    # Changed passages whose edited words (either side) hold a digit, a double quotation mark
    # or an opening single quote. The diff's offsets are in the documents, so each edit is cut
    # out of the passage's own text; quote style alone is never an edit.
    "changed_numbers_or_quotes": """
WITH changed AS MATERIALIZED (  -- cut each passage out of its documents once
  SELECT p.source_id, p.copy_id, p.position, p.kind, p.similarity, p.source_start, p.source_end, p.copy_start,
         p.copy_end, substr(s.text, p.source_start + 1, p.source_end - p.source_start) AS source_text,
         substr(c.text, p.copy_start + 1, p.copy_end - p.copy_start) AS copy_text, p.diff,
         s.title AS source_title, c.title AS copy_title
  FROM passages p JOIN documents s ON s.id = p.source_id JOIN documents c ON c.id = p.copy_id
  WHERE p.kind = 'changed'
)
SELECT m.cluster_id, p.copy_id, p.copy_title, p.source_id, p.source_title, p.position, p.kind, p.similarity,
       p.source_start, p.source_end, p.copy_start, p.copy_end, p.source_text, p.copy_text, p.diff
FROM changed p
LEFT JOIN cluster_members m ON m.document_id = p.copy_id
WHERE EXISTS (
  SELECT 1 FROM json_each(CASE WHEN json_valid(p.diff) THEN p.diff ELSE '[]' END) AS op
  WHERE json_extract(op.value, '$[0]') != 'equal'
    AND (substr(p.source_text, json_extract(op.value, '$[1]') - p.source_start + 1,
                json_extract(op.value, '$[2]') - json_extract(op.value, '$[1]'))
         || ' ' ||
         substr(p.copy_text, json_extract(op.value, '$[3]') - p.copy_start + 1,
                json_extract(op.value, '$[4]') - json_extract(op.value, '$[3]')))
        GLOB '*[0-9"“”„«»‘]*'
)
ORDER BY m.cluster_id, p.copy_id, p.position""",
    # :cluster_id → every passage of the links inside the cluster, with both sides' text.
    "cluster_passages": """
SELECT p.source_id, p.copy_id, p.position, p.kind, p.similarity,
       p.source_start, p.source_end, p.copy_start, p.copy_end,
       substr(s.text, p.source_start + 1, p.source_end - p.source_start) AS source_text,
       substr(c.text, p.copy_start + 1, p.copy_end - p.copy_start) AS copy_text,
       p.diff
FROM passages p
JOIN cluster_members mc ON mc.document_id = p.copy_id AND mc.cluster_id = :cluster_id
JOIN cluster_members ms ON ms.document_id = p.source_id AND ms.cluster_id = :cluster_id
JOIN documents s ON s.id = p.source_id
JOIN documents c ON c.id = p.copy_id
ORDER BY p.source_id, p.copy_id, p.position""",
}

# A run of a document's text, by character offsets (SQLite's substr counts from 1).
TEXT_SLICE = "SELECT substr(text, :start + 1, :length) FROM documents WHERE id = :document"


def text_slice(document_id: str, start: int, end: int) -> tuple[str, dict]:
    """The SQL and parameters that read ``text[start:end]`` of a document (one row, one value)."""
    return TEXT_SLICE, {"document": document_id, "start": start, "length": max(end - start, 0)}
