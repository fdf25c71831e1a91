"""A figure written in each of its formats: PDF, SVG and PNG (300 dpi) drawn by Vega-Lite as the
site prints its charts (`thesislab.site.exports`), PGF/TikZ source (`pgf`), and the CSV of its
rows."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from thesislab.figures.pgf import pgf_source

if TYPE_CHECKING:
    from thesislab.figures.figure import Figure


class FigureFormat(StrEnum):
    """What a figure is written as."""

    pdf = "pdf"
    svg = "svg"
    png = "png"
    pgf = "pgf"
    csv = "csv"


def figure_file(figure: Figure, output_format: FigureFormat) -> bytes:
    """The figure as a file of `output_format`; the CSV holds every row of its chart (all its
    selectors' values), with the columns of the site's CSV downloads and its axes."""
    if output_format is FigureFormat.pgf:
        return pgf_source(figure).encode()
    if output_format is FigureFormat.csv:
        return figure.chart.csv().encode()
    from thesislab.site.exports import chart_file

    return chart_file(
        figure.chart,
        output_format.value,  # type: ignore[arg-type]
        selection=figure.selection,
        width_cm=figure.width_cm,
        font_size_pt=figure.font_size_pt,
    )
