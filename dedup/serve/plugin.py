"""The Datasette plugin of dedup: passage diffs as HTML, links between the navigation views,
the copies' coverage figures in words, and a page layout that shows the rows first.

It acts only on databases whose metadata has a ``plugins: {"dedup": {...}}`` block (the
metadata ``dedup serve`` uses), so other databases in the same Datasette are left alone.
Article text is untrusted: every piece of it goes through ``markupsafe.escape`` before the
assembled HTML is marked safe; link targets are built from ids and numbers only.
"""

from __future__ import annotations

from importlib.resources import files
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from ..db.codec import decode_diff
from ..db.queries import text_slice
from ..models import DiffOp
from ..models import COPY_COVERAGE_LABEL, NOT_ALIGNED, SOURCE_COVERAGE_LABEL
from ..report.views import cluster_file
from .metadata import PLUGIN

PREVIEW = 80  # characters of a passage side shown next to its diff
DEL_STYLE = "background:#fde0dc;text-decoration:line-through"
INS_STYLE = "background:#dcf5dc;text-decoration:underline"
KIND_LABELS = {"same": "= same", "changed": "~ changed", "added": "+ added", "removed": "− removed"}
COVERAGE_LABELS = {"copy_coverage": COPY_COVERAGE_LABEL, "source_coverage": SOURCE_COVERAGE_LABEL}
STYLESHEET = "/-/dedup/datasette.css"
ASSETS = files(__package__)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Render dedup's cells: diffs of passages, coverage figures, and links from the overview views.

    ``row`` is a ``sqlite3.Row``: ``in`` looks at its values, so column names are looked up in
    ``row.keys()``.
    """
    config = datasette.plugin_config(PLUGIN, database=database)
    if config is None:
        return None
    if column == "diff":
        return _render_diff(row, value, database, datasette)
    if column in ("source_text", "copy_text") and "diff" in row.keys() and value and len(value) > PREVIEW:
        # The diff cell of the row shows the whole passage; keep the raw sides short.
        return Markup("{}…").format(escape(value[:PREVIEW]))
    if column in COVERAGE_LABELS and (table == "copies" or (table == "cluster_members" and _get(row, "role") == "copy")):
        return coverage_text(column, value)
    cell = _Cell(row, database, datasette)
    if table == "cluster_overview":
        return _overview_cell(cell, column, value, config)
    if table == "copies":
        return _copies_cell(cell, column, value)
    if table == "clusters" and column == "title":
        return _cluster_title(cell, value, config)
    return None


@hookimpl
def register_routes():
    """Serve the plugin's stylesheet."""
    return [(r"^/-/dedup/datasette\.css$", _stylesheet)]


@hookimpl
def extra_css_urls(database, datasette):
    """The plugin's stylesheet on the pages of dedup databases (wide tables scroll in place)."""
    if database is None or datasette.plugin_config(PLUGIN, database=database) is None:
        return None
    return [datasette.urls.path(STYLESHEET)]


@hookimpl
def extra_body_script(database, datasette):
    """On dedup databases, fold the column descriptions into one line above the table."""
    if database is None or datasette.plugin_config(PLUGIN, database=database) is None:
        return None
    return (ASSETS / "datasette.js").read_text(encoding="utf-8")


def coverage_text(column: str, value: float | None) -> str:
    """A copy's coverage figure as ``dedup show`` and the report name it ("84% from the source"),
    or "not aligned" when there is none."""
    return NOT_ALIGNED if value is None else f"{value:.0%} {COVERAGE_LABELS[column]}"


def passage_html(
    kind: str | None,
    source_text: str | None,
    copy_text: str | None,
    diff: str | None = None,
    *,
    source_start: int = 0,
    copy_start: int = 0,
) -> Markup:
    """One passage as HTML: added text underlined, removed text struck through, and for a
    changed passage its word diff (unchanged words once, then each edit's deletion and insertion).

    ``source_text`` and ``copy_text`` are the passage's two sides, cut from the documents at
    ``source_start`` and ``copy_start``; ``diff`` is the stored ``passages.diff`` value, whose
    offsets are in the documents (``dedup.db.codec``). The marks are not colour alone
    (strike-through, underline, a label with a symbol).
    """
    source_text, copy_text = source_text or "", copy_text or ""
    ops = decode_diff(diff) if kind == "changed" else ()
    if ops:
        body = _diff_html(ops, source_text, copy_text, source_start, copy_start)
    elif kind == "added":
        body = Markup('<ins style="{}">{}</ins>').format(INS_STYLE, escape(copy_text))
    elif kind == "removed":
        body = Markup('<del style="{}">{}</del>').format(DEL_STYLE, escape(source_text))
    else:
        body = escape(copy_text or source_text)
    label = KIND_LABELS.get(kind or "", kind or "")
    return Markup(
        '<div class="dedup-passage" style="white-space:pre-wrap;max-width:60em">'
        '<strong style="font-size:0.8em">{}</strong> {}</div>'
    ).format(label, body)


def _diff_html(ops: tuple[DiffOp, ...], source_text: str, copy_text: str, source_start: int, copy_start: int) -> Markup:
    parts = []
    for op in ops:
        before = source_text[op.source_start - source_start : op.source_end - source_start]
        after = copy_text[op.copy_start - copy_start : op.copy_end - copy_start]
        if op.op == "equal":
            parts.append(escape(after))
            continue
        if before:
            parts.append(Markup('<del style="{}">{}</del>').format(DEL_STYLE, escape(before)))
        if after:
            parts.append(Markup('<ins style="{}">{}</ins>').format(INS_STYLE, escape(after)))
    return Markup("").join(parts)


def _render_diff(row, value, database, datasette):
    """A ``diff`` cell of a passage row (a table, a view or a query with the passage's columns)."""
    kind = _get(row, "kind") or ("changed" if value else None)
    if kind is None:
        return None
    starts = {side: _get(row, f"{side}_start") for side in ("source", "copy")}
    if "source_text" in row.keys() and "copy_text" in row.keys():
        if value and None in starts.values():
            return None
        return passage_html(
            kind, _get(row, "source_text"), _get(row, "copy_text"), value,
            source_start=starts["source"] or 0, copy_start=starts["copy"] or 0,
        )
    ends = {side: _get(row, f"{side}_end") for side in ("source", "copy")}
    ids = {side: _get(row, f"{side}_id") for side in ("source", "copy")}
    if None in (*starts.values(), *ends.values(), *ids.values()):
        return None

    async def from_documents():
        # The passages table stores offsets only: cut both sides out of the documents.
        db = datasette.get_database(database)
        texts = {}
        for side in ("source", "copy"):
            first = (await db.execute(*text_slice(ids[side], starts[side], ends[side]))).first()
            texts[side] = first[0] if first else ""
        return passage_html(kind, texts["source"], texts["copy"], value, source_start=starts["source"], copy_start=starts["copy"])

    return from_documents


async def _stylesheet():
    return Response((ASSETS / "datasette.css").read_text(encoding="utf-8"), content_type="text/css; charset=utf-8")


class _Cell:
    """What the link builders need: the row's values, and URLs inside this database."""

    def __init__(self, row, database, datasette):
        self.row, self.database, self.urls = row, database, datasette.urls

    def get(self, name):
        return _get(self.row, name)

    def row_url(self, table: str, pk) -> str:
        return self.urls.row(self.database, table, tilde_encode(str(pk)))

    def table_url(self, table: str, **filters) -> str:
        return f"{self.urls.table(self.database, table)}?{urlencode(filters)}"

    def query_url(self, query: str, **params) -> str:
        return f"{self.urls.query(self.database, query)}?{urlencode(params)}"


def _link(url: str, text) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url, text)


def _overview_cell(cell: _Cell, column: str, value, config: dict):
    cluster_id = cell.get("cluster_id")
    if cluster_id is None:
        return None
    if column == "cluster_id":
        return _link(cell.row_url("clusters", cluster_id), value)
    if column == "canonical_title" and cell.get("canonical_id"):
        return _link(cell.row_url("documents", cell.get("canonical_id")), value or cell.get("canonical_path"))
    if column == "n_copies":
        return _link(cell.table_url("copies", cluster_id=cluster_id), f"{value} copies" if value != 1 else "1 copy")
    if column == "n_evidence":
        return _link(cell.table_url("evidence", cluster_id=cluster_id), f"{value} evidence")
    if column == "n_passages":
        return _link(cell.query_url("cluster_passages", cluster_id=cluster_id), f"{value} passages")
    if column == "report_page":
        return _report_link(config, cluster_id)
    return None


def _copies_cell(cell: _Cell, column: str, value):
    if column == "cluster_id" and value is not None:
        return _link(cell.row_url("clusters", value), value)
    for side in ("copy", "source"):
        if column == f"{side}_title" and cell.get(f"{side}_id"):
            # A document without a title is named by its file.
            return _link(cell.row_url("documents", cell.get(f"{side}_id")), value or cell.get(f"{side}_path"))
    if column == "n_passages" and cell.get("copy_id") and cell.get("source_id"):
        # The link between the two may run either way (its orientation predates provenance).
        pair = f"{cell.get('source_id')},{cell.get('copy_id')}"
        return _link(cell.table_url("passages", source_id__in=pair, copy_id__in=pair, _sort="position"), f"{value} passages")
    return None


def _cluster_title(cell: _Cell, value, config: dict):
    report = _report_link(config, cell.get("id"))
    if report is None:
        return None
    return Markup("{} · {}").format(value or "", report)


def _report_link(config: dict, cluster_id) -> Markup | None:
    """A link to the cluster's page of the HTML report (when the reports are served)."""
    base = config.get("reports_url")
    if not base or cluster_id is None:
        return None
    return _link(f"{base}{cluster_file(int(cluster_id))}", "report")


def _get(row, name):
    """A value of the row, ``None`` when absent; expanded foreign keys give their raw value."""
    try:
        value = row[name]
    except (KeyError, IndexError):
        return None
    if isinstance(value, dict):
        return value.get("value")
    return value
