"""A figure: a chart, where its selectors stand, its width and its font size. Every renderer
takes one, made from a figure spec or from one of the site's charts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from thesislab.site.charts.selections import ALL
from thesislab.site.charts.vega import COLUMN_WIDTH_CM, FONT_SIZE_PT

if TYPE_CHECKING:
    import pandas as pd

    from thesislab.figures.spec import FigureSpec
    from thesislab.site.charts.data import Chart, Layout


@dataclass(frozen=True)
class Figure:
    """A chart drawn for a document, `width_cm` wide, its labels `font_size_pt` points high,
    with its selectors (the device, say) at `selection` where given, else where the site starts
    them."""

    chart: Chart
    selection: Mapping[str, str] = field(default_factory=dict)
    width_cm: float = COLUMN_WIDTH_CM
    font_size_pt: float = FONT_SIZE_PT

    @property
    def layout(self) -> Layout:
        """The chart's layout with its selectors where the figure has them."""
        return self.chart.layout_at(self.selection)

    def at_selection(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The rows of a chart's table (its rows, or a dataset per selection) at the figure's
        selection."""
        import numpy as np

        keep = np.ones(len(rows), dtype=bool)
        for column, value in self.layout.defaults:
            keep &= (rows[column].astype(str) == value).to_numpy()
        return rows[keep]

    def points(self) -> pd.DataFrame:
        """The points drawn at the figure's selection (the thesis's results shown), in the
        order of the chart's rows."""
        return self.at_selection(self.chart.shown)

    def front(self) -> pd.DataFrame:
        """The Pareto frontier's points at the figure's selection (the thesis's results
        included), per group (the colour's value, or 'all'), lowest x first."""
        front = self.chart.front
        return self.at_selection(front[front["scope"] == ALL])


def of_spec(frame: pd.DataFrame, spec: FigureSpec) -> Figure:
    """The figure `spec` describes, of the results table `frame`."""
    from thesislab.figures.selection import figure_chart

    return Figure(figure_chart(frame, spec), {}, spec.width_cm, spec.font_size_pt)
