"""`thesislab import`: published results read into records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thesislab.store import RESULTS_ROOT

import_app = typer.Typer(
    help="Import published results as records.\n\n"
    "Example: thesislab import thesis2019 ../shared/seed --results experiments/thesis-2019",
    no_args_is_help=True,
)


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
    from thesislab.importers.thesis2019 import import_thesis
    from thesislab.store import Store

    summary = import_thesis(source_dir, Store(results))
    typer.echo(
        f"{summary.files} files, {summary.records} records, {summary.written} new in {results}"
    )
