"""The `thesislab` command: one entry point for importing, training, shrinking, measuring and
publishing. Each command's implementation lives in the package that owns it; this module only
wires them together and turns a `ThesislabError` into a one-line message and exit code 1.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from thesislab.bench.cli import bench, devices_app, protocols_app
from thesislab.data.cli import app as data_app
from thesislab.deploy.cli import convert
from thesislab.errors import ThesislabError
from thesislab.figures.cli import chart_app, figure
from thesislab.importers.cli import import_app
from thesislab.latency.cli import lut_app
from thesislab.models.cli import app as models_app
from thesislab.prune.cli import prune
from thesislab.results.cli import results_app
from thesislab.site.cli import site_app
from thesislab.store import RESULTS_ROOT
from thesislab.studies.cli import run
from thesislab.train.cli import recipes_app, train

QUICKSTART_STUDY = RESULTS_ROOT / "quickstart.yaml"
MACHINE_LEARNING_EXTRA = "ml"
"""The extra that brings training, conversion and measurement (the core reads records, imports
the thesis and builds the site)."""
MACHINE_LEARNING_MODULES = frozenset({"tensorflow", "keras", "ai_edge_litert", "jax"})

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
app.command("figure")(figure)


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
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in MACHINE_LEARNING_MODULES:
            raise
        typer.echo(
            f"error: this command trains, converts or measures networks and needs {error.name}: "
            f"expected the '{MACHINE_LEARNING_EXTRA}' extra, install it with "
            f"pip install 'thesislab[{MACHINE_LEARNING_EXTRA}]'",
            err=True,
        )
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
