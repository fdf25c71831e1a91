"""How a chart names and ticks an axis showing a column of the results table, and how it is
titled: for the figures of figure specs (`thesislab figure`) and the explore page alike."""

from __future__ import annotations

from thesislab.results.columns import BY_NAME, Format

_UNITS: dict[Format, str] = {Format.MILLISECONDS: "ms", Format.BYTES: "bytes", Format.SECONDS: "s"}
"""The unit an axis names after its column's title, by the column's format."""

_TICKS: dict[Format, str] = {Format.COUNT: "~s", Format.BYTES: "~s"}
"""Tick labels of an x axis, by its column's format (d3-format, SI prefixes: 20M); others: the
chart's default."""


def axis_title(column: str, log: bool) -> str:
    """An axis's title: its column's title, with the unit and whether the scale is logarithmic,
    e.g. 'Latency (ms, log scale)'."""
    column_of = BY_NAME[column]
    notes = [note for note in (_UNITS.get(column_of.format), "log scale" if log else "") if note]
    return f"{column_of.title} ({', '.join(notes)})" if notes else column_of.title


def x_ticks(column: str) -> str | None:
    """The tick labels (d3-format) of an x axis showing `column`; None: the chart's default."""
    return _TICKS.get(BY_NAME[column].format)


def figure_title(x: str, y: str) -> str:
    """A figure's title by default: '<y title> against <x title>', as the column registry titles
    them."""
    return f"{BY_NAME[y].title} against {BY_NAME[x].title}"
