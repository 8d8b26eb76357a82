"""Rendering the report pages: jinja2 templates (``templates/``), autoescaping everything.

Every string that comes from an article reaches the page escaped. Pages are self-contained
(inline CSS and JS) and carry a Content-Security-Policy that allows no request at all.
"""

from __future__ import annotations

import base64
import hashlib

from jinja2 import Environment, PackageLoader, StrictUndefined

from ..models import COPY_COVERAGE_LABEL, NOT_ALIGNED, SOURCE_COVERAGE_LABEL
from .views import ClusterPage, IndexPage


def environment() -> Environment:
    """A jinja2 environment over the report's templates, autoescaping everything."""
    env = Environment(
        loader=PackageLoader("dedup.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = _pct
    env.filters["fig"] = _fig
    env.filters["signed"] = _signed
    env.filters["share"] = _share
    env.globals["css"] = _asset(env, "report.css")
    env.globals["copy_coverage_label"] = COPY_COVERAGE_LABEL
    env.globals["source_coverage_label"] = SOURCE_COVERAGE_LABEL
    return env


def index_html(page: IndexPage, env: Environment | None = None) -> str:
    """The HTML of ``index.html``."""
    env = env or environment()
    script = _asset(env, "index.js")
    return env.get_template("index.html").render(page=page, script=script, csp=_csp(script))


def cluster_html(page: ClusterPage, env: Environment | None = None) -> str:
    """The HTML of one cluster's page."""
    env = env or environment()
    return env.get_template("cluster.html").render(page=page, script=None, csp=_csp(None))


def _asset(env: Environment, name: str) -> str:
    """A static file of the templates folder (CSS or JS), inlined as is."""
    source, _, _ = env.loader.get_source(env, name)
    return source


def _csp(script: str | None) -> str:
    """A Content-Security-Policy allowing no request, inline styles, and only our own script.

    The script is allowed by its hash, so a script tag that came from article text would not
    run even if it ever reached the page unescaped.
    """
    allowed = "'none'"
    if script is not None:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        allowed = f"'sha256-{digest}'"
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src {allowed}; img-src data:; base-uri 'none'; form-action 'none'"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _fig(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _signed(value: float | None) -> str:
    """A provenance score or evidence weight, as ``dedup show`` prints it."""
    return "—" if value is None else f"{value:+.2f}"


def _share(value: float | None) -> str:
    """A coverage figure as the CLI shows it ("84%"), or "not aligned" when there is none."""
    return NOT_ALIGNED if value is None else f"{value:.0%}"
