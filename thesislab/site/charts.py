"""Accuracy-latency charts with Altair: one builder, parameterised per page.

A `ChartSpec` says what a chart shows (axes, colour field, frontier, pairs, selectors); a `Chart`
holds its rows and turns them into Vega-Lite, for the screen (tooltips, a click on a point opens
its model page, legend highlighting, zoom and pan, a selector per field with several values, a
toggle for the thesis-2019 reference layer) or for print (8.5 cm wide, 9-10 pt fonts, static).
Data stays out of the specs: they name the datasets `points`, `front` and `diagonal`, which
`Chart.datasets` provides, so a page carries each chart's data once for both variants, and a
spec depends only on the chart's `Layout`, so building it with Altair (the slow part) happens
once per layout and process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Literal

from thesislab.errors import ThesislabError
from thesislab.results import columns
from thesislab.results.columns import MISSING, Column, Format, View
from thesislab.site.frames import identities
from thesislab.site.links import HREF_EXPRESSION
from thesislab.site.palette import colour_range
from thesislab.site.pareto import pareto_front

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

Medium = Literal["screen", "print"]

MAX_POINTS = 1200
"""Above this many points a chart shows its frontier points and a random sample of the rest."""

REFERENCE_PARAM = "show_reference"
HIGHLIGHT_PARAM = "highlight"
SELECT_PREFIX = "select_"
OPACITY = 0.85
GUIDE_COLOUR = "#333333"

SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down"]
"""Point shapes, in the order they are given out."""
_SHAPE_ORDER = ("fp32", "fp16", "dynamic", "int8")
"""Quantizations get their shapes in this order, from the unquantized circle."""

SCREEN_SIZE = (520, 340)
PRINT_SIZE = (241, 227)
"""8.5 cm by 8 cm in points (vl-convert draws one pixel per point), axes and legend included."""

_PRINT_CONFIG: dict[str, Any] = {
    "font": "Liberation Sans, Arial, Helvetica, sans-serif",
    "axis": {
        "labelFontSize": 9,
        "titleFontSize": 10,
        "titleFontWeight": "normal",
        "labelOverlap": "greedy",
        "labelSeparation": 4,
    },
    "legend": {
        "labelFontSize": 9,
        "titleFontSize": 10,
        "titleFontWeight": "normal",
        "orient": "bottom",
        "direction": "horizontal",
        "columns": 2,
        "symbolSize": 30,
        "labelLimit": 100,
    },
    "view": {"stroke": "#888888"},
}

TOOLTIP_COLUMNS = columns.columns(View.TOOLTIP)
CSV_COLUMNS = columns.names(View.CSV)

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
class ChartSpec:
    """What one chart shows. The defaults draw accuracy against latency, coloured by family."""

    chart_id: str
    title: str
    colour: str = "family"
    colour_title: str = "Family"
    x: str = "latency_ms"
    x_title: str = "Latency (ms, log scale)"
    y: str = "accuracy"
    y_title: str = "Top-1 accuracy"
    y_format: str = ".1%"
    log_y: bool = False
    frontier: Literal["none", "all", "per_colour"] = "all"
    paired: bool = False
    """Rows come in long form (`pair`, `order`, `role`): draw a line through each pair."""
    shape: str | None = None
    shape_title: str = ""
    rule: Literal["diagonal", "zero"] | None = None
    selectors: tuple[str, ...] = ("device",)
    error_bars: bool = True
    undrawn: str = "without a latency measurement"
    """What the rows that cannot be drawn lack, for the note under the chart."""


def _all(conditions: list[str]) -> str:
    return " && ".join(conditions) if conditions else "true"


def _most_common(values: pd.Series) -> str:
    counts = values.astype(str).value_counts()
    return str(sorted(counts.index, key=lambda value: (-counts[value], value))[0])


@dataclass
class Chart:
    """A chart's rows and their Vega-Lite specs."""

    spec: ChartSpec
    rows: pd.DataFrame
    """Every row the chart is about; rows without an x or y value are not drawn."""
    max_points: int = MAX_POINTS

    @cached_property
    def drawn(self) -> pd.DataFrame:
        """The rows with both coordinates, positive where the axis is logarithmic."""
        spec, rows = self.spec, self.rows
        keep = rows[spec.x].notna() & rows[spec.y].notna() & (rows[spec.x] > 0)
        if spec.log_y:
            keep &= rows[spec.y] > 0
        return rows[keep].reset_index(drop=True)

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
        """The value each selector starts at: its most common value."""
        return {column: _most_common(self.drawn[column]) for column in self.choices}

    @cached_property
    def has_reference(self) -> bool:
        """Whether some drawn rows belong to the thesis-2019 reference layer."""
        return bool(self.drawn["reference"].any())

    @cached_property
    def front(self) -> pd.DataFrame:
        """Frontier rows, per selector value, scope ('all', or 'own' without the reference
        layer) and group (the colour value, or 'all'), fastest first within each."""
        import pandas as pd

        spec, drawn = self.spec, self.drawn
        if spec.frontier == "none" or drawn.empty:
            empty = [spec.x, spec.y, "scope", "group", "row", *self.choices]
            return pd.DataFrame(columns=list(dict.fromkeys(empty)))
        scopes = {"all": drawn}
        if self.has_reference:
            scopes["own"] = drawn[~drawn["reference"]]
        parts = []
        for scope, rows in scopes.items():
            grouping = [*self.choices, *([spec.colour] if spec.frontier == "per_colour" else [])]
            groups = rows.groupby(grouping, sort=True) if grouping else [((), rows)]
            for _, group in groups:
                indices = pareto_front(list(group[spec.x]), list(group[spec.y]))
                chosen = group.iloc[indices]
                part = (
                    chosen[list(self.choices)]
                    .astype(str)
                    .assign(
                        **{spec.x: chosen[spec.x].to_numpy(), spec.y: chosen[spec.y].to_numpy()},
                        scope=scope,
                        group=(
                            chosen[spec.colour].astype(str).to_numpy()
                            if spec.frontier == "per_colour"
                            else "all"
                        ),
                        row=chosen.index.to_numpy(),
                    )
                )
                if spec.frontier == "per_colour":  # lines share the points' colour legend
                    part[spec.colour] = part["group"]
                parts.append(part)
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def shown(self) -> pd.DataFrame:
        """The drawn rows, downsampled above `max_points`: every frontier point (and its pair)
        is kept, and of the others those whose identity hashes lowest, a sample that depends on
        each row alone: one more record changes it by a point or two, not all over (and the
        chart's PDF usually stays as it was)."""
        import pandas as pd

        drawn = self.drawn
        if len(drawn) <= self.max_points:
            return drawn
        units = (
            pd.util.hash_pandas_object(drawn["pair"].astype(object), index=False)
            if self.spec.paired
            else identities(drawn)
        )
        kept = set(units.iloc[self.front["row"].unique()]) if not self.front.empty else set()
        others = units[~units.isin(kept)].drop_duplicates().sort_values(kind="stable")
        budget = max(0, self.max_points // (2 if self.spec.paired else 1) - len(kept))
        kept |= set(others.iloc[:budget])
        return drawn[units.isin(kept)]

    @cached_property
    def front_rows(self) -> pd.DataFrame:
        """The overall frontier at the selectors' starting values, with all its columns."""
        front = self.front
        if front.empty:
            return self.drawn.iloc[0:0]
        chosen = front[(front["scope"] == "all") & (front["group"] == "all")]
        if chosen.empty:  # frontiers per colour: take the overall one of the starting selection
            selection = self.drawn
            for column, value in self.defaults.items():
                selection = selection[selection[column].astype(str) == value]
            indices = pareto_front(list(selection[self.spec.x]), list(selection[self.spec.y]))
            return selection.iloc[indices]
        for column, value in self.defaults.items():
            chosen = chosen[chosen[column] == value]
        return self.drawn.loc[chosen["row"]]

    @cached_property
    def digest(self) -> str:
        """A hash of everything the chart shows: its layout, sampling and rows."""
        import pandas as pd

        wanted = dict.fromkeys([*CSV_COLUMNS, *self._point_columns()])
        rows = self.rows[[column for column in wanted if column in self.rows.columns]]
        hashed = pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes()
        identity = repr((self.layout, self.max_points)).encode()
        return hashlib.sha256(identity + hashed).hexdigest()

    def _point_columns(self) -> list[str]:
        spec = self.spec
        wanted = [spec.x, spec.y, spec.colour, "reference", "config_id", *self.choices]
        wanted += [column.name for column in TOOLTIP_COLUMNS]
        if spec.shape:
            wanted.append(spec.shape)
        if spec.paired:
            wanted += ["pair", "order", "role"]
        return [column for column in dict.fromkeys(wanted) if column in self.drawn.columns]

    @cached_property
    def datasets(self) -> dict[str, pd.DataFrame]:
        """The data the specs refer to by name."""
        import pandas as pd

        data = {
            "points": self.shown[self._point_columns()],
            "front": self.front.drop(columns="row"),
        }
        if self.spec.rule == "diagonal":
            # y = x where the axes' ranges overlap: it leaves each axis the range of its points
            x, y = self.drawn[self.spec.x], self.drawn[self.spec.y]
            low, high = max(float(x.min()), float(y.min())), min(float(x.max()), float(y.max()))
            ends = [low, high] if low < high else []
            data["diagonal"] = pd.DataFrame({self.spec.x: ends, self.spec.y: ends})
        return data

    def csv_rows(self) -> pd.DataFrame:
        """Every row of the chart (not only the sample drawn), in the columns of its CSV and
        whatever else its axes and selectors show."""
        spec = self.spec
        wanted = dict.fromkeys([*CSV_COLUMNS, spec.x, spec.y, *spec.selectors])
        return self.rows[[column for column in wanted if column in self.rows.columns]]

    @cached_property
    def layout(self) -> Layout:
        """Everything the chart's spec depends on besides the data rows."""
        drawn = self.drawn
        return Layout(
            spec=self.spec,
            colours=tuple(zip(*colour_range(drawn[self.spec.colour].astype(str)), strict=True)),
            choices=tuple((column, tuple(values)) for column, values in self.choices.items()),
            defaults=tuple(self.defaults.items()),
            has_reference=self.has_reference,
            has_spread=bool(self.spec.y == "accuracy" and drawn["accuracy_std"].notna().any()),
            tooltip=tuple(
                column.name
                for column in TOOLTIP_COLUMNS
                if column.name in drawn.columns and drawn[column.name].notna().any()
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

    def vega_lite(
        self, medium: Medium = "screen", selection: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The Vega-Lite spec without data; `selection` sets selectors' starting values."""
        spec: dict[str, Any] = json.loads(spec_json(self.layout, medium))
        chosen = dict(selection or {})
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
        for param in spec.get("params", []):
            column = param["name"].removeprefix(SELECT_PREFIX)
            if param["name"] != column and column in chosen:
                param["value"] = chosen[column]
        return spec

    def vega_lite_json(
        self, medium: Medium = "print", selection: dict[str, str] | None = None
    ) -> str:
        """The Vega-Lite spec with its data inlined, as JSON text: what vl-convert renders."""
        return with_data(self.vega_lite(medium, selection), self.datasets)


def with_data(spec: dict[str, Any], tables: dict[str, pd.DataFrame]) -> str:
    """A Vega-Lite spec (without data) with `tables` inlined as its named datasets, as JSON
    text."""
    inline = [
        f"{json.dumps(name)}:{json.dumps(rows)}" for name, rows in spec.pop("datasets", {}).items()
    ]
    data = [f"{json.dumps(name)}:{rows.to_json(orient='records')}" for name, rows in tables.items()]
    text = json.dumps(spec, separators=(",", ":"))
    return text[:-1] + ',"datasets":{' + ",".join([*inline, *data]) + "}}"


@dataclass(frozen=True)
class Layout:
    """What a chart's Vega-Lite spec depends on besides its data: a cache key."""

    spec: ChartSpec
    colours: tuple[tuple[str, str], ...]
    """(value, colour) of the colour field's values."""
    choices: tuple[tuple[str, tuple[str, ...]], ...]
    defaults: tuple[tuple[str, str], ...]
    has_reference: bool
    has_spread: bool
    """Whether some rows have a standard deviation over seeds to draw as error bars."""
    tooltip: tuple[str, ...]
    """The tooltip fields with at least one value."""
    shapes: tuple[str, ...]
    """Values of the shape field, in the order of the shapes (a pair's first point: circle)."""


@lru_cache(maxsize=512)
def spec_json(layout: Layout, medium: Medium = "screen") -> str:
    """A chart's Vega-Lite spec (without data) as JSON text.

    The print spec is the screen spec made static: no input bindings, tooltips or links, print
    size and fonts.
    """
    if medium == "screen":
        return json.dumps(_altair(layout).to_dict(validate=False), separators=(",", ":"))
    spec = json.loads(spec_json(layout, "screen"))
    spec["width"], spec["height"] = PRINT_SIZE
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    spec["config"] = _PRINT_CONFIG
    spec["params"] = [
        {key: value for key, value in param.items() if key != "bind"}
        for param in spec.get("params", [])
        if "select" not in param  # legend highlighting and zooming
    ]
    pointer = {"href", *(f"tip_{name}" for name in layout.tooltip)}  # fields of tooltips, links
    for layer in spec["layer"]:
        if layer["mark"]["type"] == "point":
            layer["mark"].update(size=16, strokeWidth=0.8)
        encoding = layer.get("encoding", {})
        encoding.pop("tooltip", None)
        encoding.pop("href", None)
        if "transform" in layer:
            steps = layer["transform"]
            layer["transform"] = [step for step in steps if step.get("as") not in pointer]
        if "condition" in encoding.get("opacity", {}):
            encoding["opacity"] = {"value": OPACITY}
    return json.dumps(spec, separators=(",", ":"))


def _tooltip_text(column: Column) -> str:
    """A Vega expression giving a column's tooltip text."""
    value = f"datum[{json.dumps(column.name)}]"
    text = _TOOLTIP_TEXT[column.format].format(v=value)
    return f"isValid({value}) ? {text} : {json.dumps(MISSING)}"


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


def _altair(layout: Layout) -> alt.LayerChart:
    """The screen chart: tooltips, legend highlighting, zoom and pan, selectors and the toggle
    of the reference layer."""
    from altair.utils.schemapi import debug_mode

    with debug_mode(False):  # skip validating every object as it is made
        return _layers(layout)


def _layers(layout: Layout) -> alt.LayerChart:
    import altair as alt

    spec = layout.spec
    choices = dict(layout.choices)
    defaults = dict(layout.defaults)
    selected = [f"datum[{json.dumps(column)}] === {SELECT_PREFIX}{column}" for column in choices]
    params = [
        alt.VariableParameter(
            name=f"{SELECT_PREFIX}{column}",
            value=defaults[column],
            bind=alt.BindRadioSelect(
                input="select", options=list(values), name=f"{column.capitalize()} "
            ),
        )
        for column, values in choices.items()
    ]
    reference_shown: list[str] = []
    if layout.has_reference:
        params.append(
            alt.VariableParameter(
                name=REFERENCE_PARAM,
                value=True,
                bind=alt.BindCheckbox(
                    input="checkbox", name="Show the 2019 thesis results (hollow marks) "
                ),
            )
        )
        reference_shown = [f"({REFERENCE_PARAM} || !datum.reference)"]
    colour_scale = alt.Scale(
        domain=[value for value, _ in layout.colours], range=[c for _, c in layout.colours]
    )
    # Padding keeps the points at the ends of the data range clear of the axes.
    x = alt.X(f"{spec.x}:Q", title=spec.x_title, scale=alt.Scale(type="log", nice=False, padding=8))
    y_scale = (
        alt.Scale(type="log", nice=False, padding=8)
        if spec.log_y
        else alt.Scale(zero=False, padding=8)
    )
    y = alt.Y(f"{spec.y}:Q", title=spec.y_title, scale=y_scale, axis=alt.Axis(format=spec.y_format))
    # Only the points fade when a legend entry is clicked.
    opacity = alt.OpacityValue(value=0.08, condition={"param": HIGHLIGHT_PARAM, "value": OPACITY})
    colour = alt.Color(f"{spec.colour}:N", title=spec.colour_title, scale=colour_scale)
    guide = {"color": GUIDE_COLOUR, "strokeDash": [4, 3]}
    points = alt.NamedData(name="points")
    layers = []
    if spec.rule == "zero":
        layers.append(
            _layer(
                "zero",
                alt.InlineData(values=[{}]),
                {"type": "rule", **guide},
                {"y": alt.YDatum(0)},
            )
        )
    if spec.rule == "diagonal":
        layers.append(
            _layer(
                "diagonal",
                alt.NamedData(name="diagonal"),
                {"type": "line", **guide},
                {"x": x, "y": y},
            )
        )
    if spec.error_bars and layout.has_spread:
        layers.append(
            _layer(
                "error_bars",
                points,
                {"type": "rule", "strokeWidth": 1},
                {
                    "x": x,
                    "y": alt.Y("low:Q", title=spec.y_title, scale=y_scale),
                    "y2": alt.Y2("high"),
                    "color": colour,
                },
                [*selected, "isValid(datum.accuracy_std)", *reference_shown],
                calculate={
                    "low": "datum.accuracy - datum.accuracy_std",
                    "high": "datum.accuracy + datum.accuracy_std",
                },
            )
        )
    if spec.paired:
        layers.append(
            _layer(
                "pairs",
                points,
                {"type": "line", "strokeWidth": 1},
                {
                    "x": x,
                    "y": y,
                    "detail": alt.Detail("pair:N"),
                    "order": alt.Order("order:Q"),
                    "color": colour,
                },
                [*selected, *reference_shown],
            )
        )
    if spec.frontier != "none":
        scope = f"datum.scope === ({REFERENCE_PARAM} ? 'all' : 'own')"
        layers.append(
            _layer(
                "front",
                alt.NamedData(name="front"),
                {"type": "line", "interpolate": "step-after", "strokeWidth": 1.5},
                {
                    "x": x,
                    "y": y,
                    "detail": alt.Detail("group:N"),
                    "order": alt.Order(f"{spec.x}:Q"),
                    "color": colour
                    if spec.frontier == "per_colour"
                    else alt.ColorValue(GUIDE_COLOUR),
                },
                [*selected, *([scope] if layout.has_reference else [])],
            )
        )
    fields = [column for column in TOOLTIP_COLUMNS if column.name in layout.tooltip]
    # Tooltip texts: numbers with their units, and a dash rather than 'null' where one is missing.
    tips = {f"tip_{column.name}": _tooltip_text(column) for column in fields}
    tooltip = [alt.Tooltip(f"tip_{column.name}:N", title=column.title) for column in fields]
    encoding: dict[str, Any] = {
        "x": x,
        "y": y,
        "color": colour,
        "opacity": opacity,
        "tooltip": tooltip,
        "href": alt.Href("href:N"),  # a click opens the point's model page
    }
    if spec.shape:
        encoding["shape"] = alt.Shape(
            f"{spec.shape}:N",
            title=spec.shape_title,
            scale=alt.Scale(domain=list(layout.shapes), range=SHAPES[: len(layout.shapes)]),
        )
    # One layer for all points (the legend binds to the selection only if no other layer sets
    # an opacity): the thesis's results are hollow, thesislab's filled.
    encoding["fill"] = alt.Fill(
        f"{spec.colour}:N",
        scale=colour_scale,
        title=spec.colour_title,
        condition={"test": "datum.reference", "value": "transparent"},
    )
    interactions = [
        alt.SelectionParameter(
            name=HIGHLIGHT_PARAM,
            select=alt.PointSelectionConfig(type="point", fields=[spec.colour]),
            bind="legend",
        ),
        alt.SelectionParameter(
            name="zoom", select=alt.IntervalSelectionConfig(type="interval"), bind="scales"
        ),
    ]
    layers.append(
        _layer(
            "points",
            points,
            {"type": "point", "filled": False, "size": 42, "strokeWidth": 1.2},
            encoding,
            [*selected, *reference_shown],
            calculate={**tips, "href": HREF_EXPRESSION},
            params=interactions,
        )
    )
    width, height = SCREEN_SIZE
    return alt.LayerChart(layer=layers, params=params, width=width, height=height)
