"""`thesislab results`: the results table printed, the record schema, the record files checked."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from thesislab.errors import ThesislabError
from thesislab.options import ReadResultsOption, results_directories

results_app = typer.Typer(
    help="Inspect result records.\n\nExample: thesislab results table --format csv",
    no_args_is_help=True,
)


class TableFormat(StrEnum):
    """Output formats of `results table`."""

    text = "text"
    csv = "csv"
    json = "json"


@results_app.command("table")
def results_table(
    results: ReadResultsOption = None,
    output_format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="text, csv or json.")
    ] = TableFormat.text,
) -> None:
    """Print one row per (model configuration, artifact, device), seeds aggregated.

    Example: thesislab results table --results experiments/thesis-2019 --format json
    """
    from thesislab.results.table import table

    frame = table(results_directories(results))
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

    from thesislab.results.columns import View, columns, display

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
def results_check(results: ReadResultsOption = None) -> None:
    """Validate every record file and check that its name is the id of its content; each bad
    file is named on a line of its own with what is wrong (exit code 1 if there is one).

    Example: thesislab results check --results experiments/thesis-2019
    """
    from thesislab.store import Store

    total = 0
    problems: list[str] = []
    for directory in results_directories(results):
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
