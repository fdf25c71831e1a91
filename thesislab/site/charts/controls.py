"""What a reader controls in a chart, per medium, and the filters through which layers obey.

On the screen a chart has a selector per field with several values (the layers show the rows at
its value), a toggle for the thesis-2019 reference layer, highlighting of a colour by a click on
its legend entry, and zoom and pan. In print the selectors and the toggle keep their starting
values, unbound, and the rest is left out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from thesislab.site.charts.selections import ALL, OWN

if TYPE_CHECKING:
    import altair as alt

    from thesislab.site.charts.data import Layout

Medium = Literal["screen", "print"]
"""Where a chart is shown: on the site's pages, or in a figure for a document."""

_SELECT_PREFIX = "select_"
REFERENCE_TOGGLE = "Show the 2019 thesis results (hollow marks)"
"""The label of the reference layer's checkbox."""
_REFERENCE_PARAM = "show_reference"
_HIGHLIGHT_PARAM = "highlight"
_OPACITY = 0.85
_FADED = 0.08


def selector_title(column: str) -> str:
    """How a selector field is named to readers: its drop-down list, a figure's title."""
    return column.replace("_", " ").capitalize()


def selector(
    column: str, values: Sequence[str], start: str, medium: Medium
) -> alt.VariableParameter:
    """The value of `column` the layers show, chosen from a drop-down list on the screen."""
    import altair as alt

    return alt.VariableParameter(
        name=f"{_SELECT_PREFIX}{column}",
        value=start,
        bind=(
            alt.BindRadioSelect(
                input="select", options=list(values), name=f"{selector_title(column)} "
            )
            if medium == "screen"
            else alt.Undefined
        ),
    )


def reference_toggle(medium: Medium) -> alt.VariableParameter:
    """Whether the thesis-2019 reference layer is shown, a checkbox on the screen."""
    import altair as alt

    return alt.VariableParameter(
        name=_REFERENCE_PARAM,
        value=True,
        bind=(
            alt.BindCheckbox(input="checkbox", name=f"{REFERENCE_TOGGLE} ")
            if medium == "screen"
            else alt.Undefined
        ),
    )


def parameters(layout: Layout, medium: Medium) -> list[alt.VariableParameter]:
    """The chart's selectors, at their starting values, and the reference layer's toggle where
    it has one."""
    starts = dict(layout.defaults)
    chosen = [selector(column, values, starts[column], medium) for column, values in layout.choices]
    return [*chosen, *([reference_toggle(medium)] if layout.has_reference else [])]


def interactions(colour: str, medium: Medium) -> list[alt.SelectionParameter]:
    """On the screen: highlighting a `colour` value by a click on its legend entry, zooming and
    panning. None in print."""
    import altair as alt

    if medium == "print":
        return []
    return [
        alt.SelectionParameter(
            name=_HIGHLIGHT_PARAM,
            select=alt.PointSelectionConfig(type="point", fields=[colour]),
            bind="legend",
        ),
        alt.SelectionParameter(
            name="zoom", select=alt.IntervalSelectionConfig(type="interval"), bind="scales"
        ),
    ]


def highlight_opacity(medium: Medium) -> alt.OpacityValue:
    """The points' opacity: on the screen, faded but for the highlighted colour."""
    import altair as alt

    if medium == "print":
        return alt.OpacityValue(value=_OPACITY)
    return alt.OpacityValue(value=_FADED, condition={"param": _HIGHLIGHT_PARAM, "value": _OPACITY})


def selection_filters(layout: Layout) -> tuple[str, ...]:
    """Vega expressions keeping the rows at the selectors' values."""
    return tuple(
        f"datum[{json.dumps(column)}] === {_SELECT_PREFIX}{column}" for column, _ in layout.choices
    )


def selection_text(layout: Layout) -> str | None:
    """A Vega expression naming what the chart shows of each selector field (its selected
    value, or its only value), e.g. 'Device: local · Stage: retrained'; None without any."""
    fixed = dict(layout.fixed)
    parts = []
    for column in layout.spec.selectors:
        label = json.dumps(f"{selector_title(column)}: ")
        if column in dict(layout.choices):
            parts.append(f"{label} + {_SELECT_PREFIX}{column}")
        elif column in fixed:
            parts.append(json.dumps(f"{selector_title(column)}: {fixed[column]}"))
    return " + ' · ' + ".join(parts) or None


def reference_filters(layout: Layout) -> tuple[str, ...]:
    """A Vega expression hiding the reference layer's rows while its toggle is off, if the chart
    has any."""
    return (f"({_REFERENCE_PARAM} || !datum.reference)",) if layout.has_reference else ()


def scope_filters(layout: Layout) -> tuple[str, ...]:
    """A Vega expression keeping the frontier with the reference layer (scope 'all') while its
    toggle is on, and the one without it ('own') while off, if the chart has a reference layer."""
    expression = f"datum.scope === ({_REFERENCE_PARAM} ? {ALL!r} : {OWN!r})"
    return (expression,) if layout.has_reference else ()
