"""The columns of the results table: one registry for every place that shows them.

`thesislab results table` (and `results.table.table()` behind it), the site's tables, its chart
tooltips and its CSV downloads all read `COLUMNS`: a column has one name everywhere, a title for
readers, a format (how a value is written, with its unit) and the places it appears. Columns come
in the store's order; readers' views (site tables, tooltips) show the `lead` columns first.

Only the standard library is imported here: the command line reads this before pandas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class View(StrEnum):
    """A place where columns of the results table appear."""

    STORE = "store"
    """The table `results.table.table()` returns and `results table --format csv|json` prints."""
    CLI = "cli"
    """The text table of `thesislab results table`."""
    SITE = "site"
    """The site's table of all results."""
    TOOLTIP = "tooltip"
    """A chart point's tooltip."""
    CSV = "csv"
    """A chart's CSV download."""


class Format(StrEnum):
    """How a column's values are written; the site's script and charts implement the same."""

    TEXT = "text"
    FLAG = "flag"
    """True or false, written 'yes' or 'no'."""
    PERCENT = "percent"
    """A fraction, in percent: '92.50 %'."""
    SPREAD = "spread"
    """A standard deviation of fractions, in percent: '± 0.12 %'."""
    POINTS = "points"
    """A difference of fractions, in signed percentage points: '+0.50 pts'."""
    MILLISECONDS = "ms"
    """A duration in milliseconds: '1,234.56 ms'."""
    COUNT = "count"
    """A whole number with thousands separators: '2,000,000'."""
    BYTES = "bytes"
    """A size in bytes, with thousands separators: '1,234,567 B'."""
    SECONDS = "s"
    """A duration in seconds: '1,234.5 s'."""
    LIST = "list"
    """A list of ids, comma-separated."""


NUMERIC = frozenset(
    {
        Format.PERCENT,
        Format.SPREAD,
        Format.POINTS,
        Format.MILLISECONDS,
        Format.COUNT,
        Format.BYTES,
        Format.SECONDS,
    }
)
"""Formats of numbers: right-aligned in tables."""

MISSING = "–"
"""How readers' views write a missing value."""


@dataclass(frozen=True)
class Column:
    """One column of the results table."""

    name: str
    title: str
    format: Format
    views: frozenset[View]
    lead: int | None = None
    """Rank among the columns readers' views show first; None: after them, in registry order."""

    @property
    def numeric(self) -> bool:
        """Whether the values are numbers (right-aligned in tables)."""
        return self.format in NUMERIC


_READERS = frozenset({View.SITE, View.TOOLTIP, View.CSV})
_EVERYWHERE = _READERS | {View.STORE}


def _column(name: str, title: str, fmt: Format, *views: View, lead: int | None = None) -> Column:
    return Column(name, title, fmt, frozenset(views), lead)


COLUMNS: tuple[Column, ...] = (
    _column("name", "Name", Format.TEXT, *_EVERYWHERE, View.CLI, lead=0),
    _column("family", "Family", Format.TEXT, *_EVERYWHERE, View.CLI),
    _column("stage", "Stage", Format.TEXT, *_EVERYWHERE, View.CLI),
    _column("role", "Role", Format.TEXT, View.STORE, View.CLI, View.SITE),
    _column("pruning_method", "Pruning", Format.TEXT, *_EVERYWHERE),
    _column("distilled", "Distilled", Format.FLAG, View.STORE, View.SITE, View.CSV),
    _column("quantization", "Quantization", Format.TEXT, *_EVERYWHERE, View.CLI),
    _column("device", "Device", Format.TEXT, *_EVERYWHERE, View.CLI, lead=6),
    _column("side", "Compared as", Format.TEXT, View.TOOLTIP, View.CSV, lead=1),
    _column("accuracy", "Accuracy", Format.PERCENT, *_EVERYWHERE, View.CLI, lead=2),
    _column("accuracy_std", "± std", Format.SPREAD, *_EVERYWHERE, lead=3),
    _column("error", "Error", Format.PERCENT, View.CSV),
    _column("n_seeds", "Seeds", Format.COUNT, *_EVERYWHERE, View.CLI, lead=4),
    _column("latency_ms", "Latency", Format.MILLISECONDS, *_EVERYWHERE, View.CLI, lead=5),
    _column("predicted_latency_ms", "Predicted latency", Format.MILLISECONDS, *_EVERYWHERE),
    _column("latency_from", "Latency from", Format.TEXT, *_EVERYWHERE),
    _column("accuracy_change", "Change vs uniform", Format.POINTS, View.TOOLTIP, View.CSV),
    _column("params", "Parameters", Format.COUNT, *_EVERYWHERE),
    _column("macs", "MACs", Format.COUNT, *_EVERYWHERE),
    _column("size_bytes", "TFLite size", Format.BYTES, *_EVERYWHERE),
    _column("training_time_s", "Training time", Format.SECONDS, *_EVERYWHERE),
    _column("source", "Source", Format.TEXT, *_EVERYWHERE, View.CLI),
    _column("architecture", "Architecture", Format.TEXT, View.STORE),
    _column("config_id", "Configuration", Format.TEXT, View.STORE, View.CSV),
    _column("model_ids", "Model records", Format.LIST, View.STORE),
    _column("artifact_ids", "Artifact records", Format.LIST, View.STORE),
)
"""Every column, in the store's order. `side` (of a pair's point) and `accuracy_change` (against
uniform pruning) are added by the site's pages, `error` (1 − accuracy) by a figure that plots
it; the others come from the records. `size_bytes` is
the mean size of a row's TFLite files, `training_time_s` the mean training time of its
configuration's seeds. `role` says
what a result is for (`thesislab.results.roles`): 'published', 'sample' or 'calibration'.
`latency_from` says whose latency a row shows: 'measured' (its own artifacts) or 'architecture'
(an untrained network of the same architecture and quantization, measured on that device)."""

_READER_VIEWS = frozenset({View.SITE, View.TOOLTIP})


def columns(view: View) -> tuple[Column, ...]:
    """The columns `view` shows, in its order (readers' views: the `lead` columns first)."""
    chosen = [column for column in COLUMNS if view in column.views]
    if view in _READER_VIEWS:
        chosen.sort(key=lambda column: (column.lead is None, column.lead or 0))
    return tuple(chosen)


def names(view: View) -> tuple[str, ...]:
    """The names of the columns `view` shows, in its order."""
    return tuple(column.name for column in columns(view))


BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def display(value: object, fmt: Format) -> str:
    """`value` written as readers see it, with its unit; a dash when missing."""
    if _missing(value):
        return MISSING
    if fmt is Format.FLAG:
        return "yes" if value else "no"
    if fmt is Format.LIST and isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if fmt not in NUMERIC:
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    if fmt is Format.PERCENT:
        return f"{number * 100:.2f} %"
    if fmt is Format.SPREAD:
        return f"± {number * 100:.2f} %"
    if fmt is Format.POINTS:
        return f"{number * 100:+.2f} pts"
    if fmt is Format.MILLISECONDS:
        return f"{number:,.2f} ms"
    if fmt is Format.BYTES:
        return f"{number:,.0f} B"
    if fmt is Format.SECONDS:
        return f"{number:,.1f} s"
    return f"{number:,.0f}"


FILTER_MISSING = "none"
"""How filters (of a figure spec, of the explore page) name a missing value."""


def value_text(value: object) -> str:
    """A table value as filters name it: `true`/`false` for flags, `none` where missing."""
    if _missing(value):
        return FILTER_MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def value_texts(values: pd.Series) -> pd.Series:
    """A column's values as filters name them (`value_text`), each distinct value worked out
    once (pandas is imported here only when called)."""
    import numpy as np
    import pandas as pd

    codes, distinct = pd.factorize(values.astype(object), use_na_sentinel=False)
    texts = np.array([value_text(value) for value in distinct], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object)
