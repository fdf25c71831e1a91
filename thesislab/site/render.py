"""Pages to HTML: jinja2 templates (autoescaped) fed with charts, tables and figures.

Chart specs go into HTML-escaped `data-spec` attributes, which survive Material's instant
navigation and work on file://. Chart data and the all-results table travel as gzip-compressed,
base64-encoded JSON tables in data attributes (`payload`), which the page's script decodes: every
value from a result file reaches the browser as data, never as markup.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
from collections.abc import Hashable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from thesislab.results.columns import BY_NAME, MISSING, Column, Format, View, columns, display
from thesislab.results.table import OF_ARCHITECTURE
from thesislab.site import payload
from thesislab.site.charts.data import Chart
from thesislab.site.charts.vega import spec_json
from thesislab.site.links import MODELS_INDEX, model_page
from thesislab.site.page import Page, slug

if TYPE_CHECKING:
    import jinja2
    import pandas as pd

TEMPLATES = Path(__file__).parent / "templates"
ASSETS_DIR = "assets/thesislab"
EXPORTS_DIR = f"{ASSETS_DIR}/exports"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass
class Figure:
    """A chart as pages show it: its specs and its compressed data (page-independent)."""

    chart: Chart
    spec: str
    print_spec: str
    data: str

    @property
    def chart_id(self) -> str:
        """The id `thesislab chart export` takes."""
        return self.chart.spec.chart_id

    @property
    def exports(self) -> str:
        """Site path of the script holding the chart's PDF and CSV."""
        return f"{EXPORTS_DIR}/{self.chart_id}.js"


def _percent(value: object, digits: int = 2) -> str:
    if _missing(value):
        return MISSING
    return f"{float(value) * 100:.{digits}f} %"  # type: ignore[arg-type]


def _points(value: object, signed: bool = True) -> str:
    if _missing(value):
        return MISSING
    return f"{float(value) * 100:{'+' if signed else ''}.2f} pts"  # type: ignore[arg-type]


def _milliseconds(value: object) -> str:
    return display(value, Format.MILLISECONDS)


def _cell(row: dict[Hashable, Any], column: Column) -> str:
    """A table cell's text: `row`'s value of `column`, written as the registry says."""
    return display(row.get(column.name), column.format)


def _number(value: object) -> str:
    if _missing(value):
        return MISSING
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.3f}"
    return f"{int(value):,}"  # type: ignore[call-overload]


def _correlation(value: object) -> str:
    """A correlation coefficient, always to three decimals (1.000, not 1)."""
    if _missing(value):
        return MISSING
    return f"{float(value):.3f}"  # type: ignore[arg-type]


def _count_of(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def _ratio(value: object) -> str:
    if _missing(value):
        return MISSING
    return f"{float(value):.2f}×"  # type: ignore[arg-type]


def _text(value: object) -> str:
    return MISSING if _missing(value) else str(value)


_TOKEN_END = re.compile(r"([_-])")


def _breakable(name: object) -> Markup:
    """A model name, escaped, that a narrow column breaks between its tokens (after each `_`
    or `-`), never inside one."""
    return Markup(_TOKEN_END.sub(r"\1<wbr>", str(escape(str(name)))))


def _rows(frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
    return frame.to_dict(orient="records")


@cache
def environment() -> jinja2.Environment:
    """The template environment: autoescaping on, undefined names are errors."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        percent=_percent,
        points=_points,
        ms=_milliseconds,
        number=_number,
        correlation=_correlation,
        ratio=_ratio,
        count_of=_count_of,
        text=_text,
        cell=_cell,
        breakable=_breakable,
        rows=_rows,
        pretty_json=lambda value: json.dumps(value, indent=2),
    )
    env.tests["present"] = lambda value: not _missing(value)
    env.globals["slug"] = slug
    env.globals["model_page"] = model_page
    env.globals["models_index"] = MODELS_INDEX
    env.globals["latency_of_architecture"] = OF_ARCHITECTURE
    env.globals["column"] = BY_NAME.__getitem__
    env.globals["leading"] = tuple(c for c in columns(View.SITE) if c.lead is not None)
    return env


def relative_url(page_path: str, target: str) -> str:
    """The link from the page built from `page_path` to `target` (a Markdown source path or an
    asset path), for a site built without directory URLs."""
    if target.endswith(".md"):
        target = target.removesuffix(".md") + ".html"
    return posixpath.relpath(target, posixpath.dirname(page_path) or ".")


def figure(chart: Chart) -> Figure:
    """What a page needs to show `chart`."""
    return Figure(
        chart=chart,
        spec=spec_json(chart.layout, "screen"),
        print_spec=spec_json(chart.layout, "print"),
        data=payload.encode(payload.tables_json(chart.datasets)),
    )


def render_page(page: Page, pages: list[Page], figures: dict[str, Figure] | None = None) -> str:
    """The HTML body of `page`; `pages` are all generated pages, for links between them.

    `figures` (by chart id) may bring figures made earlier; the others are made here.
    """

    def url(target: str) -> str:
        return relative_url(page.path, target)

    known = figures or {}
    shown = {
        role: known.get(chart.spec.chart_id) or figure(chart)
        for role, chart in page.charts.items()
        if not chart.empty
    }
    context: dict[str, Any] = {
        **page.context,
        "page": page,
        "pages": pages,
        "charts": page.charts,
        "figures": shown,
        "url": url,
    }
    return environment().get_template(page.template).render(context)
