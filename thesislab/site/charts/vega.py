"""A chart's Vega-Lite spec for the screen or for print, and the spec with its data.

Both media stack the same layers (`thesislab.site.charts.layers`); print makes them static and
sets the figure's size (8.5 cm wide) and fonts (9-10 pt). Data stays out of the specs: they name
the datasets that `Chart.datasets` provides, so a page carries each chart's data once for both
media, and a spec depends only on the chart's `Layout`, so building it with Altair (the slow part)
happens once per layout, medium and process.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from thesislab.site.charts.controls import Medium, parameters
from thesislab.site.charts.layers import layers

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

    from thesislab.site.charts.data import Chart, Layout

SCREEN_SIZE = (520, 340)
PRINT_SIZE = (241, 227)
"""8.5 cm by 8 cm in points (vl-convert draws one pixel per point), axes and legend included."""

_PRINT_PAGE: dict[str, Any] = {
    "autosize": {"type": "fit", "contains": "padding"},
    "config": {
        "font": "Liberation Sans, Arial, Helvetica, sans-serif",
        "axis": {
            "labelFontSize": 9,
            "titleFontSize": 10,
            "titleFontWeight": "normal",
            "labelOverlap": "greedy",
            "labelSeparation": 4,
        },
        "legend": {
            "labelFontSize": 9,
            "titleFontSize": 10,
            "titleFontWeight": "normal",
            "orient": "bottom",
            "direction": "horizontal",
            "columns": 2,
            "symbolSize": 30,
            "labelLimit": 100,
        },
        "view": {"stroke": "#888888"},
    },
}
"""Print's fitting and fonts."""


@lru_cache(maxsize=512)
def spec_json(layout: Layout, medium: Medium = "screen") -> str:
    """A chart's Vega-Lite spec (without data) as JSON text."""
    return json.dumps(_stacked(layout, medium).to_dict(validate=False), separators=(",", ":"))


def _stacked(layout: Layout, medium: Medium) -> alt.LayerChart:
    import altair as alt
    from altair.utils.schemapi import debug_mode

    width, height = PRINT_SIZE if medium == "print" else SCREEN_SIZE
    page = _PRINT_PAGE if medium == "print" else {}
    with debug_mode(False):  # skip validating every object as it is made
        return alt.LayerChart(
            layer=layers(layout, medium),
            params=parameters(layout, medium),
            width=width,
            height=height,
            **page,
        )


def vega_lite_json(
    chart: Chart, medium: Medium = "print", selection: dict[str, str] | None = None
) -> str:
    """The Vega-Lite spec with its data inlined, as JSON text: what vl-convert renders.
    `selection` sets selectors' starting values."""
    return with_data(json.loads(spec_json(chart.layout_at(selection), medium)), chart.datasets)


def with_data(spec: dict[str, Any], tables: dict[str, pd.DataFrame]) -> str:
    """A Vega-Lite spec (without data) with `tables` inlined as its named datasets, as JSON
    text."""
    inline = [
        f"{json.dumps(name)}:{json.dumps(rows)}" for name, rows in spec.pop("datasets", {}).items()
    ]
    data = [f"{json.dumps(name)}:{rows.to_json(orient='records')}" for name, rows in tables.items()]
    text = json.dumps(spec, separators=(",", ":"))
    return text[:-1] + ',"datasets":{' + ",".join([*inline, *data]) + "}}"
