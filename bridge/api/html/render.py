"""Jinja2 rendering of pages: the environment (templates are package data), filters and the shared context."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bridge.api.html.page import Cell, Page, PageRequest, add_param
from bridge.api.html.views.common import breadcrumbs, nav

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_PATH = "/static"
# what each page script needs, in load order (paths under static/)
SCRIPT_DEPS: dict[str, tuple[str, ...]] = {
    "map.js": ("vendor/leaflet-1.9.4/leaflet.js", "vendor/topojson-client-3.1.0/topojson-client.min.js", "js/map.js"),
    "chart.js": ("vendor/uplot-1.6.32/uPlot.iife.min.js", "js/chart.js"),
    "command-form.js": ("js/command-form.js",),
}


def _pretty(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and " " not in value


def _is_period(value: Any) -> bool:
    """A `[start, end]` time period (RFC 3339 texts, an end possibly "now")."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, str) and (v == "now" or (len(v) >= 10 and v[4] == "-" and v[7] == "-")) for v in value)
    )


@cache
def environment() -> Environment:
    """The Jinja2 environment of the package's templates (autoescaped)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pretty"] = _pretty
    env.tests["url"] = _is_url
    env.tests["cell"] = lambda v: isinstance(v, Cell)
    env.tests["mapping"] = lambda v: isinstance(v, dict)
    env.tests["sequence_value"] = lambda v: isinstance(v, list)
    env.tests["scalars"] = lambda v: isinstance(v, list) and all(isinstance(x, str | int | float) for x in v)
    env.tests["period"] = _is_period
    return env


def _internal(href: str | None, req: PageRequest) -> str | None:
    """Links under the API root keep `f=html` when the page was asked for with it (a browser needs no `f`)."""
    if not href or not req.explicit or not href.startswith(req.root):
        return href
    path = urlsplit(href).path
    if path.startswith(f"{urlsplit(req.root).path}{STATIC_PATH}/") or "f=" in urlsplit(href).query:
        return href
    return add_param(href, "f", "html")


def render_page(page: Page, req: PageRequest) -> str:
    """The HTML of a page."""
    template = environment().get_template(page.template)
    data = {**page.data, "static": req.root + STATIC_PATH}
    if req.settings.html_basemap:
        data["basemap"] = {"url": req.settings.html_basemap, "attribution": req.settings.html_basemap_attribution}
    return template.render(
        page=page,
        ctx=page.context,
        title=page.title,
        site=req.settings.title,
        nav=nav(req),
        crumbs=breadcrumbs(req),
        static=req.root + STATIC_PATH,
        root=req.root,
        data=data,
        link=lambda href: _internal(href, req),
        script_deps=lambda name: SCRIPT_DEPS.get(name, (f"js/{name}",)),
    )


def render_error(status: int, body: Any, req: PageRequest) -> str:
    """An error page: the status, the OGC exception code and its description."""
    doc = body if isinstance(body, dict) else {}
    page = Page("error.html", f"{status} {doc.get('code', 'Error')}")
    page.context = {"status": status, "code": doc.get("code"), "description": doc.get("description")}
    return render_page(page, req)


def render_api_docs(root: str, title: str) -> str:
    """`/api.html`: Swagger UI (shipped with the bridge) on the OpenAPI document at `/api`."""
    template = environment().get_template("api.html")
    return template.render(title=title, static=root + STATIC_PATH, spec=root + "/api")
