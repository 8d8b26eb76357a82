"""Time the pages `dedup serve` offers on a scanned database (in-process Datasette, as served).

    python .tools/datasette_timings.py DB [CLUSTER_ID]

Prints, for every navigation view, the main tables and every canned query: the HTTP status,
the rows returned (first page, up to 100) and the wall time of the request in milliseconds
(the second of two requests, so the SQLite page cache is warm).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from dedup import serve
from dedup.db.queries import QUERIES
from dedup.serve.metadata import NAVIGATION, database_name


async def main(db: Path, cluster_id: int) -> None:
    ds = serve.datasette(serve.ServeOptions(db))
    await ds.invoke_startup()
    name = database_name(db)
    params = {
        "copies_of_document": f"document={await _first(ds, name, 'SELECT canonical_id FROM clusters ORDER BY id')}",
        "clusters_spanning_site": f"site={await _first(ds, name, 'SELECT site FROM documents WHERE site IS NOT NULL') or 'none'}",
        "cluster_passages": f"cluster_id={cluster_id}",
    }
    pages = [f"{table}?_size=100" for table, _ in NAVIGATION]
    pages += ["documents?_search=the&_size=100", "passages?_size=100", "cluster_members?_size=100", "evidence?_size=100"]
    pages += [f"{query}?{params.get(query, '')}" for query in QUERIES]
    print(f"{'page':<60} {'status':>6} {'rows':>6} {'ms':>8}")
    for page in pages:
        base, _, query = page.partition("?")
        path = f"/{name}/{base}.json?{query}&_shape=objects"
        for _ in range(2):
            started = time.perf_counter()
            response = await ds.client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
        html_started = time.perf_counter()
        html = await ds.client.get(f"/{name}/{page}")
        html_ms = (time.perf_counter() - html_started) * 1000
        data = response.json() if response.status_code == 200 else {}
        rows = len(data.get("rows", []))
        print(f"{page:<60} {response.status_code:>6} {rows:>6} {elapsed:>8.0f}   (HTML {html.status_code}: {html_ms:.0f} ms)")


async def _first(ds: Datasette, name: str, sql: str):
    result = await ds.get_database(name).execute(sql)
    row = result.first()
    return row[0] if row else None


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1))
