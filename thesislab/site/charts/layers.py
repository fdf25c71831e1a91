"""The layers of an accuracy-latency chart, one function each, drawn for a medium.

A chart stacks, from the bottom: invisible points that widen an axis too narrow to tick, a
dashed guide (y = 0 or y = x), error bars, the lines through pairs, the frontier's step line, the
points (thesislab's filled, the thesis's hollow, with a legend saying so), the highlighted points
with their names and, where a selection draws nothing, a line saying so. The layers are the
same on the screen and in print; the points differ: on the screen they have tooltips and links
to their model pages and fade but for a highlighted colour, in print they are smaller and
static, and their legends wrap into as many columns as the figure's width holds. The selectors
and toggle that the layers obey are `controls`'.
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

LOG_TICKS = ".3~r"
"""Tick labels of logarithmic axes: at most three significant digits, no trailing zeros."""
LINEAR_TICKS = ",~r"
"""Tick labels of a linear x axis: thousands separated, no trailing zeros."""

OWN_MARKS = "filled = thesislab"
REFERENCE_MARKS = "hollow = 2019 thesis"
"""The legend entries telling thesislab's results (filled marks) from the thesis's (hollow)."""
_KEY_COLOUR = "#555555"

CHARACTER_WIDTH = 0.6
"""A generous average width of a label's characters, in ems (Liberation Sans's are narrower)."""
_ENTRY_EXTRA = 20
"""A legend entry's width besides its label, in points: symbol, label offset, column padding."""
_Y_AXIS_WIDTH = 60
"""The room the y axis takes at the figure's left, where legends start, in points (at most)."""

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
    Format.BYTES: "format({v}, ',.0f') + ' B'",
    Format.SECONDS: "format({v}, ',.1f') + ' s'",
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
    colour_legend: alt.Legend
    colour: alt.Color
    points: alt.NamedData
    """The `points` dataset, one object for every layer that draws it (Altair then names it
    once, at the top of the spec, where all layers draw it)."""
    selected: tuple[str, ...]
    """Filters keeping the rows at the selectors' values."""
    reference_shown: tuple[str, ...]
    """A filter hiding the reference layer's rows while its toggle is off, if there are any."""
    medium: Medium
    width: float
    """The chart's width in points, axes and legends included."""
    font_size: float
    """The size of its labels in print, in points."""


def channels(layout: Layout, medium: Medium, width: float, font_size: float) -> Channels:
    """The axes, colours and filters of the chart `layout` describes, `width` points wide, its
    labels `font_size` points high in print."""
    import altair as alt

    spec = layout.spec
    colour_scale = alt.Scale(
        domain=[value for value, _ in layout.colours], range=[c for _, c in layout.colours]
    )
    x_scale = axis_scale(spec.log_x)
    x_format = spec.x_format or (LOG_TICKS if spec.log_x else LINEAR_TICKS)
    y_scale = axis_scale(spec.log_y)
    y_format = LOG_TICKS if spec.log_y else spec.y_format
    colours = [value for value, _ in layout.colours]
    colour_legend = legend(spec.colour_title, colours, medium, width, font_size)
    return Channels(
        layout=layout,
        x=alt.X(f"{spec.x}:Q", title=spec.x_title, scale=x_scale, axis=alt.Axis(format=x_format)),
        y=alt.Y(f"{spec.y}:Q", title=spec.y_title, scale=y_scale, axis=alt.Axis(format=y_format)),
        y_scale=y_scale,
        colour_scale=colour_scale,
        colour_legend=colour_legend,
        colour=alt.Color(
            f"{spec.colour}:N", title=spec.colour_title, scale=colour_scale, legend=colour_legend
        ),
        points=alt.NamedData(name="points"),
        selected=selection_filters(layout),
        reference_shown=reference_filters(layout),
        medium=medium,
        width=width,
        font_size=font_size,
    )


def axis_scale(log: bool) -> alt.Scale:
    """An axis's scale: logarithmic, or linear and not held to zero; padded, so that the points
    at the ends of the data range stay clear of the axes."""
    import altair as alt

    if log:
        return alt.Scale(type="log", nice=False, padding=8)
    return alt.Scale(zero=False, padding=8)


def legend_columns(
    labels: Sequence[str],
    room: float,
    font_size: float,
    character_width: float = CHARACTER_WIDTH,
) -> int:
    """How many columns of entries labelled `labels` (`font_size` points high, characters
    `character_width` ems wide on average) a legend `room` points wide holds."""
    longest = max((len(label) for label in labels), default=1)
    entry = longest * character_width * font_size + _ENTRY_EXTRA
    return max(1, int(room // entry))


def legend(
    title: str | None,
    labels: Sequence[str],
    medium: Medium,
    width: float,
    font_size: float,
    **properties: Any,
) -> alt.Legend:
    """A legend; in print, in as many columns of entries (labels `font_size` points high) as a
    figure `width` points wide holds beside the y axis, so that no entry is cut off at its
    edge."""
    import altair as alt

    if medium == "screen":
        return alt.Legend(title=title, **properties)
    return alt.Legend(
        title=title,
        columns=legend_columns(labels, width - _Y_AXIS_WIDTH, font_size),
        labelLimit=0,  # never cut a label short: the columns leave room for the longest
        **properties,
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
        mark=alt.MarkDef(**{"clip": True, **mark}),
        encoding=alt.FacetedEncoding(**encoding),
        transform=transform or alt.Undefined,
        params=params or alt.Undefined,
    )


def padding(shared: Channels) -> alt.Chart:
    """Invisible points at the ends of an axis whose points span too little to be ticked (the
    `padding` dataset): the axis takes their range."""
    import altair as alt

    return _layer(
        "padding",
        alt.NamedData(name="padding"),
        {"type": "point", "opacity": 0},
        {"x": shared.x, "y": shared.y},
        [*shared.selected, *scope_filters(shared.layout)],
    )


def zero_rule() -> alt.Chart:
    """A dashed horizontal rule at y = 0."""
    import altair as alt

    return _layer(
        "zero", alt.InlineData(values=[{}]), {"type": "rule", **_GUIDE}, {"y": alt.YDatum(0)}
    )


def diagonal(shared: Channels) -> alt.Chart:
    """The dashed line y = x, between the ends of the `diagonal` dataset at the selection."""
    import altair as alt

    return _layer(
        "diagonal",
        alt.NamedData(name="diagonal"),
        {"type": "line", **_GUIDE},
        {"x": shared.x, "y": shared.y},
        [*shared.selected, *scope_filters(shared.layout)],
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
        calculate={  # around the y value (whatever the field the chart names it)
            "low": f"datum.{shared.layout.spec.y} - datum.accuracy_std",
            "high": f"datum.{shared.layout.spec.y} + datum.accuracy_std",
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


def marks_key(shared: Channels) -> alt.StrokeDash:
    """The legend telling thesislab's filled marks from the thesis's hollow ones, for a chart
    with the reference layer. Vega-Lite gives no channel that both fills a legend's symbols
    differently and leaves the points' fill to the colour field, so the legend rides on the
    points' stroke dash (solid for both) and fills its own symbols by their labels."""
    import altair as alt

    labels = [*([OWN_MARKS] if shared.layout.has_own else []), REFERENCE_MARKS]
    fill = f"datum.value === {json.dumps(REFERENCE_MARKS)} ? 'transparent' : '{_KEY_COLOUR}'"
    shown = legend(
        None,
        labels,
        shared.medium,
        shared.width,
        shared.font_size,
        symbolFillColor=alt.ExprRef(expr=fill),
        symbolStrokeColor=_KEY_COLOUR,
    )
    return alt.StrokeDash(
        "marks:N", scale=alt.Scale(domain=labels, range=[[1, 0]] * len(labels)), legend=shown
    )


def points(shared: Channels) -> alt.Chart:
    """Every point, in one layer (the legend binds to the highlighting only if no other layer
    sets an opacity): the thesis's results hollow, thesislab's filled. On the screen a point has
    a tooltip, a click opens its model page, a click on a legend entry fades the other colours,
    and the chart zooms and pans."""
    import altair as alt

    spec, layout, medium = shared.layout.spec, shared.layout, shared.medium
    encoding: dict[str, Any] = {
        "x": shared.x,
        "y": shared.y,
        "color": shared.colour,
        "fill": alt.Fill(
            f"{spec.colour}:N",
            scale=shared.colour_scale,
            title=spec.colour_title,
            legend=shared.colour_legend,
        ),
        "fillOpacity": alt.FillOpacityValue(
            value=1, condition={"test": "datum.reference", "value": 0}
        ),
        "opacity": highlight_opacity(medium),
    }
    calculate = {}
    if layout.has_reference:
        encoding["strokeDash"] = marks_key(shared)
        marks = f"datum.reference ? {json.dumps(REFERENCE_MARKS)} : {json.dumps(OWN_MARKS)}"
        calculate["marks"] = marks
    if spec.shape:
        encoding["shape"] = alt.Shape(
            f"{spec.shape}:N",
            title=spec.shape_title,
            scale=alt.Scale(domain=list(layout.shapes), range=SHAPES[: len(layout.shapes)]),
            legend=legend(spec.shape_title, layout.shapes, medium, shared.width, shared.font_size),
        )
    if medium == "screen":
        pointed, pointer = _pointer(layout)
        calculate.update(pointed)
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


_NOTHING_DRAWN: dict[Medium, tuple[str, str]] = {
    "screen": (
        "No result for this selection",
        "Only the 2019 thesis has results here:\ntick the box below the chart to show them",
    ),
    "print": ("No result for this selection", "Only the 2019 thesis has results here"),
}
"""What an empty selection says, in each medium: with nothing at all, with only the thesis's
hidden results."""
_SCREEN_FONT_SIZE = 12
"""The size of a line written on the chart on the screen (in print: the labels')."""


def nothing_drawn(shared: Channels) -> alt.Chart:
    """A line in the middle of the chart where the selection draws no point (the `counts`
    dataset), saying so, and where the thesis's results are hidden there, how to show them."""
    import altair as alt

    nothing, hidden = _NOTHING_DRAWN[shared.medium]
    size = _SCREEN_FONT_SIZE if shared.medium == "screen" else shared.font_size
    return _layer(
        "nothing_drawn",
        alt.NamedData(name="counts"),
        {"type": "text", "fontSize": size, "color": GUIDE_COLOUR, "lineBreak": "\n"},
        {
            "x": {"value": {"expr": "width / 2"}},
            "y": {"value": {"expr": "height / 2"}},
            "text": alt.Text("message:N"),
        },
        [*shared.selected, *scope_filters(shared.layout), "datum.points === 0"],
        calculate={"message": f"datum.hidden > 0 ? {json.dumps(hidden)} : {json.dumps(nothing)}"},
    )


HIGHLIGHT_RING: dict[Medium, dict[str, Any]] = {
    "screen": {"size": 180, "strokeWidth": 1.5, "color": GUIDE_COLOUR},
    "print": {"size": 90, "strokeWidth": 1.0, "color": GUIDE_COLOUR},
}
"""The ring around a highlighted point in each medium."""


def highlights(shared: Channels) -> list[alt.Chart]:
    """The points whose names the chart highlights, each ringed and labelled with its name on
    the side of the plot's middle (`Chart.label_left`): three layers."""
    import altair as alt

    names = json.dumps(list(shared.layout.spec.highlight))
    size = _SCREEN_FONT_SIZE if shared.medium == "screen" else shared.font_size
    filters = [*shared.selected, *shared.reference_shown, f"indexof({names}, datum.name) >= 0"]
    position = {"x": shared.x, "y": shared.y}
    rings = _layer(
        "highlight_rings",
        shared.points,
        {"type": "point", "filled": False, **HIGHLIGHT_RING[shared.medium]},
        position,
        filters,
    )
    labels = [
        _layer(
            f"highlight_labels_{align}",
            shared.points,
            {
                "type": "text",
                "align": align,
                "dx": 6 if align == "left" else -6,
                "fontSize": size,
                "color": GUIDE_COLOUR,
                "clip": False,  # a long name may run past the plot's edge
            },
            {**position, "text": alt.Text("name:N")},
            [*filters, f"{'!' if align == 'left' else ''}datum.label_left"],
        )
        for align in ("left", "right")
    ]
    return [rings, *labels]


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


def layers(layout: Layout, medium: Medium, width: float, font_size: float) -> list[alt.Chart]:
    """The chart's layers, bottom first, for a chart `width` points wide whose printed labels
    are `font_size` points high."""
    spec = layout.spec
    shared = channels(layout, medium, width, font_size)
    stacked = [padding(shared)]
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
    stacked.append(points(shared))
    if spec.highlight:
        stacked.extend(highlights(shared))
    if layout.choices or layout.has_reference:
        stacked.append(nothing_drawn(shared))
    return stacked
