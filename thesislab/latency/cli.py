"""`thesislab lut build|check|show`: lookup tables measured, checked against measured networks,
and shown.

Registered in the top-level app with ``app.add_typer(lut_app, name="lut")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from thesislab.errors import ThesislabError
from thesislab.options import InventoryOption, ResultsOption, parse_assignments
from thesislab.store import DEFAULT_RESULTS

if TYPE_CHECKING:
    from thesislab.models.spec import ArchSpec

lut_app = typer.Typer(
    help="Per-layer latency lookup tables of a device.\n\n"
    "Example: thesislab lut build --device pi3 --family wideresnet --param depth=40 "
    "--param width=32 --param all_prunable=true",
    no_args_is_help=True,
)

DeviceOption = Annotated[str, typer.Option("--device", "-d", help="Device name.")]
FamilyOption = Annotated[
    str, typer.Option("--family", "-f", help="Model family, e.g. wideresnet.", show_default=False)
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        help="Family parameter as key=value (repeatable); the rest take the family's defaults.",
    ),
]


def _family_spec(family: str, params: list[str] | None) -> ArchSpec:
    from thesislab.models.registry import resolve
    from thesislab.models.spec import ArchSpec

    return resolve(ArchSpec(family=family, params=parse_assignments(params, "--param")))


@lut_app.command("build")
def lut_build(
    family: FamilyOption,
    device: DeviceOption = "local",
    param: ParamOption = None,
    points: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Channel counts measured per axis (default 6); 0 = every count (the thesis).",
            show_default=False,
        ),
    ] = None,
    sigma: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            help="Gaussian smoothing of the grid, in channels (default 1).",
            show_default=False,
        ),
    ] = None,
    protocol: Annotated[
        str | None,
        typer.Option(
            "--protocol",
            help="Protocol preset (default: lut, every model timed against the unpruned network; "
            "thesis2019 tables: 11 runs, one pass).",
            show_default=False,
        ),
    ] = None,
    runs: Annotated[int | None, typer.Option(min=1, help="Override: timed runs per call.")] = None,
    passes: Annotated[int | None, typer.Option(min=1, help="Override: shuffled passes.")] = None,
    threads: Annotated[int | None, typer.Option(min=1, help="Override: threads.")] = None,
    variant: Annotated[
        str,
        typer.Option(
            help="thesislab (sparse grid, smoothed, calibrated) or thesis2019 (every count, the "
            "mean of 11 runs, as measured, entries summed)."
        ),
    ] = "thesislab",
    results: ResultsOption = DEFAULT_RESULTS,
    inventory: InventoryOption = None,
) -> None:
    """Measure every layer of a family on a device over the channel counts pruning can give it,
    smooth the tables and store them in the results directory.

    Example: thesislab lut build --device local --family wideresnet --param depth=16
    --param width=32 --param all_prunable=true --points 6
    """
    from rich.progress import Progress

    from thesislab.bench.devices import Inventory
    from thesislab.bench.protocol import resolve_protocol
    from thesislab.latency.build import (
        CALIBRATION_NETWORKS,
        DEFAULT_POINTS,
        DEFAULT_SIGMA,
        TABLE_PRESET,
        THESIS_PROTOCOL,
        build_table,
        count_models,
    )
    from thesislab.presets import overridden

    if variant not in ("thesislab", "thesis2019"):
        raise ThesislabError(f"--variant: expected thesislab or thesis2019, received {variant!r}")
    spec = _family_spec(family, param)
    overrides = {"runs": runs, "passes": passes, "threads": threads}
    if variant == "thesis2019" and protocol is None:
        chosen = overridden(THESIS_PROTOCOL, overrides, "protocol")
    else:
        chosen = resolve_protocol(protocol or TABLE_PRESET, **overrides)
    target = Inventory.load(inventory).get(device)
    grid = None if variant == "thesis2019" else DEFAULT_POINTS if points is None else points or None
    calibration = 0 if variant == "thesis2019" else CALIBRATION_NETWORKS
    models = count_models(spec, grid, calibration)
    with Progress(transient=True) as progress:
        task = progress.add_task(
            f"{models} models on {target.name}", total=models * (1 + (chosen.passes or 1))
        )
        path, table = build_table(
            spec,
            target,
            chosen,
            results,
            points=grid,
            sigma=DEFAULT_SIGMA if sigma is None else sigma,
            variant="thesis2019" if variant == "thesis2019" else "thesislab",
            on_step=lambda _: progress.advance(task),
        )
    typer.echo(
        f"{len(table.entries)} entries, {models} models; unpruned network measured "
        f"{table.network_ms:.3f} ms; table written to {path}"
    )


@lut_app.command("check")
def lut_check(
    family: FamilyOption,
    device: DeviceOption = "local",
    param: ParamOption = None,
    networks: Annotated[int, typer.Option(min=1, help="Random pruned networks to measure.")] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the random widths.")] = 0,
    protocol: Annotated[
        str | None,
        typer.Option(
            "--protocol",
            help="Protocol preset of the measurements (default: the table's own protocol).",
            show_default=False,
        ),
    ] = None,
    results: ResultsOption = DEFAULT_RESULTS,
    inventory: InventoryOption = None,
) -> None:
    """Measure random pruned networks of a family on a device and compare each with its table's
    prediction; the unpruned network, measured with them, tells how the device's speed changed
    since the table was built. The records (untrained models, artifacts, measurements with the
    prediction) stay in the results directory, where the site's lookup-tables page reads them.

    Example: thesislab lut check --device local --family mobilenetv2 --networks 20
    -r experiments/lookup-tables
    """
    import statistics

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from thesislab.bench.devices import Inventory
    from thesislab.bench.protocol import resolve_protocol
    from thesislab.latency.check import check_table
    from thesislab.latency.table import require_table

    spec = _family_spec(family, param)
    chosen = None if protocol is None else resolve_protocol(protocol)
    target = Inventory.load(inventory).get(device)
    passes = (chosen or require_table(results, spec, target.name).protocol).passes or 1
    with Progress(transient=True) as progress:
        task = progress.add_task(
            f"{networks} pruned networks on {target.name}",
            total=(networks + 1) * (1 + passes),
        )
        check = check_table(
            results,
            spec,
            target,
            chosen,
            networks=networks,
            seed=seed,
            on_step=lambda _: progress.advance(task),
        )
    shown = Table("widths", "predicted ms", "measured ms", "error")
    for prediction in check.networks:
        shown.add_row(
            " ".join(map(str, prediction.widths)),
            f"{prediction.predicted_latency_ms:.3f}",
            f"{prediction.measured_ms:.3f}",
            f"{prediction.relative_error():.1%}",
        )
    console = Console()
    console.print(shown)
    for warning in check.outcome.warnings:
        console.print(f"warning: {warning}", style="yellow")
    if check.unpruned is not None:
        console.print(
            f"unpruned network: the device runs at ×{check.speed:.3f} of its speed when the "
            "table was built"
            + (
                "; every network was timed against it, at the table's speed"
                if check.relative
                else ""
            )
        )
    if check.networks:
        errors = [prediction.relative_error() for prediction in check.networks]
        summary = (
            f"{len(errors)} networks on {target.name}: mean relative error "
            f"{statistics.fmean(errors):.1%} (largest {max(errors):.1%})"
        )
        if not check.relative:
            rescaled = [prediction.relative_error(check.speed) for prediction in check.networks]
            summary += (
                f"; predictions times ×{check.speed:.3f}: {statistics.fmean(rescaled):.1%} "
                f"(largest {max(rescaled):.1%})"
            )
        console.print(summary)
    if check.outcome.failures:
        raise ThesislabError(
            f"{len(check.outcome.failures)} of {networks + 1} networks could not be measured: "
            + "; ".join(check.outcome.failures.values())
        )


@lut_app.command("show")
def lut_show(
    family: FamilyOption,
    device: DeviceOption = "local",
    param: ParamOption = None,
    results: ResultsOption = DEFAULT_RESULTS,
) -> None:
    """Print a device's table of a family: its entries and the unpruned network's predicted and
    measured latency.

    Example: thesislab lut show --device local --family wideresnet --param depth=16 --param width=32
    """
    from rich.console import Console
    from rich.table import Table

    from thesislab.latency.table import require_table
    from thesislab.models.structure import structure_of

    spec = _family_spec(family, param)
    table = require_table(results, spec, device)
    shown = Table("layer configuration", "input channels", "output channels", "ms (min-max)")
    for entry in table.entries:
        values = [value for row in entry.smoothed_ms for value in row]
        shown.add_row(
            entry.config,
            _span(entry.inputs),
            _span(entry.outputs),
            f"{min(values):.4f}-{max(values):.4f}",
        )
    structure = structure_of(spec)
    console = Console()
    console.print(shown)
    where = (
        f"{table.device} ({table.device_description})" if table.device_description else table.device
    )
    console.print(
        f"{where}, {table.runtime}: unpruned network "
        f"predicted {table.predict(structure, structure.default_widths):.3f} ms, measured "
        f"{table.network_ms:.3f} ms; other layers {table.other_ms_per_value * 1e6:.3f} ms per "
        f"million values (fitted to {len(table.calibration) + 1} measured networks)"
    )


def _span(axis: list[int]) -> str:
    if axis == [0]:
        return "= output"
    return str(axis[0]) if len(axis) == 1 else f"{axis[0]}..{axis[-1]} ({len(axis)} points)"
