"""A chart's Vega-Lite spec for the screen or for print, and the spec with its data.

Both media stack the same layers (`thesislab.site.charts.layers`); print makes them static and
sets the figure's width (a column's 8.5 cm, or any other), its fonts (9-10 pt by default) and a
title naming what is shown (its heading, if it has one, the device, and any other selector's
value); its legends go under the plot, one above the other, and the figure grows as tall as
they need. Data stays out of the specs: they
name the datasets that `Chart.datasets` provides, so a page carries each chart's data once for
both media, and a spec depends only on the chart's `Layout`, so building it with Altair (the slow
part) happens once per layout, medium, width, font size and process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from thesislab.site.charts.controls import Medium, parameters, selection_text
from thesislab.site.charts.layers import layers

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

    from thesislab.site.charts.data import Chart, Layout

SCREEN_SIZE = (520, 340)

POINTS_PER_CM = 72 / 2.54
"""Print sizes are in points (vl-convert draws one pixel per point)."""
COLUMN_WIDTH_CM = 8.5
"""A figure's width by default: one column of a two-column page."""
PAGE_WIDTH_CM = 17.0
"""A figure as wide as the page."""
PLOT_HEIGHT = 0.62
"""The plot's height in print, as a share of the figure's width..."""
MAX_PLOT_HEIGHT_CM = 6.0
"""...up to this height."""
FONT_SIZE_PT = 9.0
"""The size of a printed figure's labels by default; its axis and legend titles are a point
larger."""


def _print_page(font_size: float) -> dict[str, Any]:
    """Print's fitting (the width is the figure's; its height grows with the legends) and fonts,
    labels `font_size` points high."""
    titles = font_size + 1
    return {
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": {
            "font": "Liberation Sans, Arial, Helvetica, sans-serif",
            "axis": {
                "labelFontSize": font_size,
                "titleFontSize": titles,
                "titleFontWeight": "normal",
                "labelOverlap": "greedy",
                "labelSeparation": 4,
            },
            "legend": {
                "labelFontSize": font_size,
                "titleFontSize": titles,
                "titleFontWeight": "normal",
                "orient": "bottom",
                "direction": "horizontal",
                "symbolSize": 30,
                # Vega's layout of the legends at the bottom: one under the other, from the
                # left (an expression: Vega-Lite's schema takes no other form).
                "layout": {
                    "expr": "{bottom: {direction: 'vertical', anchor: 'start', margin: 6, "
                    "offset: 10}}"
                },
            },
            "view": {"stroke": "#888888"},
        },
    }


def _title(layout: Layout, font_size: float) -> dict[str, Any]:
    """A printed figure's title: its heading and what its selectors show; none without either."""
    shown = selection_text(layout)
    heading = json.dumps(layout.spec.heading) if layout.spec.heading else None
    text = " + ' · ' + ".join(part for part in (heading, shown) if part)
    if not text:
        return {}
    style = {"anchor": "start", "fontSize": font_size, "fontWeight": "normal", "offset": 4}
    return {"title": {"text": {"expr": text}, **style}}


def print_size(width_cm: float) -> tuple[int, int]:
    """The figure's width and the plot's height in points, for a figure `width_cm` wide."""
    width = width_cm * POINTS_PER_CM
    height = min(PLOT_HEIGHT * width, MAX_PLOT_HEIGHT_CM * POINTS_PER_CM)
    return round(width), round(height)


@lru_cache(maxsize=512)
def spec_json(
    layout: Layout,
    medium: Medium = "screen",
    width_cm: float = COLUMN_WIDTH_CM,
    font_size_pt: float = FONT_SIZE_PT,
) -> str:
    """A chart's Vega-Lite spec (without data) as JSON text; in print, `width_cm` wide with
    labels `font_size_pt` points high."""
    spec = _stacked(layout, medium, width_cm, font_size_pt).to_dict(validate=False)
    return json.dumps(spec, separators=(",", ":"))


def _stacked(layout: Layout, medium: Medium, width_cm: float, font_size: float) -> alt.LayerChart:
    import altair as alt
    from altair.utils.schemapi import debug_mode

    page: dict[str, Any] = {}
    if medium == "print":
        width, height = print_size(width_cm)
        page = {**_print_page(font_size), **_title(layout, font_size)}
    else:
        width, height = SCREEN_SIZE
    with debug_mode(False):  # skip validating every object as it is made
        return alt.LayerChart(
            layer=layers(layout, medium, width, font_size),
            params=parameters(layout, medium),
            width=width,
            height=height,
            **page,
        )


def vega_lite_json(
    chart: Chart,
    medium: Medium = "print",
    selection: Mapping[str, str] | None = None,
    width_cm: float = COLUMN_WIDTH_CM,
    font_size_pt: float = FONT_SIZE_PT,
) -> str:
    """The Vega-Lite spec with its data inlined, as JSON text: what vl-convert renders.
    `selection` sets selectors' starting values; in print, the figure is `width_cm` wide with
    labels `font_size_pt` points high."""
    spec = spec_json(chart.layout_at(selection), medium, width_cm, font_size_pt)
    return with_data(json.loads(spec), chart.datasets)


def with_data(spec: dict[str, Any], tables: dict[str, pd.DataFrame]) -> str:
    """A Vega-Lite spec (without data) with `tables` inlined as its named datasets, as JSON
    text."""
    inline = [
        f"{json.dumps(name)}:{json.dumps(rows)}" for name, rows in spec.pop("datasets", {}).items()
    ]
    data = [f"{json.dumps(name)}:{rows.to_json(orient='records')}" for name, rows in tables.items()]
    text = json.dumps(spec, separators=(",", ":"))
    return text[:-1] + ',"datasets":{' + ",".join([*inline, *data]) + "}}"
