"""The rows of the results table a figure spec selects, and the chart that draws them.

Points are rows of `thesislab.results.table.table()`: published ones unless the spec filters on
`role`, those whose columns hold one of each filter's values and that were measured on one of
its devices (every device where it names none), with both an x and a y (a positive one on a
logarithmic axis). Parameters and MACs that a row's records lack are counted from its
architecture where it is known (`site.frames.with_counts`, as the Devices page counts them).
Where x is not the latency, a configuration measured on several devices would repeat: its
first device's row stands for it, one per (configuration, quantization). The chart is the
site's (`thesislab.site.charts.data.Chart`), so that a figure is drawn as the site's charts
are: its palette, its marks, its Pareto front.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from thesislab.errors import ThesislabError
from thesislab.figures.spec import FigureSpec
from thesislab.results.columns import BY_NAME, value_texts
from thesislab.results.roles import Role
from thesislab.site import frames
from thesislab.site.charts.axes import axis_title, figure_title, x_ticks
from thesislab.site.charts.data import ChartSpec

if TYPE_CHECKING:
    import pandas as pd

    from thesislab.site.charts.data import Chart

LATENCY = "latency_ms"
"""The x whose rows are per device."""

FIGURE_CHART_ID = "figure"

_CLOSE_NAMES = 5
"""How many of the selected names a highlight that is none of them is told about."""


def _kept(frame: pd.DataFrame, spec: FigureSpec) -> tuple[pd.Series, list[str]]:
    """Which rows the role, the filters and the devices keep, and what each step kept, in words,
    up to the first that kept none."""
    steps = [("role", spec.filters.get("role", (str(Role.PUBLISHED),)))]
    steps += [(column, values) for column, values in spec.filters.items() if column != "role"]
    steps += [("device", spec.devices)] if spec.devices else []
    import pandas as pd

    keep = pd.Series(True, index=frame.index)
    told: list[str] = []
    for column, values in steps:
        texts = value_texts(frame[column])
        present = sorted(set(texts))
        unknown = [value for value in values if value not in present]
        if unknown:
            name = "devices" if column == "device" else f"filters.{column}"
            raise ThesislabError(
                f"{name}: expected values among {', '.join(present) or '(none)'}, "
                f"received {unknown[0]!r}"
            )
        keep &= texts.isin(values)
        told.append(f"{column} {', '.join(values)} keeps {int(keep.sum())}")
        if not keep.any():
            break
    return keep, told


def _drawable(values: pd.Series, log: bool) -> pd.Series:
    return values.notna() & (values > 0) if log else values.notna()


def select(frame: pd.DataFrame, spec: FigureSpec) -> pd.DataFrame:
    """The rows of the results table `frame` that `spec` draws (with `error` added where y is
    the error, parameters and MACs counted where their records have none), in the table's
    order; an empty selection is a one-line error saying which step emptied it."""
    keep, told = _kept(frame, spec)
    rows = frames.with_counts(frame[keep])
    if spec.y == "error":
        rows = rows.assign(error=1 - rows["accuracy"])
    if not rows.empty:
        rows = rows[_drawable(rows[spec.x], spec.log_x) & _drawable(rows[spec.y], spec.log_y)]
        positive = " > 0" if spec.log_x or spec.log_y else ""
        told.append(f"with {spec.x} and {spec.y}{positive} keeps {len(rows)}")
    if spec.x != LATENCY:
        rows = rows.drop_duplicates(["config_id", "quantization"])
    if rows.empty:
        raise ThesislabError(
            f"expected results to draw, found none: of {len(frame)} results, {'; '.join(told)}"
        )
    names = set(rows["name"])
    for name in spec.highlight:
        if name not in names:
            close = difflib.get_close_matches(name, sorted(names), n=_CLOSE_NAMES, cutoff=0.4)
            like = f" (the closest: {', '.join(close)})" if close else ""
            raise ThesislabError(
                f"highlight: expected a name of the results drawn{like}, received {name!r}"
            )
    return rows.reset_index(drop=True)


def chart_spec(spec: FigureSpec) -> ChartSpec:
    """The site chart that draws what `spec` describes: its axes, colours and Pareto front,
    no selectors (its rows are the figure's points, whatever their device)."""
    title = spec.title or figure_title(spec.x, spec.y)
    return ChartSpec(
        chart_id=FIGURE_CHART_ID,
        title=title,
        heading=title,
        colour=spec.colour,
        colour_title=BY_NAME[spec.colour].title,
        x=spec.x,
        x_title=axis_title(spec.x, spec.log_x),
        log_x=spec.log_x,
        x_format=x_ticks(spec.x),
        y=spec.y,
        y_title=axis_title(spec.y, spec.log_y),
        log_y=spec.log_y,
        minimise_y=spec.y == "error",
        frontier="all",
        selectors=(),
        error_bars=spec.y == "accuracy",
        highlight=spec.highlight,
    )


def figure_chart(frame: pd.DataFrame, spec: FigureSpec) -> Chart:
    """The chart of the rows of `frame` (the results table) that `spec` selects, coloured by
    the values of its colour column as filters name them (a result without pruning as the
    site's charts name it)."""
    from thesislab.site.charts.data import Chart

    rows = frames.prepare(select(frame, spec))
    rows[spec.colour] = value_texts(rows[spec.colour])
    return Chart(chart_spec(spec), rows)
