"""What a chart plots: its rows, the Pareto frontier, the sample drawn, the selectors' values.

A `ChartSpec` says what a chart shows (axes, colour field, frontier, pairs, selectors); a `Chart`
holds its rows and derives what is drawn from them: the rows with both coordinates (and why the
others are not drawn), the frontier per selector value (with and without the thesis-2019
reference layer), a sample that keeps the frontier when there are too many points, and the
datasets the Vega-Lite specs name: `points`, `front`, and per selection (`selections`) `counts`,
`padding` and, for a chart with the line y = x, `diagonal`. Its `Layout` is everything else a
spec depends on (`thesislab.site.charts.vega` draws it), so a spec is built once per layout,
whatever the rows.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from thesislab.errors import ThesislabError
from thesislab.results import columns
from thesislab.results.columns import View
from thesislab.site.charts import selections
from thesislab.site.frames import ROW_KEY, identities
from thesislab.site.palette import colour_range
from thesislab.site.pareto import pareto_front

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

LABEL_LEFT_FROM = 0.6
"""The share of the x axis's range past which a highlighted point is named on its left."""

MAX_POINTS = 1200
"""Above this many points a chart shows its frontier points and a random sample of the rest."""

_SHAPE_ORDER = ("fp32", "fp16", "dynamic", "int8")
"""Quantizations get their shapes in this order, from the unquantized circle."""

TOOLTIP_COLUMNS = columns.columns(View.TOOLTIP)
CSV_COLUMNS = columns.names(View.CSV)


@dataclass(frozen=True)
class ChartSpec:
    """What one chart shows. The defaults draw accuracy against latency, coloured by family."""

    chart_id: str
    title: str
    colour: str = "family"
    colour_title: str = "Family"
    x: str = "latency_ms"
    x_title: str = "Latency (ms, log scale)"
    log_x: bool = True
    x_format: str | None = None
    """The x axis's tick labels (d3-format); default: `layers.LOG_TICKS` on a logarithmic axis,
    thousands separated on a linear one."""
    x_lacks: str = "a latency measurement"
    """What a row without an x value lacks, for the note listing the rows not drawn."""
    y: str = "accuracy"
    y_title: str = "Top-1 accuracy"
    y_lacks: str = "an accuracy"
    """What a row without a y value lacks."""
    y_format: str = ".1%"
    """The tick labels' format of a linear y axis (logarithmic axes have their own)."""
    log_y: bool = False
    minimise_y: bool = False
    """Whether a lower y is better (an error): the frontier then runs along the lowest y."""
    frontier: Literal["none", "all", "per_colour"] = "all"
    paired: bool = False
    """Rows come in long form (`pair`, `order`, `side`): draw a line through each pair."""
    shape: str | None = None
    shape_title: str = ""
    rule: Literal["diagonal", "zero"] | None = None
    selectors: tuple[str, ...] = ("device",)
    error_bars: bool = True
    highlight: tuple[str, ...] = ()
    """Names of results drawn emphasised and labelled with their name."""
    heading: str | None = None
    """A title printed above the figure (the site's charts leave theirs to the document's
    caption and print only what their selectors show)."""


@dataclass(frozen=True)
class Layout:
    """What a chart's Vega-Lite spec depends on besides its data: a cache key."""

    spec: ChartSpec
    colours: tuple[tuple[str, str], ...]
    """(value, colour) of the colour field's values."""
    choices: tuple[tuple[str, tuple[str, ...]], ...]
    defaults: tuple[tuple[str, str], ...]
    """The value each selector starts at."""
    fixed: tuple[tuple[str, str], ...]
    """(field, value) of the selector fields with a single value: no choice, but named."""
    has_reference: bool
    has_own: bool
    """Whether some drawn rows are not the reference layer's (thesislab's own, drawn filled)."""
    has_spread: bool
    """Whether some rows have a standard deviation over seeds to draw as error bars."""
    tooltip: tuple[str, ...]
    """The tooltip fields with at least one value, in the order of `TOOLTIP_COLUMNS`."""
    shapes: tuple[str, ...]
    """Values of the shape field, in the order of the shapes (a pair's first point: circle)."""


def _any_value(values: pd.Series) -> bool:
    """Whether any of `values` is not missing (the first usually says so)."""
    return bool(values.iloc[:1].notna().any() or values.notna().any())


def most_common(values: pd.Series) -> str:
    """The most common of `values` (as text), the first by name of those as common."""
    counts = values.astype(str).value_counts()
    return str(sorted(counts.index, key=lambda value: (-counts[value], value))[0])


@dataclass(frozen=True)
class Undrawn:
    """Rows a chart cannot draw, and what they lack."""

    lacks: str
    rows: pd.DataFrame


@dataclass
class _Lines:
    """CSV lines written, by the key of their row (`ROW_KEY`)."""

    lines: dict[int, str] = field(default_factory=dict)
    most: int = 0
    """The most rows of one CSV written with them."""
    texts: dict[bytes, str] = field(default_factory=dict)
    """The last few CSVs written, by a digest of their rows' keys (charts of the same rows)."""


_csv_lines: dict[tuple[str, ...], _Lines] = {}
"""The CSV lines of the rows of the results table written in this process, per header and
column types of a CSV: a rebuild writes only those of rows it did not write before (a chart's
CSV holds every row: tens of thousands at a lab's scale)."""


@dataclass
class Chart:
    """A chart's rows and what it draws of them."""

    spec: ChartSpec
    rows: pd.DataFrame
    """Every row the chart is about; rows without an x or y value are not drawn."""
    max_points: int = MAX_POINTS
    starts: Mapping[str, str] = field(default_factory=dict)
    """Preferred starting values of selector fields (the site's default device): a selector
    starts there where the chart has rows with that value, else at its most common value."""
    keyed: bool = False
    """Whether `rows` are a slice of the results table with the keys of their rows (`ROW_KEY`):
    its digest then reads the keys, not the values."""

    def _drawable(self, column: str) -> pd.Series:
        values = self.rows[column]
        spec = self.spec
        logarithmic = (column == spec.x and spec.log_x) or (column == spec.y and spec.log_y)
        return values.notna() & (values > 0) if logarithmic else values.notna()

    @cached_property
    def drawn(self) -> pd.DataFrame:
        """The rows with both coordinates, positive where the axis is logarithmic."""
        keep = self._drawable(self.spec.x) & self._drawable(self.spec.y)
        return self.rows[keep].reset_index(drop=True)

    @cached_property
    def undrawn(self) -> list[Undrawn]:
        """The rows that are not drawn, grouped by what they lack: an x value, a y value or
        both (a value a logarithmic axis cannot show counts as lacking)."""
        spec = self.spec
        has_x, has_y = self._drawable(spec.x), self._drawable(spec.y)
        groups = [
            (f"{spec.x_lacks} or {spec.y_lacks}", ~has_x & ~has_y),
            (spec.x_lacks, ~has_x & has_y),
            (spec.y_lacks, has_x & ~has_y),
        ]
        return [Undrawn(lacks, self.rows[mask]) for lacks, mask in groups if mask.any()]

    @property
    def empty(self) -> bool:
        """Whether there is nothing to draw."""
        return self.drawn.empty

    @cached_property
    def choices(self) -> dict[str, list[str]]:
        """The selector fields with more than one value, and their values."""
        return {
            column: sorted(self.drawn[column].astype(str).unique())
            for column in self.spec.selectors
            if self.drawn[column].nunique() > 1
        }

    @cached_property
    def defaults(self) -> dict[str, str]:
        """The value each selector starts at: its value in `starts` where it has one, else its
        most common value."""
        return {
            column: (
                self.starts[column]
                if self.starts.get(column) in values
                else most_common(self.drawn[column])
            )
            for column, values in self.choices.items()
        }

    @cached_property
    def fixed(self) -> dict[str, str]:
        """The selector fields with a single value, and that value."""
        return {
            column: str(self.drawn[column].iloc[0])
            for column in self.spec.selectors
            if not self.drawn.empty and self.drawn[column].nunique() == 1
        }

    @cached_property
    def has_reference(self) -> bool:
        """Whether some drawn rows belong to the thesis-2019 reference layer."""
        return bool(self.drawn["reference"].any())

    def _front_of(self, rows: pd.DataFrame) -> list[int]:
        """Positions of the frontier among `rows`, lowest x first: the best y (the highest, or
        the lowest where a lower y is better) reachable at each x."""
        return pareto_front(*self._coordinates(rows))

    def _coordinates(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """The x and y of `rows` as the frontier takes them: y negated where lower is better."""
        x = rows[self.spec.x].to_numpy(dtype=float, na_value=math.nan)
        y = rows[self.spec.y].to_numpy(dtype=float, na_value=math.nan)
        return x, -y if self.spec.minimise_y else y

    def _fronts(self, rows: pd.DataFrame, grouping: list[str]) -> np.ndarray | None:
        """Positions of the frontier of each group of `rows` (by the columns `grouping`), the
        groups in the order of their values, each fastest first; None without any group."""
        import numpy as np
        import pandas as pd

        groups = (
            rows.groupby(grouping, sort=True).ngroup().to_numpy()
            if grouping
            else np.zeros(len(rows), dtype=np.int64)
        )
        x, y = self._coordinates(rows)
        usable = np.flatnonzero((groups >= 0) & ~np.isnan(x) & ~np.isnan(y))
        if grouping and not (groups >= 0).any():
            return None
        # Per group: fastest first; among equal x the best y first; ties keep the rows' order.
        order = usable[np.lexsort((usable, -y[usable], x[usable], groups[usable]))]
        ordered, group = y[order], groups[order]
        best = pd.Series(ordered).groupby(group).cummax().to_numpy()
        before = np.concatenate(([-math.inf], best[:-1]))
        before[np.flatnonzero(np.diff(group, prepend=-1))] = -math.inf  # each group's first
        return order[ordered > before]

    @cached_property
    def front(self) -> pd.DataFrame:
        """Frontier rows, per selector value, scope ('all', or 'own' without the reference
        layer) and group (the colour value, or 'all'), fastest first within each."""
        import pandas as pd

        spec, drawn = self.spec, self.drawn
        if spec.frontier == "none" or drawn.empty:
            empty = [spec.x, spec.y, "scope", "group", "row", *self.choices]
            return pd.DataFrame(columns=list(dict.fromkeys(empty)))
        drawn = drawn[
            list(dict.fromkeys([spec.x, spec.y, *self.choices, spec.colour, "reference"]))
        ]
        scopes = {selections.ALL: drawn}
        if self.has_reference:
            scopes[selections.OWN] = drawn[~drawn["reference"]]
        per_colour = spec.frontier == "per_colour"
        grouping = [*self.choices, *([spec.colour] if per_colour else [])]
        parts = []
        for scope, rows in scopes.items():
            positions = self._fronts(rows, grouping)
            if positions is None:
                continue
            chosen = rows.iloc[positions]
            part = (
                chosen[list(self.choices)]
                .astype(str)
                .assign(
                    **{spec.x: chosen[spec.x].to_numpy(), spec.y: chosen[spec.y].to_numpy()},
                    scope=scope,
                    group=chosen[spec.colour].astype(str).to_numpy() if per_colour else "all",
                    row=chosen.index.to_numpy(),
                )
            )
            if per_colour:  # lines share the points' colour legend
                part[spec.colour] = part["group"]
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def shown(self) -> pd.DataFrame:
        """The drawn rows, downsampled above `max_points`: every frontier point (and its pair)
        is kept, and of the others those whose identity hashes lowest, a sample that depends on
        each row alone: one more record changes it by a point or two, not all over (and the
        chart's PDF usually stays as it was)."""
        import numpy as np
        import pandas as pd

        drawn = self.drawn
        if len(drawn) <= self.max_points:
            return drawn
        units = (
            pd.util.hash_pandas_object(drawn["pair"].astype(object), index=False)
            if self.spec.paired
            else identities(drawn)
        ).to_numpy()
        kept = np.isin(units, units[self.front["row"].unique()] if not self.front.empty else [])
        others = np.sort(units[~kept])  # in hash order
        others = others[np.concatenate(([True], others[1:] != others[:-1]))[: len(others)]]
        budget = max(
            0, self.max_points // (2 if self.spec.paired else 1) - len(np.unique(units[kept]))
        )
        if budget and len(others):  # the lowest hashes: those up to the last kept
            kept |= units <= others[:budget][-1]
        return drawn[kept]

    @cached_property
    def front_rows(self) -> pd.DataFrame:
        """The overall frontier at the selectors' starting values, with all its columns."""
        front = self.front
        if front.empty:
            return self.drawn.iloc[0:0]
        chosen = front[(front["scope"] == selections.ALL) & (front["group"] == "all")]
        if chosen.empty:  # frontiers per colour: take the overall one of the starting selection
            selection = self.drawn
            for column, value in self.defaults.items():
                selection = selection[selection[column].astype(str) == value]
            return selection.iloc[self._front_of(selection)]
        for column, value in self.defaults.items():
            chosen = chosen[chosen[column] == value]
        return self.drawn.loc[chosen["row"]]

    @cached_property
    def digest(self) -> str:
        """A hash of everything the chart shows: its layout, sampling and rows."""
        import numpy as np
        import pandas as pd

        if self.keyed:  # its layout follows from its spec, starts and rows
            made_of = (self.spec, self.max_points, sorted(self.starts.items()), [*self.rows])
            keys = self.rows[ROW_KEY].to_numpy(dtype=np.int64).tobytes()
            return hashlib.sha256(repr(made_of).encode() + keys).hexdigest()
        wanted = dict.fromkeys([*CSV_COLUMNS, *self._point_columns()])
        rows = self.rows[[column for column in wanted if column in self.rows.columns]]
        hashed = pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes()
        identity = repr((self.layout, self.max_points)).encode()
        return hashlib.sha256(identity + hashed).hexdigest()

    def _point_columns(self) -> list[str]:
        spec = self.spec
        wanted = [spec.x, spec.y, spec.colour, "reference", "config_id", *self.choices]
        wanted += ["name"] if spec.highlight else []
        wanted += [column.name for column in TOOLTIP_COLUMNS]
        if spec.shape:
            wanted.append(spec.shape)
        if spec.paired:
            wanted += ["pair", "order", "side"]
        return [column for column in dict.fromkeys(wanted) if column in self.drawn.columns]

    @cached_property
    def by_selection(self) -> list[selections.Selection]:
        """The points drawn at each selection (`selections.selections`)."""
        spec = self.spec
        read = dict.fromkeys([spec.x, spec.y, "reference", *self.choices])  # what they need
        return selections.selections(self.drawn[list(read)], self.choices, self.has_reference)

    def at_start(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The rows of a per-selection dataset at the selectors' starting values, in scope
        'all' (the reference layer is shown at first)."""
        keep = rows["scope"] == selections.ALL
        for column, value in self.defaults.items():
            keep &= rows[column] == value
        return rows[keep]

    @cached_property
    def datasets(self) -> dict[str, pd.DataFrame]:
        """The data the specs refer to by name."""
        spec, chosen = self.spec, self.by_selection
        points = self.shown[self._point_columns()]
        if spec.highlight:
            points = points.assign(label_left=self.label_left(points))
        data = {
            "points": points,
            "front": self.front.drop(columns="row"),
            "counts": selections.counts(chosen),
            "padding": selections.padding(chosen, spec.x, spec.y, spec.log_x, spec.log_y),
        }
        if spec.rule == "diagonal":
            data["diagonal"] = selections.diagonals(chosen, spec.x, spec.y)
        return data

    def label_left(self, rows: pd.DataFrame) -> pd.Series:
        """Whether a highlighted point's name goes to its left: where the point lies in the
        right part of the x axis (past `LABEL_LEFT_FROM` of the drawn rows' range, in log where
        the axis is), so that the name stays inside the figure."""
        import numpy as np
        import pandas as pd

        spec = self.spec
        scale = np.log if spec.log_x else np.asarray
        drawn = scale(self.drawn[spec.x].to_numpy(float))
        values = scale(rows[spec.x].to_numpy(float))
        low, span = drawn.min(), drawn.max() - drawn.min()
        share = (values - low) / span if span > 0 else np.zeros(len(values))
        return pd.Series(share > LABEL_LEFT_FROM, index=rows.index)

    def csv_rows(self) -> pd.DataFrame:
        """Every row of the chart (not only the sample drawn), in the columns of its CSV and
        whatever else its axes and selectors show."""
        spec = self.spec
        wanted = dict.fromkeys([*CSV_COLUMNS, spec.x, spec.y, *spec.selectors])
        return self.rows[[column for column in wanted if column in self.rows.columns]]

    def csv(self) -> str:
        """The chart's CSV file: its `csv_rows`. A keyed chart's lines are those its rows'
        keys were written as before in this process, where they were (`_csv_lines`)."""
        import numpy as np

        rows = self.csv_rows()
        if not self.keyed:
            return str(rows.to_csv(index=False))
        header = str(rows.iloc[:0].to_csv(index=False))
        kind = (header, *map(str, rows.dtypes))
        known = _csv_lines.setdefault(kind, _Lines())
        rows_keys = self.rows[ROW_KEY].to_numpy(dtype=np.int64)
        made_of = hashlib.sha256(rows_keys.tobytes()).digest()
        if made_of in known.texts:
            return known.texts[made_of]
        keys = rows_keys.tolist()
        missing = [at for at, key in enumerate(keys) if key not in known.lines]
        if missing:
            written = str(rows.iloc[missing].to_csv(index=False)).splitlines(keepends=True)[1:]
            if len(written) != len(missing):  # a value with a line break: no line per row
                return str(rows.to_csv(index=False))
            known.lines.update(zip((keys[at] for at in missing), written, strict=True))
        text = header + "".join(map(known.lines.__getitem__, keys))
        known.most = max(known.most, len(keys))
        if len(known.lines) > 4 * known.most:  # lines of rows long gone
            known.lines = {key: known.lines[key] for key in keys}
        known.texts = {**dict(list(known.texts.items())[-3:]), made_of: text}
        return text

    @cached_property
    def layout(self) -> Layout:
        """Everything the chart's spec depends on besides the data rows."""
        drawn = self.drawn
        return Layout(
            spec=self.spec,
            colours=tuple(
                zip(*colour_range(drawn[self.spec.colour].astype(str).unique()), strict=True)
            ),
            choices=tuple((column, tuple(values)) for column, values in self.choices.items()),
            defaults=tuple(self.defaults.items()),
            fixed=tuple(self.fixed.items()),
            has_reference=self.has_reference,
            has_own=bool((~drawn["reference"]).any()),
            has_spread=self.spec.y == "accuracy" and _any_value(drawn["accuracy_std"]),
            tooltip=tuple(
                column.name
                for column in TOOLTIP_COLUMNS
                if column.name in drawn.columns and _any_value(drawn[column.name])
            ),
            shapes=self._shape_values(),
        )

    def _shape_values(self) -> tuple[str, ...]:
        field = self.spec.shape
        if field is None:
            return ()
        values = self.drawn[[field, "order"] if self.spec.paired else [field]].astype({field: str})
        if self.spec.paired:  # the first point of a pair gets the first shape
            ordered = values.groupby(field)["order"].min().sort_values(kind="stable")
            return tuple(str(value) for value in ordered.index)
        known = {value: rank for rank, value in enumerate(_SHAPE_ORDER)}
        return tuple(sorted(values[field].unique(), key=lambda v: (known.get(v, len(known)), v)))

    def layout_at(self, selection: Mapping[str, str] | None = None) -> Layout:
        """The layout with the selectors starting at `selection` (field: value) rather than at
        their most common values."""
        chosen = selection or {}
        for column, value in chosen.items():
            values = (
                sorted(self.drawn[column].astype(str).unique())
                if column in self.spec.selectors
                else []
            )
            if value not in values:
                raise ThesislabError(
                    f"expected {column} to be one of {', '.join(values) or '(none here)'} "
                    f"on chart {self.spec.chart_id}, got {value!r}"
                )
        starts = {column: value for column, value in chosen.items() if column in self.choices}
        if not starts:
            return self.layout
        return replace(self.layout, defaults=tuple({**self.defaults, **starts}.items()))
