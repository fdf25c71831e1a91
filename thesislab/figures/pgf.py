r"""A figure as PGF/TikZ: pgfplots source with its data inline, for a LaTeX document to `\input`.

The source sets no font of its own, so the document's fonts and sizes apply, and needs only
`\usepackage{pgfplots}` in the document's preamble. It draws what the site draws in print: one
`\addplot` per colour group in the site's palette (each colour a `\definecolor`), its points as
coordinates, filled for thesislab's results and hollow for the 2019 thesis's (shaped by the
chart's shape field, if it has one), error bars of one standard deviation over seeds, the Pareto
front as a step line of its own (one per colour where the chart draws one per colour), the
dashed guide of a chart that has one (y = 0, y = x), the highlighted results ringed and labelled
with their names, and a legend under the plot. A chart whose points are joined in pairs is
refused in one line: its PDF, SVG or PNG draws it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from thesislab.errors import ThesislabError
from thesislab.results.columns import BY_NAME, Format
from thesislab.site.charts.controls import selector_title
from thesislab.site.charts.layers import (
    GUIDE_COLOUR,
    OWN_MARKS,
    REFERENCE_MARKS,
    SHAPES,
    legend_columns,
)
from thesislab.site.charts.selections import ALL
from thesislab.site.charts.vega import MAX_PLOT_HEIGHT_CM, PLOT_HEIGHT, POINTS_PER_CM

if TYPE_CHECKING:
    import pandas as pd

    from thesislab.figures.figure import Figure
    from thesislab.site.charts.data import ChartSpec, Layout

GUIDE = "thesislab-guide"
"""The colour of the front (where there is one for all colours), guides, rings and keys."""

MARKS: dict[str, tuple[str, str]] = {
    "circle": ("mark=*", "mark=o"),
    "square": ("mark=square*", "mark=square"),
    "triangle-up": ("mark=triangle*", "mark=triangle"),
    "diamond": ("mark=diamond*", "mark=diamond"),
    "cross": ("mark=x", "mark=x"),
    "triangle-down": (
        "mark=triangle*, every mark/.append style={rotate=180}",
        "mark=triangle, every mark/.append style={rotate=180}",
    ),
}
"""The pgfplots marks of the site's shapes (`layers.SHAPES`): filled, hollow."""

LEGEND_STYLE = (
    "legend style={at={(0.5,-0.28)}, anchor=north, draw=none, "
    "/tikz/every even column/.append style={column sep=0.8em}}"
)
"""The legend: centred under the plot, below the x axis's title, entries a little apart."""

MARK_SIZE = "1.5pt"
"""The points' radius: about the site's printed points."""

TEX_CHARACTER_WIDTH = 0.5
"""A generous average width of a label's characters in a LaTeX document's fonts, in ems."""

_LOG_STEPS = ((1.0,), (1.0, 3.0), (1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0))
"""Ticks of a logarithmic axis, sparsest first: these multiples of each power of ten."""
_LEAST_TICKS = 3
PREFIXED = frozenset({Format.COUNT, Format.BYTES})
"""The formats of columns whose ticks have SI prefixes (20M), as on the site."""
_PREFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"))

_SIDES = {True: "left", False: "right"}

_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "[": "{[}",
    "]": "{]}",
    "·": r"\textperiodcentered{}",
    "−": "$-$",
    "±": r"$\pm$",
}
"""Characters that LaTeX reads as commands, or an option list or coordinates as syntax, written
as text."""


def tex(text: str) -> str:
    """`text` as LaTeX typesets it, letter for letter."""
    return "".join(_SPECIALS.get(character, character) for character in text)


def _number(value: object) -> str:
    return f"{float(value):.12g}"  # type: ignore[arg-type]


def _refuse_pairs(spec: ChartSpec) -> None:
    if spec.paired:
        raise ThesislabError(
            f"expected a chart of points for PGF, got {spec.chart_id!r}, whose points are "
            "joined in pairs: export it as pdf, svg or png"
        )


def log_ticks(low: float, high: float) -> list[float]:
    """Round ticks of a logarithmic axis from `low` to `high`: the sparsest of powers of ten,
    1-3, 1-2-5 and 1-1.5-2-3-5-7 steps that gives at least three; none where even the densest
    gives fewer (pgfplots then chooses)."""
    for steps in _LOG_STEPS:
        powers = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        ticks = [step * 10.0**power for power in powers for step in steps]
        inside = [tick for tick in ticks if low <= tick <= high]
        if len(inside) >= _LEAST_TICKS:
            return inside
    return []


def tick_label(value: float, prefixed: bool) -> str:
    """A tick's label: a plain number (0.3, 30, 1000) or, `prefixed`, with an SI prefix (20M)
    as the site writes counts and sizes."""
    for factor, prefix in _PREFIXES if prefixed else ():
        if value >= factor:
            return f"{value / factor:g}{prefix}"
    return f"{value:.10f}".rstrip("0").rstrip(".")


def _log_axis(axis: str, column: str, values: pd.Series) -> str:
    """A logarithmic axis's options: its mode and round ticks labelled as the site labels them
    (counts and sizes with SI prefixes); where the values span too little for three of those,
    pgfplots's own ticks."""
    prefixed = column in BY_NAME and BY_NAME[column].format in PREFIXED
    ticks = log_ticks(float(values.min()), float(values.max()))
    if not ticks:
        return f"{axis}mode=log" + ("" if prefixed else ", log ticks with fixed point")
    places = ",".join(_number(tick) for tick in ticks)
    labels = ",".join(f"{{{tick_label(tick, prefixed)}}}" for tick in ticks)
    return f"{axis}mode=log, {axis}tick={{{places}}}, {axis}ticklabels={{{labels}}}"


def _percent_ticks(spec: ChartSpec) -> str:
    """Tick labels in percent where the site writes the y axis so (fractions, a linear axis)."""
    if spec.log_y or not spec.y_format.endswith("%"):
        return ""
    return (
        r"yticklabel={\pgfmathparse{100*\tick}\pgfmathprintnumber{\pgfmathresult}\,\%}, "
        "scaled y ticks=false"
    )


def _title(layout: Layout) -> str:
    """The heading and what the selectors show, e.g. 'Device: local · Stage: retrained'."""
    shown = dict(layout.fixed) | dict(layout.defaults)
    parts = [layout.spec.heading] if layout.spec.heading else []
    parts += [
        f"{selector_title(column)}: {shown[column]}"
        for column in layout.spec.selectors
        if column in shown
    ]
    return " · ".join(parts)


def _mark(name: str) -> str:
    """The pgfplots options of the mark a point's style names: thesislab-SHAPE-filled or
    thesislab-SHAPE-hollow."""
    shape, _, fill = name.removeprefix("thesislab-").rpartition("-")
    return MARKS[shape][fill == "hollow"]


class _Source:
    """The lines of one figure's source, written in drawing order."""

    def __init__(self, figure: Figure) -> None:
        self.figure = figure
        self.layout = figure.layout
        self.spec = figure.layout.spec
        self.points = figure.points()
        self.colours = {
            value: f"thesislab-{index}" for index, (value, _) in enumerate(self.layout.colours)
        }
        self.classes = self._classes()
        self._scatter = self.classes.nunique() > 1
        """Whether points differ in their marks (else each group's plot sets its mark)."""
        self.lines: list[str] = []

    def _classes(self) -> pd.Series:
        """Each point's mark: its shape (by the shape field's value) and whether it is filled
        (thesislab's result) or hollow (the thesis's)."""
        spec, points = self.spec, self.points
        shapes = dict(zip(self.layout.shapes, SHAPES, strict=False))
        shape = points[spec.shape].astype(str).map(shapes) if spec.shape else SHAPES[0]
        fill = points["reference"].astype(bool).map({False: "filled", True: "hollow"})
        return "thesislab-" + shape + "-" + fill

    def write(self) -> str:
        self._preamble()
        self._axis()
        self._guide()
        self._fronts()
        for value in self.colours:
            self._group(value)
        self._highlights()
        self._keys()
        self.lines += [r"\end{axis}", r"\end{tikzpicture}"]
        return "\n".join(self.lines) + "\n"

    def _preamble(self) -> None:
        title = _title(self.layout) or self.spec.title
        self.lines += [
            f"% {title}: a figure made by thesislab, its data inline.",
            r"% \input it in a LaTeX document whose preamble has \usepackage{pgfplots};",
            "% it takes the document's fonts.",
            r"\begin{tikzpicture}",
            rf"\definecolor{{{GUIDE}}}{{HTML}}{{{GUIDE_COLOUR.lstrip('#').upper()}}}",
        ]
        for value, colour in self.layout.colours:
            name = self.colours[value]
            hexadecimal = colour.lstrip("#").upper()
            self.lines.append(rf"\definecolor{{{name}}}{{HTML}}{{{hexadecimal}}} % {value}")
        if self._scatter:
            styles = [f"{name}/.style={{{_mark(name)}}}" for name in sorted(set(self.classes))]
            self.lines.append(r"\tikzset{" + ", ".join(styles) + "}")

    def _axis(self) -> None:
        spec, figure = self.spec, self.figure
        height = min(PLOT_HEIGHT * figure.width_cm, MAX_PLOT_HEIGHT_CM)
        options = [
            f"width={figure.width_cm:g}cm",
            f"height={height:.2f}cm",
            f"title={{{tex(_title(self.layout))}}}" if _title(self.layout) else "",
            f"xlabel={{{tex(spec.x_title)}}}",
            f"ylabel={{{tex(spec.y_title)}}}",
            _log_axis("x", spec.x, self.points[spec.x]) if spec.log_x else "",
            _log_axis("y", spec.y, self.points[spec.y]) if spec.log_y else "",
            _percent_ticks(spec),
            f"mark size={MARK_SIZE}",
            f"legend columns={self._legend_columns()}",
            "legend cell align=left",
            LEGEND_STYLE,
        ]
        if self._scatter:  # a point's mark is the style its meta names
            options += [
                r"scatter/@pre marker code/.code="
                r"{\expandafter\scope\expandafter[\pgfplotspointmeta]}",
                r"scatter/@post marker code/.code={\endscope}",
            ]
        self.lines.append(r"\begin{axis}[")
        self.lines += [f"  {option}," for option in options if option]
        self.lines.append("]")

    def _legend_columns(self) -> int:
        """As many as the figure's width holds, the legend centred under the plot."""
        room = self.figure.width_cm * POINTS_PER_CM
        labels = self._legend_labels()
        return legend_columns(labels, room, self.figure.font_size_pt, TEX_CHARACTER_WIDTH)

    def _legend_labels(self) -> list[str]:
        drawn = set(self.points[self.spec.colour].astype(str))
        colours = [value for value in self.colours if value in drawn]
        return [*colours, *self.layout.shapes, *self._mark_keys()]

    def _mark_keys(self) -> list[str]:
        """The legend's entries telling filled marks from hollow ones, where both are drawn."""
        if not self.layout.has_reference:
            return []
        return [*([OWN_MARKS] if self.layout.has_own else []), REFERENCE_MARKS]

    def _guide(self) -> None:
        spec, points = self.spec, self.points
        ends: list[tuple[float, float]] = []
        if spec.rule == "zero":
            ends = [(float(points[spec.x].min()), 0.0), (float(points[spec.x].max()), 0.0)]
        if spec.rule == "diagonal":
            diagonal = self.figure.chart.datasets["diagonal"]
            at = self.figure.at_selection(diagonal[diagonal["scope"] == ALL])
            ends = list(zip(at[spec.x], at[spec.y], strict=True))
        if ends:
            self.lines.append(f"% the guide line ({spec.rule})")
            self._plot(
                f"{GUIDE}, dashed, forget plot", [f"({_number(x)},{_number(y)})" for x, y in ends]
            )

    def _fronts(self) -> None:
        spec = self.spec
        front = self.figure.front()
        if spec.frontier == "none" or front.empty:
            return
        for group, rows in front.groupby("group", sort=False):
            colour = GUIDE if group == "all" else self.colours[str(group)]
            self.lines.append(f"% the Pareto front{'' if group == 'all' else f' of {group}'}")
            coordinates = [
                f"({_number(x)},{_number(y)})"
                for x, y in zip(rows[spec.x], rows[spec.y], strict=True)
            ]
            self._plot(
                f"{colour}, const plot, no marks, line width=0.9pt, forget plot", coordinates
            )

    def _group(self, value: str) -> None:
        spec = self.spec
        chosen = self.points[self.points[spec.colour].astype(str) == value]
        if chosen.empty:
            return
        classes = self.classes[chosen.index]
        options = [self.colours[value], "only marks"]
        if self._scatter:  # the legend shows a filled circle
            options += ["scatter", "point meta=explicit symbolic", MARKS[SHAPES[0]][0]]
        else:
            options.append(_mark(str(classes.iloc[0])))
        bars = spec.error_bars and self.layout.has_spread
        if bars:
            options += ["error bars/y dir=both", "error bars/y explicit"]
        coordinates = []
        for (_, row), mark in zip(chosen.iterrows(), classes, strict=True):
            point = f"({_number(row[spec.x])},{_number(row[spec.y])})"
            if bars:
                spread = row["accuracy_std"]
                point += f" +- (0,{_number(0 if math.isnan(spread) else spread)})"
            if self._scatter:
                point += f" [{mark}]"
            coordinates.append(point)
        count = f"{len(chosen)} point{'s' * (len(chosen) != 1)}"
        self.lines.append(f"% {spec.colour_title} {value}: {count}")
        self._plot(", ".join(options), coordinates)
        self.lines.append(rf"\addlegendentry{{{tex(value)}}}")

    def _highlights(self) -> None:
        spec, points = self.spec, self.points
        chosen = points[points["name"].isin(spec.highlight)]
        if chosen.empty:
            return
        left = self.figure.chart.label_left(chosen)
        for on_left, rows in chosen.groupby(left, sort=False):
            self.lines.append(f"% the highlighted results, named on their {_SIDES[on_left]}")
            anchor = "anchor=east, xshift=-2pt" if on_left else "anchor=west, xshift=2pt"
            options = (
                f"{GUIDE}, only marks, mark=o, mark size=3pt, forget plot, "
                "point meta=explicit symbolic, nodes near coords, "
                f"every node near coord/.append style={{{anchor}}}"
            )
            coordinates = [
                f"({_number(x)},{_number(y)}) [{{{tex(str(name))}}}]"
                for x, y, name in zip(rows[spec.x], rows[spec.y], rows["name"], strict=True)
            ]
            self._plot(options, coordinates)

    def _keys(self) -> None:
        """Legend entries for the shapes and for filled and hollow marks."""
        for value, shape in zip(self.layout.shapes, SHAPES, strict=False):
            self.lines.append(rf"\addlegendimage{{only marks, {MARKS[shape][0]}, {GUIDE}}}")
            self.lines.append(rf"\addlegendentry{{{tex(value)}}}")
        for label in self._mark_keys():
            mark = "mark=o" if label == REFERENCE_MARKS else "mark=*"
            self.lines.append(rf"\addlegendimage{{only marks, {mark}, {GUIDE}}}")
            self.lines.append(rf"\addlegendentry{{{tex(label)}}}")

    def _plot(self, options: str, coordinates: list[str]) -> None:
        self.lines.append(rf"\addplot[{options}] coordinates {{")
        self.lines += [f"  {point}" for point in coordinates]
        self.lines.append("};")


def pgf_source(figure: Figure) -> str:
    """The figure as pgfplots source, for a LaTeX document to `\\input`."""
    _refuse_pairs(figure.layout.spec)
    return _Source(figure).write()
