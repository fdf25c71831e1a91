"""The layers of an accuracy-latency chart, one function each, drawn for a medium.

A chart stacks, from the bottom: a dashed guide (y = 0 or y = x), error bars, the lines through
pairs, the frontier's step line, and the points (thesislab's filled, the thesis's hollow). The
layers are the same on the screen and in print; the points differ: on the screen they have
tooltips and links to their model pages and fade but for a highlighted colour, in print they are
smaller and static. The selectors and toggle that the layers obey are `controls`'.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from thesislab.results.columns import BY_NAME, MISSING, Column, Format
from thesislab.site.charts.controls import (
    Medium,
    highlight_opacity,
    interactions,
    reference_filters,
    scope_filters,
    selection_filters,
)
from thesislab.site.links import HREF_EXPRESSION

if TYPE_CHECKING:
    import altair as alt

    from thesislab.site.charts.data import Layout

GUIDE_COLOUR = "#333333"
_GUIDE = {"color": GUIDE_COLOUR, "strokeDash": [4, 3]}

SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down"]
"""Point shapes, in the order they are given out."""

POINT_MARKS: dict[Medium, dict[str, float]] = {
    "screen": {"size": 42, "strokeWidth": 1.2},
    "print": {"size": 16, "strokeWidth": 0.8},
}
"""The points' size and stroke in each medium."""

_TOOLTIP_TEXT: dict[Format, str] = {
    Format.TEXT: "'' + {v}",
    Format.LIST: "'' + {v}",
    Format.FLAG: "{v} ? 'yes' : 'no'",
    Format.PERCENT: "format({v} * 100, '.2f') + ' %'",
    Format.SPREAD: "'± ' + format({v} * 100, '.2f') + ' %'",
    Format.POINTS: "format({v} * 100, '+.2f') + ' pts'",
    Format.MILLISECONDS: "format({v}, ',.2f') + ' ms'",
    Format.COUNT: "format({v}, ',.0f')",
}
"""Vega expressions writing a value `{v}` as `thesislab.results.columns.display` does."""


@dataclass(frozen=True)
class Channels:
    """What the layers of one chart share: its axes, colours and filters."""

    layout: Layout
    x: alt.X
    y: alt.Y
    y_scale: alt.Scale
    colour_scale: alt.Scale
    colour: alt.Color
    points: alt.NamedData
    """The `points` dataset, one object for every layer that draws it (Altair then names it
    once, at the top of the spec, where all layers draw it)."""
    selected: tuple[str, ...]
    """Filters keeping the rows at the selectors' values."""
    reference_shown: tuple[str, ...]
    """A filter hiding the reference layer's rows while its toggle is off, if there are any."""


def channels(layout: Layout) -> Channels:
    """The axes, colours and filters of the chart `layout` describes."""
    import altair as alt

    spec = layout.spec
    colour_scale = alt.Scale(
        domain=[value for value, _ in layout.colours], range=[c for _, c in layout.colours]
    )
    # Padding keeps the points at the ends of the data range clear of the axes.
    x_scale = alt.Scale(type="log", nice=False, padding=8)
    y_scale = (
        alt.Scale(type="log", nice=False, padding=8)
        if spec.log_y
        else alt.Scale(zero=False, padding=8)
    )
    return Channels(
        layout=layout,
        x=alt.X(f"{spec.x}:Q", title=spec.x_title, scale=x_scale),
        y=alt.Y(
            f"{spec.y}:Q", title=spec.y_title, scale=y_scale, axis=alt.Axis(format=spec.y_format)
        ),
        y_scale=y_scale,
        colour_scale=colour_scale,
        colour=alt.Color(f"{spec.colour}:N", title=spec.colour_title, scale=colour_scale),
        points=alt.NamedData(name="points"),
        selected=selection_filters(layout),
        reference_shown=reference_filters(layout),
    )


def _layer(
    name: str,
    data: alt.NamedData | alt.InlineData,
    mark: dict[str, Any],
    encoding: dict[str, Any],
    filters: Sequence[str] = (),
    calculate: dict[str, str] | None = None,
    params: list[alt.SelectionParameter] | None = None,
) -> alt.Chart:
    """One layer, built in one go (Altair's chained methods copy the chart at every step), and
    named, so that the spec is the same from one process to the next."""
    import altair as alt

    transform: list[Any] = [alt.FilterTransform(filter=expression) for expression in filters]
    transform += [
        alt.CalculateTransform(calculate=expression, **{"as": name})
        for name, expression in (calculate or {}).items()
    ]
    return alt.Chart(
        name=name,
        data=data,
        mark=alt.MarkDef(clip=True, **mark),
        encoding=alt.FacetedEncoding(**encoding),
        transform=transform or alt.Undefined,
        params=params or alt.Undefined,
    )


def zero_rule() -> alt.Chart:
    """A dashed horizontal rule at y = 0."""
    import altair as alt

    return _layer(
        "zero", alt.InlineData(values=[{}]), {"type": "rule", **_GUIDE}, {"y": alt.YDatum(0)}
    )


def diagonal(shared: Channels) -> alt.Chart:
    """The dashed line y = x, between the ends of the `diagonal` dataset."""
    import altair as alt

    return _layer(
        "diagonal",
        alt.NamedData(name="diagonal"),
        {"type": "line", **_GUIDE},
        {"x": shared.x, "y": shared.y},
    )


def error_bars(shared: Channels) -> alt.Chart:
    """A vertical bar of one standard deviation over seeds either side of each accuracy."""
    import altair as alt

    return _layer(
        "error_bars",
        shared.points,
        {"type": "rule", "strokeWidth": 1},
        {
            "x": shared.x,
            "y": alt.Y("low:Q", title=shared.layout.spec.y_title, scale=shared.y_scale),
            "y2": alt.Y2("high"),
            "color": shared.colour,
        },
        [*shared.selected, "isValid(datum.accuracy_std)", *shared.reference_shown],
        calculate={
            "low": "datum.accuracy - datum.accuracy_std",
            "high": "datum.accuracy + datum.accuracy_std",
        },
    )


def pair_lines(shared: Channels) -> alt.Chart:
    """A line through the points of each pair, in their order."""
    import altair as alt

    return _layer(
        "pairs",
        shared.points,
        {"type": "line", "strokeWidth": 1},
        {
            "x": shared.x,
            "y": shared.y,
            "detail": alt.Detail("pair:N"),
            "order": alt.Order("order:Q"),
            "color": shared.colour,
        },
        [*shared.selected, *shared.reference_shown],
    )


def frontier(shared: Channels) -> alt.Chart:
    """The Pareto frontier as a step line from the `front` dataset: one per colour or one in
    the guides' colour, with or without the reference layer as its toggle says."""
    import altair as alt

    spec = shared.layout.spec
    per_colour = spec.frontier == "per_colour"
    return _layer(
        "front",
        alt.NamedData(name="front"),
        {"type": "line", "interpolate": "step-after", "strokeWidth": 1.5},
        {
            "x": shared.x,
            "y": shared.y,
            "detail": alt.Detail("group:N"),
            "order": alt.Order(f"{spec.x}:Q"),
            "color": shared.colour if per_colour else alt.ColorValue(GUIDE_COLOUR),
        },
        [*shared.selected, *scope_filters(shared.layout)],
    )


def points(shared: Channels, medium: Medium) -> alt.Chart:
    """Every point, in one layer (the legend binds to the highlighting only if no other layer
    sets an opacity): the thesis's results hollow, thesislab's filled. On the screen a point has
    a tooltip, a click opens its model page, a click on a legend entry fades the other colours,
    and the chart zooms and pans."""
    import altair as alt

    spec, layout = shared.layout.spec, shared.layout
    encoding: dict[str, Any] = {
        "x": shared.x,
        "y": shared.y,
        "color": shared.colour,
        "fill": alt.Fill(
            f"{spec.colour}:N",
            scale=shared.colour_scale,
            title=spec.colour_title,
            condition={"test": "datum.reference", "value": "transparent"},
        ),
        "opacity": highlight_opacity(medium),
    }
    if spec.shape:
        encoding["shape"] = alt.Shape(
            f"{spec.shape}:N",
            title=spec.shape_title,
            scale=alt.Scale(domain=list(layout.shapes), range=SHAPES[: len(layout.shapes)]),
        )
    calculate, pointer = _pointer(layout) if medium == "screen" else ({}, {})
    encoding.update(pointer)
    return _layer(
        "points",
        shared.points,
        {"type": "point", "filled": False, **POINT_MARKS[medium]},
        encoding,
        [*shared.selected, *shared.reference_shown],
        calculate=calculate,
        params=interactions(spec.colour, medium),
    )


def _pointer(layout: Layout) -> tuple[dict[str, str], dict[str, Any]]:
    """The points' tooltips and links: the fields to calculate (tooltip texts, with units and
    a dash rather than 'null' where a value is missing, and the model page's path) and the
    channels that show them."""
    import altair as alt

    fields = [BY_NAME[name] for name in layout.tooltip]
    texts = {f"tip_{column.name}": _tooltip_text(column) for column in fields}
    shown = {
        "tooltip": [alt.Tooltip(f"tip_{column.name}:N", title=column.title) for column in fields],
        "href": alt.Href("href:N"),  # a click opens the point's model page
    }
    return {**texts, "href": HREF_EXPRESSION}, shown


def _tooltip_text(column: Column) -> str:
    """A Vega expression giving a column's tooltip text."""
    value = f"datum[{json.dumps(column.name)}]"
    text = _TOOLTIP_TEXT[column.format].format(v=value)
    return f"isValid({value}) ? {text} : {json.dumps(MISSING)}"


def layers(layout: Layout, medium: Medium) -> list[alt.Chart]:
    """The chart's layers, bottom first."""
    spec = layout.spec
    shared = channels(layout)
    stacked = []
    if spec.rule == "zero":
        stacked.append(zero_rule())
    if spec.rule == "diagonal":
        stacked.append(diagonal(shared))
    if spec.error_bars and layout.has_spread:
        stacked.append(error_bars(shared))
    if spec.paired:
        stacked.append(pair_lines(shared))
    if spec.frontier != "none":
        stacked.append(frontier(shared))
    stacked.append(points(shared, medium))
    return stacked
