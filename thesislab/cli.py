"""The `thesislab` command: one entry point for importing, training, shrinking, measuring and
publishing. Each command's implementation lives in the package that owns it; this module only
wires them together and turns a `ThesislabError` into a one-line message and exit code 1.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from thesislab.bench.cli import bench, devices_app, protocols_app
from thesislab.data.cli import app as data_app
from thesislab.deploy.cli import convert
from thesislab.errors import ThesislabError
from thesislab.models.cli import app as models_app
from thesislab.prune.cli import lut_app, prune
from thesislab.site.cli import chart_app, site_app
from thesislab.store import RESULTS_ROOT
from thesislab.studies.cli import run
from thesislab.train.cli import recipes_app, train

QUICKSTART_STUDY = RESULTS_ROOT / "quickstart.yaml"

app = typer.Typer(
    name="thesislab",
    help=(
        "Train, shrink, convert, measure and publish small, fast neural networks.\n\n"
        "Example: thesislab import thesis2019 ../shared/seed --results experiments/thesis-2019"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
results_app = typer.Typer(
    help="Inspect result records.\n\nExample: thesislab results table --format csv",
    no_args_is_help=True,
)
import_app = typer.Typer(
    help="Import published results as records.\n\n"
    "Example: thesislab import thesis2019 ../shared/seed --results experiments/thesis-2019",
    no_args_is_help=True,
)


@app.callback()
def _common_options(
    context: typer.Context,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", help="Also show the log lines of TensorFlow, absl and TFLite themselves."
        ),
    ] = False,
) -> None:
    if not verbose:
        from thesislab.native_logs import filtered_native_logs

        context.with_resource(filtered_native_logs())


app.add_typer(results_app, name="results")
app.add_typer(import_app, name="import")
app.add_typer(data_app, name="data")
app.add_typer(models_app, name="models")
app.command("train")(train)
app.add_typer(recipes_app, name="recipes")
app.command("convert")(convert)
app.command("bench")(bench)
app.add_typer(devices_app, name="devices")
app.add_typer(protocols_app, name="protocols")
app.command("run")(run)
app.command("prune")(prune)
app.add_typer(lut_app, name="lut")
app.add_typer(site_app, name="site")
app.add_typer(chart_app, name="chart")

ResultsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--results",
        "-r",
        help="Results directory (repeatable); a directory of results directories also works. "
        "Default: every results directory under ./experiments.",
    ),
]


class TableFormat(StrEnum):
    """Output formats of `results table`."""

    text = "text"
    csv = "csv"
    json = "json"


@import_app.command("thesis2019")
def import_thesis2019(
    source_dir: Annotated[Path, typer.Argument(help="Directory of the thesis CSV files.")],
    results: Annotated[
        Path, typer.Option("--results", "-r", help="Results directory to write the records to.")
    ] = RESULTS_ROOT / "thesis-2019",
) -> None:
    """Import the 2019 thesis CSVs (architectures, quantized, test_KD*, pruning methods).

    All or nothing: a malformed file stops the import before any record is written.
    Importing twice changes nothing.

    Example: thesislab import thesis2019 ../shared/seed --results experiments/thesis-2019
    """
    from thesislab.legacy.thesis2019 import import_thesis
    from thesislab.store import Store

    summary = import_thesis(source_dir, Store(results))
    typer.echo(
        f"{summary.files} files, {summary.records} records, {summary.written} new in {results}"
    )


@results_app.command("table")
def results_table(
    results: ResultsOption = None,
    output_format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="text, csv or json.")
    ] = TableFormat.text,
) -> None:
    """Print one row per (model configuration, artifact, device), seeds aggregated.

    Example: thesislab results table --results experiments/thesis-2019 --format json
    """
    from thesislab.store import discover, table

    directories = discover(results or [RESULTS_ROOT])
    if not directories:
        shown = ", ".join(str(path) for path in results or [RESULTS_ROOT])
        raise ThesislabError(
            f"expected results directories (with model/ folders), found none in {shown}"
        )
    frame = table(directories)
    if output_format is TableFormat.json:
        typer.echo(frame.to_json(orient="records", indent=2))
    elif output_format is TableFormat.csv:
        typer.echo(frame.to_csv(index=False), nl=False)
    else:
        _print_table(frame)


def _print_table(frame: object) -> None:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from thesislab.columns import View, columns, display

    assert isinstance(frame, pd.DataFrame)
    shown = columns(View.CLI)
    rich_table = Table()
    for column in shown:
        rich_table.add_column(column.name, justify="right" if column.numeric else "left")
    for row in frame[[column.name for column in shown]].itertuples(index=False):
        rich_table.add_row(
            *(display(value, column.format) for column, value in zip(shown, row, strict=True))
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=240)
    console.print(rich_table)


@results_app.command("schema")
def results_schema() -> None:
    """Print the JSON Schema of a result record file.

    Example: thesislab results schema > record.schema.json
    """
    from thesislab.records import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@results_app.command("check")
def results_check(results: ResultsOption = None) -> None:
    """Validate every record file and check that its name is the id of its content; each bad
    file is named on a line of its own with what is wrong (exit code 1 if there is one).

    Example: thesislab results check --results experiments/thesis-2019
    """
    from thesislab.store import Store, discover

    total = 0
    problems: list[str] = []
    for directory in discover(results or [RESULTS_ROOT]):
        checked, found = Store(directory).check()
        total += checked
        problems.extend(found)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise ThesislabError(
            f"expected every record file valid and named by its id, found {len(problems)} bad "
            f"of {total}"
        )
    typer.echo(f"{total} records valid")


@app.command("quickstart")
def quickstart() -> None:
    """The README's main job: run the quickstart study on the bundled sample (jobs already
    recorded are not redone), then build the results site from every results directory under
    experiments/, the 2019 thesis's included.

    Example: thesislab quickstart
    """
    run(QUICKSTART_STUDY, site=True)


def main() -> None:
    """Console entry point: run the app, turning user errors into one line and exit code 1."""
    try:
        app()
    except ThesislabError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
