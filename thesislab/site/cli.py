"""`thesislab site` (build the results site) and `thesislab chart` (export a chart for the thesis).

Two Typer apps, registered by the main command line as `thesislab site` and `thesislab chart`.
Heavy imports (pandas, Altair, MkDocs, vl-convert) happen inside the commands.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thesislab.errors import ThesislabError
from thesislab.options import ReadResultsOption, results_directories
from thesislab.site.charts.vega import COLUMN_WIDTH_CM, PAGE_WIDTH_CM

if TYPE_CHECKING:
    from thesislab.site.charts.data import Chart


site_app = typer.Typer(
    help="Build the results site (MkDocs Material, charts generated from the records).\n\n"
    "Example: thesislab site build --out site",
    no_args_is_help=True,
)
chart_app = typer.Typer(
    help="Export the site's charts as figures for a document (a column's 8.5 cm wide or the "
    "page's 17 cm, 9-10 pt fonts, titled with the device shown).\n\n"
    "Example: thesislab chart export overview --format pdf --out overview.pdf",
    no_args_is_help=True,
)


@site_app.callback()
def _site() -> None:
    """Keeps `build` a subcommand (Typer runs a lone command directly otherwise)."""


MIN_WIDTH_CM, MAX_WIDTH_CM = 4.0, 40.0
"""The widths `chart export --width` accepts."""


class ExportFormat(StrEnum):
    """Figure formats of `chart export`."""

    pdf = "pdf"
    svg = "svg"
    png = "png"


@site_app.command("build")
def site_build(
    results: Annotated[
        list[Path] | None,
        typer.Option(
            "--results",
            "-r",
            help="Results directory (repeatable); a directory of results directories also works. "
            "Default: the plugin's 'results' in mkdocs.yml.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder; default: site_dir.")
    ] = None,
    config_file: Annotated[
        Path, typer.Option("--config-file", "-f", help="MkDocs configuration.")
    ] = Path("mkdocs.yml"),
    strict: Annotated[
        bool,
        typer.Option(
            help="Fail on any warning (a record file left out, a broken link); without it, "
            "each is a warning and the site is built."
        ),
    ] = False,
    site_url: Annotated[
        str | None,
        typer.Option(
            "--site-url",
            help="Address the site will be served at (instant page loads need it); "
            "default: site_url in mkdocs.yml.",
        ),
    ] = None,
) -> None:
    """Build the site exactly as `mkdocs build` does, optionally from other results.

    The site works offline and opened from disk (file://): nothing is loaded from elsewhere.
    It is built beside the output folder and replaces it once whole: a failed build leaves
    the previous site as it was.

    Example: thesislab site build --results experiments --out site
    """
    from thesislab.site.build import build_site, built_message

    directories = results_directories(results) if results else None
    built = build_site(directories, out, config_file, strict=strict, site_url=site_url)
    typer.echo(built_message(built))


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
    output_format: Annotated[
        ExportFormat, typer.Option("--format", "-F", help="pdf, svg or png (300 dpi).")
    ] = ExportFormat.pdf,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output file; for a page, a folder. Default: CHART_ID.FORMAT here.",
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
    width: Annotated[
        float,
        typer.Option(
            "--width",
            "-w",
            help=f"Figure width in cm: {COLUMN_WIDTH_CM:g} for a column, {PAGE_WIDTH_CM:g} for "
            "the full page width.",
        ),
    ] = COLUMN_WIDTH_CM,
    results: ReadResultsOption = None,
) -> None:
    """Render a chart of the site as a figure for a document (9-10 pt fonts), titled with the
    device (and any other selector's value) it shows; `thesislab chart list` lists the charts.

    Example: thesislab chart export pruning-change --format pdf --select stage=retrained
    """
    from thesislab.site.exports import chart_file

    if not MIN_WIDTH_CM <= width <= MAX_WIDTH_CM:
        raise ThesislabError(
            f"expected --width between {MIN_WIDTH_CM:g} and {MAX_WIDTH_CM:g} (cm), got {width:g}"
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
        filename = f"{chart.spec.chart_id}.{output_format}"
        target = (out or Path(filename)) if single else (out or Path()) / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        figure = chart_file(chart, output_format.value, selection=selection, width_cm=width)
        target.write_bytes(figure)
        shown = [f"{column} {value}" for column, value, _ in _shown(chart, selection)]
        typer.echo(f"wrote {target}: {width:g} cm wide" + "".join(f", {part}" for part in shown))


def _field_value(text: str) -> tuple[str, str]:
    field, separator, value = text.partition("=")
    if not separator or not field:
        raise ThesislabError(f"expected --select FIELD=VALUE, got {text!r}")
    return field, value
