"""The explore page: a chart of the results whose axes, scales, colour and filters a reader
chooses, with the Pareto front of what is selected, shareable by its address.

What is drawn is what a figure spec with the same choices draws (`thesislab figure`, whose spec
the page downloads; `figures.selection` says it in Python): the rows of the results table
(parameters and MACs counted from the spec where the records lack them: `frames.with_counts`)
kept by role (published ones unless the role is filtered), by the values of the filtered
columns (as text: `results.columns.value_text`) and by device; with both coordinates (positive
on a logarithmic axis); where x is not the latency, one point per configuration and
quantization (its first row kept). Axes are titled and ticked as a figure's
(`charts.axes`), its colours are the palette's, its picked configurations are highlighted.

The page's script (`explore.js`) draws it. The rows come as data files (`data_files.chunked`, of
`CHUNK_ROWS` at most): columns, each text column as a dictionary of its values and their codes. The
chart's Vega-Lite specs (screen and print) are templates drawn by the site's chart layers on the
fields `x`, `y` and `colour`, whose titles, scales, colours and highlighted names the script
sets as the reader chooses, from the choices described here (`options`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from thesislab.results.columns import (
    BY_NAME,
    Format,
    View,
    columns,
    names,
    value_text,
    value_texts,
)
from thesislab.site.charts.axes import axis_title, x_ticks
from thesislab.site.charts.data import LABEL_LEFT_FROM, ChartSpec, Layout
from thesislab.site.charts.layers import LINEAR_TICKS, LOG_TICKS, axis_scale, legend
from thesislab.site.charts.selections import LINEAR_MIN_SPAN, LOG_MIN_RATIO
from thesislab.site.charts.vega import COLUMN_WIDTH_CM, FONT_SIZE_PT, print_size, spec_json
from thesislab.site.data_files import DataFile, chunked
from thesislab.site.frames import REFERENCE_SOURCE, ROW_KEY, with_counts
from thesislab.site.links import model_page
from thesislab.site.page import Page
from thesislab.site.palette import NO_METHOD, colour_of
from thesislab.site.render import relative_url

if TYPE_CHECKING:
    import pandas as pd

EXPLORE = "explore.md"
CHUNK_ROWS = 5_000
"""The most rows of a data file: the page draws the first as soon as it has it (150 kB at most:
the page stays within 1.5 MB at start), then all of them."""
MOST_POINTS = 5_000
"""Above this many points the chart draws every point of the front and a sample of the others
(as the site's charts do, `charts.data.MAX_POINTS`): its redraws stay quick."""

X_FIELDS = ("latency_ms", "params", "macs", "size_bytes", "training_time_s")
Y_FIELDS = ("accuracy", "error")
COLOURS = ("family", "pruning_method", "quantization", "distilled", "source", "role")
"""A figure spec's choices of x, y and colour (`figures.spec`); the colours are its filters too,
besides the device."""
LATENCY = X_FIELDS[0]
"""The x on which points are per device."""
DEVICE = "device"

TEMPLATE = ChartSpec(
    "explore",
    "Explore",
    heading="Explore",
    colour="colour",
    colour_title="",
    x="x",
    x_title="",
    y="y",
    y_title="",
    selectors=(),
    highlight=("(the picked configurations)",),
)
"""The chart the specs are drawn from: the site's accuracy-latency chart on the fields `x`, `y`
and `colour`, with error bars, the frontier and highlighted names, whose titles (the printed
heading too), scales, colours and names the script sets."""


@dataclass(frozen=True)
class Axis:
    """One choice of an axis: its name in a figure spec and how the chart shows it."""

    name: str
    column: str
    """The table column it reads (the error: the accuracy)."""
    title: str
    """Its column's title, as a figure's title names it."""
    titles: dict[str, str]
    """The axis's title on a `linear` and on a `log` scale."""
    ticks: dict[str, str]
    """The d3 format of its tick labels on each scale."""
    format: Format
    """How tables write its values."""


def _axis(name: str, column: str, linear_ticks: str, log_ticks: str) -> Axis:
    return Axis(
        name,
        column,
        BY_NAME[name].title,
        {"linear": axis_title(name, False), "log": axis_title(name, True)},
        {"linear": linear_ticks, "log": log_ticks},
        BY_NAME[name].format,
    )


X_AXES = tuple(
    _axis(name, name, x_ticks(name) or LINEAR_TICKS, x_ticks(name) or LOG_TICKS)
    for name in X_FIELDS
)
Y_AXES = (
    _axis("accuracy", "accuracy", TEMPLATE.y_format, LOG_TICKS),
    _axis("error", "accuracy", TEMPLATE.y_format, LOG_TICKS),
)

TEXT_COLUMNS = ("config_id", "name", "stage", DEVICE, *COLOURS)
NUMBER_COLUMNS = tuple(
    dict.fromkeys(
        [*(axis.column for axis in (*X_AXES, *Y_AXES)), "accuracy_std", "n_seeds", "latency_ms"]
    )
)
TOOLTIP = tuple(
    column
    for column in columns(View.TOOLTIP)
    if column.name in TEXT_COLUMNS or column.name in NUMBER_COLUMNS
)
"""The tooltip's fields, in the site's order."""
CSV = (
    *(name for name in names(View.CSV) if name in TEXT_COLUMNS or name in NUMBER_COLUMNS),
    "role",
)
"""The columns of the view's CSV download, in the site's order (and the role)."""

START: dict[str, Any] = {"x": LATENCY, "y": "accuracy", "colour": "family", "log_x": True}
"""The view before a reader changes it (besides the device): as the site's other charts."""
STARTING_ROLE = "published"
"""The role kept while the role is not filtered."""


def _number(value: float) -> float | int | None:
    """A value to 7 significant digits (plenty for a chart, a third of the text), whole
    numbers without a fraction; None where missing."""
    if math.isnan(value):
        return None
    rounded = float(f"{value:.7g}")
    return int(rounded) if rounded.is_integer() else rounded


def chunk_json(rows: pd.DataFrame) -> str:
    """Rows of the results table as a data file holds them: `rows` (their count) and `columns`,
    each text column as its `values` and each row's `codes` into them, each number column as
    its values (null where missing)."""
    import pandas as pd

    table: dict[str, Any] = {}
    for name in TEXT_COLUMNS:
        codes, values = pd.factorize(value_texts(rows[name]))
        table[name] = {"values": list(values), "codes": codes.tolist()}
    for name in NUMBER_COLUMNS:
        table[name] = [_number(value) for value in rows[name].astype(float)]
    return json.dumps({"rows": len(rows), "columns": table}, separators=(",", ":"))


def data_files(frame: pd.DataFrame, chunk_rows: int = CHUNK_ROWS) -> list[DataFile]:
    """The data files of the results table `frame`, in its order, cut between configurations,
    `chunk_rows` rows at most each."""
    shown = frame[list(dict.fromkeys([*TEXT_COLUMNS, *NUMBER_COLUMNS]))]
    keys = frame.get(ROW_KEY)  # a row's counts are worked out from the row alone
    return chunked("explore", shown, shown["config_id"], chunk_json, chunk_rows, keys)


def _label(column: str, value: str) -> str:
    """What the legend calls a value of a colour column: its text, but for a result without
    pruning, named as the site's charts name it (and coloured so)."""
    return NO_METHOD if column == "pruning_method" and value == value_text(None) else value


def _choices(frame: pd.DataFrame, column: str) -> list[str]:
    return sorted(set(value_texts(frame[column].drop_duplicates())))


def _template() -> Layout:
    """The layout of `TEMPLATE`."""
    return Layout(
        spec=TEMPLATE,
        colours=(),
        choices=(),
        defaults=(),
        fixed=(),
        has_reference=False,
        has_own=True,
        has_spread=True,
        tooltip=(),
        shapes=(),
    )


def _screen_spec() -> str:
    """The screen template, whose points show their row as their tooltip: the page's script
    writes it when a point is hovered (`TOOLTIP`), rather than every point's text at every
    redraw."""
    spec = json.loads(spec_json(_template(), "screen"))
    for layer in spec["layer"]:
        if layer["name"] == "points":
            del layer["encoding"]["tooltip"]
            layer["mark"]["tooltip"] = {"expr": "datum"}
    return json.dumps(spec, separators=(",", ":"))


@lru_cache(maxsize=64)
def _legends(title: str, labels: tuple[str, ...]) -> dict[str, Any]:
    """The legend of a colour field, on the screen and in print (as Vega-Lite): the same for
    the same labels (one dict each, only read)."""
    width = print_size(COLUMN_WIDTH_CM)[0]
    return {
        medium: legend(title, labels, medium, width, FONT_SIZE_PT).to_dict()
        for medium in ("screen", "print")
    }


def options(
    frame: pd.DataFrame, device: str | None, most_points: int = MOST_POINTS
) -> dict[str, Any]:
    """What the page's script needs besides the rows: the axes, the colour fields with their
    values, colours and legends (on the screen and in print), the filters' values, the scales,
    where the view starts and the least span of an axis."""
    colour_fields = {}
    for column in COLOURS:
        values = _choices(frame, column)
        labels = [_label(column, value) for value in values]
        title = BY_NAME[column].title
        colour_fields[column] = {
            "title": title,
            "values": values,
            "labels": labels,
            "colours": [colour_of(label) for label in labels],
            "legend": _legends(title, tuple(labels)),
        }
    devices = [name for name in _choices(frame, DEVICE) if name != value_text(None)]
    return {
        "x": [asdict(axis) for axis in X_AXES],
        "y": [asdict(axis) for axis in Y_AXES],
        "colours": colour_fields,
        "devices": devices,
        "latency": LATENCY,
        "scales": {"log": axis_scale(True).to_dict(), "linear": axis_scale(False).to_dict()},
        "start": {**START, "devices": [device] if device in devices else []},
        "startingRole": STARTING_ROLE,
        "reference": REFERENCE_SOURCE,
        "highlighted": json.dumps(list(TEMPLATE.highlight)),
        "labelLeftFrom": LABEL_LEFT_FROM,
        "logMinRatio": LOG_MIN_RATIO,
        "linearMinSpan": LINEAR_MIN_SPAN,
        "tooltip": [
            {"name": column.name, "title": column.title, "format": column.format}
            for column in TOOLTIP
        ],
        "csv": CSV,
        "modelPage": model_page("{id}"),
        "mostPoints": most_points,
        "widthCm": COLUMN_WIDTH_CM,
        "fontSizePt": FONT_SIZE_PT,
    }


def explore_page(
    frame: pd.DataFrame,
    device: str | None,
    chunk_rows: int = CHUNK_ROWS,
    most_points: int = MOST_POINTS,
) -> Page:
    """The explore page of the results table `frame` (as `table()` makes it, parameters and
    MACs counted where the records lack them: `frames.with_counts`), starting on `device` (the
    site's charts' device), its rows in data files of `chunk_rows`, drawing `most_points` at
    most."""
    counted = with_counts(frame)
    files = data_files(counted, chunk_rows)
    described = options(counted, device, most_points)
    chunks = [{"key": file.key, "src": relative_url(EXPLORE, file.path)} for file in files]
    return Page(
        EXPLORE,
        "Explore",
        "explore.j2",
        context={
            "options": described,
            "options_json": json.dumps(described, separators=(",", ":")),
            "chunks": json.dumps(chunks, separators=(",", ":")),
            "spec": _screen_spec(),
            "print_spec": spec_json(_template(), "print"),
            "rows": len(frame),
        },
        assets={file.path: file.content for file in files},
    )
