"""`thesislab figure` (a figure spec, or the same as options, rendered from the results of the day)
and `thesislab chart` (the site's charts as figures). Both write a `Figure` through one renderer.

Heavy imports (pandas, Altair, vl-convert) happen inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from thesislab.errors import ThesislabError
from thesislab.figures.render import FigureFormat
from thesislab.figures.spec import (
    COLOUR_FIELDS,
    FILTER_FIELDS,
    MAX_WIDTH_CM,
    MIN_WIDTH_CM,
    X_FIELDS,
    Y_FIELDS,
)
from thesislab.options import ReadResultsOption, results_directories
from thesislab.site.charts.vega import COLUMN_WIDTH_CM, FONT_SIZE_PT, PAGE_WIDTH_CM

if TYPE_CHECKING:
    from thesislab.figures.figure import Figure
    from thesislab.site.charts.data import Chart

DEFAULT_NAME = "figure"
"""The name of a figure's files made from options alone."""

_FORMATS = ", ".join(FigureFormat)

chart_app = typer.Typer(
    help="Export the site's charts as figures for a document (a column's 8.5 cm wide or the "
    "page's 17 cm, 9-10 pt fonts, titled with the device shown), as PDF, SVG, PNG, PGF/TikZ "
    "or CSV.\n\n"
    "Example: thesislab chart export overview --format pgf --out overview.pgf",
    no_args_is_help=True,
)

FormatsOption = Annotated[
    list[FigureFormat] | None,
    typer.Option(
        "--format",
        "-F",
        help=f"{_FORMATS} (repeatable): PNG at 300 dpi; PGF is pgfplots source to \\input in a "
        "LaTeX document, in its fonts. Default: the suffix of --out, else pdf.",
        show_default=False,
    ),
]
WidthOption = Annotated[
    float | None,
    typer.Option(
        "--width",
        "-w",
        help=f"Figure width in cm: {COLUMN_WIDTH_CM:g} for a column, {PAGE_WIDTH_CM:g} for the "
        f"full page width (default {COLUMN_WIDTH_CM:g}).",
        show_default=False,
    ),
]
FontSizeOption = Annotated[
    float | None,
    typer.Option(
        "--font-size",
        help=f"Size of the labels in points, titles a point larger (default {FONT_SIZE_PT:g}); "
        "PGF takes the document's.",
        show_default=False,
    ),
]


def _targets(out: Path | None, formats: list[FigureFormat] | None, name: str) -> dict[Path, Any]:
    """Each file to write and its format: `out` (or `name` here, or in `out` where it is a
    folder) with each format's suffix, in place of a format's suffix it has; the formats asked
    for, else the suffix of `out`, else PDF."""
    if out is not None and out.is_dir():
        out = out / name
    suffix = out.suffix.removeprefix(".") if out else ""
    known = suffix in set(FigureFormat)
    chosen = formats or [FigureFormat(suffix) if known else FigureFormat.pdf]
    stem = (out.with_suffix("") if known else out) if out else Path(name)
    return {stem.parent / f"{stem.name}.{form}": form for form in dict.fromkeys(chosen)}


def _write(figure: Figure, targets: dict[Path, FigureFormat], described: str) -> None:
    from thesislab.figures.render import figure_file

    for target, output_format in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(figure_file(figure, output_format))
        rows = len(figure.chart.csv_rows())
        told = f"{rows} row{'s' * (rows != 1)}" if output_format is FigureFormat.csv else described
        typer.echo(f"wrote {target}: {told}")


def _filters(given: list[str] | None) -> dict[str, list[str]] | None:
    """`--filter COLUMN=V1,V2` options as a spec's filters."""
    if not given:
        return None
    filters: dict[str, list[str]] = {}
    for text in given:
        column, sign, values = text.partition("=")
        if not sign or not column:
            raise ThesislabError(f"--filter: expected COLUMN=VALUE[,VALUE...], got {text!r}")
        filters[column.strip()] = [value.strip() for value in values.split(",") if value.strip()]
    return filters


def figure(
    spec_file: Annotated[
        Path | None,
        typer.Argument(
            help="Figure spec (YAML), e.g. the explore page's 'Figure spec' download; the "
            "options below override its keys. Without it: the options alone.",
            show_default=False,
        ),
    ] = None,
    output_format: FormatsOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Where to write, given each format's suffix (figures/int8 writes "
            "figures/int8.pdf, figures/int8.pgf); a folder: the default name in it. Default: "
            "the spec's name here, else 'figure'.",
            show_default=False,
        ),
    ] = None,
    x: Annotated[
        str | None, typer.Option(help=f"x: {', '.join(X_FIELDS)}.", show_default=False)
    ] = None,
    y: Annotated[
        str | None,
        typer.Option(help=f"y: {', '.join(Y_FIELDS)} (1 - accuracy).", show_default=False),
    ] = None,
    colour: Annotated[
        str | None,
        typer.Option(help=f"Colour by: {', '.join(COLOUR_FIELDS)}.", show_default=False),
    ] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help=f"COLUMN=VALUE[,VALUE...] keeps those values of a column among "
            f"{', '.join(FILTER_FIELDS)} (repeatable; replaces the spec's filter of that column). "
            "Flags are true/false, a missing value is none; without a role filter, published "
            "results only.",
            show_default=False,
        ),
    ] = None,
    devices: Annotated[
        list[str] | None,
        typer.Option(
            "--device",
            help="A device kept (repeatable); default: every device.",
            show_default=False,
        ),
    ] = None,
    log_x: Annotated[
        bool | None,
        typer.Option("--log-x/--linear-x", help="A logarithmic x axis.", show_default=False),
    ] = None,
    log_y: Annotated[
        bool | None,
        typer.Option("--log-y/--linear-y", help="A logarithmic y axis.", show_default=False),
    ] = None,
    highlight: Annotated[
        list[str] | None,
        typer.Option(
            help="A configuration's name to draw emphasised and labelled (repeatable).",
            show_default=False,
        ),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option(help="Title; default: '<y> against <x>'.", show_default=False),
    ] = None,
    width: WidthOption = None,
    font_size: FontSizeOption = None,
    results: ReadResultsOption = None,
) -> None:
    """Render a figure of the results table, from the results of the day: the points its spec
    selects (published results unless it filters on role), coloured in the site's palette,
    with their Pareto front, as PDF, SVG, PNG (300 dpi), PGF/TikZ (pgfplots with the data
    inline, in the document's fonts) or CSV (the rows drawn).

    A spec (YAML) has the keys x, y, colour, filters, devices, log_x, log_y, highlight, title,
    width_cm and font_size_pt:

    \b
        x: macs
        y: error
        colour: family
        filters: {quantization: [int8]}
        devices: [raspberry-pi-3b]
        log_x: true

    Example: thesislab figure int8.yaml --format pdf --format pgf --out figures/int8

    Example: thesislab figure --x params --colour quantization --filter family=mobilenetv2
    """
    from thesislab.figures.figure import of_spec
    from thesislab.figures.spec import FigureSpec, load_spec, with_options
    from thesislab.results.table import table

    base = load_spec(spec_file) if spec_file else FigureSpec()
    options = {
        "x": x,
        "y": y,
        "colour": colour,
        "filters": _filters(filters),
        "devices": devices,
        "log_x": log_x,
        "log_y": log_y,
        "highlight": highlight,
        "title": title,
        "width_cm": width,
        "font_size_pt": font_size,
    }
    spec = with_options(base, options)
    targets = _targets(out, output_format, spec_file.stem if spec_file else DEFAULT_NAME)
    drawn = of_spec(table(results_directories(results)), spec)
    points = len(drawn.chart.rows)
    _write(drawn, targets, f"{spec.width_cm:g} cm wide, {points} point{'s' * (points != 1)}")


def _charts(results: list[Path] | None) -> dict[str, tuple[str, Chart]]:
    """Every non-empty chart of the site that is a figure for a document (not the sample
    runs') by id, with the path of its page."""
    from thesislab.results.table import table
    from thesislab.site.pages import site_pages

    return {
        chart.spec.chart_id: (page.path.removesuffix(".md"), chart)
        for page in site_pages(table(results_directories(results)))
        if page.exported
        for chart in page.charts.values()
        if not chart.empty
    }


def _shown(chart: Chart, selection: dict[str, str]) -> list[tuple[str, str, list[str]]]:
    """What a figure of `chart` shows of each selector field: (field, value, the other values
    `--select` can pick)."""
    layout = chart.layout_at(selection)
    starts, fixed = dict(layout.defaults), dict(layout.fixed)
    shown = []
    for column in chart.spec.selectors:
        if column in starts:
            others = [value for value in chart.choices[column] if value != starts[column]]
            shown.append((column, starts[column], others))
        elif column in fixed:
            shown.append((column, fixed[column], []))
    return shown


@chart_app.command("list")
def chart_list(results: ReadResultsOption = None) -> None:
    """List the charts that can be exported: id, page, title, and what a figure shows of each
    selector (the device first; `chart export --select` picks another).

    Example: thesislab chart list --results experiments
    """
    for chart_id, (page, chart) in _charts(results).items():
        typer.echo(f"{chart_id:<28} {page:<24} {chart.spec.title}")
        for column, value, others in _shown(chart, {}):
            alternatives = f" (or {', '.join(others)})" if others else ""
            typer.echo(f"{'':<28} {column}: {value}{alternatives}")


@chart_app.command("export")
def chart_export(
    name: Annotated[
        str,
        typer.Argument(
            help="Chart id (see `thesislab chart list`) or, where no chart has that id, page "
            "(e.g. 'pruning/index'): a page exports each of its charts."
        ),
    ],
    output_format: FormatsOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output file, given each format's suffix; for a page, a folder. Default: "
            "CHART_ID.FORMAT here.",
        ),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            "-s",
            help="FIELD=VALUE: start a selector elsewhere than where the site starts it, "
            "e.g. device=local (repeatable).",
        ),
    ] = None,
    width: WidthOption = None,
    font_size: FontSizeOption = None,
    results: ReadResultsOption = None,
) -> None:
    """Render a chart of the site as a figure for a document (9-10 pt fonts), titled with the
    device (and any other selector's value) it shows; `thesislab chart list` lists the charts.
    PGF draws charts of points and their fronts; a chart whose points are joined in pairs is
    exported as pdf, svg or png.

    Example: thesislab chart export pruning-change --format pdf --select stage=retrained
    """
    from thesislab.figures.figure import Figure

    chosen_width = COLUMN_WIDTH_CM if width is None else width
    if not MIN_WIDTH_CM <= chosen_width <= MAX_WIDTH_CM:
        raise ThesislabError(
            f"expected --width between {MIN_WIDTH_CM:g} and {MAX_WIDTH_CM:g} (cm), "
            f"got {chosen_width:g}"
        )
    charts = _charts(results)
    # A chart id first: the devices page holds the chart `devices` and others.
    chosen = [charts[name][1]] if name in charts else [c for p, c in charts.values() if p == name]
    if not chosen:
        raise ThesislabError(
            f"expected a chart id or page among {', '.join(sorted(charts))} "
            f"(thesislab chart list describes them), got {name!r}"
        )
    selection = dict(_field_value(item) for item in select or [])
    single = len(chosen) == 1 and name == chosen[0].spec.chart_id
    for chart in chosen:
        chart_id = chart.spec.chart_id
        targets = _targets(out if single else (out or Path()) / chart_id, output_format, chart_id)
        drawn = Figure(chart, selection, chosen_width, font_size or FONT_SIZE_PT)
        shown = [f"{column} {value}" for column, value, _ in _shown(chart, selection)]
        _write(drawn, targets, f"{chosen_width:g} cm wide" + "".join(f", {s}" for s in shown))


def _field_value(text: str) -> tuple[str, str]:
    field, separator, value = text.partition("=")
    if not separator or not field:
        raise ThesislabError(f"expected --select FIELD=VALUE, got {text!r}")
    return field, value
